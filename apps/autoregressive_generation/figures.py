"""Figures of the generation app: streaming samples next to test images, learning curves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch

from apps.framework import eval_mode, plot_metric_curves, save_figure

from .sampling import sampling_report

__all__ = ["generation_figures", "image_grid"]


def image_grid(seqs: torch.Tensor, shape: tuple[int, int, int], cols: int) -> np.ndarray:
    """``(n, C, H·W)`` 8-bit sequences -> one ``(rows·H, cols·W[, 3])`` uint8 mosaic."""
    c, h, w = shape
    n = seqs.shape[0]
    rows = -(-n // cols)
    imgs = seqs.view(n, c, h, w).to(torch.uint8).permute(0, 2, 3, 1).numpy()
    out = np.full((rows * (h + 2), cols * (w + 2), c), 255, dtype=np.uint8)
    for k in range(n):
        r, q = divmod(k, cols)
        out[r * (h + 2) + 1 : r * (h + 2) + 1 + h, q * (w + 2) + 1 : q * (w + 2) + 1 + w] = imgs[k]
    return out[..., 0] if c == 1 else out


def generation_figures(module: Any, datamodule: Any, out_dir: Path) -> tuple[list[Path], dict]:
    """Sample grid (with the sampling timings) and learning curves of a trained module.

    Returns:
        The written paths and the sampling entries of ``summary.json``.
    """
    h = module.hparams
    model = module.model
    with eval_mode(model):
        samples, report = sampling_report(
            model, h.num_samples, h.sample_seed, h.speedup_samples, h.speedup_length
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.save(samples.to(torch.uint8), out_dir.parent / "samples.pt")  # tensor only: safe
    cols = min(8, h.num_samples)
    real = datamodule.test_set.data[: h.num_samples]
    fig, axes = plt.subplots(
        1, 2, figsize=(2 * cols * 0.55 + 1, 0.6 * (-(-h.num_samples // cols)) + 1.2)
    )
    for ax, seqs, title in (
        (axes[0], samples, f"{module.sampler_name} samples (seed {h.sample_seed})"),
        (axes[1], real, "test images"),
    ):
        ax.imshow(image_grid(seqs, module.shape, cols), cmap="gray", vmin=0, vmax=255)
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    fig.suptitle(
        f"{report['sample_seconds_per_image']:.3g} s/image {module.sampler_name}; "
        f"{report['streaming_speedup']:.3g}x faster than re-running the forward "
        f"(first {report['speedup_length']} positions)",
        fontsize=9,
    )
    paths = [save_figure(fig, out_dir / "samples.png")]
    curves = plot_metric_curves(
        out_dir.parent / "metrics.csv", out_dir / "training_curves.png", ["train_bpd", "val_bpd"]
    )
    if curves is not None:
        paths.append(curves)
    return paths, report
