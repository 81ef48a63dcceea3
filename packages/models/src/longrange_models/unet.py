"""U-Net for dense prediction, with ARMA layers and a non-local block as options.

One class covers the four models of the NeurIPS ARMA paper's Table 2 (ISIC-2018 lesion
segmentation): U-Net, ARMA U-Net (every 3×3 convolution an ``ARMA2d``: both convolutions of each
double-conv block and the convolution after each upsampling, as in the authors' released
``U_Net``), non-local U-Net and non-local ARMA U-Net (one
[`NonLocal2d`][longrange_models.NonLocal2d] after the bottleneck block, at the lowest resolution,
where non-local blocks are usually inserted).

Legend: N batch, C channels, H height, W width, w ``width``, D ``depth``.

    encoder: level i = 0..D runs a double-conv block to w·2^i channels (2×2 max-pool before
             levels 1..D); level D is the bottleneck (optionally followed by NonLocal2d)
    decoder: level i = D-1..0 upsamples by 2 to w·2^i channels, concatenates the encoder's
             level-i map (skip connection) and runs a double-conv block back to w·2^i
    head:    1×1 convolution to ``out_channels`` logits
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Unpack, get_args

import torch
from torch import Tensor, nn

from ._checks import positive_ints
from .config import ConfigMixin
from .factory import (
    CONV2D_DEFAULTS,
    Conv2dOptions,
    check_layer_kind,
    conv_kwargs,
    is_arma,
    make_conv2d,
)
from .non_local import NonLocal2d

__all__ = [
    "UNET_PRESETS",
    "UPSAMPLE_MODES",
    "UNet",
    "UNetConfig",
    "UpsampleMode",
]

#: How the decoder upsamples (see ``_Up``).
UpsampleMode = Literal["nearest", "bilinear", "transposed"]
UPSAMPLE_MODES: tuple[UpsampleMode, ...] = get_args(UpsampleMode)

#: The papers' models (ISIC-2018: RGB in, one lesion-logit channel out), as ``UNet`` kwargs:
#: U-Net, ARMA U-Net, non-local U-Net, non-local ARMA U-Net. With the defaults (width 64, depth
#: 4, nearest upsampling + 3×3 conv, BatchNorm) they are the authors' released ``U_Net``.
UNET_PRESETS: dict[str, dict[str, Any]] = {
    "unet": {"in_channels": 3, "out_channels": 1, "layer": "conv"},
    "arma_unet": {"in_channels": 3, "out_channels": 1, "layer": "arma"},
    "nl_unet": {"in_channels": 3, "out_channels": 1, "layer": "conv", "non_local": True},
    "nl_arma_unet": {"in_channels": 3, "out_channels": 1, "layer": "arma", "non_local": True},
}


class _DoubleConv(nn.Sequential):
    """(conv 3×3 → [BN] → ReLU) × 2: ``(N, C_in, H, W) -> (N, C_out, H, W)``."""

    def __init__(self, c_in: int, c_out: int, batch_norm: bool, conv: dict[str, Any]) -> None:
        layers: list[nn.Module] = []
        for a, b in ((c_in, c_out), (c_out, c_out)):
            layers.append(make_conv2d(in_channels=a, out_channels=b, **conv))
            if batch_norm:
                layers.append(nn.BatchNorm2d(b))
            layers.append(nn.ReLU())
        super().__init__(*layers)


class _Up(nn.Sequential):
    """Upsample by 2: ``(N, C_in, H, W) -> (N, C_out, 2H, 2W)``.

    ``"nearest"``/``"bilinear"``: interpolate, then conv 3×3 (from the factory) → [BN] → ReLU, as
    the authors' ``up_conv``; ``"transposed"``: ``ConvTranspose2d(kernel 2, stride 2)``, as the
    original U-Net's up-convolution (not a factory conv: it has no ARMA form).
    """

    def __init__(
        self, c_in: int, c_out: int, mode: str, batch_norm: bool, conv: dict[str, Any]
    ) -> None:
        if mode == "transposed":
            super().__init__(nn.ConvTranspose2d(c_in, c_out, 2, stride=2))
            return
        align = False if mode == "bilinear" else None
        layers: list[nn.Module] = [
            nn.Upsample(scale_factor=2, mode=mode, align_corners=align),
            make_conv2d(in_channels=c_in, out_channels=c_out, **conv),
        ]
        if batch_norm:
            layers.append(nn.BatchNorm2d(c_out))
        layers.append(nn.ReLU())
        super().__init__(*layers)


class UNet(ConfigMixin, nn.Module):
    """U-Net: input ``(N, C_in, H, W)`` -> logits ``(N, C_out, H, W)``.

    ``H`` and ``W`` must be divisible by ``2**depth``. Every 3×3 convolution comes from
    [`make_conv2d`][longrange_models.make_conv2d], so ``layer`` switches the whole network between
    plain, dilated, ARMA and dilated-ARMA convolutions. ARMA kinds need the bottleneck map to be at
    least ``2·ar_order + 1`` pixels on each side.

    Args:
        in_channels: ``C_in`` and ``C_out`` (logits; no sigmoid/softmax).
        out_channels: as ``in_channels``.
        width: channels of the first level ``w``; level ``i`` has ``w·2^i``.
        depth: number of 2× downsamplings ``D`` (the bottleneck runs at ``H/2^D``).
        non_local: insert a [`NonLocal2d`][longrange_models.NonLocal2d] after the bottleneck block
            (identity at init).
        non_local_inner: its inner channels (default half its ``w·2^D`` channels).
        non_local_sub_sample: max-pool its keys and values by 2.
        batch_norm: BatchNorm after every factory convolution.
        upsample: ``"nearest"`` (the authors' code), ``"bilinear"`` or ``"transposed"``.
        **conv: the factory convolutions' options
            ([`Conv2dOptions`][longrange_models.Conv2dOptions]: ``layer``, one of
            [`LAYER_KINDS`][longrange_models.LAYER_KINDS]; ``kernel_size``, odd; ``ar_order``, AR
            stages per axis for the ARMA kinds (1 = the papers' 3×3 AR kernel); and the ARMA
            options ``ar_init``, ``boundary``, ``reparam``, ``ar_eps``, ``method``, for the ARMA
            kinds only; defaults ``make_conv2d``'s and ``ARMA2d``'s, ``layer="conv"``).

    ``UNet.preset(name, **overrides)`` builds one of the papers' models
    [`UNET_PRESETS`][longrange_models.UNET_PRESETS] (``"unet"``, ``"arma_unet"``, ``"nl_unet"``,
    ``"nl_arma_unet"``); the config dataclass is ``UNetConfig``.
    """

    presets: ClassVar[dict[str, dict[str, Any]]] = UNET_PRESETS

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        width: int = 64,
        depth: int = 4,
        non_local: bool = False,
        non_local_inner: int | None = None,
        non_local_sub_sample: bool = False,
        batch_norm: bool = True,
        upsample: UpsampleMode = "nearest",
        **conv: Unpack[Conv2dOptions],
    ) -> None:
        super().__init__()
        positive_ints(in_channels=in_channels, out_channels=out_channels, width=width, depth=depth)
        check_layer_kind(conv.get("layer", CONV2D_DEFAULTS["layer"]))
        if upsample not in UPSAMPLE_MODES:
            raise ValueError(f"upsample should be one of {UPSAMPLE_MODES}, got {upsample!r}")
        self._store_config(
            locals(),
            non_local=bool(non_local),
            non_local_sub_sample=bool(non_local_sub_sample),
            batch_norm=bool(batch_norm),
        )
        args = conv_kwargs(self.config)
        ch = [width * 2**i for i in range(depth + 1)]
        self.in_channels, self.out_channels, self.depth = in_channels, out_channels, depth
        self.down = nn.ModuleList(
            [_DoubleConv(in_channels, ch[0], batch_norm, args)]
            + [_DoubleConv(ch[i - 1], ch[i], batch_norm, args) for i in range(1, depth + 1)]
        )
        self.pool = nn.MaxPool2d(2)
        self.non_local = (
            NonLocal2d(ch[depth], non_local_inner, sub_sample=non_local_sub_sample)
            if non_local
            else nn.Identity()
        )
        self.up = nn.ModuleList(
            [_Up(ch[i + 1], ch[i], upsample, batch_norm, args) for i in reversed(range(depth))]
        )
        self.up_blocks = nn.ModuleList(
            [_DoubleConv(2 * ch[i], ch[i], batch_norm, args) for i in reversed(range(depth))]
        )
        self.head = nn.Conv2d(ch[0], out_channels, 1)
        c = self.config
        self._min_side = 2**depth * (2 * c.ar_order + 1) if is_arma(c.layer) else 2**depth

    def _check_input(self, x: Tensor) -> None:
        if not isinstance(x, Tensor):
            raise TypeError(f"x should be a Tensor, got {type(x).__name__}")
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f"x should be (N, C={self.in_channels}, H, W), got shape {tuple(x.shape)}"
            )
        h, w = x.shape[-2:]
        step = 2**self.depth
        if h % step or w % step:
            raise ValueError(
                f"x's H and W should be divisible by 2**depth={step}, got H={h}, W={w}"
            )
        if min(h, w) < self._min_side:
            raise ValueError(
                f"x's H and W should be >= {self._min_side} (the ARMA bottleneck needs "
                f"2·ar_order + 1 pixels per side), got H={h}, W={w}"
            )

    def forward(self, x: Tensor) -> Tensor:
        """Logits ``(N, C_out, H, W)`` of input ``(N, C_in, H, W)``."""
        self._check_input(x)
        skips: list[Tensor] = []
        for i, block in enumerate(self.down):
            x = block(self.pool(x) if i else x)
            skips.append(x)
        x = self.non_local(skips.pop())
        for up, block in zip(self.up, self.up_blocks, strict=True):
            x = block(torch.cat((skips.pop(), up(x)), dim=1))
        return self.head(x)

    def extra_repr(self) -> str:
        c = self.config
        s = f"{c.in_channels}, {c.out_channels}, width={c.width}, depth={c.depth}"
        s += f", layer={c.layer!r}, upsample={c.upsample!r}"
        if is_arma(c.layer):
            s += f", ar_order={c.ar_order}"
        if c.non_local:
            s += ", non_local=True"
        return s + ("" if c.batch_norm else ", batch_norm=False")


#: The config dataclass built from ``UNet``'s signature.
UNetConfig = UNet.config_class
