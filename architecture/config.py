"""Chip configuration: one frozen dataclass tree, loadable from and savable to TOML.

Every parameter carries its unit, default and source in its field metadata
(``doc``/``source``/``range``); :meth:`ChipConfig.to_toml` writes them as comments, so
``examples/chip_default.toml`` is generated from this file and cannot drift from it.

Sections (TOML tables): ``core`` (size, symbol rate, signed-input scheme, link budget),
``ring`` (weight-bank microring), ``heater`` (thermal tuning), ``crosstalk`` (heater
pitch and thermal spreading), ``laser`` (WDM comb), ``modulator`` (+ ``modulator.ring`` /
``modulator.mzm``), ``dac``, ``detector``, ``tia``, ``adc``, ``bank`` (programming),
``errors`` (one switch per error source and the noise seed), ``perf`` (performance-model
only parameters), ``light`` (light budget and the rings' optical nonlinearity).

Loading rejects unknown keys with a ``ValueError`` naming the dotted key, and every value
is range-checked (``ValueError`` naming parameter, value and allowed range).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import ClassVar, Self, TypedDict, TypeVar, Unpack

from photonic_dfa.base.tomlfile import parse_toml, read_toml
from photonic_dfa.base.validation import check_int, check_scalar
from photonic_dfa.devices.microring import AddDropRing

#: the ring template's defaults are the device model's: one default ring in the project
_RING = AddDropRing

__all__ = [
    "ChipConfig", "CoreConfig", "RingConfig", "HeaterConfig", "CrosstalkConfig",
    "LaserConfig", "ModulatorConfig", "RingModulatorConfig", "MZMConfig", "DACConfig",
    "DetectorConfig", "TIAConfig", "ADCConfig", "BankConfig", "ErrorConfig", "PerfConfig",
    "LightConfig",
]


_T = TypeVar("_T", bool, int, float, str)


def _p(default: _T, doc: str, source: str = "", low: float | None = None,
       high: float | None = None, choices: tuple[str, ...] | None = None,
       low_inclusive: bool = True) -> _T:
    """A documented, range-checked config field."""
    return field(default=default, metadata={
        "doc": doc, "source": source, "low": low, "high": high, "choices": choices,
        "low_inclusive": low_inclusive})


class _Section:
    """Validation and dict conversion shared by every section dataclass."""

    _subsections: ClassVar[dict[str, type[_Section]]] = {}

    def __post_init__(self) -> None:
        name = getattr(self, "_name", type(self).__name__)
        for f in fields(self):  # type: ignore[arg-type]
            if f.name in self._subsections:
                if not isinstance(getattr(self, f.name), self._subsections[f.name]):
                    raise ValueError(f"{name}.{f.name} must be a "
                                     f"{self._subsections[f.name].__name__}")
                continue
            v = getattr(self, f.name)
            m = f.metadata
            key = f"{name}.{f.name}"
            if isinstance(f.default, bool):
                if not isinstance(v, bool):
                    raise ValueError(f"{key} must be true or false, got {v!r}")
            elif m.get("choices"):
                if v not in m["choices"]:
                    raise ValueError(f"{key} must be one of {m['choices']}, got {v!r}")
            elif isinstance(f.default, int):
                lo = None if m["low"] is None else int(m["low"])
                hi = None if m["high"] is None else int(m["high"])
                object.__setattr__(self, f.name, check_int(key, v, lo, hi))
            else:
                object.__setattr__(self, f.name, check_scalar(
                    key, v, m["low"], m["high"], low_inclusive=m["low_inclusive"]))

    # ---------------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping[str, object], prefix: str = "") -> Self:
        if not isinstance(data, dict):
            raise ValueError(f"{prefix or 'config'} must be a table, got {data!r}")
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        for k in data:
            if k not in names:
                where = f"{prefix}.{k}" if prefix else k
                raise ValueError(f"unknown configuration key {where!r}; allowed: "
                                 f"{', '.join(sorted(names))}")
        kw: dict[str, object] = {}
        for k, v in data.items():
            sub = cls._subsections.get(k)
            kw[k] = sub.from_dict(v, f"{prefix}.{k}" if prefix else k) if sub else v
        return cls(**kw)

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {}
        for f in fields(self):  # type: ignore[arg-type]
            v = getattr(self, f.name)
            out[f.name] = v.to_dict() if isinstance(v, _Section) else v
        return out


# ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CoreConfig(_Section):
    """Size and timing of the broadcast-and-weight core."""

    _name: ClassVar[str] = "core"
    n_inputs: int = _p(16, "WDM channels per bank N (inputs of one physical tile)",
                       "Tait et al., Sci. Rep. 7, 7430 (2017): N channels share one bus; "
                       "16 x 0.6 nm fits one FSR of a 7 um ring", 1, 4096)
    n_outputs: int = _p(32, "weight banks M, one balanced detector each (outputs per tile)",
                        "Filipovich et al., Optica 9, 1323 (2022): M banks fed by one "
                        "broadcast bus", 1, 65536)
    symbol_rate: float = _p(10e9, "input symbols per second (Bd); one MVM per symbol",
                            "10 GBd: ring modulators and Ge detectors at 10-50 Gb/s "
                            "(Reed et al., Nat. Photonics 4, 518 (2010))", 1.0, 1e12)
    signed_inputs: str = _p("offset",
                            "signed-input scheme: 'offset' (one pass, x -> (x+1)/2 with a "
                            "programmed reference subtracted at the TIA) or 'differential' "
                            "(two passes x+ and x-, MAC/s halved)", "design choice",
                            choices=("offset", "differential"))
    accumulation: str = _p("integrate",
                           "how the column-block passes of a matrix wider than the core are "
                           "summed per output: 'integrate' (a time-integrating receiver "
                           "accumulates the photocharge of all passes, one ADC conversion "
                           "per output and input sign per matvec) or 'digitize' (each pass "
                           "converted by the ADC, partial outputs summed digitally)",
                           "Sludds et al., Science 378, 270 (2022) (Netcast: time-integrating "
                           "receivers); charge-integrating photonic MACs, e.g. Hamerly et "
                           "al., Phys. Rev. X 9, 021032 (2019)",
                           choices=("integrate", "digitize"))
    input_scaling: str = _p("sample",
                            "digital scale that maps inputs onto the modulators' full range "
                            "before the DACs (undone after the ADC): 'sample' (each sample's "
                            "own max|x|: a digital max and a gain per symbol, charged by the "
                            "performance model) or 'batch' (one max|x| per batch, set once "
                            "as the DAC reference). With 'batch' MNIST training diverges on "
                            "the chip: samples below ~1/256 of the batch max fall in the "
                            "DAC's dead zone and the reference's small per-output bias of "
                            "random sign no longer shrinks with the errors",
                            "Filipovich et al., Optica 9, 1323 (2022) scale by the batch's "
                            "max|e| in their error model; measured: README, input scaling",
                            choices=("sample", "batch"))
    link_loss_db: float = _p(3.0, "laser-to-bank fixed loss (coupler, mux, waveguides), dB",
                             "edge coupler ~1.5 dB + routing ~1.5 dB, typical SOI", 0.0, 60.0)
    splitter_excess_loss_db: float = _p(0.2, "excess loss per 1x2 stage of the broadcast "
                                        "tree (log2 M stages), dB",
                                        "typical MMI/Y-branch 0.1-0.3 dB", 0.0, 10.0)
    samples_per_symbol: int = _p(8, "time steps per symbol of the symbol-rate model "
                                 "(errors.isi; even: the symbol centre is a step boundary)",
                                 "each stage passes on its exact mean over a step; 8 keeps "
                                 "the step error below 1 % of the ISI for T/tau >= 1", 2, 256)
    isi_tolerance: float = _p(0.1, "the symbol-rate model is skipped (static model) when "
                              "the estimated rms ISI per unit symbol swing is below this "
                              "fraction of an ADC LSB (2^-adc.bits of the range)",
                              "design choice: ISI well under the converter's rounding",
                              0.0, 1e6)


@dataclass(frozen=True)
class RingConfig(_Section):
    """Weight-bank add-drop microring template (each ring retuned to its channel)."""

    _name: ClassVar[str] = "ring"
    radius: float = _p(_RING.radius, "ring radius, m (FSR ~13 nm at n_g 4.2)",
                       "Bogaerts et al., Laser Photonics Rev. 6, 47 (2012)", 1e-7, 1e-2,
                       low_inclusive=False)
    q_loaded: float = _p(20000.0, "loaded Q of each symmetric add-drop ring (FWHM ~78 pm); "
                         "with 0.6 nm spacing the symmetric weight range is about +-0.83",
                         "Tait et al., IEEE JSTQE 22, 5900214 (2016): Q ~ 1e4-3e4 banks",
                         10.0, 1e7)
    loss_db_per_cm: float = _p(_RING.loss_db_per_cm, "waveguide propagation loss, dB/cm",
                               "Bogaerts 2012: 1-3 dB/cm for 220 nm strip waveguides",
                               0.0, 1000.0)
    n_eff: float = _p(_RING.n_eff, "effective index at wavelength0", "220x500 nm Si strip, TE0",
                      1.0, 5.0)
    n_g: float = _p(_RING.n_g, "group index", "220x500 nm Si strip, TE0", 1.0, 10.0)
    dn_dT: float = _p(_RING.dn_dT, "effective thermo-optic coefficient dn_eff/dT, 1/K",
                      "Komma et al., APL 101, 041905 (2012) x ~0.95 confinement", -1e-2, 1e-2)


@dataclass(frozen=True)
class HeaterConfig(_Section):
    """Resistive micro-heater on each weight-bank ring."""

    _name: ClassVar[str] = "heater"
    resistance: float = _p(500.0, "heater resistance, ohm", "TiN/doped-Si heaters", 1e-3, 1e9)
    thermal_resistance: float = _p(3.0e3, "temperature rise per watt R_th, K/W",
                                   "Harris et al., Opt. Express 22, 10487 (2014)", 1.0, 1e7)
    max_power: float = _p(50e-3, "largest heater power, W", "driver limit", 1e-6, 10.0)
    dac_bits: int = _p(16, "heater driver DAC resolution in power, bits (12 bits over "
                       "50 mW would leave ~2 % rms weight error at Q 2e4)",
                       "16-bit current DACs as in bench-top weight-bank control", 1, 24)


@dataclass(frozen=True)
class CrosstalkConfig(_Section):
    """Thermal crosstalk between the heaters of one bank (exponential distance decay)."""

    _name: ClassVar[str] = "crosstalk"
    ring_pitch: float = _p(25e-6, "centre-to-centre ring spacing along the bus, m",
                           "Tait et al., Opt. Express 24, 8895 (2016)", 1e-7, 1e-2)
    decay_length: float = _p(10e-6, "lateral thermal decay length, m",
                             "order of the BOX + cladding thickness (few um)", 1e-9, 1.0)
    coupling: float = _p(0.5, "prefactor of the exponential K_ij/sqrt(K_ii K_jj)",
                         "fit to Tait 2016 (neighbour coupling ~4 % at 25 um)", 0.0, 1.0)


@dataclass(frozen=True)
class LaserConfig(_Section):
    """WDM comb (one line per input channel)."""

    _name: ClassVar[str] = "laser"
    channel_spacing: float = _p(75e9, "channel spacing in frequency, Hz (~0.6 nm)",
                                "ITU-T G.694.1 flexible grid; ~3.8 ring linewidths "
                                "(Tait 2016 channel-density analysis)", 1e6, 10e12)
    center_wavelength: float = _p(1550e-9, "grid centre wavelength, m", "C band",
                                  200e-9, 20e-6)
    power_per_channel: float = _p(1e-3, "optical power per line at the laser output, W",
                                  "Kerr/QD combs: ~0.1-few mW per line", 1e-12, 10.0)
    power_spread: float = _p(0.02, "relative std of the line powers after flattening",
                             "programmable comb flattening to ~0.1 dB", 0.0, 1.0)
    rin_db_per_hz: float = _p(-145.0, "relative intensity noise, dB/Hz",
                              "combs -130 to -150 dB/Hz, DFB -150 to -160", -200.0, -60.0)
    wall_plug_efficiency: float = _p(0.1, "optical out over electrical in",
                                     "DFB arrays 10-20 %, combs a few %", 1e-6, 1.0)


@dataclass(frozen=True)
class RingModulatorConfig(_Section):
    """All-pass ring modulator (one per channel), see devices.modulator.RingModulator."""

    _name: ClassVar[str] = "modulator.ring"
    self_coupling: float = _p(0.98, "bus field self-coupling r", "Reed 2010", 1e-6, 0.999999)
    round_trip_amplitude: float = _p(0.99, "round-trip field amplitude a", "Reed 2010",
                                     1e-6, 0.999999)
    fsr: float = _p(10e-9, "free spectral range, m", "R ~ 10 um ring", 1e-12, 1e-6)
    resonance_shift_per_volt: float = _p(30e-12, "resonance shift per volt, m/V",
                                         "carrier depletion 10-50 pm/V (Reed 2010)",
                                         -1e-9, 1e-9)
    detuning: float = _p(0.0, "laser-minus-resonance detuning at 0 V, m", "on resonance",
                         -1e-6, 1e-6)
    drive_swing: float = _p(2.0, "drive range [0, swing], V", "CMOS-compatible swing",
                            1e-6, 100.0)
    insertion_loss_db: float = _p(1.0, "excess loss outside the ring, dB", "typical",
                                  0.0, 40.0)


@dataclass(frozen=True)
class MZMConfig(_Section):
    """Mach-Zehnder modulator alternative, see devices.modulator.MachZehnderModulator."""

    _name: ClassVar[str] = "modulator.mzm"
    v_pi: float = _p(3.0, "voltage for pi phase, V", "V_pi L ~2 V cm (Reed 2010)", 1e-3, 1e3)
    extinction_ratio_db: float = _p(25.0, "static extinction, dB", "Reed 2010", 0.01, 80.0)
    insertion_loss_db: float = _p(3.0, "insertion loss, dB", "Reed 2010: 2-6 dB", 0.0, 40.0)
    bias_voltage: float = _p(0.0, "DC bias added to the drive, V", "null at 0 V", -1e4, 1e4)


@dataclass(frozen=True)
class ModulatorConfig(_Section):
    """Input modulators: kind, switching energy, and device parameters."""

    _name: ClassVar[str] = "modulator"
    _subsections: ClassVar[dict[str, type]] = {"ring": RingModulatorConfig, "mzm": MZMConfig}
    kind: str = _p("ring", "'ring' (WDM-selective, on the bus) or 'mzm' (demux-MZM-mux)",
                   "Tait 2017 uses per-channel modulation", choices=("ring", "mzm"))
    capacitance: float = _p(20e-15, "modulator junction capacitance, F; energy per symbol "
                            "C V_swing^2 / 4", "Miller, JLT 35, 346 (2017): CV^2/4 for NRZ; "
                            "rings ~10-50 fF", 0.0, 1e-6)
    ring: RingModulatorConfig = field(default_factory=RingModulatorConfig)
    mzm: MZMConfig = field(default_factory=MZMConfig)
    bandwidth: float = _p(30e9, "3-dB bandwidth of the modulated optical power (single pole), "
                          "Hz", "carrier-depletion Si modulators 20-40 GHz (Reed et al., "
                          "Nat. Photonics 4, 518 (2010))", 1e3, 1e15)


@dataclass(frozen=True)
class DACConfig(_Section):
    """Input DACs (one per modulator)."""

    _name: ClassVar[str] = "dac"
    bits: int = _p(8, "DAC resolution, bits", "8-bit 10+ GS/s DACs are routine", 1, 24)
    walden_fom: float = _p(50e-15, "energy per conversion step, J (E = FoM 2^bits)",
                           "Murmann ADC survey (2024) order for >1 GS/s converters",
                           0.0, 1e-6)


@dataclass(frozen=True)
class DetectorConfig(_Section):
    """Balanced Ge photodiode pair of each bank."""

    _name: ClassVar[str] = "detector"
    responsivity: float = _p(1.0, "responsivity, A/W", "Ge-on-Si 0.8-1.1 A/W", 1e-6, 2.0)
    dark_current: float = _p(10e-9, "dark current per diode, A", "Ge-on-Si 1-100 nA",
                             0.0, 1e-3)
    bandwidth: float = _p(5e9, "noise bandwidth, Hz (symbol_rate / 2 at Nyquist)",
                          "matched to core.symbol_rate", 1.0, 1e12)
    load_resistance: float = _p(1e3, "resistor whose 4kT/R equals the receiver's thermal "
                                "noise, ohm", "~4 pA/sqrt(Hz), typical TIA input noise",
                                1e-3, 1e9)
    temperature: float = _p(300.0, "noise temperature, K", "room temperature", 1.0, 1000.0)
    responsivity_mismatch: float = _p(0.01, "relative responsivity mismatch of the pair",
                                      "~1 % matched Ge diodes", -0.5, 0.5)
    response_bandwidth: float = _p(40e9, "3-dB bandwidth of the photodiodes' response "
                                   "(single pole; the symbol-rate model), Hz",
                                   "Ge-on-Si waveguide p-i-n 40 GHz (Vivien et al., Opt. "
                                   "Express 17, 6252 (2009))", 1e3, 1e15)


@dataclass(frozen=True)
class TIAConfig(_Section):
    """Transimpedance amplifier after each balanced pair."""

    _name: ClassVar[str] = "tia"
    transimpedance: float = _p(5e3, "gain, V/A (used when adc.auto_range is false)",
                               "typical 1-10 kohm", 1e-3, 1e9)
    power: float = _p(2e-3, "static power per TIA, W",
                      "low-power CMOS TIAs ~0.1-0.5 pJ/bit at 10 Gb/s", 0.0, 10.0)
    bandwidth: float = _p(7e9, "3-dB bandwidth of the receiver after the photodiodes "
                          "(single pole; the symbol-rate model), Hz",
                          "0.7 x the symbol rate, the NRZ receiver rule (Razavi, Design of "
                          "Integrated Circuits for Optical Communications, 2nd ed., 2012)",
                          1e3, 1e15)


@dataclass(frozen=True)
class ADCConfig(_Section):
    """ADC after each TIA."""

    _name: ClassVar[str] = "adc"
    bits: int = _p(8, "ADC resolution, bits", "typical 6-8 bit 10 GS/s ADCs", 1, 24)
    full_scale: float = _p(0.5, "bipolar input full scale, V", "typical", 1e-9, 1e6)
    walden_fom: float = _p(50e-15, "Walden FoM, J per conversion step (E = FoM 2^ENOB)",
                           "Murmann ADC survey: 10-100 fJ/step above 1 GS/s", 0.0, 1e-6)
    auto_range: bool = _p(True, "set each bank's TIA gain and offset at programming so its "
                          "reachable output range fills the ADC (no clipping); false uses "
                          "tia.transimpedance with no offset", "programmable-gain receiver")


@dataclass(frozen=True)
class BankConfig(_Section):
    """How target weights become heater powers."""

    _name: ClassVar[str] = "bank"
    solver: str = _p("fast", "bank solver for the inverse and the realised weights",
                     "circuits.weight_bank", choices=("fast", "exact"))
    weight_margin: float = _p(0.98, "fraction of the symmetric reachable weight range used "
                              "by the largest |target|", "headroom for the inverse",
                              0.0, 1.0, low_inclusive=False)
    measure_readings: int = _p(65536, "symbols averaged per programming-time reading of the "
                               "offset reference and the auto-range (each input pattern is "
                               "read this many times through the noisy detectors and the ADC)",
                               "design choice: the reference error falls as "
                               "1/sqrt(readings)", 1, 10**7)


@dataclass(frozen=True)
class ErrorConfig(_Section):
    """One switch per error source; all false reproduces W x to float precision."""

    _name: ClassVar[str] = "errors"
    shot: bool = _p(True, "photodiode shot noise 2 q I B")
    thermal: bool = _p(True, "receiver thermal noise 4 k T B / R")
    rin: bool = _p(True, "laser relative intensity noise, per line, correlated across banks")
    rin_per_slot: bool = _p(False, "draw RIN per time slot: each row tile of a matrix taller "
                            "than the core its own draw (exact), instead of one draw per "
                            "sample shared by its row tiles", "RIN is 0.35 % of the default "
                            "chip's detector-noise variance for DFA errors; the exact draw "
                            "costs 2-3x the simulation time (README)")
    dac_quantization: bool = _p(True, "input DAC rounding of the pre-distorted drive")
    adc_quantization: bool = _p(True, "ADC rounding and saturation")
    modulator_extinction: bool = _p(True, "finite modulator extinction and its real transfer "
                                    "curve (off: ideal linear 0..1 transmission)")
    laser_power_spread: bool = _p(True, "fixed, uncalibrated line-to-line power spread")
    detector_mismatch: bool = _p(True, "balanced-pair responsivity mismatch")
    weight_bank: bool = _p(True, "physical weight bank (ring tails, inverse residual); off: "
                           "programmed weights realised exactly")
    thermal_crosstalk: bool = _p(True, "thermal crosstalk between heaters (needs weight_bank)")
    heater_quantization: bool = _p(True, "heater DAC rounding (needs weight_bank)")
    seed: int = _p(0, "default seed of the noise generator and of fixed patterns",
                   "", 0, 2**63 - 1)
    isi: bool = _p(False, "inter-symbol interference: the symbol-rate model of rings, "
                   "modulator, photodiodes and receiver (architecture.dynamics); off by "
                   "default, the static model of earlier releases")


@dataclass(frozen=True)
class PerfConfig(_Section):
    """Parameters used only by the performance model."""

    _name: ClassVar[str] = "perf"
    workload_inputs: int = _p(10, "inputs (columns) of the workload matrix; MAC/s counts "
                              "only channels that carry data, min(N, inputs / column_passes) "
                              "per pass; 0: every channel",
                              "DFA feedback B (800, 10) of MNIST: 10 of the 16 channels", 0,
                              1_000_000_000)
    compare_energy: float = _p(0.03e-12, "energy of one 8-bit digital comparison (the "
                               "per-sample max|x| of core.input_scaling = 'sample'), J",
                               "8-bit add, 45 nm: Horowitz, ISSCC 2014, 'Computing's energy "
                               "problem'", 0.0, 1e-9)
    multiply_energy: float = _p(0.2e-12, "energy of one 8-bit digital multiply (the "
                                "per-sample gain of core.input_scaling = 'sample'), J",
                                "8-bit multiply, 45 nm: Horowitz, ISSCC 2014", 0.0, 1e-9)
    column_passes: int = _p(1, "column-block passes per output of the workload matrix, "
                            "ceil(matrix inputs / core.n_inputs); with core.accumulation = "
                            "'integrate' one ADC conversion serves all of them",
                            "DFA feedback B (800, 10) of MNIST fits one 16-channel block", 1,
                            1_000_000)


@dataclass(frozen=True)
class LightConfig(_Section):
    """Light budget and optical nonlinearity of the rings (architecture.light_budget)."""

    _name: ClassVar[str] = "light"
    coupler_loss_db: float = _p(1.5, "fibre-to-chip coupler loss ahead of the modulators, dB "
                                "(the part of core.link_loss_db before them)",
                                "edge/grating couplers 1-3 dB (Marchetti et al., Photonics "
                                "Res. 7, 201 (2019))", 0.0, 60.0)
    absorbed_fraction: float = _p(0.3, "fraction of a ring's linear round-trip loss that is "
                                  "absorbed (heats the ring) rather than scattered",
                                  "surface-state absorption in Si wires and microdisks "
                                  "(Borselli et al., Opt. Express 13, 1515 (2005))", 0.0, 1.0)
    tpa_coefficient: float = _p(8e-12, "two-photon absorption coefficient of silicon, m/W "
                                "(0.8 cm/GW)", "Bristow et al., Appl. Phys. Lett. 90, 191104 "
                                "(2007)", 0.0, 1e-6)
    effective_area: float = _p(1e-13, "effective mode area of the ring waveguide, m^2",
                               "220 x 500 nm Si wire, ~0.1 um^2", 1e-16, 1e-6)
    carrier_lifetime: float = _p(1e-9, "free-carrier lifetime in the ring waveguide, s",
                                 "~0.5-1 ns in SOI rings (Barclay et al., Opt. Express 13, 801 "
                                 "(2005))", 0.0, 1e-3)
    fca_cross_section: float = _p(1.45e-21, "free-carrier absorption cross-section "
                                  "(electrons + holes), m^2", "Soref & Bennett, IEEE JQE 23, "
                                  "123 (1987)", 0.0, 1e-18)
    thermal_time_constant: float = _p(1e-6, "thermal response time of a ring, s: the "
                                      "self-heating follows the optical power averaged over "
                                      "it", "Si microring thermal response ~1-10 us (Harris et "
                                      "al., Opt. Express 22, 10487 (2014))", 1e-12, 1.0)
    max_shift_fraction: float = _p(0.1, "largest self-heating resonance shift, as a fraction "
                                   "of the ring's FWHM, that sets the maximum laser power per "
                                   "channel", "thermal bistability sets in as the shift nears "
                                   "the linewidth (Almeida & Lipson, Opt. Lett. 29, 2387 "
                                   "(2004))", 0.0, 10.0, low_inclusive=False)


_SECTIONS: dict[str, type[_Section]] = {
    "core": CoreConfig, "ring": RingConfig, "heater": HeaterConfig,
    "crosstalk": CrosstalkConfig, "laser": LaserConfig, "modulator": ModulatorConfig,
    "dac": DACConfig, "detector": DetectorConfig, "tia": TIAConfig, "adc": ADCConfig,
    "bank": BankConfig, "errors": ErrorConfig, "perf": PerfConfig, "light": LightConfig,
}


class Sections(TypedDict, total=False):
    """Keyword arguments of :meth:`ChipConfig.ideal`: any of the chip's sections."""

    core: CoreConfig
    ring: RingConfig
    heater: HeaterConfig
    crosstalk: CrosstalkConfig
    laser: LaserConfig
    modulator: ModulatorConfig
    dac: DACConfig
    detector: DetectorConfig
    tia: TIAConfig
    adc: ADCConfig
    bank: BankConfig
    errors: ErrorConfig
    perf: PerfConfig
    light: LightConfig


@dataclass(frozen=True)
class ChipConfig(_Section):
    """The whole chip: every section above. ``ChipConfig()`` is the documented default."""

    _name: ClassVar[str] = "chip"
    _subsections: ClassVar[dict[str, type[_Section]]] = _SECTIONS
    core: CoreConfig = field(default_factory=CoreConfig)
    ring: RingConfig = field(default_factory=RingConfig)
    heater: HeaterConfig = field(default_factory=HeaterConfig)
    crosstalk: CrosstalkConfig = field(default_factory=CrosstalkConfig)
    laser: LaserConfig = field(default_factory=LaserConfig)
    modulator: ModulatorConfig = field(default_factory=ModulatorConfig)
    dac: DACConfig = field(default_factory=DACConfig)
    detector: DetectorConfig = field(default_factory=DetectorConfig)
    tia: TIAConfig = field(default_factory=TIAConfig)
    adc: ADCConfig = field(default_factory=ADCConfig)
    bank: BankConfig = field(default_factory=BankConfig)
    errors: ErrorConfig = field(default_factory=ErrorConfig)
    perf: PerfConfig = field(default_factory=PerfConfig)
    light: LightConfig = field(default_factory=LightConfig)

    def __post_init__(self) -> None:
        super().__post_init__()
        self._check_band()

    def _check_band(self) -> None:
        """The channel band stays where the rings' first-order dispersion holds:
        ``n_eff(lambda) = n_eff - (n_g - n_eff)(lambda - lambda0)/lambda0 > 0`` at the longest
        channel wavelength (``lambda0`` the grid centre, as the ring template is built)."""
        c = 299_792_458.0
        n, df = self.core.n_inputs, self.laser.channel_spacing
        lam0 = self.laser.center_wavelength
        f_low = c / lam0 - 0.5 * (n - 1) * df
        band = (f"core.n_inputs={n} channels at laser.channel_spacing={df:g} Hz around "
                f"laser.center_wavelength={lam0:g} m")
        if f_low <= 0:
            raise ValueError(f"{band} reach below zero frequency; use fewer channels or a "
                             "narrower spacing")
        lam_max = c / f_low
        r = self.ring
        if r.n_eff - (r.n_g - r.n_eff) * (lam_max - lam0) / lam0 <= 0:
            raise ValueError(f"{band} reach {lam_max * 1e9:.0f} nm, where the rings' "
                             "first-order dispersion gives n_eff <= 0; use fewer channels or "
                             "a narrower spacing")

    @classmethod
    def ideal(cls, **sections: Unpack[Sections]) -> ChipConfig:
        """Default geometry with every error source off (the core then computes W x)."""
        switches = {f.name: False for f in fields(ErrorConfig) if f.name != "seed"}
        base = cls(**sections)
        return replace(base, errors=replace(base.errors, **switches))

    @classmethod
    def from_toml(cls, path: str | Path) -> ChipConfig:
        """Load a chip file; missing keys take defaults, unknown keys raise ValueError.

        One rule for every reader of a chip file: an optional ``[fabrication]`` table (how a
        fabricated chip departs from this design) is allowed and checked here too, so a file
        is valid or invalid for every command alike; it is used only where a fabricated
        chip is simulated (:func:`~photonic_dfa.architecture.fabricated.load_chip_toml`)."""
        data = read_toml(path, "chip configuration file")
        try:
            return cls._from_file_data(data)
        except ValueError as exc:  # a bad value: named with its file
            raise ValueError(f"{path}: {exc}") from None

    @classmethod
    def from_toml_string(cls, text: str) -> ChipConfig:
        """Parse TOML text (see :meth:`from_toml`)."""
        return cls._from_file_data(parse_toml(text, "chip configuration"))

    @classmethod
    def _from_file_data(cls, data: dict[str, object]) -> ChipConfig:
        if "fabrication" in data:
            from .fabricated import FabricationSpec

            data = dict(data)
            fab = data.pop("fabrication")
            if not isinstance(fab, dict):
                raise ValueError(f"fabrication must be a table, got {fab!r}")
            FabricationSpec.from_dict(fab)
        return cls.from_dict(data)

    def updated(self, **dotted: object) -> ChipConfig:
        """Copy with dotted keys changed, e.g. ``cfg.updated(**{"errors.shot": False})``."""
        data = self.to_dict()
        for key, value in dotted.items():
            parts = key.split(".")
            node = data
            for part in parts[:-1]:
                child = node.get(part)
                if not isinstance(child, dict):
                    raise ValueError(f"unknown configuration key {key!r}")
                node = child
            if parts[-1] not in node or isinstance(node[parts[-1]], dict):
                raise ValueError(f"unknown configuration key {key!r}")
            node[parts[-1]] = value
        return ChipConfig.from_dict(data)

    def to_toml(self, comments: bool = True) -> str:
        """TOML text that :meth:`from_toml_string` reads back to an equal config."""
        lines: list[str] = []
        _emit(self, "", lines, comments)
        return "\n".join(lines).strip() + "\n"

    def save(self, path: str | Path) -> Path:
        """Write :meth:`to_toml` atomically."""
        from photonic_dfa.base.atomic import atomic_write

        text = self.to_toml().encode()
        return atomic_write(path, lambda fh: fh.write(text))


def _fmt(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"cannot write non-finite value {v!r} to TOML")
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    raise ValueError(f"cannot write {type(v).__name__} to TOML")


def _emit(section: _Section, prefix: str, lines: list[str], comments: bool) -> None:
    subs = []
    if prefix:
        lines.append("")
        if comments and section.__doc__:
            lines.append(f"# {section.__doc__.strip().splitlines()[0]}")
        lines.append(f"[{prefix}]")
    for f in dataclasses.fields(section):  # type: ignore[arg-type]
        v = getattr(section, f.name)
        if isinstance(v, _Section):
            subs.append((f.name, v))
            continue
        if comments:
            doc = f.metadata.get("doc", "")
            src = f.metadata.get("source", "")
            lines.append(f"# {doc}" + (f" [source: {src}]" if src else ""))
        lines.append(f"{f.name} = {_fmt(v)}")
    for name, sub in subs:
        _emit(sub, f"{prefix}.{name}" if prefix else name, lines, comments)
