"""Epoch time of our MNIST training against PyTorch (CPU) on the same work.

Same network (784-800-800-10 ReLU, float32), same optimiser (SGD lr 0.01, momentum 0.9),
same batch size (64), same data in memory (60k standardised images, shuffled):

* backprop: ours (:meth:`Trainer.train_batch`) vs ``torch.nn`` + autograd + ``optim.SGD``;
* digital DFA: ours vs the same algorithm in PyTorch written as tightly as we could (no
  autograd; ``e @ B_l / sqrt(n_l)``, in-place ReLU gating, gradients written into
  preallocated ``.grad`` with ``torch.mm(out=)``, ``optim.SGD``);
* photonic DFA (when the chip layer is importable): its time per batch over digital DFA's.

The contenders take turns in chunks of ``--chunk`` batches, ``--reps`` times each; the epoch
time is the fastest chunk's time per batch times the 938 batches of an epoch, so other load
on the machine penalises every contender alike and a quiet moment counts for all. Ends with
one JSON line; target ours / torch <= 1.0.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

if __name__ == "__main__" and "--threads" in sys.argv:
    # BLAS thread pools read this once, at import: set it before numpy is imported.
    os.environ["OPENBLAS_NUM_THREADS"] = sys.argv[sys.argv.index("--threads") + 1]

import numpy as np  # noqa: E402

from photonic_dfa.training.datasets import load_mnist  # noqa: E402
from photonic_dfa.training.feedback import photonic_available  # noqa: E402
from photonic_dfa.training.trainer import (  # noqa: E402
    MNIST_MEAN,
    MNIST_STD,
    TrainConfig,
    Trainer,
)

SIZES = (784, 800, 800, 10)
BATCH = 64


class Ours:
    def __init__(self, data, feedback: str, seed: int, chip=None) -> None:
        cfg = TrainConfig(feedback=feedback, sizes=SIZES, epochs=1, seed=seed,
                          batch_size=BATCH, checkpoint_seconds=0, chip=chip or {})
        self.trainer = Trainer(cfg, data, None, progress=False, echo=None)
        self.perm = np.random.default_rng(seed).permutation(data.y_train.shape[0])
        self.pos = 0

    def chunk(self, n: int) -> float:
        t0 = time.perf_counter()
        for _ in range(n):
            if self.pos + BATCH > self.perm.shape[0]:
                self.pos = 0
            self.trainer.train_batch(self.perm[self.pos:self.pos + BATCH])
            self.pos += BATCH
        return time.perf_counter() - t0


class Torch:
    """The same training in PyTorch."""

    def __init__(self, data, feedback: str, seed: int, threads: int) -> None:
        import torch

        self.torch = torch
        torch.set_num_threads(threads)
        torch.manual_seed(seed)
        x = data.x_train.astype(np.float32) / 255
        self.x = torch.from_numpy((x - np.float32(MNIST_MEAN)) / np.float32(MNIST_STD))
        self.y = torch.from_numpy(data.y_train.astype(np.int64))
        nn = torch.nn
        self.layers = [nn.Linear(a, b) for a, b in zip(SIZES[:-1], SIZES[1:])]
        self.model = nn.Sequential(self.layers[0], nn.ReLU(), self.layers[1], nn.ReLU(),
                                   self.layers[2])
        self.opt = torch.optim.SGD(self.model.parameters(), lr=0.01, momentum=0.9)
        self.step = self._bp_step if feedback == "backprop" else self._dfa_step
        b = torch.rand(10, sum(SIZES[1:-1])) * 2 - 1
        scale = torch.cat([torch.full((w,), 1 / math.sqrt(w)) for w in SIZES[1:-1]])
        self.b1, self.b2 = (t.contiguous() for t in (b * scale).split(list(SIZES[1:-1]), 1))
        for p in self.model.parameters():  # preallocated: the DFA step writes into them
            p.grad = torch.zeros_like(p)
        self.perm = torch.randperm(self.y.shape[0])
        self.pos = 0

    def _bp_step(self, xb, yb) -> None:
        self.opt.zero_grad()
        self.torch.nn.functional.cross_entropy(self.model(xb), yb).backward()
        self.opt.step()

    def _dfa_step(self, xb, yb) -> None:
        torch = self.torch
        l1, l2, l3 = self.layers
        with torch.no_grad():
            h1 = torch.relu_(torch.addmm(l1.bias, xb, l1.weight.t()))
            h2 = torch.relu_(torch.addmm(l2.bias, h1, l2.weight.t()))
            e = torch.softmax(torch.addmm(l3.bias, h2, l3.weight.t()), dim=1)
            e.sub_(torch.nn.functional.one_hot(yb, 10)).div_(len(yb))
            d1 = (e @ self.b1).mul_(h1 > 0)
            d2 = (e @ self.b2).mul_(h2 > 0)
            for layer, din, dout in ((l1, xb, d1), (l2, h1, d2), (l3, h2, e)):
                torch.mm(dout.t(), din, out=layer.weight.grad)
                torch.sum(dout, 0, out=layer.bias.grad)
        self.opt.step()

    def chunk(self, n: int) -> float:
        t0 = time.perf_counter()
        for _ in range(n):
            if self.pos + BATCH > self.perm.shape[0]:
                self.pos = 0
            idx = self.perm[self.pos:self.pos + BATCH]
            self.step(self.x[idx], self.y[idx])
            self.pos += BATCH
        return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--reps", type=int, default=10, help="chunks per contender")
    ap.add_argument("--chunk", type=int, default=100, help="batches per chunk")
    ap.add_argument("--photonic-chunk", type=int, default=20)
    ap.add_argument("--pause", type=float, default=0.5,
                    help="seconds of rest before each chunk (idle thread pools go to sleep)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--threads", type=int, default=None,
                    help="BLAS / torch threads for both (default: every core)")
    args = ap.parse_args()
    threads = args.threads or os.cpu_count() or 1
    data = load_mnist(args.data_dir)
    n_batches = math.ceil(data.y_train.shape[0] / BATCH)
    try:
        import torch
    except ImportError:
        torch = None
        print("torch is not installed (pip install '.[bench]'): only our times are measured")
    runs: dict[str, Ours | Torch] = {}
    for fb in ("backprop", "dfa"):
        runs[f"{fb}"] = Ours(data, fb, args.seed)
        if torch is not None:
            runs[f"{fb}_torch"] = Torch(data, fb, args.seed, threads)
    ok, why = photonic_available()
    if ok:
        runs["photonic"] = Ours(data, "photonic", args.seed)
    best: dict[str, float] = {}
    for rep in range(args.reps + 1):  # the first round warms up (numba compile, threads)
        for name, run in runs.items():
            n = args.photonic_chunk if name == "photonic" else args.chunk
            # Let the previous contender's BLAS/OpenMP threads stop spinning before timing.
            time.sleep(args.pause)
            per_batch = run.chunk(n) / n
            if rep:
                best[name] = min(best.get(name, math.inf), per_batch)
    figures: dict[str, float | int | str | bool | None] = {"threads": threads}
    for fb in ("backprop", "dfa"):
        figures[f"{fb}_epoch_s"] = round(best[fb] * n_batches, 3)
        line = f"{fb:>8}: ours {best[fb] * n_batches:.3f} s/epoch"
        if torch is not None:
            ratio = best[fb] / best[f"{fb}_torch"]
            figures[f"{fb}_torch_epoch_s"] = round(best[f"{fb}_torch"] * n_batches, 3)
            figures[f"{fb}_ratio_vs_torch"] = round(ratio, 3)
            line += (f", torch {best[f'{fb}_torch'] * n_batches:.3f} s/epoch, ratio "
                     f"{ratio:.3f} (target <= 1.0)")
        print(line)
    if ok:
        figures["photonic_ms_per_batch"] = round(1e3 * best["photonic"], 3)
        figures["photonic_over_dfa"] = round(best["photonic"] / best["dfa"], 2)
        print(f"photonic DFA: {1e3 * best['photonic']:.2f} ms/batch, "
              f"{best['photonic'] / best['dfa']:.1f}x digital DFA")
    else:
        figures["photonic_over_dfa"] = None
        print(f"photonic DFA: skipped ({why})")
    if torch is not None:
        figures["torch"] = torch.__version__
        figures["targets_met"] = all(figures[f"{fb}_ratio_vs_torch"] <= 1.0
                                     for fb in ("backprop", "dfa"))
    print(json.dumps({"benchmark": "mnist_epoch", **figures}))


if __name__ == "__main__":
    main()
