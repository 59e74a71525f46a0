"""Seed statistics of the scaling study: paired differences, run bootstrap, outcomes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from photonic_dfa.studies.scaling import SCALING_PRESETS, corpus_spec, grid_tasks, run_point
from photonic_dfa.studies.scaling_energy import six_nd_cost
from photonic_dfa.studies.scaling_stats import (
    OUTCOMES,
    analyse_seeds,
    bootstrap_seeds,
    final_loss_differences,
    outcome,
    paired_difference,
    run_table,
)

TEXT = "Now is the winter of our discontent made glorious summer by this sun of York.\n" * 40
TOKENS = np.geomspace(1e5, 1e7, 12)


def bp_law(c):
    return 30.0 * np.asarray(c, dtype=float) ** -0.1 + 1.0


def fake_run(method, layers, width, seed, loss_fn, noise=0.0, rng=None):
    """A run whose validation loss is ``loss_fn(6 N D)`` plus a per-seed offset."""
    n = 12 * layers * width * width
    shift = 0.0 if rng is None else float(rng.normal(0.0, noise))
    hist = [{"step": i + 1, "tokens": int(t), "val_loss": float(loss_fn(6.0 * n * t)) + shift}
            for i, t in enumerate(TOKENS)]
    return {"config": {"method": method, "n_layers": layers, "d_model": width, "seed": seed},
            "non_embedding_params": n, "tokens": int(TOKENS[-1]), "history": hist,
            "final_val_loss": hist[-1]["val_loss"]}


def test_paired_difference_recovers_offset_and_covers_at_stated_rate():
    """200 draws of 3 seeds: a seed effect shared by both methods (sd 0.3) and independent
    noise (sd 0.01); the offset is 0.05. The paired interval covers it in 95 % of draws
    (binomial sd sqrt(200 .05 .95) = 3.1 draws: accept 181..199)."""
    rng = np.random.default_rng(1)
    offset, covered, widths = 0.05, 0, []
    for _ in range(200):
        seed_effect = rng.normal(0.0, 0.3, size=(3, 1))
        ref = 2.0 + seed_effect + rng.normal(0.0, 0.01, size=(3, 8))
        other = ref + offset + rng.normal(0.0, 0.01, size=(3, 1))
        d = paired_difference(ref, other, 0.95)
        covered += d["low"] <= offset <= d["high"]
        widths.append(d["high"] - d["low"])
    assert 181 <= covered <= 199
    # pairing removes the seed effect: the interval is far narrower than the seed spread
    assert np.median(widths) < 0.25 * 0.3


def test_paired_difference_exact_values():
    d = paired_difference([1.0, 2.0, 3.0], [1.1, 2.3, 3.2], 0.95)
    diffs = np.array([0.1, 0.3, 0.2])
    assert d["mean"] == pytest.approx(0.2)
    assert d["sem"] == pytest.approx(diffs.std(ddof=1) / math.sqrt(3))
    assert d["high"] - d["mean"] == pytest.approx(4.302653 * d["sem"], rel=1e-6)
    with pytest.raises(ValueError, match="shape"):
        paired_difference([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="number of seeds"):
        paired_difference([1.0], [2.0])
    with pytest.raises(ValueError, match="confidence"):
        paired_difference([1.0, 2.0], [1.0, 2.0], confidence=1.0)


def _grid(dfa_fn, seeds=(0, 1, 2), noise=0.02, seed=0, sizes=((1, 8), (2, 16), (3, 32))):
    rng = np.random.default_rng(seed)
    runs = []
    for s in seeds:
        for layers, width in sizes:
            # one seed effect per (size, seed), shared by both methods: pairing cancels it
            shift = float(rng.normal(0.0, noise))
            for method, fn in (("bp", bp_law), ("dfa", dfa_fn)):
                runs.append(fake_run(method, layers, width, s, lambda c, f=fn, z=shift: f(c) + z))
    return runs


def test_run_table_requires_every_seed():
    runs = _grid(lambda c: bp_law(c / 4.0))
    table = run_table(runs, order=("bp", "dfa"))
    assert table.methods == ("bp", "dfa") and table.seeds == (0, 1, 2)
    assert len(table.cells) == 3 and table.sizes == ((1, 8), (2, 16), (3, 32))
    with pytest.raises(ValueError, match="missing"):
        run_table(runs[:-1])
    with pytest.raises(ValueError, match="repeated"):
        run_table(runs + runs[:1])


def test_bootstrap_resamples_seeds_per_size():
    table = run_table(_grid(lambda c: bp_law(c / 4.0)))
    draws = bootstrap_seeds(table, 50, np.random.default_rng(0))
    assert len(draws) == 50
    for d in draws:
        assert set(d) == set(table.sizes)
        assert all(len(v) == 3 and set(v) <= {0, 1, 2} for v in d.values())


def test_multiplier_interval_covers_known_multiplier():
    """DFA needs exactly 4x BP's compute; per-(size, seed) offsets shared by the methods."""
    table = run_table(_grid(lambda c: bp_law(c / 4.0)), order=("bp", "dfa"))
    out = analyse_seeds(table, six_nd_cost, n_boot=100, fit_max_loss=None)
    v = out["dfa_vs_bp"]
    assert len(v["multipliers"]) == 5
    for row in v["multipliers"]:
        lo, hi = row["interval"]
        assert row["multiplier"] == pytest.approx(4.0, rel=0.15)
        assert lo <= row["multiplier"] <= hi
    assert v["p_reference_better_everywhere"] == 1.0
    assert v["reference_better_everywhere_pointwise"] is True
    assert out["methods"]["bp"]["fit"]["b"] == pytest.approx(0.1, abs=0.02)
    lo, hi = out["methods"]["bp"]["b_interval"]
    assert lo <= out["methods"]["bp"]["fit"]["b"] <= hi
    # the same exponent, so the compute factor is constant: BP better at every scale
    assert v["outcome"] == "BP always better" and v["outcome_confidence"] >= 0.9
    rows = final_loss_differences(table)
    assert len(rows) == 3 and all(r["mean"] > 0 for r in rows)


def test_outcomes_of_fitted_laws():
    ref = {"a": 30.0, "b": 0.1, "c": 1.0}
    assert outcome(ref, {"a": 30.0, "b": 0.1, "c": 0.9}, 1e9, 1e12) == OUTCOMES[0]
    assert outcome(ref, {"a": 600.0, "b": 0.2, "c": 0.5}, 1e9, 1e12) == OUTCOMES[1]
    assert outcome(ref, {"a": 5.0, "b": 0.03, "c": 1.5}, 1e9, 1e12) == OUTCOMES[2]
    assert outcome(ref, {"a": 40.0, "b": 0.1, "c": 1.1}, 1e9, 1e12) == OUTCOMES[3]
    assert outcome(None, ref, 1e9, 1e12) is None


def test_windows_shared_across_methods_within_a_seed(tmp_path):
    """Before any update both methods hold the same model (same seed), so equal losses at
    step 0 mean they were scored on the same windows; another seed draws other ones."""
    path = tmp_path / "t.txt"
    path.write_text(TEXT)
    grid = SCALING_PRESETS["smoke"].replace(methods=("bp", "dfa"), seeds=(0, 1),
                                            token_budgets=(4096,))
    tasks = grid_tasks(grid, corpus_spec(path))
    assert len(tasks) == 4
    first = {}
    for t in tasks:
        t = dict(t, eval_steps=[0])
        r = run_point(t)
        first[(t["lm"]["method"], t["lm"]["seed"])] = r["history"][0]["val_loss"]
    assert first[("bp", 0)] == first[("dfa", 0)]
    assert first[("bp", 1)] == first[("dfa", 1)]
    assert first[("bp", 0)] != first[("bp", 1)]


def test_cli_reports_seed_statistics(tmp_path, capsys):
    import json

    from photonic_dfa.cli import main

    path = tmp_path / "t.txt"
    path.write_text(TEXT * 5)
    out = tmp_path / "grid"
    assert main(["scaling", "--preset", "smoke", "--methods", "bp,dfa", "--seeds", "0,1",
                 "--sizes", "1x16,1x24", "--text", str(path), "--boot", "10", "--workers",
                 "1", "--no-progress", "--out", str(out)]) == 0
    analysis = json.loads((out / "analysis.json").read_text())
    assert analysis["seeds"] == [0, 1] and analysis["n_runs"] == 16
    assert set(analysis["axes"]) == {"flops", "6ND", "energy"}
    assert len(analysis["paired_final_loss"]) == 4  # 2 sizes x 2 budgets, one method vs bp
    for png in ("frontier_bands.png", "frontier_6nd.png"):
        assert (out / png).stat().st_size > 0
    text = capsys.readouterr().out
    assert "paired final validation-loss difference" in text and "verdicts" in text
    assert (out / "report.txt").read_text().startswith("throughput")


def test_worker_threads_set_while_spawning_and_restored(monkeypatch):
    import os

    from photonic_dfa.base.tasks import _THREAD_VARS, worker_threads

    for var in _THREAD_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")  # a value given by the user is kept
    with worker_threads(1):
        assert os.environ["OPENBLAS_NUM_THREADS"] == "1"
        assert os.environ["OMP_NUM_THREADS"] == "3"
    assert "OPENBLAS_NUM_THREADS" not in os.environ and os.environ["OMP_NUM_THREADS"] == "3"
