"""Reading the project's TOML files (chip configurations, sweep grids) with named errors."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

__all__ = ["read_toml"]


def read_toml(path: str | Path, what: str) -> dict[str, Any]:
    """Parse ``path``; a missing file is ``FileNotFoundError`` and bad TOML ``ValueError``,
    both naming the file and ``what`` it was meant to be (e.g. "chip configuration file")."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"{p}: no such {what}")
    try:
        return tomllib.loads(p.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{p}: invalid TOML: {exc}") from None
