"""MultiresConv1d vs the paper's loop, and streaming generation vs re-running the forward."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from multires_core import MultiresConv1d, MultiresLayer, multires_conv

from .arma import time_fwd_bwd
from .reference_multires import reference_fading

FULL_SHAPES = {
    "scifar": {"batch": 50, "channels": 256, "length": 1024, "kernel_size": 2},
    "listops": {"batch": 50, "channels": 128, "length": 2048, "kernel_size": 4},
}
QUICK_SHAPES = {
    "scifar": {"batch": 2, "channels": 8, "length": 64, "kernel_size": 2},
    "listops": {"batch": 2, "channels": 8, "length": 128, "kernel_size": 4},
}


def conv_vs_reference(shape: dict[str, int], repeats: int, device: torch.device) -> dict:
    n, c, length, k = (shape[key] for key in ("batch", "channels", "length", "kernel_size"))
    layer = MultiresConv1d(c, k, seq_len=length, device=device)
    x = torch.randn(n, c, length, device=device, requires_grad=True)
    grad = torch.randn(n, c, length, device=device)
    variants: dict[str, Callable[[], Tensor]] = {
        "reference": lambda: reference_fading(x, layer.h0, layer.h1, layer.weight, layer.depth),
        "multires": lambda: layer(x),
    }
    times = time_fwd_bwd(variants, grad, repeats, device, warmup=1)
    with torch.no_grad():
        diff = float((variants["multires"]() - variants["reference"]()).abs().max())
    return {
        "shape": shape,
        "depth": layer.depth,
        "time_s": times,
        "multires_over_reference_time": times["multires"] / times["reference"],
        "max_abs_diff": diff,
    }


class Stack(nn.Module):
    """A small autoregressive stack: 1x1 encoder, L x (MultiresLayer + 1x1 mix, residual), head."""

    def __init__(self, channels: int, layers: int, length: int, kernel_size: int = 2) -> None:
        super().__init__()
        self.enc = nn.Conv1d(1, channels, 1)
        self.layers = nn.ModuleList(
            [MultiresLayer(channels, kernel_size, seq_len=length) for _ in range(layers)]
        )
        self.mix = nn.ModuleList([nn.Conv1d(channels, channels, 1) for _ in range(layers)])
        self.head = nn.Conv1d(channels, 1, 1)

    def forward(self, x: Tensor, conv: Callable | None = None) -> Tensor:
        """``x (N, 1, L) -> (N, 1, L)``; ``conv`` replaces each layer's MultiresConv if given."""
        h = self.enc(x)
        for layer, mix in zip(self.layers, self.mix, strict=True):
            z = layer(h) if conv is None else F.gelu(conv(layer.conv, h))
            h = h + mix(z)
        return self.head(h)

    def step(self, x_t: Tensor, states: list) -> Tensor:
        """``x_t (N, 1) -> (N, 1)``, one step of :meth:`forward`."""
        h = F.linear(x_t, self.enc.weight[:, :, 0], self.enc.bias)
        for i, (layer, mix) in enumerate(zip(self.layers, self.mix, strict=True)):
            z, states[i] = layer.step(h, states[i])
            h = h + F.linear(z, mix.weight[:, :, 0], mix.bias)
        return F.linear(h, self.head.weight[:, :, 0], self.head.bias)


def _ref_conv(conv: MultiresConv1d, h: Tensor) -> Tensor:
    return reference_fading(h, conv.h0, conv.h1, conv.weight, conv.depth)


def streaming(
    channels: int, layers: int, length: int, device: torch.device, forward_samples: int
) -> dict[str, Any]:
    """Generate one sequence step by step; compare with re-running the full forward per step.

    The re-run baselines (this library's forward, and the paper's loop as the reference sampler
    runs it) process the full-length sequence at every step, so their cost per step is constant:
    it is timed over ``forward_samples`` forwards and multiplied by the ``length − 1`` steps.
    """
    torch.manual_seed(0)
    model = Stack(channels, layers, length).to(device).eval()
    with torch.no_grad():
        x = torch.zeros(1, 1, length, device=device)
        states = [layer.init_state(1) for layer in model.layers]
        t0 = time.perf_counter()
        for t in range(length - 1):
            x[:, :, t + 1] = torch.tanh(model.step(x[:, :, t], states))
        stream_s = time.perf_counter() - t0
        # exactness: the streamed outputs are the full forward's outputs on the same sequence
        check = float((torch.tanh(model(x))[:, :, :-1] - x[:, :, 1:]).abs().max())
        per_forward = {}
        for name, conv in (("forward", None), ("reference_forward", _ref_conv)):
            model(x, conv)  # warm-up
            samples = []
            for _ in range(forward_samples):
                s0 = time.perf_counter()
                model(x, conv)
                samples.append(time.perf_counter() - s0)
            per_forward[name] = statistics.median(samples)
    rerun = {k: v * (length - 1) for k, v in per_forward.items()}
    return {
        "channels": channels,
        "layers": layers,
        "length": length,
        "stream_s": stream_s,
        "stream_step_ms": 1e3 * stream_s / (length - 1),
        "rerun_forward_s": rerun["forward"],
        "rerun_reference_forward_s": rerun["reference_forward"],
        "streaming_speedup": rerun["forward"] / stream_s,
        "streaming_speedup_vs_reference_loop": rerun["reference_forward"] / stream_s,
        "stream_vs_forward_max_abs_diff": check,
    }


def method_sweep(quick: bool, device: torch.device) -> list[dict[str, Any]]:
    """fwd+bwd of the tree and fft paths by batch size: where ``method="auto"`` switches."""
    c, length = (8, 64) if quick else (256, 1024)
    layer = MultiresConv1d(c, 2, seq_len=length, device=device)
    rows = []
    for n in (1, 2) if quick else (1, 2, 4, 8):
        x = torch.randn(n, c, length, device=device, requires_grad=True)
        grad = torch.randn(n, c, length, device=device)
        variants = {
            m: (lambda m=m, x=x: multires_conv(x, layer.h0, layer.h1, layer.weight, method=m))
            for m in ("tree", "fft")
        }
        times = time_fwd_bwd(variants, grad, 3, device, warmup=1)
        rows.append(
            {
                "batch": n,
                "channels": c,
                "length": length,
                **times,
                "tree_over_fft": times["tree"] / times["fft"],
            }
        )
    return rows


def run(quick: bool, repeats: int, device: torch.device, seed: int) -> dict[str, Any]:
    torch.manual_seed(seed)
    shapes = QUICK_SHAPES if quick else FULL_SHAPES
    reps = repeats if quick else max(2, min(repeats, 3))  # the reference loop is slow on CPU
    result: dict[str, Any] = {
        name: conv_vs_reference(shape, reps, device) for name, shape in shapes.items()
    }
    widths = [8] if quick else [64, 256]
    length = 64 if quick else 784
    result["streaming"] = [
        streaming(c, 4, length, device, forward_samples=3 if quick else 10) for c in widths
    ]
    result["method_sweep"] = method_sweep(quick, device)
    headline = result["streaming"][-1]
    result["multires_over_reference_time"] = result["scifar"]["multires_over_reference_time"]
    result["listops_multires_over_reference_time"] = result["listops"][
        "multires_over_reference_time"
    ]
    result["streaming_speedup"] = headline["streaming_speedup"]
    result["streaming_speedup_vs_reference_loop"] = headline["streaming_speedup_vs_reference_loop"]
    return result
