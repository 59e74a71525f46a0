"""Device-parameter sweeps: a grid of weight-bank designs, every figure a device engineer needs.

Grid. Axes over named device parameters (:data:`PARAMETERS`: ring ``radius``; coupling as
the field self-coupling ``r``, the coupler ``gap`` or the loaded ``q_loaded``; waveguide
``loss_db_per_cm``; ``channel_spacing``; ``n_channels``; heater ``thermal_resistance`` or
``tuning_efficiency``, ``heater_resistance``, ``heater_max_power``) or any dotted
:class:`~photonic_dfa.architecture.config.ChipConfig` key (``"core.n_outputs"``); the grid is
their Cartesian product on top of a base chip. It comes from a TOML file
(:func:`load_grid`) or command-line ranges (:func:`parse_axis`: ``start:stop:num[:log]`` or
``v1,v2,...``). The whole grid is checked before any work starts: empty or malformed axes,
unknown or conflicting parameters and non-physical values raise a ``ValueError`` naming the
parameter (and the point); then :meth:`SweepGrid.validate` builds every point's ChipConfig
and design WeightBank. A bank the models cannot design (heaters too weak for the weight
branch, no feasible bias) is a result, not a grid error: that point keeps its ring figures,
the bank figures are left empty and the ``notes`` column says why.

Per point (:func:`evaluate_point`; definitions also in :data:`FIGURES`):

- ring template at the grid centre wavelength (symmetric add-drop, ``r1 = r2 = r``):
  loaded and intrinsic Q, FWHM, FSR, finesse, through-port extinction ratio, drop loss on
  resonance, the coupling ``r`` and the gap that gives it (coupler model, where fitted);
- ``channels_per_fsr = floor(FSR / d_lambda)``, ``d_lambda = lambda^2 d_f / c``;
- ``crosstalk_db``: the design bank with every ring on its channel (branch start);
  the largest power a ring drops from another channel relative to what it drops from its
  own, ``max_{k != j} 10 log10(D_k(lambda_j) / D_k(lambda_k))``, ``D_k`` ring k's isolated
  drop response (Lorentzian tail; an FSR alias of another channel shows as ~0 dB);
- ``solver_weight_error``: rms difference between the coherent (``exact``) and
  single-pass incoherent (``fast``) bank weights at the same heater powers, for random
  weights over the programmable range: the inter-ring (coherent) crosstalk the fast model
  leaves out;
- ``weight_range``: symmetric programmable weight range of the design bank;
- ``weight_bits``: calibrated weight effective bits ``log2(2 w_lim / (e_rms sqrt 12))``:
  a seeded fabricated chip of that design (``cal_banks`` banks) is calibrated through its
  measurements only (:func:`photonic_dfa.calibration.pipeline.calibrate`), random weights
  over its measured symmetric range (``w_lim``) are programmed with the calibration's lookup
  (open loop), and the chip's true weights are scored against them over the working rings.
  Where calibration is skipped or impossible, ``weight_bits_design``: the design chip
  programmed by its own inverse (config solver) with heater-DAC rounding, over the design
  range. ``weight_bits_source`` says which; negative bits mean an error above the range;
- heater: ``heater_power_fsr``, the power that tunes a ring by one FSR
  (``FSR / (R_th lambda dn/dT / n_g)``; full-range tuning: any fabricated offset can be
  brought onto any channel within one FSR), its drive voltage ``sqrt(P R)``, the power for
  one channel spacing, and the mean hold power of the performance model;
- throughput ``mac_per_s`` and ``energy_per_mac`` (:mod:`~photonic_dfa.architecture.performance`,
  ``core.n_outputs`` banks), the detector-limited ``analog_bits``;
- optionally (``mnist_epochs > 0``) the MNIST test accuracy after a short photonic-DFA
  training (784-h-h-10 on ``mnist_subset`` images) with the feedback computed by that
  calibrated fabricated chip (the design chip when calibration is skipped).

Every task's cache key holds the point, the base chip, the options and
:data:`FIGURES_VERSION`.

Runs through :func:`photonic_dfa.tasks.run_tasks` (local pool or Dask, per-point cache,
resumable); :func:`run_sweep` writes ``sweep.csv`` and ``sweep.json`` atomically.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import os
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from photonic_dfa.tomlfile import read_toml
from photonic_dfa.validation import check_int, check_scalar

__all__ = [
    "Parameter", "PARAMETERS", "FIGURES", "FIGURES_VERSION", "OPTIONS", "SweepGrid", "SweepResult",
    "parse_axis", "load_grid", "point_config", "evaluate_point", "run_sweep", "write_csv",
    "read_csv",
]

_C = 299_792_458.0
#: Part of every task's cache key: bump it when a figure's definition or model changes, so a
#: cached sweep is recomputed rather than mixed with the new definitions.
FIGURES_VERSION = 1


@dataclass(frozen=True)
class Parameter:
    """A sweepable device parameter: its config key (or derivation), unit and physical range."""

    name: str
    doc: str
    unit: str
    low: float
    high: float
    low_inclusive: bool = True
    high_inclusive: bool = True
    integer: bool = False
    #: plot axis: label unit and scale from SI
    display_unit: str = ""
    display_scale: float = 1.0
    log: bool = False
    #: dotted ChipConfig key set directly, or "" for a derived one
    key: str = ""

    def check(self, value: Any) -> float | int:
        if self.integer:
            return check_int(self.name, value, int(self.low), int(self.high))
        return check_scalar(self.name, value, self.low, self.high,
                            low_inclusive=self.low_inclusive, high_inclusive=self.high_inclusive)


PARAMETERS: dict[str, Parameter] = {p.name: p for p in (
    Parameter("radius", "ring radius (template, before per-channel tuning)", "m", 1e-6, 1e-3,
              display_unit="um", display_scale=1e6, key="ring.radius"),
    Parameter("r", "field self-coupling r1 = r2 of each bus coupler", "", 0.0, 1.0,
              low_inclusive=False, high_inclusive=False),
    Parameter("gap", "ring-bus gap (exponential coupler model, fitted 50-200 nm, radius "
              "3-18 um)", "m", 50e-9, 200e-9, display_unit="nm", display_scale=1e9),
    Parameter("q_loaded", "loaded Q of each ring", "", 10.0, 1e7, log=True,
              key="ring.q_loaded"),
    Parameter("loss_db_per_cm", "waveguide propagation loss", "dB/cm", 0.0, 1000.0,
              display_unit="dB/cm", key="ring.loss_db_per_cm"),
    Parameter("channel_spacing", "WDM channel spacing (frequency)", "Hz", 1e6, 10e12,
              display_unit="GHz", display_scale=1e-9, key="laser.channel_spacing"),
    Parameter("n_channels", "WDM channels = rings per bank", "", 1, 256, integer=True,
              key="core.n_inputs"),
    Parameter("thermal_resistance", "heater-to-waveguide thermal resistance R_th", "K/W",
              1.0, 1e7, display_unit="K/mW", display_scale=1e-3, log=True,
              key="heater.thermal_resistance"),
    Parameter("tuning_efficiency", "heater tuning efficiency: resonance shift per heater "
              "power (sets R_th = eff n_g / (lambda dn/dT))", "m/W", 1e-9, 1e-3,
              display_unit="nm/mW", display_scale=1e6, log=True),
    Parameter("heater_resistance", "heater electrical resistance", "ohm", 1e-3, 1e9,
              display_unit="ohm", log=True, key="heater.resistance"),
    Parameter("heater_max_power", "largest heater power (driver limit)", "W", 1e-6, 10.0,
              display_unit="mW", display_scale=1e3, key="heater.max_power"),
)}

_EXCLUSIVE = (("r", "gap", "q_loaded"), ("thermal_resistance", "tuning_efficiency"))

#: Evaluation options (not swept): name -> (default, doc). Part of every task's cache key.
OPTIONS: dict[str, tuple[Any, str]] = {
    "seed": (0, "seed of the fabricated chip, the random weights and the MNIST run"),
    "calibrate": (True, "calibrate a fabricated chip for weight_bits (false: design-chip "
                  "estimate, much faster)"),
    "performance": (True, "run the performance model (MAC/s, pJ/MAC, hold power)"),
    "cal_banks": (2, "weight banks of the fabricated chip that is calibrated"),
    "weight_samples": (32, "random weight vectors for the design-chip weight error"),
    "mnist_epochs": (0, "epochs of photonic-DFA MNIST training per point (0: none)"),
    "mnist_subset": (5000, "training images of the MNIST run"),
    "mnist_hidden": (256, "width of each of the two hidden layers of the MNIST run"),
    "mnist_data": ("mnist", "'mnist' or 'synthetic' (a small stand-in, for tests)"),
}

#: Output figures: name -> (unit, definition, display unit, display scale, log axis).
FIGURES: dict[str, tuple[str, str, str, float, bool]] = {
    "q_loaded": ("", "loaded Q lambda / FWHM", "", 1.0, True),
    "q_intrinsic": ("", "intrinsic Q pi n_g L sqrt(a) / (lambda (1 - a))", "", 1.0, True),
    "fwhm": ("m", "loaded linewidth", "pm", 1e12, True),
    "fsr": ("m", "free spectral range lambda^2 / (n_g L)", "nm", 1e9, False),
    "finesse": ("", "FSR / FWHM", "", 1.0, True),
    "extinction_ratio_db": ("dB", "through-port max/min (symmetric add-drop ring)", "dB",
                            1.0, False),
    "drop_loss_db": ("dB", "-10 log10 of the drop transmission on resonance", "dB", 1.0,
                     False),
    "coupling_r": ("", "field self-coupling r1 = r2", "", 1.0, False),
    "coupling_gap": ("m", "ring-bus gap for r (coupler model; empty outside its fit)", "nm",
                     1e9, False),
    "channel_spacing_wavelength": ("m", "channel spacing lambda^2 d_f / c", "nm", 1e9, False),
    "channels_per_fsr": ("", "floor(FSR / channel spacing)", "", 1.0, False),
    "fits_fsr": ("", "1 if n_channels <= channels_per_fsr", "", 1.0, False),
    "crosstalk_db": ("dB", "worst drop of another channel relative to the ring's own "
                     "(module docstring)", "dB", 1.0, False),
    "solver_weight_error": ("", "rms exact - fast bank weight (coherent crosstalk)", "",
                            1.0, True),
    "weight_range": ("", "symmetric programmable weight range of the design bank", "", 1.0,
                     False),
    "weight_bits_design": ("bits", "design chip, own inverse, heater-DAC rounding", "bits",
                           1.0, False),
    "weight_bits": ("bits", "calibrated effective bits (weight_bits_source)", "bits", 1.0,
                    False),
    "weight_bits_source": ("", "'calibrated', or 'design' with the reason", "", 1.0, False),
    "weight_range_calibrated": ("", "measured symmetric weight range of the calibrated chip",
                                "", 1.0, False),
    "rings_working": ("", "fraction of the calibrated chip's rings found working", "", 1.0,
                      False),
    "cal_measurements": ("", "detector readings the calibration took", "", 1.0, True),
    "heater_power_fsr": ("W", "heater power for one FSR of tuning (full range)", "mW", 1e3,
                         True),
    "heater_voltage_fsr": ("V", "drive voltage sqrt(P_FSR R) for one FSR", "V", 1.0, True),
    "heater_power_channel": ("W", "heater power for one channel spacing", "mW", 1e3, True),
    "fsr_reachable": ("", "1 if heater_power_fsr <= heater max_power", "", 1.0, False),
    "heater_power_hold": ("W", "mean hold power per ring (performance model)", "mW", 1e3,
                          True),
    "mac_per_s": ("MAC/s", "N M f_s / passes", "TMAC/s", 1e-12, True),
    "energy_per_mac": ("J", "total power / MAC/s", "pJ/MAC", 1e12, True),
    "power_total": ("W", "total chip power (performance model)", "W", 1.0, True),
    "analog_bits": ("bits", "detector-limited resolution (performance model)", "bits", 1.0,
                    False),
    "mnist_test_acc": ("", "MNIST 10k test accuracy after photonic-DFA training", "%",
                       100.0, False),
    "mnist_chip": ("", "chip that computed the feedback: 'calibrated' (fabricated) or "
                   "'design'", "", 1.0, False),
    "notes": ("", "model warnings and figures not computed, with the reason", "", 1.0, False),
    "eval_seconds": ("s", "wall time of the point's evaluation", "s", 1.0, False),
}


# ------------------------------------------------------------------------------------ grid
def _axis_values(name: str, values: Any) -> tuple[Any, ...]:
    """Check one axis: known (or dotted) parameter, non-empty, each value physical."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"parameter names must be non-empty strings, got {name!r}")
    if name not in PARAMETERS and "." not in name:
        raise ValueError(f"unknown sweep parameter {name!r}; known: "
                         f"{', '.join(PARAMETERS)}, or a dotted chip key such as "
                         "'core.n_outputs'")
    if isinstance(values, str | bytes) or not isinstance(values, Sequence | np.ndarray):
        values = [values]
    vals = list(values)
    if not vals:
        raise ValueError(f"sweep parameter {name!r} has an empty range (no values)")
    spec = PARAMETERS.get(name)
    out = []
    for v in vals:
        if spec is not None:
            out.append(spec.check(v))
        elif isinstance(v, bool | int | float | str):
            out.append(float(v) if isinstance(v, np.floating) else v)
        else:
            raise ValueError(f"sweep parameter {name!r} values must be numbers, booleans or "
                             f"strings, got {v!r}")
    if len(set(out)) != len(out):
        raise ValueError(f"sweep parameter {name!r} repeats a value: {out}")
    return tuple(out)


def parse_axis(text: str) -> tuple[str, tuple[Any, ...]]:
    """``NAME=START:STOP:NUM[:log]`` (inclusive, linear or geometric) or ``NAME=V1,V2,...``
    (or one value) -> ``(name, values)``. Values are checked by :class:`SweepGrid`."""
    if "=" not in text:
        raise ValueError(f"--param must be NAME=START:STOP:NUM or NAME=V1,V2,..., got {text!r}")
    name, spec = (s.strip() for s in text.split("=", 1))
    if not spec:
        raise ValueError(f"sweep parameter {name!r} has an empty range (nothing after '=')")
    try:
        if ":" in spec:
            parts = spec.split(":")
            if len(parts) not in (3, 4) or (len(parts) == 4 and parts[3] not in ("lin", "log")):
                raise ValueError("need START:STOP:NUM or START:STOP:NUM:log")
            start, stop, num = float(parts[0]), float(parts[1]), int(parts[2])
            scale = parts[3] if len(parts) == 4 else "lin"
            return name, _range(name, start, stop, num, scale)
        items = [s.strip() for s in spec.split(",")]
        if any(not s for s in items):
            raise ValueError("empty item in the list")
        return name, tuple(_number(s) for s in items)
    except ValueError as exc:
        if str(exc).startswith("sweep parameter"):
            raise
        raise ValueError(f"sweep parameter {name!r}: cannot parse {spec!r} ({exc})") from None


def _number(s: str) -> int | float | bool | str:
    low = s.lower()
    if low in ("true", "false"):
        return low == "true"
    try:
        return int(s)
    except ValueError:
        pass
    try:
        return float(s)
    except ValueError:
        return s


def _range(name: str, start: float, stop: float, num: int, scale: str = "lin"
           ) -> tuple[Any, ...]:
    if num < 1:
        raise ValueError(f"sweep parameter {name!r} has an empty range (num={num})")
    if not (math.isfinite(start) and math.isfinite(stop)):
        raise ValueError(f"sweep parameter {name!r}: range ends must be finite, got "
                         f"{start!r}, {stop!r}")
    if scale == "log":
        if start <= 0 or stop <= 0:
            raise ValueError(f"sweep parameter {name!r}: a log range needs positive ends, got "
                             f"{start!r}, {stop!r}")
        vals = np.geomspace(start, stop, num)
        digits = 4  # readable labels; a geometric grid needs no more
    else:
        vals = np.linspace(start, stop, num)
        digits = 12
    spec = PARAMETERS.get(name)
    if spec is not None and spec.integer:
        ints = sorted({int(round(v)) for v in vals})
        return tuple(ints)
    return tuple(float(f"{v:.{digits}g}") for v in vals)


@dataclass(frozen=True)
class SweepGrid:
    """Axes (name, values), a base chip (dotted ChipConfig overrides) and evaluation options.

    Points are the Cartesian product of the axes, the first axis varying slowest.
    """

    axes: tuple[tuple[str, tuple[Any, ...]], ...]
    base: Mapping[str, Any] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        axes = self.axes.items() if isinstance(self.axes, Mapping) else self.axes
        checked = []
        seen: set[str] = set()
        for item in axes:
            if not (isinstance(item, tuple | list) and len(item) == 2):
                raise ValueError(f"axes must be (name, values) pairs, got {item!r}")
            name, values = item
            if name in seen:
                raise ValueError(f"sweep parameter {name!r} is given twice")
            seen.add(name)
            checked.append((name, _axis_values(name, values)))
        if not checked:
            raise ValueError("the grid has no sweep parameters")
        object.__setattr__(self, "axes", tuple(checked))
        if not isinstance(self.base, Mapping):
            raise ValueError(f"base must be a mapping of chip keys, got {self.base!r}")
        object.__setattr__(self, "base", _flatten(self.base))
        _check_conflicts(seen | set(self.base))
        object.__setattr__(self, "options", _check_options(self.options))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(n for n, _ in self.axes)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(v) for _, v in self.axes)

    def __len__(self) -> int:
        return math.prod(self.shape)

    def points(self) -> list[dict[str, Any]]:
        """Every point as ``{name: value}``, in grid order."""
        names = self.names
        return [dict(zip(names, combo)) for combo in itertools.product(*(v for _, v in self.axes))]

    def tasks(self) -> list[dict[str, Any]]:
        """The task parameters :func:`evaluate_point` takes, one per point."""
        return [{"point": p, "base": dict(self.base), "options": dict(self.options),
                 "figures_version": FIGURES_VERSION} for p in self.points()]

    def validate(self) -> list[str | None]:
        """Check every point before any work: its ChipConfig (``ValueError`` naming the point
        and the parameter), then its design WeightBank. A bank the models cannot design
        (e.g. heaters too weak to cover the weight branch) is not a grid error: the point is
        still evaluated, with the figures that need the bank left empty; the reason is
        returned per point (``None`` where the bank builds)."""
        from photonic_dfa.architecture.chip import build_bank

        base = _base_config(self.base)
        problems: list[str | None] = []
        for i, p in enumerate(self.points()):
            try:
                cfg = point_config(p, base)
            except ValueError as exc:
                raise ValueError(f"grid point {i} ({_fmt_point(p)}): {exc}") from None
            try:
                with warnings.catch_warnings():
                    # model warnings are a point's figures (notes column), not grid errors
                    warnings.simplefilter("ignore", UserWarning)
                    build_bank(cfg)
            except ValueError as exc:
                problems.append(str(exc))
            else:
                problems.append(None)
        if self.options["mnist_epochs"] and self.options["mnist_data"] == "mnist":
            from photonic_dfa.training.datasets import load_mnist

            load_mnist()  # fetch or fail now, once, not in every worker
        return problems

    def to_dict(self) -> dict[str, Any]:
        return {"axes": {n: list(v) for n, v in self.axes}, "base": dict(self.base),
                "options": dict(self.options)}


def _fmt_point(p: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in p.items())


def _flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, Mapping):
            out.update(_flatten(v, key))
        else:
            out[key] = v
    return out


def _check_conflicts(names: set[str]) -> None:
    for group in _EXCLUSIVE:
        given = [g for g in group if g in names]
        keyed = [PARAMETERS[g].key for g in group if PARAMETERS[g].key in names]
        if len(given) + len(keyed) > 1:
            raise ValueError(f"sweep parameters {', '.join(given + keyed)} set the same "
                             "thing; give one of them")
    for name in names:
        spec = PARAMETERS.get(name)
        if spec is not None and spec.key and spec.key in names:
            raise ValueError(f"sweep parameter {name!r} and chip key {spec.key!r} set the same "
                             "thing; give one of them")


def _check_options(options: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, (v, _) in OPTIONS.items()}
    for k, v in options.items():
        if k not in OPTIONS:
            raise ValueError(f"unknown sweep option {k!r}; allowed: {', '.join(OPTIONS)}")
        out[k] = v
    for k in ("calibrate", "performance"):
        if not isinstance(out[k], bool):
            raise ValueError(f"sweep option {k} must be true or false, got {out[k]!r}")
    out["seed"] = check_int("seed", out["seed"], 0, 2**63 - 1)
    out["cal_banks"] = check_int("cal_banks", out["cal_banks"], 1, 64)
    out["weight_samples"] = check_int("weight_samples", out["weight_samples"], 1, 10_000)
    out["mnist_epochs"] = check_int("mnist_epochs", out["mnist_epochs"], 0, 1000)
    out["mnist_subset"] = check_int("mnist_subset", out["mnist_subset"], 10, 60_000)
    out["mnist_hidden"] = check_int("mnist_hidden", out["mnist_hidden"], 1, 10_000)
    if out["mnist_data"] not in ("mnist", "synthetic"):
        raise ValueError(f"sweep option mnist_data must be 'mnist' or 'synthetic', got "
                         f"{out['mnist_data']!r}")
    return out


def load_grid(path: str | os.PathLike) -> SweepGrid:
    """A grid TOML file.

    ``[grid]``: one key per axis, a list of values or a table ``{start, stop, num,
    scale = "lin" | "log"}``; ``[chip]``: base chip, ChipConfig tables (``[chip.core]``,
    ...); ``[options]``: :data:`OPTIONS`. Unknown tables raise ``ValueError``.
    """
    p = Path(path)
    data = read_toml(p, "grid file")
    unknown = set(data) - {"grid", "chip", "options"}
    if unknown:
        raise ValueError(f"{p}: unknown table(s) {sorted(unknown)}; allowed: grid, chip, "
                         "options")
    grid = data.get("grid")
    if not isinstance(grid, dict) or not grid:
        raise ValueError(f"{p}: a [grid] table with at least one sweep parameter is needed")
    axes = []
    for name, spec in grid.items():
        if isinstance(spec, dict):
            unknown = set(spec) - {"start", "stop", "num", "scale"}
            if unknown or not {"start", "stop", "num"} <= set(spec):
                raise ValueError(f"sweep parameter {name!r}: a range table needs start, stop, "
                                 f"num (and optional scale), got {sorted(spec)}")
            scale = spec.get("scale", "lin")
            if scale not in ("lin", "log"):
                raise ValueError(f"sweep parameter {name!r}: scale must be 'lin' or 'log', "
                                 f"got {scale!r}")
            num = check_int(f"{name}.num", spec["num"], 0)
            axes.append((name, _range(name, float(spec["start"]), float(spec["stop"]), num,
                                      scale)))
        else:
            axes.append((name, spec))
    chip = data.get("chip", {})
    if not isinstance(chip, dict):
        raise ValueError(f"{p}: [chip] must be a table")
    return SweepGrid(tuple(axes), base=_flatten(chip), options=data.get("options", {}))


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


def _finite(x: Any) -> Any:
    """JSON-safe figure: non-finite floats become None (an empty CSV cell)."""
    if isinstance(x, bool | str | type(None)):
        return x
    if isinstance(x, int | np.integer):
        return int(x)
    v = float(x)
    return v if math.isfinite(v) else None


def _db(x: float) -> float:
    return 10.0 * math.log10(x) if x > 0 else -math.inf


def _ring_figures(cfg: Any) -> dict[str, Any]:
    from photonic_dfa.architecture.chip import build_laser, build_ring
    from photonic_dfa.devices.coupler_gap import gap_for_coupling

    ring = build_ring(cfg)
    lam = cfg.laser.center_wavelength
    fsr = float(ring.fsr(lam))
    d_lam = lam * lam * cfg.laser.channel_spacing / _C
    per_fsr = int(math.floor(fsr / d_lam * (1 + 1e-12)))
    gap, valid = gap_for_coupling(ring.r1, ring.radius)
    out = {
        "q_loaded": float(ring.q_loaded(lam)),
        "q_intrinsic": float(ring.q_intrinsic(lam)),
        "fwhm": float(ring.fwhm(lam)),
        "fsr": fsr,
        "finesse": ring.finesse(),
        "extinction_ratio_db": _db(ring.extinction_ratio()),
        "drop_loss_db": -_db(ring.drop_peak()),
        "coupling_r": ring.r1,
        "coupling_gap": float(gap) if bool(valid) else None,
        "channel_spacing_wavelength": d_lam,
        "channels_per_fsr": per_fsr,
        "fits_fsr": int(cfg.core.n_inputs <= per_fsr),
    }
    # crosstalk: ring k resonant on channel k (its branch start), isolated drop responses
    chans = build_laser(cfg).wavelengths
    if chans.size > 1:
        drops = np.stack([ring.tuned_to(float(w)).drop(chans) for w in chans])
        rel = drops / np.diag(drops)[:, None]
        np.fill_diagonal(rel, 0.0)
        out["crosstalk_db"] = _db(float(rel.max()))
    else:
        out["crosstalk_db"] = None
    # heaters: one FSR and one channel spacing of tuning, at the centre wavelength
    shift_per_watt = cfg.heater.thermal_resistance * lam * cfg.ring.dn_dT / cfg.ring.n_g
    p_fsr = fsr / shift_per_watt
    out.update({
        "heater_power_fsr": p_fsr,
        "heater_voltage_fsr": math.sqrt(p_fsr * cfg.heater.resistance),
        "heater_power_channel": d_lam / shift_per_watt,
        "fsr_reachable": int(p_fsr <= cfg.heater.max_power),
    })
    return out


def _design_weight_figures(cfg: Any, bank: Any, samples: int, seed: int) -> dict[str, Any]:
    """Design chip: random weights over the programmable range, the config solver's inverse,
    heater-DAC rounding; the realised weights against the targets, and exact vs fast."""
    from photonic_dfa.devices.photodetector import effective_bits

    s = bank.symmetric_weight_range
    lim = s * cfg.bank.weight_margin
    out: dict[str, Any] = {"weight_range": s}
    if lim <= 0:
        out.update({"weight_bits_design": None, "solver_weight_error": None})
        return out
    rng = np.random.default_rng([seed, 0x5EE9])
    targets = rng.uniform(-lim, lim, size=(samples, bank.n_channels))
    solver = cfg.bank.solver
    p, _ = bank.heater_powers_for_weights(targets, solver=solver, clip=True)
    if cfg.errors.heater_quantization:
        pmax = cfg.heater.max_power
        lsb = pmax / (2.0**cfg.heater.dac_bits - 1.0)
        p = np.clip(np.rint(p / lsb) * lsb, 0.0, pmax)
    w = bank.weights(p, solver)
    err = float(np.sqrt(np.mean((w - targets) ** 2)))
    other = "exact" if solver == "fast" else "fast"
    w_other = bank.weights(p, other)
    out["solver_weight_error"] = float(np.sqrt(np.mean((w_other - w) ** 2)))
    out["weight_bits_design"] = (float(effective_bits(err, 2 * lim)) if err > 0
                                 else float("inf"))
    return out


def _calibrated_figures(cfg: Any, options: Mapping[str, Any]) -> dict[str, Any]:
    """Calibrate a seeded fabricated chip of this design (``cal_banks`` banks) through its
    measurement API (:func:`photonic_dfa.calibration.pipeline.calibrate`), program random
    weights over its measured symmetric range with the calibration's lookup, and score the
    chip's true weights (evaluation only) against the targets: effective bits
    ``log2(2 w_lim / (e_rms sqrt 12))`` over the working rings."""
    try:
        from photonic_dfa.calibration.metrics import weight_error_figures
        from photonic_dfa.calibration.pipeline import calibrate
    except ImportError as exc:
        return {"source": f"design (calibration unavailable: {exc})"}
    from photonic_dfa.architecture.fabricated import FabricatedChip, evaluation_truth

    small = cfg.updated(**{"core.n_outputs": options["cal_banks"]})
    try:
        chip = FabricatedChip.from_config(small, seed=options["seed"])
        result = calibrate(chip)
    except ValueError as exc:
        return {"source": f"design (fabricated chip not calibrated: {exc})"}
    s = result.symmetric_weight_range
    lim = s * cfg.bank.weight_margin
    ok = result.working
    out = {"weight_range_calibrated": s, "rings_working": float(ok.mean()),
           "cal_measurements": result.total_measurements}
    if lim <= 0 or not ok.any():
        return {**out, "source": "design (calibrated chip has no symmetric weight range)"}
    rng = np.random.default_rng([options["seed"], 0xCA1])
    m, n = result.shape
    targets = rng.uniform(-lim, lim, size=(options["weight_samples"], m, n))
    powers = result.heater_powers_for(targets, allow_flagged=True)
    realised = evaluation_truth(chip).weights(powers)
    fig = weight_error_figures(realised, targets, 2.0 * lim, mask=ok)
    return {**out, "bits": fig["bits"], "source": "calibrated", "chip": chip,
            "result": result}


class _CalibratedCore:
    """The fabricated chip's core, programmed through its calibration (as on the bench)."""

    def __init__(self, chip: Any, result: Any) -> None:
        from photonic_dfa.architecture.fabricated import evaluation_truth

        self.result = result
        self.core = evaluation_truth(chip).core(weight_limit=result.symmetric_weight_range)

    def program(self, matrix: np.ndarray) -> None:
        with warnings.catch_warnings():
            # ProgramInfo counts clipped targets; the training result shows their effect
            warnings.simplefilter("ignore", RuntimeWarning)
            self.result.program(self.core, matrix, allow_flagged=True)

    def matvec(self, x: np.ndarray, gate: np.ndarray | None = None, rng: Any = None
               ) -> np.ndarray:
        return self.core.matvec(x, gate=gate, rng=rng)


def _mnist_accuracy(cfg: Any, options: Mapping[str, Any], cal: Mapping[str, Any]) -> float:
    """Test accuracy after ``mnist_epochs`` of photonic DFA (784-h-h-10, ``mnist_subset``
    images) with the feedback on the calibrated fabricated chip, or on the design chip when
    calibration is skipped or unavailable."""
    from photonic_dfa.architecture.core import PhotonicMVM
    from photonic_dfa.training.datasets import load_mnist, synthetic_mnist
    from photonic_dfa.training.trainer import TrainConfig, train_mnist

    h = options["mnist_hidden"]
    if options["mnist_data"] == "synthetic":
        data = synthetic_mnist(n_train=max(options["mnist_subset"], 100), n_test=200,
                               seed=options["seed"])
    else:
        data = load_mnist(download=False)
    tc = TrainConfig(feedback="photonic", sizes=(784, h, h, 10),
                     epochs=options["mnist_epochs"],
                     train_subset=min(options["mnist_subset"], len(data.y_train)),
                     seed=options["seed"], checkpoint_seconds=0.0)
    core = (_CalibratedCore(cal["chip"], cal["result"]) if "result" in cal
            else PhotonicMVM(cfg))
    summary = train_mnist(tc, data, None, progress=False, core=core, echo=None)
    return float(summary["test_acc"])


def evaluate_point(params: Mapping[str, Any]) -> dict[str, Any]:
    """Every figure of one grid point (module docstring; units in :data:`FIGURES`).

    ``params``: ``{"point": {name: value}, "base": {dotted: value}, "options": {...}}``
    (one element of :meth:`SweepGrid.tasks`). Returns a JSON-safe dict (None for a figure
    that does not exist, e.g. crosstalk of a one-channel bank).
    """
    t0 = time.perf_counter()
    options = _check_options(params.get("options", {}))
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        # model warnings (e.g. the channel band exceeding the FSR) go to the notes column
        warnings.simplefilter("always", UserWarning)
        out = _evaluate(params, options, notes)
    out["notes"] = "; ".join(dict.fromkeys(notes + [str(w.message) for w in caught]))
    out["eval_seconds"] = time.perf_counter() - t0
    return {k: _finite(v) for k, v in out.items()}


def _evaluate(params: Mapping[str, Any], options: Mapping[str, Any], notes: list[str]
              ) -> dict[str, Any]:
    from photonic_dfa.architecture.chip import build_bank

    cfg = point_config(params["point"], params.get("base", {}))
    out = _ring_figures(cfg)
    try:
        bank = build_bank(cfg)
    except ValueError as exc:
        notes.append(f"no design weight bank ({exc})")
        for key in ("weight_range", "weight_bits_design", "solver_weight_error",
                    "weight_bits", "weight_bits_source", "weight_range_calibrated",
                    "rings_working", "cal_measurements", "heater_power_hold", "mac_per_s",
                    "energy_per_mac", "power_total", "analog_bits"):
            out[key] = None
        if options["mnist_epochs"]:
            out["mnist_test_acc"] = out["mnist_chip"] = None
        return out
    out.update(_design_weight_figures(cfg, bank, options["weight_samples"], options["seed"]))
    cal = (_calibrated_figures(cfg, options) if options["calibrate"]
           else {"source": "design (calibration skipped)"})
    out["weight_bits"] = cal.get("bits", out["weight_bits_design"])
    out["weight_bits_source"] = cal["source"]
    for key in ("weight_range_calibrated", "rings_working", "cal_measurements"):
        out[key] = cal.get(key)
    if options["performance"]:
        out.update(_performance_figures(cfg, out["weight_range"], notes))
    if options["mnist_epochs"]:
        chip = "calibrated" if "result" in cal else "design"
        usable = cal.get("weight_range_calibrated") if "result" in cal else out["weight_range"]
        if usable:
            out["mnist_test_acc"] = _mnist_accuracy(cfg, options, cal)
            out["mnist_chip"] = chip
        else:
            notes.append(f"MNIST not run: the {chip} chip has no symmetric weight range")
            out["mnist_test_acc"] = out["mnist_chip"] = None
    return out


def _performance_figures(cfg: Any, weight_range: float | None, notes: list[str]
                         ) -> dict[str, Any]:
    from photonic_dfa.architecture.performance import performance

    keys = ("heater_power_hold", "mac_per_s", "energy_per_mac", "power_total", "analog_bits")
    if not weight_range:
        # the hold-power estimate draws weights over the symmetric range; there is none
        notes.append("no symmetric weight range: performance figures not computed")
        return dict.fromkeys(keys)
    perf = performance(cfg)
    hold = perf.power["heaters (hold weights)"] / (perf.n_inputs * perf.n_outputs)
    return dict(zip(keys, (hold, perf.mac_per_s, perf.energy_per_mac, perf.total_power,
                           perf.analog_bits)))


# ---------------------------------------------------------------------------------- running
@dataclass(frozen=True)
class SweepResult:
    """Rows (parameters then figures, in grid order) and how many came from the cache."""

    grid: SweepGrid
    rows: list[dict[str, Any]]
    n_cached: int
    n_computed: int
    csv_path: Path | None = None
    #: per point, why its design weight bank could not be built (None: it was)
    problems: list[str | None] = field(default_factory=list)


def run_sweep(grid: SweepGrid, out_dir: str | os.PathLike, *, scheduler: str | None = None,
              workers: int | None = None, executor: Any = None, progress: bool = True
              ) -> SweepResult:
    """Validate the whole grid, evaluate every point through :func:`~photonic_dfa.tasks.run_tasks`
    (cache in ``out_dir/cache``: a killed sweep resumes), write ``sweep.csv`` and ``sweep.json``
    (atomically) in ``out_dir``."""
    from photonic_dfa.atomic import write_json
    from photonic_dfa.tasks import cache_path, run_tasks, task_key

    problems = grid.validate()
    out = Path(out_dir)
    cache = out / "cache"
    tasks = grid.tasks()
    keys = {task_key(evaluate_point, t) for t in tasks}
    n_cached = sum(cache_path(cache, k).is_file() for k in keys)
    results = run_tasks(evaluate_point, tasks, cache, executor=executor, scheduler=scheduler,
                        max_workers=workers, progress=progress, desc="sweep")
    rows = [{**t["point"], **r} for t, r in zip(tasks, results)]
    csv_path = write_csv(out / "sweep.csv", rows, grid.names)
    write_json(out / "sweep.json", {
        "grid": grid.to_dict(), "points": len(rows),
        "parameters": {n: _param_meta(n) for n in grid.names},
        "figures": {k: {"unit": u, "definition": d} for k, (u, d, *_) in FIGURES.items()},
    })
    return SweepResult(grid, rows, n_cached, len(keys) - n_cached, csv_path, problems)


def _param_meta(name: str) -> dict[str, str]:
    spec = PARAMETERS.get(name)
    if spec is None:
        return {"unit": "", "definition": f"chip configuration key {name}"}
    return {"unit": spec.unit, "definition": spec.doc}


def write_csv(path: str | os.PathLike, rows: Sequence[Mapping[str, Any]],
              first: Sequence[str] = ()) -> Path:
    """Rows as CSV (atomic), columns ``first`` then the rest in first-seen order; None -> ''."""
    from photonic_dfa.atomic import atomic_write

    cols = list(first)
    for r in rows:
        cols.extend(k for k in r if k not in cols)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in cols})
    data = buf.getvalue().encode()
    return atomic_write(path, lambda fh: fh.write(data))


def read_csv(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Rows of a sweep CSV, numbers parsed, empty cells None."""
    with open(path, newline="") as fh:
        return [{k: (None if v == "" else _number(v)) for k, v in row.items()}
                for row in csv.DictReader(fh)]
