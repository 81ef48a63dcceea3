"""WaveNet (van den Oord et al., 2016, Sec. 2): the dilated-convolution baseline of MultiresConv.

Legend: N batch, C_in input channels, L length, V vocabulary, C residual channels, S skip
channels, K filter taps (``kernel_size``), d dilation.

Shi, Wang & Fox (ICML 2023, Sec. 4) relate MultiresConv to WaveNet: both are trees of dilated
causal convolutions, but WaveNet has a filter per layer, gated non-linearities between the
scales and another skip structure. [`WaveNetStack`][longrange_models.WaveNetStack] is WaveNet's
body (Sec. 2.1-2.4, Fig. 4): layers of a dilated causal convolution ``C -> 2C`` with ``K`` taps, the
gated activation ``z = tanh(W_f ∗ x) ⊙ σ(W_g ∗ x)``, a 1×1 residual convolution added to the layer
input and a 1×1 skip convolution; the skips are summed, then ReLU, 1×1, ReLU. Dilations double
``1, 2, 4, …`` until one cycle sees ``seq_len`` positions, and the cycle repeats ``cycles`` times
(WaveNet, Sec. 2.1: ``1, 2, …, 512`` repeated). Its receptive field is
``1 + Σ_layers (K − 1)·d`` ([`receptive_field`][longrange_models.wavenet_receptive_field]).

[`WaveNet`][longrange_models.WaveNet] is the sequence classifier (the inputs of
[`MultiresNet`][longrange_models.MultiresNet], masked mean pooling, linear head);
[`WaveNetAR`][longrange_models.WaveNetAR] is the image generator with MultiresAR's mixture head.
Every layer is causal, so padding after a sequence's valid positions changes nothing at them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Self, TypeVar

from torch import Tensor, nn
from torch.nn import functional as F

from ._budget import largest_within
from ._checks import positive_int
from ._sequence_input import SequenceInput, source_repr
from .config import ConfigMixin
from .multiresnet import masked_mean

__all__ = [
    "WaveNet",
    "WaveNetConfig",
    "WaveNetLayer",
    "WaveNetStack",
    "fit_wavenet_widths",
    "wavenet_dilations",
    "wavenet_receptive_field",
    "wavenet_stack_parameter_count",
]


def wavenet_dilations(
    kernel_size: int,
    seq_len: int | None = None,
    layers_per_cycle: int | None = None,
    cycles: int = 1,
) -> tuple[int, ...]:
    """``(1, 2, …, 2^(m−1))`` repeated ``cycles`` times.

    ``m = layers_per_cycle``, or (give exactly one) the fewest layers whose cycle sees
    ``seq_len`` positions: the least ``m ≥ 1`` with ``1 + (K − 1)(2^m − 1) ≥ seq_len``
    (``m = ceil(log2(L))`` for ``K = 2``, as MultiresConv's default depth)."""
    positive_int("kernel_size", kernel_size, minimum=2)
    positive_int("cycles", cycles)
    if (seq_len is None) == (layers_per_cycle is None):
        raise ValueError(
            "give exactly one of seq_len and layers_per_cycle, got "
            f"seq_len={seq_len!r}, layers_per_cycle={layers_per_cycle!r}"
        )
    if layers_per_cycle is not None:
        m = positive_int("layers_per_cycle", layers_per_cycle)
    else:
        length = positive_int("seq_len", seq_len)
        m = 1
        while 1 + (kernel_size - 1) * (2**m - 1) < length:
            m += 1
    return tuple(2**i for i in range(m)) * cycles


def wavenet_receptive_field(kernel_size: int, dilations: Sequence[int]) -> int:
    """``1 + Σ (K − 1)·d`` over the layers: how many input positions an output sees."""
    positive_int("kernel_size", kernel_size, minimum=2)
    return 1 + sum((kernel_size - 1) * positive_int("dilation", d) for d in dilations)


def wavenet_stack_parameter_count(
    channels: int, skip_channels: int, kernel_size: int, num_layers: int
) -> int:
    """Parameters of a [`WaveNetStack`][longrange_models.WaveNetStack] of ``num_layers``: per
    layer ``2C·C·K + 2C`` (gate and filter), ``(C + 1)·S`` (skip), ``C² + C`` (residual, not in
    the last layer); then ``S² + S`` (the 1×1 after the skips' sum)."""
    c, s, k = channels, skip_channels, kernel_size
    per_layer = 2 * c * c * k + 2 * c + (c + 1) * s
    return num_layers * per_layer + (num_layers - 1) * (c * c + c) + s * s + s


def fit_wavenet_widths(count: Callable[[int, int], int], budget: int) -> tuple[int, int]:
    """``(C, S)`` for a budget: ``C`` the largest with ``count(C, C) <= budget``, then ``S >= C``
    the skip width whose count is closest to ``budget`` (ties: the smaller)."""
    positive_int("budget", budget)
    if count(1, 1) > budget:
        raise ValueError(f"budget should be >= {count(1, 1)} (C = S = 1), got {budget}")
    c = largest_within(lambda w: count(w, w), budget, 1, 1 << 20)
    s = largest_within(lambda w: count(c, w), budget, c, 1 << 30)
    if count(c, s + 1) - budget < budget - count(c, s):
        s += 1
    return c, s


_M = TypeVar("_M")


def _wavenet_for_budget(
    cls: Callable[..., _M], count: Callable[..., int], budget: int, kwargs: dict[str, Any]
) -> _M:
    """``cls(channels=C, skip_channels=S, **kwargs)`` with the widths
    [`fit_wavenet_widths`][longrange_models.fit_wavenet_widths] picks for ``budget`` from
    ``count(channels=C, skip_channels=S, **kwargs)`` (the model's closed-form parameter count);
    ``kwargs`` may not name the widths. The ``for_budget`` of the WaveNet models."""
    for name in ("channels", "skip_channels"):
        if name in kwargs:
            raise TypeError(f"for_budget chooses {name}; got {name}={kwargs[name]!r}")
    cls(channels=1, **kwargs)  # the arguments' checks, on a tiny model
    c, s = fit_wavenet_widths(lambda c, s: count(channels=c, skip_channels=s, **kwargs), budget)
    return cls(channels=c, skip_channels=s, **kwargs)


class WaveNetLayer(nn.Module):
    """One WaveNet layer: ``x (Tensor[N, C, L]) -> (x + res(z), skip(z))``, causal, with the
    gated ``z = tanh(f) ⊙ σ(g)`` and ``(f, g)`` a dilated causal convolution of ``x``.

    Args:
        channels: ``C``.
        skip_channels: ``S``.
        kernel_size: ``K``.
        dilation: ``d``; the layer sees ``x[..., t − (K − 1)·d : t + 1 : d]`` at ``t``.
        residual: the 1×1 residual convolution (the last layer of a stack has none: its
            residual output would be unused).
        dropout: channel dropout on ``z``.
    """

    def __init__(
        self,
        channels: int,
        skip_channels: int,
        kernel_size: int,
        dilation: int,
        residual: bool = True,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        positive_int("channels", channels)
        positive_int("skip_channels", skip_channels)
        positive_int("kernel_size", kernel_size, minimum=2)
        positive_int("dilation", dilation)
        self.pad = (kernel_size - 1) * dilation
        self.gate = nn.Conv1d(channels, 2 * channels, kernel_size, dilation=dilation)
        self.res = nn.Conv1d(channels, channels, 1) if residual else None
        self.skip = nn.Conv1d(channels, skip_channels, 1)
        self.dropout = nn.Dropout1d(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``(Tensor[N, C, L], Tensor[N, S, L])``: the next layer's input and the skip."""
        f, g = self.gate(F.pad(x, (self.pad, 0))).chunk(2, dim=1)
        z = self.dropout(f.tanh() * g.sigmoid())
        return (x if self.res is None else x + self.res(z)), self.skip(z)

    def extra_repr(self) -> str:
        return f"dilation={self.gate.dilation[0]}, residual={self.res is not None}"


class WaveNetStack(nn.Module):
    """WaveNet's body: ``(N, C, L) -> (N, S, L)``, causal, receptive field
    ``1 + Σ (K − 1)·d``.

    ``relu(1×1(relu(Σ_layers skip)))`` over [`WaveNetLayer`][longrange_models.WaveNetLayer]s with
    ``dilations`` (see [`wavenet_dilations`][longrange_models.wavenet_dilations]).
    """

    def __init__(
        self,
        channels: int,
        skip_channels: int,
        kernel_size: int,
        dilations: Sequence[int],
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if isinstance(dilations, str | bytes) or not isinstance(dilations, Sequence):
            raise TypeError(f"dilations should be a sequence of ints, got {dilations!r}")
        if not dilations:
            raise ValueError(f"dilations should not be empty, got {dilations!r}")
        if isinstance(dropout, bool) or not isinstance(dropout, int | float):
            raise TypeError(f"dropout should be a float, got {type(dropout).__name__}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout should be in [0, 1), got {dropout}")
        self.dilations = tuple(dilations)
        self.receptive_field = wavenet_receptive_field(kernel_size, self.dilations)
        last = len(self.dilations) - 1
        self.layers = nn.ModuleList(
            WaveNetLayer(channels, skip_channels, kernel_size, d, i < last, dropout)
            for i, d in enumerate(self.dilations)
        )
        self.out = nn.Conv1d(skip_channels, skip_channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        """``x (Tensor[N, C, L]) -> Tensor[N, S, L]``; output ``t`` sees
        ``x[..., t − receptive_field + 1 : t + 1]``."""
        total: Tensor | None = None
        for layer in self.layers:
            x, skip = layer(x)
            total = skip if total is None else total + skip
        assert total is not None  # the constructor refuses an empty stack
        return F.relu(self.out(F.relu(total)))

    def extra_repr(self) -> str:
        return f"layers={len(self.layers)}, receptive_field={self.receptive_field}"


class WaveNet(ConfigMixin, nn.Module):
    """WaveNet sequence classifier: ``(N, C_in, L)`` reals or ``(N, L)`` token ids -> ``(N, K)``.

    A 1×1 projection or embedding to ``C`` channels, a
    [`WaveNetStack`][longrange_models.WaveNetStack], the mean over the valid positions, a linear
    head.

    Args:
        num_classes: logits per sequence.
        in_channels: ``C_in`` of real inputs; or
        num_tokens: vocabulary size of token inputs. Give exactly one.
        channels: residual channels ``C``.
        skip_channels: ``S``; default ``C``.
        kernel_size: ``K``, at least 2 (WaveNet: 2).
        seq_len: the length one cycle of dilations covers; or
        layers_per_cycle: the layers of a cycle (dilations up to ``2^(layers_per_cycle − 1)``).
            Give exactly one.
        cycles: repetitions of the cycle.
        dropout: channel dropout on every layer's gated output.

    [`for_budget`][longrange_models.WaveNet.for_budget] sizes it to a parameter budget.
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: int | None = None,
        num_tokens: int | None = None,
        channels: int = 64,
        skip_channels: int | None = None,
        kernel_size: int = 2,
        seq_len: int | None = None,
        layers_per_cycle: int | None = None,
        cycles: int = 1,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        positive_int("num_classes", num_classes)
        positive_int("channels", channels)
        if skip_channels is not None:
            positive_int("skip_channels", skip_channels)
        dilations = wavenet_dilations(kernel_size, seq_len, layers_per_cycle, cycles)
        self.encoder = SequenceInput(channels, in_channels, num_tokens)
        self._store_config(locals())
        skip = skip_channels or channels
        self.stack = WaveNetStack(channels, skip, kernel_size, dilations, dropout)
        self.head = nn.Linear(skip, num_classes)

    @property
    def receptive_field(self) -> int:
        """Input positions a feature sees: ``1 + Σ (K − 1)·d``."""
        return self.stack.receptive_field

    def features(self, x: Tensor) -> Tensor:
        """The stack's output ``Tensor[N, S, L]``; position ``t`` sees inputs ``<= t`` only."""
        return self.stack(self.encoder(x))

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        """Class logits ``Tensor[N, num_classes]``.

        Args:
            x: ``Tensor[N, C_in, L]`` (real inputs) or ``Tensor[N, L]`` int64 (token ids).
            lengths (Tensor[N], optional): valid positions per sequence (padding after them);
                the pooling averages over the first ``lengths[n]`` positions only.
        """
        return self.head(masked_mean(self.features(x), lengths))

    @classmethod
    def parameter_count(cls, **kwargs: Any) -> int:
        """Trainable parameters of ``cls(**kwargs)``, in closed form (nothing is built): the
        embedding ``V·C`` or projection ``(C_in + 1)·C``, the stack
        ([`wavenet_stack_parameter_count`][longrange_models.wavenet_stack_parameter_count]),
        the head ``(S + 1)·num_classes``."""
        cfg = cls.config_class(**kwargs)
        c, s = cfg.channels, cfg.skip_channels or cfg.channels
        layers = len(
            wavenet_dilations(cfg.kernel_size, cfg.seq_len, cfg.layers_per_cycle, cfg.cycles)
        )
        source = cfg.num_tokens * c if cfg.num_tokens is not None else (cfg.in_channels + 1) * c
        stack = wavenet_stack_parameter_count(c, s, cfg.kernel_size, layers)
        return int(source + stack + (s + 1) * cfg.num_classes)

    @classmethod
    def for_budget(cls, budget: int, /, **kwargs: Any) -> Self:
        """The model with ``kwargs`` (any constructor arguments but ``channels`` and
        ``skip_channels``) whose parameter count is closest to ``budget``: ``channels`` the
        largest whose model with ``skip_channels = channels`` fits, then ``skip_channels``
        widened to take up the rest
        ([`fit_wavenet_widths`][longrange_models.fit_wavenet_widths])."""
        return _wavenet_for_budget(cls, cls.parameter_count, budget, kwargs)

    def extra_repr(self) -> str:
        cfg = self.config
        rf = self.receptive_field
        return f"{source_repr(cfg)}, num_classes={cfg.num_classes}, receptive_field={rf}"


#: The config dataclass built from ``WaveNet``'s signature.
WaveNetConfig = WaveNet.config_class
