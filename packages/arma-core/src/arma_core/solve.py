"""Functional AR solves: ``Y = A⁻¹ T`` for a separable filter made of length-3 factors.

Legend: N batch, C channels, D spatial axes (1, 2 or 3), Q stages per axis.

The filter on axis ``a`` is the cascade of ``Q`` factors ``[a_left, 1, a_right]`` (convention of
``arma_stability.ztransform``: ``(A ⋆ y)[i] = a_left y[i−1] + y[i] + a_right y[i+1]``), and
the full filter is the product of the D axis filters. The solve costs one transform round trip
(``"fft"``), D small GEMMs (``"matmul"``) or Q tridiagonal sweeps per axis (``"banded"``, O(n)
per line, the only exact ``"zero"`` boundary); ``"auto"`` picks by boundary, size and device.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypedDict, Unpack

import torch
from torch import Tensor
from torch.nn import functional as F

from arma_stability import cascade_taps, decay_rate

from ._checks import (
    check_banded,
    check_choice,
    check_coefficients,
    check_input,
    check_not_singular,
    check_sizes,
    check_values,
    should_validate,
)
from ._function import SeparableARSolve
from .backends import kernel_for
from .banded import banded_solve
from .types import BOUNDARIES, METHODS, Boundary, Method

__all__ = [
    "BOUNDARIES",
    "METHODS",
    "SolveOptions",
    "ar_solve",
    "ar_solve1d",
    "ar_solve2d",
    "ar_solve3d",
    "choose_method",
]

#: "auto" uses dense per-axis inverses up to this axis length (measured: see docs/benchmarks.md).
MATMUL_MAX_SIZE = 96
_ZERO_TOL = 1e-6


def choose_method(method: Method, boundary: Boundary, input: Tensor) -> Method:
    """The method ``"auto"`` runs for ``input (Tensor[N, C, *S])``; other methods pass through.

    ``"zero"``: always ``"banded"`` (the only exact zero boundary, so the same result on every
    device). ``"circular"`` (every method gives the same result to rounding): ``"banded"`` where
    a compiled kernel runs it (numba on CPU tensors, Triton on CUDA tensors; see
    [`set_backend`][arma_core.set_backend]), else ``"matmul"`` for axes up to
    ``MATMUL_MAX_SIZE`` and ``"fft"`` above. Measured on the CPU with
    ``python -m apps.benchmark arma`` (docs/benchmarks.md).
    """
    if method != "auto":
        return method
    if boundary == "zero" or kernel_for(input) != "torch":
        return "banded"
    return "matmul" if max(input.shape[2:]) <= MATMUL_MAX_SIZE else "fft"


def _zero_padding(coefficients: Tensor, sizes: list[int], max_pad: int | None) -> list[int]:
    pads = []
    for a, n in enumerate(sizes):
        rho = float(decay_rate(coefficients[a].detach()).max())
        p = 0 if rho <= 0 else math.ceil(math.log(_ZERO_TOL) / math.log(rho)) if rho < 1 else n
        cap = max(2 * n, 16) if max_pad is None else max_pad
        pads.append(min(p, cap))
    return pads


def ar_solve(
    input: Tensor,
    coefficients: Tensor | Sequence[Tensor],
    *,
    boundary: Boundary = "circular",
    method: Method = "auto",
    max_pad: int | None = None,
    validate: bool | None = None,
    overwrite_input: bool = False,
) -> Tensor:
    """Solve ``A ⋆ Y = input`` for ``Y`` with a separable AR filter, per channel.

    Args:
        input (Tensor[N, C, *S]): ``T``, with ``D = len(S)`` in {1, 2, 3}.
        coefficients (Tensor[D, C, Q, 2]): per axis, channel and stage ``(a_left, a_right)``
            (e.g. from [`arma_stability.stable_coefficients`][arma_stability.stable_coefficients]).
            ``Q = 0`` returns the input.
        boundary: ``"circular"`` (exact periodic solve) or ``"zero"``. With ``"banded"`` (and
            ``"auto"``) ``"zero"`` is exact: ``Y`` is zero outside the map and every stage is a
            tridiagonal Toeplitz matrix (see [`arma_core.banded`][arma_core.banded]). With
            ``"fft"``/``"matmul"`` it is the older approximation: pad every axis with
            ``p = ceil(log(1e-6) / log ρ)`` zeros per side, where ``ρ < 1`` is the decay rate of
            the inverse filter's impulse response, solve circularly and crop (the solve on an
            infinite domain with ``T`` zero outside; the wrap-around left is about
            ``ρ^p ≤ 1e-6`` when ``p`` is below the cap ``max_pad``, default ``max(2n, 16)``).
        method: ``"banded"`` (Thomas sweeps, O(n) per line), ``"fft"`` (one rfftn/irfftn round
            trip), ``"matmul"`` (dense per-axis inverses, D small GEMMs) or ``"auto"`` (see
            [`choose_method`][arma_core.solve.choose_method]).
        max_pad: cap on the padding of the approximate zero boundary (fft/matmul only).
        validate: run the value checks (finite values, singular filter); ``None`` follows
            [`set_validate`][arma_core.set_validate] (default: on for CPU tensors).
        overwrite_input: allow the solve to write ``Y`` into ``input``'s memory (like SciPy's
            ``overwrite_b``): saves an output-sized allocation where the compiled banded path
            runs (CPU, numba installed); elsewhere ``input`` is left as it is. Pass it only
            for an intermediate nothing else reads, such as a convolution's fresh output; the
            ARMA layers do. ``input`` must not be a leaf that requires grad.

    Returns:
        Tensor[N, C, *S]: ``Y``, same dtype as ``input`` (float16/bfloat16 are solved in float32).
        Under ``torch.autocast`` the solve runs in float32 and ``Y`` has the autocast dtype, as a
        convolution's output would (float64 stays float64).

    Raises:
        ValueError: wrong shapes, a map smaller than the AR support ``2Q+1``, and where value
            checks run: non-finite values or a filter that is singular on the grid.
    """
    check_choice("method", method, METHODS)
    check_choice("boundary", boundary, BOUNDARIES)
    if validate is not None and not isinstance(validate, bool):
        raise TypeError(f"validate should be a bool or None, got {validate!r}")
    if not isinstance(overwrite_input, bool):
        raise TypeError(f"overwrite_input should be a bool, got {overwrite_input!r}")
    if not isinstance(input, Tensor):
        raise TypeError(f"input should be a Tensor, got {type(input).__name__}")
    d = input.ndim - 2
    if d not in (1, 2, 3):
        raise ValueError(
            f"input should be (N, C, *S) with 1 to 3 spatial dims, got shape {tuple(input.shape)}"
        )
    check_input(input, d)
    coefficients = check_coefficients(coefficients, d, input.shape[1])
    q = coefficients.shape[2]
    if q == 0:
        return input
    check_sizes(list(input.shape[2:]), q)
    check = should_validate(validate, input)
    out_dtype = input.dtype
    device_type = input.device.type
    if torch.is_autocast_enabled(device_type):
        if input.dtype != torch.float64:
            out_dtype = torch.get_autocast_dtype(device_type)
        with torch.autocast(device_type, enabled=False):
            return _solve(input, coefficients, boundary, method, max_pad, check, False).to(
                out_dtype
            )
    overwrite = overwrite_input and not (input.is_leaf and input.requires_grad)
    return _solve(input, coefficients, boundary, method, max_pad, check, overwrite).to(out_dtype)


def _solve(
    input: Tensor,
    coefficients: Tensor,
    boundary: Boundary,
    method: Method,
    max_pad: int | None,
    check: bool,
    overwrite: bool = False,
) -> Tensor:
    d = input.ndim - 2
    sizes = list(input.shape[2:])
    work_dtype = torch.float64 if input.dtype == torch.float64 else torch.float32
    x = input.to(work_dtype)
    coefficients = coefficients.to(work_dtype)
    method = choose_method(method, boundary, x)
    if method == "banded":
        check_banded(x, coefficients, boundary, check)
        return banded_solve(x.contiguous(), coefficients, boundary == "circular", overwrite)
    if check:
        check_values(x, coefficients)
    if boundary == "zero":
        pads = _zero_padding(coefficients, sizes, max_pad)
        x = F.pad(x, [p for pad in reversed(pads) for p in (pad, pad)])
    solve_sizes = list(x.shape[2:])
    taps = [cascade_taps(coefficients[a]) for a in range(d)]
    if check:
        check_not_singular(taps, solve_sizes)
    y = SeparableARSolve.apply(x.contiguous(), method, *taps)
    if boundary == "zero":
        y = y[(..., *(slice(p, p + n) for p, n in zip(pads, sizes, strict=True)))]
    return y


class SolveOptions(TypedDict, total=False):
    """The keyword options of [`ar_solve1d`][arma_core.ar_solve1d],
    [`ar_solve2d`][arma_core.ar_solve2d] and [`ar_solve3d`][arma_core.ar_solve3d]: those of
    [`ar_solve`][arma_core.ar_solve] (same meanings and defaults) but ``overwrite_input``."""

    boundary: Boundary
    method: Method
    max_pad: int | None
    validate: bool | None


def _fixed_d(
    d: int, input: Tensor, coefficients: Tensor | Sequence[Tensor], options: SolveOptions
) -> Tensor:
    """``ar_solve`` for ``input`` with ``d`` spatial axes, as ``ar_solve{d}d`` takes it."""
    for key in options:  # the error a keyword-only parameter list would raise
        if key not in SolveOptions.__optional_keys__:
            raise TypeError(f"ar_solve{d}d() got an unexpected keyword argument {key!r}")
    if isinstance(input, Tensor) and input.ndim != d + 2:
        names = {1: "(N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}[d]
        raise ValueError(f"input should be {d + 2}D {names}, got shape {tuple(input.shape)}")
    return ar_solve(input, coefficients, **options)


def ar_solve1d(
    input: Tensor, coefficients: Tensor | Sequence[Tensor], **options: Unpack[SolveOptions]
) -> Tensor:
    """1D AR solve. ``input (Tensor[N, C, L])``, ``coefficients (Tensor[1, C, Q, 2])``.

    See [`ar_solve`][arma_core.ar_solve], whose keyword options it takes (all but
    ``overwrite_input``).
    """
    return _fixed_d(1, input, coefficients, options)


def ar_solve2d(
    input: Tensor, coefficients: Tensor | Sequence[Tensor], **options: Unpack[SolveOptions]
) -> Tensor:
    """2D separable AR solve. ``input (Tensor[N, C, H, W])``, ``coefficients (Tensor[2, C, Q, 2])``
    with ``coefficients[0]`` along H and ``coefficients[1]`` along W.

    See [`ar_solve`][arma_core.ar_solve], whose keyword options it takes (all but
    ``overwrite_input``).
    """
    return _fixed_d(2, input, coefficients, options)


def ar_solve3d(
    input: Tensor, coefficients: Tensor | Sequence[Tensor], **options: Unpack[SolveOptions]
) -> Tensor:
    """3D separable AR solve.

    ``input (Tensor[N, C, D, H, W])``, ``coefficients (Tensor[3, C, Q, 2])``.

    See [`ar_solve`][arma_core.ar_solve], whose keyword options it takes (all but
    ``overwrite_input``).
    """
    return _fixed_d(3, input, coefficients, options)
