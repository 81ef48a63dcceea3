"""ISIC-2018 Task 1 (lesion boundary segmentation): the official layout and an offline generator.

Layout: ``root/ISIC2018_Task1-2_Training_Input/ISIC_<id>.jpg`` and
``root/ISIC2018_Task1_Training_GroundTruth/ISIC_<id>_segmentation.png``. Masks are binarised at
``> 127``. Resizing and augmentation are torchvision ``transforms.v2`` applied to the image and
the mask together (``tv_tensors.Mask`` is resized with nearest neighbour). The split is drawn
once by seed and written to ``root/longrange_split.json``, then reused.

[`write_synthetic_isic`][longrange_datasets.write_synthetic_isic] writes procedural lesions in the
same layout: irregular blobs with colour and texture variation, hair-like strokes, vignetting, and
satellite blobs that belong to the lesion only when their tint matches the main lesion's — a label
that depends on context elsewhere in the image.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torch import Tensor
from torch.utils.data import Dataset

from .errors import CorruptDataError, MissingDataError

__all__ = ["INPUT_DIR", "ISIC2018", "MASK_DIR", "write_synthetic_isic"]

INPUT_DIR = "ISIC2018_Task1-2_Training_Input"
MASK_DIR = "ISIC2018_Task1_Training_GroundTruth"
SPLITS = ("train", "val", "test")


def _read_image(path: Path, mode: str, expected: str) -> np.ndarray:
    if not path.is_file():
        raise MissingDataError(path, expected)
    try:
        with Image.open(path) as im:
            return np.asarray(im.convert(mode))
    except (UnidentifiedImageError, OSError, ValueError) as err:
        raise CorruptDataError(path, expected, f"{type(err).__name__}: {err}") from err


def _split_ids(
    ids: list[str], fractions: tuple[float, float, float], seed: int
) -> dict[str, list[str]]:
    order = np.random.default_rng(seed).permutation(len(ids))
    n_val = round(fractions[1] * len(ids))
    n_test = round(fractions[2] * len(ids))
    picked = [ids[i] for i in order]
    return {
        "val": sorted(picked[:n_val]),
        "test": sorted(picked[n_val : n_val + n_test]),
        "train": sorted(picked[n_val + n_test :]),
    }


class ISIC2018(Dataset):
    """item -> ``(image Tensor[3, H, W] float32 in [0, 1], mask Tensor[1, H, W] float32 {0, 1})``.

    Args:
        root: folder with the official layout.
        split: ``"train"``, ``"val"`` or ``"test"`` (drawn from the training images).
        size: ``(H, W)`` to resize to, or ``None`` to keep the originals.
        augment: random flips, 90° rotations and a mild resized crop, applied jointly.
        fractions: train/val/test fractions used when the split file is first written.
        seed: seed of that split.
        split_file: where the split lives (default ``root/longrange_split.json``).
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        split: str = "train",
        size: tuple[int, int] | None = (256, 256),
        augment: bool = False,
        fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
        seed: int = 0,
        split_file: str | os.PathLike[str] | None = None,
    ) -> None:
        if split not in SPLITS:
            raise ValueError(f"split should be one of {SPLITS}, got {split!r}")
        if (
            len(fractions) != 3
            or any(f < 0 for f in fractions)
            or not math.isclose(sum(fractions), 1.0)
        ):
            raise ValueError(
                f"fractions should be three non-negative numbers summing to 1, got {fractions}"
            )
        self.root = Path(root)
        inputs = self.root / INPUT_DIR
        if not inputs.is_dir():
            raise MissingDataError(inputs, "ISIC 2018 Task 1 training images (ISIC_*.jpg)")
        ids = sorted(p.stem for p in inputs.glob("ISIC_*.jpg"))
        if not ids:
            raise MissingDataError(inputs / "ISIC_*.jpg", "at least one ISIC training image")
        path = Path(split_file) if split_file is not None else self.root / "longrange_split.json"
        if path.is_file():
            try:
                splits = json.loads(path.read_text())
                chosen = list(splits[split])
            except (ValueError, KeyError, TypeError) as err:
                raise CorruptDataError(
                    path, "a JSON split file with train/val/test id lists", str(err)
                ) from err
        else:
            splits = _split_ids(ids, fractions, seed)
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_text(json.dumps(splits, indent=1))
            os.replace(tmp, path)
            chosen = splits[split]
        self.ids = chosen
        self.transform = self._transforms(size, augment)

    @staticmethod
    def _transforms(size: tuple[int, int] | None, augment: bool) -> Callable[..., Any] | None:
        from torchvision.transforms import v2

        steps = []
        if size is not None:
            steps.append(v2.Resize(size, antialias=True))
        if augment:
            steps += [v2.RandomHorizontalFlip(), v2.RandomVerticalFlip()]
            if size is not None:
                steps.append(v2.RandomResizedCrop(size, scale=(0.7, 1.0), antialias=True))
        return v2.Compose(steps) if steps else None

    def __len__(self) -> int:
        return len(self.ids)

    def paths(self, index: int) -> tuple[Path, Path]:
        """The image and mask files of item ``index``."""
        name = self.ids[index]
        return (
            self.root / INPUT_DIR / f"{name}.jpg",
            self.root / MASK_DIR / f"{name}_segmentation.png",
        )

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        from torchvision import tv_tensors

        img_path, mask_path = self.paths(index)
        img = _read_image(img_path, "RGB", "an RGB ISIC image (JPEG)")
        mask = _read_image(mask_path, "L", "a grey-level ISIC segmentation mask (PNG)")
        if mask.shape != img.shape[:2]:
            raise CorruptDataError(
                mask_path, f"a mask of the image's size {img.shape[:2]}", f"got {mask.shape}"
            )
        image = tv_tensors.Image(torch.from_numpy(img.copy()).permute(2, 0, 1))
        target = tv_tensors.Mask(torch.from_numpy((mask > 127).astype(np.uint8))[None])
        if self.transform is not None:
            image, target = self.transform(image, target)
        return image.float().div_(255.0), target.float()


# --------------------------------------------------------------- synthetic lesions
_TINTS = np.array([[105, 62, 45], [150, 58, 62], [70, 60, 95]], dtype=np.float32)


def _blob(
    h: int, w: int, cy: float, cx: float, radius: float, rng: np.random.Generator
) -> np.ndarray:
    """Signed distance-like field of an irregular blob: > 0 inside."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    theta = np.arctan2(yy - cy, xx - cx)
    r = np.hypot(yy - cy, xx - cx)
    boundary = np.full_like(theta, radius)
    for k in range(2, 7):
        boundary += (
            radius
            * rng.uniform(0, 0.16)
            / math.sqrt(k)
            * np.cos(k * theta + rng.uniform(0, 2 * math.pi))
        )
    return boundary - r


def _smooth_noise(h: int, w: int, rng: np.random.Generator, cells: int = 8) -> np.ndarray:
    coarse = rng.random((cells + 1, cells + 1)).astype(np.float32)
    img = Image.fromarray((coarse * 255).astype(np.uint8)).resize((w, h), Image.Resampling.BICUBIC)
    return np.asarray(img, dtype=np.float32) / 255.0


def _draw_hair(img: np.ndarray, rng: np.random.Generator) -> None:
    h, w, _ = img.shape
    p0, p1, p2 = (rng.random(2) * [h, w] for _ in range(3))
    colour = rng.uniform(20, 60)
    width = rng.integers(1, 3)
    for t in np.linspace(0, 1, 4 * (h + w)):
        y, x = (1 - t) ** 2 * p0 + 2 * (1 - t) * t * p1 + t**2 * p2  # quadratic Bézier
        y0, x0 = int(y), int(x)
        img[
            max(y0 - width // 2, 0) : y0 + width - width // 2,
            max(x0 - width // 2, 0) : x0 + width - width // 2,
        ] = colour


def write_synthetic_isic(
    root: str | os.PathLike[str],
    num_images: int = 40,
    size: tuple[int, int] = (192, 256),
    seed: int = 0,
) -> Path:
    """Write ``num_images`` procedural lesions in the ISIC 2018 Task 1 layout; same seed, same
    files. Returns ``root``."""
    if num_images < 1:
        raise ValueError(f"num_images should be >= 1, got {num_images}")
    h, w = size
    if h < 32 or w < 32:
        raise ValueError(f"size should be at least 32x32, got {size}")
    root = Path(root)
    (root / INPUT_DIR).mkdir(parents=True, exist_ok=True)
    (root / MASK_DIR).mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    vignette = (
        1 - 0.45 * (np.hypot((yy - h / 2) / (h / 2), (xx - w / 2) / (w / 2)) / math.sqrt(2)) ** 2
    )
    for i in range(num_images):
        skin = np.array([225, 175, 150], dtype=np.float32) + rng.normal(0, 12, 3)
        texture = 0.85 + 0.3 * _smooth_noise(h, w, rng, cells=12)
        img = skin[None, None, :] * texture[..., None]
        tint_id = rng.integers(len(_TINTS))
        lesion_tint = _TINTS[tint_id] + rng.normal(0, 8, 3)
        radius = rng.uniform(0.15, 0.3) * min(h, w)
        field = _blob(
            h, w, h / 2 + rng.normal(0, h / 12), w / 2 + rng.normal(0, w / 12), radius, rng
        )
        mask = field > 0
        blobs = [(field, lesion_tint)]
        for _ in range(rng.integers(1, 3)):  # satellites: lesion iff they share its tint
            same = rng.random() < 0.5
            tint = (
                lesion_tint
                if same
                else _TINTS[(tint_id + rng.integers(1, len(_TINTS))) % len(_TINTS)]
                + rng.normal(0, 8, 3)
            )
            for _try in range(20):
                cy, cx = rng.uniform(0.12, 0.88) * h, rng.uniform(0.12, 0.88) * w
                small = _blob(h, w, cy, cx, rng.uniform(0.04, 0.08) * min(h, w), rng)
                if not ((small > -4) & (field > -4)).any():  # keep apart from the lesion
                    break
            blobs.append((small, tint))
            if same:
                mask |= small > 0
        for f, tint in blobs:
            alpha = np.clip(f / 3.0 + 0.5, 0, 1)[..., None]  # soft edge
            mottled = (
                tint[None, None, :] * (0.8 + 0.4 * _smooth_noise(h, w, rng, cells=20))[..., None]
            )
            img = img * (1 - alpha) + mottled * alpha
        img = img * vignette[..., None] + rng.normal(0, 4, img.shape)
        img = np.clip(img, 0, 255).astype(np.uint8)
        for _ in range(rng.integers(0, 6)):
            _draw_hair(img, rng)
        name = f"ISIC_{i:07d}"
        Image.fromarray(img).save(root / INPUT_DIR / f"{name}.jpg", quality=92)
        Image.fromarray(mask.astype(np.uint8) * 255).save(
            root / MASK_DIR / f"{name}_segmentation.png"
        )
    return root
