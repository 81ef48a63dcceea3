"""Image classification data: the bundled MNIST digits (offline default) or CIFAR-10.

- ``dataset="digits"``: the 5,000 digits bundled offline (:func:`longrange_datasets.load_digits`,
  or torchvision's MNIST when ``root`` holds it), zero-padded from 28×28 to 32×32, one channel,
  normalised; train/val/test drawn by ``seed`` from those digits.
- ``dataset="cifar10"``: torchvision's CIFAR-10 under ``root`` (downloaded only with
  ``download=True``): the 50,000 training images (minus ``val_size`` held out by ``seed``) and the
  10,000 test images, normalised with the per-channel means/stds of the authors' code; training
  images get a random 32×32 crop of the 4-pixel zero-padded image and a random horizontal flip.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import torch
from torch import Tensor
from torch.nn import functional as F
from torch.utils.data import Dataset, TensorDataset

from apps.framework import AppDataModule, DatasetNotFoundError, check_choice, check_int
from longrange_datasets import load_digits
from longrange_datasets.errors import CorruptDataError, MissingDataError

__all__ = ["DATASETS", "ClassificationDataModule", "RandomCropFlip"]

#: Valid values of ``dataset``.
DATASETS: tuple[str, ...] = ("digits", "cifar10")
# the authors' code (utils/config.py) normalises CIFAR-10 with these
_CIFAR_MEAN = (0.4914, 0.4822, 0.4465)
_CIFAR_STD = (0.2023, 0.1994, 0.2010)
_DIGITS_MEAN, _DIGITS_STD = 0.1307, 0.3081  # MNIST's (on 28x28; padding changes them little)


class RandomCropFlip(Dataset):
    """Wraps ``(images (N, C, H, W), labels (N,))``: a random ``H×W`` crop of the image
    zero-padded by ``pad`` and a horizontal flip with probability 1/2 (torch's global RNG)."""

    def __init__(self, images: Tensor, labels: Tensor, pad: int = 4) -> None:
        self.images, self.labels, self.pad = images, labels, pad

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        img = self.images[index]
        h, w = img.shape[-2:]
        padded = F.pad(img, (self.pad,) * 4)
        dy, dx = (int(v) for v in torch.randint(0, 2 * self.pad + 1, (2,)))
        img = padded[:, dy : dy + h, dx : dx + w]
        if bool(torch.rand(()) < 0.5):
            img = img.flip(-1)
        return img, self.labels[index]


#: A split: plain tensors, or CIFAR-10's augmented training images.
Split = TensorDataset | RandomCropFlip


def _digits(
    root: str | None, download: bool, seed: int, sizes: tuple[int, int, int]
) -> list[Split]:
    images, labels = load_digits(root=root, train=True, download=download)
    n_train, n_val, n_test = sizes
    if n_train + n_val + n_test > len(labels):
        raise ValueError(
            f"num_train + num_val + num_test should be <= {len(labels)} digits, got "
            f"{n_train} + {n_val} + {n_test}"
        )
    order = np.random.default_rng(seed).permutation(len(labels))
    x = torch.from_numpy(images).float().div_(255.0)[:, None]  # (N, 1, 28, 28)
    x = (F.pad(x, (2, 2, 2, 2)) - _DIGITS_MEAN) / _DIGITS_STD  # (N, 1, 32, 32)
    y = torch.from_numpy(labels)
    cuts = np.cumsum([0, n_train, n_val, n_test])
    return [TensorDataset(x[order[a:b]], y[order[a:b]]) for a, b in itertools.pairwise(cuts)]


def _cifar10(root: str, download: bool, seed: int, val_size: int, augment: bool) -> list[Split]:
    from torchvision.datasets import CIFAR10

    folder = Path(root) / "cifar-10-batches-py"
    sets = {}
    for train in (True, False):
        try:
            ds = CIFAR10(str(root), train=train, download=download)
        except RuntimeError as err:
            if folder.is_dir():
                raise CorruptDataError(
                    folder, "torchvision's CIFAR-10 batches", "integrity check failed"
                ) from err
            raise MissingDataError(folder, "torchvision's CIFAR-10 python batches") from err
        x = torch.from_numpy(ds.data).permute(0, 3, 1, 2).float().div_(255.0)
        mean = torch.tensor(_CIFAR_MEAN)[:, None, None]
        std = torch.tensor(_CIFAR_STD)[:, None, None]
        sets[train] = ((x - mean) / std, torch.tensor(ds.targets, dtype=torch.long))
    (x, y), test = sets[True], sets[False]
    order = torch.from_numpy(np.random.default_rng(seed).permutation(len(y)))
    val_idx, train_idx = order[:val_size], order[val_size:]
    train_x, train_y = x[train_idx], y[train_idx]
    return [
        RandomCropFlip(train_x, train_y) if augment else TensorDataset(train_x, train_y),
        TensorDataset(x[val_idx], y[val_idx]),
        TensorDataset(*test),
    ]


class ClassificationDataModule(AppDataModule[Split]):
    """Loaders of ``(images (N, C, 32, 32) normalised, labels (N,) int64)``.

    Args:
        dataset: ``"digits"`` (offline default, 1 channel) or ``"cifar10"`` (3 channels).
        root: folder of torchvision's CIFAR-10 (``root/cifar-10-batches-py``) or MNIST
            (``root/MNIST/raw``); ``None`` with ``digits`` uses the bundled digits.
        download: let torchvision download the dataset into ``root`` (the only network access).
        batch_size: training batch size (evaluation uses the same).
        num_train: training digits (``digits`` only).
        num_val: validation images (digits drawn from the pool; CIFAR-10: held out of train).
        num_test: test digits (``digits`` only; CIFAR-10 uses its 10,000 test images).
        augment: random crop + flip of CIFAR-10 training images (digits are never flipped).
        seed: seed of the split and of the loaders' shuffling.
        num_workers: loader worker processes (0: load in the main process).
    """

    def __init__(
        self,
        dataset: str = "digits",
        root: str | None = None,
        download: bool = False,
        batch_size: int = 64,
        num_train: int = 4000,
        num_val: int = 500,
        num_test: int = 500,
        augment: bool = True,
        seed: int = 0,
        num_workers: int = 0,
    ) -> None:
        super().__init__(seed=seed, num_workers=num_workers, batch_size=batch_size)
        check_choice("dataset", dataset, DATASETS)
        if dataset == "cifar10" and root is None:
            raise ValueError(
                "root should be a folder for CIFAR-10 (add --data.download true to fetch it "
                "there), got None; the offline default is --data.dataset digits"
            )
        for name, v in (("num_train", num_train), ("num_val", num_val), ("num_test", num_test)):
            check_int(name, v)
        self.save_hyperparameters()
        self.dataset, self.root, self.download = dataset, root, download
        self.sizes = (num_train, num_val, num_test)
        self.augment = augment
        self.data_seed = seed
        self.sets: list[Split] | None = None

    @property
    def in_channels(self) -> int:
        """Image channels of the dataset (1 for digits, 3 for CIFAR-10)."""
        return 1 if self.dataset == "digits" else 3

    def _load(self) -> list[Split]:
        root = self.root
        try:
            if self.dataset == "digits":
                return _digits(root, self.download, self.data_seed, self.sizes)
            if root is None:  # refused by __init__
                raise ValueError("root should be a folder for CIFAR-10, got None")
            return _cifar10(root, self.download, self.data_seed, self.sizes[1], self.augment)
        except (MissingDataError, CorruptDataError) as err:
            name = "CIFAR-10" if self.dataset == "cifar10" else "the MNIST digits"
            raise DatasetNotFoundError(
                f"{name} under {self.root} ({err})",
                f"pass --data.download true to let torchvision fetch {name} into "
                f"--data.root, or place torchvision's files there yourself",
                "run with --data.dataset digits and no --data.root (the bundled digits)",
            ) from err

    def prepare_data(self) -> None:
        """Download once (rank 0) when asked; check the files otherwise."""
        if self.dataset == "cifar10" or self.root is not None:
            self._load()

    def setup(self, stage: str | None = None) -> None:
        if self.sets is None:
            self.sets = self._load()

    def labels(self, split: str) -> Tensor:
        """Labels ``(N,)`` of ``"train"``, ``"val"`` or ``"test"`` (no loader, no RNG use)."""
        self.setup()
        ds = self.split(split)
        return ds.labels if isinstance(ds, RandomCropFlip) else ds.tensors[1]
