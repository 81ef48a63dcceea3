"""Losses of the segmentation app: binary cross-entropy on logits, optionally plus soft Dice.

``bce``: ``mean BCE(σ(z), y)`` over pixels. ``dice``: ``1 − (2·Σ p·y + s) / (Σ p + Σ y + s)``
per image with ``p = σ(z)`` and smoothing ``s = 1``, averaged over images. ``bce_dice``:
``bce + dice_weight · dice``.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn import functional as F

from apps.framework import check_choice

__all__ = ["LOSSES", "segmentation_loss", "soft_dice_loss"]

#: Valid values of the app's ``loss`` argument.
LOSSES: tuple[str, ...] = ("bce", "bce_dice", "dice")


def soft_dice_loss(logits: Tensor, target: Tensor, smooth: float = 1.0) -> Tensor:
    """Mean over images of ``1 − soft Dice``.

    Args:
        logits (Tensor[N, 1, H, W]): pre-sigmoid scores.
        target (Tensor[N, 1, H, W]): masks in {0, 1}.
        smooth: added to numerator and denominator (an empty mask predicted empty scores 0).

    Returns:
        Tensor[]: the loss.
    """
    p = torch.sigmoid(logits).flatten(1)
    t = target.flatten(1)
    inter = (p * t).sum(1)
    dice = (2 * inter + smooth) / (p.sum(1) + t.sum(1) + smooth)
    return (1 - dice).mean()


def segmentation_loss(
    logits: Tensor, target: Tensor, kind: str = "bce", dice_weight: float = 1.0
) -> Tensor:
    """The loss named ``kind`` (one of :data:`LOSSES`) of ``logits`` and ``target``, both
    ``(N, 1, H, W)``."""
    check_choice("loss", kind, LOSSES)
    if logits.shape != target.shape:
        raise ValueError(
            f"logits and target should share a shape, got {tuple(logits.shape)} and "
            f"{tuple(target.shape)}"
        )
    if kind == "dice":
        return soft_dice_loss(logits, target)
    bce = F.binary_cross_entropy_with_logits(logits, target)
    if kind == "bce":
        return bce
    return bce + dice_weight * soft_dice_loss(logits, target)
