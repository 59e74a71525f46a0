"""Calibration report: a text summary and figures (fitted resonances, crosstalk matrix,
weight curves, weight-error histograms before and after)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from .lorentzian import lorentzian
from .result import CalibrationResult

__all__ = ["report_text", "save_report_figures"]


def report_text(result: CalibrationResult, figures: Mapping[str, Mapping[str, float]] | None = None,
                extra: Mapping[str, object] | None = None) -> str:
    """Plain-text summary. ``figures``: stage name -> ``{"std_rel", "bits", ...}`` (from
    :func:`~.metrics.weight_error_figures`), listed in the given order."""
    m, n = result.shape
    ok = result.working
    lines = [f"Calibration of a {m} x {n} chip (banks x channels)", ""]
    lines.append("Readings used: " + ", ".join(
        f"{k} {v}" for k, v in result.measurements.items()) +
        f"; total {result.total_measurements}")
    secs = result.meta.get("seconds")
    if isinstance(secs, Mapping):
        lines.append("Time: " + ", ".join(f"{k} {v:.2f} s" for k, v in secs.items()))
    lines.append(f"Rings working: {int(ok.sum())} of {m * n}")
    flagged = result.flagged
    if flagged:
        lines.append("FAULTY RINGS (targets needing them are refused):")
        for f in flagged:
            lines.append(f"  bank {f['bank']:3d} ring {f['ring']:3d}: {f['fault']}, fixed "
                         f"weight {f['weight']:+.3f}")
    if ok.any():
        g = result.gamma[ok] * 1e3
        lines += [
            "",
            "Resonance fits (heater power, others parked on their channels):",
            f"  resonance power  {np.min(result.p0[ok]) * 1e3:7.3f} .. "
            f"{np.max(result.p0[ok]) * 1e3:7.3f} mW",
            f"  half width       {g.mean():7.4f} mW (std {g.std():.4f})",
            f"  swing A          {result.amplitude[ok].mean():7.4f}   floor B "
            f"{result.baseline[ok].mean():+.4f}",
            f"  P0 std. error    {np.median(result.p0_stderr[ok]) * 1e6:7.3f} uW (median)",
        ]
        c = result.crosstalk
        if n > 1:
            nn = np.concatenate([np.diagonal(c, 1, 1, 2)[ok[:, :-1]],
                                 np.diagonal(c, -1, 1, 2)[ok[:, 1:]]])
            lines.append(f"Crosstalk C_ij (neighbours): mean {nn.mean():.4f}, "
                         f"std {nn.std():.4f}")
        lo, hi = result.weight_range
        lines.append(f"Measured weight range (all working rings): [{lo:+.4f}, {hi:+.4f}], "
                     f"symmetric +-{result.symmetric_weight_range:.4f}")
    if np.any(result.drift_shift != 0):
        s = result.drift_shift[ok] * 1e6
        lines.append(f"Drift correction applied: mean {s.mean():+.2f} uW equivalent "
                     f"(std {s.std():.2f})")
    if figures:
        lines += ["", "Residual weight error (true weights, simulation):",
                  f"  {'stage':28s} {'std/range':>10s} {'eff. bits':>10s} {'max':>8s}"]
        for name, f in figures.items():
            lines.append(f"  {name:28s} {f['std_rel']:10.5f} {f['bits']:10.2f} "
                         f"{f.get('max', float('nan')):8.4f}")
    if extra:
        lines.append("")
        for k, v in extra.items():
            lines.append(f"{k}: {v}")
    return "\n".join(lines) + "\n"


def save_report_figures(result: CalibrationResult, out_dir: str | Path,
                        errors: Mapping[str, np.ndarray] | None = None,
                        true_crosstalk: np.ndarray | None = None, bank: int = 0
                        ) -> list[Path]:
    """Write ``resonances.png``, ``crosstalk.png``, ``weight_curves.png`` and (with
    ``errors``: stage -> error array, the first the "before") ``weight_errors.png``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    m, n = result.shape
    bank = int(np.clip(bank, 0, m - 1))
    paths = []
    rings = np.unique(np.linspace(0, n - 1, min(n, 8)).round().astype(int))

    # -- fitted resonances
    cols = min(4, rings.size)
    rows = int(np.ceil(rings.size / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows), squeeze=False)
    for ax, k in zip(axes.flat, rings):
        x = result.sweep_powers[bank, k] * 1e3
        y = result.sweep_readings[bank, k]
        ax.plot(x, y, ".", ms=3, label="measured")
        if result.found[bank, k]:
            xf = np.linspace(x.min(), x.max(), 400)
            ax.plot(xf, lorentzian(xf * 1e-3, result.p0[bank, k], result.gamma[bank, k],
                                   result.amplitude[bank, k], result.baseline[bank, k]),
                    "-", lw=1, label="Lorentzian fit")
            ax.axvline(result.p0[bank, k] * 1e3, color="0.6", lw=0.6)
            ax.set_title(f"ring {k}: P0 {result.p0[bank, k] * 1e3:.3f} mW", fontsize=9)
        else:
            ax.set_title(f"ring {k}: no resonance", fontsize=9, color="red")
        ax.set_xlabel("heater power (mW)", fontsize=8)
        ax.set_ylabel("reading (weight)", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[rings.size:]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(f"Bank {bank}: resonance sweeps (channel k lit, ring k's heater swept)",
                 fontsize=10)
    fig.tight_layout()
    paths.append(_save(fig, out / "resonances.png"))

    # -- crosstalk matrix
    panels = [("estimated C", result.crosstalk[bank])]
    if true_crosstalk is not None:
        t = np.asarray(true_crosstalk)[bank]
        panels += [("true C", t), ("|estimate - true|", np.abs(result.crosstalk[bank] - t))]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.8), squeeze=False)
    for ax, (title, mat) in zip(axes.flat, panels):
        v = np.log10(np.maximum(np.abs(mat), 1e-7))
        im = ax.imshow(v, cmap="viridis", vmin=-7, vmax=0)
        ax.set_title(title + " (log10)", fontsize=9)
        ax.set_xlabel("heated ring j", fontsize=8)
        ax.set_ylabel("shifted ring i", fontsize=8)
        fig.colorbar(im, ax=ax, fraction=0.046)
    fig.suptitle(f"Bank {bank}: thermal crosstalk C_ij = K_ij / K_ii", fontsize=10)
    fig.tight_layout()
    paths.append(_save(fig, out / "crosstalk.png"))

    # -- weight curves
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for k in rings:
        if not result.working[bank, k]:
            continue
        u0 = result.u_table[bank, k, 0]
        ax.plot((result.u_samples[bank, k] - u0) * 1e3, result.w_samples[bank, k], ".", ms=3)
        ax.plot((result.u_table[bank, k] - u0) * 1e3, result.w_table[bank, k], "-", lw=0.8,
                label=f"ring {k}")
    ax.set_xlabel("equivalent power from the resonance (mW)")
    ax.set_ylabel("effective weight")
    ax.set_title(f"Bank {bank}: measured weight curves (dots) and monotone branch model")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    paths.append(_save(fig, out / "weight_curves.png"))

    # -- errors before / after
    if errors:
        names = list(errors)
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
        before = np.ravel(errors[names[0]])
        axes[0].hist(before, bins=60, color="tab:red")
        axes[0].set_title(f"before: {names[0]} (rms {np.sqrt(np.mean(before ** 2)):.3f})",
                          fontsize=9)
        axes[0].set_xlabel("weight error")
        after = [np.ravel(errors[k]) for k in names[1:]]
        if after:
            # errors span orders of magnitude between stages: histogram log10 |error|
            logs = [np.log10(np.maximum(np.abs(a), 1e-9)) for a in after]
            lo = max(min(float(v.min()) for v in logs), -7.0)
            bins = np.linspace(lo, max(float(v.max()) for v in logs) + 1e-9, 61)
            for name, a, v in zip(names[1:], after, logs):
                axes[1].hist(v, bins=bins, histtype="step", lw=1.2,
                             label=f"{name} (rms {np.sqrt(np.mean(a ** 2)):.2g})")
            axes[1].legend(fontsize=7)
            axes[1].set_title("after calibration stages", fontsize=9)
            axes[1].set_xlabel("log10 |weight error|")
        fig.suptitle("Residual effective-weight error (true weights minus targets)",
                     fontsize=10)
        fig.tight_layout()
        paths.append(_save(fig, out / "weight_errors.png"))
    return paths


def _save(fig: object, path: Path) -> Path:
    import matplotlib.pyplot as plt

    from photonic_dfa.base.atomic import atomic_write

    # atomically, like every other file: a killed run leaves the old figure or none
    atomic_write(path, lambda fh: fig.savefig(fh, format="png", dpi=110))  # type: ignore[attr-defined]
    plt.close(fig)  # type: ignore[arg-type]
    return path
