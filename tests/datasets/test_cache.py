"""The datasets cache: where it lives, what keys it, and that a bad entry is rebuilt, not fatal."""

import hashlib
import logging
import os
from pathlib import Path

import numpy as np
import pytest

from longrange_datasets.cache import (
    CACHE_ENV,
    cached_arrays,
    clear_cache,
    content_fingerprint,
    entry_path,
    make_key,
    resolve_cache_dir,
    stat_fingerprint,
)


def test_directory_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert resolve_cache_dir() == tmp_path / "home" / ".cache" / "longrange"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")  # the XDG spec ignores these
    assert resolve_cache_dir() == tmp_path / "home" / ".cache" / "longrange"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert resolve_cache_dir() == tmp_path / "xdg" / "longrange"
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "env"))
    assert resolve_cache_dir() == tmp_path / "env"
    assert resolve_cache_dir(tmp_path / "arg") == tmp_path / "arg"
    assert resolve_cache_dir("~/c") == tmp_path / "home" / "c"


class Builder:
    def __init__(self, value: float) -> None:
        self.value, self.calls = value, 0

    def __call__(self) -> dict[str, np.ndarray]:
        self.calls += 1
        return {"x": np.full((2, 3), self.value), "ids": np.arange(2)}


def test_entry_is_reused_while_the_key_holds_and_rebuilt_when_it_changes(private_cache):
    build = Builder(1.0)
    first = cached_arrays("demo", ["a", 1], "key-1", ("x", "ids"), build)
    again = cached_arrays("demo", ["a", 1], "key-1", ("x", "ids"), Builder(9.0))
    assert build.calls == 1
    np.testing.assert_array_equal(again["x"], np.ones((2, 3)))  # served from the entry
    np.testing.assert_array_equal(first["ids"], again["ids"])
    path = entry_path("demo", ["a", 1])
    assert path.parent == private_cache / "demo"
    assert path.is_file()
    changed = cached_arrays("demo", ["a", 1], "key-2", ("x", "ids"), Builder(2.0))
    np.testing.assert_array_equal(changed["x"], np.full((2, 3), 2.0))
    with np.load(path) as stored:  # the rebuilt entry replaced the stale one, key included
        assert str(stored["__cache_key__"]) == "key-2"
        np.testing.assert_array_equal(stored["x"], np.full((2, 3), 2.0))
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no temporary left


@pytest.mark.parametrize("damage", ["truncate", "garbage", "missing_array"])
def test_a_damaged_entry_is_rebuilt(private_cache, damage):
    cached_arrays("demo", "id", "k", ("x", "ids"), Builder(1.0))
    path = entry_path("demo", "id")
    if damage == "truncate":
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        path.write_bytes(b"not a zip file")
    else:
        np.savez(path, __cache_key__=np.array("k"), x=np.zeros((2, 3)))  # no "ids"
    build = Builder(3.0)
    out = cached_arrays("demo", "id", "k", ("x", "ids"), build)
    assert build.calls == 1
    np.testing.assert_array_equal(out["x"], np.full((2, 3), 3.0))
    with np.load(path) as stored:
        np.testing.assert_array_equal(stored["ids"], np.arange(2))


def test_an_unwritable_cache_directory_is_not_fatal(tmp_path, caplog):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    with caplog.at_level(logging.WARNING, logger="longrange_datasets.cache"):
        out = cached_arrays("demo", "id", "k", ("x", "ids"), Builder(1.0), cache_dir=blocker / "c")
    np.testing.assert_array_equal(out["x"], np.ones((2, 3)))
    assert "could not write the cache entry" in caplog.text


def test_data_changed_while_read_is_not_stored(private_cache):
    cached_arrays("demo", "id", "k", ("x", "ids"), Builder(1.0), still_valid=lambda: False)
    assert not entry_path("demo", "id").exists()
    with pytest.raises(ValueError, match=r"missing \['ids'\]"):
        cached_arrays("demo", "id", "k", ("x", "ids"), lambda: {"x": np.zeros(1)})


def test_stat_fingerprint_sees_rewrites_touches_and_replacements(tmp_path):
    a, b = tmp_path / "a.dat", tmp_path / "b.dat"
    a.write_bytes(b"0123")
    b.write_bytes(b"4567")
    os.utime(a, ns=(10**18, 10**18))
    base = stat_fingerprint([a, b])
    assert stat_fingerprint([a, b]) == base
    assert stat_fingerprint([b, a]) != base  # the order of the files is part of the key
    os.utime(a, ns=(10**18, 10**18 + 1))  # one nanosecond later, same bytes
    assert stat_fingerprint([a, b]) != base
    touched = stat_fingerprint([a, b])
    a.write_bytes(b"01234")  # another size
    assert stat_fingerprint([a, b]) != touched
    sized = stat_fingerprint([a, b])
    replacement = tmp_path / "new"
    replacement.write_bytes(b"01234")
    st = a.stat()
    os.utime(replacement, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(replacement, a)  # same size and mtime, another inode
    assert stat_fingerprint([a, b]) != sized
    a.unlink()
    assert stat_fingerprint([a, b]) != stat_fingerprint([b])  # missing files count


def test_content_fingerprint_follows_bytes_only(tmp_path):
    a = tmp_path / "a.dat"
    payload = np.random.default_rng(0).bytes(3 * 1024 + 5)
    a.write_bytes(payload)
    base = content_fingerprint([a], chunk=1024)  # several chunks
    assert content_fingerprint([a]) == base  # chunking does not matter
    os.utime(a, ns=(1, 1))
    assert content_fingerprint([a]) == base  # touching does not matter
    a.write_bytes(payload[:-1] + bytes([payload[-1] ^ 1]))
    assert content_fingerprint([a]) != base
    # against hashlib directly: path, NUL, bytes, newline
    expected = hashlib.blake2b(digest_size=16)
    for part in (f"{a}\0".encode(), a.read_bytes(), b"\n"):
        expected.update(part)
    assert content_fingerprint([a]) == expected.hexdigest()


def test_keys_and_namespaces():
    assert make_key(1, {"b": 2, "a": [1, 2]}) == make_key(1, {"a": [1, 2], "b": 2})
    assert make_key(1, {"a": 1}) != make_key(2, {"a": 1})
    assert make_key(Path("/x")) == make_key("/x")
    for bad in ("", "a/b", ".hidden"):
        with pytest.raises(ValueError, match="namespace should be a plain folder name"):
            entry_path(bad, "id")


def test_clear_cache(private_cache):
    cached_arrays("one", "a", "k", ("x", "ids"), Builder(1.0))
    cached_arrays("one", "b", "k", ("x", "ids"), Builder(1.0))
    cached_arrays("two", "a", "k", ("x", "ids"), Builder(1.0))
    (private_cache / "keep.txt").write_text("not an entry")
    (private_cache / "one" / "mine.npz").write_bytes(b"a user's file, not an entry")
    stale = entry_path("one", "c")
    (stale.parent / f".{stale.name}.abc123.tmp").write_bytes(b"half-written")
    assert clear_cache("one") == 3  # two entries and the temporary file
    assert [p.name for p in (private_cache / "one").iterdir()] == ["mine.npz"]
    assert clear_cache() == 1
    assert not (private_cache / "two").exists()  # emptied namespaces go
    assert clear_cache() == 0
    assert (private_cache / "keep.txt").is_file()
