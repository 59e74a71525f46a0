"""Where downloaded and converted data sets live.

Order: an explicit argument, then the ``PHOTONIC_DFA_DATA`` environment variable, then the
user cache directory (``$XDG_CACHE_HOME/photonic-dfa``, default ``~/.cache/photonic-dfa``).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["data_dir", "ENV_VAR"]

ENV_VAR = "PHOTONIC_DFA_DATA"


def data_dir(path: str | os.PathLike | None = None, create: bool = True) -> Path:
    """Resolve the data directory (argument > ``$PHOTONIC_DFA_DATA`` > user cache dir)."""
    if path is None or str(path) == "":
        path = os.environ.get(ENV_VAR) or None
    if path is None:
        cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        path = Path(cache) / "photonic-dfa"
    resolved = Path(path).expanduser()
    if create:
        resolved.mkdir(parents=True, exist_ok=True)
    return resolved
