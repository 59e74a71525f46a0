"""The scaling study's analysis end to end and its printed tables.

:func:`study` runs :func:`~.scaling_stats.analyse_seeds` on three cost axes (counted FLOPs,
``6 N D``, energy), the paired final-loss differences, the energy table and break-even
factor (:mod:`.scaling_energy`), the throughput of the grid, and the verdicts in the terms
of Filipovich et al. (2022); :func:`format_report` prints them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .scaling import _compute_to_reach, effective_method
from .scaling_energy import (
    H100_SXM,
    Accelerator,
    ChipEnergy,
    FlopsFn,
    break_even_factor,
    energy_cost,
    flops_cost,
    run_energy_parts,
    six_nd_cost,
)
from .scaling_stats import analyse_seeds, bootstrap_seeds, final_loss_differences, run_table

__all__ = ["study", "format_report", "METHOD_ORDER"]

METHOD_ORDER = ("bp", "dfa", "dfa-ln", "dfa-micro", "dfa-ln-micro", "photonic", "photonic-ln")


def _throughput(table: Any) -> list[dict[str, Any]]:
    rows = []
    for m in table.methods:
        for layers, width in table.sizes:
            runs = [r for (mm, c, _), r in table.runs.items()
                    if mm == m and (c[0], c[1]) == (layers, width)]
            tokens = sum(r["tokens"] for r in runs)
            seconds = sum(r["train_seconds"] for r in runs)
            rows.append({"method": m, "n_layers": layers, "d_model": width,
                         "N": int(runs[0]["non_embedding_params"]), "runs": len(runs),
                         "tokens": int(tokens), "train_seconds": float(seconds),
                         "tokens_per_second": tokens / seconds if seconds > 0 else 0.0})
    return rows


def _energy_table(table: Any, flops: FlopsFn, gpu: Accelerator, chip: ChipEnergy | None,
                  energy: dict[str, Any]) -> dict[str, Any]:
    """Per method and size, the energy terms of one token and the fixed chip costs; per
    method, the energy its frontier needs to reach each loss level."""
    parts = []
    for m in table.methods:
        for layers, width in table.sizes:
            cell = next(c for c in table.cells if (c[0], c[1]) == (layers, width))
            runs = [table.runs[(m, cell, s)] for s in table.seeds]
            p = [run_energy_parts(r, flops, gpu, chip) for r in runs]
            f = flops(runs[0])
            parts.append({"method": m, "n_layers": layers, "d_model": width,
                          "N": int(runs[0]["non_embedding_params"]),
                          "flops_per_token": f.total, "digital_flops_per_token": f.digital,
                          "feedback_flops_per_token": f.feedback,
                          **{k: float(np.mean([q[k] for q in p])) for k in p[0]}})
    reach = []
    for lv in energy["loss_levels"]:
        row: dict[str, Any] = {"loss": lv}
        for m, res in energy["methods"].items():
            row[m] = _compute_to_reach(np.array(res["frontier"]), lv)
        reach.append(row)
    return {"gpu": gpu.to_dict(), "chip": None if chip is None else chip.to_dict(),
            "per_token": parts, "energy_to_reach": reach}


def _verdict(res: dict[str, Any], method: str, reference: str, axis: str) -> dict[str, Any]:
    v = res[f"{method}_vs_{reference}"]
    p_all = v["p_reference_better_everywhere"]
    conf = res["confidence"]
    if p_all >= conf:
        measured = (f"{reference.upper()} better at every measured {axis} "
                    f"with {100 * conf:.0f} % confidence ({100 * p_all:.0f} % of resamples)")
    elif v["p_method_better_somewhere"] >= conf:
        measured = (f"{method} better somewhere in the measured {axis} range in "
                    f"{100 * v['p_method_better_somewhere']:.0f} % of resamples")
    else:
        measured = (f"not resolved at {100 * conf:.0f} %: {reference} better at every "
                    f"measured {axis} in {100 * p_all:.0f} % of resamples")
    return {"outcome": v["outcome"], "outcome_confidence": v["outcome_confidence"],
            "fitted_crossing": v["fitted_crossing_compute"],
            "largest_measured": v["overlap"][1],
            "outcome_counts": v["outcome_counts"], "measured_range": measured,
            "p_reference_better_everywhere": p_all}


def study(runs: Sequence[dict[str, Any]], flops: FlopsFn, chip: ChipEnergy | None,
          gpu: Accelerator = H100_SXM, fit_max_loss: float | None = None, n_boot: int = 200,
          seed: int = 0, confidence: float = 0.95, reference: str = "bp",
          break_even_boot: int = 40) -> dict[str, Any]:
    """Everything the study reports, as one JSON-serialisable dict."""
    table = run_table(runs, METHOD_ORDER, label=effective_method)
    axes = {
        "flops": analyse_seeds(table, flops_cost(flops), reference, fit_max_loss,
                               n_boot=n_boot, confidence=confidence, seed=seed),
        "6ND": analyse_seeds(table, six_nd_cost, reference, fit_max_loss, n_boot=n_boot,
                             confidence=confidence, seed=seed),
        "energy": analyse_seeds(table, energy_cost(flops, gpu, chip), reference, fit_max_loss,
                                n_boot=n_boot, confidence=confidence, seed=seed),
    }
    out: dict[str, Any] = {
        "methods": list(table.methods), "seeds": list(table.seeds),
        "sizes": [list(s) for s in table.sizes], "cells": [list(c) for c in table.cells],
        "axes": axes, "paired_final_loss": final_loss_differences(table, reference, confidence),
        "throughput": _throughput(table),
        "energy": _energy_table(table, flops, gpu, chip, axes["energy"]),
        "verdicts": {}, "break_even": {},
    }
    for m in table.methods:
        if m == reference:
            continue
        on_chip = bool(flops(next(iter(r for k, r in table.runs.items() if k[0] == m)))
                       .feedback_on_chip)
        out["verdicts"][m] = {
            "compute": _verdict(axes["flops"], m, reference, "compute"),
            "energy": _verdict(axes["energy"], m, reference, "energy"),
        }
        if on_chip and chip is not None:
            k = break_even_factor(table, flops, gpu, chip, m, reference)
            draws = bootstrap_seeds(table, break_even_boot, np.random.default_rng(seed + 1))
            ks = np.array([break_even_factor(table, flops, gpu, chip, m, reference, d)
                           for d in draws])
            out["break_even"][m] = {
                "factor": k, "joule_per_mac_needed": chip.joule_per_mac / k,
                "p_finite": float(np.mean(np.isfinite(ks))),
                "interval": ([float(np.percentile(ks, 100 * (1 - confidence) / 2)),
                              float(np.percentile(ks, 100 * (1 + confidence) / 2))]
                             if np.all(np.isfinite(ks)) else None),
                "n_boot": break_even_boot,
            }
    return out


def _fmt_interval(v: Sequence[float], spec: str = ".3f") -> str:
    return f"[{format(v[0], spec)}, {format(v[1], spec)}]"


def format_report(out: dict[str, Any]) -> str:
    """The tables and verdicts as text."""
    lines: list[str] = []
    add = lines.append
    add("throughput (training only, 1 thread per worker)")
    add(f"  {'method':12s} {'size':>6s} {'N':>8s} {'runs':>4s} {'tokens':>10s} "
        f"{'seconds':>8s} {'tok/s':>9s}")
    for r in out["throughput"]:
        add(f"  {r['method']:12s} {r['n_layers']}x{r['d_model']:<4d} {r['N']:8d} "
            f"{r['runs']:4d} {r['tokens']:10d} {r['train_seconds']:8.1f} "
            f"{r['tokens_per_second']:9.0f}")
    for axis, title in (("flops", "counted FLOPs"), ("6ND", "C = 6ND"), ("energy", "energy")):
        res = out["axes"][axis]
        conf = 100 * res["confidence"]
        add(f"\nfits L = a C^-b + c on the seed-mean frontier, {title} "
            f"({conf:.0f} % intervals, {res['n_boot']} run resamples)")
        for m, v in res["methods"].items():
            f = v["fit"]
            if f is None:
                add(f"  {m:12s} too few frontier points to fit")
                continue
            add(f"  {m:12s} b = {f['b']:.3f} {_fmt_interval(v['b_interval'])}  "
                f"c = {f['c']:.3f} {_fmt_interval(v['c_interval'])}  best loss "
                f"{v['best_loss']:.3f}")
        for key, v in res.items():
            if not key.endswith("_vs_bp"):
                continue
            add(f"  {key}: multiplier at loss (x the reference's {title})")
            for row in v["multipliers"]:
                add(f"    loss {row['loss']:.3f}: {row['multiplier']:8.3g} "
                    f"{_fmt_interval(row['interval'], '.3g')}")
    add("\npaired final validation-loss difference vs bp (same windows per seed; "
        "Student interval over seeds)")
    for r in out["paired_final_loss"]:
        add(f"  {r['method']:12s} {r['n_layers']}x{r['d_model']:<4d} D={r['tokens']:<8d} "
            f"{r['reference_loss']:.3f} -> {r['loss']:.3f}: {r['mean']:+.4f} "
            f"[{r['low']:+.4f}, {r['high']:+.4f}]")
    e = out["energy"]
    add(f"\nenergy: GPU {e['gpu']['name']}, {e['gpu']['joule_per_flop'] * 1e12:.2f} pJ/FLOP "
        f"({e['gpu']['source']})")
    if e["chip"]:
        c = e["chip"]
        add(f"        chip {c['description']}: {c['joule_per_mac'] * 1e12:.2f} pJ/MAC, "
            f"{c['power']:.2f} W, {c['reading_time'] * 1e6:.2f} us per calibration reading")
    add(f"  {'method':12s} {'size':>6s} {'FLOP/token':>10s} {'on chip':>8s} "
        f"{'J/token GPU':>11s} {'J/token chip':>12s} {'calib. J':>8s} {'prog. J':>8s}")
    for r in e["per_token"]:
        on_chip = r["feedback_flops_per_token"] if r["chip_per_token"] else 0.0
        add(f"  {r['method']:12s} {r['n_layers']}x{r['d_model']:<4d} "
            f"{r['flops_per_token']:10.3g} {on_chip:8.3g} "
            f"{r['digital_per_token']:11.3g} {r['chip_per_token']:12.3g} "
            f"{r['calibration']:8.3g} {r['programming']:8.3g}")
    methods = list(out["axes"]["energy"]["methods"])
    add("  energy (J) to reach each loss on the seed-mean frontier: "
        + ", ".join(methods))
    for row in e["energy_to_reach"]:
        add(f"    loss {row['loss']:.3f}: "
            + "  ".join(f"{m} {row[m]:.3g}" for m in methods))
    add("\nverdicts (Filipovich et al. 2022 outcomes, from the fits; 'at scale' = 100x the "
        "largest measured compute)")
    for m, v in out["verdicts"].items():
        for axis in ("compute", "energy"):
            w = v[axis]
            oc = w["outcome_confidence"]
            cross = w["fitted_crossing"]
            where = ("" if cross is None else f"; the fits cross at {cross:.3g} "
                     f"({cross / w['largest_measured']:.3g}x the largest measured)")
            add(f"  {m:12s} {axis:7s}: {w['outcome']} ({'-' if oc is None else f'{100 * oc:.0f}'}"
                f" % of resamples){where}; {w['measured_range']}")
    for m, b in out["break_even"].items():
        k = b["factor"]
        if math.isinf(k):
            add(f"  {m}: no chip efficiency suffices: its digital work alone costs more "
                f"energy than BP's at every loss (finite in {100 * b['p_finite']:.0f} % "
                "of resamples)")
        else:
            iv = "" if b["interval"] is None else f" {_fmt_interval(b['interval'], '.3g')}"
            add(f"  {m}: wins somewhere if the chip is {k:.3g}x{iv} cheaper per MAC "
                f"({b['joule_per_mac_needed'] * 1e12:.3g} pJ/MAC)")
    return "\n".join(lines)
