import itertools

import numpy as np
import pytest
import torch
from oracles import dense_solve, separable_solve

from arma_core import ar_solve, ar_solve1d, ar_solve2d, ar_solve3d
from arma_stability import stable_coefficients

SHAPES = [(2, 3, 9), (1, 2, 5, 7), (3, 1, 6, 9), (2, 2, 5, 6, 7)]
METHODS = ["fft", "matmul"]


def _coeffs(d, c, q, seed, scale=1.0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    return stable_coefficients(torch.randn(d, c, q, 2, generator=g, dtype=dtype) * scale)


@pytest.mark.parametrize(("shape", "q", "method"), list(itertools.product(SHAPES, [1, 2], METHODS)))
def test_matches_dense_circulant_solve(shape, q, method):
    g = torch.Generator().manual_seed(sum(shape) + q)
    t = torch.randn(shape, generator=g, dtype=torch.float64)
    co = _coeffs(len(shape) - 2, shape[1], q, seed=q)
    y = ar_solve(t, co, method=method).numpy()
    expected = dense_solve(t.numpy(), co.numpy())
    np.testing.assert_allclose(y, expected, rtol=1e-9, atol=1e-9 * np.abs(expected).max())


@pytest.mark.parametrize(("shape", "q", "method"), list(itertools.product(SHAPES, [1, 2], METHODS)))
def test_gradcheck_float64(shape, q, method):
    g = torch.Generator().manual_seed(1)
    t = torch.randn(shape, generator=g, dtype=torch.float64, requires_grad=True)
    p = torch.randn(len(shape) - 2, shape[1], q, 2, generator=g, dtype=torch.float64) * 0.7
    p.requires_grad_(True)

    def f(t, p):
        return ar_solve(t, stable_coefficients(p), method=method)

    # 3D: random-projection gradcheck (same oracle, far fewer finite differences)
    assert torch.autograd.gradcheck(f, (t, p), fast_mode=len(shape) == 5)


@pytest.mark.parametrize("method", METHODS)
def test_gradgrad_not_required_but_first_order_grads_need_only_one_input(method):
    t = torch.randn(2, 3, 6, 7, dtype=torch.float64)
    p = torch.zeros(2, 3, 1, 2, dtype=torch.float64, requires_grad=True)
    ar_solve(t, stable_coefficients(p), method=method).square().sum().backward()
    assert p.grad is not None
    assert torch.isfinite(p.grad).all()


@pytest.mark.parametrize("size", [(8, 8), (17, 12), (64, 64), (33, 96)])
@pytest.mark.parametrize("q", [1, 2])
def test_fft_and_matmul_paths_agree_float32(size, q):
    g = torch.Generator().manual_seed(3)
    t = torch.randn(2, 4, *size, generator=g)
    co = _coeffs(2, 4, q, seed=5, scale=1.0, dtype=torch.float32)
    t1 = t.clone().requires_grad_(True)
    t2 = t.clone().requires_grad_(True)
    c1 = co.clone().requires_grad_(True)
    c2 = co.clone().requires_grad_(True)
    y1 = ar_solve(t1, c1, method="fft")
    y2 = ar_solve(t2, c2, method="matmul")
    scale = float(y1.detach().abs().max())  # float32 error grows with the filter's condition number
    torch.testing.assert_close(y1, y2, rtol=0, atol=1e-5 * scale)
    w = torch.randn_like(y1)
    (y1 * w).sum().backward()
    (y2 * w).sum().backward()
    torch.testing.assert_close(t1.grad, t2.grad, rtol=0, atol=1e-5 * float(t1.grad.abs().max()))
    torch.testing.assert_close(c1.grad, c2.grad, rtol=0, atol=1e-4 * float(c1.grad.abs().max()))


def test_zero_stages_is_identity():
    t = torch.randn(2, 3, 5, 5)
    assert ar_solve2d(t, torch.zeros(2, 3, 0, 2)) is t


@pytest.mark.parametrize("method", METHODS)
def test_zero_boundary_matches_a_solve_on_a_much_larger_domain(method):
    g = torch.Generator().manual_seed(2)
    t = torch.randn(1, 2, 9, 11, generator=g, dtype=torch.float64)
    co = torch.tensor(
        [[[[-0.5, 0.1]], [[0.3, 0.3]]], [[[0.2, -0.4]], [[-0.6, 0.0]]]], dtype=torch.float64
    )  # (D=2, C=2, Q=1, 2)
    y = ar_solve2d(t, co, boundary="zero", method=method).numpy()
    big = 60  # zero-extend T far beyond the filter's decay, solve exactly, crop
    t_big = np.pad(t.numpy(), ((0, 0), (0, 0), (big, big), (big, big)))
    expected = separable_solve(t_big, co.numpy())[:, :, big:-big, big:-big]
    np.testing.assert_allclose(y, expected, atol=1e-5)
    circular = ar_solve2d(t, co).numpy()
    assert np.abs(circular - expected).max() > 1e-3  # the two boundaries really differ


def test_zero_boundary_respects_max_pad():
    t = torch.randn(1, 1, 20)
    co = torch.tensor([[[[-0.98, 0.0]]]])
    y = ar_solve1d(t, co, boundary="zero", max_pad=3)
    assert y.shape == t.shape


def test_dims_specific_wrappers():
    assert ar_solve1d(torch.randn(2, 3, 8), torch.zeros(1, 3, 1, 2)).shape == (2, 3, 8)
    assert ar_solve3d(torch.randn(1, 2, 4, 5, 6), torch.zeros(3, 2, 1, 2)).shape == (1, 2, 4, 5, 6)
    with pytest.raises(ValueError, match=r"4D \(N, C, H, W\)"):
        ar_solve2d(torch.randn(2, 3, 8), torch.zeros(1, 3, 1, 2))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_is_solved_in_float32(dtype):
    t = torch.randn(2, 3, 8, 8)
    co = _coeffs(2, 3, 1, seed=0, dtype=torch.float32)
    y = ar_solve2d(t.to(dtype), co)
    assert y.dtype == dtype
    torch.testing.assert_close(y.float(), ar_solve2d(t.to(dtype).float(), co), rtol=1e-2, atol=1e-2)


def test_sequence_of_axis_coefficients_is_accepted():
    t = torch.randn(1, 2, 6, 7)
    co = _coeffs(2, 2, 1, seed=0, dtype=torch.float32)
    torch.testing.assert_close(ar_solve2d(t, [co[0], co[1]]), ar_solve2d(t, co))
