"""Field formulas shared by the numpy device models and their JAX (SAX) twins.

Each function is plain arithmetic on arrays of the namespace ``xp`` (``numpy`` or
``jax.numpy``), so both evaluate the same expressions.

Rings (Bogaerts et al., Laser Photonics Rev. 6, 47 (2012)): round-trip phase in cycles
``t = phi / (2 pi) = p / lambda + q`` with ``p = (n_g + dn_dT dT) L`` and
``q = extra / (2 pi) - (n_g - n_eff0) L / lambda0`` (first-order dispersion), field factor
``h = e^{i phi / 2}``, ``e = h^2``, ``x = r1 r2 a``:

- through ``t1 = (r1 - r2 a e) / (1 - x e)``, add -> drop ``t2 = (r2 - r1 a e) / (1 - x e)``
- in -> drop (and add -> through) ``d = -k1 k2 sqrt(a) h / (1 - x e)``, ``k = sqrt(1 - r^2)``

An all-pass ring is ``t1`` with ``r2 = 1``.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = [
    "cycle_coefficients",
    "reduce_cycles",
    "round_trip_amplitude",
    "add_drop_fields",
    "all_pass_field",
    "mzm_power",
    "ring_modulator_phase",
]


def cycle_coefficients(length: Any, n_eff: Any, n_g: Any, wavelength0: Any, dn_dT: Any,
                       delta_t: Any, phase: Any) -> tuple[Any, Any]:
    """``(p, q)`` with ``phi / (2 pi) = p / lambda + q``; ``p`` in the unit of ``length``."""
    p = (n_g + dn_dT * delta_t) * length
    q = phase / (2.0 * math.pi) - (n_g - n_eff) * length / wavelength0
    return p, q


def reduce_cycles(t: Any, xp: Any) -> Any:
    """Phase in cycles modulo 2, in [-1, 1): exact in floating point. Modulo 2 (not 1) keeps
    the sign of the half-ring factor ``e^{i phi / 2}``."""
    return t - 2.0 * xp.floor(0.5 * t + 0.5)


def round_trip_amplitude(loss_db_per_cm: Any, length_m: Any, xp: Any) -> Any:
    """``a = exp(-alpha L / 2)``, ``alpha = loss_db_per_cm 100 ln(10) / 10`` (1/m)."""
    return xp.exp(-(loss_db_per_cm * 100.0 * math.log(10.0) / 10.0) * length_m / 2.0)


def add_drop_fields(cycles: Any, a: Any, r1: Any, r2: Any, xp: Any) -> tuple[Any, Any, Any]:
    """``(t1, d, t2)`` of an add-drop ring at round-trip phase ``cycles`` (``phi / 2 pi``)."""
    h = xp.exp(1j * math.pi * reduce_cycles(cycles, xp))
    e = h * h
    g = 1.0 / (1.0 - r1 * r2 * a * e)
    d = -xp.sqrt((1.0 - r1 * r1) * (1.0 - r2 * r2) * a) * h * g
    return (r1 - r2 * a * e) * g, d, (r2 - r1 * a * e) * g


def all_pass_field(cycles: Any, a: Any, r: Any, xp: Any) -> Any:
    """Through field ``(r - a e^{i phi}) / (1 - r a e^{i phi})`` of an all-pass ring."""
    e = xp.exp(2j * math.pi * reduce_cycles(cycles, xp))
    return (r - a * e) / (1.0 - r * a * e)


def mzm_power(voltage: Any, v_pi: Any, bias_voltage: Any, il: Any, eps: Any, xp: Any) -> Any:
    """``IL [eps + (1 - eps) cos^2(phi / 2)]``, ``phi = pi (V_bias + V) / V_pi``."""
    phi = math.pi * (bias_voltage + voltage) / v_pi
    return il * (eps + (1.0 - eps) * xp.cos(0.5 * phi) ** 2)


def ring_modulator_phase(detuning: Any, shift_per_volt: Any, voltage: Any, fsr: Any) -> Any:
    """Round-trip phase from resonance ``phi = 2 pi (delta - s V) / FSR`` (rad)."""
    return 2.0 * math.pi * (detuning - shift_per_volt * voltage) / fsr
