"""WaveNetAR: a WaveNet image generator with MultiresAR's likelihood, for equal-budget bits/dim.

Legend: N batch, C image channels (1 or 3), L = H·W positions, D residual channels, S skip
channels, P mixture parameters.

The conventions of [`MultiresAR`][longrange_models.MultiresAR]: an image ``(N, C, H, W)`` of
8-bit values flattened in raster order, ``(N, C, L)``, scaled to ``2v/255 − 1`` and shifted right
by one position, so that output ``i`` — the discretised logistic mixture's parameters of pixel
``i`` — sees pixels ``< i`` only. The body is a 1×1 encoder, a
[`WaveNetStack`][longrange_models.WaveNetStack] and the same
[`LogisticMixtureHead`][longrange_models.LogisticMixtureHead]; the loss is
[`mixture_nll`][longrange_models.mixture_nll] in bits/dim, as MultiresAR's.

Sampling is exact and re-runs the network: pixel ``i`` depends on the last ``receptive_field``
pixels only, so [`sample`][longrange_models.WaveNetAR.sample] runs the forward over that window
(``O(receptive_field)`` work per pixel) and
[`sample_by_recompute`][longrange_models.WaveNetAR.sample_by_recompute] over the whole prefix (the
reference); both make the same draws from the same generator.
"""

from __future__ import annotations

from typing import Any, Self

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ._ar_sampling import _ARSampler, scale_values
from ._checks import positive_int
from .config import ConfigMixin
from .logistic_mixture import LogisticMixtureHead, bits_per_dim, mixture_nll, mixture_params
from .wavenet import (
    WaveNetStack,
    _wavenet_for_budget,
    wavenet_dilations,
    wavenet_stack_parameter_count,
)

__all__ = ["WaveNetAR", "WaveNetARConfig"]


class WaveNetAR(_ARSampler, ConfigMixin, nn.Module):
    """Autoregressive WaveNet over flattened 8-bit images ``(N, C, L)`` int64 in 0..255.

    Args:
        in_channels: ``C``, 1 or 3.
        seq_len: ``L = H·W``, the default sampling length; unless ``layers_per_cycle`` is given,
            one cycle of dilations covers it
            ([`wavenet_dilations`][longrange_models.wavenet_dilations]).
        channels: residual channels ``D``.
        skip_channels: ``S``; default ``D``.
        kernel_size: taps of every dilated convolution, at least 2.
        layers_per_cycle: layers of a cycle (default from ``seq_len``).
        cycles: repetitions of the cycle.
        num_mixtures: logistic components ``M``.
        dropout: channel dropout on every layer's gated output.
    """

    def __init__(
        self,
        in_channels: int = 3,
        seq_len: int = 1024,
        channels: int = 64,
        skip_channels: int | None = None,
        kernel_size: int = 2,
        layers_per_cycle: int | None = None,
        cycles: int = 1,
        num_mixtures: int = 10,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if isinstance(in_channels, bool) or in_channels not in (1, 3):
            raise ValueError(f"in_channels should be 1 or 3, got {in_channels!r}")
        positive_int("seq_len", seq_len)
        positive_int("channels", channels)
        if skip_channels is not None:
            positive_int("skip_channels", skip_channels)
        self.num_params = mixture_params(in_channels, num_mixtures)  # checks num_mixtures
        by_length = None if layers_per_cycle is not None else seq_len
        dilations = wavenet_dilations(kernel_size, by_length, layers_per_cycle, cycles)
        self._store_config(locals())
        skip = skip_channels or channels
        self.encoder = nn.Conv1d(in_channels, channels, 1)
        self.stack = WaveNetStack(channels, skip, kernel_size, dilations, dropout)
        self.head = LogisticMixtureHead(skip, in_channels, num_mixtures)

    @property
    def receptive_field(self) -> int:
        """Positions of the shifted input an output sees, ``1 + Σ (K − 1)·d``: output ``i``
        sees pixels ``i − receptive_field .. i − 1``."""
        return self.stack.receptive_field

    # -- full forward ------------------------------------------------------------------------

    def body(self, inputs: Tensor) -> Tensor:
        """The network on prepared real inputs ``Tensor[N, C, L]`` (scaled and right-shifted):
        ``Tensor[N, P, L]``; output ``i`` sees ``inputs[..., i − receptive_field + 1 : i + 1]``."""
        return self.head(self.stack(self.encoder(inputs)))

    def distribution_params(self, x: Tensor) -> Tensor:
        """Mixture parameters of every position, ``Tensor[N, P, L]``; output ``i`` depends on
        ``x[..., :i]`` only.

        Args:
            x: ``Tensor[N, C, L]`` int64 values 0..255 (raster order).
        """
        return self._params(x)

    forward = distribution_params

    def loss(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``(nll_nats (Tensor[N]), bits_per_dim (Tensor[]))`` of images ``x (N, C, L)``, as
        [`MultiresAR.loss`][longrange_models.MultiresAR.loss]."""
        nll = mixture_nll(self.distribution_params(x), x, self.config.num_mixtures)
        return nll, bits_per_dim(nll.mean(), x.shape[1] * x.shape[2])

    # -- sizing ------------------------------------------------------------------------------

    @classmethod
    def parameter_count(cls, **kwargs: Any) -> int:
        """Trainable parameters of ``cls(**kwargs)``, in closed form: the encoder
        ``(C + 1)·D``, the stack
        ([`wavenet_stack_parameter_count`][longrange_models.wavenet_stack_parameter_count]),
        the head ``(S + 1)·P``."""
        cfg = cls.config_class(**kwargs)
        d, s = cfg.channels, cfg.skip_channels or cfg.channels
        by_length = None if cfg.layers_per_cycle is not None else cfg.seq_len
        layers = len(
            wavenet_dilations(cfg.kernel_size, by_length, cfg.layers_per_cycle, cfg.cycles)
        )
        head = (s + 1) * mixture_params(cfg.in_channels, cfg.num_mixtures)
        return int(
            (cfg.in_channels + 1) * d
            + wavenet_stack_parameter_count(d, s, cfg.kernel_size, layers)
            + head
        )

    @classmethod
    def for_budget(cls, budget: int, /, **kwargs: Any) -> Self:
        """The model with ``kwargs`` (any arguments but ``channels`` and ``skip_channels``) whose
        parameter count is closest to ``budget``
        ([`fit_wavenet_widths`][longrange_models.fit_wavenet_widths])."""
        return _wavenet_for_budget(cls, cls.parameter_count, budget, kwargs)

    # -- sampling ----------------------------------------------------------------------------

    def _start(self, n: int, length: int | None) -> Tensor:
        if self.training and self.config.dropout > 0:
            raise RuntimeError(
                f"cannot sample in training mode with dropout={self.config.dropout}: call .eval()"
            )
        return super()._start(n, length)

    @torch.no_grad()
    def sample(
        self,
        n: int,
        generator: torch.Generator | None = None,
        progress: bool = False,
        length: int | None = None,
    ) -> Tensor:
        """``n`` images as sequences ``Tensor[n, C, length]`` int64 (default ``seq_len``).

        Pixel ``i`` is drawn ([`mixture_sample`][longrange_models.mixture_sample], one call per
        position) from the forward over the window of the last ``receptive_field`` shifted
        inputs, which is all its parameters depend on. Reshape with ``.view(n, C, H, W)``."""
        out = self._start(n, length)
        dtype, window = self.encoder.weight.dtype, self.receptive_field
        inputs = F.pad(scale_values(out, dtype), (1, 0))  # (0, x_0, ..., x_{L-1}), filled below

        def params_at(i: int) -> Tensor:
            if i > 0:
                inputs[..., i] = scale_values(out[..., i - 1], dtype)
            return self.body(inputs[..., max(0, i + 1 - window) : i + 1])[..., -1]

        return self._fill(out, params_at, generator, progress)

    def extra_repr(self) -> str:
        return f"{self._repr_head()}, receptive_field={self.receptive_field}"


#: The config dataclass built from ``WaveNetAR``'s signature.
WaveNetARConfig = WaveNetAR.config_class
