"""Errors raised for missing or corrupt data files: they name the path and what was expected."""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "CorruptDataError",
    "HeaderMismatchError",
    "MissingDataError",
    "load_npz",
    "save_npz_atomic",
]


class MissingDataError(FileNotFoundError):
    """A data file or folder is not where it should be."""

    def __init__(self, path: str | os.PathLike[str], expected: str) -> None:
        self.path = Path(path)
        super().__init__(f"{self.path}: not found; expected {expected}")


class CorruptDataError(ValueError):
    """A data file exists but cannot be read as what it should be."""

    def __init__(self, path: str | os.PathLike[str], expected: str, cause: str = "") -> None:
        self.path = Path(path)
        why = f" ({cause})" if cause else ""
        super().__init__(f"{self.path}: cannot be read as {expected}{why}")


class HeaderMismatchError(CorruptDataError):
    """A record's header disagrees with what the loader needs: names the record, the field, what
    was expected and what was found (also as attributes ``record``, ``field``, ``expected``,
    ``found``)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        record: str,
        field: str,
        expected: object,
        found: object,
    ) -> None:
        self.record, self.field, self.expected, self.found = record, field, expected, found
        super().__init__(
            path, f"record {record}", f"header field {field!r}: expected {expected}, found {found}"
        )


def save_npz_atomic(path: str | os.PathLike[str], **arrays: np.ndarray) -> Path:
    """``np.savez_compressed`` to a temporary file, then ``os.replace``: never half-written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, **arrays)  # type: ignore[arg-type]  # numpy stubs type **kwds as bool (allow_pickle)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_npz(path: str | os.PathLike[str], keys: tuple[str, ...], expected: str) -> dict[str, Any]:
    """Load ``keys`` from an ``.npz``; a missing or unreadable file raises with the path named."""
    path = Path(path)
    if not path.is_file():
        raise MissingDataError(path, expected)
    try:
        with open(path, "rb") as f, np.load(f, allow_pickle=False) as data:
            missing = [k for k in keys if k not in data.files]
            if missing:
                raise CorruptDataError(path, expected, f"missing arrays {missing}")
            return {k: data[k] for k in keys}
    except CorruptDataError:
        raise
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as err:
        raise CorruptDataError(path, expected, f"{type(err).__name__}: {err}") from err
