"""``photonic-dfa scaling``: loss-vs-compute scaling grid of BP, DFA and photonic-DFA
Transformers over several seeds: frontiers with seed-bootstrap intervals on counted FLOPs,
6ND and energy, power-law fits, compute multipliers, the energy table and the verdicts. Every
grid point is a cached task: rerun the same command to resume a killed grid."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from photonic_dfa.base.units import quantity

if TYPE_CHECKING:
    from photonic_dfa.studies.scaling import ScalingGrid

from ._common import (
    add_command,
    add_preset_argument,
    directory,
    input_file,
    int_type,
    library_preset,
    seed_type,
)

#: documented limits: tokens per grid point, layers and width of a model, points in a grid
MAX_TOKENS = 10**10
MAX_LAYERS = 64
MAX_WIDTH = 4096
MAX_POINTS = 1000
MAX_SEEDS = 100


def _items(text: str, what: str, example: str) -> list[str]:
    """The comma-separated items of ``text``; an empty list or an empty item is an error."""
    items = [t.strip() for t in text.split(",")]
    if not text.strip() or any(not t for t in items):
        raise argparse.ArgumentTypeError(f"expected a comma list of {what}, e.g. {example}, "
                                         f"got {text!r} (an empty list or item)")
    if len(set(items)) != len(items):
        raise argparse.ArgumentTypeError(f"{what} repeated in {text!r}")
    return items


def _ints(text: str) -> tuple[int, ...]:
    """Comma list of whole numbers, e.g. ``5e5,1e6``."""
    items = _items(text, "token budgets", "5e5,1e6")
    try:
        values = [quantity(t, "", name="token budget") for t in items]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if any(v != int(v) or not 1 <= v <= MAX_TOKENS for v in values):
        raise argparse.ArgumentTypeError(f"token budgets must be whole numbers in [1, "
                                         f"{MAX_TOKENS:.0e}], e.g. 5e5,1e6, got {text!r}")
    return tuple(int(v) for v in values)


def _sizes(text: str) -> tuple[tuple[int, int], ...]:
    items = _items(text, "sizes", "1x32,2x64")
    try:
        sizes = tuple((int(a), int(b)) for a, b in (s.lower().split("x") for s in items))
    except ValueError:
        raise argparse.ArgumentTypeError(f"sizes must look like 1x32,2x64, got {text!r}") from None
    for layers, width in sizes:
        if not (1 <= layers <= MAX_LAYERS and 1 <= width <= MAX_WIDTH):
            raise argparse.ArgumentTypeError(
                f"size {layers}x{width}: layers must be in [1, {MAX_LAYERS}] and width in "
                f"[1, {MAX_WIDTH}]")
    return sizes


def _methods(text: str) -> tuple[str, ...]:
    from photonic_dfa.training.lm import METHODS

    items = _items(text, "methods", "bp,dfa")
    bad = [m for m in items if m not in METHODS]
    if bad:
        raise argparse.ArgumentTypeError(f"unknown method(s) {', '.join(map(repr, bad))}; "
                                         f"allowed: {', '.join(METHODS)}")
    return tuple(items)


def _seeds(text: str) -> tuple[int, ...]:
    items = _items(text, "seeds", "0,1,2")
    try:
        seeds = tuple(int(t) for t in items)
    except ValueError:
        raise argparse.ArgumentTypeError(f"seeds must be whole numbers, e.g. 0,1,2, got "
                                         f"{text!r}") from None
    if any(not 0 <= v < 2**32 for v in seeds) or len(seeds) > MAX_SEEDS:
        raise argparse.ArgumentTypeError(f"at most {MAX_SEEDS} seeds, each in [0, 2^32), "
                                         f"got {text!r}")
    return seeds


def register(subparsers: argparse._SubParsersAction) -> None:
    p = add_command(
        subparsers, "scaling", help="scaling-law grid: BP vs DFA vs photonic DFA",
        description="Train a grid of Transformer sizes x token budgets with BP, DFA and "
                    "photonic DFA over several seeds; find each method's frontier of the "
                    "seed-mean curves in counted FLOPs, 6ND and energy (GPU digital work + "
                    "chip feedback), fit L(C) = a C^-b + c, with intervals from a bootstrap "
                    "over whole runs; give compute multipliers, paired loss differences, the "
                    "energy table, the outcome verdicts and the chip's break-even factor. "
                    "Every grid point is a cached task: rerun the same command to resume a "
                    "killed grid. Writes OUT/runs.json, OUT/analysis.json, OUT/report.txt, "
                    "OUT/frontier_bands.png and OUT/frontier_6nd.png. Presets: smoke (one "
                    "size, bp only), full (also 'paper': 6 sizes x 3 budgets x 3 seeds x "
                    "bp, dfa, dfa-ln, photonic).",
        example="photonic-dfa scaling --preset paper --out results/scaling --workers 2")
    p.add_argument("--out", required=True, type=directory("output directory"),
                   help="output directory")
    add_preset_argument(p, "scaling", "full")
    p.add_argument("--methods", type=_methods, default=None,
                   help="comma list of training methods, e.g. bp,dfa,dfa-ln,photonic "
                   "(default: the preset's)")
    p.add_argument("--sizes", type=_sizes, default=None, help="LAYERSxWIDTH list, e.g. "
                   f"1x32,2x64; at most {MAX_LAYERS} layers and width {MAX_WIDTH} (default: "
                   "the preset's)")
    p.add_argument("--tokens", type=_ints, default=None, help="token budgets, e.g. 5e5,1e6, "
                   f"each at most {MAX_TOKENS:.0e} (default: the preset's)")
    p.add_argument("--seed", type=seed_type, default=None,
                   help="one seed (same as --seeds N; default: the preset's seeds)")
    p.add_argument("--seeds", type=_seeds, default=None,
                   help="comma list of seeds, e.g. 0,1,2 (default: the preset's)")
    p.add_argument("--boot", type=int_type(10, 100_000), default=200,
                   help="bootstrap resamples of whole runs for the intervals (default 200)")
    p.add_argument("--text", default=None, type=input_file("text file"),
                   help="train on this UTF-8 text file instead (default: the Shakespeare "
                   "corpus)")
    p.add_argument("--data-dir", default=None, type=directory("data directory"),
                   help="data directory (default $PHOTONIC_DFA_DATA or the user cache)")
    p.add_argument("--cache-dir", default=None, type=directory("cache directory"),
                   help="task cache (default OUT/cache)")
    p.add_argument("--scheduler", default=None, help="Dask scheduler address tcp://HOST:PORT "
                   "(default: a local process pool)")
    p.add_argument("--workers", type=int_type(1, 1024), default=None,
                   help="local processes (default: cores)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def _check_memory(grid: ScalingGrid) -> None:
    """Every model of the grid must fit in memory (before any point runs)."""
    from photonic_dfa.training.lm import LMConfig

    for layers, width in grid.sizes:
        LMConfig(d_model=width, n_layers=layers, n_heads=grid.n_heads, context=grid.context,
                 batch_size=grid.batch_size).check_memory()


def run(args: argparse.Namespace) -> int:
    import time
    from pathlib import Path

    from photonic_dfa.base.atomic import atomic_write, write_json
    from photonic_dfa.studies.scaling import SCALING_PRESETS, run_grid
    from photonic_dfa.studies.scaling_energy import chip_energy, counted_flops
    from photonic_dfa.studies.scaling_plots import plot_frontier_bands
    from photonic_dfa.studies.scaling_report import format_report, study
    from photonic_dfa.training.corpus import load_corpus

    if args.scheduler is not None:
        from photonic_dfa.base.scheduler import check_scheduler

        check_scheduler(args.scheduler)  # before the corpus is read or a point runs
    grid = SCALING_PRESETS[library_preset("scaling", args.preset)]
    changes: dict[str, object] = {}
    # an option given is used, never dropped for the preset's value (an empty list is
    # refused while parsing)
    if args.methods is not None:
        changes["methods"] = args.methods
    if args.sizes is not None:
        changes["sizes"] = args.sizes
    if args.tokens is not None:
        changes["token_budgets"] = args.tokens
    if args.seed is not None and args.seeds is not None:
        raise ValueError("give --seed or --seeds, not both")
    if args.seed is not None:
        changes["seeds"] = (args.seed,)
    if args.seeds is not None:
        changes["seeds"] = args.seeds
    grid = grid.replace(**changes)
    n_points = (len(grid.sizes) * len(grid.token_budgets) * len(grid.methods)
                * len(grid.seeds))
    if n_points > MAX_POINTS:
        raise ValueError(f"the grid has {n_points} points, at most {MAX_POINTS}")
    _check_memory(grid)
    out = Path(args.out)
    cache = Path(args.cache_dir) if args.cache_dir else out / "cache"
    t0 = time.perf_counter()
    runs = run_grid(grid, cache, text_file=args.text, data_dir=args.data_dir,
                    scheduler=args.scheduler, max_workers=args.workers,
                    progress=not args.no_progress)
    grid_seconds = time.perf_counter() - t0
    corpus = load_corpus(args.text, args.data_dir)
    unigram = corpus.unigram_entropy("val")
    chip = None
    if any(m.startswith("photonic") for m in grid.methods) and grid.photonic_core == "chip":
        chip = chip_energy(corpus.vocab_size)
    result = study(runs, counted_flops, chip, fit_max_loss=unigram, n_boot=args.boot)
    result |= {"unigram_entropy_val": unigram,
               "bigram_cross_entropy_val": corpus.bigram_cross_entropy("train", "val"),
               "grid": dict(vars(grid)), "n_runs": len(runs),
               "wall_seconds_this_invocation": grid_seconds,
               "train_seconds_total": float(sum(r["train_seconds"] for r in runs))}
    write_json(out / "runs.json", runs)
    write_json(out / "analysis.json", result)
    plot_frontier_bands(result["axes"], out / "frontier_bands.png", ("flops", "energy"),
                        unigram, title=f"{len(grid.seeds)} seeds per point; bands: "
                        f"{100 * result['axes']['flops']['confidence']:.0f} % bootstrap over "
                        "whole runs")
    plot_frontier_bands(result["axes"], out / "frontier_6nd.png", ("6ND",), unigram)
    text = format_report(result)
    text += (f"\n\n{len(runs)} runs, {result['train_seconds_total']:.0f} s of training; this "
             f"invocation {grid_seconds:.0f} s (cached runs are not re-run)\n"
             f"unigram entropy {unigram:.4f} nats/char; wrote {out}/runs.json, analysis.json, "
             "report.txt, frontier_bands.png, frontier_6nd.png")
    atomic_write(out / "report.txt", lambda fh: fh.write(text.encode()))
    print(text)
    return 0
