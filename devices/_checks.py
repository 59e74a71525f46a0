"""Thin adapters over :mod:`photonic_dfa.base.validation` for the device models.

They add what the shared checks lack: flags must be real booleans and random sources real
generators; ``scalar``/``array``/``integer`` keep every device check in one place.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from photonic_dfa.base.arrays import FloatArray
from photonic_dfa.base.validation import check_array, check_int, check_scalar

__all__ = ["scalar", "optional_scalar", "array", "integer", "flag", "generator"]


def scalar(name: str, value: Any, low: float | None = None, high: float | None = None,
           **kw: bool) -> float:
    """:func:`check_scalar` (overflow is already a named ``ValueError`` there)."""
    return check_scalar(name, value, low, high, **kw)


def optional_scalar(name: str, value: Any, low: float | None = None,
                    high: float | None = None, **kw: bool) -> float | None:
    """``None`` passes through; anything else as :func:`scalar`."""
    return None if value is None else scalar(name, value, low, high, **kw)


def array(name: str, value: Any, low: float | None = None, high: float | None = None,
          **kw: Any) -> FloatArray:
    """:func:`check_array` (strings and overflow are already named ``ValueError`` there)."""
    out: FloatArray = check_array(name, value, low, high, **kw)
    return out


def integer(name: str, value: Any, low: int | None = None, high: int | None = None) -> int:
    """:func:`check_int` (re-exported so every device check comes from one place)."""
    return check_int(name, value, low, high)


def flag(name: str, value: Any) -> bool:
    """Return ``value`` as a bool if it is one (numpy bools too), else raise ``ValueError``."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    raise ValueError(f"{name} must be True or False, got {value!r}")


def generator(rng: Any) -> np.random.Generator:
    """A ``numpy.random.Generator`` as given, or one seeded from an integer seed."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, int | np.integer) and not isinstance(rng, bool) and int(rng) >= 0:
        return np.random.default_rng(int(rng))
    raise ValueError(f"rng must be a numpy.random.Generator or a non-negative integer seed, "
                     f"got {rng!r}")
