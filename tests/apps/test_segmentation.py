"""The segmentation app: the --smoke run end to end, its baselines against numpy, the losses
against hand computations, and the missing-dataset message."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
from app_command import run_app
from PIL import Image

from apps.framework import DatasetNotFoundError
from apps.segmentation.data import ISICDataModule, generated_isic_root
from apps.segmentation.figures import overlay_rgb
from apps.segmentation.losses import segmentation_loss, soft_dice_loss
from apps.segmentation.metrics import METRIC_NAMES

ROOT = Path(__file__).resolve().parents[2]


def _run_app(*args: str, timeout: int = 400) -> subprocess.CompletedProcess:
    return run_app(*args, timeout=timeout)


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory) -> tuple[Path, dict, Path]:
    out = tmp_path_factory.mktemp("seg")
    cache = out / "data"
    proc = _run_app(
        "apps.segmentation", "--smoke", "--out", str(out), "--data.cache_dir", str(cache)
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (summary_path,) = out.glob("segmentation/*/summary.json")
    return summary_path.parent, json.loads(summary_path.read_text()), cache


def test_smoke_writes_finite_metrics_and_figures(smoke_run):
    run, summary, _ = smoke_run
    for name in METRIC_NAMES:
        for key in (f"test_{name}", f"test_{name}_pooled"):
            assert isinstance(summary[key], float), key
            assert 0.0 <= summary[key] <= 1.0, key
    assert math.isfinite(summary["test_loss"])
    # F1 and Dice are the same number for binary masks, computed by two routes
    assert summary["test_f1_pooled"] == pytest.approx(summary["test_dc_pooled"], abs=1e-6)
    for fig in ("figures/overlays.png", "figures/learning_curves.png"):
        assert fig in summary["figures"]
        with Image.open(run / fig) as im:
            assert min(im.size) > 100
    assert (run / "checkpoints" / "last.ckpt").is_file()


def test_smoke_baselines_match_numpy(smoke_run):
    """All-background / all-foreground metrics against the test masks' foreground fraction."""
    _, cfg, cache = smoke_run  # the smoke preset: 12 generated 64x64 images resized to 32x32
    (folder,) = cache.glob("isic_synthetic_*")
    split = json.loads((folder / "longrange_split.json").read_text())
    masks = []
    for name in split["test"]:
        path = folder / "ISIC2018_Task1_Training_GroundTruth" / f"{name}_segmentation.png"
        with Image.open(path) as im:  # resized as torchvision resizes masks (torch "nearest")
            m = torch.from_numpy(np.asarray(im) > 127).float()[None, None]
        masks.append(torch.nn.functional.interpolate(m, size=(32, 32))[0, 0].numpy() > 0.5)
    fg = np.array([m.mean() for m in masks])
    pooled_fg = float(np.concatenate([m.ravel() for m in masks]).mean())
    assert cfg["all_background_acc"] == pytest.approx(float(np.mean(1 - fg)), abs=1e-6)
    assert cfg["all_background_acc_pooled"] == pytest.approx(1 - pooled_fg, abs=1e-6)
    assert cfg["all_foreground_pc_pooled"] == pytest.approx(pooled_fg, abs=1e-6)
    assert cfg["all_foreground_js"] == pytest.approx(float(fg.mean()), abs=1e-6)
    dice = 2 * fg / (1 + fg)
    assert cfg["all_foreground_dc"] == pytest.approx(float(dice.mean()), abs=1e-6)
    assert cfg["all_background_se"] == 0.0
    assert cfg["all_foreground_sp"] == 0.0


def test_losses_against_hand_computation():
    logits = torch.tensor([[[[0.0, 2.0], [-1.0, 3.0]]]])
    target = torch.tensor([[[[1.0, 0.0], [0.0, 1.0]]]])
    p = 1 / (1 + np.exp(-np.array([0.0, 2.0, -1.0, 3.0])))
    t = np.array([1.0, 0.0, 0.0, 1.0])
    bce = -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))
    dice = 1 - (2 * (p * t).sum() + 1) / (p.sum() + t.sum() + 1)
    assert segmentation_loss(logits, target, "bce").item() == pytest.approx(bce, rel=1e-6)
    assert soft_dice_loss(logits, target).item() == pytest.approx(dice, rel=1e-6)
    got = segmentation_loss(logits, target, "bce_dice", dice_weight=0.5).item()
    assert got == pytest.approx(bce + 0.5 * dice, rel=1e-6)
    with pytest.raises(ValueError, match="loss should be one of"):
        segmentation_loss(logits, target, "focal")


def test_overlay_colours():
    img = np.full((1, 4, 3), 0.5)
    mask = np.array([[True, True, False, False]])
    pred = np.array([[True, False, True, False]])
    out = overlay_rgb(img, mask, pred, alpha=1.0)
    np.testing.assert_allclose(out[0, 0], (0.0, 0.9, 0.0))  # TP green
    np.testing.assert_allclose(out[0, 1], (0.0, 0.3, 1.0))  # FN blue
    np.testing.assert_allclose(out[0, 2], (1.0, 0.0, 0.0))  # FP red
    np.testing.assert_allclose(out[0, 3], (0.5, 0.5, 0.5))  # TN untouched


def test_missing_isic_path_message(tmp_path):
    wrong = tmp_path / "not_isic"
    wrong.mkdir()
    dm = ISICDataModule(root=str(wrong))
    with pytest.raises(DatasetNotFoundError) as info:
        dm.prepare_data()
    text = str(info.value)
    assert str(wrong) in text
    assert "ISIC2018_Task1-2_Training_Input" in text
    assert "challenge.isic-archive.com" in text
    assert "without --data.root" in text
    # a folder with images but no masks: the mask file is named
    (wrong / "ISIC2018_Task1-2_Training_Input").mkdir()
    (wrong / "ISIC2018_Task1_Training_GroundTruth").mkdir()
    Image.new("RGB", (40, 40)).save(wrong / "ISIC2018_Task1-2_Training_Input" / "ISIC_1.jpg")
    with pytest.raises(DatasetNotFoundError, match=r"ISIC_1_segmentation\.png"):
        ISICDataModule(root=str(wrong), fractions=[0.0, 0.0, 1.0]).prepare_data()


def test_bad_arguments():
    with pytest.raises(ValueError, match="fractions should be"):
        ISICDataModule(fractions=[0.5, 0.5, 0.5])
    with pytest.raises(ValueError, match="size should be"):
        ISICDataModule(size=[4, 64])
    assert generated_isic_root("c", 5, [8, 9], 1).name == "isic_synthetic_n5_8x9_s1"
