"""Bad input to the microring models: only ``ValueError``, naming the parameter and its range."""

from __future__ import annotations

import math
from dataclasses import fields

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from photonic_dfa.devices.microring import AddDropRing, AllPassRing

FUZZ = settings(max_examples=200, deadline=None)

anything = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-1e-3, 1e-3),
    st.floats(0.0, 1.0),
    st.integers(),
    st.none(),
    st.text(max_size=4),
    st.booleans(),
    st.complex_numbers(),
    st.lists(st.floats(), max_size=2),
    st.sampled_from([np.nan, np.inf, -np.inf, np.float32(0.5), np.array(0.9), np.array([0.9])]),
)


def _kwargs(cls) -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries({}, optional={f.name: anything for f in fields(cls)})


def _check_valid(ring) -> None:
    """A ring that was built is fully usable: finite float fields, passive responses."""
    for f in fields(ring):
        value = getattr(ring, f.name)
        assert type(value) is float and math.isfinite(value), f.name
    assert 0 < ring.round_trip_amplitude <= 1 and ring.finesse() > 0
    wl = np.linspace(ring.wavelength0 - ring.fsr(), ring.wavelength0 + ring.fsr(), 101)
    t = ring.through(wl)
    assert np.all((t >= 0) & (t <= 1 + 1e-12))


def _assert_names_a_parameter(exc: ValueError, names) -> None:
    assert any(name in str(exc) for name in names), str(exc)


@FUZZ
@given(cls=st.sampled_from([AllPassRing, AddDropRing]), data=st.data())
def test_constructors_raise_only_value_error_naming_a_parameter(cls, data):
    kwargs = data.draw(_kwargs(cls))
    try:
        ring = cls(**kwargs)
    except ValueError as exc:
        _assert_names_a_parameter(exc, [f.name for f in fields(cls)])
    else:
        _check_valid(ring)


@FUZZ
@given(
    wavelength=anything, q=anything, er=anything,
    regime=st.one_of(st.sampled_from(["under", "over", "critical"]), anything),
    radius=anything,
)
def test_from_targets_raise_only_value_error(wavelength, q, er, regime, radius):
    names = ("wavelength", "q_loaded", "extinction_db", "regime", "radius", "r=", "loss_db_per_cm",
             "coupler_length")
    try:
        ring = AllPassRing.from_targets(wavelength, q, er, regime, radius=radius)
    except ValueError as exc:
        _assert_names_a_parameter(exc, names)
    else:
        _check_valid(ring)
    try:
        ring = AddDropRing.from_targets(wavelength, q, radius=radius)
    except ValueError as exc:
        _assert_names_a_parameter(exc, names)
    else:
        _check_valid(ring)


arrays = st.one_of(
    anything,
    st.lists(st.floats(1.5e-6, 1.6e-6), min_size=1, max_size=4).map(np.array),
    st.lists(st.floats(allow_nan=True), min_size=1, max_size=4).map(np.array),
    st.sampled_from([np.ones((2, 3)) * 1.55e-6, np.ones(5), "1.55e-6", b"x", {"a": 1}]),
)


@FUZZ
@given(
    ring=st.sampled_from([AllPassRing(), AddDropRing(r1=0.9, r2=0.95, loss_db_per_cm=4.0)]),
    method=st.sampled_from(["through", "through_field", "phase", "effective_index", "spectra",
                            "drop", "drop_field"]),
    wavelength=arrays, delta_t=arrays, phase=arrays,
)
def test_response_methods_raise_only_value_error(ring, method, wavelength, delta_t, phase):
    fn = getattr(ring, method, None)
    if fn is None:
        return
    args = (wavelength, delta_t) if method == "effective_index" else (wavelength, delta_t, phase)
    try:
        out = fn(*args)
    except ValueError as exc:
        _assert_names_a_parameter(exc, ("wavelength", "delta_t", "phase"))
    else:
        for o in out if isinstance(out, tuple) else (out,):
            assert np.all(np.isfinite(o))


@FUZZ
@given(
    ring=st.sampled_from([AllPassRing(), AddDropRing()]),
    method=st.sampled_from(["fsr", "fwhm", "q_loaded", "q_intrinsic", "tuned_to",
                            "resonance_near", "resonance_shift", "resonances"]),
    a=arrays, b=arrays,
)
def test_figure_methods_raise_only_value_error(ring, method, a, b):
    fn = getattr(ring, method)
    args = {"resonances": (a, b), "resonance_near": (a, b), "resonance_shift": (a, b)}
    try:
        fn(*args.get(method, (a,)))
    except ValueError as exc:
        _assert_names_a_parameter(exc, ("wavelength", "delta_t", "band_start", "band_stop",
                                        "radius", "coupler_length", "resonances"))


# --- specific bad values: the message names the parameter and the allowed range ------------


@pytest.mark.parametrize("value", [0.0, -1e-6, 1e-9, math.nan, math.inf, -math.inf, 1.0, None,
                                   "10e-6", True, 10**400])
def test_bad_radius(value):
    with pytest.raises(ValueError, match=r"radius.*\[1e-07, 0\.01\]|radius.*too large"):
        AddDropRing(radius=value)


@pytest.mark.parametrize("name", ["r1", "r2"])
@pytest.mark.parametrize("value", [0.0, -0.5, 1.0 + 1e-12, 2.0, math.nan, math.inf, "0.9",
                                   None])
def test_bad_add_drop_coupling(name, value):
    with pytest.raises(ValueError, match=rf"{name} must .*\(0, 1\]"):
        AddDropRing(**{name: value})


@pytest.mark.parametrize("value", [0.0, -0.5, 1.5, math.nan, -math.inf, [0.9]])
def test_bad_all_pass_coupling(value):
    with pytest.raises(ValueError, match=r"\br must .*\(0, 1\]"):
        AllPassRing(r=value)


@pytest.mark.parametrize(
    "name, value, rng",
    [("loss_db_per_cm", -1.0, r"\[0, 1000\]"), ("n_eff", 0.5, r"\[1, 5\]"),
     ("n_g", math.nan, r"\[1, 10\]"), ("wavelength0", 0.0, r"\[1e-07, 0\.0001\]"),
     ("coupler_length", -1e-6, r"\[0, 0\.01\]"), ("dn_dT", math.inf, r"\[-0\.01, 0\.01\]")],
)
def test_bad_waveguide_values(name, value, rng):
    for cls in (AllPassRing, AddDropRing):
        with pytest.raises(ValueError, match=rf"{name} must.*{rng}"):
            cls(**{name: value})


def test_lossless_uncoupled_ring_is_refused():
    with pytest.raises(ValueError, match=r"r=1 .*loss_db_per_cm"):
        AllPassRing(r=1.0, loss_db_per_cm=0.0)
    with pytest.raises(ValueError, match=r"r1=1 and r2=1"):
        AddDropRing(r1=1.0, r2=1.0, loss_db_per_cm=0.0)
    # with loss, r = 1 is a valid (uncoupled) ring
    assert AllPassRing(r=1.0).extinction_ratio() == 1.0


def test_zero_round_trip_transmission_is_refused():
    with pytest.raises(ValueError, match="loss_db_per_cm.*radius"):
        AddDropRing(radius=1e-2, coupler_length=1e-2, loss_db_per_cm=1000.0)


@pytest.mark.parametrize("method", ["through", "spectra", "drop", "through_field", "phase"])
def test_mismatched_broadcast_shapes_name_the_arrays(method):
    ring = AddDropRing()
    fn = getattr(ring, method)
    wl = np.full(3, 1.55e-6)
    with pytest.raises(ValueError, match=r"wavelength \(3,\), delta_t \(4,\)"):
        fn(wl, np.zeros(4))
    with pytest.raises(ValueError, match=r"wavelength \(3,\).*phase \(2,\)"):
        fn(wl, 0.0, np.zeros(2))
    with pytest.raises(ValueError, match=r"wavelength \(3,\), delta_t \(2,\)"):
        ring.resonance_shift(np.zeros(2), wl)


@pytest.mark.parametrize("bad", [math.nan, -1.55e-6, 0.0, 1e-300, 1.0, [1.55e-6, math.inf], "red",
                                 None])
def test_bad_wavelengths_in_responses(bad):
    for fn in (AllPassRing().through, AddDropRing().spectra, AddDropRing().drop_field):
        with pytest.raises(ValueError, match=r"wavelength.*(\[1e-07, 0\.0001\]|real numbers)"):
            fn(bad)


def test_bad_temperature_and_phase_in_responses():
    ring = AddDropRing()
    with pytest.raises(ValueError, match=r"delta_t.*\[-1000, 1000\]"):
        ring.through(1.55e-6, 1e4)
    with pytest.raises(ValueError, match=r"delta_t.*\[-1000, 1000\]"):
        ring.through([1.55e-6], [0.0, math.nan])
    with pytest.raises(ValueError, match=r"phase.*finite"):
        ring.spectra(1.55e-6, 0.0, math.inf)


def test_bad_targets():
    with pytest.raises(ValueError, match=r"regime must be 'under' or 'over'"):
        AllPassRing.from_targets(1.55e-6, 1e4, 10.0, "critical")
    with pytest.raises(ValueError, match=r"q_loaded must be in \(1, 1e\+09\]"):
        AddDropRing.from_targets(1.55e-6, -5.0)
    with pytest.raises(ValueError, match=r"extinction_db must be in \(0, 200\]"):
        AllPassRing.from_targets(1.55e-6, 1e4, 0.0)
    with pytest.raises(ValueError, match=r"wavelength must be in \[1e-07, 0\.0001\]"):
        AddDropRing().tuned_to(1e-3)
    with pytest.raises(ValueError, match=r"band_stop must be in"):
        AddDropRing().resonances(1.56e-6, 1.55e-6)
    with pytest.raises(ValueError, match=r"more than 1000000"):
        AddDropRing(radius=1e-2).resonances(1e-7, 1e-4)
