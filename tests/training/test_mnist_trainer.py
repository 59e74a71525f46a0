"""Trainer: learning, bit-for-bit resume, divergence, evaluation protocol, outputs."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import numpy as np
import pytest

from photonic_dfa.architecture.digital import DigitalCore
from photonic_dfa.base.atomic import CorruptFileError
from photonic_dfa.training.datasets import synthetic_mnist
from photonic_dfa.training.trainer import (
    PRESETS,
    TrainConfig,
    Trainer,
    TrainingDivergedError,
    preset,
)

SMALL = dict(sizes=(784, 32, 24, 10), batch_size=32, checkpoint_seconds=0, curve_points=4)


@pytest.fixture(scope="module")
def data():
    return synthetic_mnist(n_train=320, n_test=100, seed=11)


def _weights(t: Trainer) -> list[np.ndarray]:
    return t.mlp.weights + t.mlp.biases + t.opt.buf_w + t.opt.buf_b


class _Killed(RuntimeError):
    pass


@pytest.mark.parametrize("feedback", ["dfa", "backprop"])
def test_tiny_training_learns(data, feedback: str) -> None:
    t = Trainer(TrainConfig(feedback=feedback, epochs=4, lr=0.02, **SMALL), data,
                progress=False, echo=None)
    before = t.evaluate()["test_acc"]
    s = t.run()
    accs = [h["test_acc"] for h in t.history]
    losses = [h["train_loss"] for h in t.history]
    assert s["test_acc"] > before + 0.3 and s["test_acc"] >= 0.8
    assert accs[-1] > accs[0] - 1e-9 and losses[-1] < losses[0]


@pytest.mark.parametrize("feedback", ["gaussian", "backprop"])
def test_resume_mid_epoch_is_bit_for_bit(tmp_path: Path, data, feedback: str) -> None:
    cfg = TrainConfig(feedback=feedback, epochs=3, checkpoint_every=3, **SMALL)
    ref = Trainer(cfg, data, tmp_path / "ref", progress=False, echo=None)
    ref_summary = ref.run()

    def kill(epoch: int, batch: int) -> None:
        if (epoch, batch) == (1, 5):  # two batches after the checkpoint at batch 3
            raise _Killed

    out = tmp_path / "killed"
    with pytest.raises(_Killed):
        Trainer(cfg, data, out, progress=False, on_batch=kill, echo=None).run()
    said: list[str] = []
    resumed = Trainer(cfg, data, out, progress=False, echo=said.append)
    summary = resumed.run(resume=True)
    assert "from epoch 2, batch 3/10" in said[0]
    for a, b in zip(_weights(ref), _weights(resumed)):
        np.testing.assert_array_equal(a, b)
    assert [h["test_acc"] for h in resumed.history] == [h["test_acc"] for h in ref.history]
    assert summary["heldout_acc_at_best"] == ref_summary["heldout_acc_at_best"]
    log = json.loads((out / "log.json").read_text())
    assert log["finished"] and len(log["history"]) == 3


def test_resume_extends_a_finished_run_and_rejects_other_settings(tmp_path: Path, data) -> None:
    cfg = TrainConfig(feedback="dfa", epochs=2, **SMALL)
    Trainer(cfg, data, tmp_path, progress=False, echo=None).run()
    longer = Trainer(TrainConfig(feedback="dfa", epochs=3, **SMALL), data, tmp_path,
                     progress=False, echo=None)
    longer.run(resume=True)
    straight = Trainer(TrainConfig(feedback="dfa", epochs=3, **SMALL), data, None,
                       progress=False, echo=None)
    straight.run()
    for a, b in zip(_weights(longer), _weights(straight)):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="lr"):
        Trainer(TrainConfig(feedback="dfa", epochs=3, **{**SMALL, "batch_size": 32}, lr=0.1),
                data, tmp_path, progress=False, echo=None).run(resume=True)


def test_corrupt_checkpoint_is_reported(tmp_path: Path, data) -> None:
    cfg = TrainConfig(feedback="dfa", epochs=1, **SMALL)
    Trainer(cfg, data, tmp_path, progress=False, echo=None).run()
    ck = tmp_path / "checkpoint.npz"
    ck.write_bytes(ck.read_bytes()[:-64])
    with pytest.raises(CorruptFileError):
        Trainer(cfg, data, tmp_path, progress=False, echo=None).run(resume=True)


def test_nan_loss_stops_with_a_clear_message(tmp_path: Path, data) -> None:
    cfg = TrainConfig(feedback="backprop", epochs=2, lr=1e6, **SMALL)
    with pytest.raises(TrainingDivergedError, match=r"diverged.*lr=1000000.0.*smaller --lr"):
        Trainer(cfg, data, tmp_path, progress=False, echo=None).run()
    log = json.loads((tmp_path / "log.json").read_text())
    assert log["diverged"] and not log["finished"]


def test_evaluation_protocol_splits_the_test_set(data) -> None:
    t = Trainer(TrainConfig(epochs=1, **SMALL), data, progress=False, echo=None)
    n = data.y_test.shape[0]
    both = np.concatenate([t.val_idx, t.heldout_idx])
    assert len(t.val_idx) == n // 2 and np.array_equal(np.sort(both), np.arange(n))
    s = t.run()
    h = t.history[0]
    assert h["test_acc"] == pytest.approx((h["val_acc"] * len(t.val_idx)
                                           + h["heldout_acc"] * len(t.heldout_idx)) / n)
    assert s["best_epoch"] == 1 and s["heldout_acc_at_best"] == h["heldout_acc"]


def test_outputs_written(tmp_path: Path, data) -> None:
    s = Trainer(TrainConfig(feedback="photonic", epochs=2, **SMALL), data, tmp_path,
                progress=False, core=DigitalCore(), echo=None).run()
    log = json.loads((tmp_path / "log.json").read_text())
    assert log["summary"] == json.loads(json.dumps(s))
    assert log["config"]["feedback"] == "photonic" and len(log["steps"]) >= 2
    png = (tmp_path / "curves.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_seed_determinism_and_subset(data) -> None:
    cfg = TrainConfig(feedback="gaussian", epochs=1, train_subset=100, **SMALL)
    a = Trainer(cfg, data, progress=False, echo=None)
    b = Trainer(cfg, data, progress=False, echo=None)
    assert a.y_train.shape == (100,)
    a.run()
    b.run()
    for x, y in zip(_weights(a), _weights(b)):
        np.testing.assert_array_equal(x, y)


def test_config_validation_and_presets() -> None:
    assert preset("quick").train_subset == PRESETS["quick"]["train_subset"]
    assert preset("full", epochs=3).epochs == 3
    with pytest.raises(ValueError, match="preset"):
        preset("huge")
    with pytest.raises(ValueError, match="feedback"):
        TrainConfig(feedback="hebbian")
    with pytest.raises(ValueError, match="sizes"):
        TrainConfig(sizes=(100, 10))
    with pytest.raises(ValueError, match="lr"):
        TrainConfig(lr=-1)
    cfg = TrainConfig(chip={"ideal": True})
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg


def test_ctrl_c_checkpoints_then_resumes_bit_for_bit(tmp_path: Path, data) -> None:
    cfg = TrainConfig(feedback="dfa", epochs=2, **SMALL)
    ref = Trainer(cfg, data, None, progress=False, echo=None)
    ref.run()

    def ctrl_c(epoch: int, batch: int) -> None:
        if (epoch, batch) == (0, 4):
            os.kill(os.getpid(), signal.SIGINT)

    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt, match="--resume"):
        Trainer(cfg, data, tmp_path, progress=False, on_batch=ctrl_c, echo=None).run()
    assert signal.getsignal(signal.SIGINT) is before
    resumed = Trainer(cfg, data, tmp_path, progress=False, echo=None)
    resumed.run(resume=True)
    assert resumed.history[0]["epoch"] == 1
    for a, b in zip(_weights(ref), _weights(resumed)):
        np.testing.assert_array_equal(a, b)
