"""``photonic-dfa calibrate``: calibration file, report and figures of a small chip."""

from __future__ import annotations

import json

import numpy as np
import pytest

from photonic_dfa.architecture.config import ChipConfig
from photonic_dfa.calibration.result import CalibrationResult
from photonic_dfa.cli import main


@pytest.mark.slow
def test_calibrate_writes_result_report_and_pngs(tmp_path, capsys):
    cfg = ChipConfig().updated(**{"core.n_inputs": 4, "core.n_outputs": 3})
    toml = tmp_path / "chip.toml"
    toml.write_text(cfg.to_toml() + "\n[fabrication]\ndead_heaters = 1\n")
    out = tmp_path / "cal"
    assert main(["calibrate", "--chip", str(toml), "--seed", "4", "--out", str(out),
                 "--drift", "300"]) == 0
    names = {p.name for p in out.iterdir()}
    assert {"calibration.npz", "report.txt", "summary.json", "resonances.png",
            "crosstalk.png", "weight_curves.png", "weight_errors.png"} <= names
    for png in out.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    result = CalibrationResult.load(out / "calibration.npz")
    assert result.shape == (3, 4)
    summary = json.loads((out / "summary.json").read_text())
    assert any(f["fault"] == "dead heater" for f in summary["flagged"])
    figs = summary["figures"]
    assert figs["final (closed loop)"]["bits"] > 7.0
    assert figs["uncalibrated (design)"]["bits"] < 1.0
    assert "drift re-calibrated" in figs
    text = capsys.readouterr().out
    assert "dead heater" in text and "eff. bits" in text
    assert np.isfinite(figs["stage: lookup"]["std_rel"])


def test_calibrate_rejects_bad_arguments(tmp_path, capsys):
    assert main(["calibrate", "--chip", str(tmp_path / "missing.toml"),
                 "--out", str(tmp_path / "x")]) == 2
    assert "no such chip configuration file" in capsys.readouterr().err
