"""The one layer factory every model uses: a model's layer kind is one argument.

``make_conv2d("arma", 32, 128, 3)`` returns an ``ARMA2d`` with "same" padding; ``"conv"`` an
``nn.Conv2d``; ``"dilated"`` an ``nn.Conv2d`` with dilation (default 2); ``"dilated-arma"`` an
``ARMA2d`` whose moving-average (convolution) part is dilated. All four keep the spatial size at
stride 1, so swapping the kind never changes a model's shapes.

A model passes its factory options through as one group,
[`Conv2dOptions`][longrange_models.Conv2dOptions] (``layer``, ``kernel_size``, ``ar_order`` and
the ARMA options), taken as ``**conv: Unpack[Conv2dOptions]``; their defaults are
``make_conv2d``'s (``ARMA2d``'s for the ARMA options), read from its signature.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict, Unpack, get_args

from torch import nn

from arma_core import ARMA2d, ARMAOptions

from ._checks import positive_int
from .config import option_defaults

__all__ = [
    "ARMA_DEFAULTS",
    "CONV2D_DEFAULTS",
    "LAYER_KINDS",
    "Conv2dOptions",
    "LayerKind",
    "arma_kwargs",
    "check_layer_kind",
    "conv_kwargs",
    "is_arma",
    "make_conv2d",
]

#: A layer kind: the ``layer`` argument of every 2D model (and of the apps' command lines).
LayerKind = Literal["conv", "dilated", "arma", "dilated-arma"]
#: The valid layer kinds, in the papers' order.
LAYER_KINDS: tuple[LayerKind, ...] = get_args(LayerKind)
_DEFAULT_DILATION: dict[LayerKind, int] = {"conv": 1, "dilated": 2, "arma": 1, "dilated-arma": 2}
#: The ARMA options a model passes through ([`arma_core.ARMAOptions`][arma_core.ARMAOptions]'s
#: keys), at [`arma_core.ARMA2d`][arma_core.ARMA2d]'s defaults (read from its signature).
ARMA_DEFAULTS: dict[str, Any] = option_defaults(ARMAOptions)
_ARMA_OPTIONS = tuple(ARMA_DEFAULTS)


class Conv2dOptions(ARMAOptions, total=False):
    """The options of [`make_conv2d`][longrange_models.make_conv2d] a model passes to every
    factory convolution it builds: ``layer`` (a kind of
    [`LAYER_KINDS`][longrange_models.LAYER_KINDS]), ``kernel_size`` (odd), ``ar_order`` (AR
    stages per axis of the ARMA kinds) and the ARMA options
    ([`arma_core.ARMAOptions`][arma_core.ARMAOptions]: ``ar_init``, ``boundary``, ``reparam``,
    ``ar_eps``, ``method``; for the ARMA kinds only).

    Every key is optional; a key left out takes ``make_conv2d``'s default
    (``Conv2dOptions.__defaults_from__``; ``ARMA2d``'s for the ARMA options), and ``layer``,
    which a ``make_conv2d`` call must name, ``"conv"`` (``__required_defaults__``). Models take
    the group as ``**conv: Unpack[Conv2dOptions]``; the per-layer arguments (channels, stride,
    groups, bias) and ``dilation`` are not in it.
    """

    layer: LayerKind
    kernel_size: int
    ar_order: int


class _ConvArgs(TypedDict):
    """The ``nn.Conv2d`` keyword arguments ``make_conv2d`` passes to either kind of layer."""

    stride: int
    padding: int
    dilation: int
    groups: int
    bias: bool


def check_layer_kind(layer: str) -> LayerKind:
    """Return ``layer`` if it is one of [`LAYER_KINDS`][longrange_models.LAYER_KINDS], else raise a
    ``ValueError``."""
    if not isinstance(layer, str) or layer not in LAYER_KINDS:
        raise ValueError(f"layer should be one of {LAYER_KINDS}, got {layer!r}")
    return layer


def is_arma(layer: str) -> bool:
    """Whether a layer kind has an AR part (``"arma"``, ``"dilated-arma"``)."""
    return check_layer_kind(layer) in ("arma", "dilated-arma")


def make_conv2d(
    layer: LayerKind,
    in_channels: int,
    out_channels: int,
    kernel_size: int = 3,
    *,
    dilation: int | None = None,
    stride: int = 1,
    groups: int = 1,
    bias: bool = True,
    ar_order: int = 1,
    **arma_options: Unpack[ARMAOptions],
) -> nn.Conv2d:
    """A 2D convolution of the given kind with "same" padding.

    Args:
        layer: one of [`LAYER_KINDS`][longrange_models.LAYER_KINDS].
        in_channels: as ``nn.Conv2d`` (odd
            ``kernel_size``, so the padding ``dilation·(kernel_size − 1)/2`` keeps the size).
        out_channels: as ``in_channels``.
        kernel_size: as ``in_channels``.
        stride: as ``in_channels``.
        groups: as ``in_channels``.
        bias: as ``in_channels``.
        dilation: of the convolution (moving-average) part; default 1 for ``"conv"``/``"arma"``
            and 2 for ``"dilated"``/``"dilated-arma"``.
        ar_order: stages of length-3 AR factors per axis for the ARMA kinds (1 = the papers'
            AR kernel 3×3); ignored by the plain kinds.
        **arma_options: [`arma_core.ARMAOptions`][arma_core.ARMAOptions] (``ar_init``,
            ``boundary``, ``reparam``, ``ar_eps``, ``method``), passed to
            [`arma_core.ARMA2d`][arma_core.ARMA2d]; rejected for the plain kinds.

    Returns:
        ``nn.Conv2d`` or ``arma_core.ARMA2d`` (a subclass of it): input ``(N, C_in, H, W)`` ->
        output ``(N, C_out, H, W)`` at stride 1.
    """
    check_layer_kind(layer)
    for name, v in (
        ("in_channels", in_channels),
        ("out_channels", out_channels),
        ("kernel_size", kernel_size),
        ("stride", stride),
        ("groups", groups),
    ):
        positive_int(name, v)
    if kernel_size % 2 == 0:
        raise ValueError(f"kernel_size should be odd (for 'same' padding), got {kernel_size}")
    dilation = _DEFAULT_DILATION[layer] if dilation is None else positive_int("dilation", dilation)
    unknown = set(arma_options) - set(_ARMA_OPTIONS)
    if unknown:
        raise TypeError(f"unknown ARMA options {sorted(unknown)}; valid: {list(_ARMA_OPTIONS)}")
    padding = dilation * (kernel_size - 1) // 2
    conv_args: _ConvArgs = {
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "groups": groups,
        "bias": bias,
    }
    if is_arma(layer):
        return ARMA2d(
            in_channels, out_channels, kernel_size, ar_order=ar_order, **conv_args, **arma_options
        )
    if arma_options:
        raise TypeError(f"ARMA options {sorted(arma_options)} given for layer={layer!r}")
    return nn.Conv2d(in_channels, out_channels, kernel_size, **conv_args)


#: The callable whose signature holds the group's defaults (read, not repeated, by the models);
#: ``layer`` has none there (a call names its kind), so the group declares a model's default kind.
setattr(Conv2dOptions, "__defaults_from__", make_conv2d)  # noqa: B010
setattr(Conv2dOptions, "__required_defaults__", {"layer": "conv"})  # noqa: B010
#: [`Conv2dOptions`][longrange_models.Conv2dOptions]' keys at their defaults (``make_conv2d``'s,
#: ``ARMA2d``'s for the ARMA options, ``layer="conv"``).
CONV2D_DEFAULTS: dict[str, Any] = option_defaults(Conv2dOptions)


def arma_kwargs(layer: str, ar_order: int, **options: Any) -> dict[str, Any]:
    """[`make_conv2d`][longrange_models.make_conv2d] keyword arguments for ``layer``: the ARMA
    options only for ARMA kinds.

    Options left at their defaults ([`ARMA_DEFAULTS`][longrange_models.ARMA_DEFAULTS]; ``None`` also
    means the default) are dropped, so a plain kind builds; a changed option with a plain kind is
    passed on and [`make_conv2d`][longrange_models.make_conv2d] rejects it. A list ``ar_init`` (from
    JSON) becomes the pair ``(a_left, a_right)``.
    """
    out: dict[str, Any] = {"ar_order": ar_order}
    for name, value in options.items():
        if isinstance(value, list):
            value = tuple(value)
        if name not in ARMA_DEFAULTS:
            raise TypeError(f"unknown ARMA option {name!r}; valid: {sorted(ARMA_DEFAULTS)}")
        if value is not None and (is_arma(layer) or value != ARMA_DEFAULTS[name]):
            out[name] = value
    return out


def conv_kwargs(config: Any) -> dict[str, Any]:
    """The [`make_conv2d`][longrange_models.make_conv2d] arguments a model's ``config`` holds
    (the keys of [`Conv2dOptions`][longrange_models.Conv2dOptions]): ``layer``, ``kernel_size``,
    ``ar_order`` and the ARMA options, through
    [`arma_kwargs`][longrange_models.arma_kwargs] (options at their defaults dropped)."""
    options = {name: getattr(config, name) for name in ARMA_DEFAULTS}
    layer = check_layer_kind(config.layer)
    return {
        "layer": layer,
        "kernel_size": config.kernel_size,
        **arma_kwargs(layer, config.ar_order, **options),
    }
