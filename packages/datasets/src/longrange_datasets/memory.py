"""Memory tasks (Wolter & Yao; Arjovsky et al. 2016): the copy-memory and adding problems.

Both are generated on the fly: item ``i`` of a dataset with seed ``s`` is drawn from
``numpy.random.default_rng((s, i))``, so it does not depend on the order items are read.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

__all__ = [
    "AddingProblem",
    "CopyMemory",
    "adding_baseline_mse",
    "copy_baseline_loss",
    "make_adding",
    "make_copy",
]

BLANK, DELIMITER, NUM_SYMBOLS, COPY_LENGTH = 0, 9, 8, 10


def _check_positive(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} should be a positive int, got {value!r}")


def make_copy(delay: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One copy-memory sequence of length ``delay + 20``.

    Input: 10 symbols from 1..8, ``delay − 1`` blanks (0), the delimiter 9, 10 blanks.
    Target: ``delay + 10`` blanks, then the 10 symbols.

    Returns:
        ``(input, target)``, int64 arrays of shape ``(delay + 20,)``.
    """
    _check_positive("delay", delay)
    symbols = rng.integers(1, NUM_SYMBOLS + 1, size=COPY_LENGTH)
    length = delay + 2 * COPY_LENGTH
    x = np.full(length, BLANK, dtype=np.int64)
    x[:COPY_LENGTH] = symbols
    x[COPY_LENGTH + delay - 1] = DELIMITER
    y = np.full(length, BLANK, dtype=np.int64)
    y[-COPY_LENGTH:] = symbols
    return x, y


def copy_baseline_loss(delay: int) -> float:
    """Cross-entropy (nats per step) of the memoryless strategy: ``10·log(8) / (delay + 20)``."""
    _check_positive("delay", delay)
    return COPY_LENGTH * math.log(NUM_SYMBOLS) / (delay + 2 * COPY_LENGTH)


def make_adding(length: int, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """One adding-problem sequence: ``(input (length, 2) float32, target)``.

    Channel 0: values uniform in [0, 1]; channel 1: two markers (1.0), one in each half;
    the target is the sum of the two marked values.
    """
    _check_positive("length", length)
    if length < 2:
        raise ValueError(f"length should be >= 2 (one marker per half), got {length}")
    x = np.zeros((length, 2), dtype=np.float32)
    x[:, 0] = rng.random(length, dtype=np.float32)
    half = length // 2
    first, second = rng.integers(0, half), rng.integers(half, length)
    x[[first, second], 1] = 1.0
    return x, float(x[first, 0]) + float(x[second, 0])


def adding_baseline_mse() -> float:
    """MSE of always predicting 1 (the mean): ``Var(U + U') = 1/6 ≈ 0.167``."""
    return 1.0 / 6.0


class _SeededTask(Dataset):
    """``size`` items of a memory task, item ``i`` drawn by ``_make(n, default_rng((seed, i)))``
    and returned as tensors (the target as ``_target_dtype``). ``n`` is the task's length
    argument, kept as the attribute ``_arg`` names (``delay``, ``length``); a task's constructor
    takes it under that name."""

    _arg: ClassVar[str]
    _target_dtype: ClassVar[torch.dtype]

    @staticmethod
    def _make(n: int, rng: np.random.Generator, /) -> tuple[np.ndarray, np.ndarray | float]:
        raise NotImplementedError

    def __init__(self, n: int, size: int, seed: int) -> None:
        _check_positive(self._arg, n)
        _check_positive("size", size)
        self.size, self.seed = size, seed
        setattr(self, self._arg, n)

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        if not 0 <= index < self.size:
            raise IndexError(f"index should be in [0, {self.size}), got {index}")
        rng = np.random.default_rng((self.seed, index))
        x, y = self._make(getattr(self, self._arg), rng)
        return torch.from_numpy(x), torch.as_tensor(y, dtype=self._target_dtype)


class CopyMemory(_SeededTask):
    """Copy-memory dataset: item -> ``(input Tensor[T+20] int64, target Tensor[T+20] int64)``."""

    _arg, _target_dtype = "delay", torch.int64
    _make = staticmethod(make_copy)
    delay: int

    def __init__(self, delay: int, size: int, seed: int = 0) -> None:
        super().__init__(delay, size, seed)


class AddingProblem(_SeededTask):
    """Adding-problem dataset: item -> ``(input Tensor[L, 2] float32, target Tensor[] float32)``."""

    _arg, _target_dtype = "length", torch.float32
    _make = staticmethod(make_adding)
    length: int

    def __init__(self, length: int, size: int, seed: int = 0) -> None:
        super().__init__(length, size, seed)
