"""The sequence app's LightningModule: one module for every task of the data module.

The network is built in ``configure_model`` from the data module's ``spec`` (input channels or
vocabulary, classes, length: PTB-XL's label count depends on the data), before Lightning
restores a checkpoint, so fit, resume and test on the best checkpoint all see the same shapes.

Losses and metrics per kind of task:

- ``multiclass`` (sMNIST, psMNIST, sCIFAR-10, ListOps, PTB-XL superdiagnostic): cross-entropy,
  top-1 accuracy of the logits pooled over the real length (masked); PTB-XL superdiagnostic also
  logs the macro one-vs-rest AUROC.
- ``multilabel`` (the other five PTB-XL tasks): binary cross-entropy per label, macro AUROC
  (torchmetrics ``MultilabelAUROC``).
- ``copy``: cross-entropy per step (nats), accuracy on the 10 recalled symbols.
- ``adding``: mean squared error of the last step's read-out.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor
from torch.nn import functional as F
from torchmetrics.classification import MulticlassAccuracy

from apps.framework import AppModule, check_choice
from longrange_datasets import adding_baseline_mse, copy_baseline_loss
from longrange_models import MultiresNet, NormKind, literal_type
from multires_core import TREE_SELECTS

from .data import SequenceDataModule
from .metrics import (
    copy_loss,
    copy_memoryless_logits,
    copy_symbol_accuracy,
    make_auroc,
)
from .models import CLASSIFIERS, MEMORY_CELLS, build_network

__all__ = ["SequenceModule"]

_OPTIMIZERS = ("adamw", "adam", "rmsprop")

if TYPE_CHECKING:  # the names are the tables' entries, known at run time; a checker sees str
    ModelName = str
else:
    #: A classifier of the classification tasks or a cell kind of the memory tasks.
    ModelName = literal_type(dict.fromkeys(CLASSIFIERS + MEMORY_CELLS))


class SequenceModule(AppModule[SequenceDataModule]):
    """MultiresNet / ARMA1d net / LSTM / transformer / WaveNet classifiers and the memory tasks'
    recurrent cells.

    Args:
        model: ``"multiresnet"``, ``"arma"``, ``"lstm"``, ``"transformer"`` (pre-norm encoder,
            sinusoidal positions, ``num_blocks`` layers, 4 heads of width ``channels / 4``) or
            ``"wavenet"`` (causal dilated stack, filter size 2; classification tasks), or a cell of
            ``longrange_models.sequence.SEQUENCE_CELLS`` (``"lstm"``, ``"gru"``, ``"urnn"``,
            ``"complex_circulant"``, ``"complex_unitary"``; memory tasks).
        preset: a MultiresNet preset of the paper (``"scifar"``, ``"listops"``, ``"ptbxl"``;
            its input/class counts and length come from the data) or ``None`` for the sizes below.
        channels: width ``C`` (MultiresNet, ARMA net; the LSTM's input encoding).
        num_blocks: blocks of the MultiresNet / ARMA net.
        kernel_size: MultiresConv filter taps.
        dropout: MultiresNet channel dropout.
        norm: MultiresNet norm, ``"layer"``, ``"batch"`` or ``"none"``.
        tree_select: MultiresNet's TreeSelect, ``"fading"`` or ``"uniform"``.
        init: MultiresNet's filter initialisation, ``"xavier"`` or a PyWavelets wavelet name
            (e.g. ``"db2"`` for filter size 4).
        depth: MultiresNet's tree depth (``None``: enough levels to cover the sequence).
        memory_size: the coefficients the ``"uniform"`` TreeSelect keeps (required with it).
        hidden: the LSTM classifier's hidden units.
        param_budget: trainable parameters to size the network to (``None``: the sizes above;
            the memory cells' real parameters default to 4,000): the width of MultiresNet, the
            ARMA net, the LSTM (``hidden``), the transformer and WaveNet is chosen for it
            (``apps.sequence_classification.models.build_network``).
        optimizer: ``"adamw"`` (the paper), ``"adam"`` or ``"rmsprop"``.
        lr: peak learning rate.
        weight_decay: decoupled weight decay (AdamW) or L2 (others).
        warmup_steps: linear warm-up steps before the schedule.
        cosine: cosine annealing to 0 over the run's steps after the warm-up (else constant).
    """

    monitor = "val_loss"
    monitor_mode = "min"

    def __init__(
        self,
        model: ModelName = "multiresnet",
        preset: MultiresNet.Preset | None = None,
        channels: int = 32,
        num_blocks: int = 4,
        kernel_size: int = 2,
        dropout: float = 0.0,
        norm: NormKind = "layer",
        tree_select: str = "fading",
        init: str = "xavier",
        depth: int | None = None,
        memory_size: int | None = None,
        hidden: int = 64,
        param_budget: int | None = None,
        optimizer: str = "adamw",
        lr: float = 0.004,
        weight_decay: float = 0.01,
        warmup_steps: int = 0,
        cosine: bool = True,
    ) -> None:
        super().__init__()
        check_choice("model", model, CLASSIFIERS + MEMORY_CELLS)
        check_choice("optimizer", optimizer, _OPTIMIZERS)
        check_choice("tree_select", tree_select, TREE_SELECTS)
        if not lr > 0:
            raise ValueError(f"lr should be > 0, got {lr}")
        if warmup_steps < 0:
            raise ValueError(f"warmup_steps should be >= 0, got {warmup_steps}")
        for name, v in (
            ("channels", channels),
            ("num_blocks", num_blocks),
            ("hidden", hidden),
            ("param_budget", 1 if param_budget is None else param_budget),
            ("depth", 1 if depth is None else depth),
            ("memory_size", 1 if memory_size is None else memory_size),
        ):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} should be a positive int, got {v!r}")
        self.save_hyperparameters()
        self.net: torch.nn.Module | None = None
        self.spec: dict[str, Any] = {}
        self.info: dict[str, Any] = {}

    # ------------------------------------------------------------------ building
    def configure_model(self) -> None:
        if self.net is not None:
            return
        dm = getattr(self.trainer, "datamodule", None)
        if dm is None or not getattr(dm, "spec", None):
            raise ValueError("SequenceModule needs a SequenceDataModule (set up) to build its net")
        self.build(dm.spec)

    def build(self, spec: dict[str, Any]) -> None:
        """Build the network for the data ``spec`` (``SequenceDataModule.spec``)."""
        hp = self.hparams
        self.spec = dict(spec)
        kw = {k: v for k, v in dict(hp).items() if k != "model"}
        self.net, self.info = build_network(spec, hp.model, **kw)
        kind = spec["kind"]
        k = spec["num_classes"]
        if kind == "multiclass":
            self.val_acc = MulticlassAccuracy(k, average="micro")
            self.test_acc = MulticlassAccuracy(k, average="micro")
        if kind == "multilabel" or (kind == "multiclass" and spec["task"] == "ptbxl"):
            self.val_auroc = make_auroc(kind, k)
            self.test_auroc = make_auroc(kind, k)

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        """Logits ``(N, K)`` (classification), ``(N, T, 9)`` (copy) or predictions ``(N,)``
        (adding) of inputs ``x`` with real lengths ``lengths (N,)``."""
        if self.net is None:
            raise RuntimeError("the network is not built yet: call build(spec) first")
        return self.net(x, lengths)

    # ------------------------------------------------------------------ steps
    def _loss(self, out: Tensor, y: Tensor) -> Tensor:
        kind = self.spec["kind"]
        if kind == "multiclass":
            return F.cross_entropy(out, y)
        if kind == "multilabel":
            return F.binary_cross_entropy_with_logits(out, y)
        if kind == "copy":
            return copy_loss(out, y)
        return F.mse_loss(out, y)

    def training_step(self, batch: tuple[Tensor, Tensor, Tensor], batch_idx: int) -> Tensor:
        x, lengths, y = batch
        loss = self._loss(self(x, lengths), y)
        self.log("train_loss", loss, prog_bar=True, on_step=True, on_epoch=False)
        return loss

    def _eval_step(self, batch: tuple[Tensor, Tensor, Tensor], prefix: str) -> None:
        x, lengths, y = batch
        out = self(x, lengths)
        self.log(f"{prefix}_loss", self._loss(out, y), sync_dist=True, prog_bar=True)
        kind = self.spec["kind"]
        if kind == "multiclass":
            acc = getattr(self, f"{prefix}_acc")
            acc.update(out, y)
            self.log(f"{prefix}_acc", acc, on_step=False, on_epoch=True, prog_bar=True)
        if hasattr(self, f"{prefix}_auroc"):
            auroc = getattr(self, f"{prefix}_auroc")
            auroc.update(out, y.int() if kind == "multilabel" else y)
            self.log(f"{prefix}_auroc", auroc, on_step=False, on_epoch=True, prog_bar=True)
        if kind == "copy":
            self.log(f"{prefix}_symbol_acc", copy_symbol_accuracy(out, y), sync_dist=True)

    def validation_step(self, batch: tuple[Tensor, Tensor, Tensor], batch_idx: int) -> None:
        self._eval_step(batch, "val")

    def test_step(self, batch: tuple[Tensor, Tensor, Tensor], batch_idx: int) -> None:
        self._eval_step(batch, "test")

    def configure_optimizers(self):
        hp = self.hparams
        params = self.parameters()
        opt: torch.optim.Optimizer
        if hp.optimizer == "adamw":
            opt = torch.optim.AdamW(params, lr=hp.lr, weight_decay=hp.weight_decay)
        elif hp.optimizer == "adam":
            opt = torch.optim.Adam(params, lr=hp.lr, weight_decay=hp.weight_decay)
        else:
            opt = torch.optim.RMSprop(params, lr=hp.lr, weight_decay=hp.weight_decay)
        total = max(1, int(self.trainer.estimated_stepping_batches))
        warm, cosine = hp.warmup_steps, hp.cosine

        def factor(step: int) -> float:
            if step < warm:
                return (step + 1) / warm
            if not cosine:
                return 1.0
            progress = min(1.0, (step - warm) / max(1, total - warm))
            return 0.5 * (1.0 + math.cos(math.pi * progress))

        sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    # ------------------------------------------------------------------ framework hooks
    def baselines(self, datamodule: SequenceDataModule) -> dict[str, float]:
        """Trivial baselines on the test set: majority class and chance accuracy (multi-class),
        chance AUROC 0.5, the memoryless losses of the memory tasks (closed form and measured on
        the test set) and the test loss over that baseline."""
        kind = self.spec["kind"]
        out: dict[str, float] = {}
        test_y = datamodule.targets("test")
        if kind == "multiclass":
            k = self.spec["num_classes"]
            majority = int(torch.bincount(datamodule.targets("train"), minlength=k).argmax())
            out["majority_class_acc"] = float((test_y == majority).double().mean())
            out["chance_acc"] = 1.0 / k
        if hasattr(self, "test_auroc"):
            out["chance_auroc"] = 0.5
        if kind == "copy":
            out["memoryless_loss"] = copy_baseline_loss(int(test_y.shape[1]) - 20)
            out["memoryless_loss_measured"] = float(
                copy_loss(copy_memoryless_logits(test_y), test_y)
            )
        if kind == "adding":
            out["memoryless_mse"] = adding_baseline_mse()
            out["memoryless_mse_measured"] = float(((test_y.double() - 1.0) ** 2).mean())
        test_loss = self.trainer.callback_metrics.get("test_loss")
        key = "memoryless_loss" if kind == "copy" else "memoryless_mse"
        if test_loss is not None and key in out:
            out["test_loss_over_memoryless"] = float(test_loss) / out[key]
        return out

    def figures(self, datamodule: SequenceDataModule, out_dir: Path) -> list[Path]:
        """Learning curves (training loss per step, validation loss and metric per epoch)."""
        from .figures import plot_learning_curves

        path = plot_learning_curves(self, Path(out_dir) / "learning_curves.png")
        return [] if path is None else [path]

    def summary_extras(self) -> dict[str, Any]:
        """Task, kind, model, class names (PTB-XL) and the built network's facts."""
        spec = self.spec
        return {
            "task": spec.get("task"),
            "kind": spec.get("kind"),
            "model": self.hparams.model,
            "seq_len": spec.get("seq_len"),
            "num_classes": spec.get("num_classes"),
            "classes": spec.get("classes", []),
            **self.info,
        }

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint["data_spec"] = {
            k: (list(v) if isinstance(v, list | tuple) else v) for k, v in self.spec.items()
        }
