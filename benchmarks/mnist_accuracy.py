"""MNIST accuracy of every feedback mode on the full preset (60k images, 784-800-800-10,
SGD lr 0.01 momentum 0.9, batch 64, 10 epochs).

Reports the standard 10k test accuracy of the final model and the authors' protocol
(best-validation epoch scored on the held-out 5000), training time per epoch, and the
targets: backprop >= 98.0 %, digital DFA >= 97.5 % (10k test accuracy). Ends with one JSON
line. Usage: ``python benchmarks/mnist_accuracy.py [--modes ...] [--epochs N] [--out DIR]``;
``--drift-rate K`` (K/sqrt(s) of chip time) and ``--recalibrate-every N`` (feedback
products) let the photonic run's fabricated chip drift (``photonic_dfa.training.chip``).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from photonic_dfa.training.datasets import load_mnist
from photonic_dfa.training.feedback import photonic_available
from photonic_dfa.training.trainer import Trainer, preset

TARGETS = {"backprop": 0.980, "dfa": 0.975}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--modes", nargs="+", default=["backprop", "dfa", "gaussian", "photonic"])
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--init", default=None)
    ap.add_argument("--out", type=Path, default=Path("results/bench/mnist_accuracy"))
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--drift-rate", type=float, default=0.0)
    ap.add_argument("--recalibrate-every", type=int, default=0)
    args = ap.parse_args()
    chip: dict[str, float | int] = {}
    if args.drift_rate:
        chip["drift_rate"] = args.drift_rate
    if args.recalibrate_every:
        chip["recalibrate_every"] = args.recalibrate_every
    data = load_mnist(args.data_dir)
    figures: dict[str, dict[str, float]] = {}
    for mode in args.modes:
        if mode == "photonic" and not photonic_available()[0]:
            print(f"photonic: skipped ({photonic_available()[1]})")
            continue
        over = {"feedback": mode, "seed": args.seed}
        if args.epochs is not None:
            over["epochs"] = args.epochs
        if args.init is not None:
            over["init"] = args.init
        if mode == "photonic" and chip:
            over["chip"] = chip
        cfg = preset("full", **over)
        t0 = time.perf_counter()
        s = Trainer(cfg, data, args.out / mode, progress=False).run()
        figures[mode] = {"test_acc": s["test_acc"], "heldout_acc_at_best": s["heldout_acc_at_best"],
                         "best_epoch": s["best_epoch"], "epoch_time": s["mean_epoch_time"],
                         "wall_time": time.perf_counter() - t0}
    print(f"\n{'feedback':<10} {'test (10k)':>10} {'held-out':>9} {'target':>8} {'s/epoch':>8}")
    ok = True
    for mode, f in figures.items():
        target = TARGETS.get(mode)
        met = "" if target is None else ("ok" if f["test_acc"] >= target else "MISSED")
        ok &= met != "MISSED"
        tgt = "" if target is None else f"{100 * target:.1f}%"
        print(f"{mode:<10} {100 * f['test_acc']:>9.2f}% {100 * f['heldout_acc_at_best']:>8.2f}% "
              f"{tgt:>8} {f['epoch_time']:>8.2f} {met}")
    print(json.dumps({"benchmark": "mnist_accuracy", "targets_met": ok, **{
        f"{m}_{k}": round(v, 5) for m, f in figures.items() for k, v in f.items()}}))


if __name__ == "__main__":
    main()
