"""The discretised mixture of logistics for one grey pixel: its 256 masses (deterministic).

Run from the repo root: ``python docs/figures/logistic_mixture.py``. Writes
``docs/images/logistic_mixture.png`` and prints the sum of the 256 masses and the share of the
edge bins.

Parameters (``M = 3`` components, 1 channel, layout ``[logits | means | log-scales]``):
weights ``softmax(0, 0.5, −1)``, means ``−0.6, 0.2, 0.98`` (in ``[−1, 1]``, value
``v ↔ x = 2v/255 − 1``) and scales ``e^{−3}, e^{−2.5}, e^{−4}``. The third component sits near
the top edge, so part of its mass falls in the last bin (``v = 255`` takes all mass to the right).
Bars: ``exp(mixture_log_probs)``; dashed: each component's weighted logistic density times the
bin width ``2/255`` (a smooth approximation, not the model).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch

from longrange_models import mixture_log_probs

OUT = Path(__file__).resolve().parents[1] / "images" / "logistic_mixture.png"
LOGITS, MEANS, LOG_SCALES = (0.0, 0.5, -1.0), (-0.6, 0.2, 0.98), (-3.0, -2.5, -4.0)


def main() -> None:
    params = torch.tensor([[*LOGITS, *MEANS, *LOG_SCALES]], dtype=torch.float64)  # (1, 3M)
    probs = mixture_log_probs(params, num_mixtures=3, channels=1).exp().reshape(-1)  # (256,)
    v = torch.arange(256, dtype=torch.float64)
    x = 2 * v / 255 - 1
    weights = torch.softmax(torch.tensor(LOGITS, dtype=torch.float64), 0)
    fig, ax = plt.subplots(figsize=(9, 3.4), layout="constrained")
    ax.bar(v.numpy(), probs.numpy(), width=1.0, color="0.75", label="bin masses (the model)")
    for k in range(3):
        s = torch.tensor(LOG_SCALES[k], dtype=torch.float64).exp()
        u = (x - MEANS[k]) / s
        density = weights[k] * torch.sigmoid(u) * torch.sigmoid(-u) / s * (2 / 255)
        ax.plot(
            v.numpy(),
            density.numpy(),
            "--",
            lw=1.5,
            color=f"C{k}",
            label=f"component {k}, π = {weights[k]:.2f}",
        )
    ax.set_xlabel("pixel value v")
    ax.set_ylabel("probability")
    ax.set_title(
        f"mixture_log_probs, M = 3: masses sum to {probs.sum().item():.12f}; "
        f"last bin holds {probs[-1].item():.3f}"
    )
    ax.legend(fontsize=8)
    fig.savefig(OUT, dpi=80, metadata={"Software": None})
    print(
        f"sum {probs.sum().item():.15f}, P(v=0) {probs[0].item():.3e}, "
        f"P(v=255) {probs[-1].item():.4f}"
    )
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
