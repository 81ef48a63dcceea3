import itertools

import numpy as np
import pytest
import torch
from multires_reference import tree_coefficients
from torch.nn.functional import conv1d

from multires_core import compose_strided, equivalent_filters, tree_outputs


@pytest.mark.parametrize(
    ("ka", "sa", "kb", "sb", "length"),
    list(itertools.product([2, 3, 4], [1, 2, 3], [2, 3], [2, 3], [31, 32, 47])),
)
def test_compose_strided_equals_two_convolutions(ka, sa, kb, sb, length):
    g = torch.Generator().manual_seed(ka * 100 + kb * 10 + sa)
    k_a = torch.randn(ka, generator=g, dtype=torch.float64)
    k_b = torch.randn(kb, generator=g, dtype=torch.float64)
    x = torch.randn(2, 1, length, generator=g, dtype=torch.float64)
    two = conv1d(conv1d(x, k_a[None, None], stride=sa), k_b[None, None], stride=sb)
    k, s = compose_strided(k_a, sa, k_b, sb)
    assert s == sa * sb
    assert k.shape[-1] == (kb - 1) * sa + ka
    one = conv1d(x, k[None, None], stride=s)
    torch.testing.assert_close(one, two)


def test_two_stride2_convs_become_one_stride4_conv_of_length_3c_minus_2():
    for c in (2, 3, 5):
        k = torch.randn(c, dtype=torch.float64)
        eq, s = compose_strided(k, 2, k, 2)
        assert (eq.shape[-1], s) == (3 * c - 2, 4)
        up = torch.zeros(2 * c - 1, dtype=torch.float64)
        up[::2] = k
        np.testing.assert_allclose(eq.numpy(), np.convolve(k.numpy(), up.numpy()), atol=1e-12)


def test_compose_strided_broadcasts_over_channels_and_validates():
    eq, _ = compose_strided(torch.randn(4, 3), 2, torch.randn(1, 2), 2)
    assert eq.shape == (4, 5)
    with pytest.raises(ValueError, match="stride_a should be a positive int"):
        compose_strided(torch.randn(3), 0, torch.randn(3), 2)
    with pytest.raises(ValueError, match="k_b should be"):
        compose_strided(torch.randn(3), 2, torch.randn(()), 2)


@pytest.mark.parametrize(("k", "depth"), list(itertools.product([2, 3, 4], [1, 3, 5])))
def test_equivalent_filters_are_the_impulse_responses(k, depth):
    g = torch.Generator().manual_seed(k + depth)
    h0 = torch.randn(2, k, generator=g, dtype=torch.float64)
    h1 = torch.randn(2, k, generator=g, dtype=torch.float64)
    filters = equivalent_filters(h0, h1, depth)
    length = (k - 1) * (2**depth - 1) + 1
    impulse = torch.zeros(1, 2, length + 5, dtype=torch.float64)
    impulse[..., 0] = 1
    responses = tree_coefficients(impulse, h0[:, None], h1[:, None], depth)  # App. B loop
    assert len(filters) == depth + 1
    lengths = [length] + [(k - 1) * (2**j - 1) + 1 for j in range(depth, 0, -1)]
    for f, r, n in zip(filters, responses, lengths, strict=True):
        assert f.shape == (2, n)
        torch.testing.assert_close(f, r[0, :, :n])
        assert r[0, :, n:].abs().max() == 0  # nothing beyond the stated length


def test_equivalent_filters_are_products_of_upsampled_filters():
    h0, h1 = torch.tensor([0.3, -0.7]), torch.tensor([1.1, 0.4])
    lo, hi = h0.flip(-1).numpy(), h1.flip(-1).numpy()  # lag order
    up = np.zeros(3)
    up[::2] = lo
    a2, b2, b1 = equivalent_filters(h0, h1, 2)
    np.testing.assert_allclose(a2.numpy(), np.convolve(lo, up), atol=1e-6)
    up_hi = np.zeros(3)
    up_hi[::2] = hi
    np.testing.assert_allclose(b2.numpy(), np.convolve(lo, up_hi), atol=1e-6)
    np.testing.assert_allclose(b1.numpy(), hi, atol=1e-6)


def test_tree_outputs_circular_wraps():
    h0 = torch.tensor([[0.5, 0.5]], dtype=torch.float64)  # a[t] = (x[t-1] + x[t]) / 2
    x = torch.zeros(1, 1, 8, dtype=torch.float64)
    x[..., 7] = 1
    zero, _ = tree_outputs(x, h0, h0, 1)
    circ, _ = tree_outputs(x, h0, h0, 1, circular=True)
    assert float(zero[0, 0, 0]) == 0.0  # causal zero padding: x[-1] = 0
    assert float(circ[0, 0, 0]) == 0.5  # periodic: x[-1] = x[7]
    torch.testing.assert_close(zero[..., 1:], circ[..., 1:])
