"""What every subcommand shares: its help layout and the one preset vocabulary.

Presets (``--preset``) mean the same in every command that has them:

- ``smoke``: seconds; checks that the pipeline runs end to end, its numbers mean nothing;
- ``quick``: minutes on a laptop; a reduced run whose numbers are indicative;
- ``full``: the study as reported (all data, the whole grid); hours on a laptop.

A command offers the presets it has (:data:`COMMAND_PRESETS`); ``default``, the former name
of ``full`` in ``lm`` and ``scaling``, is still read as ``full``.
"""

from __future__ import annotations

import argparse
import math
import os
import textwrap
from pathlib import Path
from typing import Any

PRESETS: dict[str, str] = {
    "smoke": "seconds; checks that the pipeline runs, numbers mean nothing",
    "quick": "minutes on a laptop; numbers are indicative",
    "full": "the study as reported; hours on a laptop",
}
#: command -> {preset: the name its library uses}
COMMAND_PRESETS: dict[str, dict[str, str]] = {
    "train": {"quick": "quick", "full": "full"},
    "demo": {"quick": "quick", "full": "full"},
    "lm": {"quick": "quick", "full": "default"},
    "scaling": {"smoke": "smoke", "full": "paper"},
}
_ALIASES = {"default": "full"}
#: names one command accepts for a preset of the shared vocabulary
_COMMAND_ALIASES = {"scaling": {"paper": "full"}}
#: the units rule, as every command's help states it
UNITS_RULE = ("Physical quantities are plain SI numbers (metres, watts, hertz, seconds, "
              "kelvin, ohms) or numbers with a unit and SI prefix: 10um, 10 µm, 1550nm, 5mW, "
              "100GHz, 10GBd, 2kohm, 300K, 3K/mW. A unit of the wrong kind is refused.")


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Description and example kept as written; every option with a default says it."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if (not action.option_strings or action.default in (None, False, argparse.SUPPRESS)
                or "default" in text.lower()):
            return text
        return f"{text} (default: %(default)s)".lstrip()


def add_command(subparsers: Any, name: str, *, help: str, description: str,
                example: str) -> argparse.ArgumentParser:
    """A subcommand parser: ``description`` (paragraphs separated by blank lines) says what it
    computes and writes; ``example`` is one command line shown under "Example:"."""
    paragraphs = [textwrap.fill(" ".join(p.split()), 88) for p in description.split("\n\n")]
    return subparsers.add_parser(
        name, help=help, description="\n\n".join(paragraphs),
        epilog=f"Example:\n  {example}", formatter_class=HelpFormatter)


def preset_type(command: str) -> Any:
    """argparse ``type=`` for ``--preset`` of ``command``: a name of the shared vocabulary,
    or an error listing the names this command allows."""
    allowed = COMMAND_PRESETS[command]

    def parse(text: str) -> str:
        name = _COMMAND_ALIASES.get(command, {}).get(text, _ALIASES.get(text, text))
        if name not in allowed:
            raise argparse.ArgumentTypeError(
                f"unknown preset {text!r} for {command}; allowed: {', '.join(allowed)} ("
                + "; ".join(f"{n}: {PRESETS[n]}" for n in allowed) + ")")
        return name

    parse.__name__ = "preset"
    return parse


def add_preset_argument(p: argparse.ArgumentParser, command: str, default: str) -> None:
    """``--preset`` with the shared vocabulary (module docstring)."""
    allowed = COMMAND_PRESETS[command]
    p.add_argument("--preset", type=preset_type(command), default=default,
                   metavar="{" + ",".join(allowed) + "}",
                   help="; ".join(f"{n}: {PRESETS[n]}" for n in allowed))


def library_preset(command: str, name: str) -> str:
    """The library's name of preset ``name`` of ``command`` (``full`` is ``default`` in the
    Transformer module and ``paper`` in the scaling module)."""
    return COMMAND_PRESETS[command][preset_type(command)(name)]


# ------------------------------------------------------------------ checked argument types
# Every check below runs while the command line is parsed, before any work starts; a bad
# value ends the command with exit status 2 and argparse's one line naming the flag.

def int_type(low: int, high: int | None = None) -> Any:
    """argparse ``type=`` for a whole number in ``[low, high]`` (``1e6`` is read as 1000000)."""
    rng = f"[{low}, {high}]" if high is not None else f"[{low}, inf)"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            try:
                f = float(text)
            except ValueError:
                f = math.nan
            if not (math.isfinite(f) and f == int(f)):
                raise argparse.ArgumentTypeError(
                    f"must be a whole number in {rng}, got {text!r}") from None
            value = int(f)
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be a whole number in {rng}, got {text!r}")
        return value

    parse.__name__ = "integer"
    return parse


#: the seeds numpy takes: non-negative, below 2**63
seed_type = int_type(0, 2**63 - 1)


def _reject_parent_file(p: Path) -> None:
    for parent in p.parents:
        if parent.exists() and not parent.is_dir():
            raise argparse.ArgumentTypeError(f"{p}: {parent} is a file, not a directory")


def input_file(what: str) -> Any:
    """argparse ``type=`` for a file to read: it must exist, be a regular file and readable."""

    def parse(text: str) -> Path:
        if not text:
            raise argparse.ArgumentTypeError(f"empty path, expected a {what}")
        p = Path(text)
        if p.is_dir():
            raise argparse.ArgumentTypeError(f"{p} is a directory, expected a {what}")
        if not p.exists():
            raise argparse.ArgumentTypeError(f"{p}: no such {what}")
        if not p.is_file():
            raise argparse.ArgumentTypeError(f"{p} is not a regular file, expected a {what}")
        if not os.access(p, os.R_OK):
            raise argparse.ArgumentTypeError(f"{p}: permission denied, cannot read the {what}")
        return p

    parse.__name__ = what.replace(" ", "_")
    return parse


def output_file(what: str) -> Any:
    """argparse ``type=`` for a file to write: not a directory, its folder not a file."""

    def parse(text: str) -> Path:
        if not text:
            raise argparse.ArgumentTypeError(f"empty path, expected a {what}")
        p = Path(text)
        if p.is_dir() or text.endswith(("/", os.sep)):
            raise argparse.ArgumentTypeError(f"{p} is a directory, expected a {what} path")
        _reject_parent_file(p)
        return p

    parse.__name__ = what.replace(" ", "_")
    return parse


def directory(what: str) -> Any:
    """argparse ``type=`` for a directory (made if missing): not a file, nor inside one."""

    def parse(text: str) -> Path:
        if not text:
            raise argparse.ArgumentTypeError(f"empty path, expected a {what}")
        p = Path(text)
        if p.exists() and not p.is_dir():
            raise argparse.ArgumentTypeError(f"{p} is a file, expected a {what}")
        _reject_parent_file(p)
        return p

    parse.__name__ = what.replace(" ", "_")
    return parse


def refuse_unused(args: argparse.Namespace, used: bool, why: str,
                  flags: dict[str, object]) -> None:
    """``ValueError`` if any of ``flags`` (flag -> its value, None/False when not given) is
    set while ``used`` is false: an option that would be silently ignored is refused."""
    given = [f for f, v in flags.items() if v not in (None, False)]
    if given and not used:
        raise ValueError(f"{', '.join(given)} only appl{'ies' if len(given) == 1 else 'y'} "
                         f"{why}")


def note_fabrication(chip: Path | str | None, why: str) -> None:
    """A note on standard error when chip file ``chip`` has a ``[fabrication]`` table the
    command does not use (``why``): the table is checked everywhere, used where a
    fabricated chip is simulated."""
    if chip is None:
        return
    from photonic_dfa.base.tomlfile import read_toml

    if "fabrication" in read_toml(chip, "chip configuration file"):
        import sys

        print(f"note: the [fabrication] table of {chip} is checked but not used: {why}",
              file=sys.stderr)


def file_name(text: str) -> str:
    """argparse ``type=`` for a file name (stem) written inside ``--out``: not a path."""
    if not text or text in (".", "..") or "/" in text or os.sep in text or "\x00" in text \
            or (os.altsep and os.altsep in text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a file name: a name is written inside --out, it may not be "
            "empty, '.', '..' or contain a path separator")
    if len(text.encode()) > 200:
        raise argparse.ArgumentTypeError(f"file name of {len(text.encode())} bytes, at most 200")
    return text
