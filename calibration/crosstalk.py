"""Thermal crosstalk: estimate it from resonance shifts, and compensate it.

Ring i's temperature is ``dT_i = sum_j K_ij P_j + ambient`` and its resonance moves
linearly with ``dT_i``. In units of ring i's own heater power, its state is the
*equivalent power*

``u_i = sum_j C_ij P_j``, ``C_ij = K_ij / K_ii`` (so ``C_ii = 1``),

which is all that sets ring i's weight (besides the neighbours' optical tails). Heating
ring j by ``dP_j`` moves ring i's resonance to a heater power lower by ``C_ij dP_j``; that
shift, fitted from a short sweep of ring i (:func:`~.lorentzian.fit_shift` with the
line's width and height from the resonance fit), gives ``C_ij`` (Tait et al., Opt.
Express 24, 8895 (2016), measure the same matrix from resonance shifts).

``dP_j`` keeps ring j inside its own branch (``0.8`` nominal branch widths), so ring j's
line never crosses channel i while i is measured. Compensation solves ``C P = u`` for the
heater powers of a wanted ``u`` (:func:`powers_for_equivalent`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .lorentzian import fit_shift
from .measurement import MeasurableChip, applied_powers, one_hot_sweeps
from .resonance_search import ResonanceFit

__all__ = ["CrosstalkEstimate", "estimate_crosstalk", "powers_for_equivalent",
           "equivalent_powers"]

#: Largest neighbour coupling C_ij the sweep windows are sized for.
_C_MAX = 0.25


@dataclass(frozen=True)
class CrosstalkEstimate:
    """``matrix`` ``(M, N, N)``: estimated ``C`` (unit diagonal; rows of rings without a
    resonance fit, and pairs not measured, are 0 off the diagonal). ``delta_power``
    ``(M, N)``: the heating step of each ring (W). ``measured`` ``(N, N)``: which pairs
    were measured."""

    matrix: np.ndarray
    delta_power: np.ndarray
    measured: np.ndarray
    measurements: int


def equivalent_powers(matrix: np.ndarray, powers: np.ndarray) -> np.ndarray:
    """``u = C P`` for powers ``(..., M, N)``."""
    return np.einsum("mij,...mj->...mi", matrix, powers)


def powers_for_equivalent(matrix: np.ndarray, u: np.ndarray, free: np.ndarray | None = None,
                          fixed: np.ndarray | None = None) -> np.ndarray:
    """Heater powers ``P`` ``(..., M, N)`` with ``C P = u`` on the ``free`` rings ``(M, N)``
    (default all); the others held at ``fixed`` ``(M, N)`` (their heat still counts)."""
    m, n = matrix.shape[0], matrix.shape[1]
    u = np.asarray(u, dtype=float)
    if free is None or bool(np.all(free)):
        sol = np.linalg.solve(matrix, np.moveaxis(u, (-2, -1), (0, 1)).reshape(m, n, -1))
        return np.moveaxis(sol.reshape((m, n) + u.shape[:-2]), (0, 1), (-2, -1))
    fixed = np.zeros((m, n)) if fixed is None else np.asarray(fixed, dtype=float)
    out = np.broadcast_to(fixed, u.shape).copy()
    for j in range(m):
        f = free[j]
        if not f.any():
            continue
        c_ff = matrix[j][np.ix_(f, f)]
        c_fn = matrix[j][np.ix_(f, ~f)]
        rhs = u[..., j, f] - fixed[j, ~f] @ c_fn.T
        out[..., j, f] = np.linalg.solve(c_ff, rhs[..., None])[..., 0] if rhs.ndim > 1 \
            else np.linalg.solve(c_ff, rhs)
    return out


def estimate_crosstalk(chip: MeasurableChip, fit: ResonanceFit, points: int = 24,
                       max_distance: int | None = None, samples: int | None = None
                       ) -> CrosstalkEstimate:
    """Estimate ``C`` of every bank (module docstring).

    For each ring j (all banks at once): heat it by ``dP_j`` from the fit's context and,
    for every measured ring i != j, sweep ring i over ``points`` powers from
    ``_C_MAX dP + 4`` half widths below its resonance to 3 above; a reference sweep with
    nothing extra heated goes through the same fit. Pairs farther apart than
    ``max_distance`` rings are skipped (their ``C`` left 0).
    """
    d = chip.design
    m, n = chip.n_outputs, chip.n_inputs
    start = chip.measurement_count
    if points < 6:
        raise ValueError(f"points must be >= 6, got {points!r}")
    park = fit.context.copy()
    found = fit.found
    gamma = np.where(found, fit.gamma, 0.5 * d.linewidth_power)
    amp = np.where(found, fit.amplitude, 1.0)
    p0 = np.where(found, fit.p0, park)
    dp = np.minimum(0.8 * d.branch_power, d.max_heater_power - park)  # (M, N)
    lo = p0 - _C_MAX * dp.max() - 4.0 * gamma
    hi = p0 + 3.0 * gamma
    frac = np.linspace(0.0, 1.0, points)
    sweep = applied_powers(chip, lo[..., None] + frac * (hi - lo)[..., None])

    idx = np.arange(n)
    dist = np.abs(idx[:, None] - idx[None, :])
    measured = (dist > 0) if max_distance is None else (dist > 0) & (dist <= max_distance)

    def sweeps(heated: int | None, rings: np.ndarray) -> np.ndarray:
        """Readings ``(M, len(rings), points)``: ring i of ``rings`` swept, ``heated``
        raised by ``dp``."""
        base = park.copy()
        if heated is not None:
            base[:, heated] += dp[:, heated]
            base = applied_powers(chip, base)
        p = np.broadcast_to(base, (rings.size, points, m, n)).copy()
        p[np.arange(rings.size), :, :, rings] = sweep[:, rings, :].transpose(1, 2, 0)
        y = one_hot_sweeps(chip, np.repeat(rings, points), p.reshape(-1, m, n), samples)
        return y.reshape(rings.size, points, m).transpose(2, 0, 1)

    def positions(rings: np.ndarray, y: np.ndarray) -> np.ndarray:
        x = sweep[:, rings, :].reshape(-1, points)
        pos, _ = fit_shift(x, y.reshape(-1, points), gamma[:, rings].ravel(),
                           amp[:, rings].ravel())
        return pos.reshape(m, rings.size)

    ref = positions(idx, sweeps(None, idx))
    mat = np.repeat(np.eye(n)[None], m, axis=0)
    for j in range(n):
        rings = np.flatnonzero(measured[:, j])
        if rings.size == 0:
            continue
        shifted = positions(rings, sweeps(j, rings))
        with np.errstate(divide="ignore", invalid="ignore"):
            c = (ref[:, rings] - shifted) / dp[:, j][:, None]
        mat[:, rings, j] = np.where(np.isfinite(c), c, 0.0)
    mat = np.where(found[:, :, None], mat, np.eye(n)[None])  # rows without a fit: unknown
    return CrosstalkEstimate(matrix=mat, delta_power=dp, measured=measured,
                             measurements=chip.measurement_count - start)
