"""Counter-based Gaussian noise for the numba kernels of the core.

Word ``e`` of the stream with 64-bit ``key`` is the 32-bit half ``e mod 2`` (low half
first) of the SplitMix64 output ``h_i = mix(key + (i + 1) * 0x9E3779B97F4A7C15)``,
``i = floor(e / 2)`` (Steele, Lea, Flood, OOPSLA 2014): the SplitMix64 sequence seeded with
``key`` read as 32-bit words, with random access, so any loop order (and any thread split)
draws the same numbers and results depend only on the key, which the caller draws from an
explicit ``numpy.random.Generator``.

Normal number ``e`` comes from word ``e`` without transcendental functions, so the loops
that use it stay vectorisable: the word's four bytes ``b_1..b_4`` are discrete uniforms,
``s = sqrt(3) (sum_k (b_k + 1/2) / 256 - 2)`` their standardised sum (Irwin-Hall on 256
levels: 1021 values 0.0068 apart, excess kurtosis -0.3), corrected by the odd cubic
``z = A s + B s^3`` whose constants make the variance 1 and the excess kurtosis 0 exactly
for that discrete sum; a float32 table holds the 1021 values. The result is symmetric
with the normal's first four moments; its CDF is within 3.2e-3 of the normal's everywhere
(Kolmogorov distance, of which 2.1e-3 is the Irwin-Hall shape and the rest its steps) and
its support ends at ``|z| = 4.04`` (P(|z| > 3) = 0.24 % against 0.27 %). Good for
additive receiver noise; not for tail (error-rate) studies beyond 4 sigma.

Speed on the 2-core development machine (best of 400, 51 200 numbers, the MNIST feedback
matvec's draw, as float32): 17 us with :func:`normals`, the table as fast as the cubic in
float32 arithmetic. The previous form of this generator, one 64-bit hash per number summed
as four 16-bit words (Kolmogorov distance 2.1e-3), took 33 us, half of it the hash; a
Box-Muller on the same SplitMix64 stream (libm log, sqrt, cos, sin; scalar, as this numba
build has no SVML) 665 us.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["mix64", "normal_at", "normals", "fill_normal", "GOLDEN", "NORMAL_A", "NORMAL_B",
           "NORMAL_MAX"]

#: Cubic correction ``z = A s + B s^3`` of the standardised sum ``s`` of four bytes:
#: solves ``E z^2 = 1``, ``E z^4 = 3`` with the exact moments of the discrete ``s``
#: (tests/architecture/test_noise.py recomputes them).
NORMAL_A = 0.9490405187279488
NORMAL_B = 0.018642809199021237
#: Largest |z| the generator can return (four bytes 255), before float32 rounding.
_S_MAX = 3.0**0.5 * (1022.0 / 256.0 - 2.0)
NORMAL_MAX = NORMAL_A * _S_MAX + NORMAL_B * _S_MAX**3

#: Weyl increment of the SplitMix64 counter.
GOLDEN = np.uint64(0x9E3779B97F4A7C15)


@njit(cache=True, inline="always")
def mix64(z: np.uint64) -> np.uint64:
    """SplitMix64 finaliser (a bijection on 64-bit words)."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _table() -> np.ndarray:
    s = 3.0**0.5 * ((np.arange(1021.0) + 2.0) / 256.0 - 2.0)
    return (s * (NORMAL_A + NORMAL_B * s * s)).astype(np.float32)


#: The 1021 values a number can take, by byte sum, computed in double precision and
#: rounded once: a look-up costs no more than the float32 cubic and every code path (block
#: or random access, any compilation) returns the same number.
_Z = _table()


@njit(cache=True, inline="always")
def _of_word(u: np.uint32) -> np.float32:
    """The normal of one 32-bit word (module docstring): the table entry of its byte sum."""
    m = np.uint32(0xFF)
    return _Z[np.uint32((u & m) + ((u >> np.uint32(8)) & m) + ((u >> np.uint32(16)) & m)
                        + (u >> np.uint32(24)))]


@njit(cache=True, inline="always")
def normal_at(key: np.uint64, e: np.int64) -> float:
    """Normal number ``e`` of stream ``key`` (random access; loops over consecutive
    numbers should call :func:`normals`, which hashes once per two numbers)."""
    h = mix64(key + np.uint64((e >> 1) + 1) * GOLDEN)
    return np.float64(_of_word(np.uint32((h >> np.uint64(32 * (e & 1))) & np.uint64(0xFFFFFFFF))))


@njit(cache=True, error_model="numpy")
def normals(z: np.ndarray, key: np.uint64, e0: int, scratch: np.ndarray) -> None:
    """``z[j]`` (float32, C-contiguous) = normal number ``e0 + j`` of stream ``key``.

    ``scratch``: uint64, at least ``len(z) // 2 + 1`` words. The hashes go there first and
    are read back as 32-bit words: each loop vectorises on its own (the conversion in
    32-bit lanes), where one fused loop runs in 64-bit lanes. The word order of the view
    is little-endian, as on every platform numba targets."""
    n = z.shape[0]
    if n == 0:
        return
    h0 = e0 >> 1
    nh = ((e0 + n - 1) >> 1) - h0 + 1
    ctr = key + np.uint64(h0 + 1) * GOLDEN
    for i in range(nh):
        scratch[i] = mix64(ctr)
        ctr += GOLDEN
    words = scratch[:nh].view(np.uint32)
    o = e0 & 1
    for j in range(n):
        z[j] = _of_word(words[o + j])


@njit(cache=True)
def fill_normal(out: np.ndarray, key: np.uint64) -> None:
    """``out.flat[e] = normal_at(key, e)`` for a C-contiguous ``out`` of any float dtype."""
    flat = out.reshape(-1)
    chunk = 4096
    z = np.empty(chunk, dtype=np.float32)
    scratch = np.empty(chunk // 2 + 1, dtype=np.uint64)
    for e0 in range(0, flat.size, chunk):
        n = min(chunk, flat.size - e0)
        normals(z[:n], key, e0, scratch)
        for j in range(n):
            flat[e0 + j] = z[j]
