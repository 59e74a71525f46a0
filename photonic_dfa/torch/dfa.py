"""Direct Feedback Alignment for ``torch.nn.Module``: marked hidden signals, one core product.

DFA (Noekland 2016) with the scale of the authors' code (Filipovich et al., Optica 9(12) 2022),
exactly as :mod:`photonic_dfa.training.feedback`::

    delta_l = (e B_l / sqrt(n_l)) * f'(a_l)

``e = dL/dz`` is the gradient of the loss with respect to the network output ``z`` (for a
batch-mean loss it carries ``1/batch``), ``B_l`` is fixed, uniform in [-1, 1), of shape
``(n_out, n_l)``, and ``n_l`` is the number of features of marked signal ``l`` (``C*H*W`` for a
convolution's feature map). Every marked layer's feedback comes from ONE product per batch, as
``ChipFeedback`` computes it: the core is programmed once with ``[B_1 | B_2 | ...]^T`` and

    [delta_1 | delta_2 | ...] = core.matvec(e / s, gate=f'(a) != 0) * s / sqrt(n_l),  s = max|e|

so ``e / s`` lies in the modulators' full scale [-1, 1] on a chip.

How the gradient is routed: a :class:`DFALayer` returns its input detached, so no gradient
flows from one marked block to the one below; :class:`DFA`, placed on the output, is an
autograd function whose inputs are the output ``z`` and every marked signal. Its backward
passes ``e`` to ``z`` unchanged (the layers after the last marker train on their true
gradient) and ``delta_l`` to marked signal ``l``, from where autograd carries it down through
the block to the previous marker, so a block of several layers (conv, ReLU, pool) trains.

The activation derivative ``f'(a_l)`` is given at the marker (``gate=``):

* ``"relu"`` (default): ``gate = x > 0`` for the marker's input ``x``. This is the ReLU
  derivative whether the marker sits on the pre-activation (``fc -> DFALayer -> ReLU``) or on
  the ReLU's output (``h > 0`` exactly where ``a > 0``; also after a max-pool of a ReLU). The
  boolean gate goes to the core, which on a chip applies it at the detector.
* ``None``: no gate. Place the marker after the activation; autograd's backward of the
  activation then multiplies by ``f'`` (works for any activation).
* a callable ``f(x) -> tensor`` of ``x``'s shape: a boolean result is the core's gate; a
  floating one multiplies the feedback (its non-zero pattern gates the core), e.g.
  ``DFALayer(lambda a: 1 - torch.tanh(a) ** 2)`` on a tanh's pre-activation.
"""

from __future__ import annotations

import inspect
import json
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from photonic_dfa.architecture.digital import (
    AUTHORS_ERROR,
    AuthorsErrorModel,
    DigitalCore,
    GaussianErrorCore,
    MatVecCore,
)

__all__ = ["CORES", "DFA", "DFALayer", "make_core"]

#: names :func:`make_core` (and ``DFA(core=...)``) accept
CORES = ("digital", "gaussian", "chip")

Gate = str | Callable[[torch.Tensor], torch.Tensor] | None


def _generator(rng: Any, name: str) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, int | np.integer) and not isinstance(rng, bool) and rng >= 0:
        return np.random.default_rng(int(rng))
    raise ValueError(f"{name} must be a numpy Generator or a non-negative integer seed, "
                     f"got {rng!r}")


def _numpy(t: torch.Tensor) -> np.ndarray:
    """A tensor as a numpy array; numpy has no half types, so those widen to float32."""
    t = t.detach().cpu()
    if t.is_floating_point() and t.dtype not in (torch.float32, torch.float64):
        t = t.float()
    return t.numpy()


def make_core(name: str, *, rng: np.random.Generator | int = 0,
              model: AuthorsErrorModel = AUTHORS_ERROR, input_scaling: str = "batch",
              config: Any = None, fab_seed: int = 0, calibrated: bool = True) -> MatVecCore:
    """A feedback core by name.

    * ``"digital"``: :class:`~photonic_dfa.architecture.digital.DigitalCore`, exact products;
    * ``"gaussian"``: the authors' error model ``max|e| N(0.03, 0.618)`` per element of
      ``B e`` (:class:`~photonic_dfa.architecture.digital.GaussianErrorCore`, noise from
      ``rng``; ``input_scaling="batch"`` scales by the batch's ``max|e|``, as their code);
    * ``"chip"``: a chip of ``config`` (default ``ChipConfig()``) fabricated from ``fab_seed``
      and programmed through its calibration; ``calibrated=False`` gives the design chip
      (:class:`~photonic_dfa.architecture.core.PhotonicMVM`, e.g. of ``ChipConfig.ideal()``).
    """
    if name == "digital":
        return DigitalCore()
    if name == "gaussian":
        return GaussianErrorCore(_generator(rng, "rng"), model,
                                 input_scaling)  # type: ignore[arg-type]
    if name == "chip":
        from photonic_dfa.architecture.config import ChipConfig

        cfg = ChipConfig() if config is None else config
        if not isinstance(cfg, ChipConfig):
            raise ValueError(f"config must be a ChipConfig, got {type(cfg).__name__}")
        if not calibrated:
            from photonic_dfa.architecture.core import PhotonicMVM

            return PhotonicMVM(cfg)
        from photonic_dfa.calibration.calibrated_core import calibrated_core

        return calibrated_core(cfg, fab_seed)
    raise ValueError(f"core must be one of {CORES} or an object with program() and matvec(), "
                     f"got {name!r}")


class _Tape:
    """The marked signals of the forward pass in progress, until the output hook takes them."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.signals: dict[int, tuple[torch.Tensor, torch.Tensor | None,
                                      torch.Tensor | None]] = {}

    def record(self, index: int, x: torch.Tensor, gate: torch.Tensor | None,
               factor: torch.Tensor | None) -> None:
        if index in self.signals:
            # The previous pass never reached the output hook (an exception, or a forward
            # pass without it): start over rather than mix two passes.
            self.signals.clear()
        self.signals[index] = (x, gate, factor)

    def take(self) -> list[tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]]:
        missing = [i for i in range(self.n) if i not in self.signals]
        if missing:
            self.signals.clear()
            raise ValueError(f"marked layers {missing} (DFA marker order) were not called in "
                             "this forward pass: every DFALayer given to DFA must run exactly "
                             "once before the DFA output hook")
        out = [self.signals[i] for i in range(self.n)]
        self.signals.clear()
        return out


class DFALayer(nn.Module):
    """Marks a hidden signal for DFA: identity in the forward pass, and the gradient reaching
    its input is ``(B_l e) * f'(a_l) / sqrt(n_l)`` (see the module doc for ``gate``)."""

    def __init__(self, gate: Gate = "relu") -> None:
        super().__init__()
        if not (gate is None or gate == "relu" or (callable(gate) and not isinstance(gate, str))):
            raise ValueError(f"gate must be 'relu', None or a callable f(x) -> f'(x), "
                             f"got {gate!r}")
        self.gate = gate
        self._tape: _Tape | None = None
        self._index = -1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self._tape is None:
            raise ValueError("this DFALayer belongs to no DFA: build DFA([markers...]) with it "
                             "before the forward pass")
        if not torch.is_grad_enabled():
            return x
        if not isinstance(x, torch.Tensor) or x.ndim < 2 or x.shape[1:].numel() == 0:
            raise ValueError(f"a marked signal must be a tensor (batch, features...), got "
                             f"{tuple(x.shape) if isinstance(x, torch.Tensor) else type(x)}")
        gate, factor = self._derivative(x.detach())
        self._tape.record(self._index, x, gate, factor)
        # Detached: the layers above this marker send no gradient into this block; its
        # gradient arrives from the DFA output hook.
        return x.detach()

    def _derivative(self, x: torch.Tensor) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        if self.gate is None:
            return None, None
        if self.gate == "relu":
            return x > 0, None
        d = self.gate(x)  # type: ignore[operator]
        if not isinstance(d, torch.Tensor) or d.shape != x.shape:
            raise ValueError(f"gate callable must return a tensor of the signal's shape "
                             f"{tuple(x.shape)}, got "
                             f"{tuple(d.shape) if isinstance(d, torch.Tensor) else type(d)}")
        if d.dtype == torch.bool:
            return d, None
        return d != 0, d.detach()

    def extra_repr(self) -> str:
        g = self.gate if self.gate is None or isinstance(self.gate, str) else "callable"
        return f"gate={g!r}, index={self._index}"


class _Hook(torch.autograd.Function):
    """Identity on the output; backward sends ``e`` on and the DFA feedback to each marker."""

    @staticmethod
    def forward(ctx: Any, dfa: DFA, records: list, out: torch.Tensor,  # type: ignore[override]
                *signals: torch.Tensor) -> torch.Tensor:
        ctx.dfa, ctx.records = dfa, records
        return out.view_as(out)

    @staticmethod
    def backward(ctx: Any, e: torch.Tensor) -> tuple[Any, ...]:  # type: ignore[override]
        return (None, None, e, *ctx.dfa._feedback(e, ctx.records))


class DFA(nn.Module):
    """The output hook: ``z = dfa(logits)`` makes every marker's gradient the DFA feedback.

    ``markers``: the :class:`DFALayer` s, in the order their ``B_l`` are stacked. ``core``: a
    name of :data:`CORES` (options as keywords, see :func:`make_core`) or any object with
    ``program(W)`` and ``matvec(X, gate, rng)``; a core holds one programmed matrix, so give
    each DFA its own. ``rng``: Generator or seed; the ``B_l`` are drawn from it at the first
    forward pass (marker widths known then), ``rng.uniform(-1, 1, (n_out, n_l))`` layer by
    layer, as :func:`~photonic_dfa.training.feedback.random_feedback_matrices`; afterwards it
    is the core's noise stream unless ``noise_rng`` is given. ``feedback``: the ``B_l``
    themselves instead of drawing them.

    Buffers ``feedback`` (the stacked ``B``, ``(n_out, sum n_l)``) and ``widths``, and the
    generators' states, travel with ``state_dict``.
    """

    def __init__(self, markers: Sequence[DFALayer], core: MatVecCore | str = "digital", *,
                 rng: np.random.Generator | int = 0,
                 feedback: Sequence[Any] | None = None,
                 noise_rng: np.random.Generator | int | None = None,
                 **core_options: Any) -> None:
        super().__init__()
        if isinstance(markers, DFALayer) or not isinstance(markers, Sequence):
            raise ValueError("markers must be a list of DFALayer")
        markers = list(markers)
        if not markers:
            raise ValueError("DFA needs at least one marked layer (a DFALayer on a hidden "
                             "signal)")
        for i, m in enumerate(markers):
            if not isinstance(m, DFALayer):
                raise ValueError(f"markers[{i}] must be a DFALayer, got {type(m).__name__}")
            if m._tape is not None or any(m is o for o in markers[:i]):
                raise ValueError(f"markers[{i}] already belongs to a DFA (or is listed twice)")
        self._rng = _generator(rng, "rng")
        self._noise_rng = self._rng if noise_rng is None else _generator(noise_rng, "noise_rng")
        if isinstance(core, str):
            core = make_core(core, rng=self._noise_rng, **core_options)
        elif core_options:
            raise ValueError(f"core options {sorted(core_options)} apply only to a core name")
        if not (isinstance(core, MatVecCore) and callable(getattr(core, "program", None))
                and callable(getattr(core, "matvec", None))):
            raise ValueError(f"core must have program(matrix) and matvec(x, gate, rng), got "
                             f"{type(core).__name__}")
        self.core = core
        try:
            params = inspect.signature(core.matvec).parameters
            self._pass_rng = "rng" in params or any(
                p.kind is p.VAR_KEYWORD for p in params.values())
        except (TypeError, ValueError):
            self._pass_rng = True
        self._markers = tuple(markers)  # a tuple: not submodules of the hook
        self.register_buffer("feedback", torch.empty(0, 0))
        self.register_buffer("widths", torch.empty(0, dtype=torch.long))
        self._programmed = False
        if feedback is not None:
            self._set_feedback(feedback)
        # Attached last, so that a DFA that failed to build leaves its markers free.
        self._tape = _Tape(len(markers))
        for i, m in enumerate(markers):
            m._tape, m._index = self._tape, i

    # ------------------------------------------------------------------ feedback matrices
    def _set_feedback(self, matrices: Sequence[Any]) -> None:
        mats = [_numpy(b) if isinstance(b, torch.Tensor) else np.asarray(b) for b in matrices]
        if len(mats) != len(self._markers):
            raise ValueError(f"feedback has {len(mats)} matrices for {len(self._markers)} "
                             "marked layers")
        n_out = mats[0].shape[0] if mats[0].ndim == 2 else -1
        for l, b in enumerate(mats):
            if (b.ndim != 2 or b.shape[0] != n_out or b.shape[1] < 1
                    or not np.issubdtype(b.dtype, np.floating) or not np.all(np.isfinite(b))):
                raise ValueError(f"feedback[{l}] must be a finite float matrix (n_out, width) "
                                 f"with n_out = {n_out}, got shape {b.shape} dtype {b.dtype}")
        stacked = np.concatenate(mats, axis=1)
        self.feedback = torch.from_numpy(np.ascontiguousarray(stacked))
        self.widths = torch.tensor([b.shape[1] for b in mats], dtype=torch.long)
        self._programmed = False

    def _draw(self, n_out: int, widths: list[int], dtype: torch.dtype) -> None:
        mats = [self._rng.uniform(-1.0, 1.0, (n_out, w)) for w in widths]
        self._set_feedback(mats)
        self.feedback = self.feedback.to(dtype)

    def feedback_matrices(self) -> list[np.ndarray]:
        """The ``B_l``, one ``(n_out, n_l)`` array per marker (empty before the first pass)."""
        if self.feedback.numel() == 0:
            return []
        b = _numpy(self.feedback)
        offs = np.concatenate([[0], np.cumsum(self.widths.tolist())])
        return [b[:, i:j].copy() for i, j in zip(offs[:-1], offs[1:])]

    def _program(self) -> None:
        self.core.program(_numpy(self.feedback).T)
        widths = self.widths.tolist()
        self._offsets = np.concatenate([[0], np.cumsum(widths)]).tolist()
        self._inv_sqrt = torch.cat([torch.full((w,), 1.0 / math.sqrt(w), dtype=torch.float64)
                                    for w in widths])
        self._programmed = True

    # ------------------------------------------------------------------ forward / backward
    def forward(self, out: torch.Tensor) -> torch.Tensor:
        if not torch.is_grad_enabled():
            self._tape.signals.clear()
            return out
        records = self._tape.take()
        if not isinstance(out, torch.Tensor) or out.ndim != 2:
            raise ValueError(f"the DFA output hook needs the network output as (batch, n_out), "
                             f"got {tuple(out.shape) if isinstance(out, torch.Tensor) else out}")
        batch, n_out = out.shape
        widths = []
        for l, (x, _, _) in enumerate(records):
            if x.shape[0] != batch:
                raise ValueError(f"marked layer {l} has batch {x.shape[0]}, the output {batch}")
            widths.append(int(x.shape[1:].numel()))
        if self.feedback.numel() == 0:
            self._draw(n_out, widths, out.dtype if out.is_floating_point() else torch.float32)
        elif self.feedback.shape[0] != n_out or self.widths.tolist() != widths:
            raise ValueError(f"feedback is for {self.feedback.shape[0]} outputs and marked "
                             f"widths {self.widths.tolist()}; this pass has {n_out} outputs "
                             f"and widths {widths}")
        # The backward needs only each signal's shape and derivative, not the signal itself.
        light = [(x.shape, g, f) for x, g, f in records]
        return _Hook.apply(self, light, out, *(x for x, _, _ in records))

    def _feedback(self, e: torch.Tensor, records: list) -> list[torch.Tensor]:
        """``delta_l = core.matvec(e / s, gate) * s / sqrt(n_l)`` (times a float ``f'``)."""
        if not self._programmed:
            self._program()
        e = e.detach()
        batch, total = e.shape[0], self._offsets[-1]
        s = float(e.abs().max()) if e.numel() else 0.0
        if s == 0.0 or not math.isfinite(s):
            # No error, no update; a non-finite error poisons the update as backprop would.
            y = torch.full((batch, total), 0.0 if s == 0.0 else math.nan, dtype=e.dtype,
                           device=e.device)
        else:
            gates = [g for _, g, _ in records]
            gate = None
            if any(g is not None for g in gates):
                gate = np.concatenate(
                    [np.ones((batch, self._offsets[l + 1] - self._offsets[l]), bool)
                     if g is None else g.reshape(batch, -1).cpu().numpy()
                     for l, g in enumerate(gates)], axis=1)
            x = _numpy(e) * (1.0 / s)
            if self._pass_rng:
                y_np = self.core.matvec(x, gate=gate, rng=self._noise_rng)
            else:
                y_np = self.core.matvec(x, gate=gate)
            y_np = np.asarray(y_np)
            if y_np.shape != (batch, total):
                raise ValueError(f"core.matvec returned shape {y_np.shape}, expected "
                                 f"{(batch, total)}")
            if not y_np.flags.writeable or not y_np.flags.c_contiguous:
                y_np = np.array(y_np, order="C")
            y = torch.from_numpy(y_np).to(device=e.device, dtype=e.dtype)
            y.mul_((self._inv_sqrt * s).to(device=e.device, dtype=e.dtype))
        deltas = []
        for l, (shape, _, factor) in enumerate(records):
            d = y[:, self._offsets[l]:self._offsets[l + 1]].reshape(shape)
            deltas.append(d if factor is None else d * factor)
        return deltas

    # ------------------------------------------------------------------ state
    def get_extra_state(self) -> dict[str, str]:
        state = {"rng": json.dumps(self._rng.bit_generator.state)}
        if self._noise_rng is not self._rng:
            state["noise_rng"] = json.dumps(self._noise_rng.bit_generator.state)
        return state

    def set_extra_state(self, state: Any) -> None:
        self._rng.bit_generator.state = json.loads(state["rng"])
        if "noise_rng" in state and self._noise_rng is not self._rng:
            self._noise_rng.bit_generator.state = json.loads(state["noise_rng"])

    def _load_from_state_dict(self, state_dict: Any, prefix: str, *args: Any) -> None:
        # The buffers' shapes are known only once drawn: take them from the checkpoint.
        widths = state_dict.get(prefix + "widths")
        if widths is not None and widths.numel() not in (0, len(self._markers)):
            raise ValueError(f"checkpoint feedback is for {widths.numel()} marked layers, this "
                             f"DFA has {len(self._markers)}")
        for name in ("feedback", "widths"):
            src = state_dict.get(prefix + name)
            buf = self._buffers[name]
            if src is not None and buf is not None and src.shape != buf.shape:
                self._buffers[name] = torch.empty(src.shape, dtype=buf.dtype, device=buf.device)
        self._programmed = False
        super()._load_from_state_dict(state_dict, prefix, *args)

    def _apply(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        self._programmed = False  # .to(dtype) may change the matrix the core must hold
        return super()._apply(fn, *args, **kwargs)

    def extra_repr(self) -> str:
        return (f"markers={len(self._markers)}, core={type(self.core).__name__}, "
                f"widths={self.widths.tolist()}")
