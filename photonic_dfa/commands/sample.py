"""``photonic-dfa sample``: generate text from a character-level Transformer checkpoint."""

from __future__ import annotations

import argparse

from photonic_dfa.base.units import number

from ._common import add_command, input_file, int_type, seed_type

#: documented limit: characters generated per call (the model runs once per character)
MAX_LENGTH = 100_000


def register(subparsers: argparse._SubParsersAction) -> None:
    p = add_command(
        subparsers, "sample", help="generate text from a Transformer checkpoint",
        description="Load a character-level Transformer checkpoint written by `photonic-dfa "
                    "lm` and print PROMPT followed by LENGTH generated characters to stdout.",
        example="photonic-dfa sample --checkpoint results/lm_bp/checkpoint.npz --prompt "
                "'ROMEO:' --length 200")
    p.add_argument("--checkpoint", required=True, type=input_file("checkpoint file"),
                   help="checkpoint.npz written by `lm`")
    p.add_argument("--prompt", default="\n", help="text to continue (default: a newline)")
    p.add_argument("--length", type=int_type(0, MAX_LENGTH), default=500,
                   help=f"characters to generate, at most {MAX_LENGTH}")
    p.add_argument("--temperature", type=number, default=0.8,
                   help="softmax temperature; 0 = greedy")
    p.add_argument("--seed", type=seed_type, default=0, help="sampling seed")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sys

    import numpy as np

    from photonic_dfa.base.validation import check_scalar
    from photonic_dfa.training.lm import encode_prompt, load_checkpoint
    from photonic_dfa.training.transformer import generate

    check_scalar("--temperature", args.temperature, 0.0, 100.0)
    if not args.prompt:
        raise ValueError("--prompt must hold at least one character")
    model, vocab, _ = load_checkpoint(args.checkpoint)
    ids = generate(model, encode_prompt(vocab, args.prompt), args.length, args.temperature,
                   np.random.default_rng(args.seed))
    sys.stdout.write(args.prompt + "".join(vocab[i] for i in ids.tolist()) + "\n")
    return 0
