"""Optional numba fast path of the banded solve on CPU; the PyTorch sweeps are the reference.

Legend: B = N·C maps, (A0, A1, A2) one map padded to 3D (1D: (1, 1, L), 2D: (1, H, W)),
D spatial axes, C channels, Q stages, n one axis's length.

Each map is solved whole, every axis while it sits in cache (maps run in parallel with
``numba.prange``), so the forward reads ``T`` and writes ``Y`` once and the backward reads ``G``
and ``Y`` and writes ``dL/dT`` once: the memory traffic of three copies for forward+backward.
Used only when numba is installed (the ``fast`` extra), for CPU float32/float64 tensors outside
``torch.compile`` and ``torch.func`` transforms, and where the backend allows it
([`arma_core.set_backend`][arma_core.set_backend]: ``"auto"`` or ``"numba"``).
"""

from __future__ import annotations

import importlib.util
from types import ModuleType

import numpy as np
import torch
from torch import Tensor

__all__ = ["AVAILABLE", "backward", "forward", "usable"]

#: Whether numba is installed (the ``fast`` extra).
AVAILABLE = importlib.util.find_spec("numba") is not None
_kernels = None


def _has_storage(x: Tensor) -> bool:
    """Whether ``x`` owns memory numpy can view: not a ``torch.func`` (vmap/grad) wrapper,
    whose storage cannot be accessed (the public test of what the kernel needs)."""
    try:
        x.untyped_storage()
    except (NotImplementedError, RuntimeError):
        return False
    return True


def usable(x: Tensor) -> bool:
    """Whether the numba kernel can run on ``x`` (CPU float32/64, eager, numba installed).

    The backend setting is applied by [`kernel_for`][arma_core.backends.kernel_for].
    """
    return (
        AVAILABLE
        and x.device.type == "cpu"
        and x.dtype in (torch.float32, torch.float64)
        and not torch.compiler.is_compiling()
        and _has_storage(x)
    )


def _k() -> ModuleType:
    """The kernels module (numba compiles or loads its cache on first use), run with as many
    threads as torch uses (``torch.set_num_threads`` applies to this path too)."""
    global _kernels
    threads = torch.get_num_threads()
    if _kernels is None:
        from . import _banded_numba_kernels as kernels

        _kernels = kernels
    import numba

    most = numba.config.NUMBA_NUM_THREADS  # type: ignore[attr-defined]  # set from the env at import
    numba.set_num_threads(max(1, min(threads, most)))
    if torch.get_num_threads() != threads:  # numba's threading layer may reset OpenMP's count
        torch.set_num_threads(threads)
    return _kernels


def _maps(x: Tensor) -> np.ndarray:
    """(N, C, *S) contiguous -> numpy (N·C, A0, A1, A2) view."""
    s = list(x.shape[2:])
    s = [1] * (3 - len(s)) + s
    return x.view(-1, *s).numpy()


def _factors(
    co: Tensor, sizes: list[int], cyclic: bool, transpose: bool, dtype: np.dtype
) -> tuple[np.ndarray, ...]:
    """The elimination factors of every axis as numpy arrays (D, C, Q, M) of ``dtype``."""
    c = co.detach().to(torch.float64).contiguous().numpy()
    return _k().factors(c, np.asarray(sizes, dtype=np.int64), cyclic, transpose, np.dtype(dtype))


def forward(x: Tensor, coefficients: Tensor, cyclic: bool, overwrite: bool = False) -> Tensor:
    """``Y = A⁻¹ x`` for ``x (N, C, *S)`` and ``coefficients (D, C, Q, 2)``.

    ``overwrite``: write ``Y`` into ``x`` (contiguous) and return it, instead of a new tensor.
    """
    if overwrite and not x.is_contiguous():
        raise ValueError("overwrite needs a contiguous x")
    x = x.detach().contiguous()
    out = x if overwrite else torch.empty_like(x)
    dt = x.numpy().dtype
    f = _factors(coefficients, list(x.shape[2:]), cyclic, False, dt)
    _k().forward(_maps(x), _maps(out), coefficients.shape[1], *f, cyclic)
    return out


def backward(
    g: Tensor,
    y: Tensor,
    coefficients: Tensor,
    cyclic: bool,
    need_co: bool,
    out: Tensor | None = None,
) -> tuple[Tensor, Tensor | None]:
    """``(A⁻ᵀ g, dL/dcoefficients (D, C, Q, 2) or None)`` from the saved ``y``.

    ``out``: a contiguous tensor of ``g``'s shape and dtype to write ``A⁻ᵀ g`` into (returned).
    """
    g = g.detach().contiguous()
    y = y.detach().contiguous()
    if out is not None and (
        out.shape != g.shape or out.dtype != g.dtype or not out.is_contiguous()
    ):
        raise ValueError("out should be contiguous with the shape and dtype of g")
    gx = torch.empty_like(g) if out is None else out
    dt = g.numpy().dtype
    d, c, q, _ = coefficients.shape
    f = _factors(coefficients, list(g.shape[2:]), cyclic, True, dt)
    part = np.zeros((g.shape[0] * c, d, q, 2) if need_co else (1, d, q, 2))
    co = coefficients.detach().to(g.dtype).contiguous().numpy()
    _k().backward(_maps(g), _maps(y), _maps(gx), co, *f, cyclic, need_co, part)
    if not need_co:
        return gx, None
    grad = torch.from_numpy(part).view(g.shape[0], c, d, q, 2).sum(0).transpose(0, 1)
    return gx, grad.to(coefficients.dtype)
