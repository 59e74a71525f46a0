"""The Python face: ``import photonic_dfa as pdfa`` holds the public API, and the examples
(the README's first among them) run."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import photonic_dfa as pdfa
from photonic_dfa.training.datasets import synthetic_mnist, write_mnist_idx

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
NAMES = ("ChipConfig", "AddDropRing", "WeightBank", "PhotonicMVM", "FabricatedChip",
         "calibrate", "calibrated_core", "train_mnist", "train_lm", "CalibratedCore",
         "DigitalCore", "GaussianErrorCore", "AUTHORS_ERROR", "ChannelGrid", "TrainConfig",
         "load_mnist", "measure_mac_error", "run_sweep", "sax_models", "__version__")


def test_dir_holds_the_public_names() -> None:
    missing = [n for n in NAMES if n not in dir(pdfa)]
    assert not missing
    for name in NAMES:
        assert getattr(pdfa, name) is not None


def test_every_layer_has_its_all_and_the_face_has_no_clashes() -> None:
    names: list[str] = []
    for layer in pdfa._LAYERS:
        module = importlib.import_module(f"photonic_dfa.{layer}")
        assert module.__all__, layer
        for name in module.__all__:
            assert getattr(module, name) is not None, f"{layer}.{name}"
        names += module.__all__
    clashes = [n for n, k in Counter(names).items() if k > 1]
    assert not clashes  # one name, one meaning, whichever layer it comes from
    assert set(names) <= set(pdfa.__all__)


def test_the_face_is_the_layers_object_and_unknown_names_fail() -> None:
    from photonic_dfa.calibration.calibrated_core import calibrated_core

    assert pdfa.calibrated_core is calibrated_core
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        pdfa.nonsense  # noqa: B018


def test_import_is_light() -> None:
    """``import photonic_dfa`` loads no layer (the CLI and task workers start fast)."""
    code = "import sys, photonic_dfa; print(sorted(m for m in sys.modules if m.startswith(" \
           "('numpy', 'photonic_dfa.'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "['photonic_dfa.base', 'photonic_dfa.base.version']"


def _readme_example() -> str:
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "the README opens its usage with a Python example"
    return blocks[0]


def test_the_readme_example_is_the_quickstart_script() -> None:
    script = (ROOT / "examples" / "quickstart.py").read_text()
    code = script.split('"""', 2)[2].strip()
    assert _readme_example().strip() == code


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("mnist")
    write_mnist_idx(d, synthetic_mnist(n_train=700, n_test=100, seed=3), gz=True)
    return d


#: arguments that keep an example small in the test
ARGS = {"mac_error.py": ["64"]}


@pytest.mark.slow
@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(script: Path, data_dir: Path, tmp_path: Path) -> None:
    for optional in ("torch", "sax"):
        if f"import {optional}" in script.read_text():
            pytest.importorskip(optional)
    env = {**os.environ, "PHOTONIC_DFA_DATA": str(data_dir), "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, str(script), *ARGS.get(script.name, [])],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    assert "Traceback" not in done.stderr


def test_sax_models_drop_into_a_users_own_netlist() -> None:
    """``sax.circuit(netlist, models=pdfa.sax_models())``: two of our rings in series."""
    pytest.importorskip("sax")
    import sax

    from photonic_dfa.devices.sax_models import x64

    netlist = {
        "instances": {"a": "add_drop_ring", "b": "add_drop_ring"},
        "connections": {"a,through": "b,in"},
        "ports": {"in": "a,in", "out": "b,through", "drop_a": "a,drop", "drop_b": "b,drop"},
    }
    with x64():
        circuit, _ = sax.circuit(netlist, models=pdfa.sax_models())
        wl = np.linspace(1.54, 1.56, 201)
        s = circuit(wl=wl, a={"r1": 0.98, "r2": 0.98}, b={"r1": 0.97, "r2": 0.97})
        through = np.abs(np.asarray(s["in", "out"])) ** 2
    ring_a = pdfa.AddDropRing(r1=0.98, r2=0.98)
    ring_b = pdfa.AddDropRing(r1=0.97, r2=0.97)
    expected = ring_a.through(wl * 1e-6) * ring_b.through(wl * 1e-6)
    np.testing.assert_allclose(through, expected, atol=1e-9)
