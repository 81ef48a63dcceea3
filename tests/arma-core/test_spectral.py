"""Unit-modulus spectral convolutions against numpy: the documented Hermitian rule written
independently with numpy FFTs, dense circulant structure, numpy eigenvalues, norms, gradcheck."""

import numpy as np
import pytest
import torch

from arma_core.spectral import (
    UnitaryCirculantConv1d,
    UnitaryCirculantConv2d,
    unitary_circulant_conv1d,
    unitary_circulant_conv2d,
)


def _snap(w):
    return np.where(np.cos(w) >= 0, 1.0, -1.0)


def _numpy_real_1d(x, omega):
    """irfft(rfft(x) · λ) with λ = e^{iω}, ±1 at DC and (even L) Nyquist — in numpy."""
    length = x.shape[-1]
    lam = np.exp(1j * omega)
    lam[:, 0] = _snap(omega[:, 0])
    if length % 2 == 0:
        lam[:, -1] = _snap(omega[:, -1])
    return np.fft.irfft(np.fft.rfft(x, axis=-1) * lam, n=length, axis=-1)


def _numpy_full_2d(omega, h, w):
    """The full (C, H, W) eigenvalues of the real 2D operator, built bin by bin in numpy."""
    c = omega.shape[0]
    lam = np.zeros((c, h, w), dtype=complex)
    for k1 in range(h):
        for k2 in range(w // 2 + 1):
            if (2 * k2) % w == 0:  # columns holding both members of (k1, -k1)
                if (2 * k1) % h == 0:
                    val = _snap(omega[:, k1, k2])
                else:
                    val = np.exp(1j * (omega[:, k1, k2] - omega[:, (-k1) % h, k2]) / 2)
            else:
                val = np.exp(1j * omega[:, k1, k2])
            lam[:, k1, k2] = val
            lam[:, (-k1) % h, (-k2) % w] = np.conj(val)
    return lam


def _numpy_real_2d(x, omega):
    h, w = x.shape[-2:]
    out = np.fft.ifft2(np.fft.fft2(x) * _numpy_full_2d(omega, h, w))
    assert np.abs(out.imag).max() < 1e-12  # the rule gives a real operator
    return out.real


@pytest.mark.parametrize("length", [1, 2, 5, 8, 9])
def test_real_1d_matches_numpy_and_is_a_real_orthogonal_circulant(length):
    torch.manual_seed(0)
    mod = UnitaryCirculantConv1d(3, length, dtype=torch.float64)
    x = torch.randn(4, 3, length, dtype=torch.float64)
    y = mod(x)
    assert y.dtype == torch.float64
    assert y.shape == x.shape
    ref = _numpy_real_1d(x.numpy(), mod.omega.detach().numpy())
    np.testing.assert_allclose(y.detach().numpy(), ref, atol=1e-12)
    mats = mod.matrix().numpy()
    for c, m in enumerate(mats):
        np.testing.assert_allclose(m, np.roll(np.roll(m, 1, 0), 1, 1), atol=1e-12)  # circulant
        np.testing.assert_allclose(m.T @ m, np.eye(length), atol=1e-12)
        np.testing.assert_allclose(np.abs(np.linalg.eigvals(m)), 1.0, atol=1e-10)
        np.testing.assert_allclose(m @ x[1, c].numpy(), y[1, c].detach().numpy(), atol=1e-12)


@pytest.mark.parametrize("size", [(4, 6), (5, 5), (3, 4), (6, 7), (1, 4), (4, 1)])
def test_real_2d_matches_numpy_and_is_orthogonal(size):
    torch.manual_seed(1)
    mod = UnitaryCirculantConv2d(2, size, dtype=torch.float64)
    x = torch.randn(3, 2, *size, dtype=torch.float64)
    y = mod(x)
    ref = _numpy_real_2d(x.numpy(), mod.omega.detach().numpy())
    np.testing.assert_allclose(y.detach().numpy(), ref, atol=1e-12)
    m = mod.matrix().numpy()[1]
    n = size[0] * size[1]
    np.testing.assert_allclose(m.T @ m, np.eye(n), atol=1e-12)
    np.testing.assert_allclose(np.abs(np.linalg.eigvals(m)), 1.0, atol=1e-10)
    np.testing.assert_allclose(m @ x[0, 1].reshape(-1).numpy(), y[0, 1].reshape(-1).detach(), 1e-12)


def test_float32_matrix_is_unitary_to_1e5():
    torch.manual_seed(2)
    for mod in (UnitaryCirculantConv1d(2, 16), UnitaryCirculantConv2d(2, (6, 8))):
        m = mod.matrix()
        eye = torch.eye(m.shape[-1]).expand_as(m)
        torch.testing.assert_close(m.transpose(1, 2) @ m, eye, atol=1e-5, rtol=0)


@pytest.mark.parametrize("ndim", [1, 2])
def test_complex_variant_is_the_full_spectrum_rotation(ndim):
    torch.manual_seed(3)
    size = (7,) if ndim == 1 else (4, 5)
    cls = UnitaryCirculantConv1d if ndim == 1 else UnitaryCirculantConv2d
    mod = cls(2, size[0] if ndim == 1 else size, complex_input=True, dtype=torch.float64)
    x = torch.randn(3, 2, *size, dtype=torch.complex128)
    y = mod(x)
    w = mod.omega.detach().numpy()
    axes = tuple(range(-ndim, 0))
    ref = np.fft.ifftn(np.fft.fftn(x.numpy(), axes=axes) * np.exp(1j * w), axes=axes)
    np.testing.assert_allclose(y.detach().numpy(), ref, atol=1e-12)
    m = mod.matrix().numpy()[0]
    np.testing.assert_allclose(m.conj().T @ m, np.eye(m.shape[0]), atol=1e-12)
    # eigenvalues of a circulant are the DFT of its first column: exactly e^{iω}
    if ndim == 1:
        np.testing.assert_allclose(np.fft.fft(m[:, 0]), np.exp(1j * w[0]), atol=1e-12)


@pytest.mark.parametrize("complex_input", [False, True])
def test_inverse_is_exact_and_is_the_conjugate_transpose(complex_input):
    torch.manual_seed(4)
    mod = UnitaryCirculantConv2d(3, (5, 6), complex_input=complex_input, dtype=torch.float64)
    dtype = torch.complex128 if complex_input else torch.float64
    x = torch.randn(2, 3, 5, 6, dtype=dtype)
    torch.testing.assert_close(mod.inverse(mod(x)), x, atol=1e-12, rtol=0)
    torch.testing.assert_close(mod(mod.inverse(x)), x, atol=1e-12, rtol=0)
    eye = torch.eye(30, dtype=dtype).reshape(30, 1, 5, 6).expand(30, 3, 5, 6)
    inv_cols = mod.inverse(eye.contiguous()).reshape(30, 3, 30).permute(1, 2, 0)
    torch.testing.assert_close(inv_cols, mod.matrix().conj().transpose(1, 2), atol=1e-12, rtol=0)


def test_norm_preserved_for_random_inputs_and_through_100_layers():
    torch.manual_seed(5)
    x = torch.randn(8, 4, 32)
    layers = [UnitaryCirculantConv1d(4, 32) for _ in range(100)]
    y = x
    with torch.no_grad():
        for layer in layers:
            y = layer(y)
            torch.testing.assert_close(y.norm(dim=-1), x.norm(dim=-1), rtol=1e-4, atol=0)
    assert not torch.allclose(y, x, atol=1e-2)  # it did rotate
    img = torch.randn(2, 3, 12, 10)
    with torch.no_grad():
        out = img
        for _ in range(100):
            out = UnitaryCirculantConv2d(3, (12, 10))(out)
    torch.testing.assert_close(out.norm(), img.norm(), rtol=1e-4, atol=0)


def test_zero_init_is_the_identity():
    x = torch.randn(2, 3, 6, 7)
    torch.testing.assert_close(UnitaryCirculantConv2d(3, (6, 7), init="zeros")(x), x)


def test_gradcheck_float64_real_and_complex():
    torch.manual_seed(6)
    x = torch.randn(2, 2, 6, dtype=torch.float64, requires_grad=True)
    w = torch.randn(2, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(unitary_circulant_conv1d, (x, w))
    x2 = torch.randn(1, 2, 4, 5, dtype=torch.float64, requires_grad=True)
    w2 = torch.randn(2, 4, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(unitary_circulant_conv2d, (x2, w2))
    z = torch.randn(1, 2, 5, dtype=torch.complex128, requires_grad=True)
    wz = torch.randn(2, 5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda a, b: unitary_circulant_conv1d(a, b, inverse=True), (z, wz)
    )


def test_self_conjugate_angles_snap_to_plus_minus_one_with_zero_gradient():
    w = torch.tensor([[3.0, 0.3, 0.5, 2.5, 2.0]], dtype=torch.float64, requires_grad=True)
    x = torch.randn(1, 1, 8, dtype=torch.float64)
    unitary_circulant_conv1d(x, w).square().sum().backward()
    assert w.grad[0, 0] == 0
    assert w.grad[0, 4] == 0
    assert (w.grad[0, 1:4] != 0).all()
    lam = UnitaryCirculantConv1d(1, 8, dtype=torch.float64)
    with torch.no_grad():
        lam.omega.copy_(w)
    eig = lam.eigenvalues()[0].detach()
    torch.testing.assert_close(eig[[0, 4]], torch.tensor([-1.0, -1.0], dtype=torch.complex128))


def test_low_precision_inputs_run_in_float32():
    mod = UnitaryCirculantConv1d(2, 8)
    x = torch.randn(1, 2, 8)
    y = mod(x.to(torch.bfloat16))
    assert y.dtype == torch.bfloat16
    torch.testing.assert_close(y.float(), mod(x), atol=5e-2, rtol=5e-2)


def test_errors_name_the_argument_and_value():
    mod = UnitaryCirculantConv1d(2, 8)
    with pytest.raises(TypeError, match=r"x should be real.*complex"):
        mod(torch.randn(1, 2, 8, dtype=torch.complex64))
    with pytest.raises(TypeError, match=r"x should be complex.*float32"):
        UnitaryCirculantConv1d(2, 8, complex_input=True)(torch.randn(1, 2, 8))
    with pytest.raises(ValueError, match=r"x should have shape \(N, C, L\).*\(2, 8\)"):
        mod(torch.randn(2, 8))
    with pytest.raises(ValueError, match=r"spatial size \(8,\).*\(9,\)"):
        mod(torch.randn(1, 2, 9))
    with pytest.raises(ValueError, match=r"omega should have shape \(2, 5\).*\(2, 4\)"):
        unitary_circulant_conv1d(torch.randn(1, 2, 8), torch.zeros(2, 4))
    with pytest.raises(ValueError, match="omega has 3 channels but x has 2"):
        unitary_circulant_conv2d(torch.randn(1, 2, 4, 4), torch.zeros(3, 4, 3))
    with pytest.raises(TypeError, match="omega should be a real floating-point"):
        unitary_circulant_conv1d(torch.randn(1, 2, 8), torch.zeros(2, 5, dtype=torch.complex64))
    with pytest.raises(ValueError, match="channels should be a positive int, got 0"):
        UnitaryCirculantConv1d(0, 8)
    with pytest.raises(ValueError, match=r"size should be \(H, W\), got 5"):
        UnitaryCirculantConv2d(2, 5)
    with pytest.raises(ValueError, match="init should be one of"):
        UnitaryCirculantConv1d(2, 8, init="normal")
    with pytest.raises(ValueError, match="too large"):
        UnitaryCirculantConv2d(1, (80, 80)).matrix()
