"""``photonic-dfa perf``: throughput and energy per MAC of a chip and two scenarios."""

from __future__ import annotations

import argparse

from ._common import add_command, input_file, output_file


def optics_summary(cfg: object) -> str:
    """The chip's light budget and ISI estimate (also printed by ``mac-error``)."""
    from photonic_dfa.architecture.config import ChipConfig
    from photonic_dfa.architecture.dynamics import isi_estimate
    from photonic_dfa.architecture.light_budget import format_budget, light_budget

    assert isinstance(cfg, ChipConfig)
    est = isi_estimate(cfg)
    model = ("on" if cfg.errors.isi else "off (errors.isi)") if not est["negligible"] \
        else "negligible: static model"
    isi = (f"inter-symbol interference at {cfg.core.symbol_rate / 1e9:.3g} GBd: ring tau "
           f"{est['tau_ring'] * 1e12:.3g} ps (T/tau {est['ring_period_over_tau']:.3g}), "
           f"estimated rms {est['isi_rms']:.3g} per unit symbol (ring alone "
           f"{est['isi_ring_only']:.3g}; threshold {est['threshold']:.2g}); symbol-rate "
           f"model {model}")
    return format_budget(light_budget(cfg)) + "\n" + isi


def register(subparsers: argparse._SubParsersAction) -> None:
    p = add_command(
        subparsers, "perf",
        help="MAC/s and energy per MAC with each term's share, for the chip and for scenarios "
             "where the <1 pJ/MAC claim holds and where it fails",
        description="Run the performance model of a chip (the --chip TOML or the default "
                    "chip) and of two scenarios derived from it, one where the < 1 pJ/MAC "
                    "claim holds and one where it fails: MAC/s, energy per MAC and the share "
                    "of every power term (laser, modulators, heaters, DACs, detectors, TIAs, "
                    "ADCs), then the chip's light budget (losses from laser to detector, "
                    "received power and SNR, ring self-heating and the maximum laser power) "
                    "and its inter-symbol interference estimate. Prints the reports; --json "
                    "also writes them.",
        example="photonic-dfa perf --chip chip.toml --json results/perf.json")
    p.add_argument("--chip", type=input_file("chip configuration file"),
                   help="chip TOML (default: the documented default chip)")
    p.add_argument("--json", type=output_file("JSON file"),
                   help="also write the figures to this JSON file")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from photonic_dfa.architecture.config import ChipConfig
    from photonic_dfa.architecture.fabricated import load_chip_toml
    from photonic_dfa.architecture.performance import format_report, performance, scenarios
    from photonic_dfa.base.atomic import write_json

    cfg, spec = load_chip_toml(args.chip) if args.chip else (ChipConfig(), None)
    reports = [performance(cfg, name="chip" if args.chip else "default chip", spec=spec)]
    reports += [performance(c, name=n, spec=sp) for n, (c, sp) in scenarios(cfg).items()]
    print("\n\n".join(format_report(r) for r in reports))
    print()
    print(optics_summary(cfg))
    if args.json:
        write_json(args.json, [r.to_dict() for r in reports])
    return 0
