"""``python -m apps.sequence_classification.memory_compare``: the complex-memory claim, with the
loss curves of Fig. 1 of Wolter & Yao, complex gated memory cells (draft).

An alias of ``python -m apps.reproduce complex-memory`` (the claim file
``apps/reproduce/claims/complex-memory.yaml``: the complex gated cell, URNN, LSTM and GRU at one
parameter budget on the copy task at two delays and the adding problem, every cell × seed one run
of this app): every argument goes to the claim runner unchanged (``--scale``, ``--seeds``,
``--jobs``, ``--out``, ``-- ARGS``; see docs/reproductions.md). After the grid it draws, per
column, the training loss of every row against the step from the cells' ``metrics.csv`` (mean
over seeds, min-max band) with the memoryless baseline, as ``RUN/figures/loss_curves_<column>.png``.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

from apps.reproduce.claims import SCALES, Claim, resolve_claim
from apps.reproduce.cli import main as reproduce

from .figures import plot_memory_comparison

__all__ = ["CLAIM", "main", "plot_loss_curves"]

CLAIM = "complex-memory"


def _train_loss(metrics_csv: Path) -> tuple[list[int], list[float]]:
    steps, losses = [], []
    with open(metrics_csv, newline="") as f:
        for row in csv.DictReader(f):
            if row.get("train_loss"):
                steps.append(int(row["step"]) + 1)
                losses.append(float(row["train_loss"]))
    return steps, losses


def plot_loss_curves(claim: Claim, run: Path) -> list[Path]:
    """``RUN/figures/loss_curves_<column>.png`` for every column with a finished seed: the
    training loss of each row's finished seeds (the seeds logged at the same steps)."""
    written = []
    for col, column in claim.columns.items():
        curves: dict[str, list[list[float]]] = {}
        steps: list[int] = []
        baseline, task = None, "copy"
        for row, axis in claim.rows.items():
            for seed_dir in sorted((run / row / col).glob("seed_*")):
                if not (seed_dir / "summary.json").is_file():
                    continue
                summary = json.loads((seed_dir / "summary.json").read_text())
                baseline = summary.get("memoryless_loss", summary.get("memoryless_mse"))
                task = summary["task"]
                steps, losses = _train_loss(seed_dir / "metrics.csv")
                curves.setdefault(axis.label, []).append(losses)
        if curves and baseline is not None:
            written.append(
                plot_memory_comparison(
                    curves,
                    float(baseline),
                    run / "figures" / f"loss_curves_{col}.png",
                    f"{column.label}: {claim.paper}",
                    "cross-entropy (nats / step)" if task == "copy" else "MSE",
                    steps=steps,
                )
            )
    return written


def main(argv: list[str] | None = None) -> int:
    """Run the claim with ``argv`` (the runner's flags), then draw the loss curves."""
    argv = list(sys.argv[1:] if argv is None else argv)
    p = argparse.ArgumentParser(add_help=False)  # the runner parses and checks every flag
    p.add_argument("--scale", choices=SCALES, default="smoke")
    p.add_argument("--out")
    p.add_argument("--print_commands", action="store_true")
    known, _ = p.parse_known_args(argv[: argv.index("--")] if "--" in argv else argv)
    status = reproduce([CLAIM, *argv])
    run = Path(known.out or f"runs/reproduce/{CLAIM}-{known.scale}").resolve()
    if status != 2 and not known.print_commands and (run / "grid.json").is_file():
        for path in plot_loss_curves(resolve_claim(CLAIM), run):
            print(f"loss curves: {path}")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
