"""CIFAR-style VGG-11 and ResNet-18 whose 3×3 convolutions come from the layer factory.

The baselines of the ARMA papers' image-classification appendix (ICML draft App. D.2, NeurIPS
App. A.4): the same networks with every 3×3 convolution a plain ``nn.Conv2d`` (``layer="conv"``)
or an ``ARMA2d`` (``layer="arma"``), or the dilated kinds.

- [`VGG11`][longrange_models.VGG11]: the CIFAR VGG-11 (features
  64-M-128-M-256-256-M-512-512-M-512-512-M, each conv 3×3 → [BN] → ReLU), global average pooling and
  a linear classifier (``hidden=(512, 512)`` and ``dropout=0.5`` give the authors' three-layer head
  instead).
- [`ResNet18`][longrange_models.ResNet18]: the CIFAR ResNet-18 (3×3 stem, BasicBlocks [2, 2, 2, 2]
  of 64-128-256-512 channels, strides 1-2-2-2, global average pooling, linear). The 3×3
  convolutions, strided ones included, come from the factory; the 1×1 projection shortcuts stay
  plain ``nn.Conv2d`` (they see one pixel each, an AR filter there is not part of this model).

Small maps: an ARMA layer whose output map is smaller than ``2·ar_order + 1`` pixels on a side
(VGG-11's last two convolutions run on 2×2 maps for 32×32 input) runs as its convolution alone;
its AR parameters stay in the model unused, as the authors' code does.

Legend: N batch, C channels, H height, W width, w ``width`` (64 in the papers).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Unpack

from torch import Tensor, nn
from torch.nn import functional as F

from arma_core import ARMA2d

from ._checks import positive_int, positive_ints
from .config import ConfigMixin
from .factory import Conv2dOptions, conv_kwargs, is_arma, make_conv2d

__all__ = ["VGG11", "ResNet18", "ResNet18Config", "VGG11Config"]

#: VGG-11's features in units of ``width`` ("M" = 2×2 max-pool).
VGG11_PLAN: tuple[int | str, ...] = (1, "M", 2, "M", 4, 4, "M", 8, 8, "M", 8, 8, "M")


def _conv(m: nn.Conv2d, x: Tensor) -> Tensor:
    """``m(x)``, but an ARMA layer whose output map is too small for its AR filter skips it."""
    # the models pad with ints (make_conv2d); a "same"/"valid" padding is left to the layer
    if isinstance(m, ARMA2d) and m.ar_order > 0 and not isinstance(m.padding, str):
        need = 2 * m.ar_order + 1
        sides = [
            (size + 2 * p - d * (k - 1) - 1) // s + 1
            for size, p, d, k, s in zip(
                x.shape[-2:], m.padding, m.dilation, m.kernel_size, m.stride, strict=True
            )
        ]
        if min(sides) < need:
            return nn.Conv2d.forward(m, x)
    return m(x)


def _check_input(x: Tensor, channels: int, multiple: int, name: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"x should be a Tensor, got {type(x).__name__}")
    if x.ndim != 4 or x.shape[1] != channels:
        raise ValueError(f"x should be (N, C={channels}, H, W), got shape {tuple(x.shape)}")
    h, w = x.shape[-2:]
    if h % multiple or w % multiple:
        raise ValueError(f"{name} needs H and W divisible by {multiple}, got H={h}, W={w}")


class VGG11(ConfigMixin, nn.Module):
    """CIFAR VGG-11: images ``(N, C_in, H, W)`` (H, W divisible by 32) -> logits ``(N, classes)``.

    Args:
        num_classes: number of output logits.
        in_channels: input channels.
        width: channels of the first convolution ``w`` (stages w, 2w, 4w, 8w, 8w).
        batch_norm: BatchNorm after every convolution.
        hidden: sizes of hidden Linear+ReLU layers of the head (``()`` = one Linear).
        dropout: dropout before each hidden layer of the head.
        **conv: the 8 factory convolutions' options
            ([`Conv2dOptions`][longrange_models.Conv2dOptions]: ``layer``, their kind
            (``"conv"``, ``"dilated"``, ``"arma"``, ...), ``kernel_size``, ``ar_order``, AR
            stages per axis of the ARMA kinds, and the ARMA options ``ar_init``, ``boundary``,
            ``reparam``, ``ar_eps``, ``method``, for the ARMA kinds only; defaults
            ``make_conv2d``'s and ``ARMA2d``'s, ``layer="conv"``).
    """

    def __init__(
        self,
        num_classes: int = 10,
        in_channels: int = 3,
        width: int = 64,
        batch_norm: bool = True,
        hidden: Sequence[int] = (),
        dropout: float = 0.0,
        **conv: Unpack[Conv2dOptions],
    ) -> None:
        super().__init__()
        positive_ints(num_classes=num_classes, in_channels=in_channels, width=width)
        hidden = tuple(positive_int("hidden", h) for h in hidden)
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout should be in [0, 1), got {dropout}")
        self._store_config(locals(), batch_norm=bool(batch_norm), dropout=float(dropout))
        args = conv_kwargs(self.config)
        self.in_channels = in_channels
        layers: list[nn.Module] = []
        c = in_channels
        for item in VGG11_PLAN:
            if item == "M":
                layers.append(nn.MaxPool2d(2))
                continue
            out = width * int(item)
            layers.append(make_conv2d(in_channels=c, out_channels=out, **args))
            if batch_norm:
                layers.append(nn.BatchNorm2d(out))
            layers.append(nn.ReLU())
            c = out
        self.features = nn.Sequential(*layers)
        head: list[nn.Module] = []
        for h in hidden:
            head += [nn.Dropout(dropout), nn.Linear(c, h), nn.ReLU()]
            c = h
        self.classifier = nn.Sequential(*head, nn.Linear(c, num_classes))

    def forward(self, x: Tensor) -> Tensor:
        """Logits ``(N, num_classes)`` of images ``(N, C_in, H, W)``."""
        _check_input(x, self.in_channels, 32, "VGG11")
        for m in self.features:
            x = _conv(m, x) if isinstance(m, nn.Conv2d) else m(x)
        return self.classifier(x.mean(dim=(-2, -1)))

    def extra_repr(self) -> str:
        c = self.config
        s = f"num_classes={c.num_classes}, in_channels={c.in_channels}, layer={c.layer!r}"
        s += f", width={c.width}" + (f", ar_order={c.ar_order}" if is_arma(c.layer) else "")
        return s + ("" if c.batch_norm else ", batch_norm=False")


class BasicBlock(nn.Module):
    """ResNet basic block: ``(N, C_in, H, W) -> (N, C_out, H/stride, W/stride)``.

    ``relu(bn(conv3×3(relu(bn(conv3×3_stride(x))))) + shortcut(x))``; the shortcut is the
    identity, or a plain 1×1 strided ``nn.Conv2d`` + BN when the shape changes.
    """

    def __init__(self, c_in: int, c_out: int, stride: int, conv: dict[str, Any]) -> None:
        super().__init__()
        self.conv1 = make_conv2d(in_channels=c_in, out_channels=c_out, stride=stride, **conv)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = make_conv2d(in_channels=c_out, out_channels=c_out, **conv)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut = nn.Sequential()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out)
            )

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.bn1(_conv(self.conv1, x)))
        out = self.bn2(_conv(self.conv2, out))
        return F.relu(out + self.shortcut(x))


class ResNet18(ConfigMixin, nn.Module):
    """CIFAR ResNet-18: images ``(N, C_in, H, W)`` (any H, W) -> logits ``(N, num_classes)``.

    Args:
        num_classes: number of output logits.
        in_channels: input channels.
        width: channels of the stem and first stage ``w`` (stages w, 2w, 4w, 8w).
        **conv: the 17 factory convolutions' options (stem + 16 in the blocks;
            [`Conv2dOptions`][longrange_models.Conv2dOptions]: ``layer``, their kind,
            ``kernel_size``, ``ar_order``, AR stages per axis of the ARMA kinds, and the ARMA
            options ``ar_init``, ``boundary``, ``reparam``, ``ar_eps``, ``method``, for the ARMA
            kinds only; defaults ``make_conv2d``'s and ``ARMA2d``'s, ``layer="conv"``).

    Convolutions have no bias (BatchNorm follows each), as the usual CIFAR ResNet.
    """

    def __init__(
        self,
        num_classes: int = 10,
        in_channels: int = 3,
        width: int = 64,
        **conv: Unpack[Conv2dOptions],
    ) -> None:
        super().__init__()
        positive_ints(num_classes=num_classes, in_channels=in_channels, width=width)
        self._store_config(locals())
        args = conv_kwargs(self.config)
        args["bias"] = False
        self.in_channels = in_channels
        self.stem = make_conv2d(in_channels=in_channels, out_channels=width, **args)
        self.bn = nn.BatchNorm2d(width)
        stages: list[nn.Module] = []
        c = width
        for i, stride in enumerate((1, 2, 2, 2)):
            out = width * 2**i
            stages.append(
                nn.Sequential(BasicBlock(c, out, stride, args), BasicBlock(out, out, 1, args))
            )
            c = out
        self.layers = nn.Sequential(*stages)
        self.linear = nn.Linear(c, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        """Logits ``(N, num_classes)`` of images ``(N, C_in, H, W)``."""
        _check_input(x, self.in_channels, 1, "ResNet18")  # adaptive pooling: any H, W
        x = F.relu(self.bn(_conv(self.stem, x)))
        x = self.layers(x)
        return self.linear(F.adaptive_avg_pool2d(x, 1).flatten(1))

    def extra_repr(self) -> str:
        c = self.config
        s = f"num_classes={c.num_classes}, in_channels={c.in_channels}, layer={c.layer!r}"
        return s + f", width={c.width}" + (f", ar_order={c.ar_order}" if is_arma(c.layer) else "")


#: The config dataclasses built from the constructors' signatures.
VGG11Config = VGG11.config_class
ResNet18Config = ResNet18.config_class
