"""Circular wrap-around vs the exact zero boundary: an impulse at the left edge of a 64×64 map.

Run from the repo root: ``python docs/figures/arma_boundary.py``. Writes
``docs/images/arma_boundary.png`` and prints how much of the response lands beyond the map's
right half under each boundary.

The AR part of an ``ARMA2d`` (``ar_solve``, ``method="banded"``, float64) applied to a delta at
row 32, column 0, with one factor ``(a_left, a_right) = (−0.45, −0.45)`` on each axis (a smoothing
AR filter: its inverse has positive taps).
``boundary="circular"`` (what the papers' FFT solve computes) wraps the response round to the
right edge; ``boundary="zero"`` (exact, ``Y = 0`` outside the map) keeps it at the left edge.
Shown: ``log10 |Y|`` and the response along row 32.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch

from arma_core import ar_solve

OUT = Path(__file__).resolve().parents[1] / "images" / "arma_boundary.png"
SIZE, ROW, FACTOR = 64, 32, (-0.45, -0.45)


def responses() -> dict[str, torch.Tensor]:
    """``{boundary: Y (Tensor[SIZE, SIZE])}`` for the delta at (ROW, 0)."""
    delta = torch.zeros(1, 1, SIZE, SIZE, dtype=torch.float64)
    delta[..., ROW, 0] = 1.0
    co = torch.tensor(FACTOR, dtype=torch.float64).expand(2, 1, 1, 2)  # the same on H and W
    return {
        bd: ar_solve(delta, co, boundary=bd, method="banded")[0, 0] for bd in ("circular", "zero")
    }


def main() -> None:
    ys = responses()
    fig, axes = plt.subplots(1, 3, figsize=(13, 4), layout="constrained")
    for ax, (bd, y) in zip(axes[:2], ys.items(), strict=True):
        im = ax.imshow(
            y.abs().clamp_min(1e-12).log10(), cmap="magma", vmin=-8, vmax=0, origin="lower"
        )
        ax.set_title(f'boundary="{bd}": log10 |Y|')
        ax.set_xlabel("W")
        ax.set_ylabel("H")
    fig.colorbar(im, ax=axes[:2], shrink=0.85)
    ax = axes[2]
    w = torch.arange(SIZE)
    for bd, y in ys.items():
        ax.plot(w, y[ROW], "o-" if bd == "zero" else "s--", ms=3, label=f'"{bd}"')
        far = float(y[ROW, SIZE // 2 :].abs().sum() / y[ROW].abs().sum())
        print(f"{bd}: share of |Y| in the right half of row {ROW} = {far:.3g}")
    ax.axhline(0, color="k", lw=0.5)
    ax.set_xlabel("W")
    ax.set_title(f"row {ROW}, impulse at W = 0, factor {FACTOR}")
    ax.legend()
    fig.suptitle("Impulse at the left edge: the circular solve wraps it to the right edge")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT, dpi=110)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
