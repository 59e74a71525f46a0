"""The ``lm``, ``sample`` and ``scaling`` subcommands, including a grid on a real Dask cluster."""

from __future__ import annotations

import json

import pytest

from photonic_dfa.cli import main

TEXT = ("Friends, Romans, countrymen, lend me your ears;\n"
        "I come to bury Caesar, not to praise him.\n")


@pytest.fixture
def text_file(tmp_path):
    path = tmp_path / "speech.txt"
    path.write_text(TEXT * 30)
    return path


def test_lm_then_sample(tmp_path, text_file, capsys):
    out = tmp_path / "run"
    assert main(["lm", "--method", "photonic", "--core", "gaussian", "--preset", "quick",
                 "--text", str(text_file), "--steps", "4", "--batch-size", "4", "--context",
                 "16", "--eval-interval", "2", "--out", str(out), "--quiet"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["config"]["method"] == "photonic" and metrics["core"]["kind"] == "gaussian"
    assert metrics["corpus"]["vocab_size"] == len(set(TEXT))
    assert (out / "loss.png").stat().st_size > 0
    capsys.readouterr()
    assert main(["sample", "--checkpoint", str(out / "checkpoint.npz"), "--prompt", "Friends",
                 "--length", "20", "--seed", "3"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Friends") and len(text.rstrip("\n")) >= len("Friends") + 19
    assert main(["sample", "--checkpoint", str(out / "checkpoint.npz"), "--prompt", "Zz~"]) == 2
    assert "vocabulary" in capsys.readouterr().err


def test_sample_rejects_corrupt_checkpoint(tmp_path, capsys):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 not really")
    assert main(["sample", "--checkpoint", str(bad)]) == 2
    assert "unreadable or truncated" in capsys.readouterr().err


@pytest.mark.slow
def test_scaling_grid_on_a_dask_cluster(tmp_path, text_file, capsys):
    """Scheduler and two workers on 127.0.0.1; the CLI reaches them through --scheduler."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  host="127.0.0.1", protocol="tcp",
                                  dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        assert main(["scaling", "--preset", "smoke", "--text", str(text_file), "--scheduler",
                     address, "--out", str(tmp_path / "grid"), "--no-progress"]) == 0
        # both grid points ran on the cluster's workers
        assert sum(w.state.executed_count for w in cluster.workers.values()) == 2
    runs = json.loads((tmp_path / "grid" / "runs.json").read_text())
    assert len(runs) == 2 and {r["tokens"] for r in runs} == {4096, 8192}
    analysis = json.loads((tmp_path / "grid" / "analysis.json").read_text())
    assert analysis["axes"]["flops"]["methods"]["bp"]["frontier"]
    for png in ("frontier_bands.png", "frontier_6nd.png"):
        assert (tmp_path / "grid" / png).stat().st_size > 0
    assert "bp" in capsys.readouterr().out
