"""arma_stability: stable re-parameterisations and Z-transform checks for ARMA layers.

Needs only torch and numpy. ``arma_core`` builds on it; it never imports ``arma_core``.
"""

from .audit import ARFilterModule, LayerAudit, UnstableFilterError, assert_stable, audit
from .reparam import (
    DEFAULT_EPS,
    REPARAMETERIZATIONS,
    Reparam,
    coefficients_from_parameters,
    icml_eq16,
    neurips_eq9,
    no_reparam,
    stable_coefficients,
    stable_parameters,
)
from .ztransform import (
    STABILITY_TOL,
    FilterReport,
    cascade_taps,
    condition_number,
    decay_rate,
    frequency_response,
    is_stable,
    region_of_convergence,
    report,
    roots,
    stability_margin,
)

__all__ = [
    "DEFAULT_EPS",
    "REPARAMETERIZATIONS",
    "STABILITY_TOL",
    "ARFilterModule",
    "FilterReport",
    "LayerAudit",
    "Reparam",
    "UnstableFilterError",
    "assert_stable",
    "audit",
    "cascade_taps",
    "coefficients_from_parameters",
    "condition_number",
    "decay_rate",
    "frequency_response",
    "icml_eq16",
    "is_stable",
    "neurips_eq9",
    "no_reparam",
    "region_of_convergence",
    "report",
    "roots",
    "stability_margin",
    "stable_coefficients",
    "stable_parameters",
]
