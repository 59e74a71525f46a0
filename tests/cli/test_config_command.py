"""``photonic-dfa config``: the default chip file the README's commands use."""

from __future__ import annotations

import pytest

from photonic_dfa.architecture.config import ChipConfig
from photonic_dfa.cli import main


def test_default_prints_the_documented_chip(capsys, tmp_path):
    assert main(["config", "--default"]) == 0
    text = capsys.readouterr().out
    path = tmp_path / "chip.toml"
    path.write_text(text)
    assert ChipConfig.from_toml(path) == ChipConfig()
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if "=" in line and not line.startswith(("#", "[")):
            assert lines[i - 1].startswith("# "), f"undocumented: {line}"


def test_ideal_and_out_write_atomically(capsys, tmp_path):
    out = tmp_path / "sub" / "ideal.toml"
    assert main(["config", "--ideal", "--out", str(out)]) == 0
    assert capsys.readouterr().out == ""
    assert ChipConfig.from_toml(out) == ChipConfig.ideal()
    assert [p.name for p in out.parent.iterdir()] == ["ideal.toml"]  # no temporary left


def test_chip_prints_the_effective_config_and_keeps_fabrication(capsys, tmp_path):
    src = tmp_path / "mine.toml"
    src.write_text("[ring]\nradius = 8e-6\n[fabrication]\nloss_spread = 0.2\n")
    assert main(["config", "--chip", str(src), "--out", str(tmp_path / "full.toml")]) == 0
    text = (tmp_path / "full.toml").read_text()
    assert "loss_spread = 0.2" in text and "n_inputs = 16" in text
    from photonic_dfa.architecture.fabricated import load_chip_toml

    cfg, spec = load_chip_toml(tmp_path / "full.toml")
    assert cfg == ChipConfig().updated(**{"ring.radius": 8e-6})
    assert spec.loss_spread == 0.2


@pytest.mark.parametrize(("body", "words"), [
    ("[ring]\nradius = -1.0\n", ["ring.radius", "-1.0"]),
    ("[ring]\nradiuss = 1e-5\n", ["ring.radiuss"]),
])
def test_chip_rejects_bad_files(capsys, tmp_path, body, words):
    src = tmp_path / "bad.toml"
    src.write_text(body)
    assert main(["config", "--chip", str(src)]) == 2
    err = capsys.readouterr().err
    assert all(w in err for w in words)


def test_exactly_one_source(capsys):
    assert main(["config"]) == 2
    assert main(["config", "--default", "--ideal"]) == 2


def test_layout_and_calibrate_accept_the_default_file(capsys, tmp_path):
    pytest.importorskip("klayout.db")
    assert main(["config", "--default", "--out", str(tmp_path / "chip.toml")]) == 0
    small = tmp_path / "small.toml"
    small.write_text((tmp_path / "chip.toml").read_text()
                     .replace("n_inputs = 16", "n_inputs = 2")
                     .replace("n_outputs = 32", "n_outputs = 1"))
    assert main(["layout", "--chip", str(tmp_path / "chip.toml"), "--bank-only", "--banks", "1",
                 "--no-pads", "--name", "weight_bank", "--out", str(tmp_path / "layout")]) == 0
    assert (tmp_path / "layout" / "weight_bank.gds").is_file()
    assert main(["calibrate", "--chip", str(small), "--drift", "0s", "--no-noise",
                 "--out", str(tmp_path / "cal")]) == 0
    assert (tmp_path / "cal" / "calibration.npz").is_file()


def test_set_changes_parameters_of_any_base(capsys, tmp_path):
    out = tmp_path / "c.toml"
    assert main(["config", "--default", "--set", "core.symbol_rate=5e9", "--set",
                 "errors.isi=true", "--set", "core.signed_inputs=differential",
                 "--out", str(out)]) == 0
    assert ChipConfig.from_toml(out) == ChipConfig().updated(**{
        "core.symbol_rate": 5e9, "errors.isi": True, "core.signed_inputs": "differential"})
    assert main(["config", "--chip", str(out), "--set", "core.symbol_rate=1e9"]) == 0
    text = capsys.readouterr().out
    assert "symbol_rate = 1000000000.0" in text and "isi = true" in text
