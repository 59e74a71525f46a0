"""MAC error of DFA feedback products ``B e`` on the simulated core, against the authors'
Gaussian model.

Filipovich et al. (Optica 2022) model the on-chip error of every element of ``B e`` as
``max|e| * N(0.03, 0.618)`` (:data:`.digital.AUTHORS_ERROR`); here ``B`` is uniform in
[-1, 1) with shape (width, 10) and
``e = softmax(z) - onehot`` as at the output of an MNIST classifier. The simulated error
``y - B e`` is expressed in the same unit: divided by the ``max|e|`` the chip scaled its
inputs by (``core.input_scaling``: each sample's own with ``"sample"``, the default; the
batch's with ``"batch"``, as the authors' code scales), so chip and model are compared
under the same scaling, stated in the result. Also
relative to the full scale ``max_j sum_k |B_jk|`` (the largest ``|B e|`` can be, per unit
``max|e|``). Effective bits use :func:`photonic_dfa.devices.photodetector.effective_bits`
over the bipolar range ``2 x full scale``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from photonic_dfa.base.memory import check_memory
from photonic_dfa.base.validation import check_int
from photonic_dfa.devices.photodetector import effective_bits

from .config import ChipConfig
from .core import PhotonicMVM, ProgramInfo
from .digital import AUTHORS_ERROR

__all__ = ["MacErrorResult", "dfa_errors", "measure_mac_error", "plot_mac_error"]


@dataclass(frozen=True)
class MacErrorResult:
    """Error statistics in units of ``max|e|`` and relative to full scale."""

    samples: int
    width: int
    mean: float
    std: float
    full_scale: float
    enob: float
    authors_enob: float
    weight_rms_error: float
    adc_clipped: int
    errors: np.ndarray  # (samples * width,) in units of max|e|
    #: ``"batch"`` or ``"sample"``: whose max|e| the chip (and the model) scale by
    scaling: str = "sample"
    #: samples per batch (the batch max|e| is over this many)
    batch: int = 1
    #: least-squares slope of the chip's output on ``B e`` (1: the signal passes whole)
    signal_slope: float = 1.0
    #: rms over outputs of each output's mean error, in units of max|e|: a bias of fixed
    #: sign per output, which DFA training does not average away (includes the sampling
    #: noise of the means, about std / sqrt(samples))
    output_bias_rms: float = 0.0

    @property
    def std_relative(self) -> float:
        return self.std / self.full_scale

    @property
    def mean_relative(self) -> float:
        return self.mean / self.full_scale

    def summary(self) -> dict:
        return {
            "samples": self.samples, "width": self.width,
            "mean_per_max_e": self.mean, "std_per_max_e": self.std,
            "mean_relative_to_full_scale": self.mean_relative,
            "std_relative_to_full_scale": self.std_relative,
            "full_scale_per_max_e": self.full_scale, "effective_bits": self.enob,
            "authors_mean_per_max_e": AUTHORS_ERROR.mean,
            "authors_std_per_max_e": AUTHORS_ERROR.std,
            "authors_std_relative_to_full_scale": AUTHORS_ERROR.std / self.full_scale,
            "authors_effective_bits": self.authors_enob,
            "weight_rms_error": self.weight_rms_error, "adc_clipped": self.adc_clipped,
            "input_scaling": self.scaling, "batch": self.batch,
            "signal_slope": self.signal_slope, "output_bias_rms": self.output_bias_rms,
        }


def dfa_errors(samples: int, rng: np.random.Generator, classes: int = 10) -> np.ndarray:
    """``softmax(z) - onehot(label)`` with logits ``z ~ 3 N(0, 1)`` and random labels."""
    z = 3.0 * rng.standard_normal((samples, classes))
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(samples), rng.integers(0, classes, samples)] -= 1.0
    return p


class MeasuredCore(Protocol):
    """A chip core as :func:`measure_mac_error` drives it (:class:`PhotonicMVM`, or a
    fabricated chip's core programmed through its calibration)."""

    @property
    def adc_clipped(self) -> int: ...

    def program(self, weights: ArrayLike) -> ProgramInfo: ...

    def matvec(self, x: ArrayLike, gate: ArrayLike | None = None,
               rng: np.random.Generator | None = None) -> NDArray[np.float64]: ...


def mac_error_memory(samples: int, width: int) -> int:
    """Bytes :func:`measure_mac_error` holds at its peak: the error matrix, its square and
    the DFA error vectors (float64)."""
    return 8 * (3 * samples * width + 20 * samples) + (64 << 20)


def measure_mac_error(cfg: ChipConfig, samples: int = 4096, width: int = 800,
                      seed: int = 0, batch: int = 64, core: MeasuredCore | None = None
                      ) -> MacErrorResult:
    """Run ``samples`` random DFA products of a (width, 10) ``B`` through the core, in
    batches of ``batch`` (default 64, the MNIST training batch: with batch scaling the
    scale is that batch's max|e|).

    ``core``: the core to measure (e.g. a calibrated fabricated chip's), default
    ``PhotonicMVM(cfg)``, the design chip."""
    batch = check_int("batch", batch, 1, 10**8)
    per_batch = cfg.core.input_scaling == "batch"
    samples = check_int("samples", samples, 1, 10**8)
    width = check_int("width", width, 1, 10**6)
    check_memory(f"{samples} samples of width {width}", mac_error_memory(samples, width),
                 "use fewer samples or a smaller width")
    rng = np.random.default_rng(seed)
    b = rng.uniform(-1.0, 1.0, (width, 10))
    e = dfa_errors(samples, rng)
    core = PhotonicMVM(cfg) if core is None else core
    info = core.program(b)
    err = np.empty((samples, width))
    yr = ry = 0.0
    for i in range(0, samples, batch):
        chunk = e[i:i + batch]
        y = core.matvec(chunk, rng=rng)
        ref = chunk @ b.T
        yr += float(np.sum(y * ref))
        ry += float(np.sum(ref * ref))
        scale = np.abs(chunk).max() if per_batch else \
            np.abs(chunk).max(axis=1, keepdims=True)
        err[i:i + batch] = (y - ref) / scale
    bias = err.mean(axis=0)
    flat = err.ravel()
    fs = float(np.abs(b).sum(axis=1).max())
    rms = float(np.sqrt(np.mean(flat**2)))
    full_range = 2.0 * fs
    return MacErrorResult(
        samples=samples, width=width, mean=float(flat.mean()), std=float(flat.std()),
        full_scale=fs, enob=float(effective_bits(max(rms, 1e-300), full_range)),
        authors_enob=float(effective_bits(np.hypot(AUTHORS_ERROR.std, AUTHORS_ERROR.mean),
                                          full_range)),
        weight_rms_error=info.weight_rms_error, adc_clipped=core.adc_clipped, errors=flat,
        scaling=cfg.core.input_scaling, batch=batch, signal_slope=yr / ry if ry else 1.0,
        output_bias_rms=float(np.sqrt(np.mean(bias**2))))


def plot_mac_error(res: MacErrorResult, path: str | Path) -> Path:
    """Histogram of the simulated error with its Gaussian fit and the authors' model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from photonic_dfa.base.atomic import atomic_write

    def gauss(x: np.ndarray, m: float, s: float) -> np.ndarray:
        return np.exp(-0.5 * ((x - m) / s) ** 2) / (s * np.sqrt(2 * np.pi))

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    span = 4 * AUTHORS_ERROR.std
    for ax, lim, title in ((axes[0], span, "same scale as the authors' model"),
                           (axes[1], 5 * max(res.std, 1e-12) + abs(res.mean), "zoom")):
        x = np.linspace(-lim, lim, 600)
        ax.hist(res.errors, bins=200, range=(-lim, lim), density=True, color="#4c72b0",
                alpha=0.6, label="simulated chip")
        ax.plot(x, gauss(x, res.mean, max(res.std, 1e-12)), color="#4c72b0",
                label=f"fit N({res.mean:.3g}, {res.std:.3g})")
        ax.plot(x, gauss(x, AUTHORS_ERROR.mean, AUTHORS_ERROR.std), color="#dd8452", lw=2,
                label=f"authors N({AUTHORS_ERROR.mean}, {AUTHORS_ERROR.std})")
        ax.set_xlim(-lim, lim)
        ax.set_xlabel("error of (B e)_j / max|e|")
        ax.set_ylabel("density")
        ax.set_title(title)
        ax.legend(fontsize=8)
    fig.suptitle(f"MAC error, B {res.width}x10, {res.samples} DFA errors, "
                 f"{res.scaling} max|e| scaling: "
                 f"{res.enob:.2f} effective bits (authors' model {res.authors_enob:.2f})",
                 fontsize=10)
    fig.tight_layout()
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    data = buf.getvalue()
    return atomic_write(path, lambda fh: fh.write(data))
