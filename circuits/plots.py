"""Pictures of circuits: weight-bank spectra with their channels."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from photonic_dfa.base.atomic import atomic_write
from photonic_dfa.base.validation import check_array, check_int

if TYPE_CHECKING:
    from .weight_bank import WeightBank

__all__ = ["plot_bank"]


def plot_bank(bank: WeightBank, heater_powers: ArrayLike | None, path: str | os.PathLike,
              wavelengths: ArrayLike | None = None, points: int = 4000) -> Path:
    """Write a PNG of ``bank``'s through/drop spectra and channel weights at one heater state.

    Top: through and drop power (dB) of the ``exact`` solver, with the ``fast`` solver
    dashed, channel wavelengths as dotted lines and each channel's transmissions marked.
    Bottom: the weight ``w_k`` of every channel (exact and fast) against the reachable range
    (shaded). ``heater_powers`` ``(N,)`` (default :attr:`WeightBank.bias_powers`);
    ``wavelengths`` default to the channel span plus one spacing each side, ``points``
    samples. Returns the path written (atomically).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = bank.n_channels
    p = bank.bias_powers if heater_powers is None else np.asarray(heater_powers, dtype=float)
    if p.shape != (n,):
        raise ValueError(f"heater_powers must have shape ({n},), got {p.shape}")
    lam = np.asarray(bank.channel_wavelengths)
    if wavelengths is None:
        pad = float(np.min(np.diff(lam))) if n > 1 else 5.0 * bank.rings[0].fwhm(lam[0])
        m = check_int("points", points, 16, 1_000_000)
        wl = np.linspace(lam[0] - pad, lam[-1] + pad, m)
    else:
        wl = check_array("wavelengths", wavelengths, 0.0, None, low_inclusive=False, ndim=1)
    spectra = {s: bank.spectra(wl, p, s) for s in ("exact", "fast")}
    chans = {s: bank.channel_transmissions(p, s) for s in ("exact", "fast")}
    nm = 1e9

    fig, (ax, axw) = plt.subplots(2, 1, figsize=(9, 6.5), height_ratios=(2.2, 1),
                                  constrained_layout=True)
    floor = 1e-6
    for s, style in (("exact", "-"), ("fast", "--")):
        thru, drop = spectra[s]
        lw = 1.3 if s == "exact" else 0.9
        ax.plot(wl * nm, 10 * np.log10(np.maximum(thru, floor)), style, color="tab:blue",
                lw=lw, label=f"through ({s})")
        ax.plot(wl * nm, 10 * np.log10(np.maximum(drop, floor)), style, color="tab:orange",
                lw=lw, label=f"drop ({s})")
    ct, cd = chans["exact"]
    ax.plot(lam * nm, 10 * np.log10(np.maximum(ct, floor)), "o", color="tab:blue", ms=4)
    ax.plot(lam * nm, 10 * np.log10(np.maximum(cd, floor)), "s", color="tab:orange", ms=4)
    for k, w in enumerate(lam):
        ax.axvline(w * nm, color="0.6", lw=0.7, ls=":")
        ax.text(w * nm, 1.0, f"{k}", ha="center", va="bottom", fontsize=7, color="0.4")
    ax.set_ylim(-40, 3)
    ax.set_xlim(wl[0] * nm, wl[-1] * nm)
    ax.set_xlabel("wavelength (nm)")
    ax.set_ylabel("power transmission (dB)")
    ax.set_title(f"{n}-ring weight bank: spectra at the given heater powers "
                 f"(sum {1e3 * p.sum():.3g} mW); dotted: channels")
    ax.legend(loc="lower left", fontsize=7, ncol=2)

    w_min, w_max = bank.weight_range
    idx = np.arange(n)
    axw.axhspan(w_min, w_max, color="0.92", label="reachable range (all channels)")
    width = 0.38
    for off, s, color in ((-width / 2, "exact", "tab:green"), (width / 2, "fast", "tab:olive")):
        t, d = chans[s]
        axw.bar(idx + off, d - t, width, color=color, label=f"w = drop - thru ({s})")
    axw.axhline(0.0, color="k", lw=0.6)
    axw.set_xticks(idx)
    axw.set_xlabel("channel")
    axw.set_ylabel("weight")
    axw.set_ylim(-1.05, 1.05)
    axw.legend(loc="lower right", fontsize=7, ncol=3)

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=130)
    plt.close(fig)
    return atomic_write(path, lambda fh: fh.write(buf.getvalue()))
