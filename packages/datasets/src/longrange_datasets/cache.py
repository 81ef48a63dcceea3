"""The one cache of the datasets package: where entries live, what keys them, how they are written.

An entry is one ``.npz`` file ``<cache dir>/<namespace>/<identity digest>.npz``. Its *identity*
says which data it holds (e.g. "PTB-XL at 100 Hz from this folder"); its *key*, stored inside the
file, says from what it was built (a loader's format version, its arguments, fingerprints of every
file it read). A key mismatch, a missing array or an unreadable file means the entry is rebuilt
and replaced; nothing stale is ever returned and a broken entry is never fatal. Writes go to a
temporary file in the same folder and are moved into place with ``os.replace``.

The cache directory is, in order: the ``cache_dir`` argument, the ``LONGRANGE_CACHE``
environment variable, ``$XDG_CACHE_HOME/longrange``, ``~/.cache/longrange``. It is never inside
a data folder unless one of those points there, so read-only data folders load fine.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from .errors import CorruptDataError, load_npz, save_npz_atomic

__all__ = [
    "CACHE_ENV",
    "FINGERPRINTS",
    "cached_arrays",
    "clear_cache",
    "content_fingerprint",
    "entry_path",
    "make_key",
    "resolve_cache_dir",
    "stat_fingerprint",
]

CACHE_ENV = "LONGRANGE_CACHE"
_KEY = "__cache_key__"
_ENTRY_NAME = re.compile(r"\.?[0-9a-f]{32}\.npz(\.[^/]*\.tmp)?")
_log = logging.getLogger(__name__)


def resolve_cache_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """The cache directory: ``path`` if given, else ``$LONGRANGE_CACHE``, else
    ``$XDG_CACHE_HOME/longrange``, else ``~/.cache/longrange`` (``~`` expanded; not created)."""
    if path is not None:
        return Path(path).expanduser()
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and Path(xdg).is_absolute():  # the XDG spec ignores relative values
        return Path(xdg) / "longrange"
    return Path.home() / ".cache" / "longrange"


def stat_fingerprint(paths: Iterable[str | os.PathLike[str]]) -> str:
    """Digest of every file's path, size, modification time, change time and inode (one ``stat``
    each; a missing file counts as ``missing``). Any rewrite, ``touch``, copy or replacement of a
    file changes it; the content is not read."""
    h = hashlib.blake2b(digest_size=16)
    for p in paths:
        try:
            st = os.stat(p)
            h.update(
                f"{p}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}\0{st.st_ino}\n".encode()
            )
        except FileNotFoundError:
            h.update(f"{p}\0missing\n".encode())
    return h.hexdigest()


def content_fingerprint(paths: Iterable[str | os.PathLike[str]], chunk: int = 1 << 20) -> str:
    """Digest (BLAKE2b) of every file's path and bytes: exact, but reads all the data."""
    h = hashlib.blake2b(digest_size=16)
    buf = bytearray(chunk)
    view = memoryview(buf)
    for p in paths:
        h.update(f"{p}\0".encode())
        try:
            with open(p, "rb", buffering=0) as f:
                while n := f.readinto(buf):
                    h.update(view[:n])
        except FileNotFoundError:
            h.update(b"missing")
        h.update(b"\n")
    return h.hexdigest()


FINGERPRINTS: dict[str, Callable[[Iterable[str | os.PathLike[str]]], str]] = {
    "stat": stat_fingerprint,
    "content": content_fingerprint,
}


def make_key(*parts: object) -> str:
    """Digest of JSON-serialisable ``parts`` (non-JSON values by ``str``), e.g. a format version,
    arguments and file fingerprints."""
    text = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def entry_path(
    namespace: str, identity: object, cache_dir: str | os.PathLike[str] | None = None
) -> Path:
    """Where the entry of ``identity`` (JSON-serialisable) in ``namespace`` lives."""
    if not namespace or "/" in namespace or namespace.startswith("."):
        raise ValueError(f"namespace should be a plain folder name, got {namespace!r}")
    return resolve_cache_dir(cache_dir) / namespace / f"{make_key(identity)}.npz"


def _read(path: Path, key: str, names: Sequence[str]) -> dict[str, np.ndarray] | None:
    if not path.is_file():
        return None
    try:
        data = load_npz(path, (_KEY, *names), "a longrange cache entry")
    except CorruptDataError as err:
        _log.info("rebuilding cache entry: %s", err)
        return None
    if str(data.pop(_KEY)) != key:
        _log.info("rebuilding cache entry %s: its data changed (key mismatch)", path)
        return None
    return data


def cached_arrays(
    namespace: str,
    identity: object,
    key: str,
    names: Sequence[str],
    build: Callable[[], dict[str, np.ndarray]],
    cache_dir: str | os.PathLike[str] | None = None,
    still_valid: Callable[[], bool] | None = None,
) -> dict[str, np.ndarray]:
    """The arrays ``names`` of an entry, from the cache when its key equals ``key``, else from
    ``build()`` (then stored).

    Args:
        namespace: a folder per loader, e.g. ``"ptbxl"``.
        identity: what the entry holds (JSON-serialisable), e.g. ``[root, sampling_rate]``.
        key: what the entry was built from (see ``make_key``).
        names: the arrays ``build`` returns (all are stored and checked on reading).
        build: computes the arrays when the entry is missing, stale or corrupt.
        cache_dir: the cache directory (see
            [`resolve_cache_dir`][longrange_datasets.resolve_cache_dir]).
        still_valid: called after ``build``; ``False`` (the inputs changed while being read) skips
            storing, so an entry never pairs a key with data read from other files.

    A cache directory that cannot be written is logged (``logging``) and skipped, not fatal.
    """
    path = entry_path(namespace, identity, cache_dir)
    data = _read(path, key, names)
    if data is not None:
        return data
    data = build()
    missing = [n for n in names if n not in data]
    if missing:
        raise ValueError(f"build should return the arrays {list(names)}, missing {missing}")
    if still_valid is not None and not still_valid():
        _log.info("not caching %s: its inputs changed while being read", path)
        return data
    try:
        save_npz_atomic(path, **{_KEY: np.array(key)}, **{n: data[n] for n in names})
    except OSError as err:
        _log.warning("could not write the cache entry %s (%s); continuing without", path, err)
    return data


def clear_cache(
    namespace: str | None = None, cache_dir: str | os.PathLike[str] | None = None
) -> int:
    """Delete the entries of ``namespace`` (or of every namespace); returns how many files went.

    Only files named as entries are (``<32 hex digits>.npz`` and their temporary files), so a
    cache directory pointed at a folder holding other things loses nothing else; emptied
    namespace folders are removed."""
    root = resolve_cache_dir(cache_dir)
    folders = [root / namespace] if namespace else [p for p in root.glob("*") if p.is_dir()]
    removed = 0
    for folder in folders:
        if not folder.is_dir():
            continue
        for f in folder.iterdir():
            if f.is_file() and _ENTRY_NAME.fullmatch(f.name):
                f.unlink()
                removed += 1
        if not any(folder.iterdir()):
            folder.rmdir()
    return removed
