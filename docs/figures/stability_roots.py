"""AR roots against the unit circle: the stable map and the papers' printed maps (deterministic).

Run from the repo root: ``python docs/figures/stability_roots.py``. Writes
``docs/images/stability_roots.png`` and prints, per map, the share of factors whose stability
margin ``min_ω |Â(ω)|`` is below 0.01 (the stable map's ``ε``) and the smallest margin.

Each panel: 2,000 parameter pairs drawn from N(0, 2²) (seed 0), mapped to one factor
``(a_left, a_right)`` by the map, and the two roots of ``z·A(z) = a_right z² + z + a_left``
(``arma_stability.roots``), coloured by the factor's margin (``arma_stability.stability_margin``).
A root on the unit circle is a zero of the spectrum: the AR solve divides by zero there.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.colors import LogNorm

from arma_stability import REPARAMETERIZATIONS, roots, stability_margin

OUT = Path(__file__).resolve().parents[1] / "images" / "stability_roots.png"
DRAWS, SCALE, LIM = 2000, 2.0, 2.5
TITLES = {
    "stable": 'longrange "stable" (ε = 0.01)',
    "icml_eq16": "ICML draft eq. 16",
    "neurips_eq9": "NeurIPS eq. 9",
}


def main() -> None:
    gen = torch.Generator().manual_seed(0)
    params = SCALE * torch.randn(DRAWS, 2, dtype=torch.float64, generator=gen)
    fig, axes = plt.subplots(1, 3, figsize=(12, 4.3), layout="constrained")
    norm = LogNorm(vmin=1e-4, vmax=1.0)
    circle = np.exp(1j * np.linspace(0, 2 * np.pi, 400))
    for ax, (name, title) in zip(axes, TITLES.items(), strict=True):
        coefficients = REPARAMETERIZATIONS[name](params)  # (DRAWS, 2): one factor each
        margin = stability_margin(coefficients[:, None, :])  # (DRAWS,)
        z = roots(coefficients)  # (DRAWS, 2) complex
        shown = z.abs() <= LIM
        colour = margin[:, None].expand_as(z).clamp_min(1e-4)
        sc = ax.scatter(
            z.real[shown], z.imag[shown], c=colour[shown], s=5, cmap="viridis", norm=norm
        )
        ax.plot(circle.real, circle.imag, "r-", lw=1)
        low = (margin < 0.01).double().mean().item()
        ax.set_title(f"{title}\nmargin < 0.01: {100 * low:.1f}% of factors")
        ax.set_xlim(-LIM, LIM)
        ax.set_ylim(-LIM, LIM)
        ax.set_aspect("equal")
        ax.set_xlabel("Re z")
        print(
            f"{name}: margin < 0.01 for {100 * low:.1f}%, min margin {margin.min().item():.2e}, "
            f"{int((~shown).sum())} roots beyond |z| = {LIM} not drawn"
        )
    axes[0].set_ylabel("Im z")
    fig.colorbar(sc, ax=axes, shrink=0.85, label="stability margin min |Â(ω)|")
    fig.savefig(OUT, dpi=80, metadata={"Software": None})
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
