"""ARMA impulse response and ERF growth with depth against Theorem 3 (deterministic).

Run from the repo root: ``python docs/figures/arma_erf.py``. Writes ``docs/images/arma_erf.png``
and prints the measured and theoretical radii.

Left: the impulse response of the AR part of an ``ARMA2d`` (``ar_solve`` of a delta at the centre
of a 65×65 map, circular boundary), ``log10 |Y|``, for one factor ``(a_left, a_right)`` per axis.
Right: the ERF radius (Eq. 3) of Theorem 3's linear 1D net — ``L`` layers
``y_i − a y_{i−1} = Σ_{p<3} ((1 − a)/3) x_{i−p}`` built from ``ARMA1d`` (as in
tests/arma-core/test_erf.py) — measured with ``effective_receptive_field`` (markers) against
``theoretical_erf_radius`` (lines), float64, length 2048.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
from torch import nn

from arma_core import (
    ARMA1d,
    ar_solve,
    effective_receptive_field,
    erf_radius,
    theoretical_erf_radius,
)

OUT = Path(__file__).resolve().parents[1] / "images" / "arma_erf.png"
SIZE, FACTOR = 65, (0.3, 0.55)  # (a_left, a_right) on both axes: |a_left| + |a_right| < 1
DEPTHS, ALPHAS, LENGTH = (1, 2, 3, 4, 6, 8), (0.0, 0.6, 0.8, 0.9), 2048


def impulse_response() -> torch.Tensor:
    """``log10 |Y|`` of the AR solve of a centred delta: ``Tensor[SIZE, SIZE]``."""
    delta = torch.zeros(1, 1, SIZE, SIZE, dtype=torch.float64)
    delta[..., SIZE // 2, SIZE // 2] = 1.0
    coefficients = torch.tensor(FACTOR, dtype=torch.float64).expand(2, 1, 1, 2)
    y = ar_solve(delta, coefficients, method="fft")[0, 0]
    return y.abs().clamp_min(1e-16).log10()


def linear_arma_net(num_layers: int, a: float, k: int = 3) -> nn.Module:
    """Theorem 3's causal net: layer ``y_i − a y_{i−1} = Σ_{p<k} ((1 − a)/k) x_{i−p}``."""
    layers: list[nn.Module] = []
    for _ in range(num_layers):
        conv = ARMA1d(1, 1, k, bias=False, ar_init=(-a, 0.0), dtype=torch.float64)
        with torch.no_grad():
            conv.weight.fill_((1 - a) / k)
        layers += [nn.ConstantPad1d((k - 1, 0), 0.0), conv]
    return nn.Sequential(*layers)


def radii() -> dict[float, tuple[list[float], list[float]]]:
    """``{a: (measured radii, Theorem 3 radii)}`` over ``DEPTHS``."""
    out = {}
    for a in ALPHAS:
        measured, theory = [], []
        for depth in DEPTHS:
            erf = effective_receptive_field(
                linear_arma_net(depth, a), (1, LENGTH), dtype=torch.float64
            )
            measured.append(erf_radius(erf))
            theory.append(theoretical_erf_radius([3] * depth, [a] * depth))
        out[a] = (measured, theory)
    return out


def main() -> None:
    torch.manual_seed(0)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2), layout="constrained")
    im = left.imshow(impulse_response(), cmap="magma", vmin=-8, vmax=0, origin="lower")
    left.set_title(f"AR impulse response, factor {FACTOR} per axis\nlog10 |Y|, circular 65×65")
    left.set_xlabel("W")
    left.set_ylabel("H")
    fig.colorbar(im, ax=left, shrink=0.85)
    for i, (a, (measured, theory)) in enumerate(radii().items()):
        color = f"C{i}"
        right.plot(DEPTHS, theory, "-", color=color, label=f"Theorem 3, a = {a}")
        right.plot(DEPTHS, measured, "o", color=color, mfc="none")
        for depth, m, t in zip(DEPTHS, measured, theory, strict=True):
            print(f"a={a} L={depth}: measured {m:.3f}  theorem {t:.3f}")
    right.plot([], [], "ok", mfc="none", label="measured (ARMA1d net)")
    right.set_xlabel("depth L (layers, K = 3)")
    right.set_ylabel("ERF radius (samples)")
    right.set_yscale("log")
    right.set_title("ERF radius grows with a, not just with depth")
    right.legend(fontsize=8)
    fig.savefig(OUT, dpi=90, metadata={"Software": None})
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
