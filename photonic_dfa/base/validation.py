"""Input validation shared by every layer.

Every public constructor checks its arguments with these helpers so that bad input raises
``ValueError`` naming the parameter, the offending value and the allowed range, and NaN or
inf never propagate into a simulation.
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

import numpy as np

__all__ = ["check_scalar", "check_int", "check_array", "check_broadcast", "interval"]


def interval(
    low: float | None, high: float | None, low_inclusive: bool, high_inclusive: bool
) -> str:
    """Human-readable interval such as ``(0, 1]`` or ``[0, inf)``."""
    lo = "-inf" if low is None else f"{low:g}"
    hi = "inf" if high is None else f"{high:g}"
    left = "[" if (low_inclusive and low is not None) else "("
    right = "]" if (high_inclusive and high is not None) else ")"
    return f"{left}{lo}, {hi}{right}"


def check_scalar(
    name: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    *,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> float:
    """Return ``value`` as a finite float inside the interval, else raise ``ValueError``."""
    rng = interval(low, high, low_inclusive, high_inclusive)
    if isinstance(value, bool) or not isinstance(value, Real | np.number):
        if isinstance(value, np.ndarray) and value.ndim == 0:
            value = value.item()
        else:
            raise ValueError(f"{name} must be a real number in {rng}, got {value!r}")
    try:
        v = float(value)
    except OverflowError:
        raise ValueError(f"{name} must be finite and in {rng}, got an integer too large") from None
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite and in {rng}, got {v!r}")
    if low is not None and (v < low or (v == low and not low_inclusive)):
        raise ValueError(f"{name} must be in {rng}, got {v!r}")
    if high is not None and (v > high or (v == high and not high_inclusive)):
        raise ValueError(f"{name} must be in {rng}, got {v!r}")
    return v


def check_int(name: str, value: Any, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as an int inside ``[low, high]``, else raise ``ValueError``."""
    rng = interval(low, high, True, True)
    if isinstance(value, bool) or not isinstance(value, Integral | np.integer):
        raise ValueError(f"{name} must be an integer in {rng}, got {value!r}")
    v = int(value)
    if (low is not None and v < low) or (high is not None and v > high):
        raise ValueError(f"{name} must be an integer in {rng}, got {v!r}")
    return v


def check_array(
    name: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    *,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
    ndim: int | None = None,
    shape: tuple[int | None, ...] | None = None,
    dtype: Any = float,
) -> np.ndarray:
    """Return ``value`` as a finite numpy array whose elements lie in the interval."""
    # the interval text is built only for a message: this check sits on hot paths
    def rng() -> str:
        return interval(low, high, low_inclusive, high_inclusive)

    if isinstance(value, str | bytes) or (
        isinstance(value, np.ndarray) and value.dtype.kind in "USO"
    ):
        raise ValueError(f"{name} must be an array of real numbers in {rng()}, got {value!r}")
    try:
        arr = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValueError(f"{name} must be an array of real numbers in {rng()}: {exc}") from None
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {arr.shape}")
    if shape is not None:
        if arr.ndim != len(shape) or any(
            s is not None and s != a for s, a in zip(shape, arr.shape)
        ):
            want = tuple("*" if s is None else s for s in shape)
            raise ValueError(f"{name} must have shape {want}, got {arr.shape}")
    if arr.dtype.kind in "fc" and not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite (no NaN or inf) and in {rng()}")
    if arr.size:
        if low is not None:
            bad = arr < low if low_inclusive else arr <= low
            if bad.any():
                raise ValueError(f"{name} must be in {rng()}, got minimum {arr.min()!r}")
        if high is not None:
            bad = arr > high if high_inclusive else arr >= high
            if bad.any():
                raise ValueError(f"{name} must be in {rng()}, got maximum {arr.max()!r}")
    return arr


def check_broadcast(**arrays: Any) -> tuple[int, ...]:
    """Return the broadcast shape of named arrays, or raise ``ValueError`` naming them."""
    shapes = {k: np.shape(v) for k, v in arrays.items()}
    try:
        return np.broadcast_shapes(*shapes.values())
    except ValueError:
        desc = ", ".join(f"{k} {s}" for k, s in shapes.items())
        raise ValueError(f"shapes do not broadcast: {desc}") from None
