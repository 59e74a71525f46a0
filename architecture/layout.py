"""Whole-chip layout of the broadcast-and-weight core, built from a :class:`ChipConfig`.

Everything drawn comes from the configuration or the active gdsfactory PDK: the bank is
``build_bank(cfg)`` as the simulator builds it (drawn by :mod:`photonic_dfa.circuits.layout`
with its radii on the grid), the input modulator ring from ``modulator.ring`` (radius
from its FSR and the waveguide group index, gap from its self-coupling through the coupler
model), the grating coupler centred on ``laser.center_wavelength``; the cells are the
PDK's own (``grating_coupler_rectangular``, ``ring_single_pn``, ``splitter_tree``,
``ge_detector_straight_si_contacts``, ``pad``, ``straight``) and waveguides and wires are
routed with ``gf.routing``. Spacings are the :class:`LayoutRules` ones.

Floor plan (x to the right)::

    fibre -> GC -> mod0 mod1 ... mod{N-1} -> 1xM splitter tree -+-> bank 0 -> PD pair, pads
             modulator pads above the bus                       +-> bank 1 -> PD pair, pads
                                                                 ...   (banks in a column)

Each bank's through port feeds one detector of its balanced pair directly east of it;
its drop port (west end of the drop bus) is routed west, up through the gap above the bank
and east to the other detector. A PDK without a detector cell gets a placeholder: a box
on the ``GE`` layer with an optical port ``o1`` and electrical ports ``top`` / ``bot``.

Chip ports: ``o1`` the fibre port of the input coupler; ``e1``... every pad (modulators,
then bank by bank its heater pads and its four detector pads); ``info["port_map"]`` names
each one (``mod3_sig``, ``bank2_heater5_1``, ``bank2_pd_drop_top``...).
"""

from __future__ import annotations

import math
from typing import Any

import gdsfactory as gf

from photonic_dfa.circuits.layout import bank_component, label_ports
from photonic_dfa.circuits.layout_pdk import ensure_pdk, has_layer, pdk_key, rules_from_pdk
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
    if cfg.modulator.kind != "ring":
        raise ValueError("chip_component draws ring input modulators only; got "
                         f"modulator.kind={cfg.modulator.kind!r}")
    ensure_pdk()
    rules = rules_from_pdk() if rules is None else rules
    bank = build_bank(cfg)
    mod_r, mod_gap = modulator_geometry(cfg)
    bank_cell = bank_component(bank, labels=labels, rules=rules)
    key = (bank_cell.name, cfg.core.n_outputs, cfg.core.n_inputs, _um(mod_r), _um(mod_gap),
           _um(cfg.laser.center_wavelength), rules, labels, pdk_key())
    if key not in _CACHE:
        c = _chip(bank_cell, *key[1:7])
        c.name = f"photonic_core_{abs(hash(key)):x}"[:40]
        _CACHE[key] = c
    return _CACHE[key]


_CACHE: dict[tuple[Any, ...], gf.Component] = {}


def _chip(bank_cell: gf.Component, m: int, n: int, mod_radius: float, mod_gap: float,
          wavelength: float, rules: LayoutRules) -> gf.Component:
    c = gf.Component()
    um = _um
    pad_size, pad_pitch = um(rules.pad_size), um(rules.pad_pitch)
    space = um(rules.bank_spacing)
    xs = "strip"
    pad = pad_cell(pad_size, um(rules.pad_opening_inset))
    port_map: dict[str, str] = {}
    pads: list[tuple[Any, str]] = []  # (port, role), numbered e1... in this order

    # --- input: grating coupler, ring modulators on the WDM bus ----------------------
    gc = c << gf.get_component(_COUPLER, wavelength=wavelength)
    gc.drotate(180)
    last = gc.ports["o1"]
    # the pn ring's optional doped heater is left out: the weight banks do the tuning
    mod_cell = gf.get_component(_MODULATOR, radius=mod_radius, gap=mod_gap,
                                doped_heater=False) \
        if _MODULATOR in ensure_pdk().cells else gf.get_component(
            "ring_single", radius=mod_radius, gap=mod_gap)
    mods = []
    for k in range(n):
        s = c << gf.get_component("straight", length=2 * pad_pitch if k else space,
                                  cross_section=xs)
        s.connect("o1", last)
        ref = c << mod_cell
        ref.connect("o1", s.ports["o2"], allow_width_mismatch=True, allow_layer_mismatch=True)
        last = ref.ports["o2"]
        mods.append(ref)
    y_mod_pads = max(r.dbbox().top for r in mods) + space + pad_size / 2 if mods else 0.0
    for k, ref in enumerate(mods):
        for j, name in enumerate(p.name for p in ref.ports if p.port_type == "electrical"
                                 and p.name in ("sig", "gnd")):
            x = ref.ports["o1"].center[0] + (j - 0.5) * pad_pitch
            pr = c << pad
            pr.dmove((x, y_mod_pads))
            gf.routing.route_single_electrical(c, ref.ports[name], pr.ports["e4"])
            pads.append((pr.ports["pad"], f"mod{k}_{name}"))
    s = c << gf.get_component("straight", length=space, cross_section=xs)
    s.connect("o1", last)
    last = s.ports["o2"]

    # --- broadcast tree and the banks in a column ---------------------------------------
    if m > 1:
        tree = c << gf.get_component("splitter_tree", noutputs=m, cross_section=xs)
        tree.connect("o1_0_0", last)
        outs = sorted((p for p in tree.ports if p.name != "o1_0_0"),
                      key=lambda p: p.center[1])
    else:
        outs = [last]
    bb = bank_cell.dbbox()
    o1 = bank_cell.ports["o1"]
    pitch = bb.height() + space + pad_pitch + pad_size  # room for the drop-detector pads
    y0 = last.center[1] - (m - 1) * pitch / 2
    x_tree = max(p.center[0] for p in outs)
    step = 2 * um(rules.waveguide_width) + 2 * gf.get_cross_section(xs).radius
    x_bank_left = x_tree + (m // 2 + 2) * step + space  # west edge of the bank bboxes
    det = _detector(rules)
    det_w = det.dbbox().width()
    n_mid = (m - 1) / 2
    for b, out in enumerate(outs):
        ref = c << bank_cell
        ref.dmove((x_bank_left - bb.left, y0 + b * pitch - o1.center[1]))
        rb = ref.dbbox()
        # fan-out: routes further from the centre turn first, so none crosses another
        rank = int(abs(b - n_mid) - 0.5) if m > 1 else 0
        x_turn = x_tree + (m // 2 - rank) * step
        y_b = ref.ports["o1"].center[1]
        gf.routing.route_single(c, out, ref.ports["o1"], cross_section=xs,
                                waypoints=[(x_turn, out.center[1]), (x_turn, y_b)])
        x_det = rb.right + space
        d_thru = c << det
        d_thru.dmove((x_det - d_thru.ports["o1"].center[0], y_b - d_thru.ports["o1"].center[1]))
        gf.routing.route_single(c, ref.ports["o4"], d_thru.ports["o1"], cross_section=xs)
        y_top = rb.top + space / 2
        d_drop = c << det
        d_drop.dmove((x_det - d_drop.ports["o1"].center[0],
                      y_top - d_drop.ports["o1"].center[1]))
        o2 = ref.ports["o2"]
        x_west = rb.left - space / 4
        gf.routing.route_single(c, o2, d_drop.ports["o1"], cross_section=xs,
                                waypoints=[(x_west, o2.center[1]), (x_west, y_top)])
        names = bank_cell.info["port_map"]
        for p in ref.ports:
            if p.port_type == "electrical":
                pads.append((p, f"bank{b}_{names[p.name]}"))
        for dref, role in ((d_thru, "pd_through"), (d_drop, "pd_drop")):
            yc = dref.ports["o1"].center[1]
            x_pad = x_det + det_w + space / 2 + pad_size / 2
            for name, sign in (("top", 1), ("bot", -1)):
                pr = c << pad
                pr.dmove((x_pad, yc + sign * pad_pitch / 2))
                gf.routing.route_single_electrical(c, dref.ports[name], pr.ports["e1"])
                pads.append((pr.ports["pad"], f"bank{b}_{role}_{name}"))

    # --- chip ports and labels ------------------------------------------------------------
    fibre = [p for p in gc.ports if p.name != "o1"]
    names = {fibre[0].name: "o1"}
    label_ports(c, fibre, names)
    port_map["o1"] = "fibre_input"
    for i, (p, role) in enumerate(pads, start=1):
        c.add_port(f"e{i}", center=p.center, width=p.width, orientation=p.orientation,
                   layer="MTOP", port_type="electrical")
        c.add_label(f"e{i}", position=tuple(p.center),
                    layer="PORTE" if has_layer("PORTE") else "TEXT")
        port_map[f"e{i}"] = role
    c.info["port_map"] = port_map
    c.info["counts"] = {
        "couplers": 1, "modulators": n, "splitter_stages": int(math.ceil(math.log2(m))),
        "splitters": m - 1, "rings": n * m, "heaters": n * m, "detectors": 2 * m,
        "pads": len(pads), "banks": m,
    }
    c.info["n_banks"] = m
    info = dict(bank_cell.info)
    c.info["bank_cell"] = bank_cell.name
    c.info["ring_pitch_um"] = info["ring_pitch_um"]
    return c


def bank_plan(cfg: ChipConfig, rules: LayoutRules | None = None) -> Any:
    """The placement plan of ``cfg``'s bank (radii on the grid, pitch, gaps, drawn bank)."""
    ensure_pdk()
    return plan_bank(build_bank(cfg), rules_from_pdk() if rules is None else rules)
