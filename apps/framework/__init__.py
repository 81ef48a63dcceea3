"""The app framework: one command line, run folder, resume and safety for every app.

An app is an :class:`AppModule` (LightningModule), an :class:`AppDataModule` and YAML presets in
``apps/<app>/configs/``; ``apps/<app>/__main__.py`` calls :func:`main`.

The helpers that need neither torch nor Lightning — argv pre-parsing (:mod:`.argv`), the atomic
writers (:mod:`.atomic`), argument checks (:mod:`.checks`), the errors, :func:`eval_mode`, the
run folder (:mod:`.run_dir`) and the console table (:mod:`.table`) — are imported at once; the
Lightning parts on first use, so ``apps.reproduce`` and ``apps.benchmark`` stay quick to start.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .argv import config_first, flag_value, pop_flag, switch_value, without_flag
from .atomic import atomic_path, write_json_atomic, write_text_atomic
from .checks import check_choice, check_int
from .errors import DatasetNotFoundError, InputError, UnsafeCheckpointError
from .modes import eval_mode
from .run_dir import make_run_dir
from .table import format_table, metrics_table

if TYPE_CHECKING:
    from .callbacks import LastBatchResumeGuard, RNGStateCallback
    from .checkpoint import SafeCheckpointIO, find_checkpoint, load_checkpoint, unsafe_globals
    from .cli import AppCLI, main
    from .data import AppDataModule, UnpaddedShardSampler
    from .figures import metrics_csv_of, plot_metric_curves, save_figure
    from .module import AppModule

#: The Lightning/torch/matplotlib parts: name -> submodule, imported on first access.
_LAZY = {
    "LastBatchResumeGuard": "callbacks",
    "RNGStateCallback": "callbacks",
    "SafeCheckpointIO": "checkpoint",
    "find_checkpoint": "checkpoint",
    "load_checkpoint": "checkpoint",
    "unsafe_globals": "checkpoint",
    "AppCLI": "cli",
    "main": "cli",
    "AppDataModule": "data",
    "UnpaddedShardSampler": "data",
    "metrics_csv_of": "figures",
    "plot_metric_curves": "figures",
    "save_figure": "figures",
    "AppModule": "module",
}


def __getattr__(name: str) -> Any:
    submodule = _LAZY.get(name)
    if submodule is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{submodule}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "AppCLI",
    "AppDataModule",
    "AppModule",
    "DatasetNotFoundError",
    "InputError",
    "LastBatchResumeGuard",
    "RNGStateCallback",
    "SafeCheckpointIO",
    "UnpaddedShardSampler",
    "UnsafeCheckpointError",
    "atomic_path",
    "check_choice",
    "check_int",
    "config_first",
    "eval_mode",
    "find_checkpoint",
    "flag_value",
    "format_table",
    "load_checkpoint",
    "main",
    "make_run_dir",
    "metrics_csv_of",
    "metrics_table",
    "plot_metric_curves",
    "pop_flag",
    "save_figure",
    "switch_value",
    "unsafe_globals",
    "without_flag",
    "write_json_atomic",
    "write_text_atomic",
]
