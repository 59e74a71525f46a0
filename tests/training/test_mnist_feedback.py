"""Feedback strategies: DFA formulae, the Gaussian error model, the chip protocol, alignment."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from photonic_dfa.architecture.digital import AuthorsErrorModel, DigitalCore
from photonic_dfa.training import feedback as fbm
from photonic_dfa.training.feedback import (
    DFA,
    Backprop,
    ChipFeedback,
    GaussianDFA,
    PhotonicUnavailableError,
    make_feedback,
    random_feedback_matrices,
)
from photonic_dfa.training.mlp import MLP, SGD, Workspace, forward, softmax_xent, weight_grads

SIZES = [30, 24, 16, 10]


def _batch(seed: int = 0, n: int = 12):
    rng = np.random.default_rng(seed)
    mlp = MLP.init(SIZES, rng)
    x = rng.normal(size=(n, SIZES[0])).astype(np.float32)
    y = rng.integers(0, 10, n)
    ws = Workspace(mlp, n)
    ws.load(x)
    forward(mlp, ws, n)
    softmax_xent(ws, y, n)
    return rng, mlp, ws, x, y


def _reference_dfa(mlp: MLP, ws: Workspace, mats, n: int) -> list[np.ndarray]:
    """delta_l = (e B_l / sqrt(n_l)) * f'(a_l), layer by layer, in float64."""
    e = ws.err[:n].astype(np.float64)
    out = []
    for l, b in enumerate(mats):
        h = ws.h[l][:n]
        out.append((e @ b.astype(np.float64)) / np.sqrt(b.shape[1]) * (h > 0))
    return out


def test_dfa_is_e_times_b_over_sqrt_width_gated() -> None:
    rng, mlp, ws, _, _ = _batch()
    mats = random_feedback_matrices(10, mlp.hidden_sizes, rng)
    for b, w in zip(mats, mlp.hidden_sizes):
        assert b.shape == (10, w) and b.min() >= -1 and b.max() < 1
    DFA(mats).hidden_deltas(mlp, ws, 12)
    for got, ref in zip(ws.d, _reference_dfa(mlp, ws, mats, 12)):
        np.testing.assert_allclose(got[:12], ref, rtol=1e-5, atol=1e-9)


def test_gaussian_without_error_is_dfa_and_is_reproducible() -> None:
    rng, mlp, ws, _, _ = _batch(1)
    mats = random_feedback_matrices(10, mlp.hidden_sizes, rng)
    DFA(mats).hidden_deltas(mlp, ws, 12)
    dfa = ws.delta.copy()
    exact = GaussianDFA(mats, np.random.default_rng(5), AuthorsErrorModel(0.0, 0.0))
    exact.hidden_deltas(mlp, ws, 12)
    np.testing.assert_array_equal(ws.delta, dfa)
    runs = []
    for _ in range(2):
        GaussianDFA(mats, np.random.default_rng(5)).hidden_deltas(mlp, ws, 12)
        runs.append(ws.delta.copy())
    np.testing.assert_array_equal(*runs)
    assert not np.array_equal(runs[0], dfa)


def test_gaussian_noise_has_the_authors_statistics() -> None:
    """(delta - delta_dfa) sqrt(n_l) / max|e| ~ N(0.03, 0.618) where the ReLU is on."""
    rng = np.random.default_rng(2)
    mlp = MLP.init([5, 400, 10], rng)
    mlp.biases[0][:] = 50.0  # every unit active: the gate passes everything
    n = 256
    ws = Workspace(mlp, n)
    ws.load(rng.normal(size=(n, 5)).astype(np.float32))
    forward(mlp, ws, n)
    softmax_xent(ws, rng.integers(0, 10, n), n)
    mats = random_feedback_matrices(10, mlp.hidden_sizes, rng)
    DFA(mats).hidden_deltas(mlp, ws, n)
    clean = ws.delta.astype(np.float64)
    model = GaussianDFA(mats, np.random.default_rng(9))
    model.hidden_deltas(mlp, ws, n)
    z = (ws.delta - clean) * np.sqrt(400) / np.abs(ws.err).max()
    se = z.std() / np.sqrt(z.size)
    assert abs(z.mean() - model.mean) < 5 * se
    assert z.std() == pytest.approx(model.std, rel=0.02)


def test_chip_feedback_with_a_digital_core_is_dfa() -> None:
    rng, mlp, ws, _, _ = _batch(3)
    mats = random_feedback_matrices(10, mlp.hidden_sizes, rng)
    DFA(mats).hidden_deltas(mlp, ws, 12)
    dfa = ws.delta.copy()
    core = DigitalCore()
    chip = ChipFeedback(mats, core)
    assert core.matrix.shape == (sum(mlp.hidden_sizes), 10)  # stacked B, programmed once
    np.testing.assert_array_equal(core.matrix, np.concatenate(mats, axis=1).T)
    ws.delta.fill(np.nan)
    chip.hidden_deltas(mlp, ws, 12)
    np.testing.assert_allclose(ws.delta, dfa, rtol=1e-5, atol=1e-9)
    assert core.calls == 1


class _RecordingCore(DigitalCore):
    def matvec(self, x, gate=None):
        self.last = (x.copy(), None if gate is None else gate.copy())
        return super().matvec(x, gate)


def test_chip_gets_full_scale_inputs_and_the_relu_gate() -> None:
    rng, mlp, ws, _, _ = _batch(4)
    core = _RecordingCore()
    ChipFeedback(random_feedback_matrices(10, mlp.hidden_sizes, rng), core).hidden_deltas(
        mlp, ws, 12)
    x, gate = core.last
    assert np.abs(x).max() == pytest.approx(1.0)
    assert gate.dtype == bool and gate.shape == (12, sum(mlp.hidden_sizes))
    np.testing.assert_array_equal(gate, ws.hidden[:12] > 0)
    with pytest.raises(ValueError, match="program"):
        ChipFeedback(random_feedback_matrices(10, mlp.hidden_sizes, rng), object())


def test_chip_inputs_stay_finite_when_the_errors_are_float32_denormals() -> None:
    # a saturated network's errors can be ~1e-39: 1 / max|e| overflows float32
    rng, mlp, ws, _, _ = _batch(5)
    ws.err[:12] *= np.float32(1e-39) / np.abs(ws.err[:12]).max()
    assert 0 < np.abs(ws.err[:12]).max() < np.finfo(np.float32).tiny
    core = _RecordingCore()
    ChipFeedback(random_feedback_matrices(10, mlp.hidden_sizes, rng), core).hidden_deltas(
        mlp, ws, 12)
    x, _ = core.last
    assert np.isfinite(x).all() and np.abs(x).max() == pytest.approx(1.0)
    assert np.isfinite(ws.delta[:12]).all()


def test_backprop_feedback_needs_no_matrices_and_checks_checkpoint_names() -> None:
    bp = Backprop()
    arrays, meta = bp.state()
    assert arrays == {} and meta["name"] == "backprop"
    with pytest.raises(ValueError, match="dfa"):
        bp.load_state({}, {"name": "dfa"})


def test_make_feedback_draws_the_same_b_in_every_dfa_mode() -> None:
    mlp = MLP.init(SIZES, 0)
    made = {name: make_feedback(name, mlp, np.random.default_rng(7), core=DigitalCore())
            for name in ("dfa", "gaussian", "photonic")}
    for name in ("gaussian", "photonic"):
        for a, b in zip(made["dfa"].matrices, made[name].matrices):
            np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="feedback must be one of"):
        make_feedback("feedforward", mlp, np.random.default_rng(0))
    with pytest.raises(ValueError, match="hidden layer"):
        make_feedback("dfa", MLP.init([30, 10], 0), np.random.default_rng(0))


def test_photonic_without_the_chip_layer_is_a_clear_error(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "photonic_dfa.architecture.core", None)
    ok, why = fbm.photonic_available()
    assert not ok and "photonic feedback needs photonic_dfa.architecture" in why
    with pytest.raises(PhotonicUnavailableError, match="needs photonic_dfa.architecture"):
        make_feedback("photonic", MLP.init(SIZES, 0), np.random.default_rng(0))


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a.ravel() @ b.ravel() / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_dfa_updates_align_with_backprop_after_short_training() -> None:
    """Alignment (Lillicrap 2016, Noekland 2016): W_L comes to resemble B^T, and the DFA
    update of every hidden layer points within 90 degrees of the true gradient."""
    rng = np.random.default_rng(0)
    n, d = 512, 30
    centers = rng.normal(size=(10, d)) * 2
    y = rng.integers(0, 10, n)
    x = (centers[y] + rng.normal(size=(n, d))).astype(np.float32)
    mlp = MLP.init([d, 64, 64, 10], rng)
    dfa = make_feedback("dfa", mlp, rng)
    opt = SGD(mlp, lr=0.05, momentum=0.9)
    ws = Workspace(mlp, 32)
    for _epoch in range(3):
        for s in range(0, n, 32):
            idx = np.arange(s, s + 32)
            k = ws.load(x, idx)
            forward(mlp, ws, k)
            softmax_xent(ws, y[idx], k)
            dfa.hidden_deltas(mlp, ws, k)
            weight_grads(mlp, ws, k)
            opt.step(mlp, ws.grad_w, ws.grad_b)
    _, g_dfa, _ = mlp.loss_and_grads(x[:256], y[:256], dfa)
    _, g_bp, _ = mlp.loss_and_grads(x[:256], y[:256], Backprop())
    for l in range(2):
        cos = _cos(g_dfa[l], g_bp[l])
        print(f"layer {l}: cos {cos:.3f}")
        assert cos > 0.0, f"layer {l} not aligned"
    np.testing.assert_array_equal(g_dfa[2], g_bp[2])  # the output layer sees the true error


def test_photonic_feedback_on_the_ideal_simulated_chip_is_dfa() -> None:
    ok, why = fbm.photonic_available()
    if not ok:
        pytest.skip(why)
    rng, mlp, ws, _, _ = _batch(6)
    mats = random_feedback_matrices(10, mlp.hidden_sizes, rng)
    DFA(mats).hidden_deltas(mlp, ws, 12)
    dfa = ws.delta.copy()
    chip = fbm.make_photonic_feedback(mats, {"ideal": True}, np.random.default_rng(0))
    chip.hidden_deltas(mlp, ws, 12)
    np.testing.assert_allclose(ws.delta, dfa, rtol=1e-4, atol=1e-7)
    for options in ({"design": True}, {}):  # the design chip; a fabricated, calibrated one
        noisy = fbm.make_photonic_feedback(mats, options, np.random.default_rng(0))
        noisy.hidden_deltas(mlp, ws, 12)
        assert not np.allclose(ws.delta, dfa, rtol=1e-4, atol=1e-7)
        assert _cos(ws.delta, dfa) > 0.5  # noisy, but the same direction
    from photonic_dfa.calibration.calibrated_core import CalibratedCore

    assert isinstance(noisy.core, CalibratedCore)
    assert noisy.core.result.total_measurements > 0
