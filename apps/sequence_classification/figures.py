"""Figures of the sequence app: one run's learning curves, and the memory-task comparison (loss
curves of every cell on one plot, with the memoryless baseline; the shape of Fig. 1 of Wolter &
Yao, complex gated memory cells, draft; drawn by ``memory_compare`` from a complex-memory grid)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from apps.framework import metrics_csv_of, plot_metric_curves, save_figure

__all__ = ["plot_learning_curves", "plot_memory_comparison"]


def plot_learning_curves(module: object, path: str | os.PathLike[str]) -> Path | None:
    """Training loss per step, validation loss and accuracy/AUROC per epoch of a fitted module;
    ``None`` when nothing was logged."""
    csv_path = metrics_csv_of(module)
    if csv_path is None:
        return None
    keys = ["train_loss", "val_loss", "val_acc", "val_auroc", "val_symbol_acc"]
    return plot_metric_curves(csv_path, path, keys)


def plot_memory_comparison(
    curves: Mapping[str, Sequence[Sequence[float]]],
    baseline: float,
    path: str | os.PathLike[str],
    title: str,
    ylabel: str = "training loss",
    steps: Sequence[int] | None = None,
) -> Path:
    """Loss curves of every cell on one plot: mean over seeds (line) and min-max band.

    Args:
        curves: ``cell -> [seed][point]`` losses, every seed at the same ``steps``.
        baseline: the memoryless loss (dashed line).
        path: the PNG written.
        title: the plot's title.
        ylabel: the y axis' label.
        steps: the training step of each point (default ``1, 2, ...``).
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for name, runs in curves.items():
        a = np.asarray(runs, dtype=float)  # (seeds, points)
        x = np.arange(1, a.shape[1] + 1) if steps is None else np.asarray(steps)
        (line,) = ax.plot(x, a.mean(0), label=f"{name} ({a.shape[0]} seeds)", lw=1.5)
        ax.fill_between(x, a.min(0), a.max(0), color=line.get_color(), alpha=0.2, lw=0)
    ax.axhline(baseline, color="k", ls="--", lw=1, label=f"memoryless baseline {baseline:.4g}")
    ax.set_xlabel("training step")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path)
