"""``photonic-dfa calibrate``: fabricate a chip from a config and a seed, calibrate it
through measurements only, and report how well it programs weights."""

from __future__ import annotations

import argparse

from photonic_dfa.base.units import duration

from ._common import UNITS_RULE, add_command, directory, input_file, int_type, seed_type

#: documented limits: detector samples per reading, drift time (about 12 days)
MAX_SAMPLES = 10**6
MAX_DRIFT = 1e6


def register(subparsers: argparse._SubParsersAction) -> None:
    p = add_command(
        subparsers, "calibrate",
        help="calibrate a simulated fabricated chip (resonance fits, crosstalk, weight lookup, "
             "closed loop, drift); writes the calibration file, a report and PNGs",
        description="Fabricate a chip from a configuration and a seed, calibrate it through "
                    "its measurements only (resonance fits, crosstalk matrix, weight-to-heater "
                    "lookup, closed loop, drift re-calibration) and score how well it programs "
                    "random weights. Writes OUT/calibration.npz, OUT/report.txt, "
                    "OUT/summary.json and report PNGs.\n\n" + UNITS_RULE,
        example="photonic-dfa calibrate --chip chip.toml --seed 3 --drift 300s "
                "--out results/calibration")
    p.add_argument("--chip", type=input_file("chip configuration file"),
                   help="chip TOML: ChipConfig tables plus an optional "
                   "[fabrication] table (default: the documented default chip, see "
                   "`photonic-dfa config --default`)")
    p.add_argument("--seed", type=seed_type, default=0, help="fabrication seed")
    p.add_argument("--out", type=directory("output directory"), default="results/calibration",
                   help="output directory")
    p.add_argument("--no-noise", action="store_true", help="noise-free detector readings")
    p.add_argument("--samples", type=int_type(1, MAX_SAMPLES), default=None,
                   help=f"detector samples averaged per reading, at most {MAX_SAMPLES} "
                   "(default: the chip's)")
    p.add_argument("--drift", type=duration, default="600s", metavar="TIME",
                   help="ambient drift before the drift re-calibration, e.g. 600 or 600s "
                   "(0 skips it)")
    p.add_argument("--target-seed", type=seed_type, default=1, help="seed of the test matrix")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import time
    from dataclasses import replace
    from pathlib import Path

    import numpy as np

    from photonic_dfa.architecture.config import ChipConfig
    from photonic_dfa.architecture.fabricated import (
        FabricatedChip,
        FabricationSpec,
        evaluation_truth,
        load_chip_toml,
    )
    from photonic_dfa.base.atomic import atomic_write, write_json
    from photonic_dfa.base.validation import check_scalar
    from photonic_dfa.calibration.evaluation import evaluate_stages, random_targets
    from photonic_dfa.calibration.pipeline import CalibrationOptions, calibrate
    from photonic_dfa.calibration.report import report_text, save_report_figures

    check_scalar("--drift", args.drift, 0.0, MAX_DRIFT)
    if args.chip:
        cfg, spec = load_chip_toml(args.chip)
    else:
        cfg, spec = ChipConfig(), FabricationSpec()
    if args.no_noise:
        spec = replace(spec, detector_noise=False)
    chip = FabricatedChip.from_config(cfg, seed=args.seed, spec=spec)
    t0 = time.perf_counter()
    result = calibrate(chip, CalibrationOptions(samples=args.samples))
    seconds = time.perf_counter() - t0
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = result.save(out / "calibration.npz")

    targets = random_targets(result, np.random.default_rng(args.target_seed))
    ev = evaluate_stages(chip, result, targets,
                         lambda p: evaluation_truth(chip).weights(p),
                         drift_seconds=args.drift, advance=chip.advance, samples=args.samples)
    truth = evaluation_truth(chip)
    k = truth.thermal_matrices
    c_true = k / np.diagonal(k, axis1=1, axis2=2)[:, :, None]
    pngs = save_report_figures(result, out, errors=ev.errors, true_crosstalk=c_true)
    extra = {
        "chip": args.chip or "default", "fabrication seed": args.seed,
        "detector noise": spec.detector_noise,
        "heater driver step": f"{chip.design.heater_lsb * 1e6:.3f} uW",
        "calibration wall time": f"{seconds:.2f} s",
        "readings for closed loop / drift re-calibration": ", ".join(
            f"{a} {b}" for a, b in ev.measurements.items()),
        "true faults (simulation)": [
            *(f"dead heater bank {j} ring {i}" for j, i in np.argwhere(truth.dead_heaters)),
            *(f"unreachable bank {j} ring {i}" for j, i in
              np.argwhere(truth.unreachable_rings))] or "none",
    }
    text = report_text(result, ev.figures, extra)
    report = text.encode()
    atomic_write(out / "report.txt", lambda fh: fh.write(report))
    write_json(out / "summary.json", {
        "figures": ev.figures, "measurements": result.measurements,
        "closed_loop_measurements": ev.measurements, "seconds": seconds,
        "flagged": result.flagged, "weight_range": result.weight_range,
        "seed": args.seed, "detector_noise": spec.detector_noise})
    print(text, end="")
    print(f"wrote {path}, {out / 'report.txt'}, {out / 'summary.json'} and "
          + ", ".join(p.name for p in pngs))
    return 0
