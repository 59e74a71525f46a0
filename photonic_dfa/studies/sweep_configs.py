"""The chip configuration of one sweep point: base chip plus the point's parameters, derived
ones (``r``, ``gap``, ``tuning_efficiency``, ``symbol_rate``) converted to config keys."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .sweep_params import PARAMETERS


# ------------------------------------------------------------------------------ per point
def _base_config(base: Mapping[str, Any]) -> Any:
    from photonic_dfa.architecture.config import ChipConfig

    return ChipConfig().updated(**dict(base)) if base else ChipConfig()


def point_config(point: Mapping[str, Any], base: Any = None) -> Any:
    """The ChipConfig of one point: ``base`` (a ChipConfig or dotted overrides) with the point's
    parameters applied; derived ones (``r``, ``gap``, ``tuning_efficiency``) are converted to
    the config's ``ring.q_loaded`` and ``heater.thermal_resistance``."""
    from photonic_dfa.architecture.config import ChipConfig
    from photonic_dfa.devices.microring import AddDropRing

    cfg = base if isinstance(base, ChipConfig) else _base_config(base or {})
    pitch_given = "crosstalk.ring_pitch" in point or (
        not isinstance(base, ChipConfig) and "crosstalk.ring_pitch" in (base or {}))
    direct = {}
    for name, v in point.items():
        spec = PARAMETERS.get(name)
        if spec is None:
            direct[name] = v
        elif spec.key:
            direct[spec.key] = spec.check(v)
    if "radius" in point and not pitch_given:
        # rings grow apart with their radius: keep the layout's edge-to-edge clearance
        from photonic_dfa.circuits.weight_bank import DEFAULT_RING_CLEARANCE

        need = 2.0 * direct["ring.radius"] * 1.05 + DEFAULT_RING_CLEARANCE
        direct["crosstalk.ring_pitch"] = max(cfg.crosstalk.ring_pitch, need)
    if direct:
        cfg = cfg.updated(**direct)
    lam = cfg.laser.center_wavelength
    ring = cfg.ring
    derived: dict[str, Any] = {}
    r = None
    if "r" in point:
        r = PARAMETERS["r"].check(point["r"])
    elif "gap" in point:
        from photonic_dfa.devices.coupler_gap import RADIUS_RANGE, power_coupling_from_gap

        gap = PARAMETERS["gap"].check(point["gap"])
        if not RADIUS_RANGE[0] <= ring.radius <= RADIUS_RANGE[1]:
            raise ValueError(f"gap is only modelled for radius in [{RADIUS_RANGE[0]!r}, "
                             f"{RADIUS_RANGE[1]!r}] m (the coupler fit), got radius="
                             f"{ring.radius!r}; sweep r or q_loaded instead")
        kappa2 = float(power_coupling_from_gap(gap, ring.radius))
        if kappa2 >= 1.0:
            raise ValueError(f"gap={gap!r} gives power coupling {kappa2:.3g} >= 1 at radius="
                             f"{ring.radius!r}; widen the gap")
        r = math.sqrt(1.0 - kappa2)
    if r is not None:
        name = "r" if "r" in point else "gap"
        try:
            tmpl = AddDropRing(radius=ring.radius, loss_db_per_cm=ring.loss_db_per_cm,
                               n_eff=ring.n_eff, n_g=ring.n_g, wavelength0=lam,
                               dn_dT=ring.dn_dT, r1=r, r2=r).tuned_to(lam)
            q = float(tmpl.q_loaded(lam))
        except ValueError as exc:
            raise ValueError(f"{name}={point[name]!r} is not a valid coupling: {exc}") from None
        lo, hi = 10.0, 1e7
        if not lo <= q <= hi:
            raise ValueError(f"{name}={point[name]!r} gives loaded Q {q:.4g}, outside the "
                             f"modelled [{lo:g}, {hi:g}]")
        derived["ring.q_loaded"] = q
    if "tuning_efficiency" in point:
        eff = PARAMETERS["tuning_efficiency"].check(point["tuning_efficiency"])
        r_th = eff * ring.n_g / (lam * ring.dn_dT)
        if not 1.0 <= r_th <= 1e7:
            raise ValueError(f"tuning_efficiency={eff!r} m/W needs thermal resistance "
                             f"{r_th:.4g} K/W, outside [1, 1e7]")
        derived["heater.thermal_resistance"] = r_th
    if "symbol_rate" in point:
        # a receiver designed for the rate: Nyquist noise bandwidth, 0.7 R 3-dB bandwidth
        rate = PARAMETERS["symbol_rate"].check(point["symbol_rate"])
        derived.update({"core.symbol_rate": rate, "detector.bandwidth": rate / 2.0,
                        "tia.bandwidth": 0.7 * rate})
    if derived:
        cfg = cfg.updated(**derived)
    # the ring must be realisable at this Q and loss
    try:
        from photonic_dfa.architecture.chip import build_ring

        build_ring(cfg)
    except ValueError as exc:
        names = [n for n in ("r", "gap", "q_loaded", "loss_db_per_cm", "radius") if n in point]
        raise ValueError(f"{'/'.join(names) or 'ring'}: {exc}") from None
    return cfg


