"""Stage-by-stage accuracy of a calibration, for benchmarks and reports.

Judging a calibration needs the chip's true weights, which calibration itself never
sees: the caller passes ``true_weights``, a function from heater powers ``(M, N)`` to the
true effective weights (a simulation's privilege, e.g. from
``photonic_dfa.architecture.fabricated.evaluation_truth``). Everything else goes through
the measurement API.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .drift import recalibrate_drift
from .measurement import LONG_AVERAGE, MeasurableChip
from .metrics import weight_error_figures
from .refinement import refine_closed_loop
from .result import STAGES, CalibrationResult

__all__ = ["StageEvaluation", "evaluate_stages", "random_targets"]


@dataclass
class StageEvaluation:
    """Per stage (ordered): error figures and the error arrays ``(M, N)``; readings used."""

    figures: dict[str, dict[str, float]] = field(default_factory=dict)
    errors: dict[str, np.ndarray] = field(default_factory=dict)
    measurements: dict[str, int] = field(default_factory=dict)
    full_range: float = 0.0


def random_targets(result: CalibrationResult, rng: np.random.Generator,
                   margin: float = 0.98) -> np.ndarray:
    """Targets uniform in ``+-margin`` times the measured symmetric range ``(M, N)``;
    faulty rings get their fixed weight (so they are not asked the impossible)."""
    s = margin * result.symmetric_weight_range
    t = rng.uniform(-s, s, result.shape)
    return np.where(result.working, t, result.fixed_weight)


def evaluate_stages(chip: MeasurableChip, result: CalibrationResult, targets: np.ndarray,
                    true_weights: Callable[[np.ndarray], np.ndarray],
                    refine_iterations: int = 4, drift_seconds: float = 0.0,
                    advance: Callable[[float], None] | None = None,
                    samples: int | None = LONG_AVERAGE) -> StageEvaluation:
    """Errors of ``targets`` realised by: the design's inverse (uncalibrated), each
    open-loop stage, closed-loop refinement (final); then, if ``drift_seconds > 0``
    (``advance`` moves the chip's clock), the stale calibration after the drift, after
    drift re-calibration, and after re-calibration plus refinement.

    Error range: ``2 * margin-free symmetric range`` of the result; only working rings.
    """
    ok = result.working
    full = 2.0 * result.symmetric_weight_range
    ev = StageEvaluation(full_range=full)

    def add(name: str, powers: np.ndarray) -> None:
        e = np.where(ok, true_weights(powers) - targets, 0.0)
        ev.errors[name] = e[ok]
        ev.figures[name] = weight_error_figures(e, 0.0, full, ok)

    bank = chip.design.design_bank
    design, _ = bank.heater_powers_for_weights(targets, solver="fast", clip=True)
    add("uncalibrated (design)", design)
    for st in STAGES:
        add(f"stage: {st}", result.heater_powers_for(targets, stage=st))
    ref = refine_closed_loop(chip, result, targets, iterations=refine_iterations,
                             samples=samples)
    ev.measurements["refine"] = ref.measurements
    add("final (closed loop)", ref.powers)
    if drift_seconds > 0.0:
        if advance is None:
            raise ValueError("drift_seconds > 0 needs advance (the chip's clock)")
        advance(drift_seconds)
        add(f"after {drift_seconds:g} s drift", result.heater_powers_for(targets))
        upd = recalibrate_drift(chip, result, samples=samples)
        ev.measurements["drift"] = upd.measurements
        add("drift re-calibrated", upd.result.heater_powers_for(targets))
        ref2 = refine_closed_loop(chip, upd.result, targets, iterations=refine_iterations,
                                  samples=samples)
        ev.measurements["drift refine"] = ref2.measurements
        add("drift re-cal + closed loop", ref2.powers)
    return ev
