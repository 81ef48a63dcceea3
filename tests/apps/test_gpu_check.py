"""tools/gpu_check.sh (the one device check) and its summary, without a GPU: the summary reads
the benchmarks' JSON keys and judges each target; the script refuses cleanly without CUDA."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]


def _summary_module():
    spec = importlib.util.spec_from_file_location(
        "gpu_check_summary", ROOT / "tools" / "gpu_check_summary.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_summary_judges_each_target_and_reports_missing_steps(tmp_path, capsys):
    arma = {
        "machine": {"gpu": "Some GPU"},
        "banded_kernel": "triton",
        "arma2d_over_conv2d_time": 1.2,
        "arma2d_zero_over_conv2d_time": 1.5,
        "ar_time_over_floor": {"arma2d": 1.5, "arma2d_zero": 2.5},
        "peak_memory_bytes": {"conv2d": 2 << 20, "arma2d": 3 << 20},
    }
    models = {"armalstm_over_convlstm_time": 1.1, "streaming_sampling_speedup": 250.0}
    (tmp_path / "arma.json").write_text(json.dumps(arma))
    (tmp_path / "models.json").write_text(json.dumps(models))
    (tmp_path / "gpu_tests.txt").write_text("....\n12 passed in 30.0s\n")
    assert _summary_module().main([str(tmp_path)]) == 0
    rows = {r["what"]: r for r in json.loads((tmp_path / "summary.json").read_text())}
    assert rows["device"]["value"] == "Some GPU"
    assert rows["arma2d / cuDNN Conv2d fwd+bwd (gate shape)"]["ok"] is True
    assert rows["arma2d_zero / cuDNN Conv2d fwd+bwd (gate shape)"]["ok"] is False
    assert rows["arma2d: AR part / memory-bandwidth floor"]["ok"] is True
    assert rows["arma2d_zero: AR part / memory-bandwidth floor"]["ok"] is False
    assert rows["ARMA-LSTM / ConvLSTM fwd+bwd"]["ok"] is True
    assert rows["MultiresAR streaming sampling speed-up"]["ok"] is True
    assert rows["peak CUDA memory, arma2d fwd+bwd (MiB)"]["value"] == 3.0
    assert rows["gpu-marked tests"]["value"] == "12 passed in 30.0s"
    assert rows["multires benchmark"]["value"].startswith("missing")
    out = capsys.readouterr().out
    assert "MISSED" in out
    assert "Some GPU" in out


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the refusal where CUDA is absent")
def test_script_refuses_without_cuda(tmp_path):
    proc = subprocess.run(
        ["bash", str(ROOT / "tools" / "gpu_check.sh"), str(tmp_path / "run")],
        capture_output=True,
        text=True,
        env={"PYTHON": sys.executable, "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert "CUDA is not available" in proc.stderr
