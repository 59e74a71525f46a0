"""The one recipe from a design to a working core: fabricate, calibrate, program through it.

:func:`calibrated_core` draws a :class:`~photonic_dfa.architecture.fabricated.FabricatedChip`
of a :class:`~photonic_dfa.architecture.config.ChipConfig` (coherent bank physics,
fabrication spread, crosstalk, detector noise), calibrates it through its measurements only
(:func:`~.pipeline.calibrate`), and returns a :class:`CalibratedCore`: ``program(W)`` sets
the heaters from the calibration's weight lookup (the only programming path a real chip
has), ``matvec`` is the fabricated chip's own core (noise, converters, gating at the
detector).

Training programs through the weight lookup (``stage="lookup"``), not the closed loop
(:func:`~.refinement.refine_closed_loop`): the lookup is a table inverted for any target
with no further readings, while the closed loop iterates readings on one programmed
``(M, N)`` setting of the physical banks, so a matrix tiled in time (the MNIST feedback
``(800, 10)`` is 25 row tiles) would need its own loop per tile, every time it is
programmed and after every drift. The price is weight accuracy: about 7.2 effective bits
with the lookup against 8.7 after the closed loop (``benchmarks/calibration_accuracy.py``).

``advance`` lets the chip's ambient drift; ``recalibrate`` runs the drift re-calibration
and programs the last target again. Training, sweeps and ``photonic-dfa mac-error`` all
build their chip here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from photonic_dfa.architecture.config import ChipConfig
from photonic_dfa.architecture.core import PhotonicMVM, ProgramInfo
from photonic_dfa.architecture.fabricated import FabricatedChip, FabricationSpec
from photonic_dfa.base.arrays import FloatArray, RealArray

from .drift import recalibrate_drift
from .pipeline import CalibrationOptions, calibrate
from .result import STAGES, CalibrationResult

__all__ = ["CalibratedCore", "calibrated_core"]


@dataclass
class CalibratedCore:
    """A fabricated chip's core programmed through its calibration, as on the bench.

    ``allow_flagged``: program targets that need a ring the calibration flagged as faulty
    (dead heater, unreachable resonance) with that ring parked instead of refusing them.
    """

    chip: FabricatedChip
    result: CalibrationResult
    core: PhotonicMVM
    stage: str = "lookup"
    allow_flagged: bool = False
    #: the last programmed target, re-programmed after a drift re-calibration
    weights: FloatArray | None = None
    #: drift re-calibrations done and the readings they took
    recalibrations: int = 0
    recalibration_readings: int = 0

    def __post_init__(self) -> None:
        if self.stage not in STAGES:
            raise ValueError(f"stage must be one of {STAGES}, got {self.stage!r}")

    @classmethod
    def from_calibration(cls, chip: FabricatedChip, result: CalibrationResult,
                         stage: str = "lookup", allow_flagged: bool = False
                         ) -> CalibratedCore:
        """The core of ``chip`` normalised to ``result``'s measured symmetric weight range."""
        return cls(chip, result, chip.core(result.symmetric_weight_range), stage, allow_flagged)

    @property
    def config(self) -> ChipConfig:
        return self.chip.config

    def program(self, weights: ArrayLike) -> ProgramInfo:
        """Set the heaters for ``weights`` ``(n_out, n_in)`` from the calibration lookup."""
        self.weights = np.array(weights, dtype=float)
        return self.core.program(
            weights, heater_powers=self.result.program_hook(self.stage, self.allow_flagged))

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` of chip time pass: the ambient random-walks
        (:meth:`FabricatedChip.advance`); the programmed heaters hold their powers, so the
        realised weights drift until :meth:`recalibrate`."""
        self.chip.advance(seconds)

    def recalibrate(self, points: int = 3, rounds: int = 2) -> ProgramInfo | None:
        """Drift re-calibration (:func:`~.drift.recalibrate_drift`: a few readings per
        ring shift the lookup by the measured common shift), then the last target is
        programmed again through the updated lookup (re-measuring its reference and
        ranges). Returns that programming's info (``None`` if nothing was programmed)."""
        update = recalibrate_drift(self.chip, self.result, points=points, rounds=rounds)
        self.result = update.result
        self.recalibrations += 1
        self.recalibration_readings += update.measurements
        return None if self.weights is None else self.program(self.weights)

    def matvec(self, x: ArrayLike, gate: ArrayLike | None = None,
               rng: np.random.Generator | None = None) -> RealArray:
        """``X W^T`` on the chip (detector noise from ``rng``), zero where ``gate`` is False."""
        return self.core.matvec(x, gate=gate, rng=rng)

    @property
    def adc_clipped(self) -> int:
        """ADC conversions clipped so far (the chip core's count)."""
        return self.core.adc_clipped

    def describe(self) -> str:
        r = self.result
        return (f"fabricated chip calibrated with {r.total_measurements} readings, "
                f"{len(r.flagged)} faulty rings, symmetric weight range "
                f"+-{r.symmetric_weight_range:.3f}")


def calibrated_core(config: ChipConfig, fab_seed: int = 0, spec: FabricationSpec | None = None,
                    *, options: CalibrationOptions | None = None, stage: str = "lookup",
                    allow_flagged: bool = False) -> CalibratedCore:
    """Fabricate a chip of ``config`` from ``fab_seed`` (departures from the design drawn
    per ``spec``), calibrate it through its measurements, return its programmable core."""
    chip = FabricatedChip.from_config(config, seed=fab_seed, spec=spec)
    result = calibrate(chip, options)
    return CalibratedCore.from_calibration(chip, result, stage, allow_flagged)
