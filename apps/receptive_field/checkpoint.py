"""ERF and AR coefficients of a trained checkpoint of the video-prediction or segmentation app.

A run folder (``runs/<app>/<stamp>``) holds ``summary.json`` (its ``app``),
``checkpoints/best.ckpt`` (or ``last.ckpt``) with the module's and the data module's
hyper-parameters. The checkpoint is read with the framework's
[`load_checkpoint`][apps.framework.load_checkpoint] (pre-scan + ``weights_only=True``: nothing in
it runs), the app's module is rebuilt from its hyper-parameters and loaded, and its data module
gives real test inputs (the ERF of a non-linear net depends on the input, Def. 2).

ERF of an app's model: ``|∂ y / ∂ x|`` of the centre output pixel, averaged over the test inputs
and the input channels, normalised to sum 1 (Def. 2). Video prediction: ``y`` is the first
predicted frame, ``x`` the observed frames (the map is summed over them; the share of each frame
is reported). Segmentation: ``y`` the lesion logit, ``x`` the RGB image.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from apps.framework import load_checkpoint
from arma_core import erf_radius

__all__ = ["APPS", "ar_coefficient_values", "checkpoint_analysis", "find_checkpoint"]

#: Apps whose checkpoints this module reads: module class and data-module class paths.
APPS: dict[str, tuple[str, str]] = {
    "video_prediction": (
        "apps.video_prediction.module:VideoPredictionModule",
        "apps.video_prediction.data:MovingMNISTDataModule",
    ),
    "segmentation": (
        "apps.segmentation.module:SegmentationModule",
        "apps.segmentation.data:ISICDataModule",
    ),
}


def _import(path: str) -> type:
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


def find_checkpoint(run_dir: str | Path) -> tuple[str, Path]:
    """``(app, checkpoint path)`` of a run folder (``best.ckpt``, else ``last.ckpt``).

    Raises:
        FileNotFoundError: no such folder or no checkpoint in it.
        ValueError: the run is not one of [`APPS`][apps.receptive_field.checkpoint.APPS].
    """
    run = Path(run_dir)
    if not run.is_dir():
        raise FileNotFoundError(f"--checkpoint {run_dir}: no such run folder")
    summary = run / "summary.json"
    app = json.loads(summary.read_text()).get("app") if summary.is_file() else run.parent.name
    if app not in APPS:
        raise ValueError(
            f"--checkpoint {run_dir}: a run of {sorted(APPS)} is needed, got app {app!r}"
        )
    for name in ("best.ckpt", "last.ckpt"):
        if (run / "checkpoints" / name).is_file():
            return app, run / "checkpoints" / name
    raise FileNotFoundError(f"--checkpoint {run_dir}: no checkpoints/best.ckpt or last.ckpt")


def _plain(hparams: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in hparams.items() if not k.startswith("_")}


def ar_coefficient_values(model: nn.Module) -> dict[str, Tensor]:
    """Every ARMA layer's AR coefficients ``(a_left, a_right)``, flattened, by module name."""
    out = {}
    with torch.no_grad():
        for name, m in model.named_modules():
            if hasattr(m, "ar_coefficients") and getattr(m, "ar_order", 0) > 0:
                out[name] = m.ar_coefficients().detach().flatten().cpu()
    return out


def _erf(forward: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """``mean_{N, C} |∂ y[:, :, H/2, W/2] / ∂ x|`` over a batch; shape ``x.shape[1:]`` minus C."""
    x = x.clone().requires_grad_(True)
    y = forward(x)
    h, w = y.shape[-2:]
    y[..., h // 2, w // 2].sum().backward()
    assert x.grad is not None
    return x.grad.abs().mean(dim=0).mean(dim=-3)  # (T, H, W) or (H, W)


def _model_erf(app: str, module: nn.Module, inputs: Tensor) -> tuple[Tensor, list[float]]:
    module.eval()
    if app == "video_prediction":
        grad = _erf(lambda x: module(x)[:, 0], inputs)  # (T_in, H, W)
        per_frame = grad.sum(dim=(1, 2))
        erf = grad.sum(dim=0)
        shares = (per_frame / per_frame.sum()).tolist()
    else:
        erf, shares = _erf(module, inputs), []
    if not erf.sum() > 0:
        raise ValueError("the checkpoint's output does not depend on its input (zero ERF)")
    return (erf / erf.sum()).detach(), shares


def checkpoint_analysis(run_dir: str | Path, num_inputs: int = 8, seed: int = 0) -> dict[str, Any]:
    """ERF (trained and at initialisation) and AR coefficients of a run's checkpoint.

    Args:
        run_dir: a run folder of the video-prediction or segmentation app.
        num_inputs: test inputs the ERF is averaged over.
        seed: seeds the initialisation of the untrained copy.

    Returns:
        ``app``, ``checkpoint``, ``erf`` / ``erf_init`` (Tensor[H, W]), ``radius`` /
        ``radius_init`` (Eq. 4 about the centre pixel), ``frame_shares`` (video: share of each
        observed frame, oldest first), ``ar`` (name -> Tensor of coefficients).
    """
    app, path = find_checkpoint(run_dir)
    ckpt = load_checkpoint(path)
    module_cls, data_cls = (_import(p) for p in APPS[app])
    hparams = _plain(ckpt.get("hyper_parameters", {}))
    torch.manual_seed(seed)
    init = module_cls(**hparams)
    module = module_cls(**hparams)
    module.load_state_dict(ckpt["state_dict"])
    dm = data_cls(**_plain(ckpt.get("datamodule_hyper_parameters", {})))
    dm.prepare_data()
    dm.setup("test")
    n = min(num_inputs, len(dm.test_set))
    inputs = torch.stack([dm.test_set[i][0] for i in range(n)])
    erf, shares = _model_erf(app, module, inputs)
    erf_init, _ = _model_erf(app, init, inputs)
    h, w = erf.shape
    return {
        "app": app,
        "checkpoint": str(path),
        "erf": erf,
        "erf_init": erf_init,
        "radius": erf_radius(erf, (h // 2, w // 2)),
        "radius_init": erf_radius(erf_init, (h // 2, w // 2)),
        "frame_shares": shares,
        "ar": ar_coefficient_values(module),
    }
