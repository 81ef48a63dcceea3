"""Figures of the segmentation app: prediction/ground-truth overlays and learning curves.

Overlay colours (per pixel, prediction thresholded): green = true positive, red = false
positive, blue = false negative; the ground-truth boundary is drawn in yellow on the image.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from torch import Tensor

__all__ = ["boundary", "overlay_rgb", "plot_learning_curves", "plot_overlays"]


def overlay_rgb(
    image: np.ndarray, mask: np.ndarray, pred: np.ndarray, alpha: float = 0.45
) -> np.ndarray:
    """Blend the error map of ``pred`` vs ``mask`` (both ``bool[H, W]``) onto ``image``
    (``float[H, W, 3]`` in [0, 1]): TP green, FP red, FN blue. Returns ``float[H, W, 3]``."""
    colour = np.zeros_like(image)
    colour[mask & pred] = (0.0, 0.9, 0.0)
    colour[~mask & pred] = (1.0, 0.0, 0.0)
    colour[mask & ~pred] = (0.0, 0.3, 1.0)
    hit = (mask | pred)[..., None]
    return np.where(hit, (1 - alpha) * image + alpha * colour, image)


def boundary(mask: np.ndarray) -> np.ndarray:
    """The pixels of ``mask`` (``bool[H, W]``) with a 4-neighbour outside it."""
    inner = mask.copy()
    inner[1:] &= mask[:-1]
    inner[:-1] &= mask[1:]
    inner[:, 1:] &= mask[:, :-1]
    inner[:, :-1] &= mask[:, 1:]
    return mask & ~inner


def plot_overlays(
    images: Tensor, masks: Tensor, probs: Tensor, path: Path, threshold: float = 0.5
) -> Path:
    """One row per image: image with the ground-truth boundary, the predicted probability, and
    the error overlay. ``images (N, 3, H, W)``, ``masks, probs (N, 1, H, W)``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    from apps.framework import save_figure

    n = images.shape[0]
    fig, axes = plt.subplots(n, 3, figsize=(7.5, 2.5 * n + 0.6), squeeze=False)
    for i in range(n):
        img = images[i].permute(1, 2, 0).clamp(0, 1).numpy()
        m = masks[i, 0].numpy() > 0.5
        p = probs[i, 0].numpy()
        pred = p > threshold
        edge = img.copy()
        edge[boundary(m)] = (1.0, 0.9, 0.0)
        inter, union = (m & pred).sum(), (m | pred).sum()
        js = inter / union if union else 0.0
        axes[i, 0].imshow(edge)
        axes[i, 1].imshow(p, vmin=0, vmax=1, cmap="magma")
        axes[i, 2].imshow(overlay_rgb(img, m, pred))
        axes[i, 2].set_title(f"errors (JS {js:.2f})", fontsize=9)
        for ax in axes[i]:
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0, 0].set_title("image + ground truth (yellow)", fontsize=9)
    axes[0, 1].set_title("predicted P(lesion)", fontsize=9)
    fig.legend(
        handles=[
            Patch(color=(0, 0.9, 0), label="true positive"),
            Patch(color=(1, 0, 0), label="false positive"),
            Patch(color=(0, 0.3, 1), label="false negative"),
        ],
        loc="lower center",
        ncol=3,
        fontsize=8,
        frameon=False,
    )
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    path = Path(path)
    save_figure(fig, path)
    return path


def plot_learning_curves(module: object, path: Path) -> Path | None:
    """Training and validation loss and validation Dice per epoch, from the run's metrics.csv
    (``None`` when the run has no CSV log)."""
    from apps.framework import plot_metric_curves

    csv = _metrics_csv(module)
    if csv is None:
        return None
    return plot_metric_curves(csv, Path(path), ["train_loss_epoch", "val_loss", "val_dc"])


def _metrics_csv(module: object) -> Path | None:
    trainer = getattr(module, "_trainer", None)
    for logger in getattr(trainer, "loggers", []) if trainer is not None else []:
        exp = getattr(logger, "experiment", None)
        path = getattr(exp, "metrics_file_path", None)
        if path is not None:
            logger.save()
            return Path(path) if Path(path).is_file() else None
    return None
