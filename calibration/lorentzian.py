"""Lorentzian line shape of a weight against its ring's heater power, and its fits.

Near resonance the drop-port response of an add-drop ring is Lorentzian in detuning
(Bogaerts et al., Laser Photonics Rev. 6, 47 (2012), eq. 11, high-finesse limit), and the
detuning is linear in the ring's temperature, itself linear in heater power. So a balanced
reading ``w = T_drop - T_thru`` against the ring's own heater power ``P`` is

``w(P) = B + A / (1 + ((P - P0) / gamma)^2)``,

``P0`` the resonance power, ``gamma`` the half width at half maximum in watts, ``A`` the
drop-minus-through swing and ``B`` the off-resonance floor (about ``-1``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import curve_fit

__all__ = ["lorentzian", "LorentzFit", "fit_lorentzian", "fit_shift", "lorentzian_inverse"]


def lorentzian(p: np.ndarray, p0: np.ndarray | float, gamma: np.ndarray | float,
               amplitude: np.ndarray | float, baseline: np.ndarray | float) -> np.ndarray:
    """``B + A / (1 + ((P - P0) / gamma)^2)`` (broadcasting)."""
    u = (np.asarray(p) - p0) / gamma
    return baseline + amplitude / (1.0 + u * u)


def lorentzian_inverse(w: np.ndarray, p0: np.ndarray, gamma: np.ndarray,
                       amplitude: np.ndarray, baseline: np.ndarray, red: bool = True
                       ) -> np.ndarray:
    """Power giving weight ``w`` on the red (``P >= P0``) or blue branch; ``w`` clipped into
    ``(B, B + A]`` (a target at or below the floor maps to 40 half widths out)."""
    frac = np.clip((np.asarray(w) - baseline) / amplitude, 1.0 / 1601.0, 1.0)
    x = np.sqrt(1.0 / frac - 1.0)
    return p0 + (x if red else -x) * gamma


@dataclass(frozen=True)
class LorentzFit:
    """Fitted ``P0``, ``gamma``, ``A``, ``B`` (W, W, -, -), the standard error of ``P0`` and
    the RMS residual."""

    p0: float
    gamma: float
    amplitude: float
    baseline: float
    p0_stderr: float
    rms_residual: float


def _guess(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float, float]:
    i = int(np.argmax(y))
    base = float(np.percentile(y, 10))
    amp = float(y[i] - base)
    above = x[y > base + 0.5 * amp]
    step = float(np.median(np.diff(x))) if x.size > 1 else 1.0
    gamma = max(0.5 * (float(above.max() - above.min()) + step), step) / 2.0 \
        if above.size else step
    return float(x[i]), gamma, max(amp, 1e-12), base


def _jacobian(p: np.ndarray, p0: float, gamma: float, amplitude: float, baseline: float
              ) -> np.ndarray:
    u = (p - p0) / gamma
    den = 1.0 + u * u
    d_p0 = amplitude * 2.0 * u / (gamma * den * den)
    return np.stack([d_p0, d_p0 * u, 1.0 / den, np.ones_like(u)], axis=1)


def fit_lorentzian(powers: np.ndarray, readings: np.ndarray) -> LorentzFit:
    """Least-squares fit (:func:`scipy.optimize.curve_fit`) of one sweep.

    Levenberg-Marquardt with the analytic Jacobian; powers are rescaled to the sweep's
    span for conditioning; the starting point is the peak sample, the 10th percentile floor
    and the half-maximum width.
    """
    x = np.asarray(powers, dtype=float)
    y = np.asarray(readings, dtype=float)
    if x.shape != y.shape or x.ndim != 1 or x.size < 5:
        raise ValueError(f"powers and readings must be equal 1-D arrays of >= 5 points, got "
                         f"{x.shape} and {y.shape}")
    c, s = float(x.mean()), float(np.ptp(x)) or 1.0
    xs = (x - c) / s
    start = _guess(xs, y)
    try:
        popt, pcov = curve_fit(lorentzian, xs, y, p0=start, jac=_jacobian, method="lm",
                               maxfev=400)
        popt[1] = abs(popt[1])
        err = float(np.sqrt(max(pcov[0, 0], 0.0))) if np.all(np.isfinite(pcov)) else np.inf
    except (RuntimeError, ValueError):
        popt, err = np.asarray(start), np.inf
    resid = y - lorentzian(xs, *popt)
    return LorentzFit(p0=c + s * float(popt[0]), gamma=s * float(popt[1]),
                      amplitude=float(popt[2]), baseline=float(popt[3]),
                      p0_stderr=s * err, rms_residual=float(np.sqrt(np.mean(resid**2))))


def fit_shift(powers: np.ndarray, readings: np.ndarray, gamma: np.ndarray,
              amplitude: np.ndarray, p0_start: np.ndarray | None = None,
              iterations: int = 25) -> tuple[np.ndarray, np.ndarray]:
    """Fit ``P0`` and ``B`` of many sweeps at once, ``gamma`` and ``A`` known.

    ``powers``, ``readings`` ``(T, G)``; ``gamma``, ``amplitude`` ``(T,)``. Vectorised
    Gauss-Newton on the two linear-ish parameters (the position enters non-linearly),
    started at the peak sample (or ``p0_start``), steps limited to one half width.
    Returns ``(p0, baseline)`` ``(T,)``.
    """
    x = np.asarray(powers, dtype=float)
    y = np.asarray(readings, dtype=float)
    g = np.asarray(gamma, dtype=float)[:, None]
    a = np.asarray(amplitude, dtype=float)[:, None]
    rows = np.arange(x.shape[0])
    p0 = x[rows, np.argmax(y, axis=1)] if p0_start is None else np.asarray(p0_start, float)
    b = np.min(y, axis=1)
    for _ in range(iterations):
        u = (x - p0[:, None]) / g
        den = 1.0 + u * u
        model = b[:, None] + a / den
        r = y - model
        jp = a * 2.0 * u / (g * den * den)  # d model / d p0
        # normal equations of the 2x2 problem [jp, 1]
        s11 = np.sum(jp * jp, axis=1)
        s12 = np.sum(jp, axis=1)
        s22 = float(x.shape[1])
        t1 = np.sum(jp * r, axis=1)
        t2 = np.sum(r, axis=1)
        det = s11 * s22 - s12 * s12
        ok = det > 1e-300
        dp = np.where(ok, (s22 * t1 - s12 * t2) / np.where(ok, det, 1.0), 0.0)
        db = np.where(ok, (s11 * t2 - s12 * t1) / np.where(ok, det, 1.0), t2 / s22)
        lim = g[:, 0]
        p0 = p0 + np.clip(dp, -lim, lim)
        b = b + db
    return p0, b
