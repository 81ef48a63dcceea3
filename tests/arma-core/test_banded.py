"""method="banded" against dense linear solves built independently (numpy/scipy), gradcheck,
and the other methods; both the PyTorch sweeps and the numba kernels."""

import itertools

import numpy as np
import pytest
import scipy.linalg as sl
import torch
from oracles import dense_banded_solve

import arma_core
from arma_core import _banded_numba, ar_solve
from arma_core.banded import BandedARSolve
from arma_stability import cascade_taps, stable_coefficients

SHAPES = [(2, 3, 9), (1, 2, 8), (1, 2, 7, 7), (2, 1, 6, 9), (1, 2, 8, 8), (1, 2, 7, 5, 8)]
# several of the numba path's 8×8 transpose tiles plus ragged edges on the transposed last axis
SHAPES += [(1, 2, 17, 19), (1, 1, 3, 16, 11)]
PATHS = ["torch", "numba"]


needs_numba = pytest.mark.skipif(
    not _banded_numba.AVAILABLE, reason="numba not installed (the arma-core 'fast' extra)"
)


@pytest.fixture(params=[PATHS[0], pytest.param(PATHS[1], marks=needs_numba)])
def path(request):
    with arma_core.backend(request.param):
        yield request.param


def _coeffs(d, c, q, seed, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    return stable_coefficients(torch.randn(d, c, q, 2, generator=g, dtype=torch.float64) * scale)


CASES = [
    (shape, q, bd)
    for shape, q, bd in itertools.product(SHAPES, [1, 2, 3], ["circular", "zero"])
    if min(shape[2:]) >= 2 * q + 1
]


@pytest.mark.parametrize(("shape", "q", "boundary"), CASES)
def test_matches_dense_solve(shape, q, boundary, path):
    g = torch.Generator().manual_seed(sum(shape) + q)
    t = torch.randn(shape, generator=g, dtype=torch.float64)
    co = _coeffs(len(shape) - 2, shape[1], q, seed=q)
    y = ar_solve(t, co, boundary=boundary, method="banded").numpy()
    expected = dense_banded_solve(t.numpy(), co.numpy(), boundary == "circular")
    np.testing.assert_allclose(y, expected, rtol=1e-10, atol=1e-10 * np.abs(expected).max())


def test_zero_boundary_order1_is_the_banded_toeplitz_solve(path):
    # one stage: the exact zero boundary is scipy's banded solve of the cascade taps
    t = torch.randn(3, 2, 11, dtype=torch.float64)
    co = _coeffs(1, 2, 1, seed=5)
    y = ar_solve(t, co, boundary="zero", method="banded")
    for c in range(2):
        taps = cascade_taps(co[0])[c].numpy()  # (a_left, 1, a_right)
        ab = np.zeros((3, 11))
        ab[0, 1:], ab[1], ab[2, :-1] = taps[2], taps[1], taps[0]
        expected = sl.solve_banded((1, 1), ab, t[:, c].numpy().T).T
        np.testing.assert_allclose(y[:, c].numpy(), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("boundary", ["circular", "zero"])
@pytest.mark.parametrize("shape", [(2, 2, 7), (1, 2, 5, 6), (1, 1, 5, 5, 6)])
def test_gradcheck_float64(shape, boundary, path):
    g = torch.Generator().manual_seed(3)
    t = torch.randn(shape, generator=g, dtype=torch.float64, requires_grad=True)
    p = torch.randn(len(shape) - 2, shape[1], 2, 2, generator=g, dtype=torch.float64) * 0.7
    p.requires_grad_(True)

    def f(t, p):
        return ar_solve(t, stable_coefficients(p), boundary=boundary, method="banded")

    assert torch.autograd.gradcheck(f, (t, p))


@pytest.mark.parametrize("q", [1, 2, 3])
@pytest.mark.parametrize("shape", [(2, 3, 16), (2, 3, 9, 12), (1, 2, 7, 8, 9)])
def test_circular_banded_equals_matmul_and_fft(shape, q, path):
    g = torch.Generator().manual_seed(q)
    t = torch.randn(shape, generator=g, dtype=torch.float64, requires_grad=True)
    co = _coeffs(len(shape) - 2, shape[1], q, seed=7).requires_grad_(True)
    grad = torch.randn(shape, generator=g, dtype=torch.float64)
    results = {}
    for m in ("banded", "matmul", "fft"):
        y = ar_solve(t, co, method=m)
        results[m] = (y, *torch.autograd.grad(y, (t, co), grad))
    for m in ("matmul", "fft"):
        for a, b in zip(results["banded"], results[m], strict=True):
            torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)


@needs_numba
@pytest.mark.parametrize("boundary", ["circular", "zero"])
def test_numba_kernels_equal_torch_sweeps_in_float32(boundary):
    g = torch.Generator().manual_seed(0)
    t = torch.randn(2, 4, 12, 10, generator=g, requires_grad=True)
    co = _coeffs(2, 4, 2, seed=1).float().requires_grad_(True)
    grad = torch.randn(2, 4, 12, 10, generator=g)
    out = {}
    for enabled in (False, True):
        with arma_core.backend("numba" if enabled else "torch"):
            y = BandedARSolve.apply(t, co, boundary == "circular")
            out[enabled] = (y, *torch.autograd.grad(y, (t, co), grad))
    for a, b in zip(out[False], out[True], strict=True):  # float32 rounding, scaled to the values
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5 * float(b.detach().abs().max()))


def test_zero_boundary_differs_from_circular_only_near_the_edges():
    t = torch.zeros(1, 1, 64, dtype=torch.float64)
    t[0, 0, 32] = 1.0  # impulse far from the edges: both boundaries agree to the decay
    co = torch.tensor([[[[0.3, 0.3]]]], dtype=torch.float64)
    zero = ar_solve(t, co, boundary="zero", method="banded")
    circ = ar_solve(t, co, boundary="circular", method="banded")
    torch.testing.assert_close(zero, circ, atol=1e-9, rtol=0)
    t = torch.roll(t, -32, dims=-1)  # impulse at the left edge: circular wraps it round
    zero = ar_solve(t, co, boundary="zero", method="banded")
    circ = ar_solve(t, co, boundary="circular", method="banded")
    assert abs(float(circ[0, 0, -1])) > 0.1
    assert float(zero[0, 0, -8:].abs().max()) < 1e-3


@pytest.mark.parametrize("shape", [(1, 1, 7), (2, 3, 7), (1, 1, 5, 6)])
def test_input_is_not_modified(shape, path):
    t = torch.randn(shape, dtype=torch.float64, requires_grad=True)
    before = t.detach().clone()
    co = _coeffs(len(shape) - 2, shape[1], 2, seed=0)
    g = torch.randn(shape, dtype=torch.float64)
    gb = g.clone()
    y = ar_solve(t, co, method="banded")
    y.backward(g)
    assert torch.equal(t.detach(), before)
    assert torch.equal(g, gb)


@pytest.mark.parametrize("boundary", ["circular", "zero"])
@pytest.mark.parametrize("shape", [(2, 3, 9), (1, 2, 7, 8), (1, 2, 5, 6, 7)])
def test_overwrite_input_gives_the_same_values_and_grads(shape, boundary, path):
    g = torch.Generator().manual_seed(11)
    x = torch.randn(shape, generator=g, dtype=torch.float64, requires_grad=True)
    co = _coeffs(len(shape) - 2, shape[1], 2, seed=3).requires_grad_(True)
    grad = torch.randn(shape, generator=g, dtype=torch.float64)
    results = {}
    for overwrite in (False, True):
        t = x * 1.0  # an intermediate, as a convolution's output is
        ptr = t.data_ptr()
        y = ar_solve(t, co, boundary=boundary, method="banded", overwrite_input=overwrite)
        results[overwrite] = (y, *torch.autograd.grad(y, (x, co), grad))
        if overwrite and path == "numba":  # the compiled path writes Y over T
            assert y.data_ptr() == ptr
        if not overwrite:
            assert y.data_ptr() != ptr
    for a, b in zip(results[False], results[True], strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
    y = results[False][0].detach().numpy()
    expected = dense_banded_solve(x.detach().numpy(), co.detach().numpy(), boundary == "circular")
    np.testing.assert_allclose(y, expected, rtol=1e-10, atol=1e-10 * np.abs(expected).max())


def test_overwrite_input_leaves_a_leaf_that_requires_grad_alone(path):
    t = torch.randn(1, 2, 7, 7, dtype=torch.float64, requires_grad=True)
    before = t.detach().clone()
    co = _coeffs(2, 2, 1, seed=0)
    y = ar_solve(t, co, method="banded", overwrite_input=True)
    y.sum().backward()
    assert torch.equal(t.detach(), before)
    assert t.grad is not None


@needs_numba
def test_overwrite_input_makes_a_later_use_of_the_old_input_fail_loudly():
    x = torch.randn(1, 2, 7, 7, dtype=torch.float64, requires_grad=True)
    t = x.exp()  # exp saves its output t for backward
    ar_solve(t, _coeffs(2, 2, 1, seed=0), method="banded", overwrite_input=True)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        t.sum().backward()


@pytest.mark.parametrize("bad", [1, "yes", None])
def test_overwrite_input_must_be_a_bool(bad):
    with pytest.raises(TypeError, match="overwrite_input should be a bool"):
        ar_solve(torch.randn(1, 1, 7), torch.zeros(1, 1, 1, 2), overwrite_input=bad)


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (8, 8), (8, 13), (16, 24), (17, 33), (64, 64)])
def test_numba_tiled_transpose_equals_numpy(shape, dtype):
    import numba

    from arma_core import _banded_numba_kernels as k

    @numba.njit
    def transpose(src, dst):
        k._transpose(src, dst)

    src = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    dst = np.full(shape[::-1], np.nan, dtype=dtype)
    transpose(src, dst)
    np.testing.assert_array_equal(dst, src.T)
