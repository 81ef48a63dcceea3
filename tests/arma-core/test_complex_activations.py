"""Complex activations against numpy closed forms; complex gradcheck away from the
non-differentiable sets; finite, bounded Jacobians on a polar grid that includes z = 0."""

import math

import numpy as np
import pytest
import torch

from arma_core import complex_activations as ca


def _np_phase(z):
    r = np.abs(z)
    return np.where(r > 0, z / np.where(r > 0, r, 1), 0), r


def _oracle(name, z):
    """numpy closed forms of Wolter & Yao, complex gated memory cells (draft), Sec. 5.

    θ = np.angle in [0, 2π).
    """
    ph, r = _np_phase(z)
    theta = np.mod(np.angle(z), 2 * np.pi)
    return {
        "mod_relu": np.maximum(r - 0.3, 0) * ph,
        "zrelu": np.where((z.real >= 0) & (z.imag >= 0), z, 0),
        "crelu": np.maximum(z.real, 0) + 1j * np.maximum(z.imag, 0),
        "cardioid": 0.5 * (1 + np.cos(theta)) * z,
        "phase_amplitude": np.tanh(r / 2.0) * np.exp(1j * theta),
        "phase_relu": np.where(np.sin(2 * theta + 0.1) > 0, z, 0),
        "phase_relu_sincos": np.where(
            (np.sin(theta + 0.2) > 0) & (np.cos(3 * theta - 0.4) > 0), z, 0
        ),
    }[name]


_FUNCS = {
    "mod_relu": lambda z: ca.mod_relu(z, -0.3),
    "zrelu": ca.zrelu,
    "crelu": ca.crelu,
    "cardioid": ca.cardioid,
    "phase_amplitude": lambda z: ca.phase_amplitude(z, 2.0),
    "phase_relu": lambda z: ca.phase_relu(z, 2.0, 0.1),
    "phase_relu_sincos": lambda z: ca.phase_relu(z, 1.0, 0.2, 3.0, -0.4),
}


def _away_from_kinks(name, z):
    """Points at least 0.05 from each activation's non-differentiable set."""
    theta = np.mod(np.angle(z), 2 * np.pi)
    r = np.abs(z)
    ok = r > 0.05
    if name == "mod_relu":
        ok &= np.abs(r - 0.3) > 0.05
    if name in ("zrelu", "crelu"):
        ok &= (np.abs(z.real) > 0.05) & (np.abs(z.imag) > 0.05)
    if name == "phase_relu":
        ok &= np.abs(np.sin(2 * theta + 0.1)) > 0.1
    if name == "phase_relu_sincos":
        ok &= (np.abs(np.sin(theta + 0.2)) > 0.1) & (np.abs(np.cos(3 * theta - 0.4)) > 0.1)
    return ok


@pytest.mark.parametrize("name", sorted(_FUNCS))
def test_values_equal_the_numpy_closed_forms(name):
    gen = torch.Generator().manual_seed(0)
    z = torch.complex(torch.randn(500, generator=gen), torch.randn(500, generator=gen)).to(
        torch.complex128
    )
    z[0] = 0
    out = _FUNCS[name](z)
    assert out.dtype == torch.complex128
    np.testing.assert_allclose(out.numpy(), _oracle(name, z.numpy()), atol=1e-12)


@pytest.mark.parametrize("name", sorted(_FUNCS))
def test_complex_gradcheck_away_from_the_kinks(name):
    gen = torch.Generator().manual_seed(1)
    z = torch.complex(torch.randn(200, generator=gen), torch.randn(200, generator=gen)).to(
        torch.complex128
    )
    z = z[torch.from_numpy(_away_from_kinks(name, z.numpy()))][:12].clone().requires_grad_()
    assert torch.autograd.gradcheck(_FUNCS[name], (z,))


def _real_jacobian(fn, x, y):
    """The 2×2 real Jacobian of (x, y) -> (Re f, Im f) at every point of a grid."""

    def f(xy):
        out = fn(torch.complex(xy[..., 0], xy[..., 1]))
        out = out if out.is_complex() else torch.complex(out, torch.zeros_like(out))
        return torch.stack([out.real, out.imag], -1)

    xy = torch.stack([x, y], -1).requires_grad_()
    rows = []
    for k in range(2):
        (g,) = torch.autograd.grad(f(xy)[..., k].sum(), xy)
        rows.append(g)
    return torch.stack(rows, -2)  # (..., 2, 2)


_ALL = dict(
    _FUNCS,
    mod_relu_positive_bias=lambda z: ca.mod_relu(z, 0.5),
    mod_sigmoid=lambda z: ca.mod_sigmoid(z, 1.5, -0.5),
    product_sigmoid=ca.product_sigmoid,
)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("name", sorted(_ALL))
def test_jacobian_finite_and_bounded_on_a_polar_grid_with_the_origin(name, dtype):
    r = torch.cat([torch.zeros(1), torch.logspace(-8, 2, 41)]).to(dtype)
    theta = torch.linspace(0, 2 * math.pi, 73, dtype=dtype)
    rr, tt = torch.meshgrid(r, theta, indexing="ij")
    jac = _real_jacobian(_ALL[name], rr * torch.cos(tt), rr * torch.sin(tt))
    values = _ALL[name](torch.complex(rr * torch.cos(tt), rr * torch.sin(tt)))
    assert torch.isfinite(jac).all()
    assert torch.isfinite(values.abs()).all()
    spectral = torch.linalg.matrix_norm(jac, ord=2)
    if name == "mod_relu_positive_bias":
        # discontinuous at 0 (jumps to modulus b): derivative b/|z| near 0, finite at 0
        assert spectral[0].max() <= 1.0 + 1e-6
        assert spectral[r > 1e-3].max() <= 0.5 / 1e-3 + 1
    else:
        assert spectral.max() <= 1.0 + 1e-5 + (0.5 if name == "cardioid" else 0)


def test_phase_relu_variants_match_their_named_special_cases():
    gen = torch.Generator().manual_seed(2)
    z = torch.complex(torch.randn(1000, generator=gen), torch.randn(1000, generator=gen))
    torch.testing.assert_close(ca.phase_relu(z, 1.0, 0.0, 1.0, 0.0), ca.zrelu(z))
    upper = ca.phase_relu(z)  # a = 1, b = 0 keeps the upper half-plane
    torch.testing.assert_close(upper, torch.where(z.imag > 0, z, torch.zeros_like(z)))


def test_modules_equal_their_functional_forms_and_learn():
    z = torch.randn(4, 6, dtype=torch.complex64)
    m = ca.ModReLU(6, bias_init=-0.1)
    torch.testing.assert_close(m(z), ca.mod_relu(z, torch.full((6,), -0.1)))
    g = ca.ModSigmoid(6)
    torch.testing.assert_close(g(z), torch.sigmoid(z.real + z.imag))
    (m(z).abs().sum() + g(z).sum()).backward()
    assert m.bias.grad is not None
    assert g.alpha.grad is not None
    assert g.beta.grad is not None
    for mod, fn in (
        (ca.ZReLU(), ca.zrelu),
        (ca.CReLU(), ca.crelu),
        (ca.Cardioid(), ca.cardioid),
        (ca.ProductSigmoid(), ca.product_sigmoid),
        (ca.PhaseAmplitude(0.5), lambda v: ca.phase_amplitude(v, 0.5)),
        (ca.PhaseReLU(1.0, 0.3, 2.0, 0.1), lambda v: ca.phase_relu(v, 1.0, 0.3, 2.0, 0.1)),
    ):
        torch.testing.assert_close(mod(z), fn(z))
    assert "a=1.0, b=0.3, c=2.0, d=0.1" in repr(ca.PhaseReLU(1.0, 0.3, 2.0, 0.1))


def test_errors_name_the_argument_and_value():
    with pytest.raises(TypeError, match=r"z should be a complex Tensor, got dtype torch\.float32"):
        ca.cardioid(torch.randn(3))
    with pytest.raises(TypeError, match="z should be a complex Tensor, got list"):
        ca.zrelu([1j])
    with pytest.raises(ValueError, match="m should be a positive number, got 0"):
        ca.phase_amplitude(torch.zeros(1, dtype=torch.complex64), 0)
    with pytest.raises(ValueError, match="features should be a positive int, got -2"):
        ca.ModReLU(-2)
    with pytest.raises(ValueError, match="a should be a finite number, got nan"):
        ca.PhaseReLU(float("nan"))
