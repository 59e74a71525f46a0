"""PhotonicMVM: exactness when ideal, each noise source against the detector model,
bad input, determinism."""

from __future__ import annotations

import warnings
from dataclasses import fields

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from photonic_dfa.architecture.config import ChipConfig, ErrorConfig
from photonic_dfa.architecture.core import PhotonicMVM

SMALL = {"core.n_inputs": 4, "core.n_outputs": 3}


def _bound(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Backward-stable bound: (|W| 1) max|x| per element."""
    return np.abs(w).sum(axis=1)[None, :] * np.abs(x).max(axis=1)[:, None]


@settings(max_examples=60, deadline=None)
@given(n_out=st.integers(1, 9), n_in=st.integers(1, 11), batch=st.integers(1, 5),
       mode=st.sampled_from(["offset", "differential"]), seed=st.integers(0, 2**31),
       mag=st.floats(1e-6, 1e6), acc=st.sampled_from(["integrate", "digitize"]))
def test_ideal_core_is_exact(n_out, n_in, batch, mode, seed, mag, acc):
    rng = np.random.default_rng(seed)
    core = PhotonicMVM(ChipConfig.ideal().updated(**SMALL, **{"core.signed_inputs": mode,
                                                              "core.accumulation": acc}))
    w = rng.uniform(-1, 1, (n_out, n_in)) * mag
    x = rng.standard_normal((batch, n_in)) / mag
    core.program(w)
    y = core.matvec(x)
    assert y.shape == (batch, n_out)
    assert np.all(np.abs(y - x @ w.T) <= 1e-10 * _bound(w, x) + 1e-300)


def test_ideal_tiling_and_gating():
    rng = np.random.default_rng(3)
    core = PhotonicMVM(ChipConfig.ideal().updated(**SMALL))
    w = rng.uniform(-1, 1, (10, 9))
    x = rng.standard_normal((6, 9))
    info = core.program(w)
    assert info.tiles == (4, 3)
    gate = rng.random((6, 10)) > 0.5
    y = core.matvec(x, gate=gate)
    ref = np.where(gate, x @ w.T, 0.0)
    assert np.all(np.abs(y - ref) <= 1e-10 * _bound(w, x))
    assert np.all(y[~gate] == 0.0)
    # one vector in, one vector out
    assert np.allclose(core.matvec(x[0]), y[0] if gate[0].all() else x[0] @ w.T)


# rin_per_slot refines rin (tested with it: test_rin_is_independent_between_row_tiles)
_SOURCES = [f.name for f in fields(ErrorConfig) if f.name not in ("seed", "rin_per_slot")]


@pytest.mark.parametrize("source", _SOURCES)
def test_each_source_alone_changes_output(source):
    cfg = ChipConfig.ideal().updated(**SMALL, **{f"errors.{source}": True})
    if source in ("thermal_crosstalk", "heater_quantization"):
        cfg = cfg.updated(**{"errors.weight_bank": True})
    rng = np.random.default_rng(0)
    w = rng.uniform(-1, 1, (5, 6))
    x = rng.standard_normal((8, 6))
    core = PhotonicMVM(cfg)
    core.program(w)
    y = core.matvec(x)
    ideal = PhotonicMVM(ChipConfig.ideal().updated(**SMALL))
    ideal.program(w)
    base = ideal.matvec(x)
    change = np.max(np.abs(y - base)) / np.max(np.abs(base))
    if source == "thermal_crosstalk":
        # the design inverse compensates crosstalk exactly, with other heater powers
        plain = PhotonicMVM(cfg.updated(**{"errors.thermal_crosstalk": False}))
        plain.program(w)
        assert core._banks[0].crosstalk is not None and plain._banks[0].crosstalk is None
        assert np.max(np.abs(core.heater_powers / plain.heater_powers - 1.0)) > 0.01
        assert change < 1e-6
    elif source == "weight_bank":
        # the design inverse reaches the targets to its tolerance (1e-9)
        assert 0.0 < core.info.weight_max_error <= 1e-8 and change > 0.0
    elif source == "modulator_extinction":
        # finite extinction alone is undone exactly (offset cancels, gain is digital) ...
        assert change < 1e-12
        # ... but it shrinks the swing, so the same receiver noise weighs more
        def err(c):
            m = PhotonicMVM(c)
            m.program(w)
            return np.std(m.matvec(np.repeat(x, 200, axis=0), rng=3)
                          - np.repeat(base, 200, axis=0))
        assert err(cfg.updated(**{"errors.thermal": True})) > 1.5 * err(
            cfg.updated(**{"errors.thermal": True, "errors.modulator_extinction": False}))
    else:
        assert change > 1e-6


@pytest.mark.parametrize("source", ["shot", "thermal", "rin"])
@pytest.mark.parametrize("mode", ["offset", "differential"])
@pytest.mark.parametrize(("acc", "n_in"), [("digitize", 8), ("digitize", 20),
                                           ("integrate", 20)])
def test_noise_std_matches_detector_model(source, mode, acc, n_in):
    # n_in = 20 on 8 channels: three column-block passes, converted per pass (digitize) or
    # once after integrating them (integrate); the variances add either way
    cfg = ChipConfig.ideal().updated(**{"core.n_inputs": 8, "core.n_outputs": 4,
                                        "core.signed_inputs": mode,
                                        "core.accumulation": acc,
                                        f"errors.{source}": True,
                                        "errors.modulator_extinction": True})
    if source == "rin":
        cfg = cfg.updated(**{"laser.rin_db_per_hz": -120.0})
    rng = np.random.default_rng(1)
    w = rng.uniform(-1, 1, (4, n_in))
    x = np.repeat(rng.standard_normal((1, n_in)), 4000, axis=0)
    core = PhotonicMVM(cfg)
    core.program(w)
    y = core.matvec(x, rng=7)
    measured = y.std(axis=0)
    analytic = core.analytic_noise_std(x[:1])[0]
    assert np.all(np.abs(measured / analytic - 1.0) < 0.1), (measured, analytic)
    # the mean is still W x, to the measured reference's error (reading noise at u = 0,
    # at most about twice the noise at x, over sqrt(bank.measure_readings))
    tol = 5 * analytic.max() * np.sqrt(1 / 4000 + 4 / cfg.bank.measure_readings)
    assert np.allclose(y.mean(axis=0), x[0] @ w.T, atol=tol)


def test_rin_is_correlated_across_banks():
    cfg = ChipConfig.ideal().updated(**{"core.n_inputs": 4, "core.n_outputs": 2,
                                        "errors.rin": True, "laser.rin_db_per_hz": -110.0})
    core = PhotonicMVM(cfg)
    core.program(np.array([[1.0, 0.5, -0.2, 0.1], [1.0, 0.5, -0.2, 0.1]]))
    x = np.tile([1.0, -0.3, 0.7, 0.2], (3000, 1))
    y = core.matvec(x, rng=1)
    assert np.corrcoef(y.T)[0, 1] > 0.99  # same light, same intensity noise


@pytest.mark.parametrize("mode", ["offset", "differential"])
def test_rin_is_independent_between_row_tiles(mode):
    # four identical rows on two banks: rows 0-1 share a time slot (and its RIN), rows 2-3
    # are the second row tile, computed in another slot with its own intensity noise
    cfg = ChipConfig.ideal().updated(**{"core.n_inputs": 4, "core.n_outputs": 2,
                                        "core.signed_inputs": mode,
                                        "errors.rin": True, "errors.rin_per_slot": True,
                                        "laser.rin_db_per_hz": -110.0})
    core = PhotonicMVM(cfg)
    core.program(np.tile([1.0, 0.5, -0.2, 0.1], (4, 1)))
    x = np.tile([1.0, -0.3, 0.7, 0.2], (4000, 1))
    y = core.matvec(x, rng=1)
    c = np.corrcoef(y.T)
    assert c[0, 1] > 0.99 and c[2, 3] > 0.99
    assert abs(c[0, 2]) < 0.1 and abs(c[1, 3]) < 0.1  # 4000 samples: |r| ~ 0.016
    # each tile's noise is still the detector model's
    analytic = core.analytic_noise_std(x[:1])[0]
    assert np.all(np.abs(y.std(axis=0) / analytic - 1.0) < 0.1)
    # by default one draw per sample serves both row tiles
    shared = PhotonicMVM(cfg.updated(**{"errors.rin_per_slot": False}))
    shared.program(np.tile([1.0, 0.5, -0.2, 0.1], (4, 1)))
    assert np.corrcoef(shared.matvec(x, rng=1).T)[0, 2] > 0.99


def test_default_chip_runs_and_counts():
    rng = np.random.default_rng(2)
    core = PhotonicMVM(ChipConfig().updated(**{"core.n_inputs": 8, "core.n_outputs": 8}))
    b = rng.uniform(-1, 1, (20, 10))
    info = core.program(b)
    assert info.tiles == (3, 2) and info.n_clipped == 0
    assert 0 < info.weight_rms_error < 0.05
    e = rng.standard_normal((16, 10))
    y = core.matvec(e)
    ref = e @ b.T
    rel = np.std(y - ref) / np.abs(ref).max()
    assert 1e-4 < rel < 0.2
    assert core.adc_clipped == 0  # auto-ranged ADC never saturates without noise excursions


def test_determinism_by_seed():
    cfg = ChipConfig().updated(**SMALL)
    rng = np.random.default_rng(5)
    w = rng.uniform(-1, 1, (4, 5))
    x = rng.standard_normal((7, 5))
    a, b = PhotonicMVM(cfg), PhotonicMVM(cfg)
    a.program(w)
    b.program(w)
    ya1, ya2 = a.matvec(x), a.matvec(x)
    yb1 = b.matvec(x)
    assert np.array_equal(ya1, yb1)  # same config seed, same stream
    assert not np.array_equal(ya1, ya2)  # the generator advances
    assert np.array_equal(a.matvec(x, rng=11), b.matvec(x, rng=np.random.default_rng(11)))
    c = PhotonicMVM(cfg.updated(**{"errors.seed": 1}))
    c.program(w)
    assert not np.array_equal(c.matvec(x), yb1)


@pytest.mark.parametrize("mode", ["offset", "differential"])
@pytest.mark.parametrize("gated", [False, True])
@pytest.mark.parametrize("bits", [8, 20])  # float32 row; double-precision row
def test_result_does_not_depend_on_thread_count(mode, gated, bits):
    # enough outputs that the detection kernel splits the batch over threads
    cfg = ChipConfig().updated(**{"core.signed_inputs": mode, "adc.bits": bits})
    rng = np.random.default_rng(8)
    w = rng.uniform(-1, 1, (300, 10))
    x = rng.standard_normal((71, 10))  # odd: one sample left unpaired
    gate = rng.random((71, 300)) < 0.5 if gated else None
    core = PhotonicMVM(cfg)
    core.program(w)
    ys = []
    for threads in (1, 2, 3):
        core.threads = threads
        ys.append(core.matvec(x, gate=gate, rng=3))
    assert np.array_equal(ys[0], ys[1]) and np.array_equal(ys[0], ys[2])
    ref = x @ w.T
    if gated:
        assert np.all(ys[0][~gate] == 0.0)
        ref = np.where(gate, ref, 0.0)
    # 0.040 with each sample scaled to full range (the default); 0.066 with one scale for
    # the batch (samples below the batch's max use part of the modulators' range)
    assert np.std(ys[0] - ref) / np.abs(x @ w.T).max() < 0.05


def test_bad_input():
    core = PhotonicMVM(ChipConfig.ideal().updated(**SMALL))
    with pytest.raises(RuntimeError, match="not programmed"):
        core.matvec(np.ones((2, 3)))
    with pytest.raises(ValueError, match="weights"):
        core.program(np.array([[1.0, np.nan]]))
    with pytest.raises(ValueError, match="dimension"):
        core.program(np.ones(3))
    core.program(np.ones((2, 3)))
    with pytest.raises(ValueError, match="shape"):
        core.matvec(np.ones((2, 4)))
    with pytest.raises(ValueError, match="finite"):
        core.matvec(np.array([[1.0, np.inf, 0.0]]))
    with pytest.raises(ValueError, match="gate"):
        core.matvec(np.ones((2, 3)), gate=np.ones((2, 5), bool))
    with pytest.raises(ValueError, match="boolean"):
        core.matvec(np.ones((2, 3)), gate=np.ones((2, 2)))
    with pytest.raises(ValueError, match="scale"):
        core.program(np.ones((2, 3)), scale=-1.0)
    with pytest.raises(ValueError, match="heater_powers"):
        core.program(np.ones((2, 3)), heater_powers=np.zeros((3, 4)))
    with pytest.raises(ValueError, match="banks"):
        PhotonicMVM(ChipConfig.ideal(), banks=[])
    for bad in (0, -1, 1.5, "2", True):
        with pytest.raises(ValueError, match="threads"):
            PhotonicMVM(ChipConfig.ideal(), threads=bad)
        with pytest.raises(ValueError, match="threads"):
            core.threads = bad


def test_out_of_range_targets_clip_with_warning_or_raise():
    core = PhotonicMVM(ChipConfig.ideal().updated(**SMALL))
    w = np.array([[0.5, 3.0, -2.0]])
    with pytest.raises(ValueError, match="exceed"):
        core.program(w, scale=1.0, clip=False)
    with pytest.warns(RuntimeWarning, match="2 weight"):
        info = core.program(w, scale=1.0)
    assert info.n_clipped == 2
    lim = core.weight_limit
    assert np.allclose(core.realised, np.clip(w, -lim, lim))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert core.program(w).n_clipped == 0  # auto scale never clips


def test_heater_power_hook_matches_design_inverse():
    cfg = ChipConfig.ideal().updated(**{"core.n_inputs": 4, "core.n_outputs": 2,
                                        "errors.weight_bank": True})
    rng = np.random.default_rng(4)
    w = rng.uniform(-1, 1, (2, 4))
    a = PhotonicMVM(cfg)
    a.program(w)
    seen = {}

    def hook(tiles):
        seen["shape"] = tiles.shape
        return a.heater_powers

    b = PhotonicMVM(cfg)
    b.program(w, heater_powers=hook)
    assert seen["shape"] == (1, 1, 2, 4)
    assert np.array_equal(a.realised, b.realised)
    c = PhotonicMVM(cfg)
    c.program(w, heater_powers=np.zeros((2, 4)))  # all heaters off: some other matrix
    assert not np.allclose(c.realised, w, atol=1e-3)


@pytest.mark.parametrize("mode", ["offset", "differential"])
def test_integrating_receiver_converts_once(mode):
    # with only ADC quantisation on, digitize rounds each of the three passes and
    # integrate their sum once, over a range three times wider: errors of the same order
    base = ChipConfig.ideal().updated(**{"core.n_inputs": 4, "core.n_outputs": 3,
                                         "core.signed_inputs": mode,
                                         "errors.adc_quantization": True})
    rng = np.random.default_rng(4)
    w = rng.uniform(-1, 1, (5, 11))
    x = rng.standard_normal((9, 11))
    ys = {}
    for acc in ("integrate", "digitize"):
        core = PhotonicMVM(base.updated(**{"core.accumulation": acc}))
        core.program(w)
        ys[acc] = core.matvec(x)
    ref = x @ w.T
    err_i = np.abs(ys["integrate"] - ref).max()
    err_d = np.abs(ys["digitize"] - ref).max()
    assert 0 < err_i and 0 < err_d
    # one rounding of the summed range vs three roundings of a third of it: comparable
    assert err_i < 3 * err_d
