"""Argument checks shared by the models (errors name the argument and the value)."""

from __future__ import annotations

from typing import Any

__all__ = ["positive_int"]


def positive_int(name: str, value: Any) -> int:
    """Return ``value`` if it is an int >= 1; ``TypeError``/``ValueError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} should be an int, got {type(value).__name__}: {value!r}")
    if value < 1:
        raise ValueError(f"{name} should be >= 1, got {value}")
    return value
