"""Modules for the unit-modulus spectral convolutions: learnable eigen-angles ``ω``.

Legend: N batch, C channels, L length, H×W image size.

A module is built for one signal size, because its angles are one per Fourier bin: ``(C, L//2+1)``
(real 1D), ``(C, L)`` (complex 1D), ``(C, H, W//2+1)`` (real 2D), ``(C, H, W)`` (complex 2D).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from .functional import (
    unitary_circulant_conv1d,
    unitary_circulant_conv2d,
    unitary_eigenvalues1d,
    unitary_eigenvalues2d,
)

__all__ = ["INITS", "UnitaryCirculantConv1d", "UnitaryCirculantConv2d"]

INITS = ("uniform", "zeros")
"""Angle initialisations: ``"uniform"`` draws ``ω ~ U(−π, π)``; ``"zeros"`` is the identity."""


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} should be a positive int, got {value!r}")
    return value


class _UnitaryCirculant(nn.Module):
    """Shared parts: the angle parameter, its initialisation, dtype matching, ``inverse``."""

    _ndim: int

    def __init__(
        self,
        channels: int,
        size: tuple[int, ...],
        complex_input: bool,
        init: str,
        device: torch.device | str | None,
        dtype: torch.dtype | None,
    ) -> None:
        super().__init__()
        self.channels = _positive_int("channels", channels)
        self.size = size
        if not isinstance(complex_input, bool):
            raise TypeError(f"complex_input should be a bool, got {complex_input!r}")
        if init not in INITS:
            raise ValueError(f"init should be one of {INITS}, got {init!r}")
        self.complex_input = complex_input
        bins = size if complex_input else (*size[:-1], size[-1] // 2 + 1)
        dtype = dtype or torch.get_default_dtype()
        if dtype.is_complex or not dtype.is_floating_point:
            raise TypeError(f"dtype should be a real floating dtype for the angles, got {dtype}")
        self.omega = nn.Parameter(torch.empty(channels, *bins, device=device, dtype=dtype))
        self.init = init
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-draw the angles with the module's ``init``."""
        with torch.no_grad():
            if self.init == "zeros":
                self.omega.zero_()
            else:
                self.omega.uniform_(-math.pi, math.pi)

    def _check_kind(self, x: Tensor) -> None:
        if not isinstance(x, Tensor):
            raise TypeError(f"x should be a Tensor, got {type(x).__name__}")
        if self.complex_input and not x.is_complex():
            raise TypeError(
                f"x should be complex for complex_input=True, got dtype {x.dtype} "
                "(build the module with complex_input=False for real signals)"
            )
        if not self.complex_input and x.is_complex():
            raise TypeError(
                f"x should be real for complex_input=False, got dtype {x.dtype} "
                "(build the module with complex_input=True for complex signals)"
            )
        if tuple(x.shape[2:]) != self.size and x.ndim == self._ndim + 2:
            raise ValueError(
                f"x should have spatial size {self.size} (the module's size), "
                f"got {tuple(x.shape[2:])}"
            )

    def _omega_for(self, x: Tensor) -> Tensor:
        real = x.real.dtype if x.is_complex() else x.dtype
        if real == torch.float64 and self.omega.dtype != torch.float64:
            return self.omega.to(real)
        return self.omega

    def inverse(self, x: Tensor) -> Tensor:
        """The exact inverse ``C⁻¹ = Cᴴ`` (``Cᵀ`` for real signals), same shapes as ``forward``."""
        return self.forward(x, inverse=True)

    def forward(self, x: Tensor, inverse: bool = False) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def eigenvalues(self) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def matrix(self) -> Tensor:
        """Materialise the operator, ``(C, M, M)`` with ``M = prod(size)`` (small sizes only).

        ``y.reshape(N, C, M)[n, c] = matrix()[c] @ x.reshape(N, C, M)[n, c]``; real for a real
        module, complex for ``complex_input=True``. Built by applying the module to the basis.
        """
        m = math.prod(self.size)
        if m > 4096:
            raise ValueError(f"matrix() materialises prod(size) = {m} > 4096 columns; too large")
        dtype = self.omega.dtype
        if self.complex_input:
            dtype = torch.complex128 if dtype == torch.float64 else torch.complex64
        eye = torch.eye(m, dtype=dtype, device=self.omega.device)
        basis = eye.reshape(m, 1, *self.size).expand(m, self.channels, *self.size)
        with torch.no_grad():
            cols = self.forward(basis.contiguous())  # (M, C, *size): column j of each C
        return cols.reshape(m, self.channels, m).permute(1, 2, 0).contiguous()

    def extra_repr(self) -> str:
        return (
            f"{self.channels}, size={self.size}, complex_input={self.complex_input}, "
            f"init={self.init!r}"
        )


class UnitaryCirculantConv1d(_UnitaryCirculant):
    """Depthwise 1D circular convolution with learnable unit-modulus eigenvalues ``e^{iω}``.

    ``C = F⁻¹ diag(e^{iω}) F`` per channel: orthogonal (real signals) or unitary (complex), so
    ``‖y‖ = ‖x‖`` for every input. See
    [`unitary_circulant_conv1d`][arma_core.spectral.unitary_circulant_conv1d] for the Hermitian
    rule (the DC and, for even ``L``, Nyquist eigenvalues are ``±1``).

    Args:
        channels: ``C``.
        length: ``L``, the signal length the module is built for.
        complex_input: complex signals over the full spectrum (``ω (C, L)``) instead of real
            signals over the half spectrum (``ω (C, L//2+1)``).
        init: one of [`INITS`][arma_core.spectral.INITS].
        device: of the angles.
        dtype: of the angles (real floating).

    Shape:
        ``x (N, C, L)`` -> ``(N, C, L)``, real for real ``x`` and complex for complex ``x``.
    """

    _ndim = 1

    def __init__(
        self,
        channels: int,
        length: int,
        *,
        complex_input: bool = False,
        init: str = "uniform",
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        size = (_positive_int("length", length),)
        super().__init__(channels, size, complex_input, init, device, dtype)

    def forward(self, x: Tensor, inverse: bool = False) -> Tensor:
        """``C x`` (or ``Cᴴ x`` with ``inverse=True``) for ``x (N, C, L)``."""
        self._check_kind(x)
        return unitary_circulant_conv1d(x, self._omega_for(x), inverse=inverse)

    def eigenvalues(self) -> Tensor:
        """Complex ``(C, L)``: the eigenvalues in ``numpy.fft`` order, all of modulus 1."""
        return unitary_eigenvalues1d(self.omega, self.size[0], complex_input=self.complex_input)


class UnitaryCirculantConv2d(_UnitaryCirculant):
    """Depthwise 2D circular convolution with learnable unit-modulus eigenvalues ``e^{iω}``.

    ``C = F₂⁻¹ diag(e^{iω}) F₂`` per channel (doubly block circulant), orthogonal for real and
    unitary for complex signals. See
    [`unitary_circulant_conv2d`][arma_core.spectral.unitary_circulant_conv2d] for the Hermitian
    rule of the real operator.

    Args:
        channels: ``C``.
        size: ``(H, W)``, the image size the module is built for.
        complex_input: complex images, ``ω (C, H, W)``, instead of real, ``ω (C, H, W//2+1)``.
        init: one of [`INITS`][arma_core.spectral.INITS].
        device: of the angles.
        dtype: of the angles (real floating).

    Shape:
        ``x (N, C, H, W)`` -> ``(N, C, H, W)``.
    """

    _ndim = 2

    def __init__(
        self,
        channels: int,
        size: Sequence[int],
        *,
        complex_input: bool = False,
        init: str = "uniform",
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        if isinstance(size, int) or not isinstance(size, Sequence) or len(size) != 2:
            raise ValueError(f"size should be (H, W), got {size!r}")
        hw = (_positive_int("size", size[0]), _positive_int("size", size[1]))
        super().__init__(channels, hw, complex_input, init, device, dtype)

    def forward(self, x: Tensor, inverse: bool = False) -> Tensor:
        """``C x`` (or ``Cᴴ x`` with ``inverse=True``) for ``x (N, C, H, W)``."""
        self._check_kind(x)
        return unitary_circulant_conv2d(x, self._omega_for(x), inverse=inverse)

    def eigenvalues(self) -> Tensor:
        """Complex ``(C, H, W)``: the eigenvalues in ``numpy.fft.fft2`` order, modulus 1."""
        return unitary_eigenvalues2d(self.omega, self.size, complex_input=self.complex_input)
