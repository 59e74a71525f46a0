"""The Transformer's photonic feedback runs through the simulated chip."""

from __future__ import annotations

import numpy as np

from photonic_dfa.calibration.calibrated_core import CalibratedCore
from photonic_dfa.training.lm_feedback import DFAFeedback, PhotonicCore, make_core


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a.ravel() @ b.ravel() / (np.linalg.norm(a) * np.linalg.norm(b)))


def _errors(rng: np.random.Generator, tokens: int, vocab: int) -> np.ndarray:
    """Softmax minus one-hot, the output error of a character model."""
    logits = rng.normal(size=(tokens, vocab))
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(tokens), rng.integers(0, vocab, tokens)] -= 1.0
    return p.astype(np.float32)


def test_ideal_chip_core_computes_e_b_exactly():
    rng = np.random.default_rng(0)
    core = make_core("chip", 0, chip={"ideal": True})
    fb = DFAFeedback(40, 16, 2, "macro", rng, core=core)  # 40 inputs: tiled over 16 channels
    e = _errors(rng, 24, 40)
    np.testing.assert_allclose(fb.project(e), e @ fb.b, rtol=1e-5, atol=1e-6)


def test_default_chip_core_is_fabricated_calibrated_and_close_to_digital():
    rng = np.random.default_rng(1)
    core = make_core("chip", 3)
    assert isinstance(core, PhotonicCore) and isinstance(core.chip, CalibratedCore)
    fb = DFAFeedback(40, 16, 2, "micro", rng, core=core)
    e = _errors(rng, 64, 40)
    y, exact = fb.project(e), e @ fb.b
    assert y.shape == exact.shape and y.dtype == np.float32
    assert not np.allclose(y, exact, rtol=1e-3, atol=1e-4)  # chip error is there
    assert _cos(y, exact) > 0.75  # ~4.7 effective bits per product: noisy, same direction
