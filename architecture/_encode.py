"""Input encoding kernel of the core: per-sample scaling, the DAC code of each input (a
table search), the modulator's transmission and laser line power, and RIN."""

from __future__ import annotations

import numpy as np
from numba import njit

from ._noise import normal_at, normals

__all__ = ["encode_rows", "rin_slabs"]


@njit(cache=True, inline="always")
def _enc(v: float, cont: bool, tmin: float, swing: float, bounds: np.ndarray,
         levels: np.ndarray, start: np.ndarray) -> float:
    if v < 0.0:
        v = 0.0
    elif v > 1.0:
        v = 1.0
    if cont:
        return tmin + v * swing
    # searchsorted(bounds, v, "right") from the cell's first index: O(1) on average
    i = start[min(int(v * start.size), start.size - 1)]
    while i > 0 and bounds[i - 1] > v:  # v * size rounded up to the next cell
        i -= 1
    while i < bounds.size and bounds[i] <= v:
        i += 1
    return levels[i]


@njit(cache=True)
def encode_rows(x: np.ndarray, b0: int, b1: int, c0: int, differential: bool, cont: bool,
                tmin: float, swing: float, bounds: np.ndarray, levels: np.ndarray,
                start: np.ndarray, pline: np.ndarray, rin_sigma: float, key: np.uint64,
                s_x: np.ndarray, inv_s: np.ndarray, out: np.ndarray,
                batch_scale: float) -> None:
    """For samples ``b0 <= b < b1`` of ``x`` ``(nb, n_in)``: ``s_x[b] = max_k |x[b, k]|``
    (1 for an all-zero row), or ``batch_scale`` when positive (one scale for the batch),
    ``inv_s[b] = 1 / s_x[b]``, and the optical powers reaching the
    banks for columns ``c0:c0 + nc`` (``nc = out.shape[1]``) in row ``q nb + b`` of ``out``
    (pass ``q``; two passes when ``differential``). Encoding as
    :meth:`~photonic_dfa.architecture.core.Encoder.encode`; RIN number ``row nc + k`` of
    stream ``key``."""
    nb = x.shape[0]
    nc = out.shape[1]
    for b in range(b0, b1):
        m = batch_scale
        if m <= 0.0:
            for k in range(x.shape[1]):
                m = max(m, abs(x[b, k]))
            if m == 0.0:
                m = 1.0
        s_x[b] = m
        inv_s[b] = 1.0 / m
    # one code search per loop body: two in one body compile to a loop ten times slower
    for q in range(2 if differential else 1):
        sign = 1.0 - 2.0 * q
        for b in range(b0, b1):
            for k in range(nc):
                u = sign * x[b, c0 + k] * inv_s[b]
                v = max(u, 0.0) if differential else 0.5 * (u + 1.0)
                out[q * nb + b, k] = pline[k] * _enc(v, cont, tmin, swing, bounds, levels,
                                                     start)
    # RIN in its own loop: beside the code search the hash does not vectorise and the
    # loop runs several times slower
    if rin_sigma > 0.0:
        for q in range(2 if differential else 1):
            for b in range(b0, b1):
                r = q * nb + b
                for k in range(nc):
                    out[r, k] *= 1.0 + rin_sigma * normal_at(key, r * nc + k)


@njit(cache=True, error_model="numpy")
def rin_slabs(q: np.ndarray, p: np.ndarray, sigma: float, key: np.uint64, t0: int) -> None:
    """``q[c, r, k] = sigma p[r, k] z`` with ``z`` normal number ``((t0 + c) R + r) nc + k``
    of stream ``key`` (``R, nc = p.shape``): the RIN term of the channel powers in row tile
    ``t0 + c``, each tile its own time slot."""
    rows, nc = p.shape
    per = max(1, 4096 // nc)  # rows per block of normals
    z = np.empty(per * nc, dtype=np.float32)
    scratch = np.empty(per * nc // 2 + 1, dtype=np.uint64)
    for c in range(q.shape[0]):
        base = (t0 + c) * rows * nc
        for r0 in range(0, rows, per):
            r1 = min(r0 + per, rows)
            normals(z[:(r1 - r0) * nc], key, base + r0 * nc, scratch)
            for r in range(r0, r1):
                o = (r - r0) * nc
                for k in range(nc):
                    q[c, r, k] = sigma * p[r, k] * z[o + k]
