"""``photonic-dfa demo``: the main job, small enough for a laptop.

MNIST (quick preset unless ``--preset full``) with every feedback strategy (backprop, digital
DFA, the authors' Gaussian MAC-error model, and DFA through the simulated photonic chip), same
seed and so the same initial weights and feedback matrices; prints a comparison table and writes
``OUT/mnist/<mode>/`` (log, checkpoint, curves), ``OUT/mnist/summary.json`` and
``OUT/mnist/learning_curves.png``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from ._common import (
    add_command,
    add_preset_argument,
    directory,
    int_type,
    library_preset,
    seed_type,
)
from .train import (
    FEEDBACK_CHOICES,
    MAX_EPOCHS,
    add_chip_arguments,
    add_hidden_argument,
    check_network,
    chip_arguments_used,
    chip_options,
)


def register(subparsers: Any) -> None:
    p = add_command(
        subparsers, "demo",
        help="train MNIST with backprop, DFA, Gaussian-error DFA and photonic DFA and compare",
        description="The main job: MNIST with every feedback strategy (backprop, digital DFA, "
                    "the authors' Gaussian MAC-error model, DFA through the simulated "
                    "photonic chip) from the same seed, so the same initial weights and "
                    "feedback matrices. Prints a comparison table and writes "
                    "OUT/mnist/<mode>/ (log, checkpoint, curves), OUT/mnist/summary.json and "
                    "OUT/mnist/learning_curves.png.",
        example="photonic-dfa demo --out results --modes dfa photonic --epochs 2")
    p.add_argument("--out", type=directory("output directory"), default="results",
                   help="results directory")
    p.add_argument("--data-dir", type=directory("data directory"),
                   help="data directory (default $PHOTONIC_DFA_DATA or the user cache dir)")
    add_preset_argument(p, "demo", "quick")
    p.add_argument("--modes", nargs="+", choices=FEEDBACK_CHOICES, default=list(FEEDBACK_CHOICES),
                   help="feedback strategies to train")
    p.add_argument("--epochs", type=int_type(1, MAX_EPOCHS),
                   help=f"override the preset's epochs, 1 to {MAX_EPOCHS} (default: the "
                   "preset's)")
    add_hidden_argument(p)
    p.add_argument("--seed", type=seed_type, default=0, help="seed shared by every mode")
    add_chip_arguments(p)
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def run_mnist(args: argparse.Namespace) -> dict[str, Any]:
    from photonic_dfa.base.atomic import write_json
    from photonic_dfa.training.curves import plot_learning_curves
    from photonic_dfa.training.datasets import load_mnist
    from photonic_dfa.training.feedback import photonic_available
    from photonic_dfa.training.trainer import Trainer, preset

    out = Path(args.out) / "mnist"
    name = library_preset("demo", getattr(args, "preset", "quick"))
    chip_arguments_used(args, "photonic" in args.modes, "to the photonic mode (--modes ... "
                        "photonic)")
    if len(set(args.modes)) != len(args.modes):
        raise ValueError(f"--modes: a mode is given twice: {' '.join(args.modes)}")
    check_network(args.hidden, None)
    over: dict[str, Any] = {"seed": args.seed}
    if args.epochs is not None:
        over["epochs"] = args.epochs
    if args.hidden:
        over["sizes"] = (784, *args.hidden, 10)
    for mode in args.modes:  # every configuration checked before the data is read
        preset(name, feedback=mode,
               **({**over, "chip": chip_options(args)} if mode == "photonic" else over))
    data = load_mnist(args.data_dir)
    print(f"MNIST from {data.source}")
    rows: dict[str, dict[str, Any]] = {}
    logs: dict[str, dict[str, Any]] = {}
    skipped: dict[str, str] = {}
    for mode in args.modes:
        if mode == "photonic":
            ok, why = photonic_available()
            if not ok:
                skipped[mode] = why
                print(f"note: skipping photonic DFA: {why}")
                continue
        config = preset(name, feedback=mode,
                        **({**over, "chip": chip_options(args)} if mode == "photonic" else over))
        t0 = time.perf_counter()
        trainer = Trainer(config, data, out / mode, progress=not args.no_progress)
        summary = trainer.run()
        summary["wall_time"] = time.perf_counter() - t0
        rows[mode] = summary
        logs[mode] = {"history": trainer.history, "steps": trainer.steps}
    if logs:
        cfg = preset(name, **over)
        plot_learning_curves(logs, out / "learning_curves.png",
                             title=f"MNIST {'-'.join(map(str, cfg.sizes))}, "
                                   f"{cfg.train_subset or 60000} training images")
    write_json(out / "summary.json", {"runs": rows, "skipped": skipped,
                                      "config": preset(name, **over).to_dict()})
    print()
    print(_table(rows))
    if "photonic" in rows:
        chip = chip_options(args)
        what = ("every error off" if chip.get("ideal") else
                f"chip file {chip['toml']}" if "toml" in chip else "the documented default chip")
        calibrated = not (chip.get("ideal") or chip.get("design"))
        if calibrated:
            what += f", fabricated (seed {chip.get('fab_seed', 0)})"
        how = ("its calibration's heater lookup" if calibrated else "the design model's inverse")
        print(f"photonic: B e computed by the simulated broadcast-and-weight core ({what}), "
              f"weights programmed through {how}")
    print(f"\nresults in {out}/ (summary.json, learning_curves.png, one folder per mode)")
    return rows


def _table(rows: dict[str, dict[str, Any]]) -> str:
    head = (f"{'feedback':<10} {'test acc (10k)':>14} {'held-out acc':>13} {'best ep':>7} "
            f"{'s/epoch':>8} {'wall s':>7}")
    lines = [head, "-" * len(head)]
    for mode, s in rows.items():
        lines.append(f"{mode:<10} {100 * s['test_acc']:>13.2f}% "
                     f"{100 * s['heldout_acc_at_best']:>12.2f}% {s['best_epoch']:>7d} "
                     f"{s['mean_epoch_time']:>8.2f} {s['wall_time']:>7.1f}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    try:
        run_mnist(args)
    except KeyboardInterrupt as exc:
        print(f"photonic-dfa demo: {exc}", file=sys.stderr)
        return 130
    return 0
