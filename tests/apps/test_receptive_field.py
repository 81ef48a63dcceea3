"""apps.receptive_field: radii vs Theorem 3 (arma-core's settings), 2D = product of 1D, the
multires filters against closed forms, and the command line (smoke, resume, bad arguments)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from apps.receptive_field import (
    covariance_radius,
    linear_arma_net,
    main,
    measure_radius,
    multires_filters,
    theorem3_radius,
)
from arma_core import effective_receptive_field


# arma-core's tests/arma-core/test_erf.py settings: L in {1, 3, 5} x a in {0, .6, .8, .9}, K = 3,
# and dilation 2, 3 at L = 3, a = 0.6
@pytest.mark.parametrize("num_layers", [1, 3, 5])
@pytest.mark.parametrize("a", [0.0, 0.6, 0.8, 0.9])
def test_1d_radius_within_5_percent_of_theorem3(num_layers, a):
    r = measure_radius(num_layers, a, kernel_size=3, dilation=1, dims=1)
    assert r["theorem3"] == pytest.approx(theorem3_radius(num_layers, a))
    assert r["measured"] == pytest.approx(r["theorem3"], rel=0.05)


@pytest.mark.parametrize("d", [2, 3])
def test_1d_radius_with_dilation(d):
    r = measure_radius(3, 0.6, kernel_size=3, dilation=d, dims=1)
    expected = math.sqrt(3 * (d * d * 8 / 12 + 0.6 / 0.4**2))  # Theorem 3 written out
    assert r["measured"] == pytest.approx(expected, rel=0.05)


@pytest.mark.parametrize(
    ("num_layers", "a", "d"), [(1, 0.0, 1), (3, 0.6, 1), (3, 0.8, 1), (3, 0.6, 2)]
)
def test_2d_covariance_radius_within_5_percent(num_layers, a, d):
    r = measure_radius(num_layers, a, kernel_size=3, dilation=d, dims=2)
    assert r["measured"] == pytest.approx(
        math.sqrt(2) * theorem3_radius(num_layers, a, 3, d), rel=0.05
    )


def test_2d_erf_is_the_outer_product_of_1d_erfs():
    length = 64
    erf1 = effective_receptive_field(linear_arma_net(2, 0.6), (1, length), dtype=torch.float64)
    net2 = linear_arma_net(2, 0.6, dims=2)
    erf2 = effective_receptive_field(net2, (1, length, length), dtype=torch.float64)
    torch.testing.assert_close(erf2, torch.outer(erf1, erf1), atol=1e-12, rtol=1e-9)


def test_covariance_radius_against_numpy():
    rng = np.random.default_rng(0)
    w = rng.random((7, 9))
    w /= w.sum()
    p0, p1 = np.meshgrid(np.arange(7) - 3, np.arange(9) - 4, indexing="ij")
    var = sum((p**2 * w).sum() - (p * w).sum() ** 2 for p in (p0, p1))
    assert covariance_radius(torch.from_numpy(w)) == pytest.approx(math.sqrt(var), rel=1e-12)


def test_multires_filters_haar_closed_form():
    out = multires_filters("haar", 2)
    assert out["names"] == ["a_2", "b_2", "b_1"]
    assert out["lengths"] == [4, 4, 2]
    # haar h0 = (1, 1)/sqrt2, h1 = (1, -1)/sqrt2 (dec filters); two levels: h0 * h0 up 2
    torch.testing.assert_close(out["filters"][0], torch.full((4,), 0.5, dtype=torch.float64))
    assert out["max_abs_error"] < 1e-12


def test_linear_net_errors():
    with pytest.raises(ValueError, match="a should be in"):
        linear_arma_net(2, 1.0)
    with pytest.raises(ValueError, match="num_layers"):
        linear_arma_net(0, 0.5)
    with pytest.raises(ValueError, match="dims"):
        linear_arma_net(1, 0.5, dims=3)


def _summary(out):
    (run,) = list((out / "receptive_field").iterdir())
    return run, json.loads((run / "summary.json").read_text())


def test_smoke_writes_finite_metrics_figures_and_resumes(tmp_path):
    assert main(["--smoke", "--out", str(tmp_path)]) == 0
    run, summary = _summary(tmp_path)
    assert summary["curves"]["max_rel_error_1d"] < 0.05
    assert summary["curves"]["max_rel_error_2d"] < 0.05
    assert math.isfinite(summary["multires"]["max_abs_error"])
    for row in summary["grid"]["radius_eq4"]:
        assert all(math.isfinite(v) and v > 0 for v in row)
    names = {"erf_grid.png", "radius_vs_theorem3.png", "multires_equivalent_filters.png"}
    assert {p.split("/")[-1] for p in summary["figures"]} == names
    assert all((run / f).stat().st_size > 1000 for f in summary["figures"])
    # resume: the finished parts are read back, only the missing one is recomputed
    (run / "parts" / "multires.json").unlink()
    assert main(["--resume", str(run)]) == 0
    resumed = json.loads((run / "summary.json").read_text())
    assert resumed["resumed"]
    assert list(resumed["part_seconds"]) == ["multires"]
    assert resumed["curves"] == summary["curves"]
    # the --resume=DIR spelling resumes the same folder too (it used to start a new run)
    (run / "parts" / "grid.json").unlink()
    assert main([f"--resume={run}"]) == 0
    assert list(json.loads((run / "summary.json").read_text())["part_seconds"]) == ["grid"]
    assert [p for p in tmp_path.rglob("summary.json") if p.parent != run] == []


def test_bad_arguments_exit_2(tmp_path, capsys):
    assert main(["--smoke", "--out", str(tmp_path), "--grid.magnitudes", "[1.0]"]) == 2
    assert "AR magnitudes" in capsys.readouterr().err
    assert main(["--resume", str(tmp_path / "nope")]) == 2
    assert main(["--smoke", "--out", str(tmp_path), "--checkpoint", str(tmp_path / "x")]) == 2
    assert "no such run folder" in capsys.readouterr().err


def _fake_video_run(tmp_path, payload=None):
    """A run folder as apps.video_prediction writes it, with a tiny checkpoint."""
    from apps.video_prediction import VideoPredictionModule

    torch.manual_seed(0)
    module = VideoPredictionModule(hidden_channels=4, num_layers=1, block_size=1, patch_size=4)
    with torch.no_grad():  # "trained": AR weights away from their zero initialisation
        module.model.cells[0].gates.ar_weight.fill_(0.7)
    run = tmp_path / "runs" / "video_prediction" / "stamp"
    (run / "checkpoints").mkdir(parents=True)
    (run / "summary.json").write_text(json.dumps({"app": "video_prediction"}))
    data = {"num_train": 2, "num_val": 2, "num_test": 2, "data_dir": str(tmp_path / "cache")}
    ckpt = {
        "state_dict": module.state_dict(),
        "hyper_parameters": dict(module.hparams),
        "datamodule_hyper_parameters": data,
    }
    if payload is not None:
        ckpt["extra"] = payload
    torch.save(ckpt, run / "checkpoints" / "best.ckpt")
    return run


def test_checkpoint_erf_and_ar_coefficients(tmp_path):
    from apps.receptive_field import checkpoint_analysis
    from apps.video_prediction import VideoPredictionModule

    out = checkpoint_analysis(_fake_video_run(tmp_path), num_inputs=2)
    assert out["app"] == "video_prediction"
    assert out["erf"].shape == (64, 64)
    assert float(out["erf"].sum()) == pytest.approx(1.0)
    assert sum(out["frame_shares"]) == pytest.approx(1.0)
    assert len(out["frame_shares"]) == 10
    assert math.isfinite(out["radius"]) and out["radius"] > 0  # noqa: PT018
    # the loaded AR weights are the saved ones, and they widen the ERF over the initialisation
    (name,) = out["ar"]
    assert name == "model.cells.0.gates"
    coeffs = VideoPredictionModule(hidden_channels=4, num_layers=1, block_size=1, patch_size=4)
    gates = coeffs.model.cells[0].gates
    with torch.no_grad():
        gates.ar_weight.fill_(0.7)
        torch.testing.assert_close(out["ar"][name], gates.ar_coefficients().flatten())
    assert out["radius"] > out["radius_init"]


def test_unsafe_checkpoint_is_refused(tmp_path, capsys):
    import argparse

    run = _fake_video_run(tmp_path, payload=argparse.Namespace(x=1))
    args = ["--smoke", "--out", str(tmp_path), "--checkpoint", str(run)]
    args += ["--curves.dims", "[1]", "--grid.depths", "[1]", "--curves.depths", "[1]"]
    assert main(args) == 2
    assert "refusing to load checkpoint" in capsys.readouterr().err
