"""Checkpoints whose checksum holds but whose content is wrong are refused, the field named."""

from __future__ import annotations

import numpy as np
import pytest

from photonic_dfa.base.atomic import CorruptFileError, load_npz_checked, save_npz_checked
from photonic_dfa.training.datasets import synthetic_mnist
from photonic_dfa.training.trainer import _CKPT_KIND, _CKPT_VERSION, Trainer, preset


def _trainer(out):
    cfg = preset("quick", feedback="dfa", sizes=(784, 12, 10), epochs=2, batch_size=32,
                 train_subset=None)
    return Trainer(cfg, synthetic_mnist(n_train=96, n_test=40, seed=3), out, progress=False,
                   echo=None)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    path = _trainer(out).save_checkpoint()
    return load_npz_checked(path, _CKPT_KIND, _CKPT_VERSION)


def _edit(name, value):
    def change(arrays, meta):
        target = arrays if name in arrays else meta
        target[name] = value(target[name]) if callable(value) else value
    return change


@pytest.mark.parametrize(("change", "field"), [
    # a first-layer weight of shape (1, n) would broadcast into every row without complaint
    (_edit("W0", lambda w: w[:1]), "W0"),
    (_edit("mb1", lambda b: b[:, None]), "mb1"),
    (_edit("bestW1", lambda w: np.full_like(w, np.nan)), "bestW1"),
    (lambda a, m: a.pop("b0"), "b0"),
    (_edit("epoch", 99), "epoch"),
    (_edit("epoch", -1), "epoch"),
    (_edit("batch", 10**6), "batch"),
    (_edit("batch", 1.5), "batch"),
    (_edit("best_val", float("nan")), "best_val"),
    (lambda a, m: m.pop("history"), "history"),
    (lambda a, m: (a.update(perm=np.zeros(96, dtype=np.int64)), m.update(batch=1)), "perm"),
    (_edit("batch", 1), "perm"),  # mid-epoch without the epoch's order
])
def test_crafted_checkpoint_is_refused(checkpoint, tmp_path, change, field):
    arrays, meta = (dict(x) for x in checkpoint)
    change(arrays, meta)
    path = tmp_path / "checkpoint.npz"
    save_npz_checked(path, arrays, meta, _CKPT_KIND, _CKPT_VERSION)  # a valid checksum
    trainer = _trainer(None)
    with pytest.raises(CorruptFileError, match=f"'{field}'"):
        trainer.load_checkpoint(path)


def test_untouched_checkpoint_loads(checkpoint, tmp_path):
    arrays, meta = checkpoint
    path = tmp_path / "checkpoint.npz"
    save_npz_checked(path, dict(arrays), dict(meta), _CKPT_KIND, _CKPT_VERSION)
    _trainer(None).load_checkpoint(path)
