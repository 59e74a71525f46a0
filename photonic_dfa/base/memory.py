"""Memory estimates checked before work starts: a size the machine cannot hold is refused
with the estimate, instead of a ``MemoryError`` (or the OOM killer) half-way through a run."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["available_memory", "check_memory", "format_bytes"]


def available_memory() -> int:
    """Bytes this process may still allocate: ``MemAvailable`` of ``/proc/meminfo`` (or the
    cgroup limit, whichever is smaller); 8 GiB where neither can be read."""
    found: list[int] = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                found.append(int(line.split()[1]) * 1024)
                break
    except (OSError, ValueError, IndexError):
        pass
    for limit in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(limit).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 1 << 60:
            found.append(int(text))
    return min(found) if found else 8 << 30


def format_bytes(n: float) -> str:
    """``1536 -> '1.5 KiB'``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} PiB"  # pragma: no cover


def check_memory(what: str, nbytes: float, hint: str = "") -> None:
    """Raise ``ValueError`` if ``what`` needs more than the available memory: the message
    gives the estimate, what is available and ``hint`` (what to reduce).
    ``PHOTONIC_DFA_MEMORY`` (bytes) overrides the available amount (tests, shared hosts)."""
    env = os.environ.get("PHOTONIC_DFA_MEMORY")
    available = int(float(env)) if env else available_memory()
    if nbytes > available:
        raise ValueError(f"{what} needs about {format_bytes(nbytes)} of memory, more than the "
                         f"{format_bytes(available)} available" + (f"; {hint}" if hint else ""))
