"""The feedback core a training run asks for by its options.

By default a fabricated chip programmed through its calibration
(:func:`photonic_dfa.calibration.calibrated_core.calibrated_core`): training sees the chip
as the calibration left it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from photonic_dfa.architecture.digital import MatVecCore

__all__ = ["chip_core"]


def chip_core(options: Mapping[str, Any] | None = None, fab_seed: int = 0) -> MatVecCore:
    """The feedback core training options ask for (see
    :func:`photonic_dfa.training.feedback.chip_config` for the configuration keys): the
    error-free core with ``ideal``, the design chip programmed by its model inverse with
    ``design``, else a chip fabricated from ``fab_seed`` (option ``fab_seed`` overrides it)
    as the chip file's ``[fabrication]`` table says, programmed through its calibration."""
    from .feedback import chip_config

    opts = dict(options or {})
    design = bool(opts.pop("design", False))
    fab_seed = int(opts.pop("fab_seed", fab_seed))
    cfg = chip_config(opts)
    if design or opts.get("ideal"):
        from photonic_dfa.architecture.core import PhotonicMVM

        return PhotonicMVM(cfg)
    from photonic_dfa.calibration.calibrated_core import calibrated_core

    spec = None
    if opts.get("toml"):  # the chip file's [fabrication] table, as calibrate reads it
        from photonic_dfa.architecture.fabricated import load_chip_toml

        spec = load_chip_toml(opts["toml"])[1]
    return calibrated_core(cfg, fab_seed, spec)
