"""Names a package exports without importing their modules until first use (PEP 562).

Heavy optional stacks (gdsfactory for layout, JAX for SAX models) load only when a name
from them is asked for, so ``import photonic_dfa`` and the CLI start fast.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping

__all__ = ["lazy_getattr"]


def lazy_getattr(package: str, names: Mapping[str, str]) -> Callable[[str], object]:
    """A module ``__getattr__`` for ``package``: ``names`` maps an exported name to the
    module (relative to ``package``, e.g. ``".layout"``) that defines it."""

    def __getattr__(name: str) -> object:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module, package), name)

    return __getattr__
