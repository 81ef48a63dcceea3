"""The banded AR solve: per-axis Thomas sweeps, O(n) per line, exact for both boundaries.

Legend: N batch, C channels, D spatial axes, Q stages per axis, n one axis's length,
R the product of the other spatial sizes (times N where noted).

On one axis the filter is the product of its ``Q`` stages, ``A = F_0 F_1 ⋯ F_{Q−1}``, each stage
``F_s`` the n×n matrix of ``(F y)[i] = l y[i−1] + y[i] + r y[i+1]``:

* ``cyclic=True`` (``boundary="circular"``): indices mod n, a cyclic tridiagonal matrix. The
  stages commute and ``A`` is the circulant of the cascade taps, exactly the FFT/GEMM operator.
  Solved by Thomas on the corner-free part plus a Sherman–Morrison correction.
* ``cyclic=False`` (``boundary="zero"``): ``y = 0`` outside ``[0, n)``, each stage a tridiagonal
  Toeplitz matrix. ``A`` equals the banded Toeplitz matrix of the cascade taps except in the
  ``Q − 1`` rows nearest each edge (a stage's output is truncated to the map before the next).

With ``|l| + |r| < 1`` every stage (and the cyclic correction's tridiagonal part) is strictly
diagonally dominant, so elimination without pivoting is stable. The factorisation (pivots
``1/m_i``, ratios ``c_i``) depends only on the taps: computed once per call, shape (C, Q, n).

Backward (saves ``Y`` and the coefficients only): ``dL/dT = A⁻ᵀ G`` with the transposed stages
(``l`` and ``r`` swapped) in reverse order; for stage ``s`` of axis ``a`` with ``W_s`` the
axis-``a`` adjoint after stages ``Q−1..s`` and ``Z_s = F_{s+1} ⋯ F_{Q−1} Y``:
``dL/dl = −Σ W_s[i] Z_s[i−1]``, ``dL/dr = −Σ W_s[i] Z_s[i+1]`` (sums over every other index).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

from . import _banded_numba, _banded_triton
from ._autograd import Grads, SolveCtx, autocast_off
from .backends import kernel_for

__all__ = ["BandedARSolve", "banded_solve", "banded_solve_axis", "stage_factors"]


class StageFactors(NamedTuple):
    """Elimination factors of the Q stages of one axis, all per channel.

    minv (Tensor[C, Q, n]): pivots' reciprocals ``1/m_i``. beta (Tensor[C, Q, n]): ``−l/m_i``.
    negc (Tensor[C, Q, n]): ``−r/m_i``. z (Tensor[C, Q, n] | None): Sherman–Morrison vector
    ``T⁻¹u``. w (Tensor[C, Q, 2] | None): ``(1, −l)/(1 + z_0 − l z_{n−1})``.
    """

    minv: Tensor
    beta: Tensor
    negc: Tensor
    z: Tensor | None
    w: Tensor | None


def stage_factors(coefficients: Tensor, n: int, cyclic: bool) -> StageFactors:
    """Factor the Q stages of one axis.

    Args:
        coefficients (Tensor[C, Q, 2]): ``(l, r)`` per channel and stage.
        n: axis length (``>= 3``).
        cyclic: circular boundary (adds the Sherman–Morrison corner correction).
    """
    l, r = coefficients[..., 0], coefficients[..., 1]
    # cyclic: T = A − u vᵀ with u = (−1, 0, …, r), v = (1, 0, …, −l); diag(T) = (2, 1, …, 1 + r l)
    ms: list[Tensor] = []
    cs: list[Tensor] = []
    m = 2.0 + 0.0 * l if cyclic else torch.ones_like(l)
    for i in range(n):
        if i > 0:
            m = 1.0 - l * cs[-1]
            if cyclic and i == n - 1:
                m = m + r * l
        ms.append(m)
        cs.append(r / m)
    minv = torch.stack(ms, -1).reciprocal()
    c = torch.stack(cs, -1)
    f = StageFactors(minv, -l.unsqueeze(-1) * minv, -c, None, None)
    if not cyclic:
        return f
    u = torch.zeros(*l.shape, n, dtype=l.dtype, device=l.device)
    u[..., 0] = -1.0
    u[..., -1] = r
    z = _thomas_lines(u, f)
    denom = 1.0 + z[..., 0] - l * z[..., -1]
    w = torch.stack((torch.ones_like(l), -l), -1) / denom.unsqueeze(-1)
    return f._replace(z=z, w=w)


def _thomas_lines(u: Tensor, f: StageFactors) -> Tensor:
    """Tridiagonal solve of small lines ``u (C, Q, n)`` (factorisation setup only)."""
    u = u * f.minv
    n = u.shape[-1]
    for i in range(1, n):
        u[..., i] += f.beta[..., i] * u[..., i - 1]
    for i in range(n - 2, -1, -1):
        u[..., i] += f.negc[..., i] * u[..., i + 1]
    return u


def _solve_stage(x: Tensor, f: StageFactors, s: int) -> None:
    """In place: ``x (n, N, C, R)`` ← ``F_s⁻¹ x`` along dim 0."""
    n = x.shape[0]
    x.mul_(f.minv[:, s].T[:, None, :, None])
    beta = f.beta[:, s].T.unsqueeze(-1)  # (n, C, 1)
    negc = f.negc[:, s].T.unsqueeze(-1)
    for i in range(1, n):
        x[i].addcmul_(x[i - 1], beta[i])
    for i in range(n - 2, -1, -1):
        x[i].addcmul_(x[i + 1], negc[i])
    if f.z is not None and f.w is not None:
        w = f.w[:, s]  # (C, 2)
        corr = x[0] * w[:, :1] + x[n - 1] * w[:, 1:]  # (N, C, R)
        x.sub_(f.z[:, s].T[:, None, :, None] * corr)


def _apply_stage(z: Tensor, coefficients: Tensor, s: int, cyclic: bool) -> Tensor:
    """``F_s z`` along dim 0 of ``z (n, N, C, R)`` (the filter itself, not its inverse)."""
    l = coefficients[:, s, 0].unsqueeze(-1)  # (C, 1)
    r = coefficients[:, s, 1].unsqueeze(-1)
    out = z.clone()
    out[1:].addcmul_(z[:-1], l)
    out[:-1].addcmul_(z[1:], r)
    if cyclic:
        out[0].addcmul_(z[-1], l)
        out[-1].addcmul_(z[0], r)
    return out


def _to_lines(x: Tensor, axis: int) -> Tensor:
    """(N, C, *S) -> a new contiguous (n, N, C, R): the solved axis first, the rest flattened."""
    n = x.shape[2 + axis]
    lines = x.movedim(2 + axis, 0).reshape(n, x.shape[0], x.shape[1], -1)
    return lines.clone(memory_format=torch.contiguous_format)  # always a copy: solved in place


def _from_lines(x: Tensor, axis: int, shape: torch.Size) -> Tensor:
    moved = list(shape)
    n = moved.pop(2 + axis)
    return x.view(n, *moved).movedim(0, 2 + axis).contiguous()


def banded_solve_axis(x: Tensor, coefficients: Tensor, axis: int, cyclic: bool) -> Tensor:
    """``A_axis⁻¹ x`` along one spatial axis (forward stage order).

    Args:
        x (Tensor[N, C, *S]): right-hand side.
        coefficients (Tensor[C, Q, 2]): this axis's stages.
        axis: spatial axis index.
        cyclic: circular boundary.

    Returns:
        Tensor[N, C, *S].
    """
    n = x.shape[2 + axis]
    f = stage_factors(coefficients, n, cyclic)
    lines = _to_lines(x, axis)
    for s in range(coefficients.shape[1]):
        _solve_stage(lines, f, s)
    return _from_lines(lines, axis, x.shape)


def _adjoint_axis(
    g: Tensor, y: Tensor | None, coefficients: Tensor, axis: int, cyclic: bool
) -> tuple[Tensor, Tensor]:
    """``A_axis⁻ᵀ g`` and, if ``y`` is given, the axis's coefficient gradient (C, Q, 2)."""
    n = g.shape[2 + axis]
    q = coefficients.shape[1]
    ft = stage_factors(coefficients.flip(-1), n, cyclic)  # transposed stages: l and r swapped
    w = _to_lines(g, axis)
    z = _to_lines(y, axis) if y is not None else None
    grad = coefficients.new_zeros(coefficients.shape)
    for s in range(q - 1, -1, -1):
        _solve_stage(w, ft, s)
        if z is None:
            continue
        if s < q - 1:
            z = _apply_stage(z, coefficients, s + 1, cyclic)
        grad[:, s, 0] = -torch.einsum("inck,inck->c", w[1:], z[:-1])
        grad[:, s, 1] = -torch.einsum("inck,inck->c", w[:-1], z[1:])
        if cyclic:
            grad[:, s, 0] -= torch.einsum("nck,nck->c", w[0], z[-1])
            grad[:, s, 1] -= torch.einsum("nck,nck->c", w[-1], z[0])
    return _from_lines(w, axis, g.shape), grad


def banded_solve(x: Tensor, coefficients: Tensor, cyclic: bool, overwrite: bool = False) -> Tensor:
    """``Y = A⁻¹ x`` with the implementation the backend picks for ``x``; differentiable.

    Args:
        x (Tensor[N, C, *S]): contiguous right-hand side (float32 or float64).
        coefficients (Tensor[D, C, Q, 2]): the stages, in ``x``'s dtype.
        cyclic: circular boundary (else zero).
        overwrite: allow the numba kernel to write ``Y`` into ``x`` (see
            [`BandedARSolve`][arma_core.banded.BandedARSolve]); the other kernels ignore it.

    Returns:
        Tensor[N, C, *S].
    """
    if kernel_for(x) == "triton":
        return _banded_triton.banded_solve(x, coefficients, cyclic)
    return BandedARSolve.apply(x, coefficients, cyclic, overwrite)


class _Ctx(SolveCtx):
    cyclic: bool


class BandedARSolve(torch.autograd.Function):
    """``Y = A⁻¹ T`` for ``T (N, C, *S)`` and coefficients ``(D, C, Q, 2)``; see module doc.

    ``overwrite=True`` lets the compiled path write ``Y`` into ``T``'s memory (``T`` contiguous,
    not a leaf that requires grad; marked dirty, so autograd rejects any later use of the old
    ``T``): one output-sized allocation fewer, which on CPU also means no fresh pages to fault in.
    """

    @staticmethod
    def forward(
        ctx: _Ctx, x: Tensor, coefficients: Tensor, cyclic: bool, overwrite: bool = False
    ) -> Tensor:
        co = coefficients.detach()
        if kernel_for(x) == "numba":
            inplace = overwrite and x.is_contiguous()
            y = _banded_numba.forward(x, co, cyclic, overwrite=inplace)
            if inplace:
                ctx.mark_dirty(x)
                y = x
        else:
            y = x
            for a in range(co.shape[0]):
                y = banded_solve_axis(y, co[a], a, cyclic)
            if y is x:
                y = x.clone()
        ctx.cyclic = cyclic
        ctx.save_for_backward(y, co)
        return y

    @staticmethod
    @autocast_off
    def backward(ctx: _Ctx, grad: Tensor) -> Grads:
        """``(dL/dT, dL/dcoefficients, None, None)`` from ``grad (N, C, *S)`` and the saved
        ``Y``."""
        y, co = ctx.saved_tensors
        grad = grad.contiguous()
        need_x, need_co = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        d = co.shape[0]
        gx, gco = None, None
        if kernel_for(grad) == "numba":
            gx, gco = _banded_numba.backward(grad, y, co, ctx.cyclic, need_co)
            return (gx if need_x else None), gco, None, None
        if need_co:
            grads = []
            for a in range(d):
                lam, ga = _adjoint_axis(grad, y, co[a], a, ctx.cyclic)
                grads.append(ga)
                if a == 0 and need_x:
                    gx = lam  # the full adjoint starts with axis 0's
            gco = torch.stack(grads)
        if need_x:
            start = 1 if gx is not None else 0
            gx = grad if gx is None else gx
            for a in range(start, d):
                gx, _ = _adjoint_axis(gx, None, co[a], a, ctx.cyclic)
        return gx, gco, None, None
