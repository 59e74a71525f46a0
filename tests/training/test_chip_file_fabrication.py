"""One rule for a chip file's ``[fabrication]`` table: every reader accepts and checks it,
and the training core fabricates its chip as the table says (as ``calibrate`` does)."""

from __future__ import annotations

import pytest

from photonic_dfa.architecture.config import ChipConfig
from photonic_dfa.training.chip import chip_core

SMALL = "[core]\nn_inputs = 4\nn_outputs = 2\n"


def test_training_core_uses_the_fabrication_table(tmp_path):
    plain, faulty = tmp_path / "plain.toml", tmp_path / "faulty.toml"
    plain.write_text(SMALL)
    faulty.write_text(SMALL + "[fabrication]\ndead_heaters = 1\n")
    assert "0 faulty rings" in chip_core({"toml": str(plain)}).describe()
    assert "1 faulty rings" in chip_core({"toml": str(faulty)}).describe()


def test_every_reader_checks_the_table(tmp_path):
    good, bad = tmp_path / "good.toml", tmp_path / "bad.toml"
    good.write_text(SMALL + "[fabrication]\ndead_heaters = 1\n")
    bad.write_text(SMALL + "[fabrication]\ndead_heaters = -1\n")
    assert ChipConfig.from_toml(good).core.n_inputs == 4
    with pytest.raises(ValueError, match="bad.toml.*fabrication.dead_heaters"):
        ChipConfig.from_toml(bad)
