"""Energy accounting of the scaling study: GPU and chip terms, fixed costs, break-even."""

from __future__ import annotations

import math

import numpy as np
import pytest

from photonic_dfa.studies.scaling_energy import (
    H100_SXM,
    Accelerator,
    ChipEnergy,
    break_even_factor,
    energy_cost,
    run_energy_parts,
    wins_somewhere,
)
from photonic_dfa.studies.scaling_stats import run_table
from photonic_dfa.training.flops import FlopCount

TOKENS = np.geomspace(1e5, 1e7, 10)
UNIT_GPU = Accelerator("unit", peak_flops=1.0, power=1.0, utilisation=1.0, source="test")
#: 2 J/MAC = 1 J per feedback FLOP, as the unit GPU
UNIT_CHIP = ChipEnergy(joule_per_mac=2.0, power=10.0, mac_per_s=1.0, reading_time=0.5,
                       settle_time=0.25)


def law(c):
    return 30.0 * np.asarray(c, dtype=float) ** -0.1 + 1.0


def run(method, width, seed, loss_fn, chip=None):
    hist = [{"tokens": int(t), "val_loss": float(loss_fn(width * t))} for t in TOKENS]
    r = {"config": {"method": method, "n_layers": 1, "d_model": width, "seed": seed},
         "non_embedding_params": 12 * width * width, "tokens": int(TOKENS[-1]),
         "history": hist, "final_val_loss": hist[-1]["val_loss"], "train_seconds": 1.0}
    if chip is not None:
        r["chip"] = chip
    return r


def flops(r):
    """Per token: BP 1 FLOP per width unit; photonic 0.5 digital + 0.6 feedback on chip."""
    w = float(r["config"]["d_model"])
    if r["config"]["method"] == "photonic":
        return FlopCount(forward=0.25 * w, backward=0.25 * w, feedback=0.6 * w,
                         feedback_on_chip=True)
    return FlopCount(forward=0.5 * w, backward=0.5 * w, feedback=0.0, feedback_on_chip=False)


def test_h100_energy_per_flop():
    assert H100_SXM.joule_per_flop == pytest.approx(700.0 / (989e12 * 0.4))
    assert 1e-12 < H100_SXM.joule_per_flop < 2e-12
    with pytest.raises(ValueError, match="utilisation"):
        Accelerator("x", 1.0, 1.0, 1.5, "")


def test_energy_parts_and_fixed_costs():
    chip_info = {"calibration_readings": 4,
                 "programs": [{"measurement_time": 0.1, "tiles": [2, 3]}]}
    r = run("photonic", 10, 0, law, chip_info)
    p = run_energy_parts(r, flops, UNIT_GPU, UNIT_CHIP)
    assert p["digital_per_token"] == pytest.approx(5.0)
    assert p["chip_per_token"] == pytest.approx(6.0 / 2.0 * 2.0)
    assert p["calibration"] == pytest.approx(4 * 0.5 * 10.0)
    assert p["programming"] == pytest.approx((0.1 + 6 * 0.25) * 10.0)
    cost = energy_cost(flops, UNIT_GPU, UNIT_CHIP, chip_scale=2.0)(r, np.array([1.0, 10.0]))
    fixed = p["calibration"] + p["programming"]
    np.testing.assert_allclose(cost, [5.0 + (6.0 + fixed) / 2, 50.0 + (60.0 + fixed) / 2])
    # BP pays only the GPU, and without a chip the feedback is digital work
    bp = run("bp", 10, 0, law)
    assert run_energy_parts(bp, flops, UNIT_GPU, UNIT_CHIP)["digital_per_token"] == 10.0
    assert run_energy_parts(r, flops, UNIT_GPU, None)["digital_per_token"] == pytest.approx(11.0)


def test_wins_somewhere_on_log_interpolated_frontiers():
    ref = np.array([[1.0, 5.0], [10.0, 3.0]])
    assert wins_somewhere(np.array([[2.0, 4.0], [20.0, 2.0]]), ref)  # ref at 2: 4.40 > 4
    assert not wins_somewhere(np.array([[2.0, 4.5], [10.0, 3.0]]), ref)  # equal at 10
    assert not wins_somewhere(np.array([[20.0, 1.0]]), ref)  # no common cost


def _table(photonic_law):
    runs = [run(m, w, s, law if m == "bp" else photonic_law)
            for m in ("bp", "photonic") for w in (8, 16) for s in (0, 1)]
    return run_table(runs)


def test_break_even_factor():
    """Same loss per token: photonic costs 0.5 + 0.6 / k of BP's energy per token, so it
    wins once k > 1.2; a chip never makes up for digital work above BP's."""
    k = break_even_factor(_table(law), flops, UNIT_GPU, UNIT_CHIP)
    assert k == pytest.approx(1.2, rel=0.03)
    # 2.5x worse tokens: digital work alone is 0.5 x 2.5 > 1 of BP's at every loss
    worse = break_even_factor(_table(lambda c: law(c / 2.5)), flops, UNIT_GPU, UNIT_CHIP)
    assert math.isinf(worse)
