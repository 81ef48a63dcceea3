"""Which inputs the two baselines read, measured by autograd (deterministic: seed 0).

Run from the repo root: ``python docs/figures/baselines_receptive_field.py``. Writes
``docs/images/baselines_receptive_field.png`` and prints the measured windows.

Left: a ``WaveNet`` classifier's features at position ``t = 47`` of a length-64 sequence
(kernel 2, dilations 1, 2, 4, 8: receptive field ``1 + Σ (K − 1)·d = 16``): the mean over 16
random inputs of ``|∂ Σ_c features[c, t] / ∂ x[s]|`` is non-zero exactly on ``s ∈ [32, 47]``
(the closed form, dashed) and zero for every later input (causality). Right: a
``TransformerClassifier``'s logits on the same length-64 input with ``lengths = 40``: every valid
position is read (attention is global) and the 24 padded ones are not (masked out of the
attention and of the pooling).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch

from longrange_models import TransformerClassifier, WaveNet

OUT = Path(__file__).resolve().parents[1] / "images" / "baselines_receptive_field.png"
L, T, VALID, TRIALS = 64, 47, 40, 16


def _wavenet_sensitivity() -> tuple[torch.Tensor, int]:
    net = WaveNet(10, in_channels=1, channels=16, kernel_size=2, layers_per_cycle=4).double()
    total = torch.zeros(L, dtype=torch.float64)
    for _ in range(TRIALS):
        x = torch.randn(1, 1, L, dtype=torch.float64, requires_grad=True)
        (grad,) = torch.autograd.grad(net.features(x)[0, :, T].sum(), x)
        total += grad[0, 0].abs()
    return total / TRIALS, net.receptive_field


def _transformer_sensitivity() -> torch.Tensor:
    net = TransformerClassifier(10, in_channels=1, d_model=32, nhead=4, max_len=L).double().eval()
    total = torch.zeros(L, dtype=torch.float64)
    lengths = torch.tensor([VALID])
    for _ in range(TRIALS):
        x = torch.randn(1, 1, L, dtype=torch.float64, requires_grad=True)
        (grad,) = torch.autograd.grad(net(x, lengths).sum(), x)
        total += grad[0, 0].abs()
    return total / TRIALS


def main() -> None:
    torch.manual_seed(0)
    wave, rf = _wavenet_sensitivity()
    attn = _transformer_sensitivity()
    read = (wave > 0).nonzero().flatten()
    print(f"WaveNet: receptive field {rf}, inputs read {read.min().item()}..{read.max().item()}")
    print(f"Transformer: inputs read {(attn > 0).sum().item()} of {L}, lengths {VALID}")
    s = torch.arange(L).numpy()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.2), layout="constrained")
    ax = axes[0]
    ax.bar(s, wave.numpy(), width=1.0, color="C0")
    ax.axvline(T - rf + 0.5, ls="--", color="k", lw=1, label=f"closed form: {rf} inputs")
    ax.axvline(T + 0.5, ls=":", color="C3", lw=1.5, label=f"output position t = {T}")
    ax.set_title("WaveNet: |∂ features[t] / ∂ x[s]| (causal window)")
    ax.set_xlabel("input position s")
    ax.legend(fontsize=8, loc="upper left")
    ax = axes[1]
    ax.bar(s, attn.numpy(), width=1.0, color="C1")
    ax.axvline(VALID - 0.5, ls="--", color="k", lw=1, label=f"lengths = {VALID} (padding after)")
    ax.set_title("Transformer: |∂ logits / ∂ x[s]| (global, padding masked)")
    ax.set_xlabel("input position s")
    ax.legend(fontsize=8, loc="upper right")
    fig.savefig(OUT, dpi=80, metadata={"Software": None})


if __name__ == "__main__":
    main()
