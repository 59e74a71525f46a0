"""The gdsfactory PDK a layout is drawn on: layers, cross-sections and rules come from it.

The user's active PDK is used as it is and never replaced; only when no PDK is active is
gdsfactory's generic one activated (there is nothing of the user's to replace then).
Layers are looked up by their PDK name (``WG``, ``HEATER``, ``MTOP``, ``PADOPEN``,
``TEXT``; ``PORT`` / ``PORTE`` for port labels, ``TEXT`` where the PDK lacks them), widths
from the PDK's cross-sections (``strip`` for the waveguide, ``heater_metal`` for the
heater), so the same code draws on any PDK that names its layers the gdsfactory way.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import gdsfactory as gf

from .layout_plan import LayoutRules

__all__ = ["ensure_pdk", "pdk_name", "layer", "has_layer", "layer_info", "rules_from_pdk"]


def ensure_pdk() -> Any:
    """The active PDK; the generic one is activated only when none is active."""
    try:
        return gf.get_active_pdk()
    except ValueError:
        gf.gpdk.PDK.activate()
        return gf.get_active_pdk()


def pdk_name() -> str:
    return str(ensure_pdk().name)


def has_layer(name: str) -> bool:
    """Whether the active PDK defines layer ``name``."""
    try:
        gf.get_layer(name)
    except (ValueError, KeyError, AttributeError):
        return False
    return True


def layer(name: str) -> int:
    """KLayout layer index of PDK layer ``name`` (``ValueError`` naming it if missing)."""
    try:
        return int(gf.get_layer(name))
    except (KeyError, AttributeError) as exc:
        raise ValueError(f"the active PDK {pdk_name()!r} has no layer {name!r}") from exc


def layer_info(name: str) -> tuple[int, int]:
    """(GDS layer, datatype) of PDK layer ``name``."""
    info = gf.kcl.get_info(layer(name))
    return int(info.layer), int(info.datatype)


def _xs_width(name: str) -> float | None:
    try:
        return float(gf.get_cross_section(name).width) * 1e-6
    except (ValueError, KeyError):
        return None


def rules_from_pdk(rules: LayoutRules | None = None) -> LayoutRules:
    """``rules`` (default :class:`LayoutRules`) with the active PDK's widths: waveguide from
    cross-section ``strip``, heater from ``heater_metal`` (kept where the PDK lacks one)."""
    ensure_pdk()
    base = LayoutRules() if rules is None else rules
    widths = {"waveguide_width": _xs_width("strip"), "heater_width": _xs_width("heater_metal")}
    return replace(base, **{k: round(v * 1e9) / 1e9 for k, v in widths.items()
                            if v is not None})
