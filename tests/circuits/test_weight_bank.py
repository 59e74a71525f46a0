"""WeightBank: design, bias and branch, weights, inverse, sensitivity, validation."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from photonic_dfa.circuits.weight_bank import WeightBank
from photonic_dfa.devices.laser import ChannelGrid
from photonic_dfa.devices.microring import AddDropRing
from photonic_dfa.devices.thermal import Heater, ThermalCrosstalk

GRID = ChannelGrid(8, 100e9, 1550e-9)
LAM = GRID.wavelengths
#: the bounds below are for this ring (FSR 9 nm), fixed so they do not move with the default
RING = AddDropRing(radius=10e-6)
SOLVERS = ("fast", "exact")


@pytest.fixture(scope="module")
def bank() -> WeightBank:
    """Design bank with the default thermal crosstalk (auto bias)."""
    return WeightBank.design(GRID, ring=RING)


@pytest.fixture(scope="module")
def cold() -> WeightBank:
    """Design bank without thermal crosstalk (no bias)."""
    return WeightBank.design(GRID, ring=RING, crosstalk=False)


def _targets(bank: WeightBank, solver: str, m: int, seed: int) -> np.ndarray:
    """Random targets inside every channel's reachable range, a fifth of them at an end."""
    w_min, w_max = bank.reachable_weights(solver)
    rng = np.random.default_rng(seed)
    u = rng.random((m, bank.n_channels))
    u = np.where(rng.random(u.shape) < 0.2, np.round(u), u)
    return np.clip(w_min + u * (w_max - w_min), w_min, w_max)


# ------------------------------------------------------------------ design, bias, branch
def test_design_without_crosstalk_puts_every_ring_on_its_channel_when_cold(cold):
    for rg, w in zip(cold.rings, LAM):
        assert rg.resonance_near(float(w)) == pytest.approx(w, rel=1e-14)
    lo, hi = cold.branch_temperatures
    assert np.all(np.abs(lo) < 1e-9) and np.all(cold.bias_powers < 1e-12)
    # branch end: half a channel spacing of red shift
    spacing = np.diff(LAM)
    for k, rg in enumerate(cold.rings[:-1]):
        assert rg.resonance_near(float(LAM[k]), delta_t=float(hi[k])) == pytest.approx(
            LAM[k] + spacing[k] / 2, rel=1e-13)


def test_auto_bias_is_the_smallest_that_keeps_the_branch_box_feasible(bank):
    lo, hi = bank.branch_temperatures
    assert np.all(lo > 0)  # rings sit blue of their channels when cold
    # every corner of the box needs non-negative power, the worst exactly ~0
    pmin, pmax = bank._box_power_extremes()
    assert -1e-15 <= pmin < 1e-6 * pmax
    # the same bank without bias cannot reach every corner of its branch box with heating
    # alone, so its branch starts are raised and it loses the top of its range
    unbiased = WeightBank.design(GRID, ring=RING, bias=0.0)
    assert unbiased._box_power_extremes(capped=False)[0] < -1e-6
    assert np.all(unbiased.branch_temperatures[0] > unbiased._branch()[0] + 0.1)
    assert np.all(unbiased.reachable_weights("fast")[1]
                  < bank.reachable_weights("fast")[1] - 0.01)
    # explicitly: ring k on its channel with every neighbour at its branch end needs
    # P_k >= 0, and for the worst ring exactly ~0 (the neighbours' heat alone brings it there)
    own = []
    for k in range(8):
        corner = hi.copy()
        corner[k] = lo[k]
        own.append(np.linalg.solve(bank.thermal_matrix, corner)[k])
    assert min(own) >= -1e-15 and min(own) < 1e-6 * bank.heater.max_power


def test_bias_powers_put_every_ring_on_its_channel(bank):
    theta = bank.temperatures(bank.bias_powers)
    for rg, w, t in zip(bank.rings, LAM, theta):
        assert rg.resonance_near(float(w), delta_t=float(t)) == pytest.approx(w, rel=1e-14)


def test_temperatures_apply_crosstalk_and_ambient(bank):
    p = np.random.default_rng(0).uniform(0, 0.01, (4, 8))
    drift = dataclasses.replace(bank, ambient_delta_t=1.5)
    np.testing.assert_allclose(drift.temperatures(p), p @ bank.crosstalk.matrix.T + 1.5)
    np.testing.assert_allclose(bank.powers_for_temperatures(bank.temperatures(p)), p,
                               rtol=1e-12, atol=1e-15)


def test_ring_beyond_its_branch_uses_the_next_reachable_resonance():
    """A fabricated ring already red of its branch end must be heated to the next order."""
    # a 10 um ring: its next order (FSR 9 nm) is within the 150 K the heater may reach
    cold = WeightBank.design(GRID, ring=RING, crosstalk=False)
    shifted = cold.rings[0].tuned_to(float(LAM[0] + 0.6e-9))
    fab = dataclasses.replace(cold, rings=(shifted,) + cold.rings[1:])
    lo, _ = fab.branch_temperatures
    assert shifted.resonance_near(float(LAM[0]), delta_t=float(lo[0])) == pytest.approx(
        LAM[0], rel=1e-14)
    fsr_kelvin = shifted.fsr(LAM[0]) * shifted.n_g / (LAM[0] * shifted.dn_dT)
    assert lo[0] == pytest.approx(fsr_kelvin * (1 - 0.6e-9 / shifted.fsr(LAM[0])), rel=1e-2)


def _fabricated(cold: WeightBank, offsets_nm: tuple[float, float], coupling: float,
                seed: int) -> WeightBank:
    rng = np.random.default_rng(seed)
    rings = tuple(rg.tuned_to(float(w + 1e-9 * rng.uniform(*offsets_nm)))
                  for rg, w in zip(cold.rings, LAM))
    k = 3e3 * (np.eye(8) + coupling * (np.eye(8, k=1) + np.eye(8, k=-1))
               + 0.02 * rng.random((8, 8)))
    return WeightBank(rings, cold.channel_wavelengths, Heater(max_power=20e-3),
                      ThermalCrosstalk(k, allow_asymmetric=True), 0.3, cold.bus_length)


@pytest.mark.parametrize("solver", SOLVERS)
def test_fabricated_bank_inverse_stays_within_heater_limits(cold, solver):
    """Random resonance offsets, a measured (asymmetric) crosstalk matrix and drift: the
    branch box shrinks to what heaters can reach, and every target in the reachable ranges
    is met with powers in [0, max_power]."""
    fab = _fabricated(cold, (-0.6, -0.05), 0.06, seed=11)
    lo, hi = fab.branch_temperatures
    start, end, _ = fab._branch()
    assert np.all(lo >= np.maximum(start, 0.3)) and np.all(hi <= end)
    assert fab.unreachable_channels == ()
    tgt = _targets(fab, solver, 100, seed=12)
    p = fab.heater_powers_for_weights(tgt, solver)
    assert p.min() >= 0 and p.max() <= 20e-3
    assert np.max(np.abs(fab.weights(p, solver) - tgt)) <= 1e-9


def test_unreachable_ring_is_parked_and_the_others_still_work(cold):
    """A ring pushed past its branch by its neighbours' heat is parked; its channel is
    excluded from the common range and from the solve; clip=True counts its entries."""
    fab = _fabricated(cold, (-0.5, 0.3), 0.12, seed=11)
    bad = fab.unreachable_channels
    assert len(bad) >= 1
    lo, hi = fab.branch_temperatures
    assert np.all(lo[list(bad)] == hi[list(bad)])
    w_min, w_max = fab.reachable_weights("fast")
    free = np.setdiff1d(np.arange(8), bad)
    assert fab.weight_range == (max(w_min[free].max(), fab.reachable_weights("exact")[0][
        free].max()), min(w_max[free].min(), fab.reachable_weights("exact")[1][free].min()))
    tgt = _targets(fab, "fast", 20, seed=13)
    tgt[:, list(bad)] = 0.123
    with pytest.raises(ValueError, match=f"channel {bad[0]} cannot be set"):
        fab.heater_powers_for_weights(tgt)
    p, n_clipped = fab.heater_powers_for_weights(tgt, clip=True)
    assert n_clipped >= 20 * len(bad)
    assert np.max(np.abs(fab.weights(p) - tgt)[:, free]) <= 1e-9
    assert p.min() >= 0 and p.max() <= 20e-3


def test_drift_beyond_the_bias_truncates_the_top_of_the_range(cold):
    warm = dataclasses.replace(cold, ambient_delta_t=0.5)
    lo, _ = warm.branch_temperatures
    assert np.all(lo == 0.5)  # truncated at the coldest reachable state
    assert np.all(warm.reachable_weights("fast")[1] < cold.reachable_weights("fast")[1])
    cool = dataclasses.replace(cold, ambient_delta_t=-2.0)
    np.testing.assert_allclose(cool.bias_powers, 2.0 / cold.heater.thermal_resistance)


def test_fsr_aliasing_warns():
    with pytest.warns(UserWarning, match="FSR"):
        WeightBank.design(ChannelGrid(16, 100e9, 1550e-9), ring=RING, crosstalk=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        WeightBank.design(GRID, ring=RING, crosstalk=False)


# ------------------------------------------------------------------ optics
@pytest.mark.parametrize("solver", SOLVERS)
def test_single_ring_bank_is_the_ring(solver):
    ring = AddDropRing(r1=0.97, r2=0.985, loss_db_per_cm=3.0).tuned_to(1550e-9)
    b = WeightBank((ring,), (1550e-9,))
    wl = np.linspace(1545e-9, 1555e-9, 2001)
    p = np.array([[0.0], [2e-3]])
    thru, drop = b.spectra(wl, p, solver)
    for i, dt in enumerate(b.temperatures(p)[:, 0]):
        t_ref, d_ref = ring.spectra(wl, dt)
        assert np.max(np.abs(thru[i] - t_ref)) < 1e-11
        assert np.max(np.abs(drop[i] - d_ref)) < 1e-11


@pytest.mark.parametrize("solver", SOLVERS)
def test_weights_are_drop_minus_through_at_the_channels(bank, solver):
    p = np.random.default_rng(1).uniform(0, 3e-3, (2, 3, 8))
    thru, drop = bank.channel_transmissions(p, solver)
    assert thru.shape == drop.shape == (2, 3, 8)
    st_, sd = bank.spectra(LAM, p, solver)
    np.testing.assert_array_equal(thru, st_)
    np.testing.assert_array_equal(drop, sd)
    np.testing.assert_array_equal(bank.weights(p, solver), drop - thru)


def test_weight_curve_falls_along_the_branch(bank):
    lo, hi = bank.branch_temperatures
    r = np.diag(bank.thermal_matrix)
    for k in range(8):
        p = bank.bias_powers[k] + np.linspace(0, (hi[k] - lo[k]) / r[k], 101)
        w = bank.weight_curve(k, p, "fast")
        assert np.all(np.diff(w) < 0)
        assert w[0] > 0.85 and w[-1] < -0.8
        we = bank.weight_curve(k, p, "exact")
        assert we[0] > 0.8 and we[-1] < -0.7 and np.all(np.diff(we[10:]) < 0)


@pytest.mark.parametrize("solver", SOLVERS)
def test_reachable_range_holds_for_any_neighbour_setting(bank, solver):
    """The per-channel bounds hold whatever the other rings do on their branches."""
    w_min, w_max = bank.reachable_weights(solver)
    assert np.all(w_max > 0.85) and np.all(w_min < -0.75)
    lo, hi = bank.branch_temperatures
    rng = np.random.default_rng(5)
    u = rng.random((1500, 8))
    u = np.where(rng.random(u.shape) < 0.3, np.round(u), u)
    env = lo + u * (hi - lo)
    for k in range(8):
        top, bottom = env.copy(), env.copy()
        top[:, k], bottom[:, k] = lo[k], hi[k]
        assert np.all(bank._weights_theta(top, solver)[:, k] >= w_max[k] - 1e-12)
        assert np.all(bank._weights_theta(bottom, solver)[:, k] <= w_min[k] + 1e-12)
    lows, highs = zip(*(bank.reachable_weights(s) for s in SOLVERS))
    assert bank.weight_range == (max(x.max() for x in lows), min(x.min() for x in highs))
    w0, w1 = bank.weight_range
    assert bank.symmetric_weight_range == pytest.approx(min(-w0, w1))


# ------------------------------------------------------------------ derivatives
@pytest.mark.parametrize("solver", SOLVERS)
def test_weight_jacobian_matches_finite_differences(bank, solver):
    p = bank.bias_powers + np.random.default_rng(2).uniform(2e-4, 1.5e-3, 8)
    jac = bank.weight_jacobian(p, solver)
    h = 1e-8
    fd = np.empty((8, 8))
    for j in range(8):
        e = np.zeros(8)
        e[j] = h
        fd[:, j] = (bank.weights(p + e, solver) - bank.weights(p - e, solver)) / (2 * h)
    np.testing.assert_allclose(jac, fd, rtol=1e-5, atol=1e-6 * np.abs(fd).max())
    np.testing.assert_array_equal(bank.weight_sensitivity(p, solver), np.diagonal(jac))
    assert np.all(np.diagonal(jac) < 0)  # heating lowers the weight on the branch


# ------------------------------------------------------------------ inverse
@pytest.mark.parametrize("solver", SOLVERS)
def test_inverse_round_trips_with_crosstalk_and_tails(bank, solver):
    tgt = _targets(bank, solver, 200, seed=3).reshape(4, 50, 8)
    p = bank.heater_powers_for_weights(tgt, solver)
    assert p.shape == tgt.shape
    assert np.all(p >= 0) and np.all(p <= bank.heater.max_power)
    assert np.max(np.abs(bank.weights(p, solver) - tgt)) <= 1e-9


@settings(max_examples=40, deadline=None)
@given(u=st.lists(st.floats(0.0, 1.0), min_size=8, max_size=8),
       solver=st.sampled_from(SOLVERS))
def test_inverse_round_trips_anywhere_in_the_common_range(bank, u, solver):
    w_min, w_max = bank.weight_range
    tgt = np.clip(w_min + np.asarray(u) * (w_max - w_min), w_min, w_max)
    p = bank.heater_powers_for_weights(tgt, solver)
    assert np.max(np.abs(bank.weights(p, solver) - tgt)) <= 1e-9


def test_inverse_of_bank_without_crosstalk_and_zero_bus(cold):
    b = dataclasses.replace(cold, bus_length=0.0)
    for solver in SOLVERS:
        tgt = _targets(b, solver, 100, seed=4)
        p = b.heater_powers_for_weights(tgt, solver, tol=1e-11)
        assert np.max(np.abs(b.weights(p, solver) - tgt)) <= 1e-11


def test_inverse_clips_when_asked(bank):
    w_min, w_max = bank.reachable_weights("fast")
    tgt = np.tile((w_min + w_max) / 2, (3, 1))
    tgt[0, 2] = 1.5
    tgt[1, 5] = -1.5
    tgt[2, 0] = w_max[0] + 1e-3
    with pytest.raises(ValueError, match="targets for channel 0 must be in"):
        bank.heater_powers_for_weights(tgt)
    p, n_clipped = bank.heater_powers_for_weights(tgt, clip=True)
    assert n_clipped == 3
    want = np.clip(tgt, w_min, w_max)
    assert np.max(np.abs(bank.weights(p) - want)) <= 1e-9


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("bad, match", [
    (np.zeros((3, 7)), r"heater_powers must have shape \(\.\.\., 8\)"),
    (np.full(8, np.nan), "heater_powers must be finite"),
    (np.full(8, -1e-3), "heater_powers must be in"),
    (np.full(8, 1.0), "heater_powers must be in"),
    (np.zeros(()), "heater_powers must have shape"),
])
def test_bad_heater_powers_raise_naming_them(bank, bad, match):
    for call in (bank.weights, bank.channel_transmissions, bank.temperatures,
                 bank.weight_sensitivity):
        with pytest.raises(ValueError, match=match):
            call(bad)


def test_bad_arguments_raise_naming_them(bank):
    p = bank.bias_powers
    with pytest.raises(ValueError, match="wavelengths must be finite"):
        bank.spectra([1.55e-6, np.nan], p)
    with pytest.raises(ValueError, match="wavelengths must have 1 dimension"):
        bank.spectra(np.full((2, 2), 1.55e-6), p)
    with pytest.raises(ValueError, match="solver must be one of"):
        bank.weights(p, solver="slow")
    with pytest.raises(ValueError, match=r"targets must have shape \(\.\.\., 8\)"):
        bank.heater_powers_for_weights(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="targets must be finite"):
        bank.heater_powers_for_weights(np.full(8, np.nan))
    with pytest.raises(ValueError, match="targets for channel 6 must be in"):
        bank.heater_powers_for_weights(np.r_[np.zeros(6), 2.0, 0.0])
    with pytest.raises(ValueError, match="tol must be in"):
        bank.heater_powers_for_weights(np.zeros(8), tol=0.0)
    with pytest.raises(ValueError, match="index must be an integer"):
        bank.weight_curve(8, [0.0])
    with pytest.raises(ValueError, match=r"others must have shape \(8,\)"):
        bank.weight_curve(0, [0.0], others=np.zeros((2, 8)))
    with pytest.raises(ValueError, match="channel 0 needs heater power"):
        bank.powers_for_temperatures(np.r_[-5.0, np.zeros(7)])


def test_constructor_validation(cold):
    rings, lam = cold.rings, cold.channel_wavelengths
    cases = [
        (dict(channel_wavelengths=lam[:-1]), r"channel_wavelengths must have shape \(8,\)"),
        (dict(channel_wavelengths=lam[::-1]), "strictly ascending"),
        (dict(channel_wavelengths=(np.nan,) + lam[1:]), "channel_wavelengths must be finite"),
        (dict(rings=rings[:3] + ("ring",) + rings[4:]), r"rings\[3\] must be an AddDropRing"),
        (dict(rings=()), "at least one"),
        (dict(rings=(dataclasses.replace(rings[0], dn_dT=-1e-4),) + rings[1:]),
         r"rings\[0\]\.dn_dT must be > 0"),
        (dict(heater="hot"), "heater must be a Heater"),
        (dict(crosstalk=ThermalCrosstalk(np.eye(3) * 3e3)), "crosstalk must be of size 8"),
        (dict(ambient_delta_t=np.nan), "ambient_delta_t must be finite"),
        (dict(bus_length=-1e-6), "bus_length must be in"),
        (dict(branch_fraction=0.6), "branch_fraction must be in"),
    ]
    for kw, match in cases:
        with pytest.raises(ValueError, match=match):
            dataclasses.replace(cold, **kw)


def test_design_validation():
    with pytest.raises(ValueError, match="ring_pitch must be in"):
        WeightBank.design(GRID, ring=RING, ring_pitch=15e-6)
    with pytest.raises(ValueError, match="crosstalk must be in"):
        WeightBank.design(GRID, ring=RING, crosstalk=1.5)
    with pytest.raises(ValueError, match="bias must be 'auto'"):
        WeightBank.design(GRID, ring=RING, bias="blue")
    with pytest.raises(ValueError, match="max_power"):
        WeightBank.design(GRID, ring=RING, heater=Heater(max_power=1e-4))
    with pytest.raises(ValueError, match="channel_wavelengths must"):
        WeightBank.design([1.55e-6, np.inf])
    b = WeightBank.design(GRID, ring=RING, crosstalk=0.1, ring_pitch=30e-6, bus_length=0.0)
    k = b.thermal_matrix
    assert k[0, 1] / k[0, 0] == pytest.approx(0.1) and b.bus_length == 0.0
