"""Scaling laws of BP, DFA and photonic-DFA Transformers (Kaplan 2020; Filipovich 2022).

A grid of model sizes x token budgets x seeds is trained for each method, each run one task
of :func:`photonic_dfa.base.tasks.run_tasks` (cached, so a killed grid resumes). This module
holds the grid, its tasks, the frontier (lower envelope of ``(C, L)`` points: a point is on
it when no point with less or equal compute has a lower loss) and the power-law fit
``L(C) = a C^-b + c`` (scipy ``curve_fit``). :func:`analyse` is the single-seed first pass
on ``C = 6 N D`` (``N`` non-embedding parameters, ``D`` tokens); the study proper, with
counted FLOPs, seeds, paired differences, a bootstrap over runs and energy, is
:mod:`.scaling_stats`, :mod:`.scaling_energy` and :mod:`.scaling_report`.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import itertools
import json
import math
import os
import warnings
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from photonic_dfa.architecture.digital import AUTHORS_ERROR
from photonic_dfa.base.tasks import run_tasks
from photonic_dfa.base.validation import check_int, check_scalar
from photonic_dfa.training.corpus import SHAKESPEARE_SHA256, CharCorpus, load_corpus
from photonic_dfa.training.lm import METHODS, LMConfig, train_lm
from photonic_dfa.training.lm_feedback import make_core

__all__ = [
    "ScalingGrid",
    "SCALING_PRESETS",
    "SCALING_CODE_VERSION",
    "grid_tasks",
    "run_point",
    "run_grid",
    "frontier",
    "fit_power_law",
    "analyse",
    "effective_method",
    "PAPER_METHODS",
]

SCALING_CODE_VERSION = "scaling-3"


@dataclass(frozen=True)
class ScalingGrid:
    """Model sizes ``(n_layers, d_model)`` x token budgets x methods, and shared settings."""

    sizes: tuple[tuple[int, int], ...]
    token_budgets: tuple[int, ...]
    methods: tuple[str, ...] = ("bp", "dfa")
    context: int = 64
    batch_size: int = 32
    n_heads: int = 4
    lr: float = 3e-3
    eval_points: int = 12
    eval_batches: int = 8
    final_eval_batches: int = 32
    #: independent replicates of every (method, size, budget); a seed fixes initialisation,
    #: data order, feedback matrices, the fabricated chip and the validation windows
    seeds: tuple[int, ...] = (0,)
    #: legacy switch to the LayerNorm-derivative signal (None: the method name says it)
    dfa_normalize: bool | None = None
    #: LayerNorm layout per method, ``(method, "pre" | "post")`` pairs; a method not listed
    #: is pre-LN. Literal DFA trains in the post-LN layout of Launay et al. (2020)
    norms: tuple[tuple[str, str], ...] = ()
    #: feedback core of the "photonic" method: the simulated chip (fabricated from the run's
    #: seed and calibrated) or the published Gaussian MAC-error model
    photonic_core: str = "chip"
    mac_error_mean: float = AUTHORS_ERROR.mean
    mac_error_std: float = AUTHORS_ERROR.std

    def __post_init__(self) -> None:
        if not self.sizes or not self.token_budgets or not self.methods:
            raise ValueError("sizes, token_budgets and methods must be non-empty")
        if self.photonic_core not in ("chip", "gaussian"):
            raise ValueError(f"photonic_core must be 'chip' or 'gaussian', got "
                             f"{self.photonic_core!r}")
        for layers, width in self.sizes:
            check_int("n_layers", layers, 1)
            check_int("d_model", width, self.n_heads)
            if width % self.n_heads:
                raise ValueError(
                    f"d_model must be a multiple of n_heads={self.n_heads}, got {width}")
        for d in self.token_budgets:
            check_int("token budget", d, self.context * self.batch_size)
        for m in self.methods:
            if m not in METHODS:
                raise ValueError(f"method must be one of {METHODS}, got {m!r}")
        if not self.seeds or len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"seeds must be distinct and non-empty, got {self.seeds}")
        for s in self.seeds:
            check_int("seed", s, 0)
        check_int("eval_points", self.eval_points, 1)
        for m, norm in self.norms:
            if m not in self.methods:
                raise ValueError(f"norms names method {m!r}, not among {self.methods}")
            LMConfig(method=m, norm=norm)  # refuses an unknown layout or an -ln method post-LN
        check_scalar("lr", self.lr, 0.0, 1.0, low_inclusive=False)

    def replace(self, **changes: Any) -> ScalingGrid:
        return dataclasses.replace(self, **changes)


#: BP, the paper's literal DFA, the LayerNorm-derivative variant, literal DFA on the chip
PAPER_METHODS: tuple[str, ...] = tuple(m for m in ("bp", "dfa", "dfa-ln", "photonic")
                                       if m in METHODS)

SCALING_PRESETS: dict[str, ScalingGrid] = {
    # two tiny tasks: exercises the machinery (tests, Dask smoke runs) in seconds
    "smoke": ScalingGrid(sizes=((1, 16),), token_budgets=(4096, 8192), methods=("bp",),
                         context=16, batch_size=8, eval_points=3, eval_batches=2,
                         final_eval_batches=4),
    # 4 sizes (N = 13 k ... 336 k) x 3 budgets (0.5 M ... 2 M tokens) x BP, DFA, photonic
    "default": ScalingGrid(sizes=((1, 32), (2, 48), (2, 64), (3, 96)),
                           token_budgets=(500_000, 1_000_000, 2_000_000),
                           methods=("bp", "dfa", "photonic")),
    # the study as reported: 6 sizes (N = 3.3 k ... 150 k non-embedding parameters, 1.7
    # decades) x 3 budgets (0.1 M ... 1 M tokens) x 3 seeds x 4 methods = 216 runs; small
    # context and batch keep it to about half an hour on 2 cores.
    # Every method in its best known layout: BP and the -ln variant pre-LN, literal DFA (and
    # so photonic DFA) post-LN as Launay et al. trained it
    "paper": ScalingGrid(sizes=((1, 16), (1, 24), (2, 32), (2, 48), (2, 64), (3, 64)),
                         token_budgets=(100_000, 300_000, 1_000_000),
                         methods=PAPER_METHODS, context=32, batch_size=16,
                         seeds=(0, 1, 2), norms=(("dfa", "post"), ("photonic", "post"))),
}


def effective_method(run: dict[str, Any]) -> str:
    """The method a run really trained: a DFA run whose signal went through the LayerNorm
    derivative (``dfa_normalize``, the former default) is the ``-ln`` variant, never "dfa"."""
    cfg = run["config"]
    method = str(cfg["method"])
    if cfg.get("dfa_normalize") and method in ("dfa", "dfa-micro", "photonic"):
        return {"dfa": "dfa-ln", "dfa-micro": "dfa-ln-micro", "photonic": "photonic-ln"}[method]
    return method


def _file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def corpus_spec(text_file: str | os.PathLike | None = None,
                data_dir: str | os.PathLike | None = None) -> dict[str, Any]:
    """JSON identity of the corpus for task parameters (content hash, so edits invalidate)."""
    if text_file is not None:
        path = Path(text_file).resolve()
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such text file")
        return {"kind": "file", "path": str(path), "sha256": _file_sha256(path)}
    spec: dict[str, Any] = {"kind": "shakespeare", "sha256": SHAKESPEARE_SHA256}
    if data_dir is not None:
        spec["data_dir"] = str(Path(data_dir).resolve())
    return spec


@functools.lru_cache(maxsize=4)
def _corpus(kind: str, path: str | None, sha256: str, data_dir: str | None) -> CharCorpus:
    if kind == "file":
        assert path is not None
        if _file_sha256(Path(path)) != sha256:
            raise ValueError(f"{path} changed since the grid was defined (sha256 mismatch)")
        return load_corpus(path)
    return load_corpus(None, data_dir)


def _eval_steps(steps: int, points: int) -> list[int]:
    """Log-spaced evaluation steps in ``[steps/64, steps)`` (the last step is always added)."""
    first = max(1, steps // 64)
    grid = np.unique(np.geomspace(first, steps, points + 1).astype(int))
    return [int(s) for s in grid if s < steps][: points]


def grid_tasks(grid: ScalingGrid, corpus: dict[str, Any]) -> list[dict[str, Any]]:
    """One parameter dict per (method, size, budget, seed), the most expensive first."""
    tasks = []
    tokens_per_step = grid.batch_size * grid.context
    legacy = {} if grid.dfa_normalize is None else {"dfa_normalize": grid.dfa_normalize}
    for method, (layers, width), budget, seed in itertools.product(
            grid.methods, grid.sizes, grid.token_budgets, grid.seeds):
        steps = max(1, budget // tokens_per_step)
        cfg = LMConfig(
            method=method, d_model=width, n_layers=layers, n_heads=grid.n_heads,
            context=grid.context, batch_size=grid.batch_size, steps=steps, lr=grid.lr,
            warmup_steps=max(1, min(100, steps // 10)), eval_interval=steps,
            eval_batches=grid.eval_batches, final_eval_batches=grid.final_eval_batches,
            seed=seed, norm=dict(grid.norms).get(method, "pre"), **legacy)
        task: dict[str, Any] = {"corpus": corpus, "lm": dataclasses.asdict(cfg),
                                "eval_steps": _eval_steps(steps, grid.eval_points)}
        if method.startswith("photonic"):
            task["core"] = {"kind": grid.photonic_core, "mean": grid.mac_error_mean,
                            "std": grid.mac_error_std}
        tasks.append(task)
    tasks.sort(key=lambda t: -(t["lm"]["n_layers"] * t["lm"]["d_model"] ** 2 * t["lm"]["steps"]))
    return tasks


class _ProgramLog:
    """A feedback core that records what each ``program`` did (its ProgramInfo)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.programs: list[dict[str, Any]] = []

    def program(self, weights: Any) -> Any:
        info = self.inner.program(weights)
        if dataclasses.is_dataclass(info) and not isinstance(info, type):
            self.programs.append(dataclasses.asdict(info))
        return info

    def matvec(self, x: Any, gate: Any = None, rng: Any = None) -> Any:
        return self.inner.matvec(x, gate=gate, rng=rng)


def run_point(params: dict[str, Any]) -> dict[str, Any]:
    """Train one grid point; the task function of the scaling grid (runs in workers).

    A photonic run also reports its chip's calibration readings and each programming's
    :class:`~photonic_dfa.architecture.core.ProgramInfo` (``summary["chip"]``), which the
    energy accounting charges to the run."""
    c = params["corpus"]
    corpus = _corpus(c["kind"], c.get("path"), c["sha256"], c.get("data_dir"))
    cfg = LMConfig(**params["lm"])
    core = None
    log = None
    if cfg.method.startswith("photonic"):
        spec = params["core"]
        core = make_core(spec["kind"], cfg.seed, spec["mean"], spec["std"])
        chip = getattr(core, "chip", None)
        if chip is not None:  # the simulated chip: log its programming
            log = _ProgramLog(chip)
            core.chip = log  # type: ignore[attr-defined]
    summary = train_lm(corpus, cfg, core=core, eval_steps=params["eval_steps"], log=None)
    if log is not None:
        result = getattr(log.inner, "result", None)
        summary["chip"] = {
            "calibration_readings": int(result.total_measurements) if result else 0,
            "programs": json.loads(json.dumps(log.programs, default=float)),
        }
    return summary


def run_grid(grid: ScalingGrid, cache_dir: str | os.PathLike,
             text_file: str | os.PathLike | None = None,
             data_dir: str | os.PathLike | None = None, executor: Executor | None = None,
             scheduler: str | None = None, max_workers: int | None = None,
             progress: bool = True) -> list[dict[str, Any]]:
    """Run (or read from the cache) every grid point; return their summaries."""
    spec = corpus_spec(text_file, data_dir)
    # read once here: the corpus is fetched once, not in every worker at the same time, and a
    # text file that is not one (binary, empty) is refused before any point runs
    load_corpus(text_file, data_dir)
    tasks = grid_tasks(grid, spec)
    return run_tasks(run_point, tasks, cache_dir, executor=executor, scheduler=scheduler,
                     max_workers=max_workers, code_version=SCALING_CODE_VERSION,
                     progress=progress, desc="scaling grid")


# ----------------------------------------------------------------------------- analysis


def frontier(points: np.ndarray) -> np.ndarray:
    """Pareto front of ``(compute, loss)`` rows: lowest loss reached at or below each compute."""
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    if len(pts) == 0:
        return pts
    order = np.lexsort((pts[:, 1], pts[:, 0]))
    pts = pts[order]
    keep, best = [], math.inf
    for c, loss in pts:
        if loss < best:
            keep.append((c, loss))
            best = loss
    return np.array(keep)


def _power_law(x: np.ndarray, amp: float, b: float, c: float) -> np.ndarray:
    return amp * x ** (-b) + c


def fit_power_law(compute: Sequence[float] | np.ndarray, loss: Sequence[float] | np.ndarray,
                  n_boot: int = 200,
                  rng: np.random.Generator | None = None) -> dict[str, Any] | None:
    """Fit ``L = a C^-b + c``; return parameters, standard errors and bootstrap intervals.

    ``C`` is rescaled by its minimum ``C0`` for conditioning (``L = A (C/C0)^-b + c`` with
    ``a = A C0^b``). Needs at least 4 points; returns ``None`` otherwise or if the fit fails.
    """
    from scipy.optimize import curve_fit

    c_arr = np.asarray(compute, dtype=float)
    l_arr = np.asarray(loss, dtype=float)
    if len(c_arr) < 4:
        return None
    c0 = float(c_arr.min())
    x = c_arr / c0
    lo = float(l_arr.min())
    p0 = [max(float(l_arr.max() - lo), 1e-3), 0.3, max(lo - 0.2, 0.0)]
    bounds = ([0.0, 1e-4, 0.0], [np.inf, 3.0, lo])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            popt, pcov = curve_fit(_power_law, x, l_arr, p0=p0, bounds=bounds, maxfev=20000)
    except (RuntimeError, ValueError):
        return None
    amp, b, c = (float(v) for v in popt)
    err = np.sqrt(np.clip(np.diag(pcov), 0.0, None))
    resid = l_arr - _power_law(x, *popt)
    out: dict[str, Any] = {
        "a": amp * c0 ** b, "b": b, "c": c, "A": amp, "C0": c0,
        "A_stderr": float(err[0]), "b_stderr": float(err[1]), "c_stderr": float(err[2]),
        "covariance_A_b_c": pcov.tolist(), "rms_residual": float(np.sqrt(np.mean(resid ** 2))),
        "n_points": int(len(x)),
    }
    rng = np.random.default_rng(0) if rng is None else rng
    boots = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(n_boot):
            i = rng.integers(0, len(x), size=len(x))
            if len(np.unique(i)) < 4:
                continue
            try:
                pb, _ = curve_fit(_power_law, x[i], l_arr[i], p0=popt,
                                  bounds=([0.0, 1e-4, 0.0], [np.inf, 3.0, float(l_arr[i].min())]),
                                  maxfev=5000)
            except (RuntimeError, ValueError):
                continue
            boots.append(pb)
    if boots:
        bs = np.array(boots)
        out["bootstrap"] = {
            "n": int(len(bs)),
            "b_16_50_84": np.percentile(bs[:, 1], [16, 50, 84]).tolist(),
            "c_16_50_84": np.percentile(bs[:, 2], [16, 50, 84]).tolist(),
        }
    return out


def _compute_to_reach(front: np.ndarray, level: float) -> float:
    """Least compute at which the frontier reaches ``loss <= level`` (log-interpolated)."""
    below = np.nonzero(front[:, 1] <= level)[0]
    if len(below) == 0:
        return math.inf
    j = int(below[0])
    if j == 0:
        return float(front[0, 0])
    (c1, l1), (c2, l2) = front[j - 1], front[j]
    t = (l1 - level) / (l1 - l2)
    return float(math.exp(math.log(c1) + t * (math.log(c2) - math.log(c1))))


def _loss_at(front: np.ndarray, compute: float) -> float:
    """Best loss the frontier reached with at most ``compute`` (step function)."""
    idx = np.nonzero(front[:, 0] <= compute)[0]
    return float(front[idx[-1], 1]) if len(idx) else math.inf


def _median_sem(runs: Sequence[dict[str, Any]]) -> float | None:
    sems = [h.get("val_loss_sem") for r in runs for h in r["history"] if h["tokens"] > 0]
    sems = [s for s in sems if s is not None]
    return float(np.median(sems)) if sems else None


def analyse(runs: Sequence[dict[str, Any]], reference: str = "bp",
            fit_max_loss: float | None = None) -> dict[str, Any]:
    """Frontiers, fits, compute multipliers vs ``reference`` and the efficiency verdict.

    ``fit_max_loss``: fit (and compare compute at) only frontier points below this loss,
    e.g. the unigram entropy, to leave out the initial transient where the model has not yet
    learnt character frequencies. The verdict is given strictly and "beyond noise": a method
    counts as better than the reference only where its frontier is lower by more than twice
    the standard error of a difference of two evaluations (from the recorded batch spread).
    """
    methods = sorted({r["config"]["method"] for r in runs}, key=list(METHODS).index)
    result: dict[str, Any] = {"compute_definition": "C = 6 N D, N = non-embedding parameters "
                              "(all but W_te, W_pe, W_out), D = training tokens",
                              "fit_max_loss": fit_max_loss, "methods": {}}
    fronts = {}
    for method in methods:
        mine = [r for r in runs if r["config"]["method"] == method]
        pts = np.array([(h["compute"], h["val_loss"]) for r in mine for h in r["history"]
                        if h["tokens"] > 0])
        front = frontier(pts)
        fronts[method] = front
        fit_pts = front if fit_max_loss is None else front[front[:, 1] < fit_max_loss]
        finals = [{"n_layers": r["config"]["n_layers"], "d_model": r["config"]["d_model"],
                   "N": r["non_embedding_params"], "D": r["tokens"], "C": r["compute_6ND"],
                   "final_val_loss": r["final_val_loss"], "train_seconds": r["train_seconds"]}
                  for r in mine]
        finals.sort(key=lambda f: (f["N"], f["D"]))
        result["methods"][method] = {
            "runs": finals,
            "frontier": front.tolist(),
            "fit": fit_power_law(fit_pts[:, 0], fit_pts[:, 1]) if len(fit_pts) else None,
            "best_val_loss": float(front[:, 1].min()) if len(front) else None,
        }
    if reference in fronts:
        ref = fronts[reference]
        for method in methods:
            if method == reference:
                continue
            other = fronts[method]
            lo = max(ref[0, 0], other[0, 0])
            hi = min(ref[-1, 0], other[-1, 0])
            grid = np.geomspace(lo, hi, 200) if hi > lo else np.array([hi])
            diff = np.array([_loss_at(other, c) - _loss_at(ref, c) for c in grid])
            sems = [v for v in (_median_sem([r for r in runs if r["config"]["method"] == m])
                                for m in (reference, method)) if v is not None]
            tol = 2.0 * math.sqrt(sum(v * v for v in sems)) if len(sems) == 2 else 0.0
            # loss levels both frontiers reach: compare the compute each needs
            l_hi = min(ref[0, 1], other[0, 1])
            if fit_max_loss is not None:
                l_hi = min(l_hi, fit_max_loss)
            l_lo = max(ref[-1, 1], other[-1, 1])
            levels = np.linspace(l_hi, l_lo, 5) if l_hi > l_lo else np.array([])
            mult = [{"loss": float(level),
                     "compute_" + reference: _compute_to_reach(ref, level),
                     "compute_" + method: _compute_to_reach(other, level),
                     "multiplier": _compute_to_reach(other, level) / _compute_to_reach(ref, level)}
                    for level in levels]
            fit_r, fit_o = result["methods"][reference]["fit"], result["methods"][method]["fit"]
            fit_mult = None
            if fit_r and fit_o:
                target = float(ref[-1, 1])  # the best loss BP reached in this grid
                need = {}
                for name, f in ((reference, fit_r), (method, fit_o)):
                    need[name] = (((target - f["c"]) / f["a"]) ** (-1.0 / f["b"])
                                  if target > f["c"] else math.inf)
                fit_mult = {"loss": target, "compute_" + reference: need[reference],
                            "compute_" + method: need[method],
                            "multiplier": need[method] / need[reference]}
            result[f"{method}_vs_{reference}"] = {
                "overlap_compute": [float(lo), float(hi)],
                "fraction_of_compute_where_better": float(np.mean(diff < 0)),
                "min_loss_gap": float(diff.min()), "max_loss_gap": float(diff.max()),
                "never_more_compute_efficient": bool(np.all(diff >= 0)),
                "noise_tolerance": tol,
                "fraction_better_beyond_noise": float(np.mean(diff < -tol)),
                "never_more_compute_efficient_beyond_noise": bool(np.all(diff >= -tol)),
                "compute_multiplier_on_frontier": mult,
                "compute_multiplier_from_fits_at_best_reference_loss": fit_mult,
            }
    return result
