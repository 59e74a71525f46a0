"""Photodetector noise, balanced detection and ADC quantisation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.constants import Boltzmann, elementary_charge

from photonic_dfa.devices.photodetector import (
    ADC,
    BalancedPhotodetector,
    Photodetector,
    effective_bits,
)

N_SAMPLES = 100_000


def _expected_variance(pd: Photodetector, power: float) -> float:
    """Textbook sum written out independently of the implementation."""
    i = pd.responsivity * power + pd.dark_current
    shot = 2 * elementary_charge * i * pd.bandwidth
    thermal = 4 * Boltzmann * pd.temperature * pd.bandwidth / pd.load_resistance
    rin = 0.0
    if pd.rin_db_per_hz is not None:
        rin = (pd.responsivity * power) ** 2 * 10 ** (pd.rin_db_per_hz / 10) * pd.bandwidth
    return shot + thermal + rin


@pytest.mark.parametrize("rin", [None, -140.0])
@pytest.mark.parametrize("power", [0.0, 1e-5, 1e-3])
def test_sampled_noise_matches_shot_thermal_rin(rin, power):
    pd = Photodetector(responsivity=0.9, dark_current=50e-9, bandwidth=5e9,
                       load_resistance=500.0, rin_db_per_hz=rin)
    expected = _expected_variance(pd, power)
    np.testing.assert_allclose(pd.noise_variance(power), expected, rtol=1e-12)
    samples = pd.sample(np.full(N_SAMPLES, power), np.random.default_rng(2024))
    assert np.var(samples) == pytest.approx(expected, rel=0.05)
    mean_tol = 6 * np.sqrt(expected / N_SAMPLES)
    assert abs(samples.mean() - pd.current(power)) < mean_tol


def test_noise_breakdown_terms_and_dominant_regimes():
    pd = Photodetector(rin_db_per_hz=-150.0)
    parts = pd.noise_breakdown([0.0, 1e-3])
    assert set(parts) == {"shot", "thermal", "rin"}
    np.testing.assert_allclose(sum(parts.values()), pd.noise_variance([0.0, 1e-3]))
    assert parts["rin"][0] == 0.0
    # dark: thermal dominates; 1 mW: shot grows linearly, RIN quadratically with power
    assert parts["thermal"][0] > parts["shot"][0]
    np.testing.assert_allclose(
        pd.noise_breakdown(2e-3)["rin"] / parts["rin"][1], 4.0, rtol=1e-12)


def test_sample_is_reproducible_and_vectorised():
    pd = Photodetector()
    p = np.linspace(0, 1e-3, 12).reshape(3, 4)
    a = pd.sample(p, np.random.default_rng(9))
    b = pd.sample(p, 9)
    assert a.shape == (3, 4)
    np.testing.assert_array_equal(a, b)


def test_voltage_uses_tia_gain_or_load():
    assert Photodetector(load_resistance=2e3).voltage(1e-6) == pytest.approx(2e-3)
    tia = Photodetector(load_resistance=2e3, transimpedance=5e4)
    assert tia.voltage(1e-6) == pytest.approx(5e-2)


def test_channel_axis_sums_power_and_adds_rin_per_line():
    pd = Photodetector(rin_db_per_hz=-140.0)
    lines = np.array([[1e-4, 2e-4, 3e-4]])
    assert pd.current(lines, channel_axis=-1)[0] == pytest.approx(pd.current(6e-4))
    rin = pd.noise_breakdown(lines, channel_axis=-1)["rin"][0]
    expect = pd.responsivity**2 * np.sum(lines**2) * 10 ** (-14) * pd.bandwidth
    assert rin == pytest.approx(expect, rel=1e-12)
    with pytest.raises(ValueError, match="channel_axis"):
        pd.current(lines, channel_axis=3)


# -- balanced pair ----------------------------------------------------------------------
@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0.0, 10e-3), min_size=1, max_size=20),
       st.floats(0.0, 1e-3))
def test_balanced_pair_cancels_common_mode_and_dark_current(powers, dark):
    bal = BalancedPhotodetector(Photodetector(dark_current=dark, rin_db_per_hz=-130.0))
    p = np.asarray(powers)
    np.testing.assert_array_equal(bal.current(p, p), 0.0)
    assert bal.current(0.0, 0.0) == 0.0
    np.testing.assert_array_equal(bal.noise_breakdown(p, p)["rin"], 0.0)


def test_balanced_noise_terms():
    pd = Photodetector(dark_current=20e-9, rin_db_per_hz=-145.0)
    bal = BalancedPhotodetector(pd)
    pdrop, pthru = 3e-4, 1e-4
    parts = bal.noise_breakdown(pdrop, pthru)
    single = pd.noise_breakdown(pdrop)
    r, b = pd.responsivity, pd.bandwidth
    assert parts["thermal"] == pytest.approx(single["thermal"])  # one TIA
    expect_shot = 2 * elementary_charge * (r * (pdrop + pthru) + 2 * pd.dark_current) * b
    assert parts["shot"] == pytest.approx(expect_shot, rel=1e-12)
    expect_rin = (r * (pdrop - pthru)) ** 2 * 10 ** (-14.5) * b
    assert parts["rin"] == pytest.approx(expect_rin, rel=1e-12)
    assert bal.current(pdrop, pthru) == pytest.approx(r * (pdrop - pthru), rel=1e-15)


def test_balanced_sampled_variance_matches_model():
    bal = BalancedPhotodetector(Photodetector(rin_db_per_hz=-135.0), responsivity_mismatch=0.02)
    pdrop, pthru = np.full(N_SAMPLES, 8e-4), np.full(N_SAMPLES, 2e-4)
    s = bal.sample(pdrop, pthru, np.random.default_rng(11))
    assert np.var(s) == pytest.approx(bal.noise_variance(8e-4, 2e-4), rel=0.05)


def test_mismatch_leaks_common_mode():
    m = 0.04
    bal = BalancedPhotodetector(Photodetector(responsivity=1.1), responsivity_mismatch=m)
    assert bal.current(1e-3, 1e-3) == pytest.approx(m * 1.1 * 1e-3, rel=1e-12)


# -- ADC --------------------------------------------------------------------------------
@pytest.mark.parametrize("bits", [4, 8, 12])
@pytest.mark.parametrize("unipolar", [False, True])
def test_adc_quantisation_error_is_lsb_over_sqrt12(bits, unipolar):
    adc = ADC(bits=bits, full_scale=2.5, unipolar=unipolar)
    lo, hi = (c * adc.lsb for c in adc.code_range)
    x = np.random.default_rng(bits).uniform(lo, hi, N_SAMPLES)
    q, clipped = adc.quantize_with_clip_count(x)
    assert clipped == 0
    err = q - x
    assert np.max(np.abs(err)) <= adc.lsb / 2 * (1 + 1e-12)
    assert np.std(err) == pytest.approx(adc.lsb / np.sqrt(12), rel=0.02)
    assert effective_bits(np.std(err), adc.full_range) == pytest.approx(bits, abs=0.03)


def test_adc_counts_clipped_samples():
    adc = ADC(bits=6, full_scale=1.0)
    lo_code, hi_code = adc.code_range
    x = np.random.default_rng(5).normal(0.0, 0.8, N_SAMPLES)
    q, clipped = adc.quantize_with_clip_count(x)
    saturating = (x >= (hi_code + 0.5) * adc.lsb) | (x < (lo_code - 0.5) * adc.lsb)
    assert clipped == int(saturating.sum()) > 0
    assert q.max() == hi_code * adc.lsb and q.min() == lo_code * adc.lsb
    np.testing.assert_array_equal(adc.quantize(q), q)  # idempotent
    assert adc.quantize(0.0) == 0.0
    np.testing.assert_array_equal(adc.from_codes(adc.codes(x)), q)


def test_effective_bits_of_ideal_quantiser_is_exact():
    for bits in (1, 8, 16):
        adc = ADC(bits=bits)
        assert effective_bits(adc.lsb / np.sqrt(12), adc.full_range) == pytest.approx(bits)
    assert ADC(bits=10).sqnr_db == pytest.approx(6.02 * 10 + 1.76, abs=0.01)
    with pytest.raises(ValueError, match="rms_error"):
        effective_bits(0.0, 1.0)
