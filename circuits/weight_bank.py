"""Microring weight bank: N add-drop rings between a through bus and a drop bus.

Ring k is assigned WDM channel k (ascending wavelength). The weight of channel k is read by
a balanced photodetector, ``w_k = T_drop,eff(lambda_k) - T_thru,eff(lambda_k)``, where the
effective transmissions are those of the whole bank (every other ring's tail included);
see :mod:`photonic_dfa.circuits.bank_solvers` for the topology and the two solvers.

Tuning. Ring k's heater warms it by ``dT = K P + ambient_delta_t`` (``K`` the thermal
crosstalk matrix, ``R_th I`` without crosstalk), which red-shifts its resonances.

Branch. Every ring works on one monotonic branch of its weight curve: from its resonance
sitting on channel k (largest weight, about ``+drop_peak``) to a red detuning of
``branch_fraction`` (default 1/2) of the spacing to channel k+1 (smallest weight, about
``-1``), so a ring never walks into its neighbour's channel. In temperature the branch is
``[theta_lo_k, theta_hi_k]`` (:attr:`WeightBank.branch_temperatures`): the temperatures at
which the first resonance that can reach the branch from the coldest state (heaters off,
``ambient_delta_t``) sits on channel k, and at which it has moved to the branch end. A
fabricated ring whose resonance already lies inside the branch with heaters off gets a
truncated branch (a smaller largest weight), as on a real chip.

Bias (:meth:`WeightBank.design`). On this branch the largest and smallest weights are set by
the physics (on resonance; half a channel spacing away), so a bias can't widen the range;
it can only lose the top of it: when the neighbours' heaters warm ring k through thermal
crosstalk, ring k is pushed past its channel and can no longer come back on resonance
(heaters only heat). ``bias="auto"`` therefore detunes every ring to the blue at zero power
by the smallest common temperature ``b`` for which every point of the branch box is
reachable with non-negative heater powers whatever the neighbours do:
``min over the box of K^-1 (theta - ambient) >= 0``. Without crosstalk ``b = 0`` and ring k
resonates on channel k at zero power. ``drift_margin`` adds a safety margin against chip
temperature drift. The result is the largest range the branch allows for every channel at
once, ``[max_k w_min,k, min_k w_max,k]`` (:attr:`WeightBank.weight_range`; its symmetric
part is :attr:`WeightBank.symmetric_weight_range`).

Any bank (fabricated, drifting, with measured crosstalk) has its branch box shrunk to what
its heaters can reach with powers in ``[0, max_power]``; a ring that cannot reach its branch
at all is parked (:attr:`WeightBank.unreachable_channels`).

Inverse (:meth:`WeightBank.heater_powers_for_weights`): weights depend on heater powers
only through the ring temperatures, so the optical problem is solved in temperature and
the powers follow from one linear solve with ``K``. For the ``fast`` solver a fused numba
kernel solves each row on its own (:func:`~._bank_kernels.inverse_fast`); the numpy
implementation, all rows at once, is kept as ``_newton_reference`` (the ``exact`` solver
and the rare rows with a singular Jacobian use it) and agrees to ~1e-12 K.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, overload

import numpy as np
import scipy.linalg
from numpy.typing import ArrayLike

from photonic_dfa.base.arrays import FloatArray
from photonic_dfa.base.validation import check_array, check_int, check_scalar
from photonic_dfa.devices.microring import AddDropRing
from photonic_dfa.devices.thermal import Heater, ThermalCrosstalk

from ._bank_kernels import bank_exact, bank_fast, inverse_fast, lu_rows
from .bank_solvers import (
    SOLVERS,
    RingArrays,
    bus_element,
    cascade,
    compose3,
    outputs,
    prefix_suffix,
    reduce_cycles,
    ring_elements,
)

__all__ = ["WeightBank", "DEFAULT_THERMAL_DECAY_LENGTH", "DEFAULT_RING_CLEARANCE"]

#: Exponential decay length of lateral heat spreading used by ``design(crosstalk=True)``.
#: Heat in SOI spreads over a length of the order of the buried oxide plus cladding
#: thickness (a few um to tens of um; see :mod:`photonic_dfa.devices.thermal`); 10 um gives
#: a nearest-neighbour coupling of exp(-2.5) = 8 % at the default 25 um pitch.
DEFAULT_THERMAL_DECAY_LENGTH = 10e-6
#: Edge-to-edge clearance between neighbouring rings for the default pitch (m).
DEFAULT_RING_CLEARANCE = 5e-6

_TABLE_POINTS = 257
_RANGE_GRID = 17
#: Newton steps a ring's 1-D solve takes past its convergence test in the fused inverse
_POLISH = 1


def _check_solver(solver: Any) -> str:
    if solver not in SOLVERS:
        raise ValueError(f"solver must be one of {SOLVERS}, got {solver!r}")
    return solver


@dataclass(frozen=True)
class WeightBank:
    """A WDM weight bank of add-drop rings (see the module docstring for the model).

    Parameters
    ----------
    rings:
        The actual rings (designed or fabricated), ring k for channel k; at least one.
        Each needs ``dn_dT > 0`` (heating red-shifts it).
    channel_wavelengths:
        Channel wavelengths in m, strictly ascending, one per ring.
    heater:
        The heater each ring carries (its ``max_power`` bounds every heater's power;
        its ``thermal_resistance`` is ``K_ii`` when ``crosstalk`` is None).
    crosstalk:
        Thermal crosstalk matrix ``K`` (K/W) of size N, or None for ``K = R_th I``.
    ambient_delta_t:
        Common chip temperature offset in K, in [-200, 200] (drift).
    bus_length:
        Length in m of each bus segment between neighbouring rings (through and drop
        buses alike), in [0, 1e-2]; 0 for ideal zero-length buses. Segments use ring 0's
        waveguide (``n_eff``, ``n_g``, loss) and are not heated.
    branch_fraction:
        Branch end as a fraction of the spacing to the next channel, in (0, 0.5].
    """

    rings: tuple[AddDropRing, ...]
    channel_wavelengths: tuple[float, ...]
    heater: Heater = field(default_factory=Heater)
    crosstalk: ThermalCrosstalk | None = None
    ambient_delta_t: float = 0.0
    bus_length: float = 0.0
    branch_fraction: float = 0.5

    def __post_init__(self) -> None:
        s = object.__setattr__
        rings = self.rings
        if isinstance(rings, AddDropRing) or not isinstance(rings, tuple | list):
            raise ValueError(f"rings must be a sequence of AddDropRing, got {type(rings)!r}")
        if len(rings) == 0:
            raise ValueError("rings must hold at least one AddDropRing, got none")
        for k, rg in enumerate(rings):
            if not isinstance(rg, AddDropRing):
                raise ValueError(f"rings[{k}] must be an AddDropRing, got {type(rg)!r}")
            if rg.dn_dT <= 0:
                raise ValueError(f"rings[{k}].dn_dT must be > 0 (heaters red-shift the "
                                 f"rings), got {rg.dn_dT!r}")
        s(self, "rings", tuple(rings))
        n = len(rings)
        lam = check_array("channel_wavelengths", self.channel_wavelengths, 1e-7, 1e-4, ndim=1)
        if lam.shape != (n,):
            raise ValueError(f"channel_wavelengths must have shape ({n},) (one per ring), "
                             f"got {lam.shape}")
        if n > 1 and np.any(np.diff(lam) <= 0):
            raise ValueError("channel_wavelengths must be strictly ascending")
        s(self, "channel_wavelengths", tuple(float(v) for v in lam))
        if not isinstance(self.heater, Heater):
            raise ValueError(f"heater must be a Heater, got {type(self.heater)!r}")
        if self.crosstalk is not None:
            if not isinstance(self.crosstalk, ThermalCrosstalk):
                raise ValueError("crosstalk must be a ThermalCrosstalk or None, got "
                                 f"{type(self.crosstalk)!r}")
            if self.crosstalk.size != n:
                raise ValueError(f"crosstalk must be of size {n} (one heater per ring), "
                                 f"got {self.crosstalk.size}")
        s(self, "ambient_delta_t",
          check_scalar("ambient_delta_t", self.ambient_delta_t, -200.0, 200.0))
        s(self, "bus_length", check_scalar("bus_length", self.bus_length, 0.0, 1e-2))
        s(self, "branch_fraction", check_scalar("branch_fraction", self.branch_fraction,
                                                0.0, 0.5, low_inclusive=False))

    # ------------------------------------------------------------------ construction
    @classmethod
    def design(
        cls,
        channel_wavelengths: ArrayLike,
        ring: AddDropRing | None = None,
        heater: Heater | None = None,
        ring_pitch: float | None = None,
        crosstalk: bool | float | ThermalCrosstalk = True,
        bias: str | float = "auto",
        drift_margin: float = 0.0,
        bus_length: float | None = None,
        branch_fraction: float = 0.5,
    ) -> WeightBank:
        """Design a bank: ring k is ``ring`` re-sized (radius) to channel k, plus the bias.

        Parameters
        ----------
        channel_wavelengths:
            Array of channel wavelengths (m, ascending) or an object with ``wavelengths``
            (:class:`~photonic_dfa.devices.laser.ChannelGrid`, ``CombLaser``).
        ring:
            Template ring (coupling, loss, waveguide); default ``AddDropRing()``.
        heater:
            Heater of every ring; default ``Heater()``.
        ring_pitch:
            Centre-to-centre distance of neighbouring rings in m; must exceed the ring
            diameter. Default ``2 radius + 5 um``.
        crosstalk:
            ``True``: exponential model ``K_ij = R_th exp(-|i - j| pitch / 10 um)``;
            ``False``: none; a float in (0, 1): that nearest-neighbour coupling
            ``K_i,i+1 / K_ii`` (same exponential model); or a ready ``ThermalCrosstalk``.
        bias:
            ``"auto"`` (module docstring), or a blue detuning in m (zero-power resonance
            of ring k at ``lambda_k - bias``), in [0, 1e-7].
        drift_margin:
            Extra bias temperature in K (``"auto"`` only), in [0, 100].
        bus_length:
            Bus segment length between rings, m; default ``ring_pitch`` (straight buses).
        branch_fraction:
            See the class docstring.
        """
        wl_src = getattr(channel_wavelengths, "wavelengths", channel_wavelengths)
        lam = check_array("channel_wavelengths", wl_src, 1e-7, 1e-4, ndim=1)
        n = lam.shape[0]
        if n == 0:
            raise ValueError("channel_wavelengths must hold at least one wavelength")
        ring = AddDropRing() if ring is None else ring
        heater = Heater() if heater is None else heater
        if not isinstance(ring, AddDropRing):
            raise ValueError(f"ring must be an AddDropRing, got {type(ring)!r}")
        if not isinstance(heater, Heater):
            raise ValueError(f"heater must be a Heater, got {type(heater)!r}")
        if ring_pitch is None:
            pitch = 2.0 * ring.radius + DEFAULT_RING_CLEARANCE
        else:
            pitch = check_scalar("ring_pitch", ring_pitch, 2.0 * ring.radius, 1e-2,
                                 low_inclusive=False)
        xt = _make_crosstalk(crosstalk, n, pitch, heater.thermal_resistance)
        bus = pitch if bus_length is None else check_scalar("bus_length", bus_length, 0.0, 1e-2)
        margin = check_scalar("drift_margin", drift_margin, 0.0, 100.0)

        def build(zero_power_resonances: np.ndarray) -> WeightBank:
            rings = tuple(ring.tuned_to(float(w)) for w in zero_power_resonances)
            return cls(rings, tuple(lam), heater, xt, 0.0, bus, branch_fraction)

        if isinstance(bias, str):
            if bias != "auto":
                raise ValueError(f"bias must be 'auto' or a detuning in m, got {bias!r}")
            # The required bias depends (weakly, through dispersion) on the rings it builds:
            # iterate on the exact branch box until it is feasible.
            b = margin
            for _ in range(8):
                bank = build(lam * ring.n_g / (ring.n_g + ring.dn_dT * b))
                need = bank._bias_deficit()
                if need <= 0.0:
                    break
                # absolute slack (1 nK, physically nil) so rounding in tuned_to cannot stall it
                b += need * (1.0 + 1e-6) + 1e-9
            else:  # pragma: no cover - converges in two or three rounds
                raise ValueError("could not find a feasible bias; crosstalk too strong?")
        else:
            offset = check_scalar("bias", bias, 0.0, 1e-7)
            bank = build(lam - offset)
        fsr = min(rg.fsr(w) for rg, w in zip(bank.rings, lam))
        band = float(lam[-1] - lam[0]) + (float(np.min(np.diff(lam))) if n > 1 else 0.0)
        if n > 1 and band > fsr:
            warnings.warn(f"the channel band ({band * 1e9:.3g} nm incl. one spacing) exceeds "
                          f"the rings' FSR ({fsr * 1e9:.3g} nm): other resonance orders of "
                          "the rings fall on other channels", UserWarning, stacklevel=2)
        hi_p = bank._box_power_extremes(capped=False)[1]
        if hi_p > heater.max_power * (1.0 + 1e-9):
            raise ValueError(f"heater max_power={heater.max_power!r} W cannot cover the "
                             f"branch: it needs up to {hi_p:.4g} W; raise max_power or "
                             "thermal_resistance, or lower branch_fraction")
        return bank

    # ------------------------------------------------------------------ basic figures
    @property
    def n_channels(self) -> int:
        """Number of channels (= rings) N."""
        return len(self.rings)

    @cached_property
    def _ra(self) -> RingArrays:
        return RingArrays.from_rings(self.rings)

    @cached_property
    def _lam(self) -> np.ndarray:
        lam = np.array(self.channel_wavelengths)
        lam.setflags(write=False)
        return lam

    @cached_property
    def thermal_matrix(self) -> FloatArray:
        """``K`` (K/W), ``dT = K P + ambient_delta_t``; ``R_th I`` without crosstalk."""
        if self.crosstalk is None:
            k = self.heater.thermal_resistance * np.eye(self.n_channels)
        else:
            k = np.array(self.crosstalk.matrix, dtype=float)
        k.setflags(write=False)
        return k

    @cached_property
    def _k_lu(self) -> Any:
        return scipy.linalg.lu_factor(self.thermal_matrix, check_finite=False)

    @cached_property
    def _cache(self) -> dict:
        return {}

    def _bus(self, wavelengths: np.ndarray, solver: str) -> np.ndarray | None:
        return bus_element(self.rings[0], self.bus_length, wavelengths, solver)

    def _branch(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Uncapped branch ``(start, end, floor)`` per ring (see :attr:`branch_temperatures`)."""
        ra, lam = self._ra, self._lam
        fsr = lam * lam / ra.p0
        if self.n_channels > 1:
            gaps = np.diff(lam)
            spacing = np.concatenate([gaps, gaps[-1:]])
        else:
            spacing = fsr
        delta = self.branch_fraction * np.minimum(spacing, fsr)
        floor = np.full(self.n_channels, self.ambient_delta_t)
        t_end = (ra.p0 + ra.pt * floor) / (lam + delta) + ra.q
        m = np.floor(t_end) + 1.0
        start = (lam * (m - ra.q) - ra.p0) / ra.pt
        end = ((lam + delta) * (m - ra.q) - ra.p0) / ra.pt
        return start, end, floor

    @cached_property
    def _box(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(lo, hi, unreachable)``: see :attr:`branch_temperatures`."""
        start, end, floor = self._branch()
        n = self.n_channels
        lo, hi = np.maximum(start, floor), end.copy()
        kinv = np.linalg.inv(self.thermal_matrix)
        diag = np.diag(kinv)
        if np.any(diag <= 0):
            raise ValueError("thermal crosstalk matrix has a non-positive diagonal in its "
                             "inverse; heaters cannot address their rings")
        kp, km = kinv.clip(min=0), kinv.clip(max=0)
        pmax, amb = self.heater.max_power, self.ambient_delta_t
        eps = 1e-12 * pmax
        stuck = np.zeros(n, dtype=bool)
        for _ in range(200):
            p_lo = kp @ (lo - amb) + km @ (hi - amb)
            p_hi = kp @ (hi - amb) + km @ (lo - amb)
            up = np.maximum(0.0, -p_lo - eps) / diag * (1.0 + 1e-9)
            down = np.maximum(0.0, p_hi - pmax - eps) / diag * (1.0 + 1e-9)
            if not (up.any() or down.any()):
                break
            if np.any(stuck & (up > 0) & (down > 0)):
                k = int(np.flatnonzero(stuck & (up > 0) & (down > 0))[0])
                raise ValueError(f"ring {k}'s heater cannot hold any temperature against "
                                 "its neighbours' heat with powers in "
                                 f"[0, max_power={pmax:g}]")
            # a stuck ring's single temperature moves as a whole
            lo = lo + np.where(stuck, up - down, up)
            hi = hi - np.where(stuck, down - up, down)
            gone = (hi < lo) & ~stuck
            if gone.any():
                # branch out of reach: park at the reachable temperature nearest to it
                park = np.where(end <= lo, lo, hi)
                lo = np.where(gone, park, lo)
                hi = np.where(gone, park, hi)
                stuck |= gone
        else:  # pragma: no cover - converges in a few rounds for dominant diagonals
            raise ValueError("could not fit the branch box to the heater range")
        for x in (lo, hi, stuck):
            x.setflags(write=False)
        return lo, hi, stuck

    @property
    def branch_temperatures(self) -> tuple[FloatArray, FloatArray]:
        """``(theta_lo, theta_hi)``, each ``(N,)`` in K: ring temperatures at the start (on
        resonance with its channel) and end of every ring's branch (module docstring).

        With ``t(lambda, dT) = (p0 + pt dT) / lambda + q`` the phase in cycles, resonance on
        ``lambda`` in mode ``m`` needs ``dT = (lambda (m - q) - p0) / pt``; ``m`` is the first
        mode whose branch end is above the coldest temperature ``ambient_delta_t``.

        The box ``[theta_lo, theta_hi]^N`` is then shrunk until every point of it is
        reachable with heater powers in ``[0, max_power]`` (``P = K^-1 (theta - ambient)``
        is linear, so its extremes over the box are at corners): a start the neighbours'
        heat (or drift) can push a ring past is raised, an end the heaters cannot reach is
        lowered. A designed bank's bias makes this a no-op; a fabricated one may lose the
        top or bottom of some ranges, as on a real chip. A ring whose branch vanishes is
        *unreachable* (:attr:`unreachable_channels`): it is parked at the reachable
        temperature nearest its branch (``theta_lo = theta_hi``) and its heater only holds
        it there.
        """
        lo, hi, _ = self._box
        return lo, hi

    @property
    def unreachable_channels(self) -> tuple[int, ...]:
        """Channels whose weight is not programmable: the ring cannot be brought onto its
        branch (see :attr:`branch_temperatures`), or what is left of its branch is so
        short that no weight is reachable for every setting of the neighbours (an empty
        :meth:`reachable_weights` bound with either solver). The inverse parks such a ring
        at a fixed temperature (mid-box) and leaves its channel out."""
        return tuple(int(k) for k in np.flatnonzero(self._parked[0]))

    @cached_property
    def _parked(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(mask, lo, hi)``: parked channels and the solve box with them fixed mid-box."""
        lo, hi, stuck = self._box
        mask = stuck.copy()
        for s in SOLVERS:
            w_min, w_max = self._raw_range(s)
            mask |= w_min > w_max
        mid = 0.5 * (lo + hi)
        out = (mask, np.where(mask, mid, lo), np.where(mask, mid, hi))
        for x in out:
            x.setflags(write=False)
        return out

    def _box_power_extremes(self, capped: bool = True) -> tuple[float, float]:
        """Smallest and largest heater power over the branch box ``theta in [lo, hi]^N``
        (``capped=False``: the uncapped branch, as designed)."""
        if capped:
            lo, hi = self.branch_temperatures
        else:
            start, hi, floor = self._branch()
            lo = np.maximum(start, floor)
        kinv = np.linalg.inv(self.thermal_matrix)
        pmin = kinv.clip(min=0) @ (lo - self.ambient_delta_t) \
            + kinv.clip(max=0) @ (hi - self.ambient_delta_t)
        pmax = kinv.clip(min=0) @ (hi - self.ambient_delta_t) \
            + kinv.clip(max=0) @ (lo - self.ambient_delta_t)
        return float(pmin.min()), float(pmax.max())

    def _bias_deficit(self) -> float:
        """Extra common bias temperature needed so the whole box has non-negative power."""
        start, hi, floor = self._branch()
        lo = np.maximum(start, floor)
        kinv = np.linalg.inv(self.thermal_matrix)
        rows = kinv.sum(axis=1)
        if np.any(rows <= 0):
            raise ValueError("thermal crosstalk is too strong: K^-1 has a non-positive row "
                             "sum, so no common bias makes every weight reachable")
        pmin = kinv.clip(min=0) @ (lo - self.ambient_delta_t) \
            + kinv.clip(max=0) @ (hi - self.ambient_delta_t)
        return float(np.max(-pmin / rows))

    # ------------------------------------------------------------------ thermal
    def _check_powers(self, heater_powers: ArrayLike, name: str = "heater_powers"
                      ) -> np.ndarray:
        p = check_array(name, heater_powers, 0.0, self.heater.max_power)
        if p.ndim == 0 or p.shape[-1] != self.n_channels:
            raise ValueError(f"{name} must have shape (..., {self.n_channels}), got {p.shape}")
        return p

    def temperatures(self, heater_powers: ArrayLike) -> FloatArray:
        """Temperature rise of every ring, ``dT = P K^T + ambient_delta_t`` (K), ``(..., N)``.

        ``heater_powers`` ``(..., N)`` in W, each in [0, heater.max_power].
        """
        p = self._check_powers(heater_powers)
        return p @ self.thermal_matrix.T + self.ambient_delta_t

    def powers_for_temperatures(self, temperatures: ArrayLike) -> FloatArray:
        """Heater powers ``K^-1 (dT - ambient)`` for ring temperatures ``(..., N)``;
        ``ValueError`` naming the channel if one needs a power outside [0, max_power]
        (round-off below 1e-12 max_power is set to the bound)."""
        t = check_array("temperatures", temperatures)
        if t.ndim == 0 or t.shape[-1] != self.n_channels:
            raise ValueError(f"temperatures must have shape (..., {self.n_channels}), "
                             f"got {t.shape}")
        flat = np.ascontiguousarray((t - self.ambient_delta_t).reshape(-1, self.n_channels))
        lu, piv = self._k_lu
        p = np.empty_like(flat)
        lu_rows(np.ascontiguousarray(lu), piv.astype(np.int64), flat, p)
        p = p.reshape(t.shape)
        pmax = self.heater.max_power
        eps = 1e-12 * pmax
        bad = (p < -eps) | (p > pmax + eps)
        if np.any(bad):
            k = int(np.flatnonzero(bad.reshape(-1, self.n_channels).any(axis=0))[0])
            v = p[..., k][bad[..., k]].flat[0]
            raise ValueError(f"channel {k} needs heater power {v:.6g} W outside [0, {pmax:g}] "
                             "(neighbours' heat or drift beyond the bias)")
        return np.clip(p, 0.0, pmax)

    # ------------------------------------------------------------------ optics
    def _spectra_theta(self, wavelengths: np.ndarray, theta: np.ndarray, solver: str
                       ) -> tuple[np.ndarray, np.ndarray]:
        """Bank spectra ``(..., W)`` for ring temperatures ``theta`` ``(..., N)`` (fused
        numba kernel; :meth:`_spectra_theta_numpy` is the same in numpy)."""
        ra = self._ra
        n = self.n_channels
        flat = np.ascontiguousarray(theta, dtype=float).reshape(-1, n)
        wl = np.ascontiguousarray(wavelengths, dtype=float)
        bus = self._bus(wl, solver)
        if bus is None:
            bus = np.ones(wl.shape, dtype=complex if solver == "exact" else float)
        thru = np.empty((flat.shape[0], wl.shape[0]))
        drop = np.empty_like(thru)
        kernel = bank_exact if solver == "exact" else bank_fast
        kernel(wl, flat, ra.p0, ra.pt, ra.q, ra.a, ra.r1, ra.r2, bus, thru, drop)
        shape = theta.shape[:-1] + wl.shape
        return thru.reshape(shape), drop.reshape(shape)

    def _spectra_theta_numpy(self, wavelengths: np.ndarray, theta: np.ndarray, solver: str
                             ) -> tuple[np.ndarray, np.ndarray]:
        cyc = self._ra.cycles(wavelengths[:, None], theta[..., None, :])
        S = ring_elements(self._ra, cyc, solver)
        return outputs(cascade(S, self._bus(wavelengths, solver)))

    def _weights_theta(self, theta: np.ndarray, solver: str) -> np.ndarray:
        thru, drop = self._spectra_theta(self._lam, theta, solver)
        return drop - thru

    def spectra(self, wavelengths: ArrayLike, heater_powers: ArrayLike,
                solver: str = "fast") -> tuple[FloatArray, FloatArray]:
        """Through- and drop-port power spectra of the bank, each ``(..., W)``.

        ``wavelengths`` ``(W,)`` in m; ``heater_powers`` ``(..., N)`` in W;
        ``solver`` ``"fast"`` or ``"exact"`` (:mod:`~photonic_dfa.circuits.bank_solvers`).
        """
        solver = _check_solver(solver)
        wl = check_array("wavelengths", wavelengths, 0.0, None, low_inclusive=False, ndim=1)
        return self._spectra_theta(wl, self.temperatures(heater_powers), solver)

    def channel_transmissions(self, heater_powers: ArrayLike, solver: str = "fast"
                              ) -> tuple[FloatArray, FloatArray]:
        """``(T_thru, T_drop)``, each ``(..., N)``: the bank's effective through and drop
        transmission at every channel wavelength (all rings' tails included)."""
        solver = _check_solver(solver)
        return self._spectra_theta(self._lam, self.temperatures(heater_powers), solver)

    def weights(self, heater_powers: ArrayLike, solver: str = "fast") -> FloatArray:
        """``w_k = T_drop,eff(lambda_k) - T_thru,eff(lambda_k)``, ``(..., N)``."""
        thru, drop = self.channel_transmissions(heater_powers, solver)
        return drop - thru

    # ------------------------------------------------------------------ derivatives
    def _theta_step(self) -> np.ndarray:
        """Finite-difference temperature step per ring: 1e-5 of its linewidth in kelvin."""
        ra = self._ra
        x = ra.r1 * ra.r2 * ra.a
        width_cycles = (1.0 - x) / (math.pi * np.sqrt(x))
        return 1e-5 * width_cycles * self._lam / ra.pt

    def _jacobian_theta(self, theta: np.ndarray, solver: str
                        ) -> tuple[np.ndarray, np.ndarray]:
        """Weights ``(..., N)`` and ``J[..., k, j] = dw_k / dtheta_j`` ``(..., N, N)``.

        Prefix/suffix scans of the cascade at every channel wavelength make the bank with
        one ring changed cost O(1) per (channel, ring) pair; central differences in the
        ring's temperature (step 1e-5 linewidth, relative error ~1e-10).
        """
        ra, lam = self._ra, self._lam
        cyc = ra.cycles(lam[:, None], theta[..., None, :])  # (..., channel, ring)
        S = ring_elements(ra, cyc, solver)
        P, Q = prefix_suffix(S, self._bus(lam, solver))
        thru, drop = outputs(tuple(s[..., 0] for s in compose3(P, S, Q)))
        h = self._theta_step()
        dcyc = h * ra.pt / lam[:, None]
        wp = np.subtract(*outputs(compose3(P, ring_elements(ra, cyc + dcyc, solver), Q))[::-1])
        wm = np.subtract(*outputs(compose3(P, ring_elements(ra, cyc - dcyc, solver), Q))[::-1])
        return drop - thru, (wp - wm) / (2.0 * h)

    def weight_jacobian(self, heater_powers: ArrayLike, solver: str = "fast") -> FloatArray:
        """``dw_k / dP_j`` in 1/W, ``(..., N, N)``: optical tails and thermal crosstalk."""
        solver = _check_solver(solver)
        _, jt = self._jacobian_theta(self.temperatures(heater_powers), solver)
        return jt @ self.thermal_matrix

    def weight_sensitivity(self, heater_powers: ArrayLike, solver: str = "fast"
                           ) -> FloatArray:
        """``dw_k / dP_k`` in 1/W, ``(..., N)``: the slope of each weight against its own
        heater (others fixed), crosstalk included. Its inverse times a weight step is the
        power resolution a heater driver needs."""
        return np.diagonal(self.weight_jacobian(heater_powers, solver), axis1=-2, axis2=-1)

    # ------------------------------------------------------------------ branch and range
    @cached_property
    def bias_powers(self) -> FloatArray:
        """Heater powers ``(N,)`` putting every ring at its branch start (on its channel)
        together, clipped to [0, max_power] (for banks whose box is not fully feasible)."""
        lo, _ = self.branch_temperatures
        flat = (lo - self.ambient_delta_t)[:, None]
        p = scipy.linalg.lu_solve(self._k_lu, flat, check_finite=False)[:, 0]
        p = np.clip(p, 0.0, self.heater.max_power)
        p.setflags(write=False)
        return p

    def weight_curve(self, index: int, powers: ArrayLike, solver: str = "fast",
                     others: ArrayLike | None = None) -> FloatArray:
        """Weight of channel ``index`` against its own heater power ``powers`` ``(P,)``, the
        other heaters at ``others`` (``(N,)``; default :attr:`bias_powers`). ``(P,)``."""
        k = check_int("index", index, 0, self.n_channels - 1)
        pw = check_array("powers", powers, 0.0, self.heater.max_power, ndim=1)
        base = self.bias_powers if others is None else self._check_powers(others, "others")
        if base.shape != (self.n_channels,):
            raise ValueError(f"others must have shape ({self.n_channels},), got {base.shape}")
        p = np.repeat(base[None, :], pw.shape[0], axis=0)
        p[:, k] = pw
        return self.weights(p, solver)[:, k]

    def reachable_weights(self, solver: str = "fast") -> tuple[FloatArray, FloatArray]:
        """Per-channel ``(w_min, w_max)``, each ``(N,)``, reachable whatever the other rings
        do on their branches.

        ``w_max,k`` is channel k's weight with ring k at its branch start and the other rings
        where they lower it most; ``w_min,k`` likewise at the branch end where they raise it
        most. Those worst neighbour settings are searched as: the box corner chosen per
        neighbour (each ring moved alone to its branch end), which is exact for the
        additive, monotonic tails of the ``fast`` solver; for ``exact``, whose coherent
        tails are neither, then two coordinate sweeps scanning each neighbour over its
        branch (17 points). Checked in the tests against 12,000 random neighbour settings.
        With these face bounds every target vector inside the ranges has a solution in the
        box (Poincare-Miranda), which :meth:`heater_powers_for_weights` finds.

        Parked channels (:attr:`unreachable_channels`) get ``w_min = w_max`` = their weight
        with every ring at its branch start. A bank with channels spaced by about a
        linewidth or less has empty ranges (``w_min > w_max``).
        """
        solver = _check_solver(solver)
        key = ("range", solver)
        if key not in self._cache:
            w_min, w_max = self._raw_range(solver)
            mask, lo, _ = self._parked
            if mask.any():
                parked = self._weights_theta(lo, solver)
                w_min = np.where(mask, parked, w_min)
                w_max = np.where(mask, parked, w_max)
            w_min.setflags(write=False)
            w_max.setflags(write=False)
            self._cache[key] = (w_min, w_max)
        return self._cache[key]

    def _raw_range(self, solver: str) -> tuple[np.ndarray, np.ndarray]:
        key = ("raw_range", solver)
        if key not in self._cache:
            self._cache[key] = self._compute_range(solver)
        return self._cache[key]

    def _own_weights(self, theta: np.ndarray, solver: str) -> np.ndarray:
        """``w_k`` only, for ring temperatures ``theta`` ``(N, ..., N)`` whose first axis
        is the channel k: N times cheaper than all channels of every configuration."""
        ra, lam = self._ra, self._lam
        shape = (self.n_channels,) + (1,) * (theta.ndim - 1)
        wl = lam.reshape(shape)
        S = ring_elements(ra, ra.cycles(wl, theta), solver)
        bus = self._bus(lam, solver)
        if bus is not None:
            bus = bus.reshape(shape[:-1])
        thru, drop = outputs(cascade(S, bus))
        return drop - thru

    def _compute_range(self, solver: str) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.branch_temperatures
        n = self.n_channels
        idx = np.arange(n)
        grid = np.linspace(0.0, 1.0, _RANGE_GRID)
        out = []
        for own, sign in ((lo, -1.0), (hi, 1.0)):
            # configs[k, j]: ring k at `own`, ring j (j != k) at its end, others at start.
            cfg = np.broadcast_to(lo, (n, n, n)).copy()
            cfg[:, idx, idx] = hi
            cfg[idx, :, idx] = own[:, None]
            w = self._own_weights(cfg, solver)  # (k, j)
            delta = w - w[idx, idx][:, None]
            # Worst corner: ring j at its end where that alone pushes w_k outward (sign).
            env = np.where(sign * delta > 0, hi[None, :], lo[None, :])
            env[idx, idx] = own
            best = sign * self._own_weights(env, solver)
            best = np.maximum(best, np.max(sign * w, axis=1))
            if solver == "exact":
                # Coherent tails are neither additive nor monotone: refine the corner by
                # coordinate sweeps, each neighbour scanned over its branch.
                for _ in range(2):
                    for j in range(n):
                        others = idx != j
                        trial = np.repeat(env[:, None, :], grid.size, axis=1)
                        trial[:, :, j] = lo[j] + grid * (hi[j] - lo[j])
                        trial[j, :, j] = own[j]
                        ws = sign * self._own_weights(trial, solver)  # (k, g)
                        g = np.argmax(ws, axis=1)
                        better = (ws[idx, g] > best) & others
                        env[better, j] = trial[better, g[better], j]
                        best = np.where(better, ws[idx, g], best)
            out.append(sign * best)
        w_max, w_min = out
        return w_min, w_max

    @property
    def weight_range(self) -> tuple[float, float]:
        """``(w_min, w_max)`` reachable on every programmable channel (all but
        :attr:`unreachable_channels`) with either solver."""
        free = ~self._parked[0]
        if not free.any():
            raise ValueError("no channel of this bank is reachable")
        lows, highs = zip(*(self.reachable_weights(s) for s in SOLVERS))
        return (float(max(x[free].max() for x in lows)),
                float(min(x[free].min() for x in highs)))

    @property
    def symmetric_weight_range(self) -> float:
        """Largest ``s`` with ``[-s, s]`` inside :attr:`weight_range` (0 if none)."""
        w_min, w_max = self.weight_range
        return max(0.0, min(-w_min, w_max))

    # ------------------------------------------------------------------ inverse
    def _curve_table(self, solver: str) -> tuple[np.ndarray, np.ndarray]:
        """``(theta (G, N), w (G, N))``: each ring's weight along its branch with the other
        rings at their branch start, made monotone (non-increasing) for interpolation."""
        key = ("table", solver)
        if key not in self._cache:
            ra, lam = self._ra, self._lam
            _, lo, hi = self._parked
            cyc = ra.cycles(lam[:, None], lo[None, :])
            P, Q = prefix_suffix(ring_elements(ra, cyc, solver), self._bus(lam, solver))
            diag = np.arange(self.n_channels)
            P = tuple(x[diag, diag] for x in P)
            Q = tuple(x[diag, diag] for x in Q)
            grid = np.linspace(0.0, 1.0, _TABLE_POINTS)[:, None]
            theta = lo + grid * (hi - lo)
            thru, drop = outputs(compose3(P, ring_elements(ra, ra.cycles(lam, theta), solver),
                                          Q))
            w = np.minimum.accumulate(drop - thru, axis=0)
            self._cache[key] = (theta, w)
        return self._cache[key]

    def _initial_theta(self, targets: np.ndarray, solver: str) -> np.ndarray:
        theta, w = self._curve_table(solver)
        out = np.empty_like(targets)
        for k in range(self.n_channels):
            out[..., k] = np.interp(targets[..., k], w[::-1, k], theta[::-1, k])
        return out

    @overload
    def heater_powers_for_weights(
        self, targets: ArrayLike, solver: str = ..., tol: float = ..., max_iter: int = ...,
        clip: Literal[False] = ...,
    ) -> FloatArray: ...

    @overload
    def heater_powers_for_weights(
        self, targets: ArrayLike, solver: str = ..., tol: float = ..., max_iter: int = ...,
        *, clip: Literal[True],
    ) -> tuple[FloatArray, int]: ...

    @overload
    def heater_powers_for_weights(
        self, targets: ArrayLike, solver: str = ..., tol: float = ..., max_iter: int = ...,
        clip: bool = ...,
    ) -> FloatArray | tuple[FloatArray, int]: ...

    def heater_powers_for_weights(
        self,
        targets: ArrayLike,
        solver: str = "fast",
        tol: float = 1e-9,
        max_iter: int = 50,
        clip: bool = False,
    ) -> FloatArray | tuple[FloatArray, int]:
        """Heater powers ``(..., N)`` that set the weights to ``targets`` ``(..., N)``.

        Solved on the monotonic branch with every effect included (thermal crosstalk, other
        rings' tails): in ring temperatures ``theta`` the weights depend on the powers only
        through ``theta = K P + ambient``, so the optical problem ``w(theta) = target`` is
        solved first and ``P = K^-1 (theta - ambient)`` exactly after. Start: each ring's
        monotone branch curve (neighbours at their start) inverted by interpolation; then
        Newton steps with the full Jacobian (neighbour corrections), projected on the branch
        box, with backtracking on ``|w - target|_2``, until ``max|w - target| <= tol``
        (checked again on the returned powers).

        Targets outside channel k's reachable range (:meth:`reachable_weights`) raise
        ``ValueError`` naming the channel; with ``clip=True`` they are clipped to it and
        ``(powers, n_clipped)`` is returned, ``n_clipped`` the number of clipped entries.
        ``RuntimeError`` if the iteration does not reach ``tol`` in ``max_iter`` steps.
        """
        solver = _check_solver(solver)
        tol = check_scalar("tol", tol, 0.0, 1e-2, low_inclusive=False)
        max_iter = check_int("max_iter", max_iter, 1, 10_000)
        if not isinstance(clip, bool | np.bool_):
            raise ValueError(f"clip must be a bool, got {clip!r}")
        n = self.n_channels
        tgt = check_array("targets", targets)
        if tgt.ndim == 0 or tgt.shape[-1] != n:
            raise ValueError(f"targets must have shape (..., {n}), got {tgt.shape}")
        w_min, w_max = self.reachable_weights(solver)
        stuck = self._parked[0]
        outside = (tgt < w_min) | (tgt > w_max)
        outside[..., stuck] = tgt[..., stuck] != w_min[stuck]
        n_clipped = int(outside.sum())
        if clip:
            tgt = np.clip(tgt, w_min, w_max)
        elif n_clipped:
            k = int(np.flatnonzero(outside.reshape(-1, n).any(axis=0))[0])
            v = float(tgt[..., k][outside[..., k]].flat[0])
            if stuck[k]:
                raise ValueError(f"targets for channel {k} cannot be set: it is an "
                                 "unreachable channel (see unreachable_channels); use clip=True")
            raise ValueError(f"targets for channel {k} must be in [{w_min[k]:.9g}, "
                             f"{w_max[k]:.9g}] (its reachable range with solver={solver!r}), "
                             f"got {v!r}; use clip=True to clip")
        shape = tgt.shape
        flat = tgt.reshape(-1, n)
        theta = self._newton(self._initial_theta(flat, solver), flat, solver, tol, max_iter)
        powers = self.powers_for_temperatures(theta)
        resid = np.abs(self.weights(powers, solver) - flat)[:, ~stuck]
        if resid.size and resid.max() > tol:
            k = int(np.flatnonzero(~stuck)[np.argmax(resid.max(axis=0))])
            raise RuntimeError(f"weight inverse did not converge for channel {k}: residual "
                               f"{resid[:, k].max():.3g} > tol={tol:g} after {max_iter} "
                               "iterations")
        powers = powers.reshape(shape)
        return (powers, n_clipped) if clip else powers

    def _ring_functions(self, theta: np.ndarray, solver: str):
        """``f(x)``: weight of channel k with ring k at temperature ``x[..., k]`` and every
        other ring held at ``theta`` (all k at once, O(N) per call after an O(N^2) scan)."""
        ra, lam = self._ra, self._lam
        cyc = ra.cycles(lam[:, None], theta[..., None, :])
        P, Q = prefix_suffix(ring_elements(ra, cyc, solver), self._bus(lam, solver))
        diag = np.arange(self.n_channels)
        P = tuple(x[..., diag, diag] for x in P)
        Q = tuple(x[..., diag, diag] for x in Q)

        def f(x: np.ndarray) -> np.ndarray:
            thru, drop = outputs(compose3(P, ring_elements(ra, ra.cycles(lam, x), solver), Q))
            return drop - thru

        return f

    def _jacobi_sweep(self, theta: np.ndarray, tgt: np.ndarray, solver: str, goal: float
                      ) -> np.ndarray:
        """Solve every ring's own 1-D equation ``w_k(x) = target_k`` on its branch with the
        other rings held fixed (bracketed Newton: Newton steps that stay inside the
        bracket, bisection otherwise); all rings and rows at once."""
        _, lo, hi = self._parked
        f = self._ring_functions(theta, solver)
        h = self._theta_step()
        a = np.broadcast_to(lo, theta.shape).copy()
        b = np.broadcast_to(hi, theta.shape).copy()
        x = np.clip(theta, lo, hi)
        for _ in range(80):
            fx = f(x) - tgt
            # w falls along the branch: f > 0 means the root is further along.
            pos = fx > 0
            a = np.where(pos, x, a)
            b = np.where(pos, b, x)
            if np.all((np.abs(fx) <= 0.1 * goal) | (b - a <= 1e-14 * np.abs(b))):
                break
            df = (f(x + h) - f(x - h)) / (2.0 * h)
            with np.errstate(divide="ignore", invalid="ignore"):
                xn = x - fx / df
            ok = (df < 0) & (xn > a) & (xn < b)
            x = np.where(ok, xn, 0.5 * (a + b))
        return x

    def _newton(self, theta: np.ndarray, tgt: np.ndarray, solver: str, tol: float,
                max_iter: int) -> np.ndarray:
        """Ring temperatures for targets ``tgt`` ``(R, N)`` from the start ``theta``: the
        fused kernel for the ``fast`` solver (rows it cannot finish, a singular Jacobian,
        and the ``exact`` solver go to :meth:`_newton_reference`)."""
        if solver != "fast" or theta.shape[0] == 0:
            return self._newton_reference(theta, tgt, solver, tol, max_iter)
        c = self._fast_inverse_operands
        out = np.empty_like(theta)
        status = np.zeros(theta.shape[0], dtype=np.int8)
        inverse_fast(np.ascontiguousarray(theta, dtype=float),
                     np.ascontiguousarray(tgt, dtype=float), *c, 0.25 * tol, max_iter,
                     _POLISH, out, status)
        bad = np.flatnonzero(status)
        if bad.size:
            out[bad] = self._newton_reference(theta[bad], tgt[bad], solver, tol, max_iter)
        return out

    @cached_property
    def _fast_inverse_operands(self) -> tuple:
        """Per-bank constants of :func:`~._bank_kernels.inverse_fast` (``[ring, channel]``
        arrays)."""
        ra, lam = self._ra, self._lam
        stuck, lo, hi = self._parked
        x = ra.r1 * ra.r2 * ra.a
        cold = reduce_cycles(ra.p0 / lam[:, None] + ra.q)
        h = self._theta_step()
        dcyc = h * ra.pt / lam[:, None]
        bus = self._bus(lam[:1], "fast")
        pb = 1.0 if bus is None else float(bus[0])

        def c(v: ArrayLike) -> FloatArray:
            return np.ascontiguousarray(v, dtype=float)

        return (c(lam), c(ra.pt), c(cold.T), c(dcyc.T), c(2.0 * x), c(1.0 + x * x),
                c((ra.r2 * ra.a) ** 2 + ra.r1 * ra.r1), c((ra.r1 * ra.a) ** 2 + ra.r2 * ra.r2),
                c((1.0 - ra.r1 * ra.r1) * (1.0 - ra.r2 * ra.r2) * ra.a), pb, c(lo), c(hi),
                np.ascontiguousarray(stuck, dtype=np.bool_), c(h))

    def _newton_reference(self, theta: np.ndarray, tgt: np.ndarray, solver: str, tol: float,
                          max_iter: int) -> np.ndarray:
        """Reference inverse (numpy, all rows at once). Jacobi sweeps of per-ring
        bracketed solves (robust: each ring's equation has a root in its branch for
        targets in the reachable range), each followed by a trial Newton step with the
        full Jacobian (fast convergence where neighbours couple strongly), kept for a row
        only if it lowers ``|w - target|_2``. The sweep iterates until every ring of
        every row has converged, so a row's last bits depend on the batch; the fused
        kernel stops each ring at its own convergence (agreement ~1e-12 K)."""
        stuck, lo, hi = self._parked
        theta = np.clip(theta, lo, hi)
        # Converge a little below tol so the round trip through powers keeps within it.
        goal = 0.25 * tol
        active = np.arange(theta.shape[0])
        for _ in range(max_iter):
            th, tg = theta[active], tgt[active]
            r = self._weights_theta(th, solver) - tg
            r[:, stuck] = 0.0  # parked rings: their weights are not solved for
            keep = np.max(np.abs(r), axis=1) > goal
            active, th, tg = active[keep], th[keep], tg[keep]
            if active.size == 0:
                break
            th = self._jacobi_sweep(th, tg, solver, goal)
            w, jac = self._jacobian_theta(th, solver)
            r = w - tg
            if stuck.any():
                r[:, stuck] = 0.0
                jac[:, stuck, :] = 0.0
                jac[:, :, stuck] = 0.0
                jac[:, stuck, stuck] = 1.0
            try:
                step = np.linalg.solve(jac, -r[..., None])[..., 0]
            except np.linalg.LinAlgError:
                step = -(np.linalg.pinv(jac) @ r[..., None])[..., 0]
            trial = np.clip(th + step, lo, hi)
            rt = self._weights_theta(trial, solver) - tg
            rt[:, stuck] = 0.0
            better = np.sum(rt * rt, axis=1) < np.sum(r * r, axis=1)
            theta[active] = np.where(better[:, None], trial, th)
        return theta

    # ------------------------------------------------------------------ netlist
    def to_sax_netlist(self, heater_powers: ArrayLike | None = None) -> dict[str, object]:
        """SAX netlist of the whole bank (see :mod:`photonic_dfa.circuits.bank_netlist`);
        ring temperatures for ``heater_powers`` ``(N,)`` (default all off) are baked into
        the ring waveguides' settings."""
        from .bank_netlist import bank_netlist

        p = np.zeros(self.n_channels) if heater_powers is None else heater_powers
        return bank_netlist(self, self.temperatures(p))

    def simulate_sax(self, wavelengths: ArrayLike, heater_powers: ArrayLike | None = None
                     ) -> tuple[FloatArray, FloatArray]:
        """``(thru, drop)`` power spectra ``(W,)`` from the SAX circuit of simphony's ideal
        couplers and waveguides (reference for the ``exact`` solver)."""
        from .bank_netlist import simulate_bank_sax

        p = np.zeros(self.n_channels) if heater_powers is None else heater_powers
        wl = check_array("wavelengths", wavelengths, 0.0, None, low_inclusive=False, ndim=1)
        t = self.temperatures(p)
        if t.shape != (self.n_channels,):
            raise ValueError(f"heater_powers must have shape ({self.n_channels},), "
                             f"got {np.shape(p)}")
        return simulate_bank_sax(self, wl, t)


def _make_crosstalk(spec: Any, n: int, pitch: float, r_th: float
                    ) -> ThermalCrosstalk | None:
    if isinstance(spec, ThermalCrosstalk):
        if spec.size != n:
            raise ValueError(f"crosstalk must be of size {n}, got {spec.size}")
        return spec
    if isinstance(spec, bool | np.bool_):
        if not spec or n == 1:
            return None
        return ThermalCrosstalk.from_positions(np.arange(n) * pitch, r_th,
                                               decay_length=DEFAULT_THERMAL_DECAY_LENGTH)
    c = check_scalar("crosstalk", spec, 0.0, 1.0, low_inclusive=False, high_inclusive=False)
    if n == 1:
        return None
    return ThermalCrosstalk.from_positions(np.arange(n) * pitch, r_th, neighbour_coupling=c)
