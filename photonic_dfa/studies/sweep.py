"""Device-parameter sweeps: a grid of weight-bank designs, every figure a device engineer needs.

Grid. Axes over named device parameters (:data:`PARAMETERS`: ring ``radius``; coupling as
the field self-coupling ``r``, the coupler ``gap`` or the loaded ``q_loaded``; waveguide
``loss_db_per_cm``; ``channel_spacing``; ``n_channels``; heater ``thermal_resistance`` or
``tuning_efficiency``, ``heater_resistance``, ``heater_max_power``) or any dotted
:class:`~photonic_dfa.architecture.config.ChipConfig` key (``"core.n_outputs"``); the grid is
their Cartesian product on top of a base chip. It comes from a TOML file
(:func:`load_grid`) or command-line ranges (:func:`parse_axis`: ``start:stop:num[:log]`` or
``v1,v2,...``). The whole grid is checked before any work starts: empty or malformed axes,
unknown or conflicting parameters and non-physical values raise a ``ValueError`` naming the
parameter (and the point); then :meth:`SweepGrid.validate` builds every point's ChipConfig
and design WeightBank. A bank the models cannot design (heaters too weak for the weight
branch, no feasible bias) is a result, not a grid error: that point keeps its ring figures,
the bank figures are left empty and the ``notes`` column says why.

Per point (:func:`evaluate_point`; definitions also in :data:`FIGURES`):

- ring template at the grid centre wavelength (symmetric add-drop, ``r1 = r2 = r``):
  loaded and intrinsic Q, FWHM, FSR, finesse, through-port extinction ratio, drop loss on
  resonance, the coupling ``r`` and the gap that gives it (coupler model, where fitted);
- ``channels_per_fsr = floor(FSR / d_lambda)``, ``d_lambda = lambda^2 d_f / c``;
- ``crosstalk_db``: the design bank with every ring on its channel (branch start);
  the largest power a ring drops from another channel relative to what it drops from its
  own, ``max_{k != j} 10 log10(D_k(lambda_j) / D_k(lambda_k))``, ``D_k`` ring k's isolated
  drop response (Lorentzian tail; an FSR alias of another channel shows as ~0 dB);
- ``solver_weight_error``: rms difference between the coherent (``exact``) and
  single-pass incoherent (``fast``) bank weights at the same heater powers, for random
  weights over the programmable range: the inter-ring (coherent) crosstalk the fast model
  leaves out;
- ``weight_range``: symmetric programmable weight range of the design bank;
- ``weight_bits``: calibrated weight effective bits ``log2(2 w_lim / (e_rms sqrt 12))``:
  a seeded fabricated chip of that design (``cal_banks`` banks) is calibrated through its
  measurements only (:func:`photonic_dfa.calibration.pipeline.calibrate`), random weights
  over its measured symmetric range (``w_lim``) are programmed with the calibration's lookup
  (open loop), and the chip's true weights are scored against them over the working rings.
  Where calibration is skipped or impossible, ``weight_bits_design``: the design chip
  programmed by its own inverse (config solver) with heater-DAC rounding, over the design
  range. ``weight_bits_source`` says which; negative bits mean an error above the range;
- heater: ``heater_power_fsr``, the power that tunes a ring by one FSR
  (``FSR / (R_th lambda dn/dT / n_g)``; full-range tuning: any fabricated offset can be
  brought onto any channel within one FSR), its drive voltage ``sqrt(P R)``, the power for
  one channel spacing, and the mean hold power of the performance model;
- throughput ``mac_per_s`` and ``energy_per_mac`` (:mod:`~photonic_dfa.architecture.performance`,
  ``core.n_outputs`` banks), the detector-limited ``analog_bits``;
- ``isi_rms``: the estimated inter-symbol interference per unit symbol rms of the
  real-pole cascade modulator, ring (``tau = 2 Q_L / omega0``), photodiode and receiver,
  sampled at symbol centres (:mod:`~photonic_dfa.architecture.dynamics`), and
  ``isi_bits = log2(1 / isi_rms)``. The ``symbol_rate`` parameter designs the receiver for
  the rate (noise bandwidth ``R/2``, 3-dB bandwidth ``0.7 R``);
- ``mac_bits`` (``mac_samples > 0``): effective bits of simulated DFA products ``B e``
  (``B`` 800 x 10) on the design chip with every error on, including ISI (the
  symbol-rate model, ``errors.isi``), and ``mac_bits_static`` without ISI
  (:func:`~photonic_dfa.architecture.mac_error.measure_mac_error`);
- light budget (:mod:`~photonic_dfa.architecture.light_budget`): ``received_power`` and
  ``snr_db`` of one channel's drop at full input, ``max_laser_power`` (the worst ring's
  self-heating reaches ``light.max_shift_fraction`` of its FWHM), ``self_heating_shift``
  at the configured power, ``nonlinear_bits`` (self-heating, TPA and free carriers) and
  ``light_bits``, detector noise and nonlinearity combined: over ``laser_power`` it has an
  optimum;
- optionally (``mnist_epochs > 0``) the MNIST test accuracy after a short photonic-DFA
  training (784-h-h-10 on ``mnist_subset`` images) with the feedback computed by that
  calibrated fabricated chip (the design chip when calibration is skipped).

Every task's cache key holds the point, the base chip, the options and
:data:`FIGURES_VERSION`.

Runs through :func:`photonic_dfa.base.tasks.run_tasks` (local pool or Dask, per-point cache,
resumable); :func:`run_sweep` writes ``sweep.csv`` and ``sweep.json`` atomically.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from photonic_dfa.base.lock import output_lock

from .sweep_configs import point_config
from .sweep_figures import check_point_result, evaluate_point
from .sweep_grid import SweepGrid, _number, load_grid, parse_axis
from .sweep_params import FIGURES, FIGURES_VERSION, OPTIONS, PARAMETERS, Parameter

__all__ = [
    "Parameter", "PARAMETERS", "FIGURES", "FIGURES_VERSION", "OPTIONS", "SweepGrid", "SweepResult",
    "parse_axis", "load_grid", "point_config", "evaluate_point", "run_sweep", "write_csv",
    "read_csv",
]


# ---------------------------------------------------------------------------------- running
@dataclass(frozen=True)
class SweepResult:
    """Rows (parameters then figures, in grid order) and how many came from the cache."""

    grid: SweepGrid
    rows: list[dict[str, Any]]
    n_cached: int
    n_computed: int
    csv_path: Path | None = None
    #: per point, why its design weight bank could not be built (None: it was)
    problems: list[str | None] = field(default_factory=list)


def run_sweep(grid: SweepGrid, out_dir: str | os.PathLike, *, scheduler: str | None = None,
              workers: int | None = None, executor: Any = None, progress: bool = True
              ) -> SweepResult:
    """Validate the whole grid, evaluate every point through
    :func:`~photonic_dfa.base.tasks.run_tasks` (cache in ``out_dir/cache``: a killed sweep
    resumes), write ``sweep.csv`` and ``sweep.json`` (atomically) in ``out_dir``, which is
    locked for the run (a second writer is refused)."""
    problems = grid.validate()  # before anything is written
    with output_lock(out_dir, "sweep"):
        return _run_sweep(grid, Path(out_dir), problems, scheduler, workers, executor,
                          progress)


def _run_sweep(grid: SweepGrid, out: Path, problems: list[str | None], scheduler: str | None,
               workers: int | None, executor: Any, progress: bool) -> SweepResult:
    from photonic_dfa.base.atomic import write_json
    from photonic_dfa.base.tasks import cache_path, run_tasks, task_key

    cache = out / "cache"
    tasks = grid.tasks()
    keys = {task_key(evaluate_point, t) for t in tasks}
    n_cached = sum(cache_path(cache, k).is_file() for k in keys)
    results = run_tasks(evaluate_point, tasks, cache, executor=executor, scheduler=scheduler,
                        max_workers=workers, progress=progress, desc="sweep",
                        check_result=check_point_result)
    # the point's coordinates win over a figure of the same name (q_loaded is both; the
    # figure is the same value to rounding, which would break the grid lookup of the plots)
    rows = [{**t["point"], **{k: v for k, v in r.items() if k not in t["point"]}}
            for t, r in zip(tasks, results)]
    csv_path = write_csv(out / "sweep.csv", rows, grid.names)
    write_json(out / "sweep.json", {
        "grid": grid.to_dict(), "points": len(rows),
        "parameters": {n: _param_meta(n) for n in grid.names},
        "figures": {k: {"unit": u, "definition": d} for k, (u, d, *_) in FIGURES.items()},
    })
    return SweepResult(grid, rows, n_cached, len(keys) - n_cached, csv_path, problems)


def _param_meta(name: str) -> dict[str, str]:
    spec = PARAMETERS.get(name)
    if spec is None:
        return {"unit": "", "definition": f"chip configuration key {name}"}
    return {"unit": spec.unit, "definition": spec.doc}


def write_csv(path: str | os.PathLike, rows: Sequence[Mapping[str, Any]],
              first: Sequence[str] = ()) -> Path:
    """Rows as CSV (atomic), columns ``first`` then the rest in first-seen order; None -> ''."""
    from photonic_dfa.base.atomic import atomic_write

    cols = list(first)
    for r in rows:
        cols.extend(k for k in r if k not in cols)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in cols})
    data = buf.getvalue().encode()
    return atomic_write(path, lambda fh: fh.write(data))


def read_csv(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Rows of a sweep CSV, numbers parsed, empty cells None."""
    with open(path, newline="") as fh:
        return [{k: (None if v == "" else _number(v)) for k, v in row.items()}
                for row in csv.DictReader(fh)]
