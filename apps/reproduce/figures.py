"""``RUN/figures/<metric>.png``: each metric against the columns, one line per row.

Points are the mean over finite seeds with error bars of one standard deviation; the paper's
printed numbers are hollow markers in the row's colour. The legend sits right of the axes, so
no label covers a point however many rows or however long their labels.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from apps.framework.figures import save_figure

from .claims import Claim
from .verdict import CellStats

__all__ = ["plot_metrics"]


def plot_metrics(
    claim: Claim, values: dict[tuple[str, str], dict[str, list[float | None]]], folder: Path
) -> list[Path]:
    """One figure per metric of ``claim`` from per-seed ``values``; returns the files."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    columns = list(claim.columns)
    x = list(range(len(columns)))
    written = []
    for key, metric in claim.metrics.items():
        fig, ax = plt.subplots(figsize=(1.6 + 1.3 * len(columns), 3.6))
        for i, (r, row) in enumerate(claim.rows.items()):
            color = f"C{i % 10}"
            stats = [CellStats.of(values.get((r, c), {}).get(key, [])) for c in columns]
            means = [s.mean for s in stats]
            stds = [0.0 if s.n < 2 else s.std for s in stats]
            ax.errorbar(x, means, yerr=stds, color=color, marker="o", capsize=3, label=row.label)
            paper = [claim.paper_values.get(r, {}).get(c, {}).get(key) for c in columns]
            px = [xi for xi, p in zip(x, paper, strict=True) if p is not None]
            if px:
                py = [p for p in paper if p is not None]
                ax.scatter(px, py, s=60, facecolors="none", edgecolors=color, marker="D",
                           label=f"{row.label} (paper)")  # fmt: skip
        # long column labels wrap instead of running into each other
        ax.set_xticks(x, [textwrap.fill(claim.columns[c].label, 16) for c in columns])
        ax.set_xlim(-0.5, len(columns) - 0.5)
        better = "higher" if metric.higher_is_better else "lower"
        ax.set_ylabel(f"{metric.label} ({better} is better)")
        ax.set_title(f"{claim.name}: {metric.label}", fontsize=10)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
        path = folder / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', key)}.png"
        written.append(save_figure(fig, path, dpi=110, bbox="tight"))
    return written
