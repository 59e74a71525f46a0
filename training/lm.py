"""Train the character-level Transformer by backpropagation, DFA (macro or micro, literal or
the LayerNorm-derivative variant) or DFA through a photonic core.

One function, :func:`train_lm`, used by the ``photonic-dfa lm`` command and by every point of
the scaling grid. Learning rate: linear warm-up, then cosine decay to ``min_lr_ratio * lr``.
Evaluation uses a fixed set of validation windows drawn once from the seed, so every eval
of a run (and every run with that seed) sees the same text. The methods are listed in
:mod:`photonic_dfa.training.lm_methods`; why literal DFA needs the optimiser settings it
gets here is in ``docs/dfa_transformer.md``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from photonic_dfa.architecture.digital import MatVecCore
from photonic_dfa.base.atomic import (
    CorruptFileError,
    load_npz_checked,
    save_npz_checked,
    write_json,
)
from photonic_dfa.base.lock import output_lock
from photonic_dfa.base.memory import check_memory
from photonic_dfa.base.validation import check_int, check_scalar

from .adamw import AdamW, AdamWConfig
from .corpus import CharCorpus
from .flops import flops_per_token
from .lm_feedback import DFAFeedback
from .lm_methods import METHODS, method_spec
from .transformer import NORMS, Transformer, TransformerConfig

__all__ = ["LMConfig", "PRESETS", "METHODS", "train_lm", "lr_at", "save_checkpoint",
           "encode_prompt", "load_checkpoint", "CHECKPOINT_KIND", "CHECKPOINT_VERSION"]

CHECKPOINT_KIND = "photonic-dfa-char-transformer"
CHECKPOINT_VERSION = 1


@dataclass(frozen=True)
class LMConfig:
    """Model shape, optimiser and schedule of one training run."""

    method: str = "bp"
    #: legacy spelling of the signal form, now part of the method name: ``True`` turns a
    #: literal DFA method into its ``-ln`` variant (the meaning it had), ``None`` afterwards
    dfa_normalize: bool | None = None
    #: "pre" (GPT-2, nanoGPT) or "post" (Launay et al.'s DFA Transformer); see transformer.py
    norm: str = "pre"
    d_model: int = 128
    n_layers: int = 4
    n_heads: int = 4
    context: int = 128
    batch_size: int = 32
    steps: int = 2000
    lr: float = 2e-3
    min_lr_ratio: float = 0.1
    warmup_steps: int = 100
    weight_decay: float = 0.1
    beta1: float = 0.9
    beta2: float = 0.99
    #: global gradient-norm clip, 0 = none; ``None``: the method's default (:attr:`clip_norm`)
    grad_clip: float | None = None
    eval_interval: int = 250
    eval_batches: int = 8
    final_eval_batches: int = 64
    seed: int = 0

    def __post_init__(self) -> None:
        spec = method_spec(self.method)
        if self.dfa_normalize is not None:
            if not isinstance(self.dfa_normalize, bool):
                raise ValueError(f"dfa_normalize must be true, false or absent, got "
                                 f"{self.dfa_normalize!r}")
            if spec.is_dfa and self.dfa_normalize != spec.layernorm_signal:
                if not self.dfa_normalize:
                    raise ValueError(f"dfa_normalize=false contradicts method {self.method!r} "
                                     "(its signal goes through the LayerNorm derivative)")
                object.__setattr__(self, "method", _LN_VARIANT[self.method])
            object.__setattr__(self, "dfa_normalize", None)
        for name in ("d_model", "n_layers", "n_heads", "context", "batch_size", "steps",
                     "eval_interval", "eval_batches", "final_eval_batches"):
            check_int(name, getattr(self, name), 1)
        check_int("warmup_steps", self.warmup_steps, 0)
        check_int("seed", self.seed, 0)
        check_scalar("lr", self.lr, 0.0, 1.0, low_inclusive=False)
        check_scalar("min_lr_ratio", self.min_lr_ratio, 0.0, 1.0)
        AdamWConfig(self.beta1, self.beta2, 1e-8, self.weight_decay, self.clip_norm)
        if self.d_model % self.n_heads:
            raise ValueError(
                f"d_model must be a multiple of n_heads={self.n_heads}, got {self.d_model}")
        if self.norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS}, got {self.norm!r}")
        if self.norm != "pre" and method_spec(self.method).layernorm_signal:
            raise ValueError(f"method {self.method!r} (the LayerNorm-derivative signal) needs "
                             f"norm 'pre', got {self.norm!r}")

    @property
    def clip_norm(self) -> float:
        """The gradient clip in effect: ``grad_clip``, or by default 1.0 (nanoGPT's) for
        backpropagation and the ``-ln`` variants and none for literal DFA, which the published
        DFA code trains with plain Adam: a global-norm clip couples the literal signal's
        growing block gradients to every other gradient and stalls training
        (``docs/dfa_transformer.md``)."""
        if self.grad_clip is not None:
            return float(self.grad_clip)
        spec = method_spec(self.method)
        return 0.0 if spec.is_dfa and not spec.layernorm_signal else 1.0

    @property
    def tokens(self) -> int:
        """Training tokens D = steps x batch x context."""
        return self.steps * self.batch_size * self.context

    def memory_estimate(self, vocab_size: int = 256) -> int:
        """Bytes one training step holds at its peak (upper estimate): parameters with their
        gradients and AdamW moments, the activations kept for the backward pass (including
        the ``batch x heads x context^2`` attention maps) and the logits."""
        d, t, b = self.d_model, self.context, self.batch_size
        params = 12 * self.n_layers * d * d + (vocab_size + t) * d
        acts = b * t * (self.n_layers * (24 * d + 3 * self.n_heads * t) + 3 * vocab_size)
        return 2 * 4 * (4 * params + acts) + (64 << 20)

    def check_memory(self, vocab_size: int = 256) -> None:
        """``ValueError`` with the estimate if one step needs more memory than is available."""
        check_memory(f"the Transformer (d_model {self.d_model}, {self.n_layers} layers, "
                     f"context {self.context}, batch {self.batch_size})",
                     self.memory_estimate(vocab_size),
                     "reduce the context, batch size, width or depth")

    def model_config(self, vocab_size: int) -> TransformerConfig:
        return TransformerConfig(vocab_size=vocab_size, context=self.context, d_model=self.d_model,
                                 n_layers=self.n_layers, n_heads=self.n_heads, norm=self.norm)

    def replace(self, **changes: Any) -> LMConfig:
        return dataclasses.replace(self, **changes)


_LN_VARIANT = {"dfa": "dfa-ln", "dfa-micro": "dfa-ln-micro", "photonic": "photonic-ln"}

PRESETS: dict[str, LMConfig] = {
    # 0.1 M non-embedding parameters, 2 M tokens: about a minute of one core
    "quick": LMConfig(d_model=64, n_layers=2, n_heads=4, context=64, batch_size=32, steps=1000,
                      lr=3e-3, warmup_steps=50, eval_interval=100),
    # 0.8 M non-embedding parameters, 12 M tokens: about 20 minutes of one core
    "default": LMConfig(d_model=128, n_layers=4, n_heads=4, context=128, batch_size=32,
                        steps=3000, lr=2e-3, warmup_steps=100, eval_interval=250),
}


def lr_at(step: int, cfg: LMConfig) -> float:
    """Linear warm-up over ``warmup_steps``, then cosine decay to ``min_lr_ratio * lr``."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    span = max(1, cfg.steps - cfg.warmup_steps)
    frac = min(1.0, (step - cfg.warmup_steps) / span)
    floor = cfg.lr * cfg.min_lr_ratio
    return floor + 0.5 * (cfg.lr - floor) * (1.0 + math.cos(math.pi * frac))


def _eval_loss(model: Transformer,
               batches: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[float, float]:
    """Mean validation loss over the batches and its standard error (batch-to-batch spread)."""
    losses = np.array([model.loss(x, y) for x, y in batches])
    sem = float(losses.std(ddof=1) / np.sqrt(len(losses))) if len(losses) > 1 else float("nan")
    return float(losses.mean()), sem


def encode_prompt(vocab: str, prompt: str) -> np.ndarray:
    """Token ids of ``prompt`` under a checkpoint's vocabulary (unknown characters raise)."""
    index = {ch: i for i, ch in enumerate(vocab)}
    missing = sorted({ch for ch in prompt if ch not in index})
    if missing:
        raise ValueError(f"prompt characters not in the model's vocabulary: {missing!r}")
    return np.array([index[ch] for ch in prompt], dtype=np.int64)


def save_checkpoint(path: str | os.PathLike, model: Transformer, vocab: str,
                    meta: dict[str, Any]) -> Path:
    full = {"model": model.config.to_dict(), "vocab": vocab, **meta}
    return save_npz_checked(path, model.params, full, CHECKPOINT_KIND, CHECKPOINT_VERSION)


def load_checkpoint(path: str | os.PathLike) -> tuple[Transformer, str, dict[str, Any]]:
    """Return ``(model, vocab, meta)``; damage raises ``CorruptFileError``."""
    arrays, meta = load_npz_checked(path, CHECKPOINT_KIND, CHECKPOINT_VERSION)
    model_meta, vocab = meta.get("model"), meta.get("vocab")
    if not isinstance(model_meta, dict):
        raise CorruptFileError(f"{path}: checkpoint has no 'model' table (its shape)")
    if not isinstance(vocab, str) or len(vocab) < 2 or len(set(vocab)) != len(vocab):
        raise CorruptFileError(f"{path}: checkpoint field 'vocab' must be a string of at "
                               f"least 2 distinct characters, got {vocab!r:.60}")
    names = {f.name for f in dataclasses.fields(TransformerConfig)}
    unknown = sorted(set(model_meta) - names)
    if unknown:
        raise CorruptFileError(f"{path}: checkpoint field 'model' has unknown keys {unknown}")
    try:
        mcfg = TransformerConfig(**model_meta)
    except (TypeError, ValueError) as exc:
        raise CorruptFileError(f"{path}: checkpoint field 'model': {exc}") from None
    if mcfg.vocab_size != len(vocab):
        raise CorruptFileError(f"{path}: checkpoint field 'model.vocab_size' is "
                               f"{mcfg.vocab_size} but 'vocab' holds {len(vocab)} characters")
    for name, a in arrays.items():
        if a.dtype.kind != "f":
            raise CorruptFileError(f"{path}: checkpoint parameter {name!r} has dtype {a.dtype}, "
                                   "expected floating point")
        if not np.isfinite(a).all():
            raise CorruptFileError(f"{path}: checkpoint parameter {name!r} holds NaN or inf")
    try:
        model = Transformer(mcfg, params=arrays)
    except ValueError as exc:
        raise CorruptFileError(f"{path}: checkpoint {exc}") from None
    return model, vocab, _current_method_names(meta)


def _current_method_names(meta: dict[str, Any]) -> dict[str, Any]:
    """Checkpoints written before the methods were renamed say ``dfa`` (``dfa-micro``,
    ``photonic``) with ``dfa_normalize: true`` for what is now ``dfa-ln`` (...): rename."""
    train = meta.get("train_config")
    if isinstance(train, dict) and train.get("dfa_normalize") is True:
        old = train.get("method")
        if old in _LN_VARIANT:
            new = _LN_VARIANT[old]
            meta = {**meta, "train_config": {**train, "method": new, "dfa_normalize": None}}
            if meta.get("method") == old:
                meta["method"] = new
    return meta


def train_lm(
    corpus: CharCorpus,
    cfg: LMConfig,
    out_dir: str | os.PathLike | None = None,
    core: MatVecCore | None = None,
    eval_steps: Sequence[int] | None = None,
    log: Callable[[str], None] | None = print,
) -> dict[str, Any]:
    """Train one model; return a JSON-serialisable summary with the validation-loss history.

    ``method="photonic"`` (``"photonic-ln"``) is ``dfa`` (``dfa-ln``) whose feedback product
    runs on ``core`` (required for those two, refused for the others).
    ``eval_steps`` (numbers of completed steps) overrides ``eval_interval``; the last step
    is always evaluated on ``final_eval_batches`` batches. With ``out_dir``, ``metrics.json``
    is rewritten at each evaluation and ``checkpoint.npz`` saved at the end; the directory
    is locked for the run (a second writer is refused).
    """
    if out_dir is None:
        return _train_lm(corpus, cfg, None, core, eval_steps, log)
    with output_lock(out_dir, f"Transformer training ({cfg.method})"):
        return _train_lm(corpus, cfg, out_dir, core, eval_steps, log)


def _train_lm(corpus: CharCorpus, cfg: LMConfig, out_dir: str | os.PathLike | None,
              core: MatVecCore | None, eval_steps: Sequence[int] | None,
              log: Callable[[str], None] | None) -> dict[str, Any]:
    spec = method_spec(cfg.method)
    if spec.on_chip and core is None:
        raise ValueError(f"method {cfg.method!r} needs a core with program(B) and matvec(X)")
    if core is not None and not spec.on_chip:
        raise ValueError(f"method {cfg.method!r} computes its feedback digitally; a core is "
                         "used only by the photonic methods")
    cfg.check_memory(corpus.vocab_size)
    seeds = np.random.SeedSequence(cfg.seed).spawn(4)
    init_rng, data_rng, fb_rng, val_rng = (np.random.default_rng(s) for s in seeds)
    mcfg = cfg.model_config(corpus.vocab_size)
    model = Transformer(mcfg, rng=init_rng)
    feedback = None
    if spec.points is not None:
        feedback = DFAFeedback(corpus.vocab_size, cfg.d_model, cfg.n_layers, spec.points, fb_rng,
                               core=core, normalize=spec.layernorm_signal)
    opt = AdamW(model.params, AdamWConfig(cfg.beta1, cfg.beta2, 1e-8, cfg.weight_decay,
                                          cfg.clip_norm))
    val_batches = [corpus.get_batch("val", cfg.batch_size, cfg.context, val_rng)
                   for _ in range(cfg.final_eval_batches)]
    if eval_steps is None:
        eval_at = set(range(0, cfg.steps, cfg.eval_interval))
    else:
        eval_at = {int(s) for s in eval_steps if 0 <= int(s) < cfg.steps}
    tokens_per_step = cfg.batch_size * cfg.context
    flops = flops_per_token(cfg.n_layers, cfg.d_model, cfg.n_heads, cfg.context,
                            corpus.vocab_size, cfg.method, mcfg.d_mlp)
    out = Path(out_dir) if out_dir is not None else None
    summary: dict[str, Any] = {
        "config": dataclasses.asdict(cfg),
        "grad_clip": cfg.clip_norm,  # the clip in effect (config's None: the method's default)
        "vocab_size": corpus.vocab_size,
        "n_params": mcfg.n_params,
        "non_embedding_params": mcfg.non_embedding_params,
        "tokens": cfg.tokens,
        "compute_6ND": 6.0 * mcfg.non_embedding_params * cfg.tokens,
        # counted per method (training/flops.py); "total" includes the feedback products
        "flops_per_token": {**dataclasses.asdict(flops), "total": flops.total,
                            "digital": flops.digital},
        "compute_flops": flops.total * cfg.tokens,
        "history": [],
    }

    def record(step: int, train_loss: float | None, n_batches: int, elapsed: float) -> None:
        val, sem = _eval_loss(model, val_batches[:n_batches])
        tokens = step * tokens_per_step
        row = {"step": step, "tokens": tokens, "compute": 6.0 * mcfg.non_embedding_params * tokens,
               "compute_flops": flops.total * tokens,
               "train_loss": train_loss, "val_loss": val,
               "val_loss_sem": sem if math.isfinite(sem) else None, "elapsed": elapsed}
        summary["history"].append(row)
        if log is not None:
            rate = tokens / elapsed if elapsed > 0 else 0.0
            tl = "  -   " if train_loss is None else f"{train_loss:.4f}"
            log(f"[{cfg.method}] step {step:6d}  tokens {tokens:10d}  train {tl}  "
                f"val {val:.4f}  {rate:8.0f} tok/s  {elapsed:7.1f} s")
        if out is not None:
            write_json(out / "metrics.json", summary)

    t0 = time.perf_counter()
    cpu0 = time.process_time()
    train_time = 0.0
    ema: float | None = None  # smoothed training loss
    for step in range(cfg.steps):
        if step in eval_at:
            record(step, ema, cfg.eval_batches, train_time)
        ts = time.perf_counter()
        x, y = corpus.get_batch("train", cfg.batch_size, cfg.context, data_rng)
        loss, grads = model.loss_and_grads(x, y, feedback)
        opt.step(model.params, grads, lr_at(step, cfg))
        train_time += time.perf_counter() - ts
        ema = loss if ema is None else 0.95 * ema + 0.05 * loss
    record(cfg.steps, ema, cfg.final_eval_batches, train_time)
    final = summary["history"][-1]
    summary |= {
        "final_val_loss": final["val_loss"],
        "final_train_loss": ema,
        "train_seconds": train_time,
        "wall_seconds": time.perf_counter() - t0,
        "cpu_seconds": time.process_time() - cpu0,  # all threads; shows machine contention
        "tokens_per_second": cfg.tokens / train_time if train_time > 0 else 0.0,
    }
    if out is not None:
        save_checkpoint(out / "checkpoint.npz", model, corpus.vocab,
                        {"method": cfg.method, "step": cfg.steps, "val_loss": final["val_loss"],
                         "train_config": dataclasses.asdict(cfg)})
        write_json(out / "metrics.json", summary)
    return json.loads(json.dumps(summary))
