"""Video-prediction metrics per predicted frame: MSE, MAE, PSNR, SSIM (data range 1).

Conventions (OpenSTL's, with one change): MSE and MAE are reported both as per-pixel means and as
per-frame sums (the mean over samples and frames of the sum over a frame's ``C·H·W`` pixels, the
"MSE" of OpenSTL and most Moving-MNIST tables); PSNR and SSIM are computed per frame on
predictions clipped to [0, 1] and averaged. SSIM uses torchmetrics' Gaussian window (11, σ 1.5,
K1 0.01, K2 0.03) with ``data_range=1`` — the ARMA papers' scripts imply a range of 2 — averaged
over the valid region (the 5-pixel border, whose window leaves the frame, is excluded), as
scikit-image's ``structural_similarity`` and Wang et al.'s reference code do; torchmetrics alone
would also average the border computed on reflect-padded frames.

:class:`FrameMetrics` keeps sums per frame in torchmetrics states (summed over DDP ranks), so the
result is exact when each sample is seen by exactly one rank.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor
from torchmetrics import Metric
from torchmetrics.functional.image import (
    peak_signal_noise_ratio,
    structural_similarity_index_measure,
)

from apps.framework import check_int

__all__ = ["NAMES", "PSNR_CAP", "FrameMetrics", "frame_metrics"]

#: Metric names, in the order of the summary.
NAMES = ("mse", "mae", "psnr", "ssim")
#: PSNR of a frame predicted exactly (MSE 0, e.g. copy-last-frame on a still frame), in dB,
#: instead of +inf, so that averages stay finite.
PSNR_CAP = 100.0
_SSIM_BORDER = 5  # (11 - 1) / 2: pixels whose Gaussian window leaves the frame


def frame_metrics(preds: Tensor, target: Tensor) -> dict[str, Tensor]:
    """Per-sample, per-frame metrics.

    Args:
        preds (Tensor[N, T, C, H, W]): predicted frames.
        target (Tensor[N, T, C, H, W]): true frames in [0, 1].

    Returns:
        ``{"mse", "mae", "psnr", "ssim"}`` each ``Tensor[N, T]`` (MSE/MAE per-pixel means).
    """
    if preds.shape != target.shape or preds.ndim != 5:
        raise ValueError(
            f"preds and target should both be (N, T, C, H, W), got {tuple(preds.shape)} "
            f"and {tuple(target.shape)}"
        )
    n, t = preds.shape[:2]
    diff = preds - target
    clipped = preds.clamp(0.0, 1.0).flatten(0, 1)
    flat_target = target.flatten(0, 1)
    psnr = peak_signal_noise_ratio(
        clipped, flat_target, data_range=1.0, reduction="none", dim=(1, 2, 3)
    )
    _, ssim_map = structural_similarity_index_measure(
        clipped, flat_target, data_range=1.0, reduction="none", return_full_image=True
    )
    b = _SSIM_BORDER
    ssim = ssim_map[..., b:-b, b:-b].mean(dim=(1, 2, 3))
    return {
        "mse": diff.pow(2).mean(dim=(2, 3, 4)),
        "mae": diff.abs().mean(dim=(2, 3, 4)),
        "psnr": psnr.reshape(n, t).clamp(max=PSNR_CAP),
        "ssim": ssim.reshape(n, t),
    }


class FrameMetrics(Metric):
    """Running per-frame means of :func:`frame_metrics` over all samples (and ranks).

    Args:
        frames: ``T``, predicted frames per sample.
        **kwargs: torchmetrics ``Metric`` options (``sync_on_compute=False`` for one process's
            own evaluation inside a distributed run).
    """

    full_state_update = False
    count: Tensor  # a state (add_state): samples seen

    def __init__(self, frames: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.frames = check_int("frames", frames)
        for name in NAMES:
            self.add_state(name, torch.zeros(frames, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("count", torch.zeros((), dtype=torch.float64), dist_reduce_fx="sum")
        self.pixels = 0

    def update(self, preds: Tensor, target: Tensor) -> None:
        """Add a batch ``(N, T, C, H, W)``."""
        if preds.shape[1] != self.frames:
            raise ValueError(f"expected {self.frames} frames, got shape {tuple(preds.shape)}")
        values = frame_metrics(preds.detach().float(), target.float())
        for name in NAMES:
            getattr(self, name).add_(values[name].double().sum(0))
        self.count.add_(preds.shape[0])
        self.pixels = int(preds[0, 0].numel())

    def compute(self) -> dict[str, Tensor]:
        """Per-frame means ``{name: Tensor[T]}`` plus ``mse_frame_sum``/``mae_frame_sum``."""
        out = {name: getattr(self, name) / self.count for name in NAMES}
        out["mse_frame_sum"] = out["mse"] * self.pixels
        out["mae_frame_sum"] = out["mae"] * self.pixels
        return out

    def extra_repr(self) -> str:
        return f"frames={self.frames}"
