"""NonLocal2d against a per-position numpy loop (embedded Gaussian attention)."""

import numpy as np
import pytest
import torch

from longrange_models.non_local import NonLocal2d


def _conv1x1(conv, x):
    """A 1×1 convolution at every position, in numpy: x (C, P) -> (C_out, P)."""
    w = conv.weight.detach().numpy()[:, :, 0, 0]
    b = conv.bias.detach().numpy()
    return w @ x + b[:, None]


def _pool2(a, h, w):
    """2×2 max pooling of a (C, h·w) map in numpy -> (C, (h//2)·(w//2))."""
    c = a.shape[0]
    a = a.reshape(c, h, w)[:, : h // 2 * 2, : w // 2 * 2]
    return a.reshape(c, h // 2, 2, w // 2, 2).max(axis=(2, 4)).reshape(c, -1)


def naive_non_local(block, x):
    """z_i = x_i + W_z Σ_j softmax_j(θ_i·φ_j) g_j, one query position i at a time."""
    x = x.detach().numpy()
    n, c, h, w = x.shape
    out = np.empty_like(x)
    for s in range(n):
        flat = x[s].reshape(c, h * w)
        theta = _conv1x1(block.theta, flat)
        phi = _conv1x1(block.phi, flat)
        g = _conv1x1(block.g, flat)
        if block.sub_sample:
            phi, g = _pool2(phi, h, w), _pool2(g, h, w)
        y = np.empty_like(theta)
        for i in range(h * w):
            logits = theta[:, i] @ phi
            weights = np.exp(logits - logits.max())
            weights /= weights.sum()
            y[:, i] = g @ weights
        out[s] = (flat + _conv1x1(block.out, y)).reshape(c, h, w)
    return out


def _randomise(block, gen):
    with torch.no_grad():
        for p in block.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=p.dtype))


def test_identity_at_init():
    block = NonLocal2d(6)
    x = torch.randn(2, 6, 5, 7)
    assert torch.equal(block(x), x)
    assert block.inner_channels == 3


@pytest.mark.parametrize("sub_sample", [False, True])
@pytest.mark.parametrize(("h", "w"), [(4, 6), (5, 7)])
def test_equals_a_naive_loop(sub_sample, h, w):
    gen = torch.Generator().manual_seed(1)
    block = NonLocal2d(4, inner_channels=3, sub_sample=sub_sample).double()
    _randomise(block, gen)
    x = torch.randn(2, 4, h, w, generator=gen, dtype=torch.float64)
    out = block(x)
    assert out.shape == x.shape
    np.testing.assert_allclose(out.detach().numpy(), naive_non_local(block, x), rtol=1e-10)
    assert not torch.allclose(out, x)  # the attention really contributes


def test_float32_and_backward():
    block = NonLocal2d(4, sub_sample=True)
    _randomise(block, torch.Generator().manual_seed(0))
    x = torch.randn(1, 4, 6, 6, requires_grad=True)
    block(x).square().sum().backward()
    assert x.grad is not None
    assert x.grad.dtype == torch.float32
    assert all(p.grad is not None for p in block.parameters())


def test_gradcheck_small():
    block = NonLocal2d(2, inner_channels=2).double()
    _randomise(block, torch.Generator().manual_seed(2))
    x = torch.randn(1, 2, 3, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(block, (x,))


@pytest.mark.parametrize(
    "x", [torch.randn(1, 5, 4, 4), torch.randn(4, 4, 4), torch.randn(1, 1, 4, 4, 4)]
)
def test_wrong_input_names_the_shape(x):
    with pytest.raises(ValueError, match=r"C=4.*got \("):
        NonLocal2d(4)(x)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"channels": 0}, "channels"), ({"channels": 4, "inner_channels": 0}, "inner_channels")],
)
def test_bad_constructor_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        NonLocal2d(**kwargs)


def test_extra_repr():
    assert "sub_sample=True" in repr(NonLocal2d(4, sub_sample=True))
