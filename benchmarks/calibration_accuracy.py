"""Calibration accuracy over many fabricated chips of the default configuration.

For each of ``--chips`` seeded chips (default 20) of the default ChipConfig (16 channels x
32 banks) with its default fabrication spread, the chip is calibrated through its
measurement API and a random target matrix (uniform in +-0.98 of the measured symmetric
range) is programmed with each stage's model. For every stage the residual error of the
TRUE effective weights (simulation only) is reported as its standard deviation over the
weight range (2 x symmetric range) and as effective bits
``log2(range / (rms sqrt(12)))``:

- uncalibrated: the design's inverse applied to the fabricated chip (the baseline);
- stage resonance / crosstalk / lookup: the open-loop models;
- final: closed-loop refinement on the chip;
- after a 600 s ambient drift, after drift re-calibration (a few readings per ring), and
  after re-calibration plus closed loop.

Three settings: detector noise off, on (the chip's default 256-sample readings), and on
with a 12-bit heater driver (to show the driver's rounding limit). The floor row is the
error of the rounding alone on the design bank with perfect knowledge. Ratios are against
the uncalibrated baseline run in the same process. Ends with one JSON line.

    python benchmarks/calibration_accuracy.py [--chips 20] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

SETTINGS = {
    "no noise": {"noise": False, "dac_bits": None},
    "noise": {"noise": True, "dac_bits": None},
    "noise, 12-bit heater DAC": {"noise": True, "dac_bits": 12},
}
TARGET_BITS = 6.0


def _config(dac_bits):
    from photonic_dfa.architecture.config import ChipConfig

    cfg = ChipConfig()
    return cfg if dac_bits is None else cfg.updated(**{"heater.dac_bits": dac_bits})


def run_chip(task: tuple[str, int]) -> dict:
    from photonic_dfa.architecture.fabricated import (
        FabricatedChip,
        FabricationSpec,
        evaluation_truth,
    )
    from photonic_dfa.calibration.evaluation import evaluate_stages, random_targets
    from photonic_dfa.calibration.pipeline import calibrate

    setting, seed = task
    s = SETTINGS[setting]
    chip = FabricatedChip.from_config(_config(s["dac_bits"]), seed=seed,
                                      spec=FabricationSpec(detector_noise=s["noise"]))
    t0 = time.perf_counter()
    result = calibrate(chip)
    seconds = time.perf_counter() - t0
    targets = random_targets(result, np.random.default_rng(1000 + seed))
    ev = evaluate_stages(chip, result, targets, lambda p: evaluation_truth(chip).weights(p),
                         drift_seconds=600.0, advance=chip.advance)
    return {"setting": setting, "seed": seed, "figures": ev.figures,
            "readings": result.total_measurements, "extra_readings": ev.measurements,
            "seconds": seconds, "flagged": len(result.flagged)}


def rounding_floor(dac_bits) -> float:
    """Effective bits of the design bank with perfect knowledge and the driver's rounding."""
    from photonic_dfa.architecture.chip import build_bank
    from photonic_dfa.calibration.metrics import weight_error_figures

    cfg = _config(dac_bits)
    bank = build_bank(cfg)
    lim = bank.symmetric_weight_range * 0.98
    t = np.random.default_rng(0).uniform(-lim, lim, (512, bank.n_channels))
    p = bank.heater_powers_for_weights(t)
    lsb = cfg.heater.max_power / (2.0**cfg.heater.dac_bits - 1.0)
    pq = np.clip(np.rint(p / lsb) * lsb, 0.0, cfg.heater.max_power)
    return weight_error_figures(bank.weights(pq), t, 2 * bank.symmetric_weight_range)["bits"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chips", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    tasks = [(name, seed) for name in SETTINGS for seed in range(args.chips)]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        rows = list(pool.map(run_chip, tasks))
    wall = time.perf_counter() - t0
    stages = list(rows[0]["figures"])
    agg: dict[str, dict[str, dict[str, float]]] = {}
    for name in SETTINGS:
        mine = [r for r in rows if r["setting"] == name]
        agg[name] = {}
        for st in stages:
            bits = np.array([r["figures"][st]["bits"] for r in mine])
            rel = np.array([r["figures"][st]["std_rel"] for r in mine])
            rms = np.array([r["figures"][st]["rms"] for r in mine])
            agg[name][st] = {"std_rel_mean": float(rel.mean()), "bits_mean": float(bits.mean()),
                             "bits_min": float(bits.min()), "rms_mean": float(rms.mean())}
    floors = {name: rounding_floor(s["dac_bits"]) for name, s in SETTINGS.items()}
    cfg = _config(None)
    print(f"Calibration accuracy: {args.chips} fabricated chips per setting, "
          f"{cfg.core.n_inputs} channels x {cfg.core.n_outputs} banks, default spread")
    for name in SETTINGS:
        print(f"\n[{name}]  driver-rounding floor (design bank, perfect knowledge): "
              f"{floors[name]:.2f} bits")
        print(f"  {'stage':28s} {'std/range':>10s} {'eff.bits':>9s} {'worst':>7s} "
              f"{'error vs uncal.':>16s}")
        base = agg[name][stages[0]]["rms_mean"]
        for st in stages:
            a = agg[name][st]
            print(f"  {st:28s} {a['std_rel_mean']:10.5f} {a['bits_mean']:9.2f} "
                  f"{a['bits_min']:7.2f} {a['rms_mean'] / base:16.2e}")
    readings = np.mean([r["readings"] for r in rows])
    drift_readings = np.mean([r["extra_readings"]["drift"] for r in rows])
    print(f"\nreadings per full calibration {readings:.0f}; drift re-calibration "
          f"{drift_readings:.0f} ({drift_readings / readings:.2%} of the full); mean "
          f"calibration time {np.mean([r['seconds'] for r in rows]):.2f} s; "
          f"chips with flagged rings {sum(r['flagged'] > 0 for r in rows)}; wall {wall:.0f} s")
    final = "final (closed loop)"
    met = agg["no noise"][final]["bits_min"] >= TARGET_BITS
    print(f"target >= {TARGET_BITS} effective bits without detector noise (worst chip): "
          f"{'met' if met else 'NOT met'} ({agg['no noise'][final]['bits_min']:.2f}); with "
          f"noise {agg['noise'][final]['bits_mean']:.2f} bits (worst "
          f"{agg['noise'][final]['bits_min']:.2f})")
    print(json.dumps({"benchmark": "calibration_accuracy", "chips": args.chips,
                      "target_bits_no_noise": TARGET_BITS, "target_met": bool(met),
                      "floors_bits": floors, "readings_full": float(readings),
                      "readings_drift": float(drift_readings), "stages": agg}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
