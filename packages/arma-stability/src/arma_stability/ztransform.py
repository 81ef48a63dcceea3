"""Z-transform view of AR filters built from length-3 factors.

Convention (used everywhere in longrange): a factor ``(a_left, a_right)`` acts as
``(A ⋆ y)[i] = a_left·y[i−1] + y[i] + a_right·y[i+1]``, so with ``z ↔`` a step to the right,
``A(z) = a_left z⁻¹ + 1 + a_right z`` and on the unit circle
``Â(ω) = A(e^{iω}) = 1 + a_left e^{−iω} + a_right e^{iω}``; this equals the DFT multiplier
``Â(k) = Â(2πk/n)`` of the circular solve on ``n`` points. A 1D filter of ``Q`` stages is the
product of ``Q`` factors; a separable filter is a product of per-axis 1D filters.

Shapes: a 1D filter is ``coefficients (Tensor[..., Q, 2])``; a separable filter is a sequence of
those, one per axis, whose leading dimensions broadcast (e.g. one entry per channel).
Analysis runs in float64 whatever the input dtype.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

__all__ = [
    "FilterReport",
    "cascade_taps",
    "condition_number",
    "decay_rate",
    "frequency_response",
    "is_stable",
    "region_of_convergence",
    "report",
    "roots",
    "stability_margin",
]

#: Filters whose margin ``min |Â|`` is at most this are reported unstable (a zero on the circle).
STABILITY_TOL = 1e-6
_GRID = 8192

Filter = Tensor | Sequence[Tensor]


def _as_axes(coefficients: Filter) -> list[Tensor]:
    axes = [coefficients] if isinstance(coefficients, Tensor) else list(coefficients)
    if not axes:
        raise ValueError("coefficients should hold at least one axis, got an empty sequence")
    out = []
    for i, c in enumerate(axes):
        if not isinstance(c, Tensor):
            raise TypeError(f"coefficients[{i}] should be a Tensor, got {type(c).__name__}")
        if c.ndim < 2 or c.shape[-1] != 2:
            raise ValueError(
                f"coefficients[{i}] should have shape (..., Q, 2), got {tuple(c.shape)}"
            )
        if not bool(torch.isfinite(c).all()):
            raise ValueError(f"coefficients[{i}] should be finite, got non-finite values")
        out.append(c.detach().to(torch.float64))
    return out


def cascade_taps(coefficients: Tensor) -> Tensor:
    """Taps of the product of ``Q`` factors, at offsets ``-Q..Q`` (differentiable).

    Args:
        coefficients (Tensor[..., Q, 2]): per-stage ``(a_left, a_right)``.

    Returns:
        Tensor[..., 2Q+1]: ``taps[..., Q + j]`` multiplies ``y[i + j]``; the centre is 1 only
        when ``Q = 1`` (cascades add cross terms such as ``a_left·a_right``).
    """
    if coefficients.ndim < 2 or coefficients.shape[-1] != 2:
        raise ValueError(
            f"coefficients should have shape (..., Q, 2), got {tuple(coefficients.shape)}"
        )
    q = coefficients.shape[-2]
    lead = coefficients.shape[:-2]
    one = torch.ones((*lead, 1), dtype=coefficients.dtype, device=coefficients.device)
    taps = one
    for s in range(q):
        a_left = coefficients[..., s, 0:1]
        a_right = coefficients[..., s, 1:2]
        zero = torch.zeros_like(one)
        # multiply polynomials in z: (a_left z^-1 + 1 + a_right z) * taps
        taps = (
            torch.cat((taps * a_left, zero, zero), dim=-1)
            + torch.cat((zero, taps, zero), dim=-1)
            + torch.cat((zero, zero, taps * a_right), dim=-1)
        )
    return taps


def frequency_response(coefficients: Tensor, omega: Tensor) -> Tensor:
    """``Â(ω) = Π_q (1 + a_left e^{−iω} + a_right e^{iω})`` of a 1D filter.

    Args:
        coefficients (Tensor[..., Q, 2]): per-stage ``(a_left, a_right)``.
        omega (Tensor[M]): angles in radians.

    Returns:
        Tensor[..., M]: complex response, same precision as ``coefficients``.
    """
    if coefficients.ndim < 2 or coefficients.shape[-1] != 2:
        raise ValueError(
            f"coefficients should have shape (..., Q, 2), got {tuple(coefficients.shape)}"
        )
    cdtype = torch.complex128 if coefficients.dtype == torch.float64 else torch.complex64
    e = torch.exp(1j * omega.to(coefficients.dtype)).to(cdtype)  # (M,)
    a_left = coefficients[..., 0, None].to(cdtype)
    a_right = coefficients[..., 1, None].to(cdtype)
    per_stage = 1 + a_left * e.conj() + a_right * e  # (..., Q, M)
    return per_stage.prod(dim=-2)


def _critical_omegas(c: Tensor) -> Tensor:
    """Angles where one factor's ``|Â|`` is stationary, per factor: (..., Q, 3) incl. 0 and π."""
    a_left, a_right = c.unbind(-1)
    s, p = a_left + a_right, 4 * a_left * a_right
    safe = torch.where(p.abs() > 0, p, torch.ones_like(p))
    cstar = torch.where(p.abs() > 0, -s / safe, torch.ones_like(p)).clamp(-1.0, 1.0)
    return torch.stack(
        (torch.zeros_like(s), torch.full_like(s, math.pi), torch.arccos(cstar)), dim=-1
    )


def _abs_response_1d(c: Tensor, n: int | None) -> Tensor:
    """|Â| of one axis on the DFT grid of size n, or on a fine grid plus critical angles."""
    if n is not None:
        omega = torch.arange(n, dtype=torch.float64) * (2 * math.pi / n)
        return frequency_response(c, omega).abs()
    grid = torch.linspace(0.0, math.pi, _GRID, dtype=torch.float64)
    resp = frequency_response(c, grid).abs()
    crit = _critical_omegas(c).flatten(-2)  # (..., 3Q)
    crit_resp = _response_at(c, crit).abs()
    return torch.cat((resp.expand(*crit_resp.shape[:-1], -1), crit_resp), dim=-1)


def _response_at(c: Tensor, omega: Tensor) -> Tensor:
    """Response of filters ``c (..., Q, 2)`` at per-filter angles ``omega (..., M)``."""
    e = torch.exp(1j * omega.to(torch.float64))[..., None, :]  # (..., 1, M)
    a_left = c[..., 0, None].to(torch.complex128)
    a_right = c[..., 1, None].to(torch.complex128)
    return (1 + a_left * e.conj() + a_right * e).prod(dim=-2)


def stability_margin(coefficients: Filter, n: int | Sequence[int] | None = None) -> Tensor:
    """``min |Â(ω)|`` over the unit circle: 0 means a zero on the circle (no stable inverse).

    For one factor the minimum is exact (``|Â|²`` is a quadratic in ``cos ω``: checked at 0, π
    and its stationary point). For cascades it is the minimum over an 8192-point grid plus every
    factor's stationary angles. With ``n`` it is exact on the DFT grid ``ω = 2πk/n`` that a
    circular solve of size ``n`` uses. A separable filter's margin is the product of its axes'.

    Args:
        coefficients: ``Tensor[..., Q, 2]`` or a sequence of them (separable, one per axis).
        n: DFT size per axis (an int for every axis), or ``None`` for the whole circle.

    Returns:
        Tensor[...]: margin per filter (float64), leading dimensions broadcast over axes.
    """
    axes = _as_axes(coefficients)
    sizes = _sizes(n, len(axes))
    margin = None
    for c, size in zip(axes, sizes, strict=True):
        m = _abs_response_1d(c, size).amin(dim=-1)
        margin = m if margin is None else margin * m
    assert margin is not None
    return margin


def condition_number(coefficients: Filter, n: int | Sequence[int] | None = None) -> Tensor:
    """Condition number of the AR solve, ``max |Â| / min |Â|`` (``inf`` when singular).

    Args:
        coefficients: ``Tensor[..., Q, 2]`` or a sequence of them (separable, one per axis).
        n: DFT size per axis, or ``None`` for the whole unit circle.

    Returns:
        Tensor[...]: condition number per filter (float64).
    """
    axes = _as_axes(coefficients)
    sizes = _sizes(n, len(axes))
    cond = None
    for c, size in zip(axes, sizes, strict=True):
        r = _abs_response_1d(c, size)
        lo, hi = r.amin(dim=-1), r.amax(dim=-1)
        k = torch.where(lo > 0, hi / lo.clamp_min(1e-300), torch.full_like(lo, math.inf))
        cond = k if cond is None else cond * k
    assert cond is not None
    return cond


def is_stable(
    coefficients: Filter, n: int | Sequence[int] | None = None, tol: float = STABILITY_TOL
) -> Tensor:
    """Whether ``stability_margin(coefficients, n) > tol`` (bool tensor of leading shape)."""
    return stability_margin(coefficients, n) > tol


def roots(coefficients: Tensor) -> Tensor:
    """Roots of each factor's polynomial ``z·A(z) = a_right z² + z + a_left``.

    Args:
        coefficients (Tensor[..., Q, 2]): per-stage ``(a_left, a_right)``.

    Returns:
        Tensor[..., Q, 2]: complex128 roots per factor. A factor with ``a_right = 0`` has one
        finite root ``−a_left`` and one at infinity (reported as ``inf``). The filter's zeros are
        the union over stages.
    """
    (c,) = _as_axes(coefficients)
    a_left, a_right = c.unbind(-1)
    a_left = a_left.to(torch.complex128)
    a_right = a_right.to(torch.complex128)
    disc = torch.sqrt(1 - 4 * a_left * a_right)
    # stable quadratic formula: q = -(1 + sign·sqrt(disc))/2; z1 = q/a_right, z2 = a_left/q
    sign = torch.where((disc.real >= 0), 1.0, -1.0).to(torch.complex128)
    q = -(1 + sign * disc) / 2
    inf = torch.full_like(a_right, complex(math.inf, 0.0))
    z1 = torch.where(a_right != 0, q / torch.where(a_right != 0, a_right, 1), inf)
    z2 = torch.where(q != 0, a_left / torch.where(q != 0, q, 1), inf)
    return torch.stack((z1, z2), dim=-1)


def region_of_convergence(coefficients: Tensor) -> tuple[Tensor, Tensor]:
    """Annulus ``r_in < |z| < r_out`` on which the two-sided inverse ``1/A(z)`` converges.

    The inverse of a filter with no zero on the unit circle is the Laurent series of ``1/A(z)``
    on the annulus between the largest zero inside and the smallest zero outside the circle;
    the unit circle lies in the ROC iff ``r_in < 1 < r_out``.

    Args:
        coefficients (Tensor[..., Q, 2]): per-stage ``(a_left, a_right)``.

    Returns:
        (Tensor[...], Tensor[...]): ``(r_in, r_out)`` (float64); ``r_in = 0`` when no zero lies
        inside, ``r_out = inf`` when none lies outside.
    """
    z = roots(coefficients).abs().flatten(-2)
    inside = torch.where(z < 1, z, torch.zeros_like(z)).amax(dim=-1)
    outside = torch.where(z >= 1, z, torch.full_like(z, math.inf)).amin(dim=-1)
    return inside, outside


def decay_rate(coefficients: Tensor) -> Tensor:
    """Geometric decay ``ρ < 1`` of the inverse filter's impulse response, ``|h[k]| = O(ρ^|k|)``.

    ``ρ = max(r_in, 1/r_out)`` from [`region_of_convergence`][arma_stability.region_of_convergence];
    1 for a singular filter.

    Args:
        coefficients (Tensor[..., Q, 2]): per-stage ``(a_left, a_right)``.

    Returns:
        Tensor[...]: ``ρ`` per filter (float64).
    """
    r_in, r_out = region_of_convergence(coefficients)
    rho = torch.maximum(r_in, 1.0 / r_out)
    return torch.where(r_in < 1, rho, torch.ones_like(rho)).clamp(max=1.0)


@dataclass(frozen=True)
class FilterReport:
    """Summary of one (possibly separable) AR filter: worst case over its leading dimensions."""

    margin: float
    condition_number: float
    stable: bool


def report(
    coefficients: Filter, n: int | Sequence[int] | None = None, tol: float = STABILITY_TOL
) -> FilterReport:
    """Worst-case margin and condition number over all filters in ``coefficients``."""
    margin = float(stability_margin(coefficients, n).min())
    cond = float(condition_number(coefficients, n).max())
    return FilterReport(margin=margin, condition_number=cond, stable=margin > tol)


def _sizes(n: int | Sequence[int] | None, d: int) -> list[int | None]:
    if n is None or isinstance(n, int):
        if isinstance(n, int) and n < 1:
            raise ValueError(f"n should be a positive DFT size, got {n}")
        return [n] * d
    sizes: list[int | None] = list(n)
    if len(sizes) != d:
        raise ValueError(f"n should give one size per axis ({d}), got {sizes}")
    for s in sizes:
        if s is not None and s < 1:
            raise ValueError(f"n should hold positive DFT sizes, got {sizes}")
    return sizes
