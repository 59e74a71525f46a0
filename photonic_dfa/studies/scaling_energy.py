"""Energy of the scaling grid's runs: digital work on a GPU, the feedback on the chip.

A run's energy to reach its evaluation after ``D`` tokens is

``E(D) = D F_digital e_FLOP + D (F_feedback / 2) e_MAC + E_calibration + E_programming``

with ``F`` the counted FLOPs per token of the method (``training.flops``: ``F_feedback`` is
on the chip for photonic DFA only, else part of the digital work) and 1 MAC = 2 FLOPs.

- ``e_FLOP``: the accelerator's board power over its delivered FLOP/s,
  ``P / (peak x utilisation)`` (:class:`Accelerator`; default :data:`H100_SXM`).
- ``e_MAC``: the performance model's energy per MAC of the configured chip
  (:func:`photonic_dfa.architecture.performance.performance`) with the feedback workload's
  inputs (the vocabulary) spread over ``ceil(V / N)`` column passes.
- ``E_calibration``: the chip's calibration readings (resonance search, crosstalk, weight
  lookup; recorded by the run) at ``t_reading = 5 tau_th + samples / f_s`` each (a heater
  step settles to 1 % in ``ln 100 ~ 4.6`` thermal time constants, then the detectors
  average ``samples``), at the chip's full power.
- ``E_programming``: the readings programming took (offset reference and auto-range,
  :class:`~photonic_dfa.architecture.core.ProgramInfo` ``measurement_time``) plus one settling
  per tile, at full power. The feedback matrix is programmed once per run, so both fixed
  terms are charged once to the run and amortised over its tokens.

Break-even: the factor ``k`` by which every chip energy term would have to shrink for
photonic DFA's energy frontier to lie below BP's at some energy of the measured range
(:func:`break_even_factor`); ``inf`` when even a free chip leaves DFA's digital work above
BP's at every loss.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from photonic_dfa.base.validation import check_scalar

from .scaling_stats import Cost, RunTable, loss_on_frontier, method_frontiers

__all__ = ["Accelerator", "H100_SXM", "ChipEnergy", "chip_energy", "FlopsLike", "FlopsFn",
           "counted_flops", "flops_cost", "six_nd_cost", "energy_cost", "run_energy_parts",
           "wins_somewhere", "break_even_factor", "SETTLE_TIME_CONSTANTS"]

#: thermal time constants a heater step needs to settle to 1 % (ln 100 = 4.6, rounded up)
SETTLE_TIME_CONSTANTS = 5.0


@dataclass(frozen=True)
class Accelerator:
    """A digital accelerator's energy per FLOP: ``power / (peak_flops x utilisation)``."""

    name: str
    peak_flops: float
    power: float
    utilisation: float
    source: str

    def __post_init__(self) -> None:
        check_scalar("peak_flops", self.peak_flops, 0.0, 1e20, low_inclusive=False)
        check_scalar("power", self.power, 0.0, 1e6, low_inclusive=False)
        check_scalar("utilisation", self.utilisation, 0.0, 1.0, low_inclusive=False)

    @property
    def joule_per_flop(self) -> float:
        return self.power / (self.peak_flops * self.utilisation)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "peak_flops": self.peak_flops, "power": self.power,
                "utilisation": self.utilisation, "joule_per_flop": self.joule_per_flop,
                "source": self.source}


#: 989 TFLOP/s dense BF16 tensor-core peak (1979 is with 2:4 sparsity) at 700 W board power
#: (NVIDIA H100 Tensor Core GPU datasheet, 2023); 40 % model-FLOP utilisation, about what
#: large-model training reaches (46 % reported for PaLM: Chowdhery et al., arXiv:2204.02311).
#: Host, network and cooling are not counted.
H100_SXM = Accelerator(
    name="NVIDIA H100 SXM5 (dense BF16)", peak_flops=989e12, power=700.0, utilisation=0.4,
    source="NVIDIA H100 Tensor Core GPU datasheet (2023): 989 TFLOP/s dense BF16, 700 W "
           "max board power; 40 % utilisation assumed (PaLM: 46 % MFU, arXiv:2204.02311)")


@dataclass(frozen=True)
class ChipEnergy:
    """Energy figures of the feedback chip: per MAC, per calibration reading, per setting."""

    joule_per_mac: float
    power: float
    mac_per_s: float
    reading_time: float
    settle_time: float
    description: str = ""

    def calibration_energy(self, readings: int) -> float:
        return readings * self.reading_time * self.power

    def programming_energy(self, measurement_time: float, settings: int) -> float:
        return (measurement_time + settings * self.settle_time) * self.power

    def to_dict(self) -> dict[str, Any]:
        return {"joule_per_mac": self.joule_per_mac, "power": self.power,
                "mac_per_s": self.mac_per_s, "reading_time": self.reading_time,
                "settle_time": self.settle_time, "description": self.description}


def chip_energy(vocab_size: int, options: Mapping[str, Any] | None = None,
                samples_per_reading: int | None = None) -> ChipEnergy:
    """:class:`ChipEnergy` of the training chip (``training.feedback.chip_config(options)``)
    computing the ``V``-input feedback product."""
    from photonic_dfa.architecture.performance import performance
    from photonic_dfa.calibration.measurement import LONG_AVERAGE
    from photonic_dfa.training.feedback import chip_config

    cfg = chip_config(options)
    passes = math.ceil(vocab_size / cfg.core.n_inputs)
    cfg = cfg.updated(**{"perf.workload_inputs": vocab_size, "perf.column_passes": passes})
    rep = performance(cfg, name="feedback chip")
    settle = SETTLE_TIME_CONSTANTS * cfg.light.thermal_time_constant
    samples = LONG_AVERAGE if samples_per_reading is None else samples_per_reading
    return ChipEnergy(
        joule_per_mac=rep.energy_per_mac, power=rep.total_power, mac_per_s=rep.mac_per_s,
        reading_time=settle + samples / cfg.core.symbol_rate, settle_time=settle,
        description=(f"{cfg.core.n_inputs}x{cfg.core.n_outputs} core at "
                     f"{cfg.core.symbol_rate / 1e9:g} GBd, {passes} column passes for "
                     f"V = {vocab_size}"))


class FlopsLike(Protocol):
    """What the analysis needs of ``training.flops.FlopCount``."""

    @property
    def total(self) -> float: ...

    @property
    def digital(self) -> float: ...

    @property
    def feedback(self) -> float: ...

    @property
    def feedback_on_chip(self) -> bool: ...


#: ``flops(run) -> FlopCount`` of the run's model and method, per training token
FlopsFn = Callable[[dict[str, Any]], FlopsLike]


def counted_flops(run: dict[str, Any]) -> FlopsLike:
    """:func:`photonic_dfa.training.flops.flops_per_token` of a run's model and method."""
    from photonic_dfa.training.flops import flops_per_token

    from .scaling import effective_method

    c = run["config"]
    return flops_per_token(int(c["n_layers"]), int(c["d_model"]), int(c["n_heads"]),
                           int(c["context"]), int(run["vocab_size"]), effective_method(run))


def flops_cost(flops: FlopsFn) -> Cost:
    """Counted training FLOPs ``F_total x D``."""
    return lambda run, tokens: flops(run).total * np.asarray(tokens, dtype=float)


def six_nd_cost(run: dict[str, Any], tokens: np.ndarray) -> np.ndarray:
    """``6 N D`` (Kaplan et al. 2020), N the non-embedding parameters."""
    return 6.0 * float(run["non_embedding_params"]) * np.asarray(tokens, dtype=float)


def run_energy_parts(run: dict[str, Any], flops: FlopsFn, gpu: Accelerator,
                     chip: ChipEnergy | None) -> dict[str, float]:
    """Per token (J): digital and chip MAC energy; fixed (J): calibration and programming."""
    f = flops(run)
    on_chip = chip is not None and bool(f.feedback_on_chip)
    parts = {"digital_per_token": (f.digital if on_chip else f.total) * gpu.joule_per_flop,
             "chip_per_token": 0.0, "calibration": 0.0, "programming": 0.0}
    if on_chip:
        assert chip is not None
        info = run.get("chip", {})
        parts["chip_per_token"] = f.feedback / 2.0 * chip.joule_per_mac
        parts["calibration"] = chip.calibration_energy(int(info.get("calibration_readings", 0)))
        parts["programming"] = sum(
            chip.programming_energy(p["measurement_time"], int(np.prod(p["tiles"])))
            for p in info.get("programs", []))
    return parts


def energy_cost(flops: FlopsFn, gpu: Accelerator, chip: ChipEnergy | None,
                chip_scale: float = 1.0) -> Cost:
    """Energy (J) to train ``D`` tokens; every chip term divided by ``chip_scale``."""

    def cost(run: dict[str, Any], tokens: np.ndarray) -> np.ndarray:
        p = run_energy_parts(run, flops, gpu, chip)
        d = np.asarray(tokens, dtype=float)
        return (d * p["digital_per_token"]
                + (d * p["chip_per_token"] + p["calibration"] + p["programming"]) / chip_scale)

    return cost


def wins_somewhere(front: np.ndarray, ref: np.ndarray) -> bool:
    """Is ``front`` below ``ref`` at some cost both reach (:func:`loss_on_frontier`, at
    every frontier point of either in the common range)?"""
    lo, hi = max(front[0, 0], ref[0, 0]), min(front[-1, 0], ref[-1, 0])
    if hi < lo:
        return False
    costs = np.concatenate([front[:, 0], ref[:, 0], [lo]])
    costs = costs[(costs >= lo) & (costs <= hi)]
    return any(loss_on_frontier(front, c) < loss_on_frontier(ref, c) for c in costs)


def break_even_factor(table: RunTable, flops: FlopsFn, gpu: Accelerator, chip: ChipEnergy,
                      method: str = "photonic", reference: str = "bp",
                      draw: dict[tuple[int, int], np.ndarray] | None = None,
                      log10_range: tuple[float, float] = (-6.0, 12.0), tol: float = 0.01
                      ) -> float:
    """Least ``k`` (chip energy / k) for which ``method`` wins somewhere against
    ``reference`` on energy; bisection in ``log10 k``. ``inf`` if a chip ``10^12`` times
    cheaper does not suffice (its digital work alone loses), ``10^-6`` if it wins anyway."""

    def wins(log_k: float) -> bool:
        fronts = method_frontiers(table, energy_cost(flops, gpu, chip, 10.0 ** log_k), draw)
        return wins_somewhere(fronts[method], fronts[reference])

    lo, hi = log10_range
    if wins(lo):
        return 10.0 ** lo
    if not wins(hi):
        return math.inf
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        if wins(mid):
            hi = mid
        else:
            lo = mid
    return 10.0 ** hi
