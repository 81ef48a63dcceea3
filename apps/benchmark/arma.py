"""ARMA2d vs nn.Conv2d vs the naive baseline at the ConvLSTM gate shape.

The layer is the convolution then the AR solve, and its backward the same solve with the
flipped filter (Su, Wang & Huang, ICML draft, Sec. 4 and App. B).

Also the AR part's time against a memory-bandwidth floor: the AR solve must at least read ``T``
and write ``Y`` (forward) and read ``G`` and ``Y`` and write ``dL/dT`` (backward), five passes
over an output-sized float32 tensor; the floor is those bytes over this machine's copy bandwidth
(``dst.copy_(src)`` of the same size, measured in the same run, read + write bytes per second).

Two interleaved groups, each with its own ``nn.Conv2d``: ``conv2d`` and the four ARMA layers
(the headline), then ``conv2d_with_baselines`` with the fixed-method layers and the naive
baseline. Every variant of a group runs once per round, in turn; ``time_s`` are medians over
rounds, the ``*_over_conv2d_time`` ratios and ``ar_time_s`` medians over rounds of the per-round
ratio and difference to the group's ``nn.Conv2d`` (``timing.paired_ratio``), so that a slow
spell of a shared machine moves both sides of a comparison together.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from functools import partial
from typing import Any

import torch
from torch import Tensor, nn

from arma_core import ARMA2d, get_backend
from arma_core.backends import kernel_for
from arma_core.solve import choose_method

from .naive_arma import naive_ar_solve2d
from .timing import fwd_bwd_samples, medians, paired_ratio, time_calls

ARMA_VARIANTS = ("arma2d", "arma2d_order2", "arma2d_zero", "arma2d_order2_zero")
FULL = {"batch": 16, "in_channels": 64, "out_channels": 128, "kernel_size": 3, "size": 64}
QUICK = {"batch": 2, "in_channels": 8, "out_channels": 16, "kernel_size": 3, "size": 16}


def saved_bytes(fn: Callable[[], Tensor]) -> tuple[int, Tensor]:
    """Bytes of unique storages that autograd saves for backward while ``fn`` runs."""
    storages: dict[tuple[int, str], int] = {}

    def pack(t: Tensor) -> Tensor:
        s = t.untyped_storage()
        storages[(s.data_ptr(), str(t.device))] = s.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = fn()
    return sum(storages.values()), out


def peak_memory(fn: Callable[[], Tensor], grad: Tensor, device: torch.device) -> int | None:
    """Peak CUDA bytes allocated during one fwd+bwd of ``fn`` beyond what was allocated before
    (``None`` on the CPU, where PyTorch keeps no such counter)."""
    if device.type != "cuda":
        return None
    torch.cuda.synchronize(device)
    base = torch.cuda.memory_allocated(device)
    torch.cuda.reset_peak_memory_stats(device)
    fn().backward(grad)
    torch.cuda.synchronize(device)
    return torch.cuda.max_memory_allocated(device) - base


def copy_bandwidth(t: Tensor, device: torch.device, seconds: float = 1.0) -> float:
    """Bytes per second (read + write) of ``dst.copy_(t)`` for a tensor the size of ``t``."""
    src = t.detach().contiguous()
    dst = torch.empty_like(src)
    per_call = time_calls(lambda: dst.copy_(src), device, seconds)
    return 2 * src.numel() * src.element_size() / per_call


def run(quick: bool, repeats: int, device: torch.device, seed: int) -> dict[str, Any]:
    cfg = QUICK if quick else FULL
    torch.manual_seed(seed)
    n, cin, cout, k, s = (
        cfg[key] for key in ("batch", "in_channels", "out_channels", "kernel_size", "size")
    )
    x = torch.randn(n, cin, s, s, device=device, requires_grad=True)
    conv = nn.Conv2d(cin, cout, k, padding=k // 2, device=device)
    layers = {
        (q, bd): ARMA2d(
            cin, cout, k, padding=k // 2, ar_order=q, ar_init=0.5, boundary=bd, device=device
        )
        for q in (1, 2)
        for bd in ("circular", "zero")
    }
    for layer in layers.values():
        layer.load_state_dict(conv.state_dict(), strict=False)
    fixed = {
        m: ARMA2d(cin, cout, k, padding=k // 2, ar_init=0.5, method=m, device=device)
        for m in ("banded", "fft", "matmul")
    }

    def naive(q: int) -> Callable[[], Tensor]:
        layer = layers[q, "circular"]
        return lambda: naive_ar_solve2d(conv(x), layer.ar_coefficients())

    variants: dict[str, Callable[[], Tensor]] = {
        "conv2d": lambda: conv(x),
        "arma2d": lambda: layers[1, "circular"](x),
        "arma2d_order2": lambda: layers[2, "circular"](x),
        "arma2d_zero": lambda: layers[1, "zero"](x),
        "arma2d_order2_zero": lambda: layers[2, "zero"](x),
        "arma2d_banded": lambda: fixed["banded"](x),
        "arma2d_fft": lambda: fixed["fft"](x),
        "arma2d_matmul": lambda: fixed["matmul"](x),
        "naive": naive(1),
        "naive_order2": naive(2),
    }
    grad = torch.randn(n, cout, s, s, device=device)
    # Two interleaved groups, each with its own nn.Conv2d: the headline (the four ARMA layers)
    # and the other methods and baselines, whose 0.3-1 s calls churn the allocator and caches
    # and, in the same loop, added ~10 ms to the ARMA layers' AR part (docs/benchmarks.md).
    headline = {k: variants[k] for k in ("conv2d", *ARMA_VARIANTS)}
    others = {"conv2d_with_baselines": variants["conv2d"]}
    others.update({k: v for k, v in variants.items() if k not in headline})
    samples = {
        **fwd_bwd_samples(headline, grad, repeats, device),
        **fwd_bwd_samples(others, grad, repeats, device),
    }
    times = {name: statistics.median(v) for name, v in samples.items()}
    memory = {name: saved_bytes(fn)[0] for name, fn in variants.items()}
    peak = {name: peak_memory(variants[name], grad, device) for name in headline}
    with torch.no_grad():
        y_ref = naive(1)()
        max_abs_diff = float((layers[1, "circular"](x) - y_ref).abs().max())
    output_bytes = grad.numel() * grad.element_size()
    bandwidth = copy_bandwidth(grad, device)
    floor_s = 5 * output_bytes / bandwidth
    ar_time = {  # per round, like the ratios
        name: statistics.median(
            a - b for a, b in zip(samples[name], samples["conv2d"], strict=True)
        )
        for name in ARMA_VARIANTS
    }
    result: dict[str, Any] = {
        "shape": cfg,
        "repeats": repeats,
        "method_auto": choose_method("auto", "circular", grad),
        "method_auto_zero": choose_method("auto", "zero", grad),
        "backend": get_backend(),
        "banded_kernel": kernel_for(grad),  # numba, triton or torch (the reference sweeps)
        "time_s": times,
        "saved_bytes": memory,
        "output_bytes": output_bytes,
        **{  # each against the nn.Conv2d of its own group
            f"{name}_over_conv2d_time": paired_ratio(
                samples, name, "conv2d" if name in headline else "conv2d_with_baselines"
            )
            for name in variants
            if name != "conv2d"
        },
        "peak_memory_bytes": peak,  # CUDA only: one fwd+bwd beyond what was allocated before
        "arma2d_saved_bytes": memory["arma2d"],
        "conv2d_saved_bytes": memory["conv2d"],
        "naive_saved_bytes": memory["naive"],
        "arma2d_extra_saved_over_output": (memory["arma2d"] - memory["conv2d"]) / output_bytes,
        "naive_extra_saved_over_output": (memory["naive"] - memory["conv2d"]) / output_bytes,
        "arma2d_vs_naive_max_abs_diff": max_abs_diff,
        "copy_bandwidth_bytes_per_s": bandwidth,
        "ar_floor_s": floor_s,
        "ar_time_s": ar_time,
        "ar_time_over_floor": {name: t / floor_s for name, t in ar_time.items()},
    }
    result["sweep"] = size_sweep(quick, repeats, device)
    return result


def size_sweep(quick: bool, repeats: int, device: torch.device) -> list[dict[str, Any]]:
    """fwd+bwd of the AR solve alone (banded, fft, matmul) by map size: where "auto" switches."""
    sizes = [8, 16] if quick else [16, 32, 64, 96, 128, 192, 256]
    rows = []
    for s in sizes:
        batch, channels = (2, 4) if quick else (max(1, 16 * 64 * 64 // (s * s)), 32)
        t = torch.randn(batch, channels, s, s, device=device, requires_grad=True)
        layers = {
            m: ARMA2d(channels, channels, 1, ar_init=0.5, method=m, device=device)
            for m in ("banded", "fft", "matmul")
        }
        grad = torch.randn(batch, channels, s, s, device=device)
        times = medians(
            fwd_bwd_samples(
                {m: partial(layer, t) for m, layer in layers.items()},
                grad,
                max(3, repeats // 2),
                device,
            )
        )
        rows.append(
            {
                "size": s,
                "batch": batch,
                "channels": channels,
                **times,
                "matmul_over_fft": times["matmul"] / times["fft"],
                "banded_over_fft": times["banded"] / times["fft"],
                "banded_over_matmul": times["banded"] / times["matmul"],
            }
        )
    return rows
