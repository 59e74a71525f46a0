"""``photonic-dfa scaling``: loss-vs-compute scaling grid of BP, DFA and photonic-DFA
Transformers, its compute-efficient frontiers, power-law fits and plots. Every grid point is a
cached task: rerun the same command to resume a killed grid."""

from __future__ import annotations

import argparse

from photonic_dfa.base.units import quantity

from ._common import add_command, add_preset_argument, library_preset


def _ints(text: str) -> tuple[int, ...]:
    """Comma list of whole numbers, e.g. ``5e5,1e6``."""
    try:
        values = [quantity(t, "", name="token budget") for t in text.split(",") if t.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if not values or any(v != int(v) or v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"token budgets must be positive whole numbers, e.g. "
                                         f"5e5,1e6, got {text!r}")
    return tuple(int(v) for v in values)


def _sizes(text: str) -> tuple[tuple[int, int], ...]:
    try:
        return tuple((int(a), int(b)) for a, b in (s.lower().split("x") for s in text.split(",")))
    except ValueError:
        raise argparse.ArgumentTypeError(f"sizes must look like 1x32,2x64, got {text!r}") from None


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
    p.add_argument("--out", required=True, help="output directory")
    add_preset_argument(p, "scaling", "full")
    p.add_argument("--methods", default=None, help="comma list of bp,dfa,dfa-micro,photonic "
                   "(default: the preset's)")
    p.add_argument("--sizes", type=_sizes, default=None, help="LAYERSxWIDTH list, e.g. "
                   "1x32,2x64 (default: the preset's)")
    p.add_argument("--tokens", type=_ints, default=None, help="token budgets, e.g. 5e5,1e6 "
                   "(default: the preset's)")
    p.add_argument("--seed", type=int, default=None, help="seed (default: the preset's)")
    p.add_argument("--text", default=None, help="train on this UTF-8 text file instead "
                   "(default: the Shakespeare corpus)")
    p.add_argument("--data-dir", default=None, help="data directory (default "
                   "$PHOTONIC_DFA_DATA or the user cache)")
    p.add_argument("--cache-dir", default=None, help="task cache (default OUT/cache)")
    p.add_argument("--scheduler", default=None, help="Dask scheduler address tcp://HOST:PORT "
                   "(default: a local process pool)")
    p.add_argument("--workers", type=int, default=None, help="local processes (default: cores)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from photonic_dfa.base.atomic import write_json
    from photonic_dfa.studies.scaling import SCALING_PRESETS, analyse, run_grid
    from photonic_dfa.training.corpus import load_corpus
    from photonic_dfa.training.lm_plots import plot_scaling

    grid = SCALING_PRESETS[library_preset("scaling", args.preset)]
    changes = {}
    if args.methods:
        changes["methods"] = tuple(m.strip() for m in args.methods.split(",") if m.strip())
    if args.sizes:
        changes["sizes"] = args.sizes
    if args.tokens:
        changes["token_budgets"] = args.tokens
    if args.seed is not None:
        changes["seed"] = args.seed
    grid = grid.replace(**changes)
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
