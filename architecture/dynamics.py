"""Symbol-rate model of the core: inter-symbol interference (ISI) of rings, modulator,
photodiodes and receiver.

Each input channel carries a sequence of NRZ symbols at ``core.symbol_rate`` (period
``T``). In the core, the sequence on one tile is the batch in order: sample ``i``'s symbol
precedes sample ``i + 1``'s on the same tile (each column block, row block and signed-input
pass is its own sequence, starting in the steady state of its first symbol), so ISI
couples consecutive samples of a batch. The chain per channel ``k`` and bank ``j``:

1. modulator: the power transmission follows the drive through a single pole of 3-dB
   bandwidth ``modulator.bandwidth`` (``tau_m = 1 / (2 pi B)``);
2. ring ``j`` on channel ``k`` (coupled-mode theory, Haus 1984, see
   :mod:`photonic_dfa.devices.microring`): the field ``E = sqrt(P)`` drives the mode
   envelope ``tau da/dt = -(1 - j x)(a - E)``, ``tau = 2 Q_L / omega0``, ``x = delta tau``
   the ring's detuning from the channel; drop power ``D_jk |a|^2``, through power
   ``T'_jk |E - c a|^2`` with ``c = (1 - t0) / (1 - j x)``, ``t0`` the through field on
   resonance and ``T'_jk = T_jk / |1 - c|^2`` the static transmission of the bank's other
   rings. ``D_jk``, ``T_jk`` are the bank's realised static drop and through
   (``(s + w) / 2``, ``(s - w) / 2``), so the static limit is the static model exactly.
   ``x`` follows from the own ring's Lorentzian, ``D_jk = D_peak / (1 + x^2)``; the other
   rings' tails are taken to follow the own ring's time response (they are small);
3. photodiodes, then receiver: single poles of ``detector.response_bandwidth`` and
   ``tia.bandwidth`` on the balanced current (and on its common mode, for shot noise);
4. sampled at each symbol's centre.

Every stage is integrated in ``core.samples_per_symbol`` steps of ``h = T / S``; a stage
of time constant ``tau`` holding input ``u`` over a step updates exactly,
``y <- u + (y - u) e^{-h/tau}``, and passes on its exact mean over the step,
``u + (y - u) (tau/h)(1 - e^{-h/tau})`` (complex ``tau`` for a detuned ring).

Estimate and fast path. A single real pole ``tau`` sampled at symbol centres turns a
symbol of unit value into ``h_0 = 1 - e^{-T/(2 tau)}`` now and
``h_m = (1 - q) q^{m - 1/2}``, ``q = e^{-T/tau}``, ``m`` symbols later; for independent
zero-mean symbols of unit variance the error ``sum_m h_m u_{n-m} - u_n`` has rms
``sqrt((1 - h_0)^2 + sum_{m>=1} h_m^2) = sqrt(2 q / (1 + q))`` (:func:`single_pole_isi`).
For small modulation a resonant ring's intensity response is its field pole
(``1 / (1 + s tau)``), so the chain is a cascade of real poles, whose ISI
:func:`cascade_isi` evaluates the same way. When that estimate is below
``core.isi_tolerance`` of an ADC LSB (``2^-bits`` of the range a channel's swing can span),
the core keeps the static model (:func:`symbol_timing` returns ``None``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from photonic_dfa.base.arrays import ComplexArray, FloatArray, RealArray, RealDType

from ._dynamics_kernel import symbol_products
from .chip import build_ring
from .config import ChipConfig

__all__ = ["SymbolTiming", "single_pole_isi", "cascade_isi", "symbol_timing",
           "isi_estimate", "DynamicOperands"]


def single_pole_isi(period_over_tau: float) -> float:
    """RMS ISI per unit symbol rms of one real pole sampled at symbol centres,
    ``sqrt(2 q / (1 + q))``, ``q = exp(-T / tau)`` (module docstring)."""
    q = math.exp(-period_over_tau) if period_over_tau < 745.0 else 0.0
    return math.sqrt(2.0 * q / (1.0 + q))


def _pole_factors(h: float, tau: float) -> tuple[float, float]:
    """Step decay ``e^{-h/tau}`` and mean factor ``(tau/h)(1 - e^{-h/tau})`` (0, 0 for an
    instantaneous stage)."""
    if tau <= 0.0 or h / tau > 700.0:
        return 0.0, 0.0
    r = h / tau
    return math.exp(-r), -math.expm1(-r) / r


def cascade_isi(period: float, taus: tuple[float, ...], steps: int = 64) -> float:
    """RMS ISI per unit symbol rms of a cascade of real poles ``taus`` sampled at symbol
    centres: the response ``h_m`` to one symbol, ``sqrt((1 - h_0)^2 + sum_{m>=1} h_m^2)``.
    Stages after the first see their predecessor's mean over each of ``steps`` steps per
    symbol; for one pole the result is :func:`single_pole_isi` exactly."""
    taus = tuple(t for t in taus if t > 0.0)
    if not taus:
        return 0.0
    span = max(2, math.ceil(40.0 * sum(taus) / period) + 2)
    h = period / steps
    fac = [_pole_factors(h, t) for t in taus]
    state = [0.0] * len(taus)
    resp = np.zeros(span)
    for n in range(span):
        u0 = 1.0 if n == 0 else 0.0
        for k in range(steps):
            u = u0
            for i, (e, f) in enumerate(fac):
                mean = u + (state[i] - u) * f
                state[i] = u + (state[i] - u) * e
                u = mean if i + 1 < len(fac) else state[i]
            if k == steps // 2 - 1:
                resp[n] = u
    err2 = (1.0 - resp[0]) ** 2 + float(np.sum(resp[1:] ** 2))
    return math.sqrt(err2)


@dataclass(frozen=True)
class SymbolTiming:
    """Time constants of the symbol-rate model of a chip (s) and its ISI estimate."""

    symbol_period: float
    tau_ring: float
    tau_modulator: float
    tau_detector: float
    tau_receiver: float
    samples_per_symbol: int
    through_resonance: float
    drop_peak: float
    adc_bits: int
    tolerance: float

    @classmethod
    def from_config(cls, cfg: ChipConfig) -> SymbolTiming:
        ring = build_ring(cfg)
        two_pi = 2.0 * math.pi
        return cls(symbol_period=1.0 / cfg.core.symbol_rate,
                   tau_ring=float(ring.photon_lifetime()),
                   tau_modulator=1.0 / (two_pi * cfg.modulator.bandwidth),
                   tau_detector=1.0 / (two_pi * cfg.detector.response_bandwidth),
                   tau_receiver=1.0 / (two_pi * cfg.tia.bandwidth),
                   samples_per_symbol=cfg.core.samples_per_symbol,
                   through_resonance=ring.through_resonance_field(),
                   drop_peak=ring.drop_peak(), adc_bits=cfg.adc.bits,
                   tolerance=cfg.core.isi_tolerance)

    @property
    def taus(self) -> tuple[float, float, float, float]:
        return (self.tau_modulator, self.tau_ring, self.tau_detector, self.tau_receiver)

    @property
    def isi_rms(self) -> float:
        """Estimated rms ISI per unit symbol rms: the real-pole cascade on resonance."""
        return cascade_isi(self.symbol_period, self.taus)

    @property
    def threshold(self) -> float:
        """ISI below which the static model is kept: ``tolerance 2^-bits``."""
        return self.tolerance * 2.0 ** -self.adc_bits

    @property
    def negligible(self) -> bool:
        return self.isi_rms <= self.threshold

    def operands(self, w: FloatArray, s: FloatArray) -> DynamicOperands:
        """Per (bank, channel) operands from the realised static weights ``w`` and common
        modes ``s`` ``(K, n)`` (module docstring, step 2)."""
        d = np.clip(0.5 * (s + w), 0.0, None)
        t = np.clip(0.5 * (s - w), 0.0, None)
        with np.errstate(divide="ignore"):
            x = np.sqrt(np.clip(self.drop_peak / np.maximum(d, 1e-300) - 1.0, 0.0, None))
        x = np.minimum(x, 1e6)
        c = (1.0 - self.through_resonance) / (1.0 - 1j * x)
        t_own = np.abs(1.0 - c) ** 2
        t_other = np.where(t_own > 1e-300, t / np.maximum(t_own, 1e-300), 0.0)
        h = self.symbol_period / self.samples_per_symbol
        pole = (1.0 - 1j * x) * (h / self.tau_ring)  # p h
        decay = np.exp(-pole)
        mean = np.where(np.abs(pole) > 1e-12, -np.expm1(-pole) / np.where(
            np.abs(pole) > 1e-12, pole, 1.0), 1.0)
        em, fm = _pole_factors(h, self.tau_modulator)
        ed, fd = _pole_factors(h, self.tau_detector)
        et, ft = _pole_factors(h, self.tau_receiver)
        tr = np.ascontiguousarray
        return DynamicOperands(tr(d.T), tr(t_other.T), tr(c.T), tr(decay.T), tr(mean.T),
                               np.array([em, fm, ed, fd, et, ft]), self.samples_per_symbol)


@dataclass(frozen=True)
class DynamicOperands:
    """Kernel operands of one conversion group, ``(n, K)`` C-ordered (channel-major)."""

    drop: FloatArray
    through_other: FloatArray
    coupling: ComplexArray
    decay: ComplexArray
    mean: ComplexArray
    stages: FloatArray
    samples_per_symbol: int

    def products(self, p: FloatArray, nb: int, passes: int, block: int,
                 dtype: RealDType) -> RealArray:
        """``[g_w | g_s]`` ``(passes nb, 2K)`` at the symbol centres for channel powers
        ``p`` ``(passes nb, n)`` (each pass a sequence of ``nb`` symbols; columns in blocks
        of ``block`` channels, one receiver sequence each, summed)."""
        k = self.drop.shape[1]
        out = np.zeros((p.shape[0], 2 * k))
        symbol_products(np.ascontiguousarray(p, dtype=np.float64), nb, passes, block,
                         self.drop, self.through_other, self.coupling, self.decay, self.mean,
                         self.stages, self.samples_per_symbol, out)
        result: RealArray = out.astype(dtype, copy=False)
        return result


def symbol_timing(cfg: ChipConfig) -> SymbolTiming | None:
    """The symbol-rate model the core uses, or ``None`` for the static model: ``errors.isi``
    off, or the estimated ISI below the threshold (module docstring)."""
    if not cfg.errors.isi:
        return None
    timing = SymbolTiming.from_config(cfg)
    return None if timing.negligible else timing


def isi_estimate(cfg: ChipConfig) -> dict[str, float | bool]:
    """The ISI figures of a chip, whether or not ``errors.isi`` is on: time constants,
    ``Q x symbol rate`` and the estimated rms ISI per unit symbol rms (and in bits,
    ``log2(1 / (isi sqrt 12))`` over a unit range)."""
    t = SymbolTiming.from_config(cfg)
    isi = t.isi_rms
    return {
        "tau_ring": t.tau_ring, "tau_modulator": t.tau_modulator,
        "tau_detector": t.tau_detector, "tau_receiver": t.tau_receiver,
        "q_times_symbol_rate": cfg.ring.q_loaded * cfg.core.symbol_rate,
        "ring_period_over_tau": t.symbol_period / t.tau_ring,
        "isi_rms": isi, "isi_ring_only": single_pole_isi(t.symbol_period / t.tau_ring),
        "threshold": t.threshold, "negligible": t.negligible,
    }
