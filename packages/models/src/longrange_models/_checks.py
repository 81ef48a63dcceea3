"""Argument checks shared by the models (errors name the argument and the value)."""

from __future__ import annotations

from typing import Any

__all__ = ["ar_init_tuple", "positive_int", "positive_ints"]


def positive_int(name: str, value: Any, minimum: int = 1) -> int:
    """Return ``value`` if it is an int >= ``minimum``; ``TypeError``/``ValueError`` naming
    ``name``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} should be an int, got {type(value).__name__}: {value!r}")
    if value < minimum:
        raise ValueError(f"{name} should be >= {minimum}, got {value}")
    return value


def positive_ints(**values: Any) -> None:
    """``positive_int`` on each ``name=value``, in order."""
    for name, value in values.items():
        positive_int(name, value)


def ar_init_tuple(
    ar_init: float | tuple[float, float] | list[float],
) -> float | tuple[float, ...]:
    """``ar_init`` (a std, or the pair ``(a_left, a_right)``) with a list, as JSON and YAML give
    the pair, made a tuple; ``arma_core.ARMA2d`` checks the value."""
    return tuple(ar_init) if isinstance(ar_init, list) else ar_init
