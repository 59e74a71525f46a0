"""photonic_dfa.studies: applications on top of every layer.

Device-parameter sweeps (:mod:`.sweep`: grid, per-point figures, CSV and plots) and
scaling-law grids of Transformers (:mod:`.scaling`). Nothing below imports them; the CLI and
users' scripts do.
"""

from .scaling import ScalingGrid, analyse, run_grid
from .sweep import SweepGrid, SweepResult, evaluate_point, load_grid, parse_axis, run_sweep

__all__ = ["ScalingGrid", "SweepGrid", "SweepResult", "analyse", "evaluate_point", "load_grid",
           "parse_axis", "run_grid", "run_sweep"]
