"""Unit-modulus spectral convolutions: circulants ``F⁻¹ diag(e^{iω}) F``.

After Wolter & Yao, complex gated memory cells (draft).

Functional forms ([`unitary_circulant_conv1d`][arma_core.spectral.unitary_circulant_conv1d],
[`unitary_circulant_conv2d`][arma_core.spectral.unitary_circulant_conv2d]), the eigenvalues they
apply, and thin modules with learnable angles
([`UnitaryCirculantConv1d`][arma_core.spectral.UnitaryCirculantConv1d],
[`UnitaryCirculantConv2d`][arma_core.spectral.UnitaryCirculantConv2d]).
"""

from .functional import (
    unitary_circulant_conv1d,
    unitary_circulant_conv2d,
    unitary_eigenvalues1d,
    unitary_eigenvalues2d,
)
from .layers import INITS, UnitaryCirculantConv1d, UnitaryCirculantConv2d

__all__ = [
    "INITS",
    "UnitaryCirculantConv1d",
    "UnitaryCirculantConv2d",
    "unitary_circulant_conv1d",
    "unitary_circulant_conv2d",
    "unitary_eigenvalues1d",
    "unitary_eigenvalues2d",
]
