"""Thin adapters over :mod:`photonic_dfa.validation` for the device models.

They add three things the device constructors need: integers too large for a float
(``float(10**400)`` raises ``OverflowError``) become ``ValueError`` naming the parameter;
strings are refused where an array is expected (numpy would parse ``"3e3"`` silently);
flags must be real booleans and random sources real generators.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from photonic_dfa.validation import check_array, check_int, check_scalar

__all__ = ["scalar", "optional_scalar", "array", "integer", "flag", "generator"]


def scalar(name: str, value: Any, low: float | None = None, high: float | None = None,
           **kw: bool) -> float:
    """:func:`check_scalar`, with overflow reported as ``ValueError``."""
    try:
        return check_scalar(name, value, low, high, **kw)
    except OverflowError:
        raise ValueError(f"{name} must be a finite real number, got an integer too large "
                         "for a float") from None


def optional_scalar(name: str, value: Any, low: float | None = None,
                    high: float | None = None, **kw: bool) -> float | None:
    """``None`` passes through; anything else as :func:`scalar`."""
    return None if value is None else scalar(name, value, low, high, **kw)


def array(name: str, value: Any, low: float | None = None, high: float | None = None,
          **kw: Any) -> np.ndarray:
    """:func:`check_array`, refusing strings and reporting overflow as ``ValueError``."""
    if isinstance(value, str | bytes):
        raise ValueError(f"{name} must be an array of real numbers, got {value!r}")
    try:
        return check_array(name, value, low, high, **kw)
    except OverflowError:
        raise ValueError(f"{name} must hold finite real numbers, got an integer too large "
                         "for a float") from None


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
