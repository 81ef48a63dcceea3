"""VGG11 / ResNet18: shapes for every layer kind, ARMA reductions, the strided AR solve against
the AR filter applied by hand, published parameter counts from closed forms, config round trip
and argument errors."""

from __future__ import annotations

import pytest
import torch
from config_round_trip import assert_json_round_trip
from torch import nn
from torch.nn import functional as F

from longrange_models.classifiers import VGG11, ResNet18
from longrange_models.config import count_parameters
from longrange_models.factory import LAYER_KINDS

pytestmark = pytest.mark.usefixtures("one_thread")


MODELS = {"vgg": VGG11, "resnet": ResNet18}


def _x(dtype=torch.float32, size=32, n=2, c=3):
    return torch.randn(n, c, size, size, dtype=dtype, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("layer", LAYER_KINDS)
@pytest.mark.parametrize("name", sorted(MODELS))
def test_forward_backward_shapes(name, layer, dtype):
    torch.manual_seed(0)
    model = MODELS[name](num_classes=7, layer=layer, width=4).to(dtype)
    x = _x(dtype).requires_grad_()
    y = model(x)
    assert y.shape == (2, 7)
    assert y.dtype == dtype
    y.logsumexp(-1).mean().backward()
    assert x.grad is not None
    assert torch.isfinite(x.grad).all()


@pytest.mark.parametrize("name", sorted(MODELS))
def test_other_input_sizes_and_channels(name):
    model = MODELS[name](num_classes=3, in_channels=1, width=2).eval()
    assert model(torch.randn(1, 1, 64, 32)).shape == (1, 3)
    if name == "resnet":  # adaptive pooling: any size, odd ones included
        assert model(torch.randn(1, 1, 27, 13)).shape == (1, 3)


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize(("plain", "arma"), [("conv", "arma"), ("dilated", "dilated-arma")])
def test_arma_with_zero_ar_equals_its_conv(name, plain, arma):
    torch.manual_seed(1)
    ref = MODELS[name](layer=plain, width=4).double()
    model = MODELS[name](layer=arma, width=4).double()
    missing, unexpected = model.load_state_dict(ref.state_dict(), strict=False)
    assert not unexpected
    assert len(missing) == (8 if name == "vgg" else 17)  # one AR filter per 3×3 conv
    assert all(k.endswith("ar_weight") for k in missing)
    x = _x(torch.float64)
    torch.testing.assert_close(model(x), ref(x), rtol=1e-10, atol=1e-10)


def _apply_ar(y, coeffs):
    """``A ⋆ y`` by hand: per axis, ``a_left·y[i−1] + y[i] + a_right·y[i+1]`` (circular)."""
    for axis, dim in ((0, -2), (1, -1)):  # coefficient axis 0 acts on H, axis 1 on W
        for q in range(coeffs.shape[2]):
            left = coeffs[axis, :, q, 0].view(-1, 1, 1)
            right = coeffs[axis, :, q, 1].view(-1, 1, 1)
            y = y + left * torch.roll(y, 1, dims=dim) + right * torch.roll(y, -1, dims=dim)
    return y


def test_strided_arma_solves_the_ar_filter_on_the_strided_output():
    torch.manual_seed(2)
    model = ResNet18(layer="arma", width=4, ar_init=0.5).double()
    conv = model.layers[1][0].conv1  # the first strided 3×3 conv: 16×16 -> 8×8
    assert conv.stride == (2, 2)
    x = torch.randn(2, conv.in_channels, 16, 16, dtype=torch.float64)
    y = conv(x)
    assert y.shape == (2, conv.out_channels, 8, 8)
    t = F.conv2d(x, conv.weight, None, stride=2, padding=1)  # the moving-average part
    torch.testing.assert_close(_apply_ar(y, conv.ar_coefficients()), t, rtol=1e-9, atol=1e-9)
    assert (y - t).abs().max() > 1e-2  # the AR filter is not the identity here


def test_vgg_small_maps_run_their_arma_layers_as_convolutions():
    torch.manual_seed(3)
    model = VGG11(layer="arma", width=2, ar_init=0.5).double().eval()
    ref = VGG11(layer="conv", width=2).double().eval()
    ref.load_state_dict(model.state_dict(), strict=False)
    convs = [m for m in model.features if isinstance(m, nn.Conv2d)]
    # at 32×32 the last two convs see 2×2 maps (< 3 = 2·ar_order + 1): no AR solve there.
    # Equal outputs when every other AR filter is reset to the identity:
    with torch.no_grad():
        for m in convs[:-2]:
            m.ar_weight.zero_()
    x = _x(torch.float64)
    torch.testing.assert_close(model(x), ref(x), rtol=1e-10, atol=1e-10)
    # at 64×64 those maps are 4×4 and their AR filters act
    x = _x(torch.float64, size=64)
    assert (model(x) - ref(x)).abs().max() > 1e-4


# ---- parameter counts --------------------------------------------------------------------------


def _conv(c_in, c_out, k=3, bias=True):
    return k * k * c_in * c_out + (c_out if bias else 0)


def test_vgg11_parameter_count_closed_form():
    plan = [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]
    total, c = 0, 3
    for v in plan:
        if v != "M":
            total += _conv(c, v) + 2 * v  # conv with bias + BN (γ, β)
            c = v
    total += 512 * 10 + 10
    assert total == 9_231_114  # the CIFAR VGG-11 with BN, "9.23M"
    with torch.device("meta"):
        assert count_parameters(VGG11()) == total
        ar = 4 * sum(v for v in plan if v != "M")  # 2 axes × 2 coefficients per channel
        assert count_parameters(VGG11(layer="arma")) == total + ar == total + 11_008
        # the authors' head: Linear(512, 512), ReLU, Linear(512, 512), ReLU, Linear(512, 10)
        head = 2 * (512 * 512 + 512) - 0
        assert count_parameters(VGG11(hidden=[512, 512], dropout=0.5)) == total + head


def test_resnet18_parameter_count_closed_form():
    total = _conv(3, 64, bias=False) + 2 * 64  # stem + BN
    c_in = 64
    ar_channels = 64
    for planes, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        for block in range(2):
            c = c_in if block == 0 else planes
            total += _conv(c, planes, bias=False) + _conv(planes, planes, bias=False) + 4 * planes
            if block == 0 and (stride != 1 or c_in != planes):
                total += _conv(c_in, planes, k=1, bias=False) + 2 * planes
            ar_channels += 2 * planes
        c_in = planes
    total += 512 * 10 + 10
    assert total == 11_173_962  # the CIFAR ResNet-18, "11.17M"
    with torch.device("meta"):
        assert count_parameters(ResNet18()) == total
        assert count_parameters(ResNet18(layer="arma")) == total + 4 * ar_channels
    assert 4 * ar_channels == 15_616


# ---- config ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(MODELS))
def test_config_json_round_trip(name):
    kwargs = {"num_classes": 5, "layer": "arma", "width": 2, "ar_init": [0.1, 0.2]}
    if name == "vgg":
        kwargs.update(hidden=(8, 8), dropout=0.25, batch_norm=False)
    model = MODELS[name](**kwargs).eval()
    cfg = assert_json_round_trip(model, _x())
    assert cfg["ar_init"] == [0.1, 0.2]
    assert "layer='arma'" in repr(model)


# ---- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "shape", "words"),
    [
        ("vgg", (1, 3, 40, 32), ["divisible by 32", "H=40"]),
        ("vgg", (1, 1, 32, 32), ["C=3", "(1, 1, 32, 32)"]),
        ("resnet", (3, 32, 32), ["(3, 32, 32)"]),
    ],
)
def test_bad_inputs(name, shape, words):
    model = MODELS[name](width=2)
    with pytest.raises(ValueError, match=r"should|needs") as err:
        model(torch.randn(*shape))
    for w in words:
        assert w in str(err.value)


def test_vgg_without_batch_norm_trains_with_arma():
    """An in-place ReLU right after an ARMA layer would overwrite the output its backward saved."""
    import torch

    from longrange_models import VGG11

    net = VGG11(num_classes=3, in_channels=1, layer="arma", width=2, batch_norm=False)
    net(torch.randn(2, 1, 32, 32)).sum().backward()  # raised with ReLU(inplace=True)
    first = next(m for m in net.modules() if hasattr(m, "ar_weight"))
    assert first.ar_weight.grad is not None
    assert torch.isfinite(first.ar_weight.grad).all()
