"""The generation app's networks: MultiresAR or the WaveNet-style WaveNetAR, optionally sized to a
parameter budget.

Both take ``(N, C, L)`` int64 8-bit raster sequences, return mixture parameters ``(N, P, L)`` and
share the app's whole interface (``loss``, ``sample``, ``sample_by_recompute``, ``encoder``,
``to_config``), so the module, sampling and figures use either without branching; the one
difference is here, in how a network is built.

Sizing (``param_budget``): MultiresAR gets the largest width ``channels`` whose trainable
parameter count is at most the budget (built and counted, see
[`widest_model`][longrange_models.widest_model]); WaveNetAR gets its residual and skip widths from
:meth:`longrange_models.WaveNetAR.for_budget` (the closest count). Either way the built net must
be within :data:`BUDGET_TOLERANCE` of the budget, else a ``ValueError`` names the budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from longrange_models import MultiresAR, NormKind, WaveNetAR, count_parameters, widest_model

__all__ = [
    "BUDGET_TOLERANCE",
    "MODELS",
    "SAMPLERS",
    "ARModel",
    "BuiltNetwork",
    "build_network",
    "multires_ar_for_budget",
]

#: The networks ``--model.model`` names, the default first.
MODELS: tuple[str, ...] = ("multiresar", "wavenet")
#: How each network's ``sample`` draws a pixel (the sample figure's title).
SAMPLERS: dict[str, str] = {"multiresar": "streaming", "wavenet": "receptive-field window"}
#: Largest relative distance ``|count − budget| / budget`` accepted with ``param_budget``.
BUDGET_TOLERANCE = 0.02

#: Either network: both provide everything the app calls.
ARModel = MultiresAR | WaveNetAR


@dataclass(frozen=True)
class BuiltNetwork:
    """A built network and what its sizing chose (``summary.json``'s entries)."""

    net: ARModel
    #: The widths used: ``{"channels": D}`` (MultiresAR) or ``{"channels": D, "skip_channels": S}``.
    widths: dict[str, int]

    def summary(self, budget: int | None) -> dict[str, Any]:
        """``param_count`` (trainable), ``widths`` and, with a budget, the budget and the
        relative distance ``(count − budget) / budget``."""
        count = count_parameters(self.net)
        out: dict[str, Any] = {"param_count": count, "widths": dict(self.widths)}
        if budget is not None:
            out["param_budget"] = budget
            out["param_budget_rel_error"] = round((count - budget) / budget, 6)
        return out


def multires_ar_for_budget(budget: int, /, **kwargs: Any) -> MultiresAR:
    """The widest ``MultiresAR(channels=D, **kwargs)`` with at most ``budget`` trainable
    parameters ([`widest_model`][longrange_models.widest_model]: the probes are built under a
    forked RNG, so the returned net's initialisation is that of ``MultiresAR(channels=D,
    **kwargs)`` built alone).

    Raises:
        ValueError: ``budget`` is below the count of ``channels=1``.
        TypeError: ``kwargs`` names ``channels``.
    """
    if "channels" in kwargs:
        raise TypeError(f"multires_ar_for_budget chooses channels; got {kwargs['channels']!r}")
    with torch.random.fork_rng(devices=[]):
        narrowest = count_parameters(MultiresAR(channels=1, **kwargs))
    if narrowest > budget:
        raise ValueError(
            f"param_budget={budget} is below the narrowest MultiresAR's {narrowest} parameters "
            "(channels=1) with these arguments"
        )
    return widest_model(lambda d: MultiresAR(channels=d, **kwargs), budget)


def _check_budget(name: str, built: BuiltNetwork, budget: int) -> None:
    count = count_parameters(built.net)
    if abs(count - budget) > BUDGET_TOLERANCE * budget:
        raise ValueError(
            f"param_budget={budget}: the {name} sized to it has {count} parameters "
            f"({built.widths}), {100 * (count - budget) / budget:+.1f}% off, beyond "
            f"{100 * BUDGET_TOLERANCE:g}%; choose a budget near {count} or a larger one"
        )


def build_network(
    model: str,
    *,
    in_channels: int,
    seq_len: int,
    channels: int,
    num_blocks: int,
    kernel_size: int,
    num_mixtures: int,
    dropout: float,
    norm: NormKind,
    wavenet_cycles: int = 1,
    param_budget: int | None = None,
) -> BuiltNetwork:
    """Build ``model`` (a name in :data:`MODELS`) for ``(N, in_channels, seq_len)`` sequences.

    Args:
        model: ``"multiresar"`` or ``"wavenet"``.
        in_channels, seq_len: ``C`` and ``L = H·W`` of the images.
        channels: width ``D`` (MultiresAR's, WaveNetAR's residual and skip width); unused with
            ``param_budget``.
        num_blocks, kernel_size, norm: MultiresAR only (WaveNetAR: filter size 2, no norm).
        num_mixtures, dropout: both.
        wavenet_cycles: WaveNetAR only: repetitions of the dilation cycle ``1, 2, 4, …`` that
            covers ``seq_len``.
        param_budget: trainable parameters to size the net to (see the module docstring).

    Raises:
        ValueError: an unknown ``model``, or a budget the net cannot meet within 2%.
    """
    common: dict[str, Any] = {
        "in_channels": in_channels,
        "seq_len": seq_len,
        "num_mixtures": num_mixtures,
        "dropout": dropout,
    }
    if model == "multiresar":
        kw: dict[str, Any] = {
            **common,
            "num_blocks": num_blocks,
            "kernel_size": kernel_size,
            "norm": norm,
        }
        if param_budget is None:
            mr = MultiresAR(channels=channels, **kw)
        else:
            mr = multires_ar_for_budget(param_budget, **kw)
        built = BuiltNetwork(mr, {"channels": mr.config.channels})
    elif model == "wavenet":
        kw = {**common, "kernel_size": 2, "cycles": wavenet_cycles}
        if param_budget is None:
            wn = WaveNetAR(channels=channels, **kw)
        else:
            wn = WaveNetAR.for_budget(param_budget, **kw)
        skip = wn.config.skip_channels or wn.config.channels
        built = BuiltNetwork(wn, {"channels": wn.config.channels, "skip_channels": skip})
    else:
        raise ValueError(f"model should be one of {MODELS}, got {model!r}")
    if param_budget is not None:
        _check_budget(model, built, param_budget)
    return built
