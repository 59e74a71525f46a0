"""Physics of the bank cascades: conservation, passivity, an independent solve, fast vs exact."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.constants import speed_of_light

from photonic_dfa.circuits.bank_solvers import (
    RingArrays,
    cascade,
    compose3,
    outputs,
    prefix_suffix,
    ring_elements,
)
from photonic_dfa.circuits.weight_bank import WeightBank
from photonic_dfa.devices.laser import ChannelGrid
from photonic_dfa.devices.microring import AddDropRing
from photonic_dfa.devices.thermal import Heater

CENTER = 1550e-9


def _bank(n: int, spacing_hz: float = 100e9, bus_length: float = 20e-6, **ring) -> WeightBank:
    lam = ChannelGrid(n, spacing_hz, CENTER).wavelengths
    template = AddDropRing(**ring)
    rings = tuple(template.tuned_to(float(w)) for w in lam)
    return WeightBank(rings, tuple(lam), Heater(), bus_length=bus_length)


def _sweep(bank: WeightBank, points: int = 1500) -> np.ndarray:
    lam = np.asarray(bank.channel_wavelengths)
    pad = 1e-9
    return np.linspace(lam[0] - pad, lam[-1] + pad, points)


def _brute_force(bank: WeightBank, wl: np.ndarray, theta: np.ndarray):
    """Independent reference: the bank's field equations as one linear system per
    wavelength (unknowns: through-bus field after each ring, drop-bus field leaving each
    ring), solved with numpy.linalg.solve."""
    n = bank.n_channels
    ra = RingArrays.from_rings(bank.rings)
    t1, d, t2, _ = ring_elements(ra, ra.cycles(wl[:, None], theta[None, :]), "exact")
    ring0 = bank.rings[0]
    alpha = ring0.alpha
    ph = ring0.effective_index(wl) * bank.bus_length / wl
    p = np.exp(-alpha * bank.bus_length / 2) * np.exp(2j * np.pi * ph)
    thru, drop = np.empty(wl.size), np.empty(wl.size)
    for i in range(wl.size):
        # a[j]: through field leaving ring j (rightwards); b[j]: drop field leaving ring j
        # (leftwards). Into ring j: a_in = p a[j-1] (1 for j = 0), c_in = p b[j+1] (0 last).
        m = np.zeros((2 * n, 2 * n), complex)
        rhs = np.zeros(2 * n, complex)
        for j in range(n):
            m[j, j] = 1.0
            m[n + j, n + j] = 1.0
            if j == 0:
                rhs[j] += t1[i, j]
                rhs[n + j] += d[i, j]
            else:
                m[j, j - 1] -= t1[i, j] * p[i]
                m[n + j, j - 1] -= d[i, j] * p[i]
            if j < n - 1:
                m[j, n + j + 1] -= d[i, j] * p[i]
                m[n + j, n + j + 1] -= t2[i, j] * p[i]
        x = np.linalg.solve(m, rhs)
        thru[i], drop[i] = abs(x[n - 1]) ** 2, abs(x[n]) ** 2
    return thru, drop


def test_exact_cascade_matches_an_independent_linear_solve():
    bank = _bank(4, bus_length=17.3e-6)
    theta = np.array([0.3, 2.0, 4.5, 1.0])
    wl = _sweep(bank, 300)
    ref_t, ref_d = _brute_force(bank, wl, theta)
    t, d = bank._spectra_theta(wl, theta, "exact")
    assert np.max(np.abs(t - ref_t)) < 1e-12
    assert np.max(np.abs(d - ref_d)) < 1e-12


def test_ring_sections_match_the_ring_model_fields():
    """Same fields as AddDropRing, including the sign of the half-ring factor e^{i phi/2}
    (it sets the interference between different rings' dropped light). Tolerance: the
    model's unreduced phase of ~600 rad carries ~1e-13 rad, amplified near resonance."""
    bank = _bank(3, bus_length=0.0)
    wl = _sweep(bank, 700)
    theta = np.array([0.0, 3.0, -2.0])
    ra = RingArrays.from_rings(bank.rings)
    t1, d, _, _ = ring_elements(ra, ra.cycles(wl[:, None], theta[None, :]), "exact")
    for k, rg in enumerate(bank.rings):
        assert np.max(np.abs(t1[:, k] - rg.through_field(wl, theta[k]))) < 1e-10
        assert np.max(np.abs(d[:, k] - rg.drop_field(wl, theta[k]))) < 1e-10


@pytest.mark.parametrize("solver", ["fast", "exact"])
def test_numba_kernel_matches_numpy_cascade(solver):
    bank = _bank(6, bus_length=23e-6, loss_db_per_cm=3.0, r1=0.97, r2=0.985)
    rng = np.random.default_rng(0)
    theta = rng.uniform(-3, 10, (5, 6))
    wl = _sweep(bank, 900)
    a = bank._spectra_theta(wl, theta, solver)
    b = bank._spectra_theta_numpy(wl, theta, solver)
    assert np.max(np.abs(a[0] - b[0])) < 1e-12 and np.max(np.abs(a[1] - b[1])) < 1e-12


@pytest.mark.parametrize("solver", ["fast", "exact"])
def test_prefix_and_suffix_rebuild_the_whole_bank(solver):
    bank = _bank(5, bus_length=11e-6)
    ra = RingArrays.from_rings(bank.rings)
    wl = _sweep(bank, 50)
    S = ring_elements(ra, ra.cycles(wl[:, None], np.linspace(0, 4, 5)[None, :]), solver)
    bus = bank._bus(wl, solver)
    whole = outputs(cascade(S, bus))
    P, Q = prefix_suffix(S, bus)
    for j in range(5):
        part = outputs(compose3(tuple(x[..., j] for x in P), tuple(x[..., j] for x in S),
                                tuple(x[..., j] for x in Q)))
        assert np.max(np.abs(part[0] - whole[0])) < 1e-13
        assert np.max(np.abs(part[1] - whole[1])) < 1e-13


_rings = st.fixed_dictionaries({
    "r1": st.floats(0.80, 0.999), "r2": st.floats(0.80, 0.999),
    "radius": st.floats(4e-6, 15e-6),
})


@settings(max_examples=60, deadline=None)
@given(ring=_rings, n=st.integers(1, 6), bus=st.floats(0.0, 60e-6),
       spacing=st.sampled_from([50e9, 100e9, 200e9]), seed=st.integers(0, 2**31))
def test_lossless_exact_bank_conserves_power(ring, n, bus, spacing, seed):
    bank = _bank(n, spacing, bus, loss_db_per_cm=0.0, **ring)
    rng = np.random.default_rng(seed)
    p = rng.uniform(0, 0.02, (3, n))
    thru, drop = bank.spectra(_sweep(bank, 400), p, "exact")
    assert np.max(np.abs(thru + drop - 1.0)) < 1e-11


@settings(max_examples=60, deadline=None)
@given(ring=_rings, loss=st.floats(0.0, 20.0), n=st.integers(1, 6), bus=st.floats(0.0, 60e-6),
       seed=st.integers(0, 2**31))
def test_bank_is_passive(ring, loss, n, bus, seed):
    bank = _bank(n, 100e9, bus, loss_db_per_cm=loss, **ring)
    p = np.random.default_rng(seed).uniform(0, 0.02, (3, n))
    wl = _sweep(bank, 400)
    for solver in ("fast", "exact"):
        thru, drop = bank.spectra(wl, p, solver)
        assert thru.min() >= 0.0 and drop.min() >= 0.0
        # rounding near a lossless high-finesse resonance grows as 1 / (1 - r1 r2 a)
        # (r = 0.992 and 0.999 reach 1 + 3e-12); anything physical is far above 1e-10
        assert np.max(thru + drop) <= 1.0 + 1e-10
    # loss only ever removes power: a lossy bank never beats its lossless twin in total
    if loss > 0:
        twin = _bank(n, 100e9, bus, loss_db_per_cm=0.0, **ring)
        assert np.all(sum(bank.spectra(wl, p, "exact")) <= sum(twin.spectra(wl, p, "exact"))
                      + 1e-12)


def _weights_diff(q: float, spacing_hz: float, states: int = 60):
    """(FWHM / spacing, max |w_fast - w_exact|, max |w_fast - <w_exact>_bus phase|)."""
    ring = AddDropRing.from_targets(CENTER, q, wavelength0=CENTER, radius=5e-6)
    bank = WeightBank.design(ChannelGrid(8, spacing_hz, CENTER), ring=ring, crosstalk=False)
    lo, hi = bank.branch_temperatures
    theta = lo + np.random.default_rng(1).random((states, 8)) * (hi - lo)
    fast = bank._weights_theta(theta, "fast")
    exact = bank._weights_theta(theta, "exact")
    steps = 16
    avg = np.zeros_like(exact)
    for i in range(steps):
        b = WeightBank(bank.rings, bank.channel_wavelengths, bank.heater, None, 0.0,
                       bank.bus_length + i * CENTER / ring.n_eff / steps)
        avg += b._weights_theta(theta, "exact") / steps
    spacing = CENTER**2 * spacing_hz / speed_of_light
    return ring.fwhm(CENTER) / spacing, np.abs(fast - exact).max(), np.abs(fast - avg).max()


def test_fast_approaches_exact_when_spacing_much_larger_than_linewidth():
    """The fast solver drops the interference between different rings' fields at the
    shared drop port: first order in the tail amplitude ~ FWHM / spacing. Averaged over
    the bus phase those cross terms vanish and only second-order terms remain. Bounds:
    sum over neighbours at >= half a spacing of 2 |d_k| |d_j| <= 5 FWHM / spacing for
    8 rings, and its square for the phase average."""
    rows = [_weights_diff(50_000, s) for s in (50e9, 200e9)]
    for eps, d_max, d_avg in rows:
        assert d_max < 5 * eps
        assert d_avg < (5 * eps) ** 2
    assert rows[1][1] < rows[0][1] and rows[1][2] < rows[0][2]
    # and at spacing ~ 50 linewidths the fast weights are within a few per cent
    assert rows[1][0] < 1 / 40 and rows[1][1] < 0.05
