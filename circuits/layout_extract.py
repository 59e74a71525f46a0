"""Layout versus simulation: read a written GDS back, rebuild the bank from its geometry.

:func:`extract_banks` finds every weight-bank cell in a GDS (KLayout), measures in it the
ring centreline radii and straight coupler lengths, the through and drop gaps, the bus
segment lengths between couplers (along the drawn drop bus, jogs included) and reads the
channel wavelengths from the ``ch{k} {nm} nm`` texts at the ring centres. :func:`rebuild_bank`
turns one extraction into a :class:`WeightBank` (couplings from the gaps through the
coupler model; waveguide, heater and crosstalk from a reference bank, as they are process
data, not geometry), and :func:`compare_banks` reports how far its weights, spectra and
cold resonances are from the design's.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import klayout.db as kdb
import numpy as np

from photonic_dfa.devices.coupler_gap import power_coupling_from_gap

from .weight_bank import WeightBank

__all__ = ["ExtractedBank", "extract_banks", "rebuild_bank", "compare_banks",
           "exact_vs_sax"]

_LABEL = re.compile(r"^ch(\d+) ([0-9.]+) nm$")


@dataclass(frozen=True)
class ExtractedBank:
    """Geometry of one drawn bank (metres), rings left to right."""

    cell: str
    radius: tuple[float, ...]
    coupler_length: tuple[float, ...]
    gap_through: tuple[float, ...]
    gap_drop: tuple[float, ...]
    #: straight through-bus segment between neighbouring couplers
    through_segments: tuple[float, ...]
    #: drop-bus path between neighbouring couplers, along the drawn centreline
    drop_segments: tuple[float, ...]
    channel_wavelengths: tuple[float, ...]

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _texts(cell: Any, idx: int) -> list[tuple[str, int, int]]:
    out = []
    for shape in cell.shapes(idx).each(kdb.Shapes.STexts):
        p = shape.text.trans.disp
        out.append((shape.text.string, p.x, p.y))
    return out


def _bus_path_length(bus: kdb.Polygon, x0: int, x1: int) -> float:
    """Centreline length of a bus polygon between x0 and x1 (dbu): mean of its two edges."""
    pts = [(p.x, p.y) for p in bus.each_point_hull()]
    # the hull of a path polygon runs out along one edge and back along the other: split
    # it at its two extreme-x turning points
    xs = [p[0] for p in pts]
    i_min, i_max = int(np.argmin(xs)), int(np.argmax(xs))
    a, b = sorted((i_min, i_max))
    edges = [pts[a:b + 1], pts[b:] + pts[:a + 1]]
    lengths = []
    for edge in edges:
        total = 0.0
        for (ax, ay), (bx, by) in zip(edge, edge[1:]):
            if ax == bx:
                continue
            lo, hi = max(min(ax, bx), x0), min(max(ax, bx), x1)
            if hi > lo:
                total += (hi - lo) / abs(bx - ax) * math.hypot(bx - ax, by - ay)
        lengths.append(total)
    return float(np.mean(lengths))


def _extract_cell(ly: kdb.Layout, cell: Any, wg: int, text: int) -> ExtractedBank | None:
    dbu = ly.dbu * 1e-6  # m per database unit
    region = kdb.Region(cell.begin_shapes_rec(wg)).merged()
    rings = sorted((p for p in region.each() if p.holes() == 1),
                   key=lambda p: p.bbox().center().x)
    buses = sorted((p for p in region.each() if p.holes() == 0),
                   key=lambda p: p.bbox().bottom)
    if not rings or len(buses) < 2:
        return None
    through, drop = buses[0], buses[-1]
    tb = through.bbox()
    radius, lc, g1, g2, xs, xl, xr = [], [], [], [], [], [], []
    for ring in rings:
        outer = ring.bbox()
        hole = kdb.Polygon([p for p in ring.each_point_hole(0)]).bbox()
        width = (outer.height() - hole.height()) / 2
        rad = (outer.height() - width) / 2
        straight = outer.width() - outer.height()
        cx = outer.center().x
        radius.append(rad * dbu)
        lc.append(straight * dbu)
        g1.append((outer.bottom - tb.top) * dbu)
        probe = kdb.Region(drop) & kdb.Region(kdb.Box(cx - 1, outer.top, cx + 1,
                                                      outer.top + 10 * outer.height()))
        g2.append((probe.bbox().bottom - outer.top) * dbu)
        xs.append(cx)
        xl.append(cx - straight // 2)
        xr.append(cx + straight - straight // 2)
    through_seg = tuple((xl[k + 1] - xr[k]) * dbu for k in range(len(rings) - 1))
    drop_seg = tuple(_bus_path_length(drop, xr[k], xl[k + 1]) * dbu
                     for k in range(len(rings) - 1))
    labels = {}
    for s, _x, _y in _texts(cell, text):
        m = _LABEL.match(s)
        if m:
            labels[int(m.group(1))] = float(m.group(2)) * 1e-9
    wls = tuple(labels.get(k, float("nan")) for k in range(len(rings)))
    return ExtractedBank(cell.name, tuple(radius), tuple(lc), tuple(g1), tuple(g2),
                         through_seg, drop_seg, wls)


def extract_banks(path: str | Path, wg_layer: tuple[int, int],
                  text_layer: tuple[int, int]) -> list[ExtractedBank]:
    """Every weight-bank body cell of the GDS at ``path`` (layers as (layer, datatype))."""
    ly = kdb.Layout()
    ly.read(str(path))
    wg = ly.find_layer(kdb.LayerInfo(*wg_layer))
    text = ly.find_layer(kdb.LayerInfo(*text_layer))
    if wg is None:
        raise ValueError(f"{path}: no waveguide layer {wg_layer}")
    text = text if text is not None else ly.layer(kdb.LayerInfo(*text_layer))
    out = []
    for cell in ly.each_cell():
        if cell.name.startswith("weight_bank_body"):
            got = _extract_cell(ly, cell, wg, text)
            if got is not None:
                out.append(got)
    if not out:
        raise ValueError(f"{path}: no weight bank cell found")
    return out


def rebuild_bank(geometry: ExtractedBank, reference: WeightBank) -> WeightBank:
    """The :class:`WeightBank` the drawn geometry makes (see the module docstring).

    Radii, straight coupler lengths, couplings (from the gaps) and the bus length (mean of
    the through and drop segments) come from the layout; waveguide, heater, crosstalk and
    exact channel wavelengths from ``reference`` (``ValueError`` if the GDS channel labels,
    written to the picometre, disagree with them).
    """
    n = len(geometry.radius)
    if n != reference.n_channels:
        raise ValueError(f"the layout has {n} rings, the reference bank "
                         f"{reference.n_channels}")
    rings = []
    for k, ref in enumerate(reference.rings):
        rad = geometry.radius[k]
        k1 = float(power_coupling_from_gap(geometry.gap_through[k], rad))
        k2 = float(power_coupling_from_gap(geometry.gap_drop[k], rad))
        rings.append(replace(ref, radius=rad, coupler_length=geometry.coupler_length[k],
                             r1=math.sqrt(1.0 - k1), r2=math.sqrt(1.0 - k2)))
    labels = np.asarray(geometry.channel_wavelengths)
    off = np.abs(labels - np.asarray(reference.channel_wavelengths))
    if not np.all(off <= 1e-12):  # labels carry pm: they identify, the reference is exact
        raise ValueError(f"the layout's channel labels differ from the reference bank's "
                         f"channels by up to {np.nanmax(off) if off.size else 0:.3g} m")
    segs = geometry.through_segments + geometry.drop_segments
    bus = float(np.mean(segs)) if segs else reference.bus_length
    return replace(reference, rings=tuple(rings), bus_length=bus)


def _cold(bank: WeightBank) -> np.ndarray:
    return np.array([r.resonance_near(w) for r, w in zip(bank.rings, bank.channel_wavelengths)])


def compare_banks(design: WeightBank, drawn: WeightBank, n_settings: int = 8,
                  seed: int = 0, solver: str = "exact", n_wavelengths: int = 801
                  ) -> dict[str, float]:
    """Largest differences between ``drawn`` and ``design`` at the same heater powers.

    Powers: those that program ``n_settings`` random weight vectors (uniform in the
    design's symmetric range, seeded) plus both extremes, solved on the design with the
    fast solver; weights and spectra are then evaluated with ``solver`` on both banks.
    Spectra over the channel band (one spacing either side), ``n_wavelengths`` points.
    """
    rng = np.random.default_rng(seed)
    s = design.symmetric_weight_range
    n = design.n_channels
    targets = np.vstack([np.full(n, -s), np.full(n, s),
                         rng.uniform(-s, s, size=(n_settings, n))])
    powers = design.heater_powers_for_weights(targets, solver="fast")
    w_design = design.weights(powers, solver=solver)
    w_drawn = drawn.weights(powers, solver=solver)
    lam = np.asarray(design.channel_wavelengths)
    step = float(np.min(np.diff(lam))) if n > 1 else design.rings[0].fwhm(lam[0]) * 10
    wl = np.linspace(lam[0] - step, lam[-1] + step, n_wavelengths)
    t_a, d_a = design.spectra(wl, powers[:2], solver=solver)
    t_b, d_b = drawn.spectra(wl, powers[:2], solver=solver)
    return {
        "max_weight_difference": float(np.max(np.abs(w_drawn - w_design))),
        "max_resonance_shift": float(np.max(np.abs(_cold(drawn) - _cold(design)))),
        "max_spectrum_difference": float(max(np.max(np.abs(t_b - t_a)),
                                             np.max(np.abs(d_b - d_a)))),
        "weight_settings": int(targets.shape[0]),
    }


def exact_vs_sax(bank: WeightBank, n_wavelengths: int = 201) -> float:
    """Largest |exact - SAX| of the through and drop spectra of ``bank`` (cold, band)."""
    from .bank_netlist import simulate_bank_sax

    lam = np.asarray(bank.channel_wavelengths)
    pad = float(np.min(np.diff(lam))) if lam.size > 1 else 1e-9
    wl = np.linspace(lam[0] - pad, lam[-1] + pad, n_wavelengths)
    t, d = bank.spectra(wl, np.zeros(bank.n_channels), solver="exact")
    ts, ds = simulate_bank_sax(bank, wl)
    return float(max(np.max(np.abs(t - ts)), np.max(np.abs(d - ds))))


def pad_connectivity(path: str | Path, metal: tuple[int, int], pad_open: tuple[int, int],
                     via: tuple[int, int], lower: tuple[int, int]) -> dict[str, int]:
    """Nets of the top ``metal`` of a GDS: which pads (``pad_open`` shapes) reach which
    terminals (``lower``-metal islands under a ``via`` to ``metal``: one per via stack).

    A clean pad ring has ``pads == terminals == nets_one_pad_one_terminal``: every net
    carries exactly one pad and one terminal.
    """
    ly = kdb.Layout()
    ly.read(str(path))
    top = ly.top_cells()[0]

    def region(info: tuple[int, int]) -> kdb.Region:
        idx = ly.find_layer(kdb.LayerInfo(*info))
        return kdb.Region(top.begin_shapes_rec(idx)).merged() if idx is not None \
            else kdb.Region()

    nets, opens, vias = region(metal), region(pad_open), region(via)
    terminals = region(lower).interacting(vias)
    with_pad = nets.interacting(opens)
    one_pad = nets.interacting(opens, 1, 1)
    one_each = one_pad.interacting(terminals, 1, 1)
    return {
        "pads": opens.count(),
        "terminals": terminals.count(),
        "nets_with_pad": with_pad.count(),
        "nets_one_pad_one_terminal": one_each.count(),
        "nets_with_several_pads": nets.interacting(opens, 2).count(),
        "pads_without_terminal": with_pad.not_interacting(vias).count(),
        "terminals_without_pad": nets.interacting(vias).not_interacting(opens).count(),
    }
