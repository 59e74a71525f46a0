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
from typing import NoReturn

from . import __version__, commands
from .base.tasks import TaskError


class _Parser(argparse.ArgumentParser):
    """argparse with a usage error as one line (the usage is in ``--help``)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
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
    except TaskError as exc:
        # grid points refused by the models (ValueError) are a user error; anything else
        # raised in a task is a bug and keeps its traceback
        if not all(isinstance(e, ValueError) for _, e in exc.failures):
            raise
        print(f"photonic-dfa {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except (ValueError, OSError, RecursionError, MemoryError) as exc:
        # user errors: bad values (ValueError, the base of every named error), paths that are
        # missing, unreadable or of the wrong kind (OSError); RecursionError and MemoryError
        # are refused by the readers and estimates before they can happen, named here anyway
        print(f"photonic-dfa {args.command}: error: {_describe(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        # finished tasks stay cached and files are written atomically: rerun to resume
        print(f"photonic-dfa {args.command}: interrupted", file=sys.stderr)
        return 130


def _describe(exc: BaseException) -> str:
    """One line naming what is wrong; for an OS error the path and the reason."""
    if isinstance(exc, OSError) and exc.filename is not None:
        where = f"{exc.filename}" + (f" -> {exc.filename2}" if exc.filename2 else "")
        kind = {IsADirectoryError: "is a directory, expected a file",
                NotADirectoryError: "a part of the path is not a directory",
                PermissionError: "permission denied",
                FileNotFoundError: "no such file or directory"}.get(type(exc))
        return f"{where}: {kind or exc.strerror or exc}"
    if isinstance(exc, MemoryError):
        return "out of memory; reduce the sizes given (see the command's --help for limits)"
    if isinstance(exc, RecursionError):
        return "input nested too deeply"
    return str(exc) or type(exc).__name__


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
