"""Placement of a weight bank on the 1 nm layout grid: pure numbers, no gdsfactory.

The API takes SI units like the rest of the package; the drawing works on a 1 nm grid and
every coordinate is rounded to it here, once. :func:`plan_bank` decides, for a bank the
simulator accepts:

- the ring radii on the grid, chosen by :func:`photonic_dfa.circuits.layout_tuning.drawable_bank`
  so that every drawn ring, recomputed from its drawn radius, stays tunable onto its channel
  (heaters only red-shift);
- the coupler gaps from ``r1`` / ``r2`` through the exponential coupler model
  :mod:`photonic_dfa.devices.coupler_gap` (gaps 50-200 nm, radii 3-18 um, point couplers;
  outside it ``DEFAULT_GAP`` and a :class:`CouplerModelWarning`);
- the ring pitch: the bank's ``ring_pitch`` or ``bus_length`` when the rings, heaters and
  contacts fit in it, else the smallest pitch that fits (rounded up to 1 um). The plan's
  ``bank`` is then re-simulated with the drawn bus length.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any, Protocol

import numpy as np

from photonic_dfa.base.validation import check_int, check_scalar
from photonic_dfa.devices.coupler_gap import DEFAULT_GAP, gap_for_coupling

__all__ = [
    "LayoutRules",
    "RingPlacement",
    "BankPlan",
    "CouplerModelWarning",
    "minimum_pitch",
    "plan_bank",
]

_NM = 1e9  # metres -> nm (the layout grid)
_SAGITTA_NM = 0.25  # largest chord-to-arc deviation of a drawn circle


class CouplerModelWarning(UserWarning):
    """A ring's coupling is outside the fitted gap model; the default gap was drawn."""


class _Ring(Protocol):
    radius: float
    coupler_length: float
    r1: float
    r2: float


class _Bank(Protocol):
    rings: Sequence[_Ring]
    channel_wavelengths: Sequence[float]


@dataclass(frozen=True)
class LayoutRules:
    """Drawing rules in metres (converted to the 1 nm grid when drawn).

    Defaults suit a generic SOI process: 500 nm strip waveguides, 2 um TiN heater, 4 um
    vias and traces, 75 um pads on a 100 um probe pitch.
    """

    waveguide_width: float = 500e-9
    heater_width: float = 2e-6
    #: separation of the two heater ends where the arc is opened for its leads
    heater_opening: float = 3e-6
    #: HEATER-to-HEATER spacing between different nodes (via inside a ring to its arc)
    heater_spacing: float = 2e-6
    via_size: float = 4e-6
    metal_width: float = 4e-6
    metal_spacing: float = 4e-6
    #: clearance between a via column and the next ring's heater
    clearance: float = 3e-6
    bus_extension: float = 10e-6
    #: distance from the drop bus to the first fan-out trace level
    fanout_clearance: float = 15e-6
    pad_size: float = 75e-6
    pad_pitch: float = 100e-6
    pad_opening_inset: float = 3e-6
    label_size: float = 2e-6
    bank_spacing: float = 100e-6
    #: where the heater via stacks go: "outside" each ring (between rings), "inside" it
    #: (for tight pitches), or "auto" (outside when the pitch allows, else inside)
    contacts: str = "auto"

    def __post_init__(self) -> None:
        for name in _NUMERIC_RULES:
            check_scalar(name, getattr(self, name), 1e-9, 1e-2)
        if self.contacts not in ("auto", "outside", "inside"):
            raise ValueError(
                f"contacts must be 'auto', 'outside' or 'inside', got {self.contacts!r}"
            )
        if self.heater_opening < self.heater_spacing:
            raise ValueError(
                f"heater_opening={self.heater_opening!r} must be at least "
                f"heater_spacing={self.heater_spacing!r}"
            )
        if round(self.waveguide_width * _NM) % 2:
            raise ValueError(
                f"waveguide_width={self.waveguide_width!r} must be an even number of nm so the "
                "ring centreline lies on the 1 nm grid"
            )
        if self.pad_pitch <= self.pad_size:
            raise ValueError(
                f"pad_pitch={self.pad_pitch!r} must exceed pad_size={self.pad_size!r}"
            )
        if 2 * self.pad_opening_inset >= self.pad_size:
            raise ValueError(
                f"pad_opening_inset={self.pad_opening_inset!r} must be below half the "
                f"pad_size={self.pad_size!r}"
            )

    def nm(self) -> tuple[int, ...]:
        """The numeric rules on the 1 nm grid, in field order (hashable cell parameter)."""
        return tuple(round(getattr(self, name) * _NM) for name in _NUMERIC_RULES)


_RULE_FIELDS = tuple(f.name for f in fields(LayoutRules))
_NUMERIC_RULES = tuple(name for name in _RULE_FIELDS if name != "contacts")


@dataclass(frozen=True)
class RingPlacement:
    """Where ring ``index`` is drawn and with which gaps (metres, on the 1 nm grid)."""

    index: int
    wavelength: float
    radius: float
    coupler_length: float
    center: tuple[float, float]
    gap_through: float
    gap_drop: float
    #: False when the coupling was outside the gap model and ``DEFAULT_GAP`` was drawn
    gap_through_from_model: bool
    gap_drop_from_model: bool


@dataclass(frozen=True)
class BankPlan:
    """Grid-snapped placement of every ring of a bank; ``pitch_source`` is bank or layout."""

    rings: tuple[RingPlacement, ...]
    ring_pitch: float
    #: "ring_pitch" or "bus_length" (taken from the bank) or "layout" (chosen here)
    pitch_source: str
    #: "outside" or "inside": where the heater via stacks were put
    contacts: str
    rules: LayoutRules
    #: the pitch the bank asked for (None: it had none); below ``ring_pitch`` when widened
    requested_pitch: float | None = None
    #: the bank as drawn (a WeightBank: radii on the grid, drawn bus length), or None
    bank: Any = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary (SI units)."""
        return {
            "ring_pitch": self.ring_pitch,
            "pitch_source": self.pitch_source,
            "contacts": self.contacts,
            "requested_pitch": self.requested_pitch,
            "bus_length": None if self.bank is None else self.bank.bus_length,
            "rings": [
                {f.name: getattr(r, f.name) for f in fields(r)} for r in self.rings
            ],
            "rules": {f.name: getattr(self.rules, f.name) for f in fields(self.rules)},
        }


# --- planning (pure numbers, no gdsfactory) ---------------------------------------------
def _inside_via_offset(r: dict[str, int], radius: int) -> int | None:
    """x of the via column from the right arc centre when the vias sit inside the ring.

    The outer corner of each via (``h + via`` from the axis) keeps ``heater_spacing`` from
    the heater arc's inner edge; ``None`` when the via does not fit.
    """
    v, h = r["via_size"], r["heater_opening"] // 2
    free = radius - r["heater_width"] // 2 - r["heater_spacing"]
    if free <= h + v:
        return None
    x = int(math.floor(math.sqrt(free * free - (h + v) ** 2))) - (v - v // 2)
    return x if x - v // 2 >= -radius // 2 else None


def _contact_extent_nm(r: dict[str, int], radius: int, lc: int, mode: str
                       ) -> tuple[int, int]:
    """(left, right) extent from the ring centre of a ring, its heater and vias (nm)."""
    wh_out = r["heater_width"] - r["heater_width"] // 2
    left = lc // 2 + radius + wh_out
    right = (lc - lc // 2) + radius + wh_out
    if mode == "outside":
        right += r["via_size"] // 2 + max(r["via_size"], r["metal_width"]) // 2 + 1
    return left, right


def _rules_dict(rules_nm: tuple[int, ...]) -> dict[str, int]:
    return dict(zip(_NUMERIC_RULES, rules_nm, strict=True))


def _pitch_nm(r: dict[str, int], rings: Sequence[_Ring], mode: str) -> int:
    ext = [_contact_extent_nm(r, round(g.radius * _NM), round(g.coupler_length * _NM), mode)
           for g in rings]
    return max(
        (ext[k][1] + r["clearance"] + ext[k + 1][0] for k in range(len(ext) - 1)),
        default=ext[0][0] + ext[0][1] + r["clearance"],
    )


def minimum_pitch(bank: _Bank, rules: LayoutRules = LayoutRules()) -> float:
    """Smallest ring pitch (m) for the rings, heaters and contacts, with ``clearance``.

    With ``contacts="auto"`` the smaller of the outside and (where the vias fit) inside
    arrangements.
    """
    r = _rules_dict(rules.nm())
    return min(_pitch_nm(r, bank.rings, m) for m in _modes(r, bank.rings, rules)) / _NM


def _modes(r: dict[str, int], rings: Sequence[_Ring], rules: LayoutRules) -> list[str]:
    inside_ok = all(_inside_via_offset(r, round(g.radius * _NM)) is not None for g in rings)
    if rules.contacts == "inside" and not inside_ok:
        small = min(g.radius for g in rings)
        raise ValueError(
            f"contacts='inside' but the via stacks do not fit inside a ring of radius {small!r}"
        )
    if rules.contacts == "auto":
        return ["outside", "inside"] if inside_ok else ["outside"]
    return [rules.contacts]


def _bank_pitch(bank: _Bank) -> tuple[float | None, str]:
    """The pitch the simulation assumed, and where it came from."""
    pitch = getattr(bank, "ring_pitch", None)
    if pitch is not None:
        return check_scalar("ring_pitch", pitch, 0.0, 1e-2, low_inclusive=False), "ring_pitch"
    bus = getattr(bank, "bus_length", None)
    if bus:  # straight buses: the bus segment between two rings is the pitch
        return check_scalar("bus_length", bus, 0.0, 1e-2, low_inclusive=False), "bus_length"
    return None, "layout"


def plan_bank(bank: _Bank, rules: LayoutRules = LayoutRules()) -> BankPlan:
    """Place the bank's rings on the grid and choose each coupler gap from ``r1``/``r2``.

    Ring ``k`` sits at ``x = k * pitch``; its centre is ``w + gap_through + R`` above the
    through-bus centreline (edge-to-edge gap ``gap_through``). The pitch is the bank's
    ``ring_pitch`` if it has one, else its ``bus_length`` when positive (with straight
    buses the segment between two couplers is the pitch, as ``WeightBank.design`` sets
    it), when the rings, heaters and contacts fit in it; else (no pitch, or one too
    small) the smallest pitch the layout rules allow, rounded up to 1 um, and
    ``pitch_source`` is "layout". For a :class:`WeightBank` the radii are those of
    :func:`~photonic_dfa.circuits.layout_tuning.drawable_bank` and ``plan.bank`` is the bank
    as drawn (radii on the grid, drawn bus length), for re-simulation.
    """
    rings = tuple(bank.rings)
    wls = tuple(float(w) for w in bank.channel_wavelengths)
    check_int("number of rings", len(rings), 1, 4096)
    if len(wls) != len(rings):
        raise ValueError(
            f"bank has {len(rings)} rings but {len(wls)} channel wavelengths"
        )
    radius = np.array([ring.radius for ring in rings], dtype=float)
    lc = np.array([ring.coupler_length for ring in rings], dtype=float)
    r = _rules_dict(rules.nm())
    heater_reach = r["heater_opening"] // 2 + r["heater_width"]
    for k, rad in enumerate(radius):
        # An outside lead must overlap the heater arc across its full width at the opening.
        if 2 * rad * _NM * r["heater_width"] <= heater_reach**2:
            raise ValueError(
                f"ring {k} radius={rad!r} is too small for the heater contact (needs radius > "
                f"{heater_reach**2 / (2 * r['heater_width']) / _NM:.3g} m with these rules)"
            )
    modes = _modes(r, rings, rules)
    need = {m: _pitch_nm(r, rings, m) for m in modes}
    bank_pitch, source = _bank_pitch(bank)
    fits = [m for m in modes if bank_pitch is not None
            and (len(rings) == 1 or round(bank_pitch * _NM) >= need[m])]
    if fits:
        mode, pitch_nm = fits[0], round(bank_pitch * _NM)
    else:  # geometry forces a longer bus: take it (the plan's bank simulates it)
        mode = min(modes, key=lambda m: need[m])
        pitch_nm = math.ceil(need[mode] / 1000) * 1000
        source = "layout"
    drawn = _drawn_bank(bank, pitch_nm, rings)
    if drawn is not None:
        rings = drawn.rings
    # gaps for the drawn radii (the coupling model depends on the radius)
    radius_drawn = np.array([ring.radius for ring in rings], dtype=float)
    g1, ok1 = gap_for_coupling([ring.r1 for ring in rings], radius_drawn, lc)
    g2, ok2 = gap_for_coupling([ring.r2 for ring in rings], radius_drawn, lc)
    bad = sorted({int(i) for i in np.flatnonzero(~(ok1 & ok2))})
    if bad:
        warnings.warn(
            f"ring(s) {bad}: coupling outside the fitted gap model (gaps 50-200 nm, radii "
            f"3-18 um, point couplers); drew the default gap {DEFAULT_GAP * _NM:.0f} nm there",
            CouplerModelWarning,
            stacklevel=2,
        )
    w = r["waveguide_width"]
    placements = []
    for k, ring in enumerate(rings):
        rad_nm, lc_nm = round(ring.radius * _NM), round(ring.coupler_length * _NM)
        g1_nm, g2_nm = round(float(g1[k]) * _NM), round(float(g2[k]) * _NM)
        placements.append(
            RingPlacement(
                index=k,
                wavelength=wls[k],
                radius=rad_nm / _NM,
                coupler_length=lc_nm / _NM,
                center=(k * pitch_nm / _NM, (w + g1_nm + rad_nm) / _NM),
                gap_through=g1_nm / _NM,
                gap_drop=g2_nm / _NM,
                gap_through_from_model=bool(ok1[k]),
                gap_drop_from_model=bool(ok2[k]),
            )
        )
    return BankPlan(tuple(placements), pitch_nm / _NM, source, mode, rules, bank_pitch,
                    drawn)


def _drawn_bank(bank: Any, pitch_nm: int, rings: Sequence[_Ring]) -> Any:
    """The bank with its radii on the grid and the drawn bus length (WeightBank only)."""
    from .layout_tuning import drawable_bank
    from .weight_bank import WeightBank

    if not isinstance(bank, WeightBank):
        return None
    lc = round(rings[0].coupler_length * _NM)
    return drawable_bank(bank, bus_length=(pitch_nm - lc) / _NM if len(rings) > 1
                         else bank.bus_length)


def _spec(plan: BankPlan) -> tuple[Any, ...]:
    """Hashable, grid-exact description of a plan: the gdsfactory cell parameter."""
    rings = tuple(
        (
            round(p.radius * _NM),
            round(p.coupler_length * _NM),
            round(p.gap_through * _NM),
            round(p.gap_drop * _NM),
            round(p.wavelength * 1e12),  # pm, for labels
        )
        for p in plan.rings
    )
    return (plan.rules.nm(), round(plan.ring_pitch * _NM), plan.contacts, rings)

