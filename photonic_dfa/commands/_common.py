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
import textwrap
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
    "scaling": {"smoke": "smoke", "full": "default"},
}
_ALIASES = {"default": "full"}
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
        name = _ALIASES.get(text, text)
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
    Transformer and scaling modules)."""
    return COMMAND_PRESETS[command][preset_type(command)(name)]
