"""photonic_dfa.circuits: devices composed into circuits.

The WDM weight bank (:mod:`.weight_bank`) and its solvers (:mod:`.bank_solvers`: coherent
``exact``, incoherent ``fast``), SAX netlists of rings and banks as an independent reference
(:mod:`.sax_models`, :mod:`.bank_netlist`), figures (:mod:`.plots`) and the GDS layout
(:mod:`.layout`, loaded on first use: it needs gdsfactory).
"""

from typing import TYPE_CHECKING

from photonic_dfa.base.lazy import lazy_getattr

from .bank_solvers import SOLVERS, Solver
from .plots import plot_bank
from .weight_bank import WeightBank

if TYPE_CHECKING:
    from .layout import LayoutRules, bank_component, core_component, plan_bank, write_gds

__all__ = ["SOLVERS", "LayoutRules", "Solver", "WeightBank", "bank_component", "core_component",
           "plan_bank", "plot_bank", "write_gds"]

__getattr__ = lazy_getattr(__name__, {n: ".layout" for n in (
    "LayoutRules", "bank_component", "core_component", "plan_bank", "write_gds")})
