"""Stability audit of every AR filter in a model.

Any module exposing ``ar_coefficients() -> Tensor[D, C, Q, 2]`` (one separable factor list per
spatial axis ``D`` and output channel ``C``) is audited; ``arma_core``'s ``ARMA1d``/``ARMA2d``/
``ARMA3d`` do. This package does not import ``arma_core``: the protocol is the contract.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import torch
from torch import Tensor, nn

from .ztransform import STABILITY_TOL, condition_number, stability_margin

__all__ = ["ARFilterModule", "LayerAudit", "UnstableFilterError", "assert_stable", "audit"]


@runtime_checkable
class ARFilterModule(Protocol):
    """A module with a separable AR filter: ``ar_coefficients()`` returns ``Tensor[D, C, Q, 2]``."""

    def ar_coefficients(self) -> Tensor: ...


class UnstableFilterError(ValueError):
    """An AR filter has (numerically) a zero on the unit circle."""


@dataclass(frozen=True)
class LayerAudit:
    """One row of [`audit`][arma_stability.audit.audit]: the worst channel of one ARMA layer."""

    name: str
    margin: float
    condition_number: float
    stable: bool
    worst_channel: int


def audit(model: nn.Module, tol: float = STABILITY_TOL) -> list[LayerAudit]:
    """One row per AR filter module in ``model`` (the model itself included), in module order.

    ``margin`` is ``min |Â|`` over the unit circle of the separable filter (the product of the
    per-axis margins), minimised over channels; ``condition_number`` is ``max|Â| / min|Â|`` of that
    channel; ``stable`` is ``margin > tol``.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model should be an nn.Module, got {type(model).__name__}")
    rows = []
    for name, module in model.named_modules():
        if not isinstance(module, ARFilterModule):
            continue
        with torch.no_grad():
            coeffs = module.ar_coefficients()
        axes = list(coeffs.unbind(0))  # D tensors of (C, Q, 2)
        margins = stability_margin(axes)
        conds = condition_number(axes)
        worst = int(torch.argmin(margins))
        m = float(margins[worst])
        rows.append(
            LayerAudit(
                name=name or type(module).__name__,
                margin=m,
                condition_number=float(conds[worst]),
                stable=m > tol,
                worst_channel=worst,
            )
        )
    return rows


def assert_stable(model: nn.Module, tol: float = STABILITY_TOL) -> list[LayerAudit]:
    """Raise [`UnstableFilterError`][arma_stability.UnstableFilterError] naming the worst layer if
    any AR filter is unstable.

    Returns:
        The audit rows when every layer is stable.
    """
    rows = audit(model, tol)
    bad = [r for r in rows if not r.stable]
    if bad:
        worst = min(bad, key=lambda r: r.margin)
        raise UnstableFilterError(
            f"{len(bad)} AR layer(s) unstable; worst is {worst.name!r} (channel "
            f"{worst.worst_channel}): min |A(e^iw)| = {worst.margin:.3g} <= tol = {tol:g}"
        )
    return rows
