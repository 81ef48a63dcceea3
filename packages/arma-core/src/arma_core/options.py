"""[`ARMAOptions`][arma_core.ARMAOptions]: the options of an ARMA layer's AR part, as one type.

A model that builds ARMA layers takes these options as ``**arma: Unpack[ARMAOptions]`` and hands
them to the layers, so their names and types are declared here once and their defaults once, in
the layers' signatures ([`ARMA2d`][arma_core.ARMA2d]'s; ``ARMA1d`` and ``ARMA3d`` have the same).
"""

from __future__ import annotations

from typing import TypedDict

from arma_stability import Reparam

from .layers import ARInit, ARMA2d
from .types import Boundary, Method

__all__ = ["ARMAOptions"]


class ARMAOptions(TypedDict, total=False):
    """The keyword-only options of the AR part of [`ARMA1d`][arma_core.ARMA1d],
    [`ARMA2d`][arma_core.ARMA2d] and [`ARMA3d`][arma_core.ARMA3d] that fix a model's
    architecture and training: ``ar_init``, ``boundary``, ``reparam``, ``ar_eps``, ``method``
    (see the layers for each one's meaning). ``ar_order``, which models use themselves, and
    ``validate``, a run-time check switch, are not in the group.

    Every key is optional; a key left out takes the layer's default. A model takes the group as
    ``**arma: Unpack[ARMAOptions]`` (PEP 692), so a type checker checks the names and types at
    its call sites. ``ARMAOptions.__defaults_from__`` is ``ARMA2d``, whose signature holds the
    defaults (``longrange_models.config.option_defaults`` reads them).
    """

    ar_init: ARInit
    boundary: Boundary
    reparam: Reparam
    ar_eps: float
    method: Method


#: The layer whose signature holds the options' defaults (read, not repeated, by the models).
setattr(ARMAOptions, "__defaults_from__", ARMA2d)  # noqa: B010
