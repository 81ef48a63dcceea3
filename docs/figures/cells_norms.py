"""State norm and gradient norm over 1,000 steps for every vector cell (deterministic).

Run from the repo root: ``python docs/figures/cells_norms.py``. Writes
``docs/images/cells_norms.png`` and prints, per cell and seed, the norm of the gradient of
``<u, y_1000>`` (``u`` a fixed N(0, 1) vector) with respect to the state at step 1.

Setting: input_size 2, hidden_size 32, no read-out (``y = h``, or ``[Re h, Im h]``), N(0, 1)
inputs, float64, the cells' default initialisation, torch.manual_seed(seed) before building.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch

from longrange_models.sequence import SEQUENCE_CELLS, build_cell

STEPS, INPUT, HIDDEN, SEEDS = 1000, 2, 32, (0, 1, 2)
OUT = Path(__file__).resolve().parents[1] / "images" / "cells_norms.png"


def rollout(kind: str, seed: int) -> tuple[list[float], list[float]]:
    """State norms ``|h_t|`` and gradient norms ``|d<u, y_T>/d state_t|`` for t = 1..T."""
    torch.manual_seed(seed)
    cell = build_cell(kind, INPUT, HIDDEN).double()
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(1, STEPS, INPUT, dtype=torch.float64, generator=gen)
    state = cell.init_state(1)
    states = []
    with cell._sequence_context():
        for t in range(STEPS):
            y, state = cell.step(x[:, t], state)
            for s in state:
                s.retain_grad()
            states.append(state)
    u = torch.randn(y.shape, dtype=torch.float64, generator=gen)
    (y * u).sum().backward()
    norms = [s[0].detach().abs().norm().item() for s in states]  # h (not the LSTM's c)
    grads = [  # with respect to the whole state: (h, c) for the LSTM
        sum(p.grad.abs().square().sum().item() for p in s if p.grad is not None) ** 0.5
        for s in states
    ]
    return norms, grads


def main() -> None:
    fig, (ax_n, ax_g) = plt.subplots(1, 2, figsize=(11, 4))
    print(f"| cell | grad norm at step 1, seeds {SEEDS} | seed 0 at steps 500, 900, 990 |", end="")
    print(" max state norm (seed 0) |")
    print("|---|---|---|---|")
    for kind in SEQUENCE_CELLS:
        runs = [rollout(kind, s) for s in SEEDS]
        norms, grads = runs[0]
        ax_n.plot(range(1, STEPS + 1), norms, label=kind)
        ax_g.semilogy(range(1, STEPS + 1), [max(g, 1e-300) for g in grads], label=kind)
        first = ", ".join(f"{g[0]:.3g}" for _, g in runs)
        later = ", ".join(f"{grads[t - 1]:.3g}" for t in (500, 900, 990))
        print(f"| {kind} | {first} | {later} | {max(norms):.3g} |")
        if kind == "lstm":
            below = next((t + 1 for t, g in enumerate(grads) if g >= 1e-6), None)
            print(f"lstm: gradient >= 1e-6 only from step {below} on")
    ax_n.set(xlabel="step t", ylabel="|h_t|", title="state norm, N(0,1) input, H=32")
    ax_g.set(xlabel="step t", ylabel="|dL/dh_t|", title="gradient of a loss at t=1000")
    ax_g.set_ylim(1e-170, 1e4)  # the LSTM/GRU gradients underflow to 0 before step ~190
    for ax in (ax_n, ax_g):
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT, dpi=110, metadata={"Software": None})
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
