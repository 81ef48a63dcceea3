"""Test-local references written from the paper, independent of multires_core's code paths."""

from __future__ import annotations

import math

import torch
from torch.nn.functional import conv1d, pad


def appendix_b_fading(x, h0, h1, w, depth=None):
    """Shi et al., Fig. 3 (App. B) with its typos fixed (`convld`, `self.`, `kernel_size`,
    `y` vs `v`, `dilation *= 2`). h0, h1: (C, 1, K); w: (C, depth + 2)."""
    kernel_size = h0.shape[-1]
    if depth is None:
        depth = math.ceil(math.log2((x.shape[-1] - 1) / (kernel_size - 1) + 1))
    y = 0.0
    a = x
    dilation = 1
    for i in range(depth, 0, -1):
        padding = dilation * (kernel_size - 1)
        a = pad(a, (padding, 0), "constant", 0)
        b = conv1d(a, h1, dilation=dilation, groups=x.shape[1])
        a = conv1d(a, h0, dilation=dilation, groups=x.shape[1])
        y += w[:, i : i + 1] * b
        dilation *= 2
    y += w[:, :1] * a
    y += w[:, -1:] * x
    return y


def tree_coefficients(x, h0, h1, depth):
    """[a_J, b_J, ..., b_1] by the App. B loop (two convolutions per level)."""
    kernel_size = h0.shape[-1]
    a, highs, dilation = x, [], 1
    for _ in range(depth):
        a = pad(a, (dilation * (kernel_size - 1), 0))
        highs.append(conv1d(a, h1, dilation=dilation, groups=x.shape[1]))
        a = conv1d(a, h0, dilation=dilation, groups=x.shape[1])
        dilation *= 2
    return [a, *highs[::-1]]


def uniform_per_step(x, h0, h1, w, depth, memory_size):
    """Uniform TreeSelect (Sec. 3.2, the authors' released semantics) one output at a time:
    sequence l (coarsest first) keeps a window of its values at lags m·stride_l, window sizes
    1, 1, K, 3K-2, ... (d -> 2(d-1)+K), b_j sampled every 2^j steps, memory_size values in all."""
    k = h0.shape[-1]
    coeffs = tree_coefficients(x, h0, h1, depth)
    layout, used, size = [(1, 1)], 1, 1
    for level in range(depth, 0, -1):
        if used >= memory_size:
            break
        size = min(size, memory_size - used)
        layout.append((size, 2**level))
        used += size
        size = 2 * (size - 1) + k
    length = x.shape[-1]
    y = torch.zeros_like(x)
    for t in range(length):
        col = 0
        acc = w[:, -1] * x[..., t]
        for (size, stride), c in zip(layout, coeffs, strict=False):
            for m in range(size):
                if t - m * stride >= 0:
                    acc = acc + w[:, col + m] * c[..., t - m * stride]
            col += size
        y[..., t] = acc
    return y
