"""Causal decoder-only Transformer in numpy with a hand-written backward pass (nanoGPT layout).

Architecture (Radford et al. 2019, GPT-2; Karpathy's nanoGPT)::

    x_0 = W_te[tokens] + W_pe[positions]
    x_mid = x_l + Attn(LN_1(x_l))             multi-head causal self-attention
    x_{l+1} = x_mid + MLP(LN_2(x_mid))        MLP(u) = GELU(u W_1 + b_1) W_2 + b_2, width 4 d
    logits = LN_f(x_L) W_out                  W_out is NOT tied to W_te

``norm="post"`` gives the post-LN layout of Vaswani et al. 2017, used by Launay et al.'s
DFA Transformer: ``x_mid = LN_1(x_l + Attn(x_l))``, ``x_{l+1} = LN_2(x_mid + MLP(x_mid))``.

Gradients, one of:

* backpropagation (``feedback=None``);
* DFA (Nokland 2016) in the Transformer form of Launay et al. 2020: the output error
  ``e = softmax(logits) - onehot(target)`` (one row per token) is projected by fixed random
  matrices, ``e B_k``, and injected as the gradient of an injection point. *Macro*: one
  point per block, at its output; the block backpropagates it through its own sublayers
  only, no gradient crosses from a later block. *Micro*: two points per block, after the
  attention sublayer and after the MLP sublayer, each sublayer backpropagating only its
  own signal. The final LayerNorm and the unembedding always get their true gradients;
  the embeddings get what the first block's local backward pass leaves at its input.
  A feedback whose ``normalize`` is true gives the LayerNorm-derivative variant (pre-LN
  only; :func:`_through_normalisation`), not the published method.

The feedback object supplies ``points`` (``"macro"``/``"micro"``) and ``project(e)``; see
:mod:`photonic_dfa.training.lm_feedback`. Activations are 2-D ``(tokens, features)`` arrays so
every dense layer is one GEMM; float32 for training, float64 for gradient checks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from photonic_dfa.base.validation import check_int, check_scalar

from .lm_kernels import (
    causal_softmax,
    causal_softmax_backward_kernel,
    cross_entropy_kernel,
    embedding_backward_kernel,
    gelu_backward_kernel,
    gelu_forward,
    layernorm_backward_kernel,
    layernorm_forward_kernel,
)

__all__ = [
    "TransformerConfig",
    "Transformer",
    "init_params",
    "embedding_forward",
    "embedding_backward",
    "layernorm_forward",
    "layernorm_backward",
    "attention_forward",
    "attention_backward",
    "mlp_forward",
    "mlp_backward",
    "block_forward",
    "block_backward",
    "cross_entropy",
    "generate",
]


NORMS = ("pre", "post")


@dataclass(frozen=True)
class TransformerConfig:
    """Shape of the model: vocabulary, context length, width, depth, heads."""

    vocab_size: int
    context: int
    d_model: int = 128
    n_layers: int = 4
    n_heads: int = 4
    mlp_ratio: int = 4
    ln_eps: float = 1e-5
    #: "pre" (GPT-2: LayerNorm before each sublayer, residual stream never normalised) or
    #: "post" (Vaswani 2017, the layout of Launay et al.'s DFA Transformer: LayerNorm after
    #: each residual addition, so every block's output is normalised)
    norm: str = "pre"

    def __post_init__(self) -> None:
        check_int("vocab_size", self.vocab_size, 2)
        check_int("context", self.context, 1)
        check_int("d_model", self.d_model, 1)
        check_int("n_layers", self.n_layers, 1)
        check_int("n_heads", self.n_heads, 1, self.d_model)
        check_int("mlp_ratio", self.mlp_ratio, 1)
        check_scalar("ln_eps", self.ln_eps, 0.0, 1.0, low_inclusive=False)
        if self.norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS}, got {self.norm!r}")
        if self.d_model % self.n_heads:
            raise ValueError(
                f"d_model must be a multiple of n_heads={self.n_heads}, got {self.d_model}"
            )

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads

    @property
    def d_mlp(self) -> int:
        return self.mlp_ratio * self.d_model

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        d, v, f = self.d_model, self.vocab_size, self.d_mlp
        shapes: dict[str, tuple[int, ...]] = {"wte": (v, d), "wpe": (self.context, d)}
        for layer in range(self.n_layers):
            p = f"h{layer}."
            shapes |= {
                p + "ln1.g": (d,), p + "ln1.b": (d,),
                p + "attn.wqkv": (d, 3 * d), p + "attn.bqkv": (3 * d,),
                p + "attn.wo": (d, d), p + "attn.bo": (d,),
                p + "ln2.g": (d,), p + "ln2.b": (d,),
                p + "mlp.w1": (d, f), p + "mlp.b1": (f,),
                p + "mlp.w2": (f, d), p + "mlp.b2": (d,),
            }
        shapes |= {"lnf.g": (d,), "lnf.b": (d,), "wout": (d, v)}
        return shapes

    @property
    def n_params(self) -> int:
        return sum(math.prod(s) for s in self.param_shapes().values())

    @property
    def non_embedding_params(self) -> int:
        """Parameters except the vocabulary and position matrices (W_te, W_pe, W_out).

        Kaplan et al. 2020 count N this way; blocks' weights, biases and LayerNorms and the
        final LayerNorm are included, so ``N ~ 12 n_layers d_model^2``.
        """
        shapes = self.param_shapes()
        return sum(math.prod(s) for k, s in shapes.items() if k not in ("wte", "wpe", "wout"))

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def init_params(config: TransformerConfig, rng: np.random.Generator,
                dtype: Any = np.float32) -> dict[str, np.ndarray]:
    """GPT-2 initialisation: N(0, 0.02) weights, residual projections N(0, 0.02/sqrt(2L))."""
    params = {}
    resid_std = 0.02 / math.sqrt(2 * config.n_layers)
    for name, shape in config.param_shapes().items():
        if name.endswith(".g"):
            arr = np.ones(shape)
        elif len(shape) == 1:
            arr = np.zeros(shape)
        elif name.endswith(("attn.wo", "mlp.w2")):
            arr = rng.normal(0.0, resid_std, size=shape)
        else:
            arr = rng.normal(0.0, 0.02, size=shape)
        params[name] = arr.astype(dtype)
    return params


# ----------------------------------------------------------------------------- layers

#: every matrix product of the model goes through this name, so that a test can count the
#: multiply-adds actually executed (``training/flops.py`` is checked against that count)
_mm = np.matmul



def embedding_forward(wte: np.ndarray, wpe: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``x[b, t] = W_te[idx[b, t]] + W_pe[t]``, returned as ``(B*T, d)``."""
    b, t = idx.shape
    return (wte[idx] + wpe[None, :t]).reshape(b * t, wte.shape[1])


def embedding_backward(dx: np.ndarray, idx: np.ndarray, vocab_size: int,
                       context: int) -> tuple[np.ndarray, np.ndarray]:
    b, t = idx.shape
    dwte = np.zeros((vocab_size, dx.shape[1]), dtype=dx.dtype)
    embedding_backward_kernel(np.ascontiguousarray(idx.reshape(-1)), dx, dwte)
    dwpe = np.zeros((context, dx.shape[1]), dtype=dx.dtype)
    dwpe[:t] = dx.reshape(b, t, -1).sum(axis=0)
    return dwte, dwpe


def layernorm_forward(x: np.ndarray, g: np.ndarray, b: np.ndarray,
                      eps: float = 1e-5) -> tuple[np.ndarray, tuple]:
    x = np.ascontiguousarray(x)
    y = np.empty_like(x)
    xhat = np.empty_like(x)
    rstd = np.empty(x.shape[0], dtype=x.dtype)
    layernorm_forward_kernel(x, g, b, eps, y, xhat, rstd)
    return y, (xhat, rstd, g)


def layernorm_backward(dy: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(dx, dg, db)``."""
    xhat, rstd, g = cache
    dy = np.ascontiguousarray(dy)
    dx = np.empty_like(dy)
    dg = np.zeros(g.shape, dtype=np.float64)
    db = np.zeros(g.shape, dtype=np.float64)
    layernorm_backward_kernel(dy, xhat, rstd, g, dx, dg, db)
    return dx, dg.astype(dy.dtype), db.astype(dy.dtype)


def attention_forward(x: np.ndarray, wqkv: np.ndarray, bqkv: np.ndarray, wo: np.ndarray,
                      bo: np.ndarray, batch: int, n_heads: int) -> tuple[np.ndarray, tuple]:
    """Multi-head causal self-attention, ``softmax(q k^T / sqrt(d_h) + mask) v`` (Vaswani 2017)."""
    n, d = x.shape
    t, hd = n // batch, d // n_heads
    qkv = _mm(x, wqkv)
    qkv += bqkv
    # (B, T, 3, H, hd) -> three (B, H, T, hd) strided views; matmul takes them without copies
    q, k, v = qkv.reshape(batch, t, 3, n_heads, hd).transpose(2, 0, 3, 1, 4)
    att = _mm(q, k.transpose(0, 1, 3, 2))
    scale = 1.0 / math.sqrt(hd)
    causal_softmax(att, scale)
    y = _mm(att, v).transpose(0, 2, 1, 3).reshape(n, d)
    out = _mm(y, wo)
    out += bo
    return out, (x, q, k, v, att, y, wqkv, wo, scale)


def attention_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    x, q, k, v, att, y, wqkv, wo, scale = cache
    n, d = x.shape
    batch, n_heads, t, hd = q.shape
    grads = {"wo": _mm(y.T, dout), "bo": dout.sum(axis=0)}
    dy = _mm(dout, wo.T).reshape(batch, t, n_heads, hd).transpose(0, 2, 1, 3)
    dv = _mm(att.transpose(0, 1, 3, 2), dy)
    datt = _mm(dy, v.transpose(0, 1, 3, 2))
    causal_softmax_backward_kernel(datt, att, scale)
    dqkv = np.empty((batch, t, 3, n_heads, hd), dtype=x.dtype)
    dqkv[:, :, 0] = _mm(datt, k).transpose(0, 2, 1, 3)
    dqkv[:, :, 1] = _mm(datt.transpose(0, 1, 3, 2), q).transpose(0, 2, 1, 3)
    dqkv[:, :, 2] = dv.transpose(0, 2, 1, 3)
    dqkv = dqkv.reshape(n, 3 * d)
    grads["wqkv"] = _mm(x.T, dqkv)
    grads["bqkv"] = dqkv.sum(axis=0)
    return _mm(dqkv, wqkv.T), grads


def mlp_forward(x: np.ndarray, w1: np.ndarray, b1: np.ndarray, w2: np.ndarray,
                b2: np.ndarray) -> tuple[np.ndarray, tuple]:
    hpre = _mm(x, w1)
    hpre += b1
    hact = np.empty_like(hpre)
    tanh = np.empty_like(hpre)
    gelu_forward(hpre, hact, tanh)
    out = _mm(hact, w2)
    out += b2
    return out, (x, hpre, tanh, hact, w1, w2)


def mlp_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    x, hpre, tanh, hact, w1, w2 = cache
    grads = {"w2": _mm(hact.T, dout), "b2": dout.sum(axis=0)}
    dh = _mm(dout, w2.T)
    gelu_backward_kernel(hpre, tanh, dh, dh)  # element-wise, safe in place
    grads["w1"] = _mm(x.T, dh)
    grads["b1"] = dh.sum(axis=0)
    return _mm(dh, w1.T), grads


def block_forward(x: np.ndarray, params: dict[str, np.ndarray], layer: int, batch: int,
                  config: TransformerConfig) -> tuple[np.ndarray, tuple]:
    """One block; returns ``(x_out, cache)``. ``cache[-1]`` is the mid-block stream.

    Pre-LN: ``x_mid = x + Attn(LN_1(x))``, ``x_out = x_mid + MLP(LN_2(x_mid))``. Post-LN:
    ``x_mid = LN_1(x + Attn(x))``, ``x_out = LN_2(x_mid + MLP(x_mid))``.
    """
    p = f"h{layer}."
    eps = config.ln_eps
    if config.norm == "post":
        att, att_c = attention_forward(x, params[p + "attn.wqkv"], params[p + "attn.bqkv"],
                                       params[p + "attn.wo"], params[p + "attn.bo"], batch,
                                       config.n_heads)
        x_mid, ln1 = layernorm_forward(x + att, params[p + "ln1.g"], params[p + "ln1.b"], eps)
        mlp, mlp_c = mlp_forward(x_mid, params[p + "mlp.w1"], params[p + "mlp.b1"],
                                 params[p + "mlp.w2"], params[p + "mlp.b2"])
        out, ln2 = layernorm_forward(x_mid + mlp, params[p + "ln2.g"], params[p + "ln2.b"], eps)
        return out, (ln1, att_c, ln2, mlp_c, "post", x_mid)
    a, ln1 = layernorm_forward(x, params[p + "ln1.g"], params[p + "ln1.b"], eps)
    att, att_c = attention_forward(a, params[p + "attn.wqkv"], params[p + "attn.bqkv"],
                                   params[p + "attn.wo"], params[p + "attn.bo"], batch,
                                   config.n_heads)
    x_mid = x + att
    m, ln2 = layernorm_forward(x_mid, params[p + "ln2.g"], params[p + "ln2.b"], eps)
    mlp, mlp_c = mlp_forward(m, params[p + "mlp.w1"], params[p + "mlp.b1"],
                             params[p + "mlp.w2"], params[p + "mlp.b2"])
    return x_mid + mlp, (ln1, att_c, ln2, mlp_c, "pre", x_mid)


def block_backward(d_out: np.ndarray, cache: tuple, layer: int, grads: dict[str, np.ndarray],
                   d_mid: np.ndarray | None = None) -> np.ndarray:
    """Backward through one block; parameter gradients go into ``grads``; returns ``dL/dx_in``.

    ``d_mid=None``: ``d_out`` flows through the MLP sublayer and the residual into the
    attention sublayer (backpropagation, macro DFA). Given ``d_mid`` (micro DFA), the
    attention sublayer receives ``d_mid`` alone and the MLP's input gradient is dropped.
    """
    ln1, att_c, ln2, mlp_c = cache[:4]
    p = f"h{layer}."
    if cache[4] == "post":
        return _post_block_backward(d_out, cache, p, grads, d_mid)
    dm, g = mlp_backward(d_out, mlp_c)
    grads |= {p + "mlp." + k: val for k, val in g.items()}
    dx_mid, grads[p + "ln2.g"], grads[p + "ln2.b"] = layernorm_backward(dm, ln2)
    if d_mid is None:
        d_mid = d_out + dx_mid
    da, g = attention_backward(d_mid, att_c)
    grads |= {p + "attn." + k: val for k, val in g.items()}
    dx, grads[p + "ln1.g"], grads[p + "ln1.b"] = layernorm_backward(da, ln1)
    return d_mid + dx


def _post_block_backward(d_out: np.ndarray, cache: tuple, p: str, grads: dict[str, np.ndarray],
                         d_mid: np.ndarray | None) -> np.ndarray:
    """:func:`block_backward` of a post-LN block: ``d_mid`` (micro DFA) replaces the gradient
    at the normalised mid-block stream, the MLP sublayer's input gradient is then dropped."""
    ln1, att_c, ln2, mlp_c = cache[:4]
    d_pre2, grads[p + "ln2.g"], grads[p + "ln2.b"] = layernorm_backward(d_out, ln2)
    dm, g = mlp_backward(d_pre2, mlp_c)
    grads |= {p + "mlp." + k: val for k, val in g.items()}
    if d_mid is None:
        d_mid = d_pre2 + dm
    d_pre1, grads[p + "ln1.g"], grads[p + "ln1.b"] = layernorm_backward(d_mid, ln1)
    dx, g = attention_backward(d_pre1, att_c)
    grads |= {p + "attn." + k: val for k, val in g.items()}
    return d_pre1 + dx


def cross_entropy(logits: np.ndarray, targets: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy in nats and the per-token error ``e = softmax - onehot`` (unscaled)."""
    logits = np.ascontiguousarray(logits)
    e = np.empty_like(logits)
    loss = cross_entropy_kernel(logits, np.ascontiguousarray(targets.reshape(-1)), e)
    return float(loss), e


# ----------------------------------------------------------------------------- model


class DFAProjection(Protocol):
    """What :meth:`Transformer.loss_and_grads` needs from a DFA feedback path."""

    points: str  # "macro" (one injection point per block) or "micro" (two)

    def project(self, e: np.ndarray) -> np.ndarray:
        """``(tokens, vocab) -> (tokens, n_points * d_model)``: all ``e B_k`` at once."""
        ...


class Transformer:
    """The model: a config and a dict of named parameter arrays."""

    def __init__(self, config: TransformerConfig, params: dict[str, np.ndarray] | None = None,
                 rng: np.random.Generator | None = None, dtype: Any = np.float32):
        self.config = config
        if params is None:
            if rng is None:
                raise ValueError("rng is required to initialise parameters")
            params = init_params(config, rng, dtype)
        shapes = config.param_shapes()
        if set(params) != set(shapes):
            missing = sorted(set(shapes) - set(params))
            extra = sorted(set(params) - set(shapes))
            raise ValueError(f"params do not match the config: missing {missing}, extra {extra}")
        for name, shape in shapes.items():
            if params[name].shape != shape:
                raise ValueError(f"param {name} has shape {params[name].shape}, expected {shape}")
        self.params = params

    @property
    def dtype(self) -> np.dtype:
        return self.params["wte"].dtype

    def _check_idx(self, idx: np.ndarray) -> np.ndarray:
        idx = np.asarray(idx)
        if idx.ndim != 2 or not 1 <= idx.shape[1] <= self.config.context:
            raise ValueError(
                f"idx must have shape (batch, T), 1 <= T <= {self.config.context}, got {idx.shape}"
            )
        if idx.size and (idx.min() < 0 or idx.max() >= self.config.vocab_size):
            raise ValueError(f"token ids must lie in [0, {self.config.vocab_size - 1}]")
        return idx

    def _trunk(self, idx: np.ndarray) -> tuple[np.ndarray, list[tuple]]:
        p, cfg = self.params, self.config
        x = embedding_forward(p["wte"], p["wpe"], idx)
        caches = []
        for layer in range(cfg.n_layers):
            x, c = block_forward(x, p, layer, idx.shape[0], cfg)
            caches.append(c)
        return x, caches

    def forward(self, idx: np.ndarray) -> np.ndarray:
        """Logits of shape ``(B, T, vocab)``."""
        idx = self._check_idx(idx)
        x, _ = self._trunk(idx)
        xf, _ = layernorm_forward(x, self.params["lnf.g"], self.params["lnf.b"], self.config.ln_eps)
        return _mm(xf, self.params["wout"]).reshape(*idx.shape, -1)

    def loss(self, idx: np.ndarray, targets: np.ndarray) -> float:
        logits = self.forward(idx)
        return cross_entropy(logits.reshape(-1, logits.shape[-1]), np.asarray(targets))[0]

    def loss_and_grads(self, idx: np.ndarray, targets: np.ndarray,
                       feedback: DFAProjection | None = None
                       ) -> tuple[float, dict[str, np.ndarray]]:
        """Mean cross-entropy and gradients: backprop (``feedback=None``) or DFA (module doc)."""
        idx = self._check_idx(idx)
        p, cfg = self.params, self.config
        n = idx.size
        x, caches = self._trunk(idx)
        xf, lnf = layernorm_forward(x, p["lnf.g"], p["lnf.b"], cfg.ln_eps)
        logits = _mm(xf, p["wout"])
        loss, e = cross_entropy(logits, np.asarray(targets))
        dlogits = e * (1.0 / n)
        grads: dict[str, np.ndarray] = {"wout": _mm(xf.T, dlogits)}
        dx, grads["lnf.g"], grads["lnf.b"] = layernorm_backward(_mm(dlogits, p["wout"].T), lnf)
        if feedback is None:
            for layer in reversed(range(cfg.n_layers)):
                dx = block_backward(dx, caches[layer], layer, grads)
        else:
            d = cfg.d_model
            signal = feedback.project(e)
            n_points = cfg.n_layers * (2 if feedback.points == "micro" else 1)
            if signal.shape != (n, n_points * d):
                raise ValueError(
                    f"feedback.project returned shape {signal.shape}, expected {(n, n_points * d)}"
                )
            signal = (signal * (1.0 / n)).astype(x.dtype, copy=False)
            normalize = getattr(feedback, "normalize", False)
            if normalize and cfg.norm != "pre":
                raise ValueError("the LayerNorm-derivative DFA signal is defined for the pre-LN "
                                 "layout; in the post-LN layout every block output is "
                                 "normalised already")
            # LayerNorm caches of the stream at each injection point: block l's output is
            # normalised by block l+1's LN_1 (or LN_f), the mid-block stream by LN_2
            out_ln = [caches[layer + 1][0] for layer in range(cfg.n_layers - 1)] + [lnf]
            for layer in reversed(range(cfg.n_layers)):
                if feedback.points == "micro":
                    d_mid = signal[:, 2 * layer * d:(2 * layer + 1) * d]
                    d_out = signal[:, (2 * layer + 1) * d:(2 * layer + 2) * d]
                    if normalize:
                        d_mid = _through_normalisation(d_mid, caches[layer][2])
                        d_out = _through_normalisation(d_out, out_ln[layer])
                    dx = block_backward(d_out, caches[layer], layer, grads, d_mid=d_mid)
                else:
                    d_out = signal[:, layer * d:(layer + 1) * d]
                    if normalize:
                        d_out = _through_normalisation(d_out, out_ln[layer])
                    dx = block_backward(d_out, caches[layer], layer, grads)
        grads["wte"], grads["wpe"] = embedding_backward(dx, idx, cfg.vocab_size, cfg.context)
        return loss, grads


def _through_normalisation(s: np.ndarray, ln_cache: tuple) -> np.ndarray:
    """``J^T s`` for the Jacobian ``J`` of ``x -> (x - mean) / std`` at the injection point.

    ``rstd (s - mean(s) - xhat mean(s xhat))``: the local derivative of the normalisation
    the stream meets downstream, the analogue of ``f'(a)`` in DFA for MLPs. It removes the
    radial part of the signal, so DFA cannot grow the residual stream without bound.
    """
    xhat, rstd, g = ln_cache
    return layernorm_backward(s, (xhat, rstd, np.ones_like(g)))[0]


def generate(model: Transformer, prompt: np.ndarray, length: int, temperature: float,
             rng: np.random.Generator) -> np.ndarray:
    """Sample ``length`` tokens after ``prompt`` (1-D ids); temperature 0 is greedy decoding."""
    check_int("length", length, 0)
    check_scalar("temperature", temperature, 0.0, 100.0)
    ids = [int(i) for i in np.asarray(prompt).reshape(-1)]
    if not ids:
        raise ValueError("prompt must hold at least one token")
    ctx = model.config.context
    for _ in range(length):
        window = np.asarray(ids[-ctx:], dtype=np.int64)[None, :]
        logits = model.forward(window)[0, -1].astype(np.float64)
        if temperature == 0.0:
            nxt = int(np.argmax(logits))
        else:
            z = logits / temperature
            prob = np.exp(z - z.max())
            prob /= prob.sum()
            nxt = int(rng.choice(len(prob), p=prob))
        ids.append(nxt)
    return np.asarray(ids[len(ids) - length:] if length else [], dtype=np.int64)
