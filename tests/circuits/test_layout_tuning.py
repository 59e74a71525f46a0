"""Radii on the layout grid keep every ring tunable onto its channel."""

from __future__ import annotations

import math
import warnings
from dataclasses import replace

import numpy as np
import pytest

from photonic_dfa.architecture.chip import build_bank
from photonic_dfa.architecture.config import ChipConfig
from photonic_dfa.circuits.layout_tuning import drawable_bank, red_rings, ring_report


@pytest.mark.parametrize("spacing", [75e9, 200e9, 50e9])
def test_no_ring_red_of_its_channel_as_drawn(spacing):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # 200 GHz: band beyond one FSR
        design = build_bank(ChipConfig().updated(**{"laser.channel_spacing": spacing}))
    # rounding to the nearest nm, as a naive drawing does, leaves rings red here
    rounded = replace(design, rings=tuple(replace(r, radius=round(r.radius * 1e9) * 1e-9)
                                          for r in design.rings))
    assert len(red_rings(rounded)) > 0 or spacing != 75e9
    drawn = drawable_bank(design)
    assert red_rings(drawn) == ()
    for ring, ref in zip(drawn.rings, design.rings):
        assert ring.radius * 1e9 == pytest.approx(round(ring.radius * 1e9), abs=1e-6)
        assert ring.radius <= ref.radius
    rows = ring_report(drawn, design)
    for row in rows:
        assert row["blue_detuning"] >= row["design_blue_detuning"]
        for key in ("power_for_minus_weight", "power_for_plus_weight"):
            assert 0.0 <= row[key] <= drawn.heater.max_power
    assert drawn.unreachable_channels == ()
    # the weights at those powers are the requested extremes
    p = np.array([r["power_for_plus_weight"] for r in rows])
    np.testing.assert_allclose(drawn.weights(p), rows[0]["weight"], atol=1e-8)


def test_bus_length_is_the_drawn_one():
    design = build_bank(ChipConfig())
    assert drawable_bank(design, bus_length=31e-6).bus_length == 31e-6
    assert math.isclose(drawable_bank(design).bus_length, design.bus_length)
