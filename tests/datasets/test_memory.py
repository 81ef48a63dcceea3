import math

import numpy as np
import pytest
import torch

from longrange_datasets import (
    AddingProblem,
    CopyMemory,
    adding_baseline_mse,
    copy_baseline_loss,
)


def test_copy_memory_layout():
    ds = CopyMemory(delay=30, size=50, seed=1)
    x, y = ds[3]
    assert x.shape == y.shape == (50,)
    assert x.dtype == y.dtype == torch.int64
    symbols = x[:10]
    assert ((symbols >= 1) & (symbols <= 8)).all()
    assert (x[10:39] == 0).all()
    assert x[39] == 9  # delimiter after delay - 1 blanks
    assert (x[40:] == 0).all()
    assert (y[:40] == 0).all()
    assert torch.equal(y[40:], symbols)


def test_copy_baseline_is_the_memoryless_cross_entropy():
    delay = 100
    # memoryless: blanks known (loss 0) for T+10 steps, uniform over 8 symbols for 10 steps
    assert copy_baseline_loss(delay) == pytest.approx(10 * math.log(8) / (delay + 20))


def test_adding_problem_layout_and_baseline():
    ds = AddingProblem(length=200, size=4000, seed=0)
    targets = []
    for i in range(len(ds)):
        x, y = ds[i]
        assert x.shape == (200, 2)
        marks = torch.nonzero(x[:, 1]).flatten()
        assert len(marks) == 2
        assert marks[0] < 100 <= marks[1]
        assert float(y) == pytest.approx(float(x[marks, 0].sum()), rel=1e-6)
        targets.append(float(y))
    # predicting 1 (the mean) has MSE Var(U + U') = 1/6: measured on the data
    assert np.mean((np.array(targets) - 1.0) ** 2) == pytest.approx(adding_baseline_mse(), abs=0.01)
    assert adding_baseline_mse() == pytest.approx(0.167, abs=1e-3)


def test_deterministic_by_seed_and_order_independent():
    a, b = CopyMemory(10, 20, seed=5), CopyMemory(10, 20, seed=5)
    assert torch.equal(a[7][0], b[7][0])
    _ = [a[i] for i in range(7)]
    assert torch.equal(a[7][0], b[7][0])
    assert not torch.equal(CopyMemory(10, 20, seed=6)[7][0], a[7][0])
    assert torch.equal(AddingProblem(50, 3, seed=2)[1][0], AddingProblem(50, 3, seed=2)[1][0])


def test_errors():
    with pytest.raises(ValueError, match="delay should be a positive int"):
        CopyMemory(0, 10)
    with pytest.raises(IndexError, match=r"index should be in \[0, 3\)"):
        AddingProblem(10, 3)[3]
