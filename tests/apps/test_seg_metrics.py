"""Segmentation metrics against a numpy confusion-matrix oracle and scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    jaccard_score,
    precision_score,
    recall_score,
)

from apps.segmentation.metrics import (
    METRIC_NAMES,
    SegmentationMetrics,
    confusion_counts,
    metrics_from_counts,
)


def _numpy_counts(p: np.ndarray, t: np.ndarray) -> tuple[int, int, int, int]:
    """Confusion matrix by np.bincount over 2·t + p (a different route than the code's masks)."""
    cm = np.bincount(2 * t.astype(np.int64).ravel() + p.astype(np.int64).ravel(), minlength=4)
    tn, fp, fn, tp = cm
    return int(tp), int(fp), int(tn), int(fn)


def _sklearn_metrics(p: np.ndarray, t: np.ndarray) -> dict[str, float]:
    p, t = p.ravel().astype(int), t.ravel().astype(int)
    f1 = f1_score(t, p, zero_division=0)
    return {
        "acc": accuracy_score(t, p),
        "se": recall_score(t, p, zero_division=0),
        "sp": recall_score(t, p, pos_label=0, zero_division=0),
        "pc": precision_score(t, p, zero_division=0),
        "f1": f1,
        "js": jaccard_score(t, p, zero_division=0),
        "dc": f1,  # Dice = F1 for binary masks
    }


@pytest.fixture
def batches() -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(0)
    out = []
    for n in (3, 2):
        target = (torch.rand(n, 1, 9, 7, generator=g) < 0.3).float()
        probs = torch.rand(n, 1, 9, 7, generator=g)
        probs = 0.6 * probs + 0.4 * target  # correlated with the target, not equal
        out.append((probs, target))
    # corner cases: an empty prediction, an empty target, both empty, a perfect prediction
    t = torch.zeros(4, 1, 9, 7)
    t[0, 0, 2:5, 1:4] = 1
    t[3, 0, :3] = 1
    p = torch.zeros(4, 1, 9, 7)
    p[1, 0, 0, 0] = 0.9
    p[3] = t[3]
    out.append((p, t))
    return out


def test_counts_match_numpy(batches):
    for probs, target in batches:
        got = confusion_counts(probs, target, 0.5)
        for i in range(probs.shape[0]):
            p = (probs[i] > 0.5).numpy()
            assert tuple(got[i].tolist()) == _numpy_counts(p, target[i].numpy())


def test_threshold_is_strict():
    probs = torch.tensor([[0.5, 0.5001, 0.7, 0.2]])
    target = torch.tensor([[1.0, 1.0, 0.0, 0.0]])
    # 0.5 -> background (fn), 0.5001 -> tp, 0.7 -> fp, 0.2 -> tn
    assert confusion_counts(probs, target, 0.5).tolist() == [[1, 1, 1, 1]]


def test_per_image_and_pooled_match_sklearn(batches):
    metric = SegmentationMetrics(threshold=0.5)
    per_image: list[dict[str, float]] = []
    all_p, all_t = [], []
    for probs, target in batches:
        metric.update(probs, target)
        for i in range(probs.shape[0]):
            p = (probs[i] > 0.5).numpy()
            per_image.append(_sklearn_metrics(p, target[i].numpy()))
            all_p.append(p.ravel())
            all_t.append(target[i].numpy().ravel())
    got = metric.compute()
    pooled = _sklearn_metrics(np.concatenate(all_p), np.concatenate(all_t))
    for k in METRIC_NAMES:
        expected_mean = np.mean([m[k] for m in per_image])
        assert got[k].item() == pytest.approx(expected_mean, abs=1e-6), k
        assert got[f"{k}_pooled"].item() == pytest.approx(pooled[k], abs=1e-6), k


def test_hand_computed_counts():
    # tp=3, fp=1, tn=4, fn=2 -> ACC 7/10, SE 3/5, SP 4/5, PC 3/4, JS 3/6, DC 6/9
    m = metrics_from_counts(torch.tensor([3, 1, 4, 2]))
    assert m["acc"].item() == pytest.approx(0.7)
    assert m["se"].item() == pytest.approx(0.6)
    assert m["sp"].item() == pytest.approx(0.8)
    assert m["pc"].item() == pytest.approx(0.75)
    assert m["f1"].item() == pytest.approx(2 * 0.75 * 0.6 / 1.35)
    assert m["js"].item() == pytest.approx(0.5)
    assert m["dc"].item() == pytest.approx(2 / 3)


def test_reset_and_errors():
    metric = SegmentationMetrics()
    early = pytest.warns(UserWarning, match="before the ..update.. method")
    with early, pytest.raises(RuntimeError, match="before any update"):
        metric.compute()
    with pytest.raises(ValueError, match="threshold should be in"):
        SegmentationMetrics(threshold=1.5)
    with pytest.raises(ValueError, match="share a shape"):
        metric.update(torch.zeros(2, 1, 4, 4), torch.zeros(2, 1, 4, 5))
    with pytest.raises(ValueError, match="counts should be"):
        metrics_from_counts(torch.zeros(3))
    metric.update(torch.ones(1, 1, 2, 2), torch.ones(1, 1, 2, 2))
    assert metric.compute()["js"].item() == 1.0
    metric.reset()
    metric.update(torch.zeros(1, 1, 2, 2), torch.ones(1, 1, 2, 2))
    assert metric.compute()["js"].item() == 0.0
