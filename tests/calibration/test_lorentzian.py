"""Lorentzian line model and its fits."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from photonic_dfa.calibration.lorentzian import (
    fit_lorentzian,
    fit_shift,
    lorentzian,
    lorentzian_inverse,
)


@pytest.mark.parametrize("noise", [0.0, 2e-3])
@pytest.mark.parametrize("p0", [3e-3, 7.5e-3])
def test_fit_recovers_a_known_resonance(p0, noise):
    rng = np.random.default_rng(1)
    gamma, amp, base = 2e-4, 1.8, -0.95
    x = np.linspace(p0 - 1.3e-3, p0 + 1.1e-3, 41)
    y = lorentzian(x, p0, gamma, amp, base) + noise * rng.standard_normal(x.size)
    f = fit_lorentzian(x, y)
    tol = max(1e-9, 5 * f.p0_stderr)
    assert abs(f.p0 - p0) <= tol
    assert f.gamma == pytest.approx(gamma, rel=2e-2 if noise else 1e-8)
    assert f.amplitude == pytest.approx(amp, rel=1e-2 if noise else 1e-8)
    assert f.baseline == pytest.approx(base, abs=5e-3 if noise else 1e-8)
    assert f.rms_residual == pytest.approx(noise, rel=0.5, abs=1e-9)


def test_fit_shift_recovers_many_positions_at_once():
    rng = np.random.default_rng(3)
    t, g = 50, 24
    gamma = rng.uniform(1.5e-4, 2.5e-4, t)
    amp = rng.uniform(1.6, 1.9, t)
    true = rng.uniform(4e-3, 6e-3, t)
    x = true[:, None] - 1e-3 + np.linspace(0, 1.8e-3, g)[None, :] + rng.uniform(-3e-4, 3e-4, (t, 1))
    base = rng.uniform(-1.0, -0.8, t)
    y = lorentzian(x, true[:, None], gamma[:, None], amp[:, None], base[:, None])
    pos, b = fit_shift(x, y, gamma, amp)
    np.testing.assert_allclose(pos, true, rtol=0, atol=1e-10)
    np.testing.assert_allclose(b, base, atol=1e-9)


@settings(max_examples=100, deadline=None)
@given(frac=st.floats(0.001, 1.0), red=st.booleans())
def test_inverse_round_trip(frac, red):
    p0, gamma, amp, base = 5e-3, 2e-4, 1.8, -0.9
    w = base + frac * amp
    p = lorentzian_inverse(w, p0, gamma, amp, base, red=red)
    assert (p >= p0) if red else (p <= p0)
    assert lorentzian(p, p0, gamma, amp, base) == pytest.approx(w, abs=1e-12)


def test_fit_rejects_bad_input():
    with pytest.raises(ValueError, match="powers and readings"):
        fit_lorentzian(np.arange(4.0), np.arange(4.0))
    with pytest.raises(ValueError, match="powers and readings"):
        fit_lorentzian(np.arange(6.0), np.arange(5.0))
