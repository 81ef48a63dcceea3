"""The ARMA layers' convolution and banded AR solve as one autograd node (CPU, numba path);
[`arma_conv`][arma_core.arma_conv] runs it where it applies.

Legend: N batch, C_in/C_out channels, D spatial axes, Q stages per axis.

Unfused, the AR solve's backward returns ``dL/dT`` (output-sized) to autograd, which hands it to
the convolution's backward and frees it: one fresh output-sized allocation per backward. At the
ConvLSTM gate shape that tensor is 32 MiB, above glibc's largest mmap threshold, so each one is
a new mapping whose pages fault in on first touch (~12 ms, 5 % of the layer's fwd+bwd). Here
``dL/dT`` never leaves the node: it is written into a per-thread workspace, reused from call to
call, and passed straight to ``aten.convolution_backward``. The ops and their order are those of
the unfused path (``aten.convolution``, the banded kernels, ``aten.convolution_backward``), so
values and gradients are bit-identical to it (tested); the forward solves in place on the
convolution's output, as the unfused layers do, and saves what they save (input, weight, ``Y``,
coefficients).

The workspace holds one tensor per thread and dtype, as large as the largest layer output that
thread has back-propagated through; [`release_workspace`][arma_core.release_workspace] frees it.
"""

from __future__ import annotations

import threading

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from . import _banded_numba
from ._autograd import Grads, SolveCtx
from ._checks import check_banded, check_sizes

__all__ = ["ConvARSolve", "release_workspace"]

_local = threading.local()


def release_workspace() -> None:
    """Free this thread's workspace of the ARMA layers' fused CPU backward.

    The fused backward keeps one buffer per dtype, as large as the largest ARMA layer output
    back-propagated so far, to avoid an output-sized allocation per backward; it is allocated
    again on the next backward.
    """
    _local.buffers = {}


def _workspace(like: Tensor) -> Tensor:
    """A contiguous tensor of ``like``'s shape and dtype from this thread's reused buffer."""
    buffers = getattr(_local, "buffers", None)
    if buffers is None:
        buffers = _local.buffers = {}
    buf = buffers.get(like.dtype)
    if buf is None or buf.numel() < like.numel():
        buffers.pop(like.dtype, None)  # free the old one before allocating the larger
        buf = buffers[like.dtype] = torch.empty(like.numel(), dtype=like.dtype)
    return buf[: like.numel()].view(like.shape)


#: ``(stride, padding, dilation, groups)`` as ``aten.convolution`` takes them.
ConvArgs = tuple[list[int], list[int], list[int], int]


class _Ctx(SolveCtx):
    conv: ConvArgs
    cyclic: bool
    bias_sizes: list[int] | None


class ConvARSolve(torch.autograd.Function):
    """``Y = A⁻¹ conv(x, weight, bias)``: an ARMA layer's forward as one node.

    Inputs: ``x (N, C_in, *S_in)`` (already padded by the caller for a non-zeros padding mode),
    ``weight``, ``bias`` (or None), ``coefficients (D, C_out, Q, 2)``, ``conv`` = (stride, padding,
    dilation, groups) as ``aten.convolution`` takes them, ``cyclic`` (circular boundary),
    ``check`` (run the value checks). CPU float32/float64 with numba only
    (``_banded_numba.usable``); not differentiable twice.
    """

    @staticmethod
    def forward(
        ctx: _Ctx,
        x: Tensor,
        weight: Tensor,
        bias: Tensor | None,
        coefficients: Tensor,
        conv: ConvArgs,
        cyclic: bool,
        check: bool,
    ) -> Tensor:
        stride, padding, dilation, groups = conv
        d = x.ndim - 2
        t = torch.ops.aten.convolution(
            x, weight, bias, stride, padding, dilation, False, [0] * d, groups
        )
        co = coefficients.detach()
        check_sizes(list(t.shape[2:]), co.shape[2])
        check_banded(t, co, "circular" if cyclic else "zero", check)
        y = _banded_numba.forward(t, co, cyclic, overwrite=True)
        ctx.save_for_backward(x, weight, y, co)
        ctx.conv = conv
        ctx.cyclic = cyclic
        ctx.bias_sizes = None if bias is None else list(bias.shape)
        return y

    @staticmethod
    @once_differentiable
    def backward(ctx: _Ctx, grad: Tensor) -> Grads:
        x, weight, y, co = ctx.saved_tensors
        need_x, need_w, need_b, need_co = ctx.needs_input_grad[:4]
        grad = grad.contiguous()
        gt, gco = _banded_numba.backward(grad, y, co, ctx.cyclic, need_co, out=_workspace(grad))
        gx = gw = gb = None
        if need_x or need_w or need_b:
            stride, padding, dilation, groups = ctx.conv
            gx, gw, gb = torch.ops.aten.convolution_backward(
                gt,
                x,
                weight,
                ctx.bias_sizes,
                stride,
                padding,
                dilation,
                False,
                [0] * (x.ndim - 2),
                groups,
                [need_x, need_w, need_b],
            )
        return gx, gw, gb, gco, None, None, None
