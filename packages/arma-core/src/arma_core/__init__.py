"""arma_core: ARMA layers — a convolution plus a learnable, provably stable AR filter.

Functional solves ([`ar_solve`][arma_core.ar_solve], [`ar_solve1d`][arma_core.ar_solve1d],
[`ar_solve2d`][arma_core.ar_solve2d], [`ar_solve3d`][arma_core.ar_solve3d]), drop-in modules
([`ARMA1d`][arma_core.ARMA1d], [`ARMA2d`][arma_core.ARMA2d], [`ARMA3d`][arma_core.ARMA3d]) and ERF
tools; unit-modulus spectral convolutions (``arma_core.spectral``) and complex activations
(``arma_core.complex_activations``, Wolter & Yao).
"""

from ._checks import get_validate, set_validate
from ._conv_ar import release_workspace
from .erf import effective_receptive_field, erf_radius, theoretical_erf_radius
from .layers import ARMA1d, ARMA2d, ARMA3d
from .solve import BOUNDARIES, METHODS, ar_solve, ar_solve1d, ar_solve2d, ar_solve3d
from .spectral import (
    UnitaryCirculantConv1d,
    UnitaryCirculantConv2d,
    unitary_circulant_conv1d,
    unitary_circulant_conv2d,
)

__all__ = [
    "BOUNDARIES",
    "METHODS",
    "ARMA1d",
    "ARMA2d",
    "ARMA3d",
    "UnitaryCirculantConv1d",
    "UnitaryCirculantConv2d",
    "ar_solve",
    "ar_solve1d",
    "ar_solve2d",
    "ar_solve3d",
    "effective_receptive_field",
    "erf_radius",
    "get_validate",
    "release_workspace",
    "set_validate",
    "theoretical_erf_radius",
    "unitary_circulant_conv1d",
    "unitary_circulant_conv2d",
]
