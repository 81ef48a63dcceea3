"""Sizing a model to a parameter budget: the widest width whose count fits.

[`largest_within`][longrange_models.largest_within] bisects a bounded range of a
non-decreasing count (a model's closed form); [`widest`][longrange_models.widest] needs no
upper bound (doubling, then bisection); [`widest_model`][longrange_models.widest_model] builds
the models themselves and counts their trainable parameters, for a model without a closed form.

(Counting on models built on the meta device would need no building, but ``normal_`` on meta
tensors imports ``torch._dynamo``, minutes on a busy machine.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import torch
from torch import nn

from ._checks import positive_int
from .config import count_parameters

__all__ = ["largest_within", "widest", "widest_model"]

_M = TypeVar("_M", bound=nn.Module)


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


def widest(count: Callable[[int], int], budget: int, lo: int = 1) -> int:
    """The largest ``w >= lo`` with ``count(w) <= budget`` (``count`` non-decreasing; ``lo`` if
    none fits): doubling from ``lo`` until the count passes the budget, then bisection, so
    ``count`` is never asked about a width much beyond the answer."""
    positive_int("budget", budget)
    hi = lo
    while hi < budget and count(hi) <= budget:
        hi *= 2
    return largest_within(count, budget, max(lo, hi // 2), hi)


def widest_model(
    make: Callable[[int], _M], budget: int, *, lo: int = 1, fork_rng: bool = True
) -> _M:
    """``make(w)`` for the widest ``w >= lo`` with at most ``budget`` trainable parameters.

    ``make(w)`` builds the model of width ``w`` (its trainable parameter count must not decrease
    with ``w``); the probes are built and counted by [`widest`][longrange_models.widest], then
    ``make`` runs once more for the returned model.

    Args:
        make: width -> model.
        budget: trainable parameters, a positive int.
        lo: the narrowest width considered.
        fork_rng: build the probes under ``torch.random.fork_rng`` so the returned model's
            initialisation is that of ``make(w)`` built alone; ``False`` lets them draw from the
            global generator (how the sequence app sized its recorded runs).

    Raises:
        ValueError: even ``make(lo)`` has more than ``budget`` parameters.
    """
    positive_int("budget", budget)

    def count(w: int) -> int:
        return count_parameters(make(w))

    if fork_rng:
        with torch.random.fork_rng(devices=[]):
            width = widest(count, budget, lo)
    else:
        width = widest(count, budget, lo)
    model = make(width)
    if count_parameters(model) > budget:  # nothing fits: width is lo
        raise ValueError(
            f"budget={budget} is below the narrowest model's {count_parameters(model)} "
            f"parameters (width {lo})"
        )
    return model
