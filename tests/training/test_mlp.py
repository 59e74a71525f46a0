"""MLP: gradients against finite differences, fast path against the plain one, SGD."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from photonic_dfa.training.feedback import Backprop
from photonic_dfa.training.mlp import (
    MLP,
    SGD,
    Workspace,
    forward,
    softmax_xent,
    weight_grads,
)


def _loss(mlp: MLP, x: np.ndarray, y: np.ndarray) -> float:
    z = mlp.logits(x)
    z = z - z.max(axis=1, keepdims=True)
    return float(np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(y)), y]))


def test_backprop_matches_finite_differences() -> None:
    rng = np.random.default_rng(1)
    mlp = MLP.init([6, 7, 5, 3], rng, init="torch", dtype=np.float64)
    x = rng.normal(size=(9, 6))
    y = rng.integers(0, 3, 9)
    loss, gw, gb = mlp.loss_and_grads(x, y, Backprop())
    assert loss == pytest.approx(_loss(mlp, x, y), rel=1e-12)
    h = 1e-6
    for params, grads in ((mlp.weights, gw), (mlp.biases, gb)):
        for p, g in zip(params, grads):
            num = np.empty_like(p)
            for i in np.ndindex(p.shape):
                old = p[i]
                p[i] = old + h
                up = _loss(mlp, x, y)
                p[i] = old - h
                down = _loss(mlp, x, y)
                p[i] = old
                num[i] = (up - down) / (2 * h)
            np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-8)


def test_float32_fast_path_matches_float64() -> None:
    rng = np.random.default_rng(2)
    m64 = MLP.init([20, 16, 12, 10], rng, dtype=np.float64)
    m32 = MLP([w.astype(np.float32) for w in m64.weights],
              [b.astype(np.float32) for b in m64.biases])
    x = rng.normal(size=(8, 20))
    y = rng.integers(0, 10, 8)
    l64, g64, _ = m64.loss_and_grads(x, y, Backprop())
    l32, g32, _ = m32.loss_and_grads(x.astype(np.float32), y, Backprop())
    assert l32 == pytest.approx(l64, rel=1e-5)
    for a, b in zip(g32, g64):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-6)


def test_partial_batch_uses_the_first_rows_only() -> None:
    rng = np.random.default_rng(3)
    mlp = MLP.init([12, 9, 10], rng)
    x = rng.normal(size=(5, 12)).astype(np.float32)
    y = rng.integers(0, 10, 5)
    ws = Workspace(mlp, 16)
    ws.hidden.fill(np.nan)  # stale rows must not leak into the result
    n = ws.load(x)
    forward(mlp, ws, n)
    loss, correct = softmax_xent(ws, y, n)
    Backprop().hidden_deltas(mlp, ws, n)
    weight_grads(mlp, ws, n)
    ref_loss, ref_w, ref_b = mlp.loss_and_grads(x, y, Backprop())
    assert loss == pytest.approx(ref_loss)
    assert correct == int(np.sum(mlp.predict(x) == y))
    for a, b in zip(ws.grad_w + ws.grad_b, ref_w + ref_b):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    with pytest.raises(ValueError, match="exceeds"):
        ws.load(np.zeros((17, 12), np.float32))


def test_sgd_momentum_follows_the_torch_convention() -> None:
    rng = np.random.default_rng(4)
    mlp = MLP.init([3, 4, 2], rng, dtype=np.float64)
    w0 = [w.copy() for w in mlp.weights]
    opt = SGD(mlp, lr=0.1, momentum=0.9)
    g1 = [rng.normal(size=w.shape) for w in mlp.weights]
    g2 = [rng.normal(size=w.shape) for w in mlp.weights]
    zb = [np.zeros_like(b) for b in mlp.biases]
    opt.step(mlp, g1, zb)
    opt.step(mlp, g2, zb)
    for w, a, b, w_ in zip(mlp.weights, g1, g2, w0):
        buf1 = a
        buf2 = 0.9 * buf1 + b
        np.testing.assert_allclose(w, w_ - 0.1 * buf1 - 0.1 * buf2, rtol=1e-12)
    with pytest.raises(ValueError, match="momentum"):
        SGD(mlp, momentum=1.0)
    with pytest.raises(ValueError, match="lr"):
        SGD(mlp, lr=0.0)


@pytest.mark.parametrize("init", ["he", "glorot", "torch"])
def test_init_ranges_and_seed(init: str) -> None:
    a = MLP.init([50, 40, 10], 7, init=init)
    b = MLP.init([50, 40, 10], 7, init=init)
    assert a.sizes == (50, 40, 10) and a.dtype == np.float32
    for wa, wb in zip(a.weights, b.weights):
        np.testing.assert_array_equal(wa, wb)
    fan_in, fan_out = 50, 40
    limit = {"he": np.sqrt(6 / fan_in), "glorot": np.sqrt(6 / (fan_in + fan_out)),
             "torch": 1 / np.sqrt(fan_in)}[init]
    w = a.weights[0]
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.9 * limit
    # uniform on [-l, l): variance l^2 / 3
    assert w.var() == pytest.approx(limit**2 / 3, rel=0.1)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="init"):
        MLP.init([4, 2], 0, init="xavier")
    with pytest.raises(ValueError, match="sizes"):
        MLP.init([4], 0)
    with pytest.raises(ValueError, match="sizes\\[1\\]"):
        MLP.init([4, 0, 2], 0)
    with pytest.raises(ValueError, match="fan_in"):
        MLP([np.zeros((3, 4)), np.zeros((5, 2))], [np.zeros(4), np.zeros(2)])
    with pytest.raises(ValueError, match="dtype"):
        MLP([np.zeros((3, 4), np.int64)], [np.zeros(4, np.int64)])


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 12), st.integers(2, 10), st.floats(-50, 50), st.integers(0, 2**32 - 1))
def test_softmax_error_is_a_probability_difference(n: int, k: int, shift: float,
                                                   seed: int) -> None:
    rng = np.random.default_rng(seed)
    mlp = MLP.init([3, k], rng, dtype=np.float64)
    ws = Workspace(mlp, n)
    ws.logits[:] = rng.normal(scale=10, size=(n, k)) + shift
    y = rng.integers(0, k, n)
    z = ws.logits.copy()
    loss, _ = softmax_xent(ws, y, n)
    e = ws.err * n  # softmax - onehot
    assert loss >= 0 and np.isfinite(loss)
    np.testing.assert_allclose(e.sum(axis=1), 0, atol=1e-12)
    assert np.all(e[np.arange(n), y] <= 0) and np.all(e >= -1 - 1e-12)
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    assert loss == pytest.approx(float(np.mean(-np.log(p[np.arange(n), y]))), rel=1e-9,
                                 abs=1e-12)


def test_fused_blas_update_matches_the_numpy_path() -> None:
    from photonic_dfa.training import _blas

    if not _blas.AVAILABLE:
        pytest.skip("numpy's bundled OpenBLAS is not reachable here: numpy path only")
    rng = np.random.default_rng(5)
    base = MLP.init([40, 24, 16, 10], rng)
    x = rng.normal(size=(13, 40)).astype(np.float32)
    y = rng.integers(0, 10, 13)
    after = {}
    for fused in (False, True):
        mlp = base.copy()
        opt = SGD(mlp, lr=0.05, momentum=0.9)
        ws = Workspace(mlp, 16)  # 13 of 16 rows: strided, partial views
        for _ in range(3):
            n = ws.load(x)
            forward(mlp, ws, n)
            softmax_xent(ws, y, n)
            Backprop().hidden_deltas(mlp, ws, n)
            opt.update(mlp, ws, n, fused=fused)
        after[fused] = mlp.weights + mlp.biases + opt.buf_w + opt.buf_b
    for a, b in zip(after[False], after[True]):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=1e-6)


def test_blas_helpers_on_strided_views() -> None:
    from photonic_dfa.training import _blas

    if not _blas.AVAILABLE:
        pytest.skip("numpy's bundled OpenBLAS is not reachable here")
    rng = np.random.default_rng(6)
    wide = rng.random((7, 30), dtype=np.float32)
    a, b = wide[:, 2:9], wide[:, 12:25]
    c = rng.random((7, 13), dtype=np.float32)
    want = a.T.astype(np.float64) @ b + 0.9 * c
    _blas.gemm_tn_acc(a, b, c, 0.9)
    np.testing.assert_allclose(c, want, rtol=1e-5)
    with pytest.raises(ValueError, match="float32"):
        _blas.gemm_tn_acc(a.astype(np.float64), b, c, 0.9)
    with pytest.raises(ValueError, match="float32"):
        _blas.axpy(1.0, c, c.T)
