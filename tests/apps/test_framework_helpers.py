"""The framework's small helpers in isolation: argv pre-parsing, atomic writes, the console
table, ``check_int``, ``eval_mode``, the data module's batch size and the import-light split."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from apps.framework import (
    AppDataModule,
    atomic_path,
    check_int,
    config_first,
    eval_mode,
    flag_value,
    format_table,
    metrics_table,
    pop_flag,
    switch_value,
    without_flag,
    write_json_atomic,
)
from apps.framework.table import markdown_table

ROOT = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------- argv


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--resume", "a"], "a"),
        (["--resume=a"], "a"),
        (["--resume", "a", "--x", "1", "--resume=b"], "b"),  # the last one wins, as in the parser
        (["--resumed", "a"], None),  # another flag with the same prefix
        (["--resume"], None),  # no value: the parser reports it
        ([], None),
    ],
)
def test_flag_value_reads_both_spellings(argv, expected):
    assert flag_value(argv, "--resume") == expected


def test_pop_flag_and_without_flag_drop_every_occurrence():
    argv = ["--out", "a", "--x", "1", "--out=b", "--smoke", "--outer", "c"]
    assert pop_flag(argv, "--out") == (["--x", "1", "--smoke", "--outer", "c"], "b")
    assert without_flag(argv, "--smoke", takes_value=False) == [
        "--out", "a", "--x", "1", "--out=b", "--outer", "c"
    ]  # fmt: skip
    assert without_flag(["--x", "--resume"], "--resume") == ["--x"]
    with pytest.raises(ValueError, match="--out needs a value"):
        pop_flag(["--x", "--out"], "--out")


@pytest.mark.parametrize(
    ("argv", "on"),
    [
        (["--smoke"], True),
        (["--smoke=true"], True),
        (["--smoke=false"], False),
        (["--smoke", "--smoke=0"], False),
        (["--smoker"], False),
        ([], False),
    ],
)
def test_switch_value(argv, on):
    assert switch_value(argv, "--smoke") is on


def test_config_first_puts_the_runs_or_the_smoke_config_in_front(tmp_path):
    configs = tmp_path / "configs"
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.yaml").write_text("seed: 1\n")
    saved = str(run / "config.yaml")
    for spelling in (["--resume", str(run)], [f"--resume={run}"]):
        assert config_first([*spelling, "--x", "1"], configs) == [
            "--config", saved, "--x", "1", "--resume", str(run)
        ]  # fmt: skip
    assert config_first(["--smoke", "--x"], configs) == [
        "--config", str(configs / "smoke.yaml"), "--smoke", "--x"
    ]  # fmt: skip
    assert config_first(["--x", "1"], configs) == ["--x", "1"]
    with pytest.raises(FileNotFoundError, match="no run config at"):
        config_first(["--resume", str(tmp_path / "missing")], configs)


# ---------------------------------------------------------------- atomic writes


def test_atomic_path_replaces_whole_or_not_at_all(tmp_path):
    path = tmp_path / "summary.json"
    write_json_atomic(path, {"b": 1, "a": 2})
    assert json.loads(path.read_text()) == {"a": 2, "b": 1}

    def failing_writer() -> None:
        with atomic_path(path) as tmp:
            tmp.write_text("half")
            raise RuntimeError("the writer failed")

    with pytest.raises(RuntimeError, match="the writer failed"):
        failing_writer()
    assert json.loads(path.read_text()) == {"a": 2, "b": 1}  # the old file, untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.json"]  # no temporary left
    assert path.stat().st_mode & 0o777 == 0o644


def test_two_atomic_writers_never_share_a_temporary_file(tmp_path):
    path = tmp_path / "fig.png"
    with atomic_path(path) as first, atomic_path(path) as second:
        assert first != second
        first.write_text("1")
        second.write_text("2")
    assert path.read_text() == "1"  # the outer block finished last


# ---------------------------------------------------------------- table


def test_format_table_aligns_every_column():
    text = format_table([("a", 0.123456789, None), ("longer", 3, True)], ("name", "x", "flag"))
    assert text.splitlines() == [
        "name    x         flag",
        "------  --------  ----",
        "a       0.123457  -",
        "longer  3         True",
    ]
    with pytest.raises(ValueError, match="rows should have 2 values"):
        format_table([(1, 2, 3)], ("a", "b"))


def test_markdown_table_has_a_rule_and_blank_cells():
    lines = markdown_table([("", 0.5, "x"), ("b", 12, None)], ("", "radius", "note"))
    assert lines == [
        "| | radius | note |",
        "|---|---|---|",
        "| | 0.5 | x |",
        "| b | 12 | - |",
    ]
    with pytest.raises(ValueError, match="rows should have 3 values"):
        markdown_table([(1, 2)], ("a", "b", "c"))


def test_metrics_table_keeps_numbers_only():
    summary = {"test_mse": 0.5, "seed": 0, "steps": 3, "smoke": True, "app": "x", "params": 7}
    lines = metrics_table(summary).splitlines()
    assert [line.split()[0] for line in lines[2:]] == ["test_mse", "params"]


# ---------------------------------------------------------------- checks


@pytest.mark.parametrize(
    ("value", "minimum", "message"),
    [
        (0, 1, "n should be a positive int, got 0"),
        (True, 1, "n should be a positive int, got True"),
        (2.0, 1, "n should be a positive int, got 2.0"),
        (-1, 0, "n should be a non-negative int, got -1"),
        (9, 10, "n should be an int >= 10, got 9"),
    ],
)
def test_check_int_names_the_argument_and_the_value(value, minimum, message):
    with pytest.raises(ValueError, match=message):
        check_int("n", value, minimum)


def test_check_int_returns_the_value():
    assert check_int("n", 10, minimum=10) == 10


# ---------------------------------------------------------------- eval_mode


def test_eval_mode_restores_each_submodules_flag_also_on_error():
    model = nn.Sequential(nn.Dropout(0.5), nn.Sequential(nn.BatchNorm1d(2), nn.Dropout(0.5)))
    model.train()
    model[1][0].eval()  # a frozen part stays frozen
    before = [m.training for m in model.modules()]
    x = torch.ones(4, 2)
    with eval_mode(model) as m:
        assert m is model
        assert not any(mod.training for mod in model.modules())
        assert torch.equal(model[0](x), x)  # dropout off
    assert [m.training for m in model.modules()] == before
    with pytest.raises(KeyError), eval_mode(model):
        raise KeyError("inside")
    assert [m.training for m in model.modules()] == before


# ---------------------------------------------------------------- data module


def test_data_module_loaders_use_the_batch_size_it_was_given():
    class Sets(AppDataModule):
        def __init__(self, batch_size: int | None) -> None:
            super().__init__(seed=0, batch_size=batch_size)
            self.sets = [list(range(10)), list(range(4)), list(range(6))]

    dm = Sets(batch_size=3)
    assert [len(b) for b in dm.train_dataloader()] == [3, 3, 3, 1]
    assert [b.tolist() for b in dm.test_dataloader()] == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(ValueError, match="batch_size should be a positive int, got 0"):
        Sets(batch_size=0)
    with pytest.raises(RuntimeError, match="no batch_size"):
        Sets(batch_size=None).val_dataloader()


# ---------------------------------------------------------------- import-light split


def test_the_light_helpers_import_neither_torch_nor_lightning():
    code = (
        "import sys, apps.framework, apps.reproduce.cli, apps.reproduce.aggregate\n"
        "from apps.framework import atomic_path, config_first, format_table, eval_mode\n"
        "print(sorted(m for m in ('torch', 'pytorch_lightning', 'matplotlib') "
        "if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_the_old_apps_run_names_still_import():
    from apps import _run, framework

    assert _run.write_json_atomic is framework.write_json_atomic
    assert _run.make_run_dir is framework.make_run_dir
