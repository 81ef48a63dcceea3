"""The banded solve on Triton kernels, registered as the custom ops ``arma_core::banded_solve``
and ``arma_core::banded_solve_backward``.

Legend: N batch, C channels, D spatial axes, Q stages per axis, M the longest axis.

Runs where Triton runs: CUDA tensors, and CPU tensors under ``TRITON_INTERPRET=1`` (how the tests
check the kernels without a GPU; set it before Python imports triton). The forward is one factor
launch plus one launch per axis (all stages of an axis in one); it saves ``Y`` and the
coefficients only, as the other implementations do. The backward is one factor launch (the
transposed stages) plus one launch per axis for the coefficient gradients and one per further
axis for ``dL/dT``; per-line gradient terms are summed by ``torch.sum`` (deterministic, no
atomics). Nothing reads a tensor back to the host.

As custom ops with fake (meta) implementations, ``torch.compile(fullgraph=True)`` and
``torch.export`` trace through them without graph breaks. Not differentiable twice.
"""

from __future__ import annotations

import importlib.util
import math
import os
from types import ModuleType
from typing import Any

import torch
from torch import Tensor

__all__ = ["AVAILABLE", "banded_solve", "banded_solve_backward", "interpreting", "usable"]

#: Whether triton is installed (it comes with torch's CUDA wheels).
AVAILABLE = importlib.util.find_spec("triton") is not None
_FLOATS = (torch.float32, torch.float64)
_BLOCK_LINES = 128  # lines per program: 4 warps, one line per thread
_BLOCK_STAGES = 32  # stages per program of the factor kernel: 1 warp
_kernels: ModuleType | None = None


def interpreting() -> bool:
    """Whether Triton runs its kernels in the interpreter (``TRITON_INTERPRET=1``), on CPU."""
    return os.environ.get("TRITON_INTERPRET", "0") == "1"


def usable(x: Tensor, interpreter_ok: bool = True) -> bool:
    """Whether the Triton kernels can run on ``x``: float32/64 on CUDA, or on the CPU under the
    interpreter (if ``interpreter_ok``)."""
    if not AVAILABLE or x.dtype not in _FLOATS:
        return False
    return x.device.type == "cuda" or (interpreter_ok and x.device.type == "cpu" and interpreting())


def _k() -> ModuleType:
    """The kernels module, imported on first use (Triton reads TRITON_INTERPRET then)."""
    global _kernels
    if _kernels is None:
        from . import _banded_triton_kernels

        _kernels = _banded_triton_kernels
    return _kernels


def _cdiv(a: int, b: int) -> int:
    return -(-a // b)


def _factors(
    co: Tensor, sizes: list[int], cyclic: bool, transpose: bool, dtype: torch.dtype
) -> list[Tensor]:
    """Factors of every stage, each (D, C, Q, M) (w: (D, C, Q, 2)), computed in float64."""
    d, c, q, _ = co.shape
    m = max(sizes)
    p = d * c * q
    co64 = co.detach().to(torch.float64).contiguous()
    out = [co64.new_zeros(d, c, q, m) for _ in range(4)] + [co64.new_zeros(d, c, q, 2)]
    n = [*sizes, 3, 3][:3]  # sizes are kernel arguments: no host-to-device copy
    grid = (_cdiv(p, _BLOCK_STAGES),)
    _k().factors_kernel[grid](
        co64, *out, p, c * q, *n, m, CYCLIC=cyclic, LEFT=int(transpose), BLOCK=_BLOCK_STAGES,
        num_warps=1,
    )  # fmt: skip
    return [f.to(dtype) for f in out]


def _geometry(shape: torch.Size, axis: int) -> tuple[int, int, int, int]:
    """(lines, n, inner, pre) of spatial ``axis`` of a contiguous (N, C, *S) tensor."""
    sizes = list(shape[2:])
    n = sizes[axis]
    inner = math.prod(sizes[axis + 1 :])
    pre = math.prod(sizes[:axis])
    return shape.numel() // n, n, inner, pre


def _launch(
    src: Tensor,
    dst: Tensor,
    fac: list[Tensor],
    a: int,
    co: Tensor,
    y: Tensor,
    zbuf: Tensor,
    part: Tensor,
    cyclic: bool,
    adjoint: bool,
    need_co: bool,
) -> None:
    """One ``axis_kernel`` launch over every line of spatial axis ``a``."""
    lines, n, inner, pre = _geometry(src.shape, a)
    _, c, q, m = fac[0].shape
    grid = (_cdiv(lines, _BLOCK_LINES),)
    _k().axis_kernel[grid](
        src,
        dst,
        *(f[a] for f in fac),
        co[a],
        y,
        zbuf,
        part,
        lines,
        n,
        inner,
        pre,
        c,
        q,
        m,
        CYCLIC=cyclic,
        ADJOINT=adjoint,
        NEED_CO=need_co,
        BLOCK=_BLOCK_LINES,
        num_warps=4,
    )


@torch.library.custom_op("arma_core::banded_solve", mutates_args=())
def banded_solve(x: Tensor, coefficients: Tensor, cyclic: bool) -> Tensor:
    """``Y = A⁻¹ x`` for ``x (Tensor[N, C, *S])`` and ``coefficients (Tensor[D, C, Q, 2])``
    (same dtype, float32/64, same device); see [`arma_core.banded`][arma_core.banded]."""
    x = x.contiguous()
    y = torch.empty_like(x, memory_format=torch.contiguous_format)
    if x.numel() == 0:
        return y
    co = coefficients.detach().contiguous()
    fac = _factors(co, list(x.shape[2:]), cyclic, False, x.dtype)
    src = x
    for a in range(co.shape[0]):
        _launch(src, y, fac, a, co, y, y, y, cyclic, adjoint=False, need_co=False)
        src = y
    return y


@banded_solve.register_fake
def _(x: Tensor, coefficients: Tensor, cyclic: bool) -> Tensor:
    return torch.empty_like(x, memory_format=torch.contiguous_format)


@torch.library.custom_op("arma_core::banded_solve_backward", mutates_args=())
def banded_solve_backward(
    grad: Tensor, y: Tensor, coefficients: Tensor, cyclic: bool, need_co: bool
) -> tuple[Tensor, Tensor]:
    """``(A⁻ᵀ grad, dL/dcoefficients (Tensor[D, C, Q, 2]))`` from the forward's ``y``; the
    second is zeros unless ``need_co``."""
    grad = grad.contiguous()
    y = y.contiguous()
    co = coefficients.detach().contiguous()
    d, c, q, _ = co.shape
    gco = torch.zeros_like(co)
    gx = torch.empty_like(grad, memory_format=torch.contiguous_format)
    if grad.numel() == 0:
        return gx.zero_(), gco
    fac = _factors(co, list(grad.shape[2:]), cyclic, True, grad.dtype)
    co = co.to(grad.dtype)
    zbuf = torch.empty_like(y) if need_co and q > 1 else y
    scratch = torch.empty_like(grad) if need_co and d > 1 else gx
    for a in range(d):
        lines = _geometry(grad.shape, a)[0]
        part = grad.new_empty(lines, q, 2) if need_co else grad
        if a == 0 or need_co:  # every axis's coefficient terms need the adjoint of grad alone
            dst = gx if a == 0 else scratch
            _launch(grad, dst, fac, a, co, y, zbuf, part, cyclic, adjoint=True, need_co=need_co)
        if need_co:
            # (N·C·pre·inner, Q, 2) -> per channel: sum over the batch and the other axes
            n_b = grad.shape[0]
            gco[a] = part.view(n_b, c, -1, q, 2).sum((0, 2)).to(gco.dtype)
    for a in range(1, d):
        _launch(gx, gx, fac, a, co, y, zbuf, gx, cyclic, adjoint=True, need_co=False)
    return gx, gco


@banded_solve_backward.register_fake
def _(
    grad: Tensor, y: Tensor, coefficients: Tensor, cyclic: bool, need_co: bool
) -> tuple[Tensor, Tensor]:
    gx = torch.empty_like(grad, memory_format=torch.contiguous_format)
    return gx, torch.empty_like(coefficients)


def _setup_context(ctx: Any, inputs: tuple[Tensor, Tensor, bool], output: Tensor) -> None:
    _, coefficients, cyclic = inputs
    ctx.cyclic = cyclic
    ctx.save_for_backward(output, coefficients)


def _backward(ctx: Any, grad: Tensor) -> tuple[Tensor | None, Tensor | None, None]:
    y, co = ctx.saved_tensors
    need_x, need_co = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
    gx, gco = banded_solve_backward(grad, y, co, ctx.cyclic, need_co)
    return (gx if need_x else None), (gco if need_co else None), None


banded_solve.register_autograd(_backward, setup_context=_setup_context)
