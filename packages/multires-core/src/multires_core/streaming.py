"""Exact step-by-step MultiresConv (Shi, Wang, Fox, ICML 2023, Sec. 3) with ring buffers.

Legend: N batch, C channels, K taps, J depth, ``d_j = 2^j`` the dilation of level ``j``
(``j = 0`` finest), ``in_j`` its input (``in_0 = x``, ``in_{j+1} = a_{j+1}``), ``V = J(K−1)``.

Level ``j`` reads ``in_j`` at lags ``0, d_j, …, (K−1)d_j``, so its ring holds the last
``R_j = (K−1)·d_j`` values: ``(K−1)(2^J−1)`` slots in all. The rings are stored time slot
first, ``(slots, N, C)``: a step reads its ``V`` past values with one gather of whole
contiguous ``(N, C)`` rows and writes the ``J`` new level inputs with one scatter (about 5×
cheaper at batch 1 than along the last axis of ``(N, C, slots)``). Slot indices come from
tables of period ``R = R_(J−1)``.

Three exact ways to evaluate the tree at one step:

* ``"fused"`` (CPU, numba installed, no autograd): one compiled loop
  (``multires_core._fused``) reads each level's ``K − 1`` past values from the rings,
  applies both filters, writes the level's input and accumulates the output, GELU included
  for [`MultiresLayer`][multires_core.MultiresLayer]: ``O(K·J)`` work, one call instead of a dozen
  tensor operations (4–5× faster than the map at batch 1, and faster at every batch size
  measured);
* the recursion, level by level (``_level_step``) between one gather and one scatter:
  ``O(K·J)`` work in ``3J`` tensor operations;
* everything the step computes (the new level inputs, the coefficients, the fading output) is
  linear in ``x_t`` and the ``V`` past values, so [`init_stream`][multires_core.init_stream] runs
  the recursion once on basis vectors and the step applies that map: a broadcast multiply and a sum,
  ``O(K·J²)`` work in two operations.

Without the kernel, a batch-1 step costs per tensor operation, not per element, and the map
is 3–6× faster than the recursion; ``auto`` switches to the recursion when the map's product
exceeds ``_DENSE_MAX`` elements (the crossover measured on a 2-core CPU). The uniform
TreeSelect keeps a second ring of the coefficients it selects.

[`stream_step_at`][multires_core.stream_step_at] is the map or the recursion with the position
held in a tensor: the ring slots are picked on the device and nothing is read back or kept in
Python, so a step traces with ``torch.compile(fullgraph=True)`` and replays as a CUDA graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor
from torch.nn import functional as F

from . import _fused
from .tree import uniform_windows

__all__ = [
    "STEP_PATHS",
    "StreamState",
    "fused_unavailable",
    "init_stream",
    "stream_step",
    "stream_step_at",
]

_DENSE_MAX = 3_000_000  # elements of the (V, O, N, C) product up to which the map wins (measured)


@dataclass
class UniformRings:
    """Ring buffers of the coefficient sequences the uniform TreeSelect reads (S of them)."""

    coeffs: Tensor  # (S·Rc, N, C): time slots first
    ring: int  # Rc
    read: Tensor  # (Rc, S·W) slot indices of the windows (lag 0 included)
    write: Tensor  # (Rc, S)
    weight: Tensor  # (S·W, 1, C) window weights (0 beyond a window)
    skip: Tensor  # (C,)


@dataclass(frozen=True)
class _Views:
    """What a step checks and the kernel reads, made once per state (``.numpy()``, ``.shape``
    and ``.device`` each cost about a microsecond, a fused step about ten)."""

    levels: Tensor  # the rings these views were made from
    shape: tuple[int, int]  # (N, C) of x_t
    dtype: torch.dtype
    rings: np.ndarray | None  # (S, N, C); None where the kernel cannot run (device, dtype)
    slots: np.ndarray | None  # (R, J·K): per table row, the V slots read, then the J written
    weights: np.ndarray | None  # (2K [+ J + 2], C): h0, h1 (lag order) [, fading weights]
    k: int
    # the backend switch (LONGRANGE_BACKEND) at the state's first step: whether "auto" may pick
    # the kernel (read once per state: reading the environment costs about a microsecond)
    numba_allowed: bool = True

    def __reduce__(self) -> tuple:
        # a copied or unpickled state has rings of its own: it makes its own views (None here)
        return (type(None), ())


@dataclass
class StreamState:
    """Ring buffers and filter-derived tables for [`stream_step`][multires_core.stream_step].

    The tables are computed from the filters when the state is created: make a new state after
    changing the parameters. ``t`` counts the steps taken. The rings are stored time slot first,
    ``(slots, N, C)``, so that a step reads and writes whole ``(N, C)`` rows.
    """

    t: int
    ring: int  # R: the period of the index tables
    levels: Tensor  # (Σ_j R_j, N, C) ring buffers of in_j, R_j = (K − 1)·2^j slots each
    read: Tensor  # (R, V) slot indices of the past values read at t ≡ row (mod R)
    write: Tensor  # (R, J) slot indices where in_j[t] is written
    mat: Tensor  # (V, O, 1, C): past -> [in_0..J-1, y] (fading) or [in_0..J-1, a_J, b_J..b_1]
    vec: Tensor  # (O, 1, C): the same outputs' coefficient of x_t
    taps: Tensor  # (2, K, 1, C): h0, h1 in lag order, for the level-by-level step
    fading: Tensor | None  # (J + 2, 1, C): the fading weights (None for uniform)
    depth: int
    tree_select: str
    uniform: UniformRings | None = None
    _views: _Views | None = field(default=None, repr=False)  # made by the first step


def _level_step(
    x: Tensor, past: Tensor, taps: Tensor, fading: Tensor | None
) -> tuple[Tensor, Tensor, Tensor | None]:
    """The tree at one step, level by level: ``O(K·J)`` work in ``3J`` tensor operations.

    Args:
        x (Tensor[B, C]): ``x_t``.
        past (Tensor[J, K − 1, B, C]): ``past[j, m − 1] = in_j[t − m·d_j]``.
        taps (Tensor[2, K, 1, C]): ``h0``, ``h1`` in lag order (tap 0 multiplies the current
            value; conv1d's cross-correlation tap ``K − 1 − m`` is lag ``m``).
        fading (Tensor[J + 2, 1, C] or None): fading TreeSelect weights, columns as
            ``weight``'s.

    Returns:
        ``(inputs (J, B, C), coeffs (J + 1, B, C) = [a_J, b_J..b_1], y (B, C) or None)``.
    """
    cur, inputs, highs = x, [], []
    for p in past:  # level j: both filters at once, (2, K − 1, B, C) -> (2, B, C)
        inputs.append(cur)
        both = (p * taps[:, 1:]).sum(1).addcmul_(cur, taps[:, 0])
        cur = both[0]
        highs.append(both[1])
    coeffs = torch.stack([cur, *highs[::-1]])
    y = None if fading is None else (coeffs * fading[:-1]).sum(0).addcmul_(x, fading[-1])
    return torch.stack(inputs), coeffs, y


def _tree_outputs(
    x_t: Tensor, past: Tensor, state: StreamState, path: str
) -> tuple[Tensor, Tensor]:
    """``(inputs (J, N, C), rest)`` of one step by the map or the recursion from the ``V`` past
    values ``past (V, N, C)``; ``rest`` is ``[y] (1, N, C)`` (fading) or the coefficients
    ``[a_J, b_J..b_1] (J + 1, N, C)`` (uniform)."""
    depth = state.depth
    if path == "map":
        # the precomputed map: (V, 1, N, C) * (V, O, 1, C) summed over V -> (O, N, C). Few
        # operations (a broadcast multiply beats C tiny batched GEMMs 4-50x on the CPU),
        # but O(K·J²) work: for small steps, where the cost is per operation
        out = (past.unsqueeze(1) * state.mat).sum(0).addcmul_(x_t, state.vec)
        return out[:depth], out[depth:]
    # the recursion: O(K·J) work in 3J operations
    inputs, coeffs, y_fading = _level_step(
        x_t, past.view(depth, -1, *x_t.shape), state.taps, state.fading
    )
    return inputs, coeffs if y_fading is None else y_fading[None]


def _uniform_output(
    u: UniformRings, coeffs: Tensor, x_t: Tensor, write: Tensor, read: Tensor
) -> Tensor:
    """The uniform TreeSelect's output ``(N, C)``: ``coeffs (J + 1, N, C)`` written to the
    slots ``write``, then the windows read from the slots ``read``."""
    u.coeffs.index_copy_(0, write, coeffs[: write.shape[0]])
    window = u.coeffs.index_select(0, read)  # (S·W, N, C)
    return (window * u.weight).sum(0).addcmul_(x_t, u.skip)


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
    taps = torch.stack((h0, h1)).flip(-1).permute(0, 2, 1).unsqueeze(2).contiguous()
    fading = weight.T.unsqueeze(1).contiguous() if tree_select == "fading" else None
    # the linear map (x, past) -> outputs, evaluated on basis vectors (B = V + 1)
    basis = torch.eye(v + 1, device=dev, dtype=dt)  # row 0: x; rows 1..V: past values
    xb = basis[:, :1].expand(v + 1, c)
    pb = basis[:, 1:].T.reshape(depth, k - 1, v + 1, 1).expand(depth, k - 1, v + 1, c)
    inputs, coeffs, y = _level_step(xb, pb, taps, fading)
    # fading needs only y; uniform needs the coefficients its rings keep
    outs = torch.cat((inputs, coeffs if y is None else y[None]))  # (O, V + 1, C)
    # level j keeps the last (K − 1)·2^j values of in_j in slots [base_j, base_j + R_j); the
    # index tables have period R = R_(J−1), which every R_j divides
    ring = (k - 1) * 2 ** (depth - 1)
    sizes = (k - 1) * 2 ** torch.arange(depth, device=dev)  # R_j
    base = (sizes.cumsum(0) - sizes)[:, None]
    t = torch.arange(ring, device=dev)[:, None, None]
    lags = torch.arange(1, k, device=dev)[None, :] * 2 ** torch.arange(depth, device=dev)[:, None]
    state = StreamState(
        t=0,
        ring=ring,
        levels=torch.zeros((k - 1) * (2**depth - 1), batch, c, device=dev, dtype=dt),  # Σ_j R_j
        read=(base + (t - lags) % sizes[:, None]).reshape(ring, v),
        write=(base[:, 0] + t[:, :, 0] % sizes).reshape(ring, depth),
        mat=outs[:, 1:].permute(1, 0, 2).unsqueeze(2).contiguous(),  # (V, O, 1, C)
        vec=outs[:, 0].unsqueeze(1).contiguous(),  # (O, 1, C)
        taps=taps,
        fading=fading,
        depth=depth,
        tree_select=tree_select,
    )
    if tree_select == "uniform":
        assert memory_size is not None
        windows = uniform_windows(depth, k, memory_size)
        s, width = len(windows), max(size for _, size, _ in windows)
        span = max((size - 1) * stride for _, size, stride in windows) + 1
        lag = torch.zeros(s, width, dtype=torch.long, device=dev)
        wts = torch.zeros(s, width, c, device=dev, dtype=dt)
        for i, (offset, size, stride) in enumerate(windows):
            lag[i, :size] = torch.arange(size, device=dev) * stride
            wts[i, :size] = weight[:, offset : offset + size].T
        tc = torch.arange(span, device=dev)[:, None, None]
        sl = torch.arange(s, device=dev)[None, :, None]
        state.uniform = UniformRings(
            coeffs=torch.zeros(s * span, batch, c, device=dev, dtype=dt),
            ring=span,
            read=(sl * span + (tc - lag[None]) % span).reshape(span, s * width),
            write=(sl[..., 0] * span + tc[..., 0]).reshape(span, s),
            weight=wts.reshape(s * width, 1, c),
            skip=weight[:, -1].clone(),
        )
    return state


STEP_PATHS = ("auto", "fused", "map", "recursion")

_FLOATS = (torch.float32, torch.float64)


def fused_unavailable(x_t: Tensor, state: StreamState) -> str | None:
    """Why ``path="fused"`` cannot run this step (``None`` when it can)."""
    return _fused_blocker(x_t, _state_views(state))


def _fused_blocker(x_t: Tensor, views: _Views) -> str | None:
    """[`fused_unavailable`][multires_core.fused_unavailable] on the state's views: cheap checks,
    reasons built only when the kernel cannot run (this is on every step's path)."""
    if not _fused.AVAILABLE:
        return "it needs numba: pip install 'longrange-multires-core[fast]'"
    if views.rings is None or not x_t.is_cpu:
        if not x_t.is_cpu or views.levels.device.type != "cpu":
            return f"it runs on CPU tensors only, got {x_t.device}"
        return f"it needs float32 or float64, got {views.dtype}"
    if x_t.requires_grad and torch.is_grad_enabled():
        return "it does not record autograd: step under torch.no_grad(), or pick 'map'/'recursion'"
    return None


def _state_views(state: StreamState) -> _Views:
    """The state's views, made once; remade if the rings were replaced."""
    views = state._views
    if views is None or views.levels is not state.levels:
        views = state._views = _views(state)
    return views


def _views(state: StreamState) -> _Views:
    lv = state.levels
    k = state.taps.shape[1]
    if lv.device.type != "cpu" or lv.dtype not in _FLOATS:
        return _Views(
            lv, (lv.shape[1], lv.shape[2]), lv.dtype, None, None, None, k, _fused.allowed()
        )
    taps = state.taps[:, :, 0].flatten(0, 1)  # (2K, C)
    fading = () if state.fading is None else (state.fading[:, 0],)
    return _Views(
        lv,
        (lv.shape[1], lv.shape[2]),
        lv.dtype,
        lv.numpy(),
        torch.cat((state.read, state.write), 1).numpy(),
        torch.cat((taps, *fading)).numpy(),
        k,
        _fused.allowed(),
    )


def stream_step(x_t: Tensor, state: StreamState, path: str = "auto") -> tuple[Tensor, StreamState]:
    """One time step: ``x_t (Tensor[N, C])`` -> ``(y_t (Tensor[N, C]), state)``, equal to the
    full forward's output at this step. The state is updated in place and returned.

    ``path``:

    * ``"fused"``: one compiled CPU loop (numba, the ``fast`` extra), ``O(K·J)`` work; CPU
      tensors only, no autograd;
    * ``"map"``: the precomputed linear map, two tensor operations, ``O(K·J²)`` work;
    * ``"recursion"``: level by level, ``3J`` tensor operations, ``O(K·J)`` work;
    * ``"auto"``: ``"fused"`` where it can run and the backend switch allows numba
      (``arma_core.set_backend`` / ``LONGRANGE_BACKEND``: ``"auto"`` or ``"numba"``, as set at
      the state's first step), else the map while its product has at most ``_DENSE_MAX``
      elements, else the recursion.

    All give the same outputs (to rounding).
    """
    return _step(x_t, state, path, gelu=False), state


def _step(x_t: Tensor, state: StreamState, path: str, gelu: bool) -> Tensor:
    """[`stream_step`][multires_core.stream_step]'s output, followed by GELU if ``gelu`` (fused into
    the kernel)."""
    if path not in STEP_PATHS:
        raise ValueError(f"path should be one of {STEP_PATHS}, got {path!r}")
    lv = state.levels
    views = _state_views(state)
    n, c = views.shape
    if x_t.shape != views.shape or x_t.dtype != views.dtype:
        raise ValueError(
            f"x_t should be a Tensor[N={n}, C={c}] of {lv.dtype}, got {tuple(x_t.shape)} "
            f"of {x_t.dtype}"
        )
    if path == "auto" or path == "fused":
        why = _fused_blocker(x_t, views)
        if why is None and path == "auto" and not views.numba_allowed:
            why = "the backend switch (LONGRANGE_BACKEND) rules numba out"
        if why is None:
            path = "fused"
        elif path == "fused":
            raise ValueError(f"path='fused' cannot run this step: {why}")
        else:
            path = "map" if n * state.mat.numel() <= _DENSE_MAX else "recursion"
    row = state.t % state.ring
    depth = state.depth
    u = state.uniform
    if path == "fused":
        x = x_t.detach() if x_t.requires_grad else x_t
        # fading: y (N, C), written as out[0]; uniform: the coefficients (J + 1, N, C)
        out = x.new_empty(n, c) if u is None else x.new_empty(depth + 1, n, c)
        kernel = _fused.tree_step
        assert kernel is not None  # _fused_blocker checked _fused.AVAILABLE
        kernel(
            (x if x.is_contiguous() else x.contiguous()).numpy(),
            views.rings,
            views.slots,
            row,
            views.k,
            views.weights,
            out.numpy()[None] if u is None else out.numpy(),
            gelu,
        )
        state.t += 1
        if u is None:
            return out
        rest = out
    else:
        past = lv.index_select(0, state.read[row])  # (V, N, C): whole rows
        inputs, rest = _tree_outputs(x_t, past, state, path)
        lv.index_copy_(0, state.write[row], inputs)
        state.t += 1
    if u is None:
        y = rest[0]
    else:
        crow = (state.t - 1) % u.ring
        y = _uniform_output(u, rest, x_t, u.write[crow], u.read[crow])
    return F.gelu(y) if gelu else y


def stream_step_at(x_t: Tensor, state: StreamState, t: Tensor, path: str = "auto") -> Tensor:
    """One time step at the position held in a tensor: ``x_t (Tensor[N, C])`` ->
    ``y_t (Tensor[N, C])``, as [`stream_step`][multires_core.stream_step]'s ``"map"`` or
    ``"recursion"`` path, for compiled and CUDA-graph use.

    Everything that depends on the position is computed on ``t``'s device: the ring slots are
    picked with ``index_select`` from ``t`` (``Tensor[1]`` int64, the number of steps taken, on
    the state's device), nothing is read back to the host and no Python value changes, so one
    function per position traces with ``torch.compile(fullgraph=True)`` and replays as one CUDA
    graph. The rings are updated in place; ``state.t`` is neither read nor advanced (the caller
    advances ``t``). Where ``t`` equals ``state.t``, the output and the rings equal
    [`stream_step`][multires_core.stream_step]'s with the same ``path``.

    ``path``: ``"map"``, ``"recursion"`` or ``"auto"`` (the map while its product has at most
    ``_DENSE_MAX`` elements, else the recursion, as ``stream_step`` picks without the kernel).
    """
    if path not in ("auto", "map", "recursion"):
        raise ValueError(f"path should be 'auto', 'map' or 'recursion', got {path!r}")
    lv = state.levels
    n, c = lv.shape[1], lv.shape[2]
    if x_t.shape != (n, c) or x_t.dtype != lv.dtype or x_t.device != lv.device:
        raise ValueError(
            f"x_t should be a Tensor[N={n}, C={c}] of {lv.dtype} on {lv.device}, got "
            f"{tuple(x_t.shape)} of {x_t.dtype} on {x_t.device}"
        )
    if not isinstance(t, Tensor):
        raise TypeError(f"t should be a Tensor[1] of torch.int64, got {type(t).__name__}")
    if t.shape != (1,) or t.dtype != torch.long or t.device != lv.device:
        raise ValueError(
            f"t should be a Tensor[1] of torch.int64 on {lv.device}, got {tuple(t.shape)} of "
            f"{t.dtype} on {t.device}"
        )
    if path == "auto":
        path = "map" if n * state.mat.numel() <= _DENSE_MAX else "recursion"
    row = t % state.ring
    past = lv.index_select(0, state.read.index_select(0, row)[0])  # (V, N, C)
    inputs, rest = _tree_outputs(x_t, past, state, path)
    lv.index_copy_(0, state.write.index_select(0, row)[0], inputs)
    u = state.uniform
    if u is None:
        return rest[0]
    crow = t % u.ring
    return _uniform_output(
        u, rest, x_t, u.write.index_select(0, crow)[0], u.read.index_select(0, crow)[0]
    )
