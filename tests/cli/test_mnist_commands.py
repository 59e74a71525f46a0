"""``photonic-dfa train mnist``, ``demo`` and ``data`` on a small synthetic MNIST (IDX files)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from photonic_dfa.cli import main
from photonic_dfa.training.datasets import synthetic_mnist, write_mnist_idx


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("mnist")
    write_mnist_idx(d, synthetic_mnist(n_train=256, n_test=64, seed=5), gz=True)
    return d


def test_train_and_resume(tmp_path: Path, data_dir: Path, capsys) -> None:
    out = tmp_path / "run"
    argv = ["train", "mnist", "--feedback", "dfa", "--epochs", "2", "--hidden", "32",
            "--data-dir", str(data_dir), "--out", str(out), "--no-progress", "--lr", "0.02"]
    assert main(argv) == 0
    said = capsys.readouterr().out
    assert "test accuracy" in said and "held-out 5000" in said
    log = json.loads((out / "log.json").read_text())
    assert log["config"]["sizes"] == [784, 32, 10] and len(log["history"]) == 2
    assert (out / "checkpoint.npz").is_file() and (out / "curves.png").is_file()
    argv[argv.index("--epochs") + 1] = "3"
    assert main([*argv, "--resume"]) == 0
    assert "resuming dfa from epoch 3" in capsys.readouterr().out
    assert len(json.loads((out / "log.json").read_text())["history"]) == 3


def test_train_divergence_is_a_clean_error(tmp_path: Path, data_dir: Path, capsys) -> None:
    argv = ["train", "mnist", "--feedback", "backprop", "--epochs", "1", "--hidden", "16",
            "--lr", "1e10", "--data-dir", str(data_dir), "--out", str(tmp_path), "--no-progress"]
    assert main(argv) == 2
    assert "diverged" in capsys.readouterr().err


def test_photonic_without_chip_layer(tmp_path: Path, data_dir: Path, capsys,
                                     monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "photonic_dfa.architecture.core", None)
    argv = ["train", "mnist", "--feedback", "photonic", "--epochs", "1", "--hidden", "16",
            "--data-dir", str(data_dir), "--out", str(tmp_path), "--no-progress"]
    assert main(argv) == 2
    assert "photonic feedback needs photonic_dfa.architecture" in capsys.readouterr().err


def test_demo_compares_every_mode(tmp_path: Path, data_dir: Path, capsys) -> None:
    assert main(["demo", "--out", str(tmp_path), "--data-dir", str(data_dir), "--epochs", "1",
                 "--hidden", "24", "--no-progress"]) == 0
    said = capsys.readouterr().out
    summary = json.loads((tmp_path / "mnist" / "summary.json").read_text())
    ran = set(summary["runs"]) | set(summary["skipped"])
    assert ran == {"backprop", "dfa", "gaussian", "photonic"}
    for mode in summary["runs"]:
        assert mode in said
        assert (tmp_path / "mnist" / mode / "log.json").is_file()
    assert (tmp_path / "mnist" / "learning_curves.png").read_bytes()[:4] == b"\x89PNG"


def test_data_command_verifies_mnist(data_dir: Path, capsys) -> None:
    assert main(["data", "--data-dir", str(data_dir), "--only", "mnist"]) == 0
    assert "256 training and 64 test images, 10 classes" in capsys.readouterr().out
