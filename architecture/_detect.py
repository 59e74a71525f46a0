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
from numba import njit, prange

from ._encode import encode_rows
from ._noise import normals

__all__ = ["detect", "SMALL_PRODUCT"]

#: multiply-adds of one group below which the row products are computed in the kernel:
#: BLAS thread wake-ups cost more than the arithmetic there when the cores are shared.
SMALL_PRODUCT = 4_000_000

#: outputs (samples x banks x passes) per thread below which one thread does the whole
#: call: a thread hand-off costs a few microseconds, about 2,000 outputs' work.
PARALLEL_WORK = 8192


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


@njit(cache=True, error_model="numpy", fastmath=_FM, inline="always")
def _pass8x2(p: np.ndarray, row: int, ws: np.ndarray, g0: np.ndarray, g1: np.ndarray,
             k: int, first: bool) -> None:
    n = ws.shape[1]
    a0, a1, a2, a3 = p[row, k], p[row, k + 1], p[row, k + 2], p[row, k + 3]
    a4, a5, a6, a7 = p[row, k + 4], p[row, k + 5], p[row, k + 6], p[row, k + 7]
    c0, c1, c2, c3 = p[row + 1, k], p[row + 1, k + 1], p[row + 1, k + 2], p[row + 1, k + 3]
    c4, c5, c6, c7 = p[row + 1, k + 4], p[row + 1, k + 5], p[row + 1, k + 6], p[row + 1, k + 7]
    w0, w1, w2, w3 = ws[k], ws[k + 1], ws[k + 2], ws[k + 3]
    w4, w5, w6, w7 = ws[k + 4], ws[k + 5], ws[k + 6], ws[k + 7]
    for j in range(n):
        x0, x1, x2, x3 = w0[j], w1[j], w2[j], w3[j]
        x4, x5, x6, x7 = w4[j], w5[j], w6[j], w7[j]
        u = ((a0 * x0 + a1 * x1) + (a2 * x2 + a3 * x3)) \
            + ((a4 * x4 + a5 * x5) + (a6 * x6 + a7 * x7))
        v = ((c0 * x0 + c1 * x1) + (c2 * x2 + c3 * x3)) \
            + ((c4 * x4 + c5 * x5) + (c6 * x6 + c7 * x7))
        if first:
            g0[j] = u
            g1[j] = v
        else:
            g0[j] += u
            g1[j] += v


@njit(cache=True, error_model="numpy", fastmath=_FM, inline="always")
def _pass2x2(p: np.ndarray, row: int, ws: np.ndarray, g0: np.ndarray, g1: np.ndarray,
             k: int, first: bool) -> None:
    n = ws.shape[1]
    a0, a1 = p[row, k], p[row, k + 1]
    c0, c1 = p[row + 1, k], p[row + 1, k + 1]
    w0, w1 = ws[k], ws[k + 1]
    for j in range(n):
        x0, x1 = w0[j], w1[j]
        if first:
            g0[j] = a0 * x0 + a1 * x1
            g1[j] = c0 * x0 + c1 * x1
        else:
            g0[j] += a0 * x0 + a1 * x1
            g1[j] += c0 * x0 + c1 * x1


@njit(cache=True, error_model="numpy", fastmath=_FM)
def _pair_product(p: np.ndarray, row: int, ws: np.ndarray, g0: np.ndarray,
                  g1: np.ndarray) -> None:
    """``g0 = p[row] @ ws`` and ``g1 = p[row + 1] @ ws`` in the same sweeps: each load of
    ``ws`` feeds two multiply-adds (about 1.5x faster than two :func:`_row_product`)."""
    n_k = ws.shape[0]
    n = ws.shape[1]
    k = 0
    while k + 8 <= n_k:
        _pass8x2(p, row, ws, g0, g1, k, k == 0)
        k += 8
    while k + 2 <= n_k:
        _pass2x2(p, row, ws, g0, g1, k, k == 0)
        k += 2
    if k < n_k:
        a, c = p[row, k], p[row + 1, k]
        w = ws[k]
        for j in range(n):
            if k == 0:
                g0[j] = a * w[j]
                g1[j] = c * w[j]
            else:
                g0[j] += a * w[j]
                g1[j] += c * w[j]
    elif n_k == 0:
        for j in range(n):
            g0[j] = 0.0
            g1[j] = 0.0


@njit(cache=True, error_model="numpy")
def _generic_row(gw: np.ndarray, gs: np.ndarray, n: int, has_s: bool, k64: np.ndarray,
                 sc: np.ndarray, noisy: bool, key: np.uint64, base: int, adc_on: bool,
                 z: np.ndarray, scratch: np.ndarray, cur: np.ndarray) -> int:
    """Any other row (ideal parts exact: no contraction): separate branch-free loops,
    each vectorises on its own."""
    const_i, const_s, center, g_lsb, lsb_g = k64[0], k64[1], k64[2], k64[3], k64[4]
    half_m, resp, shot_a, base_var, cmin, cmax = sc[0], sc[1], sc[2], sc[3], sc[4], sc[5]
    m_s = half_m if has_s else 0.0  # without the common-mode column gs aliases gw
    clipped = 0
    if noisy:
        normals(z[:n], key, base, scratch)
    for j in range(n):
        cur[j] = resp * (np.float64(gw[j]) + m_s * np.float64(gs[j])) + const_i[j]
    if noisy:
        s_on = 1.0 if has_s else 0.0
        for j in range(n):
            var = shot_a * (s_on * np.float64(gs[j]) + half_m * np.float64(gw[j])
                            + const_s[j]) + base_var
            cur[j] += math.sqrt(max(var, 0.0)) * z[j]
    if adc_on:
        for j in range(n):
            code = np.rint((cur[j] - center[j]) * g_lsb[j])
            kept = min(max(code, cmin), cmax)
            clipped += kept != code
            cur[j] = kept * lsb_g[j] + center[j]
    return clipped


@njit(cache=True, error_model="numpy", fastmath={"contract", "nnan", "ninf", "nsz", "arcp"})
def _noisy_adc_row(gw: np.ndarray, gs: np.ndarray, n: int, k32: np.ndarray,
                   sc: np.ndarray, key: np.uint64, base: int, z: np.ndarray,
                   scratch: np.ndarray, lsb_g: np.ndarray, offset: np.ndarray,
                   scale: float, dst: np.ndarray, add: bool, gate: np.ndarray,
                   use_gate: bool) -> int:
    """The default chip's row (float32 products, common-mode column present, noise and an
    ADC of <= 16 bits on) in single precision up to the code; ``dst[j]`` gets (``add``:
    adds) ``(code lsb_g + offset) scale``, zero where ``use_gate`` and not ``gate[j]``.
    Returns the clipped count. The float32 rounding (~1e-7 of the signal) is far below an
    LSB of such an ADC and below the noise, and a float32 square root costs a quarter of a
    double one; the double-precision output and the count run in a loop of their own, so
    the float32 one fills whole vectors. Only the noisy path may contract and use
    reciprocals; the ideal path never gets here."""
    normals(z[:n], key, base, scratch)
    hm, r = np.float32(sc[0]), np.float32(sc[1])
    sa, bv = np.float32(sc[2]), np.float32(sc[3])
    zero = np.float32(0.0)
    cs, d, g_lsb = k32[0], k32[1], k32[2]
    for j in range(n):  # float32 only, full-width vectors; the codes replace z
        w = gw[j]
        c = gs[j]
        var = sa * (c + hm * w + cs[j]) + bv
        z[j] = np.rint((r * (w + hm * c) + d[j] + math.sqrt(max(var, zero)) * z[j])
                       * g_lsb[j])
    clipped = 0
    lo, hi = sc[4], sc[5]
    for j in range(n):  # double precision and the int64 count, half-width vectors
        code = np.float64(z[j])
        kept = min(max(code, lo), hi)
        clipped += np.int64(kept != code)
        v = (kept * lsb_g[j] + offset[j]) * scale
        if use_gate and not gate[j]:
            v = 0.0
        if add:
            dst[j] += v
        else:
            dst[j] = v
    return clipped


@njit(cache=True, error_model="numpy")
def _detect_rows(b0: int, b1: int, p: np.ndarray, ws: np.ndarray, gmat: np.ndarray,
                 k64: np.ndarray, k32: np.ndarray, sc: np.ndarray, nb: int, n_out: int,
                 passes: int, fused: bool, has_s: bool, noisy: bool, adc_on: bool,
                 fast32: bool, key: np.uint64, s_x: np.ndarray, gate: np.ndarray,
                 use_gate: bool, out: np.ndarray, first: bool, x: np.ndarray,
                 inv_s: np.ndarray, c0: int, differential: bool, cont: bool, tmin: float,
                 swing: float, bounds: np.ndarray, levels: np.ndarray, start: np.ndarray,
                 pline: np.ndarray, rin_sigma: float, key_enc: np.uint64,
                 batch_scale: float) -> int:
    """:func:`detect` for samples ``b0 <= b < b1``."""
    if fused:
        encode_rows(x, b0, b1, c0, differential, cont, tmin, swing, bounds, levels, start,
                    pline, rin_sigma, key_enc, s_x, inv_s, p, batch_scale)
    gbuf = np.empty((2, ws.shape[1] if fused else 0), dtype=p.dtype)
    acc = np.empty((2, n_out))
    cur = np.empty(n_out)
    z = np.zeros(n_out, dtype=np.float32)
    scratch = np.empty(n_out // 2 + 1, dtype=np.uint64)
    ref = k64[5]
    ref_out = ref if passes == 1 else np.zeros(n_out)
    kout = sc[6]
    direct = fast32 and passes == 1  # rows go straight to the output
    clipped = 0
    b = b0
    while b < b1:
        # samples in pairs (2i, 2i + 1) when fused; the caller's block edges are even, so
        # a sample's arithmetic does not depend on the thread split
        m = 2 if fused and b + 1 < b1 else 1
        for q in range(passes):
            row = q * nb + b
            if fused:
                if m == 2:
                    _pair_product(p, row, ws, gbuf[0], gbuf[1])
                else:
                    _row_product(p, row, ws, gbuf[0])
            for i in range(m):
                g = gbuf[i] if fused else gmat[row + i]
                gw = g[:n_out]
                gs = g[n_out:] if has_s else gw
                gt = gate[b + i] if use_gate else gate[0]
                if direct:
                    clipped += _noisy_adc_row(gw, gs, n_out, k32, sc, key, (row + i) * n_out,
                                              z, scratch, k64[4], k64[6], kout * s_x[b + i],
                                              out[b + i], not first, gt, use_gate)
                    continue
                # pass 0 lands in acc itself; its reference is subtracted here when later
                # passes follow (same order of operations), else at the output
                a = acc[i]
                dst = a if q == 0 else cur
                if fast32:
                    clipped += _noisy_adc_row(gw, gs, n_out, k32, sc, key, (row + i) * n_out,
                                              z, scratch, k64[4], k64[2], 1.0, dst, False,
                                              gt, False)
                else:
                    clipped += _generic_row(gw, gs, n_out, has_s, k64, sc, noisy, key,
                                            (row + i) * n_out, adc_on, z, scratch, dst)
                if q == 0:
                    if passes > 1:
                        for j in range(n_out):
                            a[j] -= ref[j]
                else:
                    for j in range(n_out):
                        a[j] -= cur[j]
        for i in range(0 if direct else m):
            a = acc[i]
            o = out[b + i]
            gt = gate[b + i] if use_gate else gate[0]
            sb = kout * s_x[b + i]
            if use_gate and first:
                for j in range(n_out):
                    o[j] = (a[j] - ref_out[j]) * sb if gt[j] else 0.0
            elif use_gate:
                for j in range(n_out):
                    o[j] += (a[j] - ref_out[j]) * sb if gt[j] else 0.0
            elif first:
                for j in range(n_out):
                    o[j] = (a[j] - ref_out[j]) * sb
            else:
                for j in range(n_out):
                    o[j] += (a[j] - ref_out[j]) * sb
        b += m
    return clipped


@njit(cache=True, parallel=True)
def detect(p: np.ndarray, ws: np.ndarray, gmat: np.ndarray, k64: np.ndarray,
           k32: np.ndarray, sc: np.ndarray, nb: int, n_out: int, passes: int, fused: bool,
           has_s: bool, noisy: bool, adc_on: bool, fast32: bool, key: np.uint64,
           s_x: np.ndarray, gate: np.ndarray, use_gate: bool, out: np.ndarray,
           first: bool, threads: int, x: np.ndarray, inv_s: np.ndarray, c0: int,
           differential: bool, cont: bool, tmin: float, swing: float, bounds: np.ndarray,
           levels: np.ndarray, start: np.ndarray, pline: np.ndarray, rin_sigma: float,
           key_enc: np.uint64, batch_scale: float) -> int:
    """Adds the detected, scaled and gated outputs to ``out`` ``(nb, n_out)`` (``first``:
    stores them, ``out`` may be uninitialised); returns the number of saturated ADC
    samples. Row ``q nb + b`` of the product (pass ``q`` of sample ``b``) holds
    ``[g_w | g_s]``: ``gmat`` itself, or when ``fused`` computed here from ``p`` and ``ws``
    (C-ordered ``(nc, 2 n_out)``, ``[w | s]``; ``(nc, n_out)`` without ``s``). Noise
    number ``row n_out + j`` of stream ``key``.

    Per-output constants ``k64`` ``(7, n_out)``: idle-channel current ``const_i``, idle
    common-mode power ``const_s``, ADC centre, LSBs per amp ``g_lsb``, amps per LSB
    ``lsb_g``, offset reference ``ref`` and ``centre - ref``; ``k32`` ``(3, n_out)``
    (float32, for ``fast32``, :func:`_noisy_adc_row`): ``const_s``, ``const_i - centre``,
    ``g_lsb``. Scalars ``sc``: half responsivity mismatch, responsivity, shot-noise
    ``2 q B R``, base variance, lowest and highest ADC code, output scale.

    ``fused``: each thread first encodes its samples into ``p`` (and their scales
    ``s_x``, ``inv_s``; ``batch_scale`` > 0: that one scale for every sample) with
    :func:`~._encode.encode_rows` from ``x`` and the encoding arguments that follow
    ``threads``; otherwise ``p``, ``s_x`` are the caller's.

    Samples are split into contiguous blocks over up to ``threads`` threads (the caller's
    ``numba.get_num_threads()``) once each gets :data:`PARALLEL_WORK` outputs: the noise
    is counter-based and every output is computed by one thread, so the result does not
    depend on the split."""
    chunks = min(threads, nb * n_out * passes // PARALLEL_WORK)
    if chunks <= 1:
        return _detect_rows(0, nb, p, ws, gmat, k64, k32, sc, nb, n_out, passes, fused,
                            has_s, noisy, adc_on, fast32, key, s_x, gate, use_gate, out, first,
                            x, inv_s, c0, differential, cont, tmin, swing, bounds, levels,
                            start, pline, rin_sigma, key_enc, batch_scale)
    # per-chunk counts, not a prange reduction: a reduction makes the function uncacheable
    clipped = np.zeros(chunks, dtype=np.int64)
    for c in prange(chunks):
        # even block edges: fused samples are paired (2i, 2i + 1) whatever the split
        b0 = (c * nb // chunks) // 2 * 2
        b1 = nb if c == chunks - 1 else ((c + 1) * nb // chunks) // 2 * 2
        clipped[c] = _detect_rows(b0, b1, p, ws, gmat,
                                  k64, k32, sc, nb, n_out, passes, fused, has_s, noisy,
                                  adc_on, fast32, key, s_x, gate, use_gate, out, first, x,
                                  inv_s, c0, differential, cont, tmin, swing, bounds, levels,
                                  start, pline, rin_sigma, key_enc, batch_scale)
    return clipped.sum()

