"""Figures of a device sweep (matplotlib, Agg): line plots and 2-D heatmaps, written atomically.

- ``lines_<p>.png``: every figure against swept parameter ``p``, one line per value of a
  second swept parameter (the series), every other parameter held at its middle grid value
  (named in the title);
- ``optimum_<f>_<p>_<q>.png``: one figure ``f`` (``mac_bits``, the MAC effective bits with
  ISI, when computed; ``light_bits`` when ``laser_power`` is an axis) over the ``(p, q)``
  plane with each cell's value and, per value of ``q``, the best ``p`` marked
  (:func:`plot_optimum`): e.g. the loaded Q that balances crosstalk against inter-symbol
  interference at each symbol rate;
- ``heatmap_<p>_<q>.png``: every figure over the ``(p, q)`` plane, the others at their
  middle values; cells without a value (e.g. no symmetric weight range) are hatched grey,
  lettered, and the letters explained under the figure (the reason, shortened from the
  ``notes`` column; :func:`explain_missing`); line plots list the reasons for their gaps.

Axes use display units (um, GHz, mW, pJ/MAC, ...) from
:data:`photonic_dfa.studies.sweep.PARAMETERS` and :data:`photonic_dfa.studies.sweep.FIGURES`."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .sweep import FIGURES, PARAMETERS

__all__ = ["PLOTTED", "plot_sweep", "plot_lines", "plot_heatmap", "plot_optimum",
           "missing_reason",
           "explain_missing", "describe_missing"]

#: Figures drawn, in panel order (those absent from every row are left out).
PLOTTED = ("q_loaded", "fsr", "extinction_ratio_db", "channels_per_fsr", "crosstalk_db",
           "solver_weight_error", "weight_range", "weight_bits", "heater_power_fsr",
           "mac_per_s", "energy_per_mac", "isi_rms", "analog_bits", "mac_bits",
           "mac_bits_static", "received_power", "max_laser_power", "nonlinear_bits",
           "light_bits", "mnist_test_acc")

_SHORT = {
    "q_loaded": "loaded Q", "fsr": "FSR", "extinction_ratio_db": "extinction ratio",
    "channels_per_fsr": "channels per FSR", "crosstalk_db": "worst inter-channel crosstalk",
    "solver_weight_error": "exact - fast weight (rms)", "weight_range": "design weight range +-",
    "weight_bits": "weight effective bits", "heater_power_fsr": "heater power per FSR",
    "mac_per_s": "throughput", "energy_per_mac": "energy per MAC",
    "mnist_test_acc": "MNIST test accuracy", "isi_rms": "ISI (rms, estimate)",
    "analog_bits": "detector-limited bits", "mac_bits": "MAC effective bits (with ISI)",
    "mac_bits_static": "MAC effective bits (no ISI)", "received_power": "received power",
    "max_laser_power": "max laser power per channel",
    "nonlinear_bits": "optical-nonlinearity bits",
    "light_bits": "noise + nonlinearity bits",
}


# ------------------------------------------------------------------- points without a value
_EXPLAINS = ("no ", "not computed", "not run", "cannot", "unavailable")
_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?:\s*[a-zA-Zµ/]+)?"
_VALUE = re.compile(rf"\s*=\s*{_NUM}")
_NUMBERS = re.compile(rf"\s*\b(?:up to |to |of |by )?{_NUM}")


#: known causes in a reader's words (pattern on the shortened note -> replacement)
_PLAIN = ((re.compile(r"heater max_power cannot cover the branch"),
           "heaters too weak for the weight branch"),
          (re.compile(r"could not find a feasible bias"),
           "no feasible bias (crosstalk too strong)"))


def _split_notes(notes: str) -> list[str]:
    """Top-level ``;``-separated notes (a ``;`` inside parentheses stays)."""
    out, depth, cur = [], 0, ""
    for ch in notes:
        depth += (ch == "(") - (ch == ")")
        if ch == ";" and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    return [n for n in [*out, cur.strip()] if n]


def missing_reason(notes: Any, limit: int = 90) -> str:
    """Why a point has no value, shortened from its ``notes``: the first note that explains
    a missing figure (else the first note), its detail cut at the first clause, point-specific
    numbers dropped so that equal causes group together."""
    items = _split_notes(notes) if isinstance(notes, str) else []
    if not items:
        return "not computed (no note)"
    note = next((n for n in items if any(w in n for w in _EXPLAINS)), items[0])
    head, _, detail = note.partition(" (")
    detail = re.split(r"[:;]", detail.rstrip(")"), maxsplit=1)[0]
    text = f"{head} ({detail.strip()})" if detail.strip() else head
    text = _NUMBERS.sub("", _VALUE.sub("", text)).strip(" :,").replace(" ()", "")
    for pattern, plain in _PLAIN:
        text = pattern.sub(plain, text)
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def explain_missing(rows: Sequence[Mapping[str, Any]], keys: Sequence[str] | None = None
                    ) -> list[tuple[tuple[str, ...], str, tuple[int, ...]]]:
    """Points without a value, grouped: ``(figures, reason, row indices)`` for every figure
    of ``keys`` (default: the plotted figures some row has) that some rows lack."""
    keys = _present(rows) if keys is None else keys
    groups: dict[tuple[str, tuple[int, ...]], list[str]] = {}
    for key in keys:
        by_reason: dict[str, list[int]] = {}
        for i, r in enumerate(rows):
            if r.get(key) is None:
                by_reason.setdefault(missing_reason(r.get("notes")), []).append(i)
        for reason, idx in by_reason.items():
            groups.setdefault((reason, tuple(idx)), []).append(key)
    return [(tuple(figs), reason, idx) for (reason, idx), figs in groups.items()]


def _point_text(row: Mapping[str, Any], names: Sequence[str]) -> str:
    return ", ".join(f"{n}={_fmt_value(n, row[n])}{_param_unit(n)}" for n in names)


def describe_missing(rows: Sequence[Mapping[str, Any]],
                     axes: Sequence[tuple[str, Sequence[Any]]], shown: int = 3) -> list[str]:
    """One line per group of :func:`explain_missing`: how many points lack which figures,
    why, and the first ``shown`` of them by their swept parameters."""
    names = [n for n, v in axes if len(v) > 1] or [n for n, _ in axes]
    lines = []
    for figs, reason, idx in explain_missing(rows):
        pts = " | ".join(_point_text(rows[i], names) for i in idx[:shown])
        more = f" and {len(idx) - shown} more" if len(idx) > shown else ""
        n = len(idx)
        lines.append(f"{n} point{'s' if n > 1 else ''} {'have' if n > 1 else 'has'} no "
                     f"{', '.join(figs)}: {reason}; at {pts}{more}")
    return lines


def _param_label(name: str) -> str:
    spec = PARAMETERS.get(name)
    if spec is None:
        return name
    unit = spec.display_unit or spec.unit
    return f"{name} ({unit})" if unit else name


_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def _param_unit(name: str) -> str:
    spec = PARAMETERS.get(name)
    return (spec.display_unit or spec.unit) if spec is not None else ""


def _g(v: float, _: Any = None) -> str:
    return f"{v:g}"


def _short(v: float) -> str:
    """Cell label: 3 significant digits, k/M for large numbers."""
    a = abs(v)
    if a >= 1e6:
        return f"{v / 1e6:.3g}M"
    if a >= 1e3:
        return f"{v / 1e3:.3g}k"
    return f"{v:.3g}"


def _plain_ticks(panel: Any) -> None:
    """Log axes labelled 20, 50, 100 rather than 2 x 10^1."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    for axis, scale, lim in ((panel.xaxis, panel.get_xscale(), panel.get_xlim()),
                             (panel.yaxis, panel.get_yscale(), panel.get_ylim())):
        if scale == "log":
            subs = (1.0, 2.0, 5.0) if lim[1] / lim[0] > 4 else tuple(range(1, 10))
            axis.set_major_locator(LogLocator(subs=subs))
            axis.set_major_formatter(FuncFormatter(_g))
            axis.set_minor_formatter(NullFormatter())


def _param_scale(name: str) -> float:
    spec = PARAMETERS.get(name)
    return spec.display_scale if spec is not None else 1.0


def _param_log(name: str) -> bool:
    spec = PARAMETERS.get(name)
    return bool(spec and spec.log)


def _fmt_value(name: str, v: Any) -> str:
    if isinstance(v, bool | str):
        return str(v)
    x = float(v) * _param_scale(name)
    return f"{x:.4g}"


def _figure_label(key: str) -> str:
    unit, _, disp, _, _ = FIGURES[key]
    u = disp or unit
    return f"{_SHORT.get(key, key)} ({u})" if u else _SHORT.get(key, key)


def _values(rows: Sequence[Mapping[str, Any]], key: str) -> np.ndarray:
    scale = FIGURES[key][3]
    return np.array([np.nan if r.get(key) is None else float(r[key]) * scale for r in rows])


def _present(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    return [k for k in PLOTTED if any(r.get(k) is not None for r in rows)]


def _index(rows: Sequence[Mapping[str, Any]], names: Sequence[str]) -> dict[tuple, int]:
    return {tuple(r[n] for n in names): i for i, r in enumerate(rows)}


def _middle(axes: Sequence[tuple[str, Sequence[Any]]]) -> dict[str, Any]:
    return {n: v[(len(v) - 1) // 2] for n, v in axes}


def _held(axes: Sequence[tuple[str, Sequence[Any]]], free: Sequence[str]) -> str:
    mid = _middle(axes)
    held = [f"{n} = {_fmt_value(n, mid[n])} {_param_unit(n)}".strip()
            for n, v in axes if n not in free and len(v) > 1]
    return ", ".join(held)


def _grid_shape(n: int) -> tuple[int, int]:
    cols = min(4, n)
    return math.ceil(n / cols), cols


def _save(fig: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    from photonic_dfa.base.atomic import atomic_write

    try:
        return atomic_write(path, lambda fh: fig.savefig(fh, format="png", dpi=110))
    finally:
        plt.close(fig)


def _frame(rows: Sequence[Mapping[str, Any]], axes: Sequence[tuple[str, Sequence[Any]]]
           ) -> tuple[list[str], dict[str, Sequence[Any]], dict[tuple, int], dict[str, Any],
                      list[str]]:
    """Axis names, their values, row index by point, the middle point, figures present."""
    names = [n for n, _ in axes]
    return names, dict(axes), _index(rows, names), _middle(axes), _present(rows)


def plot_lines(rows: Sequence[Mapping[str, Any]], axes: Sequence[tuple[str, Sequence[Any]]],
               x: str, series: str | None, path: str | os.PathLike) -> Path:
    """Every figure against ``x``, one line per value of ``series`` (None: one line)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names, vals, idx, mid, keys = _frame(rows, axes)
    nr, nc = _grid_shape(len(keys))
    fig, axs = plt.subplots(nr, nc, figsize=(4.1 * nc, 3.0 * nr + 0.9), squeeze=False)
    s_vals = vals[series] if series else [None]
    cmap = plt.get_cmap("viridis")
    xs = np.array([float(v) * _param_scale(x) for v in vals[x]])
    drawn: dict[int, Mapping[str, Any]] = {}
    for panel, key in zip(axs.flat, keys):
        for j, sv in enumerate(s_vals):
            sel = []
            for xv in vals[x]:
                pt = dict(mid, **{x: xv})
                if series:
                    pt[series] = sv
                k = idx[tuple(pt[n] for n in names)]
                drawn[k] = rows[k]
                sel.append(rows[k])
            y = _values(sel, key)
            color = cmap(0.9 * j / max(1, len(s_vals) - 1)) if series else "tab:blue"
            label = f"{series} = {_fmt_value(series, sv)} {_param_unit(series)}".strip() \
                if series else None
            # later series drawn thinner with other markers, so coinciding lines stay visible
            panel.plot(xs, y, "-", marker=_MARKERS[j % len(_MARKERS)], color=color,
                       ms=6.5 - 4.0 * j / max(1, len(s_vals) - 1), lw=2.2 - 1.2 * j
                       / max(1, len(s_vals) - 1), label=label, alpha=0.9)
        panel.set_title(_figure_label(key), fontsize=9.5)
        panel.set_xlabel(_param_label(x), fontsize=8.5)
        if _param_log(x):
            panel.set_xscale("log")
        allv = _values(rows, key)
        allv = allv[np.isfinite(allv)]
        if FIGURES[key][4] and allv.size and allv.min() > 0 and allv.max() > 1.5 * allv.min():
            panel.set_yscale("log")
        _plain_ticks(panel)
        panel.tick_params(labelsize=8)
        panel.grid(alpha=0.3, which="both")
    for panel in list(axs.flat)[len(keys):]:
        panel.set_visible(False)
    title = f"Sweep over {x}"
    held = _held(axes, [x] + ([series] if series else []))
    if held:
        title += f"   (held: {held})"
    fig.suptitle(title, fontsize=11)
    top = 1.0 - 0.55 / fig.get_figheight()
    if series:
        handles, labels = axs.flat[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="upper center", ncol=min(len(labels), 6), fontsize=9,
                   bbox_to_anchor=(0.5, top + 0.01), frameon=False)
        top -= 0.3 / fig.get_figheight()
    gaps = describe_missing([drawn[k] for k in sorted(drawn)], axes)
    bottom = _captions(fig, [f"not drawn: {g}" for g in gaps])
    fig.tight_layout(rect=(0, bottom, 1, top))
    return _save(fig, Path(path))


def _captions(fig: Any, lines: Sequence[str]) -> float:
    """``lines`` under the panels, bottom up; returns the figure fraction they take."""
    height = fig.get_figheight()
    width = int(fig.get_figwidth() * 15)  # characters per line at this font size
    import textwrap

    wrapped = [w for line in lines for w in textwrap.wrap(line, width)][::-1]
    for k, line in enumerate(wrapped):
        fig.text(0.01, (0.06 + 0.19 * k) / height, line, ha="left", va="bottom",
                 fontsize=8.5, color="0.2")
    return (0.12 + 0.19 * len(wrapped)) / height if wrapped else 0.0


def plot_heatmap(rows: Sequence[Mapping[str, Any]], axes: Sequence[tuple[str, Sequence[Any]]],
                 x: str, y: str, path: str | os.PathLike) -> Path:
    """Every figure over the ``(x, y)`` grid, the other parameters at their middle values."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm
    from matplotlib.patches import Rectangle
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    names, vals, idx, mid, keys = _frame(rows, axes)
    xv, yv = vals[x], vals[y]
    sel = [[rows[idx[tuple(dict(mid, **{x: a, y: b})[n] for n in names)]] for a in xv]
           for b in yv]
    cmap = plt.get_cmap("viridis")
    panels = []
    constant = []
    for key in keys:
        z = np.array([_values(row, key) for row in sel])
        finite = z[np.isfinite(z)]
        # constant where computed, but with gaps: drawn, so the gaps are seen and explained
        if finite.size == z.size and np.ptp(finite) <= 1e-9 * np.max(np.abs(finite)):
            constant.append(f"{_figure_label(key)} = {finite[0]:.4g}")
        elif finite.size:
            panels.append((key, z))
    nr, nc = _grid_shape(max(1, len(panels)))
    fig, axs = plt.subplots(nr, nc, figsize=(4.3 * nc, 3.3 * nr + 0.9), squeeze=False)
    annotate = len(xv) * len(yv) <= 48
    letters: dict[str, str] = {}  # reason -> letter, in order of first appearance
    for _, z in panels:
        for (i, j) in zip(*np.nonzero(~np.isfinite(z))):
            reason = missing_reason(sel[i][j].get("notes"))
            letters.setdefault(reason, chr(ord("a") + min(len(letters), 25)))
    for panel, (key, z) in zip(axs.flat, panels):
        finite = z[np.isfinite(z)]
        norm = None
        if FIGURES[key][4] and finite.min() > 0 and finite.max() > finite.min():
            norm = LogNorm(finite.min(), finite.max())
        im = panel.imshow(np.ma.masked_invalid(z), origin="lower", aspect="auto", cmap=cmap,
                          norm=norm, interpolation="nearest")
        for (i, j) in zip(*np.nonzero(~np.isfinite(z))):
            panel.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor="0.88",
                                      edgecolor="0.55", hatch="///", lw=0))
            if len(letters) > 1 and len(xv) * len(yv) <= 400:
                panel.text(j, i, letters[missing_reason(sel[i][j].get("notes"))], ha="center",
                           va="center", fontsize=8, color="0.1",
                           bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none"))
        if annotate:
            for (i, j) in zip(*np.nonzero(np.isfinite(z))):
                r, g, b, _ = cmap(im.norm(z[i, j]))
                ink = "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"
                panel.text(j, i, _short(z[i, j]), ha="center", va="center", fontsize=7,
                           color=ink)
        cb = fig.colorbar(im, ax=panel, fraction=0.046, pad=0.03)
        cb.ax.tick_params(labelsize=7.5)
        if norm is not None:
            cb.ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
            cb.ax.yaxis.set_major_formatter(FuncFormatter(_g))
            cb.ax.yaxis.set_minor_formatter(NullFormatter())
        panel.set_title(_figure_label(key), fontsize=9.5)
        _ticks(panel.set_xticks, panel.set_xticklabels, x, xv)
        _ticks(panel.set_yticks, panel.set_yticklabels, y, yv)
        panel.set_xlabel(_param_label(x), fontsize=8.5)
        panel.set_ylabel(_param_label(y), fontsize=8.5)
        panel.tick_params(labelsize=7.5)
    for panel in list(axs.flat)[len(panels):]:
        panel.set_visible(False)
    title = f"{_param_label(y)} vs {_param_label(x)}"
    held = _held(axes, [x, y])
    if held:
        title += f"   (held: {held})"
    fig.suptitle(title, fontsize=11)
    captions = []
    if constant:
        captions.append("constant over this plane: " + "; ".join(constant))
    if len(letters) == 1:
        captions.append(f"hatched cells have no value: {next(iter(letters))}")
    elif letters:
        captions.append("hatched cells have no value: " + "; ".join(
            f"({c}) {r}" for r, c in letters.items()))
    bottom = _captions(fig, captions)
    fig.tight_layout(rect=(0, bottom, 1, 1.0 - 0.5 / fig.get_figheight()))
    return _save(fig, Path(path))


def _ticks(set_ticks: Any, set_labels: Any, name: str, values: Sequence[Any]) -> None:
    n = len(values)
    step = max(1, math.ceil(n / 8))  # at most ~8 labels per axis
    pos = list(range(0, n, step))
    set_ticks(pos)
    set_labels([_fmt_value(name, values[i]) for i in pos])


def _series_for(x: str, axes: Sequence[tuple[str, Sequence[Any]]]) -> str | None:
    """The other swept parameter drawn as lines: the one with the fewest values (2-8)."""
    cands = [(len(v), i, n) for i, (n, v) in enumerate(axes) if n != x and 1 < len(v) <= 8]
    return min(cands)[2] if cands else None


def plot_optimum(rows: Sequence[Mapping[str, Any]], axes: Sequence[tuple[str, Sequence[Any]]],
                 x: str, y: str, figure: str, path: str | os.PathLike) -> Path:
    """One figure over the ``(x, y)`` plane (others at their middle values), values written
    in the cells, the best ``x`` of each row ``y`` outlined; empty cells hatched."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    names, vals, idx, mid, _ = _frame(rows, axes)
    xv, yv = vals[x], vals[y]
    grid = np.array([[_values([rows[idx[tuple(dict(mid, **{x: a, y: b})[n] for n in names)]]],
                              figure)[0] for a in xv] for b in yv])
    fig, ax = plt.subplots(figsize=(1.1 * len(xv) + 2.6, 0.62 * len(yv) + 1.8))
    finite = grid[np.isfinite(grid)]
    im = ax.imshow(np.ma.masked_invalid(grid), origin="lower", aspect="auto", cmap="viridis",
                   vmin=finite.min() if finite.size else 0, vmax=finite.max() if finite.size
                   else 1)
    for i in range(len(yv)):
        for j in range(len(xv)):
            v = grid[i, j]
            if np.isfinite(v):
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=8,
                        color="white" if v < np.nanmean(grid) else "black")
            else:
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="///",
                                       color="0.6"))
        row = grid[i]
        if np.isfinite(row).any():
            j = int(np.nanargmax(row))
            ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, lw=2.2,
                                   edgecolor="red"))
    _ticks(ax.set_xticks, ax.set_xticklabels, x, xv)
    _ticks(ax.set_yticks, ax.set_yticklabels, y, yv)
    ax.set_xlabel(_param_label(x))
    ax.set_ylabel(_param_label(y))
    plt.setp(ax.get_xticklabels(), rotation=30, ha="right")
    fig.colorbar(im, ax=ax, label=_figure_label(figure))
    held = _held(axes, (x, y))
    ax.set_title(f"{_SHORT.get(figure, figure)}; best {x} per {y} outlined"
                 + (f"\n{held}" if held else ""), fontsize=9)
    fig.tight_layout()
    return _save(fig, Path(path))


def plot_sweep(rows: Sequence[Mapping[str, Any]], axes: Sequence[tuple[str, Sequence[Any]]],
               out_dir: str | os.PathLike) -> list[Path]:
    """All line plots and heatmaps of a sweep (module docstring); returns the PNG paths."""
    out = Path(out_dir)
    swept = [(n, v) for n, v in axes if len(v) > 1]
    paths = []
    for x, _ in swept:
        paths.append(plot_lines(rows, axes, x, _series_for(x, swept), out / f"lines_{x}.png"))
    for i, (x, _) in enumerate(swept):
        for y, _ in swept[i + 1:]:
            paths.append(plot_heatmap(rows, axes, x, y, out / f"heatmap_{x}_{y}.png"))
            for fig_key, needs in (("mac_bits", None), ("light_bits", "laser_power")):
                if needs not in (None, x, y) or all(r.get(fig_key) is None for r in rows):
                    continue
                paths.append(plot_optimum(rows, axes, x, y, fig_key,
                                          out / f"optimum_{fig_key}_{x}_{y}.png"))
    return paths
