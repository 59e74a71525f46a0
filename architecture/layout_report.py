"""The layout report: per-ring tuning, layout versus simulation and DRC of a written GDS.

:func:`chip_report` is what ``photonic-dfa layout`` writes as JSON; every length in it is
in metres (radii, detunings) except the DRC locations, which are layout micrometres.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gdsfactory as gf
import numpy as np

from photonic_dfa.base.atomic import atomic_write
from photonic_dfa.circuits import layout_pdk
from photonic_dfa.circuits.layout_drc import generic_rules, run_drc
from photonic_dfa.circuits.layout_extract import (
    compare_banks,
    exact_vs_sax,
    extract_banks,
    pad_connectivity,
    rebuild_bank,
)
from photonic_dfa.circuits.layout_tuning import red_rings, ring_report

__all__ = ["chip_report", "connectivity_report", "tuning_summary", "write_netlist",
           "write_preview"]


def tuning_summary(plan: Any, design: Any) -> dict[str, Any]:
    """Red rings, detuning range and per-ring table of the drawn bank ``plan.bank``."""
    drawn = plan.bank
    rows = ring_report(drawn, design)
    blue = [r["blue_detuning"] for r in rows]
    return {
        "red_rings": list(red_rings(drawn)),
        "min_blue_detuning": min(blue),
        "max_blue_detuning": max(blue),
        "design_blue_detuning": min(r["design_blue_detuning"] for r in rows),
        "unreachable_channels": list(drawn.unreachable_channels),
        "bus_length": drawn.bus_length,
        "rings": rows,
    }


def layout_vs_simulation(gds: Path, plan: Any, sax: bool = False) -> dict[str, Any]:
    """Rebuild every distinct bank cell of ``gds`` and compare it with the drawn design."""
    found = extract_banks(gds, layout_pdk.layer_info("WG"), layout_pdk.layer_info("TEXT"))
    # one-ring cells of an MZM chip are its demux / mux filters, not weight banks
    n = len(plan.bank.rings)
    filters = [g for g in found if len(g.radius) != n] if n > 1 else []
    found = [g for g in found if len(g.radius) == n]
    worst: dict[str, Any] = {"filter_cells": len(filters)}
    for geo in found:
        rebuilt = rebuild_bank(geo, plan.bank)
        cmp = compare_banks(plan.bank, rebuilt)
        for k, v in cmp.items():
            worst[k] = max(worst.get(k, v), v)
        if sax:
            worst["exact_vs_sax"] = max(worst.get("exact_vs_sax", 0.0), exact_vs_sax(rebuilt))
    geo = found[0]
    worst["bank_cells"] = len(found)
    worst["extracted_bus_length"] = float(np.mean(geo.through_segments + geo.drop_segments)) \
        if geo.through_segments else None
    worst["extracted"] = geo.as_dict()
    return worst


def drc_report(gds: Path, rules: Any = None) -> dict[str, Any]:
    """DRC of ``gds`` with ``rules`` (default: the generic rule set for the PDK widths)."""
    rules = generic_rules(layout_pdk.rules_from_pdk()) if rules is None else rules
    names = {r.layer for r in rules} | {r.other for r in rules if r.other}
    layers = {n: layout_pdk.layer_info(n) for n in names if layout_pdk.has_layer(n)}
    found = run_drc(gds, [r for r in rules if r.layer in layers], layers)
    return {"rules": [r.__dict__ | {"value": r.value} for r in rules],
            "violations": len(found), "list": [v.as_dict() for v in found]}


def connectivity_report(gds: Path) -> dict[str, int]:
    """Top-metal nets of ``gds``: pads, terminals and how they pair (KLayout)."""
    info = layout_pdk.layer_info
    return pad_connectivity(gds, info("MTOP"), info("PADOPEN"), info("VIA2"), info("M2"))


def chip_report(component: gf.Component, gds: Path, design: Any, plan: Any,
                sax: bool = False) -> dict[str, Any]:
    """JSON-ready report of a written layout (see the module docstring)."""
    info = dict(component.info)
    out: dict[str, Any] = {}
    if "counts" in info:
        out["counts"] = info["counts"]
        out["die_um"] = info["die_um"]
        out["pad_ring"] = dict(info["pad_ring"]) | {"connectivity": connectivity_report(gds)}
    out["bank"] = plan.as_dict()
    out["tuning"] = tuning_summary(plan, design)
    out["layout_vs_simulation"] = layout_vs_simulation(gds, plan, sax=sax)
    out["drc"] = drc_report(gds)
    roles = info.get("port_map", {})
    out["ports"] = {p.name: {"center_um": list(p.center), "orientation": p.orientation,
                             "type": p.port_type, "role": roles.get(p.name)}
                    for p in component.ports}
    return out


def write_netlist(component: gf.Component, path: Path) -> Path:
    """gdsfactory's ``get_netlist`` of ``component`` as JSON, atomically."""
    import json
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unconnected-port notes of the raw bank cell
        net = component.get_netlist()
    text = json.dumps(_plain(net), indent=1)
    return atomic_write(Path(path), lambda fh: fh.write(text.encode()))


def _plain(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_plain(v) for v in x]
    if isinstance(x, float | int | str | bool) or x is None:
        return x
    if isinstance(x, np.generic):
        return x.item()
    return str(x)


def write_preview(component: gf.Component, path: Path, bank_only: bool = False) -> Path:
    """PNG: the banks' two-panel view, or for a whole chip the chip and two zooms."""
    from photonic_dfa.circuits.layout import preview_png
    from photonic_dfa.circuits.layout_preview import render_views

    if bank_only or "counts" not in component.info:
        return preview_png(component, path)
    bb = component.dbbox()
    counts = component.info["counts"]
    inputs = [i.dbbox() for i in component.insts
              if not i.cell.name.startswith(("weight_bank", "bank_row", "ge_", "pad"))]
    x1 = max(b.right for b in inputs) if inputs else bb.left + 0.3 * bb.width()
    views = [("whole chip", (bb.left, bb.right, bb.bottom, bb.top)),
             ("input: grating coupler, modulators, splitter tree",
              (bb.left - 20, x1 + 50, -0.3 * (x1 - bb.left), 0.3 * (x1 - bb.left)))]
    if "zoom_bank_um" in component.info:  # one bank row: detectors, routes, east pad rows
        x, y, pitch = component.info["zoom_bank_um"]
        views.append((f"bank {counts['banks'] // 2}: routes to the staggered pad rows",
                      (x - 0.3 * pitch, bb.right, y - pitch, y + 1.2 * pitch)))
    title = (f"{counts['banks']} banks x {counts['rings'] // counts['banks']} rings: "
             + ", ".join(f"{k} {v}" for k, v in counts.items() if k != "banks")
             + "\nblue waveguide, red heater, gold top metal, grey pad opening, green Ge"
             + (f"; die {component.info['die_um'][0] / 1000:.2f} x "
                f"{component.info['die_um'][1] / 1000:.2f} mm" if "die_um" in component.info
                else ""))
    return render_views(component, path, views, title, panel_height=8.0)
