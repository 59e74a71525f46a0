"""The architecture's MAC-error measurement on a calibrated fabricated chip."""

from __future__ import annotations

import pytest

from photonic_dfa.architecture.config import ChipConfig
from photonic_dfa.architecture.mac_error import measure_mac_error
from photonic_dfa.calibration.calibrated_core import calibrated_core


def test_calibrated_chip_matches_the_design_chip_mac_error():
    cfg = ChipConfig().updated(**{"core.n_inputs": 4, "core.n_outputs": 4})
    cal = measure_mac_error(cfg, samples=256, width=8, core=calibrated_core(cfg, fab_seed=3))
    design = measure_mac_error(cfg, samples=256, width=8)
    # calibration leaves only the detector chain's error: the same as the design chip
    assert cal.enob == pytest.approx(design.enob, abs=0.3)
    assert abs(cal.mean) < 3 * cal.std / (256 * 8) ** 0.5 + 1e-3
