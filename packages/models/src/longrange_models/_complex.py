"""Private helpers for modules with complex parameters (the complex cells, the URNN).

* ``ComplexParamsMixin`` makes ``.double()``, ``.float()`` and ``.to(dtype)`` move a
  complex parameter to the complex dtype that matches the new real dtype (``complex64`` <->
  ``float32``, ``complex128`` <-> ``float64``); plain ``nn.Module`` would leave it alone
  (``.double()``) or drop its imaginary part (``.to(torch.float64)``).
* ``real_parameter_count`` counts stored real numbers: a complex entry counts twice.

The complex activations themselves live in ``arma_core.complex_activations``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from .config import count_parameters

__all__ = [
    "ComplexParamsMixin",
    "check_vector_input",
    "complex_dtype",
    "complex_glorot_",
    "real_parameter_count",
]

_COMPLEX = {torch.float32: torch.complex64, torch.float64: torch.complex128}


def complex_dtype(dtype: torch.dtype) -> torch.dtype:
    """The complex dtype whose parts are ``dtype`` (float32 -> complex64, float64 -> complex128)."""
    if dtype.is_complex:
        return dtype
    if dtype not in _COMPLEX:
        raise TypeError(f"dtype should be float32 or float64 for a complex cell, got {dtype}")
    return _COMPLEX[dtype]


def real_parameter_count(module: nn.Module, trainable_only: bool = True) -> int:
    """Stored real numbers of ``module``'s parameters (complex entries count 2; shared once)."""
    return count_parameters(module, trainable_only, complex_as_two=True)


def check_vector_input(name: str, x: Any, features: int, real: bool = True) -> Tensor:
    """Check ``x`` is a real ``Tensor[N, features]``; errors name ``name`` and what came."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} should be a Tensor[N, {features}], got {type(x).__name__}")
    if x.ndim != 2 or x.shape[1] != features:
        raise ValueError(f"{name} should be a Tensor[N, {features}], got shape {tuple(x.shape)}")
    if real and (x.is_complex() or not x.is_floating_point()):
        raise TypeError(f"{name} should be a real floating tensor, got dtype {x.dtype}")
    return x


class ComplexParamsMixin(nn.Module):
    """Convert complex parameters and buffers via their real view: dtype moves keep them complex."""

    def _apply(self, fn: Callable[[Tensor], Tensor], recurse: bool = True) -> Any:
        swapped: list[tuple[nn.Module, str, nn.Parameter]] = []
        buffers: list[tuple[nn.Module, str]] = []
        for module in self.modules():
            for name, p in list(module._parameters.items()):
                if p is not None and p.is_complex():
                    real = nn.Parameter(torch.view_as_real(p.data), requires_grad=p.requires_grad)
                    if p.grad is not None:
                        real.grad = torch.view_as_real(p.grad)
                    module._parameters[name] = real
                    swapped.append((module, name, p))
            for name, b in list(module._buffers.items()):
                if b is not None and b.is_complex():
                    module._buffers[name] = torch.view_as_real(b)
                    buffers.append((module, name))
        try:
            super()._apply(fn, recurse)
        finally:
            for module, name, p in swapped:
                applied = module._parameters[name]
                assert applied is not None  # super()._apply keeps every parameter it was given
                p.data = torch.view_as_complex(applied.data.contiguous())
                if applied.grad is not None:
                    p.grad = torch.view_as_complex(applied.grad.contiguous())
                module._parameters[name] = p
            for module, name in buffers:
                b = module._buffers[name]
                assert b is not None  # as the parameters
                module._buffers[name] = torch.view_as_complex(b.contiguous())
        return self


def complex_glorot_(weight: Tensor) -> Tensor:
    """In place: real and imaginary parts uniform with variance ``1 / (2·fan_in)`` each,
    so ``E|w|² = 1 / fan_in`` (``weight (out, fan_in)``, complex)."""
    bound = (3.0 / (2.0 * weight.shape[-1])) ** 0.5
    with torch.no_grad():
        torch.nn.init.uniform_(torch.view_as_real(weight), -bound, bound)
    return weight
