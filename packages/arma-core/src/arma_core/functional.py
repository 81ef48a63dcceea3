"""``arma_conv``: the ARMA layers' forward as one function — convolution, then the AR solve.

Legend: N batch, C_in/C_out channels, D spatial axes, Q stages per axis, k the kernel size.

This is the one place that decides how an ARMA layer runs:

* numba backend on a CPU tensor (float32/float64, no autocast) with the banded solve: the
  convolution and the solve as one autograd node (``arma_core._conv_ar``: same values, no
  output-sized allocation in the backward);
* otherwise: ``torch.nn.functional.conv{D}d``, then [`ar_solve`][arma_core.ar_solve], which
  picks the method and the kernel (numba, Triton or the PyTorch sweeps; see
  [`set_backend`][arma_core.set_backend]).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch
from torch import Tensor
from torch.nn import functional as F

from ._checks import check_choice, check_coefficients, should_validate
from ._conv_ar import ConvARSolve
from .backends import kernel_for
from .solve import ar_solve
from .types import BOUNDARIES, METHODS, Boundary, Method

__all__ = ["PADDING_MODES", "PaddingMode", "arma_conv"]

PaddingMode = Literal["zeros", "reflect", "replicate", "circular"]
PADDING_MODES: tuple[PaddingMode, ...] = ("zeros", "reflect", "replicate", "circular")
_CONVS = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
IntOrTuple = int | Sequence[int]


def _tuple(name: str, value: IntOrTuple, d: int) -> list[int]:
    if isinstance(value, int) and not isinstance(value, bool):
        return [value] * d
    if isinstance(value, Sequence) and len(value) == d and all(isinstance(v, int) for v in value):
        return list(value)
    raise TypeError(f"{name} should be an int or a sequence of {d} ints, got {value!r}")


def _reversed_pads(
    padding: str | IntOrTuple, kernel: Sequence[int], dilation: list[int]
) -> list[int]:
    """``F.pad``'s amounts (last axis first, left then right) as ``nn.ConvNd`` computes them."""
    d = len(kernel)
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError(f"padding should be 'same', 'valid' or ints, got {padding!r}")
        pads = [0, 0] * d
        if padding == "same":
            for a in range(d):
                total = dilation[a] * (kernel[a] - 1)
                i = d - 1 - a
                pads[2 * i], pads[2 * i + 1] = total // 2, total - total // 2
        return pads
    return [p for v in reversed(_tuple("padding", padding, d)) for p in (v, v)]


def arma_conv(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None,
    coefficients: Tensor | Sequence[Tensor],
    *,
    stride: IntOrTuple = 1,
    padding: str | IntOrTuple = 0,
    dilation: IntOrTuple = 1,
    groups: int = 1,
    padding_mode: PaddingMode = "zeros",
    boundary: Boundary = "circular",
    method: Method = "auto",
    validate: bool | None = None,
) -> Tensor:
    """``Y = A⁻¹ conv(input, weight, bias)``: an ARMA convolution, ``D`` = 1, 2 or 3.

    Args:
        input (Tensor[N, C_in, *S_in]): or unbatched ``(C_in, *S_in)``.
        weight (Tensor[C_out, C_in / groups, *k]): the convolution's weight (the moving-average
            part).
        bias (Tensor[C_out] | None): the convolution's bias.
        coefficients (Tensor[D, C_out, Q, 2]): the AR stages (``Q = 0``: the convolution alone),
            e.g. [`ARMA2d.ar_coefficients`][arma_core.ARMA2d].
        stride: as ``torch.nn.functional.conv2d``.
        padding: as ``torch.nn.functional.conv2d``: ints, ``"same"`` or ``"valid"``.
        dilation: as ``torch.nn.functional.conv2d``.
        groups: as ``torch.nn.functional.conv2d``.
        padding_mode: as ``nn.Conv2d``: ``"zeros"``, ``"reflect"``, ``"replicate"`` or
            ``"circular"``.
        boundary: of the AR solve, see [`ar_solve`][arma_core.ar_solve].
        method: of the AR solve; ``"auto"`` or ``"banded"`` with the numba backend on a CPU
            tensor runs the convolution and the solve as one autograd node.
        validate: the AR solve's value checks, see [`ar_solve`][arma_core.ar_solve].

    Returns:
        Tensor[N, C_out, *S_out]: the shape the convolution gives (unbatched in, unbatched out).

    Raises:
        ValueError: an unknown boundary, method or padding mode; the shapes of
            [`ar_solve`][arma_core.ar_solve]; non-finite values or a singular filter where value
            checks run.
        TypeError: a non-tensor input or weight, or malformed conv arguments.
    """
    check_choice("boundary", boundary, BOUNDARIES)
    check_choice("method", method, METHODS)
    check_choice("padding_mode", padding_mode, PADDING_MODES)
    for name, t in (("input", input), ("weight", weight)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name} should be a Tensor, got {type(t).__name__}")
    d = weight.ndim - 2
    if d not in _CONVS:
        raise ValueError(f"weight should be (C_out, C_in/groups, *k) with 1 to 3 spatial dims, "
                         f"got shape {tuple(weight.shape)}")  # fmt: skip
    if input.ndim not in (d + 1, d + 2):
        raise ValueError(
            f"input should be {d + 2}D (batched) or {d + 1}D (unbatched) for a {d}D weight, "
            f"got shape {tuple(input.shape)}"
        )
    co = check_coefficients(coefficients, d, weight.shape[0])
    unbatched = input.ndim == d + 1
    x = input.unsqueeze(0) if unbatched else input
    dilation_ = _tuple("dilation", dilation, d)
    pads = _reversed_pads(padding, weight.shape[2:], dilation_)
    if co.shape[2] > 0 and _fusable(x, weight, method):
        y = _fused(x, weight, bias, co, _tuple("stride", stride, d), pads, dilation_, groups,
                   padding_mode, boundary, validate)  # fmt: skip
    else:
        conv = _CONVS[d]
        if padding_mode != "zeros":  # as nn.ConvNd: pad explicitly, convolve unpadded
            t = conv(F.pad(x, pads, mode=padding_mode), weight, bias, stride, 0, dilation, groups)
        else:
            t = conv(x, weight, bias, stride, padding, dilation, groups)
        # t is this call's own convolution output: the solve may write into it
        y = ar_solve(t, co, boundary=boundary, method=method, validate=validate,
                     overwrite_input=True)  # fmt: skip
    return y.squeeze(0) if unbatched else y


def _fusable(x: Tensor, weight: Tensor, method: Method) -> bool:
    """Whether the one-node numba path applies ("auto" is banded wherever numba runs)."""
    return (
        method in ("auto", "banded")
        and kernel_for(x) == "numba"
        and x.dtype == weight.dtype
        and not torch.is_autocast_enabled(x.device.type)
    )


def _fused(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None,
    co: Tensor,
    stride: list[int],
    pads: list[int],
    dilation: list[int],
    groups: int,
    padding_mode: PaddingMode,
    boundary: Boundary,
    validate: bool | None,
) -> Tensor:
    """The one-node path: pad as ``nn.ConvNd`` does, then ``ConvARSolve``."""
    d = weight.ndim - 2
    if padding_mode != "zeros":  # as nn.ConvNd: pad explicitly, convolve unpadded
        x = F.pad(x, pads, mode=padding_mode)
        padding = [0] * d
    elif pads[0::2] != pads[1::2]:  # padding="same" with an asymmetric split
        x = F.pad(x, pads)
        padding = [0] * d
    else:
        padding = list(pads[0::2][::-1])
    return ConvARSolve.apply(
        x,
        weight,
        bias,
        co.to(x.dtype),
        (stride, padding, dilation, groups),
        boundary == "circular",
        should_validate(validate, x),
    )
