"""Fused numba kernels for the microring power responses.

A ring's round-trip phase in cycles is affine in inverse wavelength,
``t = phi / (2 pi) = p / lambda + q`` with ``p = (n_g + dn_dT dT) L`` and
``q = extra / (2 pi) - (n_g - n_eff0) L / lambda0`` (first-order dispersion makes
``n_eff(lambda) L / lambda`` exactly of this form). Working in cycles makes range reduction
exact (``t - round(t)`` loses nothing), so ``sin^2(phi / 2)`` is a short polynomial that LLVM
vectorises, unlike a libm call.

The add-drop formulas (Bogaerts et al., Laser Photonics Rev. 6, 47 (2012)) are evaluated with
``1 - cos phi = 2 sin^2(phi / 2)`` so that nothing cancels near resonance (``x = r1 r2 a``,
``S = sin^2(phi / 2)``):

- through ``((r2 a - r1)^2 + 4 x S) / ((1 - x)^2 + 4 x S)``
- drop ``(1 - r1^2)(1 - r2^2) a / ((1 - x)^2 + 4 x S)``

These equal the ``cos phi`` forms (``docs/physics.md``) exactly; written this way a
critically coupled ring's through port reaches its true (tiny) minimum instead of a rounding
floor of ``~eps / (1 - x)^2``. An all-pass ring is the add-drop ring with ``r2 = 1``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["sin2_half_cycle", "through_from_wavelength", "spectra_from_wavelength",
           "through_from_cycles", "spectra_from_cycles"]

# No "reassoc"/"nnan"/"ninf": the exact range reduction and the NaN/inf test on wavelengths
# must survive optimisation; contraction to FMA and reciprocal division are harmless here.
_FASTMATH = {"contract", "arcp", "nsz"}

# Taylor coefficients in h^2 of sin(pi h) / h, to (pi h)^15: for |h| <= 1/4 the first omitted
# term is below 5e-17 relative.
_S = tuple((-1) ** n * math.pi ** (2 * n + 1) / math.factorial(2 * n + 1) for n in range(8))
_S0, _S1, _S2, _S3, _S4, _S5, _S6, _S7 = _S


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy", inline="always")
def sin2_half_cycle(t: float) -> float:
    """``sin^2(pi t)`` (= ``sin^2(phi / 2)`` for ``t = phi / 2 pi``), error ~2e-16 relative.

    Reduced to ``h`` in [0, 1/4]: ``sin^2(pi g) = 1 - sin^2(pi (1/2 - g))`` above 1/4 (the
    result is then >= 1/2, so the subtraction loses nothing). Branch-free so loops vectorise.
    """
    f = t - math.floor(t + 0.5)  # exact, in [-1/2, 1/2)
    g = abs(f)
    flip = g > 0.25
    h = 0.5 - g if flip else g  # exact (Sterbenz)
    h2 = h * h
    s = _S7
    s = s * h2 + _S6
    s = s * h2 + _S5
    s = s * h2 + _S4
    s = s * h2 + _S3
    s = s * h2 + _S2
    s = s * h2 + _S1
    s = (s * h2 + _S0) * h
    v = s * s
    return 1.0 - v if flip else v


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def through_from_wavelength(wl: np.ndarray, p: float, q: float, a: float, r1: float,
                            r2: float, lo: float, hi: float, out: np.ndarray) -> bool:
    """Through power at each wavelength into ``out``; False if any is outside [lo, hi] or NaN."""
    x4 = 4.0 * r1 * r2 * a
    num0 = (r2 * a - r1) ** 2
    den0 = (1.0 - r1 * r2 * a) ** 2
    ok = True
    for i in range(wl.shape[0]):
        w = wl[i]
        ok &= (w >= lo) & (w <= hi)
        xs = x4 * sin2_half_cycle(p / w + q)
        out[i] = (num0 + xs) * (1.0 / (den0 + xs))
    return ok


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def spectra_from_wavelength(wl: np.ndarray, p: float, q: float, a: float, r1: float,
                            r2: float, lo: float, hi: float, thru: np.ndarray,
                            drop: np.ndarray) -> bool:
    """Through and drop powers at each wavelength; False if any is outside [lo, hi] or NaN."""
    x4 = 4.0 * r1 * r2 * a
    num0 = (r2 * a - r1) ** 2
    den0 = (1.0 - r1 * r2 * a) ** 2
    dnum = (1.0 - r1) * (1.0 + r1) * (1.0 - r2) * (1.0 + r2) * a
    ok = True
    for i in range(wl.shape[0]):
        w = wl[i]
        ok &= (w >= lo) & (w <= hi)
        xs = x4 * sin2_half_cycle(p / w + q)
        inv = 1.0 / (den0 + xs)
        thru[i] = (num0 + xs) * inv
        drop[i] = dnum * inv
    return ok


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def through_from_cycles(t: np.ndarray, a: float, r1: float, r2: float,
                        out: np.ndarray) -> None:
    """Through power for round-trip phases given in cycles (``phi / 2 pi``)."""
    x4 = 4.0 * r1 * r2 * a
    num0 = (r2 * a - r1) ** 2
    den0 = (1.0 - r1 * r2 * a) ** 2
    for i in range(t.shape[0]):
        xs = x4 * sin2_half_cycle(t[i])
        out[i] = (num0 + xs) * (1.0 / (den0 + xs))


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def spectra_from_cycles(t: np.ndarray, a: float, r1: float, r2: float, thru: np.ndarray,
                        drop: np.ndarray) -> None:
    """Through and drop powers for round-trip phases given in cycles."""
    x4 = 4.0 * r1 * r2 * a
    num0 = (r2 * a - r1) ** 2
    den0 = (1.0 - r1 * r2 * a) ** 2
    dnum = (1.0 - r1) * (1.0 + r1) * (1.0 - r2) * (1.0 + r2) * a
    for i in range(t.shape[0]):
        xs = x4 * sin2_half_cycle(t[i])
        inv = 1.0 / (den0 + xs)
        thru[i] = (num0 + xs) * inv
        drop[i] = dnum * inv
