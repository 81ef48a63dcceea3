"""The generation LightningModule: MultiresAR (or WaveNetAR) on 8-bit raster sequences, bits/dim.

Training follows the MultiresConv paper (App. C.4): Adam (lr 1e-3), cosine annealing over the
run, dropout 0.1, LayerNorm, the discretised logistic mixture of PixelCNN++; the test runs on the
checkpoint with the best validation bits/dim. Test metrics (exact under DDP: the summed NLL and
image count are torchmetrics sums over ranks):

* ``test_nll_nats``: mean over test images of ``−log p(x)`` in nats (summed over sub-pixels);
* ``test_bpd``: ``Σ nll / (N_images · C·H·W · ln 2)``.

Baselines (on the same test images): ``baseline_marginal_bpd``, a per-position, per-channel
histogram of the 256 values from the training split with additive smoothing (the smoothing
chosen on the validation split), and ``baseline_uniform_bpd = 8``.

``model="wavenet"`` swaps the network for the WaveNet-style stack with the same mixture head and
loss (:mod:`.networks`); ``param_budget`` sizes either to a number of trainable parameters.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch
from jsonargparse.typing import NonNegativeFloat, NonNegativeInt, PositiveFloat, PositiveInt
from torchmetrics import SumMetric

from apps.framework import AppModule, check_choice
from longrange_models import NormKind

from .data import IMAGE_SHAPES, ImageName, ImageSequenceDataModule
from .networks import MODELS, SAMPLERS, ARModel, build_network
from .sampling import marginal_baseline

__all__ = ["GenerationModule"]


class GenerationModule(AppModule[ImageSequenceDataModule]):
    """MultiresAR or WaveNetAR trained by maximum likelihood on ``(N, C, L)`` int64 8-bit
    sequences.

    Args:
        image: ``"digits"`` (1×28×28) or ``"cifar10"`` (3×32×32); must match the data.
        model: ``"multiresar"`` (the paper's model) or ``"wavenet"`` (the WaveNet-style dilated
            stack, filter size 2, with the same logistic mixture head and loss).
        channels: width of every block (the paper: 512); WaveNetAR's residual and skip width.
            Ignored with ``param_budget``.
        param_budget: size the network to this many trainable parameters: MultiresAR's widest
            ``channels`` within it, WaveNetAR's residual and skip widths closest to it; an error
            when the result is more than 2% off. None: ``channels`` as given.
        num_blocks: MultiresBlocks (the paper: 48); MultiresAR only.
        kernel_size: ``K`` of every MultiresConv (the paper: 4); MultiresAR only.
        wavenet_cycles: WaveNetAR only: repetitions of the dilation cycle ``1, 2, …`` covering
            the image.
        num_mixtures: logistic components (the paper: 10).
        dropout: channel dropout (the paper: 0.1).
        norm: ``"layer"`` (the paper), ``"batch"`` or ``"none"``.
        lr: Adam learning rate (the paper: 1e-3).
        weight_decay: Adam's L2 weight decay (the paper: 0).
        cosine: cosine-anneal the learning rate to 0 over the run (the paper: yes).
        num_samples: images drawn by the streaming sampler for the sample grid.
        sample_seed: seed of the sampler's generator (same seed, same images).
        speedup_samples: images drawn by both samplers to time the streaming speed-up.
        speedup_length: positions drawn in the speed-up timing (None: the whole image).
    """

    monitor = "val_bpd"

    def __init__(
        self,
        image: ImageName = "digits",
        model: str = "multiresar",
        channels: PositiveInt = 512,
        param_budget: PositiveInt | None = None,
        num_blocks: PositiveInt = 48,
        kernel_size: PositiveInt = 4,
        wavenet_cycles: PositiveInt = 1,
        num_mixtures: PositiveInt = 10,
        dropout: NonNegativeFloat = 0.1,
        norm: NormKind = "layer",
        lr: PositiveFloat = 1e-3,
        weight_decay: NonNegativeFloat = 0.0,
        cosine: bool = True,
        num_samples: PositiveInt = 16,
        sample_seed: NonNegativeInt = 0,
        speedup_samples: PositiveInt = 2,
        speedup_length: PositiveInt | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        check_choice("image", image, sorted(IMAGE_SHAPES))
        check_choice("model", model, MODELS)
        if not dropout < 1:
            raise ValueError(f"dropout should be in [0, 1), got {dropout}")
        c, h, w = IMAGE_SHAPES[image]
        self.shape = (c, h, w)
        self.dims = c * h * w
        if speedup_length is not None and speedup_length > h * w:
            raise ValueError(f"speedup_length should be at most {h * w}, got {speedup_length}")
        self.built = build_network(
            model,
            in_channels=c,
            seq_len=h * w,
            channels=channels,
            num_blocks=num_blocks,
            kernel_size=kernel_size,
            num_mixtures=num_mixtures,
            dropout=dropout,
            norm=norm,
            wavenet_cycles=wavenet_cycles,
            param_budget=param_budget,
        )
        self.model: ARModel = self.built.net
        #: How ``self.model.sample`` draws (the sample figure's title).
        self.sampler_name = SAMPLERS[model]
        self.test_nll = SumMetric()
        self.test_images = SumMetric()
        self._extras: dict[str, Any] = {}

    def setup(self, stage: str) -> None:
        dm = getattr(self.trainer, "datamodule", None)
        shape = getattr(dm, "shape", None)
        if dm is not None and shape is not None and tuple(shape) != self.shape:
            raise ValueError(
                f"model.image={self.hparams.image!r} expects images {self.shape}, but the data "
                f"({dm.hparams.dataset!r}) are {tuple(shape)}: set --model.image "
                f"{dm.hparams.dataset}"
            )

    # ------------------------------------------------------------------ training
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Mixture parameters ``(N, P, L)`` of ``x (N, C, L)`` int64 (see MultiresAR, WaveNetAR)."""
        return self.model(x)

    def training_step(self, batch: torch.Tensor, batch_idx: int) -> torch.Tensor:
        _, bpd = self.model.loss(batch)
        self.log("train_bpd", bpd, prog_bar=True, batch_size=len(batch))
        self.log("lr", self.learning_rate())
        return bpd

    def validation_step(self, batch: torch.Tensor, batch_idx: int) -> None:
        _, bpd = self.model.loss(batch)
        self.log("val_bpd", bpd, prog_bar=True, sync_dist=True, batch_size=len(batch))

    def test_step(self, batch: torch.Tensor, batch_idx: int) -> None:
        nll, _ = self.model.loss(batch)
        self.test_nll.update(nll.double().sum())
        self.test_images.update(torch.tensor(float(len(batch)), dtype=torch.float64))

    def on_test_epoch_start(self) -> None:
        self.test_nll.reset()
        self.test_images.reset()

    def on_test_epoch_end(self) -> None:
        total, n = self.test_nll.compute(), self.test_images.compute()  # summed over ranks
        self.log("test_nll_nats", total / n, sync_dist=True)
        self.log("test_bpd", total / (n * self.dims * math.log(2)), sync_dist=True)
        self.test_nll.reset()
        self.test_images.reset()

    def configure_optimizers(self) -> Any:
        opt = torch.optim.Adam(
            self.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay
        )
        if not self.hparams.cosine:
            return opt
        total = max(1, int(self.trainer.estimated_stepping_batches))
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    # ------------------------------------------------------------------ framework hooks
    def baselines(self, datamodule: ImageSequenceDataModule) -> dict[str, float]:
        """Per-pixel marginal histogram and uniform bits/dim on the test set."""
        train, val, test = (datamodule.split(name).data for name in datamodule.SPLITS)
        out = marginal_baseline(train, val, test)
        self._extras["baseline_marginal_alpha"] = out["alpha"]
        return {"baseline_marginal_bpd": out["test_bpd"], "baseline_uniform_bpd": 8.0}

    def figures(self, datamodule: ImageSequenceDataModule, out_dir: Path) -> list[Path]:
        from .figures import generation_figures

        paths, extras = generation_figures(self, datamodule, out_dir)
        self._extras.update(extras)
        return paths

    def summary_extras(self) -> dict[str, Any]:
        return {
            **self._extras,
            "image_shape": list(self.shape),
            "dims_per_image": self.dims,
            "model": self.hparams.model,
            **self.built.summary(self.hparams.param_budget),
            "model_config": self.model.to_config(),
            "data_encoding": "8-bit (256 values per sub-pixel, not binarised)",
        }
