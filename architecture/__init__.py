"""photonic_dfa.architecture: the broadcast-and-weight chip.

:class:`ChipConfig` (every parameter with its source, TOML in and out), the matrix-vector
core :class:`PhotonicMVM`, the reference cores of :mod:`.digital` (exact, and the authors'
Gaussian error model), fabricated chips with hidden truth (:class:`FabricatedChip`), MAC-error
characterisation and the performance model (MAC/s and energy per MAC). The whole-chip
layout (:func:`chip_component`, :mod:`.layout`) loads on first use: it needs gdsfactory.
"""

from typing import TYPE_CHECKING

from photonic_dfa.base.lazy import lazy_getattr

from .chip import build_bank, build_detector, build_laser, build_modulator, build_ring
from .config import ChipConfig
from .core import PhotonicMVM, ProgramInfo
from .digital import AUTHORS_ERROR, AuthorsErrorModel, DigitalCore, GaussianErrorCore, MatVecCore
from .fabricated import FabricatedChip, FabricationSpec, evaluation_truth, load_chip_toml
from .mac_error import MacErrorResult, measure_mac_error
from .performance import PerfReport, performance

if TYPE_CHECKING:
    from .layout import chip_component

__all__ = [
    "AUTHORS_ERROR", "AuthorsErrorModel", "ChipConfig", "DigitalCore", "FabricatedChip",
    "FabricationSpec", "GaussianErrorCore", "MacErrorResult", "MatVecCore", "PerfReport",
    "PhotonicMVM", "ProgramInfo", "build_bank", "build_detector", "build_laser",
    "build_modulator", "build_ring", "chip_component", "evaluation_truth", "load_chip_toml",
    "measure_mac_error", "performance",
]

__getattr__ = lazy_getattr(__name__, {"chip_component": ".layout"})
