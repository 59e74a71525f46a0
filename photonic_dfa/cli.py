"""Command-line entry point ``photonic-dfa``.

Each subcommand lives in its own module under :mod:`photonic_dfa.commands` and exposes
``register(subparsers)``; the CLI discovers them, so adding a command touches no other file.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from . import __version__, commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="photonic-dfa",
        description="Silicon-photonic DFA co-simulation: devices, weight banks, chip, training."
                    " `photonic-dfa COMMAND --help` describes each command, its defaults and "
                    "an example.",
    )
    parser.add_argument("--version", action="version", version=f"photonic-dfa {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns its exit status (2 for a usage error, after the message)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse's usage errors, --help and --version
        return exc.code if isinstance(exc.code, int) else 2
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        out = getattr(args, "out", None)
        if out is None:
            return int(args.func(args) or 0)
        # one writer per output directory; stale temporary files of a killed run go
        from .base.lock import output_lock

        with output_lock(out, f"photonic-dfa {args.command}"):
            return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError) as exc:
        print(f"photonic-dfa {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
