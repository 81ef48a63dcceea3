"""Running an app as its user does: ``python -m <module> ARGS`` in a child process, from the
repository root, on one intra-op thread (the test machine is small and often busy: two
processes each with a full thread pool run about 10x slower)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

__all__ = ["ROOT", "app_env", "run_app"]

ROOT = Path(__file__).resolve().parents[1]


def app_env(tmp: Path | None = None) -> dict[str, str]:
    """The child's environment: one thread, warnings off, matplotlib's cache under ``tmp/mpl``."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    if tmp is not None:
        env["MPLCONFIGDIR"] = str(Path(tmp) / "mpl")
    return env


def run_app(
    module: str, *args: str, tmp: Path | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """``python -m module *args`` to completion; stdout and stderr captured as text."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=app_env(tmp),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
