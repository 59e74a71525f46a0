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

from ._noise import GOLDEN, normal_of

__all__ = ["detect", "SMALL_PRODUCT"]

#: multiply-adds of one group below which the row products are computed in the kernel:
#: BLAS thread wake-ups cost more than the arithmetic there when the cores are shared.
SMALL_PRODUCT = 4_000_000


_FM = {"contract", "nnan", "ninf", "nsz"}


@njit(cache=True, error_model="numpy", fastmath=_FM, inline="always")
def _pass8(p: np.ndarray, row: int, ws: np.ndarray, g: np.ndarray, k: int,
           first: bool) -> None:
    n = ws.shape[1]
    a0, a1, a2, a3 = p[row, k], p[row, k + 1], p[row, k + 2], p[row, k + 3]
    a4, a5, a6, a7 = p[row, k + 4], p[row, k + 5], p[row, k + 6], p[row, k + 7]
    w0, w1, w2, w3 = ws[k], ws[k + 1], ws[k + 2], ws[k + 3]
    w4, w5, w6, w7 = ws[k + 4], ws[k + 5], ws[k + 6], ws[k + 7]
    if first:
        for j in range(n):
            g[j] = ((a0 * w0[j] + a1 * w1[j]) + (a2 * w2[j] + a3 * w3[j])) \
                + ((a4 * w4[j] + a5 * w5[j]) + (a6 * w6[j] + a7 * w7[j]))
    else:
        for j in range(n):
            g[j] += ((a0 * w0[j] + a1 * w1[j]) + (a2 * w2[j] + a3 * w3[j])) \
                + ((a4 * w4[j] + a5 * w5[j]) + (a6 * w6[j] + a7 * w7[j]))


@njit(cache=True, error_model="numpy", fastmath=_FM, inline="always")
def _pass2(p: np.ndarray, row: int, ws: np.ndarray, g: np.ndarray, k: int,
           first: bool) -> None:
    n = ws.shape[1]
    a0, a1 = p[row, k], p[row, k + 1]
    w0, w1 = ws[k], ws[k + 1]
    if first:
        for j in range(n):
            g[j] = a0 * w0[j] + a1 * w1[j]
    else:
        for j in range(n):
            g[j] += a0 * w0[j] + a1 * w1[j]


@njit(cache=True, error_model="numpy", fastmath=_FM)
def _row_product(p: np.ndarray, row: int, ws: np.ndarray, g: np.ndarray) -> None:
    """``g = p[row] @ ws`` (``ws`` C-ordered ``(nc, K)``; the inner loops over ``K`` are
    contiguous and vectorise; fused multiply-adds allowed, no reassociation). Eight (then
    two, then one) input columns per sweep of ``g``: the stores of ``g``, not the
    multiply-adds, bound a one-column sweep (about 1.6x slower for 10 columns)."""
    n_k = ws.shape[0]
    n = ws.shape[1]
    k = 0
    while k + 8 <= n_k:
        _pass8(p, row, ws, g, k, k == 0)
        k += 8
    while k + 2 <= n_k:
        _pass2(p, row, ws, g, k, k == 0)
        k += 2
    if k < n_k:
        a = p[row, k]
        w = ws[k]
        if k == 0:
            for j in range(n):
                g[j] = a * w[j]
        else:
            for j in range(n):
                g[j] += a * w[j]
    elif n_k == 0:
        for j in range(n):
            g[j] = 0.0


@njit(cache=True, inline="always")
def gsv(g: np.ndarray, has_s: bool, n_out: int, j: int) -> float:
    return np.float64(g[n_out + j]) if has_s else 0.0


@njit(cache=True, error_model="numpy")
def _generic_row(g: np.ndarray, n_out: int, has_s: bool, half_m: float, resp: float,
                 const_i: np.ndarray, const_s: np.ndarray, shot_a: float, base_var: float,
                 noisy: bool, key: np.uint64, base: int, adc_on: bool, center: np.ndarray,
                 g_lsb: np.ndarray, lsb_g: np.ndarray, cmin: float, cmax: float,
                 z: np.ndarray, cur: np.ndarray) -> int:
    """Any other row (ideal parts exact: no contraction): separate branch-free loops,
    each vectorises on its own."""
    clipped = 0
    if noisy:
        ctr = key + np.uint64(base + 1) * GOLDEN
        for j in range(n_out):
            z[j] = normal_of(ctr)
            ctr += GOLDEN
    for j in range(n_out):
        cur[j] = resp * (np.float64(g[j]) + half_m * gsv(g, has_s, n_out, j)) + const_i[j]
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
    return clipped


@njit(cache=True, error_model="numpy", fastmath={"contract", "nnan", "ninf", "nsz", "arcp"})
def _noisy_adc_row(g: np.ndarray, n_out: int, half_m: float, resp: float,
                   const_i: np.ndarray, const_s: np.ndarray, shot_a: float, base_var: float,
                   key: np.uint64, base: int, center: np.ndarray, g_lsb: np.ndarray,
                   lsb_g: np.ndarray, cmin: float, cmax: float, cur: np.ndarray) -> int:
    """The default chip's row (common-mode column present, noise and ADC on) in one
    vectorised loop: ``cur`` gets the reconstructed currents, returns the clipped count.
    Only the noisy path may contract and use reciprocals; the ideal path never gets here."""
    clipped = 0
    ctr = key + np.uint64(base + 1) * GOLDEN
    for j in range(n_out):
        gw = np.float64(g[j])
        gs = np.float64(g[n_out + j])
        var = shot_a * (gs + half_m * gw + const_s[j]) + base_var
        c = resp * (gw + half_m * gs) + const_i[j] \
            + math.sqrt(max(var, 0.0)) * normal_of(ctr)
        ctr += GOLDEN
        code = np.rint((c - center[j]) * g_lsb[j])
        kept = min(max(code, cmin), cmax)
        clipped += np.int64(kept != code)
        cur[j] = kept * lsb_g[j] + center[j]
    return clipped


@njit(cache=True, error_model="numpy")
def detect(p: np.ndarray, ws: np.ndarray, gmat: np.ndarray, fused: bool, nb: int,
           n_out: int, passes: int, has_s: bool, half_m: float, resp: float,
           const_i: np.ndarray, const_s: np.ndarray, shot_a: float, base_var: float,
           noisy: bool, key: np.uint64, adc_on: bool, center: np.ndarray, g_lsb: np.ndarray,
           lsb_g: np.ndarray, cmin: float, cmax: float, ref: np.ndarray, kout: float,
           s_x: np.ndarray, gate: np.ndarray, use_gate: bool, out: np.ndarray,
           first: bool = False) -> int:
    """Adds the detected, scaled and gated outputs to ``out`` ``(nb, n_out)`` (``first``:
    stores them, ``out`` may be uninitialised); returns the
    number of saturated ADC samples. Row ``q nb + b`` of the product (pass ``q`` of sample
    ``b``) holds ``[g_w | g_s]``. Noise number ``row n_out + j`` of stream ``key``."""
    k_cols = ws.shape[1] if fused else gmat.shape[1]
    gbuf = np.empty(k_cols, dtype=p.dtype)
    acc = np.empty(n_out)
    cur = np.empty(n_out)
    z = np.zeros(n_out)
    ref_out = ref if passes == 1 else np.zeros(n_out)
    clipped = 0
    for b in range(nb):
        for q in range(passes):
            row = q * nb + b
            if fused:
                _row_product(p, row, ws, gbuf)
                g = gbuf
            else:
                g = gmat[row]
            # pass 0 lands in acc itself; its reference is subtracted here when later
            # passes follow (same order of operations), else in the output loop
            dst = acc if q == 0 else cur
            if noisy and adc_on and has_s:
                clipped += _noisy_adc_row(g, n_out, half_m, resp, const_i, const_s, shot_a,
                                          base_var, key, row * n_out, center, g_lsb, lsb_g,
                                          cmin, cmax, dst)
            else:
                clipped += _generic_row(g, n_out, has_s, half_m, resp, const_i, const_s,
                                        shot_a, base_var, noisy, key, row * n_out, adc_on,
                                        center, g_lsb, lsb_g, cmin, cmax, z, dst)
            if q == 0:
                if passes > 1:
                    for j in range(n_out):
                        acc[j] -= ref[j]
            else:
                for j in range(n_out):
                    acc[j] -= cur[j]
        sb = kout * s_x[b]
        if use_gate and first:
            for j in range(n_out):
                out[b, j] = (acc[j] - ref_out[j]) * sb if gate[b, j] else 0.0
        elif use_gate:
            for j in range(n_out):
                out[b, j] += (acc[j] - ref_out[j]) * sb if gate[b, j] else 0.0
        elif first:
            for j in range(n_out):
                out[b, j] = (acc[j] - ref_out[j]) * sb
        else:
            for j in range(n_out):
                out[b, j] += (acc[j] - ref_out[j]) * sb
    return clipped
