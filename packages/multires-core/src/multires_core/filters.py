"""Filter algebra: wavelet filters, cascaded strided convolutions, the tree's equivalent filters.

Conventions: ``torch.nn.functional.conv1d`` is a cross-correlation, ``y[i] = Σ_p k[p] x[s·i + p]``.
A *causal kernel* ``f`` (as returned by [`equivalent_filters`][multires_core.equivalent_filters]) is
in lag order instead: ``y[t] = Σ_s f[s] x[t − s]``.
"""

from __future__ import annotations

import pywt
import torch
from torch import Tensor

__all__ = ["compose_strided", "equivalent_filters", "wavelet_filters"]


def wavelet_filters(
    wavelet: str | pywt.Wavelet, dtype: torch.dtype = torch.float32
) -> tuple[Tensor, Tensor]:
    """Decomposition filters of an orthogonal PyWavelets wavelet, as cross-correlation filters.

    Args:
        wavelet: a name (``"haar"``, ``"db2"``, ``"sym4"``, ...) or a ``pywt.Wavelet``.
        dtype: of the returned tensors.

    Returns:
        ``(h0, h1)``, each Tensor[K]: ``dec_lo[::-1]`` and ``dec_hi[::-1]`` (reversed because
        ``conv1d`` correlates), so ``conv1d(x, h0)[t] = Σ_m dec_lo[m] x[t + K − 1 − m]``.

    Raises:
        ValueError: unknown or non-orthogonal wavelet.
    """
    if isinstance(wavelet, str):
        if wavelet not in pywt.wavelist(kind="discrete"):
            raise ValueError(
                f"wavelet should be a PyWavelets discrete wavelet name, got {wavelet!r}"
            )
        wavelet = pywt.Wavelet(wavelet)
    if not isinstance(wavelet, pywt.Wavelet):
        raise TypeError(f"wavelet should be a str or pywt.Wavelet, got {type(wavelet).__name__}")
    if not wavelet.orthogonal:
        raise ValueError(f"wavelet should be orthogonal, got {wavelet.name!r}")
    h0 = torch.tensor(wavelet.dec_lo[::-1], dtype=dtype)
    h1 = torch.tensor(wavelet.dec_hi[::-1], dtype=dtype)
    return h0, h1


def compose_strided(k_a: Tensor, stride_a: int, k_b: Tensor, stride_b: int) -> tuple[Tensor, int]:
    """One convolution equal to ``conv1d(conv1d(x, k_a, stride_a), k_b, stride_b)`` (no padding).

    Cross-correlation filters: the equivalent filter is ``k[r] = Σ_{s_a q + p = r} k_b[q] k_a[p]``,
    i.e. ``k_a`` convolved with ``k_b`` upsampled by ``stride_a`` (noble identity), of length
    ``(K_b − 1)·stride_a + K_a``, with stride ``stride_a · stride_b``. Two stride-2 convolutions
    with the same ``c``-tap ``k`` become one stride-4 convolution with ``3c − 2`` taps.
    The identity is exact for unpadded ("valid") convolutions: pad the input once, up front.

    Args:
        k_a (Tensor[..., K_a]): first filter (leading dims broadcast, e.g. channels).
        stride_a: its stride.
        k_b (Tensor[..., K_b]): second filter.
        stride_b: its stride.

    Returns:
        ``(k, stride)`` with ``k (Tensor[..., (K_b − 1)·stride_a + K_a])``.
    """
    for name, s in (("stride_a", stride_a), ("stride_b", stride_b)):
        if isinstance(s, bool) or not isinstance(s, int) or s < 1:
            raise ValueError(f"{name} should be a positive int, got {s!r}")
    for name, k in (("k_a", k_a), ("k_b", k_b)):
        if not isinstance(k, Tensor) or k.ndim < 1 or k.shape[-1] < 1:
            raise ValueError(f"{name} should be a Tensor[..., K] with K >= 1, got {k!r}")
    ka, kb = k_a.shape[-1], k_b.shape[-1]
    lead = torch.broadcast_shapes(k_a.shape[:-1], k_b.shape[:-1])
    length = (kb - 1) * stride_a + ka
    dtype = torch.promote_types(k_a.dtype, k_b.dtype)
    out = torch.zeros((*lead, length), dtype=dtype, device=k_a.device)
    for q in range(kb):
        start = q * stride_a
        piece = k_b[..., q : q + 1] * k_a
        out = out + torch.nn.functional.pad(piece, (start, length - start - ka))
    return out, stride_a * stride_b


def equivalent_filters(h0: Tensor, h1: Tensor, depth: int) -> list[Tensor]:
    """Causal kernels that the tree's outputs apply to the input, coarsest first.

    Level ``j`` (dilation ``2^(j−1)``) of the tree applies ``h ⋆ h0↑2 ⋆ … `` to ``x``; these are
    those kernels in lag order (``out[t] = Σ_s f[s] x[t − s]``), for ``[a_J, b_J, …, b_1]``:
    the final lowpass output, then the highpass outputs from coarsest (level J) to finest.

    Args:
        h0 (Tensor[C, K] or Tensor[K]): lowpass cross-correlation filter.
        h1: highpass filter, same shape.
        depth: number of tree levels ``J >= 1``.

    Returns:
        ``depth + 1`` tensors; level ``j`` has length ``(K − 1)(2^j − 1) + 1``.
    """
    if h0.shape != h1.shape or h0.ndim not in (1, 2):
        raise ValueError(
            f"h0 and h1 should both be Tensor[C, K] or Tensor[K], got {tuple(h0.shape)} "
            f"and {tuple(h1.shape)}"
        )
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise ValueError(f"depth should be a positive int, got {depth!r}")
    # lag-order taps of one level: conv1d tap k multiplies x[t − d(K − 1 − k)]
    lo, hi = h0.flip(-1), h1.flip(-1)
    acc = torch.ones_like(lo[..., :1])  # identity kernel
    highs = []
    for j in range(depth):
        d = 2**j
        highs.append(_convolve(acc, _upsample(hi, d)))
        acc = _convolve(acc, _upsample(lo, d))
    return [acc, *highs[::-1]]


def _upsample(f: Tensor, d: int) -> Tensor:
    """Insert ``d − 1`` zeros between taps (lag order)."""
    if d == 1:
        return f
    out = f.new_zeros((*f.shape[:-1], (f.shape[-1] - 1) * d + 1))
    out[..., ::d] = f
    return out


def _convolve(f: Tensor, g: Tensor) -> Tensor:
    """Full linear convolution of lag-order kernels along the last dim (broadcast leading)."""
    lead = torch.broadcast_shapes(f.shape[:-1], g.shape[:-1])
    f = f.expand(*lead, f.shape[-1]).reshape(-1, f.shape[-1])
    g = g.expand(*lead, g.shape[-1]).reshape(-1, g.shape[-1])
    c, n = f.shape[0], f.shape[-1] + g.shape[-1] - 1
    # depthwise conv1d correlates: convolve = correlate with the flipped kernel, zero-padded
    out = torch.nn.functional.conv1d(
        f[None], g.flip(-1)[:, None], padding=g.shape[-1] - 1, groups=c
    )[0]
    return out.reshape(*lead, n)
