"""Scaling study: frontier, power-law fits, compute multipliers, grid tasks and caching."""

from __future__ import annotations

import math
from concurrent.futures import Executor, ThreadPoolExecutor

import numpy as np
import pytest

from photonic_dfa.studies.scaling import (
    SCALING_PRESETS,
    ScalingGrid,
    analyse,
    corpus_spec,
    fit_power_law,
    frontier,
    grid_tasks,
    run_grid,
)

TEXT = "Now is the winter of our discontent made glorious summer by this sun of York.\n" * 40


def test_frontier_is_lower_envelope():
    pts = np.array([[1, 5.0], [2, 4.0], [2, 3.5], [3, 3.9], [4, 3.0], [5, 3.2], [6, 2.5]])
    np.testing.assert_array_equal(frontier(pts), [[1, 5.0], [2, 3.5], [4, 3.0], [6, 2.5]])
    assert frontier(np.empty((0, 2))).shape == (0, 2)


def test_fit_recovers_known_power_law():
    a, b, c = 40.0, 0.12, 1.3
    compute = np.geomspace(1e9, 1e13, 25)
    noise = np.random.default_rng(0).normal(0, 1e-3, size=compute.size)
    fit = fit_power_law(compute, a * compute ** (-b) + c + noise)
    assert fit is not None
    assert abs(fit["b"] - b) < 3 * fit["b_stderr"] + 1e-3
    assert abs(fit["c"] - c) < 3 * fit["c_stderr"] + 1e-3
    assert fit["a"] == pytest.approx(a, rel=0.1)
    lo, mid, hi = fit["bootstrap"]["b_16_50_84"]
    assert lo <= mid <= hi and lo < b + 0.01 and hi > b - 0.01
    assert fit_power_law([1, 2, 3], [3, 2, 1]) is None  # too few points


def _fake_run(method: str, n: int, tokens: np.ndarray, loss_fn) -> dict:
    compute = 6.0 * n * tokens
    hist = [{"tokens": int(t), "compute": float(cc), "val_loss": float(loss_fn(cc))}
            for t, cc in zip(tokens, compute)]
    return {"config": {"method": method, "n_layers": 1, "d_model": 8},
            "non_embedding_params": n, "tokens": int(tokens[-1]), "compute_6ND": compute[-1],
            "final_val_loss": hist[-1]["val_loss"], "train_seconds": 1.0, "history": hist}


def test_analyse_multiplier_and_verdict():
    tokens = np.geomspace(1e5, 1e7, 15)
    bp = lambda c: 30 * c ** -0.1 + 1.0  # noqa: E731
    dfa = lambda c: bp(c / 4.0)  # noqa: E731  # needs exactly 4x the compute
    runs = [_fake_run(m, n, tokens, f) for m, f in (("bp", bp), ("dfa", dfa)) for n in (1e4, 1e5)]
    out = analyse(runs)
    verdict = out["dfa_vs_bp"]
    assert verdict["never_more_compute_efficient"] is True
    assert verdict["fraction_of_compute_where_better"] == 0.0
    for row in verdict["compute_multiplier_on_frontier"]:
        if math.isfinite(row["multiplier"]):
            assert row["multiplier"] == pytest.approx(4.0, rel=0.05)
    assert out["methods"]["bp"]["fit"]["b"] == pytest.approx(0.1, abs=0.01)
    # a method better than BP everywhere is flagged
    better = [_fake_run("dfa", 1e4, tokens, lambda c: bp(c * 3.0)),
              _fake_run("bp", 1e4, tokens, bp)]
    assert analyse(better)["dfa_vs_bp"]["never_more_compute_efficient"] is False


def test_grid_tasks(tmp_path):
    grid = ScalingGrid(sizes=((1, 8), (2, 16)), token_budgets=(2048, 4096),
                       methods=("bp", "photonic"), context=8, batch_size=4)
    path = tmp_path / "t.txt"
    path.write_text(TEXT)
    tasks = grid_tasks(grid, corpus_spec(path))
    assert len(tasks) == 8
    cost = [t["lm"]["n_layers"] * t["lm"]["d_model"] ** 2 * t["lm"]["steps"] for t in tasks]
    assert cost == sorted(cost, reverse=True)  # most expensive first
    for t in tasks:
        assert t["lm"]["steps"] * 32 in (2048, 4096)
        assert all(0 < s < t["lm"]["steps"] for s in t["eval_steps"])
        assert ("core" in t) == (t["lm"]["method"] == "photonic")
    with pytest.raises(ValueError, match="method"):
        grid.replace(methods=("sgd",))
    with pytest.raises(ValueError, match="multiple of n_heads"):
        grid.replace(sizes=((1, 10),))


class _NoExecutor(Executor):
    def submit(self, fn, /, *args, **kwargs):
        raise AssertionError("a cached grid must not submit any task")


def test_grid_runs_and_resumes_from_cache(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text(TEXT)
    grid = SCALING_PRESETS["smoke"].replace(methods=("bp", "photonic"))
    with ThreadPoolExecutor(2) as ex:
        runs = run_grid(grid, tmp_path / "cache", text_file=path, executor=ex, progress=False)
    assert len(runs) == 4 and len(list((tmp_path / "cache").glob("*.json"))) == 4
    again = run_grid(grid, tmp_path / "cache", text_file=path, executor=_NoExecutor(),
                     progress=False)
    assert again == runs
    # editing the corpus invalidates the cache
    path.write_text(TEXT + "more")
    with pytest.raises(AssertionError, match="must not submit"):
        run_grid(grid, tmp_path / "cache", text_file=path, executor=_NoExecutor(),
                 progress=False)


def test_verdict_beyond_noise_and_fit_range():
    tokens = np.geomspace(1e5, 1e7, 15)
    bp = lambda c: 30 * c ** -0.1 + 1.0  # noqa: E731
    runs = [_fake_run("bp", 1e4, tokens, bp),
            _fake_run("dfa", 1e4, tokens, lambda c: bp(c) - 0.005)]  # better, but by little
    for r in runs:
        for h in r["history"]:
            h["val_loss_sem"] = 0.01
    out = analyse(runs, fit_max_loss=3.5)
    v = out["dfa_vs_bp"]
    assert v["never_more_compute_efficient"] is False
    assert v["noise_tolerance"] == pytest.approx(2 * np.sqrt(2) * 0.01)
    assert v["never_more_compute_efficient_beyond_noise"] is True
    assert all(row["loss"] <= 3.5 for row in v["compute_multiplier_on_frontier"])
    fitted = out["methods"]["bp"]["fit"]
    below = np.array(out["methods"]["bp"]["frontier"])[:, 1] < 3.5
    assert fitted["n_points"] == int(below.sum())


def test_paper_preset_spans_the_required_range(tmp_path):
    from photonic_dfa.training.flops import non_embedding_params

    grid = SCALING_PRESETS["paper"]
    n = [non_embedding_params(layers, width) for layers, width in grid.sizes]
    assert len(n) >= 6 and math.log10(max(n) / min(n)) >= 1.5
    assert len(grid.token_budgets) >= 3
    assert max(grid.token_budgets) / min(grid.token_budgets) >= 10
    assert len(grid.seeds) >= 3
    assert {"bp", "dfa", "photonic"} <= set(grid.methods)
    path = tmp_path / "t.txt"
    path.write_text(TEXT)
    tasks = grid_tasks(grid, corpus_spec(path))
    assert len(tasks) == (len(grid.sizes) * len(grid.token_budgets) * len(grid.methods)
                          * len(grid.seeds))
    assert {t["lm"]["seed"] for t in tasks} == set(grid.seeds)
    with pytest.raises(ValueError, match="seeds"):
        grid.replace(seeds=(0, 0))
