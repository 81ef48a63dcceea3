"""AppModule: the base class of every app's LightningModule (optional framework hooks)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

import pytorch_lightning as pl

__all__ = ["AppModule"]

#: The data module an app's hooks receive (``AppModule[MyDataModule]``).
DataModuleT = TypeVar("DataModuleT", bound=pl.LightningDataModule)


class AppModule(pl.LightningModule, Generic[DataModuleT]):
    """Base class of every app's model; ``AppModule[D]`` when its hooks receive data module ``D``.

    Subclasses implement ``training_step``/``validation_step``/``test_step``/
    ``configure_optimizers`` as usual and log test metrics as ``test_<name>`` (they land in
    ``summary.json``). For metrics that are exact under DDP, accumulate them in torchmetrics
    states (summed over ranks at ``compute()``) and log the computed values; the framework's test
    loaders give every sample to exactly one rank. A plain tensor logged with ``sync_dist=True`` is
    the mean of the ranks' means.

    Class attributes:
        monitor: a logged metric (e.g. ``"val_loss"``) to keep the best checkpoint by; the test
            then runs on that checkpoint (the papers' model selection). ``None``: the last weights.
        monitor_mode: ``"min"`` or ``"max"``.

    Optional hooks, called on rank 0 after ``trainer.test``:
        ``baselines(datamodule) -> dict[str, float]``: trivial baselines on the test set.
        ``figures(datamodule, out_dir) -> list[Path]``: figures written under ``RUN/figures``.
        ``summary_extras() -> dict``: more JSON-safe entries for ``summary.json``.
    """

    monitor: ClassVar[str | None] = None
    monitor_mode: ClassVar[str] = "min"

    @property
    def hparams(self) -> Any:
        """The saved constructor arguments, read by name (``self.hparams.lr``); typed ``Any``
        because their names are the subclass's."""
        return super().hparams

    def learning_rate(self) -> float:
        """The current learning rate of the optimizer's first parameter group (for logging)."""
        optimizer = self.optimizers()
        if isinstance(optimizer, list):
            optimizer = optimizer[0]
        return float(optimizer.param_groups[0]["lr"])

    def baselines(self, datamodule: DataModuleT) -> dict[str, float]:
        """Trivial baselines on the test set (none by default)."""
        return {}

    def figures(self, datamodule: DataModuleT, out_dir: Path) -> list[Path]:
        """Figures of the trained model under ``out_dir`` (none by default)."""
        return []

    def summary_extras(self) -> dict[str, Any]:
        """Extra JSON-safe entries for ``summary.json`` (none by default)."""
        return {}
