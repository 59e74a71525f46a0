"""One writer per output directory.

Two runs writing checkpoints, caches and logs into the same folder would silently overwrite
each other's results. :func:`output_lock` creates ``<dir>/.photonic-dfa.lock`` exclusively,
holding the writer's PID, its process start time (so a recycled PID is not mistaken for the
holder), host and command; a second writer is refused with those facts. A lock whose holder
is no longer running (killed, crashed) is stale: it is replaced, and the temporary files
the dead writer left are removed. Folders the lock had to create are removed again when the
run fails before writing into them. The same process may take the lock again (a CLI command
around a library call that locks the same folder).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

from .atomic import remove_stale_temporaries

__all__ = ["LOCK_NAME", "OutputBusyError", "output_lock"]

LOCK_NAME = ".photonic-dfa.lock"


class OutputBusyError(ValueError):
    """Another running process writes into the same output directory."""


def _start_time(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (clock ticks since boot), None where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _holder_running(info: dict[str, object]) -> bool:
    pid = info.get("pid")
    if not isinstance(pid, int):
        return False  # no holder named: stale
    if info.get("host") != socket.gethostname():
        return True  # another machine's process (shared disk) cannot be checked from here
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    started = info.get("started")
    return started is None or started == _start_time(pid)


def _read(lock: Path) -> dict[str, object] | None:
    try:
        info = json.loads(lock.read_text())
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


@contextlib.contextmanager
def output_lock(directory: str | os.PathLike, command: str = "photonic-dfa") -> Iterator[Path]:
    """Hold the lock of ``directory`` (created if missing) for the ``with`` block."""
    d = Path(directory)
    if d.exists() and not d.is_dir():
        raise ValueError(f"output {d} is a file, expected a directory")
    created = [p for p in (d, *d.parents) if not p.exists()]
    try:
        d.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"cannot create output directory {d}: {exc.strerror or exc}") from None
    lock = d / LOCK_NAME
    me = {"pid": os.getpid(), "started": _start_time(os.getpid()),
          "host": socket.gethostname(), "command": command,
          "since": time.strftime("%Y-%m-%d %H:%M:%S")}
    owned = False
    for _ in range(3):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = _read(lock)
            if holder is not None and holder.get("pid") == me["pid"] \
                    and holder.get("host") == me["host"]:
                break  # this process holds it already
            if holder is not None and _holder_running(holder):
                raise OutputBusyError(
                    f"output {d} is in use by {holder.get('command')} (pid {holder.get('pid')} "
                    f"on {holder.get('host')}, since {holder.get('since')}); wait for it to "
                    "finish or choose another output directory") from None
            # stale (holder gone) or unreadable: take it over; the rename keeps it atomic
            stale = lock.with_name(f"{LOCK_NAME}.{os.getpid()}.stale")
            with contextlib.suppress(FileNotFoundError):
                os.replace(lock, stale)
                stale.unlink()
            continue
        except OSError as exc:
            raise ValueError(f"cannot write in output directory {d}: {exc.strerror or exc}"
                             ) from None
        with os.fdopen(fd, "w") as fh:
            json.dump(me, fh)
        owned = True
        break
    else:
        raise OutputBusyError(f"output {d}: could not take its lock {lock}")
    if owned:
        remove_stale_temporaries(d)
    try:
        yield lock
    except BaseException:
        _release(lock, me, owned)
        # a run refused before it wrote anything leaves no folder behind
        for p in created:
            with contextlib.suppress(OSError):
                p.rmdir()
        raise
    _release(lock, me, owned)


def _release(lock: Path, me: dict[str, object], owned: bool) -> None:
    if owned and _read(lock) == me:
        lock.unlink(missing_ok=True)
