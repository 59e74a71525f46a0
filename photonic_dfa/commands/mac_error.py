"""``photonic-dfa mac-error``: DFA feedback-product error of the simulated chip."""

from __future__ import annotations

import argparse

from ._common import (
    add_command,
    directory,
    input_file,
    int_type,
    note_fabrication,
    seed_type,
)

#: documented limits of the command line
MAX_SAMPLES = 10**7
MAX_WIDTH = 65536


def register(subparsers: argparse._SubParsersAction) -> None:
    p = add_command(
        subparsers, "mac-error",
        help="MAC error of random DFA products B e on the chip vs the authors' Gaussian model "
             "(histogram PNG, effective bits)",
        description="Compute random DFA feedback products B e (B uniform in [-1, 1), e a DFA "
                    "error vector) on the simulated chip and compare their error with the "
                    "authors' Gaussian MAC-error model (mean 0.03, std 0.618 of max|e|): mean, "
                    "std, effective bits. Prints the table and writes OUT/mac_error.png "
                    "(histogram) and OUT/mac_error.json.",
        example="photonic-dfa mac-error --chip chip.toml --samples 1024 --out "
                "results/mac_error")
    p.add_argument("--chip", type=input_file("chip configuration file"),
                   help="chip TOML (default: the documented default chip)")
    p.add_argument("--samples", type=int_type(1, MAX_SAMPLES), default=4096,
                   help=f"DFA error vectors, at most {MAX_SAMPLES:.0e} (and what memory holds)")
    p.add_argument("--width", type=int_type(1, MAX_WIDTH), default=800,
                   help=f"rows of B (hidden width), at most {MAX_WIDTH}")
    p.add_argument("--seed", type=seed_type, default=0, help="seed of B, e and the noise")
    p.add_argument("--batch", type=int_type(1, MAX_SAMPLES), default=64,
                   help="DFA errors per matvec (with core.input_scaling = 'batch' the "
                   "inputs are scaled by this batch's max|e|)")
    p.add_argument("--out", type=directory("output directory"), default="results/mac_error",
                   help="output directory")
    p.add_argument("--calibrated", action="store_true",
                   help="measure a fabricated chip (--chip's [fabrication] table, --fab-seed) "
                   "programmed through its calibration instead of the design chip")
    p.add_argument("--fab-seed", type=seed_type, default=None,
                   help="fabrication seed (--calibrated; default 0)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from photonic_dfa.architecture.config import ChipConfig
    from photonic_dfa.architecture.digital import AUTHORS_ERROR
    from photonic_dfa.architecture.mac_error import (
        mac_error_memory,
        measure_mac_error,
        plot_mac_error,
    )
    from photonic_dfa.base.atomic import write_json
    from photonic_dfa.base.memory import check_memory

    if args.fab_seed is not None and not args.calibrated:
        raise ValueError("--fab-seed only applies with --calibrated (a fabricated chip)")
    args.fab_seed = args.fab_seed or 0
    check_memory(f"--samples {args.samples} x --width {args.width}",
                 mac_error_memory(args.samples, args.width), "use fewer --samples or a "
                 "smaller --width")
    if args.calibrated:
        from photonic_dfa.architecture.fabricated import load_chip_toml
        from photonic_dfa.calibration.calibrated_core import calibrated_core

        cfg, spec = load_chip_toml(args.chip) if args.chip else (ChipConfig(), None)
        core = calibrated_core(cfg, args.fab_seed, spec)
        print(f"fabricated chip (seed {args.fab_seed}): {core.describe()}")
        res = measure_mac_error(cfg, samples=args.samples, width=args.width, seed=args.seed,
                                batch=args.batch, core=core)
    else:
        cfg = ChipConfig.from_toml(args.chip) if args.chip else ChipConfig()
        note_fabrication(args.chip, "mac-error without --calibrated measures the design chip")
        res = measure_mac_error(cfg, samples=args.samples, width=args.width, seed=args.seed,
                                batch=args.batch)
    out = Path(args.out)
    png = plot_mac_error(res, out / "mac_error.png")
    s = res.summary()
    write_json(out / "mac_error.json", s)
    m, sd, fs = AUTHORS_ERROR.mean, AUTHORS_ERROR.std, res.full_scale
    rows = [
        ("mean / max|e|", f"{res.mean:+.4f}", f"{m:+.4f}"),
        ("std / max|e|", f"{res.std:.4f}", f"{sd:.4f}"),
        ("mean / full scale", f"{res.mean_relative:+.2e}", f"{m / fs:+.2e}"),
        ("std / full scale", f"{res.std_relative:.2e}", f"{sd / fs:.2e}"),
        ("effective bits", f"{res.enob:.2f}", f"{res.authors_enob:.2f}"),
        ("signal slope", f"{res.signal_slope:.3f}", "1.000"),
        ("per-output bias rms", f"{res.output_bias_rms:.4f}", f"{abs(m):.4f}"),
    ]
    unit = (f"max|e| of each batch of {res.batch}" if res.scaling == "batch"
            else "max|e| of each sample")
    print(f"MAC error of B ({res.width}x10) e over {res.samples} DFA errors "
          f"(full scale {res.full_scale:.3f} max|e|)")
    print(f"both under core.input_scaling = {res.scaling!r}: inputs and errors in units of "
          f"the {unit}")
    print(f"{'':<20}{'simulated chip':>16}{'authors model':>16}")
    for name, a, b in rows:
        print(f"{name:<20}{a:>16}{b:>16}")
    print(f"weight rms error {res.weight_rms_error:.2e} (normalised), ADC clipped "
          f"{res.adc_clipped}")
    from .perf import optics_summary

    print(optics_summary(cfg))
    print(f"wrote {png} and {out / 'mac_error.json'}")
    return 0
