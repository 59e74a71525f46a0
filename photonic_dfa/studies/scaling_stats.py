"""Seed statistics of the scaling study: paired differences and a bootstrap over runs.

Pairing. Every run draws its validation windows from its seed alone (``training.lm``: the
windows come from their own stream of ``SeedSequence(seed)``, before any training), so all
runs with one seed, whatever their method, size or budget, are scored on the same text. A
difference between two methods is therefore taken per seed, ``d_s = L_m,s - L_ref,s`` on the
same windows, and summarised over the ``n`` seeds with Student's interval
``mean(d) +- t_{n-1} sd(d) / sqrt(n)``. Seeds differ in their windows as in their
initialisation and data order, so the spread over seeds includes the choice of windows.

Frontiers and the bootstrap. A method's frontier is the lower envelope of its seed-mean
curves: each grid cell's (size, budget) validation losses averaged over seeds at each
evaluation, then every evaluation of every cell as a point ``(cost, loss)``. The averaging
avoids the downward bias of an envelope over single noisy runs. Intervals on exponents,
compute multipliers and loss gaps come from a bootstrap that resamples whole runs: per model
size, ``n`` seeds are drawn with replacement, and the same draw is used for every budget of
that size (they share initialisation, data order and windows) and for every method (the pair
stays paired). Frontier points are never resampled on their own: they are correlated along a
run and between neighbouring runs.

``cost`` is any function of a run and its token counts: counted FLOPs, ``6 N D`` or energy
(:mod:`.scaling_energy`), so the same statistics serve every axis.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from photonic_dfa.base.validation import check_int, check_scalar

from .scaling import _compute_to_reach, fit_power_law, frontier

__all__ = ["Cost", "RunTable", "run_table", "paired_difference", "method_frontiers",
           "bootstrap_seeds", "outcome", "OUTCOMES", "analyse_seeds", "SCALE_FACTOR",
           "final_loss_differences", "loss_on_frontier", "fitted_crossing"]

#: cost of a run's evaluations: ``cost(run, tokens) -> array`` (same shape as ``tokens``)
Cost = Callable[[dict[str, Any], np.ndarray], np.ndarray]

#: the four outcomes of Filipovich et al. (2022), Fig. 1, for a method against BP
OUTCOMES = ("DFA always better", "DFA better at scale", "BP better at scale", "BP always better")
#: "at scale" is read from the fits this factor beyond the largest compute measured
SCALE_FACTOR = 100.0

Cell = tuple[int, int, int]  # (n_layers, d_model, training tokens)


@dataclass(frozen=True)
class RunTable:
    """Runs indexed by method, grid cell and seed; every (method, cell) has every seed."""

    methods: tuple[str, ...]
    cells: tuple[Cell, ...]
    seeds: tuple[int, ...]
    runs: dict[tuple[str, Cell, int], dict[str, Any]]

    @property
    def sizes(self) -> tuple[tuple[int, int], ...]:
        return tuple(sorted({(c[0], c[1]) for c in self.cells}))


def _cell(run: dict[str, Any]) -> Cell:
    c = run["config"]
    return (int(c["n_layers"]), int(c["d_model"]), int(run["tokens"]))


def run_table(runs: Sequence[dict[str, Any]], order: Sequence[str] = (),
              label: Callable[[dict[str, Any]], str] | None = None) -> RunTable:
    """Index ``runs`` by ``label(run)`` (default its configured method), cell and seed; a
    missing or repeated (method, cell, seed) raises ``ValueError``."""
    table: dict[tuple[str, Cell, int], dict[str, Any]] = {}
    for r in runs:
        name = label(r) if label is not None else str(r["config"]["method"])
        key = (name, _cell(r), int(r["config"]["seed"]))
        if key in table:
            raise ValueError(f"run (method, (layers, width, tokens), seed) = {key} repeated")
        table[key] = r
    if not table:
        raise ValueError("no runs to analyse")
    known = list(order)
    methods = tuple(sorted({k[0] for k in table},
                           key=lambda m: (known.index(m) if m in known else len(known), m)))
    cells = tuple(sorted({k[1] for k in table}))
    seeds = tuple(sorted({k[2] for k in table}))
    missing = [(m, c, s) for m in methods for c in cells for s in seeds
               if (m, c, s) not in table]
    if missing:
        raise ValueError(f"{len(missing)} runs missing for a paired analysis (every method, "
                         f"cell and seed), e.g. {missing[0]}")
    return RunTable(methods, cells, seeds, table)


def _curve(run: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    hist = [h for h in run["history"] if h["tokens"] > 0]
    return (np.array([h["tokens"] for h in hist], dtype=float),
            np.array([h["val_loss"] for h in hist], dtype=float))


def paired_difference(reference: Sequence[float] | np.ndarray,
                      other: Sequence[float] | np.ndarray,
                      confidence: float = 0.95) -> dict[str, float]:
    """Mean of the per-seed differences ``other - reference`` and its Student interval.

    ``reference`` and ``other``: shape ``(n_seeds,)`` or ``(n_seeds, k)`` (``k`` values per
    seed, e.g. evaluations on the same windows, averaged within the seed first). The interval
    ``d_bar +- t_{n-1, (1+confidence)/2} s_d / sqrt(n)`` is exact for normal per-seed
    differences (paired t, Student 1908).
    """
    from scipy.stats import t as student_t

    check_scalar("confidence", confidence, 0.0, 1.0, low_inclusive=False,
                 high_inclusive=False)
    a = np.asarray(reference, dtype=float)
    b = np.asarray(other, dtype=float)
    if a.shape != b.shape or a.ndim not in (1, 2):
        raise ValueError(f"reference and other must have one equal shape (n_seeds,) or "
                         f"(n_seeds, k), got {a.shape} and {b.shape}")
    d = (b - a).reshape(len(a), -1).mean(axis=1)
    n = len(d)
    check_int("number of seeds", n, 2)
    mean = float(d.mean())
    sem = float(d.std(ddof=1) / math.sqrt(n))
    half = float(student_t.ppf(0.5 + confidence / 2.0, n - 1)) * sem
    return {"mean": mean, "sem": sem, "low": mean - half, "high": mean + half, "n": n,
            "confidence": confidence}


def _mean_curves(table: RunTable, cost: Cost, draw: dict[tuple[int, int], np.ndarray]
                 ) -> dict[str, np.ndarray]:
    """Per method, every ``(cost, loss)`` point of the seed-mean curves (seed indices per
    size from ``draw``)."""
    out: dict[str, np.ndarray] = {}
    for m in table.methods:
        pts = []
        for cell in table.cells:
            idx = draw[(cell[0], cell[1])]
            costs, losses = [], []
            for i in idx:
                run = table.runs[(m, cell, table.seeds[int(i)])]
                tok, loss = _curve(run)
                costs.append(cost(run, tok))
                losses.append(loss)
            pts.append(np.column_stack([np.mean(costs, axis=0), np.mean(losses, axis=0)]))
        out[m] = np.concatenate(pts)
    return out


def method_frontiers(table: RunTable, cost: Cost,
                     draw: dict[tuple[int, int], np.ndarray] | None = None
                     ) -> dict[str, np.ndarray]:
    """Frontier of each method's seed-mean curves (all seeds unless ``draw`` says)."""
    if draw is None:
        draw = {s: np.arange(len(table.seeds)) for s in table.sizes}
    return {m: frontier(p) for m, p in _mean_curves(table, cost, draw).items()}


def loss_on_frontier(front: np.ndarray, cost: float) -> float:
    """The frontier's loss at ``cost``, linear in ``log cost`` between its points (the same
    reading as the compute to reach a loss); ``inf`` below its first cost, its last loss
    beyond its last. Frontier points are sparse (a dozen evaluations per run): reading them
    as a step function would hand whichever method happens to have the next point an
    advantage of up to a whole evaluation interval."""
    if cost < front[0, 0]:
        return math.inf
    return float(np.interp(math.log(cost), np.log(front[:, 0]), front[:, 1]))


def _fit(front: np.ndarray, fit_max_loss: float | None) -> dict[str, Any] | None:
    pts = front if fit_max_loss is None else front[front[:, 1] < fit_max_loss]
    return fit_power_law(pts[:, 0], pts[:, 1], n_boot=0) if len(pts) else None


def _fit_start(front: np.ndarray, fit_max_loss: float | None) -> float:
    """Least cost of the frontier points a fit uses (``inf`` if none)."""
    pts = front if fit_max_loss is None else front[front[:, 1] < fit_max_loss]
    return float(pts[0, 0]) if len(pts) else math.inf


def fitted_crossing(fit_ref: dict[str, Any] | None, fit_m: dict[str, Any] | None,
                    c_from: float, decades: float = 6.0) -> float | None:
    """First compute in ``[c_from, c_from 10^decades]`` where the fitted laws cross (the
    sign of ``L_m - L_ref`` changes; log-grid of 601 points), ``None`` if they do not."""
    if fit_ref is None or fit_m is None:
        return None
    c = np.geomspace(c_from, c_from * 10.0 ** decades, 601)
    sign = np.sign(_fit_loss(fit_m, c) - _fit_loss(fit_ref, c))
    change = np.nonzero(sign[1:] != sign[:-1])[0]
    return float(c[change[0] + 1]) if len(change) else None


def _fit_loss(fit: dict[str, Any], c: np.ndarray) -> np.ndarray:
    return fit["a"] * np.asarray(c, dtype=float) ** (-fit["b"]) + fit["c"]


def outcome(fit_ref: dict[str, Any] | None, fit_m: dict[str, Any] | None, c_low: float,
            c_high: float, scale_factor: float = SCALE_FACTOR,
            gap_low: float | None = None) -> str | None:
    """Filipovich et al.'s outcome of method vs reference.

    The loss gap ``L_m(C) - L_ref(C)`` at small scale is ``gap_low`` (measured, e.g. on the
    frontiers where the fits start) or else the fitted gap at ``c_low``; at scale it is the
    fitted gap ``scale_factor`` times beyond the largest measured compute ``c_high`` (an
    extrapolation): ``(<0, <0)`` DFA always better, ``(>0, <0)`` DFA better at scale,
    ``(<0, >0)`` BP better at scale, ``(>0, >0)`` BP always better. ``None`` without both
    fits.
    """
    if fit_ref is None or fit_m is None:
        return None
    gaps = _fit_loss(fit_m, np.array([c_low, c_high * scale_factor])) - _fit_loss(
        fit_ref, np.array([c_low, c_high * scale_factor]))
    small = bool((gaps[0] if gap_low is None else gap_low) < 0)
    large = bool(gaps[1] < 0)
    return {(True, True): OUTCOMES[0], (False, True): OUTCOMES[1],
            (True, False): OUTCOMES[2], (False, False): OUTCOMES[3]}[(small, large)]


def _statistics(fronts: dict[str, np.ndarray], reference: str, levels: np.ndarray,
                grid: dict[str, np.ndarray], fit_max_loss: float | None,
                overlap: dict[str, tuple[float, float]]) -> dict[str, Any]:
    """Exponents, multipliers at ``levels``, gaps on ``grid`` and outcomes of one draw."""
    fits = {m: _fit(f, fit_max_loss) for m, f in fronts.items()}
    ref = fronts[reference]
    out: dict[str, Any] = {"b": {m: (f["b"] if f else math.nan) for m, f in fits.items()},
                           "c": {m: (f["c"] if f else math.nan) for m, f in fits.items()}}
    for m, front in fronts.items():
        out[f"band:{m}"] = np.array([loss_on_frontier(front, c) for c in grid[f"band:{m}"]])
    for m, front in fronts.items():
        if m == reference:
            continue
        need_ref = np.array([_compute_to_reach(ref, lv) for lv in levels])
        need_m = np.array([_compute_to_reach(front, lv) for lv in levels])
        with np.errstate(invalid="ignore", divide="ignore"):
            out[f"multiplier:{m}"] = need_m / need_ref
        out[f"gap:{m}"] = np.array([loss_on_frontier(front, c) - loss_on_frontier(ref, c)
                                    for c in grid[m]])
        lo, hi = overlap[m]
        # small scale: the measured gap where both fits start (first points below the cut)
        start = max(_fit_start(ref, fit_max_loss), _fit_start(front, fit_max_loss))
        gap_low = (loss_on_frontier(front, start) - loss_on_frontier(ref, start)
                   if math.isfinite(start) else None)
        out[f"outcome:{m}"] = outcome(fits[reference], fits[m], lo, hi, gap_low=gap_low)
    return out


def bootstrap_seeds(table: RunTable, n_boot: int, rng: np.random.Generator
                    ) -> list[dict[tuple[int, int], np.ndarray]]:
    """``n_boot`` resamples of whole runs: per model size, seed indices drawn with
    replacement (shared by the size's budgets and by every method)."""
    check_int("n_boot", n_boot, 1)
    n = len(table.seeds)
    return [{s: rng.integers(0, n, size=n) for s in table.sizes} for _ in range(n_boot)]


def _interval(values: np.ndarray, confidence: float) -> list[float]:
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return [math.nan, math.nan]
    q = 100.0 * (1.0 - confidence) / 2.0
    return [float(np.percentile(v, q)), float(np.percentile(v, 100.0 - q))]


def _band(values: np.ndarray, confidence: float) -> list[list[float]]:
    """Pointwise percentile interval of frontier losses (inf: a draw had not reached that
    cost yet, left out)."""
    v = np.where(np.isfinite(values), values, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        q = 100.0 * (1.0 - confidence) / 2.0
        return [np.nanpercentile(v, q, axis=0).tolist(),
                np.nanpercentile(v, 100.0 - q, axis=0).tolist()]


def analyse_seeds(table: RunTable, cost: Cost, reference: str = "bp",
                  fit_max_loss: float | None = None, n_levels: int = 5, n_boot: int = 200,
                  confidence: float = 0.95, seed: int = 0, n_grid: int = 60
                  ) -> dict[str, Any]:
    """Frontiers, exponents, compute multipliers, loss gaps, outcomes, all with intervals.

    Point estimates use every seed; intervals are bootstrap percentiles
    (:func:`bootstrap_seeds`, ``n_boot`` draws from ``seed``). The verdict's confidence is
    the fraction of draws in which the reference's frontier is lower at every compute of the
    overlap (``p_reference_better_everywhere``), and the fraction of draws giving the point
    estimate's outcome.
    """
    fronts = method_frontiers(table, cost)
    if reference not in fronts:  # nothing to compare with: frontiers and fits only
        reference = table.methods[0]
    ref = fronts[reference]
    top = ref[0, 1] if fit_max_loss is None else min(ref[0, 1], fit_max_loss)
    levels_by: dict[str, np.ndarray] = {}
    grid: dict[str, np.ndarray] = {}
    overlap: dict[str, tuple[float, float]] = {}
    for m, f in fronts.items():
        if m == reference:
            continue
        lo, hi = max(ref[0, 0], f[0, 0]), min(ref[-1, 0], f[-1, 0])
        overlap[m] = (float(lo), float(hi))
        grid[m] = np.geomspace(lo, hi, n_grid) if hi > lo else np.array([hi])
        l_hi = min(top, f[0, 1])
        l_lo = max(ref[-1, 1], f[-1, 1])
        levels_by[m] = np.linspace(l_hi, l_lo, n_levels) if l_hi > l_lo else np.array([])
    # one set of loss levels for every method: the range all of them reach
    common = [lv for lv in levels_by.values() if len(lv)]
    if common:
        l_hi = min(float(lv[0]) for lv in common)
        l_lo = max(float(lv[-1]) for lv in common)
        levels = np.linspace(l_hi, l_lo, n_levels) if l_hi > l_lo else np.array([])
    else:
        levels = np.array([])
    for m, f in fronts.items():
        grid[f"band:{m}"] = np.geomspace(f[0, 0], f[-1, 0], n_grid)
    point = _statistics(fronts, reference, levels, grid, fit_max_loss, overlap)
    draws = bootstrap_seeds(table, n_boot, np.random.default_rng(seed))
    boots = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for draw in draws:
            boots.append(_statistics(method_frontiers(table, cost, draw), reference, levels,
                                     grid, fit_max_loss, overlap))
    fits = {m: _fit(f, fit_max_loss) for m, f in fronts.items()}
    result: dict[str, Any] = {
        "seeds": list(table.seeds), "n_boot": n_boot, "confidence": confidence,
        "fit_max_loss": fit_max_loss, "loss_levels": levels.tolist(), "methods": {},
    }
    for m in table.methods:
        fit = fits[m]
        result["methods"][m] = {
            "frontier": fronts[m].tolist(),
            "fit": None if fit is None else {k: fit[k] for k in ("a", "b", "c", "n_points",
                                                                 "rms_residual")},
            "b_interval": _interval(np.array([b["b"][m] for b in boots]), confidence),
            "c_interval": _interval(np.array([b["c"][m] for b in boots]), confidence),
            "best_loss": float(fronts[m][:, 1].min()),
            # the frontier's loss on a cost grid: point estimate and bootstrap interval
            "band_cost": grid[f"band:{m}"].tolist(),
            "band_loss": point[f"band:{m}"].tolist(),
            "band_interval": _band(np.array([b[f"band:{m}"] for b in boots]), confidence),
        }
    for m in table.methods:
        if m == reference:
            continue
        mult = np.array([b[f"multiplier:{m}"] for b in boots]).reshape(len(boots), len(levels))
        gaps = np.array([b[f"gap:{m}"] for b in boots])
        ref_better_all = float(np.mean(np.all(gaps > 0, axis=1)))
        m_better_some = float(np.mean(np.any(gaps < 0, axis=1)))
        outcomes = [b[f"outcome:{m}"] for b in boots]
        est = point[f"outcome:{m}"]
        gap_lo = np.percentile(gaps, 100 * (1 - confidence) / 2, axis=0)
        gap_hi = np.percentile(gaps, 100 * (1 + confidence) / 2, axis=0)
        result[f"{m}_vs_{reference}"] = {
            "overlap": list(overlap[m]),
            "multipliers": [
                {"loss": float(lv), "multiplier": float(point[f"multiplier:{m}"][i]),
                 "interval": _interval(mult[:, i], confidence)}
                for i, lv in enumerate(levels)],
            "gap_grid": grid[m].tolist(),
            "gap": point[f"gap:{m}"].tolist(),
            "gap_interval": [gap_lo.tolist(), gap_hi.tolist()],
            "p_reference_better_everywhere": ref_better_all,
            "p_method_better_somewhere": m_better_some,
            "reference_better_everywhere_pointwise": bool(np.all(gap_lo > 0)),
            "outcome": est,
            # beyond the measured range: where the extrapolated laws would cross
            "fitted_crossing_compute": fitted_crossing(fits[reference], fits[m],
                                                       overlap[m][1]),
            "outcome_confidence": (float(np.mean([o == est for o in outcomes]))
                                   if est is not None else None),
            "outcome_counts": {o: int(sum(x == o for x in outcomes)) for o in OUTCOMES},
        }
    return result


def final_loss_differences(table: RunTable, reference: str = "bp",
                           confidence: float = 0.95) -> list[dict[str, Any]]:
    """Per method and grid cell, the paired difference of final validation losses (same
    windows per seed) against ``reference``, with its Student interval (none with fewer
    than 2 seeds)."""
    rows: list[dict[str, Any]] = []
    if len(table.seeds) < 2 or reference not in table.methods:
        return rows
    for m in table.methods:
        if m == reference:
            continue
        for cell in table.cells:
            a = [table.runs[(reference, cell, s)]["final_val_loss"] for s in table.seeds]
            b = [table.runs[(m, cell, s)]["final_val_loss"] for s in table.seeds]
            d = paired_difference(a, b, confidence)
            rows.append({"method": m, "n_layers": cell[0], "d_model": cell[1],
                         "tokens": cell[2], "reference_loss": float(np.mean(a)),
                         "loss": float(np.mean(b)), **d})
    return rows
