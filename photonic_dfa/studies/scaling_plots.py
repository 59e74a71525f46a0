"""Figures of the scaling study: frontiers with their seed-bootstrap bands, per cost axis."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["plot_frontier_bands", "METHOD_STYLE"]

#: colour and label of each method
METHOD_STYLE: dict[str, tuple[str, str]] = {
    "bp": ("tab:blue", "BP"),
    "dfa": ("tab:red", "DFA (paper, literal e B)"),
    "dfa-ln": ("tab:orange", "DFA-LN (LayerNorm-derivative variant)"),
    "dfa-micro": ("tab:purple", "micro DFA"),
    "photonic": ("tab:green", "photonic DFA (literal, calibrated chip)"),
    "photonic-ln": ("tab:olive", "photonic DFA-LN (calibrated chip)"),
}

AXIS_LABELS = {
    "flops": "training compute, counted FLOPs",
    "6ND": "training compute C = 6 N D (FLOP)",
    "energy": "training energy (J): GPU digital work + chip feedback",
}


def _style(method: str) -> tuple[str, str]:
    return METHOD_STYLE.get(method, ("tab:gray", method))


def plot_frontier_bands(axes: Mapping[str, Mapping[str, Any]], path: str | os.PathLike,
                        order: Sequence[str] = ("flops", "energy"),
                        unigram: float | None = None, title: str = "") -> Path:
    """One panel per cost axis: each method's seed-mean frontier (line), its bootstrap band
    (shaded, resampling whole runs) and the fitted ``a C^-b + c`` (dashed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from photonic_dfa.base.atomic import atomic_write

    names = [n for n in order if n in axes]
    fig, panels = plt.subplots(1, len(names), figsize=(6.4 * len(names), 4.6), squeeze=False)
    for ax, name in zip(panels[0], names):
        res = axes[name]
        for method, m in res["methods"].items():
            colour, label = _style(method)
            cost = np.array(m["band_cost"])
            lo, hi = (np.array(v, dtype=float) for v in m["band_interval"])
            ax.fill_between(cost, lo, hi, color=colour, alpha=0.25, lw=0)
            ax.plot(cost, m["band_loss"], color=colour, lw=1.6, label=label)
            fit = m["fit"]
            front = np.array(m["frontier"])
            fitted = front if res.get("fit_max_loss") is None else front[
                front[:, 1] < res["fit_max_loss"]]
            if fit and len(fitted):
                # drawn over the points it was fitted to
                x = np.geomspace(fitted[0, 0], fitted[-1, 0], 100)
                b_lo, b_hi = m["b_interval"]
                ax.plot(x, fit["a"] * x ** (-fit["b"]) + fit["c"], color=colour, ls="--",
                        lw=1, label=f"  fit b = {fit['b']:.3f} [{b_lo:.3f}, {b_hi:.3f}]")
        if unigram is not None:
            ax.axhline(unigram, color="grey", ls=":", lw=1,
                       label=f"unigram entropy {unigram:.2f}")
        ax.set_xscale("log")
        ax.set_xlabel(AXIS_LABELS.get(name, name))
        ax.set_ylabel("validation loss (nats/char)")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    out = atomic_write(path, lambda fh: fig.savefig(fh, format="png", dpi=120))
    plt.close(fig)
    return out
