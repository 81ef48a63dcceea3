"""``MultiresConv1d`` and ``MultiresLayer`` modules (see
[`multires_core.multires_conv`][multires_core.multires_conv]), and their tree options as one type,
[`MultiresConvOptions`][multires_core.MultiresConvOptions]."""

from __future__ import annotations

import math
from typing import Any, TypedDict

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from .filters import wavelet_filters
from .streaming import StreamState, _step, init_stream, stream_step, stream_step_at
from .tree import METHODS, TREE_SELECTS, default_depth, multires_conv

__all__ = ["MultiresConv1d", "MultiresConvOptions", "MultiresLayer"]


class MultiresConv1d(nn.Module):
    """Depthwise causal MultiresConv with TreeSelect: ``(N, C, L) -> (N, C, L)``.

    See [`multires_core.multires_conv`][multires_core.multires_conv]. Parameters: ``h0``, ``h1``
    (Tensor[C, K]) shared by all tree levels, and the TreeSelect ``weight`` (Tensor[C, depth + 2]
    for ``"fading"``, Tensor[C, memory_size + 1] for ``"uniform"``).

    Args:
        channels: ``C``.
        kernel_size: ``K`` (2 in the paper's sCIFAR model, 4 for ListOps).
        depth: tree depth ``J``; or give ``seq_len`` to use ``ceil(log2((L−1)/(K−1) + 1))``.
        seq_len: the sequence length the default depth is computed for.
        tree_select: ``"fading"`` or ``"uniform"``.
        memory_size: number of memory coefficients for ``"uniform"``.
        init: ``"xavier"`` (uniform, the authors' released scale ``±sqrt(1/K)``) or the name of
            an orthogonal PyWavelets wavelet whose decomposition filters (reversed) initialise
            ``h0, h1``; its filter length must equal ``kernel_size``.
        method: ``"auto"``, ``"fft"`` or ``"tree"``.
    """

    def __init__(
        self,
        channels: int,
        kernel_size: int = 2,
        depth: int | None = None,
        seq_len: int | None = None,
        tree_select: str = "fading",
        memory_size: int | None = None,
        init: str = "xavier",
        method: str = "auto",
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        for name, v in (("channels", channels), ("kernel_size", kernel_size)):
            if isinstance(v, bool) or not isinstance(v, int):
                raise TypeError(f"{name} should be an int, got {type(v).__name__}")
        if channels < 1:
            raise ValueError(f"channels should be >= 1, got {channels}")
        if kernel_size < 2:
            raise ValueError(f"kernel_size should be >= 2, got {kernel_size}")
        if tree_select not in TREE_SELECTS:
            raise ValueError(f"tree_select should be one of {TREE_SELECTS}, got {tree_select!r}")
        if method not in METHODS:
            raise ValueError(f"method should be one of {METHODS}, got {method!r}")
        if depth is None:
            if seq_len is None:
                raise ValueError("give depth or seq_len (the default depth depends on the length)")
            depth = default_depth(seq_len, kernel_size)
        if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
            raise ValueError(f"depth should be a positive int, got {depth!r}")
        if tree_select == "uniform":
            if memory_size is None or memory_size < 1:
                raise ValueError(
                    f"memory_size should be a positive int for 'uniform', got {memory_size}"
                )
            columns = memory_size + 1
        else:
            columns = depth + 2
        self.channels, self.kernel_size, self.depth = channels, kernel_size, depth
        self.tree_select, self.memory_size, self.init, self.method = (
            tree_select,
            memory_size,
            init,
            method,
        )
        self.h0 = nn.Parameter(torch.empty(channels, kernel_size, device=device, dtype=dtype))
        self.h1 = nn.Parameter(torch.empty(channels, kernel_size, device=device, dtype=dtype))
        self.weight = nn.Parameter(torch.empty(channels, columns, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Filters from ``init``; TreeSelect weights uniform in ``±sqrt(1/columns)``."""
        with torch.no_grad():
            if self.init == "xavier":
                bound = math.sqrt(1.0 / self.kernel_size)
                self.h0.uniform_(-bound, bound)
                self.h1.uniform_(-bound, bound)
            else:
                h0, h1 = wavelet_filters(self.init, dtype=self.h0.dtype)
                if h0.numel() != self.kernel_size:
                    raise ValueError(
                        f"kernel_size={self.kernel_size} does not match the {h0.numel()}-tap "
                        f"filters of wavelet {self.init!r}"
                    )
                self.h0.copy_(h0.expand_as(self.h0))
                self.h1.copy_(h1.expand_as(self.h1))
            bound = math.sqrt(1.0 / self.weight.shape[1])
            self.weight.uniform_(-bound, bound)

    def forward(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor) or x.ndim != 3 or x.shape[1] != self.channels:
            shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"x should be a Tensor[N, C={self.channels}, L], got {shape}")
        return multires_conv(
            x,
            self.h0,
            self.h1,
            self.weight,
            self.depth,
            self.tree_select,
            self.memory_size,
            self.method,
        )

    def init_state(self, batch: int) -> StreamState:
        """Empty streaming state for ``batch`` sequences (uses the current parameters)."""
        return init_stream(
            batch, self.h0, self.h1, self.weight, self.depth, self.tree_select, self.memory_size
        )

    def step(
        self, x_t: Tensor, state: StreamState, path: str = "auto"
    ) -> tuple[Tensor, StreamState]:
        """One step: ``x_t (Tensor[N, C]) -> (y_t (Tensor[N, C]), state)``, exact w.r.t. forward.

        ``path``: see [`multires_core.stream_step`][multires_core.stream_step]."""
        return stream_step(x_t, state, path)

    def extra_repr(self) -> str:
        s = f"{self.channels}, kernel_size={self.kernel_size}, depth={self.depth}"
        s += f", tree_select={self.tree_select!r}"
        if self.tree_select == "uniform":
            s += f", memory_size={self.memory_size}"
        if self.init != "xavier":
            s += f", init={self.init!r}"
        return s


class MultiresConvOptions(TypedDict, total=False):
    """The options of [`MultiresConv1d`][multires_core.MultiresConv1d]'s tree that models built on
    it pass through unchanged: ``depth``, ``tree_select``, ``memory_size``, ``init``, ``method``
    (see the layer for each one's meaning). ``channels``, ``kernel_size`` and ``seq_len``, which
    models set themselves, are not in the group.

    Every key is optional; a key left out takes the layer's default. A model takes the group as
    ``**conv: Unpack[MultiresConvOptions]`` (PEP 692), so a type checker checks the names and
    types at its call sites. ``MultiresConvOptions.__defaults_from__`` is ``MultiresConv1d``,
    whose signature holds the defaults (``longrange_models.config.option_defaults`` reads them).
    """

    depth: int | None
    tree_select: str
    memory_size: int | None
    init: str
    method: str


#: The layer whose signature holds the options' defaults (read, not repeated, by the models).
setattr(MultiresConvOptions, "__defaults_from__", MultiresConv1d)  # noqa: B010


class MultiresLayer(nn.Module):
    """MultiresConv1d, then GELU, then channel dropout (Sec. 3.3): ``(N, C, L) -> (N, C, L)``.

    Takes [`MultiresConv1d`][multires_core.MultiresConv1d]'s arguments plus ``dropout`` (whole
    channels, ``Dropout1d``). The MultiresNet block (1×1 mixing, norm, residual) is built on it in
    ``longrange_models``.
    """

    def __init__(self, channels: int, *args: Any, dropout: float = 0.0, **kwargs: Any) -> None:
        super().__init__()
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout should be in [0, 1), got {dropout}")
        self.conv = MultiresConv1d(channels, *args, **kwargs)
        self.dropout = nn.Dropout1d(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        return self.dropout(F.gelu(self.conv(x)))

    def init_state(self, batch: int) -> StreamState:
        """See [`MultiresConv1d.init_state`][multires_core.MultiresConv1d.init_state]."""
        return self.conv.init_state(batch)

    def step(
        self, x_t: Tensor, state: StreamState, path: str = "auto"
    ) -> tuple[Tensor, StreamState]:
        """One step of ``gelu(conv)``; dropout is the identity in eval mode (required here).

        ``path``: see [`multires_core.stream_step`][multires_core.stream_step]; the ``"fused"``
        kernel applies GELU in the same pass."""
        if self.training and isinstance(self.dropout, nn.Dropout1d):
            raise RuntimeError("call .eval() before streaming a MultiresLayer with dropout")
        return _step(x_t, state, path, gelu=True), state

    def step_at(self, x_t: Tensor, state: StreamState, t: Tensor, path: str = "auto") -> Tensor:
        """[`step`][multires_core.MultiresLayer.step] at the position held in ``t``
        (``Tensor[1]`` int64 on the state's device), without host synchronisation:
        ``x_t (Tensor[N, C]) -> Tensor[N, C]``; see
        [`stream_step_at`][multires_core.stream_step_at] (``state.t`` is not advanced)."""
        if self.training and isinstance(self.dropout, nn.Dropout1d):
            raise RuntimeError("call .eval() before streaming a MultiresLayer with dropout")
        return F.gelu(stream_step_at(x_t, state, t, path))
