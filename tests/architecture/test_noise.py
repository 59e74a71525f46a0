"""The counter-based Gaussian generator of the core's kernels: its constants, its
distribution against the normal, its stream definition, and that block draws equal random
access at any offset."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import norm

from photonic_dfa.architecture._noise import (
    NORMAL_A,
    NORMAL_B,
    NORMAL_MAX,
    fill_normal,
    normal_at,
    normals,
)

_M64 = (1 << 64) - 1


def _discrete_sum() -> tuple[np.ndarray, np.ndarray]:
    """Values of the standardised byte sum ``s`` and their exact probabilities."""
    p = np.ones(256)
    q = p
    for _ in range(3):
        q = np.convolve(q, p)  # integer counts, exact in float64
    w = np.arange(q.size)
    return np.sqrt(3.0) * ((w + 2.0) / 256.0 - 2.0), q / 256.0**4


def _z(s: np.ndarray) -> np.ndarray:
    return s * (NORMAL_A + NORMAL_B * s * s)


def test_constants_give_the_normal_variance_and_kurtosis_exactly():
    s, prob = _discrete_sum()
    z = _z(s)
    assert abs(np.sum(prob * z) - 0.0) < 1e-15
    assert abs(np.sum(prob * z**2) - 1.0) < 1e-12
    assert abs(np.sum(prob * z**4) - 3.0) < 1e-11
    assert z.max() == NORMAL_MAX == -z.min()


def test_kolmogorov_distance_and_tail_as_documented():
    s, prob = _discrete_sum()
    z = _z(s)
    cdf = np.cumsum(prob)
    ks = max(np.max(np.abs(cdf - norm.cdf(z))), np.max(np.abs(cdf - prob - norm.cdf(z))))
    assert 3.0e-3 < ks < 3.3e-3
    assert abs(4.04 - NORMAL_MAX) < 0.005
    tail = 2 * prob[z > 3].sum()
    assert 0.0023 < tail < 0.0025


def _splitmix_word(key: int, e: int) -> int:
    """Reference: word ``e`` of SplitMix64 seeded with ``key``, in Python integers."""
    z = (key + ((e >> 1) + 1) * 0x9E3779B97F4A7C15) & _M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    z ^= z >> 31
    return (z >> (32 * (e & 1))) & 0xFFFFFFFF


@given(key=st.integers(0, _M64), e=st.integers(0, 2**40))
def test_numbers_are_the_splitmix64_words_byte_sums(key, e):
    u = _splitmix_word(key, e)
    w = sum((u >> (8 * k)) & 0xFF for k in range(4))
    want = _z(np.sqrt(3.0) * ((w + 2.0) / 256.0 - 2.0))
    assert normal_at(np.uint64(key), e) == np.float32(want)  # rounded once


@given(key=st.integers(0, _M64), e0=st.integers(0, 10**9), n=st.integers(0, 300))
def test_block_draws_equal_random_access_at_any_offset(key, e0, n):
    z = np.full(n, np.nan, dtype=np.float32)
    normals(z, np.uint64(key), e0, np.empty(n // 2 + 1, dtype=np.uint64))
    ref = np.array([normal_at(np.uint64(key), e0 + j) for j in range(n)], dtype=np.float32)
    np.testing.assert_array_equal(z, ref)


def test_fill_normal_moments_and_bound():
    z = np.empty(400_000)
    fill_normal(z, np.uint64(9))
    assert abs(z.mean()) < 0.01 and abs(z.var() - 1.0) < 0.01
    assert np.abs(z).max() <= np.float32(NORMAL_MAX)
    k = np.mean(z**4) / np.mean(z**2) ** 2
    assert abs(k - 3.0) < 0.05
    # consecutive numbers uncorrelated, also across the two halves of one hash
    for lag in (1, 2, 3):
        assert abs(np.corrcoef(z[:-lag], z[lag:])[0, 1]) < 0.01
