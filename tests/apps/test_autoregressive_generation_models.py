"""apps.autoregressive_generation's --model.model and --model.param_budget: the WaveNet-style
network end to end at smoke size (train, test on the best checkpoint, samples, a weights-only
restore), the clear error for an unknown network, and both networks sized to the claim's budgets
within 2% (counted on the built net)."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import pytest
import torch
from app_command import run_app

from apps.autoregressive_generation import GenerationModule, ImageSequenceDataModule
from apps.autoregressive_generation.networks import MODELS, build_network
from apps.framework import load_checkpoint, main
from longrange_models import MultiresAR, WaveNetAR

APP = "apps.autoregressive_generation"
#: The budgets of apps/reproduce/claims/multires-generation.yaml: smoke (on the --smoke sizes)
#: and cpu (on the app's default sizes).
SMOKE_BUDGET, CPU_BUDGET = 929, 16000
SMOKE = {"channels": 8, "num_blocks": 1, "num_mixtures": 2}
DEFAULT = {"channels": 32, "num_blocks": 4, "num_mixtures": 5}


def test_wavenet_smoke_end_to_end(tmp_path: Path) -> None:
    args = ("--smoke", "--model.model", "wavenet", "--model.param_budget", str(SMOKE_BUDGET))
    proc = run_app(APP, *args, "--out", str(tmp_path / "runs"), tmp=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (run,) = list((tmp_path / "runs" / "autoregressive_generation").iterdir())
    summary = json.loads((run / "summary.json").read_text())
    assert summary["model"] == "wavenet"
    assert summary["model_config"]["kernel_size"] == 2
    assert summary["tested_checkpoint"] == "best"
    assert math.isfinite(summary["test_bpd"])
    assert summary["test_bpd"] > 0
    assert summary["samples_match"] is True  # the window sampler == re-running the forward
    assert {Path(f).name for f in summary["figures"]} == {"samples.png", "training_curves.png"}
    assert summary["param_budget"] == SMOKE_BUDGET
    assert abs(summary["param_count"] - SMOKE_BUDGET) <= 0.02 * SMOKE_BUDGET
    # the best checkpoint restores weights-only into a module built from its hyper-parameters
    ckpt = load_checkpoint(run / "checkpoints" / "best.ckpt")
    plain = {k: v for k, v in ckpt["hyper_parameters"].items() if not k.startswith("_")}
    module = GenerationModule(**plain)
    module.load_state_dict(ckpt["state_dict"], strict=True)
    assert isinstance(module.model, WaveNetAR)
    assert sum(p.numel() for p in module.model.parameters()) == summary["param_count"]
    assert summary["widths"] == {
        "channels": module.model.config.channels,
        "skip_channels": module.model.config.skip_channels,
    }
    saved = torch.load(run / "samples.pt", weights_only=True)
    gen = torch.Generator().manual_seed(summary["sample_seed"])
    again = module.eval().model.sample(saved.shape[0], gen, length=30)
    torch.testing.assert_close(again, saved[..., :30].long())


def test_unknown_model_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(ValueError, match=r"model should be one of \('multiresar', 'wavenet'\)"):
        GenerationModule(model="pixelcnn", **SMOKE)
    # the command line (in this process: the app's own main) prints it and exits with 2
    argv = ["--smoke", "--model.model", "pixelcnn", "--out", str(tmp_path)]
    with warnings.catch_warnings():  # Lightning's note on args= beside pytest's own argv
        warnings.simplefilter("ignore")
        status = main("autoregressive_generation", GenerationModule, ImageSequenceDataModule, argv)
    assert status == 2
    err = capsys.readouterr().err
    assert "model should be one of ('multiresar', 'wavenet'), got 'pixelcnn'" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(("budget", "sizes"), [(SMOKE_BUDGET, SMOKE), (CPU_BUDGET, DEFAULT)])
@pytest.mark.parametrize("model", MODELS)
def test_param_budget_within_two_percent(model: str, budget: int, sizes: dict) -> None:
    module = GenerationModule(model=model, param_budget=budget, dropout=0.0, **sizes)
    count = sum(p.numel() for p in module.model.parameters())  # counted, not the sizing's formula
    assert abs(count - budget) <= 0.02 * budget, (model, count)
    extras = module.summary_extras()
    assert extras["param_count"] == count
    assert extras["param_budget"] == budget
    if model == "multiresar":  # the widest width within the budget
        width = module.model.config.channels
        assert extras["widths"] == {"channels": width}
        assert count <= budget
        wider = MultiresAR(
            in_channels=1,
            seq_len=784,
            channels=width + 1,
            num_blocks=sizes["num_blocks"],
            num_mixtures=sizes["num_mixtures"],
            kernel_size=4,
        )
        assert sum(p.numel() for p in wider.parameters()) > budget


def test_param_budget_out_of_reach_names_the_budget() -> None:
    with pytest.raises(ValueError, match=r"param_budget=1000: the multiresar .* beyond 2%"):
        GenerationModule(model="multiresar", param_budget=1000, **SMOKE)
    with pytest.raises(ValueError, match=r"param_budget=10 is below"):
        build_network(
            "multiresar",
            in_channels=1,
            seq_len=784,
            kernel_size=4,
            dropout=0.0,
            norm="layer",
            param_budget=10,
            **SMOKE,
        )


def test_default_is_the_unchanged_multiresar() -> None:
    """No --model.* flag: the same MultiresAR, with the same initial weights, as before."""
    torch.manual_seed(0)
    module = GenerationModule(dropout=0.0, **DEFAULT)
    torch.manual_seed(0)
    plain = MultiresAR(in_channels=1, seq_len=784, kernel_size=4, dropout=0.0, **DEFAULT)
    assert module.hparams.model == "multiresar"
    assert module.hparams.param_budget is None
    mine, theirs = module.model.state_dict(), plain.state_dict()
    assert list(mine) == list(theirs)
    for name, value in mine.items():
        assert torch.equal(value, theirs[name]), name
