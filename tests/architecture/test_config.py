"""ChipConfig: TOML round trip, unknown keys, validation, ideal switches, examples."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from photonic_dfa.architecture.config import ChipConfig, ErrorConfig

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_round_trip_default_and_modified(tmp_path):
    cfg = ChipConfig().updated(**{"core.n_inputs": 8, "modulator.kind": "mzm",
                                  "laser.rin_db_per_hz": -151.5, "errors.shot": False,
                                  "modulator.ring.fsr": 1.234e-8})
    assert ChipConfig.from_toml_string(cfg.to_toml()) == cfg
    path = cfg.save(tmp_path / "chip.toml")
    assert ChipConfig.from_toml(path) == cfg
    assert ChipConfig.from_toml_string(cfg.to_toml(comments=False)) == cfg


@pytest.mark.parametrize("text,key", [
    ("[laser]\npower_per_chanel = 1e-3\n", "laser.power_per_chanel"),
    ("[modulator.ring]\nfoo = 1\n", "modulator.ring.foo"),
    ("[nonsense]\nx = 1\n", "nonsense"),
    ("top = 1\n", "top"),
])
def test_unknown_key_is_named(text, key):
    with pytest.raises(ValueError, match=f"unknown configuration key '{key}'"):
        ChipConfig.from_toml_string(text)


@pytest.mark.parametrize("text,name", [
    ("[core]\nn_inputs = 0\n", "core.n_inputs"),
    ("[core]\nsigned_inputs = 'both'\n", "core.signed_inputs"),
    ("[adc]\nbits = 8.5\n", "adc.bits"),
    ("[errors]\nshot = 1\n", "errors.shot"),
    ("[laser]\npower_per_channel = -1.0\n", "laser.power_per_channel"),
    ("[laser]\npower_per_channel = nan\n", "laser.power_per_channel"),
])
def test_bad_values_are_named(text, name):
    with pytest.raises(ValueError, match=name.replace(".", r"\.")):
        ChipConfig.from_toml_string(text)


def test_invalid_toml_and_missing_file(tmp_path):
    with pytest.raises(ValueError, match="invalid TOML"):
        ChipConfig.from_toml_string("[core\n")
    with pytest.raises(FileNotFoundError):
        ChipConfig.from_toml(tmp_path / "none.toml")


def test_ideal_switches_everything_off_and_documents_fields():
    ideal = ChipConfig.ideal()
    for f in fields(ErrorConfig):
        if f.name != "seed":
            assert getattr(ideal.errors, f.name) is False
            # isi is the one source off by default (the static model of earlier releases);
            # rin_per_slot a refinement of rin
            assert getattr(ChipConfig().errors, f.name) is (f.name not in ("isi",
                                                                            "rin_per_slot"))
    text = ChipConfig().to_toml()
    assert "[source:" in text and "[modulator.ring]" in text


def test_examples_load():
    assert ChipConfig.from_toml(EXAMPLES / "chip_default.toml") == ChipConfig()
    assert ChipConfig.from_toml(EXAMPLES / "chip_ideal.toml") == ChipConfig.ideal()
    assert ChipConfig.from_toml(EXAMPLES / "chip_isi.toml") == ChipConfig().updated(
        **{"errors.isi": True})
