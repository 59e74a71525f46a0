"""Design-rule check of written layouts (KLayout)."""

from __future__ import annotations

import numpy as np
import pytest

gf = pytest.importorskip("gdsfactory")
pytest.importorskip("klayout.db")

from photonic_dfa.circuits import layout, layout_pdk  # noqa: E402
from photonic_dfa.circuits.layout_drc import Rule, generic_rules, run_drc  # noqa: E402
from photonic_dfa.circuits.weight_bank import WeightBank  # noqa: E402
from photonic_dfa.devices.microring import AddDropRing  # noqa: E402


def _layers(rules):
    names = {r.layer for r in rules} | {r.other for r in rules if r.other}
    return {n: layout_pdk.layer_info(n) for n in names}


@pytest.fixture(scope="module")
def bank_cell():
    wls = 1550e-9 + 0.6e-9 * np.arange(3)
    bank = WeightBank.design(wls, ring=AddDropRing(radius=7e-6, r1=0.985, r2=0.985),
                             ring_pitch=25e-6)
    return layout.bank_component(bank)


def test_drawn_bank_is_clean(bank_cell, tmp_path):
    rules = generic_rules(layout_pdk.rules_from_pdk())
    path = layout.write_gds(bank_cell, tmp_path / "bank.gds")
    assert run_drc(path, rules, _layers(rules)) == []


def test_narrowed_waveguide_is_reported_where_it_is(bank_cell, tmp_path):
    top = gf.Component()
    top << bank_cell
    narrow = top << gf.components.straight(length=20.0, width=0.2)
    narrow.dmove((0.0, -200.0))  # spans x 0..20 um at y = -200 um
    rules = generic_rules(layout_pdk.rules_from_pdk())
    found = run_drc(layout.write_gds(top, tmp_path / "bad.gds"), rules, _layers(rules))
    assert {v.rule for v in found} == {"WG.W.1"}
    for v in found:
        assert 0.0 <= v.x <= 20.0 and v.y == pytest.approx(-200.0, abs=0.1)
        assert v.measured == pytest.approx(0.2)


def test_rules_are_checked_and_validated():
    with pytest.raises(ValueError, match="kind"):
        Rule("bad", "area", "WG", 1e-6)
    with pytest.raises(ValueError, match="enclosure"):
        Rule("bad", "width", "WG", 1e-6, "HEATER")
