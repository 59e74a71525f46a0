"""``photonic-dfa layout``: GDS, netlist, PNG and JSON report of the chip the simulation uses.

The chip is drawn from a chip configuration (the TOML of ``--chip`` or the defaults), after
the command-line overrides, by ``architecture.layout.chip_component``: its banks are
``architecture.chip.build_bank``, the very design object a simulation of that chip uses.
The report re-simulates the bank from the written GDS (layout versus simulation) and holds
the per-ring tuning table and the design-rule check.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from typing import Any

from photonic_dfa.base.units import frequency, length, number

from ._common import UNITS_RULE, add_command, directory, file_name, input_file

_C = 299_792_458.0


def register(subparsers: Any) -> None:
    p = add_command(
        subparsers, "layout",
        help="write the GDS layout, netlist, PNG preview and report of the simulated chip",
        description="Write the GDS, gdsfactory netlist (JSON), a PNG preview and a JSON "
                    "report of the chip built from a chip configuration (the --chip TOML or "
                    "the defaults, after the options below): input coupler, modulators, "
                    "splitter tree, weight banks (rings on the grid, coupler gaps from the "
                    "coupling model, heaters, pads), balanced detectors. The report has the "
                    "per-ring tuning table, layout versus simulation and the DRC.\n\n"
                    + UNITS_RULE,
        example="photonic-dfa layout --chip chip.toml --channels 8 --spacing 100GHz "
                "--radius 7um --out results/layout")
    p.add_argument("--chip", type=input_file("chip configuration file"),
                   help="chip configuration TOML (default: the built-in chip, see "
                   "`photonic-dfa config --default`); the options below override it")
    p.add_argument("--channels", type=int, help="WDM channels = rings per bank (core.n_inputs)")
    p.add_argument("--spacing", type=_spacing, metavar="FREQUENCY|LENGTH",
                   help="channel spacing as a frequency (100GHz) or a wavelength spacing at "
                   "the grid centre (0.8nm) (laser.channel_spacing)")
    p.add_argument("--center", type=length, metavar="LENGTH",
                   help="grid centre wavelength, e.g. 1550nm (laser.center_wavelength)")
    p.add_argument("--radius", type=length, metavar="LENGTH",
                   help="template ring radius, e.g. 10um, before per-channel tuning "
                   "(ring.radius)")
    p.add_argument("--q", type=number, help="loaded Q of each ring (ring.q_loaded)")
    p.add_argument("--pitch", type=length, metavar="LENGTH",
                   help="ring pitch, e.g. 25um (crosstalk.ring_pitch)")
    p.add_argument("--banks", type=int,
                   help="weight banks M (core.n_outputs; default: the configuration's)")
    p.add_argument("--bank-only", action="store_true",
                   help="draw the banks side by side without the rest of the chip")
    p.add_argument("--pdk", metavar="MODULE",
                   help="Python module of a gdsfactory PDK to draw on (its PDK or get_pdk()); "
                   "default: the active PDK, else gdsfactory's generic one")
    p.add_argument("--sax", action="store_true",
                   help="also check the exact solver against a SAX netlist of the bank "
                   "rebuilt from the GDS (adds the JAX compile time)")
    p.add_argument("--contacts", choices=("auto", "outside", "inside"), default="auto",
                   help="heater via stacks outside the rings, inside them, or auto")
    p.add_argument("--no-heaters", action="store_true",
                   help="rings and buses only (with --bank-only)")
    p.add_argument("--no-pads", action="store_true",
                   help="no bond pads or fan-out (with --bank-only)")
    p.add_argument("--no-labels", action="store_true", help="no channel text labels")
    p.add_argument("--name", type=file_name, default="chip",
                   help="output file stem, a file name written inside --out (not a path)")
    p.add_argument("--out", type=directory("output directory"), required=True,
                   help="output directory")
    p.set_defaults(func=run)


def _spacing(text: str) -> tuple[float, str]:
    """A channel spacing: ``(hertz, "Hz")``, or ``(metres, "m")`` for a wavelength spacing."""
    try:
        return frequency(text), "Hz"
    except argparse.ArgumentTypeError as exc:
        try:
            return length(text), "m"
        except argparse.ArgumentTypeError:
            raise exc from None


def _spacing_hz(spacing: tuple[float, str], center: float) -> float:
    value, unit = spacing
    return value if unit == "Hz" else _C * value / center**2


def _overrides(args: argparse.Namespace, center: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if args.channels is not None:
        out["core.n_inputs"] = args.channels
    if args.center is not None:
        out["laser.center_wavelength"] = args.center
        center = args.center
    if args.spacing is not None:
        out["laser.channel_spacing"] = _spacing_hz(args.spacing, center)
    if args.radius is not None:
        out["ring.radius"] = args.radius
    if args.q is not None:
        out["ring.q_loaded"] = args.q
    if args.pitch is not None:
        out["crosstalk.ring_pitch"] = args.pitch
    if args.banks is not None:
        out["core.n_outputs"] = args.banks
    return out


def _activate_pdk(module: str) -> None:
    import importlib

    import gdsfactory as gf

    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        raise ValueError(f"--pdk: cannot import {module!r}: {exc}") from exc
    pdk = getattr(mod, "PDK", None)
    if pdk is None and callable(getattr(mod, "get_pdk", None)):
        pdk = mod.get_pdk()
    if not isinstance(pdk, gf.Pdk):
        raise ValueError(f"--pdk: module {module!r} has no gdsfactory PDK (PDK or get_pdk())")
    pdk.activate()


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from photonic_dfa.architecture.chip import build_bank
    from photonic_dfa.architecture.config import ChipConfig
    from photonic_dfa.base.atomic import write_json
    from photonic_dfa.base.validation import check_int
    from photonic_dfa.circuits import layout, layout_pdk

    if args.banks is not None:
        check_int("--banks", args.banks, 1, 1024)
    if (args.no_heaters or args.no_pads) and not args.bank_only:
        raise ValueError("--no-heaters and --no-pads go with --bank-only")
    cfg = ChipConfig.from_toml(args.chip) if args.chip else ChipConfig()
    overrides = _overrides(args, cfg.laser.center_wavelength)
    if overrides:
        cfg = cfg.updated(**overrides)
    if args.pdk:
        _activate_pdk(args.pdk)
    layout_pdk.ensure_pdk()
    design = build_bank(cfg)
    rules = replace(layout_pdk.rules_from_pdk(), contacts=args.contacts)
    banks = cfg.core.n_outputs
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", layout.CouplerModelWarning)
        plan = layout.plan_bank(design, rules)
        if args.bank_only:
            kw = dict(heater=not args.no_heaters, pads=not args.no_pads,
                      labels=not args.no_labels, rules=rules)
            comp = (layout.bank_component(design, **kw) if banks == 1
                    else layout.core_component([design] * banks, **kw))
        else:
            from photonic_dfa.architecture.layout import chip_component

            comp = chip_component(cfg, rules=rules, labels=not args.no_labels)
    for w in caught:
        print(f"photonic-dfa layout: warning: {w.message}", file=sys.stderr)

    from photonic_dfa.architecture.layout_report import (
        chip_report,
        write_netlist,
        write_preview,
    )

    out = args.out
    gds = layout.write_gds(comp, out / f"{args.name}.gds")
    netlist = write_netlist(comp, out / f"{args.name}.netlist.json")
    png = write_preview(comp, out / f"{args.name}.png", bank_only=args.bank_only)
    summary = {"cell": comp.name, "gds": gds.name, "netlist": netlist.name, "png": png.name,
               "pdk": layout_pdk.pdk_name(), "banks": banks,
               **chip_report(comp, gds, design, plan, sax=args.sax)}
    js = write_json(out / f"{args.name}.json", summary)
    radii = [p.radius for p in plan.rings]
    gaps = [(p.gap_through, p.gap_drop) for p in plan.rings]
    widened = (f", widened from {plan.requested_pitch * 1e6:g} um"
               if plan.pitch_source == "layout" and plan.requested_pitch else "")
    print(f"{len(plan.rings)} rings x {banks} bank(s), pitch {plan.ring_pitch * 1e6:g} um "
          f"(from {plan.pitch_source}{widened}), heater contacts {plan.contacts}")
    print(f"ring radius {min(radii) * 1e6:.3f}-{max(radii) * 1e6:.3f} um, coupler gaps "
          f"{min(min(g) for g in gaps) * 1e9:.0f}-{max(max(g) for g in gaps) * 1e9:.0f} nm")
    t, lvs, drc = summary["tuning"], summary["layout_vs_simulation"], summary["drc"]
    print(f"tuning: {len(t['red_rings'])} ring(s) red of their channel when cold; blue "
          f"detuning {t['min_blue_detuning'] * 1e12:.1f}-{t['max_blue_detuning'] * 1e12:.1f} pm"
          f" (design {t['design_blue_detuning'] * 1e12:.1f} pm)")
    sax = lvs.get("exact_vs_sax")
    print(f"layout vs simulation: max weight difference {lvs['max_weight_difference']:.3g}, "
          f"max resonance shift {lvs['max_resonance_shift'] * 1e12:.3g} pm"
          + (f", exact vs SAX {sax:.2g}" if sax is not None else ""))
    print(f"DRC: {drc['violations']} violation(s) of {len(drc['rules'])} rules")
    if "counts" in summary:
        print("components: " + ", ".join(f"{k} {v}" for k, v in summary["counts"].items()))
        ring, die = summary["pad_ring"], summary["die_um"]
        net = ring["connectivity"]
        print(f"pad ring: {ring['west']} pads west, {ring['east']} east, {ring['rows']} "
              f"staggered rows at {ring['pitch_um']:g} um; die {die[0] / 1000:.2f} x "
              f"{die[1] / 1000:.2f} mm; {net['nets_one_pad_one_terminal']} of {net['pads']} "
              f"pads reach exactly one terminal ({net['terminals']} terminals, "
              f"{net['terminals_without_pad']} without a pad)")
    print(f"wrote {gds}\nwrote {netlist}\nwrote {png}\nwrote {js}")
    return 0
