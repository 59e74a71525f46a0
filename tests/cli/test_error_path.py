"""``cli.main``'s one error path: which exceptions are user errors (one line, status 2),
which stay tracebacks (bugs), and Ctrl-C."""

from __future__ import annotations

import errno

import pytest

import photonic_dfa.commands.perf as perf
from photonic_dfa.base.tasks import TaskError
from photonic_dfa.cli import main


def _raising(exc: BaseException):
    def run(args):
        raise exc
    return run


def _patched(monkeypatch, exc):
    import argparse

    real = argparse.ArgumentParser.parse_args

    def parse_args(self, *a, **k):
        ns = real(self, *a, **k)
        if getattr(ns, "func", None) is perf.run:
            ns.func = _raising(exc)
        return ns

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", parse_args)


@pytest.mark.parametrize(("exc", "expected"), [
    (PermissionError(errno.EACCES, "Permission denied", "/x/chip.toml"),
     "/x/chip.toml: permission denied"),
    (IsADirectoryError(errno.EISDIR, "Is a directory", "/x/out.json"),
     "/x/out.json: is a directory, expected a file"),
    (NotADirectoryError(errno.ENOTDIR, "Not a directory", "/x/file/out"),
     "/x/file/out: a part of the path is not a directory"),
    (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), "invalid start byte"),
    (TaskError("1 of 2 tasks failed: ValueError: radius", [({}, ValueError("radius"))]),
     "1 of 2 tasks failed"),
    (MemoryError(), "out of memory"),
])
def test_user_errors_are_one_line_with_status_2(monkeypatch, capsys, exc, expected):
    _patched(monkeypatch, exc)
    assert main(["perf"]) == 2
    err = capsys.readouterr().err
    (line,) = err.strip().splitlines()
    assert line.startswith("photonic-dfa perf: error: ") and expected in line, line


@pytest.mark.parametrize("exc", [TypeError("a bug"),
                                 TaskError("1 of 1 failed", [({}, KeyError("bug"))])])
def test_bugs_keep_their_traceback(monkeypatch, exc):
    _patched(monkeypatch, exc)
    with pytest.raises(type(exc)):
        main(["perf"])


def test_ctrl_c_is_one_line_and_status_130(monkeypatch, capsys):
    _patched(monkeypatch, KeyboardInterrupt())
    assert main(["perf"]) == 130
    assert capsys.readouterr().err.strip() == "photonic-dfa perf: interrupted"
