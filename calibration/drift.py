"""Drift re-calibration at a fraction of the full cost.

A change of the chip's ambient temperature ``dT`` moves every ring's weight curve along
its equivalent power by ``dT / K_kk`` (the same heat its own heater would add), and
leaves its shape alone. So a few readings per ring on the steep part of its curve (with
the others parked as during the lookup) suffice: each reading ``w`` maps back through the
stored curve to the equivalent power ``u'`` that gives it; ``u' - u`` is the shift, and
the lookup (and resonance fits) move by it (:meth:`CalibrationResult.shifted`). Two
rounds: the second measures where the first's corrected curve puts the points, so a drift
larger than the steep region is still tracked. Cost: ``rounds * points * N`` readings, all
banks at once, against thousands for the full calibration.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .measurement import LONG_AVERAGE, MeasurableChip, applied_powers, one_hot_sweeps
from .result import CalibrationResult
from .weight_lookup import lookup_equivalent

__all__ = ["DriftUpdate", "recalibrate_drift"]


@dataclass(frozen=True)
class DriftUpdate:
    """The re-calibrated result, the shift found per ring ``(M, N)`` (W of equivalent
    power; positive: the chip warmed) and readings used."""

    result: CalibrationResult
    shift: np.ndarray
    measurements: int


def recalibrate_drift(chip: MeasurableChip, result: CalibrationResult, points: int = 3,
                      rounds: int = 2, samples: int | None = LONG_AVERAGE) -> DriftUpdate:
    """Re-measure ``points`` weights per ring and shift the lookup (module docstring)."""
    if points < 1 or rounds < 1:
        raise ValueError(f"points and rounds must be >= 1, got {points!r}, {rounds!r}")
    start = chip.measurement_count
    m, n = result.shape
    ok = result.working
    park = result.park
    others = np.einsum("mkj,mj->mk", result.crosstalk, park) - park
    # targets spread over the steep middle of every ring's range
    frac = np.linspace(0.3, 0.7, points) if points > 1 else np.array([0.5])
    total = np.zeros((m, n))
    res = result
    for _ in range(rounds):
        w_t = res.w_max[..., None] + frac * (res.w_min - res.w_max)[..., None]  # (M, N, K)
        u_t = lookup_equivalent(res.lookup, np.moveaxis(w_t, -1, 0))  # (K, M, N)
        p_own = applied_powers(chip, u_t - others)
        u_t = p_own + others
        pw = np.broadcast_to(park, (n, points, m, n)).copy()
        ks = np.arange(n)
        pw[ks, :, :, ks] = p_own.transpose(2, 0, 1)  # (ring, point, bank)
        y = one_hot_sweeps(chip, np.repeat(ks, points), pw.reshape(n * points, m, n), samples)
        w_meas = y.reshape(n, points, m).transpose(1, 2, 0)  # (K, M, N)
        u_meas = lookup_equivalent(res.lookup, w_meas)
        shift = np.where(ok, np.mean(u_meas - u_t, axis=0), 0.0)
        res = res.shifted(shift)
        total += shift
    used = chip.measurement_count - start
    final = result.shifted(total, measurements=used)
    return DriftUpdate(result=final, shift=total, measurements=used)
