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
