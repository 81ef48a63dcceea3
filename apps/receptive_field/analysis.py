"""The analyses of the receptive-field app: ERF grid, radius curves, multires equivalent filters.

Each returns plain JSON-safe numbers (for ``summary.json``) and the arrays its figure needs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from arma_core import effective_receptive_field, erf_radius
from multires_core import equivalent_filters, tree_outputs, wavelet_filters

from .linear_nets import covariance_radius, linear_arma_net, measure_radius

__all__ = ["erf_grid", "multires_filters", "radius_curves"]


def erf_grid(
    depths: Sequence[int], magnitudes: Sequence[float], size: int = 129, kernel_size: int = 3
) -> dict[str, Any]:
    """2D ERFs of centred linear ARMA nets over depth × AR magnitude (Su, Wang & Huang,
    ICML draft, Fig. 3).

    Args:
        depths: numbers of layers (the figure's columns).
        magnitudes: AR magnitudes ``a`` in ``[0, 1)`` (its rows).
        size: odd side of the input map; the output's centre pixel is measured.
        kernel_size: of the MA box.

    Returns:
        ``maps`` (list of rows of Tensor[size, size]), ``radius_eq4`` and ``radius_cov`` (rows
        of floats: :func:`arma_core.erf_radius` and
        [`covariance_radius`][apps.receptive_field.linear_nets.covariance_radius]).
    """
    if size < 3 or size % 2 == 0:
        raise ValueError(f"size should be an odd int >= 3, got {size}")
    maps, eq4, cov = [], [], []
    for a in magnitudes:
        row_maps, row_eq4, row_cov = [], [], []
        for depth in depths:
            net = linear_arma_net(depth, a, kernel_size, dims=2, centred=True)
            erf = effective_receptive_field(net, (1, size, size), dtype=torch.float64)
            row_maps.append(erf)
            row_eq4.append(erf_radius(erf))
            row_cov.append(covariance_radius(erf))
        maps.append(row_maps)
        eq4.append(row_eq4)
        cov.append(row_cov)
    return {"maps": maps, "radius_eq4": eq4, "radius_cov": cov}


def radius_curves(
    depths: Sequence[int],
    magnitudes: Sequence[float],
    dilations: Sequence[int] = (1,),
    dims: Sequence[int] = (1, 2),
    kernel_size: int = 3,
) -> list[dict[str, float]]:
    """Measured ERF radius vs Theorem 3 for every (dims, dilation, a, depth).

    2D nets are measured for ``a <= 0.8`` only (larger ``a`` needs maps beyond 512²).

    Returns:
        One record per net: ``dims, dilation, a, depth, measured, theorem3, eq4, rel_error``.
    """
    records = []
    for dim in dims:
        for d in dilations:
            for a in magnitudes:
                if dim == 2 and a > 0.8:
                    continue
                for depth in depths:
                    r = measure_radius(depth, a, kernel_size, d, dim)
                    records.append(
                        {
                            "dims": dim,
                            "dilation": d,
                            "a": a,
                            "depth": depth,
                            "measured": r["measured"],
                            "theorem3": r["theorem3"],
                            "eq4": r["eq4"],
                            "rel_error": abs(r["measured"] / r["theorem3"] - 1),
                        }
                    )
    return records


def multires_filters(wavelet: str, depth: int, length: int = 256) -> dict[str, Any]:
    """Equivalent filters of a MultiresConv tree whose ``h0, h1`` are a wavelet's, per level.

    The check: each output of the tree (:func:`multires_core.tree_outputs` on a random signal)
    equals ``numpy.convolve`` of the signal with that output's equivalent filter, truncated to
    the causal part (the noble identity of cascaded strided convolutions — two stride-2 convs
    with ``k`` equal one stride-4 conv with ``k ⋆ (k dilated by 2)`` — applied ``depth`` times).

    Returns:
        ``filters`` (list of Tensor[len_j], ``[a_J, b_J, ..., b_1]``), ``names``, ``lengths``
        and ``max_abs_error`` of the check.
    """
    h0, h1 = wavelet_filters(wavelet, dtype=torch.float64)
    filters = equivalent_filters(h0, h1, depth)
    x = torch.randn(1, 1, length, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    low, highs = tree_outputs(x, h0[None], h1[None], depth)
    err = 0.0
    for out, f in zip([low, *highs], filters, strict=True):
        oracle = np.convolve(x[0, 0].numpy(), f.numpy())[:length]
        err = max(err, float(np.abs(out[0, 0].numpy() - oracle).max()))
    names = [f"a_{depth}"] + [f"b_{j}" for j in range(depth, 0, -1)]
    return {
        "filters": filters,
        "names": names,
        "lengths": [int(f.numel()) for f in filters],
        "max_abs_error": err if math.isfinite(err) else float("nan"),
    }
