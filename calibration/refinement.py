"""Closed-loop refinement: iterate heater powers until the measured weights hit the targets.

Open-loop models miss what they were not measured with: the other rings' optical tails at
their actual (not parked) detunings, fit and interpolation residuals, drift since. With
the matrix programmed, N readings (channel k alone lit, all banks at once) measure every
effective weight; each ring's equivalent power then takes a Newton step on its own
measured weight curve,

``u_k <- u_k + (t_k - w_k) / (dw_k/du_k)``,

with the slope taken no flatter than a fifth of the curve's steepest and the step no
longer than a quarter half width, and ``C P = u`` gives the powers. Residuals smaller
than half a heater-driver step's effect are left alone (they are the rounding itself).
The step ignores the small cross terms, so it is a Jacobi iteration on a diagonally
dominant system. The best
setting seen (lowest measured RMS error) is kept: it cannot beat the heater driver's
rounding, which no choice of commanded powers undoes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .measurement import LONG_AVERAGE, MeasurableChip, measure_weight_matrix
from .result import CalibrationResult
from .weight_lookup import lookup_slope

__all__ = ["Refinement", "refine_closed_loop"]


@dataclass(frozen=True)
class Refinement:
    """Refined ``powers`` ``(M, N)``, the measured RMS error of working rings per
    iteration (``history``; entry 0 is the open-loop start), and readings used."""

    powers: np.ndarray
    measured: np.ndarray
    history: tuple[float, ...]
    measurements: int


def refine_closed_loop(chip: MeasurableChip, result: CalibrationResult, targets: np.ndarray,
                       iterations: int = 4, damping: float = 1.0,
                       samples: int | None = LONG_AVERAGE, allow_flagged: bool = False
                       ) -> Refinement:
    """Refine the heater powers for ``targets`` ``(M, N)`` on the chip (module docstring).

    Each iteration is only N readings, so they average ``samples`` detector samples each
    (default :data:`~.measurement.LONG_AVERAGE`): the residuals it corrects are as small
    as the detector noise of an ordinary reading."""
    if iterations < 0:
        raise ValueError(f"iterations must be >= 0, got {iterations!r}")
    if not 0.0 < damping <= 1.5:
        raise ValueError(f"damping must be in (0, 1.5], got {damping!r}")
    start = chip.measurement_count
    t = np.asarray(targets, dtype=float)
    ok = result.working
    p = result.heater_powers_for(t, allow_flagged=allow_flagged)
    t = np.clip(t, np.where(ok, result.w_min, -np.inf), np.where(ok, result.w_max, np.inf))
    u = result.equivalent_for(t)
    lo, hi = result.u_table[..., 0], result.u_table[..., -1]
    # trust region: a quarter of the line's half width per step (near the top of a curve
    # its slope vanishes and a residual would otherwise throw the ring off its branch)
    trust = 0.25 * np.where(result.found, result.gamma, 0.0)
    best = (np.inf, p, None)
    history = []
    for it in range(iterations + 1):
        w = measure_weight_matrix(chip, p, samples)
        r = np.where(ok, t - w, 0.0)
        rms = float(np.sqrt(np.mean(r[ok] ** 2))) if ok.any() else 0.0
        history.append(rms)
        if rms < best[0]:
            best = (rms, p, w)
        if it == iterations:
            break
        slope = lookup_slope(result.lookup, u, floor=0.2)
        # a residual within half a driver step's weight change is the driver's rounding:
        # chasing it only rounds another way
        r = np.where(np.abs(r) > 0.5 * result.heater_lsb * np.abs(slope), r, 0.0)
        step = damping * r / slope
        u = np.clip(u + np.clip(step, -trust, trust), lo, hi)
        p = result.powers_for_equivalent(u)
    return Refinement(powers=best[1], measured=best[2], history=tuple(history),
                      measurements=chip.measurement_count - start)
