"""Effective receptive field (ARMA-Nets Def. 2, Eq. 3, Theorem 3).

The ERF of an output position is the normalised mean of ``|∂Y_out/∂X|`` over the batch and the
input channels; its radius is ``r² = Σ_p |p|² ERF(p) − (Σ_p |p| ERF(p))²`` with ``p`` the offset
from the output position (in input coordinates).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

__all__ = ["effective_receptive_field", "erf_radius", "theoretical_erf_radius"]


def effective_receptive_field(
    model: nn.Module,
    input_shape: Sequence[int],
    *,
    position: Sequence[int] | None = None,
    num_samples: int = 1,
    seed: int = 0,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
) -> Tensor:
    """ERF of one output position of ``model`` (Def. 2).

    Args:
        model: maps ``(N, C, *S)`` to ``(N, C', *S')``.
        input_shape: ``(C, *S)`` of one input.
        position: output position; default the centre ``S'_a // 2`` of every axis.
        num_samples: inputs drawn from ``N(0, 1)`` (one suffices for linear models).
        seed: seed of those draws.
        device: of the inputs.
        dtype: of the inputs.

    Returns:
        Tensor[*S]: non-negative, sums to 1.
    """
    shape = tuple(int(s) for s in input_shape)
    if len(shape) < 2 or any(s < 1 for s in shape):
        raise ValueError(f"input_shape should be (C, *S) with positive sizes, got {input_shape}")
    if num_samples < 1:
        raise ValueError(f"num_samples should be >= 1, got {num_samples}")
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn((num_samples, *shape), generator=gen, dtype=dtype).to(device)
    x.requires_grad_(True)
    y = model(x)
    out_sizes = y.shape[2:]
    if position is None:
        position = tuple(s // 2 for s in out_sizes)
    if len(position) != len(out_sizes):
        raise ValueError(
            f"position should have one index per output axis {tuple(out_sizes)}, got {position}"
        )
    y[(slice(None), slice(None), *position)].sum().backward()
    assert x.grad is not None
    erf = x.grad.abs().mean(dim=(0, 1)).detach()
    total = erf.sum()
    if not total > 0:
        raise ValueError("the output does not depend on the input: the ERF is all zeros")
    return erf / total


def erf_radius(erf: Tensor, center: Sequence[int] | None = None) -> float:
    """ERF radius (Eq. 3): ``sqrt(Σ |p|² ERF(p) − (Σ |p| ERF(p))²)``.

    Args:
        erf (Tensor[*S]): non-negative weights (normalised here).
        center: the output position in input coordinates; default ``S_a // 2``.

    Returns:
        the radius, in input samples.
    """
    if erf.ndim < 1:
        raise ValueError(f"erf should have at least one dimension, got shape {tuple(erf.shape)}")
    w = erf.double()
    w = w / w.sum()
    if center is None:
        center = tuple(s // 2 for s in erf.shape)
    if len(center) != erf.ndim:
        raise ValueError(f"center should have {erf.ndim} indices, got {center}")
    grids = torch.meshgrid(
        *[torch.arange(s, dtype=torch.float64) - c for s, c in zip(erf.shape, center, strict=True)],
        indexing="ij",
    )
    p2 = sum(g**2 for g in grids)
    assert isinstance(p2, Tensor)
    r2 = (p2 * w).sum() - ((p2.sqrt() * w).sum()) ** 2
    return math.sqrt(max(float(r2), 0.0))


def theoretical_erf_radius(
    kernel_sizes: Sequence[int],
    ar_coefficients: Sequence[float],
    dilations: Sequence[int] | int = 1,
) -> float:
    """Theorem 3 (NeurIPS 2020): ERF radius of a linear 1D ARMA net.

    Layer ``l`` computes ``y_i − a_l y_{i−1} = Σ_{p<K_l} ((1−a_l)/K_l) x_{i−d_l p}``; then
    ``r² = Σ_l [d_l² (K_l² − 1)/12 + a_l/(1 − a_l)²]``.

    Args:
        kernel_sizes: ``K_l`` per layer.
        ar_coefficients: ``a_l`` per layer, in ``[0, 1)``.
        dilations: ``d_l`` per layer, or one for all.
    """
    ks = list(kernel_sizes)
    a_s = list(ar_coefficients)
    ds = [dilations] * len(ks) if isinstance(dilations, int) else list(dilations)
    if not (len(ks) == len(a_s) == len(ds)):
        raise ValueError(
            f"kernel_sizes, ar_coefficients and dilations should have one entry per layer, "
            f"got {len(ks)}, {len(a_s)}, {len(ds)}"
        )
    r2 = 0.0
    for k, a, d in zip(ks, a_s, ds, strict=True):
        if k < 1 or d < 1:
            raise ValueError(f"kernel sizes and dilations should be >= 1, got K={k}, d={d}")
        if not 0.0 <= a < 1.0:
            raise ValueError(f"AR coefficients should be in [0, 1), got {a}")
        r2 += d * d * (k * k - 1) / 12 + a / (1 - a) ** 2
    return math.sqrt(r2)
