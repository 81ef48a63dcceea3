"""``python -m apps.segmentation predict`` and ``--test_only`` on an in-process --smoke run."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from PIL import Image

import apps.segmentation.predict as seg_predict
from apps.framework import load_checkpoint, main
from apps.segmentation.data import ISICDataModule
from apps.segmentation.module import SegmentationModule


def _quiet(fn, *args):
    with warnings.catch_warnings():  # Lightning/jsonargparse deprecation notes are not ours
        warnings.simplefilter("ignore")
        return fn(*args)


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    tmp = tmp_path_factory.mktemp("seg_predict")
    argv = ["--smoke", "--out", str(tmp / "runs"), "--data.cache_dir", str(tmp / "data")]
    assert _quiet(main, "segmentation", SegmentationModule, ISICDataModule, argv) == 0
    (path,) = (tmp / "runs").glob("segmentation/*/summary.json")
    return tmp, path.parent, json.loads(path.read_text())


def test_test_only_reproduces_the_segmentation_runs_metrics(smoke_run):
    tmp, run, trained = smoke_run
    argv = ["--test_only", str(run), "--out", str(tmp / "evaluated")]
    assert _quiet(main, "segmentation", SegmentationModule, ISICDataModule, argv) == 0
    (path,) = (tmp / "evaluated").glob("segmentation/*/summary.json")
    summary = json.loads(path.read_text())
    keys = [k for k in trained if k.startswith(("test_", "all_background_", "all_foreground_"))]
    assert len(keys) > 10
    assert {k: summary[k] for k in keys} == {k: trained[k] for k in keys}
    assert summary["evaluated_only"] is True


def test_predict_on_image_files_writes_masks_at_their_size(smoke_run, tmp_path, capsys):
    _, run, _ = smoke_run
    rng = np.random.default_rng(0)
    folder = tmp_path / "images"
    folder.mkdir()
    Image.fromarray(rng.integers(0, 256, (50, 70, 3), dtype=np.uint8)).save(folder / "a.png")
    Image.fromarray(rng.integers(0, 256, (40, 40), dtype=np.uint8)).save(folder / "b.jpg")
    (folder / "notes.txt").write_text("not an image")  # ignored: not an image suffix
    out = tmp_path / "out"
    assert _quiet(seg_predict.main, ["--checkpoint", str(run), "--input", str(folder),
                                     "--out", str(out)]) == 0  # fmt: skip
    for name, size in (("a", (70, 50)), ("b", (40, 40))):
        with Image.open(out / "masks" / f"{name}.png") as mask:
            assert mask.size == size
            assert set(np.unique(np.asarray(mask))) <= {0, 255}
        with Image.open(out / "overlays" / f"{name}.png") as ov:
            assert ov.size == size
            assert ov.mode == "RGB"
    info = json.loads((out / "predictions.json").read_text())
    assert [r["name"] for r in info["images"]] == ["a", "b"]
    assert "wrote 5 files" in capsys.readouterr().out


def test_predict_mask_equals_the_models_thresholded_output(smoke_run, tmp_path):
    # an image at the model's input size: no resizing, so the mask is sigmoid(net(x)) > threshold
    _, run, _ = smoke_run
    cfg = yaml.safe_load((run / "config.yaml").read_text())
    h, w = cfg["data"]["size"]
    rgb = np.random.default_rng(1).integers(0, 256, (h, w, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(tmp_path / "img.png")
    out = tmp_path / "out"
    argv = ["--checkpoint", str(run), "--input", str(tmp_path / "img.png"), "--out", str(out)]
    assert _quiet(seg_predict.main, argv) == 0
    module = SegmentationModule(**cfg["model"])
    module.load_state_dict(load_checkpoint(run / "checkpoints" / "best.ckpt")["state_dict"])
    module.eval()
    x = torch.from_numpy(rgb).permute(2, 0, 1).float()[None] / 255.0
    with torch.no_grad():
        expected = (torch.sigmoid(module(x))[0, 0] > module.hparams.threshold).numpy()
    with Image.open(out / "masks" / "img.png") as mask:
        np.testing.assert_array_equal(np.asarray(mask) > 0, expected)


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda d: (d / "x.png").write_bytes(b"garbage") and d / "x.png",
         "could not be read as an image"),
        (lambda d: d, "is a folder without images"),
        (lambda d: d / "missing.png", "does not exist"),
    ],
)  # fmt: skip
def test_predict_bad_input(smoke_run, tmp_path, capsys, make, expected):
    _, run, _ = smoke_run
    src = tmp_path / "in"
    src.mkdir()
    out = tmp_path / "out"
    argv = ["--checkpoint", str(run), "--input", str(make(src)), "--out", str(out)]
    assert _quiet(seg_predict.main, argv) == 2
    err = capsys.readouterr().err.strip()
    assert expected in err
    assert "Expected an image file or a folder of images" in err
    assert err.count("\n") == 0
    assert not out.exists()
