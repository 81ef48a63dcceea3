"""The Triton banded solve (arma_core._banded_triton) against independent oracles.

Runs on CPU tensors under ``TRITON_INTERPRET=1`` (the ``triton`` nox session sets it before
Python starts, as Triton reads it when a kernel is defined), or on CUDA tensors where a GPU is
present; skipped otherwise. Oracles: a dense solve of the stage matrices built with numpy,
``gradcheck`` in float64, and the PyTorch reference sweeps (``backend("torch")``). Sizes are
small: the interpreter runs every kernel instruction in numpy.
"""

from __future__ import annotations

import itertools

import pytest
import torch
from oracles import dense_banded_solve

import arma_core
from arma_core import _banded_triton, ar_solve
from arma_stability import stable_coefficients

if _banded_triton.interpreting():
    DEVICE = "cpu"
elif torch.cuda.is_available():
    DEVICE = "cuda"
else:
    DEVICE = None
pytestmark = [
    pytest.mark.skipif(
        DEVICE is None or not _banded_triton.AVAILABLE,
        reason="needs triton with CUDA, or TRITON_INTERPRET=1 (nox -s triton)",
    ),
    # on a GPU these are device tests: `nox -s gpu` (-m gpu) runs them, the CPU sessions do not
    *([pytest.mark.gpu] if DEVICE == "cuda" else []),
]

F64 = torch.float64
BOUNDARIES = ["circular", "zero"]
# odd, even and non-square maps; 1D, 2D and 3D; every axis at least 2Q+1 = 7 long
SHAPES = [(2, 3, 9), (1, 2, 7, 10), (2, 1, 8, 7), (1, 2, 7, 8, 9)]


def _coeffs(d: int, c: int, q: int, seed: int, dtype=F64) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    raw = torch.randn(d, c, q, 2, generator=g, dtype=F64)
    return stable_coefficients(raw).to(device=DEVICE, dtype=dtype)


def _randn(shape, seed: int, dtype=F64) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(shape, generator=g, dtype=F64).to(device=DEVICE, dtype=dtype)


def _triton(t, co, boundary, **kw):
    """``ar_solve`` with the Triton kernels (asserting that they are the ones that run)."""
    with arma_core.backend("triton"):
        work = t.detach().to(F64 if t.dtype == F64 else torch.float32)  # what the kernels get
        assert arma_core.backends.kernel_for(work) == "triton"
        return ar_solve(t, co, boundary=boundary, method="banded", **kw)


def _reference(t, co, boundary, **kw):
    with arma_core.backend("torch"):
        return ar_solve(t, co, boundary=boundary, method="banded", **kw)


@pytest.mark.parametrize(
    ("shape", "q", "boundary"), list(itertools.product(SHAPES, [1, 2, 3], BOUNDARIES))
)
def test_forward_matches_the_dense_solve(shape, q, boundary):
    t = _randn(shape, 0)
    co = _coeffs(len(shape) - 2, shape[1], q, seed=q)
    y = _triton(t, co, boundary)
    expected = dense_banded_solve(t.cpu().numpy(), co.cpu().numpy(), boundary == "circular")
    torch.testing.assert_close(y.cpu(), torch.from_numpy(expected), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(
    ("shape", "q", "boundary"),
    [((1, 2, 7), 2, "circular"), ((1, 2, 7), 3, "zero"), ((1, 1, 5, 6), 2, "circular"),
     ((1, 2, 6, 5), 1, "zero"), ((1, 1, 3, 4, 5), 1, "circular"), ((1, 1, 5, 3, 4), 1, "zero")],
)  # fmt: skip
def test_gradcheck_float64(shape, q, boundary):
    t = _randn(shape, 1).requires_grad_(True)
    co = _coeffs(len(shape) - 2, shape[1], q, seed=2).requires_grad_(True)
    # fast mode: random projections of the Jacobian (a few solves, not one per input element)
    assert torch.autograd.gradcheck(lambda t, co: _triton(t, co, boundary), (t, co), fast_mode=True)


@pytest.mark.parametrize(("shape", "boundary"), list(itertools.product(SHAPES, BOUNDARIES)))
def test_float32_values_and_grads_match_the_reference_sweeps(shape, boundary):
    t = _randn(shape, 3, torch.float32).requires_grad_(True)
    co = _coeffs(len(shape) - 2, shape[1], 2, seed=4, dtype=torch.float32).requires_grad_(True)
    grad = _randn(shape, 5, torch.float32)
    out = []
    for solve in (_triton, _reference):
        y = solve(t, co, boundary)
        out.append((y, *torch.autograd.grad(y, (t, co), grad)))
    for a, b in zip(*out, strict=True):  # float32 rounding, scaled to the values
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5 * float(b.detach().abs().max()))


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_autocast_solves_in_float32_and_returns_the_autocast_dtype(dtype, boundary):
    t = _randn((2, 3, 8, 9), 6, torch.float32).requires_grad_(True)
    co = _coeffs(2, 3, 2, seed=7, dtype=torch.float32)
    with torch.autocast(DEVICE, dtype=dtype):
        y = _triton(t, co, boundary)
    assert y.dtype == dtype
    expected = _reference(t.detach(), co, boundary)
    torch.testing.assert_close(y.float(), expected, rtol=1e-2, atol=1e-2)
    y.float().sum().backward()
    assert t.grad is not None
    assert t.grad.dtype == torch.float32
    assert torch.isfinite(t.grad).all()


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_half_inputs_outside_autocast_keep_their_dtype(dtype):
    t = _randn((1, 2, 9, 8), 8, dtype)
    co = _coeffs(2, 2, 1, seed=9, dtype=dtype)
    y = _triton(t, co, "zero")
    assert y.dtype == dtype
    expected = _reference(t.float(), co.float(), "zero")
    torch.testing.assert_close(y.float(), expected, rtol=1e-2, atol=1e-2)


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_non_contiguous_inputs(boundary):
    base = _randn((2, 3, 10, 9), 10)
    co = _coeffs(2, 3, 2, seed=11)
    for t in (base.transpose(-1, -2), base[:, :, ::2], base.permute(0, 1, 3, 2)[..., 1:]):
        assert not t.is_contiguous()
        expected = dense_banded_solve(t.cpu().numpy(), co.cpu().numpy(), boundary == "circular")
        torch.testing.assert_close(
            _triton(t, co, boundary).cpu(), torch.from_numpy(expected), rtol=1e-10, atol=1e-10
        )


def test_partial_grads_and_the_saved_tensors():
    """Only ``Y`` and the coefficients are saved; the input's gradient alone, or the
    coefficients' alone, equal the full backward's."""
    t = _randn((2, 3, 8, 9), 12).requires_grad_(True)
    co = _coeffs(2, 3, 2, seed=13).requires_grad_(True)
    saved = []
    with torch.autograd.graph.saved_tensors_hooks(lambda x: saved.append(x) or x, lambda x: x):
        y = _triton(t, co, "zero", validate=False)  # (the checks keep tiny tensors of their own)
    assert sorted(tuple(s.shape) for s in saved) == sorted([tuple(y.shape), tuple(co.shape)])
    grad = _randn(y.shape, 14)
    both = torch.autograd.grad(y, (t, co), grad, retain_graph=True)
    (gt,) = torch.autograd.grad(y, t, grad, retain_graph=True)
    (gco,) = torch.autograd.grad(y, co, grad)
    torch.testing.assert_close(gt, both[0], rtol=0, atol=0)
    torch.testing.assert_close(gco, both[1], rtol=0, atol=0)


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_layers_with_the_triton_backend_match_the_reference(boundary):
    """ARMA1d/2d/3d through ``arma_conv`` (method "auto"): Triton where selected."""
    for cls, shape in ((arma_core.ARMA1d, (2, 3, 11)), (arma_core.ARMA2d, (2, 3, 9, 8)),
                       (arma_core.ARMA3d, (1, 3, 7, 8, 7))):  # fmt: skip
        torch.manual_seed(0)
        layer = cls(3, 4, 3, padding=1, ar_order=2, ar_init=0.4, boundary=boundary, dtype=F64)
        layer = layer.to(DEVICE)
        x = _randn(shape, 15).requires_grad_(True)
        out = []
        for name in ("triton", "torch"):
            with arma_core.backend(name):
                y = layer(x)
                grads = torch.autograd.grad(y.square().sum(), (x, layer.weight, layer.ar_weight))
            out.append((y, *grads))
        for a, b in zip(*out, strict=True):
            torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)


def test_auto_picks_triton_only_on_cuda_tensors():
    t = _randn((1, 2, 8, 8), 16)
    if DEVICE == "cuda":
        expected = "triton"
    else:  # the interpreter is for tests: "auto" keeps numba (or the sweeps) on CPU tensors
        expected = "numba" if arma_core._banded_numba.usable(t) else "torch"
    with arma_core.backend("auto"):
        assert arma_core.backends.kernel_for(t) == expected
        method = arma_core.solve.choose_method("auto", "circular", t)
    assert method == ("matmul" if expected == "torch" else "banded")


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_compile_fullgraph_and_export_of_arma2d_trace_the_triton_op(boundary):
    """No graph break: the custom op's fake implementation traces; the compiled and exported
    programs call the Triton op and give the eager values."""
    torch.manual_seed(0)
    layer = arma_core.ARMA2d(3, 4, 3, padding=1, ar_order=2, ar_init=0.3, boundary=boundary)
    layer = layer.to(DEVICE)
    x = _randn((2, 3, 9, 8), 17, torch.float32)
    with arma_core.backend("triton"):
        expected = layer(x)
        torch._dynamo.reset()
        compiled = torch.compile(layer, fullgraph=True, backend="aot_eager")
        torch.testing.assert_close(compiled(x), expected)
        program = torch.export.export(layer, (x,))
    targets = {str(node.target) for node in program.graph.nodes}
    assert "arma_core.banded_solve.default" in targets, targets
    with arma_core.backend("torch"):  # the exported program calls the op whatever the setting
        torch.testing.assert_close(program.module()(x), expected)
