"""Linear ARMA nets of Theorem 3 (ARMA-Nets NeurIPS 2020) and their measured ERF radii.

Layer ``l`` of the 1D net computes ``y_i − a y_{i−1} = Σ_{p<K} ((1−a)/K) x_{i−d·p}`` (causal);
the 2D net applies the same filter along both axes (a separable MA box and a separable AR filter
``[−a, 1, 0] ⊗ [−a, 1, 0]``), so its ERF is the product of two copies of the 1D ERF. The centred
nets of the heat-map grid use the symmetric AR factor ``[−a/2, 1, −a/2]`` per axis
(``|a_left| + |a_right| = a``, the stable parameterisation's bound) and a centred MA box.

Radii: :func:`arma_core.erf_radius` is Eq. 3/4 of the paper (``Σ |p|² ERF − (Σ |p| ERF)²``).
For a causal 1D net ``|p| = p`` and it is the ERF's variance, which Theorem 3 gives. In 2D the
``(Σ |p| ERF)²`` term is not the squared mean offset, so Eq. 4 has no closed form; the quantity
Theorem 3 predicts there is the covariance trace :func:`covariance_radius`
``r² = Σ |p|² ERF − |Σ p ERF|² = Σ_axes r_axis²``, i.e. ``√2 ·`` the 1D radius for the
separable net.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from apps.framework import check_int
from arma_core import ARMA1d, ARMA2d, effective_receptive_field, erf_radius, theoretical_erf_radius

__all__ = [
    "covariance_radius",
    "linear_arma_net",
    "measure_radius",
    "required_length",
    "theorem3_radius",
]


def _check(num_layers: int, a: float, kernel_size: int, dilation: int, dims: int) -> None:
    check_int("num_layers", num_layers)
    if not 0.0 <= a < 1.0:
        raise ValueError(f"a should be in [0, 1), got {a}")
    check_int("kernel_size", kernel_size)
    check_int("dilation", dilation)
    if dims not in (1, 2):
        raise ValueError(f"dims should be 1 or 2, got {dims!r}")


def linear_arma_net(
    num_layers: int,
    a: float,
    kernel_size: int = 3,
    dilation: int = 1,
    dims: int = 1,
    centred: bool = False,
    dtype: torch.dtype = torch.float64,
) -> nn.Sequential:
    """The linear net of Theorem 3: ``(N, 1, L) -> (N, 1, L)`` or ``(N, 1, H, W) -> (N, 1, H, W)``.

    Args:
        num_layers: ``L``, ARMA layers.
        a: AR magnitude in ``[0, 1)`` (``0``: a plain CNN).
        kernel_size: ``K`` of the uniform MA kernel.
        dilation: ``d`` of the MA kernel.
        dims: 1 or 2 spatial axes.
        centred: symmetric AR factor ``[−a/2, 1, −a/2]`` and a centred MA box (the heat-map grid)
            instead of Theorem 3's causal layer.
        dtype: of the weights (float64: the AR tails stay accurate).
    """
    _check(num_layers, a, kernel_size, dilation, dims)
    ar_init = (-a / 2, -a / 2) if centred else (-a, 0.0)
    span = dilation * (kernel_size - 1)
    pad = (span // 2, span - span // 2) if centred else (span, 0)
    layers: list[nn.Module] = []
    for _ in range(num_layers):
        if dims == 1:
            conv: ARMA1d | ARMA2d = ARMA1d(
                1, 1, kernel_size, dilation=dilation, bias=False, ar_init=ar_init, dtype=dtype
            )
            padding: nn.Module = nn.ConstantPad1d(pad, 0.0)
        else:
            conv = ARMA2d(
                1, 1, kernel_size, dilation=dilation, bias=False, ar_init=ar_init, dtype=dtype
            )
            padding = nn.ConstantPad2d((*pad, *pad), 0.0)
        with torch.no_grad():
            conv.weight.fill_(1.0 / kernel_size**dims)
        layers += [padding, conv]
    return nn.Sequential(*layers)


def theorem3_radius(num_layers: int, a: float, kernel_size: int = 3, dilation: int = 1) -> float:
    """Theorem 3's 1D radius of :func:`linear_arma_net` (``dims=1``, causal)."""
    return theoretical_erf_radius([kernel_size] * num_layers, [a] * num_layers, dilation)


def required_length(
    num_layers: int, a: float, kernel_size: int = 3, dilation: int = 1, dims: int = 1
) -> int:
    """Signal length per axis (a power of 2, at least 64) whose centre output sees the whole ERF:
    twice the mean offset plus 16 (1D) or 10 (2D) Theorem-3 standard deviations. The ERF is a
    sum of geometric and uniform offsets, so its tail beyond that is below float64 resolution
    (1D) or far below the 5% tolerance (2D); the tests' agreement to 1e-10 checks it."""
    mean = num_layers * (dilation * (kernel_size - 1) / 2 + a / (1 - a))
    std = theorem3_radius(num_layers, a, kernel_size, dilation)
    need = 2 * (mean + (16 if dims == 1 else 10) * std)
    return max(64, 2 ** math.ceil(math.log2(need)))


def covariance_radius(erf: Tensor, center: tuple[int, ...] | None = None) -> float:
    """``sqrt(Σ |p|² ERF(p) − |Σ p ERF(p)|²)``: the square root of the ERF's covariance trace.

    Args:
        erf (Tensor[*S]): non-negative weights (normalised here).
        center: the output position; default ``S_a // 2`` (the offsets cancel in a variance,
            so it only fixes the coordinates).
    """
    w = erf.double()
    w = w / w.sum()
    center = tuple(s // 2 for s in erf.shape) if center is None else center
    total = 0.0
    for axis, (size, c) in enumerate(zip(erf.shape, center, strict=True)):
        shape = [1] * erf.ndim
        shape[axis] = size
        p = (torch.arange(size, dtype=torch.float64) - c).view(shape)
        mean = float((p * w).sum())
        total += float((p.square() * w).sum()) - mean**2
    return math.sqrt(max(total, 0.0))


def measure_radius(
    num_layers: int, a: float, kernel_size: int = 3, dilation: int = 1, dims: int = 1
) -> dict[str, float]:
    """Measured radii of :func:`linear_arma_net` next to Theorem 3.

    Returns:
        ``measured`` (1D: Eq. 3; 2D: :func:`covariance_radius`), ``theorem3`` (1D: Theorem 3;
        2D: ``√2 ·`` Theorem 3), ``eq4`` (Eq. 3/4 as printed, both dims), ``length``.
    """
    net = linear_arma_net(num_layers, a, kernel_size, dilation, dims)
    length = required_length(num_layers, a, kernel_size, dilation, dims)
    shape = (1, length) if dims == 1 else (1, length, length)
    erf = effective_receptive_field(net, shape, dtype=torch.float64)
    theory = theorem3_radius(num_layers, a, kernel_size, dilation)
    measured = erf_radius(erf) if dims == 1 else covariance_radius(erf)
    return {
        "measured": measured,
        "theorem3": theory * math.sqrt(dims),
        "eq4": erf_radius(erf),
        "length": float(length),
    }
