"""Input-encoding modulators: passivity, extinction, pre-distortion and DAC encoding."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from photonic_dfa.devices.modulator import MachZehnderModulator, RingModulator


@st.composite
def mzms(draw):
    v_pi = draw(st.floats(0.5, 10.0))
    offset = draw(st.floats(0.0, 0.9))  # bias point within its half period
    bias = (draw(st.integers(-3, 3)) + offset) * v_pi
    swing = draw(st.floats(0.1, 1.0)) * (1.0 - offset) * v_pi
    return MachZehnderModulator(
        v_pi=v_pi,
        extinction_ratio_db=draw(st.floats(3.0, 40.0)),
        insertion_loss_db=draw(st.floats(0.0, 6.0)),
        bias_voltage=bias,
        drive_swing=swing,
    )


@st.composite
def rings(draw):
    fsr = draw(st.floats(2e-9, 30e-9))
    detuning = draw(st.floats(0.02, 0.45)) * fsr * draw(st.sampled_from([-1, 1]))
    shift = draw(st.floats(5e-12, 80e-12)) * np.sign(detuning)
    swing = min(100.0, draw(st.floats(0.1, 1.0)) * abs(detuning) / abs(shift))
    return RingModulator(
        self_coupling=draw(st.floats(0.6, 0.995)),
        round_trip_amplitude=draw(st.floats(0.6, 0.995)),
        fsr=fsr,
        resonance_shift_per_volt=shift,
        detuning=detuning,
        drive_swing=swing,
        insertion_loss_db=draw(st.floats(0.0, 3.0)),
    )


modulators = st.one_of(mzms(), rings())


@settings(max_examples=150, deadline=None)
@given(modulators, st.lists(st.floats(-200.0, 200.0), min_size=1, max_size=50))
def test_transmission_is_passive(mod, volts):
    t = mod.transmission(volts)
    assert np.all((t >= 0.0) & (t <= 1.0))


@settings(max_examples=100, deadline=None)
@given(st.floats(1.0, 60.0), st.floats(0.0, 10.0), st.floats(0.5, 8.0))
def test_mzm_full_swing_extinction_matches_parameter(er_db, il_db, v_pi):
    m = MachZehnderModulator(v_pi=v_pi, extinction_ratio_db=er_db, insertion_loss_db=il_db)
    lo, hi = m.transmission_range
    assert m.encoding_extinction_db == pytest.approx(er_db, rel=1e-12)
    assert hi == pytest.approx(10 ** (-il_db / 10), rel=1e-14)
    # a quadrature-biased, half-swing drive trades extinction for linearity
    q = MachZehnderModulator(v_pi=v_pi, extinction_ratio_db=er_db,
                             bias_voltage=v_pi / 4, drive_swing=v_pi / 2)
    assert q.encoding_extinction_db < er_db


def test_ring_static_extinction_matches_on_off_resonance():
    r = RingModulator(self_coupling=0.97, round_trip_amplitude=0.985, detuning=0.0)
    on = r.transmission(0.0)  # detuning 0: laser on resonance at 0 V
    off = r.transmission(-r.fsr / 2 / r.resonance_shift_per_volt)  # half an FSR away
    assert 10 * np.log10(off / on) == pytest.approx(r.extinction_ratio_db, rel=1e-12)
    a, k = r.round_trip_amplitude, r.self_coupling
    assert on == pytest.approx((a - k) ** 2 / (1 - a * k) ** 2, rel=1e-12)
    # half a FWHM from resonance the Airy dip 1 - (1 - T_min) / (1 + F sin^2) is half deep
    half = r.transmission(-r.fwhm / 2 / r.resonance_shift_per_volt)
    assert half == pytest.approx(0.5 * (on + 1.0), rel=1e-12)


@settings(max_examples=150, deadline=None)
@given(modulators, st.lists(st.floats(0.0, 1.0), min_size=1, max_size=64))
def test_inverse_is_exact(mod, fractions):
    lo, hi = mod.transmission_range
    t = lo + np.asarray(fractions) * (hi - lo)
    v = mod.voltage_for_transmission(t)
    assert np.all((v >= 0.0) & (v <= mod.drive_swing if mod.drive_swing else mod.v_pi))
    if isinstance(mod, MachZehnderModulator):
        # float precision: a few ulps of T plus the ulp of the phase times
        # |dT/dphi| <= IL / 2
        phi_max = np.pi * (abs(mod.bias_voltage) + mod.v_pi) / mod.v_pi
        il = 10 ** (-mod.insertion_loss_db / 10)
        atol = 4 * np.finfo(float).eps * (hi + il * phi_max)
    else:
        atol = 1e-12 * hi
    np.testing.assert_allclose(mod.transmission(v), t, rtol=0, atol=atol)


@settings(max_examples=100, deadline=None)
@given(modulators)
def test_inverse_recovers_interior_voltages(mod):
    swing = mod.drive_swing if mod.drive_swing is not None else mod.v_pi
    v = np.linspace(0.02, 0.98, 97) * swing
    np.testing.assert_allclose(mod.voltage_for_transmission(mod.transmission(v)), v,
                               rtol=1e-9, atol=1e-9 * swing)


def _max_slope(mod, swing):
    v = np.linspace(0, swing, 20001)
    return np.max(np.abs(np.gradient(mod.transmission(v), v)))


@settings(max_examples=60, deadline=None)
@given(modulators, st.integers(2, 12))
def test_encode_is_linear_within_dac_error(mod, bits):
    swing = mod.drive_swing if mod.drive_swing is not None else mod.v_pi
    lo, hi = mod.transmission_range
    x = np.linspace(0.0, 1.0, 1001)
    ideal = lo + x * (hi - lo)
    np.testing.assert_allclose(mod.encode(x), ideal, rtol=0, atol=1e-12 * hi)
    bound = _max_slope(mod, swing) * mod.dac_step(bits) / 2
    err = np.abs(mod.encode(x, bits) - ideal)
    assert np.max(err) <= bound * 1.01 + 1e-12 * hi
    assert mod.encode(0.0, bits) == pytest.approx(lo, abs=1e-12 * hi)
    assert mod.encode(1.0, bits) == pytest.approx(hi, abs=1e-12 * hi)
    volts = mod.encode_voltage(x, bits)
    codes = volts / mod.dac_step(bits)
    np.testing.assert_allclose(codes, np.rint(codes), atol=1e-6)  # on the DAC grid


def test_more_dac_bits_shrink_encoding_error():
    mod = MachZehnderModulator()
    x = np.random.default_rng(1).uniform(0, 1, 20000)
    lo, hi = mod.transmission_range
    rms = [np.sqrt(np.mean((mod.encode(x, b) - (lo + x * (hi - lo))) ** 2)) for b in (4, 6, 8)]
    assert rms[0] > 3 * rms[1] > 9 * rms[2]


def test_drive_crossing_a_turning_point_is_rejected():
    with pytest.raises(ValueError, match="monotone branch"):
        MachZehnderModulator(v_pi=2.0, bias_voltage=0.5, drive_swing=2.0)
    with pytest.raises(ValueError, match="monotone branch"):
        RingModulator(detuning=20e-12, resonance_shift_per_volt=30e-12, drive_swing=2.0)


def test_out_of_range_requests_name_the_parameter():
    mod = RingModulator()
    lo, hi = mod.transmission_range
    with pytest.raises(ValueError, match="transmission"):
        mod.voltage_for_transmission(hi * 1.01)
    with pytest.raises(ValueError, match="x"):
        mod.encode([0.5, 1.2])
    with pytest.raises(ValueError, match="dac_bits"):
        mod.encode(0.5, dac_bits=0)
    with pytest.raises(ValueError, match="resonance_shift_per_volt"):
        RingModulator(resonance_shift_per_volt=0.0)
