"""Figures of the image-classification app: one run's learning curves, and the stability
ablation's training-loss curves of every re-parameterisation on one plot."""

from __future__ import annotations

import csv
import math
from pathlib import Path

from apps.framework import metrics_csv_of

__all__ = ["plot_ablation", "plot_run_curves", "read_series"]


def read_series(path: Path, key: str) -> tuple[list[int], list[float]]:
    """``(steps, values)`` of column ``key`` of a Lightning CSV log (rows where it is set)."""
    steps: list[int] = []
    values: list[float] = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            v = row.get(key, "")
            if v not in ("", None):
                steps.append(int(float(row["step"])))
                values.append(float(v))
    return steps, values


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_run_curves(module: object, path: Path) -> Path | None:
    """Training loss per logged step and validation accuracy per epoch of one run."""
    from apps.framework import save_figure

    csv_path = metrics_csv_of(module)
    if csv_path is None:
        return None
    plt = _pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.4))
    s, v = read_series(csv_path, "train_loss_step")
    ax1.plot(s, v, lw=1)
    ax1.set(xlabel="optimizer step", ylabel="training loss", yscale="log")
    s, v = read_series(csv_path, "val_acc")
    ax2.plot(s, v, marker="o")
    ax2.set(xlabel="optimizer step", ylabel="validation accuracy", ylim=(0, 1))
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
    step = getattr(module, "first_nonfinite_step", None)
    if step is not None:
        ax1.axvline(step, color="red", ls="--", label=f"non-finite loss at step {step}")
        ax1.legend(fontsize=8)
    fig.tight_layout()
    path = Path(path)
    save_figure(fig, path)
    return path


def plot_ablation(runs: dict[str, dict], path: Path, title: str = "") -> Path:
    """Training loss and smallest AR stability margin vs step of each variant; an ✕ on the loss
    curve where a loss first went non-finite.

    Args:
        runs: name -> ``{"metrics_csv": Path, "first_nonfinite_step": int | None}``.
        path: the PNG written.
        title: figure title.
    """
    from apps.framework import save_figure

    plt = _pyplot()
    fig, (ax, axm) = plt.subplots(1, 2, figsize=(11, 4))
    colours = {"stable": "tab:green", "icml_eq16": "tab:orange", "neurips_eq9": "tab:red",
               "none": "tab:purple"}  # fmt: skip
    for name, run in runs.items():
        csv_path = Path(run["metrics_csv"])
        steps, values = read_series(csv_path, "train_loss_step")
        finite = [(s, v) for s, v in zip(steps, values, strict=True) if math.isfinite(v)]
        bad = run.get("first_nonfinite_step")
        label = f"{name}: " + ("finite throughout" if bad is None else f"non-finite at step {bad}")
        colour = colours.get(name)
        ax.plot([s for s, _ in finite], [v for _, v in finite], lw=1.2, color=colour, label=label)
        if bad is not None:
            y = finite[-1][1] if finite else 1.0
            ax.plot([bad], [y], marker="X", ms=11, color=colour, mec="black", zorder=5)
        ms, mv = read_series(csv_path, "ar_margin")
        keep = [(s, v) for s, v in zip(ms, mv, strict=True) if math.isfinite(v) and v > 0]
        axm.plot([s for s, _ in keep], [v for _, v in keep], lw=1.2, color=colour, label=name)
    ax.set(xlabel="optimizer step", ylabel="training loss (cross-entropy)", yscale="log")
    axm.set(
        xlabel="optimizer step",
        ylabel="smallest AR margin  min |Â(ω)|",
        yscale="log",
        title="0 = a zero on the unit circle (no stable inverse)",
    )
    axm.title.set_fontsize(9)
    for a in (ax, axm):
        a.grid(alpha=0.3, which="both")
        a.legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    path = Path(path)
    save_figure(fig, path)
    return path
