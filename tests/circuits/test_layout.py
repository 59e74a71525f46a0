"""GDS layout of a weight bank, read back with KLayout and compared with the simulated design."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, replace

import numpy as np
import pytest

kdb = pytest.importorskip("klayout.db")
layout = pytest.importorskip("photonic_dfa.circuits.layout")
from photonic_dfa.circuits import layout_pdk  # noqa: E402
from photonic_dfa.circuits.weight_bank import WeightBank  # noqa: E402
from photonic_dfa.devices.coupler_gap import DEFAULT_GAP, gap_for_coupling  # noqa: E402
from photonic_dfa.devices.microring import AddDropRing  # noqa: E402

N = 4
DBU_NM = 1.0  # KLayout database unit of the written GDS, nm
RULES = layout_pdk.rules_from_pdk()
W_NM = round(RULES.waveguide_width * 1e9)


def _bank(n: int = N, pitch: float = 25e-6, **ring: float) -> WeightBank:
    template = AddDropRing(**{"radius": 7e-6, "r1": 0.982, "r2": 0.985, **ring})
    wls = 1550e-9 + 0.6e-9 * np.arange(n)
    return WeightBank.design(wls, ring=template, ring_pitch=pitch, crosstalk=False)


@dataclass(frozen=True)
class ReadBack:
    ly: object
    top: object

    def region(self, name: str):
        idx = self.ly.find_layer(kdb.LayerInfo(*layout_pdk.layer_info(name)))
        if idx is None:
            return kdb.Region()
        return kdb.Region(self.top.begin_shapes_rec(idx)).merged()

    def texts(self, name: str) -> dict[str, tuple[float, float]]:
        idx = self.ly.find_layer(kdb.LayerInfo(*layout_pdk.layer_info(name)))
        out = {}
        it = self.top.begin_shapes_rec(idx)
        while not it.at_end():
            shape = it.shape()
            if shape.is_text():
                p = it.trans() * shape.text.trans.disp
                out[shape.text.string] = (p.x, p.y)
            it.next()
        return out

    def rings(self) -> list:
        """Waveguide polygons with a hole (rings), left to right."""
        return sorted((p for p in self.region("WG").each() if p.holes() == 1),
                      key=lambda p: p.bbox().center().x)

    def buses(self) -> tuple:
        """(through bus, drop bus): the waveguide polygons without holes, bottom first."""
        bus = sorted((p for p in self.region("WG").each() if p.holes() == 0),
                     key=lambda p: p.bbox().bottom)
        assert len(bus) == 2
        return bus[0], bus[1]


def _read(path) -> ReadBack:
    ly = kdb.Layout()
    ly.read(str(path))
    assert ly.dbu * 1e3 == pytest.approx(DBU_NM)
    tops = ly.top_cells()
    assert len(tops) == 1
    return ReadBack(ly, tops[0])


@pytest.fixture(scope="module")
def bank() -> WeightBank:
    return _bank()


@pytest.fixture(scope="module")
def gds(bank, tmp_path_factory) -> ReadBack:
    path = tmp_path_factory.mktemp("gds") / "bank.gds"
    assert layout.write_gds(bank, path) == path
    return _read(path)


# --- the GDS is the simulated design ------------------------------------------------------
def test_ring_count_and_radii_match_the_simulated_design_to_the_grid(bank, gds):
    rings = gds.rings()
    drawn = layout.plan_bank(bank).bank
    assert len(rings) == len(bank.rings) == N
    for poly, ring, d in zip(rings, bank.rings, drawn.rings):
        box = poly.bbox()
        assert box.width() == box.height()  # a circle: coupler_length is 0
        radius_nm = (box.height() - W_NM) / 2 * DBU_NM  # centreline radius from geometry
        assert radius_nm == pytest.approx(d.radius * 1e9, abs=1e-6)
        # floored to the grid (a smaller ring is bluer), never more than a few steps
        assert 0 <= ring.radius * 1e9 - radius_nm < 3
    # The rings really differ (each one solved for its own channel), and so do the drawings.
    drawn = [(p.bbox().height() - W_NM) / 2 for p in rings]
    assert len(set(drawn)) == N


def test_ring_centres_sit_at_the_pitch(bank, gds):
    plan = layout.plan_bank(bank)
    xs = np.array([p.bbox().center().x for p in gds.rings()]) * DBU_NM * 1e-9
    np.testing.assert_allclose(np.diff(xs), plan.ring_pitch, atol=1e-9)
    assert plan.pitch_source == "bus_length" and plan.ring_pitch == pytest.approx(
        bank.bus_length)


def test_coupler_gaps_follow_the_coupling_model(bank, gds):
    through, drop = gds.buses()
    for poly, ring in zip(gds.rings(), bank.rings):
        box = poly.bbox()
        want1, ok1 = gap_for_coupling(ring.r1, ring.radius)
        want2, ok2 = gap_for_coupling(ring.r2, ring.radius)
        assert ok1 and ok2
        gap1 = (box.bottom - through.bbox().top) * DBU_NM
        cx = box.center().x
        above = kdb.Region(drop) & kdb.Region(kdb.Box(cx - 1, box.top, cx + 1, box.top + 10_000))
        gap2 = (above.bbox().bottom - box.top) * DBU_NM
        assert gap1 == round(float(want1) * 1e9)
        assert gap2 == round(float(want2) * 1e9)


def test_optical_ports_are_labelled_at_the_bus_ends(bank, gds):
    labels = gds.texts("PORT")
    assert set(labels) == {"o1", "o2", "o3", "o4"}
    assert layout.bank_component(bank).info["port_map"]["o4"] == "through"
    through, drop = gds.buses()
    tb, db = through.bbox(), drop.bbox()
    assert labels["o1"] == (tb.left, tb.center().y)
    assert labels["o4"] == (tb.right, tb.center().y)
    for name, x in (("o2", db.left), ("o3", db.right)):
        lx, ly = labels[name]
        assert lx == x
        end = kdb.Region(drop) & kdb.Region(kdb.Box(x - 1, db.bottom, x + 1, db.top))
        assert ly == end.bbox().center().y
    # and the gdsfactory ports of the component agree with what survived in the GDS
    comp = layout.bank_component(bank)
    for port in comp.ports:
        if port.port_type == "optical":
            assert labels[port.name] == tuple(round(v * 1000) for v in port.center)


def test_one_heater_per_ring_and_two_isolated_pads_per_heater(bank, gds):
    heaters = list(gds.region("HEATER").each())
    assert len(heaters) == N
    for heater, ring in zip(sorted(heaters, key=lambda p: p.bbox().left), gds.rings()):
        assert heater.bbox().contains(ring.bbox().center())
    pads = list(gds.region("PADOPEN").each())
    assert len(pads) == 2 * N
    labels = gds.texts("PORTE")
    assert set(labels) == {f"e{k}" for k in range(1, 2 * N + 1)}
    for name, (x, y) in labels.items():
        assert sum(p.bbox().contains(kdb.Point(x, y)) for p in pads) == 1, name
    # Top metal: one net per pad (via stack, trace and pad), so no heater is shorted.
    nets = list(gds.region("MTOP").each())
    assert len(nets) == 2 * N
    for net in nets:
        assert sum(net.inside(kdb.Point(x, y)) for x, y in labels.values()) == 1


def test_channel_labels_carry_the_channel_wavelengths(bank, gds):
    texts = gds.texts("TEXT")
    found = {}
    for s in texts:
        m = re.fullmatch(r"ch(\d+) ([0-9.]+) nm", s)
        if m:
            found[int(m.group(1))] = float(m.group(2))
    assert sorted(found) == list(range(N))
    np.testing.assert_allclose([found[k] for k in range(N)],
                               np.array(bank.channel_wavelengths) * 1e9, atol=1e-3)
    assert gds.region("TEXT").count() > 0  # the human-readable polygons too


# --- options, caching, errors ---------------------------------------------------------------
def test_names_are_unique_per_design_and_cached(bank):
    a = layout.bank_component(bank)
    assert layout.bank_component(bank) is a
    other = _bank(radius=7.5e-6)
    assert layout.bank_component(other).name != a.name
    assert layout.bank_component(bank, labels=False).name != a.name


def test_without_heaters_pads_or_labels(bank, tmp_path):
    path = layout.write_gds(layout.bank_component(bank, heater=False, labels=False),
                            tmp_path / "bare.gds")
    rb = _read(path)
    assert len(rb.rings()) == N
    assert rb.region("HEATER").count() == rb.region("PADOPEN").count() == 0
    assert rb.region("TEXT").count() == 0
    no_pads = layout.bank_component(bank, pads=False)
    assert {p.name for p in no_pads.ports if p.port_type == "electrical"} == {
        f"e{k}" for k in range(1, 2 * N + 1)}


@pytest.mark.parametrize("contacts", ["outside", "inside"])
def test_contact_arrangements_keep_nets_apart(contacts, tmp_path):
    bank = _bank(radius=10e-6, pitch=30e-6)
    rules = replace(RULES, contacts=contacts)
    plan = layout.plan_bank(bank, rules)
    assert plan.contacts == contacts
    comp = layout.bank_component(bank, rules=rules)
    rb = _read(layout.write_gds(comp, tmp_path / f"{contacts}.gds"))
    assert rb.region("HEATER").count() == N
    assert rb.region("MTOP").count() == 2 * N
    assert rb.region("PADOPEN").count() == 2 * N


def test_pitch_too_small_for_the_contacts_is_widened_and_simulated():
    bank = _bank(radius=10e-6)  # 25 um pitch: only the inside contacts fit
    assert layout.plan_bank(bank).contacts == "inside"
    plan = layout.plan_bank(bank, replace(RULES, contacts="outside"))
    assert plan.pitch_source == "layout" and plan.ring_pitch > 25e-6
    assert plan.requested_pitch == pytest.approx(25e-6)
    assert plan.bank.bus_length == pytest.approx(plan.ring_pitch)


@pytest.mark.parametrize("radius", [5e-6, 7e-6, 12e-6, 15e-6])
def test_every_designed_radius_is_drawable(radius):
    from photonic_dfa.devices.laser import ChannelGrid

    bank = WeightBank.design(ChannelGrid(n_channels=4), ring=AddDropRing(radius=radius))
    comp = layout.bank_component(bank)
    assert len(comp.info["ring_radius_um"]) == 4
    plan = layout.plan_bank(bank)
    assert plan.ring_pitch >= bank.bus_length
    assert plan.bank.bus_length == pytest.approx(plan.ring_pitch)


def test_pitch_chosen_when_the_bank_has_none():
    bank = replace(_bank(), bus_length=0.0)
    plan = layout.plan_bank(bank)
    assert plan.pitch_source == "layout"
    need = layout.minimum_pitch(bank)
    assert need <= plan.ring_pitch < need + 1e-6
    assert plan.ring_pitch * 1e6 == pytest.approx(round(plan.ring_pitch * 1e6))


def test_coupling_outside_the_model_draws_the_default_gap(tmp_path):
    bank = _bank(r1=0.999)  # kappa^2 = 0.002: a gap far beyond the fitted data
    with pytest.warns(layout.CouplerModelWarning):
        plan = layout.plan_bank(bank)
    assert all(not p.gap_through_from_model and p.gap_drop_from_model for p in plan.rings)
    assert all(p.gap_through == pytest.approx(DEFAULT_GAP) for p in plan.rings)


def test_racetrack_is_drawn_with_its_straight_couplers(tmp_path):
    lc = 2e-6
    bank = _bank(n=2, coupler_length=lc)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", layout.CouplerModelWarning)
        rb = _read(layout.write_gds(bank, tmp_path / "race.gds"))
    for poly, ring in zip(rb.rings(), bank.rings):
        box = poly.bbox()
        assert 0 <= ring.radius * 1e9 - (box.height() - W_NM) / 2 < 3
        assert box.width() - box.height() == round(ring.coupler_length * 1e9)


def test_core_of_banks_side_by_side(bank, tmp_path):
    rb = _read(layout.write_gds([bank, bank], tmp_path / "core.gds"))
    assert len(rb.rings()) == 2 * N
    assert set(rb.texts("PORT")) == {f"o{k}" for k in range(1, 9)}
    assert rb.region("PADOPEN").count() == 4 * N


def test_write_is_atomic_and_preview_renders(bank, tmp_path):
    gds = layout.write_gds(bank, tmp_path / "out" / "bank.gds")
    png = layout.preview_png(bank, tmp_path / "out" / "bank.png")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["bank.gds", "bank.png"]
    assert gds.stat().st_size > 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_input():
    with pytest.raises(ValueError, match="waveguide_width"):
        layout.LayoutRules(waveguide_width=501e-9)
    with pytest.raises(ValueError, match="contacts"):
        layout.LayoutRules(contacts="above")
    with pytest.raises(ValueError, match="pad_pitch"):
        layout.LayoutRules(pad_size=100e-6, pad_pitch=90e-6)
    with pytest.raises(ValueError, match="expected"):
        layout.write_gds(object(), "never.gds")
    with pytest.raises(ValueError, match="inside"):
        layout.plan_bank(_bank(radius=4e-6), replace(RULES, contacts="inside"))
