"""Connect to a Dask scheduler quickly or say why not.

``distributed.Client(address)`` waits its whole connect timeout on a closed port, hangs on a
server that never speaks, and may try to allocate whatever length a foreign server's first
bytes spell. Before handing the address to Dask, :func:`check_scheduler` opens the TCP
connection itself (with a timeout) and reads the handshake a Dask scheduler sends as soon as
a client connects: an 8-byte little-endian length, then msgpack frames naming
``compression``, ``python`` and ``pickle-protocol``. Anything else is refused with the
address and the cause.
"""

from __future__ import annotations

import socket
import struct
import time
from urllib.parse import urlsplit

__all__ = ["SchedulerError", "check_scheduler", "parse_address"]

#: a Dask handshake is a few dozen bytes; more than this cannot be one
_MAX_HANDSHAKE = 1 << 16


class SchedulerError(ValueError):
    """The scheduler address is malformed, unreachable or not a Dask scheduler."""


def parse_address(address: str) -> tuple[str, int]:
    """``tcp://HOST:PORT`` -> ``(host, port)``; a ``SchedulerError`` names what is wrong."""
    if not isinstance(address, str) or "://" not in address:
        raise SchedulerError(f"scheduler must be an address tcp://HOST:PORT, got {address!r}")
    parts = urlsplit(address)
    if parts.scheme != "tcp":
        raise SchedulerError(f"scheduler {address!r}: only tcp:// addresses are supported")
    try:
        port = parts.port
    except ValueError:
        port = None
    if not parts.hostname or port is None or not 0 < port < 65536:
        raise SchedulerError(f"scheduler {address!r}: expected tcp://HOST:PORT with a port in "
                             "[1, 65535]")
    return parts.hostname, port


def _read(sock: socket.socket, n: int, deadline: float) -> bytes:
    data = b""
    while len(data) < n:
        sock.settimeout(max(deadline - time.monotonic(), 1e-3))
        chunk = sock.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def check_scheduler(address: str, timeout: float = 5.0) -> None:
    """Raise :class:`SchedulerError` unless a Dask scheduler answers at ``address`` within
    ``timeout`` seconds (connect plus handshake)."""
    host, port = parse_address(address)
    deadline = time.monotonic() + timeout
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            try:
                prelude = _read(sock, 8, deadline)
                if len(prelude) < 8:
                    raise SchedulerError(f"scheduler {address}: the server closed the "
                                         "connection without a Dask handshake")
                (total,) = struct.unpack("<Q", prelude)
                if not 0 < total <= _MAX_HANDSHAKE:
                    raise SchedulerError(f"scheduler {address}: the server is not a Dask "
                                         f"scheduler (its first bytes {prelude!r} are no "
                                         "Dask handshake)")
                body = _read(sock, total, deadline)
            except TimeoutError:
                raise SchedulerError(f"scheduler {address}: the server accepted the connection "
                                     f"but sent no Dask handshake within {timeout:g} s (is "
                                     "it a Dask scheduler?)") from None
    except SchedulerError:
        raise
    except TimeoutError:
        raise SchedulerError(f"scheduler {address}: no answer within {timeout:g} s") from None
    except OSError as exc:
        raise SchedulerError(f"scheduler {address}: cannot connect ({exc.strerror or exc})"
                             ) from None
    if b"pickle-protocol" not in body or b"compression" not in body:
        raise SchedulerError(f"scheduler {address}: the server is not a Dask scheduler (its "
                             "handshake lacks Dask's fields)")
