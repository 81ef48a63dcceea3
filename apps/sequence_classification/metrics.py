"""Metrics and baselines of the sequence app: macro AUROC (torchmetrics), the memory tasks' losses
and their memoryless baselines.

Legend: N sequences, K classes/labels, T steps.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn import functional as F
from torchmetrics import Metric
from torchmetrics.classification import MulticlassAUROC, MultilabelAUROC

from longrange_datasets.memory import NUM_SYMBOLS

__all__ = [
    "copy_loss",
    "copy_memoryless_logits",
    "copy_symbol_accuracy",
    "macro_auroc",
    "make_auroc",
]


def make_auroc(kind: str, num_classes: int) -> Metric:
    """Macro AUROC of a ``"multilabel"`` task (``MultilabelAUROC``, scores = logits, targets
    multi-hot ``(N, K)``) or a ``"multiclass"`` one (``MulticlassAUROC``, one-vs-rest, scores =
    logits ``(N, K)``, targets ``(N,)``); both take unnormalised logits (sigmoid/softmax
    applied inside)."""
    if kind == "multilabel":
        return MultilabelAUROC(num_labels=num_classes, average="macro")
    if kind == "multiclass":
        return MulticlassAUROC(num_classes=num_classes, average="macro")
    raise ValueError(f"kind should be 'multilabel' or 'multiclass', got {kind!r}")


def macro_auroc(logits: Tensor, targets: Tensor, kind: str) -> float:
    """Macro AUROC of logits ``(N, K)`` against ``targets`` (multi-hot ``(N, K)`` for
    ``"multilabel"``, class indices ``(N,)`` for ``"multiclass"``), with the metric the app logs."""
    metric = make_auroc(kind, logits.shape[1])
    metric.update(logits.float(), targets.long() if kind == "multiclass" else targets.int())
    return float(metric.compute())


def copy_loss(logits: Tensor, targets: Tensor) -> Tensor:
    """Mean cross-entropy (nats per step) of logits ``(N, T, 9)`` against targets ``(N, T)``."""
    return F.cross_entropy(logits.flatten(0, 1), targets.flatten())


def copy_symbol_accuracy(logits: Tensor, targets: Tensor) -> Tensor:
    """Accuracy over the last 10 steps (the symbols to recall) of logits ``(N, T, 9)``."""
    return (logits[:, -10:].argmax(-1) == targets[:, -10:]).float().mean()


def copy_memoryless_logits(targets: Tensor) -> Tensor:
    """Logits ``(N, T, 9)`` of the best strategy without memory: the blank (class 0) with
    probability 1 before the last 10 steps, a uniform guess over the 8 symbols on them. Its
    [`copy_loss`][apps.sequence_classification.metrics.copy_loss] is ``10·log(8)/T``."""
    n, t = targets.shape
    logits = torch.full((n, t, NUM_SYMBOLS + 1), -1e4)
    logits[:, : t - 10, 0] = 0.0
    logits[:, t - 10 :, 1:] = 0.0
    return logits
