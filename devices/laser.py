"""WDM light source: a frequency comb (or laser array) on a uniform channel grid.

Channels sit on a grid uniform in optical frequency, as the ITU-T G.694.1 DWDM grid
(e.g. 50, 100 or 200 GHz spacing; the 193.1 THz anchor is not enforced). Channel ``k``
(``k = 0 .. N-1``) is ordered by ascending wavelength:

``f_k = f_c - (k - (N - 1) / 2) df``, ``lambda_k = c / f_k``, ``f_c = c / lambda_c``.

Per-channel power varies from line to line (comb envelope, laser-array spread); it is
modelled as log-normal with mean ``P`` and relative standard deviation ``s``, so powers stay
positive. Relative intensity noise gives an optical power variance ``P^2 10^(RIN/10) B``.

Typical values (order of magnitude only): DFB lasers about -150 to -160 dB/Hz RIN and
10-30 % wall-plug efficiency; comb sources (Kerr microcombs, quantum-dot mode-locked
lasers) up to a few mW per line, RIN per line of about -120 to -150 dB/Hz, and a few per
cent wall-plug efficiency or less.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import constants as _constants

from photonic_dfa.base.arrays import FloatArray, IntArray

from ._checks import array, generator, integer, optional_scalar, scalar

#: speed of light in vacuum (m/s), typed (scipy ships no type information)
speed_of_light: float = _constants.speed_of_light

__all__ = ["ChannelGrid", "CombLaser"]

_MAX_CHANNELS = 4096


@dataclass(frozen=True)
class ChannelGrid:
    """Uniform optical-frequency grid of ``n_channels`` WDM channels.

    Parameters
    ----------
    n_channels:
        Number of channels, integer in [1, 4096].
    channel_spacing:
        Frequency spacing ``df`` in Hz, in (0, 10e12].
    center_wavelength:
        Vacuum wavelength of the grid centre in m, in [200e-9, 20e-6].

    The lowest channel frequency must stay above zero (checked).
    """

    n_channels: int = 16
    channel_spacing: float = 100e9
    center_wavelength: float = 1550e-9

    def __post_init__(self) -> None:
        s = object.__setattr__
        s(self, "n_channels", integer("n_channels", self.n_channels, 1, _MAX_CHANNELS))
        s(self, "channel_spacing",
          scalar("channel_spacing", self.channel_spacing, 0.0, 10e12, low_inclusive=False))
        s(self, "center_wavelength",
          scalar("center_wavelength", self.center_wavelength, 200e-9, 20e-6))
        lowest = self.center_frequency - 0.5 * (self.n_channels - 1) * self.channel_spacing
        if lowest <= 0.0:
            raise ValueError(f"channel_spacing={self.channel_spacing!r} Hz with n_channels="
                             f"{self.n_channels} puts the lowest channel at {lowest:g} Hz; "
                             "the band must stay above zero frequency")

    @property
    def center_frequency(self) -> float:
        """``f_c = c / lambda_c`` in Hz."""
        return speed_of_light / self.center_wavelength

    @property
    def frequencies(self) -> FloatArray:
        """Channel frequencies in Hz, descending (ascending wavelength), shape ``(N,)``."""
        offsets = np.arange(self.n_channels, dtype=np.float64) - 0.5 * (self.n_channels - 1)
        return self.center_frequency - offsets * self.channel_spacing

    @property
    def wavelengths(self) -> FloatArray:
        """Channel vacuum wavelengths in m, ascending, shape ``(N,)``."""
        return speed_of_light / self.frequencies

    @property
    def spacing_wavelength(self) -> float:
        """Wavelength spacing at the centre, ``lambda_c^2 df / c`` (m; first order)."""
        return self.center_wavelength**2 * self.channel_spacing / speed_of_light

    @property
    def span_wavelength(self) -> float:
        """Wavelength span from first to last channel (m)."""
        w = self.wavelengths
        return float(w[-1] - w[0])

    def nearest_channel(self, wavelength: ArrayLike) -> IntArray:
        """Index of the channel nearest in frequency to each ``wavelength`` (m), clipped
        to ``[0, N-1]``."""
        w = array("wavelength", wavelength, 0.0, low_inclusive=False)
        offset = (self.center_frequency - speed_of_light / w) / self.channel_spacing
        k = np.rint(offset + 0.5 * (self.n_channels - 1))
        return np.clip(k, 0, self.n_channels - 1).astype(np.int64)


@dataclass(frozen=True)
class CombLaser:
    """Multi-wavelength source feeding the WDM bus.

    Parameters
    ----------
    n_channels, channel_spacing, center_wavelength:
        The :class:`ChannelGrid` (channel spacing in Hz).
    power_per_channel:
        Nominal optical power per line in W, in (0, 10].
    power_spread:
        Relative standard deviation ``s`` of line powers, in [0, 1].
    rin_db_per_hz:
        Relative intensity noise in dB/Hz, in [-200, -60], or ``None`` for none.
    wall_plug_efficiency:
        Optical output over electrical input, in (0, 1].
    """

    n_channels: int = 16
    channel_spacing: float = 100e9
    center_wavelength: float = 1550e-9
    power_per_channel: float = 1e-3
    power_spread: float = 0.0
    rin_db_per_hz: float | None = -150.0
    wall_plug_efficiency: float = 0.1

    def __post_init__(self) -> None:
        grid = ChannelGrid(self.n_channels, self.channel_spacing, self.center_wavelength)
        s = object.__setattr__
        s(self, "n_channels", grid.n_channels)
        s(self, "channel_spacing", grid.channel_spacing)
        s(self, "center_wavelength", grid.center_wavelength)
        s(self, "power_per_channel",
          scalar("power_per_channel", self.power_per_channel, 0.0, 10.0,
                 low_inclusive=False))
        s(self, "power_spread", scalar("power_spread", self.power_spread, 0.0, 1.0))
        s(self, "rin_db_per_hz",
          optional_scalar("rin_db_per_hz", self.rin_db_per_hz, -200.0, -60.0))
        s(self, "wall_plug_efficiency",
          scalar("wall_plug_efficiency", self.wall_plug_efficiency, 0.0, 1.0,
                 low_inclusive=False))

    @property
    def grid(self) -> ChannelGrid:
        """The channel grid."""
        return ChannelGrid(self.n_channels, self.channel_spacing, self.center_wavelength)

    @property
    def frequencies(self) -> FloatArray:
        """Channel frequencies in Hz (descending; channel 0 has the shortest wavelength)."""
        return self.grid.frequencies

    @property
    def wavelengths(self) -> FloatArray:
        """Channel wavelengths in m, ascending."""
        return self.grid.wavelengths

    @property
    def total_optical_power(self) -> float:
        """Nominal total optical power ``N P`` in W."""
        return self.n_channels * self.power_per_channel

    @property
    def electrical_power(self) -> float:
        """Electrical power drawn, ``N P / wall_plug_efficiency`` in W."""
        return self.total_optical_power / self.wall_plug_efficiency

    @property
    def rin_linear(self) -> float:
        """RIN as a linear PSD ``10^(RIN/10)`` in 1/Hz (0 without RIN)."""
        return 0.0 if self.rin_db_per_hz is None else 10.0 ** (self.rin_db_per_hz / 10.0)

    def channel_powers(self, rng: np.random.Generator | int | None = None) -> FloatArray:
        """Per-channel optical powers in W, shape ``(N,)``.

        ``rng=None`` gives the nominal powers. Otherwise one draw of the line-to-line
        spread: ``P exp(sigma z - sigma^2 / 2)``, ``z ~ N(0, 1)``,
        ``sigma^2 = ln(1 + s^2)``, which has mean ``P`` and relative std ``s``. The same
        generator state gives the same powers, bit for bit; the generator advances by N
        normal draws whatever ``s`` is, so sweeps over ``s`` share random numbers.
        """
        nominal = np.full(self.n_channels, self.power_per_channel)
        if rng is None:
            return nominal
        z = generator(rng).standard_normal(self.n_channels)
        if self.power_spread == 0.0:
            return nominal
        sigma = np.sqrt(np.log1p(self.power_spread**2))
        drawn: FloatArray = nominal * np.exp(sigma * z - 0.5 * sigma**2)
        return drawn

    def rin_variance(self, bandwidth: ArrayLike, power: ArrayLike | None = None) -> FloatArray:
        """Optical power variance from RIN, ``P^2 10^(RIN/10) B`` in W^2.

        ``power`` defaults to the nominal per-channel power; arguments broadcast.
        """
        b = array("bandwidth", bandwidth, 0.0)
        p = (np.asarray(self.power_per_channel) if power is None
             else array("power", power, 0.0))
        return p * p * self.rin_linear * b
