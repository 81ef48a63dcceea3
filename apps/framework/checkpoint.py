"""Safe checkpoint I/O: every load is ``weights_only=True`` after a pre-scan; saves are atomic.

``torch.serialization.get_unsafe_globals_in_checkpoint`` lists the pickled globals a file would
import, without running anything; a file naming any global outside torch's weights-only allow
list is refused with :class:`UnsafeCheckpointError` before ``torch.load`` is called, and the load
itself passes ``weights_only=True`` explicitly (so ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` cannot
turn it off). :class:`SafeCheckpointIO` plugs both into the Lightning ``Trainer``, so
``fit/test(ckpt_path=...)`` go through them too.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import torch
from lightning_fabric.plugins.io.torch_io import TorchCheckpointIO

from .atomic import atomic_path
from .errors import UnsafeCheckpointError

__all__ = [
    "CHECKPOINT_NAMES",
    "SafeCheckpointIO",
    "find_checkpoint",
    "load_checkpoint",
    "slim_checkpoint",
    "unsafe_globals",
]

#: What a shipped checkpoint keeps: the weights, the arguments that rebuild the module and its
#: data, and where training stopped (no optimizer, scheduler, loop or callback state).
SLIM_KEYS = (
    "epoch",
    "global_step",
    "pytorch-lightning_version",
    "state_dict",
    "hparams_name",
    "hyper_parameters",
    "datamodule_hparams_name",
    "datamodule_hyper_parameters",
)


def unsafe_globals(path: str | os.PathLike[str]) -> list[str]:
    """The pickled globals in ``path`` that weights-only loading would reject (none run)."""
    found = torch.serialization.get_unsafe_globals_in_checkpoint(str(path))
    allowed = {f"{g.__module__}.{g.__name__}" for g in _allowed_globals()}
    return sorted(g for g in found if g not in allowed)


def _allowed_globals() -> list[Any]:
    return [g for g in torch.serialization.get_safe_globals() if not isinstance(g, tuple)]


def load_checkpoint(path: str | os.PathLike[str], map_location: Any = "cpu") -> dict[str, Any]:
    """Load a checkpoint without ever executing code from it.

    Args:
        path: a ``.ckpt``/``.pt`` file written by ``torch.save``.
        map_location: as ``torch.load``.

    Returns:
        The checkpoint dict.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        UnsafeCheckpointError: the file holds pickled objects beyond tensors and plain containers.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} not found")
    bad = unsafe_globals(path)
    if bad:
        raise UnsafeCheckpointError(path, bad)
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:  # anything the pre-scan could not see
        raise UnsafeCheckpointError(path, [], str(err).splitlines()[0]) from err


def slim_checkpoint(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> Path:
    """Copy the checkpoint ``src`` to ``dst`` with only the keys in ``SLIM_KEYS``.

    The result loads weights-only, evaluates and predicts exactly as ``src`` does (``--test_only``,
    ``predict``), at about a third of the size (no optimizer state); it cannot resume training.
    ``src`` is read through :func:`load_checkpoint` (never executing code) and ``dst`` is written
    atomically.

    Raises:
        FileNotFoundError: ``src`` does not exist.
        UnsafeCheckpointError: ``src`` would run code to load.
        ValueError: ``src`` holds no ``state_dict``.
    """
    ckpt = load_checkpoint(src)
    if not isinstance(ckpt.get("state_dict"), dict):
        raise ValueError(f"src {src} holds no state_dict (expected a Lightning checkpoint)")
    dst = Path(dst)
    with atomic_path(dst) as tmp:
        torch.save({k: ckpt[k] for k in SLIM_KEYS if k in ckpt}, tmp)
    return dst


#: Looked for, in this order, in a folder given as ``--checkpoint`` or ``--test_only``.
CHECKPOINT_NAMES = ("checkpoints/best.ckpt", "checkpoints/last.ckpt", "best.ckpt", "last.ckpt")


def find_checkpoint(path: str | os.PathLike[str]) -> tuple[Path, Path | None]:
    """``(checkpoint file, run folder or None)`` of a run folder or a checkpoint file.

    A folder gives its ``checkpoints/best.ckpt`` if present, else ``checkpoints/last.ckpt`` (then
    ``best.ckpt``/``last.ckpt`` at its top, the layout of a shipped model). The run folder is the
    one holding ``config.yaml``: the folder itself, or the file's folder or the one above.

    Raises:
        FileNotFoundError: nothing there, or a folder without a checkpoint.
    """
    path = Path(path)
    if path.is_dir():
        for name in CHECKPOINT_NAMES:
            if (path / name).is_file():
                ckpt = path / name
                break
        else:
            raise FileNotFoundError(
                f"no checkpoint in {path} (expected a run folder with "
                f"{' or '.join(CHECKPOINT_NAMES)})"
            )
    elif path.is_file():
        ckpt = path
    else:
        raise FileNotFoundError(
            f"checkpoint {path} not found (expected a .ckpt file or a run folder)"
        )
    for folder in (ckpt.parent, ckpt.parent.parent):
        if (folder / "config.yaml").is_file():
            return ckpt, folder
    return ckpt, None


class SafeCheckpointIO(TorchCheckpointIO):
    """Lightning checkpoint I/O with :func:`load_checkpoint` and atomic (temp + rename) saves."""

    def save_checkpoint(
        self, checkpoint: dict[str, Any], path: str | os.PathLike[str], storage_options: Any = None
    ) -> None:
        if storage_options is not None:
            raise TypeError(f"storage_options are not supported, got {storage_options!r}")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            torch.save(checkpoint, f)
            f.flush()
            os.fsync(f.fileno())  # on disk before the rename makes it the checkpoint

    def load_checkpoint(
        self,
        path: str | os.PathLike[str],
        map_location: Any = None,
        weights_only: bool | None = None,
    ) -> dict[str, Any]:
        if weights_only is False:
            raise UnsafeCheckpointError(path, [], "weights_only=False was requested")
        return load_checkpoint(path, map_location=map_location or "cpu")
