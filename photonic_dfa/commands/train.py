"""``photonic-dfa train mnist``: train the MNIST network with one feedback strategy.

Writes ``log.json`` (per-epoch figures, atomically), ``checkpoint.npz`` (resumable with
``--resume``, bit for bit) and ``curves.png`` into ``--out``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from photonic_dfa.architecture.digital import AUTHORS_ERROR
from photonic_dfa.base.units import number

from ._common import (
    add_command,
    add_preset_argument,
    directory,
    input_file,
    int_type,
    library_preset,
    note_fabrication,
    refuse_unused,
    seed_type,
)

#: documented limits of the command line (and what memory holds: estimated before work)
MAX_EPOCHS = 1000
MAX_BATCH = 60_000
MAX_WIDTH = 65_536
MAX_HIDDEN_LAYERS = 16
MNIST_TRAIN = 60_000

FEEDBACK_CHOICES = ("backprop", "dfa", "gaussian", "photonic")


def add_chip_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--chip", type=input_file("chip configuration file"), metavar="TOML",
                   help="photonic mode: chip configuration file (default: the documented chip, "
                   "see `photonic-dfa config --default`)")
    p.add_argument("--ideal-chip", action="store_true",
                   help="photonic mode: every chip error off (the core computes B e exactly)")
    p.add_argument("--design-chip", action="store_true",
                   help="photonic mode: the design chip programmed by its model, instead of a "
                   "fabricated chip programmed through its calibration (the default)")
    p.add_argument("--fab-seed", type=seed_type, default=None,
                   help="photonic mode: seed of the fabricated chip (default 0)")
    p.add_argument("--drift-rate", type=number, default=None, metavar="K/sqrt(s)",
                   help="photonic mode: the fabricated chip's ambient random-walks at this "
                   "rate per sqrt(second of chip time) while training (chip time from the "
                   "symbols every feedback product takes); default 0, a frozen chip")
    p.add_argument("--recalibrate-every", type=int_type(0), default=None, metavar="N",
                   help="photonic mode: drift re-calibration (and re-programming) every N "
                   "feedback products; default 0, never")


def add_hidden_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--hidden", type=int_type(1, MAX_WIDTH), nargs="+", metavar="WIDTH",
                   help=f"hidden layer widths, each at most {MAX_WIDTH}, at most "
                   f"{MAX_HIDDEN_LAYERS} layers (default 800 800)")


def check_network(hidden: list[int] | None, batch_size: int | None) -> None:
    """Refuse, before any data is read, a network the machine cannot hold: the estimate
    counts the weights with their momentum, best copy and feedback matrices, and the
    activations of a test-set evaluation (10k images)."""
    from photonic_dfa.base.memory import check_memory

    widths = list(hidden or [800, 800])
    if len(widths) > MAX_HIDDEN_LAYERS:
        raise ValueError(f"--hidden: at most {MAX_HIDDEN_LAYERS} hidden layers, got "
                         f"{len(widths)}")
    sizes = [784, *widths, 10]
    weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    feedback = 10 * sum(widths)
    rows = 10_000 + (batch_size or 64)
    acts = rows * sum(sizes) * 2
    check_memory(f"the network 784-{'-'.join(map(str, widths))}-10",
                 8 * (5 * weights + 2 * feedback + acts) + (400 << 20),
                 "use narrower or fewer --hidden layers")


def chip_arguments_used(args: argparse.Namespace, used: bool, why: str) -> None:
    """The chip options are refused where no photonic feedback runs (they would be ignored)."""
    refuse_unused(args, used, why, {
        "--chip": args.chip, "--ideal-chip": args.ideal_chip,
        "--design-chip": args.design_chip, "--fab-seed": args.fab_seed,
        "--drift-rate": getattr(args, "drift_rate", None),
        "--recalibrate-every": getattr(args, "recalibrate_every", None)})
    if args.ideal_chip and (args.chip or args.design_chip):
        raise ValueError("--ideal-chip is the error-free default chip; it excludes --chip "
                         "and --design-chip")
    if args.fab_seed is not None and (args.ideal_chip or args.design_chip):
        raise ValueError("--fab-seed seeds a fabricated chip; --ideal-chip and --design-chip "
                         "use none")
    drift, recal = getattr(args, "drift_rate", None), getattr(args, "recalibrate_every", None)
    if (drift is not None or recal is not None) and (args.ideal_chip or args.design_chip):
        raise ValueError("--drift-rate and --recalibrate-every act on a fabricated chip; "
                         "--ideal-chip and --design-chip have none")
    if drift is not None and not (0.0 <= drift < float("inf")):
        raise ValueError(f"--drift-rate must be a finite rate >= 0 K/sqrt(s), got {drift}")
    if used:  # the chip file and the fabricated chip's size checked before the data is read
        from photonic_dfa.architecture.config import ChipConfig
        from photonic_dfa.architecture.fabricated import fabricated_chip_memory
        from photonic_dfa.base.memory import check_memory

        cfg = ChipConfig.from_toml(args.chip) if args.chip else ChipConfig()
        if args.design_chip:
            note_fabrication(args.chip, "--design-chip simulates the design chip")
        if not (args.ideal_chip or args.design_chip):
            check_memory(f"a fabricated chip of {cfg.core.n_outputs} banks x "
                         f"{cfg.core.n_inputs} rings",
                         fabricated_chip_memory(cfg.core.n_outputs, cfg.core.n_inputs),
                         "use a smaller chip or --design-chip")


def chip_options(args: argparse.Namespace) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    if getattr(args, "chip", None):
        opts["toml"] = str(args.chip)
    if getattr(args, "ideal_chip", False):
        opts["ideal"] = True
    if getattr(args, "design_chip", False):
        opts["design"] = True
    if getattr(args, "fab_seed", None):
        opts["fab_seed"] = int(args.fab_seed)
    if getattr(args, "drift_rate", 0.0):
        opts["drift_rate"] = float(args.drift_rate)
    if getattr(args, "recalibrate_every", 0):
        opts["recalibrate_every"] = int(args.recalibrate_every)
    return opts


def register(subparsers: Any) -> None:
    p = add_command(
        subparsers, "train",
        help="train MNIST with backprop, DFA, Gaussian-error DFA or photonic DFA",
        description="Train the 784-800-800-10 ReLU network (SGD, momentum 0.9) on MNIST with "
                    "the chosen feedback and write OUT/log.json (per-epoch figures), "
                    "OUT/checkpoint.npz (resumable with --resume, bit for bit) and "
                    "OUT/curves.png. Presets: quick (10k training images, 5 epochs), full "
                    "(60k images, 10 epochs); the options override them.",
        example="photonic-dfa train mnist --feedback photonic --preset quick --out "
                "results/mnist-photonic")
    p.add_argument("task", choices=("mnist",), help="what to train")
    p.add_argument("--feedback", choices=FEEDBACK_CHOICES, default="dfa",
                   help="where the hidden layers' error signals come from")
    add_preset_argument(p, "train", "quick")
    p.add_argument("--epochs", type=int_type(1, MAX_EPOCHS),
                   help=f"epochs, 1 to {MAX_EPOCHS} (default: the preset's)")
    p.add_argument("--batch-size", type=int_type(1, MAX_BATCH),
                   help=f"minibatch size, at most {MAX_BATCH} (default 64)")
    p.add_argument("--lr", type=number, help="SGD learning rate (default 0.01)")
    p.add_argument("--momentum", type=number, help="SGD momentum (default 0.9)")
    p.add_argument("--seed", type=seed_type, help="seed of weights, feedback matrices and batches "
                   "(default 0)")
    add_hidden_argument(p)
    p.add_argument("--train-subset", type=int_type(0, MNIST_TRAIN), metavar="N",
                   help="train on a random N of the 60k images, 0: all (default: the preset's)")
    p.add_argument("--init", choices=("he", "glorot", "torch"),
                   help="weight initialisation (default torch, as the authors)")
    p.add_argument("--error-mean", type=number, help="gaussian mode: MAC error mean in units "
                   f"of max|e| (default {AUTHORS_ERROR.mean})")
    p.add_argument("--error-std", type=number, help="gaussian mode: MAC error std in units of "
                   f"max|e| (default {AUTHORS_ERROR.std})")
    add_chip_arguments(p)
    p.add_argument("--data-dir", type=directory("data directory"),
                   help="data directory (default $PHOTONIC_DFA_DATA or the user cache dir)")
    p.add_argument("--out", type=directory("output directory"), help="output directory (default "
                   "results/mnist-FEEDBACK-PRESET)")
    p.add_argument("--resume", action="store_true",
                   help="continue from OUT/checkpoint.npz (also mid-epoch)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def build_config(args: argparse.Namespace) -> Any:
    from photonic_dfa.training.trainer import preset

    over: dict[str, Any] = {"feedback": args.feedback}
    for name in ("epochs", "batch_size", "lr", "momentum", "seed", "init", "error_mean",
                 "error_std"):
        if getattr(args, name, None) is not None:
            over[name] = getattr(args, name)
    if args.hidden:
        over["sizes"] = (784, *args.hidden, 10)
    if args.train_subset is not None:
        over["train_subset"] = args.train_subset or None
    if args.feedback == "photonic":
        over["chip"] = chip_options(args)
    return preset(library_preset("train", args.preset), **over)


def run(args: argparse.Namespace) -> int:
    from photonic_dfa.training.datasets import load_mnist
    from photonic_dfa.training.feedback import PhotonicUnavailableError
    from photonic_dfa.training.trainer import Trainer

    chip_arguments_used(args, args.feedback == "photonic", "to --feedback photonic")
    refuse_unused(args, args.feedback == "gaussian", "to --feedback gaussian",
                  {"--error-mean": args.error_mean, "--error-std": args.error_std})
    check_network(args.hidden, args.batch_size)
    config = build_config(args)
    out = args.out or Path("results") / f"mnist-{args.feedback}-{args.preset}"
    data = load_mnist(args.data_dir)
    print(f"MNIST from {data.source}")
    try:
        trainer = Trainer(config, data, out, progress=not args.no_progress)
        s = trainer.run(resume=args.resume)
    except PhotonicUnavailableError as exc:
        print(f"photonic-dfa train: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        print(f"photonic-dfa train: {exc}", file=sys.stderr)
        return 130
    print(f"{config.feedback}: test accuracy {100 * s['test_acc']:.2f}% (10k, final epoch); "
          f"{100 * s['heldout_acc_at_best']:.2f}% on the held-out 5000 at the best validation "
          f"epoch {s['best_epoch']}; {s['mean_epoch_time']:.2f} s/epoch; results in {out}")
    return 0
