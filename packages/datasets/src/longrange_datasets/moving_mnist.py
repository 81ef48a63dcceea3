"""Moving-MNIST (Srivastava et al. 2015), the video-prediction data of ARMA Nets.

The published recipe: ``num_digits`` digits (28×28) on a 64×64 canvas, each from a random
position with a random direction at constant speed, bouncing off the edges; frames combine the
digits by pixel-wise maximum; 20 frames, split 10 in / 10 out. ``speed`` multiplies the step
(Srivastava's ``0.1 × (canvas − digit)`` ≈ 3.6 px/frame), giving the NeurIPS 1x/2x/3x tables.
[`cached_moving_mnist_splits`][longrange_datasets.cached_moving_mnist_splits] keeps generated
splits in the package's cache (``longrange_datasets.cache``).
"""

from __future__ import annotations

import hashlib
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

from .cache import cached_arrays, make_key
from .errors import CorruptDataError, MissingDataError, load_npz, save_npz_atomic

__all__ = [
    "MovingMNIST",
    "cached_moving_mnist_splits",
    "digit_pools",
    "generate_moving_mnist",
    "load_moving_mnist",
    "make_moving_mnist_splits",
    "read_mnist_test_seq",
    "save_moving_mnist",
]


def digit_pools(
    num: int, seed: int = 0, fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)
) -> dict[str, np.ndarray]:
    """Disjoint index pools ``{"train", "val", "test"}`` over ``num`` digit images."""
    if len(fractions) != 3 or any(f < 0 for f in fractions) or not math.isclose(sum(fractions), 1):
        raise ValueError(
            f"fractions should be three non-negative numbers summing to 1, got {fractions}"
        )
    order = np.random.default_rng(seed).permutation(num)
    n_train = round(fractions[0] * num)
    n_val = round(fractions[1] * num)
    return {
        "train": order[:n_train],
        "val": order[n_train : n_train + n_val],
        "test": order[n_train + n_val :],
    }


def generate_moving_mnist(
    digits: np.ndarray,
    num_sequences: int,
    seed: int = 0,
    num_frames: int = 20,
    canvas: int = 64,
    num_digits: int = 2,
    speed: float = 1.0,
    return_positions: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Videos ``uint8[N, T, canvas, canvas]`` (and optionally positions ``float[N, T, D, 2]``).

    Args:
        digits: the pool to draw from, ``uint8[M, h, w]`` (any square digit size ``h = w``).
        num_sequences: ``N``.
        seed: same seed, same videos.
        num_frames: ``T``.
        canvas: canvas side.
        num_digits: digits per video.
        speed: step multiplier (1, 2, 3 for the NeurIPS tables).
        return_positions: also return each digit's top-left corner per frame (row, col).
    """
    if digits.ndim != 3 or digits.shape[1] != digits.shape[2] or digits.shape[0] < 1:
        raise ValueError(f"digits should be uint8[M, h, h] with M >= 1, got {digits.shape}")
    size = digits.shape[1]
    if canvas < size:
        raise ValueError(f"canvas ({canvas}) should be at least the digit size ({size})")
    for name, v in (
        ("num_sequences", num_sequences),
        ("num_frames", num_frames),
        ("num_digits", num_digits),
    ):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{name} should be a positive int, got {v!r}")
    if not speed > 0:
        raise ValueError(f"speed should be > 0, got {speed}")
    rng = np.random.default_rng(seed)
    limit = canvas - size
    step = 0.1 * limit * speed
    videos = np.zeros((num_sequences, num_frames, canvas, canvas), dtype=np.uint8)
    positions = np.zeros((num_sequences, num_frames, num_digits, 2))
    for n in range(num_sequences):
        for d in range(num_digits):
            img = digits[rng.integers(len(digits))]
            pos = rng.random(2) * limit
            theta = rng.random() * 2 * math.pi
            vel = step * np.array([math.sin(theta), math.cos(theta)])
            for t in range(num_frames):
                positions[n, t, d] = pos
                r, c = (round(p) for p in pos)
                frame = videos[n, t, r : r + size, c : c + size]
                np.maximum(frame, img, out=frame)
                pos = pos + vel
                for axis in range(2):  # bounce: reflect position and velocity at the walls
                    if pos[axis] < 0:
                        pos[axis], vel[axis] = -pos[axis], -vel[axis]
                    elif pos[axis] > limit:
                        pos[axis], vel[axis] = 2 * limit - pos[axis], -vel[axis]
    return (videos, positions) if return_positions else videos


def make_moving_mnist_splits(
    digits: np.ndarray,
    sizes: dict[str, int],
    seed: int = 0,
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
    **kwargs: Any,
) -> dict[str, np.ndarray]:
    """Videos per split, each drawn only from its own disjoint pool of digit images.

    Args:
        digits: ``uint8[M, h, h]`` digit images.
        sizes: number of videos per split, e.g. ``{"train": 8000, "val": 1000, "test": 1000}``.
        seed: seeds the pools and (offset per split) the videos.
        fractions: pool fractions for train/val/test (see
            [`digit_pools`][longrange_datasets.digit_pools]).
        **kwargs: passed to [`generate_moving_mnist`][longrange_datasets.generate_moving_mnist]
            (``speed``, ``num_digits``, ...).

    Returns:
        ``{split: uint8[N_split, T, H, W]}``.
    """
    unknown = set(sizes) - {"train", "val", "test"}
    if unknown:
        raise ValueError(f"sizes should only name train/val/test, got {sorted(unknown)}")
    pools = digit_pools(len(digits), seed, fractions)
    out: dict[str, np.ndarray] = {}
    for offset, (split, n) in enumerate(sorted(sizes.items())):
        pool = digits[pools[split]]
        if len(pool) == 0:
            raise ValueError(f"the {split!r} digit pool is empty; change fractions {fractions}")
        videos = generate_moving_mnist(pool, n, seed=seed * 7 + offset + 1, **kwargs)
        if isinstance(videos, tuple):
            raise ValueError("kwargs: return_positions=True is not supported for splits")
        out[split] = videos
    return out


GENERATOR_VERSION = 1  # bump when the videos generated from the same arguments change


def cached_moving_mnist_splits(
    digits: np.ndarray,
    sizes: dict[str, int],
    seed: int = 0,
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
    cache_dir: str | os.PathLike[str] | None = None,
    **kwargs: Any,
) -> dict[str, np.ndarray]:
    """[`make_moving_mnist_splits`][longrange_datasets.make_moving_mnist_splits], kept in the cache.

    The entry is identified by a hash of ``digits`` (bytes, shape, dtype) and every argument, and
    keyed on the generator's version as well, so other digits, arguments or a changed generator
    give other videos; a damaged entry is regenerated.

    Args:
        digits: ``uint8[M, h, h]`` digit images.
        sizes: number of videos per split.
        seed: as in ``make_moving_mnist_splits``.
        fractions: as in ``make_moving_mnist_splits``.
        cache_dir: the cache directory (default ``$LONGRANGE_CACHE``, else
            ``$XDG_CACHE_HOME/longrange``, else ``~/.cache/longrange``).
        **kwargs: passed to [`generate_moving_mnist`][longrange_datasets.generate_moving_mnist].

    Returns:
        ``{split: uint8[N_split, T, H, W]}``.
    """
    pixels = np.ascontiguousarray(digits)
    digest = hashlib.blake2b(pixels.tobytes(), digest_size=16).hexdigest()
    identity = [digest, list(pixels.shape), str(pixels.dtype), sizes, seed, list(fractions), kwargs]
    names = sorted(sizes)
    return cached_arrays(
        "moving_mnist",
        identity,
        make_key(GENERATOR_VERSION, identity),
        names,
        lambda: make_moving_mnist_splits(digits, sizes, seed, fractions, **kwargs),
        cache_dir=cache_dir,
    )


def save_moving_mnist(path: str | os.PathLike[str], videos: np.ndarray) -> Path:
    """Cache videos as ``.npz`` (``videos``: uint8[N, T, H, W]), written atomically."""
    if videos.dtype != np.uint8 or videos.ndim != 4:
        raise ValueError(f"videos should be uint8[N, T, H, W], got {videos.dtype}{videos.shape}")
    return save_npz_atomic(path, videos=videos)


def load_moving_mnist(path: str | os.PathLike[str]) -> np.ndarray:
    """Read a cache written by [`save_moving_mnist`][longrange_datasets.save_moving_mnist]."""
    expected = "a Moving-MNIST cache (.npz with uint8 'videos' [N, T, H, W])"
    videos = load_npz(path, ("videos",), expected)["videos"]
    if videos.dtype != np.uint8 or videos.ndim != 4:
        raise CorruptDataError(path, expected, f"videos {videos.dtype}{videos.shape}")
    return videos


def read_mnist_test_seq(path: str | os.PathLike[str]) -> np.ndarray:
    """The standard fixed test set ``mnist_test_seq.npy`` ``(20, 10000, 64, 64)`` as
    ``uint8[10000, 20, 64, 64]``."""
    path = Path(path)
    expected = "mnist_test_seq.npy, uint8 (T, N, 64, 64)"
    if not path.is_file():
        raise MissingDataError(path, expected)
    try:
        arr = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as err:
        raise CorruptDataError(path, expected, f"{type(err).__name__}: {err}") from err
    if arr.ndim != 4 or arr.dtype != np.uint8:
        raise CorruptDataError(path, expected, f"got {arr.dtype}{arr.shape}")
    return np.ascontiguousarray(arr.transpose(1, 0, 2, 3))


class MovingMNIST(Dataset):
    """Video prediction pairs: item -> ``(inputs Tensor[T_in, 1, H, W], targets Tensor[T_out, 1,
    H, W])``, float32 in [0, 1].

    Args:
        videos: ``uint8[N, T, H, W]`` (generated, cached or the fixed test file).
        num_input: ``T_in`` (10); the remaining frames are the targets.
    """

    def __init__(self, videos: np.ndarray, num_input: int = 10) -> None:
        if videos.ndim != 4 or videos.dtype != np.uint8:
            raise ValueError(
                f"videos should be uint8[N, T, H, W], got {videos.dtype}{videos.shape}"
            )
        if not 0 < num_input < videos.shape[1]:
            raise ValueError(f"num_input should be in [1, {videos.shape[1] - 1}], got {num_input}")
        self.videos, self.num_input = videos, num_input

    def __len__(self) -> int:
        return len(self.videos)

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        v = torch.from_numpy(self.videos[index]).float().div_(255.0).unsqueeze(1)
        return v[: self.num_input], v[self.num_input :]
