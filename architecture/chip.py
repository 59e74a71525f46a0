"""Build the device and circuit objects of a chip from its :class:`ChipConfig`.

One place maps configuration to devices, so the core, the performance model and the
commands all simulate the same hardware. Error switches that act on a device (RIN,
responsivity mismatch, line-power spread, modulator extinction) are applied here.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from photonic_dfa.base.arrays import FloatArray
from photonic_dfa.devices.laser import CombLaser
from photonic_dfa.devices.microring import AddDropRing
from photonic_dfa.devices.modulator import MachZehnderModulator, RingModulator
from photonic_dfa.devices.photodetector import BalancedPhotodetector, Photodetector
from photonic_dfa.devices.thermal import Heater, ThermalCrosstalk

from .config import ChipConfig
from .light_budget import link_stages

if TYPE_CHECKING:
    from photonic_dfa.circuits.weight_bank import WeightBank

__all__ = [
    "build_laser", "build_modulator", "build_detector", "build_heater", "build_crosstalk",
    "build_ring", "build_bank", "channel_powers", "broadcast_loss", "link_transmission",
]


def build_laser(cfg: ChipConfig) -> CombLaser:
    """The comb: one line per input channel; RIN ``None`` when ``errors.rin`` is off."""
    lc = cfg.laser
    return CombLaser(
        n_channels=cfg.core.n_inputs, channel_spacing=lc.channel_spacing,
        center_wavelength=lc.center_wavelength, power_per_channel=lc.power_per_channel,
        power_spread=lc.power_spread if cfg.errors.laser_power_spread else 0.0,
        rin_db_per_hz=lc.rin_db_per_hz if cfg.errors.rin else None,
        wall_plug_efficiency=lc.wall_plug_efficiency)


def channel_powers(cfg: ChipConfig) -> FloatArray:
    """Per-line laser powers (W): a fixed draw of the line spread seeded by ``errors.seed``."""
    laser = build_laser(cfg)
    if not cfg.errors.laser_power_spread:
        return laser.channel_powers(None)
    rng = np.random.default_rng([cfg.errors.seed, 0x1A5E])
    return laser.channel_powers(rng)


def build_modulator(cfg: ChipConfig) -> RingModulator | MachZehnderModulator:
    """The per-channel input modulator (identical design on every channel)."""
    mc = cfg.modulator
    if mc.kind == "ring":
        r = mc.ring
        return RingModulator(
            self_coupling=r.self_coupling, round_trip_amplitude=r.round_trip_amplitude,
            fsr=r.fsr, resonance_shift_per_volt=r.resonance_shift_per_volt,
            detuning=r.detuning, drive_swing=r.drive_swing,
            insertion_loss_db=r.insertion_loss_db)
    z = mc.mzm
    return MachZehnderModulator(v_pi=z.v_pi, extinction_ratio_db=z.extinction_ratio_db,
                                insertion_loss_db=z.insertion_loss_db,
                                bias_voltage=z.bias_voltage)


def modulator_drive_swing(cfg: ChipConfig) -> float:
    """Peak-to-peak drive voltage of the modulator (V), for the ``C V^2 / 4`` energy."""
    mc = cfg.modulator
    return mc.ring.drive_swing if mc.kind == "ring" else mc.mzm.v_pi


def build_detector(cfg: ChipConfig) -> BalancedPhotodetector:
    """Balanced pair; RIN copied from the laser when on; mismatch when switched on."""
    d = cfg.detector
    pd = Photodetector(
        responsivity=d.responsivity, dark_current=d.dark_current, bandwidth=d.bandwidth,
        load_resistance=d.load_resistance, transimpedance=cfg.tia.transimpedance,
        temperature=d.temperature,
        rin_db_per_hz=cfg.laser.rin_db_per_hz if cfg.errors.rin else None)
    mismatch = d.responsivity_mismatch if cfg.errors.detector_mismatch else 0.0
    return BalancedPhotodetector(pd, mismatch)


def build_heater(cfg: ChipConfig) -> Heater:
    h = cfg.heater
    return Heater(resistance=h.resistance, thermal_resistance=h.thermal_resistance,
                  max_power=h.max_power)


def build_crosstalk(cfg: ChipConfig) -> ThermalCrosstalk | None:
    """Heater-to-heater crosstalk of one bank, or ``None`` when switched off."""
    if not (cfg.errors.weight_bank and cfg.errors.thermal_crosstalk):
        return None
    n = cfg.core.n_inputs
    if n < 2:
        return None
    x = cfg.crosstalk.ring_pitch * np.arange(n)
    x = x - x.mean()
    return ThermalCrosstalk.from_positions(
        x, cfg.heater.thermal_resistance, decay_length=cfg.crosstalk.decay_length,
        coupling=cfg.crosstalk.coupling)


def build_ring(cfg: ChipConfig) -> AddDropRing:
    """Ring template: symmetric add-drop ring with the configured loaded Q at the centre."""
    r = cfg.ring
    return AddDropRing.from_targets(
        cfg.laser.center_wavelength, r.q_loaded, radius=r.radius,
        loss_db_per_cm=r.loss_db_per_cm, n_eff=r.n_eff, n_g=r.n_g,
        wavelength0=cfg.laser.center_wavelength, dn_dT=r.dn_dT)


def build_bank(cfg: ChipConfig) -> WeightBank:
    """The design weight bank (every ring on its channel when cold)."""
    from photonic_dfa.circuits.weight_bank import WeightBank

    laser = build_laser(cfg)
    xt = build_crosstalk(cfg)
    return WeightBank.design(
        tuple(float(w) for w in laser.wavelengths), ring=build_ring(cfg),
        heater=build_heater(cfg), ring_pitch=cfg.crosstalk.ring_pitch,
        crosstalk=xt if xt is not None else False)


def broadcast_loss(cfg: ChipConfig) -> float:
    """Power fraction reaching one of M banks: ``(1/M) 10^(-excess log2 M / 10)`` (the
    split and excess stages of :func:`~.light_budget.link_stages`)."""
    split, excess = link_stages(cfg)[1:3]
    return split.transmission * excess.transmission


def link_transmission(cfg: ChipConfig) -> float:
    """Laser-to-bank power fraction excluding the modulator: the product of the light
    budget's :func:`~.light_budget.link_stages` (coupler and routing, broadcast split and
    its excess loss); the core scales every line power by it."""
    return math.prod(s.transmission for s in link_stages(cfg))
