"""Training loop, feedback cores, optimiser, checkpoints and sampling of the char Transformer."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from photonic_dfa.architecture.digital import AuthorsErrorModel, DigitalCore, GaussianErrorCore
from photonic_dfa.base.atomic import CorruptFileError
from photonic_dfa.training.adamw import AdamW, AdamWConfig
from photonic_dfa.training.corpus import CharCorpus
from photonic_dfa.training.flops import flops_per_token
from photonic_dfa.training.lm import (
    METHODS,
    LMConfig,
    encode_prompt,
    load_checkpoint,
    lr_at,
    train_lm,
)
from photonic_dfa.training.lm_feedback import DFAFeedback
from photonic_dfa.training.transformer import Transformer, TransformerConfig, generate

TEXT = "the cat sat on the mat. the dog sat on the log. " * 60


class FakeCore:
    """Digital stand-in for a photonic core with few input channels: tiles the vocabulary
    into chunks of ``channels`` inputs and sums the partial products, recording calls."""

    def __init__(self, channels: int = 4):
        self.channels = channels
        self.programmed: list[tuple[int, int]] = []
        self.calls = 0

    def program(self, b: np.ndarray) -> None:
        self.programmed.append(b.shape)
        self.b = np.array(b)

    def matvec(self, x: np.ndarray) -> np.ndarray:
        self.calls += 1
        out = np.zeros((x.shape[0], self.b.shape[0]))
        for k in range(0, x.shape[1], self.channels):
            out += x[:, k:k + self.channels] @ self.b[:, k:k + self.channels].T
        return out.astype(np.float32)


@pytest.fixture(scope="module")
def corpus():
    return CharCorpus(TEXT)


def _cfg(method: str, **kw) -> LMConfig:
    base = dict(method=method, d_model=16, n_layers=2, n_heads=2, context=16, batch_size=8,
                steps=60, lr=1e-2, warmup_steps=5, eval_interval=30, eval_batches=2,
                final_eval_batches=4)
    base.update(kw)
    return LMConfig(**base)


@pytest.mark.parametrize(("method", "norm"), [
    ("bp", "pre"), ("dfa", "pre"), ("dfa-micro", "pre"), ("dfa-ln", "pre"),
    ("dfa-ln-micro", "pre"), ("bp", "post"), ("dfa", "post"), ("dfa-micro", "post")])
def test_every_method_learns(corpus, method, norm):
    s = train_lm(corpus, _cfg(method, norm=norm), log=None)
    first, last = s["history"][0]["val_loss"], s["final_val_loss"]
    assert np.isfinite(last)
    assert last < corpus.unigram_entropy("val") < first
    model_cfg = _cfg(method).model_config(corpus.vocab_size)
    assert s["non_embedding_params"] == model_cfg.non_embedding_params
    assert s["compute_6ND"] == 6 * s["non_embedding_params"] * s["tokens"]
    fl = flops_per_token(2, 16, 2, 16, corpus.vocab_size, method)
    assert s["flops_per_token"]["total"] == fl.total
    assert s["compute_flops"] == fl.total * s["tokens"] == s["history"][-1]["compute_flops"]


@pytest.mark.parametrize(("photonic", "digital"), [("photonic", "dfa"),
                                                   ("photonic-ln", "dfa-ln")])
def test_photonic_with_exact_core_equals_digital_dfa(corpus, photonic, digital):
    """The core protocol is wired right: an exact tiled core reproduces digital DFA."""
    core = FakeCore(channels=3)
    s_phot = train_lm(corpus, _cfg(photonic, steps=20), core=core, log=None)
    s_dfa = train_lm(corpus, _cfg(digital, steps=20), log=None)
    cfg = _cfg("dfa")
    assert core.programmed == [(cfg.n_layers * cfg.d_model, corpus.vocab_size)]  # once
    assert core.calls == 20  # one matvec per step
    np.testing.assert_allclose(s_phot["final_val_loss"], s_dfa["final_val_loss"], rtol=1e-4)


def test_photonic_requires_core(corpus):
    with pytest.raises(ValueError, match="needs a core"):
        train_lm(corpus, _cfg("photonic"), log=None)
    with pytest.raises(ValueError, match="digitally"):
        train_lm(corpus, _cfg("dfa"), core=FakeCore(), log=None)
    with pytest.raises(ValueError, match="program"):
        DFAFeedback(5, 4, 1, "macro", np.random.default_rng(0), core=object())


def test_dfa_feedback_shapes_and_scale():
    rng = np.random.default_rng(0)
    fb = DFAFeedback(vocab_size=50, d_model=8, n_layers=3, points="micro", rng=rng)
    assert fb.b.shape == (50, 6 * 8) and fb.n_points == 6
    assert np.abs(fb.b).max() <= np.sqrt(3 / 50)
    e = rng.normal(size=(7, 50))
    np.testing.assert_allclose(fb.project(e), e @ fb.b, rtol=1e-6)
    with pytest.raises(ValueError, match="points"):
        DFAFeedback(50, 8, 3, "nano", rng)


def test_gaussian_core_statistics():
    rng = np.random.default_rng(0)
    b = rng.uniform(-2, 2, size=(64, 10))
    core = GaussianErrorCore(np.random.default_rng(1))
    core.program(b)
    x = rng.normal(size=(4000, 10))
    err = core.matvec(x) - x @ b.T
    scale = np.abs(x).max(axis=1, keepdims=True) * np.abs(b).max()
    z = err / scale  # error in full-scale units
    assert abs(z.mean() - 0.03) < 0.01 and abs(z.std() - 0.618) < 0.01
    exact = GaussianErrorCore(np.random.default_rng(1), AuthorsErrorModel(0.0, 0.0))
    exact.program(b)
    np.testing.assert_allclose(exact.matvec(x), x @ b.T, rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="program"):
        DigitalCore().matvec(x)


def test_method_names_and_the_legacy_signal_flag(corpus):
    """``dfa`` is the literal signal; the old ``dfa_normalize=True`` meant today's ``-ln``."""
    assert LMConfig(method="dfa").method == "dfa"
    for old, new in [("dfa", "dfa-ln"), ("dfa-micro", "dfa-ln-micro"),
                     ("photonic", "photonic-ln"), ("dfa-ln", "dfa-ln"), ("bp", "bp")]:
        cfg = LMConfig(method=old, dfa_normalize=True)
        assert (cfg.method, cfg.dfa_normalize) == (new, None)
    assert LMConfig(method="dfa", dfa_normalize=False).method == "dfa"
    with pytest.raises(ValueError, match="dfa_normalize=false contradicts"):
        LMConfig(method="dfa-ln", dfa_normalize=False)
    with pytest.raises(ValueError, match="dfa_normalize"):
        LMConfig(method="dfa", dfa_normalize="yes")
    s = train_lm(corpus, _cfg("dfa", steps=10), log=None)
    assert s["config"]["method"] == "dfa" and np.isfinite(s["final_val_loss"])


def test_gradient_clip_defaults_by_method():
    """Literal DFA trains with plain Adam as published; the others clip at 1 (nanoGPT)."""
    clips = {m: LMConfig(method=m).clip_norm for m in METHODS}
    assert clips == {"bp": 1.0, "dfa": 0.0, "dfa-micro": 0.0, "dfa-ln": 1.0,
                     "dfa-ln-micro": 1.0, "photonic": 0.0, "photonic-ln": 1.0}
    assert LMConfig(method="dfa", grad_clip=0.5).clip_norm == 0.5
    with pytest.raises(ValueError, match="grad_clip"):
        LMConfig(grad_clip=-1.0)


def test_layer_norm_placement():
    assert LMConfig(norm="post").model_config(10).norm == "post"
    with pytest.raises(ValueError, match="norm"):
        LMConfig(norm="sandwich")
    with pytest.raises(ValueError, match="needs norm 'pre'"):
        LMConfig(method="dfa-ln", norm="post")


def test_old_checkpoint_names_its_method_by_todays_name(corpus, tmp_path):
    """A checkpoint from before the renaming ('dfa' with the LayerNorm signal) loads, and
    says 'dfa-ln'."""
    from photonic_dfa.training.lm import save_checkpoint

    model = Transformer(_cfg("bp").model_config(corpus.vocab_size),
                        rng=np.random.default_rng(0))
    old_cfg = {**dataclasses.asdict(_cfg("bp")), "method": "dfa", "dfa_normalize": True}
    save_checkpoint(tmp_path / "old.npz", model, corpus.vocab,
                    {"method": "dfa", "step": 5, "val_loss": 3.0, "train_config": old_cfg})
    _, _, meta = load_checkpoint(tmp_path / "old.npz")
    assert meta["method"] == meta["train_config"]["method"] == "dfa-ln"
    assert LMConfig(**meta["train_config"]).method == "dfa-ln"


def test_lr_schedule():
    cfg = _cfg("bp", steps=100, warmup_steps=10, lr=1e-3, min_lr_ratio=0.1)
    lrs = np.array([lr_at(s, cfg) for s in range(100)])
    assert lrs[9] == pytest.approx(1e-3) and lrs[0] == pytest.approx(1e-4)
    assert np.all(np.diff(lrs[10:]) <= 0) and lrs[-1] >= 1e-4 - 1e-12
    assert lr_at(1000, cfg) == pytest.approx(1e-4)


def test_adamw_first_step_and_clipping():
    p = {"w": np.array([[1.0, -2.0]]), "b": np.array([0.5])}
    g = {"w": np.array([[0.3, -4.0]]), "b": np.array([0.0])}
    opt = AdamW(p, AdamWConfig(weight_decay=0.1, grad_clip=0.0, eps=1e-12))
    before = {k: v.copy() for k, v in p.items()}
    opt.step(p, g, lr=0.01)
    # first step: m_hat = g, v_hat = g^2 -> update = lr*sign(g); decay only on matrices
    np.testing.assert_allclose(p["w"], before["w"] * (1 - 0.001) - 0.01 * np.sign(g["w"]))
    np.testing.assert_allclose(p["b"], before["b"])
    clipped = AdamW(p, AdamWConfig(grad_clip=1.0))
    norm = clipped.step(p, g, lr=0.01)
    assert norm == pytest.approx(np.sqrt(0.3**2 + 4.0**2))
    np.testing.assert_allclose(clipped.m["w"], 0.1 * g["w"] / norm)
    with pytest.raises(FloatingPointError):
        clipped.step(p, {"w": np.array([[np.nan, 0.0]]), "b": g["b"]}, lr=0.01)


def test_checkpoint_round_trip_and_corruption(corpus, tmp_path):
    s = train_lm(corpus, _cfg("bp", steps=5), out_dir=tmp_path, log=None)
    model, vocab, meta = load_checkpoint(tmp_path / "checkpoint.npz")
    assert vocab == corpus.vocab and meta["method"] == "bp"
    x, y = corpus.get_batch("val", 2, 16, np.random.default_rng(0))
    assert np.isfinite(model.loss(x, y))
    assert (tmp_path / "metrics.json").exists() and s["final_val_loss"] == meta["val_loss"]
    raw = (tmp_path / "checkpoint.npz").read_bytes()
    (tmp_path / "bad.npz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(CorruptFileError):
        load_checkpoint(tmp_path / "bad.npz")


def test_generate_is_seeded_and_respects_context():
    cfg = TransformerConfig(vocab_size=6, context=4, d_model=8, n_layers=1, n_heads=2)
    model = Transformer(cfg, rng=np.random.default_rng(0))
    a = generate(model, np.array([1, 2]), 10, 1.0, np.random.default_rng(3))
    b = generate(model, np.array([1, 2]), 10, 1.0, np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)
    assert a.shape == (10,) and a.min() >= 0 and a.max() < 6
    greedy = generate(model, np.array([1]), 5, 0.0, np.random.default_rng(0))
    again = generate(model, np.array([1]), 5, 0.0, np.random.default_rng(99))
    np.testing.assert_array_equal(greedy, again)
    with pytest.raises(ValueError, match="at least one token"):
        generate(model, np.array([], dtype=int), 3, 1.0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="vocabulary"):
        encode_prompt("abc", "abd")


def test_bad_configs():
    with pytest.raises(ValueError, match="method"):
        LMConfig(method="hebbian")
    with pytest.raises(ValueError, match="multiple of n_heads"):
        LMConfig(d_model=10, n_heads=4)
    with pytest.raises(ValueError, match="lr"):
        LMConfig(lr=0.0)
    with pytest.raises(ValueError, match="idx"):
        Transformer(TransformerConfig(5, 4, 8, 1, 2), rng=np.random.default_rng(0)).forward(
            np.zeros((1, 5), dtype=int))
