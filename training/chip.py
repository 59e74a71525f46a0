"""The feedback core a training run uses: a fabricated chip programmed through its calibration.

Training sees the chip as the calibration left it: :func:`calibrated_core` draws a
:class:`~photonic_dfa.architecture.fabricated.FabricatedChip` (coherent bank physics,
fabrication spread, crosstalk, detector noise), calibrates it through measurements only,
and returns a core whose ``program(W)`` sets the heaters from the calibration's lookup and
whose ``matvec`` is the fabricated chip's own (noise, ADC, gating at the detector).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["CalibratedCore", "calibrated_core", "chip_core"]


class CalibratedCore:
    """``program(W)`` through a calibration's heater lookup; ``matvec`` of the chip's core."""

    def __init__(self, chip: Any, result: Any, hook: Any, core: Any) -> None:
        self.chip = chip
        self.result = result
        self._hook = hook
        self.core = core

    def program(self, weights: np.ndarray) -> Any:
        return self.core.program(weights, heater_powers=self._hook)

    def matvec(self, x: np.ndarray, gate: np.ndarray | None = None, rng: Any = None
               ) -> np.ndarray:
        return self.core.matvec(x, gate=gate, rng=rng)

    def describe(self) -> str:
        r = self.result
        return (f"fabricated chip calibrated with {r.total_measurements} readings, "
                f"{len(r.flagged)} faulty rings, symmetric weight range "
                f"+-{r.symmetric_weight_range:.3f}")


def calibrated_core(config: Any, fab_seed: int = 0, spec: Any = None) -> CalibratedCore:
    """Fabricate a chip of ``config`` from ``fab_seed``, calibrate it, return its core."""
    from photonic_dfa.architecture.fabricated import FabricatedChip, evaluation_truth
    from photonic_dfa.calibration.pipeline import calibrate_for_core

    chip = FabricatedChip.from_config(config, seed=fab_seed, spec=spec)
    result, hook = calibrate_for_core(chip)
    # the simulation of the physical chip needs its truth; calibration above never saw it
    core = evaluation_truth(chip).core(weight_limit=result.symmetric_weight_range)
    return CalibratedCore(chip, result, hook, core)


def chip_core(options: Mapping[str, Any] | None = None, fab_seed: int = 0) -> Any:
    """The feedback core training options ask for (see
    :func:`photonic_dfa.training.feedback.chip_config` for the configuration keys): the
    error-free core with ``ideal``, the design chip programmed by its model inverse with
    ``design``, else a chip fabricated from ``fab_seed`` (option ``fab_seed`` overrides it)
    and programmed through its calibration."""
    from .feedback import chip_config

    opts = dict(options or {})
    design = bool(opts.pop("design", False))
    fab_seed = int(opts.pop("fab_seed", fab_seed))
    cfg = chip_config(opts)
    if design or opts.get("ideal"):
        from photonic_dfa.architecture.core import PhotonicMVM

        return PhotonicMVM(cfg)
    return calibrated_core(cfg, fab_seed)
