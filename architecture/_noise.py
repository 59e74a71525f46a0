"""Counter-based Gaussian noise for the numba kernels of the core.

Element ``i`` of a stream with 64-bit ``key`` gets the SplitMix64 output
``h_i = mix(key + (i + 1) * 0x9E3779B97F4A7C15)`` (Steele, Lea, Flood, OOPSLA 2014), i.e.
exactly the SplitMix64 sequence seeded with ``key``, but with random access: any loop
order (and any thread split) draws the same numbers, so results depend only on the key,
which the caller draws from an explicit ``numpy.random.Generator``.

``h_i`` becomes a standard normal by inverting the CDF: bit 0 is the sign, the other 63
bits a uniform ``v`` in (0, 1/2); ``|z| = -Phi^-1(v)`` is read from a 4096-cell table
uniform in ``v`` with linear interpolation, and the first cell (``v < 2^-13``,
``|z| > 3.57``) from a second 4096-cell table uniform over that cell, so tails are exact
down to ``v = 2^-25`` (``|z| = 5.45``); the last 2^-25 of mass spreads linearly to
``|z| = 7.03``. Quantile error below 2e-4 everywhere in ``|z| < 5.45`` (interpolation of a
smooth function on a fine grid); mean, variance and tail probabilities agree with the
normal distribution to sampling precision in 10^7 draws (tests).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from scipy.special import ndtri

__all__ = ["normal_table", "mix64", "normal_at", "GOLDEN"]

GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def normal_table() -> tuple[np.ndarray, np.ndarray]:
    """``(T1, T2)``: ``|z|`` at ``v = i / 2^13`` and at ``v = j / 2^25`` (i, j = 0..4096)."""
    t1 = -ndtri(np.arange(4097) / 8192.0)
    t1[0] = 0.0  # cell 0 is served by t2
    t2 = -ndtri(np.arange(4097) / 2.0**25)
    t2[0] = -ndtri(2.0**-40)
    return np.ascontiguousarray(t1), np.ascontiguousarray(t2)


@njit(cache=True, inline="always")
def mix64(z: np.uint64) -> np.uint64:
    """SplitMix64 finaliser (a bijection on 64-bit words)."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(cache=True, inline="always")
def normal_at(key: np.uint64, i: np.int64, t1: np.ndarray, t2: np.ndarray) -> float:
    """Standard normal number ``i`` of stream ``key``."""
    h = mix64(key + np.uint64(i + 1) * np.uint64(0x9E3779B97F4A7C15))
    s = np.int64(h >> np.uint64(1))
    sgn = 1.0 - 2.0 * np.float64(np.int64(h & np.uint64(1)))
    i1 = s >> 51
    f1 = np.float64((s >> 27) & 0xFFFFFF) * (1.0 / 16777216.0)
    if i1 == 0:
        i2 = (s >> 15) & 4095
        f2 = np.float64(s & 0x7FFF) * (1.0 / 32768.0)
        a = t2[i2]
        return sgn * (a + f2 * (t2[i2 + 1] - a))
    a = t1[i1]
    return sgn * (a + f1 * (t1[i1 + 1] - a))


@njit(cache=True)
def fill_normal(out: np.ndarray, key: np.uint64, t1: np.ndarray, t2: np.ndarray) -> None:
    """``out.flat[i] = normal_at(key, i)`` (for tests and callers wanting a block)."""
    flat = out.reshape(-1)
    for i in range(flat.size):
        flat[i] = normal_at(key, i, t1, t2)
