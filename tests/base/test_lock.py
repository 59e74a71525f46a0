"""One writer per output directory; temporary files of killed writers are cleaned up."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from photonic_dfa.base.atomic import atomic_write, remove_stale_temporaries, write_json
from photonic_dfa.base.lock import LOCK_NAME, OutputBusyError, output_lock


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(done.stdout)


def test_a_second_writer_is_refused_while_the_first_runs(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\n"
         "from photonic_dfa.base.lock import output_lock\n"
         f"with output_lock({str(tmp_path)!r}, 'the first run'):\n"
         "    print('locked', flush=True); sys.stdin.readline()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(OutputBusyError, match=rf"in use by the first run \(pid {holder.pid}"):
            with output_lock(tmp_path, "the second run"):
                pass
    finally:
        holder.communicate("\n", timeout=30)
    assert holder.returncode == 0 and not (tmp_path / LOCK_NAME).exists()
    with output_lock(tmp_path, "the second run, later"):  # free again
        assert json.loads((tmp_path / LOCK_NAME).read_text())["pid"] == os.getpid()


def test_a_stale_lock_and_the_dead_writers_temporaries_are_removed(tmp_path: Path) -> None:
    dead = _dead_pid()
    (tmp_path / LOCK_NAME).write_text(json.dumps({"pid": dead, "host": os.uname().nodename,
                                                  "started": "1", "command": "killed run"}))
    sub = tmp_path / "cache"
    sub.mkdir()
    left = [tmp_path / f".checkpoint.npz.{dead}-abc123.tmp", sub / f".k.json.{dead}-x9.tmp"]
    for f in left:
        f.write_bytes(b"half a checkpoint")
    mine = tmp_path / f".log.json.{os.getpid()}-zz.tmp"
    mine.write_bytes(b"being written")
    other = tmp_path / "notes.tmp"
    other.write_text("not ours")
    with output_lock(tmp_path, "resumed run"):
        assert not any(f.exists() for f in left)
    assert mine.exists() and other.exists()


def test_the_same_process_may_lock_again_and_files_are_not_mistaken(tmp_path: Path) -> None:
    with output_lock(tmp_path, "cli"), output_lock(tmp_path, "library"):
        assert (tmp_path / LOCK_NAME).exists()
    assert not (tmp_path / LOCK_NAME).exists()
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(ValueError, match="is a file, expected a directory"):
        with output_lock(f):
            pass


def test_atomic_files_get_the_usual_permissions_and_refuse_a_directory(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        p = write_json(tmp_path / "a.json", {"x": 1})
    finally:
        os.umask(old)
    assert stat.S_IMODE(p.stat().st_mode) == 0o644
    with pytest.raises(ValueError, match="is a directory"):
        atomic_write(tmp_path, lambda fh: fh.write(b""))
    assert remove_stale_temporaries(tmp_path / "missing") == []


@pytest.mark.slow
def test_two_cli_runs_into_one_out_the_second_is_refused_the_first_completes(
        tmp_path: Path) -> None:
    """Two `photonic-dfa sweep` runs into one --out: the second is refused, naming the
    first; the first completes and writes its results."""
    from photonic_dfa.cli import main

    out = tmp_path / "out"
    grid = tmp_path / "grid.toml"
    grid.write_text('[grid]\nr = {start = 0.98, stop = 0.995, num = 40}\n'
                    '[chip.core]\nn_inputs = 4\nn_outputs = 1\n[options]\ncalibrate = false\n'
                    'performance = false\nweight_samples = 2\n')
    first = subprocess.Popen(
        [sys.executable, "-m", "photonic_dfa.cli", "sweep", "--grid", str(grid), "--out",
         str(out), "--workers", "1", "--quiet", "--no-plots", "--no-calibration"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (out / LOCK_NAME).exists():
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline, "the first run never took its lock"
            time.sleep(0.05)
        code = main(["sweep", "--grid", str(grid), "--out", str(out), "--quiet",
                     "--no-plots", "--no-calibration"])
        assert code == 2
    finally:
        stdout, stderr = first.communicate(timeout=300)
    assert first.returncode == 0, stderr
    assert (out / "sweep.csv").is_file() and not (out / LOCK_NAME).exists()
