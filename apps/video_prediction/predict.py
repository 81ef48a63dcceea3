"""``python -m apps.video_prediction predict``: continue a clip of your own with a trained model.

The clip is a ``.npy`` of shape ``(T, H, W)`` or ``(T, C, H, W)`` (uint8 0–255 or float in
[0, 1]), an animated GIF or a folder of frame images (sorted by file name). Its frames are brought
to what the model was trained on: colour to grey (ITU-R 601 luma, alpha dropped), a non-square
frame padded with black to a square, then resized (bilinear, antialiased) to ``--size`` (64, the
Moving-MNIST canvas). The first ``num_input`` frames from ``--start`` are observed; frames after
them, when the clip has any, are kept as the true future and compared with the prediction.

Outputs (written to a temporary folder renamed to ``--out`` at the end, so ``--out`` is complete
or absent): ``predicted/NNN.png``, ``observed/NNN.png``, ``prediction.npy`` (``(T_out, C, H, W)``
float32), ``observed.npy``, ``prediction.gif`` (observed frames framed green and labelled "obs",
predicted ones red, "pred"), ``prediction_strip.png`` and ``prediction.json``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch
from jsonargparse import ArgumentParser, Namespace
from jsonargparse.typing import NonNegativeInt, PositiveInt
from PIL import Image, ImageDraw, ImageSequence, UnidentifiedImageError
from torch.nn import functional as F

from apps.framework import InputError, write_json_atomic
from apps.framework.predict import LoadedModel, predict_main

from .module import VideoPredictionModule

#: The default ``--checkpoint``: the model shipped with the repository (when it is).
PRETRAINED = Path(__file__).resolve().parent / "pretrained"

__all__ = ["IMAGE_SUFFIXES", "PRETRAINED", "main", "read_clip", "to_model_frames"]

#: Frame image files read from a folder given as ``--input``.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
_EXPECTED = (
    "a .npy array of shape (T, H, W) or (T, C, H, W) with C in 1, 3 or 4 (uint8 0-255 or float "
    "in [0, 1]), an animated GIF, or a folder of frame images"
)
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def _read_image_file(path: Path) -> list[np.ndarray]:
    """All frames of an image file as ``float32[H, W]`` in [0, 1] (grey, alpha dropped)."""
    try:
        with Image.open(path) as img:
            return [
                np.asarray(f.convert("L"), dtype=np.float32) / 255.0
                for f in ImageSequence.Iterator(img)
            ]
    except (UnidentifiedImageError, OSError, ValueError) as err:
        raise InputError(
            f"--input {path} could not be read as an image ({err})", _EXPECTED
        ) from err


def _read_npy(path: Path) -> np.ndarray:
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as err:
        raise InputError(
            f"--input {path} could not be read as a .npy array ({err})", _EXPECTED
        ) from err
    if array.dtype == np.bool_:
        array = array.astype(np.float32)
    elif np.issubdtype(array.dtype, np.integer):
        if array.min(initial=0) < 0 or array.max(initial=0) > 255:
            raise InputError(
                f"--input {path} holds integers outside 0-255 "
                f"(min {array.min()}, max {array.max()})",
                _EXPECTED,
            )
        array = array.astype(np.float32) / 255.0
    elif np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float32)
        if not np.isfinite(array).all() or array.min(initial=0) < 0 or array.max(initial=0) > 1:
            raise InputError(
                f"--input {path} holds floats outside [0, 1] (min {np.nanmin(array):.4g}, "
                f"max {np.nanmax(array):.4g}) or non-finite values",
                _EXPECTED,
            )
    else:
        raise InputError(f"--input {path} has dtype {array.dtype}", _EXPECTED)
    if array.ndim == 3:
        return array[:, None]
    if array.ndim == 4:
        if array.shape[1] not in (1, 3, 4):
            raise InputError(
                f"--input {path} has shape {array.shape}: {array.shape[1]} channels on axis 1",
                "(T, C, H, W) with C = 1 (grey), 3 (RGB) or 4 (RGBA); " + _EXPECTED,
            )
        return array
    raise InputError(f"--input {path} has shape {array.shape} ({array.ndim} axes)", _EXPECTED)


def read_clip(path: str | Path) -> np.ndarray:
    """Read a clip as ``float32[T, C, H, W]`` in [0, 1] (C: 1, 3 or 4 from a ``.npy``, else 1).

    Raises:
        InputError: missing or unreadable file, empty folder, frames of different sizes, wrong
            shape, channel count or value range.
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise InputError(f"--input {path} is a folder without frame images", _EXPECTED)
        frames = [f for p in files for f in _read_image_file(p)[:1]]
        sizes = {f.shape for f in frames}
        if len(sizes) > 1:
            raise InputError(
                f"--input {path} holds frames of different sizes {sorted(sizes)}",
                "a folder of frame images that all have the same size",
            )
        return np.stack(frames)[:, None]
    if not path.is_file():
        raise InputError(f"--input {path} does not exist", _EXPECTED)
    if path.suffix.lower() == ".npy":
        return _read_npy(path)
    return np.stack(_read_image_file(path))[:, None]


def to_model_frames(clip: np.ndarray, channels: int, size: int) -> torch.Tensor:
    """``float32[T, C, H, W]`` -> ``Tensor[T, channels, size, size]``: grey/RGB conversion, black
    padding to a square, bilinear antialiased resize."""
    c = clip.shape[1]
    if c == 4:  # RGBA: drop alpha
        clip, c = clip[:, :3], 3
    if channels == 1 and c == 3:
        clip = np.einsum("tchw,c->thw", clip, _LUMA)[:, None]
    elif channels == 3 and c == 1:
        clip = np.repeat(clip, 3, axis=1)
    elif c != channels:
        raise InputError(
            f"--input has {c} channels", f"1, 3 or 4 channels for a {channels}-channel model"
        )
    x = torch.from_numpy(np.ascontiguousarray(clip, dtype=np.float32))
    h, w = x.shape[-2:]
    if h != w:  # pad to a square, centred
        side = max(h, w)
        top, left = (side - h) // 2, (side - w) // 2
        x = F.pad(x, (left, side - w - left, top, side - h - top))
    if x.shape[-1] != size:
        x = F.interpolate(
            x, size=(size, size), mode="bilinear", antialias=True, align_corners=False
        )
    return x.clamp(0.0, 1.0)


# ------------------------------------------------------------------------------ writers
def _png(frame: np.ndarray, path: Path) -> None:
    """``float[C, H, W]`` in [0, 1] -> an 8-bit grey or RGB PNG."""
    img = (np.clip(frame, 0, 1) * 255).round().astype(np.uint8)
    img = img[0] if img.shape[0] == 1 else img.transpose(1, 2, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(img).save(path)


def _gif_frame(
    frame: np.ndarray, label: str, colour: tuple[int, int, int], scale: int
) -> Image.Image:
    img = (np.clip(frame, 0, 1) * 255).round().astype(np.uint8)
    img = np.repeat(img, 3, axis=0) if img.shape[0] == 1 else img
    pic = Image.fromarray(img.transpose(1, 2, 0)).resize(
        (img.shape[2] * scale, img.shape[1] * scale), Image.Resampling.NEAREST
    )
    border, bar = 3, 14
    canvas = Image.new("RGB", (pic.width + 2 * border, pic.height + 2 * border + bar), colour)
    canvas.paste(pic, (border, border + bar))
    ImageDraw.Draw(canvas).text((border + 2, 1), label, fill=(255, 255, 255))
    return canvas


def write_gif(observed: np.ndarray, predicted: np.ndarray, path: Path, first: int = 1) -> Path:
    """Observed (green frame, "obs t=k") then predicted (red frame, "pred t=k") frames, 3x size."""
    scale = max(1, 192 // max(observed.shape[-2:]))
    frames = [
        _gif_frame(f, f"obs t={first + i}", (0, 140, 0), scale) for i, f in enumerate(observed)
    ]
    start = first + len(observed)
    frames += [
        _gif_frame(f, f"pred t={start + i}", (200, 0, 0), scale) for i, f in enumerate(predicted)
    ]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=300, loop=0)
    return path


def write_strip(
    observed: np.ndarray, predicted: np.ndarray, truth: np.ndarray | None, path: Path, title: str
) -> Path:
    """Rows: observed frames, true future (when known), predicted frames (``[T, C, H, W]``)."""
    import matplotlib.pyplot as plt

    from apps.framework import save_figure

    rows = [("observed", observed, 1)]
    first = len(observed) + 1
    if truth is not None and len(truth):
        rows.append(("true future", truth, first))
    rows.append(("predicted", predicted, first))
    cols = max(len(r[1]) for r in rows)
    fig, axes = plt.subplots(
        len(rows), cols, figsize=(cols * 0.9, len(rows) * 1.05 + 0.3), squeeze=False
    )
    for r, (label, frames, start) in enumerate(rows):
        for c in range(cols):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            if c < len(frames):
                img = frames[c][0] if frames[c].shape[0] == 1 else frames[c].transpose(1, 2, 0)
                ax.imshow(np.clip(img, 0, 1), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
                ax.set_title(f"t={start + c}", fontsize=6, pad=2)
            else:
                ax.axis("off")
            if c == 0:
                ax.set_ylabel(label, fontsize=7)
    fig.suptitle(title, fontsize=8)
    fig.subplots_adjust(wspace=0.05, hspace=0.3)
    return save_figure(fig, path)


# ------------------------------------------------------------------------------ command
def _add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument(
        "--start", type=NonNegativeInt, default=0, help="index of the first observed frame"
    )
    parser.add_argument(
        "--future",
        type=PositiveInt | None,
        default=None,
        help="frames to predict (default: the model's, 10)",
    )
    parser.add_argument(
        "--size", type=PositiveInt, default=64, help="frame side the clip is resized to"
    )


def predict_clip(loaded: LoadedModel, cfg: Namespace, out: Path) -> list[Path]:
    """Read ``cfg.input``, predict, write the outputs under ``out`` (see the module docstring)."""
    module: Any = loaded.module
    t_in = int(loaded.data.get("num_input", 10))
    future = cfg.future or int(module.hparams.future)
    net = module.model
    if cfg.size % net.patch_size:
        raise InputError(
            f"--size {cfg.size} is not divisible by the model's patch_size {net.patch_size}",
            f"a multiple of {net.patch_size}",
        )
    clip = read_clip(cfg.input)
    if clip.shape[0] < cfg.start + t_in:
        raise InputError(
            f"--input {cfg.input} has {clip.shape[0]} frames, too few for {t_in} observed frames "
            f"from --start {cfg.start}",
            f"at least {cfg.start + t_in} frames (the model observes num_input = {t_in})",
        )
    frames = to_model_frames(clip, net.in_channels, cfg.size)
    observed = frames[cfg.start : cfg.start + t_in]
    truth = frames[cfg.start + t_in : cfg.start + t_in + future]
    device = next(module.parameters()).device
    with torch.no_grad():
        pred = net(observed[None].to(device), future)[0].clamp(0, 1).float().cpu()
    obs_np, pred_np, truth_np = observed.numpy(), pred.numpy(), truth.numpy()
    written: list[Path] = []
    for name, arr in (("observed", obs_np), ("predicted", pred_np)):
        for i, f in enumerate(arr):
            _png(f, out / name / f"{i:03d}.png")
            written.append(out / name / f"{i:03d}.png")
        np.save(out / f"{'prediction' if name == 'predicted' else name}.npy", arr)
        written.append(out / f"{'prediction' if name == 'predicted' else name}.npy")
    written.append(write_gif(obs_np, pred_np, out / "prediction.gif"))
    ckpt = loaded.checkpoint
    source = f"{ckpt.parent.parent.name}/{ckpt.parent.name}/{ckpt.name}"
    title = f"{Path(cfg.input).name}: {t_in} observed, {future} predicted ({source})"
    written.append(write_strip(obs_np, pred_np, truth_np, out / "prediction_strip.png", title))
    info: dict[str, Any] = {
        "input": str(cfg.input),
        "input_shape": list(clip.shape),
        "checkpoint": str(loaded.checkpoint),
        "frame_size": [cfg.size, cfg.size],
        "start": cfg.start,
        "observed": t_in,
        "predicted": future,
    }
    if len(truth_np):
        k = len(truth_np)
        info["true_future_frames"] = k
        info["mse_per_frame"] = ((pred_np[:k] - truth_np) ** 2).mean(axis=(1, 2, 3)).tolist()
        info["copy_last_frame_mse_per_frame"] = (
            ((obs_np[-1:] - truth_np) ** 2).mean(axis=(1, 2, 3)).tolist()
        )
    write_json_atomic(out / "prediction.json", info)
    written.append(out / "prediction.json")
    return written


def main(argv: list[str] | None = None) -> int:
    """``python -m apps.video_prediction predict ...``; returns the exit status (2: bad input)."""
    return predict_main(
        "video_prediction",
        VideoPredictionModule,
        list(sys.argv[2:] if argv is None else argv),
        add_arguments=_add_arguments,
        predict=predict_clip,
        pretrained=PRETRAINED,
        description="Predict the continuation of a clip (.npy, GIF or folder of frames) with a "
        "trained video-prediction model; writes PNGs, a GIF, a .npy and a strip figure.",
    )
