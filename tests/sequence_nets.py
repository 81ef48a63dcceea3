"""Helpers shared by the sequence models' tests (MultiresNet, WaveNet, Transformer, MultiresAR)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import torch

M = TypeVar("M")


def seeded(cls: Callable[..., M], **defaults: Any) -> Callable[..., M]:
    """A builder of ``cls(**defaults, **kw)`` after ``torch.manual_seed(0)`` (the same weights on
    every call); ``kw`` overrides ``defaults``."""

    def build(**kw: Any) -> M:
        torch.manual_seed(0)
        return cls(**{**defaults, **kw})

    return build


def assert_padding_changes_nothing(model: Any, kind: str) -> None:
    """Three sequences of lengths 13, 4 and 1 padded to 13 with garbage (real ``(3, 3, 13)``
    float64 inputs, or tokens below 7): the batch's logits equal each sequence's alone."""
    lengths = torch.tensor([13, 4, 1])
    if kind == "real":
        x = torch.randn(3, 3, 13, dtype=torch.float64)
        garbage = torch.randn(3, 3, 13, dtype=torch.float64) * 100
        padded = torch.where(torch.arange(13) < lengths[:, None, None], x, garbage)
    else:
        x = torch.randint(0, 7, (3, 13))
        garbage = torch.randint(0, 7, (3, 13))
        padded = torch.where(torch.arange(13) < lengths[:, None], x, garbage)
    logits = model(padded, lengths)
    for b in range(3):
        alone = model(x[b : b + 1, ..., : int(lengths[b])])
        torch.testing.assert_close(logits[b : b + 1], alone, rtol=0, atol=1e-6)
