"""Cores that are not the simulated chip: exact digital products and the authors' error model.

Every core of the project, these and the photonic ones (:class:`~.core.PhotonicMVM`,
:class:`~photonic_dfa.calibration.calibrated_core.CalibratedCore`), has one interface,
:class:`MatVecCore`: ``program(W)`` once with ``W`` of shape ``(n_out, n_in)``, then
``matvec(X, gate=None, rng=None)`` returns ``X W^T`` of shape ``(batch, n_out)`` for ``X`` of
shape ``(batch, n_in)``, zero wherever the boolean ``gate`` (the ReLU derivative) is False.

The authors' error model (Filipovich et al., Optica 9(12) 2022, and their public simulation)
adds to every element of ``B e`` an error ``max|e| N(mean = 0.03, std = 0.618)``:
:data:`AUTHORS_ERROR` is that model, defined here once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike

from photonic_dfa.base.arrays import RealArray, RealDType
from photonic_dfa.base.validation import check_scalar

__all__ = ["AUTHORS_ERROR", "AuthorsErrorModel", "DigitalCore", "GaussianErrorCore",
           "InputScaling", "MatVecCore"]

InputScaling = Literal["sample", "batch"]


@runtime_checkable
class MatVecCore(Protocol):
    """``program(W)`` then ``matvec(X, gate, rng) -> X W^T`` (gated); see the module doc."""

    def program(self, weights: ArrayLike) -> object: ...

    def matvec(self, x: ArrayLike, gate: ArrayLike | None = None,
               rng: np.random.Generator | None = None) -> RealArray: ...


@dataclass(frozen=True)
class AuthorsErrorModel:
    """Gaussian MAC error ``scale * N(mean, std)`` per product element, ``scale = max|e|``.

    Filipovich et al., Optica 9(12) 2022: their measured on-chip MAC error, in units of the
    largest input magnitude; the published simulation draws it per element of ``B e``.
    """

    mean: float = 0.03
    std: float = 0.618

    def __post_init__(self) -> None:
        check_scalar("mean", self.mean, -10.0, 10.0)
        check_scalar("std", self.std, 0.0, 10.0)

    def noise(self, rng: np.random.Generator, shape: tuple[int, ...],
              scale: float | RealArray = 1.0,
              dtype: RealDType = np.float64) -> RealArray:
        """``scale * (mean + std Z)``, ``Z`` standard normal of ``shape`` drawn from ``rng``."""
        z = rng.standard_normal(shape, dtype=dtype)
        z *= self.std
        z += self.mean
        return z * scale


#: The authors' published model: ``max|e| N(0.03, 0.618)``.
AUTHORS_ERROR = AuthorsErrorModel()


def _programmed(matrix: RealArray | None) -> RealArray:
    if matrix is None:
        raise ValueError("program(weights) must be called before matvec")
    return matrix


def _matrix(weights: ArrayLike) -> RealArray:
    w = np.array(weights)
    if w.ndim != 2 or w.size == 0 or not np.issubdtype(w.dtype, np.floating) \
            or not np.all(np.isfinite(w)):
        raise ValueError(f"weights must be a finite non-empty 2-D float matrix (n_out, n_in), "
                         f"got shape {w.shape} dtype {w.dtype}")
    return w


def _gated(y: RealArray, gate: ArrayLike | None) -> RealArray:
    if gate is not None:
        g = np.asarray(gate)
        if g.shape != y.shape:
            raise ValueError(f"gate must have the output's shape {y.shape}, got {g.shape}")
        y *= g
    return y


class DigitalCore:
    """Exact float products ``X W^T`` (gated): digital DFA, the reference a chip is compared
    with. ``calls`` counts ``matvec`` calls."""

    def __init__(self) -> None:
        self.matrix: RealArray | None = None
        self.calls = 0

    def program(self, weights: ArrayLike) -> None:
        self.matrix = _matrix(weights)

    def matvec(self, x: ArrayLike, gate: ArrayLike | None = None,
               rng: np.random.Generator | None = None) -> RealArray:
        m = _programmed(self.matrix)
        self.calls += 1
        return _gated(np.asarray(x) @ m.T, gate)


class GaussianErrorCore:
    """The authors' model as a core: ``y = s_x s_W (x_n W_n^T + N(mean, std))``.

    ``W_n = W / s_W`` (``s_W = max|W|``) and ``x_n = x / s_x`` are the full-scale
    normalised operands; ``s_x`` is the largest input magnitude of each sample
    (``input_scaling="sample"``) or of the whole batch (``"batch"``, as the authors' code
    scales by the batch's ``max|e|``). The error is drawn per output element from ``rng``
    (the call's, else the core's own).
    """

    def __init__(self, rng: np.random.Generator | None = None,
                 model: AuthorsErrorModel = AUTHORS_ERROR,
                 input_scaling: InputScaling = "sample") -> None:
        if input_scaling not in ("sample", "batch"):
            raise ValueError(f"input_scaling must be 'sample' or 'batch', got {input_scaling!r}")
        self.rng = np.random.default_rng() if rng is None else rng
        self.model = model
        self.input_scaling: InputScaling = input_scaling
        self.matrix: RealArray | None = None
        self.matrix_scale = 1.0

    def program(self, weights: ArrayLike) -> None:
        w = _matrix(weights)
        self.matrix_scale = float(np.abs(w).max()) or 1.0
        self.matrix = w / w.dtype.type(self.matrix_scale)

    def matvec(self, x: ArrayLike, gate: ArrayLike | None = None,
               rng: np.random.Generator | None = None) -> RealArray:
        m = _programmed(self.matrix)
        xa = np.asarray(x, dtype=m.dtype)
        if xa.ndim != 2 or xa.shape[1] != m.shape[1]:
            raise ValueError(f"x must have shape (batch, {m.shape[1]}), got {xa.shape}")
        if self.input_scaling == "sample":
            s = np.abs(xa).max(axis=1, keepdims=True)
            s[s == 0] = 1.0
        else:
            s = np.full((1, 1), float(np.abs(xa).max()) or 1.0, dtype=m.dtype)
        y = (xa / s) @ m.T
        y += self.model.noise(self.rng if rng is None else rng, y.shape, dtype=y.dtype)
        y *= s * m.dtype.type(self.matrix_scale)
        return _gated(y, gate)
