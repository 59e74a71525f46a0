"""Photodetectors, balanced pairs and the analog-to-digital converter behind them.

Noise model (one-sided power spectral densities of the photocurrent, A^2/Hz; e.g.
Agrawal, *Fiber-Optic Communication Systems*, ch. 4):

- shot: ``2 q I`` with ``I = R P + I_dark``;
- thermal (Johnson) of the load or TIA feedback resistor: ``4 k_B T / R_load``;
- laser relative intensity noise: ``(R P)^2 10^(RIN/10)``.

Variances are PSD times the noise bandwidth ``B``. The terms are independent and, for the
photocurrents of interest (thousands of electrons per ``1/B``), Gaussian. Amplifier noise
of a TIA can be folded in by lowering ``load_resistance`` to the resistor whose
``4 k_B T / R`` equals the amplifier's input-referred current noise density.

WDM: pass per-channel powers and ``channel_axis``; the detector sums the channels' mean
currents and shot noise, and adds RIN per channel (the comb lines' intensity noise is taken
as independent between lines). Beat notes between channels fall at multiples of the
channel spacing, far above ``B``, and are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

import numpy as np
from numpy.typing import ArrayLike
from scipy import constants as _constants

from photonic_dfa.base.arrays import FloatArray

from ._checks import array, flag, generator, integer, optional_scalar, scalar

__all__ = ["Photodetector", "BalancedPhotodetector", "ADC", "effective_bits"]

#: Boltzmann constant (J/K) and elementary charge (C), typed (scipy ships no type information)
Boltzmann: float = _constants.Boltzmann
elementary_charge: float = _constants.elementary_charge

_RIN_RANGE = (-200.0, -60.0)  # dB/Hz


def _rin_linear(rin_db_per_hz: float | None) -> float:
    return 0.0 if rin_db_per_hz is None else 10.0 ** (rin_db_per_hz / 10.0)


def _sum_channels(p: FloatArray, channel_axis: int | None) -> tuple[FloatArray, FloatArray]:
    """(total power, sum of squared per-channel powers) along ``channel_axis``."""
    if channel_axis is None:
        return p, p * p
    try:
        return p.sum(axis=channel_axis), (p * p).sum(axis=channel_axis)
    except np.exceptions.AxisError:
        raise ValueError(f"channel_axis={channel_axis!r} is out of range for power of "
                         f"shape {p.shape}") from None


@dataclass(frozen=True)
class Photodetector:
    """A photodiode with load (or TIA) and its noise.

    Parameters
    ----------
    responsivity:
        ``R`` in A/W, in (0, 2]. Unity quantum efficiency gives ``q lambda / (h c)``,
        1.25 A/W at 1550 nm; germanium-on-silicon detectors reach about 0.8-1.1 A/W.
        No avalanche gain is modelled.
    dark_current:
        ``I_dark`` in A, in [0, 1e-3]; Ge-on-Si detectors: about 1-100 nA at reverse bias.
    bandwidth:
        Noise bandwidth ``B`` in Hz, in (0, 1e12].
    load_resistance:
        Resistor whose Johnson noise ``4 k_B T / R_load`` is the receiver's thermal noise,
        in ohm, in (0, 1e9].
    transimpedance:
        Current-to-voltage gain in ohm (V/A), in (0, 1e9]; ``None`` means a plain resistive
        load, gain ``= load_resistance``.
    temperature:
        Noise temperature in K, in (0, 1000].
    rin_db_per_hz:
        Relative intensity noise of the light reaching the detector in dB/Hz, in
        [-200, -60], or ``None`` for none. It is a property of the laser; the architecture
        copies :attr:`photonic_dfa.devices.laser.CombLaser.rin_db_per_hz` here.
    """

    responsivity: float = 1.0
    dark_current: float = 10e-9
    bandwidth: float = 10e9
    load_resistance: float = 1e3
    transimpedance: float | None = None
    temperature: float = 300.0
    rin_db_per_hz: float | None = None

    def __post_init__(self) -> None:
        s = object.__setattr__
        s(self, "responsivity",
          scalar("responsivity", self.responsivity, 0.0, 2.0, low_inclusive=False))
        s(self, "dark_current", scalar("dark_current", self.dark_current, 0.0, 1e-3))
        s(self, "bandwidth",
          scalar("bandwidth", self.bandwidth, 0.0, 1e12, low_inclusive=False))
        s(self, "load_resistance",
          scalar("load_resistance", self.load_resistance, 0.0, 1e9, low_inclusive=False))
        s(self, "transimpedance",
          optional_scalar("transimpedance", self.transimpedance, 0.0, 1e9,
                          low_inclusive=False))
        s(self, "temperature",
          scalar("temperature", self.temperature, 0.0, 1000.0, low_inclusive=False))
        s(self, "rin_db_per_hz",
          optional_scalar("rin_db_per_hz", self.rin_db_per_hz, *_RIN_RANGE))

    @property
    def gain(self) -> float:
        """Transimpedance in V/A (the load resistance if no TIA gain is given)."""
        return self.load_resistance if self.transimpedance is None else self.transimpedance

    @property
    def thermal_psd(self) -> float:
        """Johnson current-noise PSD ``4 k_B T / R_load`` (A^2/Hz)."""
        return 4.0 * Boltzmann * self.temperature / self.load_resistance

    @property
    def noise_equivalent_power(self) -> float:
        """Dark NEP ``sqrt(2 q I_dark + 4 k_B T / R_load) / R`` in W/sqrt(Hz)."""
        psd = 2.0 * elementary_charge * self.dark_current + self.thermal_psd
        return float(np.sqrt(psd) / self.responsivity)

    def current(self, power: ArrayLike, channel_axis: int | None = None) -> FloatArray:
        """Mean photocurrent ``R P + I_dark`` (A) for optical power ``P >= 0`` (W)."""
        total, _ = _sum_channels(array("power", power, 0.0), channel_axis)
        return self.responsivity * total + self.dark_current

    def noise_psd(self, power: ArrayLike, channel_axis: int | None = None
                  ) -> dict[str, FloatArray]:
        """One-sided current-noise PSDs (A^2/Hz): ``shot``, ``thermal``, ``rin``."""
        total, squares = _sum_channels(array("power", power, 0.0), channel_axis)
        mean = self.responsivity * total + self.dark_current
        return {
            "shot": 2.0 * elementary_charge * mean,
            "thermal": np.full(total.shape, self.thermal_psd),
            "rin": self.responsivity**2 * squares * _rin_linear(self.rin_db_per_hz),
        }

    def noise_breakdown(self, power: ArrayLike, channel_axis: int | None = None
                        ) -> dict[str, FloatArray]:
        """Current-noise variances (A^2) per source: each PSD times the bandwidth."""
        return {k: v * self.bandwidth for k, v in self.noise_psd(power, channel_axis).items()}

    def noise_variance(self, power: ArrayLike, channel_axis: int | None = None) -> FloatArray:
        """Total current-noise variance (A^2): shot + thermal + RIN, times ``B``."""
        return cast(FloatArray, sum(self.noise_breakdown(power, channel_axis).values()))

    def snr(self, power: ArrayLike, channel_axis: int | None = None) -> FloatArray:
        """Electrical signal-to-noise ratio ``(R P)^2 / sigma^2`` (linear)."""
        total, _ = _sum_channels(array("power", power, 0.0), channel_axis)
        return (self.responsivity * total) ** 2 / self.noise_variance(power, channel_axis)

    def sample(self, power: ArrayLike, rng: np.random.Generator | int,
               channel_axis: int | None = None) -> FloatArray:
        """Noisy photocurrent: mean plus Gaussian noise of :meth:`noise_variance`."""
        g = generator(rng)
        mean = self.current(power, channel_axis)
        std = np.sqrt(self.noise_variance(power, channel_axis))
        return mean + std * g.standard_normal(np.shape(mean))

    def voltage(self, current: ArrayLike) -> FloatArray:
        """Output voltage ``gain * I`` (V)."""
        return self.gain * array("current", current)


@dataclass(frozen=True)
class BalancedPhotodetector:
    """Two matched photodiodes in series: output current ``I_drop - I_thru``.

    The diodes' currents subtract at their common node, which feeds one load/TIA, so the
    thermal noise is counted once; the two diodes' shot noises are independent and add:
    ``2 q (I_drop + I_thru)``. Identical dark currents cancel in the mean (their shot noise
    does not). The laser's intensity fluctuation ``dP/P`` is common to both arms of a
    channel, so RIN follows the *difference*: ``(R_d P_d - R_t P_t)^2 RIN`` per channel; a
    perfectly balanced pair rejects common-mode power and its RIN exactly.

    Parameters
    ----------
    detector:
        The nominal :class:`Photodetector` used for both arms (its load, gain, bandwidth,
        temperature, dark current and RIN).
    responsivity_mismatch:
        Relative mismatch ``m`` in [-0.5, 0.5]: the drop diode has ``R (1 + m/2)``, the
        through diode ``R (1 - m/2)``.
    """

    detector: Photodetector = field(default_factory=Photodetector)
    responsivity_mismatch: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.detector, Photodetector):
            raise ValueError(f"detector must be a Photodetector, got {self.detector!r}")
        object.__setattr__(self, "responsivity_mismatch",
                           scalar("responsivity_mismatch", self.responsivity_mismatch,
                                  -0.5, 0.5))

    @property
    def responsivities(self) -> tuple[float, float]:
        """(drop, through) responsivities in A/W."""
        r, m = self.detector.responsivity, self.responsivity_mismatch
        return r * (1.0 + 0.5 * m), r * (1.0 - 0.5 * m)

    @property
    def bandwidth(self) -> float:
        """Noise bandwidth in Hz (the detector's)."""
        return self.detector.bandwidth

    @property
    def gain(self) -> float:
        """Transimpedance in V/A (the detector's)."""
        return self.detector.gain

    def _inputs(self, p_drop: ArrayLike, p_thru: ArrayLike
                ) -> tuple[FloatArray, FloatArray]:
        d = array("p_drop", p_drop, 0.0)
        t = array("p_thru", p_thru, 0.0)
        try:
            np.broadcast_shapes(d.shape, t.shape)
        except ValueError:
            raise ValueError(f"p_drop {d.shape} and p_thru {t.shape} do not broadcast") from None
        return d, t

    def current(self, p_drop: ArrayLike, p_thru: ArrayLike,
                channel_axis: int | None = None) -> FloatArray:
        """Mean output ``R_d P_drop - R_t P_thru`` (A); matched dark currents cancel."""
        d, t = self._inputs(p_drop, p_thru)
        rd, rt = self.responsivities
        sd, _ = _sum_channels(d, channel_axis)
        st, _ = _sum_channels(t, channel_axis)
        return rd * sd - rt * st

    def noise_psd(self, p_drop: ArrayLike, p_thru: ArrayLike,
                  channel_axis: int | None = None) -> dict[str, FloatArray]:
        """One-sided current-noise PSDs (A^2/Hz): ``shot``, ``thermal``, ``rin``."""
        d, t = self._inputs(p_drop, p_thru)
        d, t = np.broadcast_arrays(d, t)
        rd, rt = self.responsivities
        sd, _ = _sum_channels(d, channel_axis)
        st, _ = _sum_channels(t, channel_axis)
        diff = rd * d - rt * t
        _, diff_sq = _sum_channels(diff, channel_axis)
        det = self.detector
        return {
            "shot": 2.0 * elementary_charge * (rd * sd + rt * st + 2.0 * det.dark_current),
            "thermal": np.full(sd.shape, det.thermal_psd),
            "rin": diff_sq * _rin_linear(det.rin_db_per_hz),
        }

    def noise_breakdown(self, p_drop: ArrayLike, p_thru: ArrayLike,
                        channel_axis: int | None = None) -> dict[str, FloatArray]:
        """Current-noise variances (A^2) per source."""
        psd = self.noise_psd(p_drop, p_thru, channel_axis)
        return {k: v * self.bandwidth for k, v in psd.items()}

    def noise_variance(self, p_drop: ArrayLike, p_thru: ArrayLike,
                       channel_axis: int | None = None) -> FloatArray:
        """Total output current-noise variance (A^2)."""
        return cast(FloatArray, sum(self.noise_breakdown(p_drop, p_thru, channel_axis).values()))

    def sample(self, p_drop: ArrayLike, p_thru: ArrayLike, rng: np.random.Generator | int,
               channel_axis: int | None = None) -> FloatArray:
        """Noisy output current: mean plus Gaussian noise of :meth:`noise_variance`."""
        g = generator(rng)
        mean = self.current(p_drop, p_thru, channel_axis)
        std = np.sqrt(self.noise_variance(p_drop, p_thru, channel_axis))
        return mean + std * g.standard_normal(np.shape(mean))

    def voltage(self, current: ArrayLike) -> FloatArray:
        """Output voltage ``gain * I`` (V)."""
        return self.detector.voltage(current)


def effective_bits(rms_error: ArrayLike, full_range: ArrayLike) -> FloatArray:
    """Effective number of bits ``log2(full_range / (rms_error sqrt(12)))``.

    An ideal b-bit quantiser over ``full_range`` has error ``lsb / sqrt(12)`` with
    ``lsb = full_range / 2^b`` and so scores exactly ``b``. Both arguments are positive and
    broadcast.
    """
    e = array("rms_error", rms_error, 0.0, low_inclusive=False)
    r = array("full_range", full_range, 0.0, low_inclusive=False)
    bits: FloatArray = np.log2(r / (e * np.sqrt(12.0)))
    return bits


@dataclass(frozen=True)
class ADC:
    """Uniform mid-tread quantiser with saturation, as in a two's-complement ADC.

    Bipolar (default): codes ``-2^(b-1) .. 2^(b-1) - 1`` over [-FS, FS), ``lsb = 2 FS / 2^b``.
    Unipolar: codes ``0 .. 2^b - 1`` over [0, FS), ``lsb = FS / 2^b``. Output value
    ``code * lsb``, so zero is exact. Inputs beyond the outermost codes by more than
    ``lsb / 2`` saturate and are counted as clipped.

    Parameters
    ----------
    bits:
        Resolution, integer in [1, 24].
    full_scale:
        ``FS`` in the units of the quantised signal (V, A, or a normalised weight), in
        [1e-12, 1e6].
    unipolar:
        ``True`` for the range [0, FS).
    """

    bits: int = 8
    full_scale: float = 1.0
    unipolar: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "bits", integer("bits", self.bits, 1, 24))
        object.__setattr__(self, "full_scale",
                           scalar("full_scale", self.full_scale, 1e-12, 1e6))
        object.__setattr__(self, "unipolar", flag("unipolar", self.unipolar))

    @property
    def full_range(self) -> float:
        """Width of the input range: ``FS`` (unipolar) or ``2 FS`` (bipolar)."""
        return self.full_scale if self.unipolar else 2.0 * self.full_scale

    @property
    def lsb(self) -> float:
        """Quantisation step ``full_range / 2^bits``."""
        return self.full_range / 2.0**self.bits

    @property
    def code_range(self) -> tuple[int, int]:
        """(lowest, highest) integer code."""
        if self.unipolar:
            return 0, 2**self.bits - 1
        return -(2 ** (self.bits - 1)), 2 ** (self.bits - 1) - 1

    @property
    def sqnr_db(self) -> float:
        """Ideal signal-to-quantisation-noise ratio for a full-range sine:
        ``6.02 b + 1.76`` dB (exactly ``20 log10(2^b sqrt(1.5))``)."""
        return float(20.0 * np.log10(2.0**self.bits * np.sqrt(1.5)))

    def codes_with_clip_count(self, x: ArrayLike) -> tuple[FloatArray, int]:
        """Integer codes (int64) of ``x`` and the number of saturated samples."""
        v = array("x", x)
        lo, hi = self.code_range
        with np.errstate(over="ignore"):
            raw = np.rint(v / self.lsb)
        clipped = int(np.count_nonzero((raw < lo) | (raw > hi)))
        return np.clip(raw, lo, hi).astype(np.int64), clipped

    def codes(self, x: ArrayLike) -> FloatArray:
        """Integer codes (int64) of ``x``, saturating at the ends."""
        return self.codes_with_clip_count(x)[0]

    def quantize_with_clip_count(self, x: ArrayLike) -> tuple[FloatArray, int]:
        """Quantised values ``code * lsb`` and the number of clipped samples."""
        c, clipped = self.codes_with_clip_count(x)
        return c * self.lsb, clipped

    def quantize(self, x: ArrayLike) -> FloatArray:
        """Quantised values ``code * lsb`` (saturating)."""
        return self.quantize_with_clip_count(x)[0]

    def from_codes(self, codes: ArrayLike) -> FloatArray:
        """Values of integer codes (each within :attr:`code_range`)."""
        lo, hi = self.code_range
        c = array("codes", codes, lo, hi)
        if np.any(c != np.rint(c)):
            raise ValueError("codes must be integers")
        return c * self.lsb
