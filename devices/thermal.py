"""Resistive micro-heaters and the thermal crosstalk between them.

A heater of electrical resistance ``R`` driven at voltage ``V`` dissipates ``P = V^2 / R``
(Joule heating). In steady state the waveguide under it warms by ``dT = R_th P`` where
``R_th`` (K/W) is the thermal resistance from heater to waveguide core; with a single
dominant thermal pole the response to a power step is first order,
``dT(t) = R_th P (1 - exp(-t / tau))``.

Typical silicon-on-insulator values (order of magnitude; fit them to your own process):

- ``R``: a few hundred ohm to a few kilo-ohm for TiN or doped-silicon heaters.
- ``R_th``: of order 3e3 K/W without substrate undercut. Harris et al., Opt. Express 22,
  10487 (2014) report ``P_pi = 24.8 mW`` for a 61.6 um doped-Si phase shifter: about
  50 mW per 2 pi of round-trip phase (one free spectral range) on a ring of that length,
  i.e. about 140 K with dn/dT = 1.8e-4 /K, hence ``R_th`` of about 2.8e3 K/W. Heaters
  inside the resonator (Jayatilleka et al., Opt. Express 23, 25084 (2015)) or over an
  undercut substrate are several times more efficient.
- ``tau``: about 1-10 us (Harris et al. measured a 130 kHz bandwidth, tau of about 1.2 us).

Thermal crosstalk between the rings of a weight bank (Tait et al., Opt. Express 24, 8895
(2016)) is linear in the heater powers: ``dT_i = sum_j K_ij P_j``. :class:`ThermalCrosstalk`
holds ``K`` and models its off-diagonal terms as decaying exponentially with distance.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import cast

import numpy as np
import scipy.linalg
import scipy.signal
from numpy.typing import ArrayLike

from photonic_dfa.base.arrays import BoolArray, FloatArray, IntArray

from ._checks import array, flag, scalar

__all__ = ["Heater", "ThermalCrosstalk"]

_MAX_RESISTANCE = 1e9  # ohm
_MAX_THERMAL_RESISTANCE = 1e7  # K/W; undercut heaters reach ~1e5
_MAX_POWER = 10.0  # W
_MAX_TIME_CONSTANT = 1.0  # s


@dataclass(frozen=True)
class Heater:
    """A resistive heater over one waveguide, with a first-order thermal response.

    Parameters
    ----------
    resistance:
        Electrical resistance ``R`` in ohm, in (0, 1e9].
    thermal_resistance:
        Steady-state temperature rise per dissipated watt ``R_th`` in K/W, in (0, 1e7].
        It is the heater's tuning efficiency: resonance shift per watt is
        ``R_th * dlambda/dT``.
    time_constant:
        Thermal time constant ``tau`` in s, in [0, 1]; 0 means instantaneous.
    max_power:
        Largest power the heater (or its driver) may dissipate, in W, in (0, 10].
    """

    resistance: float = 500.0
    thermal_resistance: float = 3.0e3
    time_constant: float = 0.0
    max_power: float = 50e-3

    def __post_init__(self) -> None:
        s = object.__setattr__
        s(self, "resistance",
          scalar("resistance", self.resistance, 0.0, _MAX_RESISTANCE, low_inclusive=False))
        s(self, "thermal_resistance",
          scalar("thermal_resistance", self.thermal_resistance, 0.0, _MAX_THERMAL_RESISTANCE,
                 low_inclusive=False))
        s(self, "time_constant",
          scalar("time_constant", self.time_constant, 0.0, _MAX_TIME_CONSTANT))
        s(self, "max_power",
          scalar("max_power", self.max_power, 0.0, _MAX_POWER, low_inclusive=False))

    # -- electrical -------------------------------------------------------------------
    @property
    def max_voltage(self) -> float:
        """Voltage that dissipates ``max_power``: ``sqrt(P_max R)``."""
        return float(np.sqrt(self.max_power * self.resistance))

    @property
    def max_temperature_rise(self) -> float:
        """Steady-state rise at ``max_power``: ``R_th P_max`` (K)."""
        return self.thermal_resistance * self.max_power

    def power(self, voltage: ArrayLike) -> FloatArray:
        """Joule power ``P = V^2 / R`` (W) for any finite voltage (either polarity)."""
        v = array("voltage", voltage)
        return v * v / self.resistance

    def voltage(self, power: ArrayLike) -> FloatArray:
        """Non-negative drive voltage ``V = sqrt(P R)`` for power in [0, max_power]."""
        return np.sqrt(self._power(power) * self.resistance)

    # -- thermal ----------------------------------------------------------------------
    def temperature_rise(self, power: ArrayLike) -> FloatArray:
        """Steady-state temperature rise ``dT = R_th P`` (K)."""
        return self.thermal_resistance * self._power(power)

    def power_for_temperature(self, temperature_rise: ArrayLike) -> FloatArray:
        """Power ``P = dT / R_th`` for a steady-state rise in [0, max_temperature_rise]."""
        dt = array("temperature_rise", temperature_rise, 0.0,
                   self.max_temperature_rise * (1 + 1e-12))
        return np.minimum(dt / self.thermal_resistance, self.max_power)

    def step_response(self, power: ArrayLike, time: ArrayLike) -> FloatArray:
        """Rise at ``time >= 0`` after a power step at t = 0 from a cold start.

        ``dT(t) = R_th P (1 - exp(-t / tau))``; ``tau = 0`` gives the steady state at once.
        ``power`` and ``time`` broadcast.
        """
        p = self._power(power)
        t = array("time", time, 0.0)
        steady = self.thermal_resistance * p
        if self.time_constant == 0.0:
            return steady * np.ones_like(t)
        return steady * -np.expm1(-t / self.time_constant)

    def filter(self, powers: ArrayLike, dt: float, state: ArrayLike | None = None
               ) -> tuple[FloatArray, FloatArray]:
        """Temperature rise over time for a sampled drive held over each step.

        ``powers`` has time on axis 0 (shape ``(n_steps, ...)``), each value held for
        ``dt`` seconds (zero-order hold). The exact discretisation of the first-order
        system is ``T[n] = a T[n-1] + (1 - a) R_th P[n]`` with ``a = exp(-dt / tau)``;
        ``T[n]`` is the rise at the end of step ``n``. ``state`` is the rise before the
        first step (default 0), broadcast to ``powers.shape[1:]``.

        Returns ``(temperatures, final_state)``; pass ``final_state`` back in to continue.
        """
        p = self._power(powers)
        if p.ndim == 0:
            raise ValueError("powers must have a time axis (axis 0), got a scalar")
        step = scalar("dt", dt, 0.0, low_inclusive=False)
        trailing = p.shape[1:]
        t0 = _initial_state(state, trailing)
        return _first_order(self.thermal_resistance * p, step, self.time_constant, t0)

    def _power(self, power: ArrayLike) -> FloatArray:
        # 1e-12 relative slack: power(max_voltage) may round just above max_power
        return array("power", power, 0.0, self.max_power * (1.0 + 1e-12))


def _initial_state(state: ArrayLike | None, shape: tuple[int, ...]) -> FloatArray:
    if state is None:
        return np.zeros(shape)
    t0 = array("state", state)
    try:
        return np.broadcast_to(t0, shape).astype(float)
    except ValueError:
        raise ValueError(f"state shape {t0.shape} does not broadcast to {shape}") from None


def _first_order(steady: FloatArray, dt: float, tau: float, t0: FloatArray
                 ) -> tuple[FloatArray, FloatArray]:
    """Exact zero-order-hold discretisation of ``tau dT/dt = T_ss(t) - T`` along axis 0:
    ``T[n] = a T[n-1] + (1 - a) T_ss[n]``, ``a = exp(-dt / tau)``."""
    if steady.shape[0] == 0:
        return steady.copy(), t0.copy()
    with np.errstate(over="ignore", under="ignore"):
        a = float(np.exp(-dt / tau)) if tau > 0 else 0.0
    temps, _ = scipy.signal.lfilter([1.0 - a], [1.0, -a], steady, axis=0,
                                    zi=(a * t0)[None, ...])
    return temps, temps[-1].copy()


@dataclass(frozen=True, eq=False)
class ThermalCrosstalk:
    """Linear thermal crosstalk between N heaters: ``dT_i = sum_j K_ij P_j``.

    ``K`` (K/W) is square, finite and non-negative with a positive diagonal
    (``K_ii`` is heater i's own thermal resistance). Heat conduction is reciprocal (the
    steady-state Green's function is symmetric), so ``K`` must be symmetric to 1e-12
    relative unless ``allow_asymmetric=True`` (e.g. a matrix estimated from noisy
    measurements).

    Use :meth:`from_positions` for the distance model or :meth:`from_matrix` for a measured
    or simulated matrix.
    """

    matrix: FloatArray
    allow_asymmetric: bool = False

    def __post_init__(self) -> None:
        allow = flag("allow_asymmetric", self.allow_asymmetric)
        k = array("matrix", self.matrix, 0.0, ndim=2)
        if k.shape[0] != k.shape[1] or k.shape[0] == 0:
            raise ValueError(f"matrix must be square and non-empty, got shape {k.shape}")
        diag = np.diag(k)
        if np.any(diag <= 0):
            raise ValueError("matrix must have a positive diagonal (each heater warms its "
                             f"own ring), got minimum {diag.min()!r}")
        k = np.array(k, dtype=float, copy=True)
        k.setflags(write=False)
        object.__setattr__(self, "matrix", k)
        object.__setattr__(self, "allow_asymmetric", allow)
        if not allow and not self.is_symmetric:
            err = float(np.max(np.abs(k - k.T)))
            raise ValueError(f"matrix must be symmetric (max |K - K^T| = {err:g}); pass "
                             "allow_asymmetric=True for a measured estimate")

    # -- constructors -----------------------------------------------------------------
    @classmethod
    def from_matrix(cls, matrix: ArrayLike, allow_asymmetric: bool = False
                    ) -> ThermalCrosstalk:
        """Validate and wrap a crosstalk matrix ``K`` in K/W (copied)."""
        # __post_init__ validates and converts the array-like into a read-only float copy
        return cls(cast(FloatArray, matrix), allow_asymmetric)

    @classmethod
    def from_positions(
        cls,
        positions: ArrayLike,
        thermal_resistance: ArrayLike,
        *,
        decay_length: float | None = None,
        neighbour_coupling: float | None = None,
        coupling: float = 1.0,
    ) -> ThermalCrosstalk:
        """Crosstalk from heater positions with an exponential distance decay.

        ``K_ii = R_i`` and, for ``i != j``,
        ``K_ij = sqrt(R_i R_j) * coupling * exp(-|x_i - x_j| / decay_length)``.

        Lateral heat spreading in SOI falls off roughly exponentially over a length of
        order the buried-oxide and cladding thickness (a few um to tens of um; deep trenches
        shorten it); fit ``decay_length`` and ``coupling`` to a measured matrix.

        Parameters
        ----------
        positions:
            Heater centres in metres, shape ``(N,)`` along a bus or ``(N, 2)``/``(N, 3)``;
            distinct, each coordinate in [-1, 1] m.
        thermal_resistance:
            ``R_i`` in K/W, scalar or shape ``(N,)``, each in (0, 1e7].
        decay_length:
            Exponential decay length in metres, in [1e-9, 1].
        neighbour_coupling:
            Alternative to ``decay_length``: the normalised coupling
            ``K_ij / sqrt(K_ii K_jj)`` of the closest pair, in (0, coupling); it sets
            ``decay_length = d_min / ln(coupling / neighbour_coupling)``.
        coupling:
            Prefactor in [0, 1] (1: a pure exponential that is continuous at d = 0).
        """
        c = scalar("coupling", coupling, 0.0, 1.0)
        x = array("positions", positions, -1.0, 1.0)
        if x.ndim == 1:
            x = x[:, None]
        if x.ndim != 2 or x.shape[1] not in (1, 2, 3) or x.shape[0] == 0:
            raise ValueError(f"positions must have shape (N,), (N, 2) or (N, 3) with N >= 1, "
                             f"got {np.shape(positions)}")
        n = x.shape[0]
        r = array("thermal_resistance", thermal_resistance, 0.0, _MAX_THERMAL_RESISTANCE,
                  low_inclusive=False)
        if r.ndim == 0:
            r = np.full(n, float(r))
        elif r.shape != (n,):
            raise ValueError(f"thermal_resistance must be a scalar or shape ({n},), "
                             f"got {r.shape}")
        d = np.sqrt(np.sum((x[:, None, :] - x[None, :, :]) ** 2, axis=-1))
        off = ~np.eye(n, dtype=bool)
        if n > 1 and np.min(d[off]) <= 0.0:
            raise ValueError("positions must be distinct (two heaters share a position)")
        if (decay_length is None) == (neighbour_coupling is None):
            raise ValueError("give exactly one of decay_length and neighbour_coupling")
        if decay_length is not None:
            length = scalar("decay_length", decay_length, 1e-9, 1.0)
        else:
            if c == 0.0:
                raise ValueError("neighbour_coupling needs coupling > 0")
            xi = scalar("neighbour_coupling", neighbour_coupling, 0.0, c,
                        low_inclusive=False, high_inclusive=False)
            if n < 2:
                raise ValueError("neighbour_coupling needs at least two positions")
            length = float(np.min(d[off])) / float(np.log(c / xi))
            if not np.isfinite(length) or length <= 0.0:
                raise ValueError(f"neighbour_coupling={xi!r} gives no finite decay length")
        k = c * np.sqrt(np.outer(r, r)) * np.exp(-d / length)
        np.fill_diagonal(k, r)
        return cls(k)

    # -- properties -------------------------------------------------------------------
    @property
    def size(self) -> int:
        """Number of heaters N."""
        return int(self.matrix.shape[0])

    @property
    def thermal_resistances(self) -> FloatArray:
        """Diagonal ``K_ii`` (K/W): each heater's own thermal resistance."""
        return np.diag(self.matrix).copy()

    @property
    def is_symmetric(self) -> bool:
        """``|K - K^T| <= 1e-12 max|K|`` elementwise."""
        k = self.matrix
        return bool(np.all(np.abs(k - k.T) <= 1e-12 * np.max(np.abs(k))))

    @property
    def is_diagonally_dominant(self) -> bool:
        """Strict row dominance ``K_ii > sum_{j != i} K_ij`` (guarantees invertibility)."""
        k = self.matrix
        diag = np.diag(k)
        return bool(np.all(diag > k.sum(axis=1) - diag))

    @property
    def condition_number(self) -> float:
        """2-norm condition number of ``K``: the worst amplification of relative error
        from target temperatures to heater powers in :meth:`invert`."""
        return float(np.linalg.cond(self.matrix))

    # -- maps -------------------------------------------------------------------------
    def apply(self, powers: ArrayLike) -> FloatArray:
        """Temperature rises ``dT = P @ K^T`` (K) for powers of shape ``(..., N)``.

        Linear superposition, so signed power *changes* are accepted too.
        """
        p = self._vectors("powers", powers)
        return p @ self.matrix.T

    def filter(self, powers: ArrayLike, dt: float, time_constant: float,
               state: ArrayLike | None = None) -> tuple[FloatArray, FloatArray]:
        """Rises over time for held powers of shape ``(n_steps, ..., N)``.

        Every heater-to-ring path is given the same single thermal pole ``tau``:
        ``T[n] = a T[n-1] + (1 - a) K P[n]``, ``a = exp(-dt / tau)`` (first-order model;
        real far-neighbour paths respond a little later, by diffusion). ``state`` is the
        rise before the first step, broadcast to ``powers.shape[1:]``. Returns
        ``(temperatures, final_state)``.
        """
        p = self._vectors("powers", powers)
        if p.ndim < 2:
            raise ValueError(f"powers must have shape (n_steps, ..., {self.size}), "
                             f"got {p.shape}")
        step = scalar("dt", dt, 0.0, low_inclusive=False)
        tau = scalar("time_constant", time_constant, 0.0, _MAX_TIME_CONSTANT)
        t0 = _initial_state(state, p.shape[1:])
        return _first_order(p @ self.matrix.T, step, tau, t0)

    def invert(self, target: ArrayLike) -> FloatArray:
        """Raw solution ``P`` of ``K P = dT`` for targets of shape ``(..., N)``.

        Entries may be negative when a target cannot be reached by heating alone (a
        neighbour already over-heats the ring); see :meth:`powers_for` and :meth:`feasible`.
        """
        t = self._vectors("target", target)
        flat = t.reshape(-1, self.size).T
        sol: FloatArray = scipy.linalg.lu_solve(self._lu, flat, check_finite=False)
        return sol.T.reshape(t.shape)

    def feasible(self, target: ArrayLike, max_power: float | None = None,
                 rtol: float = 1e-12) -> BoolArray:
        """Whether each target (shape ``(..., N)``) needs only powers in [0, max_power]."""
        p = self.invert(target)
        tol = rtol * np.max(np.abs(p), axis=-1, initial=0.0)[..., None]
        ok = p >= -tol
        if max_power is not None:
            ok &= p <= scalar("max_power", max_power, 0.0, low_inclusive=False) + tol
        every: BoolArray = np.all(ok, axis=-1)
        return every

    def powers_for(self, target: ArrayLike, clip: bool = True,
                   max_power: float | None = None) -> FloatArray:
        """Heater powers for target rises, restricted to what heaters can deliver.

        ``clip=True``: the raw :meth:`invert` solution clipped to [0, max_power] (then
        ``apply`` of the result misses infeasible targets; check :meth:`feasible`).
        ``clip=False``: raise ``ValueError`` if any target is infeasible; round-off
        negatives (within 1e-12 relative) are still set to 0.
        """
        hi = np.inf if max_power is None else scalar("max_power", max_power, 0.0,
                                                      low_inclusive=False)
        p = self.invert(target)
        if not clip and not np.all(self.feasible(target, max_power)):
            bad = int(np.sum(~self.feasible(target, max_power)))
            raise ValueError(f"{bad} target vector(s) need negative power or more than "
                             f"max_power={max_power!r}; use clip=True or lower the targets")
        return np.clip(p, 0.0, hi)

    @cached_property
    def _lu(self) -> tuple[FloatArray, IntArray]:
        k = self.matrix
        if np.linalg.cond(k) > 1.0 / np.finfo(float).eps:
            raise ValueError("matrix is singular to working precision; cannot invert")
        lu: tuple[FloatArray, IntArray] = scipy.linalg.lu_factor(k, check_finite=False)
        return lu

    def _vectors(self, name: str, value: ArrayLike) -> FloatArray:
        v = array(name, value)
        if v.ndim == 0 or v.shape[-1] != self.size:
            raise ValueError(f"{name} must have shape (..., {self.size}), got {v.shape}")
        return v
