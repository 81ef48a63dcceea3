import itertools
import math

import pytest
import torch
from torch import nn

from arma_core import ARMA1d, effective_receptive_field, erf_radius, theoretical_erf_radius


def linear_arma_net(num_layers: int, a: float, k: int = 3, d: int = 1) -> nn.Module:
    """Layer l: y_i - a y_{i-1} = sum_{p<K} ((1-a)/K) x_{i-dp} (causal, as in Theorem 3)."""
    layers = []
    for _ in range(num_layers):
        conv = ARMA1d(1, 1, k, dilation=d, bias=False, ar_init=(-a, 0.0), dtype=torch.float64)
        with torch.no_grad():
            conv.weight.fill_((1 - a) / k)
        layers += [nn.ConstantPad1d((d * (k - 1), 0), 0.0), conv]
    return nn.Sequential(*layers)


@pytest.mark.parametrize(
    ("num_layers", "a"), list(itertools.product([1, 3, 5], [0.0, 0.6, 0.8, 0.9]))
)
def test_measured_radius_matches_theorem3(num_layers, a):
    net = linear_arma_net(num_layers, a)
    length = 2048  # the AR tail 0.9^1024 is far below float64 resolution: no wrap-around
    erf = effective_receptive_field(net, (1, length), dtype=torch.float64)
    measured = erf_radius(erf)
    expected = theoretical_erf_radius([3] * num_layers, [a] * num_layers)
    assert measured == pytest.approx(expected, rel=0.05)


@pytest.mark.parametrize("d", [2, 3])
def test_measured_radius_matches_theorem3_with_dilation(d):
    net = linear_arma_net(3, 0.6, k=3, d=d)
    erf = effective_receptive_field(net, (1, 1024), dtype=torch.float64)
    assert erf_radius(erf) == pytest.approx(theoretical_erf_radius([3] * 3, [0.6] * 3, d), rel=0.05)


def test_plain_cnn_closed_form():
    assert theoretical_erf_radius([3] * 4, [0.0] * 4) == pytest.approx(math.sqrt(4 * 8 / 12))


def test_erf_is_a_distribution_and_2d_radius_of_a_box():
    conv = nn.Conv2d(1, 1, 5, padding=2, bias=False)
    with torch.no_grad():
        conv.weight.fill_(1.0)
    erf = effective_receptive_field(conv, (1, 15, 15))
    assert erf.shape == (15, 15)
    assert float(erf.sum()) == pytest.approx(1.0)
    # uniform on the 5x5 box around the centre: r^2 = E|p|^2 - (E|p|)^2
    p = torch.stack(torch.meshgrid(torch.arange(-2, 3.0), torch.arange(-2, 3.0), indexing="ij"))
    norm = p.square().sum(0).sqrt()
    expected = math.sqrt(float(norm.square().mean() - norm.mean() ** 2))
    assert erf_radius(erf) == pytest.approx(expected, rel=1e-5)


def test_delta_has_zero_radius():
    erf = torch.zeros(9)
    erf[4] = 1
    assert erf_radius(erf) == 0.0


def test_erf_errors():
    with pytest.raises(ValueError, match="input_shape"):
        effective_receptive_field(nn.Identity(), (4,))
    with pytest.raises(ValueError, match="one entry per layer"):
        theoretical_erf_radius([3, 3], [0.5])
    with pytest.raises(ValueError, match=r"in \[0, 1\)"):
        theoretical_erf_radius([3], [1.0])
    with pytest.raises(ValueError, match="center"):
        erf_radius(torch.ones(3, 3), center=(1,))
