"""Learning-curve figures (matplotlib, Agg backend) from training logs."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["plot_learning_curves"]

_COLORS = {"backprop": "tab:blue", "dfa": "tab:orange", "gaussian": "tab:green",
           "photonic": "tab:red"}


def plot_learning_curves(logs: Mapping[str, Mapping[str, Any]], path: str | os.PathLike,
                         title: str = "MNIST") -> Path:
    """Training loss (per ``steps`` point) and validation / test accuracy per epoch, one line
    per run, on one figure; written atomically to ``path`` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from photonic_dfa.base.atomic import atomic_write

    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(13, 4.4))
    for name, log in logs.items():
        color = _COLORS.get(name)
        steps = log.get("steps", [])
        if steps:
            ax_loss.plot([s["epoch"] for s in steps], [s["loss"] for s in steps],
                         color=color, label=name, lw=1.2)
        hist = log.get("history", [])
        if hist:
            ep = [h["epoch"] for h in hist]
            ax_acc.plot(ep, [100 * h["val_acc"] for h in hist], "o-", color=color, ms=3,
                        label=f"{name} validation")
            ax_acc.plot(ep, [100 * h["test_acc"] for h in hist], "s--", color=color, ms=3,
                        alpha=0.6, label=f"{name} test (10k)")
    ax_loss.set(xlabel="epoch", ylabel="training loss (cross-entropy)", yscale="log",
                title=f"{title}: training loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title=f"{title}: accuracy")
    ax_loss.legend(fontsize=8, loc="upper right")
    ax_acc.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    try:
        return atomic_write(path, lambda fh: fig.savefig(fh, format="png", dpi=110))
    finally:
        plt.close(fig)
