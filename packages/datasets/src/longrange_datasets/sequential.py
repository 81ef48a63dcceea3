"""Sequential images: sMNIST, permuted sMNIST and sCIFAR-10 as ``(C, H·W)`` sequences."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

from .digits import load_digits
from .errors import CorruptDataError, MissingDataError

__all__ = ["CIFAR10_MEAN", "CIFAR10_STD", "SequentialImages", "scifar10", "smnist"]

CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR10_STD = (0.2470, 0.2435, 0.2616)
SPLITS = ("train", "val", "test")


class SequentialImages(Dataset):
    """item -> ``(sequence Tensor[C, L] float32, label Tensor[] int64)``.

    Args:
        images: ``float32[N, C, H, W]`` (already normalised).
        labels: ``int64[N]``.
        permutation: optional fixed permutation of the ``L = H·W`` positions.
    """

    def __init__(
        self, images: np.ndarray, labels: np.ndarray, permutation: np.ndarray | None = None
    ) -> None:
        if images.ndim != 4 or len(images) != len(labels):
            raise ValueError(
                f"images should be [N, C, H, W] with one label each, got "
                f"{images.shape} and {len(labels)} labels"
            )
        self.seqs = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32)).flatten(2)
        if permutation is not None:
            self.seqs = self.seqs[:, :, torch.from_numpy(permutation)]
        self.labels = torch.from_numpy(np.asarray(labels, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        return self.seqs[index], self.labels[index]


def _split(n: int, split: str, val_size: int, seed: int) -> np.ndarray:
    if split not in SPLITS:
        raise ValueError(f"split should be one of {SPLITS}, got {split!r}")
    if not 0 <= val_size < n:
        raise ValueError(f"val_size should be in [0, {n}), got {val_size}")
    order = np.random.default_rng(seed).permutation(n)
    return order[:val_size] if split == "val" else order[val_size:]


def smnist(
    root: str | os.PathLike[str] | None = None,
    split: str = "train",
    permute: bool = False,
    permutation_seed: int = 0,
    val_size: int = 5000,
    seed: int = 0,
    download: bool = False,
    source: str = "auto",
) -> SequentialImages:
    """Sequential MNIST: ``(1, 784)`` pixels in [0, 1], row by row; ``permute`` applies one
    fixed permutation drawn from ``permutation_seed`` (psMNIST). ``val`` is held out of
    ``train`` by ``seed``. With the bundled digits (5,000, no test split) ``test`` is not
    available and ``val_size`` should be below 5,000.
    """
    train_images, train_labels = load_digits(
        root, train=split != "test", download=download, source=source
    )
    if split == "test":
        if len(train_images) == 5000 and source != "torchvision" and root is None:
            raise MissingDataError("MNIST test split", "torchvision's MNIST under root=")
        images, labels = train_images, train_labels
    else:
        idx = _split(len(train_images), split, min(val_size, len(train_images) - 1), seed)
        images, labels = train_images[idx], train_labels[idx]
    perm = np.random.default_rng(permutation_seed).permutation(784) if permute else None
    return SequentialImages(images[:, None].astype(np.float32) / 255.0, labels, perm)


def scifar10(
    root: str | os.PathLike[str],
    split: str = "train",
    val_size: int = 5000,
    seed: int = 0,
    download: bool = False,
) -> SequentialImages:
    """Sequential CIFAR-10 from torchvision's CIFAR10 under ``root``: ``(3, 1024)``, normalised
    per channel with the training mean/std; ``val`` is held out of ``train`` by ``seed``."""
    from torchvision.datasets import CIFAR10

    try:
        ds = CIFAR10(str(root), train=split != "test", download=download)
    except RuntimeError as err:
        folder = Path(root) / "cifar-10-batches-py"
        if folder.is_dir():
            raise CorruptDataError(
                folder, "torchvision's CIFAR-10 batches", "torchvision's integrity check failed"
            ) from err
        raise MissingDataError(folder, "torchvision's CIFAR-10 (pass download=True)") from err
    images = ds.data.astype(np.float32).transpose(0, 3, 1, 2) / 255.0  # (N, 3, 32, 32)
    labels = np.asarray(ds.targets, dtype=np.int64)
    if split != "test":
        idx = _split(len(images), split, val_size, seed)
        images, labels = images[idx], labels[idx]
    mean = np.array(CIFAR10_MEAN, dtype=np.float32)[:, None, None]
    std = np.array(CIFAR10_STD, dtype=np.float32)[:, None, None]
    return SequentialImages((images - mean) / std, labels)
