"""The settings of the analyses, one dataclass per part (the ``--grid.*``, ``--curves.*`` and
``--multires.*`` flags; the defaults are the no-argument run's, ``configs/default.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["CurveSettings", "GridSettings", "MultiresSettings"]


@dataclass
class GridSettings:
    """2D ERF heat maps over depth × AR magnitude (Su, Wang & Huang, ICML draft, Fig. 3).

    Args:
        depths: numbers of layers (the figure's columns).
        magnitudes: AR magnitudes ``a`` in ``[0, 1)`` (its rows).
        size: odd side of the input map.
    """

    depths: list[int] = field(default_factory=lambda: [1, 3, 5, 7, 9])
    magnitudes: list[float] = field(default_factory=lambda: [0.0, 0.6, 0.8])
    size: int = 129


@dataclass
class CurveSettings:
    """Measured ERF radii against Theorem 3 (Su, Wang & Huang, NeurIPS 2020: with dilation).

    Args:
        depths: numbers of layers.
        magnitudes: AR magnitudes ``a`` in ``[0, 1)``.
        dilations: dilations of the moving-average kernel.
        dims: 1 and/or 2 (1D or 2D nets).
    """

    depths: list[int] = field(default_factory=lambda: [1, 2, 3, 5, 7, 9])
    magnitudes: list[float] = field(default_factory=lambda: [0.0, 0.6, 0.8, 0.9])
    dilations: list[int] = field(default_factory=lambda: [1, 2, 3])
    dims: list[int] = field(default_factory=lambda: [1, 2])


@dataclass
class MultiresSettings:
    """Equivalent filters of a MultiresConv tree whose filters are a wavelet's.

    Args:
        wavelet: a PyWavelets name.
        depth: levels of the tree.
    """

    wavelet: str = "db2"
    depth: int = 5
