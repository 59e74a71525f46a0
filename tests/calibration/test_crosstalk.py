"""Thermal crosstalk estimate against the truth, and its compensation."""

from __future__ import annotations

import numpy as np
import pytest

from photonic_dfa.calibration.crosstalk import (
    equivalent_powers,
    estimate_crosstalk,
    powers_for_equivalent,
)
from photonic_dfa.calibration.resonance_search import find_resonances


@pytest.mark.parametrize("noise", [False, True])
def test_crosstalk_estimate_is_close_to_truth(make_chip, true_c, noise):
    chip = make_chip(seed=4, noise=noise)
    fit = find_resonances(chip)
    est = estimate_crosstalk(chip, fit)
    truth = true_c(chip)
    off = ~np.eye(chip.n_inputs, dtype=bool)
    err = np.abs(est.matrix - truth)[:, off]
    # absolute error: well below the nearest-neighbour coupling (~4e-2)
    assert err.max() < (2e-3 if noise else 2e-4)
    nn = np.abs(np.arange(4)[:, None] - np.arange(4)[None, :]) == 1
    rel = (np.abs(est.matrix - truth) / truth)[:, nn]
    assert rel.max() < (0.05 if noise else 0.01)
    np.testing.assert_array_equal(np.diagonal(est.matrix, axis1=1, axis2=2), 1.0)
    assert est.measurements > 0


def test_max_distance_skips_far_pairs(make_chip):
    chip = make_chip(seed=4)
    fit = find_resonances(chip)
    full = estimate_crosstalk(chip, fit)
    near = estimate_crosstalk(chip, fit, max_distance=1)
    assert near.measurements < full.measurements
    far = np.abs(np.arange(4)[:, None] - np.arange(4)[None, :]) > 1
    assert np.all(near.matrix[:, far] == 0.0)


def test_compensation_inverts_the_crosstalk():
    rng = np.random.default_rng(0)
    m, n = 3, 5
    c = np.eye(n) + 0.05 * rng.uniform(0, 1, (m, n, n)) * (1 - np.eye(n))
    p = rng.uniform(0, 0.02, (7, m, n))
    u = equivalent_powers(c, p)
    np.testing.assert_allclose(powers_for_equivalent(c, u), p, atol=1e-15)
    # held rings keep their power and still heat the others
    free = rng.uniform(size=(m, n)) > 0.3
    fixed = rng.uniform(0, 0.02, (m, n))
    p2 = np.where(free, p[0], fixed)
    out = powers_for_equivalent(c, equivalent_powers(c, p2), free=free, fixed=fixed)
    np.testing.assert_allclose(out, p2, atol=1e-15)
