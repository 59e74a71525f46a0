"""A sweep grid: axes from TOML or command-line ranges, validated before any work starts."""

from __future__ import annotations

import itertools
import math
import os
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from photonic_dfa.base.tomlfile import read_toml
from photonic_dfa.base.units import quantity
from photonic_dfa.base.validation import check_int

from .sweep_configs import _base_config, point_config
from .sweep_params import _EXCLUSIVE, FIGURES_VERSION, OPTIONS, PARAMETERS

# ------------------------------------------------------------------------------------ grid
#: documented limits: values on one axis, points in a whole grid (each point is a chip
#: design, calibration and figures: seconds to minutes)
MAX_AXIS_VALUES = 10_000
MAX_GRID_POINTS = 100_000


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
    if len(vals) > MAX_AXIS_VALUES:
        raise ValueError(f"sweep parameter {name!r} has {len(vals)} values, at most "
                         f"{MAX_AXIS_VALUES}")
    spec = PARAMETERS.get(name)
    out = []
    for v in vals:
        if spec is not None:
            out.append(spec.check(_value(name, v)))
        elif isinstance(v, str) and _QUANTITY.match(v):
            raise ValueError(f"sweep parameter {name!r}: {v!r} has a unit; units are read for "
                             f"the named parameters ({', '.join(PARAMETERS)}), chip keys take "
                             "SI numbers")
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
    (or one value) -> ``(name, values)``. Values of a named parameter may carry a unit of its
    dimension (``radius=5um:20um:8``, ``channel_spacing=50GHz,100GHz``); they are checked by
    :class:`SweepGrid`."""
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
            start, stop = _end(name, parts[0]), _end(name, parts[1])
            num = int(parts[2])
            scale = parts[3] if len(parts) == 4 else "lin"
            return name, _range(name, start, stop, num, scale)
        items = [s.strip() for s in spec.split(",")]
        if any(not s for s in items):
            raise ValueError("empty item in the list")
        return name, tuple(_value(name, _number(s)) for s in items)
    except ValueError as exc:
        if str(exc).startswith("sweep parameter"):
            raise
        raise ValueError(f"sweep parameter {name!r}: cannot parse {spec!r} ({exc})") from None


_QUANTITY = re.compile(r"^\s*[+-]?(\d|\.\d)[^:,]*[^\d\s.]\s*$")


def _value(name: str, v: Any) -> Any:
    """A value of parameter ``name``: a string with a unit (``"7um"``) becomes a float in the
    parameter's unit (SI); other values pass unchanged (checked later)."""
    spec = PARAMETERS.get(name)
    if spec is None or not isinstance(v, str) or spec.integer:
        return v
    return quantity(v, spec.unit, name=f"sweep parameter {name!r}")


def _end(name: str, text: str) -> float:
    """A range end: in the parameter's unit (SI) if it has one, else a plain number."""
    spec = PARAMETERS.get(name)
    unit = spec.unit if spec is not None and not spec.integer else ""
    return quantity(text, unit, name=f"sweep parameter {name!r}")


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
    if num > MAX_AXIS_VALUES:
        raise ValueError(f"sweep parameter {name!r}: num={num} values, at most "
                         f"{MAX_AXIS_VALUES} per axis")
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
        total = math.prod(len(v) for _, v in checked)
        if total > MAX_GRID_POINTS:
            raise ValueError(f"the grid has {total} points ("
                             + " x ".join(f"{n}[{len(v)}]" for n, v in checked)
                             + f"), at most {MAX_GRID_POINTS}; split it into several sweeps")
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
    out["mac_samples"] = check_int("mac_samples", out["mac_samples"], 0, 1_000_000)
    out["mnist_subset"] = check_int("mnist_subset", out["mnist_subset"], 10, 60_000)
    out["mnist_hidden"] = check_int("mnist_hidden", out["mnist_hidden"], 1, 10_000)
    if out["mnist_data"] not in ("mnist", "synthetic"):
        raise ValueError(f"sweep option mnist_data must be 'mnist' or 'synthetic', got "
                         f"{out['mnist_data']!r}")
    return out


def load_grid(path: str | os.PathLike) -> SweepGrid:
    """A grid TOML file.

    ``[grid]``: one key per axis, a list of values or a table ``{start, stop, num,
    scale = "lin" | "log"}``; values and range ends of a named parameter may be strings with
    a unit (``radius = ["5um", "7um"]``, ``{start = "5um", stop = "20um", num = 4}``);
    ``[chip]``: base chip, ChipConfig tables (``[chip.core]``, ...); ``[options]``:
    :data:`OPTIONS`. Unknown tables raise ``ValueError``.
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
            ends = [_value(name, spec[k]) for k in ("start", "stop")]
            if not all(isinstance(e, int | float) and not isinstance(e, bool) for e in ends):
                raise ValueError(f"sweep parameter {name!r}: range ends must be numbers (or "
                                 f"strings with a unit), got {ends!r}")
            axes.append((name, _range(name, float(ends[0]), float(ends[1]), num, scale)))
        else:
            axes.append((name, spec))
    chip = data.get("chip", {})
    if not isinstance(chip, dict):
        raise ValueError(f"{p}: [chip] must be a table")
    return SweepGrid(tuple(axes), base=_flatten(chip), options=data.get("options", {}))


