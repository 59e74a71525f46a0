"""Design-rule check of a written GDS with KLayout's Python module.

gdsfactory's generic PDK publishes no design rules, so :func:`generic_rules` documents the
set used for it, derived from the drawing rules (:class:`LayoutRules`) and the cells the
layout places:

- ``WG`` width >= 300 nm (strip waveguides are 500 nm; the narrowest drawn features are
  the grating coupler's teeth);
  ``WG`` space >= 50 nm, the smallest coupler gap of the fitted gap model (the ring-bus
  gaps are the narrowest waveguide spacing on the chip);
- ``HEATER`` width >= half the drawn heater width, space >= ``heater_spacing``;
- ``MTOP`` width >= 3 um (modulator contact stacks are 3 um, traces ``metal_width``),
  space >= 3 um; ``MTOP`` encloses ``PADOPEN`` by >= ``pad_opening_inset``;
- ``M2`` encloses ``VIA1`` and ``VIA2`` by >= 1 um (the via cells' enclosure).

A PDK with its own rules passes them as :class:`Rule` objects. Every violation is reported
with its rule and location (the centre of the offending edge pair, um).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import klayout.db as kdb

from photonic_dfa.devices.coupler_gap import GAP_RANGE

from .layout_plan import LayoutRules

__all__ = ["Rule", "Violation", "generic_rules", "run_drc"]


@dataclass(frozen=True)
class Rule:
    """One check: ``kind`` "width", "space" or "enclosure" (``other`` inside ``layer``),
    ``value`` in m; layers by PDK name."""

    name: str
    kind: str
    layer: str
    value: float
    other: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("width", "space", "enclosure"):
            raise ValueError(f"kind must be 'width', 'space' or 'enclosure', got {self.kind!r}")
        if (self.kind == "enclosure") != (self.other is not None):
            raise ValueError(f"rule {self.name!r}: 'other' is for enclosure rules only")


@dataclass(frozen=True)
class Violation:
    rule: str
    x: float  # um
    y: float  # um
    measured: float  # um: width, space or enclosure found

    def as_dict(self) -> dict[str, float | str]:
        return {"rule": self.rule, "x_um": self.x, "y_um": self.y, "measured_um": self.measured}


def generic_rules(rules: LayoutRules | None = None) -> tuple[Rule, ...]:
    """The documented rule set for the generic PDK (module docstring)."""
    r = LayoutRules() if rules is None else rules
    return (
        Rule("WG.W.1", "width", "WG", 300e-9),
        Rule("WG.S.1", "space", "WG", GAP_RANGE[0]),
        Rule("HEATER.W.1", "width", "HEATER", r.heater_width / 2),
        Rule("HEATER.S.1", "space", "HEATER", r.heater_spacing),
        Rule("MTOP.W.1", "width", "MTOP", 3e-6),
        Rule("MTOP.S.1", "space", "MTOP", 3e-6),
        Rule("MTOP.EN.PADOPEN", "enclosure", "MTOP", r.pad_opening_inset, "PADOPEN"),
        Rule("M2.EN.VIA1", "enclosure", "M2", 1e-6, "VIA1"),
        Rule("M2.EN.VIA2", "enclosure", "M2", 1e-6, "VIA2"),
    )


def run_drc(path: str | Path, rules: Sequence[Rule],
            layers: dict[str, tuple[int, int]], max_per_rule: int = 100) -> list[Violation]:
    """Check the GDS at ``path``; ``layers`` maps the rules' layer names to (layer,
    datatype). Rules on a layer the GDS lacks are skipped (nothing drawn, nothing wrong).
    At most ``max_per_rule`` violations are listed per rule."""
    ly = kdb.Layout()
    ly.read(str(path))
    top = ly.top_cells()
    if len(top) != 1:
        raise ValueError(f"{path}: expected one top cell, found {len(top)}")
    top = top[0]
    dbu = ly.dbu
    regions: dict[str, kdb.Region] = {}
    # hierarchical ("deep") regions: repeated banks are checked once per cell variant
    dss = kdb.DeepShapeStore()

    def region(name: str) -> kdb.Region | None:
        if name not in regions:
            idx = ly.find_layer(kdb.LayerInfo(*layers[name])) if name in layers else None
            regions[name] = (kdb.Region(top.begin_shapes_rec(idx), dss)
                             if idx is not None else kdb.Region())
        return regions[name] if not regions[name].is_empty() else None

    out: list[Violation] = []
    for rule in rules:
        a = region(rule.layer)
        if a is None:
            continue
        d = round(rule.value / (dbu * 1e-6))
        if rule.kind == "width":
            pairs = a.width_check(d)
        elif rule.kind == "space":
            # between distinct shapes: a heater's leads meeting its arc are one net
            pairs = a.isolated_check(d)
        else:
            b = region(rule.other)
            if b is None:
                continue
            pairs = a.enclosing_check(b, d)
            outside = b - a  # not enclosed at all
            pairs += kdb.EdgePairs([kdb.EdgePair(e, e) for e in outside.edges().each()])
        pairs = pairs.flatten() if hasattr(pairs, "flatten") else pairs
        for k, pair in enumerate(pairs.each()):
            if k >= max_per_rule:
                break
            c = pair.bbox().center()
            out.append(Violation(rule.name, c.x * dbu, c.y * dbu, pair.distance() * dbu))
    return out
