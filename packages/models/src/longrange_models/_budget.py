"""Sizing a model to a parameter budget: bisection over a width, on a model's closed-form count.

(Counting on models built on the meta device would need no closed form, but ``normal_`` on meta
tensors imports ``torch._dynamo``, minutes on a busy machine.)"""

from __future__ import annotations

from collections.abc import Callable

from ._checks import positive_int

__all__ = ["largest_within"]


def largest_within(count: Callable[[int], int], budget: int, lo: int, hi: int) -> int:
    """The largest ``v`` in ``lo..hi`` with ``count(v) <= budget`` by bisection (``count``
    non-decreasing); ``lo`` if even ``count(lo)`` exceeds it."""
    positive_int("budget", budget)
    if count(lo) > budget:
        return lo
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if count(mid) <= budget:
            lo = mid
        else:
            hi = mid - 1
    return lo
