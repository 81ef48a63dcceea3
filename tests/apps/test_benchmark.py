import json

import numpy as np
import pytest
import torch
from oracles import dense_solve

from apps.benchmark.__main__ import main
from apps.benchmark.naive_arma import naive_ar_solve2d
from apps.benchmark.reference_multires import one_conv_fading, reference_fading
from arma_stability import stable_coefficients

KEYS = {
    "arma2d_over_conv2d_time",
    "naive_over_conv2d_time",
    "arma2d_saved_bytes",
    "conv2d_saved_bytes",
    "output_bytes",
    "machine",
}


def test_naive_baseline_matches_dense_solve():
    g = torch.Generator().manual_seed(0)
    t = torch.randn(2, 3, 6, 7, generator=g, dtype=torch.float64)
    co = stable_coefficients(torch.randn(2, 3, 2, 2, generator=g, dtype=torch.float64))
    np.testing.assert_allclose(
        naive_ar_solve2d(t, co).numpy(), dense_solve(t.numpy(), co.numpy()), rtol=1e-9, atol=1e-9
    )


@pytest.mark.parametrize("k", [2, 3, 4])
def test_one_grouped_conv_tree_equals_the_papers_loop(k):
    g = torch.Generator().manual_seed(k)
    x = torch.randn(2, 3, 37, generator=g, dtype=torch.float64)
    h0, h1 = torch.randn(2, 3, k, generator=g, dtype=torch.float64)
    w = torch.randn(3, 7, generator=g, dtype=torch.float64)
    torch.testing.assert_close(
        one_conv_fading(x, h0, h1, w, 5), reference_fading(x, h0, h1, w, 5), rtol=1e-12, atol=1e-12
    )


def test_arma_benchmark_quick_writes_json(tmp_path, capsys):
    assert main(["arma", "--quick", "--repeats", "1", "--out", str(tmp_path)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed.keys() >= KEYS
    assert printed["machine"]["torch"] == torch.__version__
    (run_dir,) = (tmp_path / "benchmark").iterdir()
    saved = json.loads((run_dir / "summary.json").read_text())
    assert saved == printed
    assert json.loads((run_dir / "config.json").read_text())["quick"] is True
    # the AR part saves its output and a few taps, never complex spectra
    extra = printed["arma2d_saved_bytes"] - printed["conv2d_saved_bytes"]
    assert extra <= 1.05 * printed["output_bytes"]
    assert printed["naive_saved_bytes"] > printed["arma2d_saved_bytes"]
    assert printed["arma2d_vs_naive_max_abs_diff"] < 1e-4


def test_multires_benchmark_quick_writes_json(tmp_path, capsys):
    assert main(["multires", "--quick", "--repeats", "1", "--out", str(tmp_path)]) == 0
    printed = json.loads(capsys.readouterr().out)
    for key in ("multires_over_reference_time", "streaming_speedup", "machine"):
        assert key in printed
    assert printed["scifar"]["max_abs_diff"] < 1e-4  # same operator as the paper's loop
    for name in ("scifar", "listops", "scifar_batch1"):  # every variant is the same operator
        assert max(printed[name]["max_abs_diff_by_variant"].values()) < 1e-4
    assert {row["batch"] for row in printed["step_path_sweep"]} == {1, 4}
    assert printed["step_breakdown"]["us"].keys() >= {"multires_conv_step", "stack_step"}
    for row in printed["streaming"] + printed["streaming_by_length"]:
        assert row["stream_vs_forward_max_abs_diff"] < 1e-4
    headline = printed["streaming"][-1]  # also streamed by each PyTorch-only path, all exact
    by_path = headline["stream_vs_forward_max_abs_diff_by_path"]
    assert by_path.keys() == {"auto", "map", "recursion"}
    assert max(by_path.values()) < 1e-4
    assert headline["step_path"] == "fused"  # the apps env installs the fast extra (numba)


def test_paired_ratio_is_the_median_of_per_round_ratios():
    from apps.benchmark.timing import paired_ratio

    # round 2 is a slow spell for both sides: the per-round ratio ignores it, medians do not
    samples = {"conv": [1.0, 3.0, 1.0, 1.1], "arma": [1.1, 3.3, 1.2, 1.21]}
    assert paired_ratio(samples, "arma", "conv") == pytest.approx(1.1)  # ratios 1.1 1.1 1.2 1.1
    with pytest.raises(ValueError, match="longer"):
        paired_ratio({"a": [1.0], "b": [1.0, 2.0]}, "a", "b")  # rounds must pair up
