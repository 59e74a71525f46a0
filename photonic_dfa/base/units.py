"""Quantities with units on the command line and in TOML; the API itself is SI throughout.

One parser for every flag and sweep value: :func:`quantity` reads a plain number (already in
the target unit, i.e. SI) or a number with an SI-prefixed unit (``10um``, ``10 µm``,
``1550nm``, ``5mW``, ``100GHz``, ``10GBd``, ``2kohm``, ``2kΩ``, ``300K``, ``3K/mW``,
``0.2dB/mm``), checks that the unit has the dimension the target expects and returns a
float in the target unit. NaN and infinities are rejected. :func:`unit_type` makes argparse
``type=`` callables (:data:`length`, :data:`power`, :data:`frequency`, ...).

Prefixes: f p n u µ μ m c k M G T. Units are case-sensitive (``mW`` is not ``MW``); a
lower-case spelling is accepted only where it cannot mean two things (``100ghz``, ``10UM``
yes; ``1mhz`` no).
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

__all__ = [
    "UNITS", "quantity", "format_quantity", "unit_type", "number", "length", "power",
    "frequency", "symbol_rate", "duration", "temperature", "resistance", "thermal_resistance",
    "tuning_efficiency", "loss_db_per_cm",
]

_PREFIXES: dict[str, int] = {
    "f": -15, "p": -12, "n": -9, "u": -6, "µ": -6, "μ": -6, "m": -3, "c": -2,
    "k": 3, "M": 6, "G": 9, "T": 12,
}
#: base unit -> (dimension name, power of ten to its SI unit). Bd and Hz are both per second
#: but kept apart: a symbol rate given in Hz is accepted (see ``_SAME``).
UNITS: dict[str, tuple[str, int]] = {
    "m": ("length", 0), "W": ("power", 0), "Hz": ("frequency", 0), "Bd": ("symbol rate", 0),
    "s": ("time", 0), "K": ("temperature", 0), "ohm": ("resistance", 0),
    "V": ("voltage", 0), "A": ("current", 0), "J": ("energy", 0), "dB": ("decibel", 0),
}
_SPELLINGS = {"\u03a9": "ohm", "\u2126": "ohm", "Ohm": "ohm", "ohms": "ohm", "baud": "Bd"}
_FORMAT_PREFIX = {-15: "f", -12: "p", -9: "n", -6: "u", -3: "m", 0: "", 3: "k", 6: "M", 9: "G",
                  12: "T"}
_SAME = {("symbol rate", "frequency"), ("frequency", "symbol rate")}
_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_TEXT = re.compile(rf"^\s*({_NUMBER})\s*([^\s\d.+-][^\s]*)?\s*$")
_EXAMPLES = {"m": "10um, 1550nm", "W": "5mW, 0.01", "Hz": "100GHz, 50e9", "Bd": "10GBd",
             "s": "600s, 10ms", "K": "300K", "ohm": "2kohm, 2kΩ", "K/W": "3000K/W, 3K/mW",
             "m/W": "0.25nm/mW", "dB/cm": "2dB/cm, 0.2dB/mm", "": "0.98, 1e-3"}


def _base(token: str, fold: bool) -> list[tuple[int, str]]:
    """Every (power of ten, base unit) a single unit token can mean; ``fold``: ignore case."""
    found = set()
    for prefix, exp in [("", 0), *_PREFIXES.items()]:
        head, rest = token[:len(prefix)], token[len(prefix):]
        if not rest or (head != prefix and not (fold and head.lower() == prefix.lower())):
            continue
        rest = _SPELLINGS.get(rest, rest)
        for unit, (_, uexp) in UNITS.items():
            if rest == unit or (fold and rest.lower() == unit.lower()):
                found.add((exp + uexp, unit))
    return sorted(found)


def _parse_unit(text: str) -> tuple[int, tuple[str, str]] | None:
    """``(power of ten, (numerator base, denominator base))`` of a unit such as ``mW`` or
    ``K/mW``; None if it is unknown or ambiguous."""
    parts = text.split("/")
    if len(parts) > 2 or not all(parts):
        return None
    for fold in (False, True):
        options = [_base(p, fold) for p in parts]
        if all(len(o) == 1 for o in options):
            (e1, u1), = options[0]
            if len(parts) == 1:
                return e1, (u1, "")
            (e2, u2), = options[1]
            return e1 - e2, (u1, u2)
        if any(len(o) > 1 for o in options):
            return None  # ambiguous under either spelling
    return None


def _dimension(units: tuple[str, str]) -> str:
    num, den = units
    name = UNITS[num][0] if num else "number"
    return f"{name} per {UNITS[den][0]}" if den else name


def _describe(unit: str) -> str:
    return "a plain number" if not unit else f"{_dimension(_split(unit))} ({unit})"


def _split(unit: str) -> tuple[str, str]:
    parsed = _parse_unit(unit) if unit else (0, ("", ""))
    if parsed is None:
        raise ValueError(f"unknown target unit {unit!r}")
    return parsed[1]


def _scale(unit: str) -> int:
    parsed = _parse_unit(unit) if unit else (0, ("", ""))
    assert parsed is not None
    return parsed[0]


def quantity(text: str | float | int, unit: str = "", name: str = "value") -> float:
    """``text`` as a float in ``unit`` (``"m"``, ``"W"``, ``"Hz"``, ``"K/W"``, ``"dB/cm"``;
    ``""`` for a plain number). A plain number is taken to be in ``unit`` already; a number
    with a unit of another dimension raises ``ValueError`` naming ``name``, the value and
    the expected unit. NaN and infinities raise ``ValueError``."""
    if isinstance(text, bool):
        raise ValueError(f"{name} must be a number, got {text!r}")
    if isinstance(text, int | float):
        value = float(text)
        if not math.isfinite(value):
            raise ValueError(f"{name} must be finite, got {text!r}")
        return value
    if not isinstance(text, str):
        raise ValueError(f"{name} must be a number or a string with a unit, got {text!r}")
    target = _split(unit)
    hint = f"expected {_describe(unit)}, e.g. {_EXAMPLES.get(unit, '1.0')}"
    if text.strip().lower().lstrip("+-") in ("nan", "inf", "infinity"):
        raise ValueError(f"{name} must be finite, got {text!r}")
    m = _TEXT.match(text)
    if not m:
        raise ValueError(f"{name}: cannot read {text!r} as a number with a unit; {hint}")
    digits, given = m.group(1), m.group(2)
    exp = 0
    if given:
        parsed = _parse_unit(given)
        if parsed is None:
            raise ValueError(f"{name}: unknown or ambiguous unit {given!r} in {text!r}; {hint}")
        exp, units = parsed
        if units != target and (units[1], target[1]) == ("", "") and \
                (_dimension(units), _dimension(target)) in _SAME:
            units = target
        if units != target:
            raise ValueError(f"{name}: {text!r} is a {_dimension(units)}; {hint}")
        exp -= _scale(unit)
    try:
        # one correctly rounded conversion from the decimal text: 20um is exactly float(20e-6)
        value = float(Decimal(digits).scaleb(exp))
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        raise ValueError(f"{name}: not a number: {text!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {text!r}")
    return value


def format_quantity(value: float, unit: str) -> str:
    """``value`` (in ``unit``) with the prefix that puts 1 <= mantissa < 1000: ``1e-05, "m"``
    -> ``"10um"``. :func:`quantity` reads the text back to exactly ``value``."""
    if not math.isfinite(value):
        raise ValueError(f"cannot format non-finite {value!r}")
    if not unit or value == 0 or "/" in unit:
        return f"{value!r}{unit}"
    exact = Decimal(repr(value))
    exp3 = 3 * math.floor((exact.adjusted()) / 3)
    exp3 = max(-15, min(12, exp3))
    mantissa = exact.scaleb(-exp3).normalize()
    text = format(mantissa, "f") if -30 < mantissa.adjusted() < 30 else str(mantissa)
    return f"{text}{_FORMAT_PREFIX[exp3]}{unit}"


def unit_type(unit: str, what: str) -> Callable[[str], float]:
    """An argparse ``type=`` for quantities in ``unit`` (its ``__name__`` is ``what``); bad
    input raises ``ArgumentTypeError``, so argparse names the flag beside the message."""

    def parse(text: str) -> float:
        try:
            return quantity(text, unit, name=what)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = what.replace(" ", "_")
    parse.__doc__ = f"A {what} in {unit or 'plain numbers'} (plain SI number or with a unit)."
    return parse


number = unit_type("", "number")
length = unit_type("m", "length")
power = unit_type("W", "power")
frequency = unit_type("Hz", "frequency")
symbol_rate = unit_type("Bd", "symbol rate")
duration = unit_type("s", "time")
temperature = unit_type("K", "temperature")
resistance = unit_type("ohm", "resistance")
thermal_resistance = unit_type("K/W", "thermal resistance")
tuning_efficiency = unit_type("m/W", "tuning efficiency")
loss_db_per_cm = unit_type("dB/cm", "loss")
