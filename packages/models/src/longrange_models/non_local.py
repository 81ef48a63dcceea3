"""Non-local block (Wang et al. 2018), embedded-Gaussian form, as the ARMA papers compare with.

``z = x + W_z · softmax(θ(x)ᵀ φ(x)) g(x)`` over all ``H·W`` positions, with ``θ, φ, g`` 1×1
convolutions to ``inner_channels`` and ``W_z`` a 1×1 convolution back to ``channels`` whose
weight and bias start at zero, so a freshly built block is exactly the identity and inserting one
into a trained network changes nothing until it learns. ``sub_sample`` max-pools ``φ`` and ``g``
by 2 (the original paper's trick: a quarter of the keys).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F

__all__ = ["NonLocal2d"]


class NonLocal2d(nn.Module):
    """Embedded-Gaussian non-local block: ``(N, C, H, W) -> (N, C, H, W)``, identity at init.

    Args:
        channels: ``C``.
        inner_channels: channels of ``θ, φ, g``; default ``max(C // 2, 1)``.
        sub_sample: max-pool keys and values by 2 (needs ``H, W >= 2``).
    """

    def __init__(
        self, channels: int, inner_channels: int | None = None, sub_sample: bool = False
    ) -> None:
        super().__init__()
        if isinstance(channels, bool) or not isinstance(channels, int) or channels < 1:
            raise ValueError(f"channels should be a positive int, got {channels!r}")
        inner = max(channels // 2, 1) if inner_channels is None else inner_channels
        if isinstance(inner, bool) or not isinstance(inner, int) or inner < 1:
            raise ValueError(f"inner_channels should be a positive int, got {inner_channels!r}")
        self.channels, self.inner_channels, self.sub_sample = channels, inner, sub_sample
        self.theta = nn.Conv2d(channels, inner, 1)
        self.phi = nn.Conv2d(channels, inner, 1)
        self.g = nn.Conv2d(channels, inner, 1)
        self.out = nn.Conv2d(inner, channels, 1)
        for p in self.out.parameters():  # weight and bias: the block starts as the identity
            nn.init.zeros_(p)

    def forward(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor) or x.ndim != 4 or x.shape[1] != self.channels:
            shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"x should be a Tensor[N, C={self.channels}, H, W], got {shape}")
        n, _, h, w = x.shape
        q = self.theta(x).flatten(2).transpose(1, 2)  # (N, HW, inner)
        k, v = self.phi(x), self.g(x)
        if self.sub_sample:
            k, v = F.max_pool2d(k, 2), F.max_pool2d(v, 2)
        k = k.flatten(2)  # (N, inner, HW')
        v = v.flatten(2).transpose(1, 2)  # (N, HW', inner)
        attn = torch.softmax(q @ k, dim=-1)  # (N, HW, HW'): embedded Gaussian
        y = (attn @ v).transpose(1, 2).reshape(n, self.inner_channels, h, w)
        return x + self.out(y)

    def extra_repr(self) -> str:
        s = f"{self.channels}, inner_channels={self.inner_channels}"
        return s + (", sub_sample=True" if self.sub_sample else "")
