"""DFA feedback paths for the Transformer: digital ``e B`` or a matrix-vector core.

A core is any :class:`~photonic_dfa.architecture.digital.MatVecCore`: ``program(B)`` once
(``B`` of shape ``(n_out, vocab)``), then ``matvec(X) -> X B^T`` of shape ``(tokens, n_out)``
for ``X`` of shape ``(tokens, vocab)``; a core whose optical inputs are fewer than ``vocab``
tiles them itself.

The fixed random feedback matrices are ``B_k ~ U[-sqrt(3/V), sqrt(3/V))``, i.e. unit-variance
entries scaled by ``1/sqrt(V)`` so that ``|e B_k|`` per token is of order ``|e|`` whatever
the vocabulary size. All injection points are stacked in one ``(V, n_points d_model)``
matrix so that the whole feedback is one product, as the photonic core would compute it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from photonic_dfa.architecture.digital import (
    AUTHORS_ERROR,
    AuthorsErrorModel,
    DigitalCore,
    GaussianErrorCore,
    MatVecCore,
)
from photonic_dfa.base.validation import check_int

__all__ = ["DFAFeedback", "POINTS", "PhotonicCore", "make_core"]

POINTS = ("macro", "micro")


class PhotonicCore:
    """The simulated photonic chip behind the Transformer's feedback.

    ``chip`` is any :class:`~photonic_dfa.architecture.digital.MatVecCore`: by default a
    fabricated chip programmed through its calibration
    (:func:`photonic_dfa.calibration.calibrated_core.calibrated_core`). The chip scales
    the error vectors onto the modulators' full scale ``[-1, 1]`` itself, as its
    configuration's ``core.input_scaling`` says (default each token's own ``max|e|``;
    ``"batch"``: one for the batch of tokens), and undoes the
    scale after detection; the vocabulary-size inputs are tiled onto the core's channels by
    the core itself.
    """

    def __init__(self, chip: MatVecCore, rng: np.random.Generator) -> None:
        self.chip = chip
        self.rng = rng

    def program(self, weights: ArrayLike) -> None:
        self.chip.program(np.asarray(weights, dtype=float))

    def matvec(self, x: ArrayLike, gate: ArrayLike | None = None,
               rng: np.random.Generator | None = None) -> NDArray[np.float32]:
        xa = np.asarray(x, dtype=float)
        y = self.chip.matvec(xa, gate=gate, rng=self.rng if rng is None else rng)
        return np.asarray(y, dtype=np.float32)


def make_core(kind: str, seed: int, mean: float = AUTHORS_ERROR.mean,
              std: float = AUTHORS_ERROR.std, chip: Mapping[str, Any] | None = None
              ) -> MatVecCore:
    """The feedback core by name: ``chip`` (the simulated chip: fabricated from ``seed`` and
    calibrated unless ``chip`` options say ``design`` or ``ideal``; see
    :func:`photonic_dfa.training.feedback.chip_config`), ``gaussian`` (the authors' MAC-error
    model, :data:`~photonic_dfa.architecture.digital.AUTHORS_ERROR` by default) or
    ``digital`` (exact)."""
    rng = np.random.default_rng([seed, 7])
    if kind == "digital":
        return DigitalCore()
    if kind == "gaussian":
        return GaussianErrorCore(rng, AuthorsErrorModel(mean, std))
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
