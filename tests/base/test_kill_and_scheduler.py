"""A killed run leaves no process behind; a bad scheduler address fails fast and says why.

Servers here listen on 127.0.0.1 only.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from photonic_dfa.base.scheduler import SchedulerError, check_scheduler, parse_address
from photonic_dfa.base.tasks import run_tasks


def _children(pid: int) -> set[int]:
    """PIDs whose parent is ``pid`` (from /proc)."""
    found = set()
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(d.name))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process table from /proc")
def _kill_once_workers_run(parent: subprocess.Popen, start_timeout: float, what: str) -> None:
    """SIGKILL ``parent`` once two spawned pool workers run under it, then assert that
    neither they nor its other children (the resource tracker) outlive it."""
    try:
        deadline = time.monotonic() + start_timeout
        workers: set[int] = set()
        while len(workers) < 2 and time.monotonic() < deadline:
            assert parent.poll() is None, f"the {what} ended before it could be killed"
            workers = {c for c in _children(parent.pid)
                       if "spawn_main" in Path(f"/proc/{c}/cmdline").read_text(errors="ignore")}
            time.sleep(0.1)
        assert len(workers) >= 2, f"the {what}'s workers never started"
        others = _children(parent.pid) - workers
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    deadline = time.monotonic() + 20
    while any(_alive(p) for p in workers | others) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in workers | others if _alive(p)], f"processes outlived the killed {what}"


def test_workers_die_when_their_parent_is_killed(tmp_path: Path) -> None:
    (tmp_path / "slowtask.py").write_text("import time\n\ndef nap(p):\n"
                                          "    time.sleep(p['s'])\n    return p['s']\n")
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        from slowtask import nap
        from photonic_dfa.base.tasks import run_tasks
        run_tasks(nap, [{{"s": 600 + i}} for i in range(2)], {str(tmp_path / 'cache')!r},
                  max_workers=2, progress=False)
    """)
    parent = subprocess.Popen([sys.executable, "-c", script])
    _kill_once_workers_run(parent, 60, "run")


@pytest.fixture
def server() -> Iterator[tuple[str, list[bytes]]]:
    """A plain TCP server of the test's own on 127.0.0.1; it sends what the list holds."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(4)
    say: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        sock.settimeout(0.2)
        conns = []
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            conns.append(conn)
            for chunk in say:
                conn.sendall(chunk)
        for c in conns:
            c.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield f"tcp://127.0.0.1:{sock.getsockname()[1]}", say
    stop.set()
    t.join()
    sock.close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_closed_port_is_refused_at_once_with_its_address() -> None:
    addr = f"tcp://127.0.0.1:{_closed_port()}"
    with pytest.raises(SchedulerError, match=rf"{addr}: cannot connect"):
        check_scheduler(addr)


def test_a_silent_server_is_no_scheduler(server: tuple[str, list[bytes]]) -> None:
    addr, _ = server
    with pytest.raises(SchedulerError, match=rf"{addr}: .*no Dask handshake within 0.5 s"):
        check_scheduler(addr, timeout=0.5)


@pytest.mark.parametrize("greeting", [b"HTTP/1.1 400 Bad Request\r\n\r\n",
                                      b"\xff" * 8 + b"garbage", b"\x10" + b"\x00" * 7 + b"x" * 16])
def test_a_foreign_server_is_no_scheduler(server: tuple[str, list[bytes]],
                                          greeting: bytes) -> None:
    addr, say = server
    say.append(greeting)
    with pytest.raises(SchedulerError, match=rf"{addr}: .*(not a Dask scheduler|without a Dask)"):
        check_scheduler(addr, timeout=2.0)


@pytest.mark.parametrize("bad", ["127.0.0.1:8786", "udp://127.0.0.1:1", "tcp://127.0.0.1",
                                 "tcp://:8786", "tcp://127.0.0.1:99999", 8786])
def test_malformed_addresses(bad: object) -> None:
    with pytest.raises(SchedulerError, match="scheduler"):
        parse_address(bad)  # type: ignore[arg-type]


def test_run_tasks_reports_a_bad_scheduler_before_any_work(
        server: tuple[str, list[bytes]], tmp_path: Path) -> None:
    addr, _ = server
    t0 = time.monotonic()
    with pytest.raises(SchedulerError, match=addr):
        run_tasks(os.path.join, [{"a": 1}], tmp_path, scheduler=addr, progress=False)
    assert time.monotonic() - t0 < 15  # the bound: fail within 15 s, not hang


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process table from /proc")
def test_killed_scaling_grid_leaves_no_process_behind(tmp_path: Path) -> None:
    """``kill -9`` of ``photonic-dfa scaling`` while its workers train: none survives, and a
    second run on the same output is not refused (the dead run's lock is stale)."""
    import random

    rng = random.Random(0)
    (tmp_path / "text.txt").write_text(
        "".join(rng.choice("abcdefgh \n") for _ in range(200_000)))
    argv = [sys.executable, "-m", "photonic_dfa.cli", "scaling", "--preset", "smoke",
            "--methods", "bp,dfa", "--sizes", "1x16", "--tokens", "1e9", "--workers", "2",
            "--text", str(tmp_path / "text.txt"), "--out", str(tmp_path / "out"),
            "--no-progress"]
    parent = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _kill_once_workers_run(parent, 90, "grid")
    from photonic_dfa.base.lock import output_lock

    with output_lock(tmp_path / "out", "second run"):  # the dead run's lock is stale
        pass
