"""Helpers shared by the sequence models' tests (MultiresNet, WaveNet, Transformer, MultiresAR)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import pytest
import torch

M = TypeVar("M")

#: ``(kwargs, match)``: the MultiresBlock arguments every MultiresBlock model (MultiresNet,
#: MultiresAR) checks, and the ``ValueError`` message a bad value gives.
MULTIRES_BLOCK_ARGUMENT_ERRORS = [
    ({"norm": "group"}, "norm should be one of .*got 'group'"),
    ({"dropout": 1.0}, r"dropout should be in \[0, 1\), got 1.0"),
    ({"dropout": 1.5}, r"dropout should be in \[0, 1\), got 1.5"),
    ({"tree_select": "x"}, "tree_select should be one of .*got 'x'"),
]


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


def assert_input_errors_name_themselves(real: Any, tokens: Any) -> None:
    """The input checks every sequence classifier shares (its
    [`SequenceInput`][longrange_models.SequenceInput] and the ``lengths`` checks): ``real`` takes
    ``(N, 3, L)`` reals, ``tokens`` token ids below 7; each bad input raises the error that names
    it."""
    x = torch.randn(2, 3, 5)
    with pytest.raises(ValueError, match=r"x should be a Tensor\[N, C_in=3, L\], got \(2, 4, 5\)"):
        real(torch.randn(2, 4, 5))
    with pytest.raises(ValueError, match=r"x should be a Tensor\[N, C_in=3, L\], got \(2, 8\)"):
        real(torch.randn(2, 8))
    with pytest.raises(ValueError, match=r"lengths should be in \[1, L=5\], got \[0, 5\]"):
        real(x, torch.tensor([0, 5]))
    with pytest.raises(ValueError, match=r"lengths should be a Tensor\[N=2\], got \(3,\)"):
        real(x, torch.tensor([1, 2, 3]))
    with pytest.raises(TypeError, match=r"lengths should be an integer tensor, got torch\.float32"):
        real(x, torch.tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"x should hold integer token ids, got torch\.float32"):
        tokens(torch.zeros(2, 5))
    with pytest.raises(ValueError, match=r"x should hold token ids in \[0, 7\), got \(0, 7\)"):
        tokens(torch.tensor([[0, 7]]))
