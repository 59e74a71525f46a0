"""GDS layout of a WDM weight bank, drawn from the same :class:`WeightBank` the simulation uses.

The API takes SI units like the rest of the package; gdsfactory works in micrometres and
KLayout in database units of 1 nm, and the conversion happens here, once: every coordinate
is rounded to the 1 nm grid before it is drawn.

Geometry of one bank (ring ``k`` resonates at channel ``k``; light enters at ``in``)::

        heater0_1   heater1_1   ...              top pad row (MTOP + PADOPEN)
            |           |                        fan-out traces (MTOP)
    drop ==============================  add     drop bus, jogs between rings
          ( ring0 )#  ( ring1 )#                 ring k with its own radius; heater arc
      in ==============================  through through bus, straight
            ch0         ch1                      text labels (channel, wavelength nm)
            |           |
        heater0_2   heater1_2   ...              bottom pad row

- Rings are circles (racetracks when ``coupler_length > 0``) of the simulated centreline
  radius, not Euler bends, so the drawn round trip is ``2 pi R + 2 L_c`` as simulated.
- The through-bus gap comes from ``r1`` and the drop-bus gap from ``r2`` through the
  exponential coupler model :mod:`photonic_dfa.devices.coupler_gap` (fitted to SiEPIC
  half-ring FDTD data; gaps 50-200 nm, radii 3-18 um, point couplers). Outside that range the
  gap is the model's ``DEFAULT_GAP`` (200 nm) and a :class:`CouplerModelWarning` is issued.
  Because rings have different radii, the drop bus jogs (raised-cosine, tens of nm over
  tens of um) between rings so both gaps of every ring are exact.
- Heater ``k`` (``#`` above): a metal arc (HEATER layer) over ring ``k``, opened on the
  ring's right side; each end has a short lead to a HEATER-M2-MTOP via stack, one above
  the other, so the two vias share one column. ``contacts="outside"`` puts the column just
  right of the ring (between rings); ``"inside"`` puts it inside the ring for pitches too
  tight for that (the traces then cross the ring on top metal); ``"auto"`` picks outside
  when the pitch allows. The upper via is routed up to the top pad row, the lower one down
  to the bottom row: two pads per heater, independent drive, and no trace crossing.
- Ports survive GDS as text labels at port centres: optical ports ``in``, ``through``,
  ``add``, ``drop`` on layer PORT (1/10), pads ``heater{k}_1`` (top) / ``heater{k}_2``
  (bottom) on PORTE (1/11). Channel labels (``ch{k}`` and wavelength) are TEXT (66/0)
  polygons plus a GDS text ``ch{k} {wavelength nm}`` at each ring centre.

The ring pitch is the one the simulation assumed: the bank's ``ring_pitch`` if it has
one, else its ``bus_length`` (``WeightBank.design`` sets the bus segment between rings to
the pitch: straight buses), and a pitch too small for the contacts is an error, not
silently widened (the thermal crosstalk was simulated at it). A bank with neither gets
:func:`minimum_pitch` rounded up to 1 um. :func:`plan_bank` reports the choice.

Out of scope: the broadcast splitter tree feeding several banks, grating/edge couplers,
and DRC beyond the spacing rules of :class:`LayoutRules`.
"""

from __future__ import annotations

import io
import math
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Protocol

import gdsfactory as gf
import klayout.db as kdb
import numpy as np

from photonic_dfa.base.atomic import atomic_write
from photonic_dfa.base.validation import check_int, check_scalar
from photonic_dfa.devices.coupler_gap import DEFAULT_GAP, gap_for_coupling

__all__ = [
    "LAYERS",
    "LayoutRules",
    "RingPlacement",
    "BankPlan",
    "CouplerModelWarning",
    "minimum_pitch",
    "plan_bank",
    "bank_component",
    "core_component",
    "write_gds",
    "preview_png",
]

#: GDS (layer, datatype) of every drawn layer (gdsfactory generic PDK numbering).
LAYERS: dict[str, tuple[int, int]] = {
    "WG": (1, 0),
    "HEATER": (47, 0),
    "M2": (45, 0),
    "VIA1": (44, 0),
    "VIA2": (43, 0),
    "MTOP": (49, 0),
    "PADOPEN": (46, 0),
    "TEXT": (66, 0),
    "PORT": (1, 10),
    "PORTE": (1, 11),
}

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

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary (SI units)."""
        return {
            "ring_pitch": self.ring_pitch,
            "pitch_source": self.pitch_source,
            "contacts": self.contacts,
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
    it), else the smallest pitch the layout rules allow, rounded up to 1 um.
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
    g1, ok1 = gap_for_coupling([ring.r1 for ring in rings], radius, lc)
    g2, ok2 = gap_for_coupling([ring.r2 for ring in rings], radius, lc)
    bad = sorted({int(i) for i in np.flatnonzero(~(ok1 & ok2))})
    if bad:
        warnings.warn(
            f"ring(s) {bad}: coupling outside the fitted gap model (gaps 50-200 nm, radii "
            f"3-18 um, point couplers); drew the default gap {DEFAULT_GAP * _NM:.0f} nm there",
            CouplerModelWarning,
            stacklevel=2,
        )
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
    if bank_pitch is not None:
        pitch_nm = round(bank_pitch * _NM)
        fits = [m for m in modes if len(rings) == 1 or pitch_nm >= need[m]]
        if not fits:
            raise ValueError(
                f"the bank's {source}={bank_pitch!r} m is below the "
                f"{min(need.values()) / _NM!r} m its rings, heaters and contacts need with "
                "these layout rules; widen the bank's pitch (it also sets the simulated "
                "thermal crosstalk) or shrink the rules"
            )
        mode = fits[0]
    else:
        mode = modes[0]
        pitch_nm = math.ceil(need[mode] / 1000) * 1000
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
    return BankPlan(tuple(placements), pitch_nm / _NM, source, mode, rules)


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


# --- geometry helpers (integer nm) ------------------------------------------------------
def _racetrack(xl: int, xr: int, yc: int, rho: int) -> kdb.Polygon:
    """Closed racetrack of radius ``rho`` around arc centres (xl, yc), (xr, yc).

    Vertices fall exactly at 0, 90, 180 and 270 degrees so the bounding box is exact; the
    angular step keeps every chord within ``_SAGITTA_NM`` of the true arc.
    """
    step = 2.0 * math.sqrt(2.0 * _SAGITTA_NM / max(rho, 1))
    nq = max(8, math.ceil((math.pi / 2) / step))
    right = np.linspace(-math.pi / 2, math.pi / 2, 2 * nq + 1)
    left = right + math.pi
    x = np.concatenate([xr + rho * np.cos(right), xl + rho * np.cos(left)])
    y = np.concatenate([yc + rho * np.sin(right), yc + rho * np.sin(left)])
    pts = [kdb.Point(int(round(a)), int(round(b))) for a, b in zip(x, y)]
    return kdb.Polygon(pts)


def _annulus(xl: int, xr: int, yc: int, radius: int, width: int) -> kdb.Region:
    outer = kdb.Region(_racetrack(xl, xr, yc, radius + width - width // 2))
    inner = kdb.Region(_racetrack(xl, xr, yc, radius - width // 2))
    return outer - inner


def _box(x0: int, y0: int, x1: int, y1: int) -> kdb.Box:
    return kdb.Box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def _um(v: int) -> float:
    return v / 1000.0


def _insert(c: gf.Component, layer: str, shapes: kdb.Region | kdb.Box) -> None:
    c.kdb_cell.shapes(gf.get_layer(LAYERS[layer])).insert(shapes)


def _activate_pdk() -> None:
    try:
        gf.get_active_pdk()
    except ValueError:
        gf.gpdk.PDK.activate()
    # Via stacks and pads below are the generic PDK's; activate it if another is active
    # without them.
    if "via_stack_heater_mtop" not in gf.get_active_pdk().cells:
        gf.gpdk.PDK.activate()


# --- cells ------------------------------------------------------------------------------
@gf.cell(basename="weight_bank_body")
def _bank_body(spec: tuple[Any, ...], heater: bool, pads: bool, labels: bool) -> gf.Component:
    """Drawn bank for a :func:`_spec`: waveguides, heaters, vias, traces, pads, text."""
    rules_nm, pitch, contacts, rings = spec
    r = _rules_dict(rules_nm)
    w = r["waveguide_width"]
    c = gf.Component()
    n = len(rings)
    xc = [k * pitch for k in range(n)]
    yc = [w + g1 + rad for rad, _, g1, _, _ in rings]
    yd = [yc[k] + rings[k][0] + w + rings[k][3] for k in range(n)]
    ext = [_contact_extent_nm(r, rad, lc, contacts) for rad, lc, *_ in rings]
    x_left = xc[0] - ext[0][0] - r["bus_extension"]
    x_right = xc[-1] + (ext[-1][1] if heater else ext[-1][0]) + r["bus_extension"]

    # Waveguides: rings, straight through bus, drop bus with a jog between rings.
    wg = kdb.Region()
    for k, (rad, lc, *_rest) in enumerate(rings):
        wg.insert(_annulus(xc[k] - lc // 2, xc[k] + lc - lc // 2, yc[k], rad, w))
    wg.insert(_box(x_left, -(w // 2), x_right, w - w // 2))
    pts = [kdb.Point(x_left, yd[0])]
    for k in range(n):
        flat = rings[k][1] // 2 + rings[k][0]
        pts += [kdb.Point(xc[k] - flat, yd[k]), kdb.Point(xc[k] + flat, yd[k])]
        if k + 1 < n and yd[k + 1] != yd[k]:
            x0, x1 = xc[k] + flat, xc[k + 1] - (rings[k + 1][1] // 2 + rings[k + 1][0])
            t = np.linspace(0.0, 1.0, 17)[1:-1]
            ys = yd[k] + (yd[k + 1] - yd[k]) * (1.0 - np.cos(math.pi * t)) / 2.0
            xs = x0 + (x1 - x0) * t
            pts += [kdb.Point(int(round(a)), int(round(b))) for a, b in zip(xs, ys)]
    pts.append(kdb.Point(x_right, yd[-1]))
    wg.insert(kdb.Path(pts, w).polygon())
    _insert(c, "WG", wg)
    c.info["n_rings"] = n
    c.info["ring_pitch_um"] = _um(pitch)
    c.info["contacts"] = contacts
    c.info["ring_radius_um"] = [_um(rad) for rad, *_ in rings]
    c.info["ring_center_um"] = [[_um(x), _um(y)] for x, y in zip(xc, yc)]
    c.info["gap_through_nm"] = [g1 for _, _, g1, _, _ in rings]
    c.info["gap_drop_nm"] = [g2 for *_, g2, _ in rings]
    c.add_port("in", center=(_um(x_left), 0.0), width=_um(w), orientation=180, layer="WG")
    c.add_port("through", center=(_um(x_right), 0.0), width=_um(w), orientation=0,
               layer="WG")
    c.add_port("drop", center=(_um(x_left), _um(yd[0])), width=_um(w), orientation=180,
               layer="WG")
    c.add_port("add", center=(_um(x_right), _um(yd[-1])), width=_um(w), orientation=0,
               layer="WG")

    # Text labels under the through bus, between the via columns.
    y_bottom = -(w // 2)
    if labels:
        size = _um(r["label_size"])
        for k, (rad, lc, *_, wl_pm) in enumerate(rings):
            # Inside contacts run a trace down near the ring centre: label left of it.
            x_label = xc[k] if contacts == "outside" else (
                xc[k] + lc - lc // 2 + int(_inside_via_offset(r, rad)) - pitch // 2)
            ref = c << gf.components.text(text=f"ch{k}\n{wl_pm / 1000:.2f}", size=size,
                                          justify="center", layer=LAYERS["TEXT"])
            ref.move((_um(x_label) - ref.dbbox().center().x, _um(-w) - size - ref.dbbox().top))
            y_bottom = min(y_bottom, round(ref.dbbox().bottom * 1000))
            c.add_label(f"ch{k} {wl_pm / 1000:.3f} nm", position=(_um(xc[k]), _um(yc[k])),
                        layer=LAYERS["TEXT"])

    # Heater arcs opened on the right, leads to a via column; (x, y) of the upper and
    # lower via of every heater.
    if heater:
        wh, h, v = r["heater_width"], r["heater_opening"] // 2, r["via_size"]
        via = gf.components.via_stack_heater_mtop(size=(_um(v),) * 2)
        upper, lower = [], []
        for k, (rad, lc, *_rest) in enumerate(rings):
            xl, xr = xc[k] - lc // 2, xc[k] + lc - lc // 2
            arc = _annulus(xl, xr, yc[k], rad, wh)
            arc -= kdb.Region(_box(xr, yc[k] - h, xr + rad + 2 * wh, yc[k] + h))
            if contacts == "outside":
                x_via = xr + rad + wh - wh // 2 + v // 2
                lead = (xr + rad - wh // 2, x_via)
            else:
                x_via = xr + int(_inside_via_offset(r, rad))
                lead = (x_via, xr + rad)
            arc.insert(_box(lead[0], yc[k] + h, lead[1], yc[k] + h + wh))
            arc.insert(_box(lead[0], yc[k] - h - wh, lead[1], yc[k] - h))
            _insert(c, "HEATER", arc.merged())
            upper.append((x_via, yc[k] + h + v // 2))
            lower.append((x_via, yc[k] - h - (v - v // 2)))
            for x, y in (upper[-1], lower[-1]):
                (c << via).move((_um(x), _um(y)))
        if pads:
            metal = _fanout(c, r, upper, max(yd) + w // 2 + r["fanout_clearance"], +1, 1)
            metal += _fanout(c, r, lower, y_bottom - r["fanout_clearance"], -1, 2)
            _insert(c, "MTOP", metal.merged())
        else:
            for j, leads in ((1, upper), (2, lower)):
                for k, (x, y) in enumerate(leads):
                    c.add_port(f"heater{k}_{j}", center=(_um(x), _um(y)), width=_um(v),
                               orientation=90 if j == 1 else 270, layer="MTOP",
                               port_type="electrical")
    return c


def _fanout(c: gf.Component, r: dict[str, int], leads: list[tuple[int, int]], y0: int,
            sign: int, terminal: int) -> kdb.Region:
    """Manhattan MTOP traces from the vias to one pad row, without crossings; adds the pads.

    The row (above the bank for ``sign = +1``, below for ``-1``) is centred on the leads,
    in lead order. A lead whose pad lies to its left turns at a level that moves away from
    the bank with its index, one whose pad lies to its right at a level that moves back:
    then no trace crosses another. Pad ``k`` is port ``heater{k}_{terminal}``.
    """
    mw, pitch, half = r["metal_width"], r["pad_pitch"], r["metal_width"] // 2
    n = len(leads)
    mid = (leads[0][0] + leads[-1][0]) / 2.0
    pad_x = [int(round(mid + (j - (n - 1) / 2.0) * pitch)) for j in range(n)]
    left = [j for j in range(n) if pad_x[j] < leads[j][0]]
    right = [j for j in range(n) if pad_x[j] >= leads[j][0]]
    level = {j: i for i, j in enumerate(left)}
    level.update({j: i for i, j in enumerate(reversed(right))})
    step = mw + r["metal_spacing"]
    y_pad = y0 + sign * (max(len(left), len(right)) * step + r["fanout_clearance"]
                         + r["pad_size"] // 2)
    pad = gf.components.pad(
        size=(_um(r["pad_size"]),) * 2, layer=LAYERS["MTOP"], bbox_layers=(LAYERS["PADOPEN"],),
        bbox_offsets=(-_um(r["pad_opening_inset"]),),
    )
    metal = kdb.Region()
    for j, (x, y) in enumerate(leads):
        yl = y0 + sign * level[j] * step
        far = yl + (mw - half if sign > 0 else -half)  # outer edge of the horizontal run
        near = yl - (half if sign > 0 else half - mw)
        metal.insert(_box(x - half, y, x + mw - half, far))
        metal.insert(_box(min(x, pad_x[j]) - half, yl - half, max(x, pad_x[j]) + mw - half,
                          yl + mw - half))
        metal.insert(_box(pad_x[j] - half, near, pad_x[j] + mw - half, y_pad))
        (c << pad).move((_um(pad_x[j]), _um(y_pad)))
        c.add_port(f"heater{j}_{terminal}", center=(_um(pad_x[j]), _um(y_pad)),
                   width=_um(r["pad_size"]), orientation=90 if sign > 0 else 270,
                   layer="MTOP", port_type="electrical")
    return metal


def _label_ports(c: gf.Component, ports: Any, prefix: str = "") -> None:
    for p in ports:
        name = f"{prefix}{p.name}"
        c.add_port(name, port=p)
        layer = LAYERS["PORTE"] if p.port_type == "electrical" else LAYERS["PORT"]
        c.add_label(name, position=tuple(p.center), layer=layer)


@gf.cell(basename="weight_bank")
def _bank_top(spec: tuple[Any, ...], heater: bool, pads: bool, labels: bool) -> gf.Component:
    c = gf.Component()
    body = _bank_body(spec, heater, pads, labels)
    ref = c << body
    _label_ports(c, ref.ports)
    c.info.update(dict(body.info))
    return c


@gf.cell(basename="weight_bank_core")
def _core_top(specs: tuple[tuple[Any, ...], ...], heater: bool, pads: bool, labels: bool,
              spacing_nm: int) -> gf.Component:
    c = gf.Component()
    x = 0.0
    for m, spec in enumerate(specs):
        ref = c << _bank_body(spec, heater, pads, labels)
        ref.move((x - ref.dbbox().left, 0.0))
        x = ref.dbbox().right + _um(spacing_nm)
        _label_ports(c, ref.ports, prefix=f"b{m}_")
        if m == 0:  # the preview annotates the first bank's rings
            info = dict(ref.cell.info)
            dx = ref.dbbox().left - ref.cell.dbbox().left
            info["ring_center_um"] = [[x + dx, y] for x, y in info["ring_center_um"]]
            c.info.update(info)
        c.info["n_banks"] = len(specs)
        if labels:
            size = 4 * _um(_rules_dict(spec[0])["label_size"])
            t = c << gf.components.text(text=f"bank {m}", size=size, layer=LAYERS["TEXT"])
            t.move((ref.dbbox().left - t.dbbox().left,
                    ref.dbbox().bottom - size - t.dbbox().top))
    return c


# --- public API -------------------------------------------------------------------------
def bank_component(
    bank: _Bank,
    heater: bool = True,
    pads: bool = True,
    labels: bool = True,
    rules: LayoutRules = LayoutRules(),
) -> gf.Component:
    """gdsfactory component of ``bank``: rings, buses, heaters, pads, labels and ports.

    Optical ports ``in``, ``through``, ``add``, ``drop``; electrical ``heater{k}_{1,2}``
    (at the pads, or at the via stacks when ``pads=False``). Components are cached by
    their grid-exact parameters, so the same design returns the same cell.
    """
    _activate_pdk()
    plan = plan_bank(bank, rules)
    return _bank_top(_spec(plan), bool(heater), bool(pads) and bool(heater), bool(labels))


def core_component(
    banks: Sequence[_Bank],
    heater: bool = True,
    pads: bool = True,
    labels: bool = True,
    rules: LayoutRules = LayoutRules(),
) -> gf.Component:
    """M banks side by side (left to right), ports prefixed ``b{m}_`` (``b0_in``, ...).

    The broadcast splitter tree feeding the banks is not drawn.
    """
    banks = tuple(banks)
    check_int("number of banks", len(banks), 1, 1024)
    _activate_pdk()
    specs = tuple(_spec(plan_bank(b, rules)) for b in banks)
    return _core_top(specs, bool(heater), bool(pads) and bool(heater), bool(labels),
                     round(rules.bank_spacing * _NM))


def _as_component(design: Any) -> gf.Component:
    if isinstance(design, gf.Component):
        return design
    if hasattr(design, "rings"):
        return bank_component(design)
    if isinstance(design, Sequence) and design and all(hasattr(b, "rings") for b in design):
        return core_component(design)
    raise ValueError(
        f"expected a gdsfactory Component, a weight bank or a sequence of banks, got "
        f"{type(design).__name__}"
    )


def write_gds(design: Any, path: str | Path) -> Path:
    """Write the GDS of a bank (or banks, or a component) to ``path`` atomically."""
    component = _as_component(design)
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix=".gds-", dir=path.parent if path.parent.exists()
                                     else None) as tmp:
        scratch = component.write_gds(Path(tmp) / "layout.gds")
        data = Path(scratch).read_bytes()
    return atomic_write(path, lambda fh: fh.write(data))


_STYLE: tuple[tuple[str, str, float], ...] = (
    # layer, colour, alpha; drawn in this order
    ("PADOPEN", "#bbbbbb", 0.6),
    ("MTOP", "#e6a700", 0.55),
    ("M2", "#9467bd", 0.35),
    ("VIA1", "#444444", 0.8),
    ("VIA2", "#444444", 0.8),
    ("HEATER", "#d62728", 0.6),
    ("WG", "#1f4eb4", 1.0),
    ("TEXT", "#111111", 1.0),
)


def _layer_paths(component: gf.Component) -> dict[str, list[Any]]:
    from matplotlib.path import Path as MplPath

    layout, cell = component.kcl.layout, component.kdb_cell
    dbu = layout.dbu
    out: dict[str, list[Any]] = {}
    for name, *_ in _STYLE:
        idx = layout.find_layer(kdb.LayerInfo(*LAYERS[name]))
        if idx is None:
            continue
        region = kdb.Region(cell.begin_shapes_rec(idx)).merged()
        paths = []
        for poly in region.each():
            rings = [[(p.x * dbu, p.y * dbu) for p in poly.each_point_hull()]]
            rings += [[(p.x * dbu, p.y * dbu) for p in poly.each_point_hole(i)]
                      for i in range(poly.holes())]
            verts, codes = [], []
            for ring in rings:
                verts += ring + [ring[0]]
                codes += [MplPath.MOVETO] + [MplPath.LINETO] * (len(ring) - 1)
                codes += [MplPath.CLOSEPOLY]
            paths.append(MplPath(verts, codes))
        out[name] = paths
    return out


def _fontsize(ax: Any, width_um: float, chars: int, dpi: float, cap: float) -> float:
    """Font size (pt) at which ``chars`` characters span about ``width_um`` on ``ax``."""
    x0, x1 = ax.get_xlim()
    px_per_um = ax.get_window_extent().width / max(x1 - x0, 1e-12)
    return float(min(cap, width_um * px_per_um / (0.62 * max(chars, 1)) * 72.0 / dpi))


def preview_png(design: Any, path: str | Path, dpi: int = 160, zoom_rings: int = 6) -> Path:
    """Render the layout's polygons with matplotlib (headless Agg) to a PNG, atomically.

    Two panels: the whole component with its port names, and a zoom on the first
    ``zoom_rings`` rings with their drawn radius and through/drop gaps.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import PathPatch

    component = _as_component(design)
    info = dict(component.info)
    paths = _layer_paths(component)
    bbox = component.dbbox()
    wg = [p.vertices for p in paths.get("WG", [])]
    ext = np.concatenate(wg) if wg else np.array([[bbox.left, bbox.bottom],
                                                   [bbox.right, bbox.top]])
    zy0, zy1 = ext[:, 1].min(), ext[:, 1].max()
    zh = zy1 - zy0
    zy0 -= 0.55 * zh + 2.0  # room for the channel labels under the through bus
    zy1 += 0.1 * zh + 2.0
    zx0 = ext[:, 0].min() - 0.12 * zh - 8.0
    zx1 = ext[:, 0].max() + 0.12 * zh + 8.0
    centres = info.get("ring_center_um", [])
    if len(centres) > zoom_rings:
        zx1 = centres[zoom_rings - 1][0] + 0.6 * info["ring_pitch_um"]
    zx1 = min(zx1, zx0 + 10.0 * (zy1 - zy0))
    zx0 -= 0.07 * (zx1 - zx0)  # room for the port names
    aspect_full = bbox.height() / max(bbox.width(), 1e-9)
    aspect_zoom = (zy1 - zy0) / max(zx1 - zx0, 1e-9)
    if aspect_full <= 1.0:  # wide layout: full view above the zoom, 13 in wide
        width_in = max(6.0, min(13.0, 13.4 / ((aspect_full + aspect_zoom) * 0.92)))
        size = (width_in, width_in * (aspect_full + aspect_zoom) * 0.92 + 2.0)
        grid: dict[str, Any] = {"nrows": 2, "ncols": 1,
                                "height_ratios": [aspect_full, aspect_zoom]}
    else:  # tall layout (few rings): side by side, 9 in high
        size = (min(16.0, 8.0 * (1.0 / aspect_full + 1.0 / aspect_zoom) * 0.6 + 1.5), 9.0)
        grid = {"nrows": 1, "ncols": 2, "width_ratios": [1.0 / aspect_full, 1.0 / aspect_zoom]}
    fig = Figure(figsize=size, dpi=dpi)
    FigureCanvasAgg(fig)
    axes = fig.subplots(**grid)
    for ax in axes:
        for name, colour, alpha in _STYLE:
            for p in paths.get(name, []):
                ax.add_patch(PathPatch(p, facecolor=colour, edgecolor="none", alpha=alpha,
                                       linewidth=0))
        ax.set_aspect("equal")
        ax.set_xlabel("x (um)")
        ax.set_ylabel("y (um)")
    m = 0.03 * max(bbox.width(), bbox.height())
    axes[0].set_xlim(bbox.left - m, bbox.right + m)
    axes[0].set_ylim(bbox.bottom - m, bbox.top + m)
    axes[1].set_xlim(zx0, zx1)
    axes[1].set_ylim(zy0, zy1)
    if "n_banks" in info:
        what = f"{info['n_banks']} weight banks side by side"
    elif "n_rings" in info:
        what = (f"{info['n_rings']}-ring weight bank, pitch {info['ring_pitch_um']:g} um, "
                f"heater contacts {info['contacts']}")
    else:
        what = component.name
    fig.suptitle(f"{what}\nblue waveguide, red heater, gold top metal, grey pad opening; "
                 "channel labels: index, wavelength (nm)", fontsize=10)
    shown = min(len(centres), zoom_rings)
    axes[0].set_title("full layout", fontsize=9)
    axes[1].set_title(
        ("zoom" + (f" on rings 0-{shown - 1}" if shown > 1 else "")
         + ": drawn radius R, through/drop gap"), fontsize=9)
    fig.tight_layout()
    for k, (x, y) in enumerate(centres[:zoom_rings]):
        rad = info["ring_radius_um"][k]
        text = (f"R {rad:.3f} um\n"
                f"gap {info['gap_through_nm'][k]}/{info['gap_drop_nm'][k]} nm")
        fs = _fontsize(axes[1], 1.5 * rad, 15, dpi, 8.0)
        axes[1].text(x - 0.1 * rad, y, text, fontsize=fs, ha="center", va="center",
                     color="#1f4eb4")
    for port in component.ports:
        x, y = port.center
        if port.port_type == "electrical":
            fs = _fontsize(axes[0], 0.85 * port.width, len(port.name), dpi, 8.0)
            axes[0].text(x, y, port.name, fontsize=fs, ha="center", va="center")
            continue
        ha = "right" if port.orientation == 180 else "left"
        for ax in axes:
            x0, x1 = ax.get_xlim()
            if not x0 <= x <= x1:
                continue
            dx = 0.01 * (x1 - x0) * (-1 if ha == "right" else 1)
            ax.plot([x], [y], marker="o", color="#2ca02c", markersize=3)
            ax.text(x + dx, y, port.name, fontsize=8, ha=ha, va="center", color="#2ca02c")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    data = buf.getvalue()
    return atomic_write(path, lambda fh: fh.write(data))
