"""ISIC-2018 lesion segmentation data: the real folder when given, a generated one by default.

With ``root=None`` the data module writes procedural lesions
(:func:`longrange_datasets.write_synthetic_isic`) in the official ISIC-2018 Task 1 layout under
``cache_dir`` once (same arguments, same files; rank 0 only, written to a temporary folder and
renamed, so an interrupted write is never reused) and reads them with
:class:`longrange_datasets.ISIC2018`, exactly as it reads the real data.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from apps.framework import AppDataModule, DatasetNotFoundError, check_int
from longrange_datasets import INPUT_DIR, ISIC2018, MASK_DIR, write_synthetic_isic
from longrange_datasets.errors import CorruptDataError, MissingDataError

__all__ = ["ISICDataModule", "generated_isic_root"]

_HOW_TO_GET = (
    "download 'ISIC2018_Task1-2_Training_Input.zip' and "
    "'ISIC2018_Task1_Training_GroundTruth.zip' from https://challenge.isic-archive.com/data/#2018 "
    f"and unzip both into one folder, so that it holds {INPUT_DIR}/ISIC_*.jpg and "
    f"{MASK_DIR}/ISIC_*_segmentation.png; then pass --data.root FOLDER"
)
_OFFLINE = "run without --data.root to use the generated ISIC-layout lesions (the default)"


def generated_isic_root(
    cache_dir: str | os.PathLike[str], num_images: int, size: tuple[int, int] | list[int], seed: int
) -> Path:
    """Folder of the generated data for these arguments (written by :meth:`prepare_data`)."""
    h, w = size
    return Path(cache_dir) / f"isic_synthetic_n{num_images}_{h}x{w}_s{seed}"


class ISICDataModule(AppDataModule):
    """Train/val/test loaders of ``(image (N, 3, H, W) in [0, 1], mask (N, 1, H, W) in {0, 1})``.

    Args:
        root: a folder in the official ISIC-2018 Task 1 layout; ``None`` generates one.
        size: ``[H, W]`` the images and masks are resized to (divisible by ``2**depth`` of the
            U-Net).
        batch_size: training batch size (evaluation uses the same).
        augment: random flips and a mild resized crop of the training images (jointly with the
            masks).
        fractions: train/val/test fractions of the split drawn once per folder
            (``root/longrange_split.json``, or under ``cache_dir`` for a read-only ``root``).
        num_images: images generated when ``root`` is ``None``.
        generated_size: ``[H, W]`` of the generated images (before resizing to ``size``).
        cache_dir: where the generated folder is written.
        seed: seed of the loaders' shuffling and of the generated data and split.
        num_workers: loader worker processes (0: load in the main process).
    """

    def __init__(
        self,
        root: str | None = None,
        size: list[int] = [64, 64],  # noqa: B006 - jsonargparse needs a plain default
        batch_size: int = 8,
        augment: bool = True,
        fractions: list[float] = [0.7, 0.1, 0.2],  # noqa: B006
        num_images: int = 120,
        generated_size: list[int] = [96, 128],  # noqa: B006
        cache_dir: str = "runs/_data",
        seed: int = 0,
        num_workers: int = 0,
    ) -> None:
        super().__init__(seed=seed, num_workers=num_workers, batch_size=batch_size)
        if len(size) != 2 or any(int(s) < 8 for s in size):
            raise ValueError(f"size should be [H, W] with both >= 8, got {size}")
        if len(fractions) != 3 or any(f < 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-6:
            raise ValueError(f"fractions should be 3 numbers >= 0 summing to 1, got {fractions}")
        check_int("num_images", num_images, minimum=3)
        self.save_hyperparameters()
        self.root = root
        self.size = (int(size[0]), int(size[1]))
        self.augment = augment
        self.fractions = (float(fractions[0]), float(fractions[1]), float(fractions[2]))
        self.num_images = num_images
        self.generated_size = (int(generated_size[0]), int(generated_size[1]))
        self.cache_dir = cache_dir
        self.data_seed = seed
        self.train_set: ISIC2018 | None = None
        self.val_set: ISIC2018 | None = None
        self.test_set: ISIC2018 | None = None

    # ---------------------------------------------------------------- where the data lives
    @property
    def data_root(self) -> Path:
        """The ISIC folder read: ``root`` or the generated folder."""
        if self.root is not None:
            return Path(self.root)
        return generated_isic_root(
            self.cache_dir, self.num_images, self.generated_size, self.data_seed
        )

    def _not_found(self, err: Exception) -> DatasetNotFoundError:
        return DatasetNotFoundError(
            f"the ISIC-2018 Task 1 data under {self.data_root} ({err})", _HOW_TO_GET, _OFFLINE
        )

    @property
    def split_file(self) -> Path:
        """Where the train/val/test split is kept: in the data folder, or under ``cache_dir``
        when that folder is read-only."""
        root = self.data_root
        if self.root is None or not root.is_dir() or os.access(root, os.W_OK):
            return root / "longrange_split.json"
        name = "".join(c if c.isalnum() else "_" for c in str(root.resolve()))
        return Path(self.cache_dir) / f"isic_split{name}.json"

    def _dataset(self, split: str, augment: bool) -> ISIC2018:
        try:
            split_file = self.split_file
            split_file.parent.mkdir(parents=True, exist_ok=True)
            return ISIC2018(
                self.data_root,
                split=split,
                size=self.size,
                augment=augment,
                fractions=self.fractions,
                seed=self.data_seed,
                split_file=split_file,
            )
        except (MissingDataError, CorruptDataError) as err:
            raise self._not_found(err) from err

    def prepare_data(self) -> None:
        """Generate the default data once (rank 0); check a given folder; write the split."""
        root = self.data_root
        if self.root is None and not (root / INPUT_DIR).is_dir():
            tmp = root.with_name(root.name + f".tmp{os.getpid()}")
            shutil.rmtree(tmp, ignore_errors=True)
            write_synthetic_isic(
                tmp, num_images=self.num_images, size=self.generated_size, seed=self.data_seed
            )
            try:
                tmp.rename(root)
            except OSError:  # another process finished first: keep its copy
                shutil.rmtree(tmp, ignore_errors=True)
        if self.root is not None:
            for sub, what in ((INPUT_DIR, "ISIC_*.jpg"), (MASK_DIR, "ISIC_*_segmentation.png")):
                if not (root / sub).is_dir():
                    raise self._not_found(MissingDataError(root / sub, f"a folder of {what}"))
        ds = self._dataset("test", augment=False)  # writes the split file once
        if len(ds) == 0:
            raise ValueError(
                f"the test split of {root} is empty; use more images or a larger test fraction "
                f"(fractions={list(self.fractions)})"
            )
        try:
            ds[0]
        except (MissingDataError, CorruptDataError) as err:
            raise self._not_found(err) from err

    def setup(self, stage: str | None = None) -> None:
        if stage in ("fit", None):
            self.train_set = self._dataset("train", augment=self.augment)
            self.val_set = self._dataset("val", augment=False)
        if stage in ("fit", "validate", "test", None):
            self.val_set = self.val_set or self._dataset("val", augment=False)
            self.test_set = self._dataset("test", augment=False)

    # ---------------------------------------------------------------- loaders
