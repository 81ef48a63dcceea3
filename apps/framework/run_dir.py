"""Where a run writes: one folder per run, agreed on by every rank, written by rank 0 only."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jsonargparse import ArgumentParser

__all__ = [
    "add_run_dir_arguments",
    "env_rank",
    "env_world_size",
    "is_rank_zero",
    "make_run_dir",
    "resolve_run_dir",
]


def add_run_dir_arguments(parser: ArgumentParser) -> None:
    """``--out ROOT`` and ``--run_dir DIR``, the two flags that say where a run writes."""
    parser.add_argument("--out", type=str, default="runs", help="root of the run folders")
    parser.add_argument(
        "--run_dir",
        type=str | None,
        default=None,
        help="write this run into exactly DIR (created; refused if it holds a summary.json)",
    )


def make_run_dir(app: str, root: str | os.PathLike[str] = "runs") -> Path:
    """A fresh ``<root>/<app>/<timestamp>/`` (a suffix keeps two runs in the same second apart)."""
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


def env_world_size() -> int:
    """``WORLD_SIZE`` as set by torchrun (1 outside it); known before the process group exists."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def env_rank() -> int:
    """``RANK`` as set by torchrun (0 outside it)."""
    return int(os.environ.get("RANK", "0"))


def is_rank_zero() -> bool:
    """Whether this process is rank 0 (the one that writes)."""
    return env_rank() == 0


def resolve_run_dir(
    app: str,
    out: str,
    resume: str | None,
    sub: str | None = None,
    run_dir: str | None = None,
) -> Path:
    """The run folder: ``resume``, else exactly ``run_dir``, else a fresh ``out/<app>/<timestamp>``.

    ``run_dir`` (``--run_dir DIR``: a caller such as ``apps.reproduce`` names the folder) is
    created when missing and refused when it already holds a ``summary.json`` (a finished run is
    never overwritten; ``--resume DIR`` continues an unfinished one).

    Under torchrun every rank must name the same folder before any process group exists, so the
    name is the launch's rendezvous id (``out/<app>/torchrun-<TORCHELASTIC_RUN_ID>``, one per
    launch with ``--standalone``); only rank 0 creates it. ``sub`` (``seed_<k>``) is a child.
    """
    if resume is not None:
        path = Path(resume)
    elif run_dir is not None:
        path = Path(run_dir)
        if (path / "summary.json").exists():
            raise ValueError(
                f"--run_dir {run_dir} already holds a finished run (summary.json); "
                "choose another folder or --resume it"
            )
        if is_rank_zero():
            path.mkdir(parents=True, exist_ok=True)
    elif env_world_size() > 1:
        run_id = os.environ.get("TORCHELASTIC_RUN_ID", "")
        if not run_id:
            raise RuntimeError("WORLD_SIZE > 1 without TORCHELASTIC_RUN_ID: launch with torchrun")
        path = Path(out) / app / f"torchrun-{run_id}"
        if is_rank_zero():
            path.mkdir(parents=True, exist_ok=True)
    else:
        path = make_run_dir(app, out)
    if sub is not None:
        path = path / sub
        if is_rank_zero():
            path.mkdir(parents=True, exist_ok=True)
    return path
