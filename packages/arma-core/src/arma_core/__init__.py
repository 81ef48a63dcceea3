"""arma_core: ARMA layers — a convolution plus a learnable, provably stable AR filter.

Functional solves ([`ar_solve`][arma_core.ar_solve], [`ar_solve1d`][arma_core.ar_solve1d],
[`ar_solve2d`][arma_core.ar_solve2d], [`ar_solve3d`][arma_core.ar_solve3d]), the functional ARMA
convolution ([`arma_conv`][arma_core.arma_conv]), one switch for the compiled kernels
([`set_backend`][arma_core.set_backend], [`backend`][arma_core.backend]), drop-in modules
([`ARMA1d`][arma_core.ARMA1d], [`ARMA2d`][arma_core.ARMA2d], [`ARMA3d`][arma_core.ARMA3d]), their
AR options as one type ([`ARMAOptions`][arma_core.ARMAOptions], what models built on them take) and
ERF tools; unit-modulus spectral convolutions (``arma_core.spectral``) and complex activations
(``arma_core.complex_activations``, Wolter & Yao).
"""

from ._checks import get_validate, set_validate
from ._conv_ar import release_workspace
from .backends import backend, get_backend, set_backend
from .erf import effective_receptive_field, erf_radius, theoretical_erf_radius
from .functional import arma_conv
from .layers import ARMA1d, ARMA2d, ARMA3d
from .options import ARMAOptions
from .solve import ar_solve, ar_solve1d, ar_solve2d, ar_solve3d
from .spectral import (
    UnitaryCirculantConv1d,
    UnitaryCirculantConv2d,
    unitary_circulant_conv1d,
    unitary_circulant_conv2d,
)
from .types import BACKENDS, BOUNDARIES, METHODS, Backend, Boundary, Method

__all__ = [
    "BACKENDS",
    "BOUNDARIES",
    "METHODS",
    "ARMA1d",
    "ARMA2d",
    "ARMA3d",
    "ARMAOptions",
    "Backend",
    "Boundary",
    "Method",
    "UnitaryCirculantConv1d",
    "UnitaryCirculantConv2d",
    "ar_solve",
    "ar_solve1d",
    "ar_solve2d",
    "ar_solve3d",
    "arma_conv",
    "backend",
    "effective_receptive_field",
    "erf_radius",
    "get_backend",
    "get_validate",
    "release_workspace",
    "set_backend",
    "set_validate",
    "theoretical_erf_radius",
    "unitary_circulant_conv1d",
    "unitary_circulant_conv2d",
]
