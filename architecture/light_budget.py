"""Light budget of the core: laser power per channel to each detector, the SNR it gives, and
the largest laser power the rings tolerate.

Path of one channel (every value from :class:`~.config.ChipConfig`, with its source there):

    P_det = P_laser * T_link * (1/M) * T_excess * t_mod * T_ring

- ``T_link = 10^(-core.link_loss_db / 10)``: fibre-to-chip coupler and routing
  (``light.coupler_loss_db`` of it lies ahead of the modulators);
- ``1/M``: the broadcast split to the M banks, ``T_excess = 10^(-e log2 M / 10)`` its
  excess loss, ``e = core.splitter_excess_loss_db`` per 1x2 stage;
- ``t_mod``: the modulator's transmission, ``[T_min, T_max]`` of its transfer curve
  (insertion loss included); the budget quotes the full-on ``T_max``;
- ``T_ring``: the weight-bank ring's drop on resonance (the largest weight), or the
  through transmission away from it.

:func:`link_stages` lists the factors up to the bank; their product is
:func:`~.chip.link_transmission`, the one figure the core scales every line power by, so
the core's shot and thermal noise follow from this budget.

SNR of one channel's drop current ``I = R P_det`` over the receiver's noise bandwidth ``B``:
``I^2 / (2 q (I + 2 I_dark) B + 4 k T B / R_L + I^2 RIN B)``
(:mod:`photonic_dfa.devices.photodetector`).

Optical nonlinearity. A ring on resonance holds ``P_circ = F_e P_in`` with
``F_e = (1 - r_in^2) / (1 - x)^2`` (about ``finesse / pi`` at critical coupling,
:func:`photonic_dfa.devices.microring.power_enhancement`). It absorbs

    P_abs = f_abs (1 - a^2) P_circ                    (linear: surface-state absorption)
          + beta L P_circ^2 / A_eff                   (two-photon absorption)
          + sigma beta tau_c L P_circ^3 / (2 h nu A_eff^2)   (free carriers the TPA makes)

(Almeida & Lipson, Opt. Lett. 29, 2387 (2004); Barclay et al., Opt. Express 13, 801
(2005): steady-state carrier density ``N = beta tau_c I^2 / (2 h nu)``, ``I = P / A_eff``,
absorption ``sigma N``), which heats it by ``dT = R_th P_abs`` (``heater.thermal_resistance``,
the ring's own thermal resistance) and red-shifts its resonance by
``d_lambda = lambda (dn/dT) dT / n_g``. The free carriers' blue shift (plasma dispersion) is
left out; it is smaller than the thermal shift at the microsecond time scale of the
thermal response. The maximum laser power per channel is where the worse of the
modulator ring and the weight-bank ring shifts by ``light.max_shift_fraction`` of its FWHM.

Nonlinearity error. Two parts, as rms errors relative to the full range (the weight
range ``2 w_lim`` for the bank ring, the swing for the modulator), each symbol's power
taken uniform between zero and full:

- thermal: the shift follows the power averaged over the ring's thermal time
  ``light.thermal_time_constant`` (``N = f_s tau_th`` symbols); the average's fluctuation
  (``1 / sqrt(12 N)`` of full power) is what a calibration or lock at the mean power
  cannot hold. A Lorentzian's steepest slope ``(3 sqrt 3 / 4) / FWHM`` per unit height
  ``h`` turns it into ``h (3 sqrt 3 / 4) (d_lambda_full / FWHM) / sqrt(12 N)``;
- fast (within a symbol): TPA and free-carrier absorption raise the ring's decay rate by
  the fraction ``eps = P_nl tau / (2 U)``, ``U = P_circ n_g L / c`` the stored energy, and
  change its drop (or dip) by ``2 eps`` of its height: ``2 eps_full h / sqrt 12``.

:attr:`LightBudget.nonlinear_bits` expresses them combined,
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.constants import Boltzmann, Planck, elementary_charge

from .config import ChipConfig

__all__ = ["Stage", "RingHeating", "LightBudget", "link_stages", "ring_heating",
           "light_budget", "format_budget"]

_C = 299_792_458.0
#: steepest slope of a unit Lorentzian of FWHM 1: 3 sqrt(3) / 4
_LORENTZ_SLOPE = 3.0 * math.sqrt(3.0) / 4.0


@dataclass(frozen=True)
class Stage:
    """One factor of the optical path: power transmission and where its value comes from."""

    name: str
    transmission: float
    source: str

    @property
    def loss_db(self) -> float:
        return -10.0 * math.log10(self.transmission) if self.transmission > 0 else math.inf


def link_stages(cfg: ChipConfig) -> tuple[Stage, ...]:
    """Laser-to-bank factors, excluding the modulator (module docstring)."""
    m = cfg.core.n_outputs
    stages = math.log2(m) if m > 1 else 0.0
    excess = cfg.core.splitter_excess_loss_db * stages
    return (
        Stage("coupler + routing", 10.0 ** (-cfg.core.link_loss_db / 10.0),
              "core.link_loss_db"),
        Stage(f"broadcast split 1/{m}", 1.0 / m, "core.n_outputs"),
        Stage(f"splitter excess ({stages:.3g} stages)", 10.0 ** (-excess / 10.0),
              "core.splitter_excess_loss_db"),
    )


@dataclass(frozen=True)
class RingHeating:
    """Self-heating of one ring on resonance at a given power on its input bus."""

    name: str
    input_power: float
    enhancement: float
    absorbed_linear: float
    absorbed_tpa: float
    absorbed_fca: float
    shift: float
    fwhm: float

    @property
    def circulating_power(self) -> float:
        return self.enhancement * self.input_power

    @property
    def absorbed(self) -> float:
        return self.absorbed_linear + self.absorbed_tpa + self.absorbed_fca

    @property
    def shift_fraction(self) -> float:
        """Resonance shift over FWHM."""
        return self.shift / self.fwhm


@dataclass(frozen=True)
class _RingData:
    name: str
    r_in: float
    loop_gain: float
    a: float
    length: float
    fwhm: float


def ring_heating(cfg: ChipConfig, ring: _RingData, input_power: float) -> RingHeating:
    """Absorbed power and resonance shift of ``ring`` on resonance (module docstring)."""
    lc = cfg.light
    lam = cfg.laser.center_wavelength
    enh = (1.0 - ring.r_in**2) / (1.0 - ring.loop_gain) ** 2
    p = enh * input_power
    lin = lc.absorbed_fraction * (1.0 - ring.a**2) * p
    tpa = lc.tpa_coefficient * ring.length * p * p / lc.effective_area
    photon = Planck * _C / lam
    fca = (lc.fca_cross_section * lc.tpa_coefficient * lc.carrier_lifetime * ring.length
           * p**3 / (2.0 * photon * lc.effective_area**2))
    d_t = cfg.heater.thermal_resistance * (lin + tpa + fca)
    shift = lam * cfg.ring.dn_dT * d_t / cfg.ring.n_g
    return RingHeating(ring.name, input_power, enh, lin, tpa, fca, shift, ring.fwhm)


def _rings(cfg: ChipConfig) -> tuple[_RingData, _RingData | None]:
    """The weight-bank ring and (ring modulators only) the modulator ring."""
    from photonic_dfa.devices.modulator import RingModulator

    from .chip import build_modulator, build_ring

    br = build_ring(cfg)
    bank = _RingData("weight-bank ring", br.r1, br.r1 * br.r2 * br.round_trip_amplitude,
                     br.round_trip_amplitude, br.length, float(br.fwhm()))
    mod = build_modulator(cfg)
    if not isinstance(mod, RingModulator):
        return bank, None
    a, r = mod.round_trip_amplitude, mod.self_coupling
    lam = cfg.laser.center_wavelength
    length = lam * lam / (cfg.ring.n_g * mod.fsr)  # FSR = lambda^2 / (n_g L)
    return bank, _RingData("modulator ring", r, r * a, a, length, mod.fwhm)


@dataclass(frozen=True)
class LightBudget:
    """The light budget of a chip (module docstring); powers in W."""

    laser_power: float
    stages: tuple[Stage, ...]
    modulator: Stage
    ring_drop: Stage
    responsivity: float
    noise_bandwidth: float
    noise_current: float
    modulator_heating: RingHeating | None
    bank_heating: RingHeating
    max_laser_power: float
    limited_by: str
    noise_bits: float
    #: rms self-heating error relative to the full range (weight and encoding combined)
    nonlinear_error: float
    weight_range: float

    @property
    def bank_transmission(self) -> float:
        """Laser to bank, excluding the modulator: :func:`~.chip.link_transmission`."""
        return math.prod(s.transmission for s in self.stages)

    @property
    def path(self) -> tuple[Stage, ...]:
        return (*self.stages, self.modulator, self.ring_drop)

    @property
    def path_transmission(self) -> float:
        return math.prod(s.transmission for s in self.path)

    @property
    def received_power(self) -> float:
        """Drop power of one channel at full input and the largest weight (ring on
        resonance): the laser power times every transmission of the path."""
        return self.laser_power * self.path_transmission

    @property
    def signal_current(self) -> float:
        return self.responsivity * self.received_power

    @property
    def snr(self) -> float:
        """Power SNR of one channel's drop current (module docstring)."""
        return (self.signal_current / self.noise_current) ** 2

    @property
    def nonlinear_bits(self) -> float:
        """Effective bits of the self-heating error, ``log2(1 / (e sqrt 12))``."""
        if self.nonlinear_error <= 0.0:
            return math.inf
        return -math.log2(self.nonlinear_error * math.sqrt(12.0))

    @property
    def total_bits(self) -> float:
        """Noise and nonlinearity combined: ``-log2 sqrt(4^-b_noise + 4^-b_nl)``."""
        return -0.5 * math.log2(4.0 ** -self.noise_bits + 4.0 ** -self.nonlinear_bits)


def light_budget(cfg: ChipConfig, laser_power: float | None = None) -> LightBudget:
    """The budget of ``cfg`` (its ``laser.power_per_channel`` unless ``laser_power``)."""
    from photonic_dfa.devices.photodetector import effective_bits

    from .chip import build_modulator
    from .performance import _symmetric_limit

    p_laser = cfg.laser.power_per_channel if laser_power is None else laser_power
    lam = cfg.laser.center_wavelength
    stages = link_stages(cfg)
    to_bank = math.prod(s.transmission for s in stages)
    mod = build_modulator(cfg)
    t_lo, t_hi = mod.transmission_range
    bank_ring, mod_ring = _rings(cfg)
    from .chip import build_bank, build_ring

    drop = build_ring(cfg).drop_peak()
    mod_stage = Stage("modulator (full on)", float(t_hi), f"modulator.{cfg.modulator.kind}")
    ring_stage = Stage("ring drop on resonance", drop, "ring.q_loaded, ring.loss_db_per_cm")
    d = cfg.detector
    b = d.bandwidth
    i_sig = d.responsivity * p_laser * to_bank * t_hi * drop
    var = (2 * elementary_charge * (i_sig + 2 * d.dark_current) * b
           + 4 * Boltzmann * d.temperature / d.load_resistance * b
           + i_sig**2 * 10 ** (cfg.laser.rin_db_per_hz / 10) * b)
    coupler = 10.0 ** (-min(cfg.light.coupler_loss_db, cfg.core.link_loss_db) / 10.0)

    def heat(p: float) -> tuple[RingHeating | None, RingHeating]:
        mh = None if mod_ring is None else ring_heating(cfg, mod_ring, p * coupler)
        return mh, ring_heating(cfg, bank_ring, p * to_bank * t_hi)

    def worst(p: float) -> tuple[float, str]:
        mh, bh = heat(p)
        cands = [(bh.shift_fraction, bh.name)]
        if mh is not None:
            cands.append((mh.shift_fraction, mh.name))
        return max(cands)

    target = cfg.light.max_shift_fraction
    lo, hi = 0.0, 1.0
    while worst(hi)[0] < target and hi < 1e6:
        lo, hi = hi, hi * 10.0
    for _ in range(200):  # the shift grows monotonically with power: bisection
        mid = 0.5 * (lo + hi)
        if worst(mid)[0] < target:
            lo = mid
        else:
            hi = mid
    p_max = 0.5 * (lo + hi)
    mod_heat, bank_heat = heat(p_laser)
    try:
        w_lim = _symmetric_limit(cfg, build_bank(cfg))
    except ValueError:
        w_lim = 0.0
    # noise bits: performance-model form (mid-level input on every channel, full range)
    n = cfg.core.n_inputs
    p_rx = p_laser * to_bank
    mid = p_rx * 0.5 * (t_lo + t_hi)
    nvar = (2 * elementary_charge * (d.responsivity * n * mid + 2 * d.dark_current) * b
            + 4 * Boltzmann * d.temperature / d.load_resistance * b
            + (d.responsivity * mid) ** 2 * 10 ** (cfg.laser.rin_db_per_hz / 10) * b
            * n * w_lim**2 / 3.0)
    full_range = d.responsivity * (t_hi - t_lo) * n * w_lim * p_rx
    noise_bits = (float(effective_bits(math.sqrt(nvar), full_range)) if full_range > 0
                  else -math.inf)
    # nonlinearity (module docstring): thermal part from the averaged power's fluctuation,
    # fast part from the TPA and free-carrier change of the decay rate
    n_avg = max(1.0, cfg.core.symbol_rate * cfg.light.thermal_time_constant)
    t_min = float(build_ring(cfg).through(cfg.laser.center_wavelength))
    parts = []
    for h, ring, height, span in ((bank_heat, bank_ring, drop + 1.0 - t_min, 2.0 * w_lim),
                                  (mod_heat, mod_ring, 1.0, 1.0)):
        if h is None or ring is None:
            continue
        if span <= 0.0:
            parts.append(math.inf)
            continue
        thermal = height * _LORENTZ_SLOPE * h.shift_fraction / math.sqrt(12.0 * n_avg)
        tau = lam * lam / (math.pi * _C * ring.fwhm)  # 2 Q_L / omega0
        stored = h.circulating_power * cfg.ring.n_g * ring.length / _C
        eps = ((h.absorbed_tpa + h.absorbed_fca) * tau / (2.0 * stored)
               if stored > 0 else 0.0)
        fast = 2.0 * eps * height / math.sqrt(12.0)
        parts.append(math.hypot(thermal, fast) / span)
    return LightBudget(
        laser_power=p_laser, stages=stages, modulator=mod_stage, ring_drop=ring_stage,
        responsivity=d.responsivity, noise_bandwidth=b, noise_current=math.sqrt(var),
        modulator_heating=mod_heat, bank_heating=bank_heat, max_laser_power=p_max,
        limited_by=worst(p_max)[1], noise_bits=noise_bits,
        nonlinear_error=math.hypot(*parts), weight_range=w_lim)


def _w(x: float) -> str:
    if x <= 0:
        return "0 W"
    for scale, unit in ((1.0, "W"), (1e-3, "mW"), (1e-6, "uW"), (1e-9, "nW"), (1e-12, "pW")):
        if x >= scale:
            return f"{x / scale:.3g} {unit}"
    return f"{x:.3g} W"


def format_budget(b: LightBudget) -> str:
    """Plain-text light budget: the path, received power and SNR, ring heating, limits."""
    lines = [f"light budget per channel (laser {_w(b.laser_power)}):",
             f"  {'stage':<32}{'loss':>9}{'power after':>14}  source"]
    p = b.laser_power
    for s in b.path:
        p *= s.transmission
        lines.append(f"  {s.name:<32}{s.loss_db:>6.2f} dB{_w(p):>14}  {s.source}")
    lines.append(f"  received {_w(b.received_power)} ({10 * math.log10(b.path_transmission):.2f}"
                 f" dB), photocurrent {b.signal_current * 1e6:.3g} uA, noise "
                 f"{b.noise_current * 1e9:.3g} nA rms over {b.noise_bandwidth / 1e9:.3g} GHz:"
                 f" SNR {10 * math.log10(b.snr):.1f} dB")
    for h in (b.modulator_heating, b.bank_heating):
        if h is None:
            continue
        lines.append(f"  {h.name}: input {_w(h.input_power)}, circulating "
                     f"{_w(h.circulating_power)} (x{h.enhancement:.3g}), absorbed "
                     f"{_w(h.absorbed)} (TPA {_w(h.absorbed_tpa)}, free carriers "
                     f"{_w(h.absorbed_fca)}): shift {h.shift * 1e12:.3g} pm = "
                     f"{h.shift_fraction:.3g} FWHM")
    lines.append(f"  maximum laser power per channel {_w(b.max_laser_power)} (set by the "
                 f"{b.limited_by}); bits: noise {b.noise_bits:.2f}, self-heating "
                 f"{b.nonlinear_bits:.2f}, combined {b.total_bits:.2f}")
    return "\n".join(lines)
