"""The sequence app: --smoke runs of its task kinds (subprocesses) write finite metrics and their
figures; memory_compare runs the complex-memory claim's cells and draws their loss curves (the
adding task and the missing-data errors are checked in-process in
test_sequence_classification_parts.py)."""

from __future__ import annotations

import csv
import json
import math
import subprocess
from pathlib import Path

import pytest
import yaml
from app_command import run_app
from PIL import Image

from apps.reproduce.claims import CLAIMS_DIR
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


def test_memory_compare_runs_the_claim_and_draws_loss_curves(tmp_path, monkeypatch, capsys):
    """memory_compare = the complex-memory claim through apps.reproduce plus Fig. 1's curves: the
    claim's four cells (its own rows and arguments) on its copy column at smoke sizes, one seed
    each (the full smoke grid is 24 processes; the claim file is validated with the others)."""
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mpl"))
    spec = yaml.safe_load((CLAIMS_DIR / f"{memory_compare.CLAIM}.yaml").read_text())
    spec["columns"] = {"copy_short": spec["columns"]["copy_short"]}  # T = 10
    spec["scales"] = {"smoke": {"seeds": 1, "args": ["--smoke"]}}
    first = spec["verdict"]["claims"][0]  # complex_remembers; its comparison at copy_short
    spec["verdict"]["claims"] = [{**first, "comparisons": first["comparisons"][:1]}]
    claim_file = tmp_path / f"{memory_compare.CLAIM}.yaml"
    claim_file.write_text(yaml.safe_dump(spec, sort_keys=False))
    monkeypatch.setattr(memory_compare, "CLAIM", str(claim_file))
    run = tmp_path / "run"
    assert memory_compare.main(["--jobs", "2", "--out", str(run)]) == 0
    figure = run / "figures" / "loss_curves_copy_short.png"
    assert f"loss curves: {figure}" in capsys.readouterr().out
    assert list(spec["rows"]) == ["complex_circulant", "urnn", "lstm", "gru"]
    for cell in spec["rows"]:
        s = json.loads((run / cell / "copy_short" / "seed_0" / "summary.json").read_text())
        assert (s["model"], s["task"]) == (cell, "copy")
        assert s["memoryless_loss"] == pytest.approx(10 * math.log(8) / 30)
        _finite(s, ["test_loss", "test_symbol_acc", "test_loss_over_memoryless"])
        assert abs(s["parameters"] - 500) <= 0.25 * 500  # an equal budget, up to one hidden unit
    with open(run / "results.csv") as f:
        assert len(list(csv.DictReader(f))) == len(spec["rows"])
    with Image.open(figure) as im:
        assert min(im.size) > 100
