"""Whole-chip layout from a ChipConfig: gdsfactory cells, counts, ports."""

from __future__ import annotations

import numpy as np
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
    assert {"grating", "ring", "splitter", "pad", "bank"} <= names
    row = next(i.cell for i in c.insts if i.cell.name.startswith("bank_row"))
    assert {"weight", "ge", "pad"} <= {i.cell.name.split("_")[0] for i in row.insts}
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


def test_pads_stand_in_staggered_rows_on_the_die_edges(chip):
    _, c = chip
    ring = c.info["pad_ring"]
    pads = [p for p in c.ports if p.port_type == "electrical"]
    west = sorted({round(p.center[0], 3) for p in pads if p.orientation == 180})
    east = sorted({round(p.center[0], 3) for p in pads if p.orientation == 0})
    assert len(west) == len(east) == ring["rows"] == 3
    assert np.diff(west) == pytest.approx([ring["row_pitch_um"]] * 2)
    die_w, die_h = c.info["die_um"]
    assert east[-1] - west[0] < die_w < east[-1] - west[0] + 200
    # gdsfactory numbering: up the west edge, then down the east edge
    ys = [p.center[1] for p in pads]
    n_west = ring["west"]
    assert ys[:n_west] == sorted(ys[:n_west]) and ys[n_west:] == sorted(ys[n_west:])[::-1]
    assert ring["west"] + ring["east"] == len(pads)


def test_every_terminal_reaches_exactly_one_pad(chip, tmp_path):
    from photonic_dfa.architecture.layout_report import connectivity_report
    from photonic_dfa.circuits import layout_pdk
    from photonic_dfa.circuits.layout import write_gds

    _, c = chip
    gds = write_gds(c, tmp_path / "chip.gds")
    net = connectivity_report(gds)
    n = c.info["counts"]["pads"]
    assert net == {"pads": n, "terminals": n, "nets_with_pad": n,
                   "nets_one_pad_one_terminal": n, "nets_with_several_pads": 0,
                   "pads_without_terminal": 0, "terminals_without_pad": 0}
    # a seeded short between two neighbouring pads of the west edge is found
    top = gf.Component()
    top << c
    a, b = c.ports["e1"].center, c.ports["e2"].center
    top.add_polygon([(a[0] - 2, a[1]), (b[0] + 2, a[1]), (b[0] + 2, b[1]), (a[0] - 2, b[1])],
                    layer=layout_pdk.layer_info("MTOP"))
    net = connectivity_report(write_gds(top, tmp_path / "short.gds"))
    assert net["nets_with_several_pads"] == 1
    assert net["nets_one_pad_one_terminal"] == n - 2


def test_mzm_chip_draws_demux_mzm_mux_clean_and_wired(tmp_path):
    from photonic_dfa.architecture.chip import build_bank
    from photonic_dfa.architecture.layout_report import connectivity_report, drc_report
    from photonic_dfa.circuits.layout import write_gds
    from photonic_dfa.circuits.layout_extract import extract_banks
    from photonic_dfa.circuits.layout_pdk import layer_info

    n, m = 3, 2
    cfg = ChipConfig().updated(**{"core.n_inputs": n, "core.n_outputs": m,
                                  "modulator.kind": "mzm"})
    c = chip_component(cfg)
    counts = c.info["counts"]
    assert (counts["modulators"], counts["demux_rings"], counts["mux_rings"]) == (n, n, n)
    assert counts["heaters"] == n * m + 2 * n
    # per channel: two heater terminals on each filter ring and four MZM contacts
    assert counts["pads"] == n * (2 + 2 + 4) + m * (2 * n + 4)
    names = [p.name for p in c.ports]
    assert names == ["o1"] + [f"e{k}" for k in range(1, counts["pads"] + 1)]
    roles = set(c.info["port_map"].values())
    assert {"demux0_heater_1", "mux2_heater_2", "bank1_pd_drop_bot"} <= roles
    assert sum(r.startswith("mzm1_") for r in roles) == 4
    gds = write_gds(c, tmp_path / "mzm.gds")
    assert drc_report(gds)["violations"] == 0
    net = connectivity_report(gds)
    assert net["nets_one_pad_one_terminal"] == net["terminals"] == counts["pads"]
    # the demux and mux rings are drawn at the bank's drawn radii, each on its channel
    found = extract_banks(gds, layer_info("WG"), layer_info("TEXT"))
    filters = sorted((g for g in found if len(g.radius) == 1),
                     key=lambda g: g.channel_wavelengths[0])
    channels = build_bank(cfg).channel_wavelengths
    assert [g.channel_wavelengths[0] for g in filters] == pytest.approx(channels, abs=1e-12)
    bank = next(g for g in found if len(g.radius) == n)
    assert [g.radius[0] for g in filters] == pytest.approx(bank.radius, abs=1e-12)
