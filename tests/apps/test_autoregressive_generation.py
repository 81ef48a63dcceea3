"""apps.autoregressive_generation: --smoke end to end (subprocess), bits/dim recomputed from the
checkpoint by an independent path, samples reproducible from their seed, the marginal baseline
against a numpy oracle, and clear errors for missing CIFAR-10."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from app_command import run_app

from apps.autoregressive_generation import (
    GenerationModule,
    ImageSequenceDataModule,
    marginal_baseline,
)
from apps.framework import DatasetNotFoundError, load_checkpoint
from longrange_models import mixture_log_probs

APP = "apps.autoregressive_generation"


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("gen")
    out = tmp / "runs"
    proc = run_app(APP, "--smoke", "--out", str(out), tmp=tmp)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (run,) = list((out / "autoregressive_generation").iterdir())
    return run


def _restore(run: Path) -> tuple[GenerationModule, ImageSequenceDataModule]:
    ckpt = load_checkpoint(run / "checkpoints" / "best.ckpt")
    plain = {k: v for k, v in ckpt["hyper_parameters"].items() if not k.startswith("_")}
    module = GenerationModule(**plain)
    module.load_state_dict(ckpt["state_dict"])
    data = {k: v for k, v in ckpt["datamodule_hyper_parameters"].items() if not k.startswith("_")}
    dm = ImageSequenceDataModule(**data)
    dm.setup("test")
    return module.eval(), dm


def test_smoke_writes_finite_metrics_and_figures(smoke_run):
    summary = json.loads((smoke_run / "summary.json").read_text())
    for key in ("test_bpd", "test_nll_nats", "baseline_marginal_bpd", "streaming_speedup"):
        assert math.isfinite(summary[key]), key
    assert summary["baseline_uniform_bpd"] == 8.0
    assert summary["samples_match"] is True  # streaming == re-running the forward, same draws
    assert summary["sample_seconds_per_image"] > 0
    assert summary["tested_checkpoint"] == "best"
    assert {Path(f).name for f in summary["figures"]} == {"samples.png", "training_curves.png"}
    assert all((smoke_run / f).stat().st_size > 1000 for f in summary["figures"])


def test_bits_per_dim_recomputed_independently(smoke_run):
    """NLL from the log-probabilities of all 256 values (mixture_log_probs, not the loss's
    mixture_nll), summed in float64, divided by (images · sub-pixels · ln 2) by hand."""
    summary = json.loads((smoke_run / "summary.json").read_text())
    module, dm = _restore(smoke_run)
    x = dm.test_set.data.long()  # (N, 1, 784)
    with torch.no_grad():
        params = module.model(x)  # (N, P, L)
    n, p, _ = params.shape
    m = module.hparams.num_mixtures
    logp = mixture_log_probs(params.permute(0, 2, 1).reshape(-1, p), m, 1)
    picked = logp.gather(1, x.reshape(-1, 1)).double()
    nll_nats = -float(picked.sum()) / n
    assert summary["test_nll_nats"] == pytest.approx(nll_nats, rel=1e-4)
    bpd = -float(picked.sum()) / (n * 1 * 28 * 28 * math.log(2))
    assert summary["test_bpd"] == pytest.approx(bpd, rel=1e-4)


def test_samples_reproducible_from_seed(smoke_run):
    summary = json.loads((smoke_run / "summary.json").read_text())
    saved = torch.load(smoke_run / "samples.pt", weights_only=True)
    module, _ = _restore(smoke_run)
    seed = summary["sample_seed"]
    again = module.model.sample(saved.shape[0], torch.Generator().manual_seed(seed), length=40)
    torch.testing.assert_close(again, saved[..., :40].long())
    other = module.model.sample(saved.shape[0], torch.Generator().manual_seed(seed + 1), length=40)
    assert not torch.equal(other, again)


def test_marginal_baseline_against_numpy():
    rng = np.random.default_rng(0)
    train, val, test = (rng.integers(0, 256, (k, 2, 5)) for k in (40, 10, 12))
    out = marginal_baseline(*(torch.from_numpy(a) for a in (train, val, test)), alphas=(0.5,))
    bits = 0.0
    for c in range(2):
        for pos in range(5):
            counts = np.bincount(train[:, c, pos], minlength=256)
            probs = (counts + 0.5) / (40 + 256 * 0.5)
            bits -= np.log2(probs[test[:, c, pos]]).sum()
    assert out["test_bpd"] == pytest.approx(bits / (12 * 2 * 5), rel=1e-12)
    assert out["alpha"] == 0.5


def test_missing_cifar_is_a_clear_error(tmp_path):
    for root in (None, str(tmp_path / "nowhere")):
        with pytest.raises(DatasetNotFoundError, match="cifar-10-batches-py") as err:
            ImageSequenceDataModule(dataset="cifar10", root=root)
        assert "--data.dataset digits" in str(err.value)  # the offline default is named
    # the command line turns it into one paragraph and exit status 2
    args = ("--smoke", "--out", str(tmp_path), "--data.dataset", "cifar10")
    proc = run_app(APP, *args, tmp=tmp_path, timeout=300)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "Dataset not found" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_resume_reuses_the_run_folder_and_config(smoke_run, tmp_path):
    """--resume RUN reads RUN/config.yaml and RUN/checkpoints/last.ckpt and rewrites RUN's
    summary (no new run folder). Extending a *finished* run with a larger --trainer.max_steps
    trains no further steps (the framework restores an exhausted epoch); see docs."""
    runs_before = set(smoke_run.parent.iterdir())
    proc = run_app(APP, "--resume", str(smoke_run), tmp=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert set(smoke_run.parent.iterdir()) == runs_before
    after = json.loads((smoke_run / "summary.json").read_text())
    assert after["resumed"] is True
    assert after["steps"] == 3
    assert math.isfinite(after["test_bpd"])
