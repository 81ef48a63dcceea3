"""Argument checks shared by the apps: one wording for every bad count or size."""

from __future__ import annotations

from typing import Any

__all__ = ["check_int"]


def check_int(name: str, value: Any, minimum: int = 1) -> int:
    """``value`` if it is an int (not a bool) ``>= minimum``; else a ``ValueError`` naming ``name``.

    The message reads ``"<name> should be a positive int, got 0"`` for ``minimum=1``, ``"... a
    non-negative int ..."`` for 0 and ``"... an int >= <minimum> ..."`` otherwise.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        kind = {1: "a positive int", 0: "a non-negative int"}.get(minimum, f"an int >= {minimum}")
        raise ValueError(f"{name} should be {kind}, got {value!r}")
    return value
