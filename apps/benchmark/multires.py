"""MultiresConv1d vs the paper's loop, and streaming generation vs re-running the forward."""

from __future__ import annotations

import itertools
import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from multires_core import (
    MultiresConv1d,
    MultiresLayer,
    fused_unavailable,
    multires_conv,
    stream_step,
)

from .reference_multires import one_conv_fading, reference_fading
from .timing import fwd_bwd_samples, medians, sync, time_calls, time_once

FULL_SHAPES = {
    "scifar": {"batch": 50, "channels": 256, "length": 1024, "kernel_size": 2},
    "listops": {"batch": 50, "channels": 128, "length": 2048, "kernel_size": 4},
    "scifar_batch1": {"batch": 1, "channels": 256, "length": 1024, "kernel_size": 2},
}
QUICK_SHAPES = {
    "scifar": {"batch": 2, "channels": 8, "length": 64, "kernel_size": 2},
    "listops": {"batch": 2, "channels": 8, "length": 128, "kernel_size": 4},
    "scifar_batch1": {"batch": 1, "channels": 8, "length": 64, "kernel_size": 2},
}


#: (channels, kernel_size) of the 4-layer streaming stack; the last is the headline: the width
#: and filter size of the paper's autoregressive model (App. C.4: 512 channels, K = 4).
FULL_STREAMS = [(64, 2), (256, 2), (256, 4), (512, 4)]
QUICK_STREAMS = [(8, 2)]


def conv_vs_reference(shape: dict[str, int], repeats: int, device: torch.device) -> dict:
    """fwd+bwd of ``MultiresConv1d`` (``auto``), its tree path, the one-grouped-convolution tree
    and the paper's loop (two convolutions per level) on one shape."""
    n, c, length, k = (shape[key] for key in ("batch", "channels", "length", "kernel_size"))
    layer = MultiresConv1d(c, k, seq_len=length, device=device)
    x = torch.randn(n, c, length, device=device, requires_grad=True)
    grad = torch.randn(n, c, length, device=device)
    args = (layer.h0, layer.h1, layer.weight, layer.depth)
    variants: dict[str, Callable[[], Tensor]] = {
        "reference": lambda: reference_fading(x, *args),
        "multires": lambda: layer(x),
        "tree": lambda: multires_conv(x, *args, method="tree"),
        "one_conv": lambda: one_conv_fading(x, *args),
    }
    times = medians(fwd_bwd_samples(variants, grad, repeats, device, warmup=1))
    with torch.no_grad():
        ref = variants["reference"]()
        diff = {name: float((f() - ref).abs().max()) for name, f in variants.items()}
    return {
        "shape": shape,
        "depth": layer.depth,
        "time_s": times,
        "multires_over_reference_time": times["multires"] / times["reference"],
        "tree_over_reference_time": times["tree"] / times["reference"],
        "one_conv_over_reference_time": times["one_conv"] / times["reference"],
        "max_abs_diff": diff["multires"],
        "max_abs_diff_by_variant": diff,
    }


class Stack(nn.Module):
    """A small autoregressive stack: pointwise encoder, L x (MultiresLayer + pointwise mix,
    residual), pointwise head. ``forward`` runs the whole sequence, ``step`` one time step."""

    def __init__(self, channels: int, layers: int, length: int, kernel_size: int = 2) -> None:
        super().__init__()
        self.enc = nn.Linear(1, channels)
        blocks = [MultiresLayer(channels, kernel_size, seq_len=length) for _ in range(layers)]
        mixes = [nn.Linear(channels, channels) for _ in range(layers)]
        self.layers = nn.ModuleList(blocks)
        self.mix = nn.ModuleList(mixes)
        #: the same modules as ``layers`` and ``mix``, typed (``nn.ModuleList`` is not generic)
        self.blocks: tuple[tuple[MultiresLayer, nn.Linear], ...] = tuple(
            zip(blocks, mixes, strict=True)
        )
        self.head = nn.Linear(channels, 1)

    @staticmethod
    def _pointwise(lin: nn.Linear, h: Tensor) -> Tensor:
        return F.conv1d(h, lin.weight[:, :, None], lin.bias)

    def forward(self, x: Tensor, conv: Callable | None = None) -> Tensor:
        """``x (N, 1, L) -> (N, 1, L)``; ``conv`` replaces each layer's MultiresConv if given."""
        h = self._pointwise(self.enc, x)
        for layer, mix in self.blocks:
            z = layer(h) if conv is None else F.gelu(conv(layer.conv, h))
            h = h + self._pointwise(mix, z)
        return self._pointwise(self.head, h)

    def init_state(self, batch: int) -> list:
        return [layer.init_state(batch) for layer, _ in self.blocks]

    def step(self, x_t: Tensor, states: list, path: str = "auto") -> Tensor:
        """``x_t (N, 1) -> (N, 1)``, one step of :meth:`forward` (``states`` updated in place);
        ``path`` picks each layer's step (:func:`multires_core.stream_step`)."""
        h = F.linear(x_t, self.enc.weight, self.enc.bias)
        for (layer, mix), state in zip(self.blocks, states, strict=True):
            z, _ = layer.step(h, state, path)
            h = h + F.linear(z, mix.weight, mix.bias)
        return F.linear(h, self.head.weight, self.head.bias)


def _ref_conv(conv: MultiresConv1d, h: Tensor) -> Tensor:
    return reference_fading(h, conv.h0, conv.h1, conv.weight, conv.depth)


def _generate(
    model: Stack,
    length: int,
    device: torch.device,
    path: str = "auto",
    between: Callable[[], object] | None = None,
    chunks: int = 1,
) -> tuple[Tensor, Tensor, float]:
    """One sequence, ``x[t + 1] = tanh(y[t])``, step by step: ``(x (1, 1, L), y (1, 1, L − 1),
    seconds)``. With ``between``, the ``L − 1`` steps run in ``chunks`` timed pieces with one
    untimed call of ``between`` after each."""
    states = model.init_state(1)
    x_t = torch.zeros(1, 1, device=device)
    xs, ys = [x_t], []
    seconds = 0.0
    bounds = torch.linspace(0, length - 1, chunks + 1).round().long().tolist()
    for lo, hi in itertools.pairwise(bounds):
        sync(device)
        t0 = time.perf_counter()
        for _ in range(hi - lo):
            y = model.step(x_t, states, path)
            ys.append(y)
            x_t = torch.tanh(y)
            xs.append(x_t)
        sync(device)
        seconds += time.perf_counter() - t0
        if between is not None:
            between()
    return torch.stack(xs, dim=-1), torch.stack(ys, dim=-1), seconds


def streaming(
    channels: int,
    kernel_size: int,
    layers: int,
    length: int,
    device: torch.device,
    rounds: int,
    forwards_per_round: int,
    paths: tuple[str, ...] = ("auto",),
) -> dict[str, Any]:
    """Generate one sequence step by step; compare with re-running the full forward per step.

    The re-run baselines (this library's forward, and the paper's loop as the reference sampler
    runs it) process the full-length sequence at every step, so their cost per step is constant:
    a forward's time is multiplied by the ``length − 1`` steps. The host's speed drifts by 2–3×
    within seconds, so the two sides are measured in the same moments: each round generates the
    sequence (by each step ``path``; the first is the headline) in ``forwards_per_round`` pieces
    and times one forward of each baseline after each piece. A round's speedup is its
    baselines' mean forward × ``(length − 1)`` over its generation time; medians over
    ``rounds`` (after one warm-up round) are reported.
    """
    torch.manual_seed(0)
    model = Stack(channels, layers, length, kernel_size).to(device).eval()
    baselines = (("forward", None), ("reference_forward", _ref_conv))
    stream: dict[str, list[float]] = {p: [] for p in paths}
    fwd: dict[str, dict[str, list[float]]] = {p: {b: [] for b, _ in baselines} for p in paths}
    check = {}
    with torch.no_grad():
        x = torch.zeros(1, 1, length, device=device)  # the last generated sequence
        for r in range(rounds + 1):
            for p in paths:
                samples: dict[str, list[float]] = {b: [] for b, _ in baselines}

                def forwards(samples: dict = samples, x: Tensor = x) -> None:
                    for name, conv in baselines:
                        samples[name].append(time_once(partial(model, x, conv), device))

                x_new, ys, seconds = _generate(
                    model, length, device, p, between=forwards, chunks=forwards_per_round
                )
                if r == rounds:  # exact: the streamed outputs are the forward's on that sequence
                    check[p] = float((model(x_new)[:, :, :-1] - ys).abs().max())
                x = x_new
                if r:  # round 0 warms up
                    stream[p].append(seconds)
                    for name, values in samples.items():
                        fwd[p][name].append(statistics.mean(values) * (length - 1))
    head = paths[0]

    def by_round(p: str, name: str = "forward") -> list[float]:
        return [f / s for f, s in zip(fwd[p][name], stream[p], strict=True)]

    def speedup(p: str, name: str = "forward") -> float:
        return statistics.median(by_round(p, name))

    stream_s = statistics.median(stream[head])
    rerun = {name: statistics.median(v) for name, v in fwd[head].items()}
    first = model.blocks[0][0]
    state = first.init_state(1)
    why = fused_unavailable(torch.zeros(1, channels, device=device), state)
    return {
        "channels": channels,
        "kernel_size": kernel_size,
        "depth": first.conv.depth,
        "layers": layers,
        "length": length,
        "step_path": head if head != "auto" else ("fused" if why is None else "tensor"),
        "stream_s": stream_s,
        "stream_step_ms": 1e3 * stream_s / (length - 1),
        "forward_ms": 1e3 * rerun["forward"] / (length - 1),
        "rerun_forward_s": rerun["forward"],
        "rerun_reference_forward_s": rerun["reference_forward"],
        "streaming_speedup": speedup(head),
        "streaming_speedup_vs_reference_loop": speedup(head, "reference_forward"),
        "streaming_speedup_by_round": by_round(head),
        "stream_vs_forward_max_abs_diff": check[head],
        **(
            {
                "stream_step_ms_by_path": {
                    p: 1e3 * statistics.median(v) / (length - 1) for p, v in stream.items()
                },
                "streaming_speedup_by_path": {p: speedup(p) for p in paths},
                "stream_vs_forward_max_abs_diff_by_path": check,
            }
            if len(paths) > 1
            else {}
        ),
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
            m: partial(multires_conv, x, layer.h0, layer.h1, layer.weight, method=m)
            for m in ("tree", "fft")
        }
        times = medians(fwd_bwd_samples(variants, grad, 3, device, warmup=1))
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


def step_path_sweep(quick: bool, device: torch.device) -> list[dict[str, Any]]:
    """One ``MultiresConv1d`` step by the precomputed map and by the recursion, by batch size:
    where ``path="auto"`` switches (``_DENSE_MAX`` elements of the map's product)."""
    configs = [(8, 2, 1), (8, 2, 4)] if quick else [(256, 2, n) for n in (1, 16, 64)]
    configs += [] if quick else [(512, 4, n) for n in (1, 4, 16, 64)]
    length = 64 if quick else 784
    rows = []
    with torch.no_grad():
        for c, k, n in configs:
            conv = MultiresConv1d(c, k, seq_len=length, device=device)
            x = torch.randn(n, c, device=device)
            state = conv.init_state(n)
            seconds = 0.05 if quick else 0.5
            us = {
                p: 1e6 * time_calls(partial(stream_step, x, state, p), device, seconds)
                for p in ("fused", "map", "recursion")
                if p != "fused" or fused_unavailable(x, state) is None
            }
            rows.append(
                {
                    "channels": c,
                    "kernel_size": k,
                    "depth": conv.depth,
                    "batch": n,
                    "map_product_elements": n * state.mat.numel(),
                    **{f"{p}_us": v for p, v in us.items()},
                    "map_over_recursion": us["map"] / us["recursion"],
                    **({"fused_over_map": us["fused"] / us["map"]} if "fused" in us else {}),
                }
            )
    return rows


def step_breakdown(
    channels: int, kernel_size: int, length: int, device: torch.device, seconds: float
) -> dict[str, Any]:
    """Microseconds per call of each operation in one layer of the stack's batch-1 step, and of
    the whole step: where a step's time goes."""
    torch.manual_seed(0)
    model = Stack(channels, 4, length, kernel_size).to(device).eval()
    layer, mix = model.blocks[0]
    h = torch.randn(1, channels, device=device)
    with torch.no_grad():
        states = model.init_state(1)
        state = layer.init_state(1)
        x_t = torch.zeros(1, 1, device=device)
        ops: dict[str, Callable[[], object]] = {
            "multires_layer_step": partial(layer.step, h, state),  # conv + GELU, as the stack
            "multires_conv_step": partial(layer.conv.step, h, state),
            "gelu": partial(F.gelu, h),
            "mixing_linear": partial(F.linear, h, mix.weight, mix.bias),
            "residual_add": partial(torch.add, h, h),
            "stack_step": partial(model.step, x_t, states),
        }
        us = {name: 1e6 * time_calls(f, device, seconds) for name, f in ops.items()}
    return {"channels": channels, "kernel_size": kernel_size, "length": length, "us": us}


def run(quick: bool, repeats: int, device: torch.device, seed: int) -> dict[str, Any]:
    torch.manual_seed(seed)
    shapes = QUICK_SHAPES if quick else FULL_SHAPES
    reps = repeats if quick else max(2, min(repeats, 3))  # the reference loop is slow on CPU
    result: dict[str, Any] = {
        name: conv_vs_reference(shape, reps, device) for name, shape in shapes.items()
    }
    length = 64 if quick else 784
    streams = QUICK_STREAMS if quick else FULL_STREAMS
    result["streaming"] = [
        streaming(
            c,
            k,
            4,
            length,
            device,
            rounds=1 if quick else 5,
            forwards_per_round=2 if quick else 8,
            # the headline also by the PyTorch-only paths (what runs without numba)
            paths=("auto", "map", "recursion") if (c, k) == streams[-1] else ("auto",),
        )
        for c, k in streams
    ]
    c, k = streams[-1]
    # right after the headline, so that both see the host in the same state
    result["step_breakdown"] = step_breakdown(c, k, length, device, 0.05 if quick else 0.5)
    # the headline stack at longer sequences: the step's cost grows with log L, a forward's with L
    result["streaming_by_length"] = [
        streaming(c, k, 4, n, device, rounds=1, forwards_per_round=4)
        for n in ((128,) if quick else (3136, 12544))
    ]
    result["method_sweep"] = method_sweep(quick, device)
    result["step_path_sweep"] = step_path_sweep(quick, device)
    headline = result["streaming"][-1]
    result["multires_over_reference_time"] = result["scifar"]["multires_over_reference_time"]
    result["listops_multires_over_reference_time"] = result["listops"][
        "multires_over_reference_time"
    ]
    result["streaming_speedup"] = headline["streaming_speedup"]
    result["streaming_speedup_vs_reference_loop"] = headline["streaming_speedup_vs_reference_loop"]
    return result
