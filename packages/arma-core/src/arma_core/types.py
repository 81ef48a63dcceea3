"""The literal types of arma_core's arguments, defined once and reused in every signature.

``BOUNDARIES``, ``METHODS`` and ``BACKENDS`` are the same values as tuples, for validation and
``--help`` texts (derived from the literals, so adding a value is a one-line change).
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["BACKENDS", "BOUNDARIES", "METHODS", "Backend", "Boundary", "Method"]

#: Boundary condition of the AR solve (see [`ar_solve`][arma_core.ar_solve]).
Boundary = Literal["circular", "zero"]
#: Algorithm of the AR solve; ``"auto"`` picks by boundary, size and device.
Method = Literal["auto", "banded", "fft", "matmul"]
#: Implementation of the banded solve (and of multires-core's fused streaming step); see
#: [`set_backend`][arma_core.set_backend].
Backend = Literal["auto", "torch", "numba", "triton"]

BOUNDARIES: tuple[Boundary, ...] = get_args(Boundary)
METHODS: tuple[Method, ...] = get_args(Method)
BACKENDS: tuple[Backend, ...] = get_args(Backend)
