"""``photonic-dfa layout``: GDS and PNG preview of the weight bank the simulation uses.

The bank is built by ``architecture.chip.build_bank`` from a chip configuration (the TOML of
``--chip`` or the defaults), after the command-line overrides, so the layout is the very
design object a simulation of that chip would use.
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
        help="write the GDS layout (and a PNG preview) of the simulated weight bank",
        description="Build the weight bank of a chip configuration (the --chip TOML or the "
                    "defaults, after the options below) and write OUT/NAME.gds, a PNG preview "
                    "OUT/NAME.png and OUT/NAME.json (plan and ports): rings with their "
                    "simulated radii, coupler gaps from the coupling model, heaters, pads, "
                    "labels and ports.\n\n" + UNITS_RULE,
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
    p.add_argument("--banks", type=int, default=1, help="weight banks drawn side by side")
    p.add_argument("--contacts", choices=("auto", "outside", "inside"), default="auto",
                   help="heater via stacks outside the rings, inside them, or auto")
    p.add_argument("--no-heaters", action="store_true", help="rings and buses only")
    p.add_argument("--no-pads", action="store_true", help="no bond pads or fan-out")
    p.add_argument("--no-labels", action="store_true", help="no channel text labels")
    p.add_argument("--name", type=file_name, default="weight_bank",
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
    return out


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from photonic_dfa.architecture.chip import build_bank
    from photonic_dfa.architecture.config import ChipConfig
    from photonic_dfa.base.atomic import write_json
    from photonic_dfa.base.validation import check_int
    from photonic_dfa.circuits import layout

    banks = check_int("--banks", args.banks, 1, 1024)
    cfg = ChipConfig.from_toml(args.chip) if args.chip else ChipConfig()
    overrides = _overrides(args, cfg.laser.center_wavelength)
    if overrides:
        cfg = cfg.updated(**overrides)
    bank = build_bank(cfg)
    rules = replace(layout.LayoutRules(), contacts=args.contacts)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", layout.CouplerModelWarning)
        plan = layout.plan_bank(bank, rules)
        kw = dict(heater=not args.no_heaters, pads=not args.no_pads,
                  labels=not args.no_labels, rules=rules)
        comp = (layout.bank_component(bank, **kw) if banks == 1
                else layout.core_component([bank] * banks, **kw))
    for w in caught:
        print(f"photonic-dfa layout: warning: {w.message}", file=sys.stderr)

    out = args.out
    gds = layout.write_gds(comp, out / f"{args.name}.gds")
    png = layout.preview_png(comp, out / f"{args.name}.png")
    summary = {
        "cell": comp.name,
        "gds": gds.name,
        "png": png.name,
        "banks": banks,
        "plan": plan.as_dict(),
        "ports": {p.name: {"center_um": list(p.center), "orientation": p.orientation,
                           "type": p.port_type} for p in comp.ports},
    }
    js = write_json(out / f"{args.name}.json", summary)
    radii = [p.radius for p in plan.rings]
    gaps = [(p.gap_through, p.gap_drop) for p in plan.rings]
    print(f"{len(plan.rings)} rings x {banks} bank(s), pitch {plan.ring_pitch * 1e6:g} um "
          f"(from {plan.pitch_source}), heater contacts {plan.contacts}")
    print(f"ring radius {min(radii) * 1e6:.3f}-{max(radii) * 1e6:.3f} um, coupler gaps "
          f"{min(min(g) for g in gaps) * 1e9:.0f}-{max(max(g) for g in gaps) * 1e9:.0f} nm")
    print(f"wrote {gds}\nwrote {png}\nwrote {js}")
    return 0
