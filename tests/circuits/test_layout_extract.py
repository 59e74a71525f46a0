"""Layout versus simulation: the bank rebuilt from the written GDS is the drawn design."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("klayout.db")

from photonic_dfa.circuits import layout, layout_pdk  # noqa: E402
from photonic_dfa.circuits.layout_extract import (  # noqa: E402
    compare_banks,
    exact_vs_sax,
    extract_banks,
    rebuild_bank,
)
from photonic_dfa.circuits.weight_bank import WeightBank  # noqa: E402
from photonic_dfa.devices.microring import AddDropRing  # noqa: E402


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    wls = 1550e-9 + 0.6e-9 * np.arange(3)
    bank = WeightBank.design(wls, ring=AddDropRing(radius=7e-6, r1=0.985, r2=0.985),
                             ring_pitch=25e-6)
    plan = layout.plan_bank(bank)
    path = layout.write_gds(bank, tmp_path_factory.mktemp("lvs") / "bank.gds")
    (geo,) = extract_banks(path, layout_pdk.layer_info("WG"), layout_pdk.layer_info("TEXT"))
    return plan, geo


def test_geometry_read_back_is_the_plan(extracted):
    plan, geo = extracted
    assert geo.radius == pytest.approx([p.radius for p in plan.rings], abs=1e-15)
    assert geo.gap_through == pytest.approx([p.gap_through for p in plan.rings], abs=1e-15)
    assert geo.gap_drop == pytest.approx([p.gap_drop for p in plan.rings], abs=1e-15)
    assert geo.through_segments == pytest.approx([plan.ring_pitch] * 2, abs=1e-15)
    # the drop bus jogs between rings of different radii: a few nm longer at most
    assert all(0 <= d - plan.ring_pitch < 1e-9 for d in geo.drop_segments)


def test_rebuilt_bank_matches_the_design_and_sax(extracted):
    plan, geo = extracted
    drawn = rebuild_bank(geo, plan.bank)
    cmp = compare_banks(plan.bank, drawn, n_settings=2)
    assert cmp["max_resonance_shift"] < 1e-13  # radii exact; buses do not move resonances
    assert cmp["max_weight_difference"] < 0.02  # gaps on the 1 nm grid: couplings ~1 %
    assert exact_vs_sax(drawn, n_wavelengths=41) < 1e-6
