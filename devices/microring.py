"""Microring resonators: all-pass and add-drop, field and power responses, derived figures.

Model (W. Bogaerts et al., "Silicon microring resonators", Laser Photonics Rev. 6, 47, 2012):

- round-trip length ``L = 2 pi radius + 2 coupler_length``
- round-trip amplitude ``a = exp(-alpha L / 2)``, ``alpha = loss_db_per_cm * 100 ln(10) / 10`` (1/m)
- effective index with first-order dispersion and thermo-optic shift
  ``n_eff(lambda, dT) = n_eff0 - (n_g - n_eff0)(lambda - lambda0)/lambda0 + dn_dT dT``
- round-trip phase ``phi = 2 pi n_eff L / lambda``

All-pass (self-coupling ``r``), through field ``t = (r - a e^{i phi}) / (1 - r a e^{i phi})``.
Add-drop (``r1`` input side, ``r2`` drop side):
``t = (r1 - r2 a e^{i phi}) / (1 - r1 r2 a e^{i phi})``,
``d = -k1 k2 sqrt(a) e^{i phi/2} / (1 - r1 r2 a e^{i phi})`` with ``k = sqrt(1 - r^2)``.
Their squared magnitudes are the power formulas of ``docs/physics.md``.

Time response (coupled-mode theory, H. A. Haus, *Waves and Fields in Optoelectronics*,
Prentice-Hall 1984, ch. 7): the ring's mode amplitude ``A`` obeys
``dA/dt = (j omega0 - 1/tau) A - j mu1 s_in``, drop ``s_d = -j mu2 A``, through
``s_t = s_in - j mu1 A``, with the amplitude decay time ``tau = 2 Q_L / omega0`` (energy
lifetime ``Q_L / omega0``). In the frame of a carrier detuned by ``delta`` from the
resonance the envelope is a single complex pole ``p = (1 - j delta tau) / tau``: on resonance
a real low-pass whose 3-dB bandwidth is half the ring's FWHM in frequency. Its static
limits are the Lorentzian high-finesse forms of the field responses above.

Every response broadcasts over ``wavelength``, ``delta_t`` (temperature offset, K) and
``phase`` (extra round-trip phase, rad) with numpy rules. The power responses run in a fused
numba kernel (:mod:`._ring_kernels`); with scalar ``delta_t`` and ``phase`` the wavelengths are
validated inside the same pass. Wavelengths must lie in [100 nm, 100 um] and temperature offsets
in [-1000, 1000] K.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, ClassVar, Literal, Self, overload

import numpy as np
from numpy.typing import ArrayLike

from photonic_dfa.base.arrays import ComplexArray, FloatArray
from photonic_dfa.base.validation import check_broadcast

from . import _optics as _o
from . import _ring_kernels as _k
from ._checks import array as _array
from ._checks import scalar as _scalar

__all__ = [
    "AllPassRing",
    "symbol_response",
    "power_enhancement",
    "AddDropRing",
    "db_per_cm_to_alpha",
    "alpha_to_db_per_cm",
    "SILICON_DN_DT",
]

#: Thermo-optic coefficient of crystalline silicon near 1550 nm and 300 K (1/K);
#: Komma et al., Appl. Phys. Lett. 101, 041905 (2012): 1.86e-4 /K.
SILICON_DN_DT = 1.86e-4

#: Speed of light in vacuum (m/s), exact (SI 2019).
SPEED_OF_LIGHT = 299_792_458.0

#: Wavelengths accepted anywhere (m): 100 nm to 100 um.
_WL_RANGE = (1e-7, 1e-4)
#: Temperature offsets accepted (K); far beyond any silicon device's life.
_DT_RANGE = (-1000.0, 1000.0)
#: Extra round-trip phases accepted (rad): beyond ~1e12 rad a double keeps no fraction of a
#: cycle, so the response would be noise (or NaN) rather than physics.
_PHASE_RANGE = (-1e12, 1e12)
#: Most resonances :meth:`_RingBase.resonances` will list.
_MAX_RESONANCES = 1_000_000


def db_per_cm_to_alpha(loss_db_per_cm: ArrayLike) -> FloatArray:
    """Power attenuation alpha (1/m) from dB/cm: ``alpha = L_dB 100 ln10 / 10``."""
    return np.asarray(loss_db_per_cm, dtype=float) * 100.0 * math.log(10.0) / 10.0


def alpha_to_db_per_cm(alpha: ArrayLike) -> FloatArray:
    """Inverse of :func:`db_per_cm_to_alpha`."""
    return np.asarray(alpha, dtype=float) * 10.0 / (100.0 * math.log(10.0))


def _wavelengths(value: ArrayLike) -> FloatArray:
    return _array("wavelength", value, *_WL_RANGE)


def _optional_wavelength(ring: _RingBase, value: ArrayLike | None) -> FloatArray | float:
    return ring.wavelength0 if value is None else _wavelengths(value)


def _scalar_or_none(name: str, value: ArrayLike, low: float, high: float) -> float | None:
    """``value`` as a checked float if it is a scalar, ``None`` if it is an array."""
    if type(value) is float and low <= value <= high and math.isfinite(value):
        return value  # the common case, without the general checker's cost
    try:
        scalar = np.ndim(value) == 0
    except ValueError:  # ragged nesting: let the array checker name it
        return None
    return _scalar(name, value, low, high) if scalar else None


def _out(x: FloatArray) -> FloatArray | float:
    return float(x) if np.ndim(x) == 0 else x


@dataclass(frozen=True)
class _RingBase:
    """Geometry, waveguide and thermal parameters shared by both ring types (SI units)."""

    #: the project's one default ring (the default chip's too): FSR ~13 nm at n_g 4.2, room
    #: for 16 channels at 100 GHz
    radius: float = 7e-6
    coupler_length: float = 0.0
    loss_db_per_cm: float = 2.0
    n_eff: float = 2.4
    n_g: float = 4.2
    wavelength0: float = 1.55e-6
    #: effective thermo-optic coefficient dn_eff/dT (1/K): silicon's 1.86e-4 times ~0.95 confinement
    dn_dT: float = 1.77e-4

    if TYPE_CHECKING:
        #: round-trip amplitude, set per instance by :meth:`_validate`; declared a ClassVar
        #: only so that the type checker does not take it for a dataclass field
        _a: ClassVar[float]

    _RANGES = {
        "radius": (1e-7, 1e-2),
        "coupler_length": (0.0, 1e-2),
        "loss_db_per_cm": (0.0, 1000.0),
        "n_eff": (1.0, 5.0),
        "n_g": (1.0, 10.0),
        "wavelength0": _WL_RANGE,
        "dn_dT": (-1e-2, 1e-2),
    }

    def _validate(self, couplings: tuple[str, ...]) -> None:
        """Check every field, store it as a float, and cache the loop constants."""
        setf = object.__setattr__
        for name in couplings:
            setf(self, name, _scalar(name, getattr(self, name), 0.0, 1.0, low_inclusive=False))
        for name, (lo, hi) in self._RANGES.items():
            setf(self, name, _scalar(name, getattr(self, name), lo, hi))
        # cached for the hot path (fields are frozen; replace() re-runs this)
        setf(self, "_a", self.round_trip_amplitude)
        # Very large loss makes a == 0 and every derived figure meaningless.
        if self._a <= 0.0:
            raise ValueError(
                f"loss_db_per_cm={self.loss_db_per_cm!r} with radius={self.radius!r} gives zero "
                "round-trip transmission; lower the loss or the size"
            )
        # A lossless ring that touches no bus has loop gain 1: no linewidth, no response.
        if self._loop_gain() >= 1.0:
            raise ValueError(
                f"{' and '.join(f'{c}=1' for c in couplings)} with loss_db_per_cm="
                f"{self.loss_db_per_cm!r} leaves a lossless, uncoupled ring (loop gain 1); "
                "couplings must be < 1 or the loss > 0"
            )

    # --- geometry and waveguide -------------------------------------------------------
    @property
    def length(self) -> float:
        """Round-trip length ``L = 2 pi R + 2 L_c`` (m)."""
        return 2.0 * math.pi * self.radius + 2.0 * self.coupler_length

    @property
    def alpha(self) -> float:
        """Power attenuation coefficient (1/m)."""
        return self.loss_db_per_cm * 100.0 * math.log(10.0) / 10.0

    @property
    def round_trip_amplitude(self) -> float:
        """``a = exp(-alpha L / 2)``: single-pass field amplitude transmission."""
        return float(_o.round_trip_amplitude(self.loss_db_per_cm, self.length, math))

    def effective_index(self, wavelength: ArrayLike, delta_t: ArrayLike = 0.0) -> FloatArray:
        """``n_eff(lambda, dT)`` with first-order dispersion and thermo-optic shift."""
        wl = _wavelengths(wavelength)
        dt = _array("delta_t", delta_t, *_DT_RANGE)
        check_broadcast(wavelength=wl, delta_t=dt)
        lam0 = self.wavelength0
        return self.n_eff - (self.n_g - self.n_eff) * (wl - lam0) / lam0 + self.dn_dT * dt

    @overload
    def _cycle_coefficients(self, delta_t: float, phase: float) -> tuple[float, float]: ...

    @overload
    def _cycle_coefficients(
        self, delta_t: FloatArray, phase: FloatArray
    ) -> tuple[FloatArray, FloatArray]: ...

    def _cycle_coefficients(
        self, delta_t: FloatArray | float, phase: FloatArray | float
    ) -> tuple[FloatArray | float, FloatArray | float]:
        """``(p, q)`` with ``phi / (2 pi) = p / lambda + q`` (see :mod:`._ring_kernels`)."""
        return _o.cycle_coefficients(self.length, self.n_eff, self.n_g, self.wavelength0,
                                     self.dn_dT, delta_t, phase)

    def _cycles(self, wavelength: ArrayLike, delta_t: ArrayLike, phase: ArrayLike) -> FloatArray:
        """Validated, broadcast round-trip phase in cycles ``phi / (2 pi)``."""
        wl = _wavelengths(wavelength)
        dt = _array("delta_t", delta_t, *_DT_RANGE)
        extra = _array("phase", phase, *_PHASE_RANGE)
        check_broadcast(wavelength=wl, delta_t=dt, phase=extra)
        p, q = self._cycle_coefficients(dt, extra)
        return p / wl + q

    def phase(
        self, wavelength: ArrayLike, delta_t: ArrayLike = 0.0, phase: ArrayLike = 0.0
    ) -> FloatArray:
        """Round-trip phase ``phi = 2 pi n_eff(lambda, dT) L / lambda + phase`` (rad)."""
        return 2.0 * math.pi * self._cycles(wavelength, delta_t, phase)

    @overload
    def _power(
        self, wavelength: ArrayLike, delta_t: ArrayLike, phase: ArrayLike, r1: float,
        r2: float, drop: Literal[False]
    ) -> FloatArray: ...

    @overload
    def _power(
        self, wavelength: ArrayLike, delta_t: ArrayLike, phase: ArrayLike, r1: float,
        r2: float, drop: Literal[True]
    ) -> tuple[FloatArray, FloatArray]: ...

    def _power(
        self, wavelength: ArrayLike, delta_t: ArrayLike, phase: ArrayLike, r1: float,
        r2: float, drop: bool
    ) -> FloatArray | tuple[FloatArray, FloatArray]:
        """Through (and drop) power via the fused kernels; the hot path of every ring model."""
        a = self._a
        dt = _scalar_or_none("delta_t", delta_t, *_DT_RANGE)
        extra = _scalar_or_none("phase", phase, *_PHASE_RANGE)
        out: FloatArray
        if dt is not None and extra is not None and not isinstance(wavelength, str | bytes):
            p, q = self._cycle_coefficients(dt, extra)
            try:
                wl = np.asarray(wavelength, dtype=float)
            except (TypeError, ValueError, OverflowError):
                wl = _wavelengths(wavelength)  # raises the named error
            flat = np.ascontiguousarray(wl).ravel()
            if drop:
                out = np.empty((2, flat.size))
                ok = _k.spectra_from_wavelength(flat, p, q, a, r1, r2, *_WL_RANGE, out[0], out[1])
            else:
                out = np.empty(flat.size)
                ok = _k.through_from_wavelength(flat, p, q, a, r1, r2, *_WL_RANGE, out)
            if not ok:
                _wavelengths(wl)  # raises the named error
            shape = wl.shape
        else:
            cyc = np.ascontiguousarray(self._cycles(wavelength, delta_t, phase))
            flat = cyc.ravel()
            if drop:
                out = np.empty((2, flat.size))
                _k.spectra_from_cycles(flat, a, r1, r2, out[0], out[1])
            else:
                out = np.empty(flat.size)
                _k.through_from_cycles(flat, a, r1, r2, out)
            shape = cyc.shape
        if drop:
            t, d = out
            return (t, d) if len(shape) == 1 else (t.reshape(shape)[()], d.reshape(shape)[()])
        return out if len(shape) == 1 else out.reshape(shape)[()]

    # --- spectral figures -------------------------------------------------------------
    def fsr(self, wavelength: ArrayLike | None = None) -> FloatArray | float:
        """Free spectral range ``lambda^2 / (n_g L)`` (m), at ``wavelength0`` by default."""
        wl = _optional_wavelength(self, wavelength)
        return _out(np.asarray(wl) ** 2 / (self.n_g * self.length))

    def _loop_factors(self) -> tuple[float, ...]:
        """The round-trip field factors (``r, a`` or ``r1, r2, a``)."""
        raise NotImplementedError

    def _loop_gain(self) -> float:
        """Their product ``x`` (``r a`` or ``r1 r2 a``)."""
        return math.prod(self._loop_factors())

    def _sqrt_loop_gain(self) -> float:
        """``sqrt(x)`` as a product of roots: ``x`` itself underflows for r ~ 1e-200."""
        return math.prod(math.sqrt(f) for f in self._loop_factors())

    def fwhm(self, wavelength: ArrayLike | None = None) -> FloatArray | float:
        """Loaded linewidth ``(1 - x) lambda^2 / (pi n_g L sqrt(x))`` (m), x the loop gain.

        High-finesse limit of the Airy linewidth ``4 arcsin((1 - x) / (2 sqrt x))`` in phase
        (Bogaerts 2012, eq. 8/15); its relative error is about ``(pi / F)^2 / 24`` for
        finesse ``F``, below 0.25 % when ``F >= 10``.
        """
        x = self._loop_gain()
        wl = _optional_wavelength(self, wavelength)
        return _out(
            (1.0 - x) * np.asarray(wl) ** 2
            / (math.pi * self.n_g * self.length * self._sqrt_loop_gain())
        )

    def q_loaded(self, wavelength: ArrayLike | None = None) -> FloatArray | float:
        """Loaded quality factor ``lambda / FWHM``."""
        wl = _optional_wavelength(self, wavelength)
        return _out(np.asarray(wl) / self.fwhm(wl))

    def q_intrinsic(self, wavelength: ArrayLike | None = None) -> FloatArray | float:
        """Intrinsic (unloaded) Q: ``pi n_g L sqrt(a) / (lambda (1 - a))``; inf when lossless."""
        a = self.round_trip_amplitude
        wl = _optional_wavelength(self, wavelength)
        with np.errstate(divide="ignore"):
            out = math.pi * self.n_g * self.length * math.sqrt(a) / (np.asarray(wl) * (1.0 - a))
        return _out(out)

    def finesse(self) -> float:
        """``FSR / FWHM = pi sqrt(x) / (1 - x)`` (wavelength independent)."""
        return math.pi * self._sqrt_loop_gain() / (1.0 - self._loop_gain())

    def photon_lifetime(self, wavelength: ArrayLike | None = None) -> FloatArray | float:
        """Amplitude decay time ``tau = 2 Q_L / omega0`` (s), ``omega0 = 2 pi c / lambda``.

        The stored energy decays as ``exp(-2 t / tau)`` (lifetime ``Q_L / omega0``; Haus
        1984, ch. 7); the drop response to a symbol envelope on resonance is the single pole
        ``1 / (1 + s tau)``, 3-dB bandwidth ``1 / (2 pi tau)`` = half the FWHM in frequency.
        """
        wl = _optional_wavelength(self, wavelength)
        omega0 = 2.0 * math.pi * SPEED_OF_LIGHT / np.asarray(wl, dtype=float)
        return _out(2.0 * np.asarray(self.q_loaded(wl)) / omega0)

    def _mode_constants(self, delta_t: float) -> tuple[float, float]:
        """``(num, off)`` with resonance ``lambda_m = num / (m + off)``."""
        num = (self.n_g + self.dn_dT * delta_t) * self.length
        off = (self.n_g - self.n_eff) * self.length / self.wavelength0
        return num, off

    def resonances(
        self, band_start: float, band_stop: float, delta_t: float = 0.0
    ) -> FloatArray:
        """Resonance wavelengths in ``[band_start, band_stop]`` (m), ascending.

        With first-order dispersion ``n_eff L / lambda = m`` solves in closed form:
        ``lambda_m = (n_g + dn_dT dT) L / (m + (n_g - n_eff0) L / lambda0)``.
        """
        lo = _scalar("band_start", band_start, *_WL_RANGE)
        hi = _scalar("band_stop", band_stop, lo, _WL_RANGE[1])
        num, off = self._mode_constants(_scalar("delta_t", delta_t, *_DT_RANGE))
        if num <= 0:
            raise ValueError(f"delta_t={delta_t!r} drives the group index through zero")
        m_lo = max(math.ceil(num / hi - off), 1)
        m_hi = math.floor(num / lo - off)
        if m_hi - m_lo + 1 > _MAX_RESONANCES:
            raise ValueError(
                f"band [{lo!r}, {hi!r}] holds {m_hi - m_lo + 1} resonances, more than "
                f"{_MAX_RESONANCES}; narrow the band"
            )
        m = np.arange(m_lo, m_hi + 1, dtype=float)
        lam = num / (m + off)
        return np.sort(lam[(lam >= lo) & (lam <= hi)])

    def resonance_near(self, wavelength: float, delta_t: float = 0.0) -> float:
        """The resonance wavelength closest to ``wavelength`` (m)."""
        wl = _scalar("wavelength", wavelength, *_WL_RANGE)
        num, off = self._mode_constants(_scalar("delta_t", delta_t, *_DT_RANGE))
        m0 = num / wl - off
        cands = np.array([math.floor(m0), math.ceil(m0)], dtype=float)
        cands = cands[cands >= 1]
        if num <= 0 or cands.size == 0:
            raise ValueError(
                f"wavelength={wl!r} is beyond the first-order dispersion model's range "
                "(no resonance of order >= 1 near it)"
            )
        lam = num / (cands + off)
        return float(lam[np.argmin(np.abs(lam - wl))])

    def resonance_shift(
        self, delta_t: ArrayLike, wavelength: ArrayLike | None = None
    ) -> FloatArray:
        """Thermal shift ``lambda dn_dT dT / n_g`` of a resonance at ``wavelength`` (m)."""
        wl = _optional_wavelength(self, wavelength)
        dt = _array("delta_t", delta_t, *_DT_RANGE)
        check_broadcast(wavelength=wl, delta_t=dt)
        return np.asarray(wl, dtype=np.float64) * self.dn_dT * dt / self.n_g

    def tuned_to(self, wavelength: float) -> Self:
        """A copy whose radius is adjusted (nearest mode order) to resonate at ``wavelength``.

        Solves ``n_eff(lambda) L / lambda = m`` for ``L`` with ``m`` the nearest integer to the
        current design's mode order, then ``radius = (L - 2 L_c) / (2 pi)``.
        """
        wl = _scalar("wavelength", wavelength, *_WL_RANGE)
        n = float(self.effective_index(wl))
        if n <= 0:
            raise ValueError(f"wavelength={wl!r} is outside the dispersion model's validity")
        m = max(round(n * self.length / wl), 1)
        length = m * wl / n
        radius = (length - 2.0 * self.coupler_length) / (2.0 * math.pi)
        if radius <= 0:
            raise ValueError(
                f"coupler_length={self.coupler_length!r} is too long to resonate at {wl!r}"
            )
        return replace(self, radius=radius)


@dataclass(frozen=True)
class AllPassRing(_RingBase):
    """Ring coupled to one bus. ``r`` is the field self-coupling in (0, 1]."""

    r: float = 0.98

    def __post_init__(self) -> None:
        self._validate(("r",))

    def _loop_factors(self) -> tuple[float, ...]:
        return (self.r, self.round_trip_amplitude)

    def through_field(
        self, wavelength: ArrayLike, delta_t: ArrayLike = 0.0, phase: ArrayLike = 0.0
    ) -> ComplexArray:
        """Complex through transmission ``(r - a e^{i phi}) / (1 - r a e^{i phi})``."""
        cycles = self._cycles(wavelength, delta_t, phase)
        field: ComplexArray = _o.all_pass_field(cycles, self.round_trip_amplitude, self.r,
                                                np)
        return field

    def through(
        self, wavelength: ArrayLike, delta_t: ArrayLike = 0.0, phase: ArrayLike = 0.0
    ) -> FloatArray:
        """``T = (a^2 - 2 r a cos phi + r^2) / (1 - 2 a r cos phi + (r a)^2)``."""
        # The add-drop through port with r1 = r and no drop coupler (r2 = 1).
        return self._power(wavelength, delta_t, phase, self.r, 1.0, drop=False)

    @property
    def coupling_regime(self) -> Literal["under", "critical", "over"]:
        """Under-coupled when coupling loss < round-trip loss (``r > a``); critical at ``r = a``."""
        return _regime(self.r, self.round_trip_amplitude)

    def power_enhancement(self) -> float:
        """Circulating over bus power on resonance, ``(1 - r^2) / (1 - r a)^2``
        (:func:`power_enhancement`)."""
        return power_enhancement(self.r, self._loop_gain())

    def extinction_ratio(self) -> float:
        """Through-port max/min power ratio (linear) ``T(pi) / T(0)``; inf at critical coupling."""
        a, r = self.round_trip_amplitude, self.r
        tmax = (a + r) ** 2 / (1.0 + r * a) ** 2
        tmin = (a - r) ** 2 / (1.0 - r * a) ** 2
        return math.inf if tmin == 0.0 else tmax / tmin

    @classmethod
    def from_targets(
        cls,
        resonance_wavelength: float,
        q_loaded: float,
        extinction_db: float,
        regime: Literal["under", "over"] = "under",
        **params: float,
    ) -> AllPassRing:
        """Solve ``r`` and ``a`` (hence loss) for a loaded Q and a through-port extinction.

        With ``x = r a`` fixed by Q (invert the FWHM formula) and extinction
        ``ER = [(a + r)/(1 + x)]^2 / [(a - r)/(1 - x)]^2``:
        ``(a - r)^2 = 4 x / (ER (1 + x)^2 / (1 - x)^2 - 1)``, ``a + r = sqrt((a - r)^2 + 4 x)``.
        ``regime`` picks which of ``r`` and ``a`` is the larger. Other fields come from ``params``;
        the radius is then re-solved so the ring resonates at ``resonance_wavelength``.
        """
        if not isinstance(regime, str) or regime not in ("under", "over"):
            raise ValueError(f"regime must be 'under' or 'over', got {regime!r}")
        er_db = _scalar("extinction_db", extinction_db, 0.0, 200.0, low_inclusive=False)
        base = cls(**params).tuned_to(resonance_wavelength)
        x = _loop_gain_for_q(base, resonance_wavelength, q_loaded)
        er = 10.0 ** (er_db / 10.0)
        d2 = 4.0 * x / (er * (1.0 + x) ** 2 / (1.0 - x) ** 2 - 1.0)
        s = math.sqrt(d2 + 4.0 * x)
        big, small = (s + math.sqrt(d2)) / 2.0, (s - math.sqrt(d2)) / 2.0
        r, a = (big, small) if regime == "under" else (small, big)
        if not (0.0 < a <= 1.0 and 0.0 < r <= 1.0):
            raise ValueError(
                f"q_loaded={q_loaded!r} with extinction_db={er_db!r} needs r={r:.6g}, a={a:.6g} "
                "outside (0, 1]"
            )
        loss = float(alpha_to_db_per_cm(-2.0 * math.log(a) / base.length))
        return replace(base, r=r, loss_db_per_cm=loss)


@dataclass(frozen=True)
class AddDropRing(_RingBase):
    """Ring between a through bus (self-coupling ``r1``) and a drop bus (``r2``)."""

    r1: float = 0.98
    r2: float = 0.98

    def __post_init__(self) -> None:
        self._validate(("r1", "r2"))

    def _loop_factors(self) -> tuple[float, ...]:
        return (self.r1, self.r2, self.round_trip_amplitude)

    def _fields(
        self, wavelength: ArrayLike, delta_t: ArrayLike, phase: ArrayLike
    ) -> tuple[ComplexArray, ComplexArray]:
        cycles = self._cycles(wavelength, delta_t, phase)
        thru, drop, _ = _o.add_drop_fields(cycles, self.round_trip_amplitude, self.r1, self.r2,
                                           np)
        return thru, drop

    def through_field(
        self, wavelength: ArrayLike, delta_t: ArrayLike = 0.0, phase: ArrayLike = 0.0
    ) -> ComplexArray:
        """Complex through transmission ``(r1 - r2 a e^{i phi}) / (1 - r1 r2 a e^{i phi})``."""
        return self._fields(wavelength, delta_t, phase)[0]

    def drop_field(
        self, wavelength: ArrayLike, delta_t: ArrayLike = 0.0, phase: ArrayLike = 0.0
    ) -> ComplexArray:
        """Complex drop transmission ``-k1 k2 sqrt(a) e^{i phi/2} / (1 - r1 r2 a e^{i phi})``."""
        return self._fields(wavelength, delta_t, phase)[1]

    def through(
        self, wavelength: ArrayLike, delta_t: ArrayLike = 0.0, phase: ArrayLike = 0.0
    ) -> FloatArray:
        """``(r2^2 a^2 - 2 r1 r2 a cos phi + r1^2) / (1 - 2 r1 r2 a cos phi + (r1 r2 a)^2)``."""
        return self._power(wavelength, delta_t, phase, self.r1, self.r2, drop=False)

    def drop(
        self, wavelength: ArrayLike, delta_t: ArrayLike = 0.0, phase: ArrayLike = 0.0
    ) -> FloatArray:
        """``(1 - r1^2)(1 - r2^2) a / (1 - 2 r1 r2 a cos phi + (r1 r2 a)^2)``."""
        return self.spectra(wavelength, delta_t, phase)[1]

    def spectra(
        self, wavelength: ArrayLike, delta_t: ArrayLike = 0.0, phase: ArrayLike = 0.0
    ) -> tuple[FloatArray, FloatArray]:
        """``(through, drop)`` power responses from one phase evaluation."""
        return self._power(wavelength, delta_t, phase, self.r1, self.r2, drop=True)

    @property
    def coupling_regime(self) -> Literal["under", "critical", "over"]:
        """Critical when the input coupling balances loss plus drop coupling: ``r1 = r2 a``."""
        return _regime(self.r1, self.r2 * self.round_trip_amplitude)

    def extinction_ratio(self) -> float:
        """Through-port max/min power ratio (linear); inf at critical coupling."""
        a, r1, r2 = self.round_trip_amplitude, self.r1, self.r2
        x = r1 * r2 * a
        tmax = (r2 * a + r1) ** 2 / (1.0 + x) ** 2
        tmin = (r2 * a - r1) ** 2 / (1.0 - x) ** 2
        return math.inf if tmin == 0.0 else tmax / tmin

    def power_enhancement(self) -> float:
        """Circulating over input-bus power on resonance, ``(1 - r1^2) / (1 - r1 r2 a)^2``
        (:func:`power_enhancement`)."""
        return power_enhancement(self.r1, self._loop_gain())

    def through_resonance_field(self) -> float:
        """Through field on resonance ``t0 = (r1 - r2 a) / (1 - r1 r2 a)`` (real; negative
        when over-coupled). The coupled-mode through response is ``1 - (1 - t0) / (1 + s tau
        - j delta tau)`` in this normalisation."""
        a, r1, r2 = self.round_trip_amplitude, self.r1, self.r2
        return (r1 - r2 * a) / (1.0 - r1 * r2 * a)

    def symbol_response(self, symbols: ArrayLike, symbol_period: float,
                        detuning: float = 0.0) -> tuple[ComplexArray, ComplexArray]:
        """Drop and through fields at the symbol centres for an NRZ field envelope.

        ``symbols``: the input field envelope, held constant over each symbol of duration
        ``symbol_period``; ``detuning``: carrier minus resonance angular frequency (rad/s;
        its sign only conjugates the fields). Exact for piecewise-constant input
        (:func:`symbol_response`); the ring starts in the steady state of the first symbol.
        Returned fields are relative to the input field's unit: their static limits are
        ``d0 / (1 - j delta tau)`` and ``1 - (1 - t0) / (1 - j delta tau)`` with
        ``|d0|^2 = drop_peak``, ``t0`` :meth:`through_resonance_field`.
        """
        tau = float(self.photon_lifetime())
        x = _scalar("detuning", detuning, -1e16, 1e16) * tau
        period = _scalar("symbol_period", symbol_period, 0.0, 1.0, low_inclusive=False)
        env = symbol_response(np.asarray(symbols, dtype=complex), period / tau, x)
        d0 = math.sqrt(self.drop_peak())
        c = (1.0 - self.through_resonance_field()) / (1.0 - 1j * x)
        sym = np.asarray(symbols, dtype=complex)
        return d0 / (1.0 - 1j * x) * env, sym - c * env

    def drop_peak(self) -> float:
        """Drop-port power on resonance ``(1 - r1^2)(1 - r2^2) a / (1 - r1 r2 a)^2``."""
        a, r1, r2 = self.round_trip_amplitude, self.r1, self.r2
        return (1.0 - r1 * r1) * (1.0 - r2 * r2) * a / (1.0 - r1 * r2 * a) ** 2

    @classmethod
    def from_targets(
        cls, resonance_wavelength: float, q_loaded: float, **params: float
    ) -> AddDropRing:
        """Symmetric add-drop ring (``r1 = r2 = r``) with a given loaded Q at a resonance.

        The loss (``loss_db_per_cm`` in ``params``) fixes ``a``; Q fixes ``x = r^2 a`` by
        inverting the FWHM formula, so ``r = sqrt(x / a)``. The radius is re-solved so the ring
        resonates at ``resonance_wavelength``.
        """
        params = {k: v for k, v in params.items() if k not in ("r1", "r2")}
        base = cls(**params).tuned_to(resonance_wavelength)
        x = _loop_gain_for_q(base, resonance_wavelength, q_loaded)
        a = base.round_trip_amplitude
        if x >= a:
            raise ValueError(
                f"q_loaded={q_loaded!r} exceeds what loss_db_per_cm={base.loss_db_per_cm!r} "
                f"allows (intrinsic Q {base.q_intrinsic(resonance_wavelength):.4g})"
            )
        r = math.sqrt(x / a)
        return replace(base, r1=r, r2=r)


def _regime(r: float, loss_side: float) -> Literal["under", "critical", "over"]:
    if math.isclose(r, loss_side, rel_tol=1e-12, abs_tol=1e-15):
        return "critical"
    return "under" if r > loss_side else "over"


def _loop_gain_for_q(ring: _RingBase, wavelength: float, q_loaded: float) -> float:
    """Invert ``FWHM = (1 - x) lambda^2 / (pi n_g L sqrt(x))`` for the loop gain ``x`` at Q.

    With ``c = pi n_g L / (Q lambda)`` (= FWHM pi n_g L / lambda^2) and ``s = sqrt(x)``:
    ``s^2 + c s - 1 = 0`` so ``s = 2 / (c + sqrt(c^2 + 4))`` (the cancellation-free root).
    """
    q = _scalar("q_loaded", q_loaded, 1.0, 1e9, low_inclusive=False)
    c = math.pi * ring.n_g * ring.length / (q * wavelength)
    s = 2.0 / (c + math.sqrt(c * c + 4.0))
    x = s * s
    if not 0.0 < x < 1.0:
        raise ValueError(
            f"q_loaded={q!r} is not resolvable for a ring of round-trip length {ring.length!r} m "
            "(loop gain rounds to 1); lower q_loaded"
        )
    return x


def symbol_response(symbols: ComplexArray, period_over_tau: float,
                    detuning_tau: float) -> ComplexArray:
    """Normalised mode envelope ``a`` at the symbol centres, ``tau da/dt = -(1 - j x)(a - u)``.

    ``x = delta tau``; the input ``u`` is held over each symbol (NRZ), so the update over
    half a symbol is exact: ``a(t + T/2) = u + (a(t) - u) exp(-(1 - j x) T / (2 tau))``.
    The static limit is ``a = u``; ``a`` starts in the first symbol's steady state and is
    sampled at each symbol's centre.
    """
    u = np.asarray(symbols, dtype=complex).ravel()
    out = np.empty(u.size, dtype=complex)
    half = complex(np.exp(-(1.0 - 1j * detuning_tau) * 0.5 * period_over_tau))
    a = complex(u[0]) if u.size else 0j
    for n in range(u.size):
        un = complex(u[n])
        a = un + (a - un) * half
        out[n] = a
        a = un + (a - un) * half
    return out


def power_enhancement(r_in: float, loop_gain: float) -> float:
    """Power circulating in a ring over the power on its input bus, on resonance:
    ``|i k / (1 - x)|^2 = (1 - r_in^2) / (1 - x)^2`` with ``x`` the loop gain (``r a``
    all-pass, ``r1 r2 a`` add-drop; Bogaerts et al. 2012). At critical coupling it is
    ``1 / (1 - r^2)``, about ``finesse / pi``."""
    return (1.0 - r_in * r_in) / (1.0 - loop_gain) ** 2
