"""The full calibration of a chip: resonance search, crosstalk, weight lookup.

Each stage is usable alone (:mod:`.resonance_search`, :mod:`.crosstalk`,
:mod:`.weight_lookup`); :func:`calibrate` runs them in order and assembles the
:class:`~.result.CalibrationResult`. Closed-loop refinement (:mod:`.refinement`) is per
target matrix and drift re-calibration (:mod:`.drift`) per occasion, so neither is part
of it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from .crosstalk import estimate_crosstalk
from .measurement import LONG_AVERAGE, MeasurableChip
from .resonance_search import find_resonances
from .result import CalibrationResult
from .weight_lookup import measure_weight_lookup

__all__ = ["CalibrationOptions", "calibrate"]


@dataclass(frozen=True)
class CalibrationOptions:
    """Knobs of :func:`calibrate` (``None``: the stage's default)."""

    coarse_step: float | None = None
    fine_points: int = 41
    crosstalk_points: int = 24
    crosstalk_max_distance: int | None = None
    lookup_points: int = 48
    #: samples per reading in the search and crosstalk stages (None: the chip's default)
    samples: int | None = None
    #: samples per reading in the lookup (few readings, so a long average)
    lookup_samples: int | None = LONG_AVERAGE


def calibrate(chip: MeasurableChip, options: CalibrationOptions | None = None
              ) -> CalibrationResult:
    """Calibrate ``chip`` through its measurement API only."""
    o = CalibrationOptions() if options is None else options
    t0 = time.perf_counter()
    fit = find_resonances(chip, coarse_step=o.coarse_step, fine_points=o.fine_points,
                          samples=o.samples)
    t1 = time.perf_counter()
    xt = estimate_crosstalk(chip, fit, points=o.crosstalk_points,
                            max_distance=o.crosstalk_max_distance, samples=o.samples)
    t2 = time.perf_counter()
    lk = measure_weight_lookup(chip, fit, xt, points=o.lookup_points, samples=o.lookup_samples)
    t3 = time.perf_counter()
    meas = {"resonance": fit.measurements, "crosstalk": xt.measurements,
            "lookup": lk.measurements}
    meta = {"seconds": {"resonance": t1 - t0, "crosstalk": t2 - t1, "lookup": t3 - t2},
            "samples_per_reading": o.samples, "lookup_samples_per_reading": o.lookup_samples}
    return CalibrationResult.from_stages(fit, xt, lk, chip.design, measurements=meas,
                                         meta=meta)
