"""photonic_dfa.circuits: devices composed into circuits.

The WDM weight bank (:mod:`.weight_bank`) and its solvers (:mod:`.bank_solvers`: coherent
``exact``, incoherent ``fast``), SAX netlists of rings and banks as an independent reference
(:mod:`.sax_models`, :mod:`.bank_netlist`), figures (:mod:`.plots`) and the GDS layout
(:mod:`.layout`: placement :mod:`.layout_plan`, radii on the grid :mod:`.layout_tuning`,
PDK :mod:`.layout_pdk`, read-back :mod:`.layout_extract`, DRC :mod:`.layout_drc`; loaded
on first use: they need gdsfactory / KLayout).
"""

from typing import TYPE_CHECKING

from photonic_dfa.base.lazy import lazy_getattr

from .bank_solvers import SOLVERS, Solver
from .plots import plot_bank
from .weight_bank import WeightBank

if TYPE_CHECKING:
    from .layout import LayoutRules, bank_component, core_component, plan_bank, write_gds
    from .layout_drc import run_drc
    from .layout_extract import compare_banks, extract_banks, rebuild_bank
    from .layout_tuning import drawable_bank, ring_report

__all__ = ["SOLVERS", "LayoutRules", "Solver", "WeightBank", "bank_component", "compare_banks",
           "core_component", "drawable_bank", "extract_banks", "plan_bank", "plot_bank",
           "rebuild_bank", "ring_report", "run_drc", "write_gds"]

__getattr__ = lazy_getattr(__name__, {
    **{n: ".layout" for n in ("LayoutRules", "bank_component", "core_component", "plan_bank",
                              "write_gds")},
    **{n: ".layout_extract" for n in ("compare_banks", "extract_banks", "rebuild_bank")},
    **{n: ".layout_tuning" for n in ("drawable_bank", "ring_report")},
    "run_drc": ".layout_drc",
})
