"""MultiresConv's equivalent filters per level beside the PyWavelets db2 wavelet (deterministic).

Run from the repo root: ``python docs/figures/multires_filters.py``. Writes
``docs/images/multires_filters.png`` and prints, per level, the largest gap between the rescaled
equivalent filter and pywt's cascade approximation of the wavelet.

With ``init="db2"`` the tree's filters are db2's decomposition filters
(``multires_core.wavelet_filters``). ``multires_core.equivalent_filters`` gives the causal kernel
each tree output applies to the input (lag order). Level ``j``'s kernel, reversed to time order,
scaled by ``2^(j/2)`` and drawn at ``t = (s + 1) / 2^j``, is the ``j``-step cascade approximation of
the wavelet ψ (highpass outputs ``b_j``) or the scaling function φ (the lowpass ``a_J``):
``pywt.Wavelet("db2").wavefun(level=j)``, drawn as lines.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pywt
import torch

from multires_core import equivalent_filters, wavelet_filters

OUT = Path(__file__).resolve().parents[1] / "images" / "multires_filters.png"
WAVELET, DEPTH = "db2", 5


def main() -> None:
    h0, h1 = wavelet_filters(WAVELET, dtype=torch.float64)
    kernels = equivalent_filters(h0, h1, DEPTH)  # [a_J, b_J, ..., b_1]
    levels = list(range(DEPTH, 0, -1))
    fig, axes = plt.subplots(2, 3, figsize=(11, 5.6), layout="constrained", sharey=True)
    panels = [("a", DEPTH, kernels[0])] + [
        ("b", j, k) for j, k in zip(levels, kernels[1:], strict=True)
    ]
    for ax, (kind, j, kernel) in zip(axes.flat, panels, strict=True):
        f = kernel.flip(0).numpy() * 2 ** (j / 2)  # time order, unit-norm scaling
        t = np.arange(1, f.size + 1) / 2**j  # pywt's grid also holds ψ(0) = 0
        phi, psi, x = pywt.Wavelet(WAVELET).wavefun(level=j)
        ref = phi if kind == "a" else psi
        ax.plot(x, ref, "-", color="C1", lw=2, label=f"pywt {'φ' if kind == 'a' else 'ψ'}")
        ax.plot(t, f, ".", color="C0", ms=4 if j > 2 else 7, label="equivalent filter")
        gap = np.abs(np.interp(t, x, ref) - f).max()
        name = f"a_{j}" if kind == "a" else f"b_{j}"
        ax.set_title(f"{name}: {f.size} taps, dilation up to {2 ** (j - 1)}")
        print(f"{name}: {f.size} taps, max |filter − pywt| = {gap:.2e}")
    for ax in axes[1]:
        ax.set_xlabel("t = (s + 1) / 2^j, s = tap in time order")
    axes[0, 0].legend(fontsize=8)
    fig.suptitle(f"MultiresConv with init={WAVELET!r}: the tree's filters are the wavelet's")
    fig.savefig(OUT, dpi=80, metadata={"Software": None})
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
