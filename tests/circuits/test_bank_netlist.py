"""The exact solver against the SAX/simphony netlist of the same bank; plot_bank."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from photonic_dfa.circuits.plots import plot_bank
from photonic_dfa.circuits.weight_bank import WeightBank
from photonic_dfa.devices.laser import ChannelGrid
from photonic_dfa.devices.microring import AddDropRing

GRID = ChannelGrid(8, 100e9, 1550e-9)


@pytest.fixture(scope="module")
def bank() -> WeightBank:
    """8-ring bank, thermal crosstalk, 25 um bus segments, slightly asymmetric lossy rings."""
    return WeightBank.design(GRID, ring=AddDropRing(r1=0.975, r2=0.985, loss_db_per_cm=3.0))


def _sweep(bank: WeightBank, points: int) -> np.ndarray:
    lam = np.asarray(bank.channel_wavelengths)
    return np.linspace(lam[0] - 0.8e-9, lam[-1] + 0.8e-9, points)


@pytest.mark.slow
@pytest.mark.parametrize("bus_length", [None, 0.0])
def test_exact_solver_agrees_with_sax_netlist(bank, bus_length):
    """Every channel, through and drop, at a random heater state on the branch: 1e-6."""
    if bus_length is not None:
        bank = dataclasses.replace(bank, bus_length=bus_length)
    rng = np.random.default_rng(7)
    lo, hi = bank.branch_temperatures
    p = bank.powers_for_temperatures(lo + rng.random(8) * (hi - lo))
    lam = np.asarray(bank.channel_wavelengths)
    wl = np.concatenate([_sweep(bank, 3000), lam])  # the channels themselves at the end
    # the sweep resolves every resonance (>= 10 points per linewidth)
    assert np.diff(wl[:3000]).max() < bank.rings[0].fwhm() / 10
    ts, ds = bank.simulate_sax(wl, p)
    te, de = bank.spectra(wl, p, "exact")
    assert np.max(np.abs(te - ts)) < 1e-6
    assert np.max(np.abs(de - ds)) < 1e-6
    ct, cd = bank.channel_transmissions(p, "exact")
    np.testing.assert_array_equal(ct, te[3000:])
    np.testing.assert_array_equal(cd, de[3000:])


def test_netlist_structure(bank):
    net = bank.to_sax_netlist()
    assert set(net["ports"]) == {"in", "through", "drop", "add"}
    assert net["ports"]["drop"].startswith("r0_") and net["ports"]["through"].startswith("r7_")
    assert len(net["instances"]) == 4 * 8 + 2 * 7  # rings + bus segments
    flat = dataclasses.replace(bank, bus_length=0.0).to_sax_netlist()
    assert len(flat["instances"]) == 4 * 8
    hot = bank.to_sax_netlist(np.full(8, 1e-3))
    dn = bank.rings[0].dn_dT * bank.temperatures(np.full(8, 1e-3))[0]
    assert hot["instances"]["r0_arc_in"]["settings"]["neff"] == pytest.approx(
        bank.rings[0].n_eff + dn)
    with pytest.raises(ValueError, match=r"heater_powers must have shape \(8,\)"):
        bank.simulate_sax(_sweep(bank, 10), np.zeros((2, 8)))


def test_plot_bank_writes_a_png(bank, tmp_path):
    out = plot_bank(bank, None, tmp_path / "bank.png", points=800)
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    with pytest.raises(ValueError, match=r"heater_powers must have shape \(8,\)"):
        plot_bank(bank, np.zeros(3), tmp_path / "bad.png")
