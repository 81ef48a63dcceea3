"""Unit-modulus spectral convolutions, functional form: circulants ``F⁻¹ diag(e^{iω}) F``.

Legend: N batch, C channels, L length, H×W image size, K = L//2+1 (or W//2+1) half-spectrum bins.

Every eigenvalue sits on the unit circle, so ``C`` is unitary (orthogonal for real signals): it
rotates Fourier phases and never rescales, and a product of such layers keeps the norm
(Wolter & Yao, complex gated memory cells (draft), Sec. 5.6-5.8).
The learnable parameters are the eigen-angles ``ω``.

Real input ``x`` uses the half spectrum (``rfft``/``rfft2``), ``ω`` of shape ``(C, K)`` or
``(C, H, W//2+1)``. Real output needs Hermitian symmetry ``λ(−k) = conj λ(k)``, which the half
spectrum gives for every bin that has a distinct partner. The rule for the others:

* **self-conjugate bins** (1D: DC and, for even L, Nyquist; 2D: ``k1 ∈ {0, H/2}`` ×
  ``k2 ∈ {0, W/2}``) must have a real eigenvalue. Their ``e^{iω}`` is *snapped* to
  ``sign(cos ω) ∈ {+1, −1}`` (``+1`` when ``cos ω = 0``). The snap is piecewise constant: those
  entries of ``ω`` get zero gradient; every other angle keeps its gradient.
* **2D columns** ``k2 = 0`` and ``k2 = W/2`` hold both members of each pair ``(k1, −k1)``.
  ``irfft2`` would silently keep only the Hermitian part there (it drops the imaginary part along
  the last axis), which is *not* unitary for arbitrary angles. The angles of those columns are
  therefore made odd, ``ω_eff(k1) = (ω(k1) − ω(−k1)) / 2``, so ``λ(−k1) = conj λ(k1)`` exactly.

Complex input uses the full spectrum (``fft``/``fft2``) with ``ω`` of shape ``(C, L)`` or
``(C, H, W)`` and no constraint. ``inverse=True`` applies ``conj λ``: the exact inverse, equal to
the conjugate transpose ``Cᴴ`` (the transpose for real signals).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

__all__ = [
    "unitary_circulant_conv1d",
    "unitary_circulant_conv2d",
    "unitary_eigenvalues1d",
    "unitary_eigenvalues2d",
]

_LOW_PRECISION = {torch.float16: torch.float32, torch.bfloat16: torch.float32}


# --------------------------------------------------------------------------- checks
def _check_omega(omega: Tensor, ndim: int) -> None:
    if not isinstance(omega, Tensor):
        raise TypeError(f"omega should be a Tensor, got {type(omega).__name__}")
    if not omega.is_floating_point():
        raise TypeError(f"omega should be a real floating-point Tensor, got dtype {omega.dtype}")
    if omega.ndim != ndim:
        raise ValueError(
            f"omega should have {ndim} dims (C, {'H, ' if ndim == 3 else ''}bins), "
            f"got shape {tuple(omega.shape)}"
        )


def _check_x(x: Tensor, ndim: int, layout: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"x should be a Tensor, got {type(x).__name__}")
    if not (x.is_floating_point() or x.is_complex()):
        raise TypeError(f"x should be a floating-point or complex Tensor, got dtype {x.dtype}")
    if x.ndim != ndim:
        raise ValueError(f"x should have shape {layout} ({ndim} dims), got {tuple(x.shape)}")


def _expected_shape(spatial: Sequence[int], complex_input: bool) -> tuple[int, ...]:
    if complex_input:
        return tuple(spatial)
    return (*spatial[:-1], spatial[-1] // 2 + 1)


def _check_match(x: Tensor, omega: Tensor) -> None:
    spatial = tuple(x.shape[2:])
    want = _expected_shape(spatial, x.is_complex())
    kind = "complex" if x.is_complex() else "real"
    if omega.shape[0] != x.shape[1]:
        raise ValueError(
            f"omega has {omega.shape[0]} channels but x has {x.shape[1]} "
            f"(omega shape {tuple(omega.shape)}, x shape {tuple(x.shape)})"
        )
    if tuple(omega.shape[1:]) != want:
        raise ValueError(
            f"omega should have shape {(x.shape[1], *want)} for a {kind} x of spatial size "
            f"{spatial}, got {tuple(omega.shape)}"
        )


def _snap(omega: Tensor) -> Tensor:
    """``sign(cos ω)`` as a complex ±1 (``+1`` at ``cos ω = 0``); zero gradient."""
    real = torch.where(torch.cos(omega) >= 0, 1.0, -1.0).to(omega.dtype)
    return torch.complex(real, torch.zeros_like(real))


def _self_conjugate(n: int, device: torch.device) -> Tensor:
    """Boolean ``(n,)``: the frequencies ``k`` with ``k ≡ −k (mod n)`` (0, and n/2 if n even)."""
    k = torch.arange(n, device=device)
    return (2 * k) % n == 0


# --------------------------------------------------------------------------- eigenvalues
def _half_eigenvalues1d(omega: Tensor, length: int) -> Tensor:
    """``(C, L//2+1)`` complex eigenvalues of the real operator (half spectrum)."""
    bins = torch.arange(length // 2 + 1, device=omega.device)
    special = (2 * bins) % length == 0
    return torch.where(special, _snap(omega), torch.polar(torch.ones_like(omega), omega))


def _half_eigenvalues2d(omega: Tensor, height: int, width: int) -> Tensor:
    """``(C, H, W//2+1)`` complex eigenvalues of the real 2D operator (half spectrum)."""
    dev = omega.device
    cols = torch.arange(width // 2 + 1, device=dev)
    special_col = ((2 * cols) % width == 0)[None, :]  # (1, K): k2 ∈ {0, W/2}
    mirror = (-torch.arange(height, device=dev)) % height
    odd = (omega - omega[:, mirror, :]) / 2  # ω_eff(k1) = −ω_eff(−k1)
    angles = torch.where(special_col, odd, omega)
    self_conj = _self_conjugate(height, dev)[:, None] & special_col  # (H, K)
    return torch.where(self_conj, _snap(omega), torch.polar(torch.ones_like(angles), angles))


def unitary_eigenvalues1d(omega: Tensor, length: int, *, complex_input: bool = False) -> Tensor:
    """Full-spectrum eigenvalues ``λ`` of the 1D operator, ``C = F⁻¹ diag(λ) F``.

    Args:
        omega: angles, ``(C, L//2+1)`` (real operator) or ``(C, L)`` (``complex_input=True``).
        length: the signal length ``L``.
        complex_input: whether ``omega`` parametrises the complex (full-spectrum) operator.

    Returns:
        Complex ``(C, L)``; ``λ[k]`` belongs to the Fourier mode ``e^{+2πikn/L}`` (``numpy.fft``
        order). For the real operator ``λ[L−k] = conj λ[k]`` and ``λ[0]``, ``λ[L/2]`` are ±1.
    """
    _check_omega(omega, 2)
    want = _expected_shape((length,), complex_input)
    if tuple(omega.shape[1:]) != want:
        raise ValueError(f"omega should have shape (C, {want[0]}), got {tuple(omega.shape)}")
    if complex_input:
        return torch.polar(torch.ones_like(omega), omega)
    half = _half_eigenvalues1d(omega, length)
    k = torch.arange(length, device=omega.device)
    mirrored = k > length // 2
    full = half[:, torch.where(mirrored, length - k, k)]
    return torch.where(mirrored, full.conj(), full)


def unitary_eigenvalues2d(
    omega: Tensor, size: Sequence[int], *, complex_input: bool = False
) -> Tensor:
    """Full-spectrum eigenvalues ``λ`` of the 2D operator, ``C = F₂⁻¹ diag(λ) F₂``.

    Args:
        omega: angles, ``(C, H, W//2+1)`` (real operator) or ``(C, H, W)`` (complex).
        size: ``(H, W)``.
        complex_input: whether ``omega`` parametrises the complex (full-spectrum) operator.

    Returns:
        Complex ``(C, H, W)`` in ``numpy.fft.fft2`` order; for the real operator
        ``λ[−k1, −k2] = conj λ[k1, k2]`` (indices mod H, W).
    """
    _check_omega(omega, 3)
    height, width = (int(s) for s in size)
    want = _expected_shape((height, width), complex_input)
    if tuple(omega.shape[1:]) != want:
        raise ValueError(f"omega should have shape (C, {want[0]}, {want[1]}), got {omega.shape}")
    if complex_input:
        return torch.polar(torch.ones_like(omega), omega)
    half = _half_eigenvalues2d(omega, height, width)
    dev = omega.device
    k2 = torch.arange(width, device=dev)
    mirrored = k2 > width // 2
    rows = (-torch.arange(height, device=dev)) % height
    flipped = half[:, rows, :][:, :, torch.where(mirrored, width - k2, k2)].conj()
    return torch.where(mirrored, flipped, half[:, :, torch.where(mirrored, 0, k2)])


# --------------------------------------------------------------------------- functional
def _apply(x: Tensor, eig: Tensor, dims: tuple[int, ...], real: bool) -> Tensor:
    compute = _LOW_PRECISION.get(x.dtype, x.dtype)
    xc = x.to(compute)
    spatial = x.shape[-len(dims) :]
    if real:
        spec = torch.fft.rfftn(xc, dim=dims) * eig
        out = torch.fft.irfftn(spec, s=spatial, dim=dims)
    else:
        out = torch.fft.ifftn(torch.fft.fftn(xc, dim=dims) * eig, dim=dims)
    return out.to(x.dtype) if compute != x.dtype else out


def unitary_circulant_conv1d(x: Tensor, omega: Tensor, *, inverse: bool = False) -> Tensor:
    """Depthwise circular convolution with unit-modulus eigenvalues ``e^{iω}``.

    Real ``x``: ``irfft(rfft(x) · λ, n=L)`` with ``λ = e^{iω}`` except at DC and (even ``L``)
    Nyquist, where ``λ = sign(cos ω) = ±1`` (zero gradient there). Complex ``x``:
    ``ifft(fft(x) · e^{iω})``. The operator is orthogonal (real) or unitary (complex).

    Args:
        x: ``(N, C, L)``, real floating or complex.
        omega: real angles, ``(C, L//2+1)`` for real ``x``, ``(C, L)`` for complex ``x``.
        inverse: apply ``conj λ``, the exact inverse ``Cᴴ`` (``Cᵀ`` for real ``x``).

    Returns:
        ``(N, C, L)``, real for real ``x`` (float16/bfloat16 are computed in float32).
    """
    _check_x(x, 3, "(N, C, L)")
    _check_omega(omega, 2)
    _check_match(x, omega)
    length = x.shape[-1]
    if x.is_complex():
        eig = torch.polar(torch.ones_like(omega), omega)
    else:
        eig = _half_eigenvalues1d(omega, length)
    return _apply(x, eig.conj() if inverse else eig, (-1,), real=not x.is_complex())


def unitary_circulant_conv2d(x: Tensor, omega: Tensor, *, inverse: bool = False) -> Tensor:
    """Depthwise 2D circular convolution (doubly block circulant) with eigenvalues ``e^{iω}``.

    Real ``x``: ``irfft2(rfft2(x) · λ, s=(H, W))`` with the Hermitian rule of the module
    docstring (odd angles in the columns ``k2 ∈ {0, W/2}``, ±1 at the self-conjugate bins).
    Complex ``x``: ``ifft2(fft2(x) · e^{iω})``.

    Args:
        x: ``(N, C, H, W)``, real floating or complex.
        omega: real angles, ``(C, H, W//2+1)`` for real ``x``, ``(C, H, W)`` for complex ``x``.
        inverse: apply ``conj λ``, the exact inverse ``Cᴴ``.

    Returns:
        ``(N, C, H, W)``, real for real ``x``.
    """
    _check_x(x, 4, "(N, C, H, W)")
    _check_omega(omega, 3)
    _check_match(x, omega)
    if x.is_complex():
        eig = torch.polar(torch.ones_like(omega), omega)
    else:
        eig = _half_eigenvalues2d(omega, x.shape[-2], x.shape[-1])
    return _apply(x, eig.conj() if inverse else eig, (-2, -1), real=not x.is_complex())
