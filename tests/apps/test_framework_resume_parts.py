"""The pieces of exact resume, in isolation: RNG states, data-module generators, sharding."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from apps.framework import (
    AppDataModule,
    DatasetNotFoundError,
    LastBatchResumeGuard,
    RNGStateCallback,
    UnpaddedShardSampler,
    load_checkpoint,
)
from apps.framework.checkpoint import SafeCheckpointIO


def _draws() -> tuple[float, float, float]:
    return torch.rand(()).item(), float(np.random.rand()), random.random()  # noqa: NPY002


def test_rng_states_survive_a_weights_only_checkpoint(tmp_path):
    torch.manual_seed(1)
    np.random.seed(2)  # noqa: NPY002
    random.seed(3)
    cb = RNGStateCallback()
    path = tmp_path / "rng.ckpt"
    SafeCheckpointIO().save_checkpoint({"rng": cb.state_dict()}, path)
    expected = _draws()
    _draws()  # move every generator on
    cb.load_state_dict(load_checkpoint(path)["rng"])
    assert _draws() == expected


def _order(dm: AppDataModule, n: int = 10) -> list[int]:
    loader = dm.loader(list(range(n)), shuffle=True, batch_size=n)
    return next(iter(loader)).tolist()


def test_data_module_generators_restore_the_shuffling_order():
    dm = AppDataModule(seed=5)
    state = {k: v.clone() for k, v in dm.state_dict().items()}
    first, second = _order(dm), _order(dm)
    assert sorted(first) == list(range(10))
    assert first != second  # each epoch reshuffles
    dm.load_state_dict(state)
    assert _order(dm) == first
    assert _order(dm) == second
    assert _order(AppDataModule(seed=6)) != first


def test_unpadded_shards_cover_every_sample_once():
    for n, world in ((7, 2), (10, 3), (2, 4)):
        shards = [list(UnpaddedShardSampler(n, world, r)) for r in range(world)]
        assert sorted(i for s in shards for i in s) == list(range(n))
        assert [len(UnpaddedShardSampler(n, world, r)) for r in range(world)] == [
            len(s) for s in shards
        ]
    with pytest.raises(ValueError, match="rank should be"):
        UnpaddedShardSampler(4, 2, 2)


def test_last_batch_guard_drops_the_loader_state_only_on_the_last_batch():
    def ckpt(last: bool) -> dict:
        return {
            "loops": {
                "fit_loop": {
                    "state_dict": {"combined_loader": [{"x": 1}]},
                    "epoch_loop.batch_progress": {"is_last_batch": last},
                }
            }
        }

    guard = LastBatchResumeGuard()
    mid, last = ckpt(False), ckpt(True)
    guard.on_load_checkpoint(None, None, mid)
    guard.on_load_checkpoint(None, None, last)
    assert "combined_loader" in mid["loops"]["fit_loop"]["state_dict"]
    assert "combined_loader" not in last["loops"]["fit_loop"]["state_dict"]


def test_dataset_not_found_is_one_paragraph_naming_the_three_things():
    err = DatasetNotFoundError("x.npy does not exist", "download it from A", "omit --data.x")
    text = str(err)
    assert "\n" not in text
    assert text == (
        "Dataset not found: x.npy does not exist. To use the real data, download it from A. "
        "To run without it, omit --data.x."
    )
    assert isinstance(err, FileNotFoundError)
    with pytest.raises(ValueError, match="seed should be a non-negative int"):
        AppDataModule(seed=-1)
