import argparse
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from photonic_dfa.base.units import (
    format_quantity,
    frequency,
    length,
    power,
    quantity,
    thermal_resistance,
)

PREFIX = {"f": -15, "p": -12, "n": -9, "u": -6, "µ": -6, "μ": -6, "m": -3, "": 0, "k": 3,
          "M": 6, "G": 9, "T": 12}
finite = st.floats(allow_nan=False, allow_infinity=False)


@pytest.mark.parametrize(("text", "unit", "value"), [
    ("10um", "m", 10e-6), ("10 µm", "m", 10e-6), ("10\u03bcm", "m", 10e-6),
    ("10\u00b5m", "m", 10e-6), ("1550nm", "m", 1550e-9), ("5mW", "W", 5e-3),
    ("100GHz", "Hz", 100e9), ("100ghz", "Hz", 100e9), ("10GBd", "Bd", 10e9),
    ("2kohm", "ohm", 2e3), ("2kΩ", "ohm", 2e3), ("300K", "K", 300.0), ("1e-3", "W", 1e-3),
    ("3K/mW", "K/W", 3000.0), ("0.25nm/mW", "m/W", 0.25e-9 / 1e-3),
    ("0.2dB/mm", "dB/cm", 2.0), ("2", "dB/cm", 2.0), ("600 s", "s", 600.0),
    ("-0.5", "", -0.5), ("+7.5e2", "", 750.0), (".5um", "m", 0.5e-6),
])
def test_examples(text, unit, value):
    assert quantity(text, unit) == value


def test_decimal_values_are_exact_doubles():
    assert quantity("20um", "m") == 20e-6
    assert quantity("1.55um", "m") == 1.55e-6 == quantity("1550nm", "m")


@pytest.mark.parametrize(("text", "unit", "words"), [
    ("5mW", "m", ["--radius", "'5mW'", "power", "length (m)"]),
    ("10um", "Hz", ["--radius", "'10um'", "length", "frequency (Hz)"]),
    ("5um", "", ["'5um'", "plain number"]),
    ("nan", "m", ["finite"]), ("-inf", "W", ["finite"]), ("1e999", "m", ["finite"]),
    ("1mhz", "Hz", ["ambiguous", "'mhz'"]), ("ten", "m", ["cannot read"]),
    ("10 furlongs", "m", ["unknown"]), ("", "m", ["cannot read"]), ("1//m", "m", ["unknown"]),
])
def test_rejections_name_flag_value_and_unit(text, unit, words):
    with pytest.raises(ValueError) as info:
        quantity(text, unit, name="--radius")
    for w in words:
        assert w in str(info.value)


def test_numbers_pass_through_and_bools_refused():
    assert quantity(3, "m") == 3.0
    with pytest.raises(ValueError, match="finite"):
        quantity(math.nan, "m")
    with pytest.raises(ValueError, match="number"):
        quantity(True, "m")


def test_argparse_types_name_the_flag():
    p = argparse.ArgumentParser(exit_on_error=False)
    p.add_argument("--radius", type=length)
    p.add_argument("--power", type=power)
    assert p.parse_args(["--radius", "7um", "--power", "2 mW"]).radius == 7e-6
    with pytest.raises(argparse.ArgumentError) as info:
        p.parse_args(["--radius", "5mW"])
    assert "--radius" in str(info.value) and "'5mW'" in str(info.value)
    assert "length (m)" in str(info.value)


@given(finite, st.sampled_from(["m", "W", "Hz", "s", "K", "ohm", "K/W", "dB/cm"]))
def test_format_round_trips_exactly(value, unit):
    assert quantity(format_quantity(value, unit), unit) == value


@given(st.integers(-10**6, 10**6), st.sampled_from(sorted(PREFIX)),
       st.sampled_from(["m", "W", "Hz", "K", "s"]), st.sampled_from(["", " "]))
def test_prefix_scaling(mantissa, prefix, unit, space):
    value = quantity(f"{mantissa}{space}{prefix}{unit}", unit)
    assert value == float(f"{mantissa}e{PREFIX[prefix]}")


@given(finite, st.sampled_from(sorted(PREFIX)),
       st.sampled_from([("W", length), ("Hz", length), ("m", power), ("K/W", frequency),
                        ("m", thermal_resistance), ("Bd", power)]))
def test_wrong_dimension_is_refused(value, prefix, case):
    unit, parse = case
    with pytest.raises(argparse.ArgumentTypeError, match="expected"):
        parse(f"{value!r}{prefix}{unit}")


@given(st.text(max_size=12))
def test_any_text_parses_to_a_finite_float_or_raises_value_error(text):
    try:
        v = quantity(text, "m")
    except ValueError:
        return
    assert math.isfinite(v)
