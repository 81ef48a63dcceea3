"""AppDataModule: data-module-owned generators and resumable, DDP-exact loaders.

Every loader is a torchdata ``StatefulDataLoader``; its position inside an epoch is saved by
Lightning in the loop state. The shuffling order comes from a ``torch.Generator`` owned by the
data module (the sampler's) and a second one for the loader (worker seeds), both saved in
:meth:`AppDataModule.state_dict`; Lightning restores a data module before it builds the loaders,
so a resumed run sees the same order as an uninterrupted one.

Under DDP the module shards the data itself (the framework's ``Trainer`` has
``use_distributed_sampler=False``): training uses ``DistributedSampler`` (shuffled by epoch,
padded to equal shares, which only repeats a few training samples), evaluation uses
:class:`UnpaddedShardSampler` — rank ``r`` of ``W`` gets indices ``r, r + W, ...``, every sample
exactly once, so test metrics accumulated in torchmetrics states and summed over ranks are exact.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Sized
from typing import Any, Generic, TypeVar

import pytorch_lightning as pl
import torch
from torch.utils.data import Dataset, DistributedSampler, Sampler, SequentialSampler
from torchdata.stateful_dataloader import StatefulDataLoader
from torchdata.stateful_dataloader.sampler import RandomSampler

from .checks import check_int

__all__ = ["AppDataModule", "UnpaddedShardSampler"]

#: The dataset type of a data module's splits (``AppDataModule[TensorDataset]``).
DatasetT = TypeVar("DatasetT", bound=Dataset)


class UnpaddedShardSampler(Sampler[int]):
    """Indices ``rank, rank + num_replicas, ...`` of ``range(length)``: no padding, no overlap."""

    def __init__(self, length: int, num_replicas: int, rank: int) -> None:
        if num_replicas < 1 or not 0 <= rank < num_replicas:
            raise ValueError(f"rank should be in [0, {num_replicas}), got {rank}")
        self.length, self.num_replicas, self.rank = length, num_replicas, rank

    def __iter__(self) -> Iterator[int]:
        return iter(range(self.rank, self.length, self.num_replicas))

    def __len__(self) -> int:
        return len(range(self.rank, self.length, self.num_replicas))


class AppDataModule(pl.LightningDataModule, Generic[DatasetT]):
    """Base class of every app's data module; ``AppDataModule[D]`` when its splits are ``D``.

    Args:
        seed: seeds the data (generated datasets) and, with the run's global seed, the shuffling.
        num_workers: loader worker processes (0: load in the main process).
        batch_size: the batch size of the three loaders (per process under DDP); ``None`` for a
            data module that builds its loaders itself with :meth:`loader`.
    """

    def __init__(self, seed: int = 0, num_workers: int = 0, batch_size: int | None = None) -> None:
        super().__init__()
        self.seed = check_int("seed", seed, minimum=0)
        self.num_workers = check_int("num_workers", num_workers, minimum=0)
        self.batch_size = None if batch_size is None else check_int("batch_size", batch_size)
        #: True under ``--smoke`` (set by the framework after construction).
        self.smoke = False
        global_seed = int(os.environ.get("PL_GLOBAL_SEED", "0"))
        base = seed * 1_000_003 + global_seed
        self._sampler_generator = torch.Generator().manual_seed(base)
        self._loader_generator = torch.Generator().manual_seed(base + 1)

    @property
    def hparams(self) -> Any:
        """The saved constructor arguments, read by name (``self.hparams.root``); typed ``Any``
        because their names are the subclass's."""
        return super().hparams

    def _world(self) -> tuple[int, int]:
        trainer = getattr(self, "trainer", None)
        if trainer is None:
            return 1, 0
        return trainer.world_size, trainer.global_rank

    def loader(
        self, dataset: Dataset, shuffle: bool, batch_size: int, drop_last: bool = False
    ) -> StatefulDataLoader:
        """A resumable loader over ``dataset`` (sharded under DDP; see the module docstring).

        ``dataset`` is map-style with a length (every sampler here needs ``len(dataset)``).
        """
        if not isinstance(dataset, Sized):
            raise TypeError(
                f"dataset should be a map-style Dataset with __len__, got {type(dataset).__name__}"
            )
        world, rank = self._world()
        sampler: Sampler[int]
        if world > 1 and shuffle:
            global_seed = int(os.environ.get("PL_GLOBAL_SEED", "0"))
            sampler = DistributedSampler(
                dataset, world, rank, shuffle=True, seed=self.seed * 1_000_003 + global_seed
            )
        elif world > 1:
            sampler = UnpaddedShardSampler(len(dataset), world, rank)
        elif shuffle:
            sampler = RandomSampler(dataset, generator=self._sampler_generator)
        else:
            sampler = SequentialSampler(dataset)
        with warnings.catch_warnings():
            # torchdata 0.11 calls torch.set_vital, deprecated in torch 2.14 (nothing to act on)
            warnings.filterwarnings("ignore", "'set_vital' is deprecated", UserWarning)
            return StatefulDataLoader(
                dataset,
                batch_size=batch_size,
                sampler=sampler,
                drop_last=drop_last,
                num_workers=self.num_workers,
                generator=self._loader_generator,
                persistent_workers=False,
            )

    #: The split names, in the order of a ``sets`` sequence.
    SPLITS = ("train", "val", "test")

    def split(self, name: str) -> DatasetT:
        """The dataset of split ``name`` (``"train"``, ``"val"``, ``"test"``) after ``setup``.

        Found as ``self.<name>_set``, else as ``self.sets[i]`` (a sequence in ``SPLITS`` order);
        an app that keeps its splits elsewhere overrides this. The three ``*_dataloader``
        methods read it, with ``self.batch_size``.
        """
        if name not in self.SPLITS:
            raise ValueError(f"name should be one of {self.SPLITS}, got {name!r}")
        dataset = getattr(self, f"{name}_set", None)
        sets = getattr(self, "sets", None)
        if dataset is None and sets is not None:
            dataset = sets[self.SPLITS.index(name)]
        if dataset is None:
            raise RuntimeError(f"the {name!r} split is not built yet: call setup() first")
        return dataset

    def split_loader(self, name: str) -> StatefulDataLoader:
        """The loader of split ``name`` in batches of ``batch_size`` (shuffled for ``"train"``)."""
        if self.batch_size is None:
            raise RuntimeError(
                f"{type(self).__name__} gave AppDataModule no batch_size: pass batch_size= to "
                "super().__init__(), or override the *_dataloader methods"
            )
        return self.loader(self.split(name), shuffle=name == "train", batch_size=self.batch_size)

    def train_dataloader(self) -> StatefulDataLoader:
        return self.split_loader("train")

    def val_dataloader(self) -> StatefulDataLoader:
        return self.split_loader("val")

    def test_dataloader(self) -> StatefulDataLoader:
        return self.split_loader("test")

    def state_dict(self) -> dict[str, Any]:
        """The two generators' states (saved in every checkpoint)."""
        return {
            "sampler_generator": self._sampler_generator.get_state(),
            "loader_generator": self._loader_generator.get_state(),
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self._sampler_generator.set_state(state_dict["sampler_generator"])
        self._loader_generator.set_state(state_dict["loader_generator"])
