"""The video module's loss and learning-rate schedules: L2 alone before ``l1_start``, the papers'
L1 + L2 after it; the one-cycle schedule warms up to ``lr`` and anneals towards zero."""

from __future__ import annotations

import types

import pytest
import torch
from torch.nn import functional as F

from apps.video_prediction import VideoPredictionModule

SMALL = {"hidden_channels": 4, "num_layers": 1, "block_size": 1, "patch_size": 4}


def _module(**kwargs) -> VideoPredictionModule:
    return VideoPredictionModule(**SMALL, **kwargs)


def _attach(module: VideoPredictionModule, step: int, total: int) -> None:
    """A stand-in trainer: the step done and the planned step count (what the schedules read)."""
    module._trainer = types.SimpleNamespace(global_step=step, estimated_stepping_batches=total)


def test_loss_is_l2_alone_before_l1_start_and_l1_plus_l2_after():
    torch.manual_seed(0)
    preds, targets = torch.rand(2, 3, 1, 8, 8), torch.rand(2, 3, 1, 8, 8)
    m = _module(l1_weight=0.5, l1_start=0.4)
    l2, l1 = F.mse_loss(preds, targets), F.l1_loss(preds, targets)
    assert m.loss(preds, targets, use_l1=False) == l2
    torch.testing.assert_close(m.loss(preds, targets), 0.5 * l1 + l2)
    _attach(m, step=39, total=100)
    assert m.progress() == pytest.approx(0.39)
    assert m.progress() < m.hparams.l1_start
    _attach(m, step=40, total=100)
    assert m.progress() >= m.hparams.l1_start


def test_onecycle_warms_up_then_anneals_to_near_zero():
    m = _module(lr=0.01, lr_schedule="onecycle")
    _attach(m, step=0, total=200)
    cfg = m.configure_optimizers()
    opt, sched = cfg["optimizer"], cfg["lr_scheduler"]["scheduler"]
    assert cfg["lr_scheduler"]["interval"] == "step"
    lrs = []
    for _ in range(200):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    peak = max(range(200), key=lrs.__getitem__)
    assert peak == pytest.approx(20, abs=1)  # 10% warm-up
    assert lrs[peak] == pytest.approx(0.01, rel=1e-3)
    assert lrs[0] == pytest.approx(0.01 / 25)
    assert lrs[-1] == pytest.approx(0.01 / 25e4)
    # the closed form of torch's OneCycleLR (cosine phases, momentum not cycled here)
    reference = torch.optim.lr_scheduler.OneCycleLR(
        torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.01),
        max_lr=0.01, total_steps=200, pct_start=0.1, cycle_momentum=False,
    )  # fmt: skip
    expected = []
    for _ in range(200):
        expected.append(reference.get_last_lr()[0])
        reference.optimizer.step()
        reference.step()
    assert lrs == pytest.approx(expected, rel=1e-9)


def test_onecycle_reads_the_step_count_only_once_training_runs():
    # reading trainer.estimated_stepping_batches in configure_optimizers would build the
    # training loader before Lightning restores its mid-epoch position (a resumed run would
    # then see other batches): the schedule must not touch it before its first step
    class NotYet:
        global_step = 0

        @property
        def estimated_stepping_batches(self):
            raise AssertionError("read before the first step")

    m = _module(lr_schedule="onecycle")
    m._trainer = NotYet()
    cfg = m.configure_optimizers()
    assert cfg["optimizer"].param_groups[0]["lr"] == pytest.approx(m.hparams.lr / 25)


def test_plateau_schedule_is_the_default_and_monitors_val_loss():
    cfg = _module().configure_optimizers()
    sched = cfg["lr_scheduler"]
    assert isinstance(sched["scheduler"], torch.optim.lr_scheduler.ReduceLROnPlateau)
    assert sched["monitor"] == "val_loss"
