"""apps.reproduce on the real apps: a receptive-field grid (pure analysis, seconds per cell;
its seed flag is --seed) and one image-classification --smoke cell (Lightning), each cell in
exactly its folder through the apps' --run_dir, which refuses a finished folder (the
receptive-field app's own CLI, the framework's resolve_run_dir)."""

from __future__ import annotations

import csv
import json
import math

import pytest
import yaml

from apps.framework.run_dir import resolve_run_dir
from apps.receptive_field.cli import main as rf_main
from apps.reproduce.cli import main

# the receptive-field app's smoke sizes cut to one depth and magnitude (a cell takes ~2 s of work)
RF_SMALL = ["--smoke", "--grid.depths", "[1]", "--grid.magnitudes", "[0.0]", "--grid.size", "9",
            "--curves.dilations", "[1]", "--curves.dims", "[1]"]  # fmt: skip


def _claim(tmp_path, **fields) -> str:
    claim = {
        "version": 1,
        "paper": "Su, Wang & Huang, NeurIPS 2020",
        "table": "test",
        "claim": "a test grid",
        "columns": {"default": {"label": "default"}},
        **fields,
    }
    path = tmp_path / f"{claim['name']}.yaml"
    path.write_text(yaml.safe_dump(claim, sort_keys=False))
    return str(path)


def _rows(run):
    with open(run / "results.csv") as f:
        return list(csv.DictReader(f))


def test_receptive_field_grid(tmp_path):
    measured = "curves.records.0.measured"
    claim = _claim(
        tmp_path,
        name="rf-grid",
        app="receptive_field",
        seed_flag="--seed",
        metrics={
            measured: {"label": "radius 1-D", "higher_is_better": True},
            "curves.max_rel_error_1d": {"label": "error", "higher_is_better": False},
        },
        rows={"a06": {"label": "a = 0.6", "args": ["--curves.magnitudes", "[0.6]"]}},
        columns={"L1": {"label": "depth 1", "args": ["--curves.depths", "[1]"]}},
        scales={"smoke": {"seeds": 2, "args": RF_SMALL}},
        paper_values={"a06": {"L1": {measured: 2.1016}}},  # Theorem 3: sqrt(2/3 + 0.6/0.16)
        verdict={"claims": [{"id": "theorem3", "text": "error < 1e-6", "comparisons": [
            {"metric": "curves.max_rel_error_1d", "side": "less", "margin": 1e-6,
             "terms": [{"row": "a06", "column": "L1", "coef": 1}]}]}]},
    )  # fmt: skip
    run = tmp_path / "run"
    assert main([claim, "--jobs", "2", "--out", str(run)]) == 0
    rows = _rows(run)
    assert [r["seed"] for r in rows] == ["0", "1"]
    for k, r in enumerate(rows):
        cell = run / "a06" / "L1" / f"seed_{k}"
        assert r["run_dir"] == str(cell)
        summary = json.loads((cell / "summary.json").read_text())
        assert summary["seed"] == k  # --seed k reached the app
        assert summary["run_dir"] == str(cell)  # written into exactly the cell's folder
        assert float(r[measured]) == pytest.approx(math.sqrt(2 / 3 + 0.6 / 0.16), rel=1e-9)
    verdict = json.loads((run / "verdict.json").read_text())
    assert verdict["verdict"] == "holds"
    assert "| a = 0.6 | 2.102 ± 0 (2) · paper 2.102 |" in (run / "table.md").read_text()


def test_receptive_field_run_dir_flag(tmp_path, capsys):
    cell = tmp_path / "exactly" / "here"
    assert rf_main([*RF_SMALL, "--run_dir", str(cell)]) == 0
    assert json.loads((cell / "summary.json").read_text())["run_dir"] == str(cell)
    assert not (tmp_path / "runs").exists()
    capsys.readouterr()
    assert rf_main([*RF_SMALL, "--run_dir", str(cell)]) == 2  # a finished run is kept
    assert "already holds a finished run" in capsys.readouterr().err


def test_image_classification_cell_and_its_resume(tmp_path, capsys):
    claim = _claim(
        tmp_path,
        name="ic-cell",
        app="image_classification",
        metrics={"test_acc": {"label": "accuracy", "higher_is_better": True}},
        rows={"arma": {"label": "ARMA VGG-11", "args": []}},
        scales={"smoke": {"seeds": 1, "args": ["--smoke"]}},
        verdict={"claims": [{"id": "chance", "text": "above chance", "comparisons": [
            {"metric": "test_acc", "side": "greater", "margin": 0.1,
             "terms": [{"row": "arma", "column": "default", "coef": 1}]}]}]},
    )  # fmt: skip
    run = tmp_path / "run"
    assert main([claim, "--out", str(run), "--no_figures"]) == 0
    cell = run / "arma" / "default" / "seed_0"
    summary = json.loads((cell / "summary.json").read_text())
    assert summary["run_dir"] == str(cell)
    assert (cell / "checkpoints" / "last.ckpt").is_file()
    (row,) = _rows(run)
    assert float(row["test_acc"]) == summary["test_acc"]
    assert row["device"].startswith("cpu")
    (comp,) = json.loads((run / "verdict.json").read_text())["claims"][0]["comparisons"]
    assert comp["verdict"] == "not shown"  # one seed
    assert comp["reason"] == "arma/default has 1 finite value (needs >= 2)"
    # killed after its last checkpoint: the re-run continues it through the app's --resume
    (cell / "summary.json").unlink()
    capsys.readouterr()
    assert main([claim, "--out", str(run), "--no_figures"]) == 0
    assert "0 done, 1 to resume, 0 to run" in capsys.readouterr().out
    resumed = json.loads((cell / "summary.json").read_text())
    assert resumed["resumed"] is True
    assert resumed["test_acc"] == summary["test_acc"]


def test_framework_run_dir(tmp_path):
    # what AppCLI does with --run_dir (the cell above shows the flag reaching it)
    cell = tmp_path / "exactly" / "here"
    assert resolve_run_dir("app", str(tmp_path / "runs"), None, run_dir=str(cell)) == cell
    assert cell.is_dir()
    assert not (tmp_path / "runs").exists()
    (cell / "summary.json").write_text("{}")
    with pytest.raises(ValueError, match="already holds a finished run"):
        resolve_run_dir("app", "runs", None, run_dir=str(cell))
    assert resolve_run_dir("app", "runs", str(cell), run_dir=str(cell)) == cell  # --resume wins
    assert (
        resolve_run_dir("app", "runs", None, "seed_1", str(tmp_path / "s"))
        == tmp_path / "s" / "seed_1"
    )
