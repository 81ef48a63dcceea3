"""Checks of the AR solve's arguments, and its value checks, kept off the hot path and switchable.

Legend: N batch, C channels, D spatial axes, Q stages per axis.

Shape, dtype and argument checks always run (they read no tensor values). Value checks (finite
input and coefficients, a filter singular on the grid) read tensor values on the host: on a GPU
each is a device synchronisation, and under ``torch.compile``/``torch.export`` a graph break. So:

* by default (``None``) they run on CPU tensors in eager mode, where they cost no sync, and are
  skipped on accelerators;
* [`set_validate`][arma_core.set_validate] turns them on everywhere (``True``) or off (``False``),
  like ``torch.distributions.Distribution.set_default_validate_args``; a per-call or per-module
  ``validate`` argument overrides the global setting;
* under ``torch.compile`` and ``torch.export`` they never run.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor

from arma_stability import cascade_taps

from ._operators import axis_spectrum
from .types import Boundary

__all__ = [
    "check_banded",
    "check_choice",
    "check_coefficients",
    "check_input",
    "check_not_singular",
    "check_sizes",
    "check_stages_not_singular",
    "check_values",
    "get_validate",
    "set_validate",
    "should_validate",
]

_VALIDATE: bool | None = None


def set_validate(value: bool | None) -> None:
    """Set the global default of the AR solve's value checks.

    Args:
        value: ``True`` (always, also on GPUs: one host sync per check), ``False`` (never) or
            ``None`` (the default: on CPU tensors only).

    Raises:
        TypeError: ``value`` is not a bool or None.
    """
    global _VALIDATE
    if value is not None and not isinstance(value, bool):
        raise TypeError(f"value should be a bool or None, got {value!r}")
    _VALIDATE = value


def get_validate() -> bool | None:
    """The global default set by [`set_validate`][arma_core.set_validate]."""
    return _VALIDATE


def should_validate(override: bool | None, tensor: Tensor) -> bool:
    """Whether value checks run for ``tensor``: per-call ``override``, else the global default."""
    if torch.compiler.is_compiling():
        return False
    value = _VALIDATE if override is None else override
    if value is None:
        return tensor.device.type == "cpu"
    return value


def check_choice(name: str, value: object, choices: tuple[str, ...]) -> None:
    """Raise ``ValueError`` naming the argument unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} should be one of {choices}, got {value!r}")


def check_coefficients(coefficients: Tensor | Sequence[Tensor], d: int, channels: int) -> Tensor:
    """``coefficients`` as one floating ``Tensor[D, C, Q, 2]`` (a sequence of D ``Tensor[C, Q, 2]``
    is stacked); raise ``TypeError``/``ValueError`` naming the shape or dtype received."""
    if not isinstance(coefficients, Tensor):
        try:
            coefficients = torch.stack(list(coefficients))
        except (TypeError, RuntimeError) as err:
            raise TypeError(
                f"coefficients should be a Tensor[D, C, Q, 2] or a sequence of D Tensor[C, Q, 2], "
                f"got {type(coefficients).__name__}"
            ) from err
    if coefficients.ndim != 4 or coefficients.shape[0] != d or coefficients.shape[-1] != 2:
        raise ValueError(
            f"coefficients should have shape (D={d}, C, Q, 2), got {tuple(coefficients.shape)}"
        )
    if coefficients.shape[1] != channels:
        raise ValueError(
            f"coefficients have {coefficients.shape[1]} channels but input has {channels} "
            f"(coefficients shape {tuple(coefficients.shape)})"
        )
    if not coefficients.is_floating_point():
        raise TypeError(f"coefficients should be floating point, got {coefficients.dtype}")
    return coefficients


def check_values(input: Tensor, coefficients: Tensor) -> None:
    """Value checks (host reads), run only where ``should_validate`` says so."""
    if not bool(torch.isfinite(coefficients).all()):
        raise ValueError("coefficients should be finite, got non-finite values")
    # one cheap read pass; the exact check runs only if the sum is non-finite
    if not bool(torch.isfinite(input.sum())) and not bool(torch.isfinite(input).all()):
        raise ValueError("input should be finite, got NaN or Inf values")


def check_input(input: Tensor, d: int) -> None:
    """``input`` is a floating ``Tensor[N, C, *S]`` with ``D = d`` spatial axes."""
    if not isinstance(input, Tensor):
        raise TypeError(f"input should be a Tensor, got {type(input).__name__}")
    if input.ndim != d + 2:
        names = {1: "(N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}[d]
        raise ValueError(f"input should be {d + 2}D {names}, got shape {tuple(input.shape)}")
    if not input.is_floating_point():
        raise TypeError(f"input should be floating point, got {input.dtype}")


def check_sizes(sizes: list[int], q: int) -> None:
    """Every spatial size is at least the AR support ``2q + 1``."""
    support = 2 * q + 1
    for a, n in enumerate(sizes):
        if n < support:
            raise ValueError(
                f"feature map is {n} long on spatial axis {a} (shape {tuple(sizes)}), smaller than "
                f"the AR support {support} (ar_order={q}); use a smaller ar_order or a larger map"
            )


def check_not_singular(taps: list[Tensor], sizes: list[int]) -> None:
    """Circular boundary: no axis filter (taps ``Tensor[C, 2Q+1]``) vanishes on its DFT grid
    (a host read of ``min |A(e^iω)|``, in float64)."""
    for a, (t, n) in enumerate(zip(taps, sizes, strict=True)):
        with torch.no_grad():
            lo = float(axis_spectrum(t.detach().double(), n).abs().min())
        if not lo > torch.finfo(torch.float32).eps:
            raise ValueError(
                f"AR filter is singular on the {n}-point grid of spatial axis {a}: "
                f"min |A(e^iw)| = {lo:.3g}; use the 'stable' re-parameterisation"
            )


def check_stages_not_singular(coefficients: Tensor, sizes: list[int]) -> None:
    """Zero boundary: every stage's tridiagonal Toeplitz matrix must have non-tiny pivots.

    The pivots of stage ``[l, 1, r]`` follow ``m_0 = 1``, ``m_i = 1 − l r / m_{i−1}`` (Thomas
    elimination, as in ``banded.stage_factors``); run in float64 with NumPy on the host, all
    channels and stages at once (a few hundred µs, where per-element torch ops took ms).
    """
    lr = coefficients.detach().to("cpu", torch.float64).numpy()
    lr = lr[..., 0] * lr[..., 1]  # (D, C, Q)
    for a, n in enumerate(sizes):
        m = np.ones_like(lr[a])
        smallest = np.abs(m)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            for _ in range(1, n):
                m = 1.0 - lr[a] / m
                smallest = np.minimum(smallest, np.abs(m))  # NaN propagates, and is reported
        lo = float(smallest.min())
        if not lo > torch.finfo(torch.float32).eps:
            raise ValueError(
                f"AR filter is singular with the zero boundary on the {n}-point spatial axis {a}: "
                f"min |pivot| = {lo:.3g}; use the 'stable' re-parameterisation"
            )


def check_banded(x: Tensor, coefficients: Tensor, boundary: Boundary, check: bool) -> None:
    """The banded solve's value checks of ``x (N, C, *S)`` and ``coefficients (D, C, Q, 2)``
    (finite values, a singular filter), run only if ``check``; raise ``ValueError``."""
    if not check:
        return
    check_values(x, coefficients)
    sizes = list(x.shape[2:])
    if boundary == "zero":
        check_stages_not_singular(coefficients, sizes)
    else:
        check_not_singular([cascade_taps(c) for c in coefficients], sizes)
