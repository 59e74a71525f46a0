"""Intensity modulators that encode inputs on WDM channels, with DAC and pre-distortion.

Both models are periodic in an optical phase ``phi(V)`` linear in drive voltage and
monotone on each half period ``[k pi, (k + 1) pi]``. A modulator is driven over
``[0, drive_swing]`` volts, which must stay on one such branch; there the transfer curve
has an exact analytic inverse, used to pre-distort inputs so that the optical transmission
is linear in the input ``x``:

``T(x) = T_min + x (T_max - T_min)``, ``V(x) = T^-1(T(x))`` quantised by a DAC of
``dac_bits`` over ``[0, drive_swing]`` (``2^b - 1`` equal steps, both ends exact).

Inverses use the half-angle form ``phi / 2 = atan2(sin, cos)``, accurate at both branch
ends (``arccos`` loses half the digits near its end points).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from photonic_dfa.base.arrays import FloatArray

from . import _optics as _o
from ._checks import array, integer, optional_scalar, scalar

__all__ = ["MachZehnderModulator", "RingModulator"]

_BRANCH_TOL = 1e-9  # rad: round-off allowance at branch ends


def _branch(phi0: float, phi1: float, name: str) -> int:
    """Index ``k`` of the half period ``[k pi, (k+1) pi]`` holding both phases."""
    lo, hi = min(phi0, phi1), max(phi0, phi1)
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError(f"{name}: the drive range gives a non-finite phase")
    k = int(np.floor(lo / np.pi + _BRANCH_TOL))
    if hi > (k + 1) * np.pi + _BRANCH_TOL:
        raise ValueError(f"{name}: the drive range spans phases [{lo:.6g}, {hi:.6g}] rad, "
                         "which crosses a turning point of the transfer curve; reduce "
                         "drive_swing or move the bias so it stays on one monotone branch")
    return k


def _phase_on_branch(sin_half_sq: FloatArray, cos_half_sq: FloatArray, k: int) -> FloatArray:
    """Phase on branch ``k`` from ``sin^2(phi/2)`` and ``cos^2(phi/2)`` (any scale)."""
    theta = 2.0 * np.arctan2(np.sqrt(np.maximum(sin_half_sq, 0.0)),
                             np.sqrt(np.maximum(cos_half_sq, 0.0)))  # in [0, pi]
    return k * np.pi + theta if k % 2 == 0 else (k + 1) * np.pi - theta


class _Encoder(ABC):
    """Transfer curve on a monotone branch, its inverse, and DAC encoding."""

    #: branch index of the operating half period, set by ``__post_init__``
    _k: int

    @abstractmethod
    def transmission(self, voltage: ArrayLike) -> FloatArray:
        """Optical power transmission at drive voltage ``voltage`` (V)."""

    @abstractmethod
    def _voltage_unchecked(self, t: FloatArray) -> FloatArray:
        """Drive voltage on the operating branch for transmissions already in range."""

    def _check_modulation(self) -> None:
        lo, hi = self.transmission_range
        if not hi > lo * (1.0 + 1e-9):
            raise ValueError(f"drive_swing={self._swing!r} V moves the transmission by less "
                             "than 1e-9 relative; no usable modulation")

    @property
    def transmission_range(self) -> tuple[float, float]:
        """(T_min, T_max) over the drive range ``[0, drive_swing]``."""
        t = self.transmission(np.array([0.0, self._swing]))
        return float(t.min()), float(t.max())

    @property
    def encoding_extinction_db(self) -> float:
        """``10 log10(T_max / T_min)`` over the drive range (inf if T_min = 0)."""
        lo, hi = self.transmission_range
        return float("inf") if lo == 0.0 else float(10.0 * np.log10(hi / lo))

    @property
    @abstractmethod
    def _swing(self) -> float:
        """Upper end of the drive range (V)."""

    def voltage_for_transmission(self, transmission: ArrayLike) -> FloatArray:
        """Exact inverse on the operating branch: the drive in ``[0, drive_swing]`` giving
        ``transmission`` (which must lie in :attr:`transmission_range`)."""
        lo, hi = self.transmission_range
        slack = 1e-12 * hi
        t = array("transmission", transmission, lo - slack, hi + slack)
        return np.clip(self._voltage_unchecked(np.clip(t, lo, hi)), 0.0, self._swing)

    def dac_step(self, dac_bits: int) -> float:
        """DAC voltage step ``drive_swing / (2^b - 1)``."""
        b = integer("dac_bits", dac_bits, 1, 24)
        return self._swing / (2.0**b - 1.0)

    def encode_voltage(self, x: ArrayLike, dac_bits: int | None = None) -> FloatArray:
        """Pre-distorted drive for inputs ``x`` in [0, 1], rounded to the DAC grid.

        ``dac_bits=None`` gives the unquantised (ideal) drive.
        """
        u = array("x", x, 0.0, 1.0)
        lo, hi = self.transmission_range
        v = self._voltage_unchecked(np.clip(lo + u * (hi - lo), lo, hi))
        v = np.clip(v, 0.0, self._swing)
        if dac_bits is None:
            return v
        step = self.dac_step(dac_bits)
        return np.clip(np.rint(v / step) * step, 0.0, self._swing)

    def encode(self, x: ArrayLike, dac_bits: int | None = None) -> FloatArray:
        """Transmission for inputs ``x`` in [0, 1]: ``T_min + x (T_max - T_min)`` up to the
        DAC rounding of the drive."""
        return self.transmission(self.encode_voltage(x, dac_bits))


@dataclass(frozen=True)
class MachZehnderModulator(_Encoder):
    """Mach-Zehnder intensity modulator with finite extinction.

    Unequal arm amplitudes ``a1 != a2`` leave ``T_min / T_max = ((a1-a2)/(a1+a2))^2 = eps``;
    written with ``eps = 10^(-ER/10)`` and ``IL = 10^(-IL_dB/10)``:

    ``T(V) = IL [eps + (1 - eps) cos^2(phi / 2)]``, ``phi = pi (V_bias + V) / V_pi``

    so ``T = IL`` at ``phi = 0`` and ``IL eps`` at ``phi = pi``.

    Typical carrier-depletion silicon MZMs: ``V_pi L`` of about 1.5-2.5 V cm, i.e.
    ``V_pi`` of a few volts for millimetre phase shifters; static extinction above 20 dB
    for a well-balanced interferometer; 2-6 dB insertion loss (Reed et al., Nat. Photonics
    4, 518 (2010)).

    Parameters
    ----------
    v_pi:
        Voltage for a pi phase change, in [1e-3, 1000] V.
    extinction_ratio_db:
        Static extinction ``T_max / T_min`` in dB, in (0, 80].
    insertion_loss_db:
        Excess loss in dB, in [0, 40].
    bias_voltage:
        DC voltage added to the drive, in [-1e4, 1e4] V; sets the operating point.
    drive_swing:
        Drive range ``[0, drive_swing]`` in V, in (0, 1e4]; ``None`` means ``v_pi`` (the
        full branch). The range must lie on one monotone half period.
    """

    v_pi: float = 3.0
    extinction_ratio_db: float = 25.0
    insertion_loss_db: float = 3.0
    bias_voltage: float = 0.0
    drive_swing: float | None = None

    def __post_init__(self) -> None:
        s = object.__setattr__
        s(self, "v_pi", scalar("v_pi", self.v_pi, 1e-3, 1e3))
        s(self, "extinction_ratio_db",
          scalar("extinction_ratio_db", self.extinction_ratio_db, 0.0, 80.0,
                 low_inclusive=False))
        s(self, "insertion_loss_db",
          scalar("insertion_loss_db", self.insertion_loss_db, 0.0, 40.0))
        s(self, "bias_voltage", scalar("bias_voltage", self.bias_voltage, -1e4, 1e4))
        s(self, "drive_swing",
          optional_scalar("drive_swing", self.drive_swing, 0.0, 1e4, low_inclusive=False))
        s(self, "_k", _branch(float(self._phase(0.0)), float(self._phase(self._swing)),
                              "MachZehnderModulator"))
        self._check_modulation()

    @property
    def _swing(self) -> float:
        return self.v_pi if self.drive_swing is None else self.drive_swing

    @property
    def _eps(self) -> float:
        return float(10.0 ** (-self.extinction_ratio_db / 10.0))

    @property
    def _il(self) -> float:
        return float(10.0 ** (-self.insertion_loss_db / 10.0))

    def _phase(self, v: ArrayLike) -> FloatArray:
        return np.pi * (self.bias_voltage + np.asarray(v, dtype=float)) / self.v_pi

    def transmission(self, voltage: ArrayLike) -> FloatArray:
        """``IL [eps + (1 - eps) cos^2(pi (V_bias + V) / (2 V_pi))]``."""
        v = array("voltage", voltage)
        power: FloatArray = _o.mzm_power(v, self.v_pi, self.bias_voltage, self._il, self._eps,
                                         np)
        return power

    def _voltage_unchecked(self, t: FloatArray) -> FloatArray:
        u = t / self._il
        phi = _phase_on_branch(1.0 - u, u - self._eps, self._k)
        return phi * self.v_pi / np.pi - self.bias_voltage


@dataclass(frozen=True)
class RingModulator(_Encoder):
    """All-pass microring modulator, its resonance shifted linearly by the drive.

    Through-port transmission (Bogaerts et al., Laser Photonics Rev. 6, 47 (2012)):

    ``T = IL (a^2 - 2 r a cos phi + r^2) / (1 - 2 r a cos phi + (r a)^2)``

    with ``phi(V) = 2 pi (delta - s V) / FSR`` the round-trip phase from resonance,
    ``delta`` the laser-minus-resonance detuning at 0 V and ``s`` the resonance shift per
    volt. ``T`` is monotone in ``cos phi``; on resonance ``T_min = IL (a - r)^2/(1 - a r)^2``,
    anti-resonance ``T_max = IL (a + r)^2 / (1 + a r)^2``.

    Typical carrier-depletion ring modulators shift by about 10-50 pm/V with 5-10 dB
    dynamic extinction (Reed et al., Nat. Photonics 4, 518 (2010)).

    Parameters
    ----------
    self_coupling:
        Field self-coupling ``r`` of the bus coupler, in (0, 1).
    round_trip_amplitude:
        ``a = exp(-alpha L / 2)``, in (0, 1) (a lossless all-pass ring cannot modulate
        intensity).
    fsr:
        Free spectral range in m, in [1e-12, 1e-6].
    resonance_shift_per_volt:
        ``s`` in m/V, non-zero, ``|s| <= 1e-9``; positive is a red shift.
    detuning:
        ``delta`` at 0 V in m, in [-1e-6, 1e-6].
    drive_swing:
        Drive range ``[0, drive_swing]`` in V, in (0, 100]; must stay on one monotone side
        of a resonance.
    insertion_loss_db:
        Excess loss outside the ring in dB, in [0, 40].
    """

    self_coupling: float = 0.98
    round_trip_amplitude: float = 0.99
    fsr: float = 10e-9
    resonance_shift_per_volt: float = 30e-12
    detuning: float = 0.0
    drive_swing: float = 2.0
    insertion_loss_db: float = 0.0

    def __post_init__(self) -> None:
        s = object.__setattr__
        s(self, "self_coupling",
          scalar("self_coupling", self.self_coupling, 0.0, 1.0, low_inclusive=False,
                 high_inclusive=False))
        s(self, "round_trip_amplitude",
          scalar("round_trip_amplitude", self.round_trip_amplitude, 0.0, 1.0,
                 low_inclusive=False, high_inclusive=False))
        s(self, "fsr", scalar("fsr", self.fsr, 1e-12, 1e-6))
        shift = scalar("resonance_shift_per_volt", self.resonance_shift_per_volt, -1e-9, 1e-9)
        if shift == 0.0:
            raise ValueError("resonance_shift_per_volt must be non-zero and in [-1e-09, 1e-09],"
                             " got 0.0")
        s(self, "resonance_shift_per_volt", shift)
        s(self, "detuning", scalar("detuning", self.detuning, -1e-6, 1e-6))
        s(self, "drive_swing",
          scalar("drive_swing", self.drive_swing, 0.0, 100.0, low_inclusive=False))
        s(self, "insertion_loss_db",
          scalar("insertion_loss_db", self.insertion_loss_db, 0.0, 40.0))
        s(self, "_k", _branch(float(self._phase(0.0)), float(self._phase(self.drive_swing)),
                              "RingModulator"))
        self._check_modulation()

    @property
    def _swing(self) -> float:
        return self.drive_swing

    @property
    def _il(self) -> float:
        return float(10.0 ** (-self.insertion_loss_db / 10.0))

    def _phase(self, v: ArrayLike) -> FloatArray:
        phase: FloatArray = _o.ring_modulator_phase(
            self.detuning, self.resonance_shift_per_volt, np.asarray(v, dtype=float), self.fsr)
        return phase

    @property
    def extinction_ratio_db(self) -> float:
        """Static extinction, anti-resonance over resonance, in dB (inf at critical
        coupling ``r = a``)."""
        a, r = self.round_trip_amplitude, self.self_coupling
        num = ((a + r) * (1.0 - a * r)) ** 2
        den = ((a - r) * (1.0 + a * r)) ** 2
        return float("inf") if den == 0.0 else float(10.0 * np.log10(num / den))

    @property
    def fwhm(self) -> float:
        """Full width at half maximum of the resonance dip in m (where
        ``T = IL (T_min/IL + 1) / 2``, exact for the Airy form):
        ``(2 FSR / pi) arcsin((1 - r a) / (2 sqrt(r a)))``."""
        ra = self.round_trip_amplitude * self.self_coupling
        arg = min(1.0, (1.0 - ra) / (2.0 * np.sqrt(ra)))
        return float(2.0 * self.fsr / np.pi * np.arcsin(arg))

    def transmission(self, voltage: ArrayLike) -> FloatArray:
        """Through-port power transmission at drive ``voltage`` (V).

        Evaluated as ``((a - r)^2 + 4ar sin^2(phi/2)) / ((1 - ar)^2 + 4ar sin^2(phi/2))``,
        algebraically the formula above but without the cancellation in ``1 - cos phi``
        that costs a high-Q ring several digits near resonance.
        """
        a, r = self.round_trip_amplitude, self.self_coupling
        s2 = 4.0 * a * r * np.sin(0.5 * self._phase(array("voltage", voltage))) ** 2
        return self._il * ((a - r) ** 2 + s2) / ((1.0 - a * r) ** 2 + s2)

    def _voltage_unchecked(self, t: FloatArray) -> FloatArray:
        # From T(cos phi): sin^2(phi/2) ~ u (1 - ar)^2 - (a - r)^2 and
        # cos^2(phi/2) ~ (a + r)^2 - u (1 + ar)^2, with the common factor 4ar(1 - u) dropped.
        a, r = self.round_trip_amplitude, self.self_coupling
        u = t / self._il
        phi = _phase_on_branch(u * (1.0 - a * r) ** 2 - (a - r) ** 2,
                               (a + r) ** 2 - u * (1.0 + a * r) ** 2, self._k)
        return (self.detuning - phi * self.fsr / (2.0 * np.pi)) / self.resonance_shift_per_volt
