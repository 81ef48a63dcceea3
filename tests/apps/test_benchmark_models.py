import json

from apps.benchmark.__main__ import main


def test_models_benchmark_quick_writes_json(tmp_path, capsys):
    assert main(["models", "--quick", "--repeats", "1", "--out", str(tmp_path)]) == 0
    printed = json.loads(capsys.readouterr().out)
    for key in ("streaming_sampling_speedup", "armalstm_over_convlstm_time", "machine"):
        assert key in printed
    (run_dir,) = (tmp_path / "benchmark").iterdir()
    assert json.loads((run_dir / "summary.json").read_text()) == printed
    sampling = printed["sampling"]
    # the run asserts it; the flag says the check ran on the timed prefix
    assert sampling["identical_samples_on_prefix"] is True
    assert sampling["rerun_prefix_pixels"] == 8
    assert sampling["shape"] == {"channels": 1, "height": 4, "width": 4, "batch": 1}
    lengths = [row["length"] for row in sampling["forward_s_by_length"]]
    assert lengths[0] == 1
    assert lengths[-1] == 16  # the estimate interpolates up to the full length
    assert sampling["streaming_sampling_speedup"] > 0
    video = printed["video"]
    assert video["fwd_bwd_s"].keys() == {"conv3", "arma"}
    assert video["parameters"]["arma"] > video["parameters"]["conv3"]  # the AR taps
