"""``photonic-dfa layout``: GDS and PNG preview of the weight bank the simulation uses.

The bank is built by ``architecture.chip.build_bank`` from a chip configuration (the TOML of
``--chip`` or the defaults), after the command-line overrides, so the layout is the very
design object a simulation of that chip would use.
"""

from __future__ import annotations

import argparse
import re
import sys
import warnings
from pathlib import Path
from typing import Any

from photonic_dfa.base.units import length

_C = 299_792_458.0
_SPACING = re.compile(r"^\s*([0-9.eE+-]+)\s*(ghz|nm|pm|hz)?\s*$", re.IGNORECASE)


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "layout",
        help="write the GDS layout (and a PNG preview) of the simulated weight bank",
        description="Write the GDS and a PNG preview of the weight bank built from a chip "
                    "configuration: rings with their simulated radii, coupler gaps from the "
                    "coupling model, heaters, pads, labels and ports.",
    )
    p.add_argument("--chip", type=Path, help="chip configuration TOML (default: built-in "
                   "defaults); the options below override it")
    p.add_argument("--channels", type=int, help="WDM channels = rings per bank (core.n_inputs)")
    p.add_argument("--spacing", help="channel spacing, a number with unit GHz (default), nm, "
                   "pm or Hz, e.g. 75 or 0.6nm (laser.channel_spacing)")
    p.add_argument("--center", type=length,
                   help="grid centre wavelength, metres or with a unit, e.g. 1550nm "
                   "(laser.center_wavelength)")
    p.add_argument("--radius", type=length,
                   help="template ring radius, metres or with a unit, e.g. 10um, before "
                   "per-channel tuning (ring.radius)")
    p.add_argument("--q", type=float, help="loaded Q of each ring (ring.q_loaded)")
    p.add_argument("--pitch", type=length,
                   help="ring pitch, metres or with a unit, e.g. 25um (crosstalk.ring_pitch)")
    p.add_argument("--banks", type=int, default=1,
                   help="weight banks drawn side by side (default 1)")
    p.add_argument("--contacts", choices=("auto", "outside", "inside"), default="auto",
                   help="heater via stacks outside the rings, inside them, or auto (default)")
    p.add_argument("--no-heaters", action="store_true", help="rings and buses only")
    p.add_argument("--no-pads", action="store_true", help="no bond pads or fan-out")
    p.add_argument("--no-labels", action="store_true", help="no channel text labels")
    p.add_argument("--name", default="weight_bank", help="output file stem (default "
                   "weight_bank)")
    p.add_argument("--out", type=Path, required=True, help="output directory")
    p.set_defaults(func=run)


def _spacing_hz(text: str, center: float) -> float:
    m = _SPACING.match(text)
    if not m:
        raise ValueError(f"--spacing must be a number with an optional unit GHz, nm, pm or "
                         f"Hz, got {text!r}")
    value, unit = float(m.group(1)), (m.group(2) or "ghz").lower()
    if unit in ("nm", "pm"):
        dl = value * (1e-9 if unit == "nm" else 1e-12)
        return _C * dl / (center * center)
    return value * (1e9 if unit == "ghz" else 1.0)


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
