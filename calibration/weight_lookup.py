"""Weight-to-heater lookup: each ring's measured weight curve on its monotone branch.

With the other rings parked mid-branch (the typical neighbourhood of a programmed
matrix), ring k is swept from just blue of its resonance to one nominal branch width red
of it (the design's branch: on channel down to half a spacing away) while channel k alone
is lit. The readings against the ring's *equivalent power* ``u_k = sum_j C_kj P_j``
(:mod:`.crosstalk`) form its weight curve; samples are dense near resonance (uniform in
``atan`` of the detuning, the Lorentzian's phase) where the weight changes fastest.

From the peak on, the curve is monotone decreasing: a shape-preserving cubic (PCHIP,
Fritsch and Carlson, SIAM J. Numer. Anal. 17, 238 (1980)) through the samples, tabulated
on ``_TABLE`` points and made monotone, is the forward model ``w_k(u)``; its inverse by
linear interpolation of the table gives ``u_k`` for a target weight, and
:func:`~.crosstalk.powers_for_equivalent` the heater powers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.interpolate import PchipInterpolator

from .crosstalk import CrosstalkEstimate, powers_for_equivalent
from .measurement import MeasurableChip, applied_powers, one_hot_sweeps
from .resonance_search import ResonanceFit

__all__ = ["WeightLookup", "measure_weight_lookup", "lookup_equivalent", "lookup_weight",
           "lookup_slope", "build_tables", "resonance_equivalent"]

_TABLE = 1025


@dataclass(frozen=True)
class WeightLookup:
    """Measured weight curves, arrays over ``(M, N)`` rings.

    ``u_samples``, ``w_samples`` ``(M, N, G)``: the sweep; ``u_table``, ``w_table``
    ``(M, N, T)``: the monotone branch model (``w`` decreasing along the last axis);
    ``w_max``, ``w_min``: each ring's reachable weights; ``park`` ``(M, N)``: the heater
    powers the other rings held during the sweeps.
    """

    u_samples: np.ndarray
    w_samples: np.ndarray
    u_table: np.ndarray
    w_table: np.ndarray
    w_min: np.ndarray
    w_max: np.ndarray
    park: np.ndarray
    measurements: int


def resonance_equivalent(fit: ResonanceFit, matrix: np.ndarray) -> np.ndarray:
    """Each ring's resonance as an equivalent power ``U0_k = p0_k + sum_{j!=k} C_kj
    context_j`` ``(M, N)`` (NaN where not found)."""
    ctx = np.where(np.isfinite(fit.context), fit.context, 0.0)
    others = np.einsum("mkj,mj->mk", matrix, ctx) - ctx  # C_kk = 1
    return fit.p0 + others


def build_tables(u: np.ndarray, w: np.ndarray, ok: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Monotone branch tables ``(M, N, T)`` from sweeps ``(M, N, G)`` (ascending ``u``):
    PCHIP from the highest sample on, made non-increasing. Rings not ``ok`` get flat
    tables at their mean reading."""
    m, n, _ = u.shape
    ut = np.zeros((m, n, _TABLE))
    wt = np.zeros((m, n, _TABLE))
    for j in range(m):
        for k in range(n):
            uu, ww = u[j, k], w[j, k]
            if not ok[j, k]:
                ut[j, k] = np.linspace(uu[0], uu[-1], _TABLE)
                wt[j, k] = np.mean(ww)
                continue
            i = int(np.argmax(ww))
            uu, ww = uu[i:], ww[i:]
            keep = np.concatenate([[True], np.diff(uu) > 0])
            uu, ww = uu[keep], ww[keep]
            if uu.size < 2:
                ut[j, k] = uu[0]
                wt[j, k] = ww[0]
                continue
            grid = np.linspace(uu[0], uu[-1], _TABLE)
            ut[j, k] = grid
            wt[j, k] = np.minimum.accumulate(PchipInterpolator(uu, ww)(grid))
    return ut, wt


def lookup_equivalent(lookup: WeightLookup, targets: np.ndarray) -> np.ndarray:
    """Equivalent powers ``u`` ``(..., M, N)`` giving ``targets`` ``(..., M, N)`` (clipped
    to each ring's table)."""
    t = np.asarray(targets, dtype=float)
    out = np.empty(t.shape)
    m, n = lookup.u_table.shape[:2]
    for j in range(m):
        for k in range(n):
            # the table is decreasing in w: interpolate on the reversed arrays
            out[..., j, k] = np.interp(t[..., j, k], lookup.w_table[j, k, ::-1],
                                       lookup.u_table[j, k, ::-1])
    return out


def lookup_weight(lookup: WeightLookup, u: np.ndarray) -> np.ndarray:
    """The model's weights ``(..., M, N)`` at equivalent powers ``u``."""
    uu = np.asarray(u, dtype=float)
    out = np.empty(uu.shape)
    m, n = lookup.u_table.shape[:2]
    for j in range(m):
        for k in range(n):
            out[..., j, k] = np.interp(uu[..., j, k], lookup.u_table[j, k],
                                       lookup.w_table[j, k])
    return out


def lookup_slope(lookup: WeightLookup, u: np.ndarray, floor: float = 0.01) -> np.ndarray:
    """``dw/du`` (1/W) of the model at ``u`` ``(..., M, N)``, by central differences on
    the table; never flatter than ``floor`` times the ring's steepest slope (negative)."""
    uu = np.asarray(u, dtype=float)
    dw = np.gradient(lookup.w_table, axis=-1)
    du = np.gradient(lookup.u_table, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(du > 0, dw / du, 0.0)
    steep = np.min(s, axis=-1)  # most negative
    out = np.empty(uu.shape)
    m, n = lookup.u_table.shape[:2]
    for j in range(m):
        for k in range(n):
            out[..., j, k] = np.interp(uu[..., j, k], lookup.u_table[j, k], s[j, k])
    return np.minimum(out, floor * np.where(steep < 0, steep, -1.0))


def measure_weight_lookup(chip: MeasurableChip, fit: ResonanceFit, crosstalk: CrosstalkEstimate,
                          points: int = 48, samples: int | None = None) -> WeightLookup:
    """Measure every ring's weight curve (module docstring); rings without a resonance fit
    keep flat tables at the level they read."""
    d = chip.design
    m, n = chip.n_outputs, chip.n_inputs
    start = chip.measurement_count
    if points < 8:
        raise ValueError(f"points must be >= 8, got {points!r}")
    c = crosstalk.matrix
    found = fit.found
    u0 = resonance_equivalent(fit, c)
    gamma = np.where(found, fit.gamma, 0.5 * d.linewidth_power)
    # park the others mid-branch: one half width red of resonance (w about mid-range)
    u_mid = np.where(found, u0 + gamma, 0.0)
    park = powers_for_equivalent(c, u_mid, free=found, fixed=fit.context)
    park = applied_powers(chip, park)
    # sweep in detuning x = tan(theta), theta uniform: dense near resonance
    x_end = d.branch_power / np.where(found, gamma, 1.0)
    a0 = np.arctan(-0.5)
    th = a0 + (np.arctan(1.05 * x_end) - a0)[..., None] * np.linspace(0.0, 1.0, points)
    x = np.tan(th)
    u = np.where(found[..., None], u0[..., None] + gamma[..., None] * x, 0.0)
    # ring k's own power for u_k with the others parked: P_k = u_k - sum_{j!=k} C_kj park_j
    others = np.einsum("mkj,mj->mk", c, park) - park
    p_own = applied_powers(chip, u - others[..., None])
    p_own = np.where(found[..., None], p_own, park[..., None])
    u = p_own + others[..., None]  # what was actually applied
    pw = np.broadcast_to(park, (n, points, m, n)).copy()
    ks = np.arange(n)
    pw[ks, :, :, ks] = p_own.transpose(1, 2, 0)
    y = one_hot_sweeps(chip, np.repeat(ks, points), pw.reshape(n * points, m, n), samples)
    y = y.reshape(n, points, m).transpose(2, 0, 1)  # (M, N, G)
    ut, wt = build_tables(u, y, found)
    return WeightLookup(u_samples=u, w_samples=y, u_table=ut, w_table=wt,
                        w_min=wt[..., -1].copy(), w_max=wt[..., 0].copy(), park=park,
                        measurements=chip.measurement_count - start)
