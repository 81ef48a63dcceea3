"""Video metrics against independent oracles: scikit-image SSIM, the PSNR closed form, numpy."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from skimage.metrics import structural_similarity

from apps.video_prediction.metrics import PSNR_CAP, FrameMetrics, frame_metrics


def _frames(seed: int, shape=(2, 3, 1, 32, 32)) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    target = torch.rand(shape, generator=g, dtype=torch.float64)
    target[..., 8:20, 8:20] = 1.0  # structure, not only noise
    preds = (target + 0.15 * torch.randn(shape, generator=g, dtype=torch.float64)).clamp(0, 1)
    return preds, target


def test_ssim_equals_scikit_image_with_data_range_1():
    preds, target = _frames(0)
    got = frame_metrics(preds, target)["ssim"]
    for n in range(preds.shape[0]):
        for t in range(preds.shape[1]):
            want = structural_similarity(
                preds[n, t, 0].numpy(),
                target[n, t, 0].numpy(),
                data_range=1.0,
                gaussian_weights=True,
                sigma=1.5,
                use_sample_covariance=False,
            )
            assert got[n, t].item() == pytest.approx(want, abs=1e-6)


def test_psnr_mse_mae_closed_forms():
    preds, target = _frames(1)
    got = frame_metrics(preds, target)
    p, y = preds.numpy(), target.numpy()
    mse = ((p - y) ** 2).mean(axis=(2, 3, 4))
    np.testing.assert_allclose(got["mse"].numpy(), mse, rtol=1e-12)
    np.testing.assert_allclose(got["mae"].numpy(), np.abs(p - y).mean(axis=(2, 3, 4)), rtol=1e-12)
    np.testing.assert_allclose(got["psnr"].numpy(), 10 * np.log10(1.0 / mse), rtol=1e-6)


def test_psnr_and_ssim_clip_predictions_to_the_data_range():
    target = torch.full((1, 1, 1, 16, 16), 0.5, dtype=torch.float64)
    preds = torch.full_like(target, 1.7)  # clipped to 1: error 0.5 -> PSNR 10·log10(1/0.25)
    got = frame_metrics(preds, target)
    assert got["psnr"].item() == pytest.approx(10 * np.log10(4.0))
    assert got["mse"].item() == pytest.approx(1.2**2)  # MSE/MAE on the raw prediction
    exact = frame_metrics(target, target)  # MSE 0: PSNR capped, not +inf
    assert exact["psnr"].item() == PSNR_CAP
    assert exact["ssim"].item() == pytest.approx(1.0)


def test_frame_metrics_accumulate_to_the_one_shot_mean_and_frame_sums():
    preds, target = _frames(2, shape=(5, 4, 1, 24, 24))
    m = FrameMetrics(4)
    m.update(preds[:2], target[:2])
    m.update(preds[2:], target[2:])
    out = m.compute()
    err = (preds - target).numpy()
    np.testing.assert_allclose(out["mse"].numpy(), (err**2).mean(axis=(0, 2, 3, 4)), rtol=1e-6)
    per_frame_sum = (err**2).sum(axis=(2, 3, 4)).mean(axis=0)  # OpenSTL's MSE
    np.testing.assert_allclose(out["mse_frame_sum"].numpy(), per_frame_sum, rtol=1e-6)
    np.testing.assert_allclose(
        out["mae_frame_sum"].numpy(), np.abs(err).sum(axis=(2, 3, 4)).mean(axis=0), rtol=1e-6
    )


def test_frame_metrics_reject_bad_shapes():
    with pytest.raises(ValueError, match="frames should be a positive int"):
        FrameMetrics(0)
    with pytest.raises(ValueError, match="expected 3 frames"):
        FrameMetrics(3).update(torch.zeros(1, 2, 1, 8, 8), torch.zeros(1, 2, 1, 8, 8))
    with pytest.raises(ValueError, match="preds and target"):
        frame_metrics(torch.zeros(1, 2, 1, 8, 8), torch.zeros(1, 3, 1, 8, 8))
