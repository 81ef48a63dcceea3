"""The segmentation app's LightningModule: a U-Net variant trained with BCE (+ Dice).

Test metrics (``summary.json``): ``test_<m>`` (per-image mean) and ``test_<m>_pooled``
(pixel-pooled) for ``m`` in ACC, SE, SP, PC, F1, JS, DC at threshold 0.5
([`apps.segmentation.metrics`][apps.segmentation.metrics]). Baselines: the same metrics of the
all-background and all-foreground predictions on the test set. Figures: prediction/ground-truth
overlays and the learning curves.
"""

from __future__ import annotations

from pathlib import Path

import pytorch_lightning as pl
import torch
from torch import Tensor

from apps.framework import AppModule, check_choice, eval_mode
from longrange_models.unet import UNET_PRESETS, UNet, UpsampleMode

from .losses import LOSSES, segmentation_loss
from .metrics import SegmentationMetrics

__all__ = ["MODELS", "SegmentationModule"]

#: Valid values of ``model``: the four models of the NeurIPS paper's Table 2.
MODELS: tuple[str, ...] = tuple(UNET_PRESETS)


class SegmentationModule(AppModule):
    """U-Net / ARMA U-Net / non-local (ARMA) U-Net for binary lesion segmentation.

    Args:
        model: a key of ``UNet.presets``: ``"unet"``, ``"arma_unet"``, ``"nl_unet"`` or
            ``"nl_arma_unet"``.
        width: channels of the U-Net's first level (64 in the papers).
        depth: number of 2x downsamplings (4 in the papers).
        ar_order: AR stages per axis of the ARMA models (1 = the papers' 3x3 AR kernel).
        upsample: ``"nearest"`` (the authors' code), ``"bilinear"`` or ``"transposed"``.
        loss: ``"bce"``, ``"bce_dice"`` or ``"dice"``.
        dice_weight: weight of the soft Dice term in ``"bce_dice"``.
        lr: Adam learning rate.
        beta1: Adam's first-moment decay (the authors' code uses 0.5).
        weight_decay: Adam weight decay.
        threshold: probability above which a pixel is predicted lesion.
        figure_images: test images shown in the overlay figure.

    The test runs on the checkpoint with the best validation Dice (``monitor``), as the
    authors' solver keeps its best validation model.
    """

    monitor = "val_dc"
    monitor_mode = "max"

    def __init__(
        self,
        model: UNet.Preset = "arma_unet",
        width: int = 8,
        depth: int = 3,
        ar_order: int = 1,
        upsample: UpsampleMode = "nearest",
        loss: str = "bce",
        dice_weight: float = 1.0,
        lr: float = 3e-3,
        beta1: float = 0.9,
        weight_decay: float = 0.0,
        threshold: float = 0.5,
        figure_images: int = 6,
    ) -> None:
        super().__init__()
        check_choice("model", model, MODELS)
        check_choice("loss", loss, LOSSES)
        if lr <= 0:
            raise ValueError(f"lr should be > 0, got {lr}")
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"threshold should be in (0, 1), got {threshold}")
        self.save_hyperparameters()
        self.net = UNet.preset(
            model, width=width, depth=depth, ar_order=ar_order, upsample=upsample
        )
        self.val_metrics = SegmentationMetrics(threshold)
        self.test_metrics = SegmentationMetrics(threshold)

    def forward(self, images: Tensor) -> Tensor:
        """Lesion logits ``(N, 1, H, W)`` of images ``(N, 3, H, W)``."""
        return self.net(images)

    def _loss(self, logits: Tensor, masks: Tensor) -> Tensor:
        return segmentation_loss(logits, masks, self.hparams.loss, self.hparams.dice_weight)

    def training_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> Tensor:
        images, masks = batch
        loss = self._loss(self(images), masks)
        self.log("train_loss", loss, prog_bar=True, on_step=True, on_epoch=True)
        return loss

    def validation_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        images, masks = batch
        logits = self(images)
        self.log("val_loss", self._loss(logits, masks), prog_bar=True, sync_dist=True)
        self.val_metrics.update(torch.sigmoid(logits), masks)

    def on_validation_epoch_end(self) -> None:
        values = self.val_metrics.compute()
        self.log_dict({f"val_{k}": values[k] for k in ("acc", "dc", "js")}, sync_dist=True)
        self.val_metrics.reset()

    def test_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        images, masks = batch
        logits = self(images)
        self.log("test_loss", self._loss(logits, masks), sync_dist=True)
        self.test_metrics.update(torch.sigmoid(logits), masks)

    def on_test_epoch_end(self) -> None:
        values = self.test_metrics.compute()
        self.log_dict({f"test_{k}": v for k, v in values.items()}, sync_dist=True)
        self.test_metrics.reset()

    def configure_optimizers(self):
        return torch.optim.Adam(
            self.parameters(),
            lr=self.hparams.lr,
            betas=(self.hparams.beta1, 0.999),
            weight_decay=self.hparams.weight_decay,
        )

    # ---------------------------------------------------------------- framework hooks
    def baselines(self, datamodule: pl.LightningDataModule) -> dict[str, float]:
        """ACC … DC (per-image and pooled) of predicting all background / all foreground."""
        metrics = {
            "all_background": SegmentationMetrics(self.hparams.threshold),
            "all_foreground": SegmentationMetrics(self.hparams.threshold),
        }
        for _, masks in datamodule.test_dataloader():
            metrics["all_background"].update(torch.zeros_like(masks), masks)
            metrics["all_foreground"].update(torch.ones_like(masks), masks)
        out: dict[str, float] = {}
        for name, metric in metrics.items():
            for k, v in metric.compute().items():
                out[f"{name}_{k}"] = float(v)
        return out

    @torch.no_grad()
    def figures(self, datamodule: pl.LightningDataModule, out_dir: Path) -> list[Path]:
        """Overlays of predictions on test images, and the learning curves."""
        from .figures import plot_learning_curves, plot_overlays

        out_dir = Path(out_dir)
        images, masks, probs = [], [], []
        count = 0
        with eval_mode(self):
            for x, y in datamodule.test_dataloader():
                x = x.to(self.device)
                probs.append(torch.sigmoid(self(x)).cpu())
                images.append(x.cpu())
                masks.append(y)
                count += x.shape[0]
                if count >= self.hparams.figure_images:
                    break
        k = self.hparams.figure_images
        paths = [
            plot_overlays(
                torch.cat(images)[:k],
                torch.cat(masks)[:k],
                torch.cat(probs)[:k],
                out_dir / "overlays.png",
                threshold=self.hparams.threshold,
            )
        ]
        curves = plot_learning_curves(self, out_dir / "learning_curves.png")
        if curves is not None:
            paths.append(curves)
        return paths
