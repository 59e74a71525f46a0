"""PNG preview of a layout: its polygons drawn with matplotlib (headless Agg).

Layers are looked up by PDK name; a layer the PDK lacks is simply not drawn.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import klayout.db as kdb
import numpy as np

from photonic_dfa.base.atomic import atomic_write

from .layout_pdk import has_layer, layer

__all__ = ["render_png"]

_STYLE: tuple[tuple[str, str, float], ...] = (
    # PDK layer name, colour, alpha; drawn in this order
    ("PADOPEN", "#bbbbbb", 0.6),
    ("MTOP", "#e6a700", 0.55),
    ("M2", "#9467bd", 0.35),
    ("VIA1", "#444444", 0.8),
    ("VIA2", "#444444", 0.8),
    ("HEATER", "#d62728", 0.6),
    ("GE", "#2ca02c", 0.7),
    ("WG", "#1f4eb4", 1.0),
    ("TEXT", "#111111", 1.0),
)


def _layer_paths(component: Any, smooth: int = 0) -> dict[str, list[Any]]:
    """matplotlib paths of every styled layer; ``smooth`` (dbu) drops vertices closer than
    that to the outline (a whole-chip view needs no 1 nm arcs)."""
    from matplotlib.path import Path as MplPath

    layout, cell = component.kcl.layout, component.kdb_cell
    dbu = layout.dbu
    out: dict[str, list[Any]] = {}
    for name, *_ in _STYLE:
        if not has_layer(name):
            continue
        idx = layer(name)
        region = kdb.Region(cell.begin_shapes_rec(idx))
        if smooth:  # chip scale: vias and text are sub-pixel; overlaps need no merge
            if name in ("VIA1", "VIA2", "TEXT"):
                continue
            region = region.smoothed(smooth)
        else:
            region = region.merged()
        paths = []
        for poly in region.each():
            rings = [[(p.x * dbu, p.y * dbu) for p in poly.each_point_hull()]]
            rings += [[(p.x * dbu, p.y * dbu) for p in poly.each_point_hole(i)]
                      for i in range(poly.holes())]
            verts, codes = [], []
            for ring in rings:
                verts += ring + [ring[0]]
                codes += [MplPath.MOVETO] + [MplPath.LINETO] * (len(ring) - 1)
                codes += [MplPath.CLOSEPOLY]
            paths.append(MplPath(verts, codes))
        out[name] = paths
    return out


def _fontsize(ax: Any, width_um: float, chars: int, dpi: float, cap: float) -> float:
    """Font size (pt) at which ``chars`` characters span about ``width_um`` on ``ax``."""
    x0, x1 = ax.get_xlim()
    px_per_um = ax.get_window_extent().width / max(x1 - x0, 1e-12)
    return float(min(cap, width_um * px_per_um / (0.62 * max(chars, 1)) * 72.0 / dpi))


def render_png(component: Any, path: str | Path, dpi: int = 160, zoom_rings: int = 6,
               max_port_names: int = 80) -> Path:
    """Render the layout's polygons with matplotlib (headless Agg) to a PNG, atomically.

    Two panels: the whole component with its port names, and a zoom on the first
    ``zoom_rings`` rings with their drawn radius and through/drop gaps.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import PathPatch

    info = dict(component.info)
    paths = _layer_paths(component)
    bbox = component.dbbox()
    wg = [p.vertices for p in paths.get("WG", [])]
    ext = np.concatenate(wg) if wg else np.array([[bbox.left, bbox.bottom],
                                                   [bbox.right, bbox.top]])
    zy0, zy1 = ext[:, 1].min(), ext[:, 1].max()
    zh = zy1 - zy0
    zy0 -= 0.55 * zh + 2.0  # room for the channel labels under the through bus
    zy1 += 0.1 * zh + 2.0
    zx0 = ext[:, 0].min() - 0.12 * zh - 8.0
    zx1 = ext[:, 0].max() + 0.12 * zh + 8.0
    centres = info.get("ring_center_um", [])
    if len(centres) > zoom_rings:
        zx1 = centres[zoom_rings - 1][0] + 0.6 * info["ring_pitch_um"]
    zx1 = min(zx1, zx0 + 10.0 * (zy1 - zy0))
    zx0 -= 0.07 * (zx1 - zx0)  # room for the port names
    aspect_full = bbox.height() / max(bbox.width(), 1e-9)
    aspect_zoom = (zy1 - zy0) / max(zx1 - zx0, 1e-9)
    if aspect_full <= 1.0:  # wide layout: full view above the zoom, 13 in wide
        width_in = max(6.0, min(13.0, 13.4 / ((aspect_full + aspect_zoom) * 0.92)))
        size = (width_in, width_in * (aspect_full + aspect_zoom) * 0.92 + 2.0)
        grid: dict[str, Any] = {"nrows": 2, "ncols": 1,
                                "height_ratios": [aspect_full, aspect_zoom]}
    else:  # tall layout (few rings): side by side, 9 in high
        size = (min(16.0, 8.0 * (1.0 / aspect_full + 1.0 / aspect_zoom) * 0.6 + 1.5), 9.0)
        grid = {"nrows": 1, "ncols": 2, "width_ratios": [1.0 / aspect_full, 1.0 / aspect_zoom]}
    fig = Figure(figsize=size, dpi=dpi)
    FigureCanvasAgg(fig)
    axes = fig.subplots(**grid)
    from matplotlib.path import Path as MplPath

    for ax in axes:
        for name, colour, alpha in _STYLE:
            if paths.get(name):  # one compound patch per layer: fast for whole chips
                # add_artist, not add_patch: limits are set below, and add_patch's
                # per-vertex limit update dominates the time
                ax.add_artist(PathPatch(MplPath.make_compound_path(*paths[name]),
                                       facecolor=colour, edgecolor="none", alpha=alpha,
                                       linewidth=0))
        ax.set_aspect("equal")
        ax.set_xlabel("x (um)")
        ax.set_ylabel("y (um)")
    m = 0.03 * max(bbox.width(), bbox.height())
    axes[0].set_xlim(bbox.left - m, bbox.right + m)
    axes[0].set_ylim(bbox.bottom - m, bbox.top + m)
    axes[1].set_xlim(zx0, zx1)
    axes[1].set_ylim(zy0, zy1)
    if "n_banks" in info:
        what = f"{info['n_banks']} weight banks side by side"
    elif "n_rings" in info:
        what = (f"{info['n_rings']}-ring weight bank, pitch {info['ring_pitch_um']:g} um, "
                f"heater contacts {info['contacts']}")
    else:
        what = component.name
    fig.suptitle(f"{what}\nblue waveguide, red heater, gold top metal, grey pad opening; "
                 "channel labels: index, wavelength (nm)", fontsize=10)
    shown = min(len(centres), zoom_rings)
    axes[0].set_title("full layout", fontsize=9)
    axes[1].set_title(
        ("zoom" + (f" on rings 0-{shown - 1}" if shown > 1 else "")
         + ": drawn radius R, through/drop gap"), fontsize=9)
    fig.tight_layout()
    for k, (x, y) in enumerate(centres[:zoom_rings]):
        rad = info["ring_radius_um"][k]
        text = (f"R {rad:.3f} um\n"
                f"gap {info['gap_through_nm'][k]}/{info['gap_drop_nm'][k]} nm")
        fs = _fontsize(axes[1], 1.5 * rad, 15, dpi, 8.0)
        axes[1].text(x - 0.1 * rad, y, text, fontsize=fs, ha="center", va="center",
                     color="#1f4eb4")
    # name every port only where they stay legible (a whole chip has hundreds of pads)
    named = list(component.ports) if len(component.ports) <= max_port_names else []
    for port in named:
        x, y = port.center
        if port.port_type == "electrical":
            fs = _fontsize(axes[0], 0.85 * port.width, len(port.name), dpi, 8.0)
            axes[0].text(x, y, port.name, fontsize=fs, ha="center", va="center")
            continue
        ha = "right" if port.orientation == 180 else "left"
        for ax in axes:
            x0, x1 = ax.get_xlim()
            if not x0 <= x <= x1:
                continue
            dx = 0.01 * (x1 - x0) * (-1 if ha == "right" else 1)
            ax.plot([x], [y], marker="o", color="#2ca02c", markersize=3)
            ax.text(x + dx, y, port.name, fontsize=8, ha=ha, va="center", color="#2ca02c")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    data = buf.getvalue()
    return atomic_write(path, lambda fh: fh.write(data))



def render_views(component: Any, path: str | Path,
                 views: list[tuple[str, tuple[float, float, float, float]]],
                 title: str, dpi: int = 150, panel_height: float = 6.0) -> Path:
    """PNG of ``component`` in several panels, each ``(title, (x0, x1, y0, y1))`` in um,
    side by side. Thin features get an outline so they stay visible at chip scale."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MplPath

    scale = max(max(x1 - x0, y1 - y0) for _, (x0, x1, y0, y1) in views)
    # smooth to ~1/4 pixel of the widest view: invisible, and far fewer vertices
    px = scale / (dpi * panel_height) * 1e3 / component.kcl.layout.dbu / 1e3
    paths = _layer_paths(component, smooth=int(px / 4))
    ratios = [max((x1 - x0) / max(y1 - y0, 1e-9), 0.25) for _, (x0, x1, y0, y1) in views]
    panel_height = min(panel_height, 20.0 / sum(ratios))  # at most 22 in wide
    fig = Figure(figsize=(panel_height * sum(ratios) + 2.0, panel_height + 1.4), dpi=dpi)
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(views), gridspec_kw={"width_ratios": ratios}, squeeze=False)[0]
    for ax, (name, (x0, x1, y0, y1)) in zip(axes, views):
        scale = max(x1 - x0, y1 - y0)
        for lname, colour, alpha in _STYLE:
            if paths.get(lname):
                # outline width grows with the field of view so 0.5 um guides show
                lw = 0.6 if lname == "WG" and scale > 300 else 0.0
                ax.add_artist(PathPatch(MplPath.make_compound_path(*paths[lname]),
                                        facecolor=colour, edgecolor=colour, alpha=alpha,
                                        linewidth=lw))
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect("equal")
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("x (um)")
    axes[0].set_ylabel("y (um)")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    data = buf.getvalue()
    return atomic_write(path, lambda fh: fh.write(data))
