"""The networks of the sequence app: MultiresNet, an ARMA1d conv net, an LSTM classifier, the
transformer and WaveNet baselines, and the recurrent cells of the memory tasks; every one of them
can be sized to a parameter budget.

Legend: N batch, C_in input channels, L length, C width, K classes, H hidden units.

Every classifier maps ``(x, lengths)`` to logits ``(N, K)``, where ``x`` is ``(N, C_in, L)`` reals
or ``(N, L)`` int64 token ids and ``lengths (N,)`` the real lengths (padding after them); the
pooling averages over the first ``lengths[n]`` positions only
([`masked_mean`][longrange_models.masked_mean]).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from arma_core import ARMA1d
from longrange_models import (
    MultiresNet,
    SequenceInput,
    TransformerClassifier,
    WaveNet,
    count_parameters,
    masked_mean,
    widest,
    widest_model,
)
from longrange_models.sequence import (
    SEQUENCE_CELLS,
    RecurrentSequenceModel,
    hidden_size_for_budget,
)

__all__ = [
    "CLASSIFIERS",
    "MEMORY_CELLS",
    "ARMABlocks",
    "LSTMBody",
    "MemoryModel",
    "PooledClassifier",
    "arma_classifier",
    "build_network",
    "lstm_classifier",
]

_M = TypeVar("_M", bound=nn.Module)

#: Models of the classification tasks.
CLASSIFIERS: tuple[str, ...] = ("multiresnet", "arma", "lstm", "transformer", "wavenet")
#: Attention heads of the transformer baseline (its width is a multiple of it).
TRANSFORMER_HEADS = 4
#: Models of the memory tasks (``longrange_models.sequence.SEQUENCE_CELLS``).
MEMORY_CELLS: tuple[str, ...] = tuple(SEQUENCE_CELLS)


def _length_mask(x: Tensor, lengths: Tensor) -> Tensor:
    """``(N, 1, L)`` float mask of the valid positions of ``x (N, C, L)``."""
    pos = torch.arange(x.shape[-1], device=x.device)
    return (pos < lengths.to(x.device)[:, None]).to(x.dtype)[:, None, :]


class PooledClassifier(nn.Module):
    """The app's own classifiers: input encoder, a body, masked mean over time, linear head.
    ``(x, lengths) -> (N, K)``.

    Args:
        body: ``C -> (module, H)``: the body for ``C`` encoder channels and its output width;
            the module maps ``(h (N, C, L), lengths (N,)) -> (N, H, L)``. It is built after the
            encoder and before the head (the parameters' draw order).
        num_classes, in_channels, num_tokens: as [`SequenceInput`][longrange_models.SequenceInput]
            and the ``K`` classes.
        channels: ``C``, the encoder's output width.
    """

    def __init__(
        self,
        body: Callable[[int], tuple[nn.Module, int]],
        num_classes: int,
        in_channels: int | None,
        num_tokens: int | None,
        channels: int,
    ) -> None:
        super().__init__()
        self.channels = channels
        self.encoder = SequenceInput(channels, in_channels, num_tokens)
        self.body, width = body(channels)
        self.head = nn.Linear(width, num_classes)

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        return self.head(masked_mean(self.body(self.encoder(x), lengths), lengths))


class ARMABlocks(nn.Module):
    """``num_blocks`` x [ARMA1d 3-tap, BatchNorm, GELU] with skips: ``(N, C, L) -> (N, C, L)``.

    The AR filter is not causal: padded positions are zeroed before every block, and the AR
    solve uses a zero boundary, but a padded batch still differs from the unpadded one (the AR
    response of a valid position reaches past the real end); use MultiresNet where this matters.
    """

    def __init__(self, channels: int, num_blocks: int, ar_order: int = 1) -> None:
        super().__init__()
        self.convs = nn.ModuleList(
            ARMA1d(channels, channels, 3, padding=1, ar_order=ar_order, boundary="zero")
            for _ in range(num_blocks)
        )
        self.norms = nn.ModuleList(nn.BatchNorm1d(channels) for _ in range(num_blocks))

    def forward(self, h: Tensor, lengths: Tensor) -> Tensor:
        mask = _length_mask(h, lengths)
        for conv, norm in zip(self.convs, self.norms, strict=True):
            h = h + F.gelu(norm(conv(h * mask)))
        return h


class LSTMBody(nn.Module):
    """``num_layers`` LSTM layers of ``hidden`` units over time: ``(N, C, L) -> (N, hidden, L)``.
    Causal, so padding after the real length changes nothing."""

    def __init__(self, channels: int, hidden: int, num_layers: int = 1) -> None:
        super().__init__()
        self.lstm = nn.LSTM(channels, hidden, num_layers, batch_first=True)

    def forward(self, h: Tensor, lengths: Tensor) -> Tensor:
        out, _ = self.lstm(h.transpose(1, 2))  # (N, L, H)
        return out.transpose(1, 2)


def arma_classifier(channels: int, num_blocks: int, **io: Any) -> PooledClassifier:
    """The residual ARMA1d conv net: [`ARMABlocks`][apps.sequence_classification.models.ARMABlocks]
    in a [`PooledClassifier`][apps.sequence_classification.models.PooledClassifier]."""
    return PooledClassifier(lambda c: (ARMABlocks(c, num_blocks), c), channels=channels, **io)


def lstm_classifier(channels: int, hidden: int, **io: Any) -> PooledClassifier:
    """The LSTM baseline: [`LSTMBody`][apps.sequence_classification.models.LSTMBody] in a
    [`PooledClassifier`][apps.sequence_classification.models.PooledClassifier]."""
    return PooledClassifier(lambda c: (LSTMBody(c, hidden), hidden), channels=channels, **io)


class MultiresClassifier(nn.Module):
    """[`MultiresNet`][longrange_models.MultiresNet] with the app's ``(x, lengths)`` call."""

    def __init__(self, net: MultiresNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        return self.net(x, lengths)


class MemoryModel(nn.Module):
    """A recurrent cell for the memory tasks: copy ``(N, T) tokens -> (N, T, 9)`` logits per step;
    adding ``(N, T, 2) -> (N,)`` (the read-out at the last step)."""

    def __init__(self, cell: str, task: str, hidden_size: int) -> None:
        super().__init__()
        self.task = task
        if task == "copy":
            self.rnn = RecurrentSequenceModel(cell, 10, 9, hidden_size, num_tokens=10)
        else:
            self.rnn = RecurrentSequenceModel(cell, 2, 1, hidden_size)

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        out = self.rnn(x)
        return out if self.task == "copy" else out[:, -1, 0]


def _lstm_count(make: Callable[[int, int], nn.Module], hidden: int, channels: int) -> int:
    return count_parameters(make(hidden, channels))


def _sized(make: Callable[[int], _M], budget: int | None, width: int) -> _M:
    """``make(width)``, or with ``budget`` the widest ``make(w)`` of at most ``budget``
    trainable parameters (the probes draw from the global generator, as in the recorded runs)."""
    if budget is None:
        return make(width)
    return widest_model(make, budget, fork_rng=False)


def build_network(spec: dict[str, Any], model: str, **kw: Any) -> tuple[nn.Module, dict]:
    """The network of ``model`` for the data ``spec`` (a data module's ``spec``).

    Keyword arguments (unused ones are ignored): ``preset`` (a MultiresNet preset name or
    ``None``), ``channels``, ``num_blocks``, ``kernel_size``, ``dropout``, ``norm``,
    ``tree_select``, ``init``, ``depth``, ``memory_size`` (MultiresNet), ``hidden`` (LSTM),
    ``param_budget``.

    With ``param_budget`` (an int), the network's width is chosen for that many trainable
    parameters (``None``: the sizes above): the memory cells' hidden size (default budget 4,000),
    MultiresNet's and the ARMA net's ``channels`` and the LSTM's ``hidden`` (the widest that
    fits; the LSTM's ``hidden`` and input encoding ``channels`` as the pair, ``hidden`` within 8
    of its widest, that comes closest), the
    transformer's ``d_model`` and feed-forward width
    ([`TransformerClassifier.for_budget`][longrange_models.TransformerClassifier.for_budget])
    and WaveNet's residual and skip channels
    ([`WaveNet.for_budget`][longrange_models.WaveNet.for_budget]).
    The transformer has ``num_blocks`` layers of ``TRANSFORMER_HEADS`` heads and sinusoidal
    positions (no parameters spent on a position table); WaveNet one cycle of dilations
    ``1, 2, 4, ...`` covering the sequence, filter size 2.

    Returns:
        ``(network, info)``; ``info`` holds JSON-safe facts: ``parameters`` (trainable) and the
        chosen sizes.
    """
    kind = spec["kind"]
    budget = kw.get("param_budget")
    if kind in ("copy", "adding"):
        if model not in MEMORY_CELLS:
            raise ValueError(f"model should be one of {MEMORY_CELLS} for {kind}, got {model!r}")
        inputs, outputs = (10, 9) if kind == "copy" else (2, 1)
        hidden = hidden_size_for_budget(model, inputs, outputs, int(budget or 4000))
        net: nn.Module = MemoryModel(model, kind, hidden)
        return net, {
            "hidden_size": hidden,
            "parameters": count_parameters(net, complex_as_two=True),
        }
    if model not in CLASSIFIERS:
        raise ValueError(f"model should be one of {CLASSIFIERS} for {spec['task']}, got {model!r}")
    io = {
        "num_classes": spec["num_classes"],
        "in_channels": spec["in_channels"],
        "num_tokens": spec["num_tokens"],
    }
    info: dict[str, Any] = {}
    if model == "multiresnet":
        preset = kw.get("preset")
        if preset is not None:
            if preset not in MultiresNet.presets:
                names = sorted(MultiresNet.presets)
                raise ValueError(f"preset should be one of {names}, got {preset!r}")
            cfg = {**MultiresNet.presets[preset], **io, "seq_len": spec["seq_len"]}
            net = MultiresClassifier(MultiresNet(**cfg))
        else:
            cfg = {
                **io,
                "num_blocks": kw["num_blocks"],
                "kernel_size": kw["kernel_size"],
                "seq_len": spec["seq_len"],
                "dropout": kw["dropout"],
                "norm": kw["norm"],
                "tree_select": kw.get("tree_select", "fading"),
                "init": kw.get("init", "xavier"),
                "depth": kw.get("depth"),
                "memory_size": kw.get("memory_size"),
            }
            multires = _sized(
                lambda c: MultiresClassifier(MultiresNet(channels=c, **cfg)),
                budget,
                kw["channels"],
            )
            cfg["channels"] = multires.net.config.channels
            net = multires
        info["multiresnet"] = cfg
    elif model == "arma":
        net = _sized(
            lambda c: arma_classifier(c, kw["num_blocks"], **io),
            budget,
            kw["channels"],
        )
        info["channels"] = net.channels
    elif model == "lstm":

        def lstm(h: int, c: int) -> PooledClassifier:
            return lstm_classifier(c, h, **io)

        rnn = _sized(lambda h: lstm(h, kw["channels"]), budget, kw["hidden"])
        if budget is not None:  # fill the rest: the best (hidden, input encoding) pair near it
            top = rnn.head.in_features
            pairs = []
            for h in range(top, max(0, top - 8), -1):
                c = widest(functools.partial(_lstm_count, lstm, h), budget)
                pairs.append((count_parameters(lstm(h, c)), h, c))
            _, h, c = max(p for p in pairs if p[0] <= budget)
            rnn = lstm(h, c)
        info["hidden"] = rnn.head.in_features
        info["channels"] = rnn.channels
        net = rnn
    elif model == "transformer":
        t_kw = {
            **io,
            "nhead": TRANSFORMER_HEADS,
            "num_layers": kw["num_blocks"],
            "dropout": kw["dropout"],
            "positions": "sinusoidal",
            "max_len": spec["seq_len"],
        }
        if budget is None:
            net = TransformerClassifier(d_model=kw["channels"], **t_kw)
        else:
            net = TransformerClassifier.for_budget(budget, **t_kw)
        info["transformer"] = net.to_config()
    else:
        w_kw = {**io, "kernel_size": 2, "seq_len": spec["seq_len"], "dropout": kw["dropout"]}
        if budget is None:
            net = WaveNet(channels=kw["channels"], **w_kw)
        else:
            net = WaveNet.for_budget(budget, **w_kw)
        info["wavenet"] = net.to_config()
    info["parameters"] = count_parameters(net)
    return net, info
