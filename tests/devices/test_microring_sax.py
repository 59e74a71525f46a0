"""Independent cross-check of the ring models against SAX circuits of simphony 0.7 models."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

# find_spec, not importorskip: importing sax would switch JAX to 64-bit mode process-wide
if importlib.util.find_spec("sax") is None or importlib.util.find_spec("simphony") is None:
    pytest.skip("sax and simphony are needed", allow_module_level=True)

from photonic_dfa.circuits.sax_models import (  # noqa: E402
    add_drop_netlist,
    all_pass_netlist,
    ring_netlist,
    simulate_ring_sax,
)
from photonic_dfa.devices.microring import AddDropRing, AllPassRing  # noqa: E402

pytestmark = pytest.mark.slow  # the first SAX evaluation compiles for several seconds

TOL = 1e-6  # power agreement required

# Six parameter sets spanning size, coupling regime, loss (0 to 20 dB/cm), dispersion
# (n_g - n_eff from 0 to 2.2), racetrack straights, design wavelength and temperature.
CASES = [
    dict(radius=10e-6, loss_db_per_cm=2.0, n_eff=2.4, n_g=4.2, r1=0.98, r2=0.98, dt=0.0),
    dict(radius=5e-6, loss_db_per_cm=0.0, n_eff=2.2, n_g=4.4, r1=0.95, r2=0.99, dt=25.0),
    dict(radius=25e-6, loss_db_per_cm=6.0, n_eff=2.6, n_g=3.9, r1=0.995, r2=0.9, dt=-10.0),
    dict(radius=3e-6, coupler_length=4e-6, loss_db_per_cm=20.0, n_eff=1.9, n_g=1.9, r1=0.8,
         r2=0.85, wavelength0=1.31e-6, dt=60.0),
    dict(radius=40e-6, coupler_length=1e-6, loss_db_per_cm=1.0, n_eff=2.45, n_g=4.3, r1=0.999,
         r2=0.998, dt=3.0, dn_dT=1.0e-4),
    dict(radius=12e-6, loss_db_per_cm=3.5, n_eff=2.35, n_g=4.1, r1=0.93, r2=0.93 * 0.9,
         dt=0.0),
]


N_WL = 2048  # one array shape for every ring: the jitted SAX circuit compiles once


def _grid(ring) -> np.ndarray:
    """Wavelengths over wavelength0 +- 50 nm (dispersion acts across it) that include every
    resonance and its half-maximum points, where the models are most sensitive."""
    lo = ring.wavelength0 - 50e-9
    hi = ring.wavelength0 + 50e-9
    res = ring.resonances(lo, hi)
    fw = ring.fwhm(res)
    marks = np.concatenate([res, res - fw / 2, res + fw / 2])
    return np.sort(np.concatenate([np.linspace(lo, hi, N_WL - marks.size), marks]))


def _split(case: dict) -> tuple[dict, float]:
    params = dict(case)
    return params, params.pop("dt")


@pytest.mark.parametrize("case", CASES, ids=[f"set{i}" for i in range(len(CASES))])
def test_add_drop_agrees_with_sax(case):
    params, dt = _split(case)
    ring = AddDropRing(**params)
    wl = _grid(ring)
    assert wl.size >= 1000
    s = simulate_ring_sax(ring, wl, delta_t=dt)
    t, d = ring.spectra(wl, dt)
    assert np.max(np.abs(np.abs(s["through"]) ** 2 - t)) < TOL
    assert np.max(np.abs(np.abs(s["drop"]) ** 2 - d)) < TOL
    # simphony's i*kappa couplers give the same drop sign (-k1 k2): fields agree too
    np.testing.assert_allclose(s["through"], ring.through_field(wl, dt), rtol=0, atol=TOL)
    np.testing.assert_allclose(s["drop"], ring.drop_field(wl, dt), rtol=0, atol=TOL)


@pytest.mark.parametrize("case", CASES, ids=[f"set{i}" for i in range(len(CASES))])
def test_all_pass_agrees_with_sax(case):
    params, dt = _split(case)
    params["r"] = params.pop("r1")
    params.pop("r2")
    ring = AllPassRing(**params)
    wl = _grid(ring)
    s = simulate_ring_sax(ring, wl, delta_t=dt)
    assert np.max(np.abs(np.abs(s["through"]) ** 2 - ring.through(wl, dt))) < TOL
    np.testing.assert_allclose(s["through"], ring.through_field(wl, dt), rtol=0, atol=TOL)


@settings(max_examples=15, deadline=None)
@given(
    radius=st.floats(3e-6, 50e-6),
    coupler_length=st.floats(0.0, 5e-6),
    loss=st.floats(0.0, 10.0),
    n_eff=st.floats(1.8, 3.0),
    dispersion=st.floats(0.0, 2.0),
    r1=st.floats(0.7, 0.999),
    r2=st.floats(0.7, 0.999),
    dt=st.floats(-30.0, 30.0),
)
def test_random_add_drop_rings_agree_with_sax(radius, coupler_length, loss, n_eff, dispersion,
                                              r1, r2, dt):
    ring = AddDropRing(radius=radius, coupler_length=coupler_length, loss_db_per_cm=loss,
                       n_eff=n_eff, n_g=n_eff + dispersion, r1=r1, r2=r2)
    wl = _grid(ring)
    s = simulate_ring_sax(ring, wl, delta_t=dt)
    t, d = ring.spectra(wl, dt)
    assert np.max(np.abs(np.abs(s["through"]) ** 2 - t)) < TOL
    assert np.max(np.abs(np.abs(s["drop"]) ** 2 - d)) < TOL


def test_the_cross_check_detects_a_wrong_group_index():
    ring = AddDropRing()
    wl = _grid(ring)
    wrong = simulate_ring_sax(AddDropRing(n_g=ring.n_g * 1.001), wl)
    assert np.max(np.abs(np.abs(wrong["drop"]) ** 2 - ring.drop(wl))) > 0.1


def test_netlists_have_the_documented_ports_and_refuse_the_other_ring():
    ad, ap = AddDropRing(), AllPassRing()
    assert set(add_drop_netlist(ad)["ports"]) == {"in", "through", "drop", "add"}
    assert set(all_pass_netlist(ap)["ports"]) == {"in", "through"}
    assert ring_netlist(ad) == add_drop_netlist(ad)
    with pytest.raises(ValueError, match="AllPassRing"):
        all_pass_netlist(ad)
    with pytest.raises(ValueError, match="AddDropRing"):
        add_drop_netlist(ap)
    with pytest.raises(ValueError, match="wavelengths"):
        simulate_ring_sax(ad, [1.55e-6, float("nan")])
