"""A fabricated chip: the design plus hidden fabrication variation, seen only by measuring.

A real weight-bank chip differs from its design. :class:`FabricatedChip` draws one chip
from a :class:`~photonic_dfa.architecture.config.ChipConfig` and a seed:

- resonance offsets: every ring's cold resonance moves by a chip-wide offset plus a
  per-ring offset (Gaussian; default std half a channel spacing each), implemented as a
  radius perturbation (:meth:`AddDropRing.tuned_to`). Heaters only red-shift, so the design
  places every cold resonance ``tuning_bias`` blue of its channel (default four total
  standard deviations; standard practice for thermally trimmed banks, Tait et al., Opt.
  Express 24, 8895 (2016));
- coupling and loss spread: power couplings ``1 - r1^2``, ``1 - r2^2`` and the loss vary
  independently per ring (relative Gaussian spread);
- heaters: resistance spread (the driver sets ``V = sqrt(P R_nominal)``, so the dissipated
  power is ``P R_nominal / R``) and thermal-resistance spread (``K_ii``);
- thermal crosstalk: ``K_ij = c sqrt(K_ii K_jj) exp(-|x_i - x_j| / L)`` with ``c`` and
  ``L`` drawn per bank around the configuration's values;
- ambient drift: a chip-wide random walk plus smaller independent walks per bank
  (``drift_rate`` K/sqrt(s)), advanced by :meth:`FabricatedChip.advance`;
- optional faults: ``dead_heaters`` (open heaters) and ``unreachable_rings`` (a resonance
  beyond the heater's range).

The truth is private. The public API is the instrument: set heater powers and channel
inputs, read the M balanced detectors (normalised, with detector noise drawn from the
chip's own generator), count measurements, advance time. Each reading is

``y_j = sum_k x_k g_k [(1 + m/2) T_drop,jk - (1 - m/2) T_thru,jk] + noise``,

``g_k`` the line power over its nominal value, ``m`` the pair's responsivity mismatch:
exactly the effective weight the core (:mod:`photonic_dfa.architecture.core`) applies to
input ``x_k``. Noise: the balanced pair's shot, thermal and RIN variances
(:class:`~photonic_dfa.devices.photodetector.BalancedPhotodetector`) at the configured
bandwidth, divided by ``readout_averages`` (a reading averages that many samples; at
10 GS/s even thousands take far less than a heater's settling time).

:func:`evaluation_truth` opens the truth for benchmarks and tests (and to run the core on
the fabricated banks); calibration never calls it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import cast

import numpy as np
from numpy.typing import ArrayLike

from photonic_dfa.base.arrays import FloatArray, IntArray, RealArray
from photonic_dfa.base.memory import check_memory
from photonic_dfa.base.tomlfile import read_toml
from photonic_dfa.base.validation import check_array, check_int, check_scalar
from photonic_dfa.circuits.bank_solvers import RingArrays, bus_element, cascade, ring_elements
from photonic_dfa.circuits.weight_bank import WeightBank
from photonic_dfa.devices.microring import AddDropRing
from photonic_dfa.devices.thermal import ThermalCrosstalk

from .chip import (
    build_crosstalk,
    build_detector,
    build_heater,
    build_laser,
    build_ring,
    channel_powers,
    link_transmission,
)
from .config import ChipConfig
from .core import HeaterPowers, PhotonicMVM, ProgramInfo

__all__ = [
    "FabricationSpec",
    "DesignInfo",
    "FabricatedChip",
    "ChipTruth",
    "evaluation_truth",
    "fabrication_design",
    "load_chip_toml",
]

#: Efficiency of an open (dead) heater: tiny but positive, as ThermalCrosstalk needs K_ii > 0.
_DEAD_EFFICIENCY = 1e-12
_CHUNK = 128  # measurements evaluated per vectorised block


@dataclass(frozen=True)
class FabricationSpec:
    """How a fabricated chip departs from its design (TOML table ``[fabrication]``).

    Lengths in m, ``None`` for a default derived from the channel grid; relative spreads
    are standard deviations of a multiplicative ``1 + s z`` factor.
    """

    #: per-ring std of the cold-resonance offset, m (default half a channel spacing)
    resonance_spread: float | None = None
    #: std of the chip-wide resonance offset, m (default half a channel spacing)
    common_offset_spread: float | None = None
    #: designed blue bias of cold resonances, m (default 4 total std + the design's own)
    tuning_bias: float | None = None
    coupling_spread: float = 0.05
    loss_spread: float = 0.1
    heater_resistance_spread: float = 0.05
    thermal_resistance_spread: float = 0.05
    #: relative spread of the crosstalk prefactor and decay length, per bank
    crosstalk_spread: float = 0.2
    #: chip-wide ambient random walk, K / sqrt(s)
    drift_rate: float = 2e-3
    #: per-bank walk as a fraction of the chip-wide rate (temperature gradients)
    bank_drift_fraction: float = 0.3
    #: chip time each reading takes, s (settling + averaging); 0: time moves only by advance()
    measurement_time: float = 0.0
    dead_heaters: int = 0
    unreachable_rings: int = 0
    #: shot, thermal and RIN noise on readings (each also gated by the config's switches)
    detector_noise: bool = True
    #: samples averaged per reading (noise std / sqrt(averages))
    readout_averages: int = 256
    #: bank solver of the hidden physics and of the core built on it: a real chip is coherent,
    #: so ``exact``; ``fast`` (the incoherent single pass) only to trade fidelity for speed
    solver: str = "exact"

    def __post_init__(self) -> None:
        s = object.__setattr__
        for name in ("resonance_spread", "common_offset_spread", "tuning_bias"):
            v = getattr(self, name)
            if v is not None:
                s(self, name, check_scalar(f"fabrication.{name}", v, 0.0, 1e-6))
        for name in ("coupling_spread", "loss_spread", "heater_resistance_spread",
                     "thermal_resistance_spread", "crosstalk_spread"):
            s(self, name, check_scalar(f"fabrication.{name}", getattr(self, name), 0.0, 0.5))
        s(self, "drift_rate", check_scalar("fabrication.drift_rate", self.drift_rate, 0.0, 10.0))
        s(self, "bank_drift_fraction", check_scalar("fabrication.bank_drift_fraction",
                                                    self.bank_drift_fraction, 0.0, 10.0))
        s(self, "measurement_time", check_scalar("fabrication.measurement_time",
                                                 self.measurement_time, 0.0, 10.0))
        s(self, "dead_heaters", check_int("fabrication.dead_heaters", self.dead_heaters, 0))
        s(self, "unreachable_rings",
          check_int("fabrication.unreachable_rings", self.unreachable_rings, 0))
        if self.solver not in ("exact", "fast"):
            raise ValueError(f"fabrication.solver must be 'exact' or 'fast', got {self.solver!r}")
        if not isinstance(self.detector_noise, bool | np.bool_):
            raise ValueError(f"fabrication.detector_noise must be true or false, got "
                             f"{self.detector_noise!r}")
        s(self, "detector_noise", bool(self.detector_noise))
        s(self, "readout_averages", check_int("fabrication.readout_averages",
                                              self.readout_averages, 1, 10**9))

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> FabricationSpec:
        if not isinstance(data, dict):
            raise ValueError(f"fabrication must be a table, got {data!r}")
        names = {f.name for f in fields(cls)}
        for k in data:
            if k not in names:
                raise ValueError(f"unknown configuration key 'fabrication.{k}'; allowed: "
                                 f"{', '.join(sorted(names))}")
        return cls(**data)

    def to_dict(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self)
                if getattr(self, f.name) is not None}


def fabricated_chip_memory(banks: int, rings: int) -> int:
    """Bytes a fabricated chip and its calibration hold (upper estimate): the per-bank
    ``rings x rings`` thermal and crosstalk matrices (several copies) and the per-ring
    sweeps and lookup tables."""
    return 8 * banks * rings * (8 * rings + 1024) + (64 << 20)


def load_chip_toml(path: str | Path) -> tuple[ChipConfig, FabricationSpec]:
    """A chip TOML file: the :class:`ChipConfig` tables plus an optional ``[fabrication]``."""
    data = read_toml(path, "chip configuration file")
    try:
        fab = FabricationSpec.from_dict(data.pop("fabrication", {}))
        return ChipConfig.from_dict(data), fab
    except ValueError as exc:  # a bad value: named with its file
        raise ValueError(f"{path}: {exc}") from None


@dataclass(frozen=True)
class DesignInfo:
    """What the designer (and so calibration) knows: the data sheet, not the chip.

    ``design_bank`` is the nominal bank (every ring biased ``tuning_bias`` blue of its
    channel when cold); ``heater_lsb`` the heater driver's power step (0: continuous).
    """

    n_inputs: int
    n_outputs: int
    channel_wavelengths: FloatArray
    max_heater_power: float
    heater_lsb: float
    tuning_bias: float
    #: nominal resonance red shift per heater watt, m/W
    shift_per_watt: float
    #: nominal loaded linewidth (FWHM), m
    linewidth: float
    #: nominal branch width (resonance on channel to half a spacing red of it), m
    branch_width: float
    design_bank: WeightBank

    @property
    def linewidth_power(self) -> float:
        """Nominal FWHM in heater power (W)."""
        return self.linewidth / self.shift_per_watt

    @property
    def branch_power(self) -> float:
        """Nominal branch width in heater power (W)."""
        return self.branch_width / self.shift_per_watt


@dataclass
class _Truth:
    """The hidden chip (one per FabricatedChip)."""

    rings: tuple[tuple[AddDropRing, ...], ...]  # (M, N)
    ra: RingArrays  # arrays (M, 1, N)
    bus: FloatArray | None  # (M, N_ch) per-bank bus element, or None
    k_eff: FloatArray  # (M, N, N) K/W per commanded watt
    gain: FloatArray  # (N,) line power / nominal
    half_m: float
    dead: FloatArray  # (M, N) bool
    unreachable: FloatArray  # (M, N) bool
    offsets: FloatArray  # (M, N) cold-resonance offset from the design, m
    ambient_chip: float
    ambient_bank: FloatArray  # (M,)
    rng: np.random.Generator  # noise and drift

    @property
    def ambient(self) -> FloatArray:
        return self.ambient_chip + self.ambient_bank


def _quantize(p: FloatArray, lsb: float, pmax: float) -> FloatArray:
    """The heater driver's power rounding (as :meth:`PhotonicMVM.program` applies it)."""
    if lsb <= 0.0:
        return p
    return np.clip(np.rint(p / lsb) * lsb, 0.0, pmax)


class FabricatedChip:
    """One fabricated chip (module docstring). Build with :meth:`from_config`.

    Public: :attr:`config`, :attr:`spec`, :attr:`design` (:class:`DesignInfo`), the
    instrument (:meth:`apply_heater_powers`, :meth:`set_inputs`, :meth:`read`,
    :meth:`measure`), :attr:`measurement_count`, :attr:`sample_count`, :attr:`time`,
    :meth:`advance` and :meth:`design_heater_powers` (the uncalibrated programming).
    """

    def __init__(self, config: ChipConfig, spec: FabricationSpec, design: DesignInfo,
                 truth: _Truth, seed: int) -> None:
        self.config = config
        self.spec = spec
        self.design = design
        self.seed = seed
        self.__truth = truth
        self.__powers = np.zeros((design.n_outputs, design.n_inputs))
        self.__inputs = np.zeros(design.n_inputs)
        self.__count = 0
        self.__samples = 0
        self.__time = 0.0
        self.__epoch = 0

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_config(cls, config: ChipConfig | None = None, seed: int = 0,
                    spec: FabricationSpec | None = None) -> FabricatedChip:
        """Draw a chip of ``config`` (its M banks of N rings) from ``seed``."""
        cfg = ChipConfig() if config is None else config
        if not isinstance(cfg, ChipConfig):
            raise ValueError(f"config must be a ChipConfig, got {type(cfg).__name__}")
        spec = FabricationSpec() if spec is None else spec
        if not isinstance(spec, FabricationSpec):
            raise ValueError(f"spec must be a FabricationSpec, got {type(spec).__name__}")
        seed = check_int("seed", seed, 0, 2**63 - 1)
        # the hidden physics, the design inverse and the core on this chip share one solver
        cfg = cfg.updated(**{"bank.solver": spec.solver})
        if not cfg.errors.weight_bank:
            raise ValueError("a fabricated chip needs physical weight banks "
                             "(errors.weight_bank = true)")
        check_memory(f"a fabricated chip of {cfg.core.n_outputs} banks x "
                     f"{cfg.core.n_inputs} rings (core.n_outputs x core.n_inputs)",
                     fabricated_chip_memory(cfg.core.n_outputs, cfg.core.n_inputs),
                     "use fewer banks or rings for a fabricated chip")
        rng = np.random.default_rng([seed, 0xFAB])
        n, m = cfg.core.n_inputs, cfg.core.n_outputs
        design, local, common = fabrication_design(cfg, spec)
        lam = design.channel_wavelengths
        bias = design.tuning_bias
        xt = build_crosstalk(cfg)
        heater = build_heater(cfg)
        ring = build_ring(cfg)
        shift = design.shift_per_watt
        fsr = float(ring.fsr(lam[n // 2]))

        # --- resonances: chip-wide + per-ring offsets, faults
        offsets = common * rng.standard_normal() + local * rng.standard_normal((m, n))
        dead = np.zeros((m, n), dtype=bool)
        unreachable = np.zeros((m, n), dtype=bool)
        n_faults = spec.dead_heaters + spec.unreachable_rings
        if n_faults > m * n:
            raise ValueError(f"dead_heaters + unreachable_rings = {n_faults} exceeds the "
                             f"{m * n} rings of the chip")
        picks = rng.permutation(m * n)[:n_faults]
        dead.flat[picks[: spec.dead_heaters]] = True
        unreachable.flat[picks[spec.dead_heaters:]] = True
        reach = shift * cfg.heater.max_power
        if spec.unreachable_rings:
            # cold resonance beyond the heater's reach, and its next mode (one FSR red)
            # beyond the ring's branch: no heater power brings either onto the channel.
            beyond = 1.1 * reach - bias
            if fsr - 1.1 * reach <= design.branch_width:
                raise ValueError("the heaters reach about a full FSR, so no resonance can "
                                 "be unreachable; set fabrication.unreachable_rings = 0")
            offsets = np.where(unreachable, -beyond, offsets)

        # --- rings
        kappa = 1.0 - ring.r1**2
        r_spread = rng.standard_normal((m, n, 3))
        rings = []
        for j in range(m):
            row = []
            for k in range(n):
                target = float(lam[k] - bias + offsets[j, k])
                base = ring.tuned_to(target)
                k1 = kappa * (1.0 + spec.coupling_spread * r_spread[j, k, 0])
                k2 = kappa * (1.0 + spec.coupling_spread * r_spread[j, k, 1])
                loss = ring.loss_db_per_cm * max(0.0, 1.0 + spec.loss_spread
                                                 * r_spread[j, k, 2])
                row.append(replace(base, r1=math.sqrt(1.0 - np.clip(k1, 1e-6, 0.999)),
                                   r2=math.sqrt(1.0 - np.clip(k2, 1e-6, 0.999)),
                                   loss_db_per_cm=loss))
            rings.append(tuple(row))
        flat = [rg for row in rings for rg in row]
        ra_flat = RingArrays.from_rings(flat)
        ra = RingArrays(*(np.asarray(getattr(ra_flat, f.name)).reshape(m, 1, n)
                          for f in fields(RingArrays)))
        bus_len = design.design_bank.bus_length
        solver = cfg.bank.solver
        if bus_len > 0.0:
            # a bus of positive length always has an element (None only for length 0)
            bus = np.stack([cast(FloatArray, bus_element(rings[j][0], bus_len, lam, solver))
                            for j in range(m)])
        else:
            bus = None

        # --- heaters and crosstalk
        r_th = heater.thermal_resistance * (
            1.0 + spec.thermal_resistance_spread * rng.standard_normal((m, n)))
        r_th = np.maximum(r_th, 0.05 * heater.thermal_resistance)
        res = 1.0 + spec.heater_resistance_spread * rng.standard_normal((m, n))
        eff = 1.0 / np.maximum(res, 0.05)
        eff = np.where(dead, _DEAD_EFFICIENCY, eff)
        x = cfg.crosstalk.ring_pitch * np.arange(n)
        d = np.abs(x[:, None] - x[None, :])
        xt_draw = rng.standard_normal((m, 2))
        k_eff = np.empty((m, n, n))
        for j in range(m):
            if xt is None:
                kmat = np.diag(r_th[j])
            else:
                c = cfg.crosstalk.coupling * max(0.0, 1.0 + spec.crosstalk_spread * xt_draw[j, 0])
                length = cfg.crosstalk.decay_length * max(
                    0.1, 1.0 + spec.crosstalk_spread * xt_draw[j, 1])
                kmat = c * np.sqrt(np.outer(r_th[j], r_th[j])) * np.exp(-d / length)
                np.fill_diagonal(kmat, r_th[j])
            k_eff[j] = kmat * eff[j][None, :]

        e = cfg.errors
        gain = channel_powers(cfg) / cfg.laser.power_per_channel
        half_m = 0.5 * cfg.detector.responsivity_mismatch if e.detector_mismatch else 0.0
        truth = _Truth(rings=tuple(rings), ra=ra, bus=bus, k_eff=k_eff, gain=gain,
                       half_m=half_m, dead=dead, unreachable=unreachable, offsets=offsets,
                       ambient_chip=0.0, ambient_bank=np.zeros(m),
                       rng=np.random.default_rng([seed, 0xD1F7]))
        return cls(cfg, spec, design, truth, seed)

    # ------------------------------------------------------------------ properties
    @property
    def n_inputs(self) -> int:
        return self.design.n_inputs

    @property
    def n_outputs(self) -> int:
        return self.design.n_outputs

    @property
    def measurement_count(self) -> int:
        """Readings taken so far (one per input/heater setting)."""
        return self.__count

    @property
    def sample_count(self) -> int:
        """Detector samples taken so far (readings times averages)."""
        return self.__samples

    @property
    def time(self) -> float:
        """Chip time in s (drift clock)."""
        return self.__time

    @property
    def drift_steps(self) -> int:
        """How many drift steps the chip has taken (a counter, not the temperature): its
        cores re-evaluate their banks at their next use when it changes."""
        return self.__epoch

    @property
    def heater_powers(self) -> FloatArray:
        """The commanded heater powers ``(M, N)`` (W)."""
        return self.__powers.copy()

    @property
    def inputs(self) -> FloatArray:
        """The current channel inputs ``(N,)``."""
        return self.__inputs.copy()

    # ------------------------------------------------------------------ instrument
    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass: the ambient temperature walks (chip-wide and per bank)."""
        dt = check_scalar("seconds", seconds, 0.0, 1e7)
        self.__advance(dt)

    def __advance(self, dt: float) -> None:
        if dt <= 0.0:
            return
        t = self.__truth
        sigma = self.spec.drift_rate * math.sqrt(dt)
        t.ambient_chip += sigma * t.rng.standard_normal()
        t.ambient_bank = t.ambient_bank + self.spec.bank_drift_fraction * sigma * \
            t.rng.standard_normal(t.ambient_bank.shape)
        self.__time += dt
        if sigma > 0.0:
            self.__epoch += 1

    def apply_heater_powers(self, heater_powers: ArrayLike) -> None:
        """Command heater powers ``(M, N)`` in W, each in [0, max_heater_power]."""
        self.__powers = self._check_powers(heater_powers, single=True)

    def set_inputs(self, inputs: ArrayLike) -> None:
        """Set the channel inputs ``(N,)``: line intensity at the banks over nominal, [0, 1]."""
        self.__inputs = self._check_inputs(inputs, single=True)

    def read(self, samples: int | None = None) -> FloatArray:
        """One reading of every bank's detector ``(M,)`` at the current settings."""
        return self.measure(self.__inputs, self.__powers, samples)

    def measure(self, inputs: ArrayLike, heater_powers: ArrayLike,
                samples: int | None = None) -> FloatArray:
        """Readings for settings: inputs ``(N,)`` or ``(B, N)``, heater powers ``(M, N)`` or
        ``(B, M, N)`` (broadcast over ``B``). Returns ``(M,)`` or ``(B, M)``; counts ``B``
        measurements. ``samples`` overrides :attr:`FabricationSpec.readout_averages`."""
        x = self._check_inputs(inputs, single=False)
        p = self._check_powers(heater_powers, single=False)
        single = x.ndim == 1 and p.ndim == 2
        x2 = x.reshape(-1, self.n_inputs)
        p3 = p.reshape(-1, self.n_outputs, self.n_inputs)
        try:
            b = np.broadcast_shapes((x2.shape[0],), (p3.shape[0],))[0]
        except ValueError:
            raise ValueError(f"inputs batch {x2.shape[0]} and heater_powers batch "
                             f"{p3.shape[0]} do not broadcast") from None
        avg = self.spec.readout_averages if samples is None else \
            check_int("samples", samples, 1, 10**9)
        x2 = np.broadcast_to(x2, (b, self.n_inputs))
        p3 = np.broadcast_to(p3, (b, self.n_outputs, self.n_inputs))
        out = np.empty((b, self.n_outputs))
        t = self.__truth
        dt = self.spec.measurement_time
        for s in range(0, b, _CHUNK):
            sl = slice(s, min(b, s + _CHUNK))
            mean, var = self.__readout(x2[sl], p3[sl])
            noise = np.sqrt(var / avg) * t.rng.standard_normal(mean.shape)
            out[sl] = mean + noise
            if dt > 0.0:  # the ambient moves between readings, not within a block
                self.__advance(dt * (sl.stop - sl.start))
        self.__count += b
        self.__samples += b * avg
        if x.ndim == 1 and p.ndim == 2:
            self.__powers = np.array(p)
            self.__inputs = np.array(x)
        return out[0] if single else out

    def core(self, weight_limit: float) -> PhotonicMVM:
        """The chip's matrix-vector core, as a test bench drives it: inputs on the modulators,
        heater powers on the rings, detector outputs out (noise, converters, gating).

        It is programmed only through heater powers, ``program(W, heater_powers=hook)`` with
        ``hook`` mapping normalised target tiles to powers (e.g. a calibration's lookup);
        matrices are normalised to ``weight_limit``, the symmetric weight range the caller
        measured. ``program`` without heater powers is refused: the chip has no model of
        itself to invert.
        """
        check_scalar("weight_limit", weight_limit, 0.0, low_inclusive=False)
        return _BenchCore(self, weight_limit)

    def design_heater_powers(self, targets: ArrayLike) -> FloatArray:
        """Uncalibrated programming: the design bank's inverse for targets ``(..., M, N)``
        (clipped to its reachable range), as if the chip were its design."""
        tgt = check_array("targets", targets)
        if tgt.ndim < 2 or tgt.shape[-2:] != (self.n_outputs, self.n_inputs):
            raise ValueError(f"targets must have shape (..., {self.n_outputs}, "
                             f"{self.n_inputs}), got {tgt.shape}")
        bank = self.design.design_bank
        p, _ = bank.heater_powers_for_weights(tgt, solver=self.config.bank.solver, clip=True)
        return p

    # ------------------------------------------------------------------ internals
    def _check_powers(self, heater_powers: ArrayLike, single: bool) -> FloatArray:
        pmax = self.design.max_heater_power
        p = check_array("heater_powers", heater_powers, 0.0, pmax * (1.0 + 1e-12))
        shape = (self.n_outputs, self.n_inputs)
        ok = p.shape == shape if single else (p.ndim in (2, 3) and p.shape[-2:] == shape)
        if not ok:
            want = f"({shape[0]}, {shape[1]})" if single else \
                f"({shape[0]}, {shape[1]}) or (B, {shape[0]}, {shape[1]})"
            raise ValueError(f"heater_powers must have shape {want}, got {p.shape}")
        clipped: FloatArray = np.minimum(p, pmax)
        return clipped

    def _check_inputs(self, inputs: ArrayLike, single: bool) -> FloatArray:
        x = check_array("inputs", inputs, 0.0, 1.0)
        n = self.n_inputs
        ok = x.shape == (n,) if single else (x.ndim in (1, 2) and x.shape[-1] == n)
        if not ok:
            raise ValueError(f"inputs must have shape ({n},)" + ("" if single else
                             f" or (B, {n})") + f", got {x.shape}")
        return x

    def __readout(self, x: FloatArray, p: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Noise-free readings ``(B, M)`` and their single-sample variance."""
        t = self.__truth
        pq = _quantize(p, self.design.heater_lsb, self.design.max_heater_power)
        lit = x > 0.0
        width = int(lit.sum(axis=1).max(initial=0))
        if width == 0:
            return np.zeros((x.shape[0], self.n_outputs)), np.zeros((x.shape[0],
                                                                     self.n_outputs))
        # only lit channels contribute: evaluate the banks at those wavelengths alone
        idx = np.argsort(~lit, axis=1, kind="stable")[:, :width]  # (B, C)
        xs = np.take_along_axis(x, idx, axis=1)
        thru, drop = _transmissions(t, pq, self.design.channel_wavelengths[idx], idx,
                                    self.config.bank.solver)
        coef = (xs * t.gain[idx])[:, None, :]  # (B, 1, C)
        mean = np.sum(coef * ((1.0 + t.half_m) * drop - (1.0 - t.half_m) * thru), axis=-1)
        var = _noise_variance(self.config, self.spec, coef, thru, drop, t.half_m)
        return mean, var


def fabrication_design(cfg: ChipConfig, spec: FabricationSpec) -> tuple[DesignInfo, float, float]:
    """The design a chip of ``cfg`` is fabricated from under ``spec``: its data sheet (the
    bank with every cold resonance ``tuning_bias`` blue of its channel) and the per-ring and
    chip-wide resonance spreads (m). The performance model's heater power comes from the
    same bank (:func:`photonic_dfa.architecture.performance.heater_powers`)."""
    n = cfg.core.n_inputs
    lam = build_laser(cfg).wavelengths
    spacing = float(np.mean(np.diff(lam))) if n > 1 else float(build_ring(cfg).fsr()) / 4
    local = 0.5 * spacing if spec.resonance_spread is None else spec.resonance_spread
    common = 0.5 * spacing if spec.common_offset_spread is None else spec.common_offset_spread
    xt = build_crosstalk(cfg)
    heater = build_heater(cfg)
    ring = build_ring(cfg)
    auto = WeightBank.design(tuple(lam), ring=ring, heater=heater,
                             ring_pitch=cfg.crosstalk.ring_pitch,
                             crosstalk=xt if xt is not None else False)
    auto_bias = max(0.0, float(np.max(lam - _cold_resonances(auto, lam))))
    extra = 4.0 * math.hypot(local, common) if spec.tuning_bias is None else spec.tuning_bias
    design_bank = WeightBank.design(
        tuple(lam), ring=ring, heater=heater, ring_pitch=cfg.crosstalk.ring_pitch,
        crosstalk=xt if xt is not None else False, bias=min(auto_bias + extra, 1e-7))
    bias = auto_bias + extra
    lsb = (cfg.heater.max_power / (2.0**cfg.heater.dac_bits - 1.0)
           if cfg.errors.heater_quantization else 0.0)
    shift = 1e3 * float(ring.resonance_shift(1e-3 * heater.thermal_resistance, lam[n // 2]))
    fsr = float(ring.fsr(lam[n // 2]))
    design = DesignInfo(
        n_inputs=n, n_outputs=cfg.core.n_outputs, channel_wavelengths=np.array(lam),
        max_heater_power=cfg.heater.max_power, heater_lsb=lsb, tuning_bias=bias,
        shift_per_watt=shift, linewidth=float(ring.fwhm(lam[n // 2])),
        branch_width=design_bank.branch_fraction * min(spacing, fsr),
        design_bank=design_bank)
    return design, local, common


def _cold_resonances(bank: WeightBank, lam: FloatArray) -> FloatArray:
    return np.array([rg.resonance_near(float(w)) for rg, w in zip(bank.rings, lam)])


def _transmissions(t: _Truth, powers: FloatArray, wl: FloatArray, idx: IntArray,
                   solver: str) -> tuple[FloatArray, FloatArray]:
    """``(T_thru, T_drop)`` ``(B, M, C)`` of every bank at wavelengths ``wl`` ``(B, C)``
    (channels ``idx``), vectorised over banks."""
    theta = np.einsum("bmj,mkj->bmk", powers, t.k_eff) + t.ambient[None, :, None]
    cyc = t.ra.cycles(wl[:, None, :, None], theta[:, :, None, :])  # (B, M, C, N)
    sec = ring_elements(t.ra, cyc, solver)
    bus = None if t.bus is None else np.moveaxis(t.bus[:, idx], 0, 1)  # (B, M, C)
    total = cascade(sec, bus)
    if len(total) == 4:
        tt, ll = total[0], total[1]
        return tt.real**2 + tt.imag**2, ll.real**2 + ll.imag**2
    return total[0], total[1]


def _noise_variance(cfg: ChipConfig, spec: FabricationSpec, coef: FloatArray,
                    thru: FloatArray, drop: FloatArray, half_m: float) -> FloatArray:
    """Single-sample variance of a normalised reading: shot, thermal and RIN of the
    balanced pair at the configured bandwidth, over ``(R P_nominal)^2``."""
    e = cfg.errors
    if not spec.detector_noise or not (e.shot or e.thermal or e.rin):
        return np.zeros(thru.shape[:2])
    det = build_detector(cfg)
    p_nom = cfg.laser.power_per_channel * link_transmission(cfg)
    pw = coef * p_nom  # (B, 1, N) W per line at the bank
    br = det.noise_breakdown(drop * pw, thru * pw, channel_axis=-1)
    var = np.zeros(thru.shape[:2])
    if e.shot:
        var = var + br["shot"]
    if e.thermal:
        var = var + br["thermal"]
    if e.rin:
        var = var + br["rin"]
    return var / (cfg.detector.responsivity * p_nom) ** 2


@dataclass(frozen=True)
class ChipTruth:
    """The hidden state of a chip, for evaluation only (benchmarks, tests, the core).

    ``banks`` are the fabricated :class:`WeightBank` objects at the current ambient
    temperature, driven by commanded heater powers (resistance spread and dead heaters
    folded into their crosstalk matrices).
    """

    banks: tuple[WeightBank, ...]
    thermal_matrices: FloatArray
    resonance_offsets: FloatArray
    dead_heaters: FloatArray
    unreachable_rings: FloatArray
    ambient: FloatArray
    line_gain: FloatArray
    half_mismatch: float
    config: ChipConfig
    heater_lsb: float

    def weights(self, heater_powers: ArrayLike) -> FloatArray:
        """Noise-free effective weights ``(..., M, N)`` for commanded powers ``(..., M, N)``
        (heater rounding applied): what the core multiplies input k by in bank j."""
        p = check_array("heater_powers", heater_powers, 0.0)
        pq = _quantize(p, self.heater_lsb, self.config.heater.max_power)
        solver = self.config.bank.solver
        out = np.empty(pq.shape)
        for j, bk in enumerate(self.banks):
            thru, drop = bk.channel_transmissions(pq[..., j, :], solver)
            out[..., j, :] = self.line_gain * ((1.0 + self.half_mismatch) * drop
                                               - (1.0 - self.half_mismatch) * thru)
        return out

    def core(self, weight_limit: float | None = None) -> PhotonicMVM:
        """A :class:`~photonic_dfa.architecture.core.PhotonicMVM` running on these banks,
        programmable through their model inverse too (evaluation only).

        ``weight_limit``: the symmetric bank weight to normalise matrices to (e.g. a
        calibration's measured range); default the banks' own model range.
        """
        if weight_limit is None:
            return PhotonicMVM(self.config, banks=self.banks)
        return PhotonicMVM(self.config, banks=self.banks, weight_limit=weight_limit)


class _BenchCore(PhotonicMVM):
    """A fabricated chip's core: programmed through heater powers only. It runs on the
    chip's banks at the chip's current ambient: when the ambient has moved
    (:meth:`FabricatedChip.advance`), the next ``program`` or ``matvec`` uses the drifted
    banks (the held heater powers then realise other weights; the reference and ranges
    measured at programming stay, :meth:`PhotonicMVM.rebank`)."""

    def __init__(self, chip: FabricatedChip, weight_limit: float) -> None:
        super().__init__(chip.config, banks=_true_banks(chip), weight_limit=weight_limit)
        self._chip = chip
        self._epoch = chip.drift_steps

    def _follow(self) -> bool:
        """Whether the chip's ambient moved since this core last looked (and refresh the
        banks it programs on)."""
        if self._chip.drift_steps == self._epoch:
            return False
        self._epoch = self._chip.drift_steps
        self._banks = _true_banks(self._chip)
        return True

    def program(self, weights: ArrayLike, *, scale: float | None = None,
                heater_powers: HeaterPowers | None = None, clip: bool = True) -> ProgramInfo:
        if heater_powers is None:
            raise ValueError("a fabricated chip is programmed through heater powers (e.g. "
                             "program(W, heater_powers=calibration.program_hook())), not "
                             "through its hidden model")
        self._follow()
        return super().program(weights, scale=scale, heater_powers=heater_powers, clip=clip)

    def matvec(self, x: ArrayLike, gate: ArrayLike | None = None,
               rng: np.random.Generator | int | None = None) -> RealArray:
        if self._follow() and self.programmed and self._banks is not None:
            self.rebank(self._banks)
        return super().matvec(x, gate=gate, rng=rng)


def _true_banks(chip: FabricatedChip) -> tuple[WeightBank, ...]:
    """The fabricated banks at the chip's ambient temperature (its physics, hidden)."""
    t: _Truth = chip._FabricatedChip__truth  # type: ignore[attr-defined]  # name-mangled
    lam = tuple(float(w) for w in chip.design.channel_wavelengths)
    heater = build_heater(chip.config)
    db = chip.design.design_bank
    return tuple(
        WeightBank(row, lam, heater, ThermalCrosstalk.from_matrix(t.k_eff[j],
                                                                  allow_asymmetric=True),
                   float(t.ambient[j]), db.bus_length, db.branch_fraction)
        for j, row in enumerate(t.rings))


def evaluation_truth(chip: FabricatedChip) -> ChipTruth:
    """Open a chip's hidden truth. For evaluation only: calibration must never use it."""
    if not isinstance(chip, FabricatedChip):
        raise ValueError(f"chip must be a FabricatedChip, got {type(chip).__name__}")
    t: _Truth = chip._FabricatedChip__truth  # type: ignore[attr-defined]  # name-mangled
    cfg = chip.config
    return ChipTruth(banks=_true_banks(chip), thermal_matrices=t.k_eff.copy(),
                     resonance_offsets=t.offsets.copy(), dead_heaters=t.dead.copy(),
                     unreachable_rings=t.unreachable.copy(), ambient=t.ambient.copy(),
                     line_gain=t.gain.copy(), half_mismatch=t.half_m, config=cfg,
                     heater_lsb=chip.design.heater_lsb)
