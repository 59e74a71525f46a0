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
Their squared magnitudes are the power formulas of DESIGN.md.

Every response broadcasts over ``wavelength``, ``delta_t`` (temperature offset, K) and
``phase`` (extra round-trip phase, rad) with numpy rules.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from photonic_dfa.validation import check_array, check_broadcast, check_scalar

__all__ = [
    "AllPassRing",
    "AddDropRing",
    "db_per_cm_to_alpha",
    "alpha_to_db_per_cm",
    "SILICON_DN_DT",
]

#: Thermo-optic coefficient of crystalline silicon near 1550 nm and 300 K (1/K);
#: Komma et al., Appl. Phys. Lett. 101, 041905 (2012): 1.86e-4 /K.
SILICON_DN_DT = 1.86e-4

_ArrayF = np.ndarray


def db_per_cm_to_alpha(loss_db_per_cm: ArrayLike) -> np.ndarray:
    """Power attenuation alpha (1/m) from dB/cm: ``alpha = L_dB 100 ln10 / 10``."""
    return np.asarray(loss_db_per_cm, dtype=float) * 100.0 * math.log(10.0) / 10.0


def alpha_to_db_per_cm(alpha: ArrayLike) -> np.ndarray:
    """Inverse of :func:`db_per_cm_to_alpha`."""
    return np.asarray(alpha, dtype=float) * 10.0 / (100.0 * math.log(10.0))


@dataclass(frozen=True)
class _RingBase:
    """Geometry, waveguide and thermal parameters shared by both ring types (SI units)."""

    radius: float = 10e-6
    coupler_length: float = 0.0
    loss_db_per_cm: float = 2.0
    n_eff: float = 2.4
    n_g: float = 4.2
    wavelength0: float = 1.55e-6
    #: effective thermo-optic coefficient dn_eff/dT (1/K): silicon's 1.86e-4 times ~0.95 confinement
    dn_dT: float = 1.77e-4

    def _validate_common(self) -> None:
        check_scalar("radius", self.radius, 0.0, 1e-2, low_inclusive=False)
        check_scalar("coupler_length", self.coupler_length, 0.0, 1e-2)
        check_scalar("loss_db_per_cm", self.loss_db_per_cm, 0.0, 1000.0)
        check_scalar("n_eff", self.n_eff, 1.0, 5.0)
        check_scalar("n_g", self.n_g, 1.0, 10.0)
        check_scalar("wavelength0", self.wavelength0, 1e-7, 1e-4)
        check_scalar("dn_dT", self.dn_dT, -1e-2, 1e-2)
        # Very large loss makes a == 0 and every derived figure meaningless.
        if self.round_trip_amplitude <= 0.0:
            raise ValueError(
                f"loss_db_per_cm={self.loss_db_per_cm!r} with radius={self.radius!r} gives zero "
                "round-trip transmission; lower the loss or the size"
            )

    # --- geometry and waveguide -------------------------------------------------------
    @property
    def length(self) -> float:
        """Round-trip length ``L = 2 pi R + 2 L_c`` (m)."""
        return 2.0 * math.pi * self.radius + 2.0 * self.coupler_length

    @property
    def alpha(self) -> float:
        """Power attenuation coefficient (1/m)."""
        return float(db_per_cm_to_alpha(self.loss_db_per_cm))

    @property
    def round_trip_amplitude(self) -> float:
        """``a = exp(-alpha L / 2)``: single-pass field amplitude transmission."""
        return math.exp(-self.alpha * self.length / 2.0)

    def effective_index(self, wavelength: ArrayLike, delta_t: ArrayLike = 0.0) -> np.ndarray:
        """``n_eff(lambda, dT)`` with first-order dispersion and thermo-optic shift."""
        wl = check_array("wavelength", wavelength, 0.0, None, low_inclusive=False)
        dt = check_array("delta_t", delta_t)
        lam0 = self.wavelength0
        return self.n_eff - (self.n_g - self.n_eff) * (wl - lam0) / lam0 + self.dn_dT * dt

    def phase(
        self, wavelength: ArrayLike, delta_t: ArrayLike = 0.0, phase: ArrayLike = 0.0
    ) -> np.ndarray:
        """Round-trip phase ``phi = 2 pi n_eff(lambda, dT) L / lambda + phase`` (rad)."""
        wl = check_array("wavelength", wavelength, 0.0, None, low_inclusive=False)
        extra = check_array("phase", phase)
        check_broadcast(wavelength=wl, delta_t=delta_t, phase=extra)
        return 2.0 * math.pi * self.effective_index(wl, delta_t) * self.length / wl + extra

    # --- spectral figures -------------------------------------------------------------
    def fsr(self, wavelength: ArrayLike | None = None) -> np.ndarray | float:
        """Free spectral range ``lambda^2 / (n_g L)`` (m), at ``wavelength0`` by default."""
        wl = self.wavelength0 if wavelength is None else check_array(
            "wavelength", wavelength, 0.0, None, low_inclusive=False
        )
        out = np.asarray(wl) ** 2 / (self.n_g * self.length)
        return float(out) if np.ndim(out) == 0 else out

    def _loop_gain(self) -> float:
        """Product of all round-trip field factors ``x`` (``r a`` or ``r1 r2 a``)."""
        raise NotImplementedError

    def fwhm(self, wavelength: ArrayLike | None = None) -> np.ndarray | float:
        """Loaded linewidth ``(1 - x) lambda^2 / (pi n_g L sqrt(x))`` (m), x the loop gain.

        Exact for the Airy denominator in the high-finesse limit (Bogaerts 2012, eq. 8/15).
        """
        x = self._loop_gain()
        wl = self.wavelength0 if wavelength is None else check_array(
            "wavelength", wavelength, 0.0, None, low_inclusive=False
        )
        out = (1.0 - x) * np.asarray(wl) ** 2 / (math.pi * self.n_g * self.length * math.sqrt(x))
        return float(out) if np.ndim(out) == 0 else out

    def q_loaded(self, wavelength: ArrayLike | None = None) -> np.ndarray | float:
        """Loaded quality factor ``lambda / FWHM``."""
        wl = self.wavelength0 if wavelength is None else np.asarray(wavelength, dtype=float)
        out = np.asarray(wl) / self.fwhm(wavelength)
        return float(out) if np.ndim(out) == 0 else out

    def q_intrinsic(self, wavelength: ArrayLike | None = None) -> np.ndarray | float:
        """Intrinsic (unloaded) Q: ``pi n_g L sqrt(a) / (lambda (1 - a))``; inf when lossless."""
        a = self.round_trip_amplitude
        wl = self.wavelength0 if wavelength is None else check_array(
            "wavelength", wavelength, 0.0, None, low_inclusive=False
        )
        with np.errstate(divide="ignore"):
            out = math.pi * self.n_g * self.length * math.sqrt(a) / (np.asarray(wl) * (1.0 - a))
        return float(out) if np.ndim(out) == 0 else out

    def finesse(self) -> float:
        """``FSR / FWHM = pi sqrt(x) / (1 - x)`` (wavelength independent)."""
        x = self._loop_gain()
        return math.pi * math.sqrt(x) / (1.0 - x)

    def resonances(
        self, band_start: float, band_stop: float, delta_t: float = 0.0
    ) -> np.ndarray:
        """Resonance wavelengths in ``[band_start, band_stop]`` (m), ascending.

        With first-order dispersion ``n_eff L / lambda = m`` solves in closed form:
        ``lambda_m = (n_g + dn_dT dT) L / (m + (n_g - n_eff0) L / lambda0)``.
        """
        lo = check_scalar("band_start", band_start, 0.0, None, low_inclusive=False)
        hi = check_scalar("band_stop", band_stop, lo, None)
        dt = check_scalar("delta_t", delta_t)
        num = (self.n_g + self.dn_dT * dt) * self.length
        off = (self.n_g - self.n_eff) * self.length / self.wavelength0
        m_lo = math.ceil(num / hi - off)
        m_hi = math.floor(num / lo - off)
        m = np.arange(max(m_lo, 1), m_hi + 1, dtype=float)
        lam = num / (m + off)
        return np.sort(lam[(lam >= lo) & (lam <= hi)])

    def resonance_near(self, wavelength: float, delta_t: float = 0.0) -> float:
        """The resonance wavelength closest to ``wavelength`` (m)."""
        wl = check_scalar("wavelength", wavelength, 0.0, None, low_inclusive=False)
        dt = check_scalar("delta_t", delta_t)
        num = (self.n_g + self.dn_dT * dt) * self.length
        off = (self.n_g - self.n_eff) * self.length / self.wavelength0
        m0 = num / wl - off
        cands = np.array([math.floor(m0), math.ceil(m0)], dtype=float)
        cands = cands[cands >= 1]
        lam = num / (cands + off)
        return float(lam[np.argmin(np.abs(lam - wl))])

    def resonance_shift(
        self, delta_t: ArrayLike, wavelength: ArrayLike | None = None
    ) -> np.ndarray:
        """Thermal shift ``lambda dn_dT dT / n_g`` of a resonance at ``wavelength`` (m)."""
        wl = self.wavelength0 if wavelength is None else np.asarray(wavelength, dtype=float)
        dt = check_array("delta_t", delta_t)
        return np.asarray(wl) * self.dn_dT * dt / self.n_g

    def tuned_to(self, wavelength: float) -> _RingBase:
        """A copy whose radius is adjusted (nearest mode order) to resonate at ``wavelength``.

        Solves ``n_eff(lambda) L / lambda = m`` for ``L`` with ``m`` the nearest integer to the
        current design's mode order, then ``radius = (L - 2 L_c) / (2 pi)``.
        """
        wl = check_scalar("wavelength", wavelength, 0.0, None, low_inclusive=False)
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
        check_scalar("r", self.r, 0.0, 1.0, low_inclusive=False)
        self._validate_common()

    def _loop_gain(self) -> float:
        return self.r * self.round_trip_amplitude

    def through_field(
        self, wavelength: ArrayLike, delta_t: ArrayLike = 0.0, phase: ArrayLike = 0.0
    ) -> np.ndarray:
        """Complex through transmission ``(r - a e^{i phi}) / (1 - r a e^{i phi})``."""
        e = np.exp(1j * self.phase(wavelength, delta_t, phase))
        a, r = self.round_trip_amplitude, self.r
        return (r - a * e) / (1.0 - r * a * e)

    def through(
        self, wavelength: ArrayLike, delta_t: ArrayLike = 0.0, phase: ArrayLike = 0.0
    ) -> np.ndarray:
        """``T = (a^2 - 2 r a cos phi + r^2) / (1 - 2 a r cos phi + (r a)^2)``."""
        c = np.cos(self.phase(wavelength, delta_t, phase))
        a, r = self.round_trip_amplitude, self.r
        return (a * a - 2.0 * r * a * c + r * r) / (1.0 - 2.0 * a * r * c + (r * a) ** 2)

    @property
    def coupling_regime(self) -> Literal["under", "critical", "over"]:
        """Under-coupled when coupling loss < round-trip loss (``r > a``); critical at ``r = a``."""
        return _regime(self.r, self.round_trip_amplitude)

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
        if regime not in ("under", "over"):
            raise ValueError(f"regime must be 'under' or 'over', got {regime!r}")
        er_db = check_scalar("extinction_db", extinction_db, 0.0, 200.0, low_inclusive=False)
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
        check_scalar("r1", self.r1, 0.0, 1.0, low_inclusive=False)
        check_scalar("r2", self.r2, 0.0, 1.0, low_inclusive=False)
        self._validate_common()

    def _loop_gain(self) -> float:
        return self.r1 * self.r2 * self.round_trip_amplitude

    def _fields(
        self, wavelength: ArrayLike, delta_t: ArrayLike, phase: ArrayLike
    ) -> tuple[np.ndarray, np.ndarray]:
        phi = self.phase(wavelength, delta_t, phase)
        e = np.exp(1j * phi)
        a, r1, r2 = self.round_trip_amplitude, self.r1, self.r2
        den = 1.0 - r1 * r2 * a * e
        k1k2 = math.sqrt((1.0 - r1 * r1) * (1.0 - r2 * r2))
        thru = (r1 - r2 * a * e) / den
        drop = -k1k2 * math.sqrt(a) * np.exp(0.5j * phi) / den
        return thru, drop

    def through_field(
        self, wavelength: ArrayLike, delta_t: ArrayLike = 0.0, phase: ArrayLike = 0.0
    ) -> np.ndarray:
        """Complex through transmission ``(r1 - r2 a e^{i phi}) / (1 - r1 r2 a e^{i phi})``."""
        return self._fields(wavelength, delta_t, phase)[0]

    def drop_field(
        self, wavelength: ArrayLike, delta_t: ArrayLike = 0.0, phase: ArrayLike = 0.0
    ) -> np.ndarray:
        """Complex drop transmission ``-k1 k2 sqrt(a) e^{i phi/2} / (1 - r1 r2 a e^{i phi})``."""
        return self._fields(wavelength, delta_t, phase)[1]

    def through(
        self, wavelength: ArrayLike, delta_t: ArrayLike = 0.0, phase: ArrayLike = 0.0
    ) -> np.ndarray:
        """``(r2^2 a^2 - 2 r1 r2 a cos phi + r1^2) / (1 - 2 r1 r2 a cos phi + (r1 r2 a)^2)``."""
        c = np.cos(self.phase(wavelength, delta_t, phase))
        a, r1, r2 = self.round_trip_amplitude, self.r1, self.r2
        x = r1 * r2 * a
        return ((r2 * a) ** 2 - 2.0 * x * c + r1 * r1) / (1.0 - 2.0 * x * c + x * x)

    def drop(
        self, wavelength: ArrayLike, delta_t: ArrayLike = 0.0, phase: ArrayLike = 0.0
    ) -> np.ndarray:
        """``(1 - r1^2)(1 - r2^2) a / (1 - 2 r1 r2 a cos phi + (r1 r2 a)^2)``."""
        c = np.cos(self.phase(wavelength, delta_t, phase))
        a, r1, r2 = self.round_trip_amplitude, self.r1, self.r2
        x = r1 * r2 * a
        return (1.0 - r1 * r1) * (1.0 - r2 * r2) * a / (1.0 - 2.0 * x * c + x * x)

    def spectra(
        self, wavelength: ArrayLike, delta_t: ArrayLike = 0.0, phase: ArrayLike = 0.0
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(through, drop)`` power responses from one phase evaluation."""
        c = np.cos(self.phase(wavelength, delta_t, phase))
        a, r1, r2 = self.round_trip_amplitude, self.r1, self.r2
        x = r1 * r2 * a
        den = 1.0 - 2.0 * x * c + x * x
        thru = ((r2 * a) ** 2 - 2.0 * x * c + r1 * r1) / den
        drop = (1.0 - r1 * r1) * (1.0 - r2 * r2) * a / den
        return thru, drop

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
    ``s^2 + c s - 1 = 0`` so ``s = (-c + sqrt(c^2 + 4)) / 2``.
    """
    q = check_scalar("q_loaded", q_loaded, 1.0, 1e9, low_inclusive=False)
    c = math.pi * ring.n_g * ring.length / (q * wavelength)
    s = (-c + math.sqrt(c * c + 4.0)) / 2.0
    return s * s
