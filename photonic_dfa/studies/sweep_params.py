"""What a sweep can vary and what it reports: the parameters, options and figures.

Definitions of every figure are in :mod:`photonic_dfa.studies.sweep` (module docstring)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from photonic_dfa.base.validation import check_int, check_scalar

_C = 299_792_458.0
#: Part of every task's cache key: bump it when a figure's definition or model changes, so a
#: cached sweep is recomputed rather than mixed with the new definitions.
FIGURES_VERSION = 2


@dataclass(frozen=True)
class Parameter:
    """A sweepable device parameter: its config key (or derivation), unit and physical range."""

    name: str
    doc: str
    unit: str
    low: float
    high: float
    low_inclusive: bool = True
    high_inclusive: bool = True
    integer: bool = False
    #: plot axis: label unit and scale from SI
    display_unit: str = ""
    display_scale: float = 1.0
    log: bool = False
    #: dotted ChipConfig key set directly, or "" for a derived one
    key: str = ""

    def check(self, value: Any) -> float | int:
        if self.integer:
            return check_int(self.name, value, int(self.low), int(self.high))
        return check_scalar(self.name, value, self.low, self.high,
                            low_inclusive=self.low_inclusive, high_inclusive=self.high_inclusive)


PARAMETERS: dict[str, Parameter] = {p.name: p for p in (
    Parameter("radius", "ring radius (template, before per-channel tuning)", "m", 1e-6, 1e-3,
              display_unit="um", display_scale=1e6, key="ring.radius"),
    Parameter("r", "field self-coupling r1 = r2 of each bus coupler", "", 0.0, 1.0,
              low_inclusive=False, high_inclusive=False),
    Parameter("gap", "ring-bus gap (exponential coupler model, fitted 50-200 nm, radius "
              "3-18 um)", "m", 50e-9, 200e-9, display_unit="nm", display_scale=1e9),
    Parameter("q_loaded", "loaded Q of each ring", "", 10.0, 1e7, log=True,
              key="ring.q_loaded"),
    Parameter("loss_db_per_cm", "waveguide propagation loss", "dB/cm", 0.0, 1000.0,
              display_unit="dB/cm", key="ring.loss_db_per_cm"),
    Parameter("channel_spacing", "WDM channel spacing (frequency)", "Hz", 1e6, 10e12,
              display_unit="GHz", display_scale=1e-9, key="laser.channel_spacing"),
    Parameter("n_channels", "WDM channels = rings per bank", "", 1, 256, integer=True,
              key="core.n_inputs"),
    Parameter("thermal_resistance", "heater-to-waveguide thermal resistance R_th", "K/W",
              1.0, 1e7, display_unit="K/mW", display_scale=1e-3, log=True,
              key="heater.thermal_resistance"),
    Parameter("tuning_efficiency", "heater tuning efficiency: resonance shift per heater "
              "power (sets R_th = eff n_g / (lambda dn/dT))", "m/W", 1e-9, 1e-3,
              display_unit="nm/mW", display_scale=1e6, log=True),
    Parameter("heater_resistance", "heater electrical resistance", "ohm", 1e-3, 1e9,
              display_unit="ohm", log=True, key="heater.resistance"),
    Parameter("heater_max_power", "largest heater power (driver limit)", "W", 1e-6, 10.0,
              display_unit="mW", display_scale=1e3, key="heater.max_power"),
    Parameter("symbol_rate", "input symbol rate; the receiver is designed for it: noise "
              "bandwidth R/2 (detector.bandwidth) and 3-dB bandwidth 0.7 R (tia.bandwidth)",
              "Bd", 1.0, 1e12, display_unit="GBd", display_scale=1e-9, log=True,
              key="core.symbol_rate"),
    Parameter("laser_power", "optical power per comb line at the laser", "W", 1e-12, 10.0,
              display_unit="mW", display_scale=1e3, log=True,
              key="laser.power_per_channel"),
)}

_EXCLUSIVE = (("r", "gap", "q_loaded"), ("thermal_resistance", "tuning_efficiency"))

#: Evaluation options (not swept): name -> (default, doc). Part of every task's cache key.
OPTIONS: dict[str, tuple[Any, str]] = {
    "seed": (0, "seed of the fabricated chip, the random weights and the MNIST run"),
    "calibrate": (True, "calibrate a fabricated chip for weight_bits (false: design-chip "
                  "estimate, much faster)"),
    "performance": (True, "run the performance model (MAC/s, pJ/MAC, hold power)"),
    "cal_banks": (2, "weight banks of the fabricated chip that is calibrated"),
    "weight_samples": (32, "random weight vectors for the design-chip weight error"),
    "mnist_epochs": (0, "epochs of photonic-DFA MNIST training per point (0: none)"),
    "mnist_subset": (5000, "training images of the MNIST run"),
    "mnist_hidden": (256, "width of each of the two hidden layers of the MNIST run"),
    "mnist_data": ("mnist", "'mnist' or 'synthetic' (a small stand-in, for tests)"),
    "mac_samples": (0, "DFA products B e (B 800x10) measured on the design chip for the "
                    "MAC effective bits, with and without ISI (0: skip)"),
}

#: Output figures: name -> (unit, definition, display unit, display scale, log axis).
FIGURES: dict[str, tuple[str, str, str, float, bool]] = {
    "q_loaded": ("", "loaded Q lambda / FWHM", "", 1.0, True),
    "q_intrinsic": ("", "intrinsic Q pi n_g L sqrt(a) / (lambda (1 - a))", "", 1.0, True),
    "fwhm": ("m", "loaded linewidth", "pm", 1e12, True),
    "fsr": ("m", "free spectral range lambda^2 / (n_g L)", "nm", 1e9, False),
    "finesse": ("", "FSR / FWHM", "", 1.0, True),
    "extinction_ratio_db": ("dB", "through-port max/min (symmetric add-drop ring)", "dB",
                            1.0, False),
    "drop_loss_db": ("dB", "-10 log10 of the drop transmission on resonance", "dB", 1.0,
                     False),
    "coupling_r": ("", "field self-coupling r1 = r2", "", 1.0, False),
    "coupling_gap": ("m", "ring-bus gap for r (coupler model; empty outside its fit)", "nm",
                     1e9, False),
    "channel_spacing_wavelength": ("m", "channel spacing lambda^2 d_f / c", "nm", 1e9, False),
    "channels_per_fsr": ("", "floor(FSR / channel spacing)", "", 1.0, False),
    "fits_fsr": ("", "1 if n_channels <= channels_per_fsr", "", 1.0, False),
    "crosstalk_db": ("dB", "worst drop of another channel relative to the ring's own "
                     "(module docstring)", "dB", 1.0, False),
    "solver_weight_error": ("", "rms exact - fast bank weight (coherent crosstalk)", "",
                            1.0, True),
    "weight_range": ("", "symmetric programmable weight range of the design bank", "", 1.0,
                     False),
    "weight_bits_design": ("bits", "design chip, own inverse, heater-DAC rounding", "bits",
                           1.0, False),
    "weight_bits": ("bits", "calibrated effective bits (weight_bits_source)", "bits", 1.0,
                    False),
    "weight_bits_source": ("", "'calibrated', or 'design' with the reason", "", 1.0, False),
    "weight_range_calibrated": ("", "measured symmetric weight range of the calibrated chip",
                                "", 1.0, False),
    "rings_working": ("", "fraction of the calibrated chip's rings found working", "", 1.0,
                      False),
    "cal_measurements": ("", "detector readings the calibration took", "", 1.0, True),
    "heater_power_fsr": ("W", "heater power for one FSR of tuning (full range)", "mW", 1e3,
                         True),
    "heater_voltage_fsr": ("V", "drive voltage sqrt(P_FSR R) for one FSR", "V", 1.0, True),
    "heater_power_channel": ("W", "heater power for one channel spacing", "mW", 1e3, True),
    "fsr_reachable": ("", "1 if heater_power_fsr <= heater max_power", "", 1.0, False),
    "heater_power_hold": ("W", "mean hold power per ring (performance model)", "mW", 1e3,
                          True),
    "mac_per_s": ("MAC/s", "N M f_s / passes", "TMAC/s", 1e-12, True),
    "energy_per_mac": ("J", "total power / MAC/s", "pJ/MAC", 1e12, True),
    "power_total": ("W", "total chip power (performance model)", "W", 1.0, True),
    "analog_bits": ("bits", "detector-limited resolution (performance model)", "bits", 1.0,
                    False),
    "isi_rms": ("", "estimated rms inter-symbol interference per unit symbol rms "
                "(real-pole cascade: modulator, ring, photodiode, receiver; "
                "architecture.dynamics)", "", 1.0, True),
    "isi_bits": ("bits", "log2(1 / isi_rms): the ISI of a symbol uniform over its range as "
                 "effective bits", "bits", 1.0, False),
    "mac_bits": ("bits", "effective bits of simulated DFA products B e (800x10, design "
                 "chip, every error on including ISI, errors.isi)", "bits", 1.0, False),
    "mac_bits_static": ("bits", "the same without ISI (static model)", "bits", 1.0, False),
    "received_power": ("W", "drop power of one channel at full input and the largest weight "
                       "(light budget, architecture.light_budget)", "uW", 1e6, True),
    "snr_db": ("dB", "SNR of that channel's drop current over the receiver noise", "dB", 1.0,
               False),
    "max_laser_power": ("W", "largest laser power per channel: a ring's self-heating shift "
                        "reaches light.max_shift_fraction of its FWHM", "mW", 1e3, True),
    "self_heating_shift": ("", "worst ring's self-heating resonance shift at the configured "
                           "laser power, in FWHM", "", 1.0, True),
    "nonlinear_bits": ("bits", "self-heating, TPA and free-carrier error as effective bits",
                       "bits", 1.0, False),
    "light_bits": ("bits", "detector noise and optical nonlinearity combined (light budget): "
                   "the laser-power optimum", "bits", 1.0, False),
    "mnist_test_acc": ("", "MNIST 10k test accuracy after photonic-DFA training", "%",
                       100.0, False),
    "mnist_chip": ("", "chip that computed the feedback: 'calibrated' (fabricated) or "
                   "'design'", "", 1.0, False),
    "notes": ("", "model warnings and figures not computed, with the reason", "", 1.0, False),
    "eval_seconds": ("s", "wall time of the point's evaluation", "s", 1.0, False),
}


