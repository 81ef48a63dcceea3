"""Atomic writes: readers see the old file or the whole new one, never a half-written one.

Every file an app writes for others to read (``summary.json``, ``parts/*.json``, figures,
checkpoints, a reproduction's ``results.csv``/``table.md``) goes through :func:`atomic_path`: a
fresh temporary file beside the target (``tempfile.mkstemp``, so two writers never share one),
moved onto the target with ``os.replace`` when the writer succeeds and removed when it fails.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["atomic_path", "write_json_atomic", "write_text_atomic"]


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; moved onto ``path`` when the block succeeds.

    For writers that want a file name (``fig.savefig(tmp, format="png")``, ``torch.save``): the
    temporary name ends in ``.tmp``, so a writer that infers the format from the suffix must be
    told it. The parent folder must exist. On an error the temporary file goes and ``path`` is
    left as it was.
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
    """Write ``text`` to ``path`` atomically (see :func:`atomic_path`)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_json_atomic(path: str | os.PathLike[str], obj: Any) -> None:
    """Write ``obj`` as indented, key-sorted JSON to ``path`` atomically."""
    write_text_atomic(path, json.dumps(obj, indent=2, sort_keys=True) + "\n")
