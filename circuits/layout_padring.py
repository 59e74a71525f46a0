"""A staggered pad ring and crossing-free routing to it, on the 1 nm grid (no gdsfactory).

Pads stand along a die edge in :data:`ROWS` rows, each row at the probe pitch ``P`` and
the rows staggered by ``P / 3``: three pads per pitch of edge. Row 0 faces the core. A
track reaches its pad straight through the inner rows' gaps, so one metal layer carries
every route (edge-local coordinates: ``s`` along the edge, rows outward)::

    s = qP + 5P/6        . . . . . . . . . . . +-----> row 2  (jog between rows 0 and 1)
    s = qP + P/2 + d     ----- gap of row 0 ---+
    s = qP + P/2 - d     ----- gap of row 0 ---------> row 1
    s = qP               ------> row 0

``d = (metal_width + metal_spacing) / 2``, so the two tracks in a row-0 gap keep
``metal_spacing`` from each other; :class:`PadGrid` refuses rules under which they would
not keep it from the pads. Slot ``i = 3q + j`` is the track that ends on row ``j`` of
period ``q``; slots are ordered along the edge, so terminals routed to consecutive slots
in their own order along the edge never cross (:func:`river`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import klayout.db as kdb

__all__ = ["ROWS", "PadGrid", "river", "bundle", "draw_tracks"]

#: pad rows of the staggered ring
ROWS = 3

Point = tuple[int, int]


@dataclass(frozen=True)
class PadGrid:
    """Staggered pad rows along an edge (integer nm): probe ``pitch``, square ``pad`` size,
    ``row_pitch`` between rows, route ``width`` and ``space``."""

    pitch: int
    pad: int
    row_pitch: int
    width: int
    space: int

    def __post_init__(self) -> None:
        d = self.offset
        margin = self.pitch // 2 - d - self.width // 2 - self.pad // 2
        if margin < self.space:
            raise ValueError(
                f"pad_pitch={self.pitch * 1e-9!r} leaves {margin * 1e-9:.3g} m between a pad "
                f"and the two tracks in its gap; needs metal_spacing={self.space * 1e-9!r} "
                f"(pad_pitch >= pad_size + 3 metal_width + 4 metal_spacing)")
        if self.row_pitch - self.pad < self.width + 2 * self.space:
            raise ValueError(
                f"row pitch {self.row_pitch * 1e-9!r} leaves no room for a jog between rows "
                f"of pad_size={self.pad * 1e-9!r}")

    @property
    def offset(self) -> int:
        return (self.width + self.space + 1) // 2

    def centre(self, i: int) -> tuple[int, int]:
        """(row, along-edge centre) of the pad of slot ``i``."""
        q, j = divmod(i, ROWS)
        return j, q * self.pitch + round(j * self.pitch / ROWS)

    def approach(self, i: int) -> int:
        """Along-edge position at which the track of slot ``i`` meets row 0."""
        q, j = divmod(i, ROWS)
        return q * self.pitch + (0, self.pitch // 2 - self.offset,
                                 self.pitch // 2 + self.offset)[j]

    def track(self, i: int, x_in: int, x0: int, sign: int) -> list[Point]:
        """Path from ``(x_in, approach(i))`` to the centre of pad ``i``; rows stand at
        ``x0 + sign * j * row_pitch`` (``sign`` +1: rows outward to +x)."""
        j, s = self.centre(i)
        a = self.approach(i)
        x = [x0 + sign * k * self.row_pitch for k in range(ROWS)]
        if j < 2:
            return [(x_in, a), (x[j], a)]
        mid = x0 + sign * self.row_pitch // 2
        jog = (i // ROWS) * self.pitch + round(5 * self.pitch / 6)
        return [(x_in, a), (mid, a), (mid, jog), (x[2], jog)]

    def periods(self, n: int) -> int:
        """Edge periods that hold ``n`` pads."""
        return math.ceil(n / ROWS)


def bundle(starts: Sequence[Point], y0: int, step: int, sign: int, direction: int
           ) -> list[list[Point]]:
    """Take terminals up (``direction`` +1) or down to nested levels ``y0 + rank * step``
    from which they leave towards ``sign`` (+1: +x). The terminal nearest the exit takes
    the nearest level, so no vertical crosses another's horizontal."""
    order = sorted(range(len(starts)), key=lambda k: -sign * starts[k][0])
    rank = {k: r for r, k in enumerate(order)}
    return [[p, (p[0], y0 + direction * rank[k] * step)] for k, p in enumerate(starts)]


def river(starts: Sequence[Point], targets: Sequence[int], x_col: int, step: int, sign: int
          ) -> list[list[Point]]:
    """Horizontal runs from ``starts`` towards ``sign`` x, one vertical column each, to the
    along-edge positions ``targets``; ``starts`` and ``targets`` in the same order along y.

    Columns are ``x_col + sign * c * step``. Tracks going up turn in order from the
    highest, tracks going down from the lowest: then none crosses another.
    """
    if len(starts) != len(targets):
        raise ValueError(f"{len(starts)} starts but {len(targets)} targets")
    if any(b[1] <= a[1] for a, b in zip(starts, starts[1:])) or any(
            b <= a for a, b in zip(targets, targets[1:])):
        raise ValueError("starts and targets must be strictly increasing in y")
    up = sorted((k for k, (p, t) in enumerate(zip(starts, targets)) if t > p[1]),
                key=lambda k: -starts[k][1])
    down = sorted((k for k, (p, t) in enumerate(zip(starts, targets)) if t < p[1]),
                  key=lambda k: starts[k][1])
    col = {k: c for c, k in enumerate(up)} | {k: c for c, k in enumerate(down)}
    out = []
    for k, (p, t) in enumerate(zip(starts, targets)):
        if k not in col:
            out.append([p, (x_col, p[1])])
            continue
        x = x_col + sign * col[k] * step
        out.append([p, (x, p[1]), (x, t)])
    return out


def draw_tracks(paths: Sequence[Sequence[Point]], width: int) -> kdb.Region:
    """Manhattan paths of ``width`` (ends extended by half a width so corners fill)."""
    region = kdb.Region()
    for pts in paths:
        clean = [pts[0]]
        for p in pts[1:]:
            if p != clean[-1]:
                clean.append(p)
        if len(clean) < 2:
            continue
        path = kdb.Path([kdb.Point(*p) for p in clean], width, width // 2, width // 2)
        region.insert(path.polygon())
    return region.merged()
