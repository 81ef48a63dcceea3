"""Checkpoint safety: a crafted pickle payload is refused before it can run; saves are atomic."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from app_command import run_app

from apps.framework import SafeCheckpointIO, UnsafeCheckpointError, load_checkpoint
from apps.framework.checkpoint import SLIM_KEYS, slim_checkpoint

ROOT = Path(__file__).resolve().parents[2]


class _Payload:
    """Unpickling this object runs ``exec`` that writes a marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({str(self.marker)!r}, 'w').write('ran')",))


def _crafted(path: Path, marker: Path) -> Path:
    torch.save({"state_dict": {"w": torch.zeros(2)}, "evil": _Payload(marker)}, path)
    return path


def test_load_checkpoint_refuses_a_pickle_payload_without_running_it(tmp_path):
    marker = tmp_path / "marker"
    ckpt = _crafted(tmp_path / "evil.ckpt", marker)
    with pytest.raises(UnsafeCheckpointError, match=r"builtins\.exec") as err:
        load_checkpoint(ckpt)
    assert "could run arbitrary code" in str(err.value)
    with pytest.raises(UnsafeCheckpointError):
        SafeCheckpointIO().load_checkpoint(ckpt)
    assert not marker.exists()


def test_weights_only_false_is_refused_and_env_override_does_not_apply(tmp_path, monkeypatch):
    marker = tmp_path / "marker"
    ckpt = _crafted(tmp_path / "evil.ckpt", marker)
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    with pytest.raises(UnsafeCheckpointError, match="weights_only=False"):
        SafeCheckpointIO().load_checkpoint(ckpt, weights_only=False)
    with pytest.raises(UnsafeCheckpointError):
        load_checkpoint(ckpt)
    assert not marker.exists()


def test_plain_checkpoints_round_trip_through_the_atomic_save(tmp_path):
    state = {"state_dict": {"w": torch.arange(3.0)}, "epoch": 2, "hp": {"lr": 0.1, "x": None}}
    path = tmp_path / "sub" / "last.ckpt"
    SafeCheckpointIO().save_checkpoint(state, path)
    assert [p.name for p in path.parent.iterdir()] == ["last.ckpt"]  # no temporary left
    loaded = load_checkpoint(path)
    torch.testing.assert_close(loaded["state_dict"]["w"], torch.arange(3.0))
    assert loaded["hp"] == {"lr": 0.1, "x": None}
    with pytest.raises(FileNotFoundError, match="not found"):
        load_checkpoint(tmp_path / "missing.ckpt")


def test_slim_checkpoint_keeps_weights_and_arguments_only(tmp_path):
    full = {
        "state_dict": {"w": torch.randn(4, 3)},
        "epoch": 5,
        "global_step": 3072,
        "hyper_parameters": {"preset": "arma", "hidden_channels": 32},
        "datamodule_hyper_parameters": {"num_test": 256},
        "optimizer_states": [{"state": {0: {"exp_avg": torch.randn(4, 3)}}}],
        "lr_schedulers": [{"last_epoch": 3072}],
        "loops": {"fit_loop": {}},
        "callbacks": {"ModelCheckpoint": {}},
    }
    src = tmp_path / "last.ckpt"
    torch.save(full, src)
    (tmp_path / "shipped").mkdir()
    dst = slim_checkpoint(src, tmp_path / "shipped" / "best.ckpt")
    assert [p.name for p in dst.parent.iterdir()] == ["best.ckpt"]  # no temporary left
    slim = load_checkpoint(dst)
    assert set(slim) == {k for k in full if k in SLIM_KEYS}
    assert not set(slim) & {"optimizer_states", "lr_schedulers", "loops", "callbacks"}
    torch.testing.assert_close(slim["state_dict"]["w"], full["state_dict"]["w"], rtol=0, atol=0)
    assert slim["hyper_parameters"] == full["hyper_parameters"]
    assert (slim["epoch"], slim["global_step"]) == (5, 3072)
    torch.save({"epoch": 1}, tmp_path / "no_weights.ckpt")
    with pytest.raises(ValueError, match="holds no state_dict"):
        slim_checkpoint(tmp_path / "no_weights.ckpt", tmp_path / "out.ckpt")
    assert not (tmp_path / "out.ckpt").exists()
    with pytest.raises(UnsafeCheckpointError):  # a hostile source is refused, nothing runs
        slim_checkpoint(_crafted(tmp_path / "evil.ckpt", tmp_path / "marker"), tmp_path / "o.ckpt")
    assert not (tmp_path / "marker").exists()


def test_resume_from_a_crafted_checkpoint_is_refused_by_the_app(tmp_path):
    marker = tmp_path / "marker"
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "config.yaml").write_text(
        "smoke: true\ndata:\n  data_dir: " + str(tmp_path / "data") + "\n"
        "trainer:\n  accelerator: cpu\n  max_epochs: 1\n"
    )
    _crafted(run / "checkpoints" / "last.ckpt", marker)
    proc = run_app("apps.video_prediction", "--resume", str(run), tmp=tmp_path)
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert "refusing to load checkpoint" in proc.stderr
    assert "builtins.exec" in proc.stderr
    assert not marker.exists()
    assert not (run / "summary.json").exists()
