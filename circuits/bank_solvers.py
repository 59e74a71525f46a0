"""Scattering cascades of a WDM bank of add-drop rings: ``exact`` (coherent) and ``fast``.

Topology (the common "counter-propagating drop bus" weight bank, Tait et al., J. Lightwave
Technol. 32, 4029 (2014)). Light enters the through bus on the left and passes rings
``0 .. N-1`` left to right. A ring couples it into its clockwise mode, which leaves on the
drop bus travelling right to left, so every ring's dropped light passes rings ``k-1 .. 0``
on the drop bus and exits at one drop port on the input side. The drop bus's right end
(the add port) is unused (zero input). Only one circulating mode per ring is excited
(no back-scattering), so the bank is a chain of two-port sections: the "left port" carries
(through-bus in, drop-bus out), the "right port" (through-bus out, drop-bus in).

A ring is the two-port ``S = (t1, d, t2, d)``: through-bus transmission ``t1``, left
"reflection" (input -> drop) ``d``, drop-bus transmission ``t2`` and right "reflection"
(add -> through) ``d`` (Bogaerts et al., Laser Photonics Rev. 6, 47 (2012)):

- ``t1 = (r1 - r2 a e^{i phi}) / (1 - x e^{i phi})``,
  ``t2 = (r2 - r1 a e^{i phi}) / (1 - x e^{i phi})``
- ``d = -k1 k2 sqrt(a) e^{i phi / 2} / (1 - x e^{i phi})``, ``x = r1 r2 a``, ``k = sqrt(1 - r^2)``

``exact``: the Redheffer star product of these complex two-ports (and of the bus segments
between rings, ``(p, 0, p, 0)``), which sums every multiple round trip between rings
(light dropped by ring k, re-added to the through bus by ring j < k, dropped again ...):

``T = A.t B.t g``, ``L = A.l + A.t2 B.l A.t g``, ``T2 = A.t2 B.t2 g``, ``R = B.r + B.t A.r B.t2 g``,
``g = 1 / (1 - A.r B.l)``. Outputs ``|T|^2`` (through port) and ``|L|^2`` (drop port).

``fast``: single-pass incoherent products of power responses; no light re-coupled to the
through bus is counted again (terms of second and higher order in other rings' drops):

``T_thru = prod_j T1_j``, ``T_drop = sum_k [prod_{j<k} T1_j] D_k [prod_{j<k} T2_j]``,

with ``T2_j`` ring j's drop-bus transmission ``|t2_j|^2`` (equal to ``T1_j`` when
``r1 = r2``), times bus-segment power losses. It is the same cascade with power two-ports
``(T1, D, T2)`` composed as ``T = A.T B.T``, ``L = A.L + A.T B.L A.T2``, ``T2 = A.T2 B.T2``
(an associative product, so prefix/suffix scans apply to both solvers).

Round-trip phase in cycles (first-order dispersion, thermo-optic shift):
``phi / 2 pi = (n_g + dn_dT dT) L / lambda - (n_g - n_eff0) L / lambda0``, which equals
``n_eff(lambda, dT) L / lambda`` of :mod:`photonic_dfa.devices.microring`. The cold part
``n_g L / lambda - (n_g - n_eff0) L / lambda0`` is reduced modulo two cycles (exactly) before
the thermal part is added and the sum reduced again: the phase then resolves temperature
steps of ~1e-15 K instead of the ~5e-12 K an unreduced phase of hundreds of cycles allows
(a ~5e-12 granularity of the weights).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from photonic_dfa.devices.microring import AddDropRing, db_per_cm_to_alpha

__all__ = [
    "Solver",
    "SOLVERS",
    "RingArrays",
    "reduce_cycles",
    "ring_elements",
    "bus_element",
    "cascade",
    "prefix_suffix",
    "compose3",
    "outputs",
]

Solver = Literal["fast", "exact"]
SOLVERS: tuple[str, ...] = ("fast", "exact")

# A two-port section: exact (t, l, t2, r) complex, fast (T, L, T2) real.
Section = tuple[np.ndarray, ...]


@dataclass(frozen=True)
class RingArrays:
    """Per-ring parameters of a bank as ``(N,)`` arrays, for vectorised evaluation."""

    p0: np.ndarray  # n_g L (m)
    pt: np.ndarray  # dn_dT L (m/K)
    q: np.ndarray  # -(n_g - n_eff0) L / lambda0 (cycles)
    a: np.ndarray
    r1: np.ndarray
    r2: np.ndarray

    @classmethod
    def from_rings(cls, rings: Sequence[AddDropRing]) -> RingArrays:
        g = np.array([[rg.n_g, rg.dn_dT, rg.n_eff, rg.wavelength0, rg.length,
                       rg.round_trip_amplitude, rg.r1, rg.r2] for rg in rings], dtype=float)
        n_g, dn_dt, n_eff, lam0, length, a, r1, r2 = g.T
        return cls(p0=n_g * length, pt=dn_dt * length, q=-(n_g - n_eff) * length / lam0,
                   a=a, r1=r1, r2=r2)

    def cycles(self, wavelengths: np.ndarray, temperatures: np.ndarray) -> np.ndarray:
        """Round-trip phase in cycles, reduced by :func:`reduce_cycles`: ``(..., W, N)``.

        ``wavelengths`` broadcasts against ``(..., W, 1)`` and ``temperatures`` against
        ``(..., 1, N)``; callers insert the axes.
        """
        # The cold phase (hundreds of cycles) is reduced before the thermal part is added,
        # so temperature steps far below the ulp of n_g L / lambda still move the phase.
        cold = reduce_cycles(self.p0 / wavelengths + self.q)
        return reduce_cycles(cold + self.pt * temperatures / wavelengths)


def reduce_cycles(t: np.ndarray) -> np.ndarray:
    """Phase in cycles modulo 2, in [-1, 1): exact in floating point, and modulo 2 (not 1)
    so the half-ring factor ``e^{i phi / 2}`` of the drop field keeps its sign, which sets
    the interference between different rings' dropped light."""
    return t - 2.0 * np.floor(0.5 * t + 0.5)


def ring_elements(ra: RingArrays, cycles: np.ndarray, solver: str) -> Section:
    """Two-port sections of every ring for round-trip phases ``cycles`` (any shape, last
    axis the ring index)."""
    a, r1, r2 = ra.a, ra.r1, ra.r2
    x = r1 * r2 * a
    if solver == "exact":
        h = np.exp(1j * np.pi * cycles)  # e^{i phi / 2}
        e = h * h
        g = 1.0 / (1.0 - x * e)
        d = (-np.sqrt((1.0 - r1 * r1) * (1.0 - r2 * r2) * a) * h) * g
        return (r1 - r2 * a * e) * g, d, (r2 - r1 * a * e) * g, d
    c2x = 2.0 * x * np.cos(2.0 * np.pi * cycles)
    g = 1.0 / (1.0 + x * x - c2x)
    return (((r2 * a) ** 2 + r1 * r1 - c2x) * g,
            ((1.0 - r1 * r1) * (1.0 - r2 * r2) * a) * g,
            ((r1 * a) ** 2 + r2 * r2 - c2x) * g)


def bus_element(ring: AddDropRing, length: float, wavelengths: np.ndarray,
                solver: str) -> np.ndarray | None:
    """Field (exact) or power (fast) transmission of one bus segment of ``length`` between
    adjacent rings, on the rings' waveguide (``ring``'s ``n_eff``, ``n_g``, loss), unheated.
    ``None`` for a zero-length segment (identity)."""
    if length == 0.0:
        return None
    alpha = float(db_per_cm_to_alpha(ring.loss_db_per_cm))
    if solver == "fast":
        return np.full(np.shape(wavelengths), math.exp(-alpha * length))
    t = ring.n_g * length / wavelengths - (ring.n_g - ring.n_eff) * length / ring.wavelength0
    t = t - np.floor(t + 0.5)
    return math.exp(-alpha * length / 2.0) * np.exp(2j * np.pi * t)


def _star(A: Section, B: Section) -> Section:
    if len(A) == 4:
        at, al, at2, ar = A
        bt, bl, bt2, br = B
        g = 1.0 / (1.0 - ar * bl)
        return at * bt * g, al + at2 * bl * at * g, at2 * bt2 * g, br + bt * ar * bt2 * g
    at, al, at2 = A
    bt, bl, bt2 = B
    return at * bt, al + at * bl * at2, at2 * bt2


def _then_bus(A: Section, p: np.ndarray | None) -> Section:
    """``A`` followed (on its right) by a bus segment of transmission ``p``."""
    if p is None:
        return A
    if len(A) == 4:
        return A[0] * p, A[1], A[2] * p, A[3] * (p * p)
    return A[0] * p, A[1], A[2] * p


def _bus_then(p: np.ndarray | None, B: Section) -> Section:
    """A bus segment of transmission ``p`` followed by ``B``."""
    if p is None:
        return B
    if len(B) == 4:
        return B[0] * p, B[1] * (p * p), B[2] * p, B[3]
    return B[0] * p, B[1] * (p * p), B[2] * p


def _ring(S: Section, j: int) -> Section:
    return tuple(s[..., j] for s in S)


def _identity(template: np.ndarray, n: int) -> Section:
    one, zero = np.ones_like(template), np.zeros_like(template)
    return (one, zero, one, zero) if n == 4 else (one, zero, one)


def cascade(S: Section, bus: np.ndarray | None) -> Section:
    """The whole bank: rings ``S`` (arrays ``(..., N)``), bus segment ``bus`` between
    neighbours (broadcast against ``(...)``). Returns the bank's section, arrays ``(...)``."""
    n = S[0].shape[-1]
    if len(S) == 3:
        # Closed form (no loop): T = prod T1 b^(N-1), L = sum_k D_k prod_{j<k} T1_j T2_j b^2.
        t1, d, t2 = S
        b = 1.0 if bus is None else bus[..., None]
        u = t1 * t2 * b * b
        before = np.cumprod(np.concatenate([np.ones_like(u[..., :1]), u[..., :-1]], axis=-1),
                            axis=-1)
        bn = 1.0 if bus is None else bus ** (n - 1)
        return np.prod(t1, axis=-1) * bn, np.sum(d * before, axis=-1), np.prod(t2, axis=-1) * bn
    acc = _ring(S, 0)
    for j in range(1, n):
        acc = _star(_then_bus(acc, bus), _ring(S, j))
    return acc


def prefix_suffix(S: Section, bus: np.ndarray | None) -> tuple[Section, Section]:
    """For each ring j, the section of everything left of it (rings < j with their bus
    segments) and right of it; arrays ``(..., N)``. ``compose3(P, S, Q)`` is the whole bank."""
    n = S[0].shape[-1]
    m = len(S)
    pre = [_identity(S[0][..., 0], m)]
    for j in range(1, n):
        pre.append(_then_bus(_star(pre[-1], _ring(S, j - 1)), bus))
    suf = [_identity(S[0][..., 0], m)]
    for j in range(n - 2, -1, -1):
        suf.append(_bus_then(bus, _star(_ring(S, j + 1), suf[-1])))
    suf.reverse()
    P = tuple(np.stack([p[i] for p in pre], axis=-1) for i in range(m))
    Q = tuple(np.stack([q[i] for q in suf], axis=-1) for i in range(m))
    return P, Q


def compose3(P: Section, S: Section, Q: Section) -> Section:
    """``P * S * Q`` elementwise (star product for exact, single-pass for fast)."""
    return _star(_star(P, S), Q)


def outputs(total: Section) -> tuple[np.ndarray, np.ndarray]:
    """(through power, drop power) of a bank section."""
    if len(total) == 4:
        t, l_ = total[0], total[1]
        return t.real**2 + t.imag**2, l_.real**2 + l_.imag**2
    return total[0], total[1]
