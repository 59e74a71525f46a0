"""Resonance search and fit against the hidden truth of small fabricated chips."""

from __future__ import annotations

import math

import numpy as np
import pytest

from photonic_dfa.architecture.fabricated import evaluation_truth
from photonic_dfa.calibration.resonance_search import find_resonances


def true_resonance_power(chip, j: int, k: int, context: np.ndarray) -> float:
    """Heater power putting ring (j, k) exactly on channel k with the others at
    ``context`` (first mode reachable by heating)."""
    tr = evaluation_truth(chip)
    bank = tr.banks[j]
    ring = bank.rings[k]
    lam = bank.channel_wavelengths[k]
    length = ring.length
    off = (ring.n_g - ring.n_eff) * length / ring.wavelength0
    m0 = ring.n_g * length / lam - off  # phase in cycles at zero temperature
    kmat = bank.thermal_matrix
    others = float(kmat[k] @ context - kmat[k, k] * context[k]) + bank.ambient_delta_t
    # smallest temperature >= the others' heat at which some mode sits on lam
    m = math.floor(m0) + 1
    while True:
        t_star = (lam * (m + off) / length - ring.n_g) / ring.dn_dT
        if t_star >= others:
            break
        m += 1
    return (t_star - others) / kmat[k, k]


def true_half_width(chip, j: int, k: int) -> float:
    """The ring's half width at half maximum in its own heater's power."""
    bank = evaluation_truth(chip).banks[j]
    ring, lam = bank.rings[k], bank.channel_wavelengths[k]
    kelvin = ring.fwhm(lam) * ring.n_g / (lam * ring.dn_dT)
    return 0.5 * kelvin / bank.thermal_matrix[k, k]


def test_fit_recovers_the_true_resonances(make_chip):
    chip = make_chip(seed=5)
    fit = find_resonances(chip)
    assert fit.found.all()
    assert fit.measurements == chip.measurement_count
    lw = chip.design.linewidth_power / 2
    for j in range(chip.n_outputs):
        for k in range(chip.n_inputs):
            p = true_resonance_power(chip, j, k, fit.context[j])
            # the neighbours' optical tails pull the weight maximum a little off the
            # ring's own resonance: a few hundredths of a half width
            assert abs(fit.p0[j, k] - p) < 0.03 * lw, (j, k)
            assert fit.gamma[j, k] == pytest.approx(true_half_width(chip, j, k), rel=0.03)
            assert fit.p0_stderr[j, k] < 1e-3 * lw


def test_fit_with_detector_noise_is_within_its_error(make_chip):
    chip = make_chip(seed=5, noise=True)
    fit = find_resonances(chip)
    assert fit.found.all()
    lw = chip.design.linewidth_power / 2
    truth = np.array([[true_resonance_power(chip, j, k, fit.context[j])
                       for k in range(chip.n_inputs)] for j in range(chip.n_outputs)])
    assert np.all(np.abs(fit.p0 - truth) < 0.03 * lw + 6 * fit.p0_stderr)


@pytest.mark.parametrize("seed", [2, 7])
def test_faulty_rings_are_not_found_and_named(seed, make_chip):
    chip = make_chip(seed=seed, dead_heaters=1, unreachable_rings=1)
    fit = find_resonances(chip)
    tr = evaluation_truth(chip)
    faulty = set(map(tuple, np.argwhere(tr.dead_heaters | tr.unreachable_rings).tolist()))
    assert faulty <= set(fit.not_found)
    assert np.all(np.isnan(fit.p0[~fit.found]))
