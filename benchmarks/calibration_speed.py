"""Calibration speed: a 16-input x 16-output core, from a cold fabricated chip to a
programmable calibration (resonance search, crosstalk matrix, weight lookup), then one
closed-loop refinement and one drift re-calibration.

Prints the readings (measurements) and wall time of every stage, the total against the
30 s budget, and two ratios against baselines run in the same process:

- a naive resonance search (one pass, every other ring cold, sweeping each ring over its
  whole heater range at a third of a half width per step, then the same Lorentzian fits):
  readings and time of the naive search over ours;
- the full calibration repeated after drift, against the drift re-calibration.

Ends with one JSON line.

    python benchmarks/calibration_speed.py [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

BUDGET_S = 30.0
#: chip time per reading: five thermal time constants of ~10 us (Harris et al., Opt.
#: Express 22, 10487 (2014): ~1.2 us; slower heaters ~10 us) plus the averaging
SETTLE_S = 50e-6


def naive_search(chip) -> tuple[int, float, int]:
    """Dense single-pass search: readings, seconds, rings found (fits included)."""
    from photonic_dfa.calibration.lorentzian import fit_lorentzian
    from photonic_dfa.calibration.measurement import applied_powers, one_hot_sweeps

    d = chip.design
    m, n = chip.n_outputs, chip.n_inputs
    start = chip.measurement_count
    t0 = time.perf_counter()
    grid = np.unique(applied_powers(chip, np.arange(0.0, d.max_heater_power,
                                                    d.linewidth_power / 6)))
    found = 0
    for k in range(n):
        p = np.zeros((grid.size, m, n))
        p[:, :, k] = grid[:, None]
        y = one_hot_sweeps(chip, np.full(grid.size, k), p)  # (G, M)
        for j in range(m):
            i = int(np.argmax(y[:, j]))
            win = slice(max(0, i - 20), i + 21)
            f = fit_lorentzian(grid[win], y[win, j])
            found += int(np.isfinite(f.p0_stderr))
    return chip.measurement_count - start, time.perf_counter() - t0, found


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    from photonic_dfa.architecture.config import ChipConfig
    from photonic_dfa.architecture.fabricated import FabricatedChip
    from photonic_dfa.calibration.drift import recalibrate_drift
    from photonic_dfa.calibration.evaluation import random_targets
    from photonic_dfa.calibration.pipeline import calibrate
    from photonic_dfa.calibration.refinement import refine_closed_loop

    cfg = ChipConfig().updated(**{"core.n_inputs": 16, "core.n_outputs": 16})
    # warm-up: imports, numba/scipy first calls
    calibrate(FabricatedChip.from_config(cfg.updated(**{"core.n_outputs": 1,
                                                         "core.n_inputs": 4}), seed=99))

    chip = FabricatedChip.from_config(cfg, seed=args.seed)
    t0 = time.perf_counter()
    result = calibrate(chip)
    total = time.perf_counter() - t0
    secs = result.meta["seconds"]
    targets = random_targets(result, np.random.default_rng(1))
    t1 = time.perf_counter()
    ref = refine_closed_loop(chip, result, targets)
    t_ref = time.perf_counter() - t1
    chip.advance(600.0)
    t2 = time.perf_counter()
    upd = recalibrate_drift(chip, result)
    t_drift = time.perf_counter() - t2

    t3 = time.perf_counter()
    redo = calibrate(chip)
    t_redo = time.perf_counter() - t3

    naive_chip = FabricatedChip.from_config(cfg, seed=args.seed)
    n_naive, t_naive, found_naive = naive_search(naive_chip)

    print(f"Calibration of a {cfg.core.n_inputs} x {cfg.core.n_outputs} core "
          f"(fabrication seed {args.seed})")
    print(f"  {'stage':24s} {'readings':>9s} {'seconds':>8s}")
    for name in ("resonance", "crosstalk", "lookup"):
        print(f"  {name:24s} {result.measurements[name]:9d} {secs[name]:8.2f}")
    print(f"  {'full calibration':24s} {result.total_measurements:9d} {total:8.2f}   "
          f"budget {BUDGET_S:.0f} s: {total / BUDGET_S:.3f} of it "
          f"({'met' if total <= BUDGET_S else 'NOT met'})")
    print(f"  {'closed loop (1 matrix)':24s} {ref.measurements:9d} {t_ref:8.2f}")
    print(f"  {'drift re-calibration':24s} {upd.measurements:9d} {t_drift:8.2f}   vs full "
          f"re-calibration {redo.total_measurements} readings, {t_redo:.2f} s: "
          f"{upd.measurements / redo.total_measurements:.4f} of the readings")
    print(f"  naive dense search alone: {n_naive} readings, {t_naive:.2f} s "
          f"({found_naive} of {cfg.core.n_inputs * cfg.core.n_outputs} fits converged); ours "
          f"{result.measurements['resonance']} readings, {secs['resonance']:.2f} s: "
          f"{result.measurements['resonance'] / n_naive:.3f} of the readings, "
          f"{secs['resonance'] / t_naive:.3f} of the time")
    print(f"  rings flagged: {len(result.flagged)}")
    print(f"  on a real chip each reading waits for the heaters to settle: at "
          f"{SETTLE_S * 1e6:.0f} us per reading the full calibration takes "
          f"{result.total_measurements * SETTLE_S:.2f} s of chip time, the drift "
          f"re-calibration {upd.measurements * SETTLE_S * 1e3:.1f} ms")
    print(json.dumps({
        "benchmark": "calibration_speed", "inputs": cfg.core.n_inputs,
        "outputs": cfg.core.n_outputs, "seconds": total, "budget_s": BUDGET_S,
        "within_budget": total <= BUDGET_S, "readings": result.total_measurements,
        "readings_by_stage": result.measurements, "seconds_by_stage": secs,
        "chip_seconds_at_50us_per_reading": result.total_measurements * SETTLE_S,
        "closed_loop_readings": ref.measurements, "closed_loop_seconds": t_ref,
        "drift_readings": upd.measurements, "drift_seconds": t_drift,
        "drift_over_full_readings": upd.measurements / redo.total_measurements,
        "naive_search_readings": n_naive, "naive_search_seconds": t_naive,
        "search_over_naive_readings": result.measurements["resonance"] / n_naive,
        "search_over_naive_seconds": secs["resonance"] / t_naive}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
