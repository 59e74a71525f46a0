"""``photonic-dfa layout``: GDS, netlist, PNG and JSON report of the chip a configuration
simulates."""

from __future__ import annotations

import json

import pytest

kdb = pytest.importorskip("klayout.db")

from photonic_dfa.architecture.chip import build_bank  # noqa: E402
from photonic_dfa.architecture.config import ChipConfig  # noqa: E402
from photonic_dfa.cli import main  # noqa: E402


def _rings(path) -> list:
    ly = kdb.Layout()
    ly.read(str(path))
    idx = ly.find_layer(kdb.LayerInfo(1, 0))
    region = kdb.Region(ly.top_cell().begin_shapes_rec(idx)).merged()
    return sorted((p for p in region.each() if p.holes() == 1 and p.bbox().width() < 30000),
                  key=lambda p: (p.bbox().bottom, p.bbox().left))


def test_chip_toml_drives_the_whole_chip_layout(tmp_path, capsys):
    cfg = ChipConfig().updated(**{"core.n_inputs": 3, "core.n_outputs": 2,
                                  "crosstalk.ring_pitch": 30e-6})
    toml = cfg.save(tmp_path / "chip.toml")
    out = tmp_path / "out"
    assert main(["layout", "--chip", str(toml), "--out", str(out)]) == 0
    assert {p.name for p in out.iterdir()} == {"chip.gds", "chip.png", "chip.json",
                                               "chip.netlist.json"}
    report = json.loads((out / "chip.json").read_text())
    assert report["counts"]["rings"] == 6 and report["counts"]["detectors"] == 4
    assert report["bank"]["ring_pitch"] == pytest.approx(30e-6)
    assert report["tuning"]["red_rings"] == []
    rows = report["tuning"]["rings"]
    bank = build_bank(cfg)
    for row, ring in zip(rows, bank.rings):
        assert 0 <= ring.radius - row["radius"] < 3e-9
        assert row["blue_detuning"] >= row["design_blue_detuning"]
    lvs = report["layout_vs_simulation"]
    assert lvs["max_resonance_shift"] < 1e-13 and lvs["max_weight_difference"] < 0.02
    assert report["drc"]["violations"] == 0
    net = report["pad_ring"]["connectivity"]
    assert net["nets_one_pad_one_terminal"] == net["terminals"] == report["counts"]["pads"]
    assert report["ports"]["o1"]["role"] == "fibre_input"
    netlist = json.loads((out / "chip.netlist.json").read_text())
    assert {"instances", "placements", "ports"} <= set(netlist)
    text = capsys.readouterr().out
    assert "0 ring(s) red" in text and "DRC: 0 violation(s)" in text
    assert "pad ring: " in text


def test_bank_only_with_command_line_parameters(tmp_path, capsys):
    out = tmp_path / "o"
    rc = main(["layout", "--channels", "2", "--spacing", "0.8nm", "--radius", "10um",
               "--pitch", "30um", "--banks", "2", "--bank-only", "--name", "core",
               "--out", str(out)])
    assert rc == 0
    assert len(_rings(out / "core.gds")) == 4
    assert "2 rings x 2 bank(s), pitch 30 um" in capsys.readouterr().out


def test_a_radius_too_large_for_the_pitch_widens_it(tmp_path, capsys):
    rc = main(["layout", "--channels", "2", "--radius", "12um", "--bank-only",
               "--out", str(tmp_path)])
    assert rc == 0
    assert "from layout, widened from 25 um" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["--spacing", "3parsec"], "--spacing"),
    (["--banks", "0"], "--banks"),
    (["--chip", "/nonexistent/missing.toml"], "no such chip"),
    (["--pdk", "no_such_pdk_module"], "--pdk"),
    (["--no-pads"], "--bank-only"),
])
def test_bad_arguments_are_named(tmp_path, capsys, argv, message):
    assert main(["layout", "--out", str(tmp_path), *argv]) == 2
    assert message in capsys.readouterr().err


def test_named_pdk_is_drawn_on(tmp_path, monkeypatch, capsys):
    gf = pytest.importorskip("gdsfactory")
    (tmp_path / "tinyfab_pdk.py").write_text(
        "import gdsfactory as gf\n"
        "class LAYER(gf.LayerEnum):\n"
        "    layout = gf.constant(gf.kcl.layout)\n"
        + "".join(f"    {n}: tuple[int, int] = ({200 + i}, 0)\n" for i, n in enumerate(
            ("WG", "HEATER", "M2", "MTOP", "VIA1", "VIA2", "PADOPEN", "TEXT", "PORT",
             "PORTE")))
        + "PDK = gf.Pdk(name='tinyfab', cells=dict(gf.gpdk.PDK.cells),\n"
        "             cross_sections=dict(gf.gpdk.PDK.cross_sections), layers=LAYER)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    from photonic_dfa.circuits.layout_pdk import ensure_pdk

    before = ensure_pdk()
    try:
        rc = main(["layout", "--pdk", "tinyfab_pdk", "--bank-only", "--channels", "2",
                   "--out", str(tmp_path / "o")])
        assert rc == 0
        assert gf.get_active_pdk().name == "tinyfab"
    finally:
        before.activate()
    report = json.loads((tmp_path / "o" / "chip.json").read_text())
    assert report["pdk"] == "tinyfab" and report["drc"]["violations"] == 0
    ly = kdb.Layout()
    ly.read(str(tmp_path / "o" / "chip.gds"))
    assert ly.find_layer(kdb.LayerInfo(200, 0)) is not None  # WG of the named PDK
    assert ly.find_layer(kdb.LayerInfo(1, 0)) is None
    assert ly.find_layer(kdb.LayerInfo(49, 0)) is None  # pads and vias re-drawn too
