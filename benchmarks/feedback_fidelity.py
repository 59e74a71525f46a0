"""How much of the DFA signal ``B e`` of small errors survives the feedback core.

MAC-error statistics are dominated by the samples with the largest ``max|e|``; training
loss late in a run is made by the many nearly-correct samples whose errors are small
next to the batch's largest. For batches of 64 DFA errors ``e = softmax(z) - onehot``
whose logits favour the label by a margin drawn so that ``max|e|`` spans four decades,
each sample is binned by its ``max|e|`` over the batch's, and per bin this prints the
fraction of the signal the core returns (the regression slope of ``y`` on ``B e``: 1 is
unbiased) and the error's RMS relative to the signal's, for the chip under batch and
per-sample input scaling and for the authors' Gaussian model (batch ``max|e|``, as the
``gaussian`` training mode). ``B`` is (800, 10) uniform in [-1, 1). Usage:
``python benchmarks/feedback_fidelity.py [--calibrated] [--batches N]``. Ends with one
JSON line.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from photonic_dfa.architecture.config import ChipConfig
from photonic_dfa.architecture.core import PhotonicMVM
from photonic_dfa.architecture.digital import GaussianErrorCore

EDGES = (1.0, 1 / 4, 1 / 16, 1 / 64, 1 / 256, 0.0)


def late_errors(n: int, rng: np.random.Generator) -> np.ndarray:
    z = 3.0 * rng.standard_normal((n, 10))
    label = rng.integers(0, 10, n)
    z[np.arange(n), label] += rng.uniform(0.0, 14.0, n)  # most samples nearly correct
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(n), label] -= 1.0
    return p


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--calibrated", action="store_true",
                    help="the calibrated fabricated chip (seed 0) instead of the design chip")
    ap.add_argument("--batches", type=int, default=200)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    b = rng.uniform(-1.0, 1.0, (800, 10))
    e = late_errors(64 * args.batches, rng)
    cores = {}
    for scaling in ("batch", "sample"):
        cfg = ChipConfig().updated(**{"core.input_scaling": scaling})
        if args.calibrated:
            from photonic_dfa.calibration.calibrated_core import calibrated_core

            cores[f"chip, {scaling}"] = calibrated_core(cfg, 0)
        else:
            cores[f"chip, {scaling}"] = PhotonicMVM(cfg)
    cores["Gaussian model, batch"] = GaussianErrorCore(np.random.default_rng(1),
                                                        input_scaling="batch")
    exact = e @ b.T
    ratio = np.empty(e.shape[0])
    for i in range(0, e.shape[0], 64):
        m = np.abs(e[i:i + 64]).max(axis=1)
        ratio[i:i + 64] = m / m.max()
    bins = [(hi, lo) for hi, lo in zip(EDGES[:-1], EDGES[1:], strict=True)]
    figures: dict[str, dict[str, list[float]]] = {}
    print(f"{'core':<24}" + "".join(f"{f'({lo:.3g},{hi:.3g}]':>22}" for hi, lo in bins))
    print(f"{'samples':<24}" + "".join(
        f"{int(np.sum((ratio <= hi) & (ratio > lo))):>22}" for hi, lo in bins))
    for name, core in cores.items():
        core.program(b)
        y = np.empty_like(exact)
        for i in range(0, e.shape[0], 64):
            y[i:i + 64] = core.matvec(e[i:i + 64], rng=np.random.default_rng(i))
        slopes, rel = [], []
        for hi, lo in bins:
            sel = (ratio <= hi) & (ratio > lo)
            s, yy = exact[sel], y[sel]
            slopes.append(float(np.sum(yy * s) / np.sum(s * s)))
            rel.append(float(np.sqrt(np.mean((yy - s) ** 2) / np.mean(s * s))))
        figures[name] = {"slope": slopes, "relative_rms_error": rel}
        print(f"{name:<24}" + "".join(f"{f'{a:.3f} / {r:.3g}':>22}"
                                      for a, r in zip(slopes, rel, strict=True)))
    print("(per bin of max|e| / batch max: signal slope / error RMS over signal RMS)")
    print(json.dumps({"benchmark": "feedback_fidelity", "calibrated": args.calibrated,
                      "bins": [[lo, hi] for hi, lo in bins], **figures}))


if __name__ == "__main__":
    main()
