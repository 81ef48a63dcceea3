"""Transformer encoder classifier: the attention baseline of Shi, Wang & Fox (ICML 2023, Tab. 1-3).

Legend: N batch, C_in input channels, L length, V vocabulary, D model width (``d_model``),
F feed-forward width, K classes.

[`TransformerClassifier`][longrange_models.TransformerClassifier] takes the inputs of
[`MultiresNet`][longrange_models.MultiresNet] — reals ``(N, C_in, L)`` (a linear projection per
position) or int64 token ids ``(N, L)`` (an embedding), and ``lengths (N,)`` for padded batches —
adds learned or sinusoidal positions (Vaswani et al., NeurIPS 2017, Sec. 3.5), runs a pre-norm
``nn.TransformerEncoder`` (``norm_first=True``, a final LayerNorm), averages over the valid
positions (padding is masked out of every attention and of the pooling, so it changes nothing)
and maps to class logits. [`for_budget`][longrange_models.TransformerClassifier.for_budget] sizes
it to a parameter budget, to compare at equal parameter counts.
"""

from __future__ import annotations

import inspect
import math
from typing import Any, ClassVar, Literal, Self, get_args

import torch
from torch import Tensor, nn

from ._budget import largest_within
from ._checks import positive_int
from ._sequence_input import SequenceInput, check_lengths, padding_mask, source_repr
from .config import ConfigMixin
from .multiresnet import masked_mean

__all__ = [
    "ACTIVATIONS",
    "POSITIONS",
    "TRANSFORMER_PRESETS",
    "ActivationKind",
    "PositionKind",
    "TransformerClassifier",
    "TransformerClassifierConfig",
    "sinusoidal_positions",
]

#: How positions enter: a learned ``(max_len, D)`` table or the fixed sinusoids.
PositionKind = Literal["learned", "sinusoidal"]
POSITIONS: tuple[PositionKind, ...] = get_args(PositionKind)
#: The feed-forward activation.
ActivationKind = Literal["relu", "gelu"]
ACTIVATIONS: tuple[ActivationKind, ...] = get_args(ActivationKind)


def sinusoidal_positions(length: int, width: int, dtype: torch.dtype = torch.float32) -> Tensor:
    """Vaswani et al. (NeurIPS 2017, Sec. 3.5): ``Tensor[L, D]`` with
    ``PE[p, 2i] = sin(p / 10000^(2i/D))`` and ``PE[p, 2i+1] = cos(p / 10000^(2i/D))``."""
    positive_int("length", length)
    positive_int("width", width)
    pos = torch.arange(length, dtype=torch.float64)[:, None]
    freq = torch.exp(torch.arange(0, width, 2, dtype=torch.float64) * (-math.log(10000.0) / width))
    pe = torch.zeros(length, width, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(pos * freq)
    pe[:, 1::2] = torch.cos(pos * freq[: width // 2])
    return pe.to(dtype)


#: ``listops``: the Long Range Arena Transformer's size (Tay et al., ICLR 2021, Sec. 3: 6 layers,
#: 8 heads, width 512, feed-forward 2048), over the ListOps vocabulary of
#: [`MultiresNet`][longrange_models.MultiresNet]'s preset; dropout and learned positions ours.
TRANSFORMER_PRESETS: dict[str, dict[str, Any]] = {
    "listops": {
        "num_tokens": 18,
        "num_classes": 10,
        "d_model": 512,
        "nhead": 8,
        "num_layers": 6,
        "dim_feedforward": 2048,
        "dropout": 0.1,
        "positions": "learned",
        "max_len": 2048,
    },
}


class TransformerClassifier(ConfigMixin, nn.Module):
    """Pre-norm Transformer encoder classifier: ``(N, C_in, L)`` reals or ``(N, L)`` token ids
    -> ``(N, K)`` logits.

    Args:
        num_classes: ``K``.
        in_channels: ``C_in`` of real inputs (linear projection per position); or
        num_tokens: ``V`` of token inputs (embedding). Give exactly one.
        d_model: ``D``, a multiple of ``nhead``.
        nhead: attention heads.
        num_layers: encoder layers.
        dim_feedforward: ``F``; default ``4·D``.
        dropout: dropout of attention weights, residual branches and feed-forward.
        activation: ``"gelu"`` or ``"relu"`` in the feed-forward.
        positions: ``"learned"`` (a ``(max_len, D)`` table, initialised ``N(0, 0.02²)``) or
            ``"sinusoidal"`` (fixed, no parameters).
        max_len: the longest input ``L``.

    ``TransformerClassifier.preset(name, **overrides)`` builds a configuration of
    [`TRANSFORMER_PRESETS`][longrange_models.TRANSFORMER_PRESETS];
    [`for_budget`][longrange_models.TransformerClassifier.for_budget] one of a given size.
    """

    presets: ClassVar[dict[str, dict[str, Any]]] = TRANSFORMER_PRESETS

    def __init__(
        self,
        num_classes: int,
        in_channels: int | None = None,
        num_tokens: int | None = None,
        d_model: int = 128,
        nhead: int = 4,
        num_layers: int = 2,
        dim_feedforward: int | None = None,
        dropout: float = 0.0,
        activation: ActivationKind = "gelu",
        positions: PositionKind = "learned",
        max_len: int = 1024,
    ) -> None:
        super().__init__()
        for name, v in (("num_classes", num_classes), ("d_model", d_model), ("nhead", nhead)):
            positive_int(name, v)
        positive_int("num_layers", num_layers)
        positive_int("max_len", max_len)
        if d_model % nhead:
            raise ValueError(f"d_model should be a multiple of nhead={nhead}, got {d_model}")
        if dim_feedforward is not None:
            positive_int("dim_feedforward", dim_feedforward)
        if isinstance(dropout, bool) or not isinstance(dropout, int | float):
            raise TypeError(f"dropout should be a float, got {type(dropout).__name__}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout should be in [0, 1), got {dropout}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation should be one of {ACTIVATIONS}, got {activation!r}")
        if positions not in POSITIONS:
            raise ValueError(f"positions should be one of {POSITIONS}, got {positions!r}")
        self.encoder = SequenceInput(d_model, in_channels, num_tokens)
        self._store_config(locals())
        self.position_table: nn.Parameter | None = None
        if positions == "learned":
            self.position_table = nn.Parameter(torch.randn(max_len, d_model) * 0.02)
        else:
            self.register_buffer(
                "sinusoids", sinusoidal_positions(max_len, d_model), persistent=False
            )
        layer = nn.TransformerEncoderLayer(
            d_model,
            nhead,
            dim_feedforward or 4 * d_model,
            dropout,
            activation,
            batch_first=True,
            norm_first=True,
        )
        # the last pre-norm layer's output is not normalised, hence the final LayerNorm; nested
        # tensors are off (pre-norm layers cannot use them, and asking warns)
        self.layers = nn.TransformerEncoder(
            layer, num_layers, norm=nn.LayerNorm(d_model), enable_nested_tensor=False
        )
        self.head = nn.Linear(d_model, num_classes)

    def _positions(self, length: int) -> Tensor:
        if self.position_table is not None:
            return self.position_table[:length]
        return self.get_buffer("sinusoids")[:length]

    def features(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        """The final LayerNorm's output ``Tensor[N, D, L]`` (valid positions attend to valid
        positions only when ``lengths`` is given; see
        [`forward`][longrange_models.TransformerClassifier.forward])."""
        h = self.encoder(x).transpose(1, 2)  # (N, L, D)
        n, length = h.shape[0], h.shape[1]
        if length > self.config.max_len:
            raise ValueError(
                f"x should have length L <= max_len={self.config.max_len}, got {length}"
            )
        h = h + self._positions(length).to(h.dtype)
        mask = None
        if lengths is not None:
            mask = padding_mask(check_lengths(lengths, n, length).to(h.device), length)
        return self.layers(h, src_key_padding_mask=mask).transpose(1, 2)

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        """Class logits ``Tensor[N, K]``.

        Args:
            x: ``Tensor[N, C_in, L]`` (real inputs) or ``Tensor[N, L]`` int64 (token ids).
            lengths (Tensor[N], optional): valid positions per sequence (padding after them);
                the padding is masked out of the attention (as keys) and of the mean pooling.
        """
        return self.head(masked_mean(self.features(x, lengths), lengths))

    @classmethod
    def parameter_count(cls, **kwargs: Any) -> int:
        """Trainable parameters of ``cls(**kwargs)``, in closed form (nothing is built).

        Per layer ``4D² + 4D`` (query, key, value and output projections), ``2DF + F + D``
        (feed-forward), ``4D`` (two LayerNorms); plus the embedding ``V·D`` or projection
        ``(C_in + 1)·D``, learned positions ``max_len·D``, the final LayerNorm ``2D`` and the head
        ``(D + 1)·K``."""
        cfg = cls.config_class(**kwargs)
        d, f = cfg.d_model, cfg.dim_feedforward or 4 * cfg.d_model
        source = cfg.num_tokens * d if cfg.num_tokens is not None else (cfg.in_channels + 1) * d
        positions = cfg.max_len * d if cfg.positions == "learned" else 0
        layer = (4 * d * d + 4 * d) + (2 * d * f + f + d) + 4 * d
        return int(source + positions + cfg.num_layers * layer + 2 * d + (d + 1) * cfg.num_classes)

    @classmethod
    def for_budget(cls, budget: int, /, ff_ratio: float = 4.0, **kwargs: Any) -> Self:
        """The model with ``kwargs`` (any constructor arguments but ``d_model`` and
        ``dim_feedforward``) whose parameter count is closest to ``budget``.

        ``d_model`` is the largest multiple of ``nhead`` whose model with
        ``dim_feedforward = round(ff_ratio·d_model)`` has at most ``budget`` parameters; then
        ``dim_feedforward`` is widened to take up the remainder, so the count is within
        ``num_layers·(2·d_model + 1)/2`` of ``budget``. Every parameter counts (embedding or
        projection, learned positions, head; see
        [`parameter_count`][longrange_models.TransformerClassifier.parameter_count]).
        """
        for name in ("d_model", "dim_feedforward"):
            if name in kwargs:
                raise TypeError(f"for_budget chooses {name}; got {name}={kwargs[name]!r}")
        positive_int("budget", budget)
        if isinstance(ff_ratio, bool) or not isinstance(ff_ratio, int | float) or ff_ratio <= 0:
            raise ValueError(f"ff_ratio should be a positive number, got {ff_ratio!r}")
        nhead = kwargs.get("nhead", inspect.signature(cls).parameters["nhead"].default)
        positive_int("nhead", nhead)

        def count(heads: int, ff: int | None = None) -> int:
            d = heads * nhead
            ff = max(1, round(ff_ratio * d)) if ff is None else ff
            return cls.parameter_count(d_model=d, dim_feedforward=ff, **kwargs)

        cls(d_model=nhead, dim_feedforward=1, **kwargs)  # the arguments' checks, on a tiny model
        if count(1) > budget:
            raise ValueError(
                f"budget should be >= {count(1)} (d_model={nhead} with these arguments), "
                f"got {budget}"
            )
        heads = largest_within(count, budget, 1, 1 << 20)
        d, ff0 = heads * nhead, max(1, round(ff_ratio * heads * nhead))
        ff = largest_within(lambda f: count(heads, f), budget, ff0, 1 << 40)
        if count(heads, ff + 1) - budget < budget - count(heads, ff):
            ff += 1
        return cls(d_model=d, dim_feedforward=ff, **kwargs)

    def extra_repr(self) -> str:
        cfg = self.config
        return f"{source_repr(cfg)}, num_classes={cfg.num_classes}, positions={cfg.positions!r}"


#: The config dataclass built from ``TransformerClassifier``'s signature.
TransformerClassifierConfig = TransformerClassifier.config_class
