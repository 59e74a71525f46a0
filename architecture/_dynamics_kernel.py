"""numba kernel of the symbol-rate model (:mod:`.dynamics`, whose docstring has the
equations): every stage of every (bank, channel) stepped through the symbol sequence."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["symbol_products"]


@njit(cache=True)
def symbol_products(p: np.ndarray, nb: int, passes: int, block: int, dm: np.ndarray,
                     tm: np.ndarray, cth: np.ndarray, er: np.ndarray, fr: np.ndarray,
                     stages: np.ndarray, steps: int, out: np.ndarray) -> None:
    """Adds every column block's sampled ``[g_w | g_s]`` to ``out`` (module docstring)."""
    n_col, k = dm.shape
    em, fm, ed, fd, et = stages[0], stages[1], stages[2], stages[3], stages[4]
    half = steps // 2
    cw = np.empty(k)
    cs = np.empty(k)
    for q in range(passes):
        r0 = q * nb
        for c0 in range(0, n_col, block):
            c1 = min(c0 + block, n_col)
            nc = c1 - c0
            mod = np.empty(nc)
            ring = np.empty((nc, k), dtype=np.complex128)
            for c in range(nc):
                mod[c] = p[r0, c0 + c]
                e0 = math.sqrt(max(mod[c], 0.0))
                for j in range(k):
                    ring[c, j] = e0
            # receiver states start in the first symbol's steady state
            pdw = np.zeros(k)
            pds = np.zeros(k)
            for c in range(nc):
                pw = max(p[r0, c0 + c], 0.0)
                for j in range(k):
                    d = dm[c0 + c, j] * pw
                    t = tm[c0 + c, j] * abs(1.0 - cth[c0 + c, j]) ** 2 * pw
                    pdw[j] += d - t
                    pds[j] += d + t
            tiw = pdw.copy()
            tis = pds.copy()
            for n in range(nb):
                row = r0 + n
                for step in range(steps):
                    for j in range(k):
                        cw[j] = 0.0
                        cs[j] = 0.0
                    for c in range(nc):
                        u = p[row, c0 + c]
                        m_mean = u + (mod[c] - u) * fm
                        mod[c] = u + (mod[c] - u) * em
                        e = math.sqrt(max(m_mean, 0.0))
                        for j in range(k):
                            a = ring[c, j]
                            a_mean = e + (a - e) * fr[c0 + c, j]
                            ring[c, j] = e + (a - e) * er[c0 + c, j]
                            d = dm[c0 + c, j] * (a_mean.real ** 2 + a_mean.imag ** 2)
                            th = e - cth[c0 + c, j] * a_mean
                            t = tm[c0 + c, j] * (th.real ** 2 + th.imag ** 2)
                            cw[j] += d - t
                            cs[j] += d + t
                    for j in range(k):
                        mw = cw[j] + (pdw[j] - cw[j]) * fd
                        ms = cs[j] + (pds[j] - cs[j]) * fd
                        pdw[j] = cw[j] + (pdw[j] - cw[j]) * ed
                        pds[j] = cs[j] + (pds[j] - cs[j]) * ed
                        tiw[j] = mw + (tiw[j] - mw) * et
                        tis[j] = ms + (tis[j] - ms) * et
                    if step == half - 1:
                        for j in range(k):
                            out[row, j] += tiw[j]
                            out[row, k + j] += tis[j]
