"""The video app end to end (subprocesses): --smoke outputs, and SIGKILL + --resume = no kill."""

from __future__ import annotations

import json
import math
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from app_command import ROOT, app_env, run_app

APP = "apps.video_prediction"
FIGURES = {
    "prediction_strip.png",
    "prediction.gif",
    "per_frame_metrics.png",
    "training_curves.png",
    "ar_coefficients.png",
}


def _run_dirs(out: Path) -> list[Path]:
    return sorted(p for p in (out / "video_prediction").glob("*") if p.is_dir())


def _args(tmp: Path, out: Path) -> list[str]:
    return ["--smoke", "--out", str(out), "--data.data_dir", str(tmp / "data")]


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    tmp = tmp_path_factory.mktemp("video")
    out = tmp / "runs"
    proc = run_app(APP, *_args(tmp, out), tmp=tmp)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (run,) = _run_dirs(out)
    return tmp, run, proc.stdout


def test_smoke_writes_summary_figures_and_run_folder(smoke_run):
    _, run, stdout = smoke_run
    summary = json.loads((run / "summary.json").read_text())
    for key in (
        "test_mse", "test_mae", "test_psnr", "test_ssim", "test_mse_frame_sum",
        "test_mae_frame_sum", "copy_last_frame_mse", "zeros_mse",
    ):  # fmt: skip
        assert math.isfinite(summary[key]), key
    assert 0 < summary["test_ssim"] <= 1
    assert summary["test_mse_frame_sum"] == pytest.approx(summary["test_mse"] * 64 * 64, rel=1e-5)
    assert len(summary["per_frame"]["model"]["mse"]) == 10
    assert {Path(f).name for f in summary["figures"]} == FIGURES
    for name in FIGURES:
        assert (run / "figures" / name).stat().st_size > 1000, name
    for name in ("config.yaml", "metrics.csv", "checkpoints/last.ckpt", "checkpoints/best.ckpt"):
        assert (run / name).is_file(), name
    assert list((run / "tensorboard").glob("events.out.tfevents.*"))
    assert f"run folder: {run}" in stdout
    assert "copy_last_frame_mse" in stdout


def test_sigkill_then_resume_equals_an_uninterrupted_run(smoke_run):
    tmp, reference, _ = smoke_run
    out = tmp / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-m", APP, *_args(tmp, out)], cwd=ROOT, env=app_env(tmp),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 600
        while not list(out.glob("video_prediction/*/checkpoints/last.ckpt")):
            assert proc.poll() is None, "the run ended before its first checkpoint"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    (run,) = _run_dirs(out)
    assert not (run / "summary.json").exists(), "killed too late: the run had finished"
    resumed = run_app(APP, "--resume", str(run), tmp=tmp)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    a = json.loads((reference / "summary.json").read_text())
    b = json.loads((run / "summary.json").read_text())
    assert b["resumed"]
    assert b["steps"] == a["steps"]
    metrics = [k for k in a if k.startswith(("test_", "copy_last_frame_", "zeros_"))]
    assert metrics
    assert {k: b[k] for k in metrics} == {k: a[k] for k in metrics}
    assert b["per_frame"] == a["per_frame"]


def test_seeds_repeat_the_run_and_report_mean_and_std(tmp_path):
    out = tmp_path / "runs"
    proc = run_app(
        APP, *_args(tmp_path, out), "--seeds", "2", "--trainer.max_epochs", "1", tmp=tmp_path
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (run,) = _run_dirs(out)
    per_seed = [json.loads((run / f"seed_{k}" / "summary.json").read_text()) for k in (0, 1)]
    assert [s["seed"] for s in per_seed] == [0, 1]
    top = json.loads((run / "summary.json").read_text())
    values = [s["test_mse"] for s in per_seed]
    assert values[0] != values[1]
    assert top["seeds"] == 2
    assert top["test_mse"] == pytest.approx((values[0] + values[1]) / 2, rel=1e-12)
    assert top["test_mse_std"] == pytest.approx(abs(values[0] - values[1]) / math.sqrt(2))
