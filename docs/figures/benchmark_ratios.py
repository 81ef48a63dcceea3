"""The recorded benchmark ratios as a chart (deterministic: reads docs/benchmarks.md only).

Run from the repo root: ``python docs/figures/benchmark_ratios.py``. Writes
``docs/images/benchmark_ratios.png``. Nothing is re-measured: the numbers are the JSON blocks
recorded in docs/benchmarks.md (``python -m apps.benchmark arma|multires|models``), in the order
they appear there (arma, multires, models).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

DOCS = Path(__file__).resolve().parents[1]
OUT = DOCS / "images" / "benchmark_ratios.png"


def recorded() -> dict[str, dict]:
    """``{benchmark name: its JSON}`` from the ```json blocks of docs/benchmarks.md."""
    text = (DOCS / "benchmarks.md").read_text(encoding="utf-8")
    blocks = [json.loads(b) for b in re.findall(r"```json\n(.*?)```", text, re.S)]
    return {b["benchmark"]: b for b in blocks if "benchmark" in b}


def _bars(ax, labels: list[str], values: list[float], title: str, target: float | None) -> None:
    ax.barh(labels, values, color=["C0" if v <= 1 else "C1" for v in values])
    ax.axvline(1.0, color="k", lw=1)
    if target is not None:
        ax.axvline(target, color="r", ls="--", lw=1, label=f"target ≤ {target}")
        ax.legend(fontsize=8, loc="upper right")
    for y, v in enumerate(values):
        ax.text(v, y, f" {v:.2f}×", va="center", fontsize=8)
    ax.set_xlim(0, max(values) * 1.15)  # room for the last label
    ax.set_title(title, fontsize=10)
    ax.invert_yaxis()


def main() -> None:
    runs = recorded()
    arma, multires, models = runs["arma"], runs["multires"], runs["models"]
    fig, axes = plt.subplots(2, 2, figsize=(12, 7), layout="constrained")

    names = {
        "arma2d": "ARMA2d (auto)",
        "arma2d_order2": "ARMA2d ar_order 2",
        "arma2d_zero": "ARMA2d zero boundary",
        "arma2d_order2_zero": "ARMA2d zero, ar_order 2",
        "arma2d_matmul": "ARMA2d matmul",
        "arma2d_fft": "ARMA2d fft",
        "naive": "naive FFT autograd",
        "naive_order2": "naive ar_order 2",
    }
    _bars(
        axes[0, 0],
        list(names.values()),
        [arma[f"{k}_over_conv2d_time"] for k in names],  # the recorded (paired) ratios
        "ARMA2d fwd+bwd time / nn.Conv2d (16×64→128, 64×64)",
        1.15,
    )

    sweep = arma["sweep"]
    ax = axes[0, 1]
    ax.plot([r["size"] for r in sweep], [r["matmul_over_fft"] for r in sweep], "o-", label="matmul")
    ax.plot([r["size"] for r in sweep], [r["banded_over_fft"] for r in sweep], "s-", label="banded")
    ax.axhline(1.0, color="k", lw=1)
    ax.axvline(96, color="r", ls="--", lw=1, label="matmul/fft switch (no numba)")
    ax.set_xlabel("H = W")
    ax.set_ylabel("time / fft time")
    ax.set_title("AR solve: banded and GEMM vs FFT by map size", fontsize=10)
    ax.legend(fontsize=8)

    cases = {
        "scifar": "sCIFAR shape, batch 50",
        "scifar_batch1": "sCIFAR shape, batch 1",
        "listops": "ListOps shape, batch 50",
    }
    _bars(
        axes[1, 0],
        [f"{v}: {w}" for k, v in cases.items() for w in ("MultiresConv1d", "one grouped conv")],
        [multires[k][f"{w}_over_reference_time"] for k in cases for w in ("multires", "one_conv")],
        "MultiresConv fwd+bwd time / the paper's loop",
        None,
    )

    ax = axes[1, 1]
    speedups = {
        f"MultiresConv stack, L {r['length']}": r["streaming_speedup"]
        for r in multires["streaming_by_length"]
    }
    speedups["MultiresAR sampling (L 784)"] = models["streaming_sampling_speedup"]
    ax.barh(list(speedups), list(speedups.values()), left=1, color="C2")
    ax.set_xscale("log")
    ax.set_xlim(1, 1e5)
    ax.xaxis.set_minor_formatter(plt.NullFormatter())
    for y, v in enumerate(speedups.values()):
        ax.text(v, y, f" {v:,.0f}×", va="center", fontsize=8)
    ax.invert_yaxis()
    ax.set_title("Streaming: step() vs re-running forward", fontsize=10)

    machine = arma["machine"]
    fig.suptitle(
        f"Recorded in docs/benchmarks.md — {machine['cpu']}, {machine['threads']} threads, "
        f"torch {machine['torch']} (ratios within one run)"
    )
    fig.savefig(OUT, dpi=80, metadata={"Software": None})
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
