"""The separable circular AR solve as a ``torch.autograd.Function`` (Theorem 4, memory-lean).

Legend: N batch, C channels, D spatial axes with sizes S, m = 2Q+1 taps per axis.

Forward: ``Y = A⁻¹ T`` with ``A = A_0 ⊗ … ⊗ A_{D−1}`` (one circulant per axis), either as ONE
rfftn/irfftn round trip with the broadcast product of per-axis spectra (``"fft"``), or as D small
GEMMs with the dense per-axis inverses ``A_a⁻¹`` (``"matmul"``, faster for small maps).

Backward saves only ``Y`` and the taps (no complex tensor, no ``T``):

* ``dL/dT = A⁻ᵀ G`` — the same solve with the transposed filter (conjugate spectrum).
* matmul: ``dL/dA_a = −A_a⁻ᵀ S_a`` with the Gram ``S_a = Σ G_(a) Y_(a)ᵀ`` over every index but
  the channel and axis ``a``; a tap's gradient sums its circulant diagonal.
* fft: ``dL/dt_a[j] = −(1/|S|) Re Σ_k w_k conj(Ĝ_T) Ŷ Π_{b≠a} Â_b e^{iω_a k_a j}`` (Parseval),
  with ``Ŷ = rfftn(Y)`` recomputed and ``w`` the half-spectrum weights.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ._autograd import Grads, SolveCtx, autocast_off
from ._operators import axis_spectrum, inverse_matrix, inverse_spectrum, tap_offsets

__all__ = ["SeparableARSolve"]

_CHUNK_NUMEL = 1 << 19  # elements per matmul chunk: keeps a chunk in cache


def _prod(xs: tuple[int, ...] | list[int]) -> int:
    return math.prod(xs) if xs else 1


# ---------------------------------------------------------------- matmul path
def _apply_axis(x: Tensor, mat: Tensor, axis: int, out: Tensor | None = None) -> Tensor:
    """``y[..., i, ...] = Σ_j mat[c, i, j] x[..., j, ...]`` along spatial ``axis``.

    x: (B, C, *S) chunk; mat: (C, n, n); out: optional contiguous (B, C, *S) destination.
    """
    b, c, *s = x.shape
    n = s[axis]
    pre, post = _prod(s[:axis]), _prod(s[axis + 1 :])
    shape: tuple[int, ...]
    if post == 1:
        lhs, rhs, shape = x.reshape(b, c, pre, n), mat.transpose(-1, -2), (b, c, pre, n)
    elif pre == 1:
        lhs, rhs, shape = mat, x.reshape(b, c, n, post), (b, c, n, post)
    else:
        lhs, rhs, shape = mat.unsqueeze(1), x.reshape(b, c, pre, n, post), (b, c, pre, n, post)
    if out is None:
        return torch.matmul(lhs, rhs).view(x.shape)
    torch.matmul(lhs, rhs, out=out.view(shape))
    return out


def _gram_factors(g: Tensor, y: Tensor, axis: int) -> tuple[Tensor, Tensor]:
    """Operands whose product, summed over the leading dims, is the axis Gram (C, n, n)."""
    b, c, *s = g.shape
    n = s[axis]
    pre, post = _prod(s[:axis]), _prod(s[axis + 1 :])
    if post == 1:
        return g.reshape(b, c, pre, n).transpose(-1, -2), y.reshape(b, c, pre, n)
    if pre == 1:
        return g.reshape(b, c, n, post), y.reshape(b, c, n, post).transpose(-1, -2)
    g5, y5 = g.reshape(b, c, pre, n, post), y.reshape(b, c, pre, n, post)
    return g5, y5.transpose(-1, -2)


def _accumulate_gram(acc: Tensor, g: Tensor, y: Tensor, axis: int) -> None:
    """``acc += Σ g[.., i, ..] y[.., i', ..]`` over the chunk and the other axes (acc: C, n, n)."""
    lhs, rhs = _gram_factors(g, y, axis)
    if lhs.ndim == 4 and lhs.shape[0] == 1:  # one sample: accumulate inside the GEMM
        acc.baddbmm_(lhs[0], rhs[0])
        return
    prod = torch.matmul(lhs, rhs)
    acc += prod.sum((0, *range(2, prod.ndim - 2)))  # all but channel and (i, i')


def _as_one_sample(x: Tensor) -> Tensor:
    """(N, C, L) -> (1, C, N, L): a 1D batch becomes one 2D sample, so GEMMs batch over N."""
    return x.transpose(0, 1).unsqueeze(0)


def _from_one_sample(x: Tensor) -> Tensor:
    return x.squeeze(0).transpose(0, 1).contiguous()


def _chunks(x: Tensor) -> int:
    per_sample = _prod(list(x.shape[1:]))
    return max(1, _CHUNK_NUMEL // max(per_sample, 1))


def _matmul_solve(x: Tensor, mats: list[Tensor], axis_offset: int = 0) -> Tensor:
    """Apply every axis matrix to x (N, C, *S), chunk by chunk into a preallocated output."""
    out = torch.empty(x.shape, dtype=x.dtype, device=x.device)
    step = _chunks(x)
    last = len(mats) - 1
    for start in range(0, x.shape[0], step):
        t = x[start : start + step]
        for a, m in enumerate(mats):
            t = _apply_axis(t, m, a + axis_offset, out[start : start + step] if a == last else None)
    return out


def _matmul_grams(g: Tensor, y: Tensor, d: int, axis_offset: int = 0) -> list[Tensor]:
    step = _chunks(g)
    n = g.shape[2 + axis_offset :]
    grams = [g.new_zeros(g.shape[1], n[a], n[a]) for a in range(d)]
    for start in range(0, g.shape[0], step):
        gc, yc = g[start : start + step], y[start : start + step]
        for a in range(d):
            _accumulate_gram(grams[a], gc, yc, a + axis_offset)
    return grams


def _diag_sums(mat_grad: Tensor, m: int) -> Tensor:
    """Tap gradient from a dense matrix gradient: ``Σ_i G[c, i, (i + j) mod n]`` for j = -Q..Q."""
    n = mat_grad.shape[-1]
    i = torch.arange(n, device=mat_grad.device)
    j = tap_offsets(m, mat_grad.device)
    idx = (i[:, None] + j[None, :]) % n  # (n, m)
    rows = mat_grad.gather(-1, idx.expand(mat_grad.shape[0], n, m))
    return rows.sum(1)


# ------------------------------------------------------------------- fft path
def _spatial_dims(d: int) -> tuple[int, ...]:
    return tuple(range(-d, 0))


def _fft_solve(x: Tensor, inv: Tensor, sizes: list[int]) -> tuple[Tensor, Tensor]:
    dims = _spatial_dims(len(sizes))
    spec = torch.fft.rfftn(x, dim=dims)
    spec.mul_(inv)
    return torch.fft.irfftn(spec, s=sizes, dim=dims), spec


def _fft_tap_grads(gt_hat: Tensor, y: Tensor, taps: list[Tensor], sizes: list[int]) -> list[Tensor]:
    d = len(sizes)
    dims = _spatial_dims(d)
    y_hat = torch.fft.rfftn(y, dim=dims)
    r = (gt_hat.conj() * y_hat).sum(0)  # (C, n_0, ..., n_last//2+1)
    n_last = sizes[-1]
    w = torch.full((n_last // 2 + 1,), 2.0, dtype=y.dtype, device=y.device)
    w[0] = 1.0
    if n_last % 2 == 0:
        w[-1] = 1.0
    r = r * w
    spectra = []
    for a, (t, n) in enumerate(zip(taps, sizes, strict=True)):
        s = axis_spectrum(t, n, half=a == d - 1)
        shape = [s.shape[0]] + [1] * d
        shape[1 + a] = s.shape[1]
        spectra.append(s.reshape(shape))
    total = _prod(sizes)
    grads = []
    for a, (t, n) in enumerate(zip(taps, sizes, strict=True)):
        v = r
        for b in range(d):
            if b != a:
                v = v * spectra[b]
        keep = 1 + a
        others = [k for k in range(1, d + 1) if k != keep]
        if others:  # (note: sum(dim=[]) would reduce everything)
            v = v.sum(dim=others)  # (C, K_a)
        k = torch.arange(v.shape[-1], device=y.device, dtype=y.dtype)
        j = tap_offsets(t.shape[-1], y.device).to(y.dtype)
        phase = torch.outer(k, j) * (2 * math.pi / n)  # (K_a, m)
        e = torch.complex(torch.cos(phase), torch.sin(phase))
        grads.append(-(v @ e).real / total)
    return grads


# -------------------------------------------------------------------- function
class _Ctx(SolveCtx):
    method: str  # "fft" or "matmul"


class SeparableARSolve(torch.autograd.Function):
    """``Y = A⁻¹ T`` for ``T (N, C, *S)`` and D per-axis tap tensors ``(C, m)``; see module doc."""

    @staticmethod
    def forward(ctx: _Ctx, x: Tensor, method: str, *taps: Tensor) -> Tensor:
        sizes = list(x.shape[2:])
        taps_d = [t.detach() for t in taps]
        if method == "fft":
            y, _ = _fft_solve(x, inverse_spectrum(taps_d, sizes), sizes)
        elif len(sizes) == 1:
            mats = [inverse_matrix(taps_d[0], sizes[0])]
            y = _from_one_sample(_matmul_solve(_as_one_sample(x), mats, axis_offset=1))
        else:
            y = _matmul_solve(x, [inverse_matrix(t, n) for t, n in zip(taps_d, sizes, strict=True)])
        ctx.method = method
        ctx.save_for_backward(y, *taps_d)
        return y

    @staticmethod
    @autocast_off
    def backward(ctx: _Ctx, grad: Tensor) -> Grads:
        """``(dL/dT, None, dL/dtaps_0, …)`` from ``grad (N, C, *S)`` and the saved ``Y`` and
        taps."""
        y, *taps = ctx.saved_tensors
        sizes = list(y.shape[2:])
        d = len(sizes)
        grad = grad.contiguous()
        need_x = ctx.needs_input_grad[0]
        need_taps = any(ctx.needs_input_grad[2:])
        gx = None
        tap_grads: list[Tensor | None] = [None] * d
        if ctx.method == "fft":
            dims = _spatial_dims(d)
            g_hat = torch.fft.rfftn(grad, dim=dims)
            g_hat.mul_(inverse_spectrum(taps, sizes).conj())
            if need_x:
                gx = torch.fft.irfftn(g_hat, s=sizes, dim=dims)
            if need_taps:
                tap_grads = list(_fft_tap_grads(g_hat, y, taps, sizes))
        else:
            mats = [inverse_matrix(t, n) for t, n in zip(taps, sizes, strict=True)]
            mats_t = [m.transpose(-1, -2) for m in mats]
            if d == 1:
                g1, y1 = _as_one_sample(grad), _as_one_sample(y)
                if need_x:
                    gx = _from_one_sample(_matmul_solve(g1, mats_t, axis_offset=1))
                grams = _matmul_grams(g1, y1, 1, axis_offset=1) if need_taps else []
            else:
                if need_x:
                    # adjoint: (A⁻¹)ᵀ applied along each axis (the axes commute)
                    gx = _matmul_solve(grad, mats_t)
                grams = _matmul_grams(grad, y, d) if need_taps else []
            if need_taps:
                m = taps[0].shape[-1]
                tap_grads = [
                    _diag_sums(-torch.matmul(mt, s), m) for mt, s in zip(mats_t, grams, strict=True)
                ]
        return (gx, None, *tap_grads)
