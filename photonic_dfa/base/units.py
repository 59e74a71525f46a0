"""Parsing quantities with units on the command line; the API itself is SI throughout."""

from __future__ import annotations

import argparse
import re

__all__ = ["length"]

# divisors, not factors: 20 / 1e6 is exactly the double nearest 20e-6, 20 * 1e-6 is not
_PER_METRE = {"m": 1.0, "mm": 1e3, "um": 1e6, "µm": 1e6, "nm": 1e9, "pm": 1e12}
_LENGTH = re.compile(r"^\s*([-+0-9.eE]+|nan|inf)\s*(m|mm|um|µm|nm|pm)?\s*$", re.IGNORECASE)


def length(text: str) -> float:
    """Parse a length: metres, or a number with a unit m, mm, um, nm or pm (``10um``)."""
    m = _LENGTH.match(text)
    if not m:
        raise argparse.ArgumentTypeError(
            f"expected a length in metres or with a unit (e.g. 10e-6, 10um, 1550nm), got {text!r}"
        )
    try:
        value = float(m.group(1))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    return value / _PER_METRE[(m.group(2) or "m").lower()]
