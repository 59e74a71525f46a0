"""The fused weight inverse and kernels against their references: the numpy inverse of
the previous implementation (``WeightBank._newton_reference``), libm and LAPACK."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
from numba import njit

from photonic_dfa.circuits._bank_kernels import _cos2pi, _cossin2pi, lu_rows
from photonic_dfa.circuits.weight_bank import WeightBank
from photonic_dfa.devices.laser import ChannelGrid
from photonic_dfa.devices.microring import AddDropRing
from photonic_dfa.devices.thermal import Heater, ThermalCrosstalk

GRID = ChannelGrid(8, 100e9, 1550e-9)


def _fabricated(spread: tuple[float, float], coupling: float, seed: int) -> WeightBank:
    """Offset resonances, asymmetric measured crosstalk and drift (some rings parked for
    strong offsets)."""
    cold = WeightBank.design(GRID, crosstalk=False)
    rng = np.random.default_rng(seed)
    rings = tuple(rg.tuned_to(float(w + 1e-9 * rng.uniform(*spread)))
                  for rg, w in zip(cold.rings, GRID.wavelengths))
    k = 3e3 * (np.eye(8) + coupling * (np.eye(8, k=1) + np.eye(8, k=-1))
               + 0.02 * rng.random((8, 8)))
    return WeightBank(rings, cold.channel_wavelengths, Heater(max_power=20e-3),
                      ThermalCrosstalk(k, allow_asymmetric=True), 0.3, cold.bus_length)


BANKS = {
    "design": lambda: WeightBank.design(GRID),
    "no crosstalk, no bus": lambda: WeightBank.design(GRID, crosstalk=False, bus_length=0.0),
    "lossy bus, unequal couplers": lambda: WeightBank.design(
        GRID, ring=AddDropRing(r1=0.97, r2=0.985, loss_db_per_cm=3.0), bus_length=23e-6),
    "fabricated": lambda: _fabricated((-0.6, -0.05), 0.06, seed=11),
    "fabricated, parked ring": lambda: _fabricated((-0.5, 0.3), 0.12, seed=11),
}


@pytest.mark.parametrize("name", list(BANKS))
def test_fused_inverse_equals_the_reference_inverse(name):
    """Same temperatures (hence heater powers and weights) to 1e-9 as the numpy inverse,
    for targets anywhere in the reachable ranges, a fifth of them at a range end."""
    bank = BANKS[name]()
    if name.endswith("parked ring"):
        assert bank.unreachable_channels
    w_min, w_max = bank.reachable_weights("fast")
    rng = np.random.default_rng(3)
    u = rng.random((300, 8))
    u = np.where(rng.random(u.shape) < 0.2, np.round(u), u)
    tgt = w_min + u * (w_max - w_min)
    start = bank._initial_theta(tgt, "fast")
    new = bank._newton(start, tgt, "fast", 1e-9, 50)
    ref = bank._newton_reference(start, tgt, "fast", 1e-9, 50)
    assert np.max(np.abs(new - ref)) <= 1e-9  # K
    p_new, p_ref = bank.powers_for_temperatures(new), bank.powers_for_temperatures(ref)
    assert np.max(np.abs(p_new - p_ref)) <= 1e-9 * bank.heater.max_power
    free = ~bank._parked[0]
    w = bank.weights(p_new)
    assert np.max(np.abs(w - bank.weights(p_ref))) <= 1e-9
    assert np.max(np.abs(w - tgt)[:, free]) <= 1e-9


def test_exact_solver_keeps_the_reference_inverse():
    bank = WeightBank.design(GRID)
    tgt = np.full((3, 8), 0.1)
    start = bank._initial_theta(tgt, "exact")
    assert np.array_equal(bank._newton(start, tgt, "exact", 1e-9, 50),
                          bank._newton_reference(start, tgt, "exact", 1e-9, 50))


@njit(cache=True)
def _trig(t, c, c2, s2):  # pragma: no cover
    for i in range(t.size):
        c[i] = _cos2pi(t[i])
        c2[i], s2[i] = _cossin2pi(t[i])


def test_polynomial_cos_and_sin_match_libm():
    quarters = np.arange(-8, 9) / 8.0
    t = np.concatenate([quarters, np.nextafter(quarters, 2.0), np.nextafter(quarters, -2.0),
                        np.random.default_rng(0).uniform(-1.0, 1.0, 20_000)])
    c, c2, s2 = np.empty_like(t), np.empty_like(t), np.empty_like(t)
    _trig(t, c, c2, s2)
    # libm's cos(2 pi t) is itself off by up to ~6e-16 (2 pi t rounds before the cosine)
    assert np.max(np.abs(c - np.cos(2 * np.pi * t))) < 1e-15
    assert np.array_equal(c, c2)
    assert np.max(np.abs(s2 - np.sin(2 * np.pi * t))) < 1e-15
    assert np.all(np.abs(c) <= 1.0) and np.all(np.abs(s2) <= 1.0)
    # exact at the quarter cycles t = -1, -3/4, ..., 1: +-1 and 0
    q = quarters[::2]
    assert np.array_equal(c[:17:2], np.round(np.cos(2 * np.pi * q)))
    assert np.array_equal(s2[:17:2], np.round(np.sin(2 * np.pi * q)))


def test_lu_rows_solves_like_lapack():
    rng = np.random.default_rng(1)
    a = np.eye(6) * 3 + rng.random((6, 6))
    b = rng.random((40, 6))
    lu, piv = scipy.linalg.lu_factor(a)
    out = np.empty_like(b)
    lu_rows(lu, piv.astype(np.int64), b, out)
    np.testing.assert_allclose(out, scipy.linalg.lu_solve((lu, piv), b.T).T, rtol=0,
                               atol=1e-14)
