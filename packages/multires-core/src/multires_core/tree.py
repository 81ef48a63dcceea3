"""MultiresConv (Shi, Wang, Fox, ICML 2023, Sec. 3 and App. B): the dilated causal filter tree.

Legend: N batch, C channels, L length, K filter taps, J depth.

Level ``j = 1..J`` runs at dilation ``2^(j−1)`` on the previous lowpass output ``a`` (``a = x``
first), causally left-padded by ``2^(j−1)(K−1)``: ``b_j = conv1d(a, h1)``, ``a = conv1d(a, h0)``,
both computed from the same ``K`` shifted views of the padded input (one read). TreeSelect then
mixes the coefficients per channel:

* ``"fading"`` (Fig. 3 of the paper): ``y = w_0·a_J + Σ_j w_j·b_j + w_skip·x`` with the columns of
  ``weight (C, J + 2)`` ordered ``[a_J, b_J (coarsest), …, b_1 (finest), skip]``;
* ``"uniform"``: per coefficient sequence (coarsest first) a window of its recent values,
  sampled at the level's decimated rate, of sizes ``1, 1, K, 3K − 2, …`` (``d ↦ 2(d − 1) + K``)
  until ``memory_size`` values are used; ``weight (C, memory_size + 1)``, the last column the skip.

Both are linear, time-invariant and causal per channel, so ``y = x ⋆ k`` with one causal kernel
``k (C, L)``: ``method="fft"`` evaluates ``k``'s spectrum from the tree's product formula
(Horner form, two FFTs of the filters) and applies it with one rfft convolution
(``O(L log L)``); ``method="tree"`` runs the tree on the data (``O(L·J·K)``), faster for
small batches, where building the kernel costs as much as using it.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor
from torch.nn import functional as F

__all__ = [
    "METHODS",
    "TREE_SELECTS",
    "causal_conv",
    "default_depth",
    "kernel_length",
    "kernel_spectrum",
    "multires_conv",
    "multires_kernel",
    "tree_levels",
    "tree_outputs",
    "uniform_windows",
]

TREE_SELECTS = ("fading", "uniform")
METHODS = ("auto", "fft", "tree")
#: "auto" uses the FFT path from this length and batch size on (measured crossover: building the
#: kernel costs about as much as the tree on 2-4 sequences; docs/benchmarks.md).
FFT_MIN_LENGTH = 64
FFT_MIN_BATCH = 3


def default_depth(length: int, kernel_size: int) -> int:
    """``J = ceil(log2((L − 1)/(K − 1) + 1))`` (Eq. 5), at least 1: ``a_J`` sees all of ``x``."""
    if length < 1 or kernel_size < 2:
        raise ValueError(
            f"length should be >= 1 and kernel_size >= 2, got length={length}, "
            f"kernel_size={kernel_size}"
        )
    return max(1, math.ceil(math.log2((length - 1) / (kernel_size - 1) + 1)))


def uniform_windows(depth: int, kernel_size: int, memory_size: int) -> list[tuple[int, int, int]]:
    """Uniform TreeSelect layout: ``(weight_offset, window, stride)`` per coefficient sequence.

    Sequences are ordered coarsest first, ``[a_J, b_J, …, b_1]``; ``b_j`` (dilation ``2^(j−1)``)
    is sampled every ``2^j`` steps; window sizes grow ``1, 1, K, 3K − 2, …`` and the last one is
    cut so that the windows hold ``memory_size`` values in all (fewer sequences if it runs out).
    """
    if memory_size < 1:
        raise ValueError(f"memory_size should be >= 1, got {memory_size}")
    out = [(0, 1, 1)]
    used, size = 1, 1
    for level in range(depth, 0, -1):  # b_J ... b_1
        if used >= memory_size:
            break
        size = min(size, memory_size - used)
        out.append((used, size, 2**level))
        used += size
        size = 2 * (size - 1) + kernel_size
    return out


def _check(x: Tensor, h0: Tensor, h1: Tensor) -> None:
    if not isinstance(x, Tensor) or x.ndim != 3:
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"x should be a Tensor[N, C, L], got {shape}")
    if not x.is_floating_point():
        raise TypeError(f"x should be floating point, got {x.dtype}")
    c = x.shape[1]
    for name, h in (("h0", h0), ("h1", h1)):
        if not isinstance(h, Tensor) or h.ndim != 2 or h.shape[0] != c or h.shape[1] < 2:
            shape = tuple(h.shape) if isinstance(h, Tensor) else type(h).__name__
            raise ValueError(f"{name} should be a Tensor[C={c}, K] with K >= 2, got {shape}")
    if h0.shape != h1.shape:
        raise ValueError(
            f"h0 and h1 should have the same shape, got {tuple(h0.shape)} and {tuple(h1.shape)}"
        )


def _causal_pad(a: Tensor, pad: int, circular: bool) -> Tensor:
    if not circular:
        return F.pad(a, (pad, 0))
    n = a.shape[-1]
    idx = torch.arange(-pad, n, device=a.device) % n
    return a[..., idx]


def tree_outputs(
    x: Tensor, h0: Tensor, h1: Tensor, depth: int, circular: bool = False
) -> tuple[Tensor, list[Tensor]]:
    """The undecimated tree: ``(a_J, [b_J, …, b_1])``, every output Tensor[N, C, L].

    Args:
        x (Tensor[N, C, L]): input.
        h0 (Tensor[C, K]): lowpass cross-correlation filter, shared by all levels.
        h1 (Tensor[C, K]): highpass filter, likewise.
        depth: ``J``.
        circular: wrap around instead of causal zero padding (the periodic tree; with wavelet
            filters its outputs are ``pywt.swt``'s, shifted — see
            [`multires_core.swt`][multires_core.swt]).
    """
    levels = tree_levels(x, h0, h1, depth, circular)
    return levels[-1][0], [b for _, b in reversed(levels)]


def tree_levels(
    x: Tensor, h0: Tensor, h1: Tensor, depth: int, circular: bool = False
) -> list[tuple[Tensor, Tensor]]:
    """Every level's ``(a_j, b_j)``, finest (``j = 1``, dilation 1) first.

    See [`tree_outputs`][multires_core.tree_outputs] for the arguments.
    """
    _check(x, h0, h1)
    a, levels = x, []
    for j in range(depth):
        a, b = _level(a, h0.to(x.dtype), h1.to(x.dtype), 2**j, circular)
        levels.append((a, b))
    return levels


def _level(
    a: Tensor, h0: Tensor, h1: Tensor, dilation: int, circular: bool
) -> tuple[Tensor, Tensor]:
    """One tree level: both outputs from the same ``K`` shifted views of the padded input.

    ``lo[t] = Σ_k h0[k] a[t − d(K−1−k)]`` (conv1d's cross-correlation taps), ``hi`` likewise: one
    read of the level input, ``2K`` fused multiply-adds and no copies but the outputs. (One
    grouped convolution with two outputs per group computes the same but was slower than the
    paper's two depthwise convolutions on the CPU; see docs/guides/multires.md.)
    """
    k = h0.shape[-1]
    length = a.shape[-1]
    padded = _causal_pad(a, dilation * (k - 1), circular)
    first = padded[..., :length]
    lo, hi = first * h0[:, :1], first * h1[:, :1]
    for i in range(1, k):
        view = padded[..., dilation * i : dilation * i + length]
        lo = lo.addcmul_(view, h0[:, i : i + 1])
        hi = hi.addcmul_(view, h1[:, i : i + 1])
    return lo, hi


def _tree_forward(
    x: Tensor,
    h0: Tensor,
    h1: Tensor,
    weight: Tensor,
    depth: int,
    tree_select: str,
    memory_size: int | None,
) -> Tensor:
    a, highs = tree_outputs(x, h0, h1, depth)
    w = weight.to(x.dtype)[..., None]  # (C, M, 1)
    y = w[:, -1] * x
    if tree_select == "fading":
        for col, coeff in enumerate([a, *highs]):
            y = y + w[:, col] * coeff
        return y
    assert memory_size is not None
    c = x.shape[1]
    for (offset, size, stride), coeff in zip(
        uniform_windows(depth, h0.shape[-1], memory_size), [a, *highs], strict=False
    ):
        # window value m (lag m·stride) has weight column offset + m: a dilated depthwise conv
        taps = w[:, offset : offset + size, 0].flip(-1)[:, None, :]  # (C, 1, size)
        padded = F.pad(coeff, ((size - 1) * stride, 0))
        y = y + F.conv1d(padded, taps, dilation=stride, groups=c)
    return y


def multires_kernel(
    h0: Tensor,
    h1: Tensor,
    weight: Tensor,
    length: int,
    depth: int,
    tree_select: str = "fading",
    memory_size: int | None = None,
) -> Tensor:
    """The causal kernel ``k (Tensor[C, length])`` with ``multires_conv(x) = Σ_s k[s] x[t − s]``.

    Computed by running the tree on a unit impulse (differentiable in all parameters).
    """
    c = h0.shape[0]
    impulse = torch.zeros(1, c, length, dtype=weight.dtype, device=weight.device)
    impulse[..., 0] = 1.0
    return _tree_forward(impulse, h0, h1, weight, depth, tree_select, memory_size)[0]


def causal_conv(x: Tensor, kernel: Tensor) -> Tensor:
    """``y[n, c, t] = Σ_{s <= t} kernel[c, s] x[n, c, t − s]`` by one zero-padded rfft product.

    Args:
        x (Tensor[N, C, L]): input.
        kernel (Tensor[C, L_k]): causal kernels in lag order.

    Returns:
        Tensor[N, C, L].
    """
    length = x.shape[-1]
    n = _fft_size(length, kernel.shape[-1])
    work = torch.float64 if x.dtype == torch.float64 else torch.float32
    spec = torch.fft.rfft(kernel.to(work), n=n)
    return _apply_spectrum(x, spec, n)


def _fft_size(length: int, kernel_length: int) -> int:
    """Power of two >= L + L_k − 1: the linear convolution does not wrap around."""
    return 1 << (length + kernel_length - 2).bit_length()


def _apply_spectrum(x: Tensor, spec: Tensor, n: int) -> Tensor:
    work = torch.float64 if x.dtype == torch.float64 else torch.float32
    y = torch.fft.irfft(torch.fft.rfft(x.to(work), n=n) * spec, n=n)
    return y[..., : x.shape[-1]].to(x.dtype)


def kernel_length(
    kernel_size: int, depth: int, tree_select: str = "fading", memory_size: int | None = None
) -> int:
    """Length of the causal kernel of [`multires_conv`][multires_core.multires_conv] (taps beyond it
    are zero)."""
    k = kernel_size
    longest = (k - 1) * (2**depth - 1) + 1  # a_J's equivalent filter
    if tree_select == "fading":
        return longest
    assert memory_size is not None
    lens = [longest] + [(k - 1) * (2**j - 1) + 1 for j in range(depth, 0, -1)]
    return max(
        n + (size - 1) * stride
        for n, (_, size, stride) in zip(lens, uniform_windows(depth, k, memory_size), strict=False)
    )


def _spread_dft(taps: Tensor, n: int, step: int = 1) -> Tensor:
    """Size-``n`` DFT of lag-order ``taps`` placed every ``step`` samples (wrapped mod ``n``):
    ``Σ_i taps[c, i] e^{−2πi k·i·step / n}``, Tensor[C, n] (complex)."""
    c, length = taps.shape
    idx = (torch.arange(length, device=taps.device) * step) % n
    return torch.fft.fft(taps.new_zeros(c, n).index_add(1, idx, taps))


def kernel_spectrum(
    h0: Tensor,
    h1: Tensor,
    weight: Tensor,
    n: int,
    depth: int,
    tree_select: str = "fading",
    memory_size: int | None = None,
) -> Tensor:
    """rfft (size ``n``, a power of two >= ``2^depth``) of
    [`multires_kernel`][multires_core.multires_kernel]'s kernel.

    Horner form from the coarsest level down: with ``H(2^(j−1) ω)`` the level-``j`` filters,
    ``R_J = W_a H0 + W_J H1`` and ``R_j = H0·R_{j+1} + W_j H1`` (all at ``2^(j−1) ω``), kernel
    ``= w_skip + R_1``; ``W`` are the TreeSelect weights (constants for ``"fading"``, window
    polynomials for ``"uniform"``). On the size-``n`` grid, level ``j``'s factors have period
    ``m = n / 2^(j−1)`` and equal every ``2^(j−1)``-th value of the size-``n`` DFT, so two FFTs of
    the taps serve every level and the recursion costs about ``2n`` complex products per channel.

    Returns:
        Tensor[C, n/2 + 1] (complex).
    """
    if n & (n - 1) or n < 2**depth:
        raise ValueError(f"n should be a power of two >= 2**depth = {2**depth}, got {n}")
    c, k = h0.shape
    f0_full = _spread_dft(h0.flip(-1), n)  # lag order
    f1_full = _spread_dft(h1.flip(-1), n)
    if tree_select == "fading":
        w_full: list[Tensor | None] = [
            weight[:, i : i + 1] for i in range(depth + 1)
        ]  # [a_J, b_J, ..., b_1]
    else:
        assert memory_size is not None
        windows = uniform_windows(depth, k, memory_size)
        w_full = [
            _spread_dft(weight[:, off : off + size], n, step) if i < len(windows) else None
            for i, (off, size, step) in enumerate(windows + [(0, 0, 1)] * (depth + 1))
        ][: depth + 1]

    def at(spec: Tensor | None, m: int) -> Tensor | float:
        """A weight spectrum on the first period ``m`` of the grid (it divides ``m``)."""
        if spec is None:
            return 0.0
        return spec if spec.shape[-1] == 1 else spec[:, :m]

    r: Tensor | None = None
    for level in range(depth, 0, -1):  # dilation 2^(level-1)
        stride = 2 ** (level - 1)
        m = n // stride
        f0, f1 = f0_full[:, ::stride], f1_full[:, ::stride]
        w_b = at(w_full[depth + 1 - level], m)  # b_level's column
        if r is None:
            r = at(w_full[0], m) * f0 + w_b * f1
        else:  # r has period m/2: repeat it by broadcasting over two halves
            r = (f0.reshape(c, 2, m // 2) * r[:, None, :]).reshape(c, m) + w_b * f1
    assert r is not None
    return (r + weight[:, -1:])[:, : n // 2 + 1]


def _check_weight(
    weight: Tensor, c: int, depth: int, tree_select: str, memory_size: int | None
) -> None:
    cols = depth + 2 if tree_select == "fading" else (memory_size or 0) + 1
    if not isinstance(weight, Tensor) or weight.shape != (c, cols):
        shape = tuple(weight.shape) if isinstance(weight, Tensor) else type(weight).__name__
        what = "depth + 2" if tree_select == "fading" else "memory_size + 1"
        raise ValueError(f"weight should be a Tensor[C={c}, {what}={cols}], got {shape}")


def multires_conv(
    x: Tensor,
    h0: Tensor,
    h1: Tensor,
    weight: Tensor,
    depth: int | None = None,
    tree_select: str = "fading",
    memory_size: int | None = None,
    method: str = "auto",
) -> Tensor:
    """MultiresConv with TreeSelect: ``(N, C, L) -> (N, C, L)``, depthwise and causal.

    Args:
        x (Tensor[N, C, L]): input.
        h0 (Tensor[C, K]): lowpass cross-correlation filter shared by all levels.
        h1 (Tensor[C, K]): highpass filter, likewise.
        weight: TreeSelect weights, Tensor[C, depth + 2] for ``"fading"`` (columns
            ``[a_J, b_J, …, b_1, skip]``) or Tensor[C, memory_size + 1] for ``"uniform"``.
        depth: tree depth ``J``; default ``ceil(log2((L − 1)/(K − 1) + 1))``.
        tree_select: ``"fading"`` or ``"uniform"``.
        memory_size: number of memory coefficients for ``"uniform"``.
        method: ``"fft"`` (causal kernel by FFT, ``O(L log L)``), ``"tree"`` (the dilated tree on
            the data) or ``"auto"`` (fft from length 64 and batch 3, the tree below).

    Returns:
        Tensor[N, C, L]: output at ``t`` depends only on ``x[..., :t + 1]``.
    """
    _check(x, h0, h1)
    if tree_select not in TREE_SELECTS:
        raise ValueError(f"tree_select should be one of {TREE_SELECTS}, got {tree_select!r}")
    if method not in METHODS:
        raise ValueError(f"method should be one of {METHODS}, got {method!r}")
    if tree_select == "uniform" and (memory_size is None or memory_size < 1):
        raise ValueError(f"memory_size should be a positive int for 'uniform', got {memory_size}")
    c, k = h0.shape
    length = x.shape[-1]
    if depth is None:
        depth = default_depth(length, k)
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise ValueError(f"depth should be a positive int, got {depth!r}")
    _check_weight(weight, c, depth, tree_select, memory_size)
    if method == "auto":
        big = length >= FFT_MIN_LENGTH and x.shape[0] >= FFT_MIN_BATCH
        method = "fft" if big else "tree"
    if method == "tree":
        return _tree_forward(x, h0, h1, weight, depth, tree_select, memory_size)
    klen = kernel_length(k, depth, tree_select, memory_size)
    if klen > 4 * length:  # a much deeper tree than the data: truncate the kernel in time
        kernel = multires_kernel(
            h0.to(x.dtype),
            h1.to(x.dtype),
            weight.to(x.dtype),
            length,
            depth,
            tree_select,
            memory_size,
        )
        return causal_conv(x, kernel)
    n = _fft_size(length, klen)
    work = torch.float64 if x.dtype == torch.float64 else torch.float32
    spec = kernel_spectrum(
        h0.to(work), h1.to(work), weight.to(work), n, depth, tree_select, memory_size
    )
    return _apply_spectrum(x, spec, n)
