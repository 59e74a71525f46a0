"""The public path from ``ChipConfig`` to a core is typed, and the type check is strict.

``make lint`` runs mypy with the ``[mypy]`` configuration of setup.cfg over the path's
modules. These tests check the strictness itself: a snippet that lets an ``Any`` in, or
passes a wrong type along the path, must be rejected, and a correct snippet must type-check
to the concrete classes. A source check also keeps ``Any`` and bare ``np.ndarray`` out of the
path's public signatures (mypy's own ``Any`` checks are relaxed for the internals of the two
modules being rewritten, see setup.cfg).
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "setup.cfg"

#: source files of the public path (the `modules` of setup.cfg's [mypy] section)
PATH_FILES = [
    "architecture/config.py", "architecture/fabricated.py", "architecture/core.py",
    "architecture/digital.py", "architecture/chip.py", "calibration/pipeline.py",
    "calibration/result.py", "calibration/measurement.py", "calibration/calibrated_core.py",
    "devices/microring.py", "devices/laser.py", "devices/thermal.py",
    "devices/photodetector.py", "devices/modulator.py", "circuits/weight_bank.py",
]


def _mypy(tmp_path: Path, source: str) -> tuple[int, str]:
    api = pytest.importorskip("mypy.api")
    snippet = tmp_path / "snippet.py"
    snippet.write_text(textwrap.dedent(source))
    out, err, status = api.run([
        "--config-file", str(CONFIG), "--cache-dir", str(ROOT / ".mypy_cache"),
        "--no-error-summary", "--hide-error-context", str(snippet)])
    return status, out + err


def test_config_lists_the_path_modules() -> None:
    text = CONFIG.read_text()
    for f in PATH_FILES:
        folder, name = f[:-3].split("/")
        assert f"photonic_dfa.{folder}.{name}," in text or f"photonic_dfa.{folder}.{name}\n" \
            in text, f


def test_correct_use_type_checks_to_concrete_classes(tmp_path: Path) -> None:
    status, out = _mypy(tmp_path, """
        import numpy as np

        from photonic_dfa.architecture.config import ChipConfig
        from photonic_dfa.architecture.fabricated import FabricatedChip, FabricationSpec
        from photonic_dfa.calibration.calibrated_core import calibrated_core
        from photonic_dfa.calibration.pipeline import calibrate

        cfg = ChipConfig.ideal().updated(**{"core.n_inputs": 4})
        chip = FabricatedChip.from_config(cfg, seed=1, spec=FabricationSpec())
        reveal_type(chip)
        reveal_type(calibrate(chip))
        core = calibrated_core(cfg, fab_seed=1)
        reveal_type(core)
        reveal_type(core.program(np.eye(4)))
        reveal_type(chip.design.design_bank.weights(np.zeros(4)))
        """)
    assert status == 0, out
    for name in ("FabricatedChip", "CalibrationResult", "CalibratedCore", "ProgramInfo",
                 "numpy.float64"):
        assert name in out, (name, out)


def test_an_explicit_any_on_the_path_fails(tmp_path: Path) -> None:
    status, out = _mypy(tmp_path, """
        from typing import Any

        from photonic_dfa.calibration.calibrated_core import calibrated_core

        def build(config: Any) -> None:
            calibrated_core(config)
        """)
    assert status == 1
    assert "[explicit-any]" in out, out


def test_a_wrong_type_on_the_path_fails(tmp_path: Path) -> None:
    status, out = _mypy(tmp_path, """
        from photonic_dfa.architecture.fabricated import FabricatedChip
        from photonic_dfa.calibration.calibrated_core import calibrated_core
        from photonic_dfa.calibration.pipeline import calibrate

        calibrated_core("chip.toml")
        calibrate(FabricatedChip)
        """)
    assert status == 1
    assert out.count("[arg-type]") == 2, out


# ------------------------------------------------------------------ source check
def _bare_or_any(node: ast.expr) -> list[str]:
    """``Any`` or an un-parameterised ``ndarray`` anywhere in an annotation."""
    found: list[str] = []
    subscripted = {id(n.value) for n in ast.walk(node) if isinstance(n, ast.Subscript)}
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and n.id == "Any":
            found.append("Any")
        elif isinstance(n, ast.Attribute) and n.attr == "ndarray" and id(n) not in subscripted:
            found.append("bare np.ndarray")
        elif isinstance(n, ast.Constant) and isinstance(n.value, str):
            found += _bare_or_any(ast.parse(n.value, mode="eval").body)
    return found


def _public_annotations(tree: ast.Module) -> list[tuple[str, ast.expr]]:
    out: list[tuple[str, ast.expr]] = []

    def function(prefix: str, fn: ast.FunctionDef) -> None:
        if fn.name.startswith("_") and fn.name != "__init__":
            return
        a = fn.args
        for arg in (*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg):
            if arg is not None and arg.annotation is not None:
                out.append((f"{prefix}{fn.name}({arg.arg})", arg.annotation))
        if fn.returns is not None:
            out.append((f"{prefix}{fn.name} -> ", fn.returns))

    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            function("", node)
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    function(f"{node.name}.", item)
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name) \
                        and not item.target.id.startswith("_"):
                    out.append((f"{node.name}.{item.target.id}", item.annotation))
    return out


@pytest.mark.parametrize("path", PATH_FILES)
def test_public_signatures_name_their_types(path: str) -> None:
    tree = ast.parse((ROOT / path).read_text())
    bad = [f"{where}: {what}" for where, ann in _public_annotations(tree)
           for what in _bare_or_any(ann)]
    assert not bad, f"{path}: " + "; ".join(bad)
