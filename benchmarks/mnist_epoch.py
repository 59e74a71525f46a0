"""Epoch time of our MNIST training against PyTorch (CPU) on the same work.

Same network (784-800-800-10 ReLU, float32), same optimiser (SGD lr 0.01, momentum 0.9),
same batch size (64), same data in memory (60k standardised images, reshuffled per epoch):

* backprop: ours (:class:`~photonic_dfa.training.trainer.Trainer`) vs ``torch.nn`` + autograd
  + ``torch.optim.SGD``;
* digital DFA: ours vs the same algorithm in PyTorch written as tightly as it allows (no
  autograd; one ``e @ [B_1 | B_2] / sqrt(n)`` product, ReLU gating, ``.grad`` set by hand,
  ``optim.SGD``);
* photonic DFA (if the chip layer is importable): ratio of its time per batch to digital
  DFA's on the first ``--photonic-batches`` batches.

Epochs alternate between the contenders and the fastest of ``--reps`` is kept, so a busy
machine penalises both alike. Ends with one JSON line; target ours/torch <= 1.0.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time

import numpy as np

from photonic_dfa.training.datasets import load_mnist
from photonic_dfa.training.feedback import photonic_available
from photonic_dfa.training.trainer import MNIST_MEAN, MNIST_STD, TrainConfig, Trainer

SIZES = (784, 800, 800, 10)


def ours(data, feedback: str, seed: int, n_train: int | None = None, **chip) -> float:
    cfg = TrainConfig(feedback=feedback, sizes=SIZES, epochs=1, seed=seed, train_subset=n_train,
                      checkpoint_seconds=0, chip=chip)
    t = Trainer(cfg, data, None, progress=False, echo=None)
    t.run()
    return t.history[0]["epoch_time"]


class TorchRun:
    """The same training in PyTorch; ``epoch()`` returns the seconds of one epoch."""

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
        self.feedback = feedback
        if feedback == "dfa":
            b = torch.rand(10, sum(SIZES[1:-1])) * 2 - 1
            scale = torch.cat([torch.full((w,), 1 / math.sqrt(w)) for w in SIZES[1:-1]])
            self.b = (b * scale).contiguous()

    def _bp_step(self, xb, yb) -> None:
        F = self.torch.nn.functional
        self.opt.zero_grad()
        F.cross_entropy(self.model(xb), yb).backward()
        self.opt.step()

    def _dfa_step(self, xb, yb) -> None:
        torch = self.torch
        l1, l2, l3 = self.layers
        with torch.no_grad():
            h1 = torch.relu(torch.addmm(l1.bias, xb, l1.weight.t()))
            h2 = torch.relu(torch.addmm(l2.bias, h1, l2.weight.t()))
            z = torch.addmm(l3.bias, h2, l3.weight.t())
            e = torch.softmax(z, dim=1)
            e[torch.arange(len(yb)), yb] -= 1
            e /= len(yb)
            d = (e @ self.b).mul_(torch.cat([h1, h2], dim=1) > 0)
            d1, d2 = d[:, :SIZES[1]], d[:, SIZES[1]:]
            for layer, din, dout in ((l1, xb, d1), (l2, h1, d2), (l3, h2, e)):
                layer.weight.grad = dout.t() @ din
                layer.bias.grad = dout.sum(0)
        self.opt.step()

    def epoch(self) -> float:
        torch = self.torch
        step = self._bp_step if self.feedback == "backprop" else self._dfa_step
        t0 = time.perf_counter()
        perm = torch.randperm(self.y.shape[0])
        for s in range(0, self.y.shape[0], 64):
            idx = perm[s:s + 64]
            step(self.x[idx], self.y[idx])
        return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--reps", type=int, default=3, help="epochs per contender (best kept)")
    ap.add_argument("--photonic-batches", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data-dir", default=None)
    args = ap.parse_args()
    threads = os.cpu_count() or 1
    data = load_mnist(args.data_dir)
    figures: dict[str, float | int | str | bool | None] = {"threads": threads}
    try:
        import torch
    except ImportError:
        torch = None
        print("torch is not installed (pip install '.[bench]'): only our times are measured")
    for fb in ("backprop", "dfa"):
        mine, theirs = [], []
        run = TorchRun(data, fb, args.seed, threads) if torch is not None else None
        ours(data, fb, args.seed, 64 * 20)  # warm-up: numba compile, BLAS threads
        if run is not None:
            run.epoch()
        for rep in range(args.reps):
            mine.append(ours(data, fb, args.seed + rep))
            if run is not None:
                theirs.append(run.epoch())
            print(f"{fb:>8} rep {rep + 1}: ours {mine[-1]:.3f} s"
                  + (f", torch {theirs[-1]:.3f} s" if theirs else ""))
        figures[f"{fb}_epoch_s"] = round(min(mine), 4)
        if theirs:
            figures[f"{fb}_torch_epoch_s"] = round(min(theirs), 4)
            figures[f"{fb}_ratio_vs_torch"] = round(min(mine) / min(theirs), 4)
            print(f"{fb:>8}: ours {min(mine):.3f} s/epoch, torch {min(theirs):.3f} s/epoch, "
                  f"ratio {min(mine) / min(theirs):.3f} (target <= 1.0)")
    ok, why = photonic_available()
    if ok:
        n = 64 * args.photonic_batches
        dig = min(ours(data, "dfa", args.seed, n) for _ in range(2))
        pho = ours(data, "photonic", args.seed, n)
        figures["photonic_over_dfa"] = round(pho / dig, 3)
        figures["photonic_ms_per_batch"] = round(1e3 * pho / args.photonic_batches, 3)
        print(f"photonic DFA: {1e3 * pho / args.photonic_batches:.2f} ms/batch, "
              f"{pho / dig:.1f}x digital DFA ({args.photonic_batches} batches)")
    else:
        figures["photonic_over_dfa"] = None
        print(f"photonic DFA: skipped ({why})")
    if torch is not None:
        figures["torch"] = torch.__version__
        figures["targets_met"] = all(figures.get(f"{fb}_ratio_vs_torch", 9) <= 1.0
                                     for fb in ("backprop", "dfa"))
    print(json.dumps({"benchmark": "mnist_epoch", **figures}))


if __name__ == "__main__":
    main()
