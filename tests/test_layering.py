"""The layering rule: an import only points down
``roof -> training -> calibration -> architecture -> circuits -> devices -> base``.

The roof (the package face, the CLI, its commands, the studies and the PyTorch adapter) may
import every layer and nothing imports it; the foundation ``photonic_dfa.base`` imports no
layer. Every import counts, also those inside functions and ``TYPE_CHECKING`` blocks.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: lowest first; a module may import its own layer and those before it
LAYERS = ("base", "devices", "circuits", "architecture", "calibration", "training", "roof")
FOLDERS = {"devices": "devices", "circuits": "circuits", "architecture": "architecture",
           "calibration": "calibration", "training": "training"}
TOP_FOLDERS = tuple(FOLDERS) + ("photonic_dfa",)


def module_name(path: Path) -> str:
    """Dotted module name of a source file, as setup.cfg maps the folders."""
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[0] in FOLDERS:
        parts = ["photonic_dfa", FOLDERS[parts[0]], *parts[1:]]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def layer_of(module: str) -> str | None:
    """Layer of a ``photonic_dfa`` module, None for a module outside the package."""
    parts = module.split(".")
    if parts[0] != "photonic_dfa":
        return None
    if len(parts) > 1 and parts[1] in LAYERS[:-1]:
        return parts[1]
    return "roof"


def _resolve(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def violations(source: str, module: str, is_package: bool = False) -> list[str]:
    """Every import in ``source`` (module ``module``) that breaks the layering rule."""
    own = layer_of(module)
    assert own is not None, module
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(node, module, is_package)
            # ``from photonic_dfa import training`` imports the subpackage
            targets = ([f"{target}.{a.name}" for a in node.names] if target == "photonic_dfa"
                       else [target])
        for t in targets:
            if t.split(".")[0] in FOLDERS:
                found.append(f"line {node.lineno}: bare import of {t!r} (use photonic_dfa.{t})")
                continue
            layer = layer_of(t)
            if layer is None:
                continue
            if own != "roof" and layer == "roof":
                found.append(f"line {node.lineno}: {own} imports the roof ({t})")
            elif LAYERS.index(layer) > LAYERS.index(own):
                found.append(f"line {node.lineno}: {own} imports the higher layer {layer} ({t})")
    return found


def _sources() -> list[Path]:
    return sorted(p for d in TOP_FOLDERS for p in (ROOT / d).rglob("*.py"))


def test_every_module_imports_only_down() -> None:
    sources = _sources()
    assert len(sources) > 80
    bad = {}
    for path in sources:
        found = violations(path.read_text(), module_name(path), path.name == "__init__.py")
        if found:
            bad[str(path.relative_to(ROOT))] = found
    assert not bad, bad


def test_the_foundation_is_where_the_layers_expect_it() -> None:
    names = {module_name(p) for p in _sources()}
    for m in ("validation", "atomic", "tomlfile", "units", "datadir", "tasks", "version"):
        assert f"photonic_dfa.base.{m}" in names
    assert layer_of("photonic_dfa.base.tasks") == "base"
    assert layer_of("photonic_dfa.studies.sweep") == "roof"
    assert layer_of("photonic_dfa.cli") == "roof"


@pytest.mark.parametrize(("module", "source", "expected"), [
    ("photonic_dfa.base.atomic", "from photonic_dfa.training import mlp\n", "base imports"),
    ("photonic_dfa.base.tasks", "def f():\n    import photonic_dfa.devices.laser\n",
     "higher layer devices"),
    ("photonic_dfa.base.units", "from photonic_dfa import studies\n", "imports the roof"),
    ("photonic_dfa.base.units", "from .. import cli\n", "imports the roof"),
    ("photonic_dfa.devices.microring", "from ..circuits import weight_bank\n", "circuits"),
    ("photonic_dfa.training.mlp", "from photonic_dfa.studies.sweep import run_sweep\n",
     "roof"),
    ("photonic_dfa.calibration.pipeline", "import devices.laser\n", "bare import"),
])
def test_the_check_rejects_an_upward_import(module: str, source: str, expected: str) -> None:
    found = violations(source, module)
    assert found and expected in found[0]


def test_the_check_accepts_downward_imports() -> None:
    src = ("from photonic_dfa.base.validation import check_int\n"
           "from ..devices.laser import ChannelGrid\nfrom .weight_bank import WeightBank\n")
    assert violations(src, "photonic_dfa.circuits.layout") == []
    assert violations("from photonic_dfa.training import train_mnist\n",
                      "photonic_dfa.studies.sweep") == []
