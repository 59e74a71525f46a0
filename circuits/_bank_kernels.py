"""Fused numba kernels: the whole bank at many (heater state, wavelength) points.

They compute exactly what :func:`photonic_dfa.circuits.bank_solvers.cascade` computes
(phase in cycles, ring sections, star product or single-pass products) in one pass per
point with everything in registers, instead of a dozen full-size numpy temporaries per
ring. The numpy path stays the reference (tests compare them) and serves the prefix/suffix
scans of the inverse.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["bank_exact", "bank_fast"]


@njit(cache=True, inline="always")
def _inv(z):  # pragma: no cover
    """``1 / z`` without the overflow-safe scaling of generic complex division (the
    denominators here are of order one)."""
    s = 1.0 / (z.real * z.real + z.imag * z.imag)
    return complex(z.real * s, -z.imag * s)


@njit(cache=True)
def bank_exact(wl, theta, p0, pt, q, a, r1, r2, bus, thru, drop):  # pragma: no cover
    """Coherent star-product cascade. ``wl`` (W,), ``theta`` (B, N), ring arrays (N,),
    ``bus`` (W,) complex field transmission of one segment (ones for none);
    writes ``thru``/``drop`` (B, W)."""
    nb, n = theta.shape
    nw = wl.shape[0]
    k = np.sqrt((1.0 - r1 * r1) * (1.0 - r2 * r2) * a)
    x = r1 * r2 * a
    for b in range(nb):
        for w in range(nw):
            lam = wl[w]
            pb = bus[w]
            pb2 = pb * pb
            at = 1.0 + 0.0j
            al = 0.0 + 0.0j
            at2 = 1.0 + 0.0j
            ar = 0.0 + 0.0j
            for j in range(n):
                t = p0[j] / lam + q[j]
                t = t - 2.0 * math.floor(0.5 * t + 0.5)
                t = t + pt[j] * theta[b, j] / lam
                t = t - 2.0 * math.floor(0.5 * t + 0.5)
                h = complex(math.cos(math.pi * t), math.sin(math.pi * t))
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


@njit(cache=True)
def bank_fast(wl, theta, p0, pt, q, a, r1, r2, bus, thru, drop):  # pragma: no cover
    """Single-pass incoherent products; ``bus`` (W,) power transmission of one segment."""
    nb, n = theta.shape
    nw = wl.shape[0]
    x = r1 * r2 * a
    dnum = (1.0 - r1 * r1) * (1.0 - r2 * r2) * a
    num1 = (r2 * a) ** 2 + r1 * r1
    num2 = (r1 * a) ** 2 + r2 * r2
    den0 = 1.0 + x * x
    for b in range(nb):
        for w in range(nw):
            lam = wl[w]
            pb = bus[w]
            tt = 1.0
            u = 1.0
            d = 0.0
            for j in range(n):
                t = p0[j] / lam + q[j]
                t = t - math.floor(t + 0.5)
                t = t + pt[j] * theta[b, j] / lam
                t = t - math.floor(t + 0.5)
                c2x = 2.0 * x[j] * math.cos(2.0 * math.pi * t)
                g = 1.0 / (den0[j] - c2x)
                t1 = (num1[j] - c2x) * g
                if j > 0:
                    tt *= pb
                    u *= pb * pb
                d += u * dnum[j] * g
                u *= t1 * (num2[j] - c2x) * g
                tt *= t1
            thru[b, w] = tt
            drop[b, w] = d


# ---------------------------------------------------------------------- weight inverse
@njit(cache=True, inline="always", error_model="numpy")
def _cos2pi(t):  # pragma: no cover
    """``cos(2 pi t)`` for ``|t| <= 1``: exact reduction to the nearest quarter cycle and
    Taylor polynomials on ``|y| <= pi / 4`` (truncation below 1e-17), within a few ulp of
    libm; branch-free so loops over it vectorise."""
    n = math.floor(4.0 * t + 0.5)
    r = t - 0.25 * n  # exact (Sterbenz)
    y = 2.0 * math.pi * r
    z = y * y
    c = 1.0 + z * (-1.0 / 2 + z * (1.0 / 24 + z * (-1.0 / 720 + z * (1.0 / 40320 + z * (
        -1.0 / 3628800 + z * (1.0 / 479001600 + z * (-1.0 / 87178291200
                                                      + z * (1.0 / 20922789888000))))))))
    s = y * (1.0 + z * (-1.0 / 6 + z * (1.0 / 120 + z * (-1.0 / 5040 + z * (
        1.0 / 362880 + z * (-1.0 / 39916800 + z * (1.0 / 6227020800 + z * (
            -1.0 / 1307674368000 + z * (1.0 / 355687428096000)))))))))
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
    """Single-pass sections ``(T1, D, T2)`` of ring j at channel k, ``(N, N)``, for ring
    temperatures ``th`` (as :func:`~.bank_solvers.ring_elements` of ``RingArrays.cycles``)."""
    n = th.shape[0]
    for k in range(n):
        for j in range(n):
            c = _reduce2(cold[k, j] + pt[j] * th[j] / lam[k])
            cyc[k, j] = c
            c2x = x2[j] * _cos2pi(c)
            g = 1.0 / (den0[j] - c2x)
            t1[k, j] = (num1[j] - c2x) * g
            dd[k, j] = dnum[j] * g
            t2[k, j] = (num2[j] - c2x) * g


@njit(cache=True, error_model="numpy")
def _bank_weights(t1, dd, t2, pb, w):  # pragma: no cover
    """``w_k = T_drop - T_thru`` of the whole bank at channel k, left to right."""
    n = t1.shape[0]
    for k in range(n):
        tt = 1.0
        u = 1.0
        d = 0.0
        for j in range(n):
            if j > 0:
                tt *= pb
                u *= pb * pb
            d += u * dd[k, j]
            u *= t1[k, j] * t2[k, j]
            tt *= t1[k, j]
        w[k] = d - tt


@njit(cache=True, error_model="numpy")
def _prefix_suffix(t1, dd, t2, pb, pt_, pl, pt2, qt, ql, qt2):  # pragma: no cover
    """:func:`~.bank_solvers.prefix_suffix` for single-pass sections: everything left
    (``p*``) and right (``q*``) of ring j at channel k, ``(N, N)``."""
    n = t1.shape[0]
    for k in range(n):
        at, al, at2 = 1.0, 0.0, 1.0
        pt_[k, 0], pl[k, 0], pt2[k, 0] = at, al, at2
        for j in range(1, n):
            bt, bl, bt2 = t1[k, j - 1], dd[k, j - 1], t2[k, j - 1]
            al = al + at * bl * at2
            at = at * bt * pb
            at2 = at2 * bt2 * pb
            pt_[k, j], pl[k, j], pt2[k, j] = at, al, at2
        at, al, at2 = 1.0, 0.0, 1.0
        qt[k, n - 1], ql[k, n - 1], qt2[k, n - 1] = at, al, at2
        for j in range(n - 2, -1, -1):
            st, sl, st2 = t1[k, j + 1], dd[k, j + 1], t2[k, j + 1]
            nt = st * at
            nl = sl + st * al * st2
            nt2 = st2 * at2
            at, al, at2 = nt * pb, nl * (pb * pb), nt2 * pb
            qt[k, j], ql[k, j], qt2[k, j] = at, al, at2


@njit(cache=True, inline="always", error_model="numpy")
def _compose_w(pt_, pl, pt2, st, sl, st2, qt, ql):  # pragma: no cover
    """``L - T`` of ``P * S * Q`` (single-pass star products)."""
    at = pt_ * st
    al = pl + pt_ * sl * pt2
    at2 = pt2 * st2
    return (al + at * ql * at2) - at * qt


@njit(cache=True, inline="always", error_model="numpy")
def _ring_w(x, k, cold, lam, pt, x2, den0, num1, num2, dnum, pt_, pl, pt2, qt,
            ql):  # pragma: no cover
    """Weight of channel k with ring k at temperature ``x``, the others held (scans)."""
    c = _reduce2(cold[k, k] + pt[k] * x / lam[k])
    c2x = x2[k] * _cos2pi(c)
    g = 1.0 / (den0[k] - c2x)
    return _compose_w(pt_[k, k], pl[k, k], pt2[k, k], (num1[k] - c2x) * g, dnum[k] * g,
                      (num2[k] - c2x) * g, qt[k, k], ql[k, k])


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
    Jacobian was singular (the caller solves those rows otherwise)."""
    nr, n = tgt.shape
    cyc = np.empty((n, n))
    ea = np.empty((3, n, n))
    eb = np.empty((3, n, n))
    pre = np.empty((3, n, n))
    suf = np.empty((3, n, n))
    jac = np.empty((n, n))
    w = np.empty(n)
    r = np.empty(n)
    rt = np.empty(n)
    xs = np.empty(n)
    trial = np.empty(n)
    th = np.empty(n)
    lim = 0.1 * goal
    for row in range(nr):
        status[row] = 0
        tg = tgt[row]
        for k in range(n):
            th[k] = min(max(theta0[row, k], lo[k]), hi[k])
        cur, oth = ea, eb  # elements at th, scratch
        _elements(th, cold, lam, pt, x2, den0, num1, num2, dnum, cyc, cur[0], cur[1], cur[2])
        _bank_weights(cur[0], cur[1], cur[2], pb, w)
        for k in range(n):
            r[k] = 0.0 if stuck[k] else w[k] - tg[k]
        for _ in range(max_iter):
            big = 0.0
            for k in range(n):
                big = max(big, abs(r[k]))
            if not big > goal:
                break
            # Jacobi sweep: every ring's own equation, the others held at th
            _prefix_suffix(cur[0], cur[1], cur[2], pb, pre[0], pre[1], pre[2], suf[0],
                           suf[1], suf[2])
            for k in range(n):
                x = min(max(th[k], lo[k]), hi[k])
                if stuck[k]:
                    xs[k] = x
                    continue
                a = lo[k]
                b = hi[k]
                left = extra
                for _it in range(80):
                    fx = _ring_w(x, k, cold, lam, pt, x2, den0, num1, num2, dnum, pre[0],
                                 pre[1], pre[2], suf[0], suf[1]) - tg[k]
                    if fx > 0:
                        a = x
                    else:
                        b = x
                    if abs(fx) <= lim or b - a <= 1e-14 * abs(b):
                        if left == 0:
                            break
                        left -= 1
                    df = (_ring_w(x + h[k], k, cold, lam, pt, x2, den0, num1, num2, dnum,
                                  pre[0], pre[1], pre[2], suf[0], suf[1])
                          - _ring_w(x - h[k], k, cold, lam, pt, x2, den0, num1, num2, dnum,
                                    pre[0], pre[1], pre[2], suf[0], suf[1])) / (2.0 * h[k])
                    xn = x - fx / df
                    if df < 0 and xn > a and xn < b:
                        x = xn
                    else:
                        x = 0.5 * (a + b)
                xs[k] = x
            # full Jacobian at the sweep's point (central differences, as the reference)
            _elements(xs, cold, lam, pt, x2, den0, num1, num2, dnum, cyc, oth[0], oth[1],
                      oth[2])
            _prefix_suffix(oth[0], oth[1], oth[2], pb, pre[0], pre[1], pre[2], suf[0],
                           suf[1], suf[2])
            ss = 0.0
            for k in range(n):
                r[k] = _compose_w(pre[0, k, 0], pre[1, k, 0], pre[2, k, 0], oth[0, k, 0],
                                  oth[1, k, 0], oth[2, k, 0], suf[0, k, 0], suf[1, k, 0]) - tg[k]
                if stuck[k]:
                    r[k] = 0.0
                ss += r[k] * r[k]
                for j in range(n):
                    if stuck[k] or stuck[j]:
                        jac[k, j] = 1.0 if k == j else 0.0
                        continue
                    cp = x2[j] * _cos2pi(cyc[k, j] + dcyc[k, j])
                    cm = x2[j] * _cos2pi(cyc[k, j] - dcyc[k, j])
                    gp = 1.0 / (den0[j] - cp)
                    gm = 1.0 / (den0[j] - cm)
                    wp = _compose_w(pre[0, k, j], pre[1, k, j], pre[2, k, j], (num1[j] - cp) * gp,
                                    dnum[j] * gp, (num2[j] - cp) * gp, suf[0, k, j], suf[1, k, j])
                    wm = _compose_w(pre[0, k, j], pre[1, k, j], pre[2, k, j], (num1[j] - cm) * gm,
                                    dnum[j] * gm, (num2[j] - cm) * gm, suf[0, k, j], suf[1, k, j])
                    jac[k, j] = (wp - wm) / (2.0 * h[j])
            for k in range(n):
                rt[k] = -r[k]
            if not _solve(jac, rt):
                status[row] = 1
                break
            for k in range(n):
                trial[k] = min(max(xs[k] + rt[k], lo[k]), hi[k])
            _elements(trial, cold, lam, pt, x2, den0, num1, num2, dnum, cyc, cur[0], cur[1],
                      cur[2])
            _bank_weights(cur[0], cur[1], cur[2], pb, w)
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
                _bank_weights(cur[0], cur[1], cur[2], pb, w)
                for k in range(n):
                    th[k] = xs[k]
                    r[k] = 0.0 if stuck[k] else w[k] - tg[k]
        for k in range(n):
            theta[row, k] = th[k]
