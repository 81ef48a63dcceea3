"""The app framework: one command line, run folder, resume and safety for every app.

An app is an :class:`AppModule` (LightningModule), an :class:`AppDataModule` and YAML presets in
``apps/<app>/configs/``; ``apps/<app>/__main__.py`` calls :func:`main`.
"""

from .callbacks import LastBatchResumeGuard, RNGStateCallback
from .checkpoint import SafeCheckpointIO, find_checkpoint, load_checkpoint, unsafe_globals
from .cli import AppCLI, main
from .data import AppDataModule, UnpaddedShardSampler
from .errors import DatasetNotFoundError, InputError, UnsafeCheckpointError
from .figures import metrics_csv_of, plot_metric_curves, save_figure
from .module import AppModule

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
    "find_checkpoint",
    "load_checkpoint",
    "main",
    "metrics_csv_of",
    "plot_metric_curves",
    "save_figure",
    "unsafe_globals",
]
