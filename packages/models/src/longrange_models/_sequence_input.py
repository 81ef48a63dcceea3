"""The input conventions of the sequence classifiers, shared by the baselines and the apps.

Legend: N batch, C_in input channels, L length, V vocabulary, D width.

As [`MultiresNet`][longrange_models.MultiresNet]: real inputs ``(N, C_in, L)`` through a 1×1
projection, or int64 token ids ``(N, L)`` through an embedding, to features ``(N, D, L)``;
``lengths (N,)`` counts the valid positions of each sequence (padding comes after them).

[`SequenceInput`][longrange_models.SequenceInput] is public (``from longrange_models import
SequenceInput``); this module's path stays importable too.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from ._checks import positive_int

__all__ = [
    "SequenceInput",
    "check_lengths",
    "check_one_source",
    "check_sequence_input",
    "padding_mask",
    "source_repr",
]


def _shape(x: object) -> object:
    return tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__


class SequenceInput(nn.Module):
    """A sequence model's input layer: real ``(N, C_in, L)`` or token ids ``(N, L)`` to features
    ``(N, D, L)``.

    Real inputs ``Tensor[N, C_in, L]`` (floating point) go through ``nn.Conv1d(C_in, D, 1)``,
    token ids ``Tensor[N, L]`` (integer, in ``[0, V)``) through ``nn.Embedding(V, D)`` (either is
    the attribute ``net``); both give ``Tensor[N, D, L]``. The input is checked: a wrong shape,
    dtype or token id raises an error that names ``x`` and what it got.

    Args:
        width: ``D``, the features' channels.
        in_channels: ``C_in`` of real inputs; or
        num_tokens: the vocabulary size ``V`` of token inputs. Give exactly one of the two.

    Example:
        >>> import torch
        >>> SequenceInput(8, in_channels=3)(torch.randn(2, 3, 5)).shape
        torch.Size([2, 8, 5])
        >>> SequenceInput(8, num_tokens=10)(torch.tensor([[1, 2, 9]])).shape
        torch.Size([1, 8, 3])
    """

    def __init__(
        self, width: int, in_channels: int | None = None, num_tokens: int | None = None
    ) -> None:
        super().__init__()
        positive_int("width", width)
        check_one_source(in_channels, num_tokens)
        self.in_channels, self.num_tokens = in_channels, num_tokens
        if num_tokens is not None:
            positive_int("num_tokens", num_tokens)
            self.net: nn.Module = nn.Embedding(num_tokens, width)
        else:
            positive_int("in_channels", in_channels)
            self.net = nn.Conv1d(int(in_channels or 0), width, 1)

    def forward(self, x: Tensor) -> Tensor:
        """Reals ``x (Tensor[N, C_in, L])`` or token ids ``x (Tensor[N, L])`` ->
        ``Tensor[N, D, L]``."""
        check_sequence_input(x, self.in_channels, self.num_tokens)
        if self.num_tokens is not None:
            return self.net(x).transpose(1, 2)
        return self.net(x)


def check_sequence_input(x: Tensor, in_channels: int | None, num_tokens: int | None) -> None:
    """Raise the error that names ``x`` unless it is a sequence model's input: token ids
    ``Tensor[N, L]`` (integer, in ``[0, num_tokens)``) when ``num_tokens`` is given, else reals
    ``Tensor[N, C_in=in_channels, L]``."""
    if num_tokens is not None:
        if not isinstance(x, Tensor) or x.ndim != 2:
            raise ValueError(f"x should be a Tensor[N, L] of token ids, got {_shape(x)}")
        if x.is_floating_point() or x.is_complex() or x.dtype == torch.bool:
            raise TypeError(f"x should hold integer token ids, got {x.dtype}")
        if x.numel() and (int(x.min()) < 0 or int(x.max()) >= num_tokens):
            got = (int(x.min()), int(x.max()))
            raise ValueError(f"x should hold token ids in [0, {num_tokens}), got {got}")
        return
    if not isinstance(x, Tensor) or x.ndim != 3 or x.shape[1] != in_channels:
        raise ValueError(f"x should be a Tensor[N, C_in={in_channels}, L], got {_shape(x)}")
    if not x.is_floating_point():
        raise TypeError(f"x should be real-valued, got {x.dtype}")


def check_one_source(in_channels: int | None, num_tokens: int | None) -> None:
    """Raise a ``ValueError`` unless exactly one of ``in_channels`` (real inputs) and
    ``num_tokens`` (token inputs) is given (not ``None``)."""
    if (in_channels is None) == (num_tokens is None):
        raise ValueError(
            "give exactly one of in_channels (real inputs) and num_tokens (token inputs), "
            f"got in_channels={in_channels!r}, num_tokens={num_tokens!r}"
        )


def source_repr(config: Any) -> str:
    """``"in_channels=C_in"`` or ``"num_tokens=V"``: the input part of a sequence model's
    ``extra_repr``, from its ``config`` (either field ``None``)."""
    if config.num_tokens is None:
        return f"in_channels={config.in_channels}"
    return f"num_tokens={config.num_tokens}"


def check_lengths(lengths: Tensor, batch: int, length: int) -> Tensor:
    """``lengths`` checked to be an integer ``Tensor[N=batch]`` with values in ``1..length``."""
    if not isinstance(lengths, Tensor) or lengths.shape != (batch,):
        raise ValueError(f"lengths should be a Tensor[N={batch}], got {_shape(lengths)}")
    if lengths.is_floating_point() or lengths.is_complex() or lengths.dtype == torch.bool:
        raise TypeError(f"lengths should be an integer tensor, got {lengths.dtype}")
    if bool((lengths < 1).any()) or bool((lengths > length).any()):
        raise ValueError(f"lengths should be in [1, L={length}], got {lengths.tolist()}")
    return lengths


def padding_mask(lengths: Tensor, length: int) -> Tensor:
    """``Tensor[N, L]`` bool, ``True`` at the padding (positions ``>= lengths[n]``), as
    ``nn.TransformerEncoder``'s ``src_key_padding_mask`` expects."""
    return torch.arange(length, device=lengths.device) >= lengths[:, None]
