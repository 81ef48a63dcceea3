"""The video-prediction LightningModule: ConvLSTMNet / ARMA-LSTM on Moving-MNIST.

Training follows the ARMA papers' recipe (Su, Wang & Huang, ICML draft, App. D.1), scaled to the
run length: Adam, L1 + L2 loss, gradient clipping (the Trainer's ``gradient_clip_val``, 3 in the
presets), scheduled sampling (full teacher forcing for the first ``teacher_forcing_start`` of the
training steps, then a linear decay to none at ``teacher_forcing_end``; the papers: start after a
20-epoch plateau, decay over 250 of 400 epochs), learning-rate decay on a validation plateau, and
testing the checkpoint with the lowest validation loss."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

import torch
from jsonargparse.typing import NonNegativeFloat, NonNegativeInt, PositiveFloat, PositiveInt
from pytorch_lightning.utilities.types import OptimizerLRSchedulerConfig
from torch.nn import functional as F
from torch.utils.data import DataLoader

from apps.framework import AppModule
from longrange_models import CellKind, ConvLSTMNet, LayerKind

from .data import MovingMNISTDataModule
from .metrics import NAMES, FrameMetrics

__all__ = ["VideoPredictionModule"]


class VideoPredictionModule(AppModule[MovingMNISTDataModule]):
    """ConvLSTMNet trained to predict ``future`` frames from ``T_in`` observed ones.

    Model arguments (those named as ConvLSTMNet's) left at ``None`` take the preset's value,
    then ConvLSTMNet's default.

    Args:
        preset: a key of ``ConvLSTMNet.presets`` (layer kind, kernel, dilation, AR order,
            non-local blocks): conv3, conv5, dilated, arma, dilated_arma, each also with ``_nl``.
        hidden_channels: channels of every recurrent cell (the papers: 32).
        num_layers: recurrent cells (the papers: 12).
        block_size: cells per skip block; must divide num_layers (the papers: 3).
        layer: convolution kind of the cells (overrides the preset).
        kernel_size: odd kernel size of the cells' convolutions (overrides the preset).
        dilation: of the cells' convolutions (overrides the preset).
        ar_order: AR stages per axis of the ARMA kinds (1 = AR kernel 3×3).
        cell: recurrent cell, a key of ``longrange_models.CELLS`` ("lstm", "gru", ...).
        patch_size: frames are processed as (C·p², H/p, W/p) patches (1 = the papers).
        non_local_layers: 0-based cells followed by a non-local block (overrides the preset).
        frame_size: ``[H, W]`` of the frames, needed by the cells sized to the frame
            (``cell="rotation_gru"``; Moving-MNIST: ``[64, 64]``).
        future: frames to predict (10).
        lr: Adam learning rate.
        l1_weight: weight of the L1 term of the loss ``l1_weight · L1 + L2`` (the papers: 1).
        l1_start: fraction of the training steps trained on L2 alone before the L1 term is
            switched on (0 = from the start, the papers). Early on the model cannot yet place the
            sparse digits, and the L1 optimum of an uncertain pixel is black; later, L1 drives
            the background to exact zeros, which L2 barely does.
        lr_schedule: ``"plateau"`` (decay by ``lr_factor`` after ``lr_patience`` epochs without
            a lower validation loss, the papers) or ``"onecycle"`` (warm up to ``lr`` over the
            first 10% of the steps, then cosine-anneal towards zero; for short budgets).
        teacher_forcing_start: fraction of the training steps with full teacher forcing.
        teacher_forcing_end: fraction of the training steps at which teacher forcing reaches 0.
        lr_factor: learning-rate multiplier on a validation-loss plateau.
        lr_patience: epochs without improvement before the learning rate is decayed.
        figure_samples: test videos shown in the figures.
        output_bias: initial bias of the model's output convolution: the logit of the mean
            pixel (Moving-MNIST: about 0.05, logit -2.9), so that the first steps are not spent
            learning the black background; None keeps ConvLSTMNet's zero (sigmoid 0.5).
    """

    monitor = "val_loss"

    def __init__(
        self,
        preset: ConvLSTMNet.Preset | None = "arma",
        hidden_channels: PositiveInt | None = None,
        num_layers: PositiveInt | None = None,
        block_size: PositiveInt | None = None,
        layer: LayerKind | None = None,
        kernel_size: PositiveInt | None = None,
        dilation: PositiveInt | None = None,
        ar_order: PositiveInt | None = None,
        cell: CellKind | None = None,
        patch_size: PositiveInt | None = None,
        non_local_layers: list[NonNegativeInt] | None = None,
        frame_size: list[PositiveInt] | None = None,
        future: PositiveInt = 10,
        lr: PositiveFloat = 1e-3,
        l1_weight: NonNegativeFloat = 1.0,
        l1_start: float = 0.0,
        lr_schedule: Literal["plateau", "onecycle"] = "plateau",
        teacher_forcing_start: float = 0.05,
        teacher_forcing_end: float = 0.675,
        lr_factor: PositiveFloat = 0.5,
        lr_patience: NonNegativeInt = 2,
        figure_samples: PositiveInt = 2,
        output_bias: float | None = -2.9,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        if not 0.0 <= teacher_forcing_start <= teacher_forcing_end <= 1.0:
            raise ValueError(
                "teacher_forcing_start and teacher_forcing_end should satisfy 0 <= start <= end "
                f"<= 1, got {teacher_forcing_start} and {teacher_forcing_end}"
            )
        if not 0.0 <= l1_start <= 1.0:
            raise ValueError(f"l1_start should be in [0, 1], got {l1_start}")
        if not lr_factor < 1.0:
            raise ValueError(f"lr_factor should be in (0, 1), got {lr_factor}")
        given = {k: v for k, v in self.hparams.items() if k in ConvLSTMNet.config_fields()}
        args = {**(ConvLSTMNet.presets[preset] if preset else {})}
        args.update({k: v for k, v in given.items() if v is not None})
        self.model = ConvLSTMNet(**args)
        if output_bias is not None:
            bias = self.model.output.bias
            assert bias is not None  # ConvLSTMNet's output convolution is built with a bias
            with torch.no_grad():
                bias.fill_(output_bias)
        self.test_metrics = FrameMetrics(future)
        self._per_frame: dict[str, dict[str, list[float]]] = {}

    # ------------------------------------------------------------------ training
    def progress(self) -> float:
        """Fraction of the planned training steps done (0 before the first step)."""
        return self.global_step / max(1, int(self.trainer.estimated_stepping_batches))

    def teacher_forcing(self) -> float:
        """Teacher-forcing probability at the current step (the scheduled-sampling schedule)."""
        progress = self.progress()
        start, end = self.hparams.teacher_forcing_start, self.hparams.teacher_forcing_end
        if progress < start:
            return 1.0
        if progress >= end or end == start:
            return 0.0
        return 1.0 - (progress - start) / (end - start)

    def loss(self, preds: torch.Tensor, targets: torch.Tensor, use_l1: bool = True) -> torch.Tensor:
        """``l1_weight`` · L1 + L2 (per-pixel means; the papers: L1 + L2); L2 alone when
        ``use_l1`` is false (training before ``l1_start``)."""
        l2 = F.mse_loss(preds, targets)
        if self.hparams.l1_weight == 0 or not use_l1:
            return l2
        return self.hparams.l1_weight * F.l1_loss(preds, targets) + l2

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """``(N, T_in, C, H, W)`` -> the next ``future`` frames ``(N, T_out, C, H, W)``."""
        return self.model(inputs, self.hparams.future)

    def training_step(
        self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int
    ) -> torch.Tensor:
        inputs, targets = batch
        tf = self.teacher_forcing()
        preds = self.model(inputs, self.hparams.future, targets=targets, teacher_forcing=tf)
        loss = self.loss(preds, targets, use_l1=self.progress() >= self.hparams.l1_start)
        self.log("train_loss", loss, prog_bar=True)
        self.log("teacher_forcing", tf)
        self.log("lr", self.learning_rate())
        return loss

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        inputs, targets = batch
        preds = self(inputs)
        self.log("val_loss", self.loss(preds, targets), prog_bar=True, sync_dist=True)
        self.log("val_mse", F.mse_loss(preds, targets), sync_dist=True)

    def test_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        inputs, targets = batch
        self.test_metrics.update(self(inputs), targets)

    def on_test_epoch_start(self) -> None:
        self.test_metrics.reset()

    def on_test_epoch_end(self) -> None:
        values = self.test_metrics.compute()  # summed over ranks: exact under DDP
        self._per_frame["model"] = {k: v.tolist() for k, v in values.items()}
        for name, v in values.items():
            self.log(f"test_{name}", v.mean().float(), sync_dist=True)  # same on every rank
        self.test_metrics.reset()

    def one_cycle(self, step: int) -> float:
        """Learning-rate factor after ``step`` optimizer steps for ``lr_schedule="onecycle"``:
        cosine from 1/25 up to 1 over the first 10% of the planned steps, then cosine down to
        1/25e4 at the last (the shape of torch's ``OneCycleLR``).

        The planned step count is read at the first step, not when the optimizer is built:
        reading ``trainer.estimated_stepping_batches`` in ``configure_optimizers`` builds the
        training loader before Lightning restores its mid-epoch position, so a resumed run would
        see other batches than the uninterrupted one.
        """
        if step == 0:
            return 1 / 25
        total = max(2, int(self.trainer.estimated_stepping_batches))
        warm = max(1.0, 0.1 * total - 1)
        if step <= warm:
            start, end, t = 1 / 25, 1.0, step / warm
        else:
            start, end, t = 1.0, 1 / 25e4, min(1.0, (step - warm) / max(1.0, total - 1 - warm))
        return end + (start - end) * (1 + math.cos(math.pi * t)) / 2

    def configure_optimizers(self) -> OptimizerLRSchedulerConfig:
        opt = torch.optim.Adam(self.parameters(), lr=self.hparams.lr)
        if self.hparams.lr_schedule == "onecycle":
            cycle = torch.optim.lr_scheduler.LambdaLR(opt, self.one_cycle)
            return {"optimizer": opt, "lr_scheduler": {"scheduler": cycle, "interval": "step"}}
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(
            opt, mode="min", factor=self.hparams.lr_factor, patience=self.hparams.lr_patience
        )
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "monitor": "val_loss"}}

    # ------------------------------------------------------------------ framework hooks
    def baselines(self, datamodule: MovingMNISTDataModule) -> dict[str, float]:
        """Copy-last-frame and zeros on the whole test set (same metrics as the model)."""
        loader = DataLoader(datamodule.split("test"), batch_size=64, shuffle=False)
        # rank 0 alone, over the whole test set: no sync with the other ranks
        copy, zeros = (FrameMetrics(self.hparams.future, sync_on_compute=False) for _ in "ab")
        for inputs, targets in loader:
            copy.update(inputs[:, -1:].expand_as(targets), targets)
            zeros.update(torch.zeros_like(targets), targets)
        out: dict[str, float] = {}
        for name, metric in (("copy_last_frame", copy), ("zeros", zeros)):
            values = metric.compute()
            self._per_frame[name] = {k: v.tolist() for k, v in values.items()}
            out.update({f"{name}_{k}": float(v.mean()) for k, v in values.items()})
        return out

    def figures(self, datamodule: MovingMNISTDataModule, out_dir: Path) -> list[Path]:
        from .figures import video_figures

        return video_figures(self, datamodule, out_dir)

    def summary_extras(self) -> dict[str, Any]:
        return {
            "per_frame": self._per_frame,
            "metric_names": list(NAMES),
            "model_config": self.model.to_config(),
        }
