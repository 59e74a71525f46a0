"""Task runner: cache keys, resume without recomputation, corrupt cache files, failures, kills."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from photonic_dfa.base.tasks import (
    CorruptCacheWarning,
    TaskError,
    cache_path,
    canonical_json,
    run_tasks,
    task_key,
)


def _count_calls(params: dict) -> dict:
    """Record each call as a file in params['log'], then return a result derived from x."""
    log = Path(params["log"])
    log.mkdir(parents=True, exist_ok=True)
    (log / f"{params['x']}-{time.perf_counter_ns()}").touch()
    if params.get("fail_if_exists") and Path(params["fail_if_exists"]).exists():
        raise RuntimeError(f"task {params['x']} told to fail")
    if params.get("interrupt"):
        raise KeyboardInterrupt
    return {"square": params["x"] ** 2, "tuple": (params["x"], 1)}


def _calls(log: Path, x: int | None = None) -> int:
    if not log.exists():
        return 0
    return sum(1 for f in log.iterdir() if x is None or f.name.startswith(f"{x}-"))


def test_key_is_canonical_and_depends_on_everything():
    a = task_key(_count_calls, {"x": 1, "y": [1, 2]}, "v1")
    assert a == task_key(_count_calls, {"y": [1, 2], "x": 1}, "v1")  # key order irrelevant
    assert a != task_key(_count_calls, {"x": 2, "y": [1, 2]}, "v1")
    assert a != task_key(_count_calls, {"x": 1, "y": [1, 2]}, "v2")
    other_fn = test_key_is_canonical_and_depends_on_everything
    assert a != task_key(other_fn, {"x": 1, "y": [1, 2]}, "v1")
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


def test_rerun_reads_cache_and_returns_same_results(tmp_path):
    log = tmp_path / "log"
    params = [{"x": i, "log": str(log)} for i in range(4)]
    with ThreadPoolExecutor(2) as ex:
        first = run_tasks(_count_calls, params, tmp_path / "cache", executor=ex, progress=False)
        assert _calls(log) == 4
        second = run_tasks(_count_calls, params, tmp_path / "cache", executor=ex, progress=False)
    assert _calls(log) == 4  # nothing recomputed
    assert first == second == [{"square": i * i, "tuple": [i, 1]} for i in range(4)]
    assert len(list((tmp_path / "cache").glob("*.json"))) == 4


def test_duplicate_tasks_run_once(tmp_path):
    log = tmp_path / "log"
    p = {"x": 3, "log": str(log)}
    with ThreadPoolExecutor(2) as ex:
        out = run_tasks(_count_calls, [p, dict(p)], tmp_path / "c", executor=ex, progress=False)
    assert out[0] == out[1] and _calls(log) == 1


@pytest.mark.parametrize("damage", ["truncate", "garbage", "flip_result", "wrong_params"])
def test_corrupt_cache_file_is_recomputed_with_warning(tmp_path, damage):
    log = tmp_path / "log"
    params = [{"x": i, "log": str(log)} for i in range(2)]
    with ThreadPoolExecutor(1) as ex:
        run_tasks(_count_calls, params, tmp_path / "c", executor=ex, progress=False)
        path = cache_path(tmp_path / "c", task_key(_count_calls, params[1]))
        text = path.read_text()
        if damage == "truncate":
            path.write_text(text[: len(text) // 2])
        elif damage == "garbage":
            path.write_bytes(b"\x00\xff not json")
        elif damage == "flip_result":
            record = json.loads(text)
            record["result"]["square"] = 2
            path.write_text(json.dumps(record))
        else:
            record = json.loads(text)
            record["params"]["x"] = 7
            path.write_text(json.dumps(record))
        with pytest.warns(CorruptCacheWarning, match="corrupt"):
            out = run_tasks(_count_calls, params, tmp_path / "c", executor=ex, progress=False)
    assert out[1]["square"] == 1
    assert _calls(log, 0) == 1 and _calls(log, 1) == 2
    json.loads(path.read_text())  # rewritten whole


def test_failed_task_others_cached_then_resume(tmp_path):
    log, flag = tmp_path / "log", tmp_path / "fail-flag"
    flag.touch()
    params = [{"x": i, "log": str(log), "fail_if_exists": str(flag) if i == 1 else ""}
              for i in range(3)]
    with ThreadPoolExecutor(1) as ex:
        with pytest.raises(TaskError, match="1 of 3 tasks") as info:
            run_tasks(_count_calls, params, tmp_path / "c", executor=ex, progress=False)
        assert isinstance(info.value.__cause__, RuntimeError)
        assert len(info.value.failures) == 1
        flag.unlink()
        out = run_tasks(_count_calls, params, tmp_path / "c", executor=ex, progress=False)
    assert [r["square"] for r in out] == [0, 1, 4]
    assert [_calls(log, i) for i in range(3)] == [1, 2, 1]  # only the failed one reran


def test_keyboard_interrupt_propagates_and_keeps_finished(tmp_path):
    log = tmp_path / "log"
    params = [{"x": 0, "log": str(log)}, {"x": 1, "log": str(log), "interrupt": True}]
    with ThreadPoolExecutor(1) as ex:
        with pytest.raises(KeyboardInterrupt):
            run_tasks(_count_calls, params, tmp_path / "c", executor=ex, progress=False)
        params[1]["interrupt"] = False
        run_tasks(_count_calls, params, tmp_path / "c", executor=ex, progress=False)
    assert [_calls(log, i) for i in range(2)] == [1, 2]


def test_bad_arguments(tmp_path):
    with ThreadPoolExecutor(1) as ex:
        with pytest.raises(ValueError, match="either executor or scheduler"):
            run_tasks(_count_calls, [], tmp_path, executor=ex, scheduler="tcp://127.0.0.1:1")
    with pytest.raises(ValueError, match="must be a dict"):
        run_tasks(_count_calls, [[1, 2]], tmp_path, progress=False)
    with pytest.raises(ValueError, match="scheduler"):
        run_tasks(_count_calls, [{"x": 1, "log": str(tmp_path)}], tmp_path, scheduler="nohost")
    with pytest.raises(ValueError, match="max_workers"):
        run_tasks(_count_calls, [{"x": 1, "log": str(tmp_path)}], tmp_path, max_workers=0)


def test_unserialisable_result_is_a_task_failure(tmp_path):
    with ThreadPoolExecutor(1) as ex, pytest.raises(TaskError, match="not JSON serialisable"):
        run_tasks(_unserialisable, [{"x": 1}], tmp_path, executor=ex, progress=False)
    assert not list(tmp_path.glob("*.json"))


def _unserialisable(params: dict) -> object:
    return {"x": object()}


_GRID_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from photonic_dfa.base.tasks import run_tasks

    def slow_task(params):
        log = Path(params["log"])
        log.mkdir(exist_ok=True)
        (log / f"{params['x']}-{time.perf_counter_ns()}").touch()
        time.sleep(params["sleep"])
        return params["x"] * 10

    if __name__ == "__main__":
        log, cache, sleep = sys.argv[1], sys.argv[2], float(sys.argv[3])
        params = [{"x": i, "log": log, "sleep": sleep * (i > 0)} for i in range(3)]
        print(run_tasks(slow_task, params, cache, max_workers=1, progress=False), flush=True)
    """
)


@pytest.mark.slow
def test_killed_grid_resumes_without_recomputing(tmp_path):
    """A real kill (SIGKILL of the parent, default process pool) midway through a grid."""
    script = tmp_path / "grid.py"
    script.write_text(_GRID_SCRIPT)
    log, cache = tmp_path / "log", tmp_path / "cache"
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    proc = subprocess.Popen([sys.executable, str(script), str(log), str(cache), "30"], env=env,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not list(cache.glob("*.json")):  # wait for the first task to be cached
            assert proc.poll() is None, "grid exited early"
            assert time.monotonic() < deadline, "first task never finished"
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # parent and its pool workers
        proc.wait()
    assert _calls(log, 0) == 1 and _calls(log, 2) == 0
    done = subprocess.run([sys.executable, str(script), str(log), str(cache), "0"], env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip().endswith("[0, 10, 20]")
    assert _calls(log, 0) == 1  # finished before the kill: not recomputed
    assert _calls(log, 2) == 1
