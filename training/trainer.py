"""MNIST training loop: any feedback strategy, checkpoints that resume bit for bit.

Evaluation reports both protocols:

* the authors' (Filipovich et al. 2022): the 10k test set split at random (from the seed)
  into 5000 validation and 5000 held-out test images; the model of the best validation
  epoch is scored on the held-out 5000 (``heldout_acc_at_best``);
* the standard one: accuracy of the final model on all 10k test images (``test_acc``).

Determinism: one ``SeedSequence(seed)`` spawns independent streams for the initial weights,
the feedback matrices (and Gaussian noise), the shuffling, the validation split and the
training subset, so a seed fixes everything. A checkpoint holds weights, momentum buffers,
feedback matrices, generator states (``bit_generator.state`` as JSON), the epoch's
permutation and the next batch index, so a run stopped anywhere between two batches and
resumed ends with the same weights, bit for bit, as one that never stopped.
"""

from __future__ import annotations

import json
import math
import signal
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from photonic_dfa.architecture.digital import AUTHORS_ERROR, MatVecCore
from photonic_dfa.base.atomic import (
    CorruptFileError,
    load_npz_checked,
    save_npz_checked,
    write_json,
)
from photonic_dfa.base.lock import output_lock
from photonic_dfa.base.validation import check_int, check_scalar

from .datasets import MNIST
from .feedback import FEEDBACKS, Feedback, make_feedback
from .mlp import INITS, MLP, SGD, Workspace, forward, softmax_xent

__all__ = ["TrainConfig", "PRESETS", "preset", "Trainer", "TrainingDivergedError",
           "MNIST_MEAN", "MNIST_STD", "train_mnist"]

# Input standardisation used by the authors (torchvision's MNIST statistics).
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
_CKPT_KIND, _CKPT_VERSION = "mnist-train", 1
# Fields that may change between a run and its resumption without changing its results.
_RESUMABLE = {"epochs", "checkpoint_seconds", "checkpoint_every"}


class TrainingDivergedError(ValueError):
    """The training loss became NaN or infinite."""


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a training run (and nothing that does not)."""

    feedback: str = "dfa"
    sizes: tuple[int, ...] = (784, 800, 800, 10)
    epochs: int = 10
    batch_size: int = 64
    lr: float = 0.01
    momentum: float = 0.9
    seed: int = 0
    train_subset: int | None = None  # a random subset of this many training images
    init: str = "torch"  # torch.nn.Linear's default, as the authors (he, glorot available)
    normalize: bool = True  # (x - 0.1307) / 0.3081, as the authors
    error_mean: float = AUTHORS_ERROR.mean  # gaussian mode, in units of max|e|
    error_std: float = AUTHORS_ERROR.std
    chip: Mapping[str, Any] = field(default_factory=dict)  # photonic mode, for the core
    checkpoint_seconds: float = 60.0  # wall-clock interval between checkpoints (0: off)
    checkpoint_every: int = 0  # also every this many batches (0: off)
    curve_points: int = 20  # training-loss points per epoch in the log

    def __post_init__(self) -> None:
        if self.feedback not in FEEDBACKS:
            raise ValueError(f"feedback must be one of {FEEDBACKS}, got {self.feedback!r}")
        object.__setattr__(self, "sizes", tuple(check_int(f"sizes[{i}]", s, 1)
                                                for i, s in enumerate(self.sizes)))
        if len(self.sizes) < 2 or self.sizes[0] != 784 or self.sizes[-1] != 10:
            raise ValueError(f"sizes must run from 784 inputs to 10 outputs, got {self.sizes}")
        check_int("epochs", self.epochs, 0)
        check_int("batch_size", self.batch_size, 1)
        check_scalar("lr", self.lr, 0, None, low_inclusive=False)
        check_scalar("momentum", self.momentum, 0, 1, high_inclusive=False)
        check_int("seed", self.seed, 0)
        if self.train_subset is not None:
            check_int("train_subset", self.train_subset, 1)
        if self.init not in INITS:
            raise ValueError(f"init must be one of {INITS}, got {self.init!r}")
        check_scalar("error_mean", self.error_mean)
        check_scalar("error_std", self.error_std, 0)
        check_scalar("checkpoint_seconds", self.checkpoint_seconds, 0)
        check_int("checkpoint_every", self.checkpoint_every, 0)
        check_int("curve_points", self.curve_points, 1)
        object.__setattr__(self, "chip", dict(self.chip))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["sizes"] = list(self.sizes)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: (tuple(v) if k == "sizes" else v) for k, v in d.items() if k in known})


PRESETS: dict[str, dict[str, Any]] = {
    # a few seconds per mode on 2 cores: 10k training images, the paper's network
    "quick": {"train_subset": 10_000, "epochs": 5},
    # the paper's set-up: 60k images, 784-800-800-10, SGD lr 0.01 momentum 0.9 batch 64
    "full": {"train_subset": None, "epochs": 10},
}


def preset(name: str, **overrides: Any) -> TrainConfig:
    """``TrainConfig`` of preset ``name`` ("quick" or "full"), fields overridden by keyword."""
    if name not in PRESETS:
        raise ValueError(f"preset must be one of {tuple(PRESETS)}, got {name!r}")
    return TrainConfig(**{**PRESETS[name], **overrides})


def _standardise(x: np.ndarray, normalize: bool) -> np.ndarray:
    out = x.astype(np.float32)
    out *= np.float32(1.0 / 255.0)
    if normalize:
        out -= np.float32(MNIST_MEAN)
        out *= np.float32(1.0 / MNIST_STD)
    return out


class Trainer:
    """One MNIST training run writing ``log.json``, ``checkpoint.npz`` and ``curves.png``
    into ``out_dir`` (None: nothing written, no checkpoints)."""

    def __init__(self, config: TrainConfig, data: MNIST, out_dir: str | Path | None = None, *,
                 progress: bool = True, on_batch: Callable[[int, int], None] | None = None,
                 core: MatVecCore | None = None, echo: Callable[[str], None] | None = print
                 ) -> None:
        self.config = config
        self.out_dir = None if out_dir is None else Path(out_dir)
        self.progress = progress
        self.on_batch = on_batch
        self.echo = echo or (lambda s: None)
        c = config
        s_init, s_fb, s_shuffle, s_split, s_subset = np.random.SeedSequence(c.seed).spawn(5)
        n_train = data.x_train.shape[0]
        if c.train_subset is not None and c.train_subset < n_train:
            sub = np.sort(np.random.default_rng(s_subset).choice(n_train, c.train_subset,
                                                                 replace=False))
        else:
            sub = np.arange(n_train)
        self.x_train = _standardise(data.x_train[sub], c.normalize)
        self.y_train = data.y_train[sub].astype(np.intp)
        self.x_test = _standardise(data.x_test, c.normalize)
        self.y_test = data.y_test.astype(np.intp)
        split = np.random.default_rng(s_split).permutation(self.y_test.shape[0])
        half = split.shape[0] // 2
        self.val_idx, self.heldout_idx = np.sort(split[:half]), np.sort(split[half:])

        self.mlp = MLP.init(c.sizes, np.random.default_rng(s_init), c.init)
        self.feedback: Feedback = make_feedback(
            c.feedback, self.mlp, np.random.default_rng(s_fb), error_mean=c.error_mean,
            error_std=c.error_std, chip=c.chip, core=core)
        self.opt = SGD(self.mlp, c.lr, c.momentum)
        self.ws = Workspace(self.mlp, c.batch_size)
        self.shuffle_rng = np.random.default_rng(s_shuffle)
        self.best = self.mlp.copy()
        # progress of the run
        self.epoch = 0  # epochs completed
        self.batch = 0  # batches of the current epoch completed
        self.perm: np.ndarray | None = None
        self.run_sums = [0.0, 0, 0]  # loss sum over batches, correct, seen (current epoch)
        self.epoch_time = 0.0
        self.history: list[dict[str, Any]] = []
        self.steps: list[dict[str, float]] = []
        self.best_epoch, self.best_val, self.best_heldout = 0, -1.0, -1.0
        self._stop = False

    # ------------------------------------------------------------------ checkpoints
    @property
    def n_batches(self) -> int:
        return math.ceil(self.y_train.shape[0] / self.config.batch_size)

    def _path(self, name: str) -> Path | None:
        return None if self.out_dir is None else self.out_dir / name

    def save_checkpoint(self) -> Path | None:
        path = self._path("checkpoint.npz")
        if path is None:
            return None
        arrays: dict[str, np.ndarray] = {}
        for l in range(len(self.mlp.weights)):
            arrays[f"W{l}"], arrays[f"b{l}"] = self.mlp.weights[l], self.mlp.biases[l]
            arrays[f"mW{l}"], arrays[f"mb{l}"] = self.opt.buf_w[l], self.opt.buf_b[l]
            arrays[f"bestW{l}"], arrays[f"bestb{l}"] = self.best.weights[l], self.best.biases[l]
        fb_arrays, fb_meta = self.feedback.state()
        arrays.update({f"fb/{k}": v for k, v in fb_arrays.items()})
        if self.perm is not None:
            arrays["perm"] = self.perm
        meta = {
            "config": self.config.to_dict(), "epoch": self.epoch, "batch": self.batch,
            "shuffle_rng": json.dumps(self.shuffle_rng.bit_generator.state),
            "feedback": fb_meta, "run_sums": self.run_sums, "epoch_time": self.epoch_time,
            "history": self.history, "steps": self.steps, "best_epoch": self.best_epoch,
            "best_val": self.best_val, "best_heldout": self.best_heldout,
        }
        return save_npz_checked(path, arrays, meta, kind=_CKPT_KIND, version=_CKPT_VERSION)

    def load_checkpoint(self, path: str | Path) -> None:
        arrays, meta = load_npz_checked(path, kind=_CKPT_KIND, version=_CKPT_VERSION)
        saved = meta["config"]
        mine = self.config.to_dict()
        diff = sorted(k for k in mine if k not in _RESUMABLE and saved.get(k) != mine[k])
        if diff:
            raise ValueError(f"{path}: checkpoint was made with a different configuration ("
                             + ", ".join(f"{k}: {saved.get(k)!r} vs {mine[k]!r}" for k in diff)
                             + "); use a new --out or the same settings")
        self._check_checkpoint(path, arrays, meta)
        for l in range(len(self.mlp.weights)):
            for dst, key in ((self.mlp.weights, "W"), (self.mlp.biases, "b"),
                             (self.opt.buf_w, "mW"), (self.opt.buf_b, "mb"),
                             (self.best.weights, "bestW"), (self.best.biases, "bestb")):
                dst[l][...] = arrays[f"{key}{l}"]
        self.feedback.load_state({k[3:]: v for k, v in arrays.items() if k.startswith("fb/")},
                                 meta["feedback"])
        self.perm = arrays.get("perm")
        self.shuffle_rng.bit_generator.state = json.loads(meta["shuffle_rng"])
        self.epoch, self.batch = int(meta["epoch"]), int(meta["batch"])
        self.run_sums = list(meta["run_sums"])
        self.epoch_time = float(meta["epoch_time"])
        self.history, self.steps = list(meta["history"]), list(meta["steps"])
        self.best_epoch, self.best_val = int(meta["best_epoch"]), float(meta["best_val"])
        self.best_heldout = float(meta["best_heldout"])

    def _check_checkpoint(self, path: str | Path, arrays: dict[str, np.ndarray],
                          meta: dict[str, Any]) -> None:
        """A checkpoint whose checksum holds can still be wrong in meaning: every array must
        have this network's shape (no silent broadcast) and be finite, the progress indices
        in range; ``CorruptFileError`` names the field."""
        def bad(field: str, why: str) -> CorruptFileError:
            return CorruptFileError(f"{path}: checkpoint field {field!r} {why}")

        for l in range(len(self.mlp.weights)):
            for src, key in ((self.mlp.weights, "W"), (self.mlp.biases, "b"),
                             (self.opt.buf_w, "mW"), (self.opt.buf_b, "mb"),
                             (self.best.weights, "bestW"), (self.best.biases, "bestb")):
                name = f"{key}{l}"
                if name not in arrays:
                    raise bad(name, "is missing")
                a, want = arrays[name], src[l].shape
                if a.shape != want:
                    raise bad(name, f"has shape {a.shape}, expected {want}")
                if a.dtype.kind != "f" or not np.isfinite(a).all():
                    raise bad(name, "must hold finite floating-point numbers")
        for key in ("epoch", "batch", "run_sums", "epoch_time", "history", "steps",
                    "best_epoch", "best_val", "best_heldout", "shuffle_rng", "feedback"):
            if key not in meta:
                raise bad(key, "is missing")
        epoch, batch = meta["epoch"], meta["batch"]
        if not isinstance(epoch, int) or not 0 <= epoch <= self.config.epochs:
            raise bad("epoch", f"is {epoch!r}, expected a whole number in [0, "
                      f"{self.config.epochs}]")
        if not isinstance(batch, int) or not 0 <= batch < self.n_batches:
            raise bad("batch", f"is {batch!r}, expected a whole number in [0, "
                      f"{self.n_batches - 1}]")
        perm = arrays.get("perm")
        n = self.y_train.shape[0]
        if perm is not None and (perm.shape != (n,) or perm.dtype.kind not in "iu"
                                 or not np.array_equal(np.sort(perm), np.arange(n))):
            raise bad("perm", f"must be a permutation of the {n} training rows")
        if batch and perm is None:
            raise bad("perm", "is missing for a checkpoint taken mid-epoch")
        for key in ("epoch_time", "best_val", "best_heldout"):
            v = meta[key]
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise bad(key, f"must be a finite number, got {v!r}")
        if not isinstance(meta["history"], list) or not isinstance(meta["steps"], list):
            raise bad("history", "must be a list")
        if not isinstance(meta["run_sums"], list) or len(meta["run_sums"]) != 3:
            raise bad("run_sums", "must be a list of 3 numbers")

    # ------------------------------------------------------------------ training
    def train_batch(self, index: np.ndarray) -> tuple[float, int]:
        """One SGD step on training rows ``index``: ``(loss, correct predictions)``.

        A non-finite loss leaves the weights untouched (the caller decides to stop)."""
        ws, mlp = self.ws, self.mlp
        n = ws.load(self.x_train, index)
        forward(mlp, ws, n)
        loss, correct = softmax_xent(ws, self.y_train[index], n)
        if not math.isfinite(loss):
            return loss, correct
        self.feedback.hidden_deltas(mlp, ws, n)
        self.opt.update(mlp, ws, n)
        return loss, correct

    def evaluate(self, mlp: MLP | None = None) -> dict[str, float]:
        with np.errstate(over="ignore", invalid="ignore"):
            pred = (mlp or self.mlp).predict(self.x_test)
        hit = pred == self.y_test
        return {"val_acc": float(hit[self.val_idx].mean()),
                "heldout_acc": float(hit[self.heldout_idx].mean()),
                "test_acc": float(hit.mean())}

    def _request_stop(self, signum: int, frame: Any) -> None:
        # First Ctrl-C: finish the batch, checkpoint, stop. Second: stop at once.
        if self._stop:
            raise KeyboardInterrupt("interrupted twice: stopped without a checkpoint")
        self._stop = True

    def run(self, resume: bool = False) -> dict[str, Any]:
        """Train to ``config.epochs``; returns the summary (also in ``log.json``). The output
        directory is locked for the run: a second writer is refused."""
        if self.out_dir is None:
            return self._run(resume)
        with output_lock(self.out_dir, f"MNIST training ({self.config.feedback})"):
            return self._run(resume)

    def _run(self, resume: bool) -> dict[str, Any]:
        ckpt = self._path("checkpoint.npz")
        if resume:
            if ckpt is not None and ckpt.is_file():
                self.load_checkpoint(ckpt)
                self.echo(f"resuming {self.config.feedback} from epoch {self.epoch + 1}, "
                          f"batch {self.batch}/{self.n_batches}")
            else:
                self.echo(f"no checkpoint in {self.out_dir}: starting from scratch")
        old = None
        if threading.current_thread() is threading.main_thread():
            old = signal.signal(signal.SIGINT, self._request_stop)
        try:
            self._train()
        finally:
            if old is not None:
                signal.signal(signal.SIGINT, old)
        return self._finish()

    def _train(self) -> None:
        c = self.config
        nb = self.n_batches
        every = max(1, nb // c.curve_points)
        last_ckpt = time.monotonic()
        while self.epoch < c.epochs:
            if self.batch == 0 or self.perm is None:
                self.perm = self.shuffle_rng.permutation(self.y_train.shape[0])
                self.batch, self.run_sums, self.epoch_time = 0, [0.0, 0, 0], 0.0
            bar = _progress(self.progress, nb, self.batch,
                            f"{c.feedback} epoch {self.epoch + 1}/{c.epochs}")
            t0 = time.perf_counter()
            window = [0.0, 0]
            try:
                while self.batch < nb:
                    idx = self.perm[self.batch * c.batch_size:(self.batch + 1) * c.batch_size]
                    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                        loss, correct = self.train_batch(idx)
                    if not math.isfinite(loss):
                        self._write_log(finished=False, diverged=True)
                        raise TrainingDivergedError(
                            f"training diverged: the loss became {loss} at epoch "
                            f"{self.epoch + 1}, batch {self.batch + 1} ({c.feedback} feedback, "
                            f"lr={c.lr}); stopped. Try a smaller --lr.")
                    self.batch += 1
                    sums = self.run_sums
                    sums[0] += loss
                    sums[1] += correct
                    sums[2] += len(idx)
                    window[0] += loss
                    window[1] += 1
                    if self.batch % every == 0 or self.batch == nb:
                        self.steps.append({"epoch": self.epoch + self.batch / nb,
                                           "loss": window[0] / window[1]})
                        window = [0.0, 0]
                        bar.set_postfix(loss=f"{sums[0] / self.batch:.4f}", refresh=False)
                    bar.update(1)
                    now = time.monotonic()
                    due = (c.checkpoint_every and self.batch % c.checkpoint_every == 0) or (
                        c.checkpoint_seconds and now - last_ckpt >= c.checkpoint_seconds)
                    if due and self.batch < nb:
                        self.epoch_time += time.perf_counter() - t0
                        self.save_checkpoint()
                        t0, last_ckpt = time.perf_counter(), now
                    if self.on_batch is not None:
                        self.on_batch(self.epoch, self.batch)
                    if self._stop:
                        self.epoch_time += time.perf_counter() - t0
                        self.save_checkpoint()
                        raise KeyboardInterrupt(
                            f"interrupted at epoch {self.epoch + 1}, batch {self.batch}; "
                            f"checkpoint saved in {self.out_dir}, continue with --resume")
            finally:
                bar.close()
            self.epoch_time += time.perf_counter() - t0
            if not all(np.isfinite(p).all() for p in self.mlp.weights + self.mlp.biases):
                self._write_log(finished=False, diverged=True)
                raise TrainingDivergedError(
                    f"training diverged: the weights became infinite or NaN during epoch "
                    f"{self.epoch + 1} ({c.feedback} feedback, lr={c.lr}); stopped. "
                    "Try a smaller --lr.")
            self._end_epoch()
            now = time.monotonic()
            if (self.epoch == c.epochs or c.checkpoint_every
                    or (c.checkpoint_seconds and now - last_ckpt >= c.checkpoint_seconds)):
                self.save_checkpoint()
                last_ckpt = now

    def _end_epoch(self) -> None:
        t = time.perf_counter()
        scores = self.evaluate()
        loss_sum, correct, seen = self.run_sums
        self.epoch += 1
        self.batch = 0
        rec = {"epoch": self.epoch, "train_loss": loss_sum / max(1, self.n_batches),
               "train_acc": correct / max(1, seen), **scores,
               "epoch_time": self.epoch_time, "eval_time": time.perf_counter() - t}
        if scores["val_acc"] > self.best_val:
            self.best_val, self.best_epoch = scores["val_acc"], self.epoch
            self.best_heldout = scores["heldout_acc"]
            for dst, src in zip(self.best.weights + self.best.biases,
                                self.mlp.weights + self.mlp.biases):
                dst[...] = src
        self.history.append(rec)
        self.echo(f"{self.config.feedback:>9} epoch {self.epoch:3d}: loss {rec['train_loss']:.4f}"
                  f"  val {100 * rec['val_acc']:.2f}%  test {100 * rec['test_acc']:.2f}%"
                  f"  ({rec['epoch_time']:.2f} s)")
        self._write_log(finished=self.epoch == self.config.epochs)

    def summary(self) -> dict[str, Any]:
        h = self.history
        times = [r["epoch_time"] for r in h]
        return {
            "feedback": self.config.feedback, "epochs": self.epoch,
            "best_epoch": self.best_epoch, "best_val_acc": self.best_val if h else None,
            "heldout_acc_at_best": self.best_heldout if h else None,
            "test_acc": h[-1]["test_acc"] if h else None,
            "final_train_loss": h[-1]["train_loss"] if h else None,
            "train_time": float(sum(times)),
            "mean_epoch_time": float(np.mean(times)) if times else None,
            "n_train": int(self.y_train.shape[0]),
        }

    def _write_log(self, finished: bool, diverged: bool = False) -> None:
        path = self._path("log.json")
        if path is None:
            return
        write_json(path, {"config": self.config.to_dict(), "history": self.history,
                          "steps": self.steps, "summary": self.summary(),
                          "finished": finished, "diverged": diverged})

    def _finish(self) -> dict[str, Any]:
        summary = self.summary()
        if self.out_dir is not None:
            from .curves import plot_learning_curves

            self._write_log(finished=True)
            if self.history:
                plot_learning_curves({self.config.feedback: {"history": self.history,
                                                             "steps": self.steps}},
                                     self.out_dir / "curves.png",
                                     title=f"MNIST, {self.config.feedback}")
        return summary


class _NoBar:
    def set_postfix(self, *a: Any, **k: Any) -> None: ...
    def update(self, n: int = 1) -> None: ...
    def close(self) -> None: ...


def _progress(enabled: bool, total: int, initial: int, desc: str) -> Any:
    if not enabled:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, desc=desc, unit="batch", leave=False,
                mininterval=0.25, dynamic_ncols=True)


def train_mnist(config: TrainConfig, data: MNIST, out_dir: str | Path | None = None, *,
                resume: bool = False, progress: bool = True,
                core: MatVecCore | None = None, echo: Callable[[str], None] | None = print
                ) -> dict[str, Any]:
    """Convenience: build a :class:`Trainer` and run it; returns the summary."""
    return Trainer(config, data, out_dir, progress=progress, core=core, echo=echo).run(resume)
