"""Evaluating a checkpoint (``--test_only``) and predicting on the user's own clips (``predict``),
in-process on one --smoke run of the video app."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from PIL import Image

import apps.video_prediction.predict as video_predict
from apps.framework import find_checkpoint, load_checkpoint, main
from apps.video_prediction import MovingMNISTDataModule, VideoPredictionModule


def _main(argv: list[str]) -> int:
    with warnings.catch_warnings():  # Lightning/jsonargparse deprecation notes are not ours
        warnings.simplefilter("ignore")
        return main("video_prediction", VideoPredictionModule, MovingMNISTDataModule, argv)


def _predict(argv: list[str]) -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return video_predict.main(argv)


def _size(path: Path) -> tuple[int, int]:
    with Image.open(path) as img:
        return img.size


def _summary(out: Path) -> tuple[Path, dict]:
    (path,) = out.glob("video_prediction/*/summary.json")
    return path.parent, json.loads(path.read_text())


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    tmp = tmp_path_factory.mktemp("video_eval")
    argv = ["--smoke", "--trainer.max_epochs", "1", "--out", str(tmp / "runs")]
    assert _main([*argv, "--data.data_dir", str(tmp / "data")]) == 0
    run, summary = _summary(tmp / "runs")
    return tmp, run, summary


@pytest.fixture(scope="module")
def clip() -> np.ndarray:
    """A square bouncing in a 48x48 box for 13 frames, uint8 (T, H, W)."""
    frames = np.zeros((13, 48, 48), dtype=np.uint8)
    y, x, dy, dx = 5, 30, 3, -4
    for t in range(13):
        frames[t, y : y + 9, x : x + 9] = 255
        if not 0 <= y + dy <= 39:
            dy = -dy
        if not 0 <= x + dx <= 39:
            dx = -dx
        y, x = y + dy, x + dx
    return frames


# ------------------------------------------------------------------------------ --test_only
def test_test_only_reproduces_the_runs_test_metrics_exactly(smoke_run):
    tmp, run, trained = smoke_run
    out = tmp / "evaluated"
    assert _main(["--test_only", str(run), "--out", str(out)]) == 0
    new_run, summary = _summary(out)
    assert new_run != run
    keys = [k for k in trained if k.startswith(("test_", "copy_last_frame_", "zeros_"))]
    assert len(keys) >= 18
    for k in keys:
        assert summary[k] == trained[k], k
    assert summary["evaluated_only"] is True
    assert trained["evaluated_only"] is False
    assert summary["tested_checkpoint"] == str(run / "checkpoints" / "best.ckpt")
    assert summary["source_run"] == str(run)
    assert summary["steps"] == 0
    assert summary["checkpoint_step"] > 0
    assert summary["model_config"] == trained["model_config"]
    for name in ("prediction_strip.png", "prediction.gif", "per_frame_metrics.png"):
        assert (new_run / "figures" / name).stat().st_size > 1000, name
    assert "test_only:" in (new_run / "config.yaml").read_text()


def test_test_only_on_a_test_file_matches_a_direct_evaluation(smoke_run, clip):
    tmp, run, _ = smoke_run
    # a stand-in for mnist_test_seq.npy: (20, N, 64, 64) uint8, here 3 videos
    rng = np.random.default_rng(0)
    videos = np.zeros((20, 3, 64, 64), dtype=np.uint8)
    for n in range(3):
        pad = rng.integers(0, 16, size=2)
        videos[:13, n, pad[0] : pad[0] + 48, pad[1] : pad[1] + 48] = clip
    test_file = tmp / "mnist_test_seq.npy"
    np.save(test_file, videos)
    out = tmp / "on_file"
    ckpt = run / "checkpoints" / "last.ckpt"
    argv = ["--test_only", str(ckpt), "--data.test_file", str(test_file), "--data.num_test", "3"]
    assert _main([*argv, "--out", str(out)]) == 0
    _, summary = _summary(out)
    assert summary["tested_checkpoint"] == str(ckpt)
    # oracle: the checkpoint's weights on the same videos, per-pixel and per-frame-sum MSE/MAE
    module = VideoPredictionModule(**yaml.safe_load((run / "config.yaml").read_text())["model"])
    module.load_state_dict(load_checkpoint(ckpt)["state_dict"])
    module.eval()
    x = torch.from_numpy(videos.transpose(1, 0, 2, 3)[:, :, None].astype(np.float32) / 255.0)
    with torch.no_grad():
        pred = module(x[:, :10])
    err = pred - x[:, 10:]
    assert summary["test_mse"] == pytest.approx(float(err.pow(2).mean()), rel=1e-5)
    assert summary["test_mae"] == pytest.approx(float(err.abs().mean()), rel=1e-5)
    frame_sum = err.pow(2).sum(dim=(2, 3, 4)).mean()  # OpenSTL: sum over a frame's pixels
    assert summary["test_mse_frame_sum"] == pytest.approx(float(frame_sum), rel=1e-5)
    assert summary["test_mae_frame_sum"] == pytest.approx(
        float(err.abs().sum(dim=(2, 3, 4)).mean()), rel=1e-5
    )


def test_test_only_errors_name_what_was_expected(tmp_path, capsys):
    assert _main(["--test_only", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]) == 2
    assert "expected a .ckpt file or a run folder" in capsys.readouterr().err
    (tmp_path / "bare").mkdir()
    assert _main(["--test_only", str(tmp_path / "bare"), "--out", str(tmp_path / "o")]) == 2
    assert "checkpoints/best.ckpt or checkpoints/last.ckpt" in capsys.readouterr().err
    torch.save({"state_dict": {}}, tmp_path / "lone.ckpt")
    assert _main(["--test_only", str(tmp_path / "lone.ckpt"), "--out", str(tmp_path / "o")]) == 2
    assert "no config.yaml of its run found. Expected a run folder" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


# ------------------------------------------------------------------------------ predict
def _write_inputs(clip: np.ndarray, tmp: Path) -> dict[str, Path]:
    np.save(tmp / "clip.npy", clip)
    frames = [Image.fromarray(f) for f in clip]
    frames[0].save(tmp / "clip.gif", save_all=True, append_images=frames[1:], duration=100)
    folder = tmp / "frames"
    folder.mkdir()
    for i, f in enumerate(clip):  # RGB frames: converted to grey
        Image.fromarray(np.stack([f] * 3, axis=-1)).save(folder / f"frame_{i:02d}.png")
    rgb = np.repeat(clip[:, None], 3, axis=1).astype(np.float32) / 255.0
    np.save(tmp / "clip_tchw.npy", rgb)
    return {
        "npy": tmp / "clip.npy", "gif": tmp / "clip.gif", "folder": folder,
        "npy_tchw": tmp / "clip_tchw.npy",
    }  # fmt: skip


def test_predict_on_npy_gif_and_png_folder(smoke_run, clip, tmp_path, capsys):
    _, run, _ = smoke_run
    inputs = _write_inputs(clip, tmp_path)
    predictions = {}
    for kind, path in inputs.items():
        out = tmp_path / f"out_{kind}"
        assert _predict(["--checkpoint", str(run), "--input", str(path), "--out", str(out)]) == 0
        pngs = sorted((out / "predicted").glob("*.png"))
        assert len(pngs) == 10, kind
        assert [_size(p) for p in pngs] == [(64, 64)] * 10
        assert len(list((out / "observed").glob("*.png"))) == 10
        pred = np.load(out / "prediction.npy")
        assert pred.shape == (10, 1, 64, 64)
        assert pred.dtype == np.float32
        with Image.open(out / "prediction.gif") as gif:
            assert gif.n_frames == 20
        info = json.loads((out / "prediction.json").read_text())
        assert info["true_future_frames"] == 3
        assert len(info["mse_per_frame"]) == 3
        assert (out / "prediction_strip.png").stat().st_size > 1000
        predictions[kind] = pred
    # every reader gives the same frames, hence the same prediction
    for kind in ("gif", "folder", "npy_tchw"):
        np.testing.assert_allclose(predictions[kind], predictions["npy"], atol=1e-6)
    assert "wrote" in capsys.readouterr().out


def test_predict_future_start_and_size_flags(smoke_run, clip, tmp_path):
    _, run, _ = smoke_run
    np.save(tmp_path / "clip.npy", clip)
    out = tmp_path / "out"
    argv = ["--checkpoint", str(run / "checkpoints" / "last.ckpt"), "--input"]
    argv += [str(tmp_path / "clip.npy"), "--out", str(out), "--future", "4", "--start", "2"]
    assert _predict([*argv, "--size", "32"]) == 0
    assert np.load(out / "prediction.npy").shape == (4, 1, 32, 32)
    assert [_size(p) for p in sorted((out / "predicted").glob("*.png"))] == [(32, 32)] * 4
    assert json.loads((out / "prediction.json").read_text())["true_future_frames"] == 1


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda p: np.save(p, np.zeros((64, 64), np.uint8)) or p, "has shape (64, 64) (2 axes)"),
        (lambda p: np.save(p, np.zeros((5, 32, 32), np.uint8)) or p, "at least 10 frames"),
        (lambda p: np.save(p, np.zeros((12, 2, 32, 32), np.float32)) or p,
         "C = 1 (grey), 3 (RGB) or 4 (RGBA)"),
        (lambda p: np.save(p, np.full((12, 32, 32), 3.0)) or p, "floats outside [0, 1]"),
        (lambda p: (p.with_suffix(".gif").write_bytes(b"not a gif"), p.with_suffix(".gif"))[1],
         "could not be read as an image"),
        (lambda p: p.with_suffix(".avi"), "does not exist"),
    ],
)  # fmt: skip
def test_predict_bad_input_is_one_paragraph_and_writes_nothing(
    smoke_run, tmp_path, capsys, make, expected
):
    _, run, _ = smoke_run
    path = make(tmp_path / "clip.npy")
    out = tmp_path / "results" / "out"
    assert _predict(["--checkpoint", str(run), "--input", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --input"), err
    assert err.count("\n") == 0, err
    assert expected in err
    assert "Expected" in err
    assert not out.exists()
    assert not list((tmp_path / "results").iterdir())  # no temporary folder left behind


def test_predict_without_checkpoint_names_the_missing_pretrained_model(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr(video_predict, "PRETRAINED", tmp_path / "pretrained")
    assert _predict(["--input", "x.npy", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"no --checkpoint given and no pretrained model at {tmp_path / 'pretrained'}" in err
    assert "--checkpoint RUN_DIR" in err


def test_find_checkpoint_prefers_best_then_last(tmp_path):
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "config.yaml").write_text("model: {}\n")
    (tmp_path / "checkpoints" / "last.ckpt").write_bytes(b"")
    assert find_checkpoint(tmp_path) == (tmp_path / "checkpoints" / "last.ckpt", tmp_path)
    (tmp_path / "checkpoints" / "best.ckpt").write_bytes(b"")
    assert find_checkpoint(tmp_path)[0] == tmp_path / "checkpoints" / "best.ckpt"
