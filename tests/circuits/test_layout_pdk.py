"""The layout draws on the active gdsfactory PDK and never replaces it."""

from __future__ import annotations

import pytest

gf = pytest.importorskip("gdsfactory")

from photonic_dfa.circuits import layout, layout_pdk  # noqa: E402
from photonic_dfa.circuits.weight_bank import WeightBank  # noqa: E402
from photonic_dfa.devices.laser import ChannelGrid  # noqa: E402
from photonic_dfa.devices.microring import AddDropRing  # noqa: E402


class _TestLayers(gf.LayerEnum):
    """A foundry-like layer map: every layer the bank needs, on other GDS numbers."""

    layout = gf.constant(gf.kcl.layout)
    WG: tuple[int, int] = (101, 0)
    HEATER: tuple[int, int] = (102, 0)
    M2: tuple[int, int] = (103, 0)
    MTOP: tuple[int, int] = (104, 0)
    VIA1: tuple[int, int] = (105, 0)
    VIA2: tuple[int, int] = (106, 0)
    PADOPEN: tuple[int, int] = (107, 0)
    TEXT: tuple[int, int] = (108, 0)
    PORT: tuple[int, int] = (109, 0)
    PORTE: tuple[int, int] = (110, 0)


def _strip(width: float = 0.6, layer: str = "WG", **kw):
    return gf.cross_section.cross_section(width=width, layer=layer, **kw)


def _test_pdk():
    generic = gf.gpdk.PDK
    xs = dict(generic.cross_sections)
    xs["strip"] = _strip
    return gf.Pdk(name="tinyfab", cells=dict(generic.cells), cross_sections=xs,
                  layers=_TestLayers)


@pytest.fixture
def user_pdk():
    before = layout_pdk.ensure_pdk()
    pdk = _test_pdk()
    pdk.activate()
    yield pdk
    before.activate()


def _bank() -> WeightBank:
    return WeightBank.design(ChannelGrid(n_channels=3), ring=AddDropRing(radius=7e-6))


def test_user_pdk_stays_active_and_supplies_layers_and_widths(user_pdk, tmp_path):
    comp = layout.bank_component(_bank())
    assert gf.get_active_pdk() is user_pdk
    assert layout_pdk.rules_from_pdk().waveguide_width == pytest.approx(600e-9)
    kdb = pytest.importorskip("klayout.db")
    ly = kdb.Layout()
    ly.read(str(layout.write_gds(comp, tmp_path / "b.gds")))
    drawn = {(i.layer, i.datatype) for i in ly.layer_infos()
             if not kdb.Region(ly.top_cell().begin_shapes_rec(ly.layer(i))).is_empty()}
    assert (101, 0) in drawn and (102, 0) in drawn and (1, 0) not in drawn
    assert comp.ports["o1"].width == pytest.approx(0.6)


def test_generic_pdk_only_when_none_is_active():
    assert layout_pdk.ensure_pdk().name in {"generic", gf.get_active_pdk().name}
    assert gf.get_active_pdk() is layout_pdk.ensure_pdk()


def test_component_places_inside_a_user_cell_with_convention_ports():
    bank = layout.bank_component(_bank())
    top = gf.Component()
    a = top << bank
    b = top << bank
    b.dmove((0.0, 500.0))
    top.add_port("o1", port=a.ports["o1"])
    assert len(top.insts) == 2
    assert {p.name for p in bank.ports} == {"o1", "o2", "o3", "o4"} | {
        f"e{k}" for k in range(1, 7)}
    assert all(p.name.startswith("o") == (p.port_type == "optical") for p in bank.ports)
