"""ARMA layers: drop-in replacements for ``nn.Conv1d/2d/3d`` with a learnable stable AR filter.

``ARMA2d(...)(x)`` computes ``T = conv2d(x)`` (the moving-average part, any conv argument) and
then solves ``A ⋆ Y = T`` per output channel (the autoregressive part), see
[`arma_core.ar_solve`][arma_core.ar_solve]. With the default ``ar_init=0.0`` the AR filter is the
identity and the layer equals the convolution with the same weights.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from arma_stability import (
    DEFAULT_EPS,
    REPARAMETERIZATIONS,
    coefficients_from_parameters,
    stable_parameters,
)

from ._checks import check_choice
from .functional import PaddingMode, arma_conv
from .solve import ar_solve
from .types import BOUNDARIES, METHODS, Boundary, Method

__all__ = ["ARMA1d", "ARMA2d", "ARMA3d"]

ARInit = float | tuple[float, float]
_PLAIN_CONV_FORWARDS = (nn.Conv1d._conv_forward, nn.Conv2d._conv_forward, nn.Conv3d._conv_forward)


class _ARMAMixin:
    """AR parameters and the AR solve shared by the ARMA layers."""

    _spatial_dims: int
    ar_weight: nn.Parameter
    in_channels: int
    out_channels: int

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, ...],
        stride: int | tuple[int, ...] = 1,
        padding: str | int | tuple[int, ...] = 0,
        dilation: int | tuple[int, ...] = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: PaddingMode = "zeros",
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        *,
        ar_order: int = 1,
        ar_init: ARInit = 0.0,
        boundary: Boundary = "circular",
        reparam: str = "stable",
        ar_eps: float = DEFAULT_EPS,
        method: Method = "auto",
        validate: bool | None = None,
    ) -> None:
        # every layer's constructor (the class docstrings document it): nn.ConvNd's arguments,
        # passed on to the layer's conv base (next in the MRO), then the keyword-only AR options
        super().__init__(  # type: ignore[call-arg]  # nn.ConvNd.__init__, next in the MRO
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            device,
            dtype,
        )
        if isinstance(ar_order, bool) or not isinstance(ar_order, int):
            raise TypeError(f"ar_order should be an int, got {type(ar_order).__name__}")
        if ar_order < 0:
            raise ValueError(f"ar_order should be >= 0, got {ar_order}")
        check_choice("boundary", boundary, BOUNDARIES)
        check_choice("method", method, METHODS)
        if reparam not in REPARAMETERIZATIONS:
            raise ValueError(
                f"reparam should be one of {sorted(REPARAMETERIZATIONS)}, got {reparam!r}"
            )
        if validate is not None and not isinstance(validate, bool):
            raise TypeError(f"validate should be a bool or None, got {validate!r}")
        if not 0.0 < ar_eps < 1.0:
            raise ValueError(f"ar_eps should be in (0, 1), got {ar_eps}")
        self.ar_order = ar_order
        self.ar_init = ar_init
        self.boundary = boundary
        self.reparam = reparam
        self.ar_eps = ar_eps
        self.method = method
        self.validate = validate
        shape = (self._spatial_dims, self.out_channels, ar_order, 2)
        self.ar_weight = nn.Parameter(torch.empty(shape, device=device, dtype=dtype))
        self.reset_ar_parameters()

    def reset_ar_parameters(self) -> None:
        """Initialise ``ar_weight`` from ``ar_init``.

        A float is the standard deviation of a normal draw of the unconstrained parameters
        (``0.0``: the identity filter, so the layer starts as its convolution). A pair
        ``(a_left, a_right)`` sets those coefficients in every stage, axis and channel (only with
        ``reparam="stable"``, whose inverse map exists).
        """
        init = self.ar_init
        with torch.no_grad():
            if isinstance(init, tuple):
                if self.reparam != "stable":
                    raise ValueError(
                        f"ar_init as coefficients needs reparam='stable', got {self.reparam!r}"
                    )
                coeffs = torch.tensor(init, dtype=torch.float64).expand(self.ar_weight.shape)
                self.ar_weight.copy_(stable_parameters(coeffs, self.ar_eps))
            elif isinstance(init, float | int) and not isinstance(init, bool):
                if init < 0:
                    raise ValueError(f"ar_init as a std should be >= 0, got {init}")
                if init == 0:
                    self.ar_weight.zero_()
                else:
                    self.ar_weight.normal_(0.0, float(init))
            else:
                raise TypeError(
                    f"ar_init should be a float (std) or a pair (a_left, a_right), got {init!r}"
                )

    def ar_coefficients(self) -> Tensor:
        """AR coefficients ``(a_left, a_right)``: Tensor[D, C_out, ar_order, 2]."""
        return coefficients_from_parameters(self.ar_weight, self.reparam, self.ar_eps)

    def _check_input(self, input: Tensor) -> None:
        d = self._spatial_dims
        if not isinstance(input, Tensor):
            raise TypeError(f"input should be a Tensor, got {type(input).__name__}")
        if input.ndim not in (d + 1, d + 2):
            raise ValueError(
                f"input should be {d + 2}D (batched) or {d + 1}D (unbatched), "
                f"got shape {tuple(input.shape)}"
            )
        channels = input.shape[-d - 1]
        if channels != self.in_channels:
            raise ValueError(
                f"input should have in_channels={self.in_channels} channels, "
                f"got {channels} (shape {tuple(input.shape)})"
            )

    def _ar(self, t: Tensor) -> Tensor:
        if self.ar_order == 0:
            return t
        unbatched = t.ndim == self._spatial_dims + 1
        if unbatched:
            t = t.unsqueeze(0)
        y = ar_solve(
            t,
            self.ar_coefficients(),
            boundary=self.boundary,
            method=self.method,
            validate=self.validate,
            overwrite_input=True,  # t is this layer's own convolution output
        )
        return y.squeeze(0) if unbatched else y

    def forward(self, input: Tensor) -> Tensor:
        """Convolution, then the AR solve: [`arma_core.arma_conv`][arma_core.arma_conv] with this
        layer's weights and settings (which picks the fused CPU node or the kernel).

        A subclass that overrides ``_conv_forward`` keeps its convolution: it runs through
        ``nn.ConvNd.forward``, then [`ar_solve`][arma_core.ar_solve].
        """
        self._check_input(input)
        # _conv_forward: nn.ConvNd's (the class is one), which the mixin alone does not declare
        if type(self)._conv_forward not in _PLAIN_CONV_FORWARDS:  # type: ignore[attr-defined]  # ConvNd's
            return self._ar(super().forward(input))  # type: ignore[misc]  # nn.ConvNd.forward
        conv: nn.Conv1d = self  # type: ignore[assignment]  # any nn.ConvNd: the fields read are common
        return arma_conv(
            input,
            conv.weight,
            conv.bias,
            self.ar_coefficients(),
            stride=conv.stride,
            padding=conv.padding,
            dilation=conv.dilation,
            groups=conv.groups,
            padding_mode=conv.padding_mode,
            boundary=self.boundary,
            method=self.method,
            validate=self.validate,
        )

    def extra_repr(self) -> str:
        return super().extra_repr() + self._ar_repr()  # type: ignore[misc]  # nn.ConvNd's, next in the MRO

    def _ar_repr(self) -> str:
        s = f", ar_order={self.ar_order}"
        if self.ar_init != 0.0:
            s += f", ar_init={self.ar_init}"
        if self.boundary != "circular":
            s += f", boundary={self.boundary!r}"
        if self.reparam != "stable":
            s += f", reparam={self.reparam!r}"
        if self.method != "auto":
            s += f", method={self.method!r}"
        return s


_DOC = """{title}

    Takes every ``nn.{conv}`` argument, plus:

    Args:
        ar_order: stages of length-3 factors per axis; the AR kernel spans ``2·ar_order + 1``
            (the paper's AR kernel size 3 is ``ar_order=1``, 5 is ``2``). ``0`` disables the AR
            part. Adds ``{d}·2·out_channels·ar_order`` parameters.
        ar_init: ``0.0`` (identity: the layer starts as its convolution), a std for a normal
            draw of the unconstrained AR parameters, or a pair ``(a_left, a_right)``.
        boundary: ``"circular"`` or ``"zero"`` (see [`arma_core.ar_solve`][arma_core.ar_solve]).
        reparam: ``"stable"`` (``|a_left| + |a_right| <= 1 − ar_eps``, always invertible), the
            papers' ``"icml_eq16"`` / ``"neurips_eq9"``, or ``"none"`` (the parameters are the
            coefficients); all but ``"stable"`` are not stable, for ablations only.
        ar_eps: stability margin of each factor for ``reparam="stable"``.
        method: AR solve method, ``"auto"``, ``"banded"``, ``"fft"`` or ``"matmul"``.
        validate: value checks of the AR solve (finite values, singular filter); ``None``
            follows [`arma_core.set_validate`][arma_core.set_validate] (default: CPU only).

    Shape:
        input ``{shape_in}`` -> output ``{shape_out}``, exactly as ``nn.{conv}``.
        The output map must be at least ``2·ar_order + 1`` long on every spatial axis.
"""


_AXES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


def _doc(d: int, ar_filter: str) -> str:
    """The docstring of the ``d``-D layer, whose AR part is ``ar_filter``."""
    axes = _AXES[d]
    return _DOC.format(
        title=f"{d}D ARMA layer: ``nn.Conv{d}d`` then {ar_filter}.",
        conv=f"Conv{d}d",
        d=d,
        shape_in=f"(N, C_in, {', '.join(a + '_in' for a in axes)})",
        shape_out=f"(N, C_out, {', '.join(a + '_out' for a in axes)})",
    )


class ARMA1d(_ARMAMixin, nn.Conv1d):
    __doc__ = _doc(1, "a learnable AR filter along L")
    _spatial_dims = 1


class ARMA2d(_ARMAMixin, nn.Conv2d):
    __doc__ = _doc(2, "a learnable separable AR filter over H and W")
    _spatial_dims = 2


class ARMA3d(_ARMAMixin, nn.Conv3d):
    __doc__ = _doc(3, "a learnable separable AR filter over D, H, W")
    _spatial_dims = 3
