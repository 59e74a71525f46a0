"""``photonic-dfa perf``: throughput and energy per MAC of a chip and two scenarios."""

from __future__ import annotations

import argparse

from ._common import add_command


def register(subparsers: argparse._SubParsersAction) -> None:
    p = add_command(
        subparsers, "perf",
        help="MAC/s and energy per MAC with each term's share, for the chip and for scenarios "
             "where the <1 pJ/MAC claim holds and where it fails",
        description="Run the performance model of a chip (the --chip TOML or the default "
                    "chip) and of two scenarios derived from it, one where the < 1 pJ/MAC "
                    "claim holds and one where it fails: MAC/s, energy per MAC and the share "
                    "of every power term (laser, modulators, heaters, DACs, detectors, TIAs, "
                    "ADCs). Prints the reports; --json also writes them.",
        example="photonic-dfa perf --chip chip.toml --json results/perf.json")
    p.add_argument("--chip", help="chip TOML (default: the documented default chip)")
    p.add_argument("--json", help="also write the figures to this JSON file")
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
    if args.json:
        write_json(args.json, [r.to_dict() for r in reports])
    return 0
