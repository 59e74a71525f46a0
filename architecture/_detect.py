"""Fused per-output detection kernel of the core: balanced photocurrent, receiver noise,
TIA + ADC, offset reference, output scaling and ReLU-derivative gating in one pass over
``(batch, outputs)``, reading either a GEMM result or (small problems) computing each
row's product itself so no ``(batch, outputs)`` intermediate leaves the cache.

The receiver noise of one conversion is one Gaussian of variance
``shot_a (g_s + m/2 g_w + c_s) + base_var``: with a time-integrating receiver the sum of
the independent per-pass shot, dark and thermal noises (the caller sums ``g_s`` and the
idle-channel term over passes and scales ``base_var`` by the number of passes).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ._noise import normal_at

__all__ = ["detect", "SMALL_PRODUCT"]

#: multiply-adds of one group below which the row products are computed in the kernel:
#: BLAS thread wake-ups cost more than the arithmetic there when the cores are shared.
SMALL_PRODUCT = 4_000_000


@njit(cache=True, error_model="numpy", fastmath={"contract", "nnan", "ninf", "nsz"})
def _row_product(p: np.ndarray, row: int, ws: np.ndarray, g: np.ndarray) -> None:
    """``g = p[row] @ ws`` (``ws`` C-ordered ``(nc, K)``; the inner loop over ``K`` is
    contiguous and vectorises; fused multiply-adds allowed, no reassociation)."""
    n = ws.shape[1]
    for j in range(n):
        g[j] = 0.0
    for k in range(ws.shape[0]):
        pk = p[row, k]
        for j in range(n):
            g[j] += pk * ws[k, j]


@njit(cache=True, inline="always")
def gsv(g: np.ndarray, has_s: bool, n_out: int, j: int) -> float:
    return np.float64(g[n_out + j]) if has_s else 0.0


@njit(cache=True, error_model="numpy")
def detect(p: np.ndarray, ws: np.ndarray, gmat: np.ndarray, fused: bool, nb: int,
           n_out: int, passes: int, has_s: bool, half_m: float, resp: float,
           const_i: np.ndarray, const_s: np.ndarray, shot_a: float, base_var: float,
           noisy: bool, key: np.uint64, adc_on: bool, center: np.ndarray, g_lsb: np.ndarray,
           lsb_g: np.ndarray, cmin: float, cmax: float, ref: np.ndarray, kout: float,
           s_x: np.ndarray, gate: np.ndarray, use_gate: bool, out: np.ndarray) -> int:
    """Adds the detected, scaled and gated outputs to ``out`` ``(nb, n_out)``; returns the
    number of saturated ADC samples. Row ``q nb + b`` of the product (pass ``q`` of sample
    ``b``) holds ``[g_w | g_s]``. Noise number ``row n_out + j`` of stream ``key``."""
    k_cols = ws.shape[1] if fused else gmat.shape[1]
    gbuf = np.empty(k_cols, dtype=p.dtype)
    acc = np.empty(n_out)
    cur = np.empty(n_out)
    z = np.zeros(n_out)
    clipped = 0
    for b in range(nb):
        for q in range(passes):
            row = q * nb + b
            if fused:
                _row_product(p, row, ws, gbuf)
                g = gbuf
            else:
                g = gmat[row]
            if noisy:
                base = row * n_out
                for j in range(n_out):
                    z[j] = normal_at(key, base + j)
            # separate branch-free loops: each vectorises on its own
            for j in range(n_out):
                cur[j] = resp * (np.float64(g[j]) + half_m * gsv(g, has_s, n_out, j)) \
                    + const_i[j]
            if noisy:
                for j in range(n_out):
                    gs = gsv(g, has_s, n_out, j)
                    var = shot_a * (gs + half_m * np.float64(g[j]) + const_s[j]) + base_var
                    cur[j] += math.sqrt(max(var, 0.0)) * z[j]
            if adc_on:
                for j in range(n_out):
                    code = np.rint((cur[j] - center[j]) * g_lsb[j])
                    kept = min(max(code, cmin), cmax)
                    clipped += kept != code
                    cur[j] = kept * lsb_g[j] + center[j]
            if q == 0:
                for j in range(n_out):
                    acc[j] = cur[j] - ref[j]
            else:
                for j in range(n_out):
                    acc[j] -= cur[j]
        sb = kout * s_x[b]
        if use_gate:
            for j in range(n_out):
                out[b, j] += acc[j] * sb if gate[b, j] else 0.0
        else:
            for j in range(n_out):
                out[b, j] += acc[j] * sb
    return clipped
