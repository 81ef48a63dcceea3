"""Figures of the receptive-field app (matplotlib, headless, via the framework's save_figure)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch

from apps.framework import save_figure

__all__ = ["plot_checkpoint", "plot_curves", "plot_grid", "plot_multires"]


def _crop(erf: torch.Tensor, half: int) -> np.ndarray:
    h, w = erf.shape
    return erf[h // 2 - half : h // 2 + half + 1, w // 2 - half : w // 2 + half + 1].numpy()


def plot_grid(
    grid: dict[str, Any], depths: Sequence[int], magnitudes: Sequence[float], path: Path
) -> Path:
    """Heat maps: rows = AR magnitude, columns = depth, radius in titles.

    The layout of Su, Wang & Huang, ICML draft, Fig. 3.
    """
    rows, cols = len(magnitudes), len(depths)
    fig, axes = plt.subplots(rows, cols, figsize=(2.1 * cols, 2.2 * rows), squeeze=False)
    half = max(8, int(np.ceil(3 * max(max(r) for r in grid["radius_cov"]))))
    half = min(half, grid["maps"][0][0].shape[0] // 2)
    for i, a in enumerate(magnitudes):
        for j, depth in enumerate(depths):
            ax = axes[i, j]
            ax.imshow(_crop(grid["maps"][i][j], half), cmap="inferno", interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"r = {grid['radius_eq4'][i][j]:.2f}", fontsize=8)
            if i == rows - 1:
                ax.set_xlabel(f"depth {depth}")
            if j == 0:
                ax.set_ylabel(f"a = {a}")
    fig.suptitle("ERF of linear ARMA nets (centred, 3x3 MA, AR [-a/2, 1, -a/2] per axis)")
    fig.tight_layout()
    return save_figure(fig, path)


def plot_curves(records: list[dict[str, float]], path: Path) -> Path:
    """Measured radius (markers) vs Theorem 3 (lines) against depth; rows 1D/2D, columns d."""
    dims_list = sorted({int(r["dims"]) for r in records})
    dil_list = sorted({int(r["dilation"]) for r in records})
    panels = [(dims, d) for dims in dims_list for d in dil_list]
    fig, axes = plt.subplots(
        len(dims_list),
        len(dil_list),
        figsize=(3.8 * len(dil_list), 3.1 * len(dims_list)),
        squeeze=False,
    )
    for ax, (dims, d) in zip(axes.flat, panels, strict=True):
        sub = [r for r in records if r["dims"] == dims and r["dilation"] == d]
        for k, a in enumerate(sorted({r["a"] for r in sub})):
            pts = sorted((r["depth"], r["measured"], r["theorem3"]) for r in sub if r["a"] == a)
            x, meas, theo = (np.array(v) for v in zip(*pts, strict=True))
            color = f"C{k}"
            ax.plot(x, theo, "-", color=color, lw=1.2, label=f"a = {a}")
            ax.plot(x, meas, "o", color=color, ms=4, mfc="none")
        ax.set_title(f"{dims}D, dilation {d}" + (" (cov. radius)" if dims == 2 else ""))
        ax.set_xlabel("depth L")
        ax.set_ylabel("ERF radius")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("measured (circles) vs Theorem 3 (lines)")
    fig.tight_layout()
    return save_figure(fig, path)


def plot_multires(result: dict[str, Any], wavelet: str, path: Path) -> Path:
    """One stem plot per tree output (``a_J, b_J, ..., b_1``), lag on the x axis."""
    filters, names = result["filters"], result["names"]
    fig, axes = plt.subplots(len(filters), 1, figsize=(7, 1.3 * len(filters)), sharex=True)
    for ax, f, name in zip(np.atleast_1d(axes), filters, names, strict=True):
        ax.stem(np.arange(f.numel()), f.numpy(), markerfmt=" ", basefmt="k-")
        ax.set_ylabel(name, rotation=0, labelpad=18)
        ax.grid(alpha=0.3)
    np.atleast_1d(axes)[-1].set_xlabel("lag s (output[t] = sum_s f[s] x[t - s])")
    fig.suptitle(f"equivalent filters of a depth-{len(filters) - 1} MultiresConv tree ({wavelet})")
    fig.tight_layout()
    return save_figure(fig, path)


def plot_checkpoint(result: dict[str, Any], out_dir: Path) -> list[Path]:
    """ERF of the trained model next to its initialisation, and the AR-coefficient histograms."""
    paths = []
    fig, axes = plt.subplots(1, 2, figsize=(7.5, 3.6))
    for ax, key, label in ((axes[0], "erf_init", "at initialisation"), (axes[1], "erf", "trained")):
        radius = result["radius_init" if key == "erf_init" else "radius"]
        im = ax.imshow(np.log10(result[key].numpy() + 1e-12), cmap="inferno", vmin=-8)
        ax.set_title(f"{label}: r = {radius:.2f}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(im, ax=axes, shrink=0.8, label="log10 ERF")
    fig.suptitle(f"ERF of the centre output pixel ({result['app']})")
    paths.append(save_figure(fig, out_dir / "checkpoint_erf.png"))
    if result["ar"]:
        names = list(result["ar"])
        cols = min(4, len(names))
        rows = int(np.ceil(len(names) / cols))
        fig, axes = plt.subplots(rows, cols, figsize=(3 * cols, 2.4 * rows), squeeze=False)
        for ax, name in zip(axes.flat, names, strict=False):
            ax.hist(result["ar"][name].numpy(), bins=30, range=(-1, 1), color="tab:blue")
            ax.set_title(name, fontsize=7)
            ax.axvline(0, color="k", lw=0.6)
        for ax in list(axes.flat)[len(names) :]:
            ax.axis("off")
        fig.suptitle("AR coefficients (a_left, a_right) per ARMA layer")
        fig.tight_layout()
        paths.append(save_figure(fig, out_dir / "checkpoint_ar_histograms.png"))
    return paths
