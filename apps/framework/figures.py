"""Figure helpers every app may use (matplotlib, headless)."""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from .atomic import atomic_path

__all__ = ["metrics_csv_of", "plot_metric_curves", "save_figure"]


def metrics_csv_of(module: object) -> Path | None:
    """The ``metrics.csv`` of a fitted module's CSV logger (flushed first), or ``None``."""
    trainer = getattr(module, "_trainer", None)
    for logger in getattr(trainer, "loggers", []) if trainer is not None else []:
        path = getattr(getattr(logger, "experiment", None), "metrics_file_path", None)
        if path is not None:
            logger.save()
            return Path(path) if Path(path).is_file() else None
    return None


def save_figure(
    fig: Figure, path: str | os.PathLike[str], dpi: int = 120, bbox: str | None = "tight"
) -> Path:
    """Save ``fig`` atomically (format by the suffix; PNG without one), close it, return the path.

    ``bbox``: matplotlib's ``bbox_inches`` (``"tight"`` crops to the drawn content; ``None``
    keeps the figure's own size).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=path.suffix.lstrip(".") or "png", dpi=dpi, bbox_inches=bbox)
    finally:
        plt.close(fig)
    return path


def _read_columns(
    metrics_csv: Path, keys: Sequence[str]
) -> dict[str, tuple[list[float], list[float]]]:
    out: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in keys}
    with open(metrics_csv, newline="") as f:
        for row in csv.DictReader(f):
            for k in keys:
                v = row.get(k, "")
                if v not in ("", None):
                    out[k][0].append(float(row.get("step") or 0))
                    out[k][1].append(float(v))
    return out


def plot_metric_curves(
    metrics_csv: str | os.PathLike[str], path: str | os.PathLike[str], keys: Sequence[str]
) -> Path | None:
    """Plot columns ``keys`` of a Lightning ``metrics.csv`` against the step, one panel per key.

    Returns the written path, or ``None`` when none of ``keys`` has a value.
    """
    columns = {k: v for k, v in _read_columns(Path(metrics_csv), keys).items() if v[1]}
    if not columns:
        return None
    cols = min(len(columns), 3)
    rows = math.ceil(len(columns) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3 * rows), squeeze=False)
    for ax, (key, (steps, values)) in zip(axes.flat, columns.items(), strict=False):
        ax.plot(steps, values, marker="o" if len(values) < 30 else None, ms=3)
        ax.set_title(key)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(columns) :]:
        ax.axis("off")
    fig.tight_layout()
    return save_figure(fig, path)
