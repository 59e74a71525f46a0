"""GDS layout of a WDM weight bank, drawn from the same :class:`WeightBank` the simulation uses.

Placement (radii on the grid, gaps, pitch) is :mod:`.layout_plan`; layers, cross-section
widths and cells come from the active gdsfactory PDK (:mod:`.layout_pdk`; the generic PDK
only when none is active, and the user's PDK is never replaced).

Geometry of one bank (ring ``k`` resonates at channel ``k``; light enters at ``o1``)::

        e1          e3          ...              top pad row (MTOP + PADOPEN)
            |           |                        fan-out traces (MTOP)
    o2 ================================  o3      drop bus, jogs between rings
          ( ring0 )#  ( ring1 )#                 ring k with its own radius; heater arc
    o1 ================================  o4      through bus, straight
            ch0         ch1                      text labels (channel, wavelength nm)
            |           |
        e2          e4          ...              bottom pad row

- Rings are circles (racetracks when ``coupler_length > 0``) of the drawn centreline
  radius, not Euler bends, so the drawn round trip is ``2 pi R + 2 L_c`` as simulated.
  Because rings have different radii, the drop bus jogs (raised-cosine, tens of nm over
  tens of um) between rings so both gaps of every ring are exact.
- Heater ``k`` (``#`` above): a metal arc (HEATER layer) over ring ``k``, opened on the
  ring's right side; each end has a short lead to the PDK's ``via_stack_heater_mtop``, one
  above the other. ``contacts="outside"`` puts the via column just right of the ring;
  ``"inside"`` inside it for tight pitches; ``"auto"`` picks outside when the pitch allows.
  The upper via is routed up to the top pad row, the lower one down to the bottom row: two
  pads per heater, independent drive, and no trace crossing.
- Ports follow the gdsfactory convention: optical ``o1`` (in), ``o2`` (drop), ``o3`` (add),
  ``o4`` (through), clockwise from the bottom left; electrical ``e{2k+1}`` (heater k, top
  pad) and ``e{2k+2}`` (bottom pad). ``component.info["port_map"]`` names each one. Ports
  survive in the GDS as text labels at their centres (PDK layers PORT / PORTE), and each
  ring centre carries a text ``ch{k} {wavelength nm}``.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gdsfactory as gf
import klayout.db as kdb
import numpy as np

from photonic_dfa.base.atomic import atomic_write
from photonic_dfa.base.validation import check_int

from .layout_pdk import ensure_pdk, has_layer, layer, pad, pdk_key, rules_from_pdk, text, via_stack
from .layout_plan import (
    _NM,
    _SAGITTA_NM,
    BankPlan,
    CouplerModelWarning,
    LayoutRules,
    RingPlacement,
    _contact_extent_nm,
    _inside_via_offset,
    _rules_dict,
    _spec,
    minimum_pitch,
    plan_bank,
)

__all__ = [
    "OPTICAL_PORTS",
    "LayoutRules",
    "RingPlacement",
    "BankPlan",
    "CouplerModelWarning",
    "minimum_pitch",
    "plan_bank",
    "bank_component",
    "core_component",
    "write_gds",
    "preview_png",
    "label_ports",
]

#: what each optical port of a bank is (gdsfactory name -> role)
OPTICAL_PORTS = {"o1": "in", "o2": "drop", "o3": "add", "o4": "through"}

# --- geometry helpers (integer nm) ------------------------------------------------------
def _racetrack(xl: int, xr: int, yc: int, rho: int) -> kdb.Polygon:
    """Closed racetrack of radius ``rho`` around arc centres (xl, yc), (xr, yc).

    Vertices fall exactly at 0, 90, 180 and 270 degrees so the bounding box is exact; the
    angular step keeps every chord within ``_SAGITTA_NM`` of the true arc.
    """
    step = 2.0 * math.sqrt(2.0 * _SAGITTA_NM / max(rho, 1))
    nq = max(8, math.ceil((math.pi / 2) / step))
    right = np.linspace(-math.pi / 2, math.pi / 2, 2 * nq + 1)
    left = right + math.pi
    x = np.concatenate([xr + rho * np.cos(right), xl + rho * np.cos(left)])
    y = np.concatenate([yc + rho * np.sin(right), yc + rho * np.sin(left)])
    pts = [kdb.Point(int(round(a)), int(round(b))) for a, b in zip(x, y)]
    return kdb.Polygon(pts)


def _annulus(xl: int, xr: int, yc: int, radius: int, width: int) -> kdb.Region:
    outer = kdb.Region(_racetrack(xl, xr, yc, radius + width - width // 2))
    inner = kdb.Region(_racetrack(xl, xr, yc, radius - width // 2))
    return outer - inner


def _box(x0: int, y0: int, x1: int, y1: int) -> kdb.Box:
    return kdb.Box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def _um(v: int) -> float:
    return v / 1000.0


def _insert(c: gf.Component, name: str, shapes: kdb.Region | kdb.Box) -> None:
    c.kdb_cell.shapes(layer(name)).insert(shapes)


# --- cells ------------------------------------------------------------------------------
@gf.cell(basename="weight_bank_body")
def _bank_body(spec: tuple[Any, ...], heater: bool, pads: bool, labels: bool,
               pdk: tuple[Any, ...]) -> gf.Component:
    """Drawn bank for a :func:`_spec`: waveguides, heaters, vias, traces, pads, text."""
    rules_nm, pitch, contacts, rings = spec
    r = _rules_dict(rules_nm)
    w = r["waveguide_width"]
    c = gf.Component()
    n = len(rings)
    xc = [k * pitch for k in range(n)]
    yc = [w + g1 + rad for rad, _, g1, _, _ in rings]
    yd = [yc[k] + rings[k][0] + w + rings[k][3] for k in range(n)]
    ext = [_contact_extent_nm(r, rad, lc, contacts) for rad, lc, *_ in rings]
    x_left = xc[0] - ext[0][0] - r["bus_extension"]
    x_right = xc[-1] + (ext[-1][1] if heater else ext[-1][0]) + r["bus_extension"]

    # Waveguides: rings, straight through bus, drop bus with a jog between rings.
    wg = kdb.Region()
    for k, (rad, lc, *_rest) in enumerate(rings):
        wg.insert(_annulus(xc[k] - lc // 2, xc[k] + lc - lc // 2, yc[k], rad, w))
    wg.insert(_box(x_left, -(w // 2), x_right, w - w // 2))
    pts = [kdb.Point(x_left, yd[0])]
    for k in range(n):
        flat = rings[k][1] // 2 + rings[k][0]
        pts += [kdb.Point(xc[k] - flat, yd[k]), kdb.Point(xc[k] + flat, yd[k])]
        if k + 1 < n and yd[k + 1] != yd[k]:
            x0, x1 = xc[k] + flat, xc[k + 1] - (rings[k + 1][1] // 2 + rings[k + 1][0])
            t = np.linspace(0.0, 1.0, 17)[1:-1]
            ys = yd[k] + (yd[k + 1] - yd[k]) * (1.0 - np.cos(math.pi * t)) / 2.0
            xs = x0 + (x1 - x0) * t
            pts += [kdb.Point(int(round(a)), int(round(b))) for a, b in zip(xs, ys)]
    pts.append(kdb.Point(x_right, yd[-1]))
    wg.insert(kdb.Path(pts, w).polygon())
    _insert(c, "WG", wg)
    c.info["n_rings"] = n
    c.info["ring_pitch_um"] = _um(pitch)
    c.info["contacts"] = contacts
    c.info["ring_radius_um"] = [_um(rad) for rad, *_ in rings]
    c.info["ring_center_um"] = [[_um(x), _um(y)] for x, y in zip(xc, yc)]
    c.info["gap_through_nm"] = [g1 for _, _, g1, _, _ in rings]
    c.info["gap_drop_nm"] = [g2 for *_, g2, _ in rings]
    # gdsfactory numbering: clockwise from the bottom-left port (as mmi2x2)
    c.add_port("o1", center=(_um(x_left), 0.0), width=_um(w), orientation=180, layer="WG")
    c.add_port("o2", center=(_um(x_left), _um(yd[0])), width=_um(w), orientation=180,
               layer="WG")
    c.add_port("o3", center=(_um(x_right), _um(yd[-1])), width=_um(w), orientation=0,
               layer="WG")
    c.add_port("o4", center=(_um(x_right), 0.0), width=_um(w), orientation=0, layer="WG")
    c.info["port_map"] = dict(OPTICAL_PORTS) | {
        f"e{2 * k + t}": f"heater{k}_{t}" for k in range(n) for t in (1, 2)}

    # Text labels under the through bus, between the via columns.
    y_bottom = -(w // 2)
    if labels:
        size = _um(r["label_size"])
        for k, (rad, lc, *_, wl_pm) in enumerate(rings):
            # Inside contacts run a trace down near the ring centre: label left of it.
            x_label = xc[k] if contacts == "outside" else (
                xc[k] + lc - lc // 2 + int(_inside_via_offset(r, rad)) - pitch // 2)
            ref = c << text(f"ch{k}\n{wl_pm / 1000:.2f}", size, justify="center")
            ref.move((_um(x_label) - ref.dbbox().center().x, _um(-w) - size - ref.dbbox().top))
            y_bottom = min(y_bottom, round(ref.dbbox().bottom * 1000))
            c.add_label(f"ch{k} {wl_pm / 1000:.3f} nm", position=(_um(xc[k]), _um(yc[k])),
                        layer="TEXT")

    # Heater arcs opened on the right, leads to a via column; (x, y) of the upper and
    # lower via of every heater.
    if heater:
        wh, h, v = r["heater_width"], r["heater_opening"] // 2, r["via_size"]
        via = via_stack(_um(v))
        upper, lower = [], []
        for k, (rad, lc, *_rest) in enumerate(rings):
            xl, xr = xc[k] - lc // 2, xc[k] + lc - lc // 2
            arc = _annulus(xl, xr, yc[k], rad, wh)
            arc -= kdb.Region(_box(xr, yc[k] - h, xr + rad + 2 * wh, yc[k] + h))
            if contacts == "outside":
                x_via = xr + rad + wh - wh // 2 + v // 2
                lead = (xr + rad - wh // 2, x_via)
            else:
                x_via = xr + int(_inside_via_offset(r, rad))
                lead = (x_via, xr + rad)
            arc.insert(_box(lead[0], yc[k] + h, lead[1], yc[k] + h + wh))
            arc.insert(_box(lead[0], yc[k] - h - wh, lead[1], yc[k] - h))
            _insert(c, "HEATER", arc.merged())
            upper.append((x_via, yc[k] + h + v // 2))
            lower.append((x_via, yc[k] - h - (v - v // 2)))
            for x, y in (upper[-1], lower[-1]):
                (c << via).move((_um(x), _um(y)))
        if pads:
            metal = _fanout(c, r, upper, max(yd) + w // 2 + r["fanout_clearance"], +1, 1)
            metal += _fanout(c, r, lower, y_bottom - r["fanout_clearance"], -1, 2)
            _insert(c, "MTOP", metal.merged())
        else:
            for j, leads in ((1, upper), (2, lower)):
                for k, (x, y) in enumerate(leads):
                    c.add_port(f"e{2 * k + j}", center=(_um(x), _um(y)), width=_um(v),
                               orientation=90 if j == 1 else 270, layer="MTOP",
                               port_type="electrical")
    return c


def _fanout(c: gf.Component, r: dict[str, int], leads: list[tuple[int, int]], y0: int,
            sign: int, terminal: int) -> kdb.Region:
    """Manhattan MTOP traces from the vias to one pad row, without crossings; adds the pads.

    The row (above the bank for ``sign = +1``, below for ``-1``) is centred on the leads,
    in lead order. A lead whose pad lies to its left turns at a level that moves away from
    the bank with its index, one whose pad lies to its right at a level that moves back:
    then no trace crosses another. Pad ``k`` is port ``e{2k + terminal}``.
    """
    mw, pitch, half = r["metal_width"], r["pad_pitch"], r["metal_width"] // 2
    n = len(leads)
    mid = (leads[0][0] + leads[-1][0]) / 2.0
    pad_x = [int(round(mid + (j - (n - 1) / 2.0) * pitch)) for j in range(n)]
    left = [j for j in range(n) if pad_x[j] < leads[j][0]]
    right = [j for j in range(n) if pad_x[j] >= leads[j][0]]
    level = {j: i for i, j in enumerate(left)}
    level.update({j: i for i, j in enumerate(reversed(right))})
    step = mw + r["metal_spacing"]
    y_pad = y0 + sign * (max(len(left), len(right)) * step + r["fanout_clearance"]
                         + r["pad_size"] // 2)
    pad_cell = pad(_um(r["pad_size"]), _um(r["pad_opening_inset"]))
    metal = kdb.Region()
    for j, (x, y) in enumerate(leads):
        yl = y0 + sign * level[j] * step
        far = yl + (mw - half if sign > 0 else -half)  # outer edge of the horizontal run
        near = yl - (half if sign > 0 else half - mw)
        metal.insert(_box(x - half, y, x + mw - half, far))
        metal.insert(_box(min(x, pad_x[j]) - half, yl - half, max(x, pad_x[j]) + mw - half,
                          yl + mw - half))
        metal.insert(_box(pad_x[j] - half, near, pad_x[j] + mw - half, y_pad))
        (c << pad_cell).move((_um(pad_x[j]), _um(y_pad)))
        c.add_port(f"e{2 * j + terminal}", center=(_um(pad_x[j]), _um(y_pad)),
                   width=_um(r["pad_size"]), orientation=90 if sign > 0 else 270,
                   layer="MTOP", port_type="electrical")
    return metal


def label_ports(c: gf.Component, ports: Any, names: dict[str, str] | None = None) -> None:
    """Add ``ports`` to ``c`` (renamed by ``names``) with a text label at each centre."""
    for p in ports:
        name = p.name if names is None else names[p.name]
        c.add_port(name, port=p)
        kind = "PORTE" if p.port_type == "electrical" else "PORT"
        c.add_label(name, position=tuple(p.center),
                    layer=kind if has_layer(kind) else "TEXT")


@gf.cell(basename="weight_bank")
def _bank_top(spec: tuple[Any, ...], heater: bool, pads: bool, labels: bool,
              pdk: tuple[Any, ...]) -> gf.Component:
    c = gf.Component()
    body = _bank_body(spec, heater, pads, labels, pdk)
    ref = c << body
    label_ports(c, ref.ports)
    c.info.update(dict(body.info))
    return c


@gf.cell(basename="weight_bank_core")
def _core_top(specs: tuple[tuple[Any, ...], ...], heater: bool, pads: bool, labels: bool,
              spacing_nm: int, pdk: tuple[Any, ...]) -> gf.Component:
    c = gf.Component()
    x = 0.0
    port_map: dict[str, str] = {}
    n_opt = n_el = 0
    for m, spec in enumerate(specs):
        ref = c << _bank_body(spec, heater, pads, labels, pdk)
        ref.move((x - ref.dbbox().left, 0.0))
        x = ref.dbbox().right + _um(spacing_nm)
        names = {}
        for p in ref.ports:  # renumbered bank after bank, kind by kind
            if p.port_type == "optical":
                n_opt += 1
                names[p.name] = f"o{n_opt}"
            else:
                n_el += 1
                names[p.name] = f"e{n_el}"
            port_map[names[p.name]] = f"bank{m}_{ref.cell.info['port_map'][p.name]}"
        label_ports(c, ref.ports, names)
        if m == 0:  # the preview annotates the first bank's rings
            info = dict(ref.cell.info)
            dx = ref.dbbox().left - ref.cell.dbbox().left
            info["ring_center_um"] = [[x + dx, y] for x, y in info["ring_center_um"]]
            c.info.update(info)
        c.info["n_banks"] = len(specs)
        if labels:
            size = 4 * _um(_rules_dict(spec[0])["label_size"])
            t = c << text(f"bank {m}", size)
            t.move((ref.dbbox().left - t.dbbox().left,
                    ref.dbbox().bottom - size - t.dbbox().top))
    c.info["port_map"] = port_map
    return c


# --- public API -------------------------------------------------------------------------
def bank_component(
    bank: Any,
    heater: bool = True,
    pads: bool = True,
    labels: bool = True,
    rules: LayoutRules | None = None,
) -> gf.Component:
    """gdsfactory component of ``bank``: rings, buses, heaters, pads, labels and ports.

    Optical ports ``o1``-``o4``; electrical ``e1``... at the pads (at the via stacks when
    ``pads=False``); see the module docstring. ``rules`` default to
    :func:`~.layout_pdk.rules_from_pdk`. Components are cached by their grid-exact
    parameters and the PDK name, so the same design returns the same cell.
    """
    ensure_pdk()
    rules = rules_from_pdk() if rules is None else rules
    plan = plan_bank(bank, rules)
    return _bank_top(_spec(plan), bool(heater), bool(pads) and bool(heater), bool(labels),
                     pdk_key())


def core_component(
    banks: Sequence[Any],
    heater: bool = True,
    pads: bool = True,
    labels: bool = True,
    rules: LayoutRules | None = None,
) -> gf.Component:
    """M banks side by side (left to right), ports numbered bank after bank (``o1``-``o4``
    of bank 0, ``o5``-``o8`` of bank 1, ...; ``info["port_map"]`` names them).

    Identical banks are planned once. The broadcast tree feeding them is drawn by the
    whole-chip layout of the architecture layer.
    """
    banks = tuple(banks)
    check_int("number of banks", len(banks), 1, 1024)
    ensure_pdk()
    rules = rules_from_pdk() if rules is None else rules
    plans: dict[int, tuple[Any, ...]] = {}
    specs = tuple(plans.setdefault(id(b), _spec(plan_bank(b, rules))) for b in banks)
    return _core_top(specs, bool(heater), bool(pads) and bool(heater), bool(labels),
                     round(rules.bank_spacing * _NM), pdk_key())


def _as_component(design: Any) -> gf.Component:
    if isinstance(design, gf.Component):
        return design
    if hasattr(design, "rings"):
        return bank_component(design)
    if isinstance(design, Sequence) and design and all(hasattr(b, "rings") for b in design):
        return core_component(design)
    raise ValueError(
        f"expected a gdsfactory Component, a weight bank or a sequence of banks, got "
        f"{type(design).__name__}"
    )


def write_gds(design: Any, path: str | Path) -> Path:
    """Write the GDS of a bank (or banks, or a component) to ``path`` atomically."""
    component = _as_component(design)
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix=".gds-", dir=path.parent if path.parent.exists()
                                     else None) as tmp:
        scratch = component.write_gds(Path(tmp) / "layout.gds")
        data = Path(scratch).read_bytes()
    return atomic_write(path, lambda fh: fh.write(data))


def preview_png(design: Any, path: str | Path, dpi: int = 160, zoom_rings: int = 6) -> Path:
    """PNG preview of a bank, banks or component (see :mod:`.layout_preview`)."""
    from .layout_preview import render_png

    return render_png(_as_component(design), path, dpi=dpi, zoom_rings=zoom_rings)
