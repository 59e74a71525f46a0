"""DFA feedback paths for the Transformer: digital ``e B`` or a matrix-vector core.

A core is any object with ``program(B)`` (called once, ``B`` of shape ``(n_out, vocab)``) and
``matvec(X) -> X B^T`` of shape ``(tokens, n_out)`` for ``X`` of shape ``(tokens, vocab)``;
a core whose optical inputs are fewer than ``vocab`` tiles them itself.

The fixed random feedback matrices are ``B_k ~ U[-sqrt(3/V), sqrt(3/V))``, i.e. unit-variance
entries scaled by ``1/sqrt(V)`` so that ``|e B_k|`` per token is of order ``|e|`` whatever
the vocabulary size. All injection points are stacked in one ``(V, n_points d_model)``
matrix so that the whole feedback is one product, as the photonic core would compute it.
"""

from __future__ import annotations

import math
from typing import Any, Protocol, runtime_checkable

import numpy as np

from photonic_dfa.base.validation import check_int, check_scalar

__all__ = ["MatVecCore", "DigitalCore", "GaussianMACErrorCore", "PhotonicCore", "DFAFeedback",
           "POINTS", "make_core"]

POINTS = ("macro", "micro")


@runtime_checkable
class MatVecCore(Protocol):
    def program(self, b: np.ndarray) -> None: ...

    def matvec(self, x: np.ndarray) -> np.ndarray: ...


class DigitalCore:
    """Exact float products: the reference a photonic core is compared with."""

    def __init__(self) -> None:
        self.b: np.ndarray | None = None
        self.calls = 0

    def program(self, b: np.ndarray) -> None:
        self.b = np.array(b, dtype=np.float32)

    def matvec(self, x: np.ndarray) -> np.ndarray:
        if self.b is None:
            raise ValueError("program(B) must be called before matvec")
        self.calls += 1
        return np.asarray(x, dtype=np.float32) @ self.b.T


class GaussianMACErrorCore:
    """Stand-in analogue core with the MAC-error model of Filipovich et al. (Optica 2022).

    Weights are mapped to the full scale ``[-1, 1]`` (``B / max|B|``) and each input vector to
    ``x / max|x|``; every output of the normalised product gets additive Gaussian error
    ``N(mean, std)`` in full-scale units (the published simulation: mean 0.03, std 0.618),
    then both scales are undone: ``y = max|x| max|B| (x_n B_n^T + noise)``.
    """

    def __init__(self, rng: np.random.Generator, mean: float = 0.03, std: float = 0.618):
        self.mean = check_scalar("mean", mean, -10.0, 10.0)
        self.std = check_scalar("std", std, 0.0, 10.0)
        self.rng = rng
        self.b: np.ndarray | None = None
        self.b_scale = 1.0

    def program(self, b: np.ndarray) -> None:
        b = np.asarray(b, dtype=np.float32)
        self.b_scale = float(np.abs(b).max()) or 1.0
        self.b = b / self.b_scale

    def matvec(self, x: np.ndarray) -> np.ndarray:
        if self.b is None:
            raise ValueError("program(B) must be called before matvec")
        x = np.asarray(x, dtype=np.float32)
        x_scale = np.abs(x).max(axis=1, keepdims=True)
        x_scale[x_scale == 0] = 1.0
        y = (x / x_scale) @ self.b.T
        y += self.rng.normal(self.mean, self.std, size=y.shape).astype(np.float32)
        y *= x_scale * self.b_scale
        return y


class PhotonicCore:
    """The simulated photonic chip behind the Transformer's feedback.

    ``chip`` is any core with ``program(W)`` and ``matvec(x, gate=, rng=)``: by default a
    fabricated chip programmed through its calibration
    (:func:`photonic_dfa.training.chip.calibrated_core`). Each token's error vector is scaled
    to the modulators' full scale ``[-1, 1]`` by its own ``max|e|`` (a digital prescale
    before the DACs) and the scale undone after detection; the vocabulary-size inputs are
    tiled onto the core's channels by the core itself.
    """

    def __init__(self, chip: Any, rng: np.random.Generator) -> None:
        self.chip = chip
        self.rng = rng

    def program(self, b: np.ndarray) -> None:
        self.chip.program(np.asarray(b, dtype=float))

    def matvec(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        s = np.abs(x).max(axis=1, keepdims=True)
        s[s == 0] = 1.0
        y = self.chip.matvec(x / s, rng=self.rng)
        return (y * s).astype(np.float32)


def make_core(kind: str, seed: int, mean: float = 0.03, std: float = 0.618,
              chip: dict[str, Any] | None = None) -> MatVecCore:
    """The feedback core by name: ``chip`` (the simulated chip: fabricated from ``seed`` and
    calibrated unless ``chip`` options say ``design`` or ``ideal``; see
    :func:`photonic_dfa.training.feedback.chip_config`), ``gaussian`` (the published MAC-error
    model) or ``digital`` (exact)."""
    rng = np.random.default_rng([seed, 7])
    if kind == "digital":
        return DigitalCore()
    if kind == "gaussian":
        return GaussianMACErrorCore(rng, mean=mean, std=std)
    if kind == "chip":
        from .chip import chip_core

        return PhotonicCore(chip_core(chip, fab_seed=seed), rng)
    raise ValueError(f"core must be 'chip', 'gaussian' or 'digital', got {kind!r}")


class DFAFeedback:
    """Fixed random feedback ``e -> [e B_1, ..., e B_K]`` for macro or micro DFA."""

    def __init__(self, vocab_size: int, d_model: int, n_layers: int, points: str,
                 rng: np.random.Generator, core: MatVecCore | None = None,
                 normalize: bool = True):
        check_int("vocab_size", vocab_size, 2)
        check_int("d_model", d_model, 1)
        check_int("n_layers", n_layers, 1)
        if points not in POINTS:
            raise ValueError(f"points must be one of {POINTS}, got {points!r}")
        self.points = points
        self.normalize = bool(normalize)
        self.n_points = n_layers * (2 if points == "micro" else 1)
        half = math.sqrt(3.0 / vocab_size)
        self.b = rng.uniform(-half, half, size=(vocab_size, self.n_points * d_model)).astype(
            np.float32)
        self.core = core
        if core is not None:
            if not isinstance(core, MatVecCore):
                raise ValueError(
                    f"core must have program(B) and matvec(X), got {type(core).__name__}")
            core.program(self.b.T.copy())

    def project(self, e: np.ndarray) -> np.ndarray:
        """All injection signals ``e B`` at once: ``(tokens, vocab) -> (tokens, n_points d)``."""
        if self.core is None:
            return e @ self.b.astype(e.dtype, copy=False)
        out = np.asarray(self.core.matvec(e))
        if out.shape != (e.shape[0], self.b.shape[1]):
            raise ValueError(
                f"core.matvec returned shape {out.shape}, expected {(e.shape[0], self.b.shape[1])}"
            )
        return out
