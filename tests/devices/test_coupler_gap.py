"""Exponential ring-bus coupler model: its constants are the fit to the SiEPIC half-ring data."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from photonic_dfa.devices import coupler_gap as cg

# The ten TE 500x220 nm point-coupler data sets (radius um, gap nm) the constants were fitted to.
_SETS = [(3, 50), (3, 60), (3, 80), (3, 100), (5, 50), (5, 60), (5, 100), (10, 100), (10, 150),
         (18, 200)]


def _data_kappa2() -> np.ndarray:
    siepic = pytest.importorskip("simphony.libraries.siepic")
    out = []
    for radius, gap in _SETS:
        s = siepic.half_ring(wl=1.55, gap=gap, radius=radius, width=500, thickness=220,
                             coupling_length=0)
        out.append(abs(np.asarray(s[("port_1", "port_4")]).ravel()[0]) ** 2)
    return np.array(out)


def test_constants_are_the_least_squares_fit_to_the_siepic_half_ring_data():
    kappa2 = _data_kappa2()
    radius = np.array([s[0] for s in _SETS]) * 1e-6
    gap = np.array([s[1] for s in _SETS]) * 1e-9
    design = np.c_[np.ones(len(_SETS)), np.log(radius / cg.COUPLING_RADIUS_REF), -gap]
    coef = np.linalg.lstsq(design, np.log(kappa2), rcond=None)[0]
    assert np.exp(coef[0]) == pytest.approx(cg.COUPLING_K0, rel=1e-3)
    assert coef[1] == pytest.approx(cg.COUPLING_RADIUS_EXPONENT, rel=1e-3)
    assert 1.0 / coef[2] == pytest.approx(cg.COUPLING_DECAY_GAP, rel=1e-3)
    model = cg.power_coupling_from_gap(gap, radius)
    assert np.max(np.abs(model / kappa2 - 1.0)) < 0.09


@settings(max_examples=100, deadline=None)
@given(gap=st.floats(cg.GAP_RANGE[0], cg.GAP_RANGE[1]),
       radius=st.floats(cg.RADIUS_RANGE[0], cg.RADIUS_RANGE[1]))
def test_gap_round_trip_inside_the_fitted_range(gap, radius):
    kappa2 = cg.power_coupling_from_gap(gap, radius)
    got, valid = cg.gap_for_coupling(np.sqrt(1.0 - kappa2), radius)
    assert bool(valid)
    assert float(got) == pytest.approx(gap, rel=1e-9, abs=1e-15)


def test_out_of_range_gives_default_gap_and_flag():
    radius = 10e-6
    too_weak = np.sqrt(1.0 - cg.power_coupling_from_gap(2 * cg.GAP_RANGE[1], radius))
    too_strong = np.sqrt(1.0 - cg.power_coupling_from_gap(0.5 * cg.GAP_RANGE[0], radius))
    r = np.array([too_weak, too_strong, 1.0])
    gap, valid = cg.gap_for_coupling(r, radius)
    assert not valid.any()
    assert np.all(gap == cg.DEFAULT_GAP)
    # racetracks (non-zero straight coupler) are outside the fitted data too
    ok_r = np.sqrt(1.0 - cg.power_coupling_from_gap(120e-9, radius))
    assert not cg.gap_for_coupling(ok_r, radius, coupler_length=2e-6)[1]
    assert not cg.gap_for_coupling(ok_r, 1e-6)[1]


@pytest.mark.parametrize("bad", [0.0, -0.1, 1.5, np.nan])
def test_bad_self_coupling_rejected(bad):
    with pytest.raises(ValueError, match="self_coupling"):
        cg.gap_for_coupling(bad, 10e-6)


def test_broadcasting():
    gap = np.linspace(60e-9, 180e-9, 5)[:, None]
    radius = np.array([4e-6, 8e-6, 16e-6])
    assert cg.power_coupling_from_gap(gap, radius).shape == (5, 3)
    with pytest.raises(ValueError):
        cg.power_coupling_from_gap(np.ones(3) * 1e-7, np.ones(4) * 1e-5)
