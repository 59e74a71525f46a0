"""A calibrated chip drifting while it computes: chip time from the symbols of each
product, realised weights that follow the ambient, and re-calibration that restores them."""

from __future__ import annotations

import numpy as np

from photonic_dfa.architecture.fabricated import evaluation_truth
from photonic_dfa.training.chip import DRIFT_STEP, DriftingCore, chip_core

SMALL = {"core.n_inputs": 4, "core.n_outputs": 3}


def _run(recal: int) -> tuple[DriftingCore, float, float, float]:
    core = chip_core({**SMALL, "drift_rate": 10.0, "recalibrate_every": recal}, fab_seed=2)
    assert isinstance(core, DriftingCore)
    rng = np.random.default_rng(0)
    w = rng.uniform(-1, 1, (7, 4))
    info = core.program(w)
    assert info.tiles == (3, 1)
    start = core.core.core.realised.copy()
    x = rng.uniform(-1, 1, (4096, 4))
    for _ in range(4 * DRIFT_STEP):
        core.matvec(x)
    # chip time: 4096 samples x 3 row tiles per product at 10 GBd
    products = 4 * DRIFT_STEP * 4096 * 3 / 10e9
    moved = float(np.abs(evaluation_truth(core.core.chip).ambient).max())
    drift = float(np.abs(core.core.core.realised - start).max())
    return core, products, moved, drift


def test_chip_time_and_drift_without_recalibration():
    core, products, moved, drift = _run(0)
    assert core.core.chip.time == core.chip_time
    assert abs(core.chip_time - products) <= 1e-12 * core.chip_time
    assert moved > 0.0 and drift > 1e-4  # the ambient walked, the held weights moved
    assert core.core.recalibrations == 0


def test_recalibration_restores_the_weights():
    core, _, _, drift_re = _run(DRIFT_STEP)
    assert core.core.recalibrations == 4 and core.core.recalibration_readings > 0
    _, _, _, drift_no = _run(0)
    # same fabricated chip and drift rate: re-calibrated weights stay nearer the targets
    assert drift_re < drift_no


def test_a_drifting_run_resumes_bit_for_bit(tmp_path):
    # the drift walk and each re-calibration's readings draw from the chip's own streams:
    # a resumed run replays them, so its chip (and its weights) match an uninterrupted run
    import pytest

    from photonic_dfa.training.datasets import synthetic_mnist
    from photonic_dfa.training.trainer import TrainConfig, Trainer

    class Killed(RuntimeError):
        pass

    data = synthetic_mnist(n_train=256, n_test=64, seed=3)
    cfg = TrainConfig(feedback="photonic", epochs=2, sizes=(784, 16, 10), batch_size=32,
                      checkpoint_seconds=0, checkpoint_every=3, curve_points=2,
                      chip={"core.n_inputs": 10, "core.n_outputs": 8,
                            "drift_rate": 10.0, "recalibrate_every": 5})
    ref = Trainer(cfg, data, tmp_path / "ref", progress=False, echo=None)
    ref.run()

    def kill(epoch: int, batch: int) -> None:
        if (epoch, batch) == (1, 4):
            raise Killed

    with pytest.raises(Killed):
        Trainer(cfg, data, tmp_path / "k", progress=False, on_batch=kill, echo=None).run()
    resumed = Trainer(cfg, data, tmp_path / "k", progress=False, echo=None)
    resumed.run(resume=True)
    a, b = ref.feedback.core, resumed.feedback.core
    assert isinstance(a, DriftingCore) and isinstance(b, DriftingCore)
    assert a.products == b.products == 16 and a.core.recalibrations == 3
    assert a.chip_time == b.chip_time
    np.testing.assert_array_equal(a.core.core.realised, b.core.core.realised)
    for x, y in zip(ref.mlp.weights, resumed.mlp.weights):
        np.testing.assert_array_equal(x, y)
