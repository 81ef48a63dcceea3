"""Argument checks shared by the apps: one wording for every bad count, size or choice."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, TypeVar

__all__ = ["check_choice", "check_int"]

T = TypeVar("T")


def check_int(name: str, value: Any, minimum: int = 1) -> int:
    """``value`` if it is an int (not a bool) ``>= minimum``; else a ``ValueError`` naming ``name``.

    The message reads ``"<name> should be a positive int, got 0"`` for ``minimum=1``, ``"... a
    non-negative int ..."`` for 0 and ``"... an int >= <minimum> ..."`` otherwise.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        kind = {1: "a positive int", 0: "a non-negative int"}.get(minimum, f"an int >= {minimum}")
        raise ValueError(f"{name} should be {kind}, got {value!r}")
    return value


def check_choice(name: str, value: T, choices: Collection[T]) -> T:
    """``value`` if it is one of ``choices``; else a ``ValueError`` naming ``name``.

    The message reads ``"<name> should be one of <choices>, got <value!r>"``, with ``choices``
    shown as given (a tuple, or a sorted list of a table's keys).
    """
    if value not in choices:
        raise ValueError(f"{name} should be one of {choices}, got {value!r}")
    return value
