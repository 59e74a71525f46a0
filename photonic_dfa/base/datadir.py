"""Where downloaded and converted data sets live.

Order: an explicit argument, then the ``PHOTONIC_DFA_DATA`` environment variable, then the
user cache directory (``$XDG_CACHE_HOME/photonic-dfa``, default ``~/.cache/photonic-dfa``).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["data_dir", "check_data_file", "ENV_VAR"]

ENV_VAR = "PHOTONIC_DFA_DATA"


def data_dir(path: str | os.PathLike | None = None, create: bool = True) -> Path:
    """Resolve the data directory (argument > ``$PHOTONIC_DFA_DATA`` > user cache dir)."""
    if path is None or str(path) == "":
        path = os.environ.get(ENV_VAR) or None
    if path is None:
        cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        path = Path(cache) / "photonic-dfa"
    resolved = Path(path).expanduser()
    if resolved.exists() and not resolved.is_dir():
        raise ValueError(f"data directory {resolved} is a file, expected a directory")
    if create:
        try:
            resolved.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ValueError(f"cannot create data directory {resolved}: "
                             f"{exc.strerror or exc}") from None
    return resolved


def check_data_file(path: Path, what: str) -> None:
    """``ValueError`` if ``path``, where a data file belongs, is something else (a folder):
    refused before a download whose result could not be stored there."""
    if path.exists() and not path.is_file():
        raise ValueError(f"{path} is a directory, expected the {what} file; remove it or "
                         "choose another data directory")
