"""Reading the project's TOML files (chip configurations, sweep grids) with named errors."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

__all__ = ["read_toml", "parse_toml", "MAX_TOML_BYTES", "MAX_TOML_DEPTH"]

#: a configuration file is a few kilobytes; anything above this is not one
MAX_TOML_BYTES = 1 << 20
#: tables and arrays nested deeper than this are refused (tomllib recurses per level)
MAX_TOML_DEPTH = 32


def _depth(text: str) -> int:
    """An upper bound of the bracket nesting of TOML text, outside strings and comments."""
    depth = top = 0
    quote = ""
    comment = False
    i = 0
    while i < len(text):
        c = text[i]
        if comment:
            comment = c != "\n"
        elif quote:
            if c == "\\" and quote == '"':
                i += 1
            elif c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
        elif c == "#":
            comment = True
        elif c in "[{":
            depth += 1
            top = max(top, depth)
        elif c in "]}":
            depth = max(0, depth - 1)
        i += 1
    return top


def parse_toml(text: str, where: str) -> dict[str, Any]:
    """Parse TOML text; bad TOML or nesting deeper than :data:`MAX_TOML_DEPTH` is a
    ``ValueError`` naming ``where``."""
    if _depth(text) > MAX_TOML_DEPTH:
        raise ValueError(f"{where}: invalid TOML: arrays or tables nested deeper than "
                         f"{MAX_TOML_DEPTH} levels")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{where}: invalid TOML: {exc}") from None
    except RecursionError:
        raise ValueError(f"{where}: invalid TOML: nested too deeply") from None


def read_toml(path: str | Path, what: str) -> dict[str, Any]:
    """Parse ``path``; a missing file is ``FileNotFoundError``; a directory, an unreadable,
    oversized, non-UTF-8 or invalid file is ``ValueError``; each names the file and ``what``
    it was meant to be (e.g. "chip configuration file")."""
    p = Path(path)
    if p.is_dir():
        raise ValueError(f"{p} is a directory, expected a {what}")
    if not p.is_file():
        raise FileNotFoundError(f"{p}: no such {what}")
    try:
        size = p.stat().st_size
        if size > MAX_TOML_BYTES:
            raise ValueError(f"{p}: {size} bytes is too large for a {what} (at most "
                             f"{MAX_TOML_BYTES})")
        data = p.read_bytes()
    except OSError as exc:
        raise ValueError(f"{p}: cannot read the {what}: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{p}: not a {what}: not UTF-8 text (byte {exc.start})") from None
    if "\x00" in text:
        raise ValueError(f"{p}: not a {what}: binary data (a NUL byte)")
    return parse_toml(text, str(p))
