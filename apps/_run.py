"""Shared app plumbing: run folders and atomic JSON writes."""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["make_run_dir", "write_json_atomic"]


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


def write_json_atomic(path: str | os.PathLike[str], obj: Any) -> None:
    """Write ``obj`` as JSON via a temporary file and ``os.replace`` (never a half-written file)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(obj, f, indent=2, sort_keys=True)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
