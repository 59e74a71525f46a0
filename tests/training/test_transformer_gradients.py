"""Finite-difference checks (float64) of every layer's backward pass, of the whole model under
backpropagation, and of what macro and micro DFA deliver to each block."""

from __future__ import annotations

import numpy as np
import pytest

from photonic_dfa.training.lm_feedback import DFAFeedback
from photonic_dfa.training.transformer import (
    Transformer,
    TransformerConfig,
    attention_backward,
    attention_forward,
    block_forward,
    cross_entropy,
    embedding_backward,
    embedding_forward,
    layernorm_backward,
    layernorm_forward,
    mlp_backward,
    mlp_forward,
)

EPS = 1e-6
RTOL = 1e-6


def numerical_grad(f, x: np.ndarray) -> np.ndarray:
    """Central differences of the scalar ``f()`` w.r.t. every entry of ``x`` (in place)."""
    g = np.zeros_like(x)
    flat, gflat = x.reshape(-1), g.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + EPS
        up = f()
        flat[i] = old - EPS
        down = f()
        flat[i] = old
        gflat[i] = (up - down) / (2 * EPS)
    return g


def assert_close(analytic: np.ndarray, numeric: np.ndarray, name: str) -> None:
    scale = max(np.abs(numeric).max(), 1e-8)
    err = np.abs(analytic - numeric).max() / scale
    assert err < RTOL, f"{name}: relative error {err:.2e}"


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def test_embedding(rng):
    v, ctx, d, b, t = 5, 6, 4, 3, 4
    wte, wpe = rng.normal(size=(v, d)), rng.normal(size=(ctx, d))
    idx = rng.integers(0, v, size=(b, t))
    idx[0, :2] = 1  # a repeated token: the scatter-add must accumulate
    upstream = rng.normal(size=(b * t, d))
    dwte, dwpe = embedding_backward(upstream, idx, v, ctx)
    loss = lambda: float((embedding_forward(wte, wpe, idx) * upstream).sum())  # noqa: E731
    assert_close(dwte, numerical_grad(loss, wte), "wte")
    assert_close(dwpe, numerical_grad(loss, wpe), "wpe")
    assert np.all(dwpe[t:] == 0)  # positions beyond T get no gradient


def test_layernorm(rng):
    x = rng.normal(size=(7, 6)) * 3 + 1
    g, b = rng.normal(size=6), rng.normal(size=6)
    upstream = rng.normal(size=x.shape)
    _, cache = layernorm_forward(x, g, b)
    dx, dg, db = layernorm_backward(upstream, cache)
    loss = lambda: float((layernorm_forward(x, g, b)[0] * upstream).sum())  # noqa: E731
    for name, arr, ana in (("x", x, dx), ("g", g, dg), ("b", b, db)):
        assert_close(ana, numerical_grad(loss, arr), name)


def test_attention(rng):
    b, t, d, h = 2, 5, 6, 3
    x = rng.normal(size=(b * t, d))
    wqkv, bqkv = rng.normal(size=(d, 3 * d)) * 0.5, rng.normal(size=3 * d) * 0.5
    wo, bo = rng.normal(size=(d, d)) * 0.5, rng.normal(size=d)
    upstream = rng.normal(size=(b * t, d))
    _, cache = attention_forward(x, wqkv, bqkv, wo, bo, b, h)
    dx, grads = attention_backward(upstream, cache)

    def loss():
        return float((attention_forward(x, wqkv, bqkv, wo, bo, b, h)[0] * upstream).sum())

    assert_close(dx, numerical_grad(loss, x), "x")
    for name, arr in (("wqkv", wqkv), ("bqkv", bqkv), ("wo", wo), ("bo", bo)):
        assert_close(grads[name], numerical_grad(loss, arr), name)


def test_attention_is_causal(rng):
    b, t, d, h = 1, 6, 4, 2
    x = rng.normal(size=(b * t, d))
    args = (rng.normal(size=(d, 3 * d)), rng.normal(size=3 * d), rng.normal(size=(d, d)),
            rng.normal(size=d))
    out = attention_forward(x, *args, b, h)[0]
    x2 = x.copy()
    x2[4:] += rng.normal(size=(2, d))  # change the future
    out2 = attention_forward(x2, *args, b, h)[0]
    np.testing.assert_array_equal(out[:4], out2[:4])
    assert not np.allclose(out[4:], out2[4:])


def test_mlp(rng):
    n, d, f = 6, 4, 8
    x = rng.normal(size=(n, d)) * 2
    w1, b1 = rng.normal(size=(d, f)), rng.normal(size=f)
    w2, b2 = rng.normal(size=(f, d)), rng.normal(size=d)
    upstream = rng.normal(size=(n, d))
    _, cache = mlp_forward(x, w1, b1, w2, b2)
    dx, grads = mlp_backward(upstream, cache)
    loss = lambda: float((mlp_forward(x, w1, b1, w2, b2)[0] * upstream).sum())  # noqa: E731
    assert_close(dx, numerical_grad(loss, x), "x")
    for name, arr in (("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2)):
        assert_close(grads[name], numerical_grad(loss, arr), name)


def test_unembedding_and_cross_entropy(rng):
    n, d, v = 8, 5, 6
    x, w = rng.normal(size=(n, d)), rng.normal(size=(d, v))
    targets = rng.integers(0, v, size=n)
    loss_value, e = cross_entropy(x @ w, targets)
    logits = x @ w
    ref = np.mean(np.log(np.exp(logits).sum(1)) - logits[np.arange(n), targets])
    assert loss_value == pytest.approx(ref, rel=1e-12)
    np.testing.assert_allclose(e.sum(axis=1), 0.0, atol=1e-12)  # softmax - onehot
    loss = lambda: cross_entropy(x @ w, targets)[0]  # noqa: E731
    assert_close(x.T @ (e / n), numerical_grad(loss, w), "wout")
    assert_close((e / n) @ w.T, numerical_grad(loss, x), "x")


def _tiny_model(rng, n_layers=2, norm="pre"):
    cfg = TransformerConfig(vocab_size=7, context=5, d_model=8, n_layers=n_layers, n_heads=2,
                            norm=norm)
    model = Transformer(cfg, rng=rng, dtype=np.float64)
    for p in model.params.values():  # move off the symmetric initialisation
        p += rng.normal(0.0, 0.3, size=p.shape)
    idx = rng.integers(0, 7, size=(3, 4))
    targets = rng.integers(0, 7, size=(3, 4))
    return model, idx, targets


@pytest.mark.parametrize("norm", ["pre", "post"])
def test_whole_model_backprop(rng, norm):
    model, idx, targets = _tiny_model(rng, norm=norm)
    _, grads = model.loss_and_grads(idx, targets)
    assert set(grads) == set(model.params)
    for name, p in model.params.items():
        assert_close(grads[name], numerical_grad(lambda: model.loss(idx, targets), p), name)


def _block_outputs(model, idx):
    """Inputs, mid-block streams and outputs of every block."""
    x = embedding_forward(model.params["wte"], model.params["wpe"], idx)
    ins, mids, outs = [], [], []
    for layer in range(model.config.n_layers):
        ins.append(x)
        x, cache = block_forward(x, model.params, layer, idx.shape[0], model.config)
        mids.append(cache[-1])
        outs.append(x)
    return ins, mids, outs


class _Recorder(DFAFeedback):
    """Digital feedback that remembers the last signal it produced."""

    def project(self, e):
        self.last = super().project(e)
        return self.last


def _normalised(s: np.ndarray, x: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """``J^T s`` for ``J`` the Jacobian of ``x -> (x - mean) / sqrt(var + eps)`` (row-wise)."""
    mu = x.mean(axis=1, keepdims=True)
    rstd = 1.0 / np.sqrt(x.var(axis=1, keepdims=True) + eps)
    xhat = (x - mu) * rstd
    return rstd * (s - s.mean(axis=1, keepdims=True)
                   - xhat * (s * xhat).mean(axis=1, keepdims=True))


def test_normalised_signal_is_the_normalisation_jacobian(rng):
    x, s = rng.normal(size=(3, 5)) * 2 + 1, rng.normal(size=(3, 5))
    g = np.ones(5)

    def loss():
        return float((layernorm_forward(x, g, np.zeros(5))[0] * s).sum())

    assert_close(_normalised(s, x), numerical_grad(loss, x), "J^T s")


@pytest.mark.parametrize(("normalize", "norm"), [(False, "pre"), (True, "pre"), (False, "post")])
@pytest.mark.parametrize("points", ["macro", "micro"])
def test_dfa_delivers_local_gradients(rng, points, normalize, norm):
    """Each block (or sublayer) gets exactly the gradient of <its output, injected signal>,
    with the stream entering it held fixed; head layers get their true gradients. With
    ``normalize`` the injected signal is ``J^T (e B)`` at the injection point's stream."""
    model, idx, targets = _tiny_model(rng, norm=norm)
    cfg, n = model.config, idx.size
    fb = _Recorder(cfg.vocab_size, cfg.d_model, cfg.n_layers, points, rng, normalize=normalize)
    _, grads = model.loss_and_grads(idx, targets, fb)
    _, true = model.loss_and_grads(idx, targets)
    for name in ("wout", "lnf.g", "lnf.b"):
        np.testing.assert_allclose(grads[name], true[name], rtol=1e-12)
    signal = fb.last / n
    d = cfg.d_model
    ins, mids, outs = _block_outputs(model, idx)
    if normalize:  # what each injection point's stream turns the raw e B into
        streams = [x for pair in zip(mids, outs) for x in pair] if points == "micro" else outs
        signal = np.concatenate([_normalised(signal[:, k * d:(k + 1) * d], x)
                                 for k, x in enumerate(streams)], axis=1)
    for layer in range(cfg.n_layers):
        x_in = ins[layer]
        if points == "macro":
            s_out = signal[:, layer * d:(layer + 1) * d]

            def local(x_in=x_in, s_out=s_out, layer=layer):
                out, _ = block_forward(x_in, model.params, layer, idx.shape[0], cfg)
                return float((out * s_out).sum())

            for name in [k for k in model.params if k.startswith(f"h{layer}.")]:
                assert_close(grads[name], numerical_grad(local, model.params[name]), name)
        else:
            s_mid = signal[:, 2 * layer * d:(2 * layer + 1) * d]
            s_out = signal[:, (2 * layer + 1) * d:(2 * layer + 2) * d]
            _, cache = block_forward(x_in, model.params, layer, idx.shape[0], cfg)
            x_mid = cache[-1].copy()

            def attn_part(x_in=x_in, s_mid=s_mid, layer=layer):
                _, c = block_forward(x_in, model.params, layer, idx.shape[0], cfg)
                return float((c[-1] * s_mid).sum())

            def mlp_part(x_mid=x_mid, s_out=s_out, layer=layer):
                p = f"h{layer}."
                ln2 = (model.params[p + "ln2.g"], model.params[p + "ln2.b"])
                mlp = [model.params[p + k] for k in ("mlp.w1", "mlp.b1", "mlp.w2", "mlp.b2")]
                if norm == "post":
                    out = layernorm_forward(x_mid + mlp_forward(x_mid, *mlp)[0], *ln2)[0]
                    return float((out * s_out).sum())
                out, _ = mlp_forward(layernorm_forward(x_mid, *ln2)[0], *mlp)
                return float(((x_mid + out) * s_out).sum())

            for name in [k for k in model.params if k.startswith(f"h{layer}.")]:
                part = mlp_part if (".mlp." in name or ".ln2." in name) else attn_part
                assert_close(grads[name], numerical_grad(part, model.params[name]), name)

    # embeddings: what block 0's local backward leaves at its input
    s0 = signal[:, :d]

    def first(s0=s0):
        x = embedding_forward(model.params["wte"], model.params["wpe"], idx)
        if points == "macro":
            out, _ = block_forward(x, model.params, 0, idx.shape[0], cfg)
        else:
            _, c = block_forward(x, model.params, 0, idx.shape[0], cfg)
            out = c[-1]
        return float((out * s0).sum())

    for name in ("wte", "wpe"):
        assert_close(grads[name], numerical_grad(first, model.params[name]), name)


def test_dfa_blocks_ignore_later_blocks(rng):
    """Changing block 1's weights leaves block 0's DFA gradient unchanged (no gradient crosses)."""
    model, idx, targets = _tiny_model(rng)
    cfg = model.config
    fb = DFAFeedback(cfg.vocab_size, cfg.d_model, cfg.n_layers, "macro", np.random.default_rng(0))
    fb_signal = fb.project  # fixed e would need fixed logits; compare via a frozen signal instead
    e_fixed = rng.normal(size=(idx.size, cfg.vocab_size))
    fb.project = lambda e: fb_signal(e_fixed)  # type: ignore[method-assign]
    _, g1 = model.loss_and_grads(idx, targets, fb)
    model.params["h1.mlp.w1"] += 1.0
    model.params["h1.attn.wqkv"] -= 0.5
    _, g2 = model.loss_and_grads(idx, targets, fb)
    for name in [k for k in model.params if k.startswith("h0.")]:
        np.testing.assert_array_equal(g1[name], g2[name])


def test_layernorm_signal_is_refused_in_the_post_ln_layout(rng):
    model, idx, targets = _tiny_model(rng, norm="post")
    cfg = model.config
    fb = DFAFeedback(cfg.vocab_size, cfg.d_model, cfg.n_layers, "macro", rng, normalize=True)
    with pytest.raises(ValueError, match="pre-LN"):
        model.loss_and_grads(idx, targets, fb)
    with pytest.raises(ValueError, match="norm"):
        TransformerConfig(vocab_size=7, context=5, norm="sandwich")
