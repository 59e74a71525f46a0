"""Heater physics and thermal crosstalk matrices."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from photonic_dfa.devices.thermal import Heater, ThermalCrosstalk

UM = 1e-6


# -- Heater ----------------------------------------------------------------------------
def test_heater_sweep_temperature_is_linear_in_power():
    h = Heater(resistance=800.0, thermal_resistance=4.2e3, max_power=40e-3)
    volts = np.linspace(0.0, h.max_voltage, 201)
    power = h.power(volts)
    np.testing.assert_allclose(power, volts**2 / h.resistance, rtol=1e-15)
    dt = h.temperature_rise(power)
    slope, intercept = np.polyfit(power, dt, 1)
    np.testing.assert_allclose(slope, h.thermal_resistance, rtol=1e-12)
    assert abs(intercept) < 1e-9 * h.max_temperature_rise
    np.testing.assert_allclose(dt, h.thermal_resistance * power, rtol=1e-15)
    assert h.temperature_rise(h.max_power) == pytest.approx(h.max_temperature_rise)


@settings(max_examples=100, deadline=None)
@given(st.floats(1.0, 1e5), st.floats(1e-3, 10.0), st.floats(-1.0, 1.0))
def test_heater_voltage_power_round_trip(resistance, max_power, frac):
    h = Heater(resistance=resistance, max_power=max_power)
    v = frac * h.max_voltage
    np.testing.assert_allclose(h.voltage(h.power(v)), abs(v), rtol=1e-12,
                               atol=1e-14 * h.max_voltage)  # sqrt of an underflowed square
    p = abs(frac) * h.max_power
    np.testing.assert_allclose(h.power(h.voltage(p)), p, rtol=1e-12)
    np.testing.assert_allclose(h.power_for_temperature(h.temperature_rise(p)), p, rtol=1e-12)


def test_heater_rejects_power_outside_its_range():
    h = Heater()
    with pytest.raises(ValueError, match="power"):
        h.temperature_rise(-1e-3)
    with pytest.raises(ValueError, match="power"):
        h.voltage(2 * h.max_power)
    with pytest.raises(ValueError, match="temperature_rise"):
        h.power_for_temperature(2 * h.max_temperature_rise)
    with pytest.raises(ValueError, match="voltage"):
        h.power(np.nan)


def test_step_response_is_first_order():
    h = Heater(time_constant=2e-6)
    p = 0.02
    steady = h.thermal_resistance * p
    assert h.step_response(p, 0.0) == 0.0
    np.testing.assert_allclose(h.step_response(p, h.time_constant), steady * (1 - np.exp(-1)),
                               rtol=1e-14)
    np.testing.assert_allclose(h.step_response(p, 50 * h.time_constant), steady, rtol=1e-15)
    instant = Heater(time_constant=0.0)
    np.testing.assert_array_equal(instant.step_response(p, [0.0, 1e-9, 1.0]), steady)


def test_filter_matches_step_response_at_sample_times():
    h = Heater(time_constant=3e-6)
    dt, n = 0.5e-6, 40
    temps, state = h.filter(np.full(n, 0.01), dt)
    times = dt * np.arange(1, n + 1)
    np.testing.assert_allclose(temps, h.step_response(0.01, times), rtol=1e-12)
    assert state == temps[-1]


def test_filter_matches_recurrence_and_resumes_from_state():
    h = Heater(time_constant=1e-6)
    rng = np.random.default_rng(3)
    powers = rng.uniform(0, h.max_power, size=(64, 3))
    dt = 0.3e-6
    a = np.exp(-dt / h.time_constant)
    ref = np.empty_like(powers)
    prev = np.array([1.0, 2.0, 3.0])
    for i, p in enumerate(powers):  # reference recurrence, written out
        prev = a * prev + (1 - a) * h.thermal_resistance * p
        ref[i] = prev
    temps, _ = h.filter(powers, dt, state=[1.0, 2.0, 3.0])
    np.testing.assert_allclose(temps, ref, rtol=1e-12)
    first, mid = h.filter(powers[:20], dt, state=[1.0, 2.0, 3.0])
    second, _ = h.filter(powers[20:], dt, state=mid)
    np.testing.assert_allclose(np.concatenate([first, second]), temps, rtol=1e-13)


def test_filter_instantaneous_heater_is_static():
    h = Heater()
    p = np.linspace(0, h.max_power, 7)
    temps, _ = h.filter(p, 1e-6, state=123.0)
    np.testing.assert_allclose(temps, h.temperature_rise(p), rtol=1e-15)


# -- ThermalCrosstalk ------------------------------------------------------------------
@settings(max_examples=100, deadline=None)
@given(
    n=st.integers(2, 24),
    pitch=st.floats(15 * UM, 60 * UM),
    decay=st.floats(2 * UM, 10 * UM),
    r_th=st.floats(1e3, 1e4),
)
def test_typical_pitches_give_symmetric_dominant_matrix(n, pitch, decay, r_th):
    tc = ThermalCrosstalk.from_positions(np.arange(n) * pitch, r_th, decay_length=decay)
    assert tc.is_symmetric
    assert tc.is_diagonally_dominant
    np.testing.assert_allclose(tc.thermal_resistances, r_th)
    # neighbours: exp(-pitch / decay) of the self term, exactly the documented model
    np.testing.assert_allclose(tc.matrix[0, 1] / tc.matrix[0, 0], np.exp(-pitch / decay),
                               rtol=1e-12)
    assert np.all(np.diff(tc.matrix[0]) < 0)  # decays with distance
    assert tc.condition_number < 3.0


def test_dense_pitch_loses_dominance():
    tc = ThermalCrosstalk.from_positions(np.arange(8) * 5 * UM, 3e3, decay_length=10 * UM)
    assert tc.is_symmetric and not tc.is_diagonally_dominant


def test_neighbour_coupling_sets_decay_length():
    x = np.array([0.0, 18.0, 40.0, 75.0]) * UM
    tc = ThermalCrosstalk.from_positions(x, 2e3, neighbour_coupling=0.12, coupling=0.6)
    k = tc.matrix / 2e3
    assert k[0, 1] == pytest.approx(0.12, rel=1e-12)  # closest pair
    decay = 18 * UM / np.log(0.6 / 0.12)
    assert k[2, 3] == pytest.approx(0.6 * np.exp(-35 * UM / decay), rel=1e-12)


def test_two_dimensional_positions_and_per_heater_resistance():
    x = np.array([[0.0, 0.0], [30.0, 40.0], [0.0, 50.0]]) * UM
    r = np.array([2e3, 3e3, 5e3])
    tc = ThermalCrosstalk.from_positions(x, r, decay_length=20 * UM)
    np.testing.assert_allclose(np.diag(tc.matrix), r)
    expect = np.sqrt(2e3 * 3e3) * np.exp(-50 * UM / (20 * UM))
    assert tc.matrix[0, 1] == pytest.approx(expect, rel=1e-12)
    assert tc.is_symmetric


@settings(max_examples=100, deadline=None)
@given(
    n=st.integers(1, 16),
    lead=st.lists(st.integers(1, 3), max_size=2),
    seed=st.integers(0, 2**32 - 1),
    pitch=st.floats(10 * UM, 40 * UM),
)
def test_invert_recovers_powers(n, lead, seed, pitch):
    tc = ThermalCrosstalk.from_positions(np.arange(n) * pitch, 3e3, decay_length=8 * UM)
    p = np.random.default_rng(seed).uniform(0, 0.05, size=(*lead, n))
    back = tc.invert(tc.apply(p))
    assert back.shape == p.shape
    np.testing.assert_allclose(back, p, rtol=1e-10, atol=1e-10 * np.max(np.abs(p), initial=1))


def test_apply_broadcasts_like_matrix_product():
    tc = ThermalCrosstalk.from_positions(np.arange(5) * 20 * UM, 3e3, decay_length=8 * UM)
    p = np.random.default_rng(0).uniform(0, 0.01, size=(2, 3, 5))
    np.testing.assert_allclose(tc.apply(p), np.einsum("ij,abj->abi", tc.matrix, p))


def test_target_temperature_shifts_recovered():
    tc = ThermalCrosstalk.from_positions(np.arange(8) * 25 * UM, 3e3, decay_length=10 * UM)
    rng = np.random.default_rng(7)
    target = tc.apply(rng.uniform(0, 0.03, size=(10, 8)))  # reachable by construction
    assert np.all(tc.feasible(target, max_power=0.05))
    p = tc.powers_for(target, clip=False, max_power=0.05)
    np.testing.assert_allclose(tc.apply(p), target, rtol=1e-10)


def test_infeasible_target_needs_negative_power():
    tc = ThermalCrosstalk.from_positions(np.arange(4) * 10 * UM, 3e3, decay_length=10 * UM)
    target = np.array([60.0, 0.0, 0.0, 0.0])  # heat ring 0, keep its neighbour cold
    raw = tc.invert(target)
    assert raw[1] < 0
    assert not tc.feasible(target)
    with pytest.raises(ValueError, match="negative power"):
        tc.powers_for(target, clip=False)
    clipped = tc.powers_for(target, clip=True, max_power=0.015)
    assert np.all((clipped >= 0) & (clipped <= 0.015))


def test_from_matrix_validation():
    good = np.array([[3e3, 100.0], [100.0, 3e3]])
    assert ThermalCrosstalk.from_matrix(good).size == 2
    with pytest.raises(ValueError, match="symmetric"):
        ThermalCrosstalk.from_matrix([[3e3, 100.0], [90.0, 3e3]])
    assert not ThermalCrosstalk.from_matrix([[3e3, 100.0], [90.0, 3e3]],
                                            allow_asymmetric=True).is_symmetric
    with pytest.raises(ValueError, match="matrix"):
        ThermalCrosstalk.from_matrix([[3e3, -1.0], [-1.0, 3e3]])
    with pytest.raises(ValueError, match="square"):
        ThermalCrosstalk.from_matrix(np.ones((2, 3)))
    with pytest.raises(ValueError, match="diagonal"):
        ThermalCrosstalk.from_matrix([[0.0, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="matrix"):
        ThermalCrosstalk.from_matrix([[np.nan, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="singular"):
        ThermalCrosstalk.from_matrix(np.ones((3, 3))).invert(np.ones(3))


def test_matrix_is_copied_and_read_only():
    k = np.array([[3e3, 100.0], [100.0, 3e3]])
    tc = ThermalCrosstalk.from_matrix(k)
    k[0, 0] = 1.0
    assert tc.matrix[0, 0] == 3e3
    with pytest.raises(ValueError):
        tc.matrix[0, 0] = 1.0


def test_from_positions_bad_input_names_parameter():
    x = np.arange(3) * 20 * UM
    with pytest.raises(ValueError, match="exactly one"):
        ThermalCrosstalk.from_positions(x, 3e3)
    with pytest.raises(ValueError, match="exactly one"):
        ThermalCrosstalk.from_positions(x, 3e3, decay_length=1e-5, neighbour_coupling=0.1)
    with pytest.raises(ValueError, match="distinct"):
        ThermalCrosstalk.from_positions([0.0, 0.0], 3e3, decay_length=1e-5)
    with pytest.raises(ValueError, match="thermal_resistance"):
        ThermalCrosstalk.from_positions(x, [1.0, 2.0], decay_length=1e-5)
    with pytest.raises(ValueError, match="neighbour_coupling"):
        ThermalCrosstalk.from_positions(x, 3e3, neighbour_coupling=1.0)
    with pytest.raises(ValueError, match="decay_length"):
        ThermalCrosstalk.from_positions(x, 3e3, decay_length=np.inf)
    with pytest.raises(ValueError, match="powers"):
        ThermalCrosstalk.from_positions(x, 3e3, decay_length=1e-5).apply(np.ones(4))


def test_crosstalk_filter_settles_to_apply_and_matches_single_heater():
    tc = ThermalCrosstalk.from_positions(np.arange(4) * 20 * UM, 3e3, decay_length=8 * UM)
    p = np.random.default_rng(4).uniform(0, 0.02, size=4)
    tau, dt = 2e-6, 0.25e-6
    temps, state = tc.filter(np.tile(p, (400, 1)), dt, tau)  # 50 time constants
    np.testing.assert_allclose(state, tc.apply(p), rtol=1e-12)
    # the same pole as a lone heater: each ring follows its steady value with 1 - exp(-t/tau)
    lone = Heater(thermal_resistance=1.0, time_constant=tau, max_power=1.0)
    ramp = lone.step_response(1.0, dt * np.arange(1, 401))[:, None]
    np.testing.assert_allclose(temps, ramp * tc.apply(p), rtol=1e-12)
    with pytest.raises(ValueError, match="powers"):
        tc.filter(p, dt, tau)  # no time axis
