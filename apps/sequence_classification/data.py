"""Sequence-classification data: every task as ``(inputs, lengths, targets)`` batches.

Tasks (``task=``) and their offline defaults:

- ``smnist`` / ``psmnist``: the bundled 5,000 MNIST digits as ``(1, 784)`` pixel sequences,
  standardised with MNIST's mean 0.1307 and std 0.3081 (psMNIST: one fixed permutation of the
  784 positions; ``image_size`` 14, 7 or 4 average-pools the digits first: 196, 49 or 16
  positions), split by ``seed`` into
  ``num_train`` / ``num_val`` / ``num_test``; with ``root`` torchvision's MNIST there (its train
  set minus ``num_val`` held out, and its 10,000 test digits).
- ``scifar10``: torchvision's CIFAR-10 under ``root`` as ``(3, 1024)`` sequences; no offline
  default (a clear [`DatasetNotFoundError`][apps.framework.DatasetNotFoundError]).
- ``listops``: LRA's ``basic_{train,val,test}.tsv`` under ``root``; without it, an offline
  generated set of the same format (``listops_num`` expressions per split, lengths strictly
  between ``listops_min_length`` and ``listops_max_length``) in the datasets package's cache.
  Token ids ``(L,)`` right-padded to ``listops_max_length``; ``lengths`` the real lengths.
- ``ptbxl``: PTB-XL's 100 Hz records under ``root`` (PhysioNet layout); without it a synthetic
  folder of the same layout (``write_synthetic_ptbxl``, ``ptbxl_records`` records) in the cache.
  ``ptbxl_task`` is one of the six label tasks; targets are multi-hot ``(K,)`` floats, except
  ``superdiagnostic``, a multi-class task as in the paper: records with exactly one superclass,
  the class index as target.
- ``copy``: copy memory with delay ``delay`` (inputs and targets int64 ``(delay + 20,)``).
- ``adding``: the adding problem of length ``adding_length`` (inputs ``(L, 2)``, target scalar).
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.nn import functional as F
from torch.utils.data import TensorDataset

from apps.framework import AppDataModule, DatasetNotFoundError, check_choice, check_int
from longrange_datasets import (
    PTBXL,
    VOCAB,
    AddingProblem,
    CopyMemory,
    ListOps,
    load_digits,
    resolve_cache_dir,
    scifar10,
    smnist,
    write_synthetic_ptbxl,
)
from longrange_datasets import TASKS as PTBXL_TASKS
from longrange_datasets.errors import CorruptDataError, MissingDataError

__all__ = ["KINDS", "TASKS", "SequenceDataModule", "task_kind"]

#: Sides of the bundled digits (``image_size``): 28 and its divisors the pooling keeps square.
IMAGE_SIZES: tuple[int, ...] = (28, 14, 7, 4)
#: Valid values of ``task``.
TASKS: tuple[str, ...] = ("smnist", "psmnist", "scifar10", "listops", "ptbxl", "copy", "adding")
#: What the model predicts, per task (``ptbxl`` is multi-class for ``superdiagnostic``).
KINDS: dict[str, str] = {
    "smnist": "multiclass",
    "psmnist": "multiclass",
    "scifar10": "multiclass",
    "listops": "multiclass",
    "ptbxl": "multilabel",
    "copy": "copy",
    "adding": "adding",
}
#: MNIST's pixel mean and std (of [0, 1] pixels): sMNIST/psMNIST inputs are standardised with them.
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
_OFFLINE = "run with --data.task smnist (the bundled digits; the default) and no --data.root"


def task_kind(task: str, ptbxl_task: str = "all") -> str:
    """``"multiclass"``, ``"multilabel"``, ``"copy"`` or ``"adding"``."""
    check_choice("task", task, TASKS)
    if task == "ptbxl" and ptbxl_task == "superdiagnostic":
        return "multiclass"
    return KINDS[task]


def _triples(x: Tensor, lengths: Tensor | None, y: Tensor) -> TensorDataset:
    if lengths is None:
        lengths = torch.full((len(x),), x.shape[-1], dtype=torch.long)
    return TensorDataset(x, lengths, y)


def _stack(ds: CopyMemory | AddingProblem) -> tuple[Tensor, Tensor]:
    xs, ys = zip(*(ds[i] for i in range(len(ds))), strict=True)
    return torch.stack(xs), torch.stack(ys)


class SequenceDataModule(AppDataModule[TensorDataset]):
    """Loaders of ``(inputs, lengths (N,) int64, targets)`` for one task (module docstring).

    Args:
        task: one of ``TASKS``.
        root: folder of the real data (MNIST, CIFAR-10, LRA ListOps TSVs, PTB-XL); ``None``: the
            offline default (none for ``scifar10``).
        download: let torchvision download MNIST/CIFAR-10 into ``root`` (the only network use).
        batch_size: batch size of every loader.
        num_train, num_val, num_test: split sizes (bundled digits; generated memory tasks).
        permutation_seed: seed of psMNIST's fixed permutation.
        image_size: side of the bundled digits (s/psMNIST offline): 28 (784-step sequences), or
            14, 7, 4 (each pixel the mean of a ``28/image_size`` square: 196, 49, 16 steps), for
            models that cannot afford 784 steps on a CPU (e.g. attention, quadratic in length).
        listops_num: generated ListOps expressions per split (offline default).
        listops_min_length, listops_max_length: exclusive length bounds of the generated
            expressions; ``listops_max_length`` is also the padded length (2,000 in LRA).
        ptbxl_task: one of the six PTB-XL label tasks.
        ptbxl_records: records of the synthetic PTB-XL folder (offline default).
        delay: the copy task's ``T`` (sequences of ``T + 20`` steps).
        adding_length: the adding problem's sequence length.
        seed: seed of the splits, generated data and shuffling.
        num_workers: loader worker processes.
    """

    def __init__(
        self,
        task: str = "smnist",
        root: str | None = None,
        download: bool = False,
        batch_size: int = 50,
        num_train: int = 4000,
        num_val: int = 500,
        num_test: int = 500,
        permutation_seed: int = 0,
        image_size: int = 28,
        listops_num: int = 1000,
        listops_min_length: int = 50,
        listops_max_length: int = 400,
        ptbxl_task: str = "superdiagnostic",
        ptbxl_records: int = 300,
        delay: int = 100,
        adding_length: int = 200,
        seed: int = 0,
        num_workers: int = 0,
    ) -> None:
        super().__init__(seed=seed, num_workers=num_workers, batch_size=batch_size)
        check_choice("task", task, TASKS)
        check_choice("ptbxl_task", ptbxl_task, PTBXL_TASKS)
        check_choice("image_size", image_size, IMAGE_SIZES)
        if image_size != 28 and root is not None:
            raise ValueError(
                f"image_size={image_size} is for the bundled digits only (no --data.root), "
                f"got root={root!r}"
            )
        for name, v in (
            ("num_train", num_train),
            ("num_val", num_val),
            ("num_test", num_test),
            ("listops_num", listops_num),
            ("delay", delay),
            ("adding_length", adding_length),
        ):
            check_int(name, v)
        check_int("ptbxl_records", ptbxl_records, minimum=10)  # one record per fold at least
        if not 0 <= listops_min_length < listops_max_length - 1:
            raise ValueError(
                f"listops_min_length should be in [0, listops_max_length - 1), got "
                f"{listops_min_length} with listops_max_length={listops_max_length}"
            )
        if task == "scifar10" and root is None:
            raise DatasetNotFoundError(
                "sCIFAR-10 needs CIFAR-10 and --data.root is not set",
                "pass --data.root DIR holding torchvision's cifar-10-batches-py (add "
                "--data.download true to let torchvision fetch it there)",
                _OFFLINE,
            )
        self.save_hyperparameters()
        self.task = task
        self.sets: list[TensorDataset] | None = None
        #: filled by ``setup``: kind, in_channels, num_tokens, num_classes, seq_len, classes.
        self.spec: dict[str, Any] = {}

    @property
    def kind(self) -> str:
        """What the model predicts (see
        [`task_kind`][apps.sequence_classification.data.task_kind])."""
        return task_kind(self.task, self.hparams.ptbxl_task)

    # ------------------------------------------------------------------ loading, per task
    def _images(self) -> tuple[list[TensorDataset], dict[str, Any]]:
        h = self.hparams
        if self.task == "scifar10":
            splits = [
                scifar10(h.root, s, val_size=h.num_val, seed=h.seed, download=h.download)
                for s in ("train", "val", "test")
            ]
        elif h.root is not None:
            kw = {"permute": self.task == "psmnist", "permutation_seed": h.permutation_seed}
            splits = [
                smnist(h.root, s, val_size=h.num_val, seed=h.seed, download=h.download, **kw)
                for s in ("train", "val", "test")
            ]
        else:
            images, labels = load_digits(None, train=True)
            n = (h.num_train, h.num_val, h.num_test)
            if sum(n) > len(labels):
                raise ValueError(
                    f"num_train + num_val + num_test should be <= {len(labels)} bundled digits, "
                    f"got {' + '.join(map(str, n))}"
                )
            order = np.random.default_rng(h.seed).permutation(len(labels))
            cuts = np.cumsum([0, *n])
            perm = None
            if self.task == "psmnist":
                perm = np.random.default_rng(h.permutation_seed).permutation(h.image_size**2)
            pixels = torch.from_numpy(images.astype(np.float32) / 255.0)[:, None]
            if h.image_size != 28:
                pixels = F.avg_pool2d(pixels, 28 // h.image_size)
            seqs = pixels.flatten(1)[:, None]
            seqs = (seqs - MNIST_MEAN) / MNIST_STD
            if perm is not None:
                seqs = seqs[:, :, torch.from_numpy(perm)]
            y = torch.from_numpy(labels.astype(np.int64))
            return [
                _triples(seqs[order[a:b]], None, y[order[a:b]]) for a, b in itertools.pairwise(cuts)
            ], {"in_channels": 1, "num_classes": 10}
        sets = [_triples(s.seqs, None, s.labels) for s in splits]
        if self.task != "scifar10":  # datasets' smnist is in [0, 1]; scifar10 is standardised
            sets = [
                _triples((x - MNIST_MEAN) / MNIST_STD, n, y)
                for x, n, y in (s.tensors for s in sets)
            ]
        return sets, {"in_channels": sets[0].tensors[0].shape[1], "num_classes": 10}

    def _listops(self) -> tuple[list[TensorDataset], dict[str, Any]]:
        h = self.hparams
        if h.root is not None:
            root, kw = Path(h.root), {}
        else:
            root = (
                resolve_cache_dir()
                / "listops_offline"
                / f"n{h.listops_num}_s{h.seed}_{h.listops_min_length}_{h.listops_max_length}"
            )
            kw = {
                "generate": True,
                "num": h.listops_num,
                "seed": h.seed,
                "min_length": h.listops_min_length,
            }
        sets = []
        for split in ("train", "val", "test"):
            ds = ListOps(root, split, max_length=h.listops_max_length, **kw)
            sets.append(TensorDataset(ds.ids, ds.lengths.clamp(min=1), ds.labels))
        return sets, {"num_tokens": len(VOCAB), "num_classes": 10}

    def _ptbxl(self) -> tuple[list[TensorDataset], dict[str, Any]]:
        h = self.hparams
        if h.root is not None:
            root = Path(h.root)
        else:
            root = resolve_cache_dir() / "ptbxl_synthetic" / f"n{h.ptbxl_records}_s{h.seed}"
            if not (root / "ptbxl_database.csv").is_file():
                write_synthetic_ptbxl(root, num_records=h.ptbxl_records, seed=h.seed)
        sets, classes = [], []
        for split in ("train", "val", "test"):
            ds = PTBXL(root, split, task=h.ptbxl_task, sampling_rate=100)
            x, y, classes = ds.signals, ds.targets, ds.classes
            if self.kind == "multiclass":  # the paper's multi-class superdiagnostic task
                single = y.sum(1) == 1
                x, y = x[single], y[single].argmax(1)
            sets.append(_triples(x, None, y))
        return sets, {"in_channels": 12, "num_classes": len(classes), "classes": list(classes)}

    def _memory(self) -> tuple[list[TensorDataset], dict[str, Any]]:
        h = self.hparams
        sizes = (h.num_train, h.num_val, h.num_test)
        sets = []
        for k, n in enumerate(sizes):  # disjoint seeds per split
            seed = h.seed * 3 + k
            if self.task == "copy":
                ds: CopyMemory | AddingProblem = CopyMemory(h.delay, n, seed)
            else:
                ds = AddingProblem(h.adding_length, n, seed)
            x, y = _stack(ds)
            sets.append(_triples(x, torch.full((n,), x.shape[1], dtype=torch.long), y))
        if self.task == "copy":
            return sets, {"num_tokens": 10, "num_classes": 9}
        return sets, {"in_channels": 2, "num_classes": 1}

    def _load(self) -> tuple[list[TensorDataset], dict[str, Any]]:
        loader = {
            "listops": self._listops,
            "ptbxl": self._ptbxl,
            "copy": self._memory,
            "adding": self._memory,
        }.get(self.task, self._images)
        try:
            return loader()
        except (MissingDataError, CorruptDataError) as err:
            how = {
                "smnist": "pass --data.root DIR with torchvision's MNIST/raw (or --data.download "
                "true), or drop --data.root for the bundled digits",
                "psmnist": "pass --data.root DIR with torchvision's MNIST/raw (or --data.download "
                "true), or drop --data.root for the bundled digits",
                "scifar10": "pass --data.root DIR holding torchvision's cifar-10-batches-py, or "
                "add --data.download true to fetch it there",
                "listops": "download LRA's lra_release (listops-1000/basic_{train,val,test}.tsv) "
                "and pass that folder as --data.root; drop --data.root for generated ListOps",
                "ptbxl": "download PTB-XL from PhysioNet (ptbxl_database.csv, scp_statements.csv, "
                "records100/) and pass its folder as --data.root; drop --data.root for the "
                "synthetic PTB-XL",
            }.get(self.task, "check --data.root")
            raise DatasetNotFoundError(f"{self.task} data ({err})", how, _OFFLINE) from err

    def prepare_data(self) -> None:
        """Generate the offline data or check the real files once (local rank 0)."""
        self._load()

    def setup(self, stage: str | None = None) -> None:
        if self.sets is not None:
            return
        sets, spec = self._load()
        self.sets = sets
        x = sets[0].tensors[0]
        self.spec = {
            "task": self.task,
            "kind": self.kind,
            "in_channels": spec.get("in_channels"),
            "num_tokens": spec.get("num_tokens"),
            "num_classes": spec["num_classes"],
            "seq_len": int(x.shape[1] if x.ndim == 2 or self.task == "adding" else x.shape[-1]),
            "classes": spec.get("classes", []),
        }

    def targets(self, split: str) -> Tensor:
        """Targets of ``"train"``, ``"val"`` or ``"test"`` (no loader, no RNG use)."""
        self.setup()
        return self.split(split).tensors[2]
