"""Whole-chip layout through the CLI: the default chip (16 channels x 32 banks) and a
200 GHz and a 50 GHz variant, each laid out by ``photonic-dfa layout --chip FILE`` in a
fresh process (imports included, as a user runs it) with ``--sax`` on the default chip.

For each it prints the wall time, the component counts, how many rings sit red of their
channel when cold (must be 0), the blue-detuning range, the layout-versus-simulation
figures (largest weight difference and cold-resonance shift of the bank rebuilt from the
GDS; exact solver vs SAX on it), the DRC violation count (must be 0), the die size and
how many pads reach exactly one terminal (must be all). A last case draws the default
chip with MZM inputs (demux ring, MZM, mux ring per channel). The default
chip's time without ``--sax`` is the one held to 10 s. Ends with one JSON line.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from photonic_dfa.architecture.config import ChipConfig

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "examples" / "chip_default.toml"


def _run(toml: Path, out: Path, *extra: str) -> tuple[float, dict]:
    cmd = [sys.executable, "-m", "photonic_dfa.cli", "layout", "--chip", str(toml),
           "--out", str(out), *extra]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    return wall, json.loads((out / "chip.json").read_text())


def main() -> None:
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cases = [("default 75 GHz", DEFAULT, ())]
        for ghz in (200, 50):
            toml = ChipConfig.from_toml(DEFAULT).updated(
                **{"laser.channel_spacing": ghz * 1e9}).save(tmp / f"chip_{ghz}.toml")
            cases.append((f"{ghz} GHz", toml, ()))
        cases.append(("default + SAX check", DEFAULT, ("--sax",)))
        mzm = ChipConfig.from_toml(DEFAULT).updated(**{"modulator.kind": "mzm"}).save(
            tmp / "chip_mzm.toml")
        cases.append(("default, MZM inputs", mzm, ()))
        for name, toml, extra in cases:
            wall, rep = _run(toml, tmp / name.replace(" ", "_"), *extra)
            t, lvs = rep["tuning"], rep["layout_vs_simulation"]
            rows[name] = {
                "seconds": round(wall, 2), "counts": rep["counts"],
                "red_rings": len(t["red_rings"]),
                "blue_detuning_pm": [round(t["min_blue_detuning"] * 1e12, 1),
                                     round(t["max_blue_detuning"] * 1e12, 1)],
                "max_weight_difference": lvs["max_weight_difference"],
                "max_resonance_shift_m": lvs["max_resonance_shift"],
                "exact_vs_sax": lvs.get("exact_vs_sax"),
                "drc_violations": rep["drc"]["violations"],
                "die_mm": [round(v / 1000, 2) for v in rep["die_um"]],
                "pads_one_terminal": rep["pad_ring"]["connectivity"][
                    "nets_one_pad_one_terminal"],
            }
            r = rows[name]
            print(f"{name:22s} {r['seconds']:6.2f} s  red rings {r['red_rings']}  blue "
                  f"{r['blue_detuning_pm'][0]}-{r['blue_detuning_pm'][1]} pm  "
                  f"max|dw| {r['max_weight_difference']:.3g}  max|d lambda| "
                  f"{r['max_resonance_shift_m'] * 1e12:.3g} pm  "
                  + (f"exact-SAX {r['exact_vs_sax']:.2g}  " if r["exact_vs_sax"] is not None
                     else "")
                  + f"DRC {r['drc_violations']}  die {r['die_mm'][0]} x {r['die_mm'][1]} mm  "
                  f"pads wired one-to-one {r['pads_one_terminal']}/{r['counts']['pads']}")
        c = rows["default 75 GHz"]["counts"]
        print("default chip: " + ", ".join(f"{k} {v}" for k, v in c.items()))
        ok = rows["default 75 GHz"]["seconds"] <= 10.0
        print(f"default chip through the CLI in {rows['default 75 GHz']['seconds']} s "
              f"({'within' if ok else 'ABOVE'} the 10 s budget)")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
