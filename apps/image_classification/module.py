"""The image-classification app's LightningModule: conv or ARMA VGG-11 / ResNet-18.

Cross-entropy, SGD with momentum and a step learning-rate decay (the papers' App. D.2 recipe),
test accuracy from torchmetrics. For the stability ablation it watches every training loss: the
first non-finite one (a NaN/Inf loss, or an AR solve refusing non-finite activations or
coefficients, or a filter singular on its grid) is recorded as ``first_nonfinite_step`` (the
number of optimizer steps done before that batch); its batch is skipped (no backward, no step),
and training stops there when ``stop_on_nonfinite`` (otherwise it goes on and skips every
non-finite batch). It also logs ``ar_margin``, the smallest ``min_ω |Â(ω)|`` of any AR filter.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Literal, get_args

import torch
from torch import Tensor
from torch.nn import functional as F
from torchmetrics.classification import MulticlassAccuracy

from apps.framework import AppModule, check_choice
from arma_core import ARMA2d
from arma_stability import REPARAMETERIZATIONS, Reparam
from arma_stability.ztransform import stability_margin
from longrange_models import Conv2dOptions, LayerKind
from longrange_models.classifiers import VGG11, ResNet18

from .data import ClassificationDataModule

__all__ = ["MODELS", "REPARAMS", "ClassificationModule", "ModelName"]

#: The networks, by the name ``model`` takes.
ModelName = Literal["vgg11", "resnet18"]
#: Valid values of ``model``.
MODELS: tuple[ModelName, ...] = get_args(ModelName)
#: Valid values of ``reparam``: the keys of ``arma_stability.REPARAMETERIZATIONS``.
REPARAMS: tuple[Reparam, ...] = tuple(REPARAMETERIZATIONS)


def _is_nonfinite_error(err: ValueError) -> bool:
    """Whether an AR solve refused non-finite input/coefficients or a filter singular on its grid
    (a division by ~0: the loss would be Inf/NaN); arma_core's messages."""
    text = str(err)
    return "finite" in text or "singular" in text


class _NetArgs(Conv2dOptions, total=False):
    """The keyword arguments VGG11 and ResNet18 share (their factory convolutions' options,
    ``Conv2dOptions``: the layer kind, ``ar_order`` and, for the ARMA layers only, the ARMA
    options)."""

    num_classes: int
    in_channels: int
    width: int


class ClassificationModule(AppModule[ClassificationDataModule]):
    """VGG-11 or ResNet-18 with plain or ARMA 3x3 convolutions, for 32x32 images.

    Args:
        model: ``"vgg11"`` or ``"resnet18"``.
        layer: ``"conv"``, ``"arma"``, ``"dilated"`` or ``"dilated-arma"``.
        width: channels of the first stage (64 in the papers).
        in_channels: image channels (1 for the digits, 3 for CIFAR-10).
        num_classes: classes (10).
        ar_order: AR stages per axis (1 = the papers' 3x3 AR kernel).
        reparam: AR re-parameterisation: ``"stable"``, the papers' ``"icml_eq16"`` /
            ``"neurips_eq9"``, or ``"none"`` (coefficients learnt directly); all but ``"stable"``
            are not stable, for the ablation.
        ar_init: std of the normal draw of the unconstrained AR parameters (0 = identity filter,
            the layer starts as its convolution).
        optimizer: ``"sgd"`` (momentum 0.9, the papers) or ``"adam"``.
        lr: learning rate.
        weight_decay: L2 weight decay (5e-4 in the papers).
        lr_step_epochs: multiply the learning rate by ``lr_gamma`` every this many epochs
            (0 = constant).
        lr_gamma: the decay factor (0.5 in the papers, every 30 epochs).
        stop_on_nonfinite: stop training at the first non-finite loss (else skip such batches).
        batch_norm: BatchNorm after every convolution (VGG-11 only; ResNet-18 always has it).
        margin_every: log ``ar_margin`` (the smallest AR stability margin) every this many
            training batches (ARMA layers only).
    """

    def __init__(
        self,
        model: ModelName = "vgg11",
        layer: LayerKind = "arma",
        width: int = 8,
        in_channels: int = 1,
        num_classes: int = 10,
        ar_order: int = 1,
        reparam: Reparam = "stable",
        ar_init: float = 0.0,
        optimizer: Literal["sgd", "adam"] = "sgd",
        lr: float = 0.05,
        weight_decay: float = 5e-4,
        lr_step_epochs: int = 0,
        lr_gamma: float = 0.5,
        stop_on_nonfinite: bool = True,
        margin_every: int = 5,
        batch_norm: bool = True,
    ) -> None:
        super().__init__()
        check_choice("model", model, MODELS)
        check_choice("reparam", reparam, REPARAMS)
        if optimizer not in ("sgd", "adam"):
            raise ValueError(f"optimizer should be 'sgd' or 'adam', got {optimizer!r}")
        if lr <= 0:
            raise ValueError(f"lr should be > 0, got {lr}")
        if lr_step_epochs < 0:
            raise ValueError(f"lr_step_epochs should be >= 0, got {lr_step_epochs}")
        if ar_init < 0:
            raise ValueError(f"ar_init should be >= 0 (a std), got {ar_init}")
        self.save_hyperparameters()
        if model == "resnet18" and not batch_norm:
            raise ValueError("batch_norm=False is only available with model='vgg11'")
        args: _NetArgs = {
            "num_classes": num_classes,
            "in_channels": in_channels,
            "layer": layer,
            "width": width,
            "ar_order": ar_order,
        }
        if "arma" in layer:
            args["reparam"], args["ar_init"] = reparam, float(ar_init)
        self.net = VGG11(**args, batch_norm=batch_norm) if model == "vgg11" else ResNet18(**args)
        self.val_acc = MulticlassAccuracy(num_classes, average="micro")
        self.test_acc = MulticlassAccuracy(num_classes, average="micro")
        self.first_nonfinite_step: int | None = None
        self._arma_layers = [m for m in self.net.modules() if isinstance(m, ARMA2d)]
        self._grid: dict[int, tuple[int, int]] = {}  # id(layer) -> (H, W) its AR solve last used
        for m in self._arma_layers:
            m.register_forward_hook(self._record_grid)

    def forward(self, images: Tensor) -> Tensor:
        """Logits ``(N, num_classes)`` of images ``(N, C, 32, 32)``."""
        return self.net(images)

    def setup(self, stage: str) -> None:
        dm = getattr(self.trainer, "datamodule", None)
        want = getattr(dm, "in_channels", None)
        if want is not None and want != self.hparams.in_channels:
            raise ValueError(
                f"model.in_channels should match the data's {want} channels, got "
                f"{self.hparams.in_channels} (set --model.in_channels {want})"
            )

    def training_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> Tensor | None:
        if self.first_nonfinite_step is not None and self.hparams.stop_on_nonfinite:
            self.trainer.should_stop = True  # stopping: train no batch after the bad one
            return None
        images, labels = batch
        buffers = [b.detach().clone() for b in self.net.buffers()]  # BatchNorm running stats
        try:
            loss = F.cross_entropy(self(images), labels)
        except ValueError as err:
            if not _is_nonfinite_error(err):
                raise
            loss = torch.tensor(float("nan"), device=images.device)
        if not bool(torch.isfinite(loss)):
            with torch.no_grad():  # the bad forward may have fed NaN into the running stats
                for b, saved in zip(self.net.buffers(), buffers, strict=True):
                    b.copy_(saved)
            self._nonfinite()
            return None  # no backward; the optimizer call finds no gradients: no update
        self.log("train_loss", loss, prog_bar=True, on_step=True, on_epoch=True)
        if self._arma_layers and batch_idx % self.hparams.margin_every == 0:
            self.log("ar_margin", self.ar_margin(), on_step=True, on_epoch=False)
        return loss

    def _record_grid(self, layer: ARMA2d, args: tuple, output: Tensor) -> None:
        self._grid[id(layer)] = (int(output.shape[-2]), int(output.shape[-1]))

    @torch.no_grad()
    def ar_margin(self) -> float:
        """Smallest stability margin ``min |Â(ω)|`` over the DFT grids the AR solves use, over
        every ARMA layer that ran its AR solve and every channel (the product of the two axes'
        margins; 0 = singular, the circular solve divides by zero). ``inf`` before any forward
        pass; ``nan`` when a coefficient is non-finite."""
        worst = math.inf
        for m in self._arma_layers:
            grid = self._grid.get(id(m))
            if grid is None:  # map too small: the model ran the layer as its convolution
                continue
            c = m.ar_coefficients().detach().double()  # (2 axes, C, Q, 2)
            if not bool(torch.isfinite(c).all()):
                return math.nan
            worst = min(worst, float(stability_margin([c[0], c[1]], n=list(grid)).min()))
        return worst

    def _nonfinite(self) -> None:
        if self.first_nonfinite_step is None:
            self.first_nonfinite_step = int(self.global_step)
            self.print(f"non-finite training loss at step {self.global_step}")
        if self.hparams.stop_on_nonfinite:
            self.trainer.should_stop = True

    def _eval_step(
        self, batch: tuple[Tensor, Tensor], prefix: str, acc: MulticlassAccuracy
    ) -> None:
        images, labels = batch
        try:
            logits = self(images)
        except ValueError as err:  # a diverged ARMA net: count the batch as wrong
            if not _is_nonfinite_error(err):
                raise
            logits = torch.full(
                (len(labels), self.hparams.num_classes), float("nan"), device=images.device
            )
        logits = torch.nan_to_num(logits, nan=0.0, posinf=0.0, neginf=0.0)
        self.log(f"{prefix}_loss", F.cross_entropy(logits, labels), sync_dist=True)
        acc.update(logits, labels)
        self.log(f"{prefix}_acc", acc, on_step=False, on_epoch=True)

    def validation_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        self._eval_step(batch, "val", self.val_acc)

    def test_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        self._eval_step(batch, "test", self.test_acc)

    def configure_optimizers(self):
        hp = self.hparams
        opt: torch.optim.Optimizer
        if hp.optimizer == "sgd":
            opt = torch.optim.SGD(
                self.parameters(), lr=hp.lr, momentum=0.9, weight_decay=hp.weight_decay
            )
        else:
            opt = torch.optim.Adam(self.parameters(), lr=hp.lr, weight_decay=hp.weight_decay)
        if hp.lr_step_epochs == 0:
            return opt
        sched = torch.optim.lr_scheduler.StepLR(opt, hp.lr_step_epochs, gamma=hp.lr_gamma)
        return {"optimizer": opt, "lr_scheduler": sched}

    def summary_extras(self) -> dict:
        """``first_nonfinite_step`` (int, or ``None`` when every loss was finite), ``diverged``
        (1.0 when a loss went non-finite, else 0.0: a number a claim can average over seeds),
        the final ``ar_margin`` and the re-parameterisation, for ``summary.json``."""
        out: dict = {
            "first_nonfinite_step": self.first_nonfinite_step,
            "diverged": float(self.first_nonfinite_step is not None),
        }
        if self._arma_layers:
            margin = self.ar_margin()
            out["final_ar_margin"] = margin if math.isfinite(margin) else str(margin)
            out["reparam"] = self.hparams.reparam
        return out

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint["first_nonfinite_step"] = self.first_nonfinite_step

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        self.first_nonfinite_step = checkpoint.get("first_nonfinite_step")

    # ---------------------------------------------------------------- framework hooks
    def baselines(self, datamodule: ClassificationDataModule) -> dict[str, float]:
        """Accuracy of always predicting the most frequent training class."""
        train = datamodule.labels("train")
        majority = int(torch.bincount(train, minlength=self.hparams.num_classes).argmax())
        test = datamodule.labels("test")
        return {"majority_class_acc": float((test == majority).double().mean())}

    def figures(self, datamodule: ClassificationDataModule, out_dir: Path) -> list[Path]:
        """Learning curves (training loss per step, validation accuracy per epoch)."""
        from .figures import plot_run_curves

        path = plot_run_curves(self, Path(out_dir) / "learning_curves.png")
        return [] if path is None else [path]
