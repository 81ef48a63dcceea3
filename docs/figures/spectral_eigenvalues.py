"""Eigenvalues of a unit-modulus circulant vs a random convolution, and norms through depth.

Run from the repo root: ``python docs/figures/spectral_eigenvalues.py`` (deterministic). Writes
``docs/images/spectral_eigenvalues.png`` and prints the norm ratios it plots.

Left: numpy ``eigvals`` of the dense matrix of one channel of a ``UnitaryCirculantConv2d`` at
8×8 (uniform angles) and of a depthwise 3×3 circular convolution with the PyTorch default
(Kaiming-uniform) init, against the unit circle. Right: ``‖x_l‖ / ‖x_0‖`` after ``l`` layers for
100 stacked layers of each kind (fresh random layers, real input N(0, 1), 1×8×8 per channel,
4 channels).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from arma_core.spectral import UnitaryCirculantConv2d

SIZE, CHANNELS, DEPTH = (8, 8), 4, 100
OUT = Path(__file__).resolve().parents[1] / "images" / "spectral_eigenvalues.png"


def conv_matrix(conv: nn.Conv2d, channel: int) -> np.ndarray:
    """Dense (64, 64) matrix of one channel of a depthwise circular conv, column by column."""
    m = SIZE[0] * SIZE[1]
    basis = torch.eye(m).reshape(m, 1, *SIZE).expand(m, CHANNELS, *SIZE).contiguous()
    with torch.no_grad():
        cols = conv(basis)[:, channel].reshape(m, m)
    return cols.T.double().numpy()


def main() -> None:
    torch.manual_seed(0)
    spectral = UnitaryCirculantConv2d(CHANNELS, SIZE, dtype=torch.float64)
    conv = nn.Conv2d(
        CHANNELS, CHANNELS, 3, padding=1, padding_mode="circular", groups=CHANNELS, bias=False
    )
    eig_s = np.linalg.eigvals(spectral.matrix()[0].numpy())
    eig_c = np.linalg.eigvals(conv_matrix(conv, 0))

    x = torch.randn(1, CHANNELS, *SIZE, dtype=torch.float64)
    ratios = {"unit-modulus circulant": [1.0], "3×3 depthwise conv (default init)": [1.0]}
    ys, yc = x, x
    with torch.no_grad():
        for _ in range(DEPTH):
            ys = UnitaryCirculantConv2d(CHANNELS, SIZE, dtype=torch.float64)(ys)
            layer = nn.Conv2d(
                CHANNELS,
                CHANNELS,
                3,
                padding=1,
                groups=CHANNELS,
                padding_mode="circular",
                bias=False,
            )
            yc = layer.double()(yc)
            ratios["unit-modulus circulant"].append((ys.norm() / x.norm()).item())
            ratios["3×3 depthwise conv (default init)"].append((yc.norm() / x.norm()).item())
    for name, r in ratios.items():
        print(f"{name}: ||x_100|| / ||x_0|| = {r[-1]:.3g}")
    print(f"max |1 - |eig|| (circulant) = {np.abs(1 - np.abs(eig_s)).max():.2e}")
    print(f"|eig| range (conv) = {np.abs(eig_c).min():.3g} .. {np.abs(eig_c).max():.3g}")

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 4))
    t = np.linspace(0, 2 * np.pi, 400)
    ax1.plot(np.cos(t), np.sin(t), color="0.6", lw=1, label="unit circle")
    ax1.scatter(eig_c.real, eig_c.imag, s=14, marker="x", label="3×3 depthwise conv")
    ax1.scatter(eig_s.real, eig_s.imag, s=14, label="unit-modulus circulant")
    ax1.set_aspect("equal")
    ax1.set_title("Eigenvalues of one channel (8×8 map, numpy eigvals)")
    ax1.set_xlabel("Re λ")
    ax1.set_ylabel("Im λ")
    ax1.legend(fontsize=8, loc="lower left")
    for name, r in ratios.items():
        ax2.semilogy(range(DEPTH + 1), r, label=name)
    ax2.set_xlabel("layers")
    ax2.set_ylabel("‖x_l‖ / ‖x_0‖")
    ax2.set_title("Norm through 100 random layers")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT, dpi=100)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
