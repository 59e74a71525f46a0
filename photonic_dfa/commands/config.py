"""``photonic-dfa config``: print or write a chip configuration TOML.

``--default`` gives the documented default chip (every parameter with its unit, meaning and
source as a comment), so ``photonic-dfa config --default > chip.toml`` makes the file the
other commands' ``--chip`` reads, anywhere; ``--ideal`` the error-free chip; ``--chip FILE``
checks a file and prints the configuration it gives (defaults filled in).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ._common import add_command, input_file, output_file

_HEADER = {
    "default": "# photonic-dfa chip: the documented default (photonic-dfa config --default)",
    "ideal": "# photonic-dfa chip: the default geometry with every error source off "
             "(photonic-dfa config --ideal)",
}


def register(subparsers: Any) -> None:
    p = add_command(
        subparsers, "config",
        help="print or write a chip configuration TOML (the default, the ideal or a checked "
             "file)",
        description="Print a chip configuration as TOML, every parameter with a comment "
                    "giving its meaning, unit and source: the documented default chip "
                    "(--default), the same chip with every error source off (--ideal), or "
                    "the effective configuration of a file (--chip: checked, defaults filled "
                    "in, an optional [fabrication] table kept), with --set changes applied. "
                    "--out writes the file atomically instead of printing it. The result is "
                    "what --chip of calibrate, layout, perf, mac-error, train and lm reads.",
        example="photonic-dfa config --default --set core.symbol_rate=5e9 --out chip.toml")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--default", action="store_true", help="the documented default chip")
    which.add_argument("--ideal", action="store_true",
                       help="the default chip with every error source off")
    which.add_argument("--chip", type=input_file("chip configuration file"), metavar="TOML",
                       help="check this chip file and print its effective configuration")
    p.add_argument("--set", dest="changes", action="append", type=setting, default=[],
                   metavar="KEY=VALUE",
                   help="change one parameter, e.g. core.symbol_rate=5e9 or errors.isi=true "
                   "(a TOML value; repeatable)")
    # dest out_file: ``out`` names an output directory (locked) in every other command
    p.add_argument("--out", dest="out_file", type=output_file("TOML file"), metavar="FILE",
                   help="write the TOML to FILE (atomically) instead of standard output")
    p.set_defaults(func=run)


def setting(text: str) -> tuple[str, object]:
    """argparse ``type=`` for ``KEY=VALUE``: a dotted key and a TOML value (a bare word
    is read as a string)."""
    import tomllib

    key, eq, value = text.partition("=")
    key, value = key.strip(), value.strip()
    if not eq or not key or not value:
        raise argparse.ArgumentTypeError(f"must be KEY=VALUE, got {text!r}")
    try:
        parsed: object = tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value
    return key, parsed


def _changed(cfg: Any, args: argparse.Namespace) -> Any:
    if not args.changes:
        return cfg
    return cfg.updated(**dict(args.changes))


def render(args: argparse.Namespace) -> str:
    """The TOML text the command prints."""
    from photonic_dfa.architecture.config import ChipConfig

    note = ("\n# changed: " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in args.changes)
            if args.changes else "")
    if args.default:
        return f"{_HEADER['default']}{note}\n{_changed(ChipConfig(), args).to_toml()}"
    if args.ideal:
        return f"{_HEADER['ideal']}{note}\n{_changed(ChipConfig.ideal(), args).to_toml()}"
    from photonic_dfa.architecture.fabricated import FabricationSpec
    from photonic_dfa.base.tomlfile import read_toml

    data = read_toml(args.chip, "chip configuration file")
    fab = data.pop("fabrication", None)
    try:
        cfg = ChipConfig.from_dict(data)
        spec = None if fab is None else FabricationSpec.from_dict(fab)
    except ValueError as exc:  # a bad value: named with its file
        raise ValueError(f"{args.chip}: {exc}") from None
    cfg = _changed(cfg, args)
    text = (f"# photonic-dfa chip: effective configuration of {args.chip}{note}\n"
            f"{cfg.to_toml()}")
    if spec is not None:
        text += ("\n# How the fabricated chip departs from its design (calibrate, mac-error "
                 "--calibrated, train --feedback photonic)\n[fabrication]\n"
                 + "".join(f"{k} = {_toml_value(v)}\n" for k, v in spec.to_dict().items()))
    return text


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(v)


def run(args: argparse.Namespace) -> int:
    text = render(args)
    if args.out_file is None:
        sys.stdout.write(text)
        return 0
    from photonic_dfa.base.atomic import atomic_write

    data = text.encode()
    path = atomic_write(args.out_file, lambda fh: fh.write(data))
    print(f"wrote {path}", file=sys.stderr)
    return 0
