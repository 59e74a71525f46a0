"""The architecture's MAC-error measurement on a calibrated fabricated chip."""

from __future__ import annotations

import pytest

from photonic_dfa.architecture.config import ChipConfig
from photonic_dfa.architecture.fabricated import FabricatedChip, evaluation_truth
from photonic_dfa.architecture.mac_error import measure_mac_error
from photonic_dfa.calibration.pipeline import calibrate_for_core


def test_calibrated_chip_matches_the_design_chip_mac_error():
    cfg = ChipConfig().updated(**{"core.n_inputs": 4, "core.n_outputs": 4})
    chip = FabricatedChip.from_config(cfg, seed=3)
    result, hook = calibrate_for_core(chip)
    core = evaluation_truth(chip).core(weight_limit=result.symmetric_weight_range)
    cal = measure_mac_error(cfg, samples=256, width=8, core=core, heater_powers=hook)
    design = measure_mac_error(cfg, samples=256, width=8)
    # calibration leaves only the detector chain's error: the same as the design chip
    assert cal.enob == pytest.approx(design.enob, abs=0.3)
    assert abs(cal.mean) < 3 * cal.std / (256 * 8) ** 0.5 + 1e-3
