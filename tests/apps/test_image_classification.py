"""The image-classification app: --smoke end to end, the stability ablation's smoke, the
non-finite-loss recording (forced NaN batches), the digits data and the majority baseline."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import numpy as np
import pytest
import pytorch_lightning as pl
import torch
from app_command import run_app
from PIL import Image
from torch.utils.data import TensorDataset

from apps.framework import AppDataModule, DatasetNotFoundError
from apps.image_classification.data import ClassificationDataModule
from apps.image_classification.module import ClassificationModule
from longrange_datasets import load_digits

ROOT = Path(__file__).resolve().parents[2]
# pytorch-lightning 2.6.6 calls torch.utils._pytree's deprecated LeafSpec check on torch 2.15 (in
# the in-process Trainer runs below; not our code)
_LEAFSPEC = pytest.mark.filterwarnings("ignore:.*LeafSpec.*:FutureWarning")
# returning None from training_step is Lightning's documented way to skip a batch; it says so
_SKIPPED = pytest.mark.filterwarnings("ignore:`training_step` returned `None`:UserWarning")


def _run_app(*args: str, timeout: int = 500) -> subprocess.CompletedProcess:
    return run_app(*args, timeout=timeout)


def test_smoke_run(tmp_path):
    proc = _run_app("apps.image_classification", "--smoke", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    (path,) = tmp_path.glob("image_classification/*/summary.json")
    summary = json.loads(path.read_text())
    assert 0.0 <= summary["test_acc"] <= 1.0
    assert math.isfinite(summary["test_loss"])
    assert 0.0 < summary["majority_class_acc"] < 1.0
    assert summary["first_nonfinite_step"] is None
    assert summary["diverged"] == 0.0
    assert summary["reparam"] == "stable"
    # the stable map's margin: each factor |Â| >= 1 - |a_l + a_r| >= eps = 0.01, two axes
    assert summary["final_ar_margin"] >= 0.01**2
    assert summary["figures"] == ["figures/learning_curves.png"]
    with Image.open(path.parent / "figures" / "learning_curves.png") as im:
        assert min(im.size) > 100


def test_ablation_smoke(tmp_path):
    proc = _run_app("apps.image_classification.ablation", "--smoke", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    (path,) = tmp_path.glob("image_classification_ablation/*/summary.json")
    summary = json.loads(path.read_text())
    variants = summary["variants"]
    assert set(variants) == {"stable", "icml_eq16", "neurips_eq9", "none"}
    for name, v in variants.items():
        step = v["first_nonfinite_step"]
        assert step is None or (isinstance(step, int) and 0 <= step <= v["steps"]), name
        assert Path(v["run_dir"]).is_dir()
    assert variants["stable"]["first_nonfinite_step"] is None
    with Image.open(path.parent / summary["figure"]) as im:
        assert min(im.size) > 100


class _Batches(AppDataModule):
    """16 random 32x32 one-channel images in batches of 2 (no shuffling); the batches in ``nan``
    hold NaN pixels and the batches in ``drop`` are left out."""

    def __init__(self, nan: tuple[int, ...] = (), drop: tuple[int, ...] = ()) -> None:
        super().__init__(seed=0)
        g = torch.Generator().manual_seed(0)
        x = torch.randn(16, 1, 32, 32, generator=g)
        y = torch.randint(0, 10, (16,), generator=g)
        for b in nan:
            x[2 * b : 2 * b + 2] = float("nan")
        keep = [i for i in range(16) if i // 2 not in drop]
        self.ds = TensorDataset(x[keep], y[keep])
        self.in_channels = 1

    def train_dataloader(self):
        return self.loader(self.ds, shuffle=False, batch_size=2)

    def val_dataloader(self):  # present (no "no val_dataloader" warning), never run
        return self.loader(self.ds, shuffle=False, batch_size=2)


def _fit(layer: str, data: AppDataModule, stop: bool = True, batches: int | None = None):
    pl.seed_everything(0, verbose=False)
    module = ClassificationModule(layer=layer, width=2, stop_on_nonfinite=stop, lr=0.01)
    trainer = pl.Trainer(
        max_epochs=1, logger=False, enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False, limit_val_batches=0, limit_train_batches=batches,
    )  # fmt: skip
    trainer.fit(module, datamodule=data)
    return module


def _assert_same_state(a: ClassificationModule, b: ClassificationModule) -> None:
    sa, sb = a.net.state_dict(), b.net.state_dict()
    for k in sa:
        assert torch.equal(sa[k], sb[k]), k
        if sa[k].is_floating_point():
            assert bool(torch.isfinite(sa[k]).all()), k


@_LEAFSPEC
@_SKIPPED
@pytest.mark.parametrize("layer", ["conv", "arma"])
def test_first_nonfinite_step_stops_cleanly(layer):
    """NaN in batch 3: recorded as step 3 and training stops; the weights and BatchNorm
    statistics equal those of a run that simply stopped after 3 batches. (conv: the loss is
    NaN; arma: the AR solve refuses the NaN input.)"""
    broken = _fit(layer, _Batches(nan=(3,)))
    assert broken.first_nonfinite_step == 3
    assert broken.summary_extras()["first_nonfinite_step"] == 3
    _assert_same_state(broken, _fit(layer, _Batches(), batches=3))


@_LEAFSPEC
@_SKIPPED
def test_nonfinite_batches_skipped_when_continuing():
    """With stop_on_nonfinite=False the NaN batch 1 is skipped and training goes on: the same
    state as training on the data without that batch."""
    skipped = _fit("conv", _Batches(nan=(1,)), stop=False)
    assert skipped.first_nonfinite_step == 1
    _assert_same_state(skipped, _fit("conv", _Batches(drop=(1,)), stop=False))


def test_digits_data_and_majority_baseline():
    dm = ClassificationDataModule(num_train=300, num_val=50, num_test=120, seed=3)
    dm.setup("fit")
    x = dm.sets[0].tensors[0]
    assert x.shape == (300, 1, 32, 32)
    # the 2-pixel zero padding of the 28x28 digits, normalised
    assert torch.allclose(x[:, :, :2], torch.tensor((0 - 0.1307) / 0.3081))
    # the three splits are disjoint draws from the bundled digits: recover them by pixels
    images, labels = load_digits()
    raw = torch.from_numpy(images).float().div(255)
    for split in ("train", "val", "test"):
        xs, ys = dm.sets[("train", "val", "test").index(split)].tensors
        inner = xs[:, 0, 2:30, 2:30] * 0.3081 + 0.1307
        idx = [int((raw - im).abs().flatten(1).sum(1).argmin()) for im in inner[:5]]
        assert [int(labels[i]) for i in idx] == ys[:5].tolist()
    train = dm.labels("train").numpy()
    test = dm.labels("test").numpy()
    majority = np.bincount(train, minlength=10).argmax()
    module = ClassificationModule(width=2)
    got = module.baselines(dm)["majority_class_acc"]
    assert got == pytest.approx(float(np.mean(test == majority)))


def test_bad_arguments_and_missing_cifar(tmp_path):
    with pytest.raises(ValueError, match="reparam should be one of"):
        ClassificationModule(reparam="nope")
    with pytest.raises(ValueError, match="root should be a folder for CIFAR-10"):
        ClassificationDataModule(dataset="cifar10")
    dm = ClassificationDataModule(dataset="cifar10", root=str(tmp_path))
    with pytest.raises(DatasetNotFoundError) as info:
        dm.prepare_data()
    text = str(info.value)
    assert "cifar-10-batches-py" in text
    assert "--data.download true" in text
    assert "--data.dataset digits" in text
