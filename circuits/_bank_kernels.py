"""Fused numba kernels: the whole bank at many (heater state, wavelength) points, and the
weight inverse of the ``fast`` solver.

:func:`bank_exact` and :func:`bank_fast` compute what
:func:`photonic_dfa.circuits.bank_solvers.cascade` computes (phase in cycles, ring
sections, star product or single-pass products) in one pass per point with everything in
registers, instead of a dozen full-size numpy temporaries per ring. The numpy path stays
the reference (tests compare them). :func:`inverse_fast` runs the algorithm of
``WeightBank._newton_reference`` row by row with the prefix/suffix scans in small scratch
arrays. The phases are reduced exactly to a quarter cycle and their cosine and sine taken
from fdlibm's polynomial kernels (about 1 ulp), which lets the loops over rings and
channels vectorise.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["bank_exact", "bank_fast", "inverse_fast", "lu_rows"]


@njit(cache=True, inline="always")
def _inv(z):  # pragma: no cover
    """``1 / z`` without the overflow-safe scaling of generic complex division (the
    denominators here are of order one)."""
    s = 1.0 / (z.real * z.real + z.imag * z.imag)
    return complex(z.real * s, -z.imag * s)


@njit(cache=True, error_model="numpy")
def bank_exact(wl, theta, p0, pt, q, a, r1, r2, bus, thru, drop):  # pragma: no cover
    """Coherent star-product cascade. ``wl`` (W,), ``theta`` (B, N), ring arrays (N,),
    ``bus`` (W,) complex field transmission of one segment (ones for none);
    writes ``thru``/``drop`` (B, W)."""
    nb, n = theta.shape
    nw = wl.shape[0]
    k = np.sqrt((1.0 - r1 * r1) * (1.0 - r2 * r2) * a)
    x = r1 * r2 * a
    cold = _cold(wl, p0, q, 2.0)
    hc = np.empty(n)
    hs = np.empty(n)
    for b in range(nb):
        for w in range(nw):
            lam = wl[w]
            for j in range(n):  # phases first: a loop the compiler vectorises
                t = cold[w, j] + pt[j] * theta[b, j] / lam
                t = t - 2.0 * math.floor(0.5 * t + 0.5)
                hc[j], hs[j] = _cossin2pi(0.5 * t)
            pb = bus[w]
            pb2 = pb * pb
            at = 1.0 + 0.0j
            al = 0.0 + 0.0j
            at2 = 1.0 + 0.0j
            ar = 0.0 + 0.0j
            for j in range(n):
                h = complex(hc[j], hs[j])
                e = h * h
                g = _inv(1.0 - x[j] * e)
                bt = (r1[j] - r2[j] * a[j] * e) * g
                bt2 = (r2[j] - r1[j] * a[j] * e) * g
                bd = -k[j] * h * g
                if j > 0:
                    at = at * pb
                    at2 = at2 * pb
                    ar = ar * pb2
                gg = _inv(1.0 - ar * bd)
                al = al + at2 * bd * at * gg
                ar = bd + bt * ar * bt2 * gg
                at = at * bt * gg
                at2 = at2 * bt2 * gg
            thru[b, w] = at.real * at.real + at.imag * at.imag
            drop[b, w] = al.real * al.real + al.imag * al.imag


@njit(cache=True, error_model="numpy")
def bank_fast(wl, theta, p0, pt, q, a, r1, r2, bus, thru, drop):  # pragma: no cover
    """Single-pass incoherent products; ``bus`` (W,) power transmission of one segment."""
    nb, n = theta.shape
    nw = wl.shape[0]
    x = r1 * r2 * a
    dnum = (1.0 - r1 * r1) * (1.0 - r2 * r2) * a
    num1 = (r2 * a) ** 2 + r1 * r1
    num2 = (r1 * a) ** 2 + r2 * r2
    den0 = 1.0 + x * x
    cold = _cold(wl, p0, q, 1.0)
    c2x = np.empty(n)
    for b in range(nb):
        for w in range(nw):
            lam = wl[w]
            for j in range(n):  # phases first: a loop the compiler vectorises
                t = cold[w, j] + pt[j] * theta[b, j] / lam
                t = t - math.floor(t + 0.5)
                c2x[j] = 2.0 * x[j] * _cos2pi(t)
            pb = bus[w]
            tt = 1.0
            u = 1.0
            d = 0.0
            for j in range(n):
                g = 1.0 / (den0[j] - c2x[j])
                t1 = (num1[j] - c2x[j]) * g
                if j > 0:
                    tt *= pb
                    u *= pb * pb
                d += u * dnum[j] * g
                u *= t1 * (num2[j] - c2x[j]) * g
                tt *= t1
            thru[b, w] = tt
            drop[b, w] = d


@njit(cache=True, error_model="numpy")
def _cold(wl, p0, q, period):  # pragma: no cover
    """Cold round-trip phase ``p0 / lambda + q`` reduced modulo ``period`` cycles,
    ``(W, N)``: independent of the heater state, computed once per call."""
    nw, n = wl.shape[0], p0.shape[0]
    out = np.empty((nw, n))
    for w in range(nw):
        for j in range(n):
            t = p0[j] / wl[w] + q[j]
            if period == 1.0:
                out[w, j] = t - math.floor(t + 0.5)
            else:
                out[w, j] = t - 2.0 * math.floor(0.5 * t + 0.5)
    return out


@njit(cache=True, inline="always", error_model="numpy")
def _cossin2pi(t):  # pragma: no cover
    """``(cos 2 pi t, sin 2 pi t)`` for ``|t| <= 1`` (see :func:`_cos2pi`)."""
    n = math.floor(4.0 * t + 0.5)
    r = t - 0.25 * n  # exact (Sterbenz)
    y = 2.0 * math.pi * r
    z = y * y
    c = _cos_poly(y, z)
    s = _sin_poly(y, z)
    q = int(n) & 3
    # quarter q: (c, s), (-s, c), (-c, -s), (s, -c)
    cc = s if q & 1 else c
    ss = c if q & 1 else s
    return (-cc if (q + 1) & 2 else cc), (-ss if q & 2 else ss)


@njit(cache=True, inline="always")
def _cos_poly(y, z):  # pragma: no cover
    """``cos y`` for ``|y| <= pi / 4``, ``z = y^2``: minimax polynomial and compensated
    sum of fdlibm's ``__kernel_cos`` (under 1 ulp)."""
    w = z * z
    r = z * (4.16666666666666019037e-02 + z * (-1.38888888888741095749e-03
                                               + z * 2.48015872894767294178e-05)) \
        + w * w * (-2.75573143513906633035e-07 + z * (2.08757232129817482790e-09
                                                     + z * -1.13596475577881948265e-11))
    hz = 0.5 * z
    v = 1.0 - hz
    return v + (((1.0 - v) - hz) + z * r)


@njit(cache=True, inline="always")
def _sin_poly(y, z):  # pragma: no cover
    """``sin y`` for ``|y| <= pi / 4``, ``z = y^2`` (fdlibm's ``__kernel_sin``)."""
    w = z * z
    r = 8.33333333332248946124e-03 + z * (-1.98412698298579493134e-04
                                          + z * 2.75573137070700676789e-06) \
        + z * w * (-2.50507602534068634195e-08 + z * 1.58969099521155010221e-10)
    return y + z * y * (-1.66666666666666324348e-01 + z * r)


# ---------------------------------------------------------------------- weight inverse
@njit(cache=True, inline="always", error_model="numpy")
def _cos2pi(t):  # pragma: no cover
    """``cos(2 pi t)`` for ``|t| <= 1``: exact reduction to the nearest quarter cycle
    (Sterbenz) and fdlibm's polynomial kernels on ``|y| <= pi / 4``, about 1 ulp of the
    true value (closer than libm's ``cos(2 pi t)``, whose product ``2 pi t`` rounds first);
    branch-free so loops over it vectorise."""
    n = math.floor(4.0 * t + 0.5)
    r = t - 0.25 * n  # exact (Sterbenz)
    y = 2.0 * math.pi * r
    z = y * y
    c = _cos_poly(y, z)
    s = _sin_poly(y, z)
    q = int(n) & 3
    # quarter q: c, -s, -c, s (selects, not branches)
    v = s if q & 1 else c
    return -v if (q + 1) & 2 else v


@njit(cache=True, inline="always", error_model="numpy")
def _reduce2(t):  # pragma: no cover
    """:func:`~.bank_solvers.reduce_cycles`: phase modulo two cycles, in [-1, 1)."""
    return t - 2.0 * math.floor(0.5 * t + 0.5)


@njit(cache=True, error_model="numpy")
def _elements(th, cold, lam, pt, x2, den0, num1, num2, dnum, cyc, t1, dd, t2):  # pragma: no cover
    """Single-pass sections ``(T1, D, T2)`` of ring j at channel k, ``[j, k]``, for ring
    temperatures ``th`` (as :func:`~.bank_solvers.ring_elements` of ``RingArrays.cycles``).
    Arrays are ring-major so the inner loops over channels vectorise."""
    n = th.shape[0]
    for j in range(n):
        ptj = pt[j] * th[j]
        for k in range(n):
            c = _reduce2(cold[j, k] + ptj / lam[k])
            cyc[j, k] = c
            c2x = x2[j] * _cos2pi(c)
            g = 1.0 / (den0[j] - c2x)
            t1[j, k] = (num1[j] - c2x) * g
            dd[j, k] = dnum[j] * g
            t2[j, k] = (num2[j] - c2x) * g


@njit(cache=True, error_model="numpy")
def _bank_weights(t1, dd, t2, pb, w, tt, u):  # pragma: no cover
    """``w_k = T_drop - T_thru`` of the whole bank at channel k, rings left to right
    (``tt``, ``u`` scratch)."""
    n = t1.shape[0]
    for k in range(n):
        tt[k] = 1.0
        u[k] = 1.0
        w[k] = 0.0
    for j in range(n):
        if j > 0:
            for k in range(n):
                tt[k] *= pb
                u[k] *= pb * pb
        for k in range(n):
            w[k] += u[k] * dd[j, k]
            u[k] *= t1[j, k] * t2[j, k]
            tt[k] *= t1[j, k]
    for k in range(n):
        w[k] -= tt[k]


@njit(cache=True, error_model="numpy")
def _prefix_suffix(t1, dd, t2, pb, pre, suf):  # pragma: no cover
    """:func:`~.bank_solvers.prefix_suffix` for single-pass sections: everything left
    (``pre``) and right (``suf``) of ring j at channel k, ``(T, L, T2)`` of ``[j, k]``
    arrays."""
    n = t1.shape[0]
    for k in range(n):
        pre[0][0, k] = 1.0
        pre[1][0, k] = 0.0
        pre[2][0, k] = 1.0
        suf[0][n - 1, k] = 1.0
        suf[1][n - 1, k] = 0.0
        suf[2][n - 1, k] = 1.0
    for j in range(1, n):
        for k in range(n):
            at, al, at2 = pre[0][j - 1, k], pre[1][j - 1, k], pre[2][j - 1, k]
            pre[1][j, k] = al + at * dd[j - 1, k] * at2
            pre[0][j, k] = at * t1[j - 1, k] * pb
            pre[2][j, k] = at2 * t2[j - 1, k] * pb
    for j in range(n - 2, -1, -1):
        for k in range(n):
            at, al, at2 = suf[0][j + 1, k], suf[1][j + 1, k], suf[2][j + 1, k]
            st, st2 = t1[j + 1, k], t2[j + 1, k]
            suf[0][j, k] = st * at * pb
            suf[1][j, k] = (dd[j + 1, k] + st * al * st2) * (pb * pb)
            suf[2][j, k] = st2 * at2 * pb


@njit(cache=True, inline="always", error_model="numpy")
def _compose_w(pt_, pl, pt2, st, sl, st2, qt, ql):  # pragma: no cover
    """``L - T`` of ``P * S * Q`` (single-pass star products)."""
    at = pt_ * st
    al = pl + pt_ * sl * pt2
    at2 = pt2 * st2
    return (al + at * ql * at2) - at * qt


@njit(cache=True, error_model="numpy")
def _ring_ws(x, dx, diag, lam, pt, x2, den0, num1, num2, dnum, out):  # pragma: no cover
    """``out[k]``: weight of channel k with ring k at ``x[k] + dx[k]`` and every other
    ring held; ``diag`` ``(6, N)``: ring k's cold phase at channel k and the prefix
    ``(T, L, T2)`` and suffix ``(T, L)`` around it (contiguous, so the loop vectorises)."""
    n = x.shape[0]
    for k in range(n):
        c = _reduce2(diag[0, k] + pt[k] * (x[k] + dx[k]) / lam[k])
        c2x = x2[k] * _cos2pi(c)
        g = 1.0 / (den0[k] - c2x)
        out[k] = _compose_w(diag[1, k], diag[2, k], diag[3, k], (num1[k] - c2x) * g,
                            dnum[k] * g, (num2[k] - c2x) * g, diag[4, k], diag[5, k])


@njit(cache=True, error_model="numpy")
def _solve(a, b):  # pragma: no cover
    """Solve ``a x = b`` in place (``b`` becomes ``x``) by Gaussian elimination with
    partial pivoting; False if ``a`` is singular."""
    n = a.shape[0]
    for c in range(n):
        p = c
        for i in range(c + 1, n):
            if abs(a[i, c]) > abs(a[p, c]):
                p = i
        if not a[p, c] != 0.0 or not math.isfinite(a[p, c]):
            return False
        if p != c:
            for j in range(n):
                a[c, j], a[p, j] = a[p, j], a[c, j]
            b[c], b[p] = b[p], b[c]
        inv = 1.0 / a[c, c]
        for i in range(c + 1, n):
            f = a[i, c] * inv
            if f != 0.0:
                for j in range(c + 1, n):
                    a[i, j] -= f * a[c, j]
                b[i] -= f * b[c]
    for c in range(n - 1, -1, -1):
        s = b[c]
        for j in range(c + 1, n):
            s -= a[c, j] * b[j]
        b[c] = s / a[c, c]
    return True


@njit(cache=True, error_model="numpy")
def inverse_fast(theta0, tgt, lam, pt, cold, dcyc, x2, den0, num1, num2, dnum, pb, lo, hi,
                 stuck, h, goal, max_iter, extra, theta, status):  # pragma: no cover
    """Ring temperatures ``theta`` ``(R, N)`` with bank weights ``tgt`` (``fast`` solver),
    row by row: the algorithm of ``WeightBank._newton_reference`` (Jacobi sweeps of
    bracketed per-ring Newton solves, then a full-Jacobian Newton trial kept if it lowers
    ``|w - target|_2``, until ``max|w - target| <= goal``), each ring's 1-D solve stopped
    at its own convergence plus ``extra`` polishing steps. ``status[r]`` is 1 where the
    Jacobian was singular (the caller solves those rows otherwise).

    One thread: numba's parallel workers keep spinning after a call and starve the
    multi-threaded BLAS calls that follow (in a trial with two threads, the 16 x 800 LU
    solve right after took 47 ms instead of 0.1 ms)."""
    n = tgt.shape[1]
    cyc = np.empty((n, n))
    ea = (np.empty((n, n)), np.empty((n, n)), np.empty((n, n)))
    eb = (np.empty((n, n)), np.empty((n, n)), np.empty((n, n)))
    pre = (np.empty((n, n)), np.empty((n, n)), np.empty((n, n)))
    suf = (np.empty((n, n)), np.empty((n, n)), np.empty((n, n)))
    jac = np.empty((n, n))
    jt = np.empty((n, n))
    diag = np.empty((6, n))  # read only in the loops
    # separate allocations, not rows of one: the vectoriser's overlap checks then pass
    w = np.empty(n)
    r = np.empty(n)
    rt = np.empty(n)
    xs = np.empty(n)
    trial = np.empty(n)
    th = np.empty(n)
    tt = np.empty(n)
    u = np.empty(n)
    fx = np.empty(n)
    fp = np.empty(n)
    fm = np.empty(n)
    a = np.empty(n)
    b = np.empty(n)
    zero = np.zeros(n)
    hm = -h
    left = np.empty(n, dtype=np.int64)
    act = np.empty(n, dtype=np.bool_)
    lim = 0.1 * goal
    for row in range(tgt.shape[0]):
        status[row] = 0
        tg = tgt[row]
        for k in range(n):
            th[k] = min(max(theta0[row, k], lo[k]), hi[k])
        cur, oth = ea, eb  # elements at th, scratch
        _elements(th, cold, lam, pt, x2, den0, num1, num2, dnum, cyc, cur[0], cur[1], cur[2])
        _bank_weights(cur[0], cur[1], cur[2], pb, w, tt, u)
        for k in range(n):
            r[k] = 0.0 if stuck[k] else w[k] - tg[k]
        for _ in range(max_iter):
            big = 0.0
            for k in range(n):
                big = max(big, abs(r[k]))
            if not big > goal:
                break
            # Jacobi sweep: every ring's own bracketed Newton solve, the others held at th;
            # the rings run side by side (vector loops), each stops at its own convergence
            _prefix_suffix(cur[0], cur[1], cur[2], pb, pre, suf)
            for k in range(n):
                diag[0, k] = cold[k, k]
                diag[1, k] = pre[0][k, k]
                diag[2, k] = pre[1][k, k]
                diag[3, k] = pre[2][k, k]
                diag[4, k] = suf[0][k, k]
                diag[5, k] = suf[1][k, k]
                xs[k] = min(max(th[k], lo[k]), hi[k])
                a[k] = lo[k]
                b[k] = hi[k]
                left[k] = extra
                act[k] = not stuck[k]
            for _it in range(80):
                _ring_ws(xs, zero, diag, lam, pt, x2, den0, num1, num2, dnum, fx)
                more = False
                for k in range(n):
                    if act[k]:
                        f = fx[k] - tg[k]
                        fx[k] = f
                        if f > 0:
                            a[k] = xs[k]
                        else:
                            b[k] = xs[k]
                        if abs(f) <= lim or b[k] - a[k] <= 1e-14 * abs(b[k]):
                            if left[k] == 0:
                                act[k] = False
                                continue
                            left[k] -= 1
                        more = True
                if not more:
                    break
                _ring_ws(xs, h, diag, lam, pt, x2, den0, num1, num2, dnum, fp)
                _ring_ws(xs, hm, diag, lam, pt, x2, den0, num1, num2, dnum, fm)
                for k in range(n):
                    if act[k]:
                        df = (fp[k] - fm[k]) / (2.0 * h[k])
                        xn = xs[k] - fx[k] / df
                        if df < 0 and xn > a[k] and xn < b[k]:
                            xs[k] = xn
                        else:
                            xs[k] = 0.5 * (a[k] + b[k])
            # full Jacobian at the sweep's point (central differences, as the reference)
            _elements(xs, cold, lam, pt, x2, den0, num1, num2, dnum, cyc, oth[0], oth[1],
                      oth[2])
            _prefix_suffix(oth[0], oth[1], oth[2], pb, pre, suf)
            ss = 0.0
            for k in range(n):
                r[k] = 0.0 if stuck[k] else _compose_w(
                    pre[0][0, k], pre[1][0, k], pre[2][0, k], oth[0][0, k], oth[1][0, k],
                    oth[2][0, k], suf[0][0, k], suf[1][0, k]) - tg[k]
                ss += r[k] * r[k]
            for j in range(n):
                for k in range(n):
                    cp = x2[j] * _cos2pi(cyc[j, k] + dcyc[j, k])
                    cm = x2[j] * _cos2pi(cyc[j, k] - dcyc[j, k])
                    gp = 1.0 / (den0[j] - cp)
                    gm = 1.0 / (den0[j] - cm)
                    wp = _compose_w(pre[0][j, k], pre[1][j, k], pre[2][j, k],
                                    (num1[j] - cp) * gp, dnum[j] * gp, (num2[j] - cp) * gp,
                                    suf[0][j, k], suf[1][j, k])
                    wm = _compose_w(pre[0][j, k], pre[1][j, k], pre[2][j, k],
                                    (num1[j] - cm) * gm, dnum[j] * gm, (num2[j] - cm) * gm,
                                    suf[0][j, k], suf[1][j, k])
                    jt[j, k] = (wp - wm) / (2.0 * h[j])  # contiguous stores: vectorises
            for k in range(n):
                for j in range(n):
                    jac[k, j] = jt[j, k]
            for k in range(n):
                rt[k] = -r[k]
                if stuck[k]:
                    for j in range(n):
                        jac[k, j] = 0.0
                        jac[j, k] = 0.0
            for k in range(n):
                if stuck[k]:
                    jac[k, k] = 1.0
            if not _solve(jac, rt):
                status[row] = 1
                break
            for k in range(n):
                trial[k] = min(max(xs[k] + rt[k], lo[k]), hi[k])
            _elements(trial, cold, lam, pt, x2, den0, num1, num2, dnum, cyc, cur[0], cur[1],
                      cur[2])
            _bank_weights(cur[0], cur[1], cur[2], pb, w, tt, u)
            st = 0.0
            for k in range(n):
                rt[k] = 0.0 if stuck[k] else w[k] - tg[k]
                st += rt[k] * rt[k]
            if st < ss:
                for k in range(n):
                    th[k] = trial[k]
                    r[k] = rt[k]
            else:  # keep the sweep's point: its elements are in oth
                cur, oth = oth, cur
                _bank_weights(cur[0], cur[1], cur[2], pb, w, tt, u)
                for k in range(n):
                    th[k] = xs[k]
                    r[k] = 0.0 if stuck[k] else w[k] - tg[k]
        for k in range(n):
            theta[row, k] = th[k]


@njit(cache=True)
def lu_rows(lu, piv, rhs, out):  # pragma: no cover
    """``out[r] = A^-1 rhs[r]`` for every row, from ``scipy.linalg.lu_factor``'s ``(lu,
    piv)`` of ``A`` (LAPACK ``getrs`` by substitution, one row at a time: no BLAS threads
    to wake for a few thousand tiny solves)."""
    n = lu.shape[0]
    b = np.empty(n)
    for r in range(rhs.shape[0]):
        for i in range(n):
            b[i] = rhs[r, i]
        for i in range(n):
            p = piv[i]
            if p != i:
                b[i], b[p] = b[p], b[i]
        for i in range(n):
            s = b[i]
            for k in range(i):
                s -= lu[i, k] * b[k]
            b[i] = s
        for i in range(n - 1, -1, -1):
            s = b[i]
            for k in range(i + 1, n):
                s -= lu[i, k] * b[k]
            b[i] = s / lu[i, i]
        for i in range(n):
            out[r, i] = b[i]
