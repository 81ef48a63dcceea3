"""Wall-clock timing shared by the benchmarks (CUDA work is synchronised before reading clocks)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping
from functools import partial

import torch
from torch import Tensor

__all__ = ["fwd_bwd_samples", "medians", "paired_ratio", "sync", "time_calls", "time_once"]


def sync(device: torch.device) -> None:
    """Wait for queued CUDA work on ``device`` (nothing to wait for on the CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_once(fn: Callable[[], object], device: torch.device) -> float:
    """Seconds one call of ``fn`` takes."""
    sync(device)
    t0 = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - t0


def time_calls(fn: Callable[[], object], device: torch.device, seconds: float) -> float:
    """Mean seconds per call of ``fn`` over about ``seconds`` (after 10 warm-up calls)."""
    for _ in range(10):
        fn()
    sync(device)
    calls, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        fn()
        calls += 1
    sync(device)
    return (time.perf_counter() - t0) / calls


def _fwd_bwd(fn: Callable[[], Tensor], grad: Tensor) -> None:
    fn().backward(grad)


def fwd_bwd_samples(
    variants: Mapping[str, Callable[[], Tensor]],
    grad: Tensor,
    repeats: int,
    device: torch.device,
    warmup: int = 2,
) -> dict[str, list[float]]:
    """fwd+bwd seconds per variant and round; each round runs every variant once, in order."""
    samples: dict[str, list[float]] = {k: [] for k in variants}
    for _ in range(warmup):
        for fn in variants.values():
            fn().backward(grad)
    for _ in range(repeats):
        for name, fn in variants.items():
            samples[name].append(time_once(partial(_fwd_bwd, fn, grad), device))
    return samples


def medians(samples: Mapping[str, list[float]]) -> dict[str, float]:
    """Median seconds per variant of [`fwd_bwd_samples`][apps.benchmark.timing.fwd_bwd_samples]'s
    rounds (variants interleaved, so drift hits all alike)."""
    return {k: statistics.median(v) for k, v in samples.items()}


def paired_ratio(samples: dict[str, list[float]], name: str, base: str) -> float:
    """Median over rounds of ``samples[name][i] / samples[base][i]``: a ratio of two variants
    timed in the same round, so a slow spell of the machine moves numerator and denominator
    together (steadier than the ratio of the two medians)."""
    return statistics.median(a / b for a, b in zip(samples[name], samples[base], strict=True))
