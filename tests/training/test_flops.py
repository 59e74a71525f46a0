"""The FLOP counter against the multiply-adds the numpy Transformer actually executes."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from photonic_dfa.training import transformer as tmod
from photonic_dfa.training.flops import (
    FlopCount,
    elementwise_flops_per_token,
    flops_per_token,
    matmul_macs_per_token,
    non_embedding_params,
    six_nd_per_token,
)
from photonic_dfa.training.lm_feedback import DFAFeedback
from photonic_dfa.training.lm_methods import METHODS, method_spec
from photonic_dfa.training.transformer import Transformer, TransformerConfig

# head width 4 differs from the context 5, so a (T, T) product is an attention map
CFG = TransformerConfig(vocab_size=7, context=5, d_model=8, n_layers=2, n_heads=2, mlp_ratio=3)
BATCH = 3


def _structure(a: np.ndarray) -> np.ndarray:
    """Which entries of an operand a product must read: all of them, except in an attention
    map ``(..., T, T)``, where the causal mask leaves one triangle zero (found from the
    values: a map or its transpose)."""
    t = CFG.context
    if a.ndim == 4 and a.shape[-2:] == (t, t):
        if not np.triu(a, 1).any():
            return np.broadcast_to(np.tri(t, dtype=np.int64), a.shape)
        if not np.tril(a, -1).any():
            return np.broadcast_to(np.tri(t, dtype=np.int64).T, a.shape)
    return np.ones(a.shape, dtype=np.int64)


def _useful_macs(a: np.ndarray, b: np.ndarray) -> int:
    """Multiply-adds of ``a @ b`` outside the causal mask.

    Operands that are attention maps are read in their causal triangle only; products with
    a ``(T, T)`` result (the scores ``q k^T`` and their gradient ``dy v^T``) are needed on
    and below the diagonal only, the causal kernels overwrite the rest.
    """
    counts = _structure(a) @ _structure(b)
    if counts.ndim == 4 and counts.shape[-2:] == (CFG.context, CFG.context):
        counts = np.tril(counts)
    return int(counts.sum())


class _Counter:
    def __init__(self) -> None:
        self.macs = 0

    def __call__(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.macs += _useful_macs(a, b)
        return np.matmul(a, b)


class _CountedFeedback:
    """A DFA feedback path whose single product ``e B`` is counted the same way."""

    def __init__(self, inner: DFAFeedback) -> None:
        self.inner, self.points, self.normalize, self.macs = inner, inner.points, \
            inner.normalize, 0

    def project(self, e: np.ndarray) -> np.ndarray:
        self.macs += _useful_macs(e, self.inner.b)
        return self.inner.project(e)


@pytest.mark.parametrize(("method", "norm"), [(m, "pre") for m in METHODS]
                         + [("bp", "post"), ("dfa", "post"), ("dfa-micro", "post")])
def test_matmul_count_equals_the_executed_products(monkeypatch, method, norm):
    """Pre-LN and post-LN blocks run the same products."""
    model = Transformer(dataclasses.replace(CFG, norm=norm), rng=np.random.default_rng(0),
                        dtype=np.float64)
    rng = np.random.default_rng(1)
    idx = rng.integers(0, CFG.vocab_size, size=(BATCH, CFG.context))
    tgt = rng.integers(0, CFG.vocab_size, size=(BATCH, CFG.context))
    tokens = idx.size
    counter = _Counter()
    monkeypatch.setattr(tmod, "_mm", counter)
    model.forward(idx)
    forward = counter.macs
    spec = method_spec(method)
    feedback = None
    if spec.is_dfa:
        feedback = _CountedFeedback(DFAFeedback(CFG.vocab_size, CFG.d_model, CFG.n_layers,
                                                spec.points, rng,
                                                normalize=spec.layernorm_signal))
    counter.macs = 0
    model.loss_and_grads(idx, tgt, feedback)
    backward = counter.macs - forward
    fb = feedback.macs if feedback is not None else 0
    want = matmul_macs_per_token(CFG.n_layers, CFG.d_model, CFG.context, CFG.vocab_size,
                                 method, d_ff=CFG.d_mlp)
    assert (want["forward"] * tokens, want["backward"] * tokens, want["feedback"] * tokens) \
        == (forward, backward, fb)
    assert want["backward"] == want["backward_weights"] + want["backward_activations"]


def test_attention_uses_the_causal_average():
    """Context T: a token sees (T + 1) / 2 keys on average; scores and mixing are d each."""
    a = matmul_macs_per_token(1, 8, 9, 7, "bp", d_ff=32)
    b = matmul_macs_per_token(1, 8, 11, 7, "bp", d_ff=32)
    assert b["forward"] - a["forward"] == 2 * 8 * (12 / 2 - 10 / 2)
    assert b["backward"] - a["backward"] == 4 * 8 * 1


def test_flop_count_composition():
    d, layers, ctx, vocab, heads = 64, 2, 64, 84, 4
    mm = matmul_macs_per_token(layers, d, ctx, vocab, "dfa-micro")
    ew = elementwise_flops_per_token(layers, d, heads, ctx, vocab, "dfa-micro")
    c = flops_per_token(layers, d, heads, ctx, vocab, "dfa-micro")
    assert c.forward == 2 * mm["forward"] + ew["forward"]
    assert c.backward == 2 * mm["backward"] + ew["backward"]
    assert c.feedback == 2 * vocab * d * 2 * layers and not c.feedback_on_chip
    assert c.total == c.digital == c.forward + c.backward + c.feedback
    bp = flops_per_token(layers, d, heads, ctx, vocab, "bp")
    assert bp.feedback == 0.0 and bp.digital == bp.total
    phot = flops_per_token(layers, d, heads, ctx, vocab, "photonic")
    dfa = flops_per_token(layers, d, heads, ctx, vocab, "dfa")
    assert phot.feedback_on_chip and phot.feedback == dfa.feedback == 2 * vocab * d * layers
    assert phot.digital == phot.total - phot.feedback == dfa.total - dfa.feedback
    # DFA skips no matrix product of the backward pass in this layout (module doc)
    assert matmul_macs_per_token(layers, d, ctx, vocab, "dfa")["backward"] == \
        matmul_macs_per_token(layers, d, ctx, vocab, "bp")["backward"]
    assert isinstance(c, FlopCount)


def test_elementwise_approximation_is_small_beside_the_products():
    """The stated element-wise approximation, for the record: a few % of the total."""
    c = flops_per_token(4, 128, 4, 128, 84, "bp")
    ew = elementwise_flops_per_token(4, 128, 4, 128, 84, "bp")
    share = (ew["forward"] + ew["backward"]) / c.total
    assert 0.01 < share < 0.1


@pytest.mark.parametrize(("layers", "d", "f"), [(1, 16, None), (3, 48, None), (2, 8, 24)])
def test_non_embedding_params_matches_the_model(layers, d, f):
    ratio = 4 if f is None else f // d
    cfg = TransformerConfig(vocab_size=30, context=8, d_model=d, n_layers=layers, n_heads=4
                            if d % 4 == 0 else 1, mlp_ratio=ratio)
    assert non_embedding_params(layers, d, 30, f) == cfg.non_embedding_params
    assert six_nd_per_token(layers, d, f) == 6 * cfg.non_embedding_params


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="method"):
        flops_per_token(1, 8, 2, 4, 5, "hebbian")
    with pytest.raises(ValueError, match="n_heads"):
        flops_per_token(1, 10, 4, 4, 5, "bp")
    with pytest.raises(ValueError, match="context"):
        flops_per_token(1, 8, 2, 0, 5, "bp")
