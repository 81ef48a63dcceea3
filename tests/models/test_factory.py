"""make_conv2d: the kind decides the type and dilation, the size is kept, bad arguments raise."""

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from arma_core import ARMA2d
from longrange_models.factory import LAYER_KINDS, check_layer_kind, is_arma, make_conv2d

EXPECTED = {  # kind -> (type, default dilation), from the papers' definitions
    "conv": (nn.Conv2d, 1),
    "dilated": (nn.Conv2d, 2),
    "arma": (ARMA2d, 1),
    "dilated-arma": (ARMA2d, 2),
}


@pytest.mark.parametrize("kind", LAYER_KINDS)
@pytest.mark.parametrize("kernel_size", [1, 3, 5])
def test_kind_type_dilation_and_same_size(kind, kernel_size):
    conv = make_conv2d(kind, 3, 5, kernel_size)
    cls, dilation = EXPECTED[kind]
    assert type(conv) is cls
    assert conv.dilation == (dilation, dilation)
    assert conv.padding == (dilation * (kernel_size - 1) // 2,) * 2
    assert is_arma(kind) == (cls is ARMA2d)
    for h, w in [(8, 8), (7, 10)]:
        assert conv(torch.randn(2, 3, h, w)).shape == (2, 5, h, w)


def test_explicit_dilation_and_ar_order():
    conv = make_conv2d("dilated-arma", 2, 4, 3, dilation=3, ar_order=2)
    assert conv.dilation == (3, 3)
    assert conv.padding == (3, 3)
    assert conv.ar_weight.shape == (2, 4, 2, 2)
    assert conv(torch.randn(1, 2, 9, 9)).shape == (1, 4, 9, 9)


@pytest.mark.parametrize("kind", ["arma", "dilated-arma"])
def test_arma_with_identity_ar_equals_a_plain_conv(kind):
    torch.manual_seed(0)
    layer = make_conv2d(kind, 3, 4, 3, bias=True).double()
    d = layer.dilation[0]
    ref = nn.Conv2d(3, 4, 3, padding=d, dilation=d).double()
    with torch.no_grad():
        ref.weight.copy_(layer.weight)
        ref.bias.copy_(layer.bias)
    x = torch.randn(2, 3, 8, 8, dtype=torch.float64)
    torch.testing.assert_close(layer(x), ref(x), rtol=1e-12, atol=1e-12)
    # a functional oracle too: F.conv2d with explicit zero padding
    by_hand = F.conv2d(F.pad(x, (d, d, d, d)), layer.weight, layer.bias, dilation=d)
    torch.testing.assert_close(layer(x), by_hand, rtol=1e-12, atol=1e-12)


def test_arma_with_ar_order_zero_equals_a_plain_conv():
    layer = make_conv2d("arma", 2, 3, 3, ar_order=0, ar_init=0.5).double()
    ref = nn.Conv2d(2, 3, 3, padding=1).double()
    ref.load_state_dict({"weight": layer.weight, "bias": layer.bias})
    x = torch.randn(1, 2, 6, 6, dtype=torch.float64)
    torch.testing.assert_close(layer(x), ref(x), rtol=1e-12, atol=1e-12)


def test_arma_options_pass_through():
    layer = make_conv2d("arma", 2, 3, 3, boundary="zero", ar_init=0.1, method="matmul")
    assert layer.boundary == "zero"
    assert layer.method == "matmul"
    assert layer.ar_init == 0.1


@pytest.mark.parametrize(
    ("kwargs", "exc", "names"),
    [
        ({"layer": "conv2d"}, ValueError, ["layer", "conv2d"]),
        ({"layer": 3}, ValueError, ["layer"]),
        ({"in_channels": 0}, ValueError, ["in_channels", "0"]),
        ({"out_channels": -2}, ValueError, ["out_channels", "-2"]),
        ({"kernel_size": 0}, ValueError, ["kernel_size", "0"]),
        ({"kernel_size": 4}, ValueError, ["kernel_size", "4"]),
        ({"stride": 0}, ValueError, ["stride", "0"]),
        ({"dilation": 0}, ValueError, ["dilation", "0"]),
        ({"in_channels": 2.0}, TypeError, ["in_channels", "float"]),
        ({"in_channels": True}, TypeError, ["in_channels", "bool"]),
        ({"layer": "conv", "ar_init": 0.1}, TypeError, ["ar_init", "conv"]),
        ({"layer": "dilated", "boundary": "zero"}, TypeError, ["boundary", "dilated"]),
        ({"layer": "arma", "colour": 1}, TypeError, ["colour"]),
    ],
)
def test_bad_arguments_name_themselves(kwargs, exc, names):
    args = {"layer": "arma", "in_channels": 2, "out_channels": 3, "kernel_size": 3, **kwargs}
    layer = args.pop("layer")
    with pytest.raises(exc) as info:
        make_conv2d(layer, **args)
    for name in names:
        assert name in str(info.value)


def test_check_layer_kind():
    assert check_layer_kind("dilated-arma") == "dilated-arma"
    with pytest.raises(ValueError, match="dilated_arma"):
        check_layer_kind("dilated_arma")
