"""Model-level timings: MultiresAR streaming vs re-running sampler; ConvLSTM vs ARMA-LSTM.

Sampling (28×28×1, the paper's autoregressive architecture with one channel: 48 blocks, 512
channels, K = 4, 10 logistics, 38.4M parameters; App. C.4), 32 images at once (the
streaming step's 1×1 products need a batch to be efficient on a CPU), times per image:
``MultiresAR.sample`` streams every block
(one MultiresConv step per block and pixel) and ``sample_by_recompute`` re-runs the full forward
over the prefix drawn so far for every pixel. Both draw from the same seeded generator, and the
samples on the timed prefix are asserted identical. Re-running all 784 pixels would take tens of
minutes on a CPU, so its total is estimated from forward timings: pixel ``i`` costs one forward
over ``i + 1`` positions plus the draw, the forward is timed at several prefix lengths (medians)
and interpolated linearly in between, and the sum over ``i = 0..L−1`` is the estimate. The
re-running sampler is also timed directly on the first ``prefix`` pixels, and that time is
reported beside the estimate for the same pixels (a check of the method).

Video (the ARMA papers' Moving-MNIST ConvLSTM: 12 layers, 32 channels, batch 4, 64×64 frames):
fwd+bwd of the ``conv3`` and ``arma`` presets, interleaved, medians; 10 → 10 frames on CUDA and
3 → 3 on a CPU, where one 10 → 10 fwd+bwd takes about 1.5 minutes (every recurrent step does the
same work, so the ratio per step is the same; there are 5 steps instead of 19).
"""

from __future__ import annotations

import statistics
import time
from functools import partial
from typing import Any

import numpy as np
import torch
from torch import Tensor

from longrange_models.config import count_parameters
from longrange_models.convlstm_net import ConvLSTMNet
from longrange_models.multires_ar import MultiresAR

from .timing import fwd_bwd_samples, medians, sync, time_once

__all__ = ["run"]

FULL: dict[str, dict[str, Any]] = {
    "ar": {
        "preset": "mnist",
        "overrides": {"dropout": 0.0},
        "height": 28,
        "width": 28,
        "batch": 32,
        "prefix": 32,
        "lengths": [1, 32, 128, 392, 784],
        "forward_repeats": 2,
    },
    # the paper's model, batch and frame size; 3 -> 3 frames on a CPU (5 recurrent steps, each
    # the same work as in 10 -> 10, whose fwd+bwd takes 1.5 min on a 2-core CPU); 10 -> 10 on CUDA
    "video": {"batch": 4, "size": 64, "frames_in": 3, "frames_out": 3, "repeats": 3, "warmup": 0},
}
QUICK: dict[str, dict[str, Any]] = {
    "ar": {
        "preset": "mnist",
        "overrides": {"dropout": 0.0, "channels": 8, "num_blocks": 2, "seq_len": 16},
        "height": 4,
        "width": 4,
        "batch": 1,
        "prefix": 8,
        "lengths": [1, 8, 16],
        "forward_repeats": 1,
    },
    "video": {
        "batch": 1,
        "size": 8,
        "frames_in": 2,
        "frames_out": 2,
        "repeats": 1,
        "warmup": 1,
        "overrides": {"hidden_channels": 4, "num_layers": 3},
    },
}


def _estimate(lengths: list[int], seconds: list[float], total: int) -> float:
    """``Σ_{l=1..total} t(l)`` with ``t`` interpolated linearly between the measured lengths."""
    grid = np.arange(1, total + 1)
    return float(np.interp(grid, lengths, seconds).sum())


def sampling(cfg: dict[str, Any], device: torch.device, seed: int) -> dict[str, Any]:
    """Streaming vs re-running sampler of one MultiresAR (see the module docstring)."""
    length = cfg["height"] * cfg["width"]
    n, prefix = cfg["batch"], cfg["prefix"]
    torch.manual_seed(seed)
    model = MultiresAR.preset(cfg["preset"], **cfg["overrides"]).to(device).eval()
    if model.config.seq_len != length:
        raise ValueError(f"the preset's seq_len {model.config.seq_len} is not H·W = {length}")

    def gen() -> torch.Generator:
        return torch.Generator(device=device).manual_seed(seed)

    model.sample(n, generator=gen(), length=4)  # warm-up (kernel compilation, allocations)
    sync(device)
    t0 = time.perf_counter()
    streamed = model.sample(n, generator=gen())
    sync(device)
    stream_s = time.perf_counter() - t0
    sync(device)
    t0 = time.perf_counter()
    rerun = model.sample_by_recompute(n, generator=gen(), length=prefix)
    sync(device)
    rerun_prefix_s = time.perf_counter() - t0
    mismatches = int((rerun != streamed[..., :prefix]).sum())
    if mismatches:
        raise AssertionError(
            f"streaming and re-running samplers disagree on {mismatches} of "
            f"{rerun.numel()} values of the first {prefix} pixels (same model, same seed)"
        )
    x = streamed

    def forward(m: int) -> Tensor:  # the model on the first m pixels
        return model(x[..., :m])

    fwd: dict[int, list[float]] = {m: [] for m in cfg["lengths"]}
    with torch.no_grad():
        for _ in range(cfg["forward_repeats"]):  # rounds: drift hits every length alike
            for m in cfg["lengths"]:
                fwd[m].append(time_once(partial(forward, m), device))
    fwd_s = [statistics.median(fwd[m]) for m in cfg["lengths"]]
    per_step_draw = _draw_seconds(model, n, device, seed)
    rerun_total = _estimate(cfg["lengths"], fwd_s, length) + per_step_draw * length
    rerun_prefix_est = _estimate(cfg["lengths"], fwd_s, prefix) + per_step_draw * prefix
    full_rerun_total = fwd_s[-1] * length  # the authors' sampler: the whole sequence per pixel
    return {
        "shape": {"channels": 1, "height": cfg["height"], "width": cfg["width"], "batch": n},
        "model": model.to_config(),
        "parameters": count_parameters(model),
        "streaming_total_s": stream_s,
        "streaming_per_sample_s": stream_s / n,
        "streaming_per_pixel_ms": 1e3 * stream_s / length,
        "rerun_prefix_pixels": prefix,
        "rerun_prefix_measured_s": rerun_prefix_s,
        "rerun_prefix_estimated_s": rerun_prefix_est,
        "forward_s_by_length": [
            {"length": m, "seconds": t} for m, t in zip(cfg["lengths"], fwd_s, strict=True)
        ],
        "draw_s_per_pixel": per_step_draw,
        "rerun_total_estimated_s": rerun_total,
        "rerun_per_sample_estimated_s": rerun_total / n,
        "full_sequence_rerun_total_estimated_s": full_rerun_total,
        "streaming_sampling_speedup": rerun_total / stream_s,
        "streaming_speedup_vs_full_sequence_rerun": full_rerun_total / stream_s,
        "identical_samples_on_prefix": True,
    }


def _draw_seconds(model: MultiresAR, n: int, device: torch.device, seed: int) -> float:
    """Seconds of one pixel's draw from the mixture (the part both samplers share)."""
    params = torch.randn(n, model.num_params, device=device)
    g = torch.Generator(device=device).manual_seed(seed)
    times = [time_once(lambda: model._draw(params, g), device) for _ in range(20)]
    return statistics.median(times)


def video(cfg: dict[str, Any], repeats: int, device: torch.device, seed: int) -> dict[str, Any]:
    """fwd+bwd of ConvLSTMNet ``conv3`` vs ``arma`` at one shape (interleaved, medians)."""
    torch.manual_seed(seed)
    over = cfg.get("overrides", {})
    models = {name: ConvLSTMNet.preset(name, **over).to(device) for name in ("conv3", "arma")}
    n, s, t_in, t_out = (cfg[k] for k in ("batch", "size", "frames_in", "frames_out"))
    x = torch.rand(n, t_in, 1, s, s, device=device)
    grad = torch.randn(n, t_out, 1, s, s, device=device)
    times = medians(
        fwd_bwd_samples(
            {name: partial(m, x, future=t_out) for name, m in models.items()},
            grad,
            min(repeats, cfg["repeats"]),
            device,
            warmup=cfg["warmup"],
        )
    )
    return {
        "shape": {k: cfg[k] for k in ("batch", "size", "frames_in", "frames_out")},
        "repeats": min(repeats, cfg["repeats"]),
        "parameters": {name: count_parameters(m) for name, m in models.items()},
        "fwd_bwd_s": times,
        "armalstm_over_convlstm_time": times["arma"] / times["conv3"],
    }


def run(quick: bool, repeats: int, device: torch.device, seed: int) -> dict[str, Any]:
    cfg = QUICK if quick else FULL
    if not quick and device.type == "cuda":
        cfg = {**cfg, "video": {**cfg["video"], "frames_in": 10, "frames_out": 10}}
    ar = sampling(cfg["ar"], device, seed)
    vid = video(cfg["video"], repeats, device, seed)
    return {
        "streaming_sampling_speedup": ar["streaming_sampling_speedup"],
        "armalstm_over_convlstm_time": vid["armalstm_over_convlstm_time"],
        "targets": {
            "streaming_sampling_speedup": ">= 100",
            "armalstm_over_convlstm_time": "<= 1.3",
        },
        "sampling": ar,
        "video": vid,
    }
