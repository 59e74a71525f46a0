"""photonic_dfa.calibration: characterise and program a fabricated chip through its
measurements only.

Resonance search and Lorentzian fits, crosstalk estimation, the weight lookup
(:func:`calibrate` runs them in order), closed-loop refinement, drift re-calibration, the
saved :class:`CalibrationResult`, and :func:`calibrated_core`: the one recipe from a
:class:`~photonic_dfa.architecture.ChipConfig` to a calibrated, programmable core.
"""

from .calibrated_core import CalibratedCore, calibrated_core
from .drift import DriftUpdate, recalibrate_drift
from .evaluation import StageEvaluation, evaluate_stages
from .measurement import MeasurableChip
from .pipeline import CalibrationOptions, calibrate
from .refinement import Refinement, refine_closed_loop
from .result import CalibrationResult, FlaggedRingError

__all__ = [
    "CalibratedCore", "CalibrationOptions", "CalibrationResult", "DriftUpdate",
    "FlaggedRingError", "MeasurableChip", "Refinement", "StageEvaluation", "calibrate",
    "calibrated_core", "evaluate_stages", "recalibrate_drift", "refine_closed_loop",
]
