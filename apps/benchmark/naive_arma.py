"""The naive ARMA baseline: what the reference implementation does, on current PyTorch.

One full complex ``fft2``/``ifft2`` round trip per AR stage, the 3x3 stage kernel zero-padded
to the map, plain autograd through everything (so complex spectra are saved for backward).
"""

from __future__ import annotations

import torch
from torch import Tensor


def naive_ar_solve2d(t: Tensor, coefficients: Tensor) -> Tensor:
    """Naive solve: ``t (Tensor[N, C, H, W])``, ``coefficients (Tensor[2, C, Q, 2])``.

    Returns ``Tensor[N, C, H, W]``.
    """
    _, c, h, w = t.shape
    y = t
    for q in range(coefficients.shape[2]):
        one = torch.ones(c, 1, dtype=t.dtype, device=t.device)
        fh = torch.cat((coefficients[0, :, q, :1], one, coefficients[0, :, q, 1:]), dim=1)
        fw = torch.cat((coefficients[1, :, q, :1], one, coefficients[1, :, q, 1:]), dim=1)
        kernel = fh[:, :, None] * fw[:, None, :]  # (C, 3, 3), offsets -1..1
        # correlation kernel of (A y)[i] = sum_j k[j] y[i + j], as a convolution kernel at -j
        padded = torch.zeros(c, h, w, dtype=t.dtype, device=t.device)
        padded[:, :3, :3] = kernel.flip(-1, -2)
        padded = torch.roll(padded, shifts=(-1, -1), dims=(-2, -1))
        spectrum = torch.fft.fft2(padded)
        y = torch.fft.ifft2(torch.fft.fft2(y) / spectrum).real
    return y
