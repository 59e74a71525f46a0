"""The core's run-time constants (offset reference, TIA gain, ADC range) are measured
through its own noisy detectors at programming time, and the input scaling is a choice."""

from __future__ import annotations

import numpy as np
import pytest

from photonic_dfa.architecture.config import ChipConfig
from photonic_dfa.architecture.core import PhotonicMVM


def _true_ref(core: PhotonicMVM) -> np.ndarray:
    """The exact current for u = 0 from the realised weights (what a real chip cannot
    know; test only)."""
    g = core._groups[0]
    n_out = g.const_i.shape[0]
    ws = g.ws_c.astype(float)
    t0 = float(core.encoder.encode(np.array([0.5]))[0])
    w = ws[:, :n_out]
    s = ws[:, n_out:] if ws.shape[1] > n_out else np.zeros_like(w)
    a = core._resp * (w + core._half_m * s) * g.pline[:, None]
    return t0 * a.sum(axis=0) + g.const_i


def test_measurement_cost_is_reported():
    cfg = ChipConfig().updated(**{"core.n_inputs": 8, "core.n_outputs": 4,
                                  "bank.measure_readings": 10})
    core = PhotonicMVM(cfg)
    info = core.program(np.random.default_rng(0).uniform(-1, 1, (9, 8)))
    # 3 row tiles; per tile: all-min + one per input (auto-range) + the reference pattern
    assert info.tiles == (3, 1)
    assert info.measurement_readings == 10 * (8 + 2) * 3 == info.measurement_symbols
    assert info.measurement_time == pytest.approx(info.measurement_symbols / 10e9)
    diff = PhotonicMVM(cfg.updated(**{"core.signed_inputs": "differential"}))
    assert diff.program(np.ones((4, 8))).measurement_readings == 10 * 9  # no reference


def test_measured_reference_converges_as_inverse_sqrt_readings():
    # shot and thermal noise on, ADC off: the reference is the average of R noisy readings
    base = ChipConfig.ideal().updated(**{"core.n_inputs": 8, "core.n_outputs": 32,
                                         "errors.shot": True, "errors.thermal": True,
                                         "errors.rin": True,
                                         "errors.modulator_extinction": True})
    w = np.random.default_rng(2).uniform(-1, 1, (32, 8))
    rms = {}
    for reads in (16, 256, 4096):
        errs = []
        for seed in range(8):
            core = PhotonicMVM(base.updated(**{"bank.measure_readings": reads,
                                               "errors.seed": seed}))
            core.program(w)
            errs.append(core._groups[0].ref - _true_ref(core))
        rms[reads] = float(np.sqrt(np.mean(np.square(errs))))
    assert rms[16] / rms[256] == pytest.approx(4.0, rel=0.2)
    assert rms[256] / rms[4096] == pytest.approx(4.0, rel=0.2)
    # noise off: the measured reference is the true one to rounding
    ideal = PhotonicMVM(ChipConfig.ideal().updated(**{"core.n_inputs": 8,
                                                      "core.n_outputs": 32}))
    ideal.program(w)
    assert np.allclose(ideal._groups[0].ref, _true_ref(ideal), rtol=1e-14, atol=0.0)


def test_input_scaling_batch_and_sample():
    w = np.random.default_rng(3).uniform(-1, 1, (5, 6))
    x = np.random.default_rng(4).standard_normal((2, 6))
    x[1] *= 1e-2  # a small sample beside a large one
    for scaling in ("batch", "sample"):  # the ideal core is exact either way
        core = PhotonicMVM(ChipConfig.ideal().updated(**{"core.input_scaling": scaling}))
        core.program(w)
        assert np.allclose(core.matvec(x), x @ w.T, rtol=0, atol=1e-12)
    # DAC rounding alone: per-sample scaling uses the full DAC range for the small sample,
    # the batch scale leaves it on a few codes
    err = {}
    for scaling in ("batch", "sample"):
        cfg = ChipConfig.ideal().updated(**{"core.input_scaling": scaling,
                                            "errors.dac_quantization": True})
        core = PhotonicMVM(cfg)
        core.program(w)
        err[scaling] = np.abs(core.matvec(x)[1] - x[1] @ w.T).max()
    assert err["batch"] > 10 * err["sample"]


def test_rebank_keeps_measured_constants():
    cfg = ChipConfig().updated(**{"core.n_inputs": 8, "core.n_outputs": 4})
    core = PhotonicMVM(cfg)
    w = np.random.default_rng(5).uniform(-1, 1, (6, 8))
    core.program(w)
    x = np.random.default_rng(6).standard_normal((3, 8))
    y0 = core.matvec(x, rng=1)
    ref = core._groups[0].ref.copy()
    assert core._banks is not None
    core.rebank(core._banks * cfg.core.n_outputs)
    np.testing.assert_array_equal(core._groups[0].ref, ref)
    np.testing.assert_allclose(core.matvec(x, rng=1), y0, rtol=0, atol=1e-12)


@pytest.mark.parametrize("extinction", [False, True])
def test_zero_input_sits_inside_a_dac_code(extinction):
    # tiny inputs of either sign round to the reference's own code: no output, no bias
    cfg = ChipConfig.ideal().updated(**{"errors.dac_quantization": True,
                                        "errors.modulator_extinction": extinction})
    core = PhotonicMVM(cfg)
    w = np.random.default_rng(7).uniform(-1, 1, (4, 16))
    core.program(w)
    x = np.zeros((3, 16))
    x[:, 0] = 1.0
    x[1, 1:] = 1e-4
    x[2, 1:] = -1e-4
    y = core.matvec(x)
    np.testing.assert_allclose(y[1], y[0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(y[2], y[0], rtol=0, atol=1e-12)
