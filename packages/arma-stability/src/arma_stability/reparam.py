"""Maps from unconstrained parameters to length-3 AR factors ``[a_left, 1, a_right]``.

A factor acts on a sequence as ``(A ⋆ y)[i] = a_left·y[i-1] + y[i] + a_right·y[i+1]``. Its
spectrum on the unit circle is ``Â(ω) = 1 + (a_left + a_right) cos ω + i (a_right − a_left) sin ω``,
so ``|a_left| + |a_right| < 1`` keeps ``Re Â ≥ 1 − |a_left + a_right| > 0``: the inverse exists and
is BIBO-stable. [`stable_coefficients`][arma_stability.stable_coefficients] guarantees that bound
with a margin ``eps``.

The two maps printed in the ARMA-Nets papers ([`icml_eq16`][arma_stability.icml_eq16],
[`neurips_eq9`][arma_stability.neurips_eq9]) do **not** guarantee it; they are kept, under their
names, only for the stability ablation.

Shapes: ``params (Tensor[..., 2])`` -> ``coefficients (Tensor[..., 2])`` with the last dimension
holding ``(a_left, a_right)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import torch
from torch import Tensor

__all__ = [
    "DEFAULT_EPS",
    "REPARAMETERIZATIONS",
    "Reparam",
    "coefficients_from_parameters",
    "icml_eq16",
    "neurips_eq9",
    "no_reparam",
    "stable_coefficients",
    "stable_parameters",
]

#: Default stability margin of one factor: ``|a_left| + |a_right| <= 1 - DEFAULT_EPS``.
DEFAULT_EPS = 1e-2

Reparameterization = Callable[[Tensor], Tensor]


def _check_last_dim(name: str, t: Tensor) -> None:
    if not isinstance(t, Tensor):
        raise TypeError(f"{name} should be a Tensor, got {type(t).__name__}")
    if t.ndim == 0 or t.shape[-1] != 2:
        raise ValueError(f"{name} should have shape (..., 2), got {tuple(t.shape)}")


def _check_eps(eps: float) -> None:
    if not 0.0 < eps < 1.0:
        raise ValueError(f"eps should be in (0, 1), got {eps}")


def stable_coefficients(params: Tensor, eps: float = DEFAULT_EPS) -> Tensor:
    """Map unconstrained ``params`` to factor coefficients with ``|a_left| + |a_right| <= 1 - eps``.

    ``a_left = s·(tanh p0 + tanh p1)/2`` and ``a_right = s·(tanh p1 − tanh p0)/2`` with
    ``s = 1 − eps``, the map of the authors' released code, scaled so that a saturated ``tanh``
    (``p = ±1e4`` in float32) still leaves the margin ``eps``. Since
    ``|a_left| + |a_right| = s·max(|tanh p0|, |tanh p1|)`` the bound holds for every input.
    Zeros map to the identity filter.

    Args:
        params (Tensor[..., 2]): unconstrained ``(p0, p1)``.
        eps: stability margin of the factor, in ``(0, 1)``.

    Returns:
        Tensor[..., 2]: ``(a_left, a_right)``.
    """
    _check_last_dim("params", params)
    _check_eps(eps)
    t = torch.tanh(params)
    t0, t1 = t.unbind(-1)
    scale = (1.0 - eps) / 2.0
    return torch.stack(((t0 + t1) * scale, (t1 - t0) * scale), dim=-1)


def stable_parameters(coefficients: Tensor, eps: float = DEFAULT_EPS) -> Tensor:
    """Inverse of [`stable_coefficients`][arma_stability.stable_coefficients]: parameters that
    produce ``coefficients``.

    Args:
        coefficients (Tensor[..., 2]): desired ``(a_left, a_right)`` with
            ``|a_left| + |a_right| < 1 - eps``.
        eps: the margin used by [`stable_coefficients`][arma_stability.stable_coefficients].

    Returns:
        Tensor[..., 2]: ``(p0, p1)`` such that ``stable_coefficients(p, eps) == coefficients``.

    Raises:
        ValueError: if some coefficients lie outside the open set the map reaches.
    """
    _check_last_dim("coefficients", coefficients)
    _check_eps(eps)
    a_left, a_right = coefficients.unbind(-1)
    bound = 1.0 - eps
    l1 = a_left.abs() + a_right.abs()
    if bool((l1 >= bound).any()):
        worst = float(l1.max())
        raise ValueError(
            f"coefficients should satisfy |a_left| + |a_right| < 1 - eps = {bound}, "
            f"got |a_left| + |a_right| = {worst}"
        )
    u = (a_left - a_right) / bound  # = tanh p0
    v = (a_left + a_right) / bound  # = tanh p1
    return torch.stack((torch.atanh(u), torch.atanh(v)), dim=-1)


_HALF_SQRT2 = math.sqrt(2.0) / 2.0


def _half_sqrt2_pair(
    params: Tensor, of_alpha: Callable[[Tensor], Tensor], of_beta: Callable[[Tensor], Tensor]
) -> Tensor:
    """The papers' form ``a_{∓1} = (√2/2) f(α) ∓ (√2/2) g(β)``; f, g: ``of_alpha``, ``of_beta``."""
    _check_last_dim("params", params)
    alpha, beta = params.unbind(-1)
    c = of_alpha(alpha) * _HALF_SQRT2
    d = of_beta(beta) * _HALF_SQRT2
    return torch.stack((c - d, c + d), dim=-1)


def _same(x: Tensor) -> Tensor:
    return x


def icml_eq16(params: Tensor) -> Tensor:
    """ICML-draft eq. 16: ``a_{∓1} = (√2/2) tanh α ∓ (√2/2) β`` (ablation only, not stable).

    ``a_left + a_right = √2 tanh α`` reaches ±√2, so the spectrum can vanish on the unit circle:
    ``α = 3, β = 0`` puts a zero near ``ω = 3π/4``.

    Args:
        params (Tensor[..., 2]): ``(α, β)``.

    Returns:
        Tensor[..., 2]: ``(a_left, a_right)``.
    """
    return _half_sqrt2_pair(params, torch.tanh, _same)


def neurips_eq9(params: Tensor) -> Tensor:
    """NeurIPS-2020 eq. 9: ``a_{∓1} = (√2/2) α ∓ (√2/2) tanh β`` (ablation only, not stable).

    ``a_left + a_right = √2 α`` is unbounded.

    Args:
        params (Tensor[..., 2]): ``(α, β)``.

    Returns:
        Tensor[..., 2]: ``(a_left, a_right)``.
    """
    return _half_sqrt2_pair(params, _same, torch.tanh)


def no_reparam(params: Tensor) -> Tensor:
    """No re-parameterisation: the parameters are the coefficients (ablation only, not stable).

    The "naive training" that Su et al. (NeurIPS 2020, Sec. 5 and Fig. 5) compare their
    re-parameterisation against: gradient steps move ``(a_left, a_right)`` directly, so nothing
    keeps ``|a_left| + |a_right| < 1``.

    Args:
        params (Tensor[..., 2]): ``(a_left, a_right)``.

    Returns:
        Tensor[..., 2]: the same values (a new tensor; gradients flow unchanged).
    """
    _check_last_dim("params", params)
    return params.clone()


#: The names of the re-parameterisations (the keys of
#: [`REPARAMETERIZATIONS`][arma_stability.REPARAMETERIZATIONS]); the ``reparam`` argument's type
#: everywhere downstream (arma-core's layers, the models, the apps' command lines).
Reparam = Literal["stable", "icml_eq16", "neurips_eq9", "none"]

#: Named re-parameterisations. ``"stable"`` is the default; the others reproduce the papers'
#: ablation (their two printed maps, and ``"none"``: the coefficients learnt directly).
REPARAMETERIZATIONS: dict[Reparam, Reparameterization] = {
    "stable": stable_coefficients,
    "icml_eq16": icml_eq16,
    "neurips_eq9": neurips_eq9,
    "none": no_reparam,
}


def coefficients_from_parameters(
    params: Tensor, reparam: Reparam = "stable", eps: float = DEFAULT_EPS
) -> Tensor:
    """Apply the re-parameterisation named ``reparam`` (a key of
    [`REPARAMETERIZATIONS`][arma_stability.REPARAMETERIZATIONS]).

    Args:
        params (Tensor[..., 2]): unconstrained parameters.
        reparam: ``"stable"``, ``"icml_eq16"``, ``"neurips_eq9"`` or ``"none"``.
        eps: margin for ``"stable"`` (ignored by the papers' maps).

    Returns:
        Tensor[..., 2]: ``(a_left, a_right)``.
    """
    if reparam not in REPARAMETERIZATIONS:
        raise ValueError(f"reparam should be one of {sorted(REPARAMETERIZATIONS)}, got {reparam!r}")
    if reparam == "stable":
        return stable_coefficients(params, eps)
    return REPARAMETERIZATIONS[reparam](params)
