"""Dead heaters, unreachable resonances and blocked channels: reported with their index,
and targets that need them refused (by the result and so by the core)."""

from __future__ import annotations

import numpy as np
import pytest

from photonic_dfa.architecture.fabricated import evaluation_truth
from photonic_dfa.calibration.pipeline import calibrate
from photonic_dfa.calibration.report import report_text
from photonic_dfa.calibration.result import FlaggedRingError


@pytest.fixture(scope="module")
def faulty():
    from photonic_dfa.architecture.config import ChipConfig
    from photonic_dfa.architecture.fabricated import FabricatedChip, FabricationSpec

    cfg = ChipConfig().updated(**{"core.n_inputs": 4, "core.n_outputs": 4})
    chip = FabricatedChip.from_config(
        cfg, seed=2, spec=FabricationSpec(dead_heaters=1, unreachable_rings=1,
                                          detector_noise=False))
    return chip, calibrate(chip)


def test_dead_heater_and_unreachable_ring_reported_with_index(faulty):
    chip, result = faulty
    tr = evaluation_truth(chip)
    (dj, dk), = np.argwhere(tr.dead_heaters)
    (uj, uk), = np.argwhere(tr.unreachable_rings)
    flags = {(f["bank"], f["ring"]): f["fault"] for f in result.flagged}
    assert flags[(dj, dk)] == "dead heater"
    assert flags[(uj, uk)] == "unreachable resonance"
    # anything else flagged is a healthy ring whose channel a faulty ring's line blocks
    for (j, k), fault in flags.items():
        if (j, k) not in ((dj, dk), (uj, uk)):
            assert fault.startswith("channel blocked")
    text = report_text(result)
    assert f"bank {dj:3d} ring {dk:3d}: dead heater" in text
    assert f"bank {uj:3d} ring {uk:3d}: unreachable resonance" in text


def test_targets_needing_a_faulty_ring_are_refused(faulty):
    chip, result = faulty
    (dj, dk), = np.argwhere(evaluation_truth(chip).dead_heaters)
    t = np.where(result.working, 0.0, result.fixed_weight)
    result.heater_powers_for(t)  # fine: faulty rings asked for what they give
    t[dj, dk] = result.fixed_weight[dj, dk] + 0.5
    with pytest.raises(FlaggedRingError, match=f"bank {dj} ring {dk} \\(dead heater\\)"):
        result.heater_powers_for(t)
    p = result.heater_powers_for(t, allow_flagged=True)
    assert p[dj, dk] == result.park[dj, dk]


def test_core_refuses_weights_on_faulty_rings(faulty):
    chip, result = faulty
    core = evaluation_truth(chip).core(weight_limit=result.symmetric_weight_range)
    w = np.random.default_rng(0).uniform(-1, 1, (4, 4))
    with pytest.raises(FlaggedRingError, match="bank \\d+ ring \\d+"):
        result.program(core, w)
    info = result.program(core, w, allow_flagged=True)
    assert info.shape == (4, 4)


def test_out_of_range_targets_are_clipped_loudly(quiet_chip_result):
    _, result = quiet_chip_result
    t = np.full(result.shape, 5.0)
    with pytest.warns(RuntimeWarning, match="16 target weight"):
        p = result.heater_powers_for(t)
    assert np.all((p >= 0) & (p <= result.max_heater_power))
    with pytest.raises(ValueError, match="targets must have shape"):
        result.heater_powers_for(np.zeros(3))
    with pytest.raises(ValueError, match="stage must be one of"):
        result.heater_powers_for(np.zeros(result.shape), stage="magic")
