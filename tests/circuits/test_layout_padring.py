"""Staggered pad rows and crossing-free routing to them (pure geometry)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("klayout.db")

from photonic_dfa.circuits.layout_padring import (  # noqa: E402
    ROWS,
    PadGrid,
    bundle,
    draw_tracks,
    river,
)

GRID = PadGrid(pitch=100_000, pad=75_000, row_pitch=100_000, width=4_000, space=4_000)


def test_slots_are_ordered_and_clear_of_the_inner_rows():
    a = [GRID.approach(i) for i in range(3 * ROWS)]
    assert a == sorted(a) and min(np.diff(a)) == GRID.width + GRID.space
    for i in range(3 * ROWS):
        j, _ = GRID.centre(i)
        ys = [y for _, y in GRID.track(i, -50_000, 0, 1)]  # row 0 at ys[0], row 1 at ys[-1]
        for jj in range(j):  # every inner row the track passes: a gap, not a pad
            y = ys[0] if jj == 0 else ys[-1]
            gaps = [abs(y - GRID.centre(3 * q + jj)[1]) for q in range(-1, 4)]
            assert min(gaps) >= GRID.pad // 2 + GRID.width // 2 + GRID.space


def test_tight_pitch_is_refused_naming_it():
    with pytest.raises(ValueError, match="pad_pitch"):
        PadGrid(pitch=90_000, pad=75_000, row_pitch=100_000, width=4_000, space=4_000)


@pytest.mark.parametrize("sign", [1, -1])
def test_bundle_and_river_never_cross(sign):
    rng = np.random.default_rng(3)
    n = 12
    vias = [(sign * int(x), 0) for x in sorted(rng.choice(200, n, replace=False) * 25_000)]
    paths = bundle(vias, 20_000, 8_000, sign, +1)
    starts = sorted((p[-1] for p in paths), key=lambda p: p[1])
    targets = [-150_000 + GRID.approach(i) for i in range(n)]
    x_col = sign * 5_100_000
    routes = river(starts, targets, x_col, 8_000, sign)
    by_start = {r[0]: r for r in routes}
    full = [p + by_start[p[-1]][1:] for p in paths]
    # disjoint tracks stay separate polygons after merging; a crossing would join two
    assert draw_tracks(full, GRID.width).count() == n
