import itertools

import pytest
import torch
from multires_reference import appendix_b_fading, uniform_per_step

from multires_core import (
    MultiresConv1d,
    MultiresLayer,
    default_depth,
    multires_conv,
    multires_kernel,
)

METHODS = ["tree", "fft"]


def _params(c, k, cols, seed, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    h0 = torch.randn(c, k, generator=g, dtype=dtype) * 0.6
    h1 = torch.randn(c, k, generator=g, dtype=dtype) * 0.6
    w = torch.randn(c, cols, generator=g, dtype=dtype)
    return h0, h1, w


@pytest.mark.parametrize(
    ("k", "length", "method"), list(itertools.product([2, 3, 4], [1, 16, 37, 100], METHODS))
)
def test_fading_matches_appendix_b(k, length, method):
    depth = default_depth(length, k)
    h0, h1, w = _params(3, k, depth + 2, seed=k * length)
    x = torch.randn(2, 3, length, dtype=torch.float64)
    ref = appendix_b_fading(x, h0[:, None], h1[:, None], w, depth)
    y = multires_conv(x, h0, h1, w, method=method)
    torch.testing.assert_close(y, ref, rtol=1e-10, atol=1e-10 * float(ref.abs().max()))


@pytest.mark.parametrize("method", METHODS)
def test_fading_matches_appendix_b_float32_to_1e6(method):
    torch.manual_seed(0)
    m = MultiresConv1d(8, 2, seq_len=1024)  # the paper's init scale keeps values O(1)
    x = torch.randn(4, 8, 1024)
    with torch.no_grad():
        ref = appendix_b_fading(x, m.h0[:, None], m.h1[:, None], m.weight)
        y = multires_conv(x, m.h0, m.h1, m.weight, method=method)
    torch.testing.assert_close(y, ref, rtol=0, atol=1e-6 * max(1.0, float(ref.abs().max())))


@pytest.mark.parametrize(
    ("k", "memory_size", "method"), list(itertools.product([2, 3, 4], [1, 5, 12, 60], METHODS))
)
def test_uniform_matches_per_step_reference(k, memory_size, method):
    length, depth = 40, default_depth(40, k)
    h0, h1, w = _params(2, k, memory_size + 1, seed=memory_size + k)
    x = torch.randn(2, 2, length, dtype=torch.float64)
    ref = uniform_per_step(x, h0[:, None], h1[:, None], w, depth, memory_size)
    y = multires_conv(x, h0, h1, w, depth, "uniform", memory_size, method)
    torch.testing.assert_close(y, ref, rtol=1e-10, atol=1e-10 * float(ref.abs().max()))


@pytest.mark.parametrize(
    ("tree_select", "method"), list(itertools.product(["fading", "uniform"], METHODS))
)
def test_gradcheck_float64(tree_select, method):
    k, length, depth, mem = 3, 11, 3, 6
    cols = depth + 2 if tree_select == "fading" else mem + 1
    h0, h1, w = _params(2, k, cols, seed=1)
    x = torch.randn(2, 2, length, dtype=torch.float64)
    inputs = tuple(t.clone().requires_grad_(True) for t in (x, h0, h1, w))

    def f(x, h0, h1, w):
        return multires_conv(x, h0, h1, w, depth, tree_select, mem, method)

    assert torch.autograd.gradcheck(f, inputs)


@pytest.mark.parametrize(
    ("tree_select", "method"), list(itertools.product(["fading", "uniform"], METHODS))
)
def test_causal(tree_select, method):
    m = MultiresConv1d(3, 3, seq_len=64, tree_select=tree_select, memory_size=10, method=method)
    x = torch.randn(2, 3, 64)
    x2 = x.clone()
    x2[..., 31:] = torch.randn(2, 3, 33) * 100
    y, y2 = m(x), m(x2)
    torch.testing.assert_close(y[..., :31], y2[..., :31])
    assert (y[..., 31:] - y2[..., 31:]).abs().max() > 1


def test_kernel_is_the_impulse_response_and_convolution_applies_it():
    h0, h1, w = _params(2, 2, default_depth(20, 2) + 2, seed=3)
    k = multires_kernel(h0, h1, w, 20, default_depth(20, 2))
    x = torch.randn(1, 2, 20, dtype=torch.float64)
    by_hand = torch.stack(
        [
            torch.stack([sum(k[c, s] * x[0, c, t - s] for s in range(t + 1)) for t in range(20)])
            for c in range(2)
        ]
    )
    torch.testing.assert_close(multires_conv(x, h0, h1, w)[0], by_hand)


def test_default_depth_formula():
    # J = ceil(log2((L-1)/(K-1) + 1)): sCIFAR (1024, K=2) -> 10, ListOps (2048, K=4) -> 10
    assert default_depth(1024, 2) == 10
    assert default_depth(2048, 4) == 10
    assert default_depth(1025, 2) == 11
    assert default_depth(1, 2) == 1


def test_module_shapes_parameters_and_repr():
    m = MultiresConv1d(5, 4, seq_len=2048, tree_select="uniform", memory_size=20)
    assert m.depth == 10
    assert m.h0.shape == m.h1.shape == (5, 4)
    assert m.weight.shape == (5, 21)
    assert m(torch.randn(2, 5, 300)).shape == (2, 5, 300)
    assert "memory_size=20" in repr(m)
    f = MultiresConv1d(5, 2, depth=7)
    assert f.weight.shape == (5, 9)


@pytest.mark.parametrize("name", ["haar", "db2", "db3", "sym4", "coif1"])
def test_wavelet_init_uses_pywavelets_filters_reversed(name):
    import pywt

    wav = pywt.Wavelet(name)
    m = MultiresConv1d(3, wav.dec_len, depth=4, init=name, dtype=torch.float64)
    torch.testing.assert_close(m.h0[1], torch.tensor(wav.dec_lo[::-1], dtype=torch.float64))
    torch.testing.assert_close(m.h1[2], torch.tensor(wav.dec_hi[::-1], dtype=torch.float64))


def test_layer_is_conv_gelu_channel_dropout():
    torch.manual_seed(0)
    layer = MultiresLayer(4, 2, seq_len=32, dropout=0.5)
    x = torch.randn(3, 4, 32)
    layer.eval()
    torch.testing.assert_close(layer(x), torch.nn.functional.gelu(layer.conv(x)))
    layer.train()
    y = layer(x)
    zeroed = y.abs().sum(-1) == 0  # Dropout1d drops whole channels
    assert zeroed.any()
    assert ((y == 0).all(-1) == zeroed).all()


def test_bad_inputs_raise_named_errors():
    h0, h1, w = _params(2, 2, 6, seed=0)
    x = torch.randn(1, 2, 16, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"x should be a Tensor\[N, C, L\]"):
        multires_conv(x[0], h0, h1, w)
    with pytest.raises(ValueError, match=r"h0 should be a Tensor\[C=2, K\]"):
        multires_conv(x, h0[:1], h1, w)
    with pytest.raises(ValueError, match=r"weight should be a Tensor\[C=2, depth \+ 2=6\]"):
        multires_conv(x, h0, h1, w[:, :5], depth=4)
    with pytest.raises(ValueError, match="tree_select should be one of"):
        multires_conv(x, h0, h1, w, tree_select="random")
    with pytest.raises(ValueError, match="memory_size should be a positive int"):
        multires_conv(x, h0, h1, w, tree_select="uniform")
    with pytest.raises(ValueError, match="method should be one of"):
        multires_conv(x, h0, h1, w, method="dft")
    with pytest.raises(ValueError, match="depth should be a positive int"):
        multires_conv(x, h0, h1, w, depth=0)
    with pytest.raises(TypeError, match="floating point"):
        multires_conv(x.long(), h0, h1, w)
    with pytest.raises(ValueError, match="give depth or seq_len"):
        MultiresConv1d(2)
    with pytest.raises(ValueError, match="kernel_size=2 does not match the 4-tap filters"):
        MultiresConv1d(2, 2, depth=3, init="db2")
    with pytest.raises(ValueError, match="wavelet should be orthogonal"):
        MultiresConv1d(2, 6, depth=3, init="bior2.2")
    with pytest.raises(ValueError, match="discrete wavelet name"):
        MultiresConv1d(2, 2, depth=3, init="nope")
    with pytest.raises(ValueError, match=r"x should be a Tensor\[N, C=2, L\]"):
        MultiresConv1d(2, 2, depth=3)(torch.randn(1, 3, 8))
    with pytest.raises(ValueError, match="kernel_size should be >= 2"):
        MultiresConv1d(2, 1, depth=3)
