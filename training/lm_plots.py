"""PNG plots of language-model training: loss curves, loss vs compute, frontiers and fits."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["plot_histories", "plot_scaling"]

METHOD_COLOURS = {"bp": "tab:blue", "dfa": "tab:red", "dfa-micro": "tab:orange",
                  "dfa-ln": "tab:purple", "dfa-ln-micro": "tab:pink", "photonic": "tab:green",
                  "photonic-ln": "tab:olive"}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: str | os.PathLike) -> Path:
    from photonic_dfa.base.atomic import atomic_write

    return atomic_write(path, lambda fh: fig.savefig(fh, format="png", dpi=120))


def plot_histories(summaries: Mapping[str, dict[str, Any]], path: str | os.PathLike,
                   title: str = "", reference: float | None = None) -> Path:
    """Validation loss against training tokens, one line per run."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, s in summaries.items():
        hist = [h for h in s["history"] if h["tokens"] > 0]
        ax.plot([h["tokens"] for h in hist], [h["val_loss"] for h in hist], marker="o", ms=3,
                label=f"{label} ({s['final_val_loss']:.3f})",
                color=METHOD_COLOURS.get(s["config"]["method"]))
    if reference is not None:
        ax.axhline(reference, color="grey", ls=":", label=f"unigram entropy {reference:.3f}")
    ax.set_xscale("log")
    ax.set_xlabel("training tokens")
    ax.set_ylabel("validation loss (nats/char)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    out = _save(fig, path)
    plt.close(fig)
    return out


def plot_scaling(runs: list[dict[str, Any]], analysis: dict[str, Any],
                 out_dir: str | os.PathLike) -> list[Path]:
    """``loss_vs_compute.png`` (every run's curve, frontier, fit per method) and
    ``frontier.png`` (frontiers and fits only, with the fitted exponents)."""
    plt = _pyplot()
    out_dir = Path(out_dir)
    methods = sorted({r["config"]["method"] for r in runs}, key=list(METHOD_COLOURS).index)
    paths = []
    fig, axes = plt.subplots(1, len(methods), figsize=(5.5 * len(methods), 4.2), sharey=True,
                             squeeze=False)
    for ax, method in zip(axes[0], methods):
        colour = METHOD_COLOURS[method]
        sizes = sorted({r["non_embedding_params"] for r in runs if r["config"]["method"] == method})
        shades = dict(zip(sizes, np.linspace(0.35, 1.0, len(sizes))))
        for r in runs:
            if r["config"]["method"] != method:
                continue
            hist = [h for h in r["history"] if h["tokens"] > 0]
            ax.plot([h["compute"] for h in hist], [h["val_loss"] for h in hist], color=colour,
                    alpha=float(shades[r["non_embedding_params"]]), lw=1)
        _frontier_and_fit(ax, analysis["methods"][method], colour, method)
        ax.set_title(f"{method}: every run (darker = larger N)")
        ax.set_xscale("log")
        ax.set_xlabel("compute C = 6 N D (FLOP)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    axes[0][0].set_ylabel("validation loss (nats/char)")
    fig.tight_layout()
    paths.append(_save(fig, out_dir / "loss_vs_compute.png"))
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4.2))
    for method in methods:
        _frontier_and_fit(ax, analysis["methods"][method], METHOD_COLOURS[method], method)
    ax.set_xscale("log")
    ax.set_xlabel("compute C = 6 N D (FLOP)")
    ax.set_ylabel("validation loss (nats/char)")
    ax.set_title("compute-efficient frontiers and fits L = a C^-b + c")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    paths.append(_save(fig, out_dir / "frontier.png"))
    plt.close(fig)
    return paths


def _frontier_and_fit(ax: Any, m: dict[str, Any], colour: str, label: str) -> None:
    front = np.asarray(m["frontier"], dtype=float)
    if front.size:
        ax.plot(front[:, 0], front[:, 1], "o", color=colour, ms=4, label=f"{label} frontier")
    fit = m.get("fit")
    if fit:
        c = np.geomspace(fit["C0"], front[:, 0].max(), 100)  # the fitted range
        ax.plot(c, fit["a"] * c ** (-fit["b"]) + fit["c"], "--", color=colour,
                label=f"{label} fit: b = {fit['b']:.3f} ± {fit['b_stderr']:.3f}, "
                      f"c = {fit['c']:.2f}")
