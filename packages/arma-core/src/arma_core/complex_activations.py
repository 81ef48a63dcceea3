"""Complex activations and real gates from complex inputs.

After Wolter & Yao, complex gated memory cells (draft), Sec. 5.

Legend: ``z`` complex of any shape, ``r = |z|``, ``θ = arg z`` in ``[0, 2π)``.

Every function is finite with finite gradients everywhere, ``z = 0`` included: the phase
``z / |z|`` is taken as 0 at the origin (the ``torch.sgn`` convention) through a safe denominator,
so autograd never divides by zero. Away from the origin the derivatives are bounded by small
constants (tested on a polar grid); the exception is modReLU with a *positive* bias, which is
discontinuous at 0 (its value jumps from 0 to modulus ``b``): its derivative there is finite but
grows like ``b / |z|``.

Phase-ReLU: the draft writes ``H(sin(θ·a·π + b))`` with the phase measured in half-turns; in
radians that is ``H(sin(a·θ + b))``, which is what is implemented, so ``a = 1, b = 0`` keeps the
upper half-plane (``θ ∈ (0, π)``) as the draft's text says. ``H(x) = 1`` for ``x > 0`` and 0
otherwise. The sin·cos variant (eq. 15) ``H(sin(a·θ + b))·H(cos(c·θ + d))·z`` is zReLU for
``a = c = 1, b = d = 0`` off the axes.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

__all__ = [
    "CReLU",
    "Cardioid",
    "ModReLU",
    "ModSigmoid",
    "PhaseAmplitude",
    "PhaseReLU",
    "ProductSigmoid",
    "ZReLU",
    "cardioid",
    "crelu",
    "mod_relu",
    "mod_sigmoid",
    "phase_amplitude",
    "phase_relu",
    "product_sigmoid",
    "zrelu",
]


def _complex(name: str, z: object) -> Tensor:
    if not isinstance(z, Tensor):
        raise TypeError(f"{name} should be a complex Tensor, got {type(z).__name__}")
    if not z.is_complex():
        raise TypeError(
            f"{name} should be a complex Tensor, got dtype {z.dtype} "
            "(torch.complex(re, im) builds one from real parts)"
        )
    return z


def _modulus_and_phase(z: Tensor) -> tuple[Tensor, Tensor]:
    """``(|z|, z/|z|)`` with the phase 0 at ``z = 0`` and finite gradients there."""
    sq = z.real.square() + z.imag.square()
    nonzero = sq > 0
    r_safe = torch.sqrt(torch.where(nonzero, sq, torch.ones_like(sq)))
    r = torch.where(nonzero, r_safe, torch.zeros_like(sq))
    phase = torch.where(nonzero, z / r_safe, torch.zeros_like(z))
    return r, phase


def _angle(z: Tensor) -> Tensor:
    """``arg z`` in ``[0, 2π)``, no gradient (only used inside piecewise-constant masks)."""
    return torch.remainder(torch.angle(z.detach()), 2 * math.pi)


# --------------------------------------------------------------------------- functional
def mod_relu(z: Tensor, bias: Tensor | float) -> Tensor:
    """modReLU (Arjovsky et al.): ``ReLU(|z| + b) · z / |z|``, 0 at ``z = 0``.

    Args:
        z: complex, any shape.
        bias: real ``b``, broadcastable to ``z`` (e.g. ``(H,)`` for ``z (N, H)``).

    Returns:
        Complex, the shape of ``z``.
    """
    r, phase = _modulus_and_phase(_complex("z", z))
    return torch.relu(r + bias) * phase


def zrelu(z: Tensor) -> Tensor:
    """zReLU (Guberman): ``z`` where ``θ ∈ [0, π/2]`` (``Re z ≥ 0`` and ``Im z ≥ 0``), else 0."""
    _complex("z", z)
    keep = (z.real >= 0) & (z.imag >= 0)
    return torch.where(keep, z, torch.zeros_like(z))


def crelu(z: Tensor) -> Tensor:
    """cReLU (Trabelsi et al.): ``ReLU(Re z) + i·ReLU(Im z)``."""
    _complex("z", z)
    return torch.complex(torch.relu(z.real), torch.relu(z.imag))


def cardioid(z: Tensor) -> Tensor:
    """Cardioid (Virtue et al.): ``½ (1 + cos θ) · z``; 0 at ``z = 0``."""
    _r, phase = _modulus_and_phase(_complex("z", z))
    return 0.5 * (1 + phase.real) * z


def phase_amplitude(z: Tensor, m: float = 1.0) -> Tensor:
    """Phase-amplitude: ``tanh(|z| / m) · e^{iθ}``; equals ``z / m`` to first order at 0.

    Args:
        z: complex, any shape.
        m: positive scale of the modulus squashing.
    """
    _complex("z", z)
    if not (isinstance(m, int | float) and not isinstance(m, bool) and m > 0):
        raise ValueError(f"m should be a positive number, got {m!r}")
    r, _ = _modulus_and_phase(z)
    small = r < 1e-4 * m
    r_safe = torch.where(small, torch.ones_like(r), r)
    ratio = torch.where(small, (1 - (r / m).square() / 3) / m, torch.tanh(r_safe / m) / r_safe)
    return ratio * z


def phase_relu(
    z: Tensor,
    a: float = 1.0,
    b: float = 0.0,
    c: float | None = None,
    d: float = 0.0,
) -> Tensor:
    """Phase-ReLU ``H(sin(a·θ + b)) · z``; with ``c`` given, eq. 15's ``·H(cos(c·θ + d))``.

    The mask is piecewise constant in ``θ``: the derivative is 1 where the unit is on, 0 where
    off (the Dirac terms on the boundary rays are taken as 0, as the draft does).

    Args:
        z: complex, any shape.
        a: frequency of the sine mask (radians; see the module docstring).
        b: offset of the sine mask.
        c: frequency of the cosine mask; ``None`` leaves it out.
        d: offset of the cosine mask.
    """
    _complex("z", z)
    theta = _angle(z)
    on = torch.sin(a * theta + b) > 0
    if c is not None:
        on = on & (torch.cos(c * theta + d) > 0)
    return torch.where(on, z, torch.zeros_like(z))


def mod_sigmoid(z: Tensor, alpha: Tensor | float, beta: Tensor | float) -> Tensor:
    """Real gate from a complex pre-activation: ``σ(α·Re z + β·Im z)`` (real, the shape of z)."""
    _complex("z", z)
    return torch.sigmoid(alpha * z.real + beta * z.imag)


def product_sigmoid(z: Tensor) -> Tensor:
    """Real gate from a complex pre-activation: ``σ(Re z) · σ(Im z)`` (real, the shape of z)."""
    _complex("z", z)
    return torch.sigmoid(z.real) * torch.sigmoid(z.imag)


# --------------------------------------------------------------------------- modules
def _features(features: int) -> int:
    if isinstance(features, bool) or not isinstance(features, int) or features <= 0:
        raise ValueError(f"features should be a positive int, got {features!r}")
    return features


class ModReLU(nn.Module):
    """[`mod_relu`][arma_core.complex_activations.mod_relu] with a learnable bias per feature.

    Args:
        features: size of the last axis of ``z`` (the bias has shape ``(features,)``).
        bias_init: initial bias (0: identity outside the origin).

    Shape:
        ``z (..., features)`` complex -> same shape, complex.
    """

    def __init__(self, features: int, bias_init: float = 0.0) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.full((_features(features),), float(bias_init)))

    def forward(self, z: Tensor) -> Tensor:
        return mod_relu(z, self.bias.to(z.real.dtype))


class ModSigmoid(nn.Module):
    """[`mod_sigmoid`][arma_core.complex_activations.mod_sigmoid] with learnable ``α, β`` per
    feature (initialised to 1).

    Shape:
        ``z (..., features)`` complex -> same shape, real.
    """

    def __init__(self, features: int) -> None:
        super().__init__()
        self.alpha = nn.Parameter(torch.ones(_features(features)))
        self.beta = nn.Parameter(torch.ones(features))

    def forward(self, z: Tensor) -> Tensor:
        dtype = z.real.dtype if isinstance(z, Tensor) else None
        return mod_sigmoid(z, self.alpha.to(dtype), self.beta.to(dtype))


class _Stateless(nn.Module):
    """A parameter-free activation: ``forward`` is the functional form."""

    @staticmethod
    def _fn(z: Tensor) -> Tensor:
        """The functional form (each subclass sets its own): complex ``z``, same shape out."""
        raise NotImplementedError

    def forward(self, z: Tensor) -> Tensor:
        return type(self)._fn(z)


class ZReLU(_Stateless):
    """[`zrelu`][arma_core.complex_activations.zrelu] as a module. Shape: any, complex."""

    _fn = staticmethod(zrelu)


class CReLU(_Stateless):
    """[`crelu`][arma_core.complex_activations.crelu] as a module. Shape: any, complex."""

    _fn = staticmethod(crelu)


class Cardioid(_Stateless):
    """[`cardioid`][arma_core.complex_activations.cardioid] as a module. Shape: any, complex."""

    _fn = staticmethod(cardioid)


class ProductSigmoid(_Stateless):
    """[`product_sigmoid`][arma_core.complex_activations.product_sigmoid] as a module.
    Shape: any complex -> same shape, real."""

    _fn = staticmethod(product_sigmoid)


class PhaseAmplitude(nn.Module):
    """[`phase_amplitude`][arma_core.complex_activations.phase_amplitude] with a fixed scale
    ``m``. Shape: any, complex."""

    def __init__(self, m: float = 1.0) -> None:
        super().__init__()
        phase_amplitude(torch.zeros(1, dtype=torch.complex64), m)  # validates m
        self.m = m

    def forward(self, z: Tensor) -> Tensor:
        return phase_amplitude(z, self.m)

    def extra_repr(self) -> str:
        return f"m={self.m}"


class PhaseReLU(nn.Module):
    """[`phase_relu`][arma_core.complex_activations.phase_relu] with fixed ``a, b`` (and
    optionally ``c, d`` for the sin·cos variant). Shape: any, complex."""

    def __init__(self, a: float = 1.0, b: float = 0.0, c: float | None = None, d: float = 0.0):
        super().__init__()
        for name, v in (("a", a), ("b", b), ("d", d)) + ((("c", c),) if c is not None else ()):
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise ValueError(f"{name} should be a finite number, got {v!r}")
        self.a, self.b, self.c, self.d = a, b, c, d

    def forward(self, z: Tensor) -> Tensor:
        return phase_relu(z, self.a, self.b, self.c, self.d)

    def extra_repr(self) -> str:
        cos = f", c={self.c}, d={self.d}" if self.c is not None else ""
        return f"a={self.a}, b={self.b}{cos}"
