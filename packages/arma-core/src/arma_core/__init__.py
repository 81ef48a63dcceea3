"""arma_core: ARMA layers — a convolution plus a learnable, provably stable AR filter.

Functional solves (:func:`ar_solve`, :func:`ar_solve1d`, :func:`ar_solve2d`, :func:`ar_solve3d`),
drop-in modules (:class:`ARMA1d`, :class:`ARMA2d`, :class:`ARMA3d`) and ERF tools.
"""

from .erf import effective_receptive_field, erf_radius, theoretical_erf_radius
from .layers import ARMA1d, ARMA2d, ARMA3d
from .solve import BOUNDARIES, METHODS, ar_solve, ar_solve1d, ar_solve2d, ar_solve3d

__all__ = [
    "BOUNDARIES",
    "METHODS",
    "ARMA1d",
    "ARMA2d",
    "ARMA3d",
    "ar_solve",
    "ar_solve1d",
    "ar_solve2d",
    "ar_solve3d",
    "effective_receptive_field",
    "erf_radius",
    "theoretical_erf_radius",
]
