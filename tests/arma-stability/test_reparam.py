import math
from typing import get_args

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from arma_stability import (
    DEFAULT_EPS,
    coefficients_from_parameters,
    icml_eq16,
    neurips_eq9,
    stability_margin,
    stable_coefficients,
    stable_parameters,
)
from arma_stability.reparam import REPARAMETERIZATIONS, Reparam

finite = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(p0=finite, p1=finite, eps=st.sampled_from([1e-3, 1e-2, 0.1]))
def test_stable_map_bound_holds_in_float32(p0, p1, eps):
    c = stable_coefficients(torch.tensor([p0, p1], dtype=torch.float32), eps)
    assert torch.isfinite(c).all()
    l1 = float(c.abs().sum())
    assert l1 <= 1 - eps + 1e-6
    # the factor's spectrum keeps Re Â >= 1 - |a_left + a_right| >= eps > 0
    assert float(stability_margin(c[None])) >= eps - 1e-6


def test_zero_parameters_give_identity():
    c = stable_coefficients(torch.zeros(3, 2))
    assert torch.equal(c, torch.zeros(3, 2))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_inverse_map_round_trips(dtype):
    g = torch.Generator().manual_seed(0)
    raw = torch.rand(100, 2, generator=g, dtype=dtype) * 2 - 1
    coeffs = raw / raw.abs().sum(-1, keepdim=True).clamp_min(1) * 0.95  # inside the diamond
    back = stable_coefficients(stable_parameters(coeffs))
    tol = 1e-5 if dtype == torch.float32 else 1e-12
    torch.testing.assert_close(back, coeffs, atol=tol, rtol=0)


def test_inverse_map_rejects_unreachable_coefficients():
    with pytest.raises(ValueError, match=r"\|a_left\| \+ \|a_right\|"):
        stable_parameters(torch.tensor([0.7, 0.5]))


def test_stable_map_is_differentiable():
    p = torch.randn(5, 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(stable_coefficients, (p,))


def test_paper_maps_follow_their_printed_formulas():
    alpha, beta = 0.4, -1.3
    h = math.sqrt(2) / 2
    eq16 = icml_eq16(torch.tensor([alpha, beta], dtype=torch.float64))
    assert eq16.tolist() == pytest.approx(
        [h * math.tanh(alpha) - h * beta, h * math.tanh(alpha) + h * beta]
    )
    eq9 = neurips_eq9(torch.tensor([alpha, beta], dtype=torch.float64))
    assert eq9.tolist() == pytest.approx(
        [h * alpha - h * math.tanh(beta), h * alpha + h * math.tanh(beta)]
    )


def test_eq16_reaches_the_unit_circle():
    # alpha = 3, beta = 0: a_left + a_right = sqrt(2) tanh 3 > 1, a zero near w = 3pi/4
    c = icml_eq16(torch.tensor([[3.0, 0.0]], dtype=torch.float64))
    w = math.acos(-1 / (math.sqrt(2) * math.tanh(3.0)))
    assert w == pytest.approx(3 * math.pi / 4, abs=0.03)
    assert float(stability_margin(c)) < 1e-6


def test_eq9_is_unbounded():
    c = neurips_eq9(torch.tensor([[10.0, 0.0]]))
    assert float(c.sum()) == pytest.approx(10 * math.sqrt(2), rel=1e-6)


def test_named_lookup_and_errors():
    p = torch.randn(4, 2)
    torch.testing.assert_close(coefficients_from_parameters(p, "icml_eq16"), icml_eq16(p))
    torch.testing.assert_close(
        coefficients_from_parameters(p, "stable", DEFAULT_EPS), stable_coefficients(p)
    )
    with pytest.raises(ValueError, match="reparam should be one of"):
        coefficients_from_parameters(p, "nope")
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 2\)"):
        stable_coefficients(torch.zeros(3))
    with pytest.raises(ValueError, match="eps should be in"):
        stable_coefficients(p, eps=1.5)
    with pytest.raises(TypeError, match="Tensor"):
        stable_coefficients([0.0, 1.0])  # type: ignore[arg-type]  # a wrong type, on purpose


def test_no_reparam_is_the_identity_and_leaves_the_stable_region():
    # "none": the coefficients are the parameters; a step past |a_left| + |a_right| = 1 is
    # taken as is (a zero of the spectrum at w = pi for a_left = a_right = 1/2 + tiny).
    p = torch.tensor([[0.3, -0.2], [0.5, 0.5]], dtype=torch.float64, requires_grad=True)
    c = coefficients_from_parameters(p, "none")
    assert c.tolist() == p.tolist()
    assert c.data_ptr() != p.data_ptr()
    c.sum().backward()
    assert p.grad.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    assert float(stability_margin(c.detach()[1:])) < 1e-12  # 1 - cos(pi) * 1 = 0 at w = pi
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 2\)"):
        coefficients_from_parameters(torch.zeros(3), "none")


def test_reparam_literal_names_the_table():
    """``Reparam`` (the argument's type downstream) lists exactly the table's names, in order."""
    assert get_args(Reparam) == tuple(REPARAMETERIZATIONS)
