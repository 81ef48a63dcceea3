"""Exact step-by-step MultiresConv with ring buffers (MATH.md §5).

Legend: N batch, C channels, K taps, J depth, ``d_j = 2^j`` the dilation of level ``j``
(``j = 0`` finest), ``in_j`` its input (``in_0 = x``, ``in_{j+1} = a_{j+1}``), ``V = J(K−1)``.

Level ``j`` reads ``in_j`` at lags ``0, d_j, …, (K−1)d_j``: ring buffers hold the ``(K−1)d_j``
past values per level (one common ring length ``R = (K−1)·2^(J−1)``, so one precomputed index
table of period ``R`` serves every level). Everything a step computes — the new level inputs,
the tree coefficients and the fading output — is linear in ``x_t`` and the ``V`` past values it
reads, so :func:`init_stream` evaluates the tree recursion (:func:`_reference_step`, written
out level by level) on basis vectors once, and a step is one gather, one small batched matmul
``(V) -> (J + (J + 1) + 1)`` per channel and one scatter: ``O(K·J)`` arithmetic, a handful of
tensor operations whatever ``J``. The uniform TreeSelect keeps a second ring of the
coefficients it selects.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from .tree import uniform_windows

__all__ = ["StreamState", "init_stream", "stream_step"]

_SMALL = 1 << 18  # elements of the (N, C, V, O) product below which a mul-sum wins


@dataclass
class UniformRings:
    """Ring buffers of the coefficient sequences the uniform TreeSelect reads (S of them)."""

    coeffs: Tensor  # (N, C, S·Rc)
    ring: int  # Rc
    read: Tensor  # (Rc, S·W) flat indices of the windows (lag 0 included)
    write: Tensor  # (Rc, S)
    weight: Tensor  # (C, S·W) window weights (0 beyond a window)
    skip: Tensor  # (C,)


@dataclass
class StreamState:
    """Ring buffers and filter-derived tables for :func:`stream_step`.

    The tables are computed from the filters when the state is created: make a new state after
    changing the parameters. ``t`` counts the steps taken.
    """

    t: int
    ring: int
    levels: Tensor  # (N, C, J·R) ring buffers of in_j
    read: Tensor  # (R, V) flat indices of the past values read at t ≡ row (mod R)
    write: Tensor  # (R, J) flat indices where in_j[t] is written
    mat: Tensor  # (C, V, O): past -> [in_0..J-1, y] (fading) or [in_0..J-1, a_J, b_J..b_1]
    vec: Tensor  # (C, O): the same outputs' coefficient of x_t
    depth: int
    tree_select: str
    uniform: UniformRings | None = None


def _reference_step(
    x: Tensor, past: Tensor, h0: Tensor, h1: Tensor, weight: Tensor
) -> tuple[Tensor, Tensor, Tensor]:
    """The tree at one step, level by level: the definition the fast step is derived from.

    ``x (B, C)``, ``past (B, C, J, K−1)`` with ``past[..., j, m−1] = in_j[t − m d_j]``.
    Returns ``(inputs (B, C, J), coeffs (B, C, J + 1) = [a_J, b_J..b_1], y_fading (B, C))``.
    """
    k = h0.shape[-1]
    depth = past.shape[2]
    cur, inputs, highs = x, [], []
    for j in range(depth):
        inputs.append(cur)
        # conv1d tap i multiplies in_j[t − d_j (K − 1 − i)]: tap K−1 is the current value
        lo = h0[:, -1] * cur + (past[:, :, j] * h0[:, : k - 1].flip(-1)).sum(-1)
        hi = h1[:, -1] * cur + (past[:, :, j] * h1[:, : k - 1].flip(-1)).sum(-1)
        highs.append(hi)
        cur = lo
    coeffs = torch.stack([cur, *highs[::-1]], dim=-1)
    y = (coeffs * weight[:, : depth + 1]).sum(-1) + weight[:, -1] * x
    return torch.stack(inputs, dim=-1), coeffs, y


def init_stream(
    batch: int,
    h0: Tensor,
    h1: Tensor,
    weight: Tensor,
    depth: int,
    tree_select: str = "fading",
    memory_size: int | None = None,
) -> StreamState:
    """A fresh state (all-zero history, i.e. causal zero padding) for ``batch`` sequences."""
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ValueError(f"batch should be a positive int, got {batch!r}")
    h0, h1, weight = h0.detach(), h1.detach(), weight.detach()
    c, k = h0.shape
    dev, dt = h0.device, h0.dtype
    v = depth * (k - 1)
    # linear map (x, past) -> outputs, evaluated on basis vectors
    basis = torch.eye(v + 1, device=dev, dtype=dt)  # row 0: x; rows 1..V: past values
    xb = basis[:, :1].expand(v + 1, c)
    pb = basis[:, 1:].reshape(v + 1, 1, depth, k - 1).expand(v + 1, c, depth, k - 1)
    fading_w = (
        weight if tree_select == "fading" else torch.zeros(c, depth + 2, dtype=dt, device=dev)
    )
    inputs, coeffs, y = _reference_step(xb, pb, h0, h1, fading_w)
    if tree_select == "fading":  # the coefficients themselves are not needed
        outs = torch.cat((inputs, y[..., None]), dim=-1)  # (V + 1, C, O)
    else:
        outs = torch.cat((inputs, coeffs), dim=-1)
    ring = (k - 1) * 2 ** (depth - 1)
    t = torch.arange(ring, device=dev)[:, None, None]
    j = torch.arange(depth, device=dev)[None, :, None]
    lags = torch.arange(1, k, device=dev)[None, None, :] * 2**j
    state = StreamState(
        t=0,
        ring=ring,
        levels=torch.zeros(batch, c, depth * ring, device=dev, dtype=dt),
        read=(j * ring + (t - lags) % ring).reshape(ring, v),
        write=(j[..., 0] * ring + t[..., 0]).reshape(ring, depth),
        mat=outs[1:].permute(1, 0, 2).contiguous(),  # (C, V, O)
        vec=outs[0].contiguous(),
        depth=depth,
        tree_select=tree_select,
    )
    if tree_select == "uniform":
        assert memory_size is not None
        windows = uniform_windows(depth, k, memory_size)
        s, width = len(windows), max(size for _, size, _ in windows)
        span = max((size - 1) * stride for _, size, stride in windows) + 1
        lag = torch.zeros(s, width, dtype=torch.long, device=dev)
        wts = torch.zeros(c, s, width, device=dev, dtype=dt)
        for i, (offset, size, stride) in enumerate(windows):
            lag[i, :size] = torch.arange(size, device=dev) * stride
            wts[:, i, :size] = weight[:, offset : offset + size]
        tc = torch.arange(span, device=dev)[:, None, None]
        sl = torch.arange(s, device=dev)[None, :, None]
        state.uniform = UniformRings(
            coeffs=torch.zeros(batch, c, s * span, device=dev, dtype=dt),
            ring=span,
            read=(sl * span + (tc - lag[None]) % span).reshape(span, s * width),
            write=(sl[..., 0] * span + tc[..., 0]).reshape(span, s),
            weight=wts.reshape(c, s * width),
            skip=weight[:, -1].clone(),
        )
    return state


def stream_step(x_t: Tensor, state: StreamState) -> tuple[Tensor, StreamState]:
    """One time step: ``x_t (Tensor[N, C])`` -> ``(y_t (Tensor[N, C]), state)``, equal to the
    full forward's output at this step. The state is updated in place and returned."""
    lv = state.levels
    n, c = lv.shape[:2]
    if x_t.shape != (n, c) or x_t.dtype != lv.dtype:
        raise ValueError(
            f"x_t should be a Tensor[N={n}, C={c}] of {lv.dtype}, got {tuple(x_t.shape)} "
            f"of {x_t.dtype}"
        )
    row = state.t % state.ring
    past = lv.index_select(-1, state.read[row])  # (N, C, V)
    if n * state.mat.numel() <= _SMALL:  # tiny batched GEMMs cost more than a fused mul-sum
        out = (past.unsqueeze(-1) * state.mat).sum(-2)  # (N, C, O)
    else:
        out = torch.matmul(past.unsqueeze(-2), state.mat).squeeze(-2)
    out.addcmul_(x_t.unsqueeze(-1), state.vec)
    depth = state.depth
    lv.index_copy_(-1, state.write[row], out[..., :depth])
    if state.tree_select == "fading":
        y = out[..., -1]
    else:
        u = state.uniform
        assert u is not None
        crow = state.t % u.ring
        s = u.write.shape[1]
        u.coeffs.index_copy_(-1, u.write[crow], out[..., depth : depth + s])
        window = u.coeffs.index_select(-1, u.read[crow])
        y = (window * u.weight).sum(-1) + u.skip * x_t
    state.t += 1
    return y, state
