"""Files the commands write get the usual permissions (0666 less the umask), never the
private 0600 of a temporary file, and no temporary file is left beside them."""

from __future__ import annotations

import os
import stat

import pytest

from photonic_dfa.cli import main


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.mark.parametrize("argv, name", [
    (["perf", "--json", "{d}/perf.json"], "perf.json"),
    (["config", "--default", "--out", "{d}/chip.toml"], "chip.toml"),
])
def test_written_files_are_0644_under_umask_022(tmp_path, capsys, umask_022, argv, name):
    assert main([a.format(d=tmp_path) for a in argv]) == 0
    capsys.readouterr()
    assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_ring_outputs_are_0644_and_nothing_else(tmp_path, capsys, umask_022):
    out = tmp_path / "ring"
    assert main(["ring", "--points", "2001", "--out", str(out)]) == 0
    capsys.readouterr()
    names = sorted(p.name for p in out.iterdir())
    assert names == ["ring_figures.json", "ring_spectrum.png"]  # the lock is released
    for n in names:
        assert stat.S_IMODE((out / n).stat().st_mode) == 0o644
