"""A 2-process gloo torchrun run of the video app: one run folder and summary, written by rank 0,
with test metrics over every test sample exactly once (an odd test set, no padding)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

from apps.framework import load_checkpoint
from apps.video_prediction.metrics import frame_metrics

ROOT = Path(__file__).resolve().parents[2]


def test_torchrun_two_processes_write_one_exact_summary(tmp_path):
    out, data = tmp_path / "runs", tmp_path / "data"
    torchrun = Path(sys.executable).with_name("torchrun")
    proc = subprocess.run(
        [
            str(torchrun), "--standalone", "--nproc_per_node", "2",
            "-m", "apps.video_prediction", "--smoke", "--out", str(out),
            "--data.data_dir", str(data), "--data.num_test", "7", "--trainer.max_epochs", "1",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONWARNINGS": "ignore", "MPLCONFIGDIR": str(tmp_path / "mpl"),
             "OMP_NUM_THREADS": "1"},
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-4000:]
    runs = [p for p in (out / "video_prediction").iterdir() if p.is_dir()]
    assert len(runs) == 1
    run = runs[0]
    assert run.name.startswith("torchrun-")
    assert len(list(out.rglob("summary.json"))) == 1
    assert proc.stdout.count("run folder:") == 1
    summary = json.loads((run / "summary.json").read_text())
    assert summary["device"].endswith("x 2")

    # the summary's test metrics = a single-process evaluation of the tested checkpoint on all 7
    from apps.video_prediction.data import MovingMNISTDataModule
    from apps.video_prediction.module import VideoPredictionModule

    ckpt = load_checkpoint(run / "checkpoints" / "best.ckpt")
    hp = {k: v for k, v in ckpt["hyper_parameters"].items() if not k.startswith("_")}
    module = VideoPredictionModule(**hp)
    module.load_state_dict(ckpt["state_dict"])
    module.eval()
    dm_hp = {k: v for k, v in ckpt["datamodule_hyper_parameters"].items() if not k.startswith("_")}
    dm = MovingMNISTDataModule(**dm_hp)
    dm.setup("test")
    assert len(dm.test_set) == 7
    items = [dm.test_set[i] for i in range(7)]
    inputs, targets = (torch.stack(x) for x in zip(*items, strict=True))
    with torch.no_grad():
        values = frame_metrics(module(inputs), targets)
    for name in ("mse", "mae", "psnr", "ssim"):
        want = values[name].double().mean().item()
        np.testing.assert_allclose(summary[f"test_{name}"], want, rtol=2e-5, err_msg=name)
