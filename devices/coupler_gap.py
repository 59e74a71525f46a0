"""Ring-to-bus point coupler: power coupling from the gap, and the gap for a wanted coupling.

Exponential evanescent-coupling model (the coupled power of a point coupler falls as the
overlap of two evanescent tails, ``exp(-gap / g0)``; its interaction length grows with the
ring radius):

``kappa^2(gap, R) = k0 (R / R_ref)^p exp(-gap / g0)``,  ``kappa^2 = 1 - r^2``

Constants: least-squares fit of ``ln kappa^2`` at 1550 nm to the ten TE, 500 nm x 220 nm,
zero-straight-length (``CoupleLength=0``) half-ring FDTD S-parameter sets of the SiEPIC
EBeam PDK ``ebeam_dc_halfring_straight`` (shipped with simphony 0.7,
``simphony.libraries.siepic.half_ring``; radii 3, 5, 10, 18 um, gaps 50-200 nm):
``k0 = 0.5629``, ``p = 0.8965``, ``g0 = 51.85 nm`` with ``R_ref = 10 um``; every data point
within 8.3 % of the model. The fit is trusted only inside the data's box
(:data:`GAP_RANGE`, :data:`RADIUS_RANGE`, zero coupler length); :func:`gap_for_coupling`
returns :data:`DEFAULT_GAP` and ``valid=False`` outside it, never an extrapolation.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from photonic_dfa.base.validation import check_array, check_broadcast

__all__ = [
    "COUPLING_K0",
    "COUPLING_RADIUS_EXPONENT",
    "COUPLING_DECAY_GAP",
    "COUPLING_RADIUS_REF",
    "GAP_RANGE",
    "RADIUS_RANGE",
    "DEFAULT_GAP",
    "power_coupling_from_gap",
    "gap_for_coupling",
]

#: Prefactor ``k0`` of ``kappa^2`` at ``R_ref`` and zero gap (fit, see module docstring).
COUPLING_K0 = 0.5629
#: Radius exponent ``p``: a larger ring bends away from the bus more slowly.
COUPLING_RADIUS_EXPONENT = 0.8965
#: Evanescent decay gap ``g0`` (m).
COUPLING_DECAY_GAP = 51.85e-9
#: Reference radius ``R_ref`` (m).
COUPLING_RADIUS_REF = 10e-6
#: Edge-to-edge gaps covered by the fitted data (m).
GAP_RANGE = (50e-9, 200e-9)
#: Ring radii covered by the fitted data (m).
RADIUS_RANGE = (3e-6, 18e-6)
#: Gap drawn when the wanted coupling lies outside the model's range (m): the widest fitted gap.
DEFAULT_GAP = 200e-9


def power_coupling_from_gap(gap: ArrayLike, radius: ArrayLike) -> np.ndarray:
    """``kappa^2 = k0 (R / R_ref)^p exp(-gap / g0)`` (dimensionless), broadcasting."""
    g = check_array("gap", gap, 0.0, None)
    r = check_array("radius", radius, 0.0, None, low_inclusive=False)
    check_broadcast(gap=g, radius=r)
    return (
        COUPLING_K0
        * (r / COUPLING_RADIUS_REF) ** COUPLING_RADIUS_EXPONENT
        * np.exp(-g / COUPLING_DECAY_GAP)
    )


def gap_for_coupling(
    self_coupling: ArrayLike, radius: ArrayLike, coupler_length: ArrayLike = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Gap (m) giving field self-coupling ``r``, and whether the model covers it.

    Inverts the model: ``gap = g0 ln(k0 (R/R_ref)^p / (1 - r^2))``. Where the radius, the
    gap or a non-zero ``coupler_length`` (racetrack, not fitted) falls outside the data,
    the gap is :data:`DEFAULT_GAP` and ``valid`` is ``False``. Returns ``(gap, valid)``.
    """
    r = check_array("self_coupling", self_coupling, 0.0, 1.0, low_inclusive=False)
    rad = check_array("radius", radius, 0.0, None, low_inclusive=False)
    lc = check_array("coupler_length", coupler_length, 0.0, None)
    check_broadcast(self_coupling=r, radius=rad, coupler_length=lc)
    kappa2 = 1.0 - r * r
    prefactor = COUPLING_K0 * (rad / COUPLING_RADIUS_REF) ** COUPLING_RADIUS_EXPONENT
    with np.errstate(divide="ignore"):  # r = 1 (no coupling) needs an infinite gap
        gap = COUPLING_DECAY_GAP * np.log(prefactor / kappa2)
    # A relative tolerance keeps the range ends themselves inside after the log round trip.
    tol = 1e-9
    valid = (
        (gap >= GAP_RANGE[0] * (1 - tol)) & (gap <= GAP_RANGE[1] * (1 + tol))
        & (rad >= RADIUS_RANGE[0] * (1 - tol)) & (rad <= RADIUS_RANGE[1] * (1 + tol))
        & (lc == 0.0)
    )
    return np.where(valid, gap, DEFAULT_GAP), valid

