"""Receptive-field analysis: ``python -m apps.receptive_field`` (see docs/apps-receptive-field.md).

ERF heat maps of linear ARMA nets (Su, Wang & Huang, ICML draft, Fig. 3), measured radii
against Theorem 3 (1D and 2D, with dilation), the equivalent filters of a MultiresConv tree per
level, and with
``--checkpoint RUN_DIR`` the ERF and AR-coefficient histograms of a trained video-prediction or
segmentation model.
"""

from .analysis import erf_grid, multires_filters, radius_curves
from .checkpoint import APPS, ar_coefficient_values, checkpoint_analysis, find_checkpoint
from .cli import build_parser, main
from .linear_nets import (
    covariance_radius,
    linear_arma_net,
    measure_radius,
    required_length,
    theorem3_radius,
)

__all__ = [
    "APPS",
    "ar_coefficient_values",
    "build_parser",
    "checkpoint_analysis",
    "covariance_radius",
    "erf_grid",
    "find_checkpoint",
    "linear_arma_net",
    "main",
    "measure_radius",
    "multires_filters",
    "radius_curves",
    "required_length",
    "theorem3_radius",
]
