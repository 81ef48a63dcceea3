"""The ARMA layers' fused convolution + banded AR node (arma_core._conv_ar) on CPU with numba.

Oracle: the unfused layer (nn.ConvNd's convolution, then ``ar_solve``; each tested on its own
against nn.ConvNd and dense solves), which runs the same ops in the same order, so the results
must be bit-identical; plus ``gradcheck`` in float64 and a dense solve.
"""

import pytest
import torch
from torch import nn

import arma_core
from arma_core import ARMA1d, ARMA2d, ARMA3d, _conv_ar, ar_solve, release_workspace

pytest.importorskip("numba")
# nn.Conv2d's own warning for padding="same" with an even kernel (the unfused oracle)
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")

F64 = torch.float64
CASES = [
    (ARMA1d, (2, 3, 11), {"kernel_size": 3, "padding": 1}),
    (ARMA1d, (2, 3, 12), {"kernel_size": 4, "stride": 2, "padding": "valid", "bias": False}),
    (ARMA2d, (2, 3, 9, 10), {"kernel_size": 3, "padding": 1}),
    (ARMA2d, (2, 3, 13, 12), {"kernel_size": (3, 5), "stride": 2, "padding": (1, 2)}),
    (ARMA2d, (2, 3, 9, 10), {"kernel_size": (3, 4), "padding": "same"}),  # asymmetric split
    (ARMA2d, (2, 3, 9, 10), {"kernel_size": 3, "dilation": 2, "padding": "same"}),
    (ARMA2d, (2, 3, 9, 10), {"kernel_size": 3, "padding": 2, "padding_mode": "reflect"}),
    (ARMA2d, (2, 3, 9, 10), {"kernel_size": 3, "padding": 1, "padding_mode": "circular"}),
    (ARMA2d, (2, 4, 9, 10), {"kernel_size": 1, "groups": 2, "bias": False}),
    (ARMA3d, (1, 2, 5, 6, 7), {"kernel_size": 3, "padding": 1, "padding_mode": "replicate"}),
]


def _layer(cls, x_shape, kwargs, boundary="circular", q=1, dtype=F64, seed=0):
    torch.manual_seed(seed)
    cin = x_shape[1]
    return cls(cin, 4, **kwargs, ar_order=q, ar_init=0.4, boundary=boundary, dtype=dtype)


def _run(layer, x, grad):
    y = layer(x)
    params = [p for p in (x, layer.weight, layer.bias, layer.ar_weight) if p is not None]
    return y.detach(), torch.autograd.grad(y, params, grad)


def _unfused_forward(layer, x):
    """nn.ConvNd's convolution, then the AR solve (the banded numba kernel, in place)."""
    t = layer._conv_forward(x, layer.weight, layer.bias)
    co = layer.ar_coefficients()
    return ar_solve(t, co, boundary=layer.boundary, method=layer.method, overwrite_input=True)


def _unfused(layer, x, grad):
    y = _unfused_forward(layer, x)
    assert "ConvARSolve" not in type(y.grad_fn).__name__
    params = [p for p in (x, layer.weight, layer.bias, layer.ar_weight) if p is not None]
    return y.detach(), torch.autograd.grad(y, params, grad)


@pytest.mark.parametrize(("cls", "x_shape", "kwargs"), CASES)
@pytest.mark.parametrize("boundary", ["circular", "zero"])
@pytest.mark.parametrize("dtype", [torch.float32, F64])
def test_fused_equals_unfused_bit_for_bit(cls, x_shape, kwargs, boundary, dtype):
    layer = _layer(cls, x_shape, kwargs, boundary, q=2 if cls is ARMA1d else 1, dtype=dtype)
    x = torch.randn(x_shape, dtype=dtype, requires_grad=True)
    y = layer(x)
    assert type(y.grad_fn).__name__ == "ConvARSolveBackward"
    grad = torch.randn_like(y)
    y_f, g_f = _run(layer, x, grad)
    y_u, g_u = _unfused(layer, x, grad)
    torch.testing.assert_close(y_f, y_u, rtol=0, atol=0)
    for a, b in zip(g_f, g_u, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


@pytest.mark.parametrize("boundary", ["circular", "zero"])
def test_fused_gradcheck_float64(boundary):
    layer = _layer(ARMA2d, (1, 2, 6, 7), {"kernel_size": 3, "padding": 1}, boundary, q=2)
    x = torch.randn(1, 2, 6, 7, dtype=F64, requires_grad=True)
    params = (x, layer.weight, layer.bias, layer.ar_weight)

    def fn(x, w, b, a):
        return torch.func.functional_call(
            layer, {"weight": w, "bias": b, "ar_weight": a}, (x,), strict=True
        )

    # functional_call keeps plain tensors (not functorch-wrapped): the fused node runs
    assert type(fn(*params).grad_fn).__name__ == "ConvARSolveBackward"
    assert torch.autograd.gradcheck(fn, params)


def test_fused_layer_equals_conv_then_dense_solve():
    from oracles import dense_solve

    layer = _layer(ARMA2d, (2, 3, 8, 9), {"kernel_size": 3, "padding": 1}, q=2)
    x = torch.randn(2, 3, 8, 9, dtype=F64)
    t = nn.functional.conv2d(x, layer.weight, layer.bias, padding=1)
    expected = dense_solve(t.detach().numpy(), layer.ar_coefficients().detach().numpy())
    torch.testing.assert_close(layer(x).detach(), torch.from_numpy(expected))


def test_workspace_is_reused_and_never_returned():
    """Backward after backward (smaller, then larger output) gives the unfused grads each time;
    no gradient shares memory with the workspace, which persists between calls."""
    release_workspace()
    layer = _layer(ARMA2d, (2, 3, 9, 10), {"kernel_size": 3, "padding": 1}, dtype=torch.float32)
    shapes = [(2, 3, 9, 10), (1, 3, 7, 8), (3, 3, 11, 10), (2, 3, 9, 10)]
    ptrs = set()
    for shape in shapes:
        x = torch.randn(shape, requires_grad=True)
        grad = torch.randn(shape[0], 4, *shape[2:])
        y_f, g_f = _run(layer, x, grad)
        buf = _conv_ar._local.buffers[torch.float32]
        ptrs.add(buf.data_ptr())
        for g in g_f:
            assert g.untyped_storage().data_ptr() != buf.untyped_storage().data_ptr()
        y_u, g_u = _unfused(layer, x, grad)
        for a, b in zip((y_f, *g_f), (y_u, *g_u), strict=True):
            torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert len(ptrs) == 2  # allocated once, grown once for the larger map, reused otherwise
    assert _conv_ar._local.buffers[torch.float32].numel() == 3 * 4 * 11 * 10
    release_workspace()
    assert _conv_ar._local.buffers == {}


def test_retain_graph_backward_twice_gives_the_same_grads():
    layer = _layer(ARMA2d, (2, 3, 9, 10), {"kernel_size": 3, "padding": 1}, "zero", q=2)
    x = torch.randn(2, 3, 9, 10, dtype=F64, requires_grad=True)
    y = layer(x)
    grad = torch.randn_like(y)
    first = torch.autograd.grad(y, (x, layer.ar_weight), grad, retain_graph=True)
    second = torch.autograd.grad(y, (x, layer.ar_weight), grad)
    for a, b in zip(first, second, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_double_backward_fails_loudly():
    layer = _layer(ARMA2d, (1, 2, 6, 7), {"kernel_size": 3, "padding": 1})
    x = torch.randn(1, 2, 6, 7, dtype=F64, requires_grad=True)
    (gx,) = torch.autograd.grad(layer(x).square().sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="once_differentiable"):
        gx.sum().backward()


def test_unbatched_input_and_partial_grads():
    layer = _layer(ARMA2d, (2, 3, 9, 10), {"kernel_size": 3, "padding": 1})
    x = torch.randn(3, 9, 10, dtype=F64)
    y = layer(x)
    assert y.shape == (4, 9, 10)
    assert type(y.grad_fn.next_functions[0][0]).__name__ == "ConvARSolveBackward"
    torch.testing.assert_close(y, layer(x.unsqueeze(0)).squeeze(0), rtol=0, atol=0)
    layer.weight.requires_grad_(False)
    y.sum().backward()  # only bias and ar_weight need grads
    assert layer.weight.grad is None
    assert layer.bias.grad is not None
    assert layer.ar_weight.grad is not None


def test_saved_tensors_are_those_of_the_unfused_layer():
    """Input, weight, Y and the coefficients (the unfused layer also keeps a few tiny tensors
    of its checks' graph, which the fused node runs without grad)."""

    def saved(forward, x):
        sizes = []

        def pack(t):
            sizes.append(t.untyped_storage().nbytes())
            return t

        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            forward(x)
        return sorted(sizes)

    layer = _layer(ARMA2d, (2, 3, 9, 10), {"kernel_size": 3, "padding": 1})
    x = torch.randn(2, 3, 9, 10, dtype=F64, requires_grad=True)
    fused = saved(layer, x)
    unfused = saved(lambda x: _unfused_forward(layer, x), x)
    coefficient_bytes = layer.ar_weight.numel() * 8
    assert [n for n in fused if n > coefficient_bytes] == [
        n for n in unfused if n > coefficient_bytes
    ]
    assert sum(fused) <= sum(unfused)


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        ({"method": "fft"}, "method"),
        ({"ar_order": 0}, "ar_order"),
        ({}, "autocast"),
        ({}, "numba off"),
    ],
)
def test_unfused_where_the_node_does_not_apply(setup, reason):
    kwargs = {"ar_init": 0.3, **setup}
    layer = ARMA2d(2, 3, 3, padding=1, **kwargs)
    x = torch.randn(1, 2, 8, 8, requires_grad=True)
    if reason == "numba off":
        with arma_core.backend("torch"):
            y = layer(x)
    elif reason == "autocast":
        with torch.autocast("cpu", dtype=torch.bfloat16):
            y = layer(x)
    else:
        y = layer(x)
    assert type(y.grad_fn).__name__ != "ConvARSolveBackward"


def test_a_subclass_that_changes_the_convolution_keeps_it():
    class Standardised(ARMA2d):
        def _conv_forward(self, input, weight, bias):
            w = (weight - weight.mean()) / weight.std()
            return super()._conv_forward(input, w, bias)

    torch.manual_seed(0)
    layer = Standardised(2, 3, 3, padding=1, ar_init=0.3)
    x = torch.randn(1, 2, 8, 8)
    y = layer(x)
    assert type(y.grad_fn).__name__ != "ConvARSolveBackward"
    w = (layer.weight - layer.weight.mean()) / layer.weight.std()
    t = nn.functional.conv2d(x, w, layer.bias, padding=1)
    from arma_core import ar_solve

    torch.testing.assert_close(y, ar_solve(t, layer.ar_coefficients()))
