"""WDM channel grid and comb laser."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.constants import speed_of_light

from photonic_dfa.devices.laser import ChannelGrid, CombLaser


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 256), st.sampled_from([25e9, 50e9, 100e9, 200e9, 400e9]),
       st.floats(1260e-9, 1675e-9))
def test_grid_spacing_is_exact_and_wavelengths_ascend(n, spacing, center):
    g = ChannelGrid(n, spacing, center)
    f = g.frequencies
    assert f.shape == (n,)
    # exact to the float resolution of ~200 THz (a few ulps)
    ulp = np.spacing(f.max())
    np.testing.assert_allclose(np.diff(f), -spacing, rtol=0, atol=4 * ulp)
    np.testing.assert_allclose(f.mean(), speed_of_light / center, rtol=1e-15)
    np.testing.assert_allclose(g.wavelengths, speed_of_light / f, rtol=1e-15)
    assert np.all(np.diff(g.wavelengths) > 0)
    np.testing.assert_array_equal(g.nearest_channel(g.wavelengths), np.arange(n))


def test_grid_wavelength_spacing_first_order():
    g = ChannelGrid(8, 100e9, 1550e-9)
    w = g.wavelengths
    # c/f_{k+1} - c/f_k = lambda_k lambda_{k+1} df / c, exactly
    np.testing.assert_allclose(np.diff(w), w[:-1] * w[1:] * 100e9 / speed_of_light, rtol=1e-9)
    np.testing.assert_allclose(np.diff(w), g.spacing_wavelength,
                               rtol=4 * g.span_wavelength / 1550e-9)
    assert g.spacing_wavelength == pytest.approx(0.8e-9, rel=0.01)  # 100 GHz ~ 0.8 nm
    assert ChannelGrid(1, 100e9, 1550e-9).wavelengths[0] == pytest.approx(1550e-9, rel=1e-15)


def test_grid_rejects_band_through_zero_frequency():
    with pytest.raises(ValueError, match="channel_spacing"):
        ChannelGrid(4096, 10e12, 1550e-9)


def test_spread_is_reproducible_bit_for_bit():
    laser = CombLaser(n_channels=32, power_spread=0.15)
    a = laser.channel_powers(np.random.default_rng(42))
    b = laser.channel_powers(np.random.default_rng(42))
    c = laser.channel_powers(42)
    assert a.tobytes() == b.tobytes() == c.tobytes()
    assert not np.array_equal(a, laser.channel_powers(np.random.default_rng(43)))
    np.testing.assert_array_equal(laser.channel_powers(), laser.power_per_channel)


def test_spread_statistics_are_mean_preserving():
    s = 0.2
    laser = CombLaser(n_channels=4096, channel_spacing=10e9, power_per_channel=2e-3,
                      power_spread=s)
    p = laser.channel_powers(np.random.default_rng(0))
    assert np.all(p > 0)
    assert p.mean() == pytest.approx(2e-3, rel=4 * s / np.sqrt(p.size))
    assert p.std() / p.mean() == pytest.approx(s, rel=0.05)


def test_zero_spread_consumes_the_same_random_numbers():
    g1, g2 = np.random.default_rng(1), np.random.default_rng(1)
    CombLaser(power_spread=0.0).channel_powers(g1)
    CombLaser(power_spread=0.3).channel_powers(g2)
    assert g1.random() == g2.random()


def test_wall_plug_and_rin():
    laser = CombLaser(n_channels=24, power_per_channel=1.5e-3, wall_plug_efficiency=0.08,
                      rin_db_per_hz=-145.0)
    assert laser.total_optical_power == pytest.approx(24 * 1.5e-3)
    assert laser.electrical_power == pytest.approx(24 * 1.5e-3 / 0.08)
    expect = (1.5e-3) ** 2 * 10 ** (-14.5) * 10e9
    assert laser.rin_variance(10e9) == pytest.approx(expect, rel=1e-12)
    np.testing.assert_allclose(laser.rin_variance(10e9, [1e-3, 2e-3]),
                               np.array([1.0, 4.0]) * 1e-6 * 10 ** (-14.5) * 10e9)
    assert CombLaser(rin_db_per_hz=None).rin_variance(10e9) == 0.0
    assert laser.grid == ChannelGrid(24, laser.channel_spacing, laser.center_wavelength)
