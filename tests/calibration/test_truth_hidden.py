"""Calibration reaches a chip only through its measurement API, never its hidden truth."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

import photonic_dfa.calibration as calibration_pkg
from photonic_dfa.calibration.drift import recalibrate_drift
from photonic_dfa.calibration.measurement import MeasurableChip
from photonic_dfa.calibration.pipeline import calibrate
from photonic_dfa.calibration.refinement import refine_closed_loop

SOURCES = sorted(Path(calibration_pkg.__file__).parent.glob("*.py"))
FORBIDDEN_NAMES = {"evaluation_truth", "ChipTruth", "_Truth"}
#: the one module that fabricates the chip it calibrates, through the chip's public API
FABRICATES = {"calibrated_core.py": {"FabricatedChip", "FabricationSpec"}}


def test_calibration_sources_never_touch_private_state():
    assert len(SOURCES) >= 8
    for path in SOURCES:
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") \
                    and not (node.attr.startswith("__") and node.attr.endswith("__")):
                # only an object's own helpers: self._x inside its class
                assert isinstance(node.value, ast.Name) and node.value.id == "self", \
                    f"{path.name}:{node.lineno} reads private attribute {node.attr!r}"
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in (
                    "getattr", "vars", "setattr") and node.args:
                if len(node.args) > 1 and isinstance(node.args[1], ast.Constant):
                    assert not str(node.args[1].value).startswith("_"), \
                        f"{path.name}:{node.lineno} getattr of a private name"
                assert getattr(node.func, "id", "") != "vars", f"{path.name}: vars()"
            if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("fabricated"):
                imported = {a.name for a in node.names}
                assert imported <= FABRICATES.get(path.name, set()), \
                    f"{path.name}:{node.lineno} imports {imported} from {node.module}"
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = {a.name for a in node.names} | {getattr(node, "module", "") or ""}
                for name in names:
                    assert not (FORBIDDEN_NAMES & set(name.split("."))), \
                        f"{path.name}:{node.lineno} imports {name}"
            if isinstance(node, ast.Name):
                assert node.id not in FORBIDDEN_NAMES, f"{path.name}:{node.lineno} {node.id}"


class MeasurementOnly:
    """Exposes a chip's measurement API and nothing else."""

    __slots__ = ("_measure", "_count", "design", "n_inputs", "n_outputs")

    def __init__(self, chip):
        object.__setattr__(self, "_measure", chip.measure)
        object.__setattr__(self, "_count", lambda: chip.measurement_count)
        object.__setattr__(self, "design", chip.design)
        object.__setattr__(self, "n_inputs", chip.n_inputs)
        object.__setattr__(self, "n_outputs", chip.n_outputs)

    @property
    def measurement_count(self) -> int:
        return self._count()

    def measure(self, inputs, heater_powers, samples=None):
        return self._measure(inputs, heater_powers, samples)


def test_calibration_runs_on_a_measurement_only_proxy(make_chip):
    chip_a = make_chip(seed=9, noise=True, dead_heaters=1)
    chip_b = make_chip(seed=9, noise=True, dead_heaters=1)
    proxy = MeasurementOnly(chip_a)
    assert isinstance(proxy, MeasurableChip)
    for name in ("config", "spec", "advance", "apply_heater_powers", "seed"):
        assert not hasattr(proxy, name)
    via_proxy = calibrate(proxy)
    direct = calibrate(chip_b)
    assert via_proxy.equals(direct, meta=False)  # same readings, same result: nothing else was used
    assert via_proxy.flagged and via_proxy.flagged == direct.flagged
    t = np.where(via_proxy.working, 0.3, via_proxy.fixed_weight)
    r1 = refine_closed_loop(proxy, via_proxy, t)
    r2 = refine_closed_loop(chip_b, direct, t)
    np.testing.assert_array_equal(r1.powers, r2.powers)
    d1 = recalibrate_drift(proxy, via_proxy)
    d2 = recalibrate_drift(chip_b, direct)
    np.testing.assert_array_equal(d1.shift, d2.shift)


def test_truth_is_name_mangled_and_not_public(make_chip):
    chip = make_chip(seed=1)
    private = [k for k in vars(chip) if k.startswith("_")]
    assert private and all(k.startswith("_FabricatedChip__") for k in private)
    with pytest.raises(AttributeError):
        chip.__truth  # noqa: B018  (outside the class the name is not mangled)
    public = {k for k in dir(chip) if not k.startswith("_")}
    for leak in ("truth", "banks", "rings", "offsets", "thermal_matrix", "ambient", "rng"):
        assert not any(leak in name for name in public), leak
