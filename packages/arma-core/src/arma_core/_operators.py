"""Per-axis operators of a separable circulant AR filter: DFT spectra and inverse matrices.

Legend: N batch, C channels, S spatial sizes ``(n_0, ..., n_{D-1})``, m = 2Q+1 taps.
A 1D filter with taps ``t[j]`` (offsets ``j = -Q..Q``) acts as ``(A y)[i] = Σ_j t[j] y[i+j]``
(indices mod n), so its DFT multiplier is ``Â(k) = Σ_j t[j] e^{+2πi kj/n}`` and its matrix is
``A[i, i'] = t[i' − i]``.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

__all__ = ["axis_spectrum", "circulant", "inverse_matrix", "inverse_spectrum", "tap_offsets"]


def tap_offsets(m: int, device: torch.device | None = None) -> Tensor:
    """Offsets ``-Q..Q`` of ``m = 2Q+1`` taps (int64)."""
    q = (m - 1) // 2
    return torch.arange(-q, q + 1, device=device)


def axis_spectrum(taps: Tensor, n: int, half: bool = False) -> Tensor:
    """DFT multiplier of one axis.

    Args:
        taps (Tensor[C, m]): real taps.
        n: axis length.
        half: only the ``n//2 + 1`` non-negative frequencies (the rfft axis).

    Returns:
        Tensor[C, n] (or [C, n//2+1]): complex, complex128 for float64 taps else complex64.
    """
    k = torch.arange(n // 2 + 1 if half else n, device=taps.device, dtype=taps.dtype)
    j = tap_offsets(taps.shape[-1], taps.device).to(taps.dtype)
    phase = torch.outer(k, j) * (2 * math.pi / n)  # (K, m)
    re = taps @ torch.cos(phase).T
    im = taps @ torch.sin(phase).T
    return torch.complex(re, im)


def inverse_spectrum(taps: list[Tensor], sizes: list[int]) -> Tensor:
    """``1 / Π_a Â_a`` on the rfftn grid of ``sizes`` (last axis halved).

    Args:
        taps: D tensors ``[C, m]``.
        sizes: the D spatial sizes.

    Returns:
        Tensor[C, n_0, ..., n_{D-1}//2+1]: complex.
    """
    d = len(sizes)
    spec = None
    for a, (t, n) in enumerate(zip(taps, sizes, strict=True)):
        s = axis_spectrum(t, n, half=a == d - 1)
        shape = [s.shape[0]] + [1] * d
        shape[1 + a] = s.shape[1]
        s = s.reshape(shape)
        spec = s if spec is None else spec * s
    assert spec is not None
    return spec.reciprocal()


def circulant(kernel: Tensor) -> Tensor:
    """Matrix ``M[c, i, i'] = kernel[c, (i' − i) mod n]`` of a correlation kernel ``[C, n]``."""
    n = kernel.shape[-1]
    # windows w[s, t] = ext[s + t] of ext = [k, k]; row i needs ext[n - i + t] = k[(t - i) mod n]
    windows = torch.cat((kernel, kernel), dim=-1).unfold(-1, n, 1)  # (C, n + 1, n)
    return windows[:, 1:].flip(-2).contiguous()


def inverse_matrix(taps: Tensor, n: int) -> Tensor:
    """Dense ``A⁻¹`` (Tensor[C, n, n]) of one axis: the circulant whose multiplier is ``1/Â``."""
    inv = axis_spectrum(taps, n).reciprocal()  # multiplier Σ_j q[j] e^{iωkj} = n·ifft(q)
    q = torch.fft.fft(inv).real / n
    return circulant(q)
