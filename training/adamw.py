"""AdamW (Loshchilov & Hutter 2019) with global-norm gradient clipping, in place on numpy arrays.

``m <- b1 m + (1-b1) g``, ``v <- b2 v + (1-b2) g^2``,
``p <- p - lr (m_hat / (sqrt(v_hat) + eps) + wd p)``; weight decay is decoupled and applied
only to matrices (ndim >= 2), never to biases or LayerNorm gains, as in GPT-2/nanoGPT.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from photonic_dfa.base.validation import check_scalar

__all__ = ["AdamWConfig", "AdamW"]


@dataclass(frozen=True)
class AdamWConfig:
    beta1: float = 0.9
    beta2: float = 0.99
    eps: float = 1e-8
    weight_decay: float = 0.1
    grad_clip: float = 1.0  # max global L2 norm; 0 disables clipping

    def __post_init__(self) -> None:
        check_scalar("beta1", self.beta1, 0.0, 1.0, high_inclusive=False)
        check_scalar("beta2", self.beta2, 0.0, 1.0, high_inclusive=False)
        check_scalar("eps", self.eps, 0.0, 1.0, low_inclusive=False)
        check_scalar("weight_decay", self.weight_decay, 0.0, 10.0)
        check_scalar("grad_clip", self.grad_clip, 0.0, None)


class AdamW:
    """Optimizer state for a dict of parameters."""

    def __init__(self, params: dict[str, np.ndarray], config: AdamWConfig = AdamWConfig()):
        self.config = config
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}
        self.t = 0

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray], lr: float) -> float:
        """Update ``params`` in place; return the global gradient norm before clipping."""
        c = self.config
        norm = math.sqrt(sum(float(np.vdot(g, g)) for g in grads.values()))
        if not math.isfinite(norm):
            raise FloatingPointError(f"gradient norm is {norm}; training diverged")
        clip = c.grad_clip / norm if c.grad_clip > 0 and norm > c.grad_clip else 1.0
        self.t += 1
        bc1 = 1.0 - c.beta1 ** self.t
        bc2 = 1.0 - c.beta2 ** self.t
        step_size = lr / bc1
        for k, p in params.items():
            g = grads[k]
            m, v = self.m[k], self.v[k]
            m *= c.beta1
            m += ((1.0 - c.beta1) * clip) * g
            v *= c.beta2
            v += ((1.0 - c.beta2) * clip * clip) * (g * g)
            if p.ndim >= 2 and c.weight_decay:
                p *= 1.0 - lr * c.weight_decay
            denom = np.sqrt(v / bc2)
            denom += c.eps
            p -= step_size * (m / denom)
        return norm
