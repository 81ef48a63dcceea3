"""Value checks of the AR solve, kept off the hot path and switchable.

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

import torch
from torch import Tensor

__all__ = ["get_validate", "set_validate", "should_validate"]

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
