"""Ring radii on the layout grid that stay tunable as drawn, and the per-ring tuning report.

Rounding a designed radius to the 1 nm grid moves its cold resonance by up to
``lambda n_eff / n_g * 0.5 nm / R`` (about 60 pm at R = 7 um): rounded to the nearest
nanometre, some rings land red of their channel, where a heater (which only red-shifts)
can never bring them. :func:`drawable_bank` instead floors each radius (a smaller ring
resonates bluer), then checks the drawn bank with thermal crosstalk: every channel must be
reachable with heater powers in ``[0, max_power]`` over the whole weight range (the test
``WeightBank.design`` applies to its bias). A ring that its neighbours' heat (now up to
one grid step larger) would push past its channel is moved one more grid step blue, until
none is.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

from photonic_dfa.base.validation import check_scalar

from .weight_bank import WeightBank

__all__ = ["LAYOUT_GRID", "drawable_bank", "ring_report", "red_rings"]

#: the drawing grid (m): GDS database unit of the written layouts
LAYOUT_GRID = 1e-9


def _cold_resonances(bank: WeightBank) -> np.ndarray:
    return np.array([ring.resonance_near(lam) for ring, lam in
                     zip(bank.rings, bank.channel_wavelengths)])


def drawable_bank(bank: WeightBank, bus_length: float | None = None,
                  grid: float = LAYOUT_GRID) -> WeightBank:
    """``bank`` with every radius on ``grid``, each ring blue of its design resonance.

    Ring ``k``'s drawn radius is the grid point at or below its design radius (one or more
    steps lower where crosstalk needs it), so its drawn cold detuning from the channel is
    at least the design's. The bus
    segments take ``bus_length`` (default the bank's). ``ValueError`` when the drawn bank
    cannot reach its channels within ``[0, max_power]``.
    """
    grid = check_scalar("grid", grid, 1e-12, 1e-6)
    bus = bank.bus_length if bus_length is None else check_scalar(
        "bus_length", bus_length, 0.0, 1e-2)
    steps = np.array([math.floor(ring.radius / grid) for ring in bank.rings])
    for _ in range(100):
        rings = tuple(replace(ring, radius=float(m) * grid)
                      for ring, m in zip(bank.rings, steps))
        drawn = replace(bank, rings=rings, bus_length=bus)
        short = _start_powers(drawn) < 0.0
        if not short.any():
            break
        # a neighbour's heat overshoots this ring's start: one grid step bluer
        steps = steps - short
    else:  # pragma: no cover - each step adds ~1 K against a few % neighbour coupling
        raise ValueError("could not place the radii on the grid with a feasible bias")
    top = drawn._box_power_extremes(capped=False)[1]
    if top > drawn.heater.max_power * (1.0 + 1e-9):
        raise ValueError(f"the rings drawn on the {grid:g} m grid need up to {top:.4g} W of "
                         f"heater power, above max_power={drawn.heater.max_power!r} W")
    return drawn


def _start_powers(bank: WeightBank) -> np.ndarray:
    """Least heater power of each ring over the weight box (negative: not reachable)."""
    start, hi, floor = bank._branch()
    lo = np.maximum(start, floor)
    kinv = np.linalg.inv(bank.thermal_matrix)
    amb = bank.ambient_delta_t
    return kinv.clip(min=0) @ (lo - amb) + kinv.clip(max=0) @ (hi - amb)


def red_rings(bank: WeightBank) -> tuple[int, ...]:
    """Rings whose cold resonance lies red of (above) their channel."""
    lam = np.asarray(bank.channel_wavelengths)
    return tuple(int(k) for k in np.flatnonzero(_cold_resonances(bank) > lam))


def ring_report(drawn: WeightBank, design: WeightBank | None = None,
                weight: float | None = None, solver: str = "fast") -> list[dict[str, Any]]:
    """Per ring: drawn radius, cold resonance from it, blue detuning from the channel, and
    the heater powers (W, with crosstalk) that set every weight to ``-weight`` and to
    ``+weight`` (default: the bank's symmetric weight range).

    With ``design``, also its radius and cold detuning (the margin the drawing keeps).
    """
    lam = np.asarray(drawn.channel_wavelengths)
    res = _cold_resonances(drawn)
    w = drawn.symmetric_weight_range if weight is None else float(weight)
    n = drawn.n_channels
    p_lo = drawn.heater_powers_for_weights(np.full(n, -w), solver=solver)
    p_hi = drawn.heater_powers_for_weights(np.full(n, w), solver=solver)
    d_res = None if design is None else _cold_resonances(design)
    rows = []
    for k in range(n):
        row: dict[str, Any] = {
            "ring": k,
            "channel_wavelength": float(lam[k]),
            "radius": drawn.rings[k].radius,
            "cold_resonance": float(res[k]),
            "blue_detuning": float(lam[k] - res[k]),
            "weight": w,
            "power_for_minus_weight": float(p_lo[k]),
            "power_for_plus_weight": float(p_hi[k]),
        }
        if d_res is not None:
            row["design_radius"] = design.rings[k].radius
            row["design_blue_detuning"] = float(lam[k] - d_res[k])
        rows.append(row)
    return rows
