"""Whole-chip layout of the broadcast-and-weight core, built from a :class:`ChipConfig`.

Everything drawn comes from the configuration or the active gdsfactory PDK: the bank is
``build_bank(cfg)`` as the simulator builds it (drawn by :mod:`photonic_dfa.circuits.layout`
with its radii on the grid), the input modulator ring from ``modulator.ring`` (radius
from its FSR and the waveguide group index, gap from its self-coupling through the coupler
model), the grating coupler centred on ``laser.center_wavelength``; the cells are the
PDK's own (``grating_coupler_rectangular``, ``ring_single_pn`` or ``mzm``,
``splitter_tree``, ``ge_detector_straight_si_contacts``, ``pad``, ``straight``) and
waveguides are routed with ``gf.routing``. Spacings are the :class:`LayoutRules` ones.

Floor plan (x to the right)::

    W pads | fibre -> GC -> modulators -> 1xM splitter tree -+-> [PD] bank 0 [PD] | E pads
     3     |                                                 +-> [PD] bank 1 [PD] |  3
     rows  |                                                  ...  (banks in a column) | rows

Input modulators: ``modulator.kind = "ring"`` puts the pn rings in series on the WDM bus;
``"mzm"`` puts a demux ring, an MZM and a mux ring per channel (:func:`_mzm_section`).
Each bank's through port feeds a detector east of it, its drop port one west of it.

Pad ring (:mod:`photonic_dfa.circuits.layout_padring`): pads stand on the die's west and
east edges in three staggered rows at the pad pitch, every track on the top metal and none
crossing another. East: each bank's upper heater terminals and its through detector;
west: its lower heater terminals and its drop detector, and, in the middle, the input
modulators' (and MZM filters') terminals. The bank pitch is the edge length its pads need
(``ceil(terminals per side / 3)`` pad pitches), so the die height follows from the pad
count and pitch, and the die (``FLOORPLAN``) is the drawing plus half a pad pitch.

Chip ports: ``o1`` the fibre port of the input coupler; ``e1``... every pad, numbered
clockwise from the bottom of the west edge (the gdsfactory order): up the west edge, down
the east one. Each pad carries its port name (``PORTE``) and its role (``TEXT``), which
``info["port_map"]`` also holds (``mod3_sig``, ``bank2_heater5_1``, ``bank2_pd_drop_top``,
``mzm4_e10``, ``demux4_heater_1``...).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import gdsfactory as gf

from photonic_dfa.circuits.layout import bank_component, label_ports
from photonic_dfa.circuits.layout_padring import ROWS, PadGrid, bundle, draw_tracks, river
from photonic_dfa.circuits.layout_pdk import ensure_pdk, has_layer, layer, pdk_key, rules_from_pdk
from photonic_dfa.circuits.layout_pdk import pad as pad_cell
from photonic_dfa.circuits.layout_plan import LayoutRules, plan_bank
from photonic_dfa.devices.coupler_gap import gap_for_coupling

from .chip import build_bank
from .config import ChipConfig

__all__ = ["bank_plan", "chip_component", "modulator_geometry"]

_DETECTOR = "ge_detector_straight_si_contacts"
_MODULATOR = "ring_single_pn"
_COUPLER = "grating_coupler_rectangular"


def modulator_geometry(cfg: ChipConfig) -> tuple[float, float]:
    """``(radius, gap)`` in m of the input ring modulator: ``R = lambda^2 / (2 pi n_g FSR)``
    with the ring waveguide's group index, gap from ``self_coupling`` (coupler model)."""
    lam = cfg.laser.center_wavelength
    mr = cfg.modulator.ring
    radius = lam * lam / (2.0 * math.pi * cfg.ring.n_g * mr.fsr)
    gap, _ = gap_for_coupling(mr.self_coupling, radius)
    return round(radius * 1e9) * 1e-9, round(float(gap) * 1e9) * 1e-9


def _um(x: float) -> float:
    return round(x * 1e9) / 1000.0


def _placeholder_detector(length: float, width: float) -> gf.Component:
    """Documented stand-in for a PDK without a detector: a box on GE (or TEXT) with ports."""
    c = gf.Component()
    layer = "GE" if has_layer("GE") else "TEXT"
    c.add_polygon([(0, -width / 2), (length, -width / 2), (length, width / 2),
                   (0, width / 2)], layer=layer)
    wg = gf.get_cross_section("strip").width
    c.add_port("o1", center=(0, 0), width=wg, orientation=180, layer="WG")
    for name, y in (("top", width / 4), ("bot", -width / 4)):
        c.add_port(name, center=(length, y), width=width / 4, orientation=0, layer="MTOP",
                   port_type="electrical")
    return c


def _detector(rules: LayoutRules) -> gf.Component:
    if _DETECTOR in ensure_pdk().cells:
        return gf.get_component(_DETECTOR)
    return _placeholder_detector(_um(rules.pad_size) / 2, _um(rules.pad_size) / 3)


def chip_component(cfg: ChipConfig, rules: LayoutRules | None = None,
                   labels: bool = True) -> gf.Component:
    """The whole core of ``cfg`` as one gdsfactory component (see the module docstring).

    ``cfg.core.n_outputs`` banks of ``cfg.core.n_inputs`` rings; ring modulators
    (``modulator.kind = "ring"``; an MZM chip is not drawn yet). Cached per design and PDK.
    """
    ensure_pdk()
    rules = rules_from_pdk() if rules is None else rules
    bank = build_bank(cfg)
    mod_r, mod_gap = modulator_geometry(cfg)
    bank_cell = bank_component(bank, pads=False, labels=labels, rules=rules)
    filters = tuple(bank_component(_filter(bank, k), pads=False, labels=labels, rules=rules)
                    for k in range(len(bank.rings))) if cfg.modulator.kind == "mzm" else ()
    key = (bank_cell.name, cfg.core.n_outputs, cfg.core.n_inputs, _um(mod_r), _um(mod_gap),
           _um(cfg.laser.center_wavelength), rules, labels, pdk_key(),
           tuple(f.name for f in filters))
    if key not in _CACHE:
        c = _chip(bank_cell, *key[1:7], filters=filters)
        c.name = f"photonic_core_{abs(hash(key)):x}"[:40]
        _CACHE[key] = c
    return _CACHE[key]


_CACHE: dict[tuple[Any, ...], gf.Component] = {}
_ROWS: dict[tuple[Any, ...], gf.Component] = {}


def _filter(bank: Any, k: int) -> Any:
    """Ring ``k`` of ``bank`` alone: the add-drop filter of channel ``k``."""
    return replace(bank, rings=(bank.rings[k],),
                   channel_wavelengths=(bank.channel_wavelengths[k],), crosstalk=None,
                   bus_length=0.0)


def _nm(metres: float) -> int:
    return round(metres * 1e9)


def _shift(points: list[tuple[int, int]], dy: int) -> list[tuple[int, int]]:
    return [(x, y + dy) for x, y in points]


def _drop_detector_reach(det: gf.Component) -> float:
    """How far west of the bank's drop port the drop detector reaches (um)."""
    radius = gf.get_cross_section("strip").radius
    return 2 * radius + 10.0 + det.dbbox().width()


def _route_side(grid: PadGrid, srcs: list[tuple[list[tuple[int, int]], str]], sign: int,
                x_col: int, x0: int) -> tuple[list[list[tuple[int, int]]],
                                              list[tuple[int, int, str]]]:
    """Routes from terminal paths ``srcs`` (ending where they leave towards ``sign``) to
    consecutive slots of one edge; the slots start level with the lowest terminal (east,
    ``sign`` +1) or end level with the highest (west). Returns paths and pads (x, y, role)."""
    srcs = sorted(srcs, key=lambda s: s[0][-1][1])
    n = len(srcs)
    starts = [s[0][-1] for s in srcs]
    s0 = starts[0][1] if sign > 0 else starts[-1][1] - grid.approach(n - 1)
    targets = [s0 + grid.approach(i) for i in range(n)]
    step = grid.width + grid.space
    paths, pads = [], []
    for i, ((pre, role), riv) in enumerate(zip(srcs, river(starts, targets, x_col, step,
                                                           sign))):
        end = _shift(grid.track(i, riv[-1][0], x0, sign), s0)
        paths.append(pre + riv[1:] + end[1:])
        j, s = grid.centre(i)
        pads.append((x0 + sign * j * grid.row_pitch, s0 + s, role))
    return paths, pads


def _bank_row(bank_cell: gf.Component, det: gf.Component, rules: LayoutRules,
              grid: PadGrid, x_west: int) -> gf.Component:
    """One bank, its two detectors and every terminal routed to its pads on both edges.

    Local frame: the bank's through bus on y = 0, its west edge at x = 0; ``x_west`` (nm) is
    the centre x of the west field's inner row. East: the upper heater terminals and the
    through detector; west: the lower heater terminals and the drop detector. Upper (lower)
    terminals rise (drop) to nested levels above (below) the bank and then run in columns
    beside it to their slots, so banks stacked at any pitch of at least ``info["min_pitch"]``
    never share a track. ``info["pads"]``: (x, y, side, role) in nm.
    """
    key = (bank_cell.name, det.name, rules, grid, x_west, pdk_key())
    if key in _ROWS:
        return _ROWS[key]
    c = gf.Component(f"bank_row_{abs(hash(key)):x}")
    xs = "strip"
    clear = _nm(rules.fanout_clearance)
    step = grid.width + grid.space
    bank = c << bank_cell
    bank.dmove((-bank_cell.dbbox().left, 0.0))
    bb = bank.dbbox()
    names = bank_cell.info["port_map"]
    d_thru = c << det
    d_thru.dmove((bb.right + _um(rules.bank_spacing) / 2 - d_thru.ports["o1"].center[0],
                  -d_thru.ports["o1"].center[1]))
    gf.routing.route_single(c, bank.ports["o4"], d_thru.ports["o1"], cross_section=xs)
    # the drop detector sits west of the drop port, clear above the input bus at y = 0
    radius = gf.get_cross_section(xs).radius
    o2 = bank.ports["o2"]
    d_drop = c << det
    d_drop.drotate(180)
    y_pd = max(o2.center[1] + 2 * radius + 5.0,
               det.dbbox().height() / 2 + _um(rules.fanout_clearance))
    d_drop.dmove((o2.center[0] - 2 * radius - 10.0 - d_drop.ports["o1"].center[0],
                  y_pd - d_drop.ports["o1"].center[1]))
    gf.routing.route_single(c, o2, d_drop.ports["o1"], cross_section=xs)

    def pt(p: Any) -> tuple[int, int]:
        return round(p.center[0] * 1000), round(p.center[1] * 1000)

    el = [p for p in bank.ports if p.port_type == "electrical"]
    up = [p for p in el if names[p.name].endswith("_1")]
    down = [p for p in el if names[p.name].endswith("_2")]
    top, bottom = round(bb.top * 1000) + clear, round(bb.bottom * 1000) - clear
    east = [(path, names[p.name]) for p, path in
            zip(up, bundle([pt(p) for p in up], top, step, +1, +1))]
    east += [([pt(d_thru.ports[t])], f"pd_through_{t}") for t in ("top", "bot")]
    west = [(path, names[p.name]) for p, path in
            zip(down, bundle([pt(p) for p in down], bottom, step, -1, -1))]
    west += [([pt(d_drop.ports[t])], f"pd_drop_{t}") for t in ("top", "bot")]
    x_col_e = round(max(d_thru.dbbox().right, bb.right) * 1000) + clear
    x0_e = x_col_e + len(east) * step + clear + grid.pad // 2
    x_col_w = round(min(d_drop.dbbox().left, bb.left) * 1000) - clear
    if x_col_w - len(west) * step - clear - grid.pad // 2 < x_west:
        raise ValueError("west pad field overlaps the routing columns of a bank")
    paths_e, pads_e = _route_side(grid, east, +1, x_col_e, x0_e)
    paths_w, pads_w = _route_side(grid, west, -1, x_col_w, x_west)
    c.kdb_cell.shapes(layer("MTOP")).insert(draw_tracks(paths_e + paths_w, grid.width))
    pad = pad_cell(grid.pad / 1000, _um(rules.pad_opening_inset))
    pads = [(x, y, "east", role) for x, y, role in pads_e] + [
        (x, y, "west", role) for x, y, role in pads_w]
    for x, y, _, _ in pads:
        (c << pad).dmove((x / 1000, y / 1000))
    c.add_port("o1", port=bank.ports["o1"])
    span = max(max(p[0][-1][1] for p in east) - min(p[0][-1][1] for p in east),
               max(p[0][-1][1] for p in west) - min(p[0][-1][1] for p in west),
               top - bottom + step * (len(up) + len(down)))
    c.info["pads"] = [list(p) for p in pads]
    c.info["min_pitch"] = span + grid.pitch
    c.info["n_east"], c.info["n_west"] = len(east), len(west)
    c.info["s_west"] = min(y for _, y, side, _ in pads if side == "west") - min(
        grid.centre(i)[1] for i in range(len(west)))
    _ROWS[key] = c
    return c


def _points_up(p: Any) -> bool:
    return abs(float(p.orientation) - 90.0) < 1.0


def _ring_modulators(c: gf.Component, last: Any, n: int, radius: float, gap: float,
                     rules: LayoutRules) -> tuple[Any, list[tuple[Any, str]], list[Any]]:
    """``n`` pn ring modulators in series on the bus from ``last``: the bus end, the
    terminals (port, role) and the references drawn."""
    xs = "strip"
    # the pn ring's optional doped heater is left out: the weight banks do the tuning
    cell = gf.get_component(_MODULATOR, radius=radius, gap=gap, doped_heater=False) \
        if _MODULATOR in ensure_pdk().cells else gf.get_component(
            "ring_single", radius=radius, gap=gap)
    refs, leads = [], []
    for k in range(n):
        s = c << gf.get_component("straight", length=_um(rules.bank_spacing), cross_section=xs)
        s.connect("o1", last)
        ref = c << cell
        ref.connect("o1", s.ports["o2"], allow_width_mismatch=True, allow_layer_mismatch=True)
        last = ref.ports["o2"]
        refs.append(ref)
        leads += [(ref.ports[t], f"mod{k}_{t}") for t in ("sig", "gnd") if t in ref.ports]
    return last, leads, refs


def _mzm_cell(rules: LayoutRules) -> gf.Component:
    """The PDK's ``mzm`` (pn phase shifter in each arm) with its P and N contacts
    ``metal_spacing`` apart (the generic cell's 2 um gap is under the top-metal space
    rule); its length is the PDK cell's. ``mzi_phase_shifter`` where the PDK has no mzm."""
    cells = ensure_pdk().cells
    if "mzm" not in cells:
        return gf.get_component("mzi_phase_shifter")
    length = gf.get_component("mzm").settings["length_x"]
    arm = gf.get_component("straight_pin", length=length,
                           via_stack_spacing=_um(rules.metal_spacing))
    return gf.get_component("mzm", straight_x_top=arm, straight_x_bot=arm)


def _mzm_section(c: gf.Component, last: Any, filters: tuple[gf.Component, ...],
                 rules: LayoutRules) -> tuple[Any, list[tuple[Any, str]], list[Any]]:
    """Demux - MZM - mux on the WDM bus from ``last``, one channel after another::

        mux bus  ==[mux k]===========[mux k+1]====   -> splitter tree
                      ^ add    |
                      +--MZM k-+  (vertical, input at the bottom)
                               |        v drop
        demux bus ===================[demux k]=====[demux k+1]===

    Demux ring ``k`` drops channel ``k`` into MZM ``k``; the mux ring ``k`` (mirrored, its
    drop bus below) adds it onto the mux bus. Each is a one-ring add-drop bank drawn like
    the weight banks' rings (``filters[k]``: radius on the grid, blue of channel ``k`` and
    tuned onto it by its heater). Each element keeps its own x range, so every terminal
    leaves straight up or down past the others.
    """
    xs = "strip"
    radius = gf.get_cross_section(xs).radius
    room = 2 * radius + _um(rules.fanout_clearance)
    mzm = _mzm_cell(rules)
    drop = max(f.ports["o2"].center[1] for f in filters)
    refs, leads = [], []
    x, y0 = last.center[0] + _um(rules.bank_spacing), last.center[1]
    mux_last = None
    for k, f in enumerate(filters):
        demux = c << f
        mz = c << mzm
        mz.drotate(90)
        mux = c << f
        mux.dmirror_y()
        fb, zb = f.dbbox(), mz.dbbox()
        mux.dmove((x - fb.left, 0.0))
        x_m = mux.dbbox().right + room - zb.left
        mz.dmove((x_m, y0 + drop + room - zb.bottom))
        demux.dmove((mz.dbbox().right + room - fb.left, y0))
        y_mux = mz.dbbox().top + room + drop
        mux.dmove((0.0, y_mux - mux.ports["o1"].center[1]))
        gf.routing.route_single(c, last, demux.ports["o1"], cross_section=xs)
        gf.routing.route_single(c, demux.ports["o2"], mz.ports["o1"], cross_section=xs)
        gf.routing.route_single(c, mz.ports["o2"], mux.ports["o3"], cross_section=xs)
        if mux_last is not None:
            gf.routing.route_single(c, mux_last, mux.ports["o1"], cross_section=xs)
        last, mux_last = demux.ports["o4"], mux.ports["o4"]
        x = demux.dbbox().right + room
        refs += [demux, mz, mux]
        for name, ref in (("demux", demux), ("mux", mux)):
            leads += [(p, f"{name}{k}_heater_{p.name[1:]}") for p in ref.ports
                      if p.port_type == "electrical"]
        # each contact strip's end that faces up
        leads += [(p, f"mzm{k}_{p.name}") for p in mz.ports
                  if p.port_type == "electrical" and _points_up(p)
                  and p.width < 2 * _um(rules.pad_size)]
    assert mux_last is not None
    return mux_last, leads, refs


def _chip(bank_cell: gf.Component, m: int, n: int, mod_radius: float, mod_gap: float,
          wavelength: float, rules: LayoutRules,
          filters: tuple[gf.Component, ...] = ()) -> gf.Component:
    c = gf.Component()
    um = _um
    space = um(rules.bank_spacing)
    clear = _nm(rules.fanout_clearance)
    xs = "strip"
    grid = PadGrid(_nm(rules.pad_pitch), _nm(rules.pad_size), _nm(rules.pad_pitch),
                   _nm(rules.metal_width), _nm(rules.metal_spacing))
    pad = pad_cell(grid.pad / 1000, um(rules.pad_opening_inset))

    # --- input: grating coupler, ring modulators on the WDM bus ----------------------
    gc = c << gf.get_component(_COUPLER, wavelength=wavelength)
    gc.drotate(180)
    last = gc.ports["o1"]
    if filters:
        last, leads, block = _mzm_section(c, last, filters, rules)
    else:
        last, leads, block = _ring_modulators(c, last, n, mod_radius, mod_gap, rules)
    s = c << gf.get_component("straight", length=space, cross_section=xs)
    s.connect("o1", last)
    last = s.ports["o2"]

    # --- broadcast tree; the bank rows (bank, detectors, routes, pads) ---------------
    if m > 1:
        tree = c << gf.get_component("splitter_tree", noutputs=m, cross_section=xs)
        tree.connect("o1_0_0", last)
        outs = sorted((p for p in tree.ports if p.name != "o1_0_0"),
                      key=lambda p: p.center[1])
    else:
        outs = [last]
    det = _detector(rules)
    x_tree = max(p.center[0] for p in outs)
    step = 2 * um(rules.waveguide_width) + 2 * gf.get_cross_section(xs).radius
    x_bank = x_tree + (m // 2 + 2) * step + space + _drop_detector_reach(det)
    x0_w = round((gc.dbbox().left - space) * 1000) - grid.pad // 2
    row = _bank_row(bank_cell, det, rules, grid, x0_w - round(x_bank * 1000))
    pb = max(grid.periods(max(row.info["n_east"], row.info["n_west"])),
             -(-int(row.info["min_pitch"]) // grid.pitch))

    # west edge, bottom to top: the banks below the input, the input terminals that leave
    # downwards, a gap across the input section, those that leave upwards, the banks above
    h = m // 2
    y_lo = round(min([r.dbbox().bottom for r in block] + [last.center[1]]) * 1000)
    y_hi = round(max([r.dbbox().top for r in block] + [last.center[1]]
                     + [p.center[1] for p, _ in leads]) * 1000)
    # leaving up, the easternmost terminal takes the highest slot; leaving down, the lowest
    up = sorted((e for e in leads if _points_up(e[0])), key=lambda e: e[0].center[0])
    down = sorted((e for e in leads if not _points_up(e[0])), key=lambda e: -e[0].center[0])
    p_down, p_up = grid.periods(len(down)), grid.periods(len(up))
    y_grid = y_lo - clear - (h * pb + p_down) * grid.pitch
    gap = -(-(y_hi - y_lo + 2 * clear) // grid.pitch)
    pads: list[tuple[int, int, str, str]] = []
    paths = []
    for band, k0 in ((down, h * pb), (up, h * pb + p_down + gap)):
        base = y_grid + k0 * grid.pitch
        for i, (p, role) in enumerate(band):
            x, y = round(p.center[0] * 1000), round(p.center[1] * 1000)
            paths.append([(x, y)] + _shift(grid.track(i, x, x0_w, -1), base))
            j, s_ = grid.centre(i)
            pads.append((x0_w - j * grid.row_pitch, base + s_, "west", role))
    if paths:
        c.kdb_cell.shapes(layer("MTOP")).insert(draw_tracks(paths, grid.width))
    for x, y, _, _ in pads:
        (c << pad).dmove((x / 1000, y / 1000))
    above = p_down + gap + p_up  # periods between the lower and the upper banks

    n_mid = (m - 1) / 2
    for b, out in enumerate(outs):
        period = b * pb + (above if b >= h else 0)
        y_b = (y_grid + period * grid.pitch - row.info["s_west"]) / 1000
        ref = c << row
        ref.dmove((x_bank, y_b))
        rank = int(abs(b - n_mid) - 0.5) if m > 1 else 0
        x_turn = x_tree + (m // 2 - rank) * step
        wps = [(x_turn, out.center[1]), (x_turn, y_b)] if abs(y_b - out.center[1]) > 1e-3 \
            else None
        gf.routing.route_single(c, out, ref.ports["o1"], cross_section=xs, waypoints=wps)
        if b == m // 2:
            c.info["zoom_bank_um"] = [x_bank, y_b, pb * grid.pitch / 1000]
        dx, dy = round(x_bank * 1000), round(y_b * 1000)
        pads += [(x + dx, y + dy, side, f"bank{b}_{role}")
                 for x, y, side, role in row.info["pads"]]

    # --- die, chip ports and labels ---------------------------------------------------
    # gdsfactory numbering: clockwise from the bottom of the west edge
    pads.sort(key=lambda p: (p[2] != "west", p[1] if p[2] == "west" else -p[1]))
    bb = c.dbbox()
    margin = um(rules.pad_pitch) / 2
    die = (bb.left - margin, bb.bottom - margin, bb.right + margin, bb.top + margin)
    if has_layer("FLOORPLAN"):
        c.add_polygon([(die[0], die[1]), (die[2], die[1]), (die[2], die[3]),
                       (die[0], die[3])], layer="FLOORPLAN")
    fibre = [p for p in gc.ports if p.name != "o1"]
    label_ports(c, fibre, {fibre[0].name: "o1"})
    port_map = {"o1": "fibre_input"}
    text_layer = "PORTE" if has_layer("PORTE") else "TEXT"
    for i, (x, y, side, role) in enumerate(pads, start=1):
        centre = (x / 1000, y / 1000)
        c.add_port(f"e{i}", center=centre, width=grid.pad / 1000,
                   orientation=180 if side == "west" else 0, layer="MTOP",
                   port_type="electrical")
        c.add_label(f"e{i}", position=centre, layer=text_layer)
        c.add_label(role, position=centre, layer="TEXT")
        port_map[f"e{i}"] = role
    c.info["port_map"] = port_map
    c.info["counts"] = {
        "couplers": 1, "modulators": n, "splitter_stages": int(math.ceil(math.log2(m))),
        "splitters": m - 1, "rings": n * m, "heaters": n * m + 2 * len(filters),
        "detectors": 2 * m, "pads": len(pads), "banks": m,
    }
    if filters:
        c.info["counts"] |= {"modulator_kind": "mzm", "demux_rings": n, "mux_rings": n}
    c.info["die_um"] = [round(die[2] - die[0], 3), round(die[3] - die[1], 3)]
    c.info["pad_ring"] = {
        "rows": ROWS, "pitch_um": grid.pitch / 1000, "row_pitch_um": grid.row_pitch / 1000,
        "west": sum(p[2] == "west" for p in pads), "east": sum(p[2] == "east" for p in pads),
        "bank_pitch_um": pb * grid.pitch / 1000}
    c.info["n_banks"] = m
    c.info["bank_cell"] = bank_cell.name
    c.info["ring_pitch_um"] = dict(bank_cell.info)["ring_pitch_um"]
    return c


def bank_plan(cfg: ChipConfig, rules: LayoutRules | None = None) -> Any:
    """The placement plan of ``cfg``'s bank (radii on the grid, pitch, gaps, drawn bank)."""
    ensure_pdk()
    return plan_bank(build_bank(cfg), rules_from_pdk() if rules is None else rules)
