"""Floating-point operations per training token of the character Transformer, per method.

Counted from the operations :mod:`photonic_dfa.training.transformer` executes, per token of
a training batch of full windows of ``context`` tokens. One multiply-add (MAC) = 2 FLOPs.
``L`` layers, width ``d``, MLP width ``f`` (default ``4 d``), vocabulary ``V``, ``T`` context.

Matrix products (exact; ``tests/training/test_flops.py`` counts the products the numpy
model runs). Causal attention: query ``i`` (0-based) of a window sees ``i + 1`` keys, so a
token costs on average ``c = (T + 1) / 2`` keys per head in the scores ``q k^T`` and in the
mixing ``A v``; the masked half of the ``T x T`` maps is not counted (an implementation that
skips it, such as a causal flash-attention kernel, does not execute it).

* forward: ``L (4 d^2 + 2 d f + 2 d c) + d V``; embeddings are lookups, 0 MACs.
* backward, backpropagation: twice the forward products of every layer (the gradient with
  respect to the activations and with respect to the weights):
  ``L (8 d^2 + 4 d f + 4 d c) + 2 d V``.
* backward, DFA (macro and micro): the same products. No gradient crosses from one block
  to the one before, but each block still backpropagates its own signal through its
  sublayers, and in this pre-LN layout the block's last input-gradient product
  (``dqkv W_qkv^T``) is still needed for its ``LN_1`` gain and bias, as the MLP's is for
  ``LN_2`` in micro DFA. DFA removes the sequential dependency, not work.
* feedback (DFA only): ``e B`` is ``V x d`` MACs per injection point, ``L`` points (macro)
  or ``2 L`` (micro); this is what a photonic core computes instead of the digital hardware.

Element-wise work (a stated approximation, counted per element from the kernels in
:mod:`~photonic_dfa.training.lm_kernels` with an ``exp`` or ``tanh`` as one FLOP):
LayerNorm 8 forward / 12 backward, GELU 8 / 12, causal softmax 5 / 5 per visible score
(``n_heads c`` per token), cross-entropy 5 per logit, bias and residual adds 1, the DFA
signal's ``1/tokens`` scaling 1 and the LayerNorm-derivative variant's projection 10 per
element of each injected signal. The optimiser update (per parameter per step, not per
token) is not counted.
"""

from __future__ import annotations

from dataclasses import dataclass

from photonic_dfa.base.validation import check_int

from .lm_methods import method_spec

__all__ = [
    "FlopCount",
    "flops_per_token",
    "matmul_macs_per_token",
    "elementwise_flops_per_token",
    "non_embedding_params",
    "six_nd_per_token",
    "LAYERNORM_FLOPS",
    "GELU_FLOPS",
    "SOFTMAX_FLOPS",
    "CROSS_ENTROPY_FLOPS",
]

#: FLOPs per element (forward, backward) of the element-wise kernels (approximation)
LAYERNORM_FLOPS = (8, 12)
GELU_FLOPS = (8, 12)
SOFTMAX_FLOPS = (5, 5)  # per visible attention score
CROSS_ENTROPY_FLOPS = 5  # per logit, forward; its gradient e comes with it
LN_SIGNAL_FLOPS = 10  # per element of an injected signal, the dfa-ln variants only


@dataclass(frozen=True)
class FlopCount:
    """FLOPs per training token of one method (1 MAC = 2 FLOPs)."""

    forward: float
    backward: float  # digital backward work (the feedback products are counted apart)
    feedback: float  # the e B feedback products (0 for bp)
    feedback_on_chip: bool  # True for photonic methods: ``feedback`` runs on the chip

    @property
    def total(self) -> float:
        """``forward + backward + feedback``."""
        return self.forward + self.backward + self.feedback

    @property
    def digital(self) -> float:
        """The digital hardware's share: ``total`` minus ``feedback`` when on the chip."""
        return self.total - (self.feedback if self.feedback_on_chip else 0.0)


def _shape(n_layers: int, d_model: int, n_heads: int, context: int, vocab: int,
           d_ff: int | None) -> int:
    check_int("n_layers", n_layers, 1)
    check_int("d_model", d_model, 1)
    check_int("n_heads", n_heads, 1, d_model)
    check_int("context", context, 1)
    check_int("vocab", vocab, 2)
    if d_model % n_heads:
        raise ValueError(f"d_model must be a multiple of n_heads={n_heads}, got {d_model}")
    if d_ff is None:
        return 4 * d_model
    check_int("d_ff", d_ff, 1)
    return d_ff


def matmul_macs_per_token(n_layers: int, d_model: int, context: int, vocab: int, method: str,
                          d_ff: int | None = None) -> dict[str, float]:
    """Multiply-adds per token of the matrix products: ``forward``, ``backward``, ``feedback``.

    ``backward`` is split further into ``backward_activations`` (gradients with respect to
    activations) and ``backward_weights`` (with respect to weights); see the module doc.
    """
    spec = method_spec(method)
    f = _shape(n_layers, d_model, 1, context, vocab, d_ff)
    L, d, V = n_layers, d_model, vocab
    c = (context + 1) / 2.0
    forward = L * (4 * d * d + 2 * d * f + 2 * d * c) + d * V
    weights = L * (4 * d * d + 2 * d * f) + d * V
    activations = L * (4 * d * d + 2 * d * f + 4 * d * c) + d * V
    feedback = float(V * d * L * spec.points_per_block())
    return {"forward": float(forward), "backward": float(weights + activations),
            "backward_weights": float(weights), "backward_activations": float(activations),
            "feedback": feedback}


def elementwise_flops_per_token(n_layers: int, d_model: int, n_heads: int, context: int,
                                vocab: int, method: str, d_ff: int | None = None
                                ) -> dict[str, float]:
    """The stated approximation of the element-wise work: ``forward`` and ``backward``."""
    spec = method_spec(method)
    f = _shape(n_layers, d_model, n_heads, context, vocab, d_ff)
    L, d, V = n_layers, d_model, vocab
    scores = n_heads * (context + 1) / 2.0
    ln_f, ln_b = LAYERNORM_FLOPS
    bias = 3 * d + d + f + d
    forward = (d  # position embedding add
               + L * (2 * ln_f * d + bias + 2 * d + SOFTMAX_FLOPS[0] * scores + GELU_FLOPS[0] * f)
               + ln_f * d + CROSS_ENTROPY_FLOPS * V)
    backward = (V  # e / tokens
                + L * (2 * ln_b * d + bias + 2 * d + SOFTMAX_FLOPS[1] * scores
                       + GELU_FLOPS[1] * f)
                + ln_b * d + 2 * d)  # final LayerNorm; embedding scatter-adds
    points = L * spec.points_per_block()
    backward += points * d * (1 + (LN_SIGNAL_FLOPS if spec.layernorm_signal else 0))
    return {"forward": float(forward), "backward": float(backward)}


def flops_per_token(n_layers: int, d_model: int, n_heads: int, context: int, vocab: int,
                    method: str, d_ff: int | None = None) -> FlopCount:
    """FLOPs per training token: ``2 x`` the MACs of the matrix products plus the element-wise
    approximation (module doc), split into forward, digital backward and feedback."""
    mm = matmul_macs_per_token(n_layers, d_model, context, vocab, method, d_ff)
    ew = elementwise_flops_per_token(n_layers, d_model, n_heads, context, vocab, method, d_ff)
    return FlopCount(forward=2 * mm["forward"] + ew["forward"],
                     backward=2 * mm["backward"] + ew["backward"],
                     feedback=2 * mm["feedback"],
                     feedback_on_chip=method_spec(method).on_chip)


def non_embedding_params(n_layers: int, d_model: int, vocab: int = 2,
                         d_ff: int | None = None) -> int:
    """Parameters except ``W_te``, ``W_pe``, ``W_out`` (Kaplan et al. 2020):
    ``L (4 d^2 + 2 d f + 9 d + f) + 2 d``, the same as
    :attr:`~photonic_dfa.training.transformer.TransformerConfig.non_embedding_params`.
    ``vocab`` does not enter (it is accepted for symmetry with :func:`flops_per_token`)."""
    f = _shape(n_layers, d_model, 1, 1, vocab, d_ff)
    d = d_model
    per_layer = 4 * d + (3 * d * d + 3 * d) + (d * d + d) + (d * f + f) + (f * d + d)
    return n_layers * per_layer + 2 * d


def six_nd_per_token(n_layers: int, d_model: int, d_ff: int | None = None) -> float:
    """The ``6 N`` FLOPs per token of Kaplan et al. 2020, kept as the reported alternative."""
    return 6.0 * non_embedding_params(n_layers, d_model, 2, d_ff)

