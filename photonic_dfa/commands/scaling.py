"""``photonic-dfa scaling``: loss-vs-compute scaling grid of BP, DFA and photonic-DFA
Transformers, its compute-efficient frontiers, power-law fits and plots. Every grid point is a
cached task: rerun the same command to resume a killed grid."""

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
METHOD_NAMES = ("bp", "dfa", "dfa-micro", "photonic")


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
    items = _items(text, "methods", "bp,dfa")
    bad = [m for m in items if m not in METHOD_NAMES]
    if bad:
        raise argparse.ArgumentTypeError(f"unknown method(s) {', '.join(map(repr, bad))}; "
                                         f"allowed: {', '.join(METHOD_NAMES)}")
    return tuple(items)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = add_command(
        subparsers, "scaling", help="scaling-law grid: BP vs DFA vs photonic DFA",
        description="Train a grid of Transformer sizes x token budgets with BP, DFA and "
                    "photonic DFA, find each method's compute-efficient frontier, fit "
                    "L(C) = a C^-b + c and compare the frontiers. Every grid point is a cached "
                    "task: rerun the same command to resume a killed grid. Writes "
                    "OUT/runs.json, OUT/analysis.json, OUT/loss_vs_compute.png and "
                    "OUT/frontier.png. Presets: smoke (one size, bp only), full (4 sizes).",
        example="photonic-dfa scaling --preset smoke --out results/scaling-smoke --workers 2")
    p.add_argument("--out", required=True, type=directory("output directory"),
                   help="output directory")
    add_preset_argument(p, "scaling", "full")
    p.add_argument("--methods", type=_methods, default=None,
                   help="comma list of bp,dfa,dfa-micro,photonic (default: the preset's)")
    p.add_argument("--sizes", type=_sizes, default=None, help="LAYERSxWIDTH list, e.g. "
                   f"1x32,2x64; at most {MAX_LAYERS} layers and width {MAX_WIDTH} (default: "
                   "the preset's)")
    p.add_argument("--tokens", type=_ints, default=None, help="token budgets, e.g. 5e5,1e6, "
                   f"each at most {MAX_TOKENS:.0e} (default: the preset's)")
    p.add_argument("--seed", type=seed_type, default=None, help="seed (default: the preset's)")
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
    from pathlib import Path

    from photonic_dfa.base.atomic import write_json
    from photonic_dfa.studies.scaling import SCALING_PRESETS, analyse, run_grid
    from photonic_dfa.training.corpus import load_corpus
    from photonic_dfa.training.lm_plots import plot_scaling

    if args.scheduler is not None:
        from photonic_dfa.base.scheduler import check_scheduler

        check_scheduler(args.scheduler)  # before the corpus is read or a point runs
    grid = SCALING_PRESETS[library_preset("scaling", args.preset)]
    changes = {}
    # an option given is used, never dropped for the preset's value (an empty list is
    # refused while parsing)
    if args.methods is not None:
        changes["methods"] = args.methods
    if args.sizes is not None:
        changes["sizes"] = args.sizes
    if args.tokens is not None:
        changes["token_budgets"] = args.tokens
    if args.seed is not None:
        changes["seed"] = args.seed
    grid = grid.replace(**changes)
    n_points = len(grid.sizes) * len(grid.token_budgets) * len(grid.methods)
    if n_points > MAX_POINTS:
        raise ValueError(f"the grid has {n_points} points, at most {MAX_POINTS}")
    _check_memory(grid)
    out = Path(args.out)
    cache = Path(args.cache_dir) if args.cache_dir else out / "cache"
    runs = run_grid(grid, cache, text_file=args.text, data_dir=args.data_dir,
                    scheduler=args.scheduler, max_workers=args.workers,
                    progress=not args.no_progress)
    corpus = load_corpus(args.text, args.data_dir)
    unigram = corpus.unigram_entropy("val")
    analysis = analyse(runs, fit_max_loss=unigram)
    analysis["unigram_entropy_val"] = unigram
    analysis["bigram_cross_entropy_val"] = corpus.bigram_cross_entropy("train", "val")
    analysis["grid"] = {k: v for k, v in vars(grid).items()}
    write_json(out / "runs.json", runs)
    write_json(out / "analysis.json", analysis)
    plot_scaling(runs, analysis, out)

    print(f"{'method':10s} {'layers':>6s} {'d':>4s} {'N':>8s} {'D':>9s} {'C=6ND':>9s} "
          f"{'val loss':>8s} {'seconds':>8s}")
    for method, m in analysis["methods"].items():
        for r in m["runs"]:
            print(f"{method:10s} {r['n_layers']:6d} {r['d_model']:4d} {r['N']:8d} {r['D']:9d} "
                  f"{r['C']:9.2e} {r['final_val_loss']:8.4f} {r['train_seconds']:8.1f}")
    for method, m in analysis["methods"].items():
        f = m["fit"]
        if f:
            print(f"{method}: L(C) = {f['a']:.3g} C^-{f['b']:.4f} + {f['c']:.3f}  "
                  f"(b = {f['b']:.4f} +- {f['b_stderr']:.4f}, c = {f['c']:.3f} +- "
                  f"{f['c_stderr']:.3f}, {f['n_points']} frontier points below the unigram "
                  f"entropy; bootstrap b 16/50/84%: "
                  f"{', '.join(f'{q:.3f}' for q in f.get('bootstrap', {}).get('b_16_50_84', []))})")
        else:
            print(f"{method}: too few frontier points to fit")
    for key, v in analysis.items():
        if key.endswith("_vs_bp"):
            print(f"{key}: never more compute-efficient than BP: strictly "
                  f"{v['never_more_compute_efficient']} (lower on "
                  f"{100 * v['fraction_of_compute_where_better']:.0f}% of the overlapping compute, "
                  f"by at most {max(0.0, -v['min_loss_gap']):.4f} nats); beyond noise "
                  f"(+-{v['noise_tolerance']:.4f}): "
                  f"{v['never_more_compute_efficient_beyond_noise']}")
            for row in v["compute_multiplier_on_frontier"]:
                print(f"    loss {row['loss']:.3f}: compute multiplier {row['multiplier']:.2f}")
            fm = v["compute_multiplier_from_fits_at_best_reference_loss"]
            if fm:
                print(f"    from the fits, at BP's best loss {fm['loss']:.3f}: compute multiplier "
                      f"{fm['multiplier']:.2f}")
    print(f"unigram entropy {analysis['unigram_entropy_val']:.4f} nats/char; "
          f"wrote {out}/runs.json, analysis.json, loss_vs_compute.png, frontier.png")
    return 0
