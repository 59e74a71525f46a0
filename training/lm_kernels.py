"""Fused numba kernels for the Transformer's memory-bound layers (forward and backward).

Each kernel makes one pass over its rows where numpy would make four to eight (max, subtract,
exp, sum, divide, mask, ...). They work for float32 (training) and float64 (gradient checks);
accumulations run in float64 registers. Kernels are serial on purpose: tasks may run in
threads of a Dask worker, where numba's parallel work queue must not be entered twice.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = [
    "layernorm_forward_kernel",
    "layernorm_backward_kernel",
    "gelu_forward",
    "gelu_backward_kernel",
    "causal_softmax",
    "causal_softmax_backward_kernel",
    "cross_entropy_kernel",
    "embedding_backward_kernel",
]

_GELU_C = math.sqrt(2.0 / math.pi)
_GELU_A = 0.044715


@njit(cache=True, fastmath=True)
def layernorm_forward_kernel(x, g, b, eps, y, xhat, rstd):
    """``y = g * (x - mean) / sqrt(var + eps) + b`` row-wise (Ba et al. 2016); keeps xhat, rstd."""
    n, d = x.shape
    for i in range(n):
        s = 0.0
        for j in range(d):
            s += x[i, j]
        mu = s / d
        s2 = 0.0
        for j in range(d):
            t = x[i, j] - mu
            s2 += t * t
        r = 1.0 / math.sqrt(s2 / d + eps)
        rstd[i] = r
        for j in range(d):
            h = (x[i, j] - mu) * r
            xhat[i, j] = h
            y[i, j] = h * g[j] + b[j]


@njit(cache=True, fastmath=True)
def layernorm_backward_kernel(dy, xhat, rstd, g, dx, dg, db):
    """``dx = rstd * (dxh - mean(dxh) - xhat * mean(dxh * xhat))`` with ``dxh = dy * g``.

    ``dg``, ``db`` are accumulated (callers pass zeros); ``dx`` is overwritten.
    """
    n, d = dy.shape
    for i in range(n):
        s1 = 0.0
        s2 = 0.0
        for j in range(d):
            dxh = dy[i, j] * g[j]
            s1 += dxh
            s2 += dxh * xhat[i, j]
            dg[j] += dy[i, j] * xhat[i, j]
            db[j] += dy[i, j]
        m1 = s1 / d
        m2 = s2 / d
        r = rstd[i]
        for j in range(d):
            dx[i, j] = r * (dy[i, j] * g[j] - m1 - xhat[i, j] * m2)


def gelu_forward(x, y, t):
    """GELU, tanh form: ``y = 0.5 x (1 + t)``, ``t = tanh(sqrt(2/pi) (x + 0.044715 x^3))``.

    Hendrycks & Gimpel 2016. numpy, not numba: its float32 ``tanh`` is SIMD-vectorised, while
    numba calls scalar libm. ``t`` is kept for the backward pass.
    """
    c = x.dtype.type(_GELU_C)
    np.multiply(x, x, out=t)
    t *= x.dtype.type(_GELU_A) * c
    t += c
    t *= x
    np.tanh(t, out=t)
    np.add(t, 1.0, out=y)
    y *= x
    y *= 0.5


@njit(cache=True, fastmath=True)
def gelu_backward_kernel(x, t, dy, dx):
    """``dx = dy [0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2)]``."""
    xf = x.ravel()
    tf = t.ravel()
    df = dy.ravel()
    of = dx.ravel()
    c = _GELU_C
    c3 = 3.0 * _GELU_A * _GELU_C
    for i in range(xf.size):
        v = xf[i]
        th = tf[i]
        of[i] = df[i] * (0.5 * (1.0 + th) + 0.5 * v * (1.0 - th * th) * (c + c3 * v * v))


@njit(cache=True, fastmath=True)
def _causal_shift_kernel(s, scale, masked):
    """``s <- scale s - rowmax`` for ``j <= i``, ``masked`` (exp gives 0) for ``j > i``."""
    nb, nh, t, _ = s.shape
    for b in range(nb):
        for h in range(nh):
            for i in range(t):
                row = s[b, h, i]
                m = row[0] * scale  # not -inf: fastmath assumes no infinities
                for j in range(1, i + 1):
                    v = row[j] * scale
                    if v > m:
                        m = v
                for j in range(i + 1):
                    row[j] = row[j] * scale - m
                for j in range(i + 1, t):
                    row[j] = masked


@njit(cache=True, fastmath=True)
def _causal_normalise_kernel(p):
    """Divide each row's causal part by its sum (the masked part is already 0)."""
    nb, nh, t, _ = p.shape
    for b in range(nb):
        for h in range(nh):
            for i in range(t):
                row = p[b, h, i]
                z = 0.0
                for j in range(i + 1):
                    z += row[j]
                inv = 1.0 / z
                for j in range(i + 1):
                    row[j] *= inv


def causal_softmax(s, scale):
    """In place on scores ``s[b, h, i, j]``: ``softmax_j<=i(scale * s)``, zero for ``j > i``.

    Shift and normalise are fused numba passes; the exponential is numpy's, SIMD-vectorised
    (numba would call scalar libm ``exp``), about twice as fast overall.
    """
    _causal_shift_kernel(s, s.dtype.type(scale), s.dtype.type(-1e4))
    np.exp(s, out=s)
    _causal_normalise_kernel(s)


@njit(cache=True, fastmath=True)
def causal_softmax_backward_kernel(dp, p, scale):
    """In place: ``dp <- scale * p * (dp - sum_j dp * p)``, the gradient w.r.t. the raw scores."""
    nb, nh, t, _ = dp.shape
    for b in range(nb):
        for h in range(nh):
            for i in range(t):
                acc = 0.0
                for j in range(i + 1):
                    acc += dp[b, h, i, j] * p[b, h, i, j]
                for j in range(i + 1):
                    dp[b, h, i, j] = scale * p[b, h, i, j] * (dp[b, h, i, j] - acc)
                for j in range(i + 1, t):
                    dp[b, h, i, j] = 0.0


@njit(cache=True, fastmath=True)
def cross_entropy_kernel(logits, targets, e):
    """Mean cross-entropy (nats) of rows of ``logits``; ``e = softmax(logits) - onehot(target)``."""
    n, v = logits.shape
    total = 0.0
    for i in range(n):
        m = logits[i, 0]
        for j in range(1, v):
            if logits[i, j] > m:
                m = logits[i, j]
        z = 0.0
        for j in range(v):
            ex = math.exp(logits[i, j] - m)
            e[i, j] = ex
            z += ex
        inv = 1.0 / z
        for j in range(v):
            e[i, j] *= inv
        tgt = targets[i]
        total += m + math.log(z) - logits[i, tgt]
        e[i, tgt] -= 1.0
    return total / n


@njit(cache=True)
def embedding_backward_kernel(idx, dx, dw):
    """Scatter-add rows: ``dw[idx[i]] += dx[i]`` (``dw`` zeroed by the caller)."""
    n, d = dx.shape
    for i in range(n):
        r = idx[i]
        for j in range(d):
            dw[r, j] += dx[i, j]
