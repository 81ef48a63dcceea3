"""Shared parts of every app's ``predict`` command: find a checkpoint, rebuild the trained module
from its run config, write the outputs atomically.

``python -m apps.<app> predict --checkpoint CKPT_OR_RUN_DIR --input X --out DIR`` is parsed by
:func:`predict_main`; the app supplies its extra flags and a function that reads ``X`` (raising
:class:`~apps.framework.errors.InputError` for bad input, before anything is written) and writes
its files into a temporary folder that is renamed to ``DIR`` only when everything succeeded.
"""

from __future__ import annotations

import inspect
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import yaml
from jsonargparse import ArgumentParser, Namespace

from .checkpoint import find_checkpoint, load_checkpoint
from .errors import DatasetNotFoundError, InputError, UnsafeCheckpointError

__all__ = [
    "LoadedModel",
    "atomic_output_dir",
    "load_trained",
    "predict_main",
]


@dataclass
class LoadedModel:
    """A trained module in eval mode, with the run's ``data`` arguments and where it came from."""

    module: torch.nn.Module
    data: dict[str, Any]
    checkpoint: Path
    run_dir: Path | None
    meta: dict[str, Any] = field(default_factory=dict)


def _init_args(cls: type, args: dict[str, Any] | None) -> dict[str, Any]:
    params = inspect.signature(cls).parameters  # the constructor's, without self
    return {k: v for k, v in (args or {}).items() if k in params}


def load_trained(module_cls: type, checkpoint: str | os.PathLike[str]) -> LoadedModel:
    """Rebuild ``module_cls`` with the run's model arguments and load its weights (weights only).

    The arguments come from the run's ``config.yaml`` (``model:``); without one, from the
    checkpoint's ``hyper_parameters``. The weights are loaded strictly, so a checkpoint of a
    different architecture is an error rather than a half-loaded model.

    Raises:
        FileNotFoundError: no checkpoint there.
        UnsafeCheckpointError: the file would run code to load.
        InputError: the checkpoint does not fit the module.
    """
    ckpt_path, run_dir = find_checkpoint(checkpoint)
    ckpt = load_checkpoint(ckpt_path)
    config: dict[str, Any] = {}
    if run_dir is not None:
        config = yaml.safe_load((run_dir / "config.yaml").read_text()) or {}
    model_args = config.get("model") or ckpt.get("hyper_parameters") or {}
    data_args = config.get("data") or ckpt.get("datamodule_hyper_parameters") or {}
    module = module_cls(**_init_args(module_cls, model_args))
    state = ckpt.get("state_dict")
    if not isinstance(state, dict):
        raise InputError(f"{ckpt_path} holds no state_dict", "a Lightning checkpoint of this app")
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as err:
        first = str(err).splitlines()[1:2] or [str(err)]
        raise InputError(
            f"the weights in {ckpt_path} do not fit a {module_cls.__name__} built with "
            f"{model_args} ({first[0].strip()})",
            "a checkpoint of this app with the config.yaml of its run beside it",
        ) from err
    module.eval()
    meta = {k: ckpt[k] for k in ("epoch", "global_step") if isinstance(ckpt.get(k), int)}
    return LoadedModel(module, dict(data_args), ckpt_path, run_dir, meta)


@contextmanager
def atomic_output_dir(out: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary folder beside ``out``; rename it to ``out`` when the block succeeds.

    ``out`` must not exist (or be an empty folder); on any error the temporary folder is removed,
    so ``out`` is either complete or absent.
    """
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(f"--out {out} already exists", "a new (or empty) folder for the outputs")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp"))
    try:
        yield tmp
        if out.is_dir():
            out.rmdir()
        os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def predict_main(
    app: str,
    module_cls: type,
    argv: list[str],
    *,
    add_arguments: Callable[[ArgumentParser], None],
    predict: Callable[[LoadedModel, Namespace, Path], list[Path]],
    description: str,
    pretrained: Path | None = None,
) -> int:
    """The ``python -m apps.<app> predict`` command; returns the exit status (2: bad input).

    Args:
        app: the app's package name (``apps/<app>/pretrained/`` is the default checkpoint).
        module_cls: the app's module class.
        argv: the arguments after ``predict``.
        add_arguments: adds the app's own flags to the parser.
        predict: reads ``cfg.input`` (raising :class:`InputError` before writing anything) and
            writes the outputs into the folder it is given; returns the written paths.
        description: the command's ``--help`` text.
        pretrained: the default ``--checkpoint`` (``apps/<app>/pretrained/``).
    """
    pretrained = pretrained or Path(__file__).resolve().parents[1] / app / "pretrained"
    parser = ArgumentParser(prog=f"python -m apps.{app} predict", description=description)
    parser.add_argument(
        "--checkpoint",
        type=str | None,
        default=None,
        help=f"a run folder or .ckpt file (default: the shipped model, apps/{app}/pretrained/)",
    )
    parser.add_argument("--input", type=str, required=True, help="what to predict on")
    parser.add_argument("--out", type=str, required=True, help="new folder for the outputs")
    parser.add_argument("--device", type=str, default="cpu", help="torch device, e.g. cuda")
    add_arguments(parser)
    try:
        cfg = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    checkpoint = cfg.checkpoint
    try:
        if checkpoint is None:
            if not pretrained.is_dir():
                raise InputError(
                    f"no --checkpoint given and no pretrained model at {pretrained} yet",
                    f"--checkpoint RUN_DIR, a run folder of python -m apps.{app} "
                    f"(runs/{app}/<timestamp>) or one of its .ckpt files",
                )
            checkpoint = str(pretrained)
        loaded = load_trained(module_cls, checkpoint)
        loaded.module.to(torch.device(cfg.device))
        with atomic_output_dir(cfg.out) as tmp:
            written = predict(loaded, cfg, tmp)
    except (InputError, UnsafeCheckpointError, DatasetNotFoundError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    counts: dict[str, int] = {}
    for p in written:
        top = Path(p).relative_to(tmp).parts
        key = top[0] + ("/" if len(top) > 1 else "")
        counts[key] = counts.get(key, 0) + 1
    print(f"checkpoint: {loaded.checkpoint}")
    print(f"wrote {len(written)} files to {cfg.out}/:")
    for key, n in counts.items():
        print(f"  {key} ({n} files)" if key.endswith("/") else f"  {key}")
    return 0
