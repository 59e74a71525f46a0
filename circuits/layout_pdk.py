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

__all__ = ["ensure_pdk", "pdk_name", "pdk_key", "layer", "has_layer", "layer_info",
           "rules_from_pdk", "pad", "via_stack", "text"]

#: PDK layers the bank draws on (by name)
BANK_LAYERS = ("WG", "HEATER", "M2", "MTOP", "VIA1", "VIA2", "PADOPEN", "TEXT", "PORT", "PORTE")


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


def pdk_key() -> tuple[Any, ...]:
    """Hashable identity of the active PDK for cell caches: its name and the GDS numbers of
    the layers drawn (two PDKs of one name but other layers get other cells)."""
    return (pdk_name(), tuple(layer_info(n) if has_layer(n) else None for n in BANK_LAYERS))


# gdsfactory caches a cell by its parameters; a layer given by name would let a cell drawn
# under one PDK be reused under another, so these pass the resolved (layer, datatype).
def pad(size: float, inset: float) -> gf.Component:
    """The PDK's ``pad`` cell (um) on MTOP with a PADOPEN opening ``inset`` inside."""
    return gf.get_component("pad", size=(size, size), layer=layer_info("MTOP"),
                            bbox_layers=(layer_info("PADOPEN"),), bbox_offsets=(-inset,))


def via_stack(size: float) -> gf.Component:
    """The PDK's ``via_stack_heater_mtop`` (HEATER-M2-MTOP) of ``size`` um."""
    vias = []
    for name in ("via1", "via2"):
        settings = dict(gf.get_active_pdk().get_component(name).settings)
        settings["layer"] = layer_info(str(settings["layer"]).split(".")[-1])
        vias.append(gf.get_component("via", **settings))
    return gf.get_component(
        "via_stack_heater_mtop", size=(size, size),
        layers=(layer_info("HEATER"), layer_info("M2"), layer_info("MTOP")),
        vias=(None, *vias))


def text(string: str, size: float, justify: str = "left") -> gf.Component:
    """gdsfactory text polygons on the PDK's TEXT layer."""
    return gf.components.text(text=string, size=size, justify=justify,
                              layer=layer_info("TEXT"))
