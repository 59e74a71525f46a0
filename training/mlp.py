"""A numpy multilayer perceptron with a preallocated float32 training path.

Network: ``a_l = h_{l-1} W_l + b_l``, ``h_l = ReLU(a_l)`` for hidden layers, logits
``z = a_L``; loss is the batch-mean softmax cross-entropy, so the output error is
``e = dL/dz = (softmax(z) - onehot(y)) / n`` (as ``torch.nn.functional.cross_entropy``).
Weights are stored ``(fan_in, fan_out)`` so a batch row-vector multiplies on the right.

The hidden error signals ``delta_l = dL/da_l`` come from a feedback strategy
(:mod:`photonic_dfa.training.feedback`); weight gradients are then local for every strategy:
``dW_l = h_{l-1}^T delta_l``, ``db_l = sum_batch delta_l``.

Speed: all hidden activations live in one ``(batch, sum widths)`` buffer (each layer a column
view) so that a DFA strategy can compute every layer's feedback with ONE matrix product
``e @ B_stacked`` and gate it with one ReLU-derivative mask; every product writes into a
preallocated buffer (``np.matmul(..., out=)``) and SGD with momentum is one fused pass per
parameter (numba), or a GEMM with ``beta`` plus an AXPY straight into numpy's OpenBLAS
(:mod:`._blas`), so a step allocates nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from photonic_dfa.base.validation import check_int, check_scalar

from . import _blas

if TYPE_CHECKING:
    from .feedback import Feedback

__all__ = ["MLP", "Workspace", "SGD", "INITS", "forward", "softmax_xent", "weight_grads"]

INITS = ("he", "glorot", "torch")


class MLP:
    """Fully connected ReLU network with widths ``sizes`` (input, hidden..., output)."""

    def __init__(self, weights: Sequence[np.ndarray], biases: Sequence[np.ndarray]) -> None:
        if len(weights) < 1 or len(weights) != len(biases):
            raise ValueError(f"need as many biases as weights (>= 1), got {len(weights)} and "
                             f"{len(biases)}")
        self.weights = [np.ascontiguousarray(w) for w in weights]
        self.biases = [np.ascontiguousarray(b) for b in biases]
        dtype = self.weights[0].dtype
        if dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64, got {dtype}")
        for l, (w, b) in enumerate(zip(self.weights, self.biases)):
            if w.ndim != 2 or b.shape != (w.shape[1],) or w.dtype != dtype or b.dtype != dtype:
                raise ValueError(f"layer {l}: weight {w.shape} {w.dtype} and bias {b.shape} "
                                 f"{b.dtype} do not match")
            if l and w.shape[0] != self.weights[l - 1].shape[1]:
                raise ValueError(f"layer {l}: fan_in {w.shape[0]} != previous fan_out "
                                 f"{self.weights[l - 1].shape[1]}")
        self.sizes = (self.weights[0].shape[0], *(w.shape[1] for w in self.weights))
        self.dtype = dtype

    @classmethod
    def init(cls, sizes: Sequence[int], rng: np.random.Generator | int, init: str = "he",
             dtype: type = np.float32) -> MLP:
        """Random weights, zero biases (except ``torch``), from an explicit generator or seed.

        ``he``: ``U(+-sqrt(6 / fan_in))`` (He et al. 2015, ReLU); ``glorot``:
        ``U(+-sqrt(6 / (fan_in + fan_out)))`` (Glorot & Bengio 2010); ``torch``: weights and
        biases ``U(+-1 / sqrt(fan_in))`` (``torch.nn.Linear`` default, used by the authors).
        """
        sizes = [check_int(f"sizes[{i}]", s, 1) for i, s in enumerate(sizes)]
        if len(sizes) < 2:
            raise ValueError(f"sizes needs input and output widths, got {sizes}")
        if init not in INITS:
            raise ValueError(f"init must be one of {INITS}, got {init!r}")
        rng = np.random.default_rng(rng)
        ws, bs = [], []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            limit = {"he": np.sqrt(6.0 / fan_in), "glorot": np.sqrt(6.0 / (fan_in + fan_out)),
                     "torch": 1.0 / np.sqrt(fan_in)}[init]
            ws.append(rng.uniform(-limit, limit, (fan_in, fan_out)).astype(dtype))
            b = rng.uniform(-limit, limit, fan_out) if init == "torch" else np.zeros(fan_out)
            bs.append(b.astype(dtype))
        return cls(ws, bs)

    @property
    def hidden_sizes(self) -> tuple[int, ...]:
        return self.sizes[1:-1]

    def copy(self) -> MLP:
        return MLP([w.copy() for w in self.weights], [b.copy() for b in self.biases])

    def logits(self, x: np.ndarray, chunk: int = 2000) -> np.ndarray:
        """Output logits for inputs ``x`` (N, sizes[0]), evaluated ``chunk`` rows at a time."""
        x = np.asarray(x)
        out = np.empty((x.shape[0], self.sizes[-1]), self.dtype)
        for s in range(0, x.shape[0], chunk):
            h = x[s:s + chunk].astype(self.dtype, copy=False)
            for l, (w, b) in enumerate(zip(self.weights, self.biases)):
                h = h @ w
                h += b
                if l < len(self.weights) - 1:
                    np.maximum(h, 0, out=h)
            out[s:s + chunk] = h
        return out

    def predict(self, x: np.ndarray, chunk: int = 2000) -> np.ndarray:
        return np.argmax(self.logits(x, chunk), axis=1)

    def loss_and_grads(self, x: np.ndarray, y: np.ndarray, feedback: Feedback
                       ) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
        """Mean cross-entropy and freshly allocated gradients ``(dW, db)`` (tests, analysis)."""
        ws = Workspace(self, x.shape[0])
        n = ws.load(x)
        forward(self, ws, n)
        loss, _ = softmax_xent(ws, np.asarray(y), n)
        feedback.hidden_deltas(self, ws, n)
        weight_grads(self, ws, n)
        return loss, [g.copy() for g in ws.grad_w], [g.copy() for g in ws.grad_b]


class Workspace:
    """Preallocated buffers for batches of up to ``batch`` rows.

    ``hidden`` (batch, sum hidden widths) holds every ReLU output ``h_l`` as column views
    ``h[l]``; ``delta`` the same layout for ``dL/da_l``; ``mask`` the ReLU derivative
    ``a_l > 0``; ``err`` the output error ``e``; ``grad_w``/``grad_b`` the gradients.
    """

    def __init__(self, mlp: MLP, batch: int) -> None:
        self.batch = check_int("batch", batch, 1)
        dt = mlp.dtype
        hid = mlp.hidden_sizes
        self.offsets = np.concatenate([[0], np.cumsum(hid)]).astype(int)
        total = int(self.offsets[-1])
        self.x = np.empty((batch, mlp.sizes[0]), dt)
        self.hidden = np.empty((batch, total), dt)
        self.delta = np.empty((batch, total), dt)
        self.mask = np.empty((batch, total), dt)  # 1.0 where a > 0, as float for a fast product
        self.logits = np.empty((batch, mlp.sizes[-1]), dt)
        self.err = np.empty((batch, mlp.sizes[-1]), dt)
        self.h = [self.hidden[:, a:b] for a, b in zip(self.offsets[:-1], self.offsets[1:])]
        self.d = [self.delta[:, a:b] for a, b in zip(self.offsets[:-1], self.offsets[1:])]
        self.grad_w = [np.empty_like(w) for w in mlp.weights]
        self.grad_b = [np.empty_like(b) for b in mlp.biases]

    def load(self, x: np.ndarray, index: np.ndarray | None = None) -> int:
        """Copy rows ``x[index]`` (or all of ``x``) into the input buffer; return the row count."""
        n = x.shape[0] if index is None else len(index)
        if n > self.batch:
            raise ValueError(f"batch of {n} rows exceeds the workspace's {self.batch}")
        if index is None:
            self.x[:n] = x
        elif x.dtype == self.x.dtype:
            np.take(x, index, axis=0, out=self.x[:n])
        else:
            self.x[:n] = x[index]
        return n

    def layer_inputs(self, n: int) -> list[np.ndarray]:
        """``h_{l-1}`` for every layer l (the input first), first ``n`` rows."""
        return [self.x[:n]] + [h[:n] for h in self.h]

    def layer_deltas(self, n: int) -> list[np.ndarray]:
        """``dL/da_l`` for every layer (hidden, then the output error), first ``n`` rows."""
        return [d[:n] for d in self.d] + [self.err[:n]]


def forward(mlp: MLP, ws: Workspace, n: int) -> None:
    """Forward pass of the first ``n`` rows of ``ws.x``; fills ``hidden``, ``mask``, ``logits``."""
    inputs = ws.layer_inputs(n)
    last = len(mlp.weights) - 1
    for l, (w, b) in enumerate(zip(mlp.weights, mlp.biases)):
        out = ws.logits[:n] if l == last else ws.h[l][:n]
        np.matmul(inputs[l], w, out=out)
        out += b
        if l < last:
            np.maximum(out, 0, out=out)
    if last:
        np.greater(ws.hidden[:n], 0, out=ws.mask[:n])


def softmax_xent(ws: Workspace, y: np.ndarray, n: int) -> tuple[float, int]:
    """Mean cross-entropy of ``ws.logits[:n]`` against labels ``y``; writes ``e`` to ``ws.err``.

    Returns ``(loss, number of correct argmax predictions)``.
    """
    y = np.asarray(y)
    if y.shape != (n,) or (n and (y.min() < 0 or y.max() >= ws.logits.shape[1])):
        raise ValueError(f"labels must be ({n},) integers in [0, {ws.logits.shape[1]}), "
                         f"got shape {y.shape}")
    loss, correct = _softmax_xent(ws.logits[:n], y, ws.err[:n])
    return float(loss), int(correct)


@njit(cache=True, nogil=True)
def _softmax_xent(z, y, e):  # pragma: no cover - compiled
    n, k = z.shape
    inv = 1.0 / n
    loss = 0.0
    correct = 0
    for i in range(n):
        m = z[i, 0]
        arg = 0
        for j in range(1, k):
            if z[i, j] > m:
                m = z[i, j]
                arg = j
        if arg == y[i]:
            correct += 1
        s = 0.0
        for j in range(k):
            t = np.exp(z[i, j] - m)
            e[i, j] = t
            s += t
        loss += np.log(s) - (z[i, y[i]] - m)
        f = inv / s
        for j in range(k):
            e[i, j] = e[i, j] * f
        e[i, y[i]] -= inv
    return loss * inv, correct


def weight_grads(mlp: MLP, ws: Workspace, n: int) -> None:
    """``dW_l = h_{l-1}^T delta_l`` and ``db_l = sum_batch delta_l`` into ``ws.grad_*``."""
    for x, d, gw, gb in zip(ws.layer_inputs(n), ws.layer_deltas(n), ws.grad_w, ws.grad_b):
        np.matmul(x.T, d, out=gw)
        np.sum(d, axis=0, out=gb)


@njit(cache=True, nogil=True)
def _momentum_step(w, buf, g, lr, mu):  # pragma: no cover - compiled
    # One pass instead of numpy's three (buf*=mu; buf+=g; w-=lr*buf): the update is
    # memory-bound, so fusing it saves two reads and a write of every parameter.
    wf = w.reshape(-1)
    bf = buf.reshape(-1)
    gf = g.reshape(-1)
    for i in range(wf.size):
        v = mu * bf[i] + gf[i]
        bf[i] = v
        wf[i] -= lr * v


class SGD:
    """SGD with momentum, PyTorch's convention: ``buf = mu buf + g``, ``w -= lr buf``."""

    def __init__(self, mlp: MLP, lr: float = 0.01, momentum: float = 0.9) -> None:
        self.lr = check_scalar("lr", lr, 0, None, low_inclusive=False)
        self.momentum = check_scalar("momentum", momentum, 0, 1, high_inclusive=False)
        self.buf_w = [np.zeros_like(w) for w in mlp.weights]
        self.buf_b = [np.zeros_like(b) for b in mlp.biases]

    def step(self, mlp: MLP, grad_w: Sequence[np.ndarray], grad_b: Sequence[np.ndarray]) -> None:
        """Apply given gradients."""
        lr, mu = mlp.dtype.type(self.lr), mlp.dtype.type(self.momentum)
        for p, buf, g in zip(mlp.weights + mlp.biases, self.buf_w + self.buf_b,
                             list(grad_w) + list(grad_b)):
            _momentum_step(p, buf, g, lr, mu)

    def update(self, mlp: MLP, ws: Workspace, n: int, fused: bool | None = None) -> None:
        """Gradients from ``ws`` (inputs and deltas of the first ``n`` rows) and the step.

        Fused path (float32, numpy's OpenBLAS reachable): ``buf <- h^T delta + mu buf`` by one
        GEMM with ``beta = mu`` and ``W <- W - lr buf`` by one AXPY, both threaded, no
        gradient buffer (``ws.grad_w`` is then left untouched). Otherwise
        :func:`weight_grads` and :meth:`step`. The two agree to float rounding.
        """
        if fused is None:
            fused = _blas.AVAILABLE and mlp.dtype == np.float32
        if not fused:
            weight_grads(mlp, ws, n)
            self.step(mlp, ws.grad_w, ws.grad_b)
            return
        lr, mu = mlp.dtype.type(self.lr), mlp.dtype.type(self.momentum)
        for l, (x, d) in enumerate(zip(ws.layer_inputs(n), ws.layer_deltas(n))):
            _blas.gemm_tn_acc(x, d, self.buf_w[l], mu)
            _blas.axpy(-lr, self.buf_w[l], mlp.weights[l])
            np.sum(d, axis=0, out=ws.grad_b[l])
            _momentum_step(mlp.biases[l], self.buf_b[l], ws.grad_b[l], lr, mu)
