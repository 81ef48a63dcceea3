"""The video app's figures: prediction strip (PNG), animation (GIF), per-frame metric curves,
training curves and, for ARMA models, the histogram of the learned AR coefficients (Su, Wang &
Huang, NeurIPS 2020, Fig. 6)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import imageio.v3 as iio
import matplotlib.pyplot as plt
import numpy as np
import torch

from apps.framework import eval_mode, plot_metric_curves, save_figure
from arma_core import ARMA2d

__all__ = [
    "ar_histogram",
    "per_frame_curves",
    "prediction_gif",
    "prediction_strip",
    "video_figures",
]

_LABELS = {"mse": "MSE (per pixel)", "mae": "MAE (per pixel)", "psnr": "PSNR (dB)", "ssim": "SSIM"}


def prediction_strip(inputs: np.ndarray, truth: np.ndarray, preds: np.ndarray, path: Path) -> Path:
    """Rows per sample: observed frames, true future, predicted future. Arrays ``(S, T, H, W)``."""
    s, t_in = inputs.shape[:2]
    t_out = truth.shape[1]
    cols = max(t_in, t_out)
    fig, axes = plt.subplots(3 * s, cols, figsize=(cols * 0.9, 3 * s * 0.95), squeeze=False)
    for i in range(s):
        rows = (
            ("input", inputs[i], 1),
            ("truth", truth[i], t_in + 1),
            ("prediction", preds[i], t_in + 1),
        )
        for r, (label, frames, first) in enumerate(rows):
            for c in range(cols):
                ax = axes[3 * i + r, c]
                ax.set_xticks([])
                ax.set_yticks([])
                if c < len(frames):
                    ax.imshow(frames[c], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
                    if i == 0 or r > 0:
                        ax.set_title(f"t={first + c}", fontsize=6, pad=2)
                else:
                    ax.axis("off")
                if c == 0:
                    ax.set_ylabel(label, fontsize=7)
    fig.subplots_adjust(wspace=0.05, hspace=0.35)
    return save_figure(fig, path)


def prediction_gif(inputs: np.ndarray, truth: np.ndarray, preds: np.ndarray, path: Path) -> Path:
    """One sample as an animation: truth (left) beside prediction (right), inputs then future;
    a bar on top is grey while the frames are observed, white while they are predicted."""
    frames = []
    for t in range(inputs.shape[0] + truth.shape[0]):
        observed = t < inputs.shape[0]
        left = inputs[t] if observed else truth[t - inputs.shape[0]]
        right = inputs[t] if observed else preds[t - inputs.shape[0]]
        h, _w = left.shape
        sep = np.ones((h, 2))
        img = np.concatenate([left, sep, right], axis=1)
        bar = np.full((4, img.shape[1]), 0.4 if observed else 1.0)
        img = np.concatenate([bar, np.zeros((1, img.shape[1])), img], axis=0)
        img = np.kron(np.clip(img, 0, 1), np.ones((3, 3)))  # 3x larger, nearest
        frames.append((img * 255).round().astype(np.uint8))
    path.parent.mkdir(parents=True, exist_ok=True)
    iio.imwrite(path, np.stack(frames), extension=".gif", duration=250, loop=0)
    return path


def per_frame_curves(per_frame: dict[str, dict[str, list[float]]], path: Path) -> Path:
    """MSE, MAE, PSNR, SSIM per predicted frame: the model and the baselines."""
    fig, axes = plt.subplots(1, 4, figsize=(15, 3.2))
    for ax, name in zip(axes, _LABELS, strict=True):
        for who, style in (("model", "o-"), ("copy_last_frame", "s--"), ("zeros", "^:")):
            if who in per_frame:
                values = per_frame[who][name]
                ax.plot(range(1, len(values) + 1), values, style, ms=3, label=who)
        ax.set_title(_LABELS[name])
        ax.set_xlabel("predicted frame")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path)


def ar_histogram(model: torch.nn.Module, path: Path) -> Path | None:
    """Histogram of the AR coefficients of every ARMA2d layer (None without ARMA layers)."""
    layers = [m for m in model.modules() if isinstance(m, ARMA2d)]
    if not layers:
        return None
    with torch.no_grad():
        coeffs = torch.cat([m.ar_coefficients().flatten() for m in layers]).cpu().numpy()
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.hist(coeffs, bins=60, color="tab:blue")
    ax.axvline(0, color="k", lw=0.8)
    ax.set_xlabel("AR coefficient")
    ax.set_ylabel("count")
    ax.set_title(f"learned AR coefficients ({len(layers)} ARMA layers, {coeffs.size} values)")
    fig.tight_layout()
    return save_figure(fig, path)


def video_figures(module: Any, datamodule: Any, out_dir: Path) -> list[Path]:
    """All figures of a trained :class:`~apps.video_prediction.module.VideoPredictionModule`."""
    n = min(module.hparams.figure_samples, len(datamodule.test_set))
    inputs, truth = (
        torch.stack(x) for x in zip(*(datamodule.test_set[i] for i in range(n)), strict=False)
    )
    with torch.no_grad(), eval_mode(module):
        preds = module(inputs.to(module.device)).clamp(0, 1).cpu()
    a, b, c = (x[:, :, 0].numpy() for x in (inputs, truth, preds))
    paths = [
        prediction_strip(a, b, c, out_dir / "prediction_strip.png"),
        prediction_gif(a[0], b[0], c[0], out_dir / "prediction.gif"),
        per_frame_curves(module._per_frame, out_dir / "per_frame_metrics.png"),
    ]
    curves = plot_metric_curves(
        out_dir.parent / "metrics.csv",
        out_dir / "training_curves.png",
        ["train_loss", "val_loss", "val_mse", "teacher_forcing", "lr"],
    )
    hist = ar_histogram(module.model, out_dir / "ar_coefficients.png")
    return paths + [p for p in (curves, hist) if p is not None]
