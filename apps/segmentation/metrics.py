"""Binary segmentation metrics of the ARMA-Nets ISIC table: ACC, SE, SP, PC, F1, JS, DC.

From the confusion counts ``tp, fp, tn, fn`` of a thresholded prediction:

- ``ACC = (tp + tn) / (tp + fp + tn + fn)``      accuracy
- ``SE  = tp / (tp + fn)``                       sensitivity (recall)
- ``SP  = tn / (tn + fp)``                       specificity
- ``PC  = tp / (tp + fp)``                       precision
- ``F1  = 2·PC·SE / (PC + SE)``                  F1 score
- ``JS  = tp / (tp + fp + fn)``                  Jaccard similarity (IoU)
- ``DC  = 2·tp / (2·tp + fp + fn)``              Dice coefficient

For binary masks ``F1`` and ``DC`` are the same number (the papers report both); ``F1`` is
computed from ``PC`` and ``SE`` and ``DC`` from the counts, so they agree only because the algebra
says so. Two aggregations, both accumulated by
[`SegmentationMetrics`][apps.segmentation.metrics.SegmentationMetrics]:

- **per-image mean**: each metric on each image, then the mean over images (as most ISIC papers);
- **pixel-pooled**: the counts summed over every pixel of the set, then each metric once.

A pixel is foreground when its probability is strictly above the threshold (``p > 0.5``, as the
authors' ``evaluation.py``). A ratio ``0/0`` counts as ``0`` (scikit-learn's
``zero_division=0``), so an image with an empty prediction has ``PC = 0``, never NaN. (The
authors' code adds ``1e-6`` to every denominator instead, and binarises the ground truth as
``GT == max(GT)``, which turns an empty mask into an all-lesion one; here masks are taken as
given.)
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor
from torchmetrics import Metric

__all__ = [
    "METRIC_NAMES",
    "SegmentationMetrics",
    "confusion_counts",
    "metrics_from_counts",
]

#: The metric names, in the papers' order (DC added; it equals F1 for binary masks).
METRIC_NAMES: tuple[str, ...] = ("acc", "se", "sp", "pc", "f1", "js", "dc")


def _check_pair(preds: Tensor, target: Tensor) -> None:
    if not isinstance(preds, Tensor) or not isinstance(target, Tensor):
        raise TypeError(
            f"preds and target should be Tensors, got {type(preds).__name__} and "
            f"{type(target).__name__}"
        )
    if preds.shape != target.shape or preds.ndim < 2:
        raise ValueError(
            f"preds and target should share a shape (N, ...), got {tuple(preds.shape)} and "
            f"{tuple(target.shape)}"
        )


def confusion_counts(preds: Tensor, target: Tensor, threshold: float = 0.5) -> Tensor:
    """Per-image confusion counts.

    Args:
        preds (Tensor[N, ...]): probabilities (floating point, foreground where
            ``> threshold``) or a boolean/integer mask.
        target (Tensor[N, ...]): ground truth in {0, 1}.
        threshold: probability above which a pixel is predicted foreground.

    Returns:
        Tensor[N, 4] (int64): ``(tp, fp, tn, fn)`` of each image.
    """
    _check_pair(preds, target)
    p = preds > threshold if preds.is_floating_point() else preds.bool()
    t = target.bool()
    p, t = p.flatten(1), t.flatten(1)
    tp = (p & t).sum(1)
    fp = (p & ~t).sum(1)
    tn = (~p & ~t).sum(1)
    fn = (~p & t).sum(1)
    return torch.stack((tp, fp, tn, fn), dim=-1).long()


def _ratio(num: Tensor, den: Tensor) -> Tensor:
    return torch.where(den > 0, num / den.clamp_min(1e-30), torch.zeros_like(num))


def metrics_from_counts(counts: Tensor) -> dict[str, Tensor]:
    """The seven metrics from confusion counts.

    Args:
        counts (Tensor[..., 4]): ``(tp, fp, tn, fn)``.

    Returns:
        dict name -> Tensor[...] (float64), names
        [`METRIC_NAMES`][apps.segmentation.metrics.METRIC_NAMES].
    """
    if not isinstance(counts, Tensor) or counts.ndim < 1 or counts.shape[-1] != 4:
        shape = tuple(counts.shape) if isinstance(counts, Tensor) else type(counts).__name__
        raise ValueError(f"counts should be a Tensor[..., 4] (tp, fp, tn, fn), got {shape}")
    tp, fp, tn, fn = counts.double().unbind(-1)
    se = _ratio(tp, tp + fn)
    pc = _ratio(tp, tp + fp)
    return {
        "acc": _ratio(tp + tn, tp + fp + tn + fn),
        "se": se,
        "sp": _ratio(tn, tn + fp),
        "pc": pc,
        "f1": _ratio(2 * pc * se, pc + se),
        "js": _ratio(tp, tp + fp + fn),
        "dc": _ratio(2 * tp, 2 * tp + fp + fn),
    }


class SegmentationMetrics(Metric):
    """Accumulates ACC, SE, SP, PC, F1, JS, DC over batches, per-image mean and pixel-pooled.

    ``update(preds, target)`` with ``preds (Tensor[N, 1, H, W])`` probabilities (or any
    ``(N, ...)`` shape matching ``target``); ``compute()`` returns a dict with keys
    ``"<name>"`` (per-image mean) and ``"<name>_pooled"`` for every name in
    [`METRIC_NAMES`][apps.segmentation.metrics.METRIC_NAMES]. States are sums, so DDP
    synchronisation is exact.

    Args:
        threshold: probability above which a pixel is foreground (0.5 in the papers).
    """

    full_state_update = False
    higher_is_better = True
    # the states registered by ``add_state`` (read through ``Module.__getattr__``)
    counts: Tensor
    image_sums: Tensor
    images: Tensor

    def __init__(self, threshold: float = 0.5, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"threshold should be in (0, 1), got {threshold}")
        self.threshold = threshold
        self.add_state("counts", default=torch.zeros(4, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state(
            "image_sums",
            default=torch.zeros(len(METRIC_NAMES), dtype=torch.float64),
            dist_reduce_fx="sum",
        )
        self.add_state("images", default=torch.zeros((), dtype=torch.float64), dist_reduce_fx="sum")

    def update(self, preds: Tensor, target: Tensor) -> None:
        counts = confusion_counts(preds, target, self.threshold)
        per_image = metrics_from_counts(counts)
        self.counts += counts.sum(0).to(self.counts)
        self.image_sums += torch.stack([per_image[k].sum() for k in METRIC_NAMES]).to(
            self.image_sums
        )
        self.images += counts.shape[0]

    def compute(self) -> dict[str, Tensor]:
        if float(self.images) == 0:
            raise RuntimeError("SegmentationMetrics.compute() called before any update()")
        means = self.image_sums / self.images
        out = {k: means[i].float() for i, k in enumerate(METRIC_NAMES)}
        pooled = metrics_from_counts(self.counts)
        out.update({f"{k}_pooled": v.float() for k, v in pooled.items()})
        return out

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}"
