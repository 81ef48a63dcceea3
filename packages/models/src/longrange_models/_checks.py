"""Argument checks shared by the models (errors name the argument and the value)."""

from __future__ import annotations

from typing import Any

__all__ = ["positive_int", "positive_ints"]


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
