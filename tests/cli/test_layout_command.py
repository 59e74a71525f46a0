"""``photonic-dfa layout``: GDS, PNG and JSON of the bank a chip configuration simulates."""

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
    return sorted((p for p in region.each() if p.holes() == 1), key=lambda p: p.bbox().left)


def test_chip_toml_drives_the_layout(tmp_path):
    cfg = ChipConfig().updated(**{"core.n_inputs": 3, "crosstalk.ring_pitch": 30e-6})
    toml = cfg.save(tmp_path / "chip.toml")
    out = tmp_path / "out"
    assert main(["layout", "--chip", str(toml), "--out", str(out)]) == 0
    assert {p.name for p in out.iterdir()} == {"weight_bank.gds", "weight_bank.png",
                                               "weight_bank.json"}
    bank = build_bank(cfg)
    rings = _rings(out / "weight_bank.gds")
    assert len(rings) == 3
    for poly, ring in zip(rings, bank.rings):
        assert 0 <= ring.radius * 1e9 - (poly.bbox().height() - 500) / 2 < 3
    summary = json.loads((out / "weight_bank.json").read_text())
    assert summary["plan"]["ring_pitch"] == pytest.approx(30e-6)
    assert {"o1", "o2", "o3", "o4"} <= set(summary["ports"])


def test_command_line_parameters_and_banks(tmp_path, capsys):
    out = tmp_path / "o"
    rc = main(["layout", "--channels", "2", "--spacing", "0.8nm", "--radius", "10um",
               "--pitch", "30um", "--banks", "2", "--name", "core", "--out", str(out)])
    assert rc == 0
    assert len(_rings(out / "core.gds")) == 4
    assert "2 rings x 2 bank(s), pitch 30 um" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["--spacing", "3parsec"], "--spacing"),
    (["--banks", "0"], "--banks"),
    (["--chip", "/nonexistent/missing.toml"], "no such chip"),
])
def test_bad_arguments_are_named(tmp_path, capsys, argv, message):
    assert main(["layout", "--out", str(tmp_path), *argv]) == 2
    assert message in capsys.readouterr().err
