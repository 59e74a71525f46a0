"""Light budget: path transmissions, the core's received power, ring self-heating."""

from __future__ import annotations

import math

import numpy as np
import pytest

from photonic_dfa.architecture.chip import build_ring, channel_powers, link_transmission
from photonic_dfa.architecture.config import ChipConfig
from photonic_dfa.architecture.core import PhotonicMVM
from photonic_dfa.architecture.light_budget import _rings, light_budget, ring_heating
from photonic_dfa.devices.microring import AddDropRing, AllPassRing


def test_received_power_is_laser_power_times_the_path_transmissions() -> None:
    cfg = ChipConfig().updated(**{"core.n_outputs": 8, "core.link_loss_db": 4.0,
                                  "core.splitter_excess_loss_db": 0.3,
                                  "laser.power_per_channel": 2e-3})
    b = light_budget(cfg)
    link = 10 ** (-4.0 / 10)
    split = 1 / 8 * 10 ** (-0.3 * 3 / 10)
    t_max = b.modulator.transmission
    drop = build_ring(cfg).drop_peak()
    assert b.received_power == pytest.approx(2e-3 * link * split * t_max * drop, rel=1e-12)
    assert b.bank_transmission == pytest.approx(link * split, rel=1e-12)
    # the core scales its line powers by the same budget
    assert link_transmission(cfg) == pytest.approx(b.bank_transmission, rel=1e-12)
    core = PhotonicMVM(cfg)
    assert np.allclose(core.line_powers, channel_powers(cfg) * b.bank_transmission,
                       rtol=1e-12)


def test_power_enhancement_is_finesse_over_pi_at_critical_coupling() -> None:
    a = AllPassRing(loss_db_per_cm=3.0).round_trip_amplitude
    crit = AllPassRing(r=a, loss_db_per_cm=3.0)
    assert crit.coupling_regime == "critical"
    assert crit.power_enhancement() == pytest.approx(crit.finesse() / math.pi, rel=0.02)
    ad = AddDropRing.from_targets(1.55e-6, 2e4)
    x = ad.r1 * ad.r2 * ad.round_trip_amplitude
    assert ad.power_enhancement() == pytest.approx((1 - ad.r1**2) / (1 - x) ** 2)


def test_self_heating_shift_matches_the_ring_model() -> None:
    """The budget's shift equals the device model's resonance shift at the temperature the
    absorbed power raises (R_th P_abs), and is linear in power while TPA is negligible."""
    cfg = ChipConfig().updated(**{"light.tpa_coefficient": 0.0})
    bank_ring, _ = _rings(cfg)
    h1 = ring_heating(cfg, bank_ring, 1e-3)
    h2 = ring_heating(cfg, bank_ring, 2e-3)
    assert h2.shift == pytest.approx(2 * h1.shift, rel=1e-12)
    ring = build_ring(cfg)
    p_circ = ring.power_enhancement() * 1e-3
    p_abs = cfg.light.absorbed_fraction * (1 - ring.round_trip_amplitude**2) * p_circ
    d_t = cfg.heater.thermal_resistance * p_abs
    lam = cfg.laser.center_wavelength
    moved = ring.resonance_near(lam, delta_t=d_t) - ring.resonance_near(lam)
    assert h1.absorbed == pytest.approx(p_abs, rel=1e-12)
    assert h1.shift == pytest.approx(moved, rel=1e-3)  # first-order dispersion model
    # TPA and free carriers add absorption that grows faster than the power
    hot = ring_heating(ChipConfig(), bank_ring, 50e-3)
    assert hot.absorbed_tpa > 0 and hot.absorbed_fca > 0
    assert hot.shift > ring_heating(cfg, bank_ring, 50e-3).shift


def test_maximum_laser_power_reaches_the_stated_shift() -> None:
    cfg = ChipConfig()
    b = light_budget(cfg)
    at = light_budget(cfg, b.max_laser_power)
    worst = max(h.shift_fraction for h in (at.modulator_heating, at.bank_heating)
                if h is not None)
    assert worst == pytest.approx(cfg.light.max_shift_fraction, rel=1e-9)


def test_laser_power_has_an_optimum_between_noise_and_nonlinearity() -> None:
    cfg = ChipConfig()
    powers = np.geomspace(1e-5, 1e-1, 9)
    total = [light_budget(cfg, p).total_bits for p in powers]
    noise = [light_budget(cfg, p).noise_bits for p in powers]
    best = int(np.argmax(total))
    assert 0 < best < len(powers) - 1
    assert all(a < b for a, b in zip(noise, noise[1:]))


def test_perf_command_prints_the_budget_and_the_isi_estimate(capsys) -> None:  # noqa: ANN001
    from photonic_dfa.cli import main

    assert main(["perf"]) == 0
    out = capsys.readouterr().out
    assert "light budget per channel (laser 1 mW)" in out
    assert "maximum laser power per channel" in out
    assert "inter-symbol interference at 10 GBd" in out
