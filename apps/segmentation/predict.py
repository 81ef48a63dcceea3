"""``python -m apps.segmentation predict``: lesion masks for image files of your own.

``--input`` is an image file or a folder of them (PNG, JPEG, BMP, TIFF, WebP). Each image is read
as RGB (grey replicated, alpha dropped), resized to the size the model was trained at (the run's
``data.size``, bilinear with antialiasing on 8-bit pixels, as the data module does), segmented,
and the lesion probability is resized back to the image's own size and thresholded at the
model's ``threshold``. Outputs (a temporary folder renamed to ``--out`` at the end):
``masks/<name>.png`` (0/255, the image's size), ``overlays/<name>.png`` (the mask in red over the
image, its boundary in yellow) and ``predictions.json`` (per image: size, lesion fraction).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch
from jsonargparse import Namespace
from PIL import Image, UnidentifiedImageError
from torch.nn import functional as F

from apps.framework import InputError, write_json_atomic
from apps.framework.predict import LoadedModel, predict_main

from .figures import boundary
from .module import SegmentationModule

#: The default ``--checkpoint``: the model shipped with the repository (when it is).
PRETRAINED = Path(__file__).resolve().parent / "pretrained"

__all__ = ["IMAGE_SUFFIXES", "PRETRAINED", "main", "read_images"]

#: Image files read from a folder given as ``--input``.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
_EXPECTED = f"an image file or a folder of images ({', '.join(IMAGE_SUFFIXES)})"


def read_images(path: str | Path) -> list[tuple[str, np.ndarray]]:
    """``[(name, uint8[H, W, 3])]`` of an image file or of a folder's images (sorted by name).

    Raises:
        InputError: missing path, folder without images, unreadable image.
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise InputError(f"--input {path} is a folder without images", _EXPECTED)
    elif path.is_file():
        files = [path]
    else:
        raise InputError(f"--input {path} does not exist", _EXPECTED)
    out, seen = [], set()
    for f in files:
        try:
            with Image.open(f) as img:
                rgb = np.asarray(img.convert("RGB"))
        except (UnidentifiedImageError, OSError, ValueError) as err:
            raise InputError(
                f"--input {f} could not be read as an image ({err})", _EXPECTED
            ) from err
        name = f.stem if f.stem not in seen else f"{f.stem}_{f.suffix.lstrip('.')}"
        seen.add(name)
        out.append((name, rgb))
    return out


def overlay(image: np.ndarray, mask: np.ndarray, alpha: float = 0.45) -> np.ndarray:
    """``uint8[H, W, 3]`` with ``mask`` (``bool[H, W]``) blended in red, its boundary yellow."""
    out = image.astype(np.float32)
    out[mask] = (1 - alpha) * out[mask] + alpha * np.array([255.0, 0.0, 0.0])
    out[boundary(mask)] = (255.0, 230.0, 0.0)
    return out.round().astype(np.uint8)


def predict_images(loaded: LoadedModel, cfg: Namespace, out: Path) -> list[Path]:
    """Segment every image of ``cfg.input`` and write masks, overlays and predictions.json."""
    from torchvision.transforms.v2 import functional as TF

    module: Any = loaded.module
    size = [int(s) for s in loaded.data.get("size", [64, 64])]
    threshold = float(module.hparams.threshold)
    images = read_images(cfg.input)  # every image read (or refused) before anything is written
    device = next(module.parameters()).device
    written: list[Path] = []
    records = []
    for name, rgb in images:
        h, w = rgb.shape[:2]
        x = TF.resize(torch.from_numpy(rgb.copy()).permute(2, 0, 1), size, antialias=True)
        with torch.no_grad():
            prob = torch.sigmoid(module(x.float().div(255.0)[None].to(device))).float().cpu()
        prob = F.interpolate(prob, size=(h, w), mode="bilinear", align_corners=False)[0, 0]
        mask = (prob > threshold).numpy()
        for sub, arr in (
            ("masks", (mask * 255).astype(np.uint8)),
            ("overlays", overlay(rgb, mask)),
        ):
            (out / sub).mkdir(exist_ok=True)
            Image.fromarray(arr).save(out / sub / f"{name}.png")
            written.append(out / sub / f"{name}.png")
        records.append({"name": name, "size": [h, w], "lesion_fraction": float(mask.mean())})
    info = {
        "input": str(cfg.input),
        "checkpoint": str(loaded.checkpoint),
        "model_input_size": size,
        "threshold": threshold,
        "images": records,
    }
    write_json_atomic(out / "predictions.json", info)
    return [*written, out / "predictions.json"]


def main(argv: list[str] | None = None) -> int:
    """``python -m apps.segmentation predict ...``; returns the exit status (2: bad input)."""
    return predict_main(
        "segmentation",
        SegmentationModule,
        list(sys.argv[2:] if argv is None else argv),
        add_arguments=lambda parser: None,
        predict=predict_images,
        pretrained=PRETRAINED,
        description="Segment lesions in image files with a trained segmentation model; writes "
        "mask PNGs, overlays and predictions.json.",
    )
