"""8-bit images as raster sequences: the bundled 28×28 digits (default) or CIFAR-10 from a path.

Items are ``Tensor[C, L]`` int64 values ``0..255`` in raster order (``L = H·W``; the
flattening :class:`longrange_models.MultiresAR` expects). Nothing is binarised: the digits are
modelled as 8-bit grey values with the discretised logistic mixture, like CIFAR-10.

Splits (the MultiresConv paper, Sec. 5.4: 2,000 training images held out for validation):

* ``cifar10``: torchvision's CIFAR-10 under ``root`` (never downloaded here): ``val_size``
  (2,000) of the 50,000 training images drawn by ``seed`` are the validation split, the rest
  train; the 10,000 test images are the test split.
* ``digits`` without ``root``: the 5,000 bundled MNIST training digits; ``test_size`` of them are
  the test split and ``val_size`` the validation split (drawn by ``seed``; no image in two).
  With ``root`` (torchvision's MNIST): 60,000 train (``val_size`` held out) and the real 10,000
  test images.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from jsonargparse.typing import PositiveInt
from torch import Tensor
from torch.utils.data import Dataset

from apps.framework import AppDataModule, DatasetNotFoundError, check_choice
from longrange_datasets import load_digits
from longrange_models import literal_type

__all__ = ["IMAGE_SHAPES", "ImageName", "ImageSequenceDataModule", "ImageSequences"]

#: ``(C, H, W)`` of each dataset.
IMAGE_SHAPES: dict[str, tuple[int, int, int]] = {"digits": (1, 28, 28), "cifar10": (3, 32, 32)}

if TYPE_CHECKING:  # the names are the table's keys, known at run time; a type checker sees str
    ImageName = str
else:
    #: A key of ``IMAGE_SHAPES``, as a ``Literal`` (the command line's choices).
    ImageName = literal_type(IMAGE_SHAPES)

_CIFAR_HOW = (
    "download the python version of CIFAR-10 (https://www.cs.toronto.edu/~kriz/cifar.html, "
    "or torchvision.datasets.CIFAR10(root, download=True) on a machine with network) so that "
    "ROOT/cifar-10-batches-py exists, then pass --data.root ROOT"
)
_OFFLINE = (
    "use --data.dataset digits (the default: the bundled 28x28 digits, "
    "python -m apps.autoregressive_generation)"
)


class ImageSequences(Dataset):
    """``uint8[N, C, H, W]`` images -> items ``Tensor[C, H·W]`` int64 in ``0..255``."""

    def __init__(self, images: np.ndarray) -> None:
        if images.ndim != 4 or images.dtype != np.uint8:
            raise ValueError(
                f"images should be uint8[N, C, H, W], got {images.dtype} {images.shape}"
            )
        self.data = torch.from_numpy(np.ascontiguousarray(images)).flatten(2)

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> Tensor:
        return self.data[index].long()


def _cifar10(root: str) -> tuple[np.ndarray, np.ndarray]:
    from torchvision.datasets import CIFAR10

    folder = Path(root) / "cifar-10-batches-py"
    try:
        train = CIFAR10(root, train=True, download=False)
        test = CIFAR10(root, train=False, download=False)
    except RuntimeError as err:
        state = "is incomplete or corrupt" if folder.is_dir() else "does not exist"
        raise DatasetNotFoundError(
            f"--data.root {root}: {folder} {state}", _CIFAR_HOW, _OFFLINE
        ) from err
    return train.data.transpose(0, 3, 1, 2), test.data.transpose(0, 3, 1, 2)


class ImageSequenceDataModule(AppDataModule[ImageSequences]):
    """Train/val/test loaders of ``Tensor[B, C, L]`` int64 8-bit raster sequences.

    Args:
        dataset: ``"digits"`` (1×28×28, 8-bit grey) or ``"cifar10"`` (3×32×32).
        root: ``digits``: optional folder with torchvision's MNIST (``root/MNIST/raw``);
            ``cifar10``: the folder holding ``cifar-10-batches-py`` (required).
        val_size: training images held out for validation (the paper: 2,000).
        test_size: bundled digits only: images held out for the test split.
        train_size: optional cap on the training images (smoke runs); None: all.
        batch_size: images per batch (per process under DDP).
        seed: seeds the splits and the shuffling.
        num_workers: loader worker processes.
    """

    def __init__(
        self,
        dataset: ImageName = "digits",
        root: str | None = None,
        val_size: PositiveInt = 2000,
        test_size: PositiveInt = 1000,
        train_size: PositiveInt | None = None,
        batch_size: PositiveInt = 32,
        seed: int = 0,
        num_workers: int = 0,
    ) -> None:
        super().__init__(seed=seed, num_workers=num_workers, batch_size=batch_size)
        self.save_hyperparameters()
        check_choice("dataset", dataset, sorted(IMAGE_SHAPES))
        if dataset == "cifar10":
            if root is None:
                raise DatasetNotFoundError(
                    "--data.dataset cifar10 needs --data.root (no CIFAR-10 folder given)",
                    _CIFAR_HOW,
                    _OFFLINE,
                )
            if not (Path(root) / "cifar-10-batches-py").is_dir():
                raise DatasetNotFoundError(
                    f"--data.root {root}: {Path(root) / 'cifar-10-batches-py'} does not exist",
                    _CIFAR_HOW,
                    _OFFLINE,
                )
        if dataset == "digits" and root is not None and not (Path(root) / "MNIST" / "raw").is_dir():
            raise DatasetNotFoundError(
                f"--data.root {root} has no MNIST/raw folder of torchvision's MNIST",
                "run torchvision.datasets.MNIST(root, download=True) once on a machine with "
                "network and pass that root as --data.root",
                "omit --data.root: the default uses the bundled 5,000 MNIST digits",
            )
        self.shape = IMAGE_SHAPES[dataset]
        self.train_set: ImageSequences | None = None
        self.val_set: ImageSequences | None = None
        self.test_set: ImageSequences | None = None

    def _arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """``(train, test)`` uint8[N, C, H, W] before the validation split."""
        h = self.hparams
        if h.dataset == "cifar10":
            return _cifar10(h.root)
        if h.root is not None:
            train, _ = load_digits(h.root, train=True, source="torchvision")
            test, _ = load_digits(h.root, train=False, source="torchvision")
            return train[:, None], test[:, None]
        images, _ = load_digits(None, source="bundled")
        order = np.random.default_rng(h.seed + 1).permutation(len(images))
        if not h.test_size + h.val_size < len(images):
            raise ValueError(
                f"val_size + test_size should be below the {len(images)} bundled digits, got "
                f"{h.val_size} + {h.test_size}"
            )
        test = images[order[: h.test_size]]
        return images[order[h.test_size :]][:, None], test[:, None]

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is not None:
            return
        h = self.hparams
        train, test = self._arrays()
        if not h.val_size < len(train):
            raise ValueError(f"val_size should be below {len(train)}, got {h.val_size}")
        order = np.random.default_rng(h.seed).permutation(len(train))
        val_idx, train_idx = order[: h.val_size], order[h.val_size :]
        if h.train_size is not None:
            train_idx = train_idx[: h.train_size]
        self.train_set = ImageSequences(train[np.sort(train_idx)])
        self.val_set = ImageSequences(train[np.sort(val_idx)])
        self.test_set = ImageSequences(test)
