"""Atomic, checksummed file writing: results and checkpoints are never half-written."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "sha256_file",
    "atomic_write",
    "remove_stale_temporaries",
    "write_json",
    "save_npz_checked",
    "load_npz_checked",
    "CorruptFileError",
]


def sha256_file(path: str | os.PathLike) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class CorruptFileError(ValueError):
    """A file exists but is truncated, corrupt or of the wrong version."""


def _umask() -> int:
    """The process umask, read without changing it (``os.umask`` would, for every thread)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def atomic_write(path: str | os.PathLike[str],
                 write: Callable[[io.BufferedWriter], object]) -> Path:
    """Call ``write(fh)`` on a temporary file beside ``path``, fsync, then rename onto ``path``.

    The temporary file is named ``.<name>.<pid>-<random>.tmp`` so that one left by a killed
    process is recognised (:func:`remove_stale_temporaries`); the result gets the usual
    permissions (``0666`` less the umask), not the temporary file's private ``0600``.
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path} is a directory, expected a file path")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}-", suffix=".tmp",
                               dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_TEMPORARY = re.compile(r"^\..+\.(\d+)-[^.]+\.tmp$")


def remove_stale_temporaries(directory: str | os.PathLike) -> list[Path]:
    """Delete the temporary files :func:`atomic_write` left in ``directory`` (and below) when
    its process was killed mid-write: those whose writer's PID is no longer running."""
    removed = []
    root = Path(directory)
    if not root.is_dir():
        return removed
    for tmp in root.rglob(".*.tmp"):
        m = _TEMPORARY.match(tmp.name)
        if m and int(m.group(1)) != os.getpid() and not _alive(int(m.group(1))):
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


def write_json(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` as indented JSON, atomically."""
    data = (json.dumps(obj, indent=2, sort_keys=True, default=_json_default) + "\n").encode()
    return atomic_write(path, lambda fh: fh.write(data))


def _json_default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def _digest(arrays: dict[str, np.ndarray], meta: str) -> str:
    h = hashlib.sha256(meta.encode())
    for k in sorted(arrays):
        a = np.ascontiguousarray(arrays[k])
        h.update(k.encode())
        h.update(str(a.dtype).encode())
        h.update(str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def save_npz_checked(
    path: str | os.PathLike,
    arrays: dict[str, np.ndarray],
    meta: dict[str, Any],
    kind: str,
    version: int,
) -> Path:
    """Save arrays plus JSON metadata in one ``.npz`` with a sha256 over everything, atomically.

    ``kind`` and ``version`` are checked on load, so a checkpoint is never read as a
    calibration or an old format as a new one.
    """
    header = json.dumps(
        {"kind": kind, "version": version, "meta": meta}, sort_keys=True, default=_json_default
    )
    arrays = {k: np.asarray(v) for k, v in arrays.items()}
    digest = _digest(arrays, header)
    payload = dict(arrays)
    payload["__header__"] = np.frombuffer(header.encode(), dtype=np.uint8)
    payload["__sha256__"] = np.frombuffer(digest.encode(), dtype=np.uint8)

    def write(fh: io.BufferedWriter) -> None:
        np.savez_compressed(fh, **payload)

    return atomic_write(path, write)


def load_npz_checked(
    path: str | os.PathLike, kind: str, version: int
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Load what :func:`save_npz_checked` wrote; raise :class:`CorruptFileError` on any damage."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except Exception as exc:  # zipfile.BadZipFile, EOFError, zlib.error, ValueError, ...
        raise CorruptFileError(
            f"{path}: unreadable or truncated ({type(exc).__name__}: {exc})"
        ) from None
    if "__header__" not in arrays or "__sha256__" not in arrays:
        raise CorruptFileError(f"{path}: not a photonic-dfa {kind} file (no header/checksum)")
    header_s = arrays.pop("__header__").tobytes().decode(errors="replace")
    digest = arrays.pop("__sha256__").tobytes().decode(errors="replace")
    if _digest(arrays, header_s) != digest:
        raise CorruptFileError(f"{path}: checksum mismatch, the file is corrupt")
    header = json.loads(header_s)
    if header.get("kind") != kind:
        raise CorruptFileError(f"{path}: holds a {header.get('kind')!r}, expected {kind!r}")
    if header.get("version") != version:
        raise CorruptFileError(
            f"{path}: format version {header.get('version')} is not the supported {version}"
        )
    return arrays, header["meta"]
