"""What the AR solves' autograd functions share: the typed ``ctx`` and the float32 backward.

Legend: N batch, C channels, S the spatial sizes.

The solves' forwards run with autocast off ([`ar_solve`][arma_core.ar_solve] turns it off around
them, so they compute in float32); ``autocast_off`` runs a backward the same way.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

import torch
from torch import Tensor
from torch.autograd.function import FunctionCtx

__all__ = ["Grads", "SolveCtx", "autocast_off"]

#: What a backward returns: one gradient (or ``None``) per input of the forward.
Grads = tuple[Tensor | None, ...]


class SolveCtx(FunctionCtx):
    """``ctx`` as a solve's forward fills it and its backward reads it.

    A declaration for the type checker (torch builds the real object); each solve subclasses it
    with the attributes its forward stores.
    """

    saved_tensors: tuple[Tensor, ...]
    needs_input_grad: tuple[bool, ...]


_Ctx = TypeVar("_Ctx", bound=SolveCtx)


def autocast_off(
    backward: Callable[[_Ctx, Tensor], Grads],
) -> Callable[[_Ctx, Tensor], Grads]:
    """``backward(ctx, grad (N, C, *S))`` run with autocast off on ``grad``'s device, as its
    forward ran (float32 throughout)."""

    @functools.wraps(backward)
    def run(ctx: _Ctx, grad: Tensor) -> Grads:
        with torch.autocast(grad.device.type, enabled=False):
            return backward(ctx, grad)

    return run
