"""Throughput and energy per MAC of the broadcast-and-weight core, from its ChipConfig.

Throughput. Each symbol every one of the ``M`` banks forms an ``N``-term dot product, of
which only the channels that carry data count: ``MAC/s = N_used M f_s / passes`` with
``N_used = min(N, perf.workload_inputs / perf.column_passes)`` (the MNIST feedback has 10
inputs: 10 of the default chip's 16 channels), ``passes = 1`` for offset encoding and
``2`` for the differential scheme (``x = x+ - x-`` needs two optical passes of the same
hardware).

Power terms (W); energy per MAC is their sum over MAC/s:

- laser wall plug: ``N P_line / eta_wp``;
- heaters: ``N M (P_hold + P_bias)``, both from the bank a fabricated chip is made from
  (:func:`~.fabricated.fabrication_design`, the same :class:`~.fabricated.FabricationSpec`
  spread): its cold resonances sit ``tuning_bias`` blue of their channels (four standard
  deviations of the resonance spread by default) so that heaters, which only red-shift,
  reach every ring. ``P_hold`` is the mean power the inverse of the bank without that
  extra bias asks for to hold random weights (uniform over the programmable range);
  ``P_bias`` what the fabrication bias adds (the offsets themselves average to zero). The
  fabricated chip's calibrated programming pays the same figure;
- per-sample input scaling (``core.input_scaling = "sample"``, the default): a digital max over
  the ``N`` inputs (``N - 1`` comparisons) and a digital gain (``N`` multiplies) per
  sample, ``f_s / passes (N - 1) E_cmp + N E_mul`` (8-bit operations, Horowitz, ISSCC
  2014). With ``"batch"`` the one scale per batch is set as the DACs' reference and costs
  nothing per symbol;
- modulators: ``N C V^2 / 4 f_s`` (NRZ switching energy, Miller, JLT 35, 346 (2017));
- DACs: ``N FoM_DAC 2^b f_s``; ADCs: ``M FoM_ADC 2^b f_s / C`` (Walden figure of merit with
  the nominal bits as ENOB, an optimistic bound; Murmann, "ADC Performance Survey"). ``C``
  is the number of column-block passes one output of the workload needs
  (``perf.column_passes``) when ``core.accumulation = "integrate"``: the time-integrating
  receiver converts once per output (and input sign) after all passes (Sludds et al.,
  Science 378, 270 (2022)); ``C = 1`` with ``"digitize"`` (one conversion per pass);
- detectors + TIAs: ``M P_TIA`` (the photodiodes' bias power, microwatts, is neglected).

Per MAC, modulators and DACs are shared by the M banks (``/M``), ADCs and TIAs by the N
inputs (``/N``), heaters are paid once per weight (``/f_s``), so the <1 pJ/MAC regime
needs large N and M, a high symbol rate, efficient converters and heaters that do not
have to hold a fraction of an FSR.

The analog effective bits estimate the detector-limited resolution of one pass at the
configured laser power: the noise of a mid-level input (shot, thermal, RIN with the
bank's common mode ~1) against the worst-case output range ``R (T_max - T_min) N w_max
P_rx``. An integrating receiver adds the noise variances and the ranges of its C passes,
so its analog resolution gains about ``log2 sqrt C`` bits; not included here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.constants import Boltzmann, elementary_charge

from photonic_dfa.devices.photodetector import effective_bits

from .chip import build_bank, build_modulator, link_transmission, modulator_drive_swing
from .config import ChipConfig
from .fabricated import FabricationSpec, fabrication_design

__all__ = ["PerfReport", "performance", "heater_powers", "fsr_power", "scenarios",
           "format_report"]


@dataclass(frozen=True)
class PerfReport:
    """Figures of one chip: throughput, power per term (W), energy per MAC (J)."""

    name: str
    n_inputs: int
    n_outputs: int
    symbol_rate: float
    passes: int
    mac_per_s: float
    power: dict[str, float] = field(default_factory=dict)
    received_power_per_line: float = 0.0
    analog_bits: float = 0.0
    adc_bits: int = 0
    #: channels per pass that carry data (MAC/s counts only these)
    used_inputs: float = 0.0

    @property
    def total_power(self) -> float:
        return float(sum(self.power.values()))

    @property
    def energy_per_mac(self) -> float:
        return self.total_power / self.mac_per_s

    def energy_terms(self) -> dict[str, float]:
        """Energy per MAC of each term (J)."""
        return {k: v / self.mac_per_s for k, v in self.power.items()}

    def shares(self) -> dict[str, float]:
        tot = self.total_power
        return {k: (v / tot if tot > 0 else 0.0) for k, v in self.power.items()}

    def to_dict(self) -> dict:
        return {
            "name": self.name, "n_inputs": self.n_inputs, "n_outputs": self.n_outputs,
            "symbol_rate": self.symbol_rate, "passes": self.passes,
            "mac_per_s": self.mac_per_s, "energy_per_mac": self.energy_per_mac,
            "total_power": self.total_power, "power": dict(self.power),
            "energy_terms": self.energy_terms(),
            "received_power_per_line": self.received_power_per_line,
            "analog_bits": self.analog_bits, "adc_bits": self.adc_bits,
            "used_inputs": self.used_inputs,
        }


def _symmetric_limit(cfg: ChipConfig, bank) -> float:
    """``w_lim * margin``; a bank whose weight range does not straddle zero cannot hold
    signed weights (no offset scheme applies), so every per-weight figure is undefined."""
    w_min, w_max = bank.weight_range
    lim = bank.symmetric_weight_range
    if lim <= 0.0:
        raise ValueError(
            f"the weight bank has no symmetric weight range (reachable weights "
            f"[{w_min:.4g}, {w_max:.4g}] do not contain an interval [-s, s], s > 0) with "
            f"core.n_inputs={cfg.core.n_inputs}, ring.radius={cfg.ring.radius:.4g} m, "
            f"ring.q_loaded={cfg.ring.q_loaded:.6g}, laser.channel_spacing="
            f"{cfg.laser.channel_spacing:.4g} Hz: low Q or neighbouring rings' tails keep "
            "every weight on one sign (raise ring.q_loaded or laser.channel_spacing)")
    return lim * cfg.bank.weight_margin


def heater_powers(cfg: ChipConfig, n_samples: int = 16, seed: int = 0,
                  spec: FabricationSpec | None = None) -> tuple[float, float]:
    """(mean hold power, mean fabrication-bias power) per ring, W, of a chip of ``cfg``
    fabricated under ``spec`` (default :class:`FabricationSpec()`).

    The fabricated design bank's inverse (cold resonances ``tuning_bias`` blue) and the
    same bank without the fabrication bias, for ``n_samples`` random weight vectors uniform
    over the symmetric programmable range (the range :class:`PhotonicMVM` normalises to):
    hold is the latter's mean, bias the difference.
    """
    spec = FabricationSpec() if spec is None else spec
    cfg = cfg.updated(**{"bank.solver": spec.solver})
    design = fabrication_design(cfg, spec)[0]
    plain = build_bank(cfg)
    lim = min(_symmetric_limit(cfg, plain), _symmetric_limit(cfg, design.design_bank))
    rng = np.random.default_rng(seed)
    targets = rng.uniform(-lim, lim, size=(n_samples, cfg.core.n_inputs))
    p_plain, _ = plain.heater_powers_for_weights(targets, solver=cfg.bank.solver, clip=True)
    p_fab, _ = design.design_bank.heater_powers_for_weights(targets, solver=cfg.bank.solver,
                                                            clip=True)
    hold = float(np.mean(p_plain))
    return hold, float(np.mean(p_fab)) - hold


def fsr_power(cfg: ChipConfig) -> float:
    """Heater power that shifts a ring by one FSR, ``FSR / (R_th lambda (dn/dT) / n_g)``."""
    lam = cfg.laser.center_wavelength
    fsr = float(build_bank(cfg).rings[0].fsr(lam))
    return fsr / (cfg.heater.thermal_resistance * lam * cfg.ring.dn_dT / cfg.ring.n_g)


def performance(cfg: ChipConfig, name: str = "chip",
                hold_trim: tuple[float, float] | None = None,
                spec: FabricationSpec | None = None) -> PerfReport:
    """Throughput, power terms and analog resolution of ``cfg`` fabricated under ``spec``
    (see the module doc); ``hold_trim`` replaces :func:`heater_powers`."""
    n, m, f = cfg.core.n_inputs, cfg.core.n_outputs, cfg.core.symbol_rate
    passes = 2 if cfg.core.signed_inputs == "differential" else 1
    wl = cfg.perf.workload_inputs
    used = min(float(n), wl / cfg.perf.column_passes) if wl > 0 else float(n)
    macs = used * m * f / passes
    bank = build_bank(cfg)
    bank_w_max = _symmetric_limit(cfg, bank)
    hold, trim = heater_powers(cfg, spec=spec) if hold_trim is None else hold_trim
    per_sample = (f / passes * ((n - 1) * cfg.perf.compare_energy
                                + n * cfg.perf.multiply_energy)
                  if cfg.core.input_scaling == "sample" else 0.0)
    v = modulator_drive_swing(cfg)
    conv_passes = cfg.perf.column_passes if cfg.core.accumulation == "integrate" else 1
    power = {
        "laser": n * cfg.laser.power_per_channel / cfg.laser.wall_plug_efficiency,
        "heaters (hold weights)": n * m * hold,
        "heaters (fabrication bias)": n * m * trim,
        "modulators": n * cfg.modulator.capacitance * v * v / 4.0 * f,
        "DACs": n * cfg.dac.walden_fom * 2.0**cfg.dac.bits * f,
        "detectors+TIAs": m * cfg.tia.power,
        "ADCs": m * cfg.adc.walden_fom * 2.0**cfg.adc.bits * f / conv_passes,
        "per-sample scaling": per_sample,
    }
    t_lo, t_hi = build_modulator(cfg).transmission_range
    p_rx = cfg.laser.power_per_channel * link_transmission(cfg)
    d = cfg.detector
    b = d.bandwidth
    mid = p_rx * 0.5 * (t_lo + t_hi)
    var = (2 * elementary_charge * (d.responsivity * n * mid + 2 * d.dark_current) * b
           + 4 * Boltzmann * d.temperature / d.load_resistance * b
           + (d.responsivity * mid) ** 2 * 10 ** (cfg.laser.rin_db_per_hz / 10) * b
           * n * bank_w_max**2 / 3.0)
    full_range = d.responsivity * (t_hi - t_lo) * n * bank_w_max * p_rx
    bits = float(effective_bits(math.sqrt(var), full_range))
    return PerfReport(name=name, n_inputs=n, n_outputs=m, symbol_rate=f, passes=passes,
                      mac_per_s=macs, used_inputs=used, power=power, received_power_per_line=p_rx,
                      analog_bits=bits, adc_bits=cfg.adc.bits)


def scenarios(base: ChipConfig | None = None
              ) -> dict[str, tuple[ChipConfig, FabricationSpec]]:
    """Two documented chips around ``base`` (default chip if ``None``), each with the
    fabrication its heater power follows from.

    ``claim-holds``: N = 64 channels at 50 GHz in the 31 nm FSR of a 3 um ring (Q 1.5e4),
    all carrying data, M = 256 banks, 20 GBd, 6-bit converters at 10 fJ/step (best
    high-speed designs in the Murmann survey), undercut heaters (R_th = 1e5 K/W; this
    ring's FSR takes about 4.7 mW, :func:`fsr_power`; Dong et al., Opt. Express 18, 20298
    (2010) report ~2 mW per FSR for smaller, fully undercut rings) and post-fabrication
    trimming (no resonance spread left, so no fabrication bias), 0.5 mW TIAs, a 20 %
    wall-plug laser array with 5 mW lines (the 1/M broadcast split must stay above the
    receiver noise).
    ``small-thermal``: N = 10 (one DFA error vector), M = 16, 1 GBd, plain heaters
    (R_th = 3e3 K/W) biased for the default fabrication spread (half a channel spacing
    per ring and chip-wide), 8-bit converters at 100 fJ/step.
    """
    b = base if base is not None else ChipConfig()
    holds = b.updated(**{
        "core.n_inputs": 64, "core.n_outputs": 256, "core.symbol_rate": 20e9,
        "detector.bandwidth": 10e9, "laser.channel_spacing": 50e9,
        "ring.radius": 3e-6, "ring.q_loaded": 15000.0,
        "laser.power_per_channel": 5e-3, "laser.wall_plug_efficiency": 0.2,
        "heater.thermal_resistance": 1e5, "heater.max_power": 5e-3,
        "perf.workload_inputs": 0,
        "dac.bits": 6, "dac.walden_fom": 10e-15, "adc.bits": 6, "adc.walden_fom": 10e-15,
        "tia.power": 0.5e-3,
    })
    small = b.updated(**{
        "core.n_inputs": 10, "core.n_outputs": 16, "core.symbol_rate": 1e9,
        "detector.bandwidth": 0.5e9, "heater.thermal_resistance": 3e3,
        "dac.bits": 8, "dac.walden_fom": 100e-15,
        "adc.bits": 8, "adc.walden_fom": 100e-15,
    })
    trimmed = FabricationSpec(resonance_spread=0.0, common_offset_spread=0.0, tuning_bias=0.0)
    return {"claim-holds": (holds, trimmed), "small-thermal": (small, FabricationSpec())}


def _si(x: float, unit: str) -> str:
    if x == 0:
        return f"0 {unit}"
    prefixes = [(1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, ""),
                (1e-3, "m"), (1e-6, "u"), (1e-9, "n"), (1e-12, "p"), (1e-15, "f"),
                (1e-18, "a")]
    for scale, p in prefixes:
        if abs(x) >= scale:
            return f"{x / scale:.3g} {p}{unit}"
    return f"{x:.3g} {unit}"


def format_report(r: PerfReport) -> str:
    """Plain-text table: each term's power, energy per MAC and share."""
    lines = [
        f"== {r.name}: N={r.n_inputs} inputs ({r.used_inputs:g} carrying data) x "
        f"M={r.n_outputs} banks, "
        f"{_si(r.symbol_rate, 'Bd')}, {r.passes} pass(es) per signed MVM",
        f"throughput {_si(r.mac_per_s, 'MAC/s')}; energy {_si(r.energy_per_mac, 'J/MAC')}; "
        f"total {_si(r.total_power, 'W')}",
        f"received power per line per bank {_si(r.received_power_per_line, 'W')}; "
        f"analog-limited resolution {r.analog_bits:.1f} bits (ADC {r.adc_bits} bits)",
        f"{'term':<24}{'power':>12}{'J/MAC':>12}{'share':>8}",
    ]
    e = r.energy_terms()
    for k, v in r.power.items():
        lines.append(f"{k:<24}{_si(v, 'W'):>12}{_si(e[k], 'J'):>12}{100 * r.shares()[k]:>7.1f}%")
    verdict = "holds" if (r.mac_per_s >= 1e12 and r.energy_per_mac < 1e-12) else "fails"
    lines.append(f"claim (>= 1e12 MAC/s and < 1 pJ/MAC): {verdict}")
    return "\n".join(lines)


def with_name(r: PerfReport, name: str) -> PerfReport:
    return replace(r, name=name)
