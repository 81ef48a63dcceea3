"""The video app's command line in-process: --print_config, bad flags and missing data are
rejected before any training starts (no run folder is created)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import apps.video_prediction
from apps.framework import main
from apps.video_prediction import MovingMNISTDataModule, VideoPredictionModule
from longrange_models import CELLS, LAYER_KINDS, ConvLSTMNet


def _main(argv: list[str]) -> int:
    with warnings.catch_warnings():  # Lightning/jsonargparse deprecation notes are not ours
        warnings.simplefilter("ignore")
        return main("video_prediction", VideoPredictionModule, MovingMNISTDataModule, argv)


def test_print_config_exits_0_with_the_default_preset(capsys):
    assert _main(["--print_config"]) == 0
    out = capsys.readouterr().out
    assert "preset: arma" in out
    assert "patch_size: 4" in out
    assert "gradient_clip_val: 3.0" in out


def test_smoke_print_config_merges_smoke_yaml(capsys):
    assert _main(["--smoke", "--print_config"]) == 0
    out = capsys.readouterr().out
    assert "smoke: true" in out
    assert "num_train: 24" in out


def test_help_lists_the_models_tables(capsys):
    """The choices come from longrange_models' tables: every ConvLSTMNet preset and cell kind
    (``rotation_gru`` included) and every layer kind, with no list in the app."""
    assert _main(["--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps long lines
    for name in (*ConvLSTMNet.presets, *CELLS, *LAYER_KINDS):
        assert f"'{name}'" in out, name


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--model.hidden_channels", "-3"], "hidden_channels"),
        (["--model.layer", "fft"], "layer"),
        (["--data.batch_size", "0"], "batch_size"),
        (["--seeds", "0"], "seeds"),
        (["--model.teacher_forcing_start", "0.9", "--model.teacher_forcing_end", "0.1"],
         "teacher_forcing_start"),
        (["--model.kernel_size", "4"], "kernel_size"),
        (["--model.l1_start", "1.5"], "l1_start"),
        (["--model.lr_schedule", "cosine"], "lr_schedule"),
    ],
)  # fmt: skip
def test_invalid_flag_values_are_rejected_before_training(argv, message, tmp_path, capsys):
    assert _main([*argv, "--out", str(tmp_path / "runs")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_missing_test_file_gives_the_one_paragraph_error(tmp_path, capsys):
    missing = tmp_path / "mnist_test_seq.npy"
    argv = ["--data.test_file", str(missing), "--out", str(tmp_path / "runs")]
    assert _main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert f"--data.test_file {missing} does not exist" in err
    assert "mnist_test_seq.npy" in err
    assert "To use the real data, download http" in err
    assert "To run without it, omit --data.test_file" in err
    assert not (tmp_path / "runs").exists()


def test_paper_presets_parse_with_the_papers_backbone(capsys):
    configs = sorted(Path(apps.video_prediction.__file__).parent.glob("configs/paper_*.yaml"))
    assert len(configs) >= 5
    for cfg in configs:
        assert _main(["--config", str(cfg), "--print_config"]) == 0, cfg
        out = capsys.readouterr().out
        for line in ("num_layers: 12", "hidden_channels: 32", "max_epochs: 400", "lr: 0.001"):
            assert line in out, (cfg.name, line)
        assert f"preset: {cfg.stem.removeprefix('paper_')}" in out
