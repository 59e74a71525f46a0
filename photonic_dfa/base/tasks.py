"""Run a list of independent tasks on any ``concurrent.futures.Executor``, with a per-task cache.

Sweeps and scaling grids are lists of JSON parameter dicts fed to one function. Each task's
cache key is the sha256 of the canonical JSON of ``(function qualified name, parameters,
code version)``; a finished task's result is written atomically to ``cache_dir/<key>.json``
the moment it completes, so a grid that is killed resumes where it stopped and never
recomputes a finished task. A corrupt or mismatched cache file is reported with a
:class:`CorruptCacheWarning` and its task recomputed.

Executors: by default a local ``ProcessPoolExecutor`` (spawned workers, BLAS/numba threads
per worker limited to ``cpu_count // max_workers``); ``scheduler="tcp://HOST:PORT"`` runs the
same tasks on a Dask distributed cluster through ``Client(address).get_executor()``; or pass
any existing ``Executor`` (it is used, not shut down).

This module deliberately imports no numpy at import time: spawned workers import it before
their thread limits are set.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing
import os
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from .scheduler import SchedulerError, check_scheduler
from .version import __version__

__all__ = [
    "run_tasks",
    "task_key",
    "canonical_json",
    "cache_path",
    "CorruptCacheWarning",
    "TaskError",
]

CACHE_FORMAT = 1
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


class CorruptCacheWarning(UserWarning):
    """A cache file was unreadable, truncated or did not match its task; it is recomputed."""


class TaskError(RuntimeError):
    """One or more tasks raised; every task that finished is cached all the same."""

    def __init__(self, message: str, failures: list[tuple[dict[str, Any], BaseException]]):
        super().__init__(message)
        self.failures = failures


def _json_default(o: Any) -> Any:
    # numpy scalars and arrays without importing numpy here
    if hasattr(o, "tolist") and callable(o.tolist):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def canonical_json(obj: Any) -> str:
    """Canonical JSON text: sorted keys, no whitespace, ASCII, NaN/inf rejected."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False, default=_json_default)


def function_name(fn: Callable[..., Any]) -> str:
    """``module.qualname`` of a task function (its identity in the cache key)."""
    module = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", None)
    if not module or not qualname:
        raise ValueError(f"fn must be a named function (with __module__, __qualname__), got {fn!r}")
    return f"{module}.{qualname}"


def task_key(fn: Callable[..., Any], params: dict[str, Any],
             code_version: str | None = None) -> str:
    """sha256 hex digest of canonical JSON of (function name, parameters, code version)."""
    version = __version__ if code_version is None else code_version
    payload = canonical_json(
        {"function": function_name(fn), "params": params, "code_version": version})
    return hashlib.sha256(payload.encode()).hexdigest()


def cache_path(cache_dir: str | os.PathLike, key: str) -> Path:
    return Path(cache_dir) / f"{key}.json"


def _sha(obj: Any) -> str:
    return hashlib.sha256(canonical_json(obj).encode()).hexdigest()


def _load_cached(path: Path, key: str, fn_name: str, params: Any,
                 check: Callable[[Any], None] | None = None) -> tuple[bool, Any]:
    """Return ``(True, result)`` for a valid cache file, ``(False, None)`` otherwise; a
    ``check`` raising ``ValueError`` marks a result whose checksum holds but whose content
    is wrong (the warning names the field)."""
    if not path.exists():
        return False, None
    try:
        record = json.loads(path.read_text(encoding="ascii"))
        if not isinstance(record, dict):
            raise ValueError("not a JSON object")
        if record.get("format") != CACHE_FORMAT:
            raise ValueError(f"format {record.get('format')!r} is not {CACHE_FORMAT}")
        if record.get("key") != key or record.get("function") != fn_name:
            raise ValueError("key or function does not match the task")
        if canonical_json(record.get("params")) != canonical_json(params):
            raise ValueError("parameters do not match the task")
        if "result" not in record or record.get("result_sha256") != _sha(record["result"]):
            raise ValueError("result checksum mismatch")
        if check is not None:
            check(record["result"])
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        warnings.warn(f"cache file {path} is corrupt ({exc}); recomputing its task",
                      CorruptCacheWarning, stacklevel=3)
        return False, None
    return True, record["result"]


def _write_cached(path: Path, key: str, fn_name: str, params: Any, code_version: str,
                  result: Any, elapsed: float) -> None:
    from .atomic import write_json  # numpy import stays out of spawned workers' start-up

    record = {
        "format": CACHE_FORMAT,
        "key": key,
        "function": fn_name,
        "code_version": code_version,
        "params": params,
        "result": result,
        "result_sha256": _sha(result),
        "elapsed_seconds": elapsed,
    }
    write_json(path, record)


def _worker_start(threads: int, parent: int) -> None:
    """Worker initializer: cap BLAS/OpenMP/numba threads before numpy is imported, and die
    with the parent (a killed sweep must not leave its workers running)."""
    for var in _THREAD_VARS:
        os.environ[var] = str(threads)
    die_with_parent(parent)


def die_with_parent(parent: int, interval: float = 0.5) -> None:
    """End this process when ``parent`` dies, even by SIGKILL: the kernel's parent-death
    signal where Linux offers it, and a watch thread everywhere (the signal follows the
    thread that forked, not the process)."""
    import signal
    import sys
    import threading

    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


@contextlib.contextmanager
def _executor(executor: Executor | None, scheduler: str | None, max_workers: int | None,
              connect_timeout: float = 10.0
              ) -> Iterator[tuple[Executor, Callable[[], None]]]:
    """Yield ``(executor, abort)``; ``abort()`` stops a pool this function owns, at once."""
    if executor is not None:
        yield executor, lambda: None
        return
    if scheduler is not None:
        check_scheduler(scheduler, timeout=min(5.0, connect_timeout))
        from distributed import Client

        try:
            client = Client(scheduler, timeout=connect_timeout)
        except (OSError, TimeoutError) as exc:
            raise SchedulerError(f"scheduler {scheduler}: {type(exc).__name__}: {exc}"
                                 ) from None
        try:
            yield client.get_executor(), lambda: None
        finally:
            client.close()
        return
    workers = _cpu_count() if max_workers is None else max_workers
    if workers < 1:
        raise ValueError(f"max_workers must be an integer in [1, inf), got {max_workers!r}")
    threads = max(1, _cpu_count() // workers)
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_worker_start, initargs=(threads, os.getpid()))

    def abort() -> None:
        pool.shutdown(wait=False, cancel_futures=True)
        # a running task may take minutes; an interrupted grid must stop now
        for proc in list(getattr(pool, "_processes", {}).values()):
            proc.terminate()

    try:
        # workers are spawned on demand while the pool runs, and a spawned worker imports
        # numpy (through the task's module) before the initializer runs: OpenBLAS reads its
        # thread count at import, so the caps must be in the environment it inherits
        with worker_threads(threads):
            yield pool, abort
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@contextlib.contextmanager
def worker_threads(threads: int) -> Iterator[None]:
    """BLAS/OpenMP/numba thread caps in this process's environment while a local pool
    spawns its workers, restored afterwards; a value the user set is kept."""
    saved = {v: os.environ.get(v) for v in _THREAD_VARS}
    for var in _THREAD_VARS:
        os.environ.setdefault(var, str(threads))
    try:
        yield
    finally:
        for var, value in saved.items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value


def _timed(fn: Callable[[dict[str, Any]], Any], params: dict[str, Any]) -> tuple[Any, float]:
    t0 = time.perf_counter()
    result = fn(params)
    return result, time.perf_counter() - t0


def run_tasks(
    fn: Callable[[dict[str, Any]], Any],
    params_list: Sequence[dict[str, Any]],
    cache_dir: str | os.PathLike,
    executor: Executor | None = None,
    scheduler: str | None = None,
    max_workers: int | None = None,
    *,
    code_version: str | None = None,
    progress: bool = True,
    desc: str | None = None,
    check_result: Callable[[Any], None] | None = None,
) -> list[Any]:
    """Return ``[fn(p) for p in params_list]``, computing only tasks missing from the cache.

    ``fn`` takes one JSON-serialisable dict and returns a JSON-serialisable result; it must be
    importable by name where it runs (process pool, Dask workers). Results come back as their
    JSON round trip, identical whether fresh or cached. Tasks with equal keys run once.
    If some tasks raise, the others still run and are cached, then :class:`TaskError` is
    raised. ``KeyboardInterrupt`` stops pending tasks at once; finished ones stay cached.
    ``check_result`` checks a cached result for meaning (``ValueError`` naming the field):
    one it refuses is computed again.
    """
    if executor is not None and scheduler is not None:
        raise ValueError("pass either executor or scheduler, not both")
    version = __version__ if code_version is None else str(code_version)
    fn_name = function_name(fn)
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    params_list = [json.loads(canonical_json(p)) for p in params_list]
    for i, p in enumerate(params_list):
        if not isinstance(p, dict):
            raise ValueError(f"params_list[{i}] must be a dict, got {type(p).__name__}")

    keys = [task_key(fn, p, version) for p in params_list]
    results: dict[str, Any] = {}
    todo: dict[str, dict[str, Any]] = {}
    for key, params in zip(keys, params_list):
        if key in results or key in todo:
            continue
        ok, value = _load_cached(cache_path(cache_dir, key), key, fn_name, params,
                                 check_result)
        if ok:
            results[key] = value
        else:
            todo[key] = params

    failures: list[tuple[dict[str, Any], BaseException]] = []
    if todo:
        from tqdm.auto import tqdm

        label = desc or fn_name.rsplit(".", 1)[-1]
        with _executor(executor, scheduler, max_workers) as (ex, abort):
            futures: dict[Future, str] = {ex.submit(_timed, fn, p): k for k, p in todo.items()}
            bar = tqdm(total=len(futures), desc=label, disable=not progress, unit="task",
                       postfix={"cached": len(results)})
            try:
                for fut in as_completed(futures):
                    key = futures[fut]
                    exc = fut.exception()
                    if exc is not None:
                        if not isinstance(exc, Exception):  # KeyboardInterrupt, SystemExit
                            raise exc
                        failures.append((todo[key], exc))
                    else:
                        value, elapsed = fut.result()
                        try:
                            value = json.loads(canonical_json(value))
                        except (TypeError, ValueError) as err:
                            failures.append((todo[key], err))
                        else:
                            _write_cached(cache_path(cache_dir, key), key, fn_name, todo[key],
                                          version, value, elapsed)
                            results[key] = value
                    bar.update(1)
            except BaseException:
                for f in futures:
                    f.cancel()
                abort()
                raise
            finally:
                bar.close()

    if failures:
        first_params, first_exc = failures[0]
        raise TaskError(
            f"{len(failures)} of {len(todo)} tasks of {fn_name} failed (finished tasks are cached "
            f"in {cache_dir}); first failure with params {canonical_json(first_params)}: "
            f"{type(first_exc).__name__}: {first_exc}",
            failures,
        ) from first_exc
    return [results[k] for k in keys]
