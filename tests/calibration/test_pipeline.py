"""End to end: calibration brings a fabricated chip's weights to the driver's limit."""

from __future__ import annotations

import numpy as np

from photonic_dfa.architecture.fabricated import evaluation_truth
from photonic_dfa.calibration.drift import recalibrate_drift
from photonic_dfa.calibration.evaluation import evaluate_stages, random_targets
from photonic_dfa.calibration.metrics import weight_error_figures
from photonic_dfa.calibration.refinement import refine_closed_loop


def quantisation_floor(chip, full_range: float) -> float:
    """RMS weight error of the driver's rounding alone: a step's weight change at the
    curves' steepest (a generous bound) over sqrt(12)."""
    d = chip.design
    steepest = 2.0 * 0.65 / (d.linewidth_power / 2)  # |dw/dP| of a Lorentzian of swing 2
    return steepest * d.heater_lsb / np.sqrt(12.0)


def test_final_error_is_below_threshold(quiet_chip_result):
    chip, result = quiet_chip_result
    assert result.working.all()
    t = random_targets(result, np.random.default_rng(0))
    truth = evaluation_truth(chip)
    full = 2.0 * result.symmetric_weight_range
    lookup = weight_error_figures(truth.weights(result.heater_powers_for(t)), t, full)
    resonance = weight_error_figures(
        truth.weights(result.heater_powers_for(t, stage="resonance")), t, full)
    design, _ = chip.design.design_bank.heater_powers_for_weights(t, clip=True)
    uncal = weight_error_figures(truth.weights(design), t, full)
    assert lookup["bits"] > 8.0
    assert lookup["rms"] < 2.0 * quantisation_floor(chip, full)
    assert resonance["rms"] > 5 * lookup["rms"]  # crosstalk compensation matters
    assert uncal["rms"] > 0.3  # the uncompensated chip is nowhere near its targets
    ref = refine_closed_loop(chip, result, t)
    final = weight_error_figures(truth.weights(ref.powers), t, full)
    assert final["rms"] <= lookup["rms"] * 1.05
    assert ref.measurements == chip.n_inputs * (len(ref.history))


def test_closed_loop_repairs_a_stale_model(make_chip):
    from photonic_dfa.calibration.pipeline import calibrate

    chip = make_chip(seed=6, noise=True)
    result = calibrate(chip)
    t = random_targets(result, np.random.default_rng(1))
    chip.advance(3600.0)
    truth = evaluation_truth(chip)
    full = 2.0 * result.symmetric_weight_range
    stale = weight_error_figures(truth.weights(result.heater_powers_for(t)), t, full)
    ref = refine_closed_loop(chip, result, t, iterations=6)
    fixed = weight_error_figures(truth.weights(ref.powers), t, full)
    assert fixed["rms"] < 0.2 * stale["rms"]
    assert ref.history[-1] < ref.history[0]


def test_drift_recalibration_is_cheap_and_restores_accuracy(make_chip):
    from photonic_dfa.calibration.pipeline import calibrate

    chip = make_chip(seed=3)
    result = calibrate(chip)
    t = random_targets(result, np.random.default_rng(2))
    full = 2.0 * result.symmetric_weight_range
    before = weight_error_figures(evaluation_truth(chip).weights(
        result.heater_powers_for(t)), t, full)
    chip.advance(1800.0)
    truth = evaluation_truth(chip)
    stale = weight_error_figures(truth.weights(result.heater_powers_for(t)), t, full)
    upd = recalibrate_drift(chip, result)
    after = weight_error_figures(truth.weights(upd.result.heater_powers_for(t)), t, full)
    assert stale["rms"] > 4 * before["rms"]
    assert after["rms"] < 1.5 * before["rms"]
    assert upd.measurements <= 0.05 * result.total_measurements
    assert upd.result.measurements["drift"] == upd.measurements
    # the ambient moves all rings of a bank the same way
    assert np.all(np.sign(upd.shift) == np.sign(upd.shift[:, :1]))


def test_stage_evaluation_reports_every_stage(make_chip):
    chip = make_chip(seed=2)
    from photonic_dfa.calibration.pipeline import calibrate

    result = calibrate(chip)
    t = random_targets(result, np.random.default_rng(0))
    ev = evaluate_stages(chip, result, t, lambda p: evaluation_truth(chip).weights(p),
                         drift_seconds=600.0, advance=chip.advance)
    names = list(ev.figures)
    assert names[0].startswith("uncalibrated") and "final (closed loop)" in names
    assert "drift re-calibrated" in names
    assert ev.figures["final (closed loop)"]["bits"] > ev.figures["stage: resonance"]["bits"]
