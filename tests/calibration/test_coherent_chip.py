"""The whole calibration on the default, coherent (``exact`` solver) fabricated chip."""

from __future__ import annotations

import numpy as np

from photonic_dfa.architecture.fabricated import FabricationSpec, evaluation_truth
from photonic_dfa.calibration.evaluation import random_targets
from photonic_dfa.calibration.metrics import weight_error_figures
from photonic_dfa.calibration.pipeline import calibrate
from photonic_dfa.calibration.refinement import refine_closed_loop


def test_default_fabricated_chip_is_coherent(make_chip):
    chip = make_chip(seed=2, solver="exact")
    assert FabricationSpec().solver == "exact"
    assert chip.config.bank.solver == "exact"


def test_closed_loop_reaches_six_bits_on_a_coherent_chip(make_chip):
    chip = make_chip(seed=2, solver="exact")
    result = calibrate(chip)
    assert result.working.all()
    t = random_targets(result, np.random.default_rng(0))
    truth = evaluation_truth(chip)
    full = 2.0 * result.symmetric_weight_range
    lookup = weight_error_figures(truth.weights(result.heater_powers_for(t)), t, full)
    ref = refine_closed_loop(chip, result, t)
    final = weight_error_figures(truth.weights(ref.powers), t, full)
    design, _ = chip.design.design_bank.heater_powers_for_weights(t, clip=True)
    uncal = weight_error_figures(truth.weights(design), t, full)
    assert uncal["bits"] < 0.0
    assert final["rms"] < lookup["rms"]  # interference the isolated fits miss, the loop fixes
    assert final["bits"] >= 6.0, final
