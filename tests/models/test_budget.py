"""Sizing to a parameter budget: largest_within, widest and widest_model against brute force."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from longrange_models import count_parameters, largest_within, widest, widest_model


def _mlp(width: int) -> nn.Module:
    return nn.Sequential(nn.Linear(3, width), nn.ReLU(), nn.Linear(width, 2))


def _brute(count, budget: int, lo: int = 1) -> int:
    """The largest fitting width by trying every width up to the first too large one."""
    w = lo
    while count(w + 1) <= budget:
        w += 1
    return w


@pytest.mark.parametrize("budget", [1, 7, 8, 100, 1000, 12345])
@pytest.mark.parametrize("lo", [1, 3])
def test_widest_matches_brute_force(budget, lo):
    def count(w):
        return 2 * w * w + 3 * w + 1

    expect = _brute(count, budget, lo) if count(lo) <= budget else lo
    assert widest(count, budget, lo) == expect
    assert largest_within(count, budget, lo, 10**6) == expect


def test_widest_never_probes_far_beyond_the_answer():
    asked = []

    def count(w):
        asked.append(w)
        return w

    assert widest(count, 100) == 100
    assert max(asked) <= 2 * 100


@pytest.mark.parametrize("budget", [11, 50, 333, 5000])
def test_widest_model_is_the_widest_that_fits(budget):
    width = _brute(lambda w: count_parameters(_mlp(w)), budget)
    if count_parameters(_mlp(1)) > budget:
        with pytest.raises(ValueError, match=f"budget={budget} is below"):
            widest_model(_mlp, budget)
        return
    model = widest_model(_mlp, budget)
    assert model[0].out_features == width
    assert count_parameters(model) <= budget < count_parameters(_mlp(width + 1))


def test_widest_model_fork_rng_keeps_the_alone_initialisation():
    width = _brute(lambda w: count_parameters(_mlp(w)), 500)
    torch.manual_seed(3)
    alone = _mlp(width)
    torch.manual_seed(3)
    forked = widest_model(_mlp, 500)
    torch.manual_seed(3)
    drawing = widest_model(_mlp, 500, fork_rng=False)
    assert torch.equal(alone[0].weight, forked[0].weight)
    assert not torch.equal(alone[0].weight, drawing[0].weight)


@pytest.mark.parametrize("budget", [0, -3])
def test_budget_must_be_positive(budget):
    with pytest.raises(ValueError, match=f"budget should be >= 1, got {budget}"):
        widest(lambda w: w, budget)
    with pytest.raises(ValueError, match="budget"):
        widest_model(_mlp, budget)
