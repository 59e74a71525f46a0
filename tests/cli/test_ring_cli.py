"""``photonic-dfa ring``: figures table, spectrum PNG and JSON, heater shift, bad input."""

from __future__ import annotations

import json

import pytest

from photonic_dfa.cli import main
from photonic_dfa.commands.ring import length
from photonic_dfa.devices.microring import AddDropRing, AllPassRing
from photonic_dfa.devices.thermal import Heater

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_add_drop_ring_with_heater(tmp_path, capsys):
    args = ["ring", "--radius", "8um", "--r1", "0.97", "--r2", "0.96", "--loss-db-per-cm", "3",
            "--heater-power", "4e-3", "--heater-efficiency", "2500", "--points", "4001",
            "--out", str(tmp_path)]
    assert main(args) == 0
    text = capsys.readouterr().out
    for word in ("FSR", "FWHM", "loaded Q", "intrinsic Q", "finesse", "extinction ratio",
                 "coupling regime", "drop peak", "resonances in band", "resonance shift"):
        assert word in text
    assert (tmp_path / "ring_spectrum.png").read_bytes()[:8] == PNG_MAGIC
    fig = json.loads((tmp_path / "ring_figures.json").read_text())

    ring = AddDropRing(radius=8e-6, r1=0.97, r2=0.96, loss_db_per_cm=3.0)
    dt = float(Heater(thermal_resistance=2500.0).temperature_rise(4e-3))
    res = fig["resonance"]
    assert res == pytest.approx(ring.resonance_near(ring.wavelength0), rel=1e-12)
    assert fig["fsr"] == pytest.approx(ring.fsr(res), rel=1e-12)
    assert fig["q_loaded"] == pytest.approx(ring.q_loaded(res), rel=1e-12)
    assert fig["drop_peak"] == pytest.approx(ring.drop_peak(), rel=1e-12)
    assert fig["coupling_regime"] == ring.coupling_regime
    assert fig["heater"]["delta_t"] == pytest.approx(dt, rel=1e-12)
    assert fig["resonance_shift"] == pytest.approx(res * ring.dn_dT * dt / ring.n_g, rel=1e-9)
    assert len(fig["resonances_heated"]) >= 1
    assert fig["points"] == 4001


def test_all_pass_ring_in_a_band(tmp_path, capsys):
    out = tmp_path / "ap"
    assert main(["ring", "--all-pass", "--r1", "0.99", "--band", "1545nm", "1555nm",
                 "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "drop peak" not in text
    fig = json.loads((out / "ring_figures.json").read_text())
    ring = AllPassRing(r=0.99)
    assert fig["kind"] == "all-pass"
    assert fig["resonances"] == pytest.approx(ring.resonances(1545e-9, 1555e-9).tolist(),
                                              rel=1e-12)
    assert (out / "ring_spectrum.png").stat().st_size > 10_000


@pytest.mark.parametrize(
    "bad, message",
    [(["--radius", "10"], "radius must be in"),
     (["--r1", "1.5"], "r1 must be in"),
     (["--heater-power", "-1"], "--heater-power must be in"),
     (["--band", "1560nm", "1550nm"], "--band STOP must exceed START"),
     (["--loss-db-per-cm", "nan"], "--loss-db-per-cm: loss must be finite")],
)
def test_bad_values_exit_2_with_a_named_error(tmp_path, capsys, bad, message):
    assert main(["ring", *bad, "--out", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "ring_spectrum.png").exists()


def test_heater_efficiency_alone_means_an_unpowered_heater(tmp_path, capsys):
    assert main(["ring", "--heater-efficiency", "1000", "--points", "2001",
                 "--out", str(tmp_path)]) == 0
    assert "0 K" in capsys.readouterr().out
    fig = json.loads((tmp_path / "ring_figures.json").read_text())
    assert fig["resonance_shift"] == 0.0
    assert fig["resonances_heated"] == fig["resonances"]


def test_length_units():
    assert length("20um") == 20e-6
    assert length("1550 nm") == 1550e-9
    assert length("1.5e-6") == 1.5e-6
    assert length("800pm") == 800e-12
    with pytest.raises(Exception, match="length"):
        length("ten microns")
