"""UNet: shapes for every layer kind, ARMA/non-local reductions, a functional oracle, the papers'
parameter counts from closed forms, config round trip and argument errors."""

from __future__ import annotations

import pytest
import torch
from config_round_trip import assert_json_round_trip
from torch.nn import functional as F

from longrange_models.config import count_parameters
from longrange_models.factory import LAYER_KINDS
from longrange_models.unet import UNet

pytestmark = pytest.mark.usefixtures("one_thread")


SMALL = {"in_channels": 3, "out_channels": 2, "width": 4, "depth": 2}


def _x(dtype=torch.float32, size=16, n=2, c=3):
    return torch.randn(n, c, size, size, dtype=dtype, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("non_local", [False, True])
@pytest.mark.parametrize("layer", LAYER_KINDS)
def test_forward_backward_shapes(layer, non_local, dtype):
    torch.manual_seed(0)
    model = UNet(**SMALL, layer=layer, non_local=non_local).to(dtype)
    x = _x(dtype).requires_grad_()
    y = model(x)
    assert y.shape == (2, 2, 16, 16)
    assert y.dtype == dtype
    y.square().mean().backward()
    assert x.grad is not None
    assert torch.isfinite(x.grad).all()
    grads = [p.grad for p in model.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)


@pytest.mark.parametrize("upsample", ["nearest", "bilinear", "transposed"])
def test_upsample_modes_and_rectangular_input(upsample):
    model = UNet(**SMALL, upsample=upsample)
    x = torch.randn(1, 3, 8, 20)
    assert model(x).shape == (1, 2, 8, 20)


@pytest.mark.parametrize(("plain", "arma"), [("conv", "arma"), ("dilated", "dilated-arma")])
@pytest.mark.parametrize("train", [False, True])
def test_arma_with_zero_ar_equals_its_conv(plain, arma, train):
    torch.manual_seed(1)
    ref = UNet(**SMALL, layer=plain).double()
    model = UNet(**SMALL, layer=arma).double()  # ar_init=0: identity AR filters
    missing, unexpected = model.load_state_dict(ref.state_dict(), strict=False)
    assert not unexpected
    assert missing
    assert all(k.endswith("ar_weight") for k in missing)
    assert len(missing) == 2 * 3 + 2 * 2 + 2  # 3 down, 2 decoder blocks (2 convs each), 2 ups
    ref.train(train), model.train(train)
    x = _x(torch.float64)
    torch.testing.assert_close(model(x), ref(x), rtol=1e-10, atol=1e-10)
    # and the AR part is really there: non-zero coefficients change the output
    with torch.no_grad():
        for k in missing:
            model.get_parameter(k).fill_(0.4)
    assert (model(x) - ref(x)).abs().max() > 1e-3


@pytest.mark.parametrize("layer", ["conv", "arma"])
def test_non_local_at_init_equals_no_non_local(layer):
    torch.manual_seed(2)
    ref = UNet(**SMALL, layer=layer).double().eval()
    model = UNet(**SMALL, layer=layer, non_local=True).double().eval()
    missing, unexpected = model.load_state_dict(ref.state_dict(), strict=False)
    assert not unexpected
    assert missing
    assert all(k.startswith("non_local.") for k in missing)
    x = _x(torch.float64)
    torch.testing.assert_close(model(x), ref(x), rtol=1e-12, atol=1e-12)
    # the block sits at the bottleneck: w·2^D channels
    assert model.non_local.channels == 4 * 2**2


def _oracle(sd, x, depth):
    """A functional U-Net written from the description (eval-mode BN), reading the weights."""

    def cbr(prefix, h):
        h = F.conv2d(h, sd[prefix + ".weight"], sd[prefix + ".bias"], padding=1)
        bn = prefix.rsplit(".", 1)[0] + "." + str(int(prefix.rsplit(".", 1)[1]) + 1)
        h = F.batch_norm(
            h,
            sd[bn + ".running_mean"],
            sd[bn + ".running_var"],
            sd[bn + ".weight"],
            sd[bn + ".bias"],
            training=False,
        )
        return torch.relu(h)

    feats = []
    h = x
    for i in range(depth + 1):
        if i:
            h = F.max_pool2d(h, 2)
        h = cbr(f"down.{i}.3", cbr(f"down.{i}.0", h))
        feats.append(h)
    for j in range(depth):
        up = cbr(f"up.{j}.1", F.interpolate(h, scale_factor=2, mode="nearest"))
        h = torch.cat([feats[depth - 1 - j], up], dim=1)
        h = cbr(f"up_blocks.{j}.3", cbr(f"up_blocks.{j}.0", h))
    return F.conv2d(h, sd["head.weight"], sd["head.bias"])


def test_matches_functional_oracle():
    torch.manual_seed(3)
    model = UNet(**SMALL).double().eval()
    with torch.no_grad():  # non-trivial BN statistics
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.normal_()
                m.running_var.uniform_(0.5, 2.0)
                m.weight.normal_()
                m.bias.normal_()
    x = _x(torch.float64)
    torch.testing.assert_close(model(x), _oracle(model.state_dict(), x, 2))


# ---- the papers' parameter counts -------------------------------------------------------------


def _conv_params(c_in, c_out, k=3):
    return k * k * c_in * c_out + c_out


def _unet_closed_form(w=64, depth=4, c_in=3, c_out=1):
    """U-Net, nearest-upsampling + conv3×3 + BN + ReLU decoder, BN after every 3×3 conv."""
    ch = [w * 2**i for i in range(depth + 1)]
    total = 0
    prev = c_in
    for c in ch:  # encoder double convs, each conv + BN(γ, β)
        total += _conv_params(prev, c) + _conv_params(c, c) + 4 * c
        prev = c
    for i in range(depth):  # decoder: up conv + BN, double conv on the concatenation
        total += _conv_params(ch[i + 1], ch[i]) + 2 * ch[i]
        total += _conv_params(2 * ch[i], ch[i]) + _conv_params(ch[i], ch[i]) + 4 * ch[i]
    return total + _conv_params(ch[0], c_out, k=1)


def test_closed_form_agrees_with_hand_count_of_a_tiny_unet():
    # width 1, depth 1, 1 -> 1 channels, counted by hand layer by layer:
    # enc0: 3x3 1->1 (10) + 3x3 1->1 (10) + 2 BN (4) = 24; enc1: 1->2 (20) + 2->2 (38) + BN (8) = 66
    # up: 2->1 (19) + BN (2) = 21; dec: 2->1 (19) + 1->1 (10) + BN (4) = 33; head 1->1 (2)
    assert _unet_closed_form(1, 1, 1, 1) == 24 + 66 + 21 + 33 + 2 == 146
    assert count_parameters(UNet(1, 1, width=1, depth=1)) == 146


def _meta_count(name, **kwargs):
    with torch.device("meta"):  # shapes only: no memory, no init cost
        return count_parameters(UNet.preset(name, **kwargs))


def test_paper_presets_parameter_counts():
    unet = _meta_count("unet")
    assert unet == _unet_closed_form() == 34_527_041
    # ARMA: 2 axes × 2 coefficients × ar_order=1 per output channel of every 3×3 conv
    ar_channels = sum(2 * 64 * 2**i for i in range(5)) + sum(3 * 64 * 2**i for i in range(4))
    assert ar_channels == 107 * 64
    assert _meta_count("arma_unet") == unet + 4 * ar_channels == 34_554_433
    # non-local at the 1024-channel bottleneck, inner 512: θ, φ, g (1×1 + bias) and W_z
    c, i = 1024, 512
    nl = 3 * (c * i + i) + (i * c + c)
    assert _meta_count("nl_unet") == unet + nl
    assert _meta_count("nl_arma_unet") == unet + 4 * ar_channels + nl
    # the paper's Table 2 reads 3.453M / 3.455M: these counts with the decimal point moved once
    assert round(unet / 1e7, 3) == 3.453
    assert round((unet + 4 * ar_channels) / 1e7, 3) == 3.455


def test_transposed_upsampling_count():
    ch = [64 * 2**i for i in range(5)]
    # each nearest+conv3×3+BN up (9·C·C/2 + C/2 + 2·C/2) becomes a 2×2 transposed conv
    old = sum(9 * ch[i + 1] * ch[i] + 3 * ch[i] for i in range(4))
    new = sum(4 * ch[i + 1] * ch[i] + ch[i] for i in range(4))
    delta = old - new
    assert _meta_count("unet", upsample="transposed") == 34_527_041 - delta


# ---- config ------------------------------------------------------------------------------------


def test_config_json_round_trip():
    model = UNet(**SMALL, layer="arma", non_local=True, ar_init=[0.1, -0.2], upsample="bilinear")
    cfg = assert_json_round_trip(model, _x())
    assert cfg["ar_init"] == [0.1, -0.2]
    assert cfg["layer"] == "arma"
    assert "layer='arma'" in repr(model)
    assert "non_local=True" in repr(model)


# ---- errors ------------------------------------------------------------------------------------


def test_bad_preset_name():
    with pytest.raises(ValueError, match="unet_xl"):
        UNet.preset("unet_xl")


@pytest.mark.parametrize(
    ("shape", "words"),
    [
        ((2, 3, 18, 16), ["divisible", "4", "18"]),
        ((2, 3, 16, 10), ["divisible", "10"]),
        ((2, 1, 16, 16), ["C=3", "(2, 1, 16, 16)"]),
        ((3, 16, 16), ["(3, 16, 16)"]),
    ],
)
def test_bad_inputs(shape, words):
    model = UNet(**SMALL)
    with pytest.raises(ValueError, match="should") as err:
        model(torch.randn(*shape))
    for w in words:
        assert w in str(err.value)


def test_arma_bottleneck_too_small():
    model = UNet(**SMALL, layer="arma")
    with pytest.raises(ValueError, match=r">= 12.*H=8"):
        model(torch.randn(1, 3, 8, 8))


def test_gradcheck_tiny_arma_unet_with_non_local():
    torch.manual_seed(4)
    model = UNet(1, 1, width=2, depth=1, layer="arma", non_local=True, ar_init=0.3)
    model = model.double().eval()
    with torch.no_grad():  # make the non-local block act (its output conv starts at zero)
        model.non_local.out.weight.normal_()
    x = torch.randn(1, 1, 6, 6, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(model, (x,))
