"""MultiresNet (Shi, Wang, Fox, ICML 2023, Sec. 3.3-3.4, App. C): MultiresBlocks + pooled head.

Legend: N batch, C channels, L length, C_in input channels, K filter taps.

A [`MultiresBlock`][longrange_models.MultiresBlock] is the paper's residual block (Fig. 2, right):
``MultiresLayer`` (depthwise MultiresConv, GELU, channel dropout), a 1×1 convolution to ``2C``
channels, GLU, channel dropout (and, for the autoregressive model, one more 1×1 convolution
``C -> C``), the identity skip, and a LayerNorm (over channels, per position) or BatchNorm after it
(post-norm, the authors' code) or before the branch (pre-norm).
[`MultiresNet`][longrange_models.MultiresNet] encodes real inputs with a 1×1 convolution or tokens
with an embedding, stacks the blocks, mean-pools over time (over the first ``lengths[n]`` positions
only, for padded batches) and maps to class logits.

Every block is causal, so padding *after* a sequence's valid positions changes nothing at them.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Unpack, get_args

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from multires_core import MultiresConvOptions, MultiresLayer, StreamState

from ._sequence_input import check_one_source, check_sequence_input, source_repr
from .config import ConfigMixin, expanded_parameters

__all__ = [
    "NORMS",
    "PAPER_PARAMETERS",
    "PRESETS",
    "MultiresBlock",
    "MultiresBlockOptions",
    "MultiresNet",
    "MultiresNetConfig",
    "NormKind",
    "block_stack",
    "masked_mean",
]

#: The norm of a MultiresBlock: LayerNorm over channels, BatchNorm1d, or none.
NormKind = Literal["layer", "batch", "none"]
NORMS: tuple[NormKind, ...] = get_args(NormKind)


def _positive_int(name: str, value: Any) -> int:
    """Return ``value`` if it is an int >= 1, else a ``ValueError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} should be a positive int, got {value!r}")
    return value


def make_norm(kind: NormKind, channels: int) -> nn.Module:
    """``nn.LayerNorm(C)`` (``"layer"``), ``nn.BatchNorm1d(C)`` (``"batch"``) or the identity."""
    if kind == "layer":
        return nn.LayerNorm(channels)
    if kind == "batch":
        return nn.BatchNorm1d(channels)
    return nn.Identity()


def apply_norm(norm: nn.Module, x: Tensor, kind: str) -> Tensor:
    """``norm`` on ``x (N, C, L)``; a LayerNorm normalises over channels at each position."""
    if kind == "layer":
        return norm(x.transpose(1, 2)).transpose(1, 2)
    return norm(x)


class MultiresBlock(nn.Module):
    """Residual MultiresBlock: ``(N, C, L) -> (N, C, L)``, causal.

    Branch ``f(x) = [conv1x1_C→C] ∘ dropout ∘ GLU ∘ conv1x1_C→2C ∘ MultiresLayer(x)``; post-norm
    ``y = norm(x + f(x))``, pre-norm ``y = x + f(norm(x))``.

    Args:
        channels: ``C``.
        kernel_size: ``K`` of the MultiresConv
            ([`multires_core.MultiresConv1d`][multires_core.MultiresConv1d]).
        seq_len: the length the default tree depth ``ceil(log2((L − 1)/(K − 1) + 1))`` is for
            (give it or the option ``depth``).
        dropout: channel dropout after GELU and after GLU (Sec. 3.5).
        norm: ``"layer"`` (LayerNorm over channels at each position), ``"batch"``
            (BatchNorm1d) or ``"none"``.
        prenorm: normalise the branch input instead of the block output.
        extra_conv: the extra 1×1 convolution after GLU of the autoregressive model (Sec. 5.4).
        **conv: the MultiresConv's tree options
            ([`multires_core.MultiresConvOptions`][multires_core.MultiresConvOptions]:
            ``depth``, ``tree_select``, ``memory_size``, ``init``, ``method``; defaults
            ``MultiresConv1d``'s).
    """

    def __init__(
        self,
        channels: int,
        kernel_size: int = 2,
        seq_len: int | None = None,
        dropout: float = 0.0,
        norm: NormKind = "layer",
        prenorm: bool = False,
        extra_conv: bool = False,
        **conv: Unpack[MultiresConvOptions],
    ) -> None:
        super().__init__()
        _positive_int("channels", channels)
        if norm not in NORMS:
            raise ValueError(f"norm should be one of {NORMS}, got {norm!r}")
        if isinstance(dropout, bool) or not isinstance(dropout, int | float):
            raise TypeError(f"dropout should be a float, got {type(dropout).__name__}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout should be in [0, 1), got {dropout}")
        self.channels, self.dropout_p, self.norm_kind = channels, float(dropout), norm
        self.prenorm, self.extra_conv = bool(prenorm), bool(extra_conv)
        self.layer = MultiresLayer(channels, kernel_size, seq_len=seq_len, dropout=dropout, **conv)
        self.mix = nn.Conv1d(channels, 2 * channels, 1)
        self.dropout = nn.Dropout1d(dropout) if dropout > 0 else nn.Identity()
        self.out = nn.Conv1d(channels, channels, 1) if extra_conv else None
        self.norm = make_norm(norm, channels)

    def _norm(self, x: Tensor) -> Tensor:
        return apply_norm(self.norm, x, self.norm_kind)

    def _branch(self, x: Tensor) -> Tensor:
        z = self.dropout(F.glu(self.mix(self.layer(x)), dim=1))
        return z if self.out is None else self.out(z)

    def forward(self, x: Tensor) -> Tensor:
        """``x (Tensor[N, C, L]) -> Tensor[N, C, L]``."""
        if self.prenorm:
            return x + self._branch(self._norm(x))
        return self._norm(x + self._branch(x))

    # -- streaming ---------------------------------------------------------------------------

    def check_streamable(self) -> None:
        """Raise unless [`step`][longrange_models.MultiresBlock.step] equals
        [`forward`][longrange_models.MultiresBlock.forward] position by position.

        The MultiresLayer streams exactly; a LayerNorm over channels acts on one position at a
        time, and a BatchNorm in eval mode is a fixed per-channel affine map, so both stream
        exactly. Dropout (training mode) and a BatchNorm in training mode (statistics over the
        whole batch and sequence) do not."""
        if self.training and self.dropout_p > 0:
            raise RuntimeError(
                f"cannot stream in training mode with dropout={self.dropout_p}: call .eval()"
            )
        if self.training and self.norm_kind == "batch":
            raise RuntimeError(
                "cannot stream a BatchNorm in training mode (it normalises with statistics of "
                "the whole batch and sequence): call .eval()"
            )

    def init_state(self, batch: int) -> StreamState:
        """Empty streaming state for ``batch`` sequences (see
        [`step`][longrange_models.MultiresBlock.step])."""
        self.check_streamable()
        return self.layer.init_state(batch)

    def _norm_step(self, x: Tensor) -> Tensor:
        """The norm of one position ``x (N, C)``, the same map ``_norm`` applies there."""
        n = self.norm  # make_norm's module of norm_kind
        if isinstance(n, nn.LayerNorm):
            return F.layer_norm(x, (self.channels,), n.weight, n.bias, n.eps)
        if isinstance(n, nn.BatchNorm1d):
            return F.batch_norm(
                x, n.running_mean, n.running_var, n.weight, n.bias, False, 0.0, n.eps
            )
        return x

    def step(self, x_t: Tensor, state: StreamState, path: str = "auto") -> Tensor:
        """One position: ``x_t (Tensor[N, C]) -> Tensor[N, C]``, equal to
        [`forward`][longrange_models.MultiresBlock.forward] there.

        ``path``: the MultiresConv step ([`multires_core.stream_step`][multires_core.stream_step]);
        ``state`` is updated in place."""
        self.check_streamable()
        h = self._norm_step(x_t) if self.prenorm else x_t
        z, _ = self.layer.step(h, state, path)
        return self._after_layer_step(x_t, z)

    def step_at(self, x_t: Tensor, state: StreamState, t: Tensor, path: str = "auto") -> Tensor:
        """[`step`][longrange_models.MultiresBlock.step] at the position held in ``t``
        (``Tensor[1]`` int64 on the state's device) without host synchronisation:
        ``x_t (Tensor[N, C]) -> Tensor[N, C]``; see
        [`multires_core.stream_step_at`][multires_core.stream_step_at] (``path``: ``"auto"``,
        ``"map"`` or ``"recursion"``; ``state.t`` is not advanced)."""
        self.check_streamable()
        h = self._norm_step(x_t) if self.prenorm else x_t
        return self._after_layer_step(x_t, self.layer.step_at(h, state, t, path))

    def _after_layer_step(self, x_t: Tensor, z: Tensor) -> Tensor:
        """The rest of the block at one position, from the MultiresLayer's output ``z (N, C)``."""
        z = F.glu(F.linear(z, self.mix.weight[:, :, 0], self.mix.bias), dim=-1)
        if self.out is not None:
            z = F.linear(z, self.out.weight[:, :, 0], self.out.bias)
        return x_t + z if self.prenorm else self._norm_step(x_t + z)

    def extra_repr(self) -> str:
        s = f"{self.channels}, norm={self.norm_kind!r}, prenorm={self.prenorm}"
        if self.dropout_p:
            s += f", dropout={self.dropout_p}"
        if self.extra_conv:
            s += ", extra_conv=True"
        return s


class MultiresBlockOptions(MultiresConvOptions, total=False):
    """The options of every [`MultiresBlock`][longrange_models.MultiresBlock] of a model that the
    model passes through unchanged: the MultiresConv's tree options
    ([`multires_core.MultiresConvOptions`][multires_core.MultiresConvOptions]: ``depth``,
    ``tree_select``, ``memory_size``, ``init``, ``method``) and the block's ``norm`` and
    ``prenorm``.

    Every key is optional; a key left out takes its default where it is used
    (``MultiresBlock``'s signature, ``MultiresConv1d``'s for the tree options), named by
    ``MultiresBlockOptions.__defaults_from__``. Models take the group as
    ``**block: Unpack[MultiresBlockOptions]``.
    """

    norm: NormKind
    prenorm: bool


#: The block whose signature holds the options' defaults (read, not repeated, by the models).
setattr(MultiresBlockOptions, "__defaults_from__", MultiresBlock)  # noqa: B010


def block_stack(config: Any, **extra: Any) -> nn.ModuleList:
    """``config.num_blocks`` [`MultiresBlock`][longrange_models.MultiresBlock]s, each built from
    the fields of a model's ``config`` that are MultiresBlock arguments (same names; its option
    group's keys included), and ``extra`` (e.g. ``extra_conv=True``)."""
    names = [p.name for p in expanded_parameters(MultiresBlock) if hasattr(config, p.name)]
    args = {n: getattr(config, n) for n in names} | extra
    return nn.ModuleList(MultiresBlock(**args) for _ in range(config.num_blocks))


def masked_mean(x: Tensor, lengths: Tensor | None = None) -> Tensor:
    """Mean over time of ``x (Tensor[N, C, L])``, over the first ``lengths[n]`` positions of
    sequence ``n`` if ``lengths (Tensor[N], ints in 1..L)`` is given: ``Tensor[N, C]``."""
    if lengths is None:
        return x.mean(-1)
    n, _, length = x.shape
    if not isinstance(lengths, Tensor) or lengths.shape != (n,):
        shape = tuple(lengths.shape) if isinstance(lengths, Tensor) else type(lengths).__name__
        raise ValueError(f"lengths should be a Tensor[N={n}], got {shape}")
    if lengths.is_floating_point() or lengths.is_complex() or lengths.dtype == torch.bool:
        raise TypeError(f"lengths should be an integer tensor, got {lengths.dtype}")
    if bool((lengths < 1).any()) or bool((lengths > length).any()):
        raise ValueError(f"lengths should be in [1, L={length}], got {lengths.tolist()}")
    lengths = lengths.to(x.device)
    mask = torch.arange(length, device=x.device) < lengths[:, None]  # (N, L)
    return (x * mask[:, None, :].to(x.dtype)).sum(-1) / lengths[:, None].to(x.dtype)


#: The paper's classification models (App. C). ``listops``: the authors' vocabulary (``<pad>``,
#: ``<unk>``, ``<eos>`` and 15 symbols); 10 blocks as App. C.2 and the authors' script (Sec. 5.2
#: says 12). ``ptbxl``: App. C.3's "architecture of the sCIFAR experiments" (the authors' script
#: uses ``channels=128, num_blocks=6``), 71 labels of the "all" task.
PRESETS: dict[str, dict[str, Any]] = {
    "scifar": {
        "in_channels": 3,
        "num_classes": 10,
        "channels": 256,
        "num_blocks": 10,
        "kernel_size": 2,
        "seq_len": 1024,
        "dropout": 0.25,
        "norm": "layer",
    },
    "listops": {
        "num_tokens": 18,
        "num_classes": 10,
        "channels": 128,
        "num_blocks": 10,
        "kernel_size": 4,
        "seq_len": 2048,
        "dropout": 0.1,
        "norm": "batch",
    },
    "ptbxl": {
        "in_channels": 12,
        "num_classes": 71,
        "channels": 256,
        "num_blocks": 10,
        "kernel_size": 2,
        "seq_len": 1000,
        "dropout": 0.2,
        "norm": "layer",
    },
}

#: Parameter counts the paper prints (Sec. 5.1); the others are not printed.
PAPER_PARAMETERS: dict[str, str] = {"scifar": "1.4M"}


class MultiresNet(ConfigMixin, nn.Module):
    """MultiresNet classifier: ``(N, C_in, L)`` reals or ``(N, L)`` token ids -> ``(N, classes)``.

    Args:
        num_classes: logits per sequence.
        in_channels: ``C_in`` of real inputs (1×1 convolution encoder); or
        num_tokens: vocabulary size of token inputs (embedding encoder). Give exactly one.
        channels: width ``C``.
        num_blocks: number of [`MultiresBlock`][longrange_models.MultiresBlock].
        kernel_size: ``K`` of every MultiresConv.
        seq_len: the length the default tree depth
            ``ceil(log2((seq_len − 1)/(K − 1) + 1))`` is for (give it or the option ``depth``).
        dropout: channel dropout in every block (see
            [`MultiresBlock`][longrange_models.MultiresBlock]).
        **block: the blocks' options
            ([`MultiresBlockOptions`][longrange_models.MultiresBlockOptions]: the tree's
            ``depth``, ``tree_select``, ``memory_size``, ``init``, ``method`` and the blocks'
            ``norm``, ``"layer"``, ``"batch"`` or ``"none"``, and ``prenorm``, pre-norm blocks,
            then one more norm before the pooling; defaults those of the layers).

    ``MultiresNet.preset(name, **overrides)`` builds the paper's configuration ``name`` (a key of
    [`PRESETS`][longrange_models.MULTIRESNET_PRESETS]); the config dataclass is
    ``MultiresNetConfig``.
    """

    presets: ClassVar[dict[str, dict[str, Any]]] = PRESETS

    def __init__(
        self,
        num_classes: int,
        in_channels: int | None = None,
        num_tokens: int | None = None,
        channels: int = 256,
        num_blocks: int = 10,
        kernel_size: int = 2,
        seq_len: int | None = None,
        dropout: float = 0.0,
        **block: Unpack[MultiresBlockOptions],
    ) -> None:
        super().__init__()
        _positive_int("num_classes", num_classes)
        _positive_int("channels", channels)
        _positive_int("num_blocks", num_blocks)
        check_one_source(in_channels, num_tokens)
        if in_channels is not None:
            _positive_int("in_channels", in_channels)
            self.encoder: nn.Module = nn.Conv1d(in_channels, channels, 1)
        else:
            self.encoder = nn.Embedding(_positive_int("num_tokens", num_tokens), channels)
        self._store_config(locals())
        cfg = self.config
        self.blocks = block_stack(cfg)
        self.final_norm = make_norm(cfg.norm, channels) if cfg.prenorm else None
        self.head = nn.Linear(channels, num_classes)

    def encode(self, x: Tensor) -> Tensor:
        """Inputs to ``(N, C, L)`` features."""
        cfg = self.config
        check_sequence_input(x, cfg.in_channels, cfg.num_tokens)
        if cfg.num_tokens is not None:
            return self.encoder(x).transpose(1, 2)
        return self.encoder(x)

    def features(self, x: Tensor) -> Tensor:
        """The last block's output (after the final norm for pre-norm): ``Tensor[N, C, L]``."""
        h = self.encode(x)
        for block in self.blocks:
            h = block(h)
        if self.final_norm is not None:
            h = apply_norm(self.final_norm, h, self.config.norm)
        return h

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        """Class logits ``Tensor[N, num_classes]``.

        Args:
            x: ``Tensor[N, C_in, L]`` (real inputs) or ``Tensor[N, L]`` int64 (token ids).
            lengths (Tensor[N], optional): valid positions per sequence (the rest is padding,
                after them); the pooling averages over ``x[n, :, :lengths[n]]`` only.
        """
        return self.head(masked_mean(self.features(x), lengths))

    def extra_repr(self) -> str:
        cfg = self.config
        return f"{source_repr(cfg)}, num_classes={cfg.num_classes}, kernel_size={cfg.kernel_size}"


#: The config dataclass built from ``MultiresNet``'s signature.
MultiresNetConfig = MultiresNet.config_class
