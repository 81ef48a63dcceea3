"""The sequence app: --smoke runs of its task kinds (subprocesses) write finite metrics and their
figures; the copy-task comparison writes its summary and figure (the adding task and the
missing-data errors are checked in-process in test_sequence_classification_parts.py)."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import pytest
from app_command import run_app
from PIL import Image

from apps.sequence_classification import memory_compare

ROOT = Path(__file__).resolve().parents[2]


def _run_app(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    return run_app("apps.sequence_classification", "--smoke", "--out", str(tmp), *args, tmp=tmp)


def _summary(tmp: Path) -> tuple[Path, dict]:
    (path,) = tmp.glob("sequence_classification/*/summary.json")
    return path.parent, json.loads(path.read_text())


def _finite(summary: dict, keys: list[str]) -> None:
    for key in keys:
        assert isinstance(summary[key], float), key
        assert math.isfinite(summary[key]), key


def _figure_ok(run: Path, summary: dict) -> None:
    assert summary["figures"] == ["figures/learning_curves.png"]
    with Image.open(run / "figures" / "learning_curves.png") as im:
        assert min(im.size) > 100


def test_smoke_default_smnist(tmp_path):
    proc = _run_app(tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    run, s = _summary(tmp_path)
    _finite(s, ["test_loss", "test_acc", "majority_class_acc"])
    assert 0.0 <= s["test_acc"] <= 1.0
    assert s["chance_acc"] == 0.1
    assert (s["task"], s["kind"], s["model"], s["seq_len"]) == (
        "smnist", "multiclass", "multiresnet", 784,
    )  # fmt: skip
    _figure_ok(run, s)
    for name in ("config.yaml", "metrics.csv", "checkpoints/last.ckpt", "checkpoints/best.ckpt"):
        assert (run / name).is_file(), name
    assert f"run folder: {run}" in proc.stdout


@pytest.mark.parametrize(
    ("args", "metrics"),
    [
        (["--data.task", "listops", "--model.model", "arma"], ["test_acc", "test_loss"]),
        (["--data.task", "ptbxl", "--data.ptbxl_task", "form"], ["test_auroc", "test_loss"]),
        (
            ["--data.task", "ptbxl", "--model.model", "lstm"],  # superdiagnostic: multi-class
            ["test_auroc", "test_acc", "test_loss"],
        ),
        (
            ["--data.task", "copy", "--model.model", "complex_circulant"],
            ["test_loss", "test_symbol_acc", "memoryless_loss", "test_loss_over_memoryless"],
        ),
    ],
    ids=["listops-arma", "ptbxl-form", "ptbxl-superdiag-lstm", "copy"],
)
def test_smoke_tasks(tmp_path, args, metrics):
    proc = _run_app(tmp_path, *args)
    assert proc.returncode == 0, proc.stderr[-3000:]
    run, s = _summary(tmp_path)
    _finite(s, metrics)
    _figure_ok(run, s)
    if "test_auroc" in s:
        assert 0.0 <= s["test_auroc"] <= 1.0
        assert s["chance_auroc"] == 0.5
        assert len(s["classes"]) == s["num_classes"] >= 2
    if s["task"] == "copy":
        # the measured memoryless strategy's loss is the closed form
        assert s["memoryless_loss_measured"] == pytest.approx(s["memoryless_loss"], rel=1e-6)
        assert s["memoryless_loss"] == pytest.approx(10 * math.log(8) / 30)


def test_memory_compare_writes_summary_and_figure(tmp_path, monkeypatch):
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mpl"))
    argv = ["--length", "5", "--steps", "4", "--record_every", "2", "--seeds", "2", "--budget",
            "300", "--num_test", "8", "--batch_size", "4", "--out", str(tmp_path)]  # fmt: skip
    assert memory_compare.main(argv) == 0
    (path,) = tmp_path.glob("sequence_classification/copy_compare/*/summary.json")
    s = json.loads(path.read_text())
    assert s["baseline"] == pytest.approx(10 * math.log(8) / 25)
    assert set(s["cells"]) == set(memory_compare.DEFAULT_CELLS)
    for cell in s["cells"].values():
        assert len(cell["test_loss"]) == 2
        assert all(math.isfinite(v) for v in cell["test_loss"])
        assert len(cell["curve_mean"]) == 2
        assert abs(cell["params"] - 300) <= 0.25 * 300  # an equal budget, up to one hidden unit
    with Image.open(path.parent / s["figure"]) as im:
        assert min(im.size) > 100
