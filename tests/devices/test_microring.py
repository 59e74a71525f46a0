"""Physics invariants of the all-pass and add-drop microring models."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize_scalar

from photonic_dfa.devices.microring import AddDropRing, AllPassRing
from photonic_dfa.devices.thermal import Heater

SETTINGS = settings(max_examples=60, deadline=None)

# Cross-check of fields against powers: the phase (about 1e3 rad) carries ~1e-13 rad of
# rounding, which the steepest Lorentzian slope here (~1/(1 - x) < 1e3) turns into < 1e-9.
ATOL = 1e-9


@st.composite
def waveguide(draw, min_loss: float = 0.0, max_loss: float = 10.0) -> dict:
    n_eff = draw(st.floats(1.8, 3.0))
    return {
        "radius": draw(st.floats(3e-6, 60e-6)),
        "coupler_length": draw(st.sampled_from([0.0, draw(st.floats(0.0, 10e-6))])),
        "loss_db_per_cm": draw(st.floats(min_loss, max_loss)),
        "n_eff": n_eff,
        "n_g": n_eff + draw(st.floats(0.0, 2.0)),
        "wavelength0": draw(st.floats(1.5e-6, 1.6e-6)),
        "dn_dT": draw(st.floats(0.5e-4, 2.5e-4)),
    }


coupling = st.floats(0.6, 0.999)


@st.composite
def all_pass(draw, min_loss: float = 0.0) -> AllPassRing:
    return AllPassRing(r=draw(coupling), **draw(waveguide(min_loss=min_loss)))


@st.composite
def add_drop(draw, min_loss: float = 0.0, max_loss: float = 10.0) -> AddDropRing:
    return AddDropRing(r1=draw(coupling), r2=draw(coupling),
                       **draw(waveguide(min_loss=min_loss, max_loss=max_loss)))


def _span(ring, n: int = 4001, fsrs: float = 2.0) -> np.ndarray:
    """Wavelengths covering ``fsrs`` free spectral ranges around ``wavelength0``."""
    half = fsrs * ring.fsr() / 2
    return np.linspace(ring.wavelength0 - half, ring.wavelength0 + half, n)


def _measured_fwhm(wl: np.ndarray, lorentzian: np.ndarray) -> float:
    """Full width at half maximum of a single peak, crossings linearly interpolated."""
    half = lorentzian.max() / 2
    above = np.flatnonzero(lorentzian >= half)
    i, j = above[0], above[-1]
    left = np.interp(half, lorentzian[i - 1:i + 1], wl[i - 1:i + 1])
    right = np.interp(half, lorentzian[j:j + 2][::-1], wl[j:j + 2][::-1])
    return right - left


# --- passivity and energy conservation ------------------------------------------------


@SETTINGS
@given(ring=all_pass(), dt=st.floats(-50, 50), extra=st.floats(-10, 10))
def test_all_pass_through_is_passive(ring, dt, extra):
    t = ring.through(_span(ring), dt, extra)
    assert np.all((t >= 0) & (t <= 1 + 1e-12))


@SETTINGS
@given(ring=add_drop(), dt=st.floats(-50, 50), extra=st.floats(-10, 10))
def test_add_drop_is_passive(ring, dt, extra):
    t, d = ring.spectra(_span(ring), dt, extra)
    assert np.all((t >= 0) & (t <= 1 + 1e-12))
    assert np.all((d >= 0) & (d <= 1 + 1e-12))
    assert np.all(t + d <= 1 + 1e-12)
    if ring.round_trip_amplitude < 1 - 1e-9:
        # loss removes power on resonance: the sum must dip below one there (a loss
        # below 1e-9 per round trip is lost in float rounding of the sum)
        res = ring.resonance_near(ring.wavelength0)
        assert float(ring.through(res) + ring.drop(res)) < 1


@SETTINGS
@given(ring=add_drop(max_loss=0.0))
def test_lossless_add_drop_conserves_power(ring):
    assert ring.round_trip_amplitude == 1.0
    t, d = ring.spectra(_span(ring))
    np.testing.assert_allclose(t + d, 1.0, rtol=0, atol=1e-9)


@SETTINGS
@given(ring=all_pass(), extra=st.floats(-10, 10))
def test_lossless_all_pass_is_an_all_pass_filter(ring, extra):
    ring = replace(ring, loss_db_per_cm=0.0)
    np.testing.assert_allclose(ring.through(_span(ring), phase=extra), 1.0, rtol=0, atol=1e-9)


# --- fields versus the power formulas ----------------------------------------------------


@SETTINGS
@given(ring=all_pass(), dt=st.floats(-50, 50))
def test_all_pass_field_squared_is_power(ring, dt):
    wl = _span(ring)
    np.testing.assert_allclose(np.abs(ring.through_field(wl, dt)) ** 2, ring.through(wl, dt),
                               rtol=0, atol=ATOL)


@SETTINGS
@given(ring=add_drop(), dt=st.floats(-50, 50))
def test_add_drop_fields_squared_are_powers(ring, dt):
    wl = _span(ring)
    t, d = ring.spectra(wl, dt)
    np.testing.assert_allclose(np.abs(ring.through_field(wl, dt)) ** 2, t, rtol=0, atol=ATOL)
    np.testing.assert_allclose(np.abs(ring.drop_field(wl, dt)) ** 2, d, rtol=0, atol=ATOL)
    np.testing.assert_allclose(ring.through(wl, dt), t, rtol=0, atol=1e-14)
    np.testing.assert_array_equal(ring.drop(wl, dt), d)


def test_power_formulas_of_the_design_document():
    """The kernels against the ``cos phi`` formulas of docs/physics.md, with numpy's cos."""
    ring = AddDropRing(r1=0.95, r2=0.97, loss_db_per_cm=3.0, coupler_length=2e-6)
    wl = _span(ring, 2001)
    c = np.cos(ring.phase(wl))
    a, r1, r2 = ring.round_trip_amplitude, ring.r1, ring.r2
    x = r1 * r2 * a
    den = 1 - 2 * x * c + x * x
    np.testing.assert_allclose(ring.through(wl), ((r2 * a) ** 2 - 2 * x * c + r1 ** 2) / den,
                               rtol=0, atol=1e-12)
    np.testing.assert_allclose(ring.drop(wl), (1 - r1 ** 2) * (1 - r2 ** 2) * a / den,
                               rtol=0, atol=1e-12)
    ap = AllPassRing(r=0.95, loss_db_per_cm=3.0)
    c = np.cos(ap.phase(wl))
    a, r = ap.round_trip_amplitude, ap.r
    np.testing.assert_allclose(ap.through(wl), (a * a - 2 * r * a * c + r * r)
                               / (1 - 2 * a * r * c + (r * a) ** 2), rtol=0, atol=1e-12)


# --- periodicity and symmetry -----------------------------------------------------------


@SETTINGS
@given(ring=add_drop(), extra=st.floats(-10, 10), turns=st.integers(-3, 3))
def test_responses_are_periodic_in_round_trip_phase(ring, extra, turns):
    wl = _span(ring, 1001)
    shifted = extra + 2 * math.pi * turns
    for a, b in zip(ring.spectra(wl, phase=extra), ring.spectra(wl, phase=shifted)):
        np.testing.assert_allclose(a, b, rtol=0, atol=ATOL)
    ap = AllPassRing(r=ring.r1, **_waveguide_of(ring))
    np.testing.assert_allclose(ap.through(wl, phase=extra), ap.through(wl, phase=shifted),
                               rtol=0, atol=ATOL)


def _waveguide_of(ring) -> dict:
    keys = ("radius", "coupler_length", "loss_db_per_cm", "n_eff", "n_g", "wavelength0", "dn_dT")
    return {k: getattr(ring, k) for k in keys}


@SETTINGS
@given(ring=add_drop(), fraction=st.floats(0.0, 1.0))
def test_add_drop_spectrum_is_symmetric_about_a_resonance(ring, fraction):
    res = ring.resonance_near(ring.wavelength0)
    # exact in round-trip phase at a fixed wavelength, out to the neighbouring resonances ...
    delta = fraction * 2 * math.pi
    for plus, minus in zip(ring.spectra(res, phase=delta), ring.spectra(res, phase=-delta)):
        assert plus == pytest.approx(minus, abs=ATOL)
    # ... and in wavelength within a Lorentzian peak, up to the 1/lambda curvature of the
    # phase: detunings +-step differ by 2 step / lambda relative, and |delta dP/d delta| <= 1/2
    # (a Lorentzian only when the finesse is high; an assume() here filtered most examples)
    if ring.finesse() < MIN_FINESSE:
        return
    step = fraction * 5 * ring.fwhm(res)
    tol = step / res * 1.01 + ATOL
    for plus, minus in zip(ring.spectra(res + step), ring.spectra(res - step)):
        assert plus == pytest.approx(minus, abs=tol)


# --- critical coupling --------------------------------------------------------------------


@SETTINGS
@given(ring=all_pass(min_loss=0.5))
def test_all_pass_critical_coupling_extinguishes_the_through_port(ring):
    ring = replace(ring, r=ring.round_trip_amplitude)
    assert ring.coupling_regime == "critical"
    assert ring.extinction_ratio() == math.inf
    assert float(ring.through(ring.resonance_near(ring.wavelength0))) < 1e-12


@SETTINGS
@given(ring=add_drop(min_loss=0.0))
def test_add_drop_critical_coupling_extinguishes_the_through_port(ring):
    ring = replace(ring, r1=ring.r2 * ring.round_trip_amplitude)
    assert ring.coupling_regime == "critical"
    res = ring.resonance_near(ring.wavelength0)
    t, d = ring.spectra(res)
    assert float(t) < 1e-12
    assert float(d) == pytest.approx(ring.drop_peak(), rel=1e-9)
    if ring.round_trip_amplitude == 1:
        assert float(d) == pytest.approx(1.0, rel=1e-9)


@pytest.mark.parametrize("delta, regime", [(1e-3, "under"), (-1e-3, "over")])
def test_coupling_regime_either_side_of_critical(delta, regime):
    ap = AllPassRing(loss_db_per_cm=5.0)
    assert replace(ap, r=ap.round_trip_amplitude + delta).coupling_regime == regime
    ad = AddDropRing(loss_db_per_cm=5.0, r2=0.97)
    assert replace(ad, r1=0.97 * ad.round_trip_amplitude + delta).coupling_regime == regime


# --- linewidth, Q and finesse -------------------------------------------------------------

# The FWHM formula is the high-finesse limit of the Airy linewidth 4 arcsin((1-x)/(2 sqrt x));
# its relative error is about (pi/F)^2 / 24, below 0.25 % for finesse F >= 10.
MIN_FINESSE = 10.0


@SETTINGS
@given(ring=add_drop())
def test_add_drop_fwhm_and_q_match_the_measured_drop_linewidth(ring):
    assume(ring.finesse() >= MIN_FINESSE)
    res = ring.resonance_near(ring.wavelength0)
    fwhm = ring.fwhm(res)
    wl = np.linspace(res - 4 * fwhm, res + 4 * fwhm, 8001)
    measured = _measured_fwhm(wl, ring.drop(wl))
    assert measured == pytest.approx(fwhm, rel=0.01)
    assert res / measured == pytest.approx(ring.q_loaded(res), rel=0.01)
    # the through dip (1 - T) has the same Lorentzian denominator, hence the same width
    assert _measured_fwhm(wl, 1 - ring.through(wl)) == pytest.approx(fwhm, rel=0.01)


@SETTINGS
@given(ring=all_pass(min_loss=0.5))
def test_all_pass_fwhm_and_q_match_the_measured_dip(ring):
    assume(ring.finesse() >= MIN_FINESSE)
    res = ring.resonance_near(ring.wavelength0)
    fwhm = ring.fwhm(res)
    wl = np.linspace(res - 4 * fwhm, res + 4 * fwhm, 8001)
    measured = _measured_fwhm(wl, 1 - ring.through(wl))
    assert measured == pytest.approx(fwhm, rel=0.01)
    assert res / measured == pytest.approx(ring.q_loaded(res), rel=0.01)


@SETTINGS
@given(ring=add_drop())
def test_derived_figures_are_consistent(ring):
    lam = ring.wavelength0
    assert ring.finesse() == pytest.approx(ring.fsr() / ring.fwhm(), rel=1e-12)
    assert ring.q_loaded() == pytest.approx(lam / ring.fwhm(), rel=1e-12)
    assert ring.fsr() == pytest.approx(lam ** 2 / (ring.n_g * ring.length), rel=1e-12)
    # the loaded Q never exceeds the intrinsic Q; they meet when the couplers vanish
    assert ring.q_loaded() < ring.q_intrinsic()
    if ring.round_trip_amplitude < 1:
        uncoupled = replace(ring, r1=1.0, r2=1.0)
        assert uncoupled.q_loaded() == pytest.approx(uncoupled.q_intrinsic(), rel=1e-12)
    # extinction and drop peak against the spectrum over one FSR
    res = ring.resonance_near(lam)
    wl = np.linspace(res - ring.fsr(res) / 2, res + ring.fsr(res) / 2, 200_001)
    t, d = ring.spectra(wl)
    assert float(ring.drop(res)) == pytest.approx(ring.drop_peak(), rel=1e-9)
    assert d.max() == pytest.approx(ring.drop_peak(), rel=1e-6)
    er = ring.extinction_ratio()
    if t.min() > 1e-9:
        assert t.max() / t.min() == pytest.approx(er, rel=1e-3)


# --- resonance positions -------------------------------------------------------------------


@SETTINGS
@given(ring=add_drop(), dt=st.floats(-50, 50), width=st.floats(1.0, 6.0))
def test_resonances_are_where_the_phase_is_a_multiple_of_two_pi(ring, dt, width):
    lo = ring.wavelength0 - width * ring.fsr() / 2
    hi = ring.wavelength0 + width * ring.fsr() / 2
    res = ring.resonances(lo, hi, delta_t=dt)
    cycles = ring.phase(res, dt) / (2 * math.pi)
    np.testing.assert_allclose(cycles, np.round(cycles), rtol=0, atol=1e-9)
    assert np.all((res >= lo) & (res <= hi)) and np.all(np.diff(res) > 0)
    # none is missed: one per integer number of cycles between the band edges
    c_hi, c_lo = ring.phase([lo, hi], dt) / (2 * math.pi)
    assert len(res) == math.floor(c_hi) - math.ceil(c_lo) + 1
    np.testing.assert_array_equal(-np.diff(np.round(cycles)), 1.0)


@SETTINGS
@given(ring=add_drop(), width=st.floats(3.0, 8.0))
def test_resonances_are_spaced_by_the_fsr_within_dispersion(ring, width):
    lo = ring.wavelength0 - width * ring.fsr() / 2
    res = ring.resonances(lo, lo + width * ring.fsr())
    spacing = np.diff(res)
    # exactly lambda_m lambda_{m+1} / (n_g L) = FSR at their geometric mean ...
    np.testing.assert_allclose(spacing, ring.fsr(np.sqrt(res[1:] * res[:-1])), rtol=1e-9)
    # ... so FSR evaluated at either neighbour is off by at most FSR / lambda (relative)
    fsr = ring.fsr(res[1:])
    assert np.all(np.abs(spacing - fsr) <= fsr * fsr / res[1:] * (1 + 1e-9))


@SETTINGS
@given(ring=add_drop(), offset=st.floats(-0.5, 0.5))
def test_tuned_to_resonates_at_the_target(ring, offset):
    target = ring.wavelength0 + offset * ring.fsr()
    tuned = ring.tuned_to(target)
    assert tuned.resonance_near(target) == pytest.approx(target, rel=1e-13)
    assert replace(tuned, radius=ring.radius) == ring
    fwhm = tuned.fwhm(target)
    found = minimize_scalar(lambda w: float(tuned.through(w)), method="bounded",
                            bounds=(target - fwhm, target + fwhm),
                            options={"xatol": fwhm * 1e-6})
    assert abs(found.x - target) < 1e-3 * fwhm


# --- design from targets -------------------------------------------------------------------


@SETTINGS
@given(
    target=st.floats(1.5e-6, 1.6e-6),
    q=st.floats(2e3, 1e5),
    er_db=st.floats(1.0, 40.0),
    regime=st.sampled_from(["under", "over"]),
    radius=st.floats(5e-6, 30e-6),
)
def test_all_pass_from_targets_round_trips_q_and_extinction(target, q, er_db, regime, radius):
    try:
        ring = AllPassRing.from_targets(target, q, er_db, regime, radius=radius)
    except ValueError as exc:
        # only physically unreachable combinations may fail, and they must say why
        assert "outside (0, 1]" in str(exc)
        return
    assert ring.q_loaded(target) == pytest.approx(q, rel=1e-9)
    assert 10 * math.log10(ring.extinction_ratio()) == pytest.approx(er_db, rel=1e-9)
    assert ring.coupling_regime == regime
    assert ring.resonance_near(target) == pytest.approx(target, rel=1e-13)


@SETTINGS
@given(target=st.floats(1.5e-6, 1.6e-6), q=st.floats(1e3, 3e4), loss=st.floats(0.0, 3.0))
def test_add_drop_from_targets_round_trips_q(target, q, loss):
    ring = AddDropRing.from_targets(target, q, loss_db_per_cm=loss, r1=0.5)
    assert ring.r1 == ring.r2
    assert ring.q_loaded(target) == pytest.approx(q, rel=1e-9)
    assert ring.resonance_near(target) == pytest.approx(target, rel=1e-13)
    assert ring.loss_db_per_cm == loss


def test_add_drop_from_targets_refuses_q_above_the_intrinsic_q():
    ring = AddDropRing(loss_db_per_cm=3.0)
    with pytest.raises(ValueError, match="q_loaded"):
        AddDropRing.from_targets(1.55e-6, 2 * ring.q_intrinsic(), loss_db_per_cm=3.0)


# --- thermal tuning ------------------------------------------------------------------------


def _through_minimum(ring, lo: float, hi: float, delta_t: float) -> float:
    """Numerical through-port minimum in [lo, hi]: dense grid, then Brent refinement."""
    wl = np.linspace(lo, hi, 40_001)
    i = int(np.argmin(ring.through(wl, delta_t)))
    step = wl[1] - wl[0]
    found = minimize_scalar(lambda w: float(ring.through(w, delta_t)), method="bounded",
                            bounds=(wl[i] - step, wl[i] + step),
                            options={"xatol": step * 1e-6})
    return float(found.x)


@settings(max_examples=30, deadline=None)
@given(ring=add_drop(max_loss=5.0), fraction=st.floats(0.05, 0.45))
def test_temperature_sweep_shifts_the_resonance_by_lambda_dn_dt_dt_over_ng(ring, fraction):
    assume(ring.finesse() >= MIN_FINESSE)
    cold = ring.resonance_near(ring.wavelength0)
    fsr = ring.fsr(cold)
    # the largest rise moves the resonance by `fraction` of an FSR: no mode hop
    dt_max = fraction * fsr * ring.n_g / (cold * ring.dn_dT)
    measured_cold = _through_minimum(ring, cold - fsr / 2, cold + fsr / 2, 0.0)
    for dt in dt_max * np.array([0.25, 0.5, 1.0]):
        hot = _through_minimum(ring, cold - fsr / 4, cold + 3 * fsr / 4, dt)
        expected = cold * ring.dn_dT * dt / ring.n_g
        assert hot - measured_cold == pytest.approx(expected, rel=0.01)
        assert float(ring.resonance_shift(dt, cold)) == pytest.approx(expected, rel=1e-12)


def test_heater_power_shifts_the_resonance_through_its_thermal_resistance():
    ring = AddDropRing(r1=0.99, r2=0.99)
    heater = Heater(thermal_resistance=3e3, max_power=20e-3)
    cold = ring.resonance_near(ring.wavelength0)
    fsr = ring.fsr(cold)
    measured_cold = _through_minimum(ring, cold - fsr / 2, cold + fsr / 2, 0.0)
    for power in (2e-3, 5e-3, 10e-3):
        dt = float(heater.temperature_rise(power))
        hot = _through_minimum(ring, cold - fsr / 4, cold + 3 * fsr / 4, dt)
        expected = cold * ring.dn_dT * power * heater.thermal_resistance / ring.n_g
        assert hot - measured_cold == pytest.approx(expected, rel=0.01)
        assert ring.resonance_near(cold, delta_t=dt) - cold == pytest.approx(expected, rel=1e-9)


# --- broadcasting --------------------------------------------------------------------------


def test_responses_broadcast_over_wavelength_temperature_and_phase():
    ring = AddDropRing()
    wl = np.linspace(1.54e-6, 1.56e-6, 7)[:, None, None]
    dt = np.array([0.0, 10.0])[None, :, None]
    extra = np.array([0.0, 0.1, 0.2])
    t, d = ring.spectra(wl, dt, extra)
    assert t.shape == d.shape == (7, 2, 3)
    for i, j, k in [(0, 0, 0), (3, 1, 2), (6, 0, 1)]:
        ti, di = ring.spectra(wl[i, 0, 0], dt[0, j, 0], extra[k])
        assert t[i, j, k] == pytest.approx(float(ti), abs=1e-12)
        assert d[i, j, k] == pytest.approx(float(di), abs=1e-12)
    assert ring.through_field(wl, dt, extra).shape == (7, 2, 3)
    assert np.ndim(ring.through(1.55e-6)) == 0
    assert AllPassRing().through(wl[:, 0, 0].reshape(7, 1), dt[0, :, 0]).shape == (7, 2)
