"""The cells of a claim's grid, their commands and their resume state.

A cell is one (row, column, seed) and lives in ``RUN/<row>/<column>/seed_<k>/``, the app's own
run folder (``--run_dir``). Its command, later arguments winning::

    python -m <module> *scale.args *scale.row_args[row] *row.args *column.args
                       *scale.column_args[column] *extra <seed_flag> k
                       --run_dir RUN/<row>/<column>/seed_<k>

(``extra``: what the user put after ``--``, e.g. ``--data.root DIR``),

so any cell can be re-run on its own from the printed line (``--print_commands``). State on re-run:

- ``done``: ``summary.json`` exists; skipped.
- ``resumable``: ``config.yaml`` and either ``checkpoints/last.ckpt`` (Lightning apps) or a
  finished part in ``parts/*.json`` (``apps.receptive_field``) but no summary; continued by the
  app's own ``python -m <module> --resume CELL_DIR`` (the saved config carries the arguments).
- ``fresh``: anything else; the folder is wiped and the cell started over.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from .claims import Claim, Scale

__all__ = ["DONE", "FRESH", "RESUMABLE", "Cell", "cell_command", "cell_state", "cells", "plan"]

State = Literal["done", "resumable", "fresh"]
DONE: Final = "done"
RESUMABLE: Final = "resumable"
FRESH: Final = "fresh"


@dataclass(frozen=True)
class Cell:
    row: str
    column: str
    seed: int
    run_dir: Path

    @property
    def name(self) -> str:
        return f"{self.row}/{self.column}/seed_{self.seed}"


def cells(claim: Claim, seeds: int, out: Path) -> list[Cell]:
    """Row-major, seeds innermost (so a cell's seeds finish together)."""
    out = Path(out).resolve()
    return [
        Cell(r, c, k, out / r / c / f"seed_{k}")
        for r in claim.rows
        for c in claim.columns
        for k in range(seeds)
    ]


def cell_command(claim: Claim, scale: Scale, cell: Cell, extra: Sequence[str] = ()) -> list[str]:
    """The cell's fresh command (see the module docstring for the order)."""
    return [
        sys.executable,
        "-m",
        claim.module,
        *scale.args,
        *scale.row_args.get(cell.row, ()),
        *claim.rows[cell.row].args,
        *claim.columns[cell.column].args,
        *scale.column_args.get(cell.column, ()),
        *extra,
        claim.seed_flag,
        str(cell.seed),
        "--run_dir",
        str(cell.run_dir),
    ]


def resume_command(claim: Claim, cell: Cell) -> list[str]:
    return [sys.executable, "-m", claim.module, "--resume", str(cell.run_dir)]


def cell_state(run_dir: Path) -> State:
    """``done``, ``resumable`` or ``fresh`` (see the module docstring)."""
    if (run_dir / "summary.json").is_file():
        return DONE
    progress = (run_dir / "checkpoints" / "last.ckpt").is_file() or any(
        (run_dir / "parts").glob("*.json")
    )
    if (run_dir / "config.yaml").is_file() and progress:
        return RESUMABLE
    return FRESH


def plan(
    claim: Claim, scale: Scale, cell: Cell, extra: Sequence[str] = (), wipe: bool = True
) -> list[str] | None:
    """The command that finishes ``cell`` (None when done); a fresh cell's folder is wiped."""
    state = cell_state(cell.run_dir)
    if state == DONE:
        return None
    if state == RESUMABLE:
        return resume_command(claim, cell)
    if wipe and cell.run_dir.exists():
        shutil.rmtree(cell.run_dir)
    return cell_command(claim, scale, cell, extra)
