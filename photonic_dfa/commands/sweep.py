"""``photonic-dfa sweep``: a grid of weight-bank designs -> CSV, line plots and heatmaps.

The grid comes from a TOML file (``--grid``) or ``--param`` ranges (or both: ``--param``
adds axes or replaces the file's axis of the same name). The whole grid is validated before
any point runs; points run on a local process pool (``--workers``) or a Dask cluster
(``--scheduler tcp://HOST:PORT``), each cached in ``OUT/cache`` so an interrupted sweep
resumes where it stopped.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

from photonic_dfa.studies.sweep_params import PARAMETERS

from ._common import UNITS_RULE, add_command, directory, input_file, int_type, seed_type

#: documented limits of the command line
MAX_WORKERS = 1024
MAX_MNIST_EPOCHS = 100


def register(subparsers: Any) -> None:
    p = add_command(
        subparsers, "sweep",
        help="sweep ring, coupling, loss, channel and heater parameters; CSV + plots",
        description="Evaluate a grid of weight-bank designs (Q, FSR, extinction, crosstalk, "
                    "weight effective bits, heater power, MAC/s, pJ/MAC and optionally MNIST "
                    "accuracy) and write OUT/sweep.csv, OUT/sweep.json and PNG line plots and "
                    "heatmaps. Points whose design has no value for a figure (e.g. heaters "
                    "too weak for the weight branch) are listed with the reason, and their "
                    "cells are marked in the plots.\n\n"
                    "Parameters: " + ", ".join(
                        f"{n} ({p.unit})" if p.unit else n for n, p in PARAMETERS.items())
                    + ", or any dotted chip key such as core.n_outputs. Ranges: "
                    "NAME=START:STOP:NUM (inclusive; add :log for geometric) or "
                    "NAME=V1,V2,...; values in SI or with a unit (radius=5um:20um:8, "
                    "channel_spacing=50GHz,100GHz), also in the grid TOML (radius = "
                    "\"7um\", or {start = \"5um\", stop = \"20um\", num = 4}).\n\n"
                    + UNITS_RULE,
        example="photonic-dfa sweep --param radius=5um:20um:4:log --param r=0.95,0.99 "
                "--no-calibration --out results/sweep")
    p.add_argument("--grid", type=input_file("grid file"),
                   help="grid TOML file ([grid], [chip], [options])")
    p.add_argument("--param", action="append", default=[], metavar="NAME=RANGE",
                   help="a sweep axis, e.g. radius=5um:20um:8 or r=0.95,0.97,0.99 "
                   "(repeatable; default: none, the grid file's axes)")
    p.add_argument("--out", type=directory("output directory"), required=True,
                   help="output directory")
    p.add_argument("--scheduler", help="Dask scheduler address tcp://HOST:PORT (default: "
                   "local process pool)")
    p.add_argument("--workers", type=int_type(1, MAX_WORKERS),
                   help="local worker processes (default: all CPUs)")
    p.add_argument("--mnist-epochs", type=int_type(0, MAX_MNIST_EPOCHS),
                   help="train MNIST with photonic DFA on every point's chip for this many "
                   f"epochs, at most {MAX_MNIST_EPOCHS} (small subset; default 0: off)")
    p.add_argument("--no-calibration", action="store_true",
                   help="skip calibrating a fabricated chip; weight bits from the design chip")
    p.add_argument("--seed", type=seed_type,
                   help="seed of the fabricated chips and random weights (default 0)")
    p.add_argument("--data-dir", type=directory("data directory"),
                   help="MNIST data directory (for --mnist-epochs)")
    p.add_argument("--no-plots", action="store_true", help="write the CSV only")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def build_grid(args: argparse.Namespace) -> Any:
    """The :class:`~photonic_dfa.studies.sweep.SweepGrid` of the command line."""
    from photonic_dfa.studies.sweep import SweepGrid, load_grid, parse_axis

    if args.grid is None and not args.param:
        raise ValueError("give a grid: --grid GRID.toml and/or --param NAME=RANGE")
    axes: dict[str, Any] = {}
    base: dict[str, Any] = {}
    options: dict[str, Any] = {}
    if args.grid is not None:
        g = load_grid(args.grid)
        axes.update(g.axes)
        base.update(g.base)
        options.update(g.options)
    for text in args.param:
        name, values = parse_axis(text)
        axes[name] = values
    if args.mnist_epochs is not None:
        options["mnist_epochs"] = args.mnist_epochs
    if args.no_calibration:
        options["calibrate"] = False
    if args.seed is not None:
        options["seed"] = args.seed
    return SweepGrid(tuple(axes.items()), base=base, options=options)


def run(args: argparse.Namespace) -> int:
    from photonic_dfa.studies.sweep import run_sweep

    if args.data_dir is not None and not args.mnist_epochs:
        raise ValueError("--data-dir only applies with --mnist-epochs (MNIST on every point)")
    if args.data_dir is not None:
        # spawned workers inherit it; remote Dask workers need it set in their environment
        os.environ["PHOTONIC_DFA_DATA"] = str(args.data_dir)
    grid = build_grid(args)
    if args.scheduler is not None:
        from photonic_dfa.base.scheduler import check_scheduler

        check_scheduler(args.scheduler)  # before any point is validated or run
    shape = " x ".join(f"{n}[{len(v)}]" for n, v in grid.axes)
    print(f"sweep: {len(grid)} points ({shape}); validating...", flush=True)
    t0 = time.perf_counter()
    result = run_sweep(grid, args.out, scheduler=args.scheduler, workers=args.workers,
                       progress=not args.quiet)
    elapsed = time.perf_counter() - t0
    print(f"sweep: {len(result.rows)} points, {result.n_computed} computed, "
          f"{result.n_cached} from cache, {elapsed:.1f} s -> {result.csv_path}", flush=True)
    from photonic_dfa.studies.sweep_plots import describe_missing

    for line in describe_missing(result.rows, grid.axes):
        # a point without a figure is a result (the models cannot design it), not a failure
        print(f"sweep: {line}", file=sys.stderr)
    sources = {r.get("weight_bits_source") for r in result.rows}
    if any(s and s.startswith("design (calibration unavailable") for s in sources):
        print("sweep: note: calibration package unavailable; weight_bits are design-chip "
              "estimates (see weight_bits_source)", file=sys.stderr)
    if not args.no_plots:
        from photonic_dfa.studies.sweep_plots import plot_sweep

        for path in plot_sweep(result.rows, grid.axes, args.out):
            print(f"  {path}")
    return 0
