"""Shared app plumbing: run folders and atomic writes (JSON, text, any file a writer makes)."""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["atomic_path", "make_run_dir", "write_json_atomic", "write_text_atomic"]


def make_run_dir(app: str, root: str | os.PathLike[str] = "runs") -> Path:
    """``runs/<app>/<timestamp>/`` (a suffix keeps two runs in the same second apart)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = Path(root) / app
    for i in range(1000):
        path = base / (stamp if i == 0 else f"{stamp}-{i}")
        try:
            path.mkdir(parents=True, exist_ok=False)
            return path
        except FileExistsError:
            continue
    raise RuntimeError(f"could not create a fresh run folder under {base}")


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; moved onto ``path`` when the block succeeds.

    For writers that want a file name (``fig.savefig(tmp, format="png")``): readers see the old
    file or the whole new one, never a half-written one; on an error the temporary file goes.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would make the result private
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` via a temporary file and ``os.replace`` (never a half-written file)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_json_atomic(path: str | os.PathLike[str], obj: Any) -> None:
    """Write ``obj`` as JSON via a temporary file and ``os.replace`` (never a half-written file)."""
    write_text_atomic(path, json.dumps(obj, indent=2, sort_keys=True) + "\n")
