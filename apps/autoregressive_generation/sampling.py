"""Sampling with timings, and the per-pixel marginal baseline.

Legend: N images, C channels, L = H·W positions, V = 256 values.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from .networks import ARModel

__all__ = ["marginal_baseline", "marginal_log_probs", "sampling_report", "timed_samples"]

ALPHAS: tuple[float, ...] = (0.01, 0.03, 0.1, 0.3, 1.0)


def marginal_log_probs(train: Tensor, alpha: float) -> Tensor:
    """``log p(v | c, l)`` of a per-(channel, position) histogram with additive smoothing.

    Args:
        train (Tensor[N, C, L]): int values ``0..255``.
        alpha: pseudo-count added to each of the 256 values.

    Returns:
        Tensor[C, L, V] float64.
    """
    if not alpha > 0:
        raise ValueError(f"alpha should be > 0, got {alpha}")
    n, c, length = train.shape
    counts = torch.zeros(c * length, 256, dtype=torch.float64)
    flat = train.permute(1, 2, 0).reshape(c * length, n).long()
    counts.scatter_add_(1, flat, torch.ones_like(flat, dtype=torch.float64))
    probs = (counts + alpha) / (n + 256 * alpha)
    return probs.log().view(c, length, 256)


def _bpd(log_probs: Tensor, x: Tensor) -> float:
    """Mean bits per sub-pixel of ``x (N, C, L)`` under per-position ``log_probs (C, L, V)``."""
    n, c, length = x.shape
    lp = log_probs.view(c * length, 256).gather(1, x.permute(1, 2, 0).reshape(c * length, n).long())
    return float(-lp.sum() / (n * c * length * math.log(2)))


def marginal_baseline(
    train: Tensor, val: Tensor, test: Tensor, alphas: Sequence[float] = ALPHAS
) -> dict[str, float]:
    """Bits/dim of the per-pixel marginal on ``test``, smoothing chosen on ``val``.

    Args:
        train, val, test (Tensor[N, C, L]): int values ``0..255``.
        alphas: candidate pseudo-counts.

    Returns:
        ``alpha`` (chosen), ``val_bpd``, ``test_bpd``.
    """
    scored = [(_bpd(marginal_log_probs(train, a), val), a) for a in alphas]
    val_bpd, alpha = min(scored)
    return {
        "alpha": alpha,
        "val_bpd": val_bpd,
        "test_bpd": _bpd(marginal_log_probs(train, alpha), test),
    }


def timed_samples(
    model: ARModel, n: int, seed: int, length: int | None = None, recompute: bool = False
) -> tuple[Tensor, float]:
    """``(samples Tensor[n, C, length] int64, seconds)`` from the model's own sampler
    (``recompute=False``: :meth:`MultiresAR.sample` streams, :meth:`WaveNetAR.sample` re-runs
    the receptive-field window) or the re-run-the-forward reference (``sample_by_recompute``),
    drawn from ``torch.Generator().manual_seed(seed)``. The model is put in eval mode (dropout
    off) and left there."""
    model.eval()
    gen = torch.Generator(device=model.encoder.weight.device).manual_seed(seed)
    sampler = model.sample_by_recompute if recompute else model.sample
    started = time.perf_counter()
    out = sampler(n, generator=gen, length=length)
    return out.cpu(), time.perf_counter() - started


def sampling_report(
    model: ARModel, num_samples: int, seed: int, speedup_samples: int, length: int | None
) -> tuple[Tensor, dict[str, Any]]:
    """The sample grid's images and the timing entries of ``summary.json``.

    A 2-position warm-up draw runs first, so no timing includes numba's one-off compilation.

    ``sample_seconds_per_image``: the model's sampler (MultiresAR: streaming; WaveNetAR: the
    receptive-field window; the keys say "streaming" for both), ``num_samples`` images drawn as
    one batch, total time / images. The speed-up: ``speedup_samples`` images of ``length``
    positions drawn by both samplers from the same seed (``samples_match``: identical draws),
    ``recompute / streaming``.
    """
    timed_samples(model, 1, seed, length=2)  # warm-up: compiles (or loads) the fused kernel
    samples, seconds = timed_samples(model, num_samples, seed)
    stream, t_stream = timed_samples(model, speedup_samples, seed, length)
    ref, t_ref = timed_samples(model, speedup_samples, seed, length, recompute=True)
    return samples, {
        "sample_seed": seed,
        "num_samples": num_samples,
        "sample_seconds_total": round(seconds, 3),
        "sample_seconds_per_image": round(seconds / num_samples, 4),
        "speedup_samples": speedup_samples,
        "speedup_length": stream.shape[-1],
        "streaming_seconds": round(t_stream, 3),
        "recompute_seconds": round(t_ref, 3),
        "streaming_speedup": round(t_ref / t_stream, 2),
        "samples_match": bool(torch.equal(stream, ref)),
    }
