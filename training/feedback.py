"""Feedback strategies: where the hidden error signals ``delta_l = dL/da_l`` come from.

* ``backprop``: ``delta_l = (delta_{l+1} W_{l+1}^T) * f'(a_l)``, exact gradients.
* ``dfa`` (Noekland 2016): ``delta_l = (e B_l / sqrt(n_l)) * f'(a_l)``, ``B_l`` fixed, uniform in
  [-1, 1), shape ``(n_out, n_l)``; ``e`` the output error.
* ``gaussian``: the authors' published model of on-chip MAC error (Filipovich et al., Optica
  2022, simulation code): ``delta_l = ((e B_l + max|e| * N(mean, std)) / sqrt(n_l)) * f'(a_l)``
  with ``N`` drawn per element of ``e B_l`` and ``max|e|`` the largest magnitude in the batch;
  :data:`~photonic_dfa.architecture.digital.AUTHORS_ERROR` by default.
* ``photonic`` (:class:`ChipFeedback`): the stacked ``B`` programmed once onto a matrix-vector
  core, every batch's feedback for all hidden layers computed by one ``core.matvec``.

Scale convention, following the authors' code: the ``1 / sqrt(n_l)`` normalisation is applied
in every DFA mode (``dfa``, ``gaussian``, ``photonic``), so digital DFA is exactly the
zero-error limit of the Gaussian model. ``e`` is the gradient of the batch-MEAN loss (it
carries ``1/batch``), as in their PyTorch code.

Every strategy exposes ``hidden_deltas(mlp, ws, n)`` (write ``ws.delta[:n]``), ``state()`` and
``load_state()`` (checkpoints: feedback matrices and random-generator states).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np

from photonic_dfa.architecture.digital import AUTHORS_ERROR, AuthorsErrorModel, MatVecCore

from .chip import DriftingCore
from .mlp import MLP, Workspace

__all__ = [
    "Feedback",
    "Backprop",
    "DFA",
    "GaussianDFA",
    "ChipFeedback",
    "PhotonicUnavailableError",
    "FEEDBACKS",
    "random_feedback_matrices",
    "stack_feedback",
    "make_feedback",
    "make_photonic_feedback",
    "chip_config",
    "photonic_available",
]

FEEDBACKS = ("backprop", "dfa", "gaussian", "photonic")


class Feedback(Protocol):
    name: str

    def hidden_deltas(self, mlp: MLP, ws: Workspace, n: int) -> None: ...
    def state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]: ...
    def load_state(self, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any]) -> None: ...


class PhotonicUnavailableError(ImportError):
    """The chip layers (photonic_dfa.architecture / calibration) cannot be used yet."""


def random_feedback_matrices(n_out: int, hidden: Sequence[int], rng: np.random.Generator,
                             dtype: type = np.float32) -> list[np.ndarray]:
    """One fixed ``B_l`` per hidden layer, uniform in [-1, 1), shape ``(n_out, n_l)``."""
    return [rng.uniform(-1.0, 1.0, (n_out, w)).astype(dtype) for w in hidden]


def stack_feedback(matrices: Sequence[np.ndarray]) -> np.ndarray:
    """``[B_1 | B_2 | ...]`` of shape ``(n_out, sum n_l)``: one product feeds every layer."""
    return np.ascontiguousarray(np.concatenate(matrices, axis=1))


def _inv_sqrt_widths(hidden: Sequence[int], dtype: type) -> np.ndarray:
    return np.concatenate([np.full(w, 1.0 / np.sqrt(w)) for w in hidden]).astype(dtype)


class Backprop:
    """Exact gradients: ``delta_l = (delta_{l+1} W_{l+1}^T) * f'(a_l)``."""

    name = "backprop"

    def hidden_deltas(self, mlp: MLP, ws: Workspace, n: int) -> None:
        deltas = ws.layer_deltas(n)
        for l in range(len(mlp.weights) - 1, 0, -1):
            d = deltas[l - 1]
            np.matmul(deltas[l], mlp.weights[l].T, out=d)
            d *= ws.mask[:n, ws.offsets[l - 1]:ws.offsets[l]]

    def state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        return {}, {"name": self.name}

    def load_state(self, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any]) -> None:
        _check_name(self.name, meta)


class _DFABase:
    name = "dfa"

    def __init__(self, matrices: Sequence[np.ndarray]) -> None:
        if not matrices:
            raise ValueError("DFA needs at least one hidden layer (one feedback matrix)")
        n_out = matrices[0].shape[0]
        for l, b in enumerate(matrices):
            if b.ndim != 2 or b.shape[0] != n_out or not np.all(np.isfinite(b)):
                raise ValueError(f"feedback matrix {l} must be finite (n_out={n_out}, width), "
                                 f"got shape {b.shape}")
        self.matrices = [np.array(b) for b in matrices]
        self.hidden = tuple(b.shape[1] for b in matrices)
        dtype = self.matrices[0].dtype
        self.stacked = stack_feedback(self.matrices)
        self.inv_sqrt_w = _inv_sqrt_widths(self.hidden, dtype)
        # 1/sqrt(n_l) folded into the matrix once instead of scaling every batch.
        self.scaled = np.ascontiguousarray(self.stacked * self.inv_sqrt_w)

    def _check(self, mlp: MLP, ws: Workspace) -> None:
        if mlp.hidden_sizes != self.hidden or mlp.sizes[-1] != self.stacked.shape[0]:
            raise ValueError(f"feedback built for hidden widths {self.hidden} and "
                             f"{self.stacked.shape[0]} outputs, network has {mlp.sizes}")

    def state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        return {f"B{l}": b for l, b in enumerate(self.matrices)}, {"name": self.name}

    def load_state(self, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any]) -> None:
        _check_name(self.name, meta)
        for l, b in enumerate(self.matrices):
            if not np.array_equal(arrays[f"B{l}"], b):
                raise ValueError(f"checkpoint feedback matrix B{l} differs from this run's "
                                 "(different seed or widths?)")


class DFA(_DFABase):
    """Digital DFA: ``delta = (e [B_1 | B_2 | ...] / sqrt(n_l)) * f'(a)``, one product."""

    name = "dfa"

    def hidden_deltas(self, mlp: MLP, ws: Workspace, n: int) -> None:
        d = ws.delta[:n]
        np.matmul(ws.err[:n], self.scaled, out=d)
        d *= ws.mask[:n]


class GaussianDFA(_DFABase):
    """The authors' error model: ``(e B + max|e| N(mean, std)) / sqrt(n_l)``, then gated."""

    name = "gaussian"

    def __init__(self, matrices: Sequence[np.ndarray], rng: np.random.Generator,
                 model: AuthorsErrorModel = AUTHORS_ERROR) -> None:
        super().__init__(matrices)
        self.model = model
        self.mean, self.std = model.mean, model.std
        self.rng = rng
        self._noise = np.empty((0, self.stacked.shape[1]), self.stacked.dtype)

    def hidden_deltas(self, mlp: MLP, ws: Workspace, n: int) -> None:
        d = ws.delta[:n]
        e = ws.err[:n]
        if self._noise.shape[0] < n:
            self._noise = np.empty((ws.batch, self.stacked.shape[1]), self.stacked.dtype)
        noise = self._noise[:n]
        np.matmul(e, self.scaled, out=d)
        self.rng.standard_normal(dtype=noise.dtype, out=noise)
        emax = float(np.max(np.abs(e)))
        # (std Z + mean) * max|e| / sqrt(n_l), per column
        noise *= self.inv_sqrt_w * noise.dtype.type(self.std * emax)
        noise += self.inv_sqrt_w * noise.dtype.type(self.mean * emax)
        d += noise
        d *= ws.mask[:n]

    def state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        arrays, meta = super().state()
        meta.update(rng=json.dumps(self.rng.bit_generator.state), mean=self.mean, std=self.std)
        return arrays, meta

    def load_state(self, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any]) -> None:
        super().load_state(arrays, meta)
        self.rng.bit_generator.state = json.loads(meta["rng"])


class ChipFeedback(_DFABase):
    """DFA through a matrix-vector core: ``program([B_1 | B_2 | ...]^T)`` once, then per batch
    ``delta = core.matvec(e / s, gate=f'(a)) * s / sqrt(n_l)`` with ``s = max|e|``.

    ``e`` is scaled to full scale [-1, 1] by the batch's ``max|e|`` before the core (the
    modulators' range) and back after, as the ``gaussian`` mode and the authors' code
    scale; the chip's own ``core.input_scaling`` then applies on top (``"sample"``, the
    default, rescales each sample to full scale; ``"batch"`` leaves these inputs as they
    are). The ReLU-derivative gate is applied by the core (at the detector).
    """

    name = "photonic"

    def __init__(self, matrices: Sequence[np.ndarray], core: MatVecCore,
                 rng: np.random.Generator | None = None) -> None:
        super().__init__(matrices)
        self.rng = rng  # passed to core.matvec(..., rng=) when given: the chip's noise stream
        if not isinstance(core, MatVecCore):
            raise ValueError(f"core must have program(matrix) and matvec(x, gate), "
                             f"got {type(core).__name__}")
        self.core = core
        self.core.program(self.stacked.T)
        self._gate = np.empty((0, self.stacked.shape[1]), bool)

    def hidden_deltas(self, mlp: MLP, ws: Workspace, n: int) -> None:
        e = ws.err[:n]
        if self._gate.shape[0] < n:
            self._gate = np.empty((ws.batch, self.stacked.shape[1]), bool)
        gate = self._gate[:n]
        np.greater(ws.hidden[:n], 0, out=gate)
        s = float(np.max(np.abs(e)))
        d = ws.delta[:n]
        if s == 0.0:
            d[...] = 0
            return
        # in double precision: a saturated network's max|e| can be a float32 denormal whose
        # reciprocal overflows float32
        x = e / np.float64(s)
        if self.rng is None:
            y = np.asarray(self.core.matvec(x, gate=gate))
        else:
            y = np.asarray(self.core.matvec(x, gate=gate, rng=self.rng))
        if y.shape != d.shape:
            raise ValueError(f"core.matvec returned shape {y.shape}, expected {d.shape}")
        np.multiply(y, self.inv_sqrt_w * d.dtype.type(s), out=d, casting="same_kind")

    def state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        arrays, meta = super().state()
        if self.rng is not None:
            meta["rng"] = json.dumps(self.rng.bit_generator.state)
        if isinstance(self.core, DriftingCore):  # a drifting chip's time and history
            core_arrays, core_meta = self.core.state()
            arrays.update(core_arrays)
            meta.update(core_meta)
        return arrays, meta

    def load_state(self, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any]) -> None:
        super().load_state(arrays, meta)
        if self.rng is not None and "rng" in meta:
            self.rng.bit_generator.state = json.loads(meta["rng"])
        if isinstance(self.core, DriftingCore):
            self.core.load_state(arrays, meta)


def _check_name(name: str, meta: Mapping[str, Any]) -> None:
    if meta.get("name") != name:
        raise ValueError(f"checkpoint was trained with feedback {meta.get('name')!r}, "
                         f"this run uses {name!r}")


def photonic_available() -> tuple[bool, str]:
    """Whether the chip layer can be imported, and if not, why."""
    try:
        from photonic_dfa.architecture.config import ChipConfig  # noqa: F401
        from photonic_dfa.architecture.core import PhotonicMVM  # noqa: F401
    except ImportError as exc:
        return False, f"photonic feedback needs photonic_dfa.architecture ({exc})"
    return True, ""


def chip_config(options: Mapping[str, Any] | None = None) -> Any:
    """A ``ChipConfig`` from training options: ``toml`` (a chip file) or ``ideal`` (every
    error off) as the base, default the documented chip; every other key is a dotted override,
    e.g. ``{"errors.shot": False, "adc.bits": 6}``."""
    ok, why = photonic_available()
    if not ok:
        raise PhotonicUnavailableError(why)
    from photonic_dfa.architecture.config import ChipConfig

    opts = dict(options or {})
    toml, ideal = opts.pop("toml", None), bool(opts.pop("ideal", False))
    if toml:
        base = ChipConfig.from_toml(toml)
    else:
        base = ChipConfig.ideal() if ideal else ChipConfig()
    return base.updated(**opts) if opts else base


def make_photonic_feedback(matrices: Sequence[np.ndarray], options: Mapping[str, Any] | None,
                           rng: np.random.Generator) -> ChipFeedback:
    """Photonic DFA on the simulated chip, configured by :func:`chip_config`; imported lazily,
    since training must run without the chip layer. The chip's noise is drawn from ``rng``
    (checkpointed with the run).

    By default the chip is fabricated (seed ``fab_seed``, default 0) and programmed through
    its calibration (:func:`photonic_dfa.calibration.calibrated_core.calibrated_core`);
    ``design=True`` uses the design chip programmed by its model inverse, and ``ideal=True``
    the error-free core.
    """
    from .chip import chip_core

    return ChipFeedback(matrices, chip_core(options), rng=rng)


def make_feedback(name: str, mlp: MLP, rng: np.random.Generator, *,
                  error_mean: float = AUTHORS_ERROR.mean, error_std: float = AUTHORS_ERROR.std,
                  chip: Mapping[str, Any] | None = None,
                  core: MatVecCore | None = None) -> Feedback:
    """Build a strategy by name; DFA matrices are drawn from ``rng`` first, then the noise
    stream, so a given seed gives the same ``B`` in every DFA mode."""
    if name not in FEEDBACKS:
        raise ValueError(f"feedback must be one of {FEEDBACKS}, got {name!r}")
    if name == "backprop":
        return Backprop()
    if not mlp.hidden_sizes:
        raise ValueError(f"{name} feedback needs at least one hidden layer, network is {mlp.sizes}")
    mats = random_feedback_matrices(mlp.sizes[-1], mlp.hidden_sizes, rng, mlp.dtype)
    if name == "dfa":
        return DFA(mats)
    if name == "gaussian":
        return GaussianDFA(mats, rng, AuthorsErrorModel(error_mean, error_std))
    if core is not None:
        return ChipFeedback(mats, core)
    return make_photonic_feedback(mats, chip, rng)
