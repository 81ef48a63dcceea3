"""apps.reproduce, the claim runner, on a stand-in app (tests/apps/stand_ins/reproduce_fake, stdlib
only): claim files, the grid end to end on submitit's local executor (cells in parallel),
resume after a kill, --collect on a partial grid, --print_commands, and the SLURM path with a
stand-in sbatch. The real apps' cells are in test_reproduce_apps.py."""

from __future__ import annotations

import csv
import itertools
import json
import os
import pickle
import shutil
import stat
from pathlib import Path

import pytest
import yaml

from apps.reproduce.claims import available_claims, claim_from_dict, load_claim
from apps.reproduce.cli import main

DATA = Path(__file__).resolve().parent / "stand_ins"


def fake_claim(**changes) -> dict:
    """2 rows x 1 column x 3 seeds of the stand-in app; conv's seed 2 diverges (NaN)."""
    claim = {
        "name": "fake-grid",
        "version": 1,
        "app": "reproduce_fake.app",
        "paper": "Nobody, 2099",
        "table": "Table 1",
        "claim": "ARMA scores higher than conv.",
        "metrics": {
            "score": {"label": "Score", "higher_is_better": True},
            "nested.a.b.0": {"label": "Twice", "higher_is_better": True},
        },
        "rows": {
            "arma": {"label": "ARMA", "args": ["--mean", "10"]},
            "conv": {"label": "Conv", "args": ["--mean", "0", "--diverge_seed", "2"]},
        },
        "columns": {"x1": {"label": "1x", "args": ["--spread", "1"]}},
        "scales": {
            "smoke": {
                "seeds": 3,
                "args": ["--smoke", "--sleep", "1.5", "--mean", "99"],
                "minutes": 0.2,
            },
            "paper": {
                "seeds": 2,
                "args": ["--sleep", "9"],
                "gpu_hours": 12,
                "row_args": {"arma": ["--config", "paper_arma.yaml"]},
                "column_args": {"x1": ["--spread", "2"]},
            },
        },
        "paper_values": {"arma": {"x1": {"score": 9.5}}},
        "verdict": {
            "claims": [
                {
                    "id": "beats",
                    "text": "ARMA > conv",
                    "comparisons": [
                        {
                            "metric": "score",
                            "side": "greater",
                            "margin": 1,
                            "terms": [
                                {"row": "arma", "column": "x1", "coef": 1},
                                {"row": "conv", "column": "x1", "coef": -1},
                            ],
                        },
                    ],
                }
            ]
        },
    }
    claim.update(changes)
    return claim


def write_claim(folder: Path, claim: dict) -> Path:
    path = folder / f"{claim['name']}.yaml"
    path.write_text(yaml.safe_dump(claim, sort_keys=False))
    return path


@pytest.fixture(autouse=True)
def _fake_app_importable(monkeypatch):
    monkeypatch.syspath_prepend(str(DATA))  # the claim's check (find_spec)
    path = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(DATA), path) if p))


def _csv(run: Path) -> list[dict[str, str]]:
    with open(run / "results.csv") as f:
        return list(csv.DictReader(f))


def _metrics(rows: list[dict[str, str]]) -> list[tuple]:
    return [(r["row"], r["column"], r["seed"], r["score"], r["nested.a.b.0"]) for r in rows]


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> tuple[Path, Path]:
    """The fake grid run once with --jobs 2 (shared: tests copy it before changing it)."""
    folder = tmp_path_factory.mktemp("fake")
    claim = write_claim(folder, fake_claim())
    run = folder / "run"
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(DATA))
        mp.setenv("PYTHONPATH", str(DATA))
        assert main([str(claim), "--jobs", "2", "--out", str(run)]) == 0
    return claim, run


@pytest.mark.parametrize("path", available_claims(), ids=lambda p: p.stem)
def test_claim_files_validate(path):
    claim = load_claim(path)
    assert claim.name == path.stem
    assert set(claim.scales) <= {"smoke", "cpu", "paper"}


def test_grid_end_to_end(finished):
    _, run = finished
    rows = _csv(run)
    assert [(r["row"], r["seed"]) for r in rows] == [
        ("arma", "0"), ("arma", "1"), ("arma", "2"), ("conv", "0"), ("conv", "1"), ("conv", "2")
    ]  # fmt: skip
    # later arguments win: the row's --mean over the scale's --mean 99; OFFSETS -1, 0, +1
    assert [float(r["score"]) for r in rows[:3]] == [9.0, 10.0, 11.0]
    assert rows[5]["score"] == "nan"
    assert float(rows[0]["nested.a.b.0"]) == 18.0
    assert {r["commit"] for r in rows} == {rows[0]["commit"]}
    assert len(rows[0]["commit"]) >= 40
    assert rows[0]["device"] == "cpu (fake)"
    assert rows[0]["run_dir"] == str(run / "arma" / "x1" / "seed_0")
    summary = json.loads((run / "arma" / "x1" / "seed_0" / "summary.json").read_text())
    cores = len(os.sched_getaffinity(0))
    assert summary["threads"] == str(max(1, cores // 2))
    verdict = json.loads((run / "verdict.json").read_text())
    (comp,) = verdict["claims"][0]["comparisons"]
    assert [t["n"] for t in comp["terms"]] == [3, 2]
    assert comp["terms"][1]["nonfinite"] == 1
    assert comp["estimate"] == pytest.approx(10.0 - (-0.5))
    assert comp["verdict"] == verdict["verdict"] == "holds"
    assert verdict["nonfinite_runs"] == {"score": 1, "nested.a.b.0": 1}
    table = (run / "table.md").read_text()
    assert "| ARMA | 10 ± 1 (3) · paper 9.5 |" in table
    assert "| Conv | -0.5 ± 0.71 (2) [1 non-finite excluded] |" in table
    assert "## Verdict: holds" in table
    figures = sorted(p.name for p in (run / "figures").iterdir())
    assert figures == ["nested.a.b.0.png", "score.png"]
    assert all((run / "figures" / f).stat().st_size > 5000 for f in figures)
    assert stat.S_IMODE((run / "table.md").stat().st_mode) == 0o644


def test_local_executor_runs_cells_in_parallel(finished):
    _, run = finished
    records = [json.loads(p.read_text()) for p in sorted((run / "logs").rglob("seed_*.json"))]
    assert len(records) == 6
    assert all(r["returncode"] == 0 for r in records)
    spans = sorted((r["started"], r["ended"]) for r in records)
    overlaps = sum(b0 < a1 for (_, a1), (b0, _) in itertools.pairwise(spans))
    assert overlaps >= 2  # --jobs 2: consecutive cells ran at the same time
    most = max(sum(s <= t < e for s, e in spans) for t, _ in spans)
    assert most == 2  # and never more than 2


def test_rerun_skips_finished_cells_and_resumes_the_rest(finished, tmp_path, capsys):
    claim, first = finished
    run = tmp_path / "run"
    shutil.copytree(first, run)
    stamps = {p: p.read_text() for p in run.glob("*/x1/seed_*/summary.json")}
    half = run / "arma" / "x1" / "seed_1"  # killed after a checkpoint: config + last.ckpt
    (half / "summary.json").unlink()
    assert (half / "config.yaml").is_file()
    assert (half / "checkpoints" / "last.ckpt").is_file()
    broken = run / "conv" / "x1" / "seed_0"  # killed before its first checkpoint
    shutil.rmtree(broken)
    broken.mkdir()
    (broken / "stray.txt").write_text("half-written")
    capsys.readouterr()
    assert main([str(claim), "--jobs", "2", "--out", str(run)]) == 0
    assert "4 done, 1 to resume, 1 to run" in capsys.readouterr().out
    resumed = json.loads((half / "summary.json").read_text())
    assert resumed["resumed"] is True
    assert not (broken / "stray.txt").exists()  # wiped, run afresh
    assert json.loads((broken / "summary.json").read_text())["resumed"] is False
    for path, text in stamps.items():
        if path.parent not in (half, broken):
            assert path.read_text() == text  # not re-run
    assert (run / "table.md").read_text() == (first / "table.md").read_text()
    assert _metrics(_csv(run)) == _metrics(_csv(first))


def test_collect_a_partial_grid(finished, tmp_path, capsys):
    _, first = finished
    run = tmp_path / "run"
    shutil.copytree(first, run)
    for k in (1, 2):
        (run / "conv" / "x1" / f"seed_{k}" / "summary.json").unlink()  # still running
    for name in ("results.csv", "verdict.json", "table.md"):
        (run / name).unlink()
    assert main(["--collect", str(run), "--no_figures"]) == 0
    assert "conv/x1(n=1)" in capsys.readouterr().out  # the printed table
    assert [(r["row"], r["seed"]) for r in _csv(run)][-1] == ("conv", "0")
    assert len(_csv(run)) == 4
    verdict = json.loads((run / "verdict.json").read_text())
    (comp,) = verdict["claims"][0]["comparisons"]
    assert comp["verdict"] == verdict["verdict"] == "not shown"
    assert comp["reason"] == "conv/x1 has 1 finite value (needs >= 2)"
    assert "| Conv | -1 (1) |" in (run / "table.md").read_text()


def test_collect_a_recorded_results_csv(finished, tmp_path, capsys, monkeypatch):
    # docs/reproductions/<grid>/results.csv alone (no cell folders) re-aggregates to the same
    # table and verdict as the run folder it came from
    import apps.reproduce.cli as cli

    claim, first = finished
    recorded = tmp_path / "recorded"
    recorded.mkdir()
    shutil.copy(first / "results.csv", recorded / "results.csv")
    monkeypatch.setattr(cli, "resolve_claim", lambda name: load_claim(claim))
    assert main(["--collect", str(recorded / "results.csv"), "--no_figures"]) == 0
    capsys.readouterr()
    assert (recorded / "table.md").read_text() == (first / "table.md").read_text()
    ours, theirs = (json.loads((d / "verdict.json").read_text()) for d in (recorded, first))
    assert ours == theirs
    assert _metrics(_csv(recorded)) == _metrics(_csv(first))
    other = yaml.safe_load(claim.read_text())
    monkeypatch.setattr(cli, "resolve_claim", lambda name: claim_from_dict({**other, "version": 2}))
    assert main(["--collect", str(recorded / "results.csv"), "--no_figures"]) == 2
    assert "recorded for claim fake-grid version 1" in capsys.readouterr().err


def test_folder_of_another_grid_is_refused(finished, tmp_path, capsys):
    _, first = finished
    run = tmp_path / "run"
    shutil.copytree(first, run)
    other = write_claim(tmp_path, fake_claim(version=2))
    assert main([str(other), "--out", str(run)]) == 2
    assert "holds the grid of claim fake-grid version 1 scale smoke" in capsys.readouterr().err


def test_list_and_print_commands(tmp_path, capsys, monkeypatch):
    claim = write_claim(tmp_path, fake_claim())
    args = [str(claim), "--scale", "paper", "--print_commands", "--seeds", "4"]
    assert main([*args, "--", "--data.root", "/data"]) == 0  # after --: to every cell
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "# fake-grid scale paper: 8 cells; estimated GPU-hours: 24 in all, 3 per cell"
    cmd = out[2].split()
    assert cmd[1:] == [
        "-m", "reproduce_fake.app", "--sleep", "9", "--config", "paper_arma.yaml", "--mean", "10",
        "--spread", "1", "--spread", "2", "--data.root", "/data", "--seed_everything", "0",
        "--run_dir",
        str(Path("runs/reproduce/fake-grid-paper/arma/x1/seed_0").resolve()),
    ]  # fmt: skip
    assert len(out) == 2 + 8
    assert not Path("runs/reproduce/fake-grid-paper").exists()  # nothing ran
    import apps.reproduce.cli as cli

    monkeypatch.setattr(cli, "available_claims", lambda: [claim])
    assert main([]) == 0
    listing = capsys.readouterr().out
    assert "fake-grid (v1, reproduce_fake.app, 2 cells per seed)" in listing
    assert "smoke (3 seeds): 0.2 min measured; paper (2 seeds): 12 GPU-h estimated" in listing


def _stub(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def test_slurm_submission_with_a_stand_in_sbatch(tmp_path, monkeypatch, capsys):
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    _stub(bin_, "sbatch", f'cp "$1" {tmp_path}/submitted.sh\necho "Submitted batch job 4242"')
    for name in ("srun", "sacct", "squeue", "scancel"):
        _stub(bin_, name, f"echo {name} >> {tmp_path}/calls.txt")
    monkeypatch.setenv("PATH", f"{bin_}{os.pathsep}{os.environ['PATH']}")
    claim = write_claim(tmp_path, fake_claim())
    run = tmp_path / "run"
    args = [str(claim), "--executor", "slurm", "--partition", "gpu", "--gpus_per_node", "2",
            "--time_min", "30", "--cpus_per_task", "4", "--account", "lab", "--jobs", "3",
            "--out", str(run), "--detach"]  # fmt: skip
    assert main(args) == 0
    assert "submitted 6 cells: 4242_0, 4242_1" in capsys.readouterr().out
    script = (tmp_path / "submitted.sh").read_text()
    for line in ("--partition=gpu", "--gpus-per-node=2", "--time=30", "--cpus-per-task=4",
                 "--account=lab", "--array=0-5%3", "--job-name=reproduce-fake-grid"):  # fmt: skip
        assert f"#SBATCH {line}\n" in script
    assert "-m submitit.core._submit" in script
    with open(run / ".submitit" / "4242_5_submitted.pkl", "rb") as f:
        job = pickle.load(f).function  # the CellJob the array task runs
    assert job.name == "conv/x1/seed_2"
    assert list(job.command[1:3]) == ["-m", "reproduce_fake.app"]
    tail = ["--seed_everything", "2", "--run_dir", str(run / "conv" / "x1" / "seed_2")]
    assert list(job.command[-4:]) == tail
    assert job.env["OMP_NUM_THREADS"] == "4"
    assert job.cwd == str(Path(__file__).resolve().parents[2])
    # a second run does not submit the same cells again while they are out
    assert main(args) == 2
    assert "submitted with --detach" in capsys.readouterr().err


def test_slurm_flags_need_the_slurm_executor(tmp_path, capsys):
    claim = write_claim(tmp_path, fake_claim())
    assert main([str(claim), "--partition", "gpu", "--out", str(tmp_path / "r")]) == 2
    assert "--partition need --executor slurm" in capsys.readouterr().err


def _bad(data: dict, *path_and_value) -> dict:
    *path, value = path_and_value
    node = data
    for key in path[:-1]:
        node = node[key]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return data


_DELETE = object()
_TERM = ("verdict", "claims", 0, "comparisons", 0)


@pytest.mark.parametrize(
    ("path_and_value", "message"),
    [
        (("colour", "x"), r"key '<top>' has unknown keys \['colour'\]"),
        (("paper", _DELETE), r"key '<top>' is missing \['paper'\]"),
        (("app", "no_such_app"), r"key 'app' should name a runnable module, got 'no_such_app'"),
        (("version", 0), r"key 'version' should be an int >= 1, got 0"),
        (("scales", "smoke", "seeds", 0), r"key 'scales.smoke.seeds' should be an int >= 1"),
        (("scales", "huge", {"seeds": 1}), r"key 'scales.huge' should be one of smoke, cpu"),
        (("scales", "smoke", "args", "--smoke"), r"key 'scales.smoke.args' should be a list"),
        (("scales", "paper", "row_args", "lstm", []), r"'scales.paper.row_args.lstm' should be"),
        (("scales", "paper", "column_args", "x9", []), r"'scales.paper.column_args.x9' should be"),
        (("metrics", "score", "higher_is_better", "yes"), r"'metrics.score.higher_is_better'"),
        (
            (*_TERM, "side", "more"),
            r"comparisons\[0\].side' should be one of greater, less, "
            r"within, got 'more'",
        ),
        ((*_TERM, "metric", "psnr"), r"comparisons\[0\].metric' should be one of score"),
        ((*_TERM, "terms", 1, "row", "lstm"), r"terms\[1\].row' should be one of arma, conv"),
        ((*_TERM, "terms", 0, "coef", 0), r"terms\[0\].coef' should be non-zero"),
        ((*_TERM, "margin", "1"), r"comparisons\[0\].margin' should be a finite number, got"),
        (("paper_values", "arma", "x9", {}), r"key 'paper_values.arma.x9' should be one of x1"),
        (("paper_values", "arma", "x1", "psnr", 1.0), r"'paper_values.arma.x1.psnr' should be"),
        (("seed_flag", "seed"), r"key 'seed_flag' should be a flag such as --seed"),
        (("scales", "paper", "requires", {"data.root": "x"}), r"'scales.paper.requires' should"),
        (("scales", "paper", "requires", {"--data.root": ""}), r"'scales.paper.requires' should"),
    ],
)
def test_bad_claims_name_the_key_and_value(path_and_value, message):
    with pytest.raises(ValueError, match=message):
        claim_from_dict(_bad(fake_claim(), *path_and_value), source="bad.yaml")


def test_within_needs_a_margin_and_file_errors(tmp_path):
    data = _bad(fake_claim(), *_TERM, "side", "within")
    with pytest.raises(ValueError, match=r"margin' should be > 0 for side 'within'"):
        claim_from_dict(_bad(data, *_TERM, "margin", 0), source="bad.yaml")
    path = write_claim(tmp_path, fake_claim(name="other"))
    renamed = path.rename(tmp_path / "fake-grid.yaml")
    with pytest.raises(ValueError, match=r"fake-grid.yaml: key 'name' should equal the file's"):
        load_claim(renamed)
    renamed.write_text("name: [unclosed")
    with pytest.raises(ValueError, match=r"fake-grid.yaml: not valid YAML"):
        load_claim(renamed)
    assert main(["no-such-claim"]) == 2


def test_a_scale_that_requires_a_flag_runs_nothing_without_it(tmp_path, capsys):
    """A scale's ``requires`` (e.g. the real data's folder): without the flag after ``--`` the
    runner names it and the reason, exits 2 and creates no run folder; with it (``--flag V`` or
    ``--flag=V``) the grid's commands are planned."""
    data = fake_claim()
    data["scales"]["paper"]["requires"] = {"--root": "the real data; the stand-in has no signal"}
    claim = write_claim(tmp_path, data)
    run = tmp_path / "r"
    assert main([str(claim), "--scale", "paper", "--out", str(run)]) == 2
    err = capsys.readouterr().err
    assert "needs --root after '--'" in err
    assert "the stand-in has no signal" in err
    assert "nothing was run" in err
    assert not run.exists()
    for extra in (["--root", "/data"], ["--root=/data"]):
        args = [str(claim), "--scale", "paper", "--out", str(run), "--print_commands", "--"]
        assert main([*args, *extra]) == 0
        assert extra[-1] in capsys.readouterr().out
    assert main([str(claim), "--scale", "paper", "--print_commands", "--", "--rooty", "x"]) == 2
