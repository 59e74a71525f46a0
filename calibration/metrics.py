"""Figures of merit for programmed weights: residual error and effective bits."""

from __future__ import annotations

import numpy as np

from photonic_dfa.devices.photodetector import effective_bits

__all__ = ["weight_error_figures"]


def weight_error_figures(realised: np.ndarray, targets: np.ndarray, full_range: float,
                         mask: np.ndarray | None = None) -> dict[str, float]:
    """``{"rms", "std", "std_rel", "bits", "max"}`` of ``realised - targets`` over ``mask``.

    ``std_rel`` is the error's standard deviation over the weight range ``full_range``;
    ``bits`` the effective number of bits ``log2(range / (rms sqrt(12)))``
    (:func:`~photonic_dfa.devices.photodetector.effective_bits`), with the RMS (bias
    included) as the error.
    """
    e = np.asarray(realised, dtype=float) - np.asarray(targets, dtype=float)
    if mask is not None:
        e = e[np.broadcast_to(mask, e.shape)]
    e = e.ravel()
    rms = float(np.sqrt(np.mean(e * e)))
    return {"rms": rms, "std": float(np.std(e)), "std_rel": float(np.std(e) / full_range),
            "bits": float(effective_bits(max(rms, 1e-300), full_range)),
            "max": float(np.max(np.abs(e)))}
