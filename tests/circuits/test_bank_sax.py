"""A weight bank built in SAX from our own device models against the ``exact`` solver."""

from __future__ import annotations

import dataclasses
import importlib.util

import numpy as np
import pytest

if importlib.util.find_spec("sax") is None:  # find_spec: importing sax would flip JAX x64
    pytest.skip("sax not installed", allow_module_level=True)

import jax  # noqa: E402

from photonic_dfa.circuits.bank_netlist import simulate_bank_sax  # noqa: E402
from photonic_dfa.circuits.bank_sax import bank_sax_netlist, simulate_bank_models  # noqa: E402
from photonic_dfa.circuits.weight_bank import WeightBank  # noqa: E402
from photonic_dfa.devices.laser import ChannelGrid  # noqa: E402
from photonic_dfa.devices.microring import AddDropRing  # noqa: E402

pytestmark = pytest.mark.slow  # each sax.circuit evaluation of a bank takes seconds

N = 6


@pytest.fixture(scope="module")
def bank() -> WeightBank:
    """6 asymmetric lossy rings, thermal crosstalk, 25 um bus segments, 0.7 K chip drift."""
    bank = WeightBank.design(ChannelGrid(N, 100e9, 1550e-9),
                             ring=AddDropRing(r1=0.975, r2=0.985, loss_db_per_cm=3.0))
    return dataclasses.replace(bank, ambient_delta_t=0.7)


@pytest.fixture(scope="module")
def powers(bank) -> np.ndarray:
    """A random heater state on the branch: every ring detuned differently."""
    lo, hi = bank.branch_temperatures
    return bank.powers_for_temperatures(lo + np.random.default_rng(3).random(N) * (hi - lo))


def _x64_state() -> tuple[bool, bool]:
    return jax.enable_x64.value, jax.enable_x64.get_global()


@pytest.mark.parametrize("bus_length", [None, 0.0])
def test_bank_of_our_models_matches_the_exact_solver(bank, powers, bus_length):
    """Through, drop and weights over the channels and a dense band: 1e-9."""
    if bus_length is not None:
        bank = dataclasses.replace(bank, bus_length=bus_length)
    lam = np.asarray(bank.channel_wavelengths)
    band = np.linspace(lam[0] - 0.8e-9, lam[-1] + 0.8e-9, 2500)
    assert np.diff(band).max() < bank.rings[0].fwhm() / 10  # resolves every resonance
    wl = np.concatenate([band, lam])
    before = _x64_state()
    ts, ds = simulate_bank_models(bank, wl, powers)
    assert _x64_state() == before
    te, de = bank.spectra(wl, powers, "exact")
    assert np.max(np.abs(ts - te)) < 1e-9
    assert np.max(np.abs(ds - de)) < 1e-9
    weights = bank.weights(powers, "exact")
    assert np.max(np.abs((ds - ts)[-N:] - weights)) < 1e-9
    # the check has teeth: the heaters move the spectra by far more than the tolerance
    cold_t, _ = bank.spectra(wl, np.zeros(N), "exact")
    assert np.max(np.abs(cold_t - te)) > 0.1


def test_netlist_carries_each_rings_temperature_and_the_bus(bank, powers):
    net, models = bank_sax_netlist(bank, powers)
    assert set(net["ports"]) == {"in", "through", "drop", "add"}
    assert {i["component"] for i in net["instances"].values()} <= set(models)
    assert len(net["instances"]) == N + 2 * (N - 1)
    temps = bank.temperatures(powers)
    for k in range(N):
        s = net["instances"][f"r{k}"]["settings"]
        assert s["delta_t"] == temps[k]
        assert s["radius"] == bank.rings[k].radius / 1e-6
    assert net["instances"]["bus_thru0"]["settings"]["length"] == pytest.approx(
        bank.bus_length / 1e-6)
    flat, _ = bank_sax_netlist(dataclasses.replace(bank, bus_length=0.0))
    assert len(flat["instances"]) == N
    assert all(i["settings"]["delta_t"] == bank.ambient_delta_t
               for i in flat["instances"].values())
    with pytest.raises(ValueError, match=rf"heater_powers must have shape \({N},\)"):
        bank_sax_netlist(bank, np.zeros((2, N)))


def test_x64_is_restored_after_an_exception_inside_the_sax_call(bank):
    before = _x64_state()
    with pytest.raises(Exception, match="backend"):
        simulate_bank_models(bank, np.asarray(bank.channel_wavelengths), backend="no-such")
    assert _x64_state() == before


def test_the_simphony_reference_keeps_jax_x64_local(bank):
    before = _x64_state()
    lam = np.asarray(bank.channel_wavelengths)
    thru, _ = simulate_bank_sax(bank, lam, bank.temperatures(np.zeros(N)))
    assert _x64_state() == before
    np.testing.assert_allclose(thru, bank.spectra(lam, np.zeros(N), "exact")[0], rtol=0,
                               atol=1e-9)
