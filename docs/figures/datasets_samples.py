"""One sample of every dataset's offline default (deterministic, no network).

Run from the repo root: ``python docs/figures/datasets_samples.py``. Writes
``docs/images/datasets_samples.png``. Everything comes from ``longrange_datasets`` with seed 0:
the bundled MNIST digits (``load_digits``), a generated Moving-MNIST video, the synthetic ISIC
lesions and PTB-XL records (written to a temporary folder, read back by ``ISIC2018`` / ``PTBXL``
exactly as the real data), sequential MNIST, a short generated ListOps expression, and one item
each of the copy-memory and adding problems. The dataset cache goes to a temporary folder too.
"""

from __future__ import annotations

import os
import tempfile
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

OUT = Path(__file__).resolve().parents[1] / "images" / "datasets_samples.png"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["LONGRANGE_CACHE"] = str(Path(tmp) / "cache")
        import longrange_datasets as D

        fig = plt.figure(figsize=(12, 8.4), layout="constrained")
        grid = fig.add_gridspec(3, 4)

        digits, labels = D.load_digits()
        first = [int(np.flatnonzero(labels == d)[0]) for d in range(10)] + [1, 2]  # one per class
        shown = digits[first]
        ax = fig.add_subplot(grid[0, 0])
        ax.imshow(np.vstack([np.hstack(list(shown[r * 4 : r * 4 + 4])) for r in range(3)]), "gray")
        ax.set_title(f"load_digits (bundled): {labels[first].tolist()}", fontsize=8)

        video = D.generate_moving_mnist(digits[first], 1, seed=0)[0]  # (T, 64, 64) or (T, 1, ..)
        video = np.asarray(video).reshape(video.shape[0], 64, 64)
        ax = fig.add_subplot(grid[0, 1:3])
        ax.imshow(np.hstack([video[t] for t in (0, 3, 6, 9, 12)]), "gray")
        ax.set_title("generate_moving_mnist: frames 0, 3, 6, 9, 12", fontsize=8)

        D.write_synthetic_isic(Path(tmp) / "isic", num_images=10, seed=0)
        image, mask = D.ISIC2018(Path(tmp) / "isic", split="train", size=(128, 128))[0]
        ax = fig.add_subplot(grid[0, 3])
        ax.imshow(image.permute(1, 2, 0).clamp(0, 1).numpy())
        ax.contour(mask[0].numpy(), levels=[0.5], colors="lime", linewidths=1)
        ax.set_title("write_synthetic_isic + ISIC2018 (mask: green)", fontsize=8)

        seq, label = D.smnist(split="train")[0]
        ax = fig.add_subplot(grid[1, :2])
        ax.plot(np.asarray(seq).reshape(-1), lw=0.6)
        ax.set_title(f"smnist: one digit as a length-784 sequence (label {label})", fontsize=8)

        D.write_synthetic_ptbxl(Path(tmp) / "ptbxl", num_records=20, seed=0)
        ecg, target = D.PTBXL(Path(tmp) / "ptbxl", split="train")[0]
        ax = fig.add_subplot(grid[1, 2:])
        for i, lead in enumerate((0, 1, 6)):
            ax.plot(np.asarray(ecg[lead]) - 6 * i, lw=0.7, label=D.LEADS[lead])
        ax.set_title(
            f"write_synthetic_ptbxl + PTBXL: leads I, II, V1 (targets {target.tolist()})",
            fontsize=8,
        )
        ax.legend(fontsize=7, loc="upper right")
        ax.set_yticks([])

        expression, value = D.generate_listops(1, seed=0, min_length=20, max_length=40)[0]
        ax = fig.add_subplot(grid[2, :2])
        ax.axis("off")
        ax.text(
            0,
            1,
            "\n".join(textwrap.wrap(expression, 70)) + f"\n\n= {value}",
            va="top",
            family="monospace",
            fontsize=8,
        )
        ax.set_title("generate_listops (min_length 20, max_length 40)", fontsize=8)

        x, y = D.CopyMemory(delay=20, size=1, seed=0)[0]
        ax = fig.add_subplot(grid[2, 2])
        ax.plot(np.asarray(x).reshape(-1), ".-", ms=3, lw=0.5, label="input")
        ax.plot(np.asarray(y).reshape(-1), ".-", ms=3, lw=0.5, label="target")
        ax.set_title("CopyMemory(delay=20): tokens", fontsize=8)
        ax.legend(fontsize=7)

        x, y = D.AddingProblem(length=100, size=1, seed=0)[0]
        x = np.asarray(x)
        ax = fig.add_subplot(grid[2, 3])
        ax.plot(x[:, 0], lw=0.7, label="values")
        ax.stem(np.flatnonzero(x[:, 1]), x[x[:, 1] > 0, 0], linefmt="C1-", markerfmt="C1o")
        ax.set_title(f"AddingProblem(length=100): target {float(np.asarray(y)):.3f}", fontsize=8)
        for a in fig.axes:
            if a.images:
                a.set_xticks([])
                a.set_yticks([])
        fig.savefig(OUT, dpi=80, metadata={"Software": None})
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
