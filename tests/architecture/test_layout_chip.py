"""Whole-chip layout from a ChipConfig: gdsfactory cells, counts, ports."""

from __future__ import annotations

import pytest

gf = pytest.importorskip("gdsfactory")

from photonic_dfa.architecture.config import ChipConfig  # noqa: E402
from photonic_dfa.architecture.layout import chip_component, modulator_geometry  # noqa: E402


@pytest.fixture(scope="module")
def chip():
    cfg = ChipConfig().updated(**{"core.n_inputs": 4, "core.n_outputs": 4})
    return cfg, chip_component(cfg)


def test_counts_follow_the_config(chip):
    cfg, c = chip
    assert c.info["counts"] == {
        "couplers": 1, "modulators": 4, "splitter_stages": 2, "splitters": 3, "rings": 16,
        "heaters": 16, "detectors": 8, "banks": 4,
        "pads": 2 * 4 + 4 * (2 * 4 + 4)}
    names = {i.cell.name.split("_")[0] for i in c.insts}
    assert {"grating", "ring", "splitter", "ge", "pad"} <= names
    assert chip_component(cfg) is c  # cached per design


def test_ports_follow_the_gdsfactory_convention(chip):
    _, c = chip
    names = [p.name for p in c.ports]
    assert names[0] == "o1" and c.info["port_map"]["o1"] == "fibre_input"
    assert names[1:] == [f"e{k}" for k in range(1, len(names))]
    roles = set(c.info["port_map"].values())
    assert {"mod0_sig", "bank3_heater3_2", "bank0_pd_drop_top"} <= roles


def test_chip_places_inside_a_user_cell(chip):
    _, c = chip
    top = gf.Component()
    ref = top << c
    ref.dmove((1000.0, 0.0))
    top.add_ports(ref.ports, prefix="core_")
    assert top.ports["core_o1"].center[0] == pytest.approx(c.ports["o1"].center[0] + 1000)


def test_modulator_radius_from_its_fsr():
    cfg = ChipConfig()
    radius, gap = modulator_geometry(cfg)
    lam, fsr = cfg.laser.center_wavelength, cfg.modulator.ring.fsr
    assert lam**2 / (cfg.ring.n_g * 2 * 3.141592653589793 * radius) == pytest.approx(fsr,
                                                                                     rel=1e-3)
    assert 50e-9 <= gap <= 200e-9
