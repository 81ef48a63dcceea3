"""The model shipped in ``apps/video_prediction/pretrained/``: it loads weights-only, it is the
default of ``predict``, and its metrics on a fixed subset of the generated test set equal the ones
recorded when it was shipped (``subset_metrics.json``, written by the command in its README)."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
import yaml

import apps.video_prediction.predict as video_predict
from apps.framework import find_checkpoint, load_checkpoint, main
from apps.framework.checkpoint import SLIM_KEYS, unsafe_globals
from apps.video_prediction import MovingMNISTDataModule, VideoPredictionModule

PRETRAINED = video_predict.PRETRAINED
RECORD = json.loads((PRETRAINED / "subset_metrics.json").read_text())


def _quiet(fn, argv: list[str]) -> int:
    with warnings.catch_warnings():  # Lightning/jsonargparse deprecation notes are not ours
        warnings.simplefilter("ignore")
        return fn(argv)


def test_the_shipped_checkpoint_is_small_slim_and_loads_weights_only():
    ckpt, run_dir = find_checkpoint(PRETRAINED)
    assert run_dir == PRETRAINED
    assert ckpt.parent == PRETRAINED
    assert ckpt.stat().st_size < 4 * 2**20  # "a few MiB at most"
    assert unsafe_globals(ckpt) == []
    state = load_checkpoint(ckpt)
    assert set(state) <= set(SLIM_KEYS)
    assert "state_dict" in state
    config = yaml.safe_load((PRETRAINED / "config.yaml").read_text())
    assert config["model"]["preset"] == "arma"
    module = VideoPredictionModule(**config["model"])
    module.load_state_dict(state["state_dict"], strict=True)
    assert sum(p.numel() for p in module.parameters()) == RECORD["params"]


def test_its_metrics_on_a_fixed_test_subset_equal_the_recorded_ones(tmp_path):
    argv = ["--test_only", str(PRETRAINED), *RECORD["args"], "--out", str(tmp_path / "runs")]
    argv += ["--data.data_dir", str(tmp_path / "data")]
    assert _quiet(lambda a: main("video_prediction", VideoPredictionModule,
                                 MovingMNISTDataModule, a), argv) == 0  # fmt: skip
    (summary_path,) = (tmp_path / "runs").glob("video_prediction/*/summary.json")
    summary = json.loads(summary_path.read_text())
    assert summary["evaluated_only"] is True
    for key, recorded in RECORD["metrics"].items():
        assert math.isclose(summary[key], recorded, rel_tol=1e-5, abs_tol=1e-7), key
    # and it is a trained model: ahead of both baselines on every metric
    for metric in ("mse", "mae"):
        assert summary[f"test_{metric}"] < summary[f"zeros_{metric}"]
        assert summary[f"test_{metric}"] < summary[f"copy_last_frame_{metric}"]
    for metric in ("psnr", "ssim"):
        assert summary[f"test_{metric}"] > summary[f"zeros_{metric}"]
        assert summary[f"test_{metric}"] > summary[f"copy_last_frame_{metric}"]


def test_predict_without_checkpoint_uses_the_shipped_model(tmp_path):
    clip = np.zeros((10, 64, 64), dtype=np.uint8)
    for t in range(10):  # a square moving right
        clip[t, 20:32, 4 + 3 * t : 16 + 3 * t] = 255
    np.save(tmp_path / "clip.npy", clip)
    out = tmp_path / "pred"
    argv = ["--input", str(tmp_path / "clip.npy"), "--out", str(out)]
    assert _quiet(video_predict.main, argv) == 0
    record = json.loads((out / "prediction.json").read_text())
    assert Path(record["checkpoint"]).resolve() == (PRETRAINED / "best.ckpt").resolve()
    prediction = np.load(out / "prediction.npy")
    assert prediction.shape == (10, 1, 64, 64)
    assert np.isfinite(prediction).all()
    assert 0.0 <= prediction.min() <= prediction.max() <= 1.0
    assert len(list((out / "predicted").glob("*.png"))) == 10


@pytest.mark.parametrize("name", ["prediction_strip.png", "training_curves.png"])
def test_the_training_record_ships_its_figures(name):
    assert (PRETRAINED / "figures" / name).is_file()
