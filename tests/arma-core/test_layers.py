import pytest
import torch
from torch import nn

from arma_core import ARMA1d, ARMA2d, ARMA3d
from arma_stability import audit, stable_coefficients

CONV_KWARGS = [
    {"kernel_size": 3, "padding": 1},
    {"kernel_size": (3, 5), "stride": 2, "padding": (1, 2), "bias": False},
    {"kernel_size": 3, "dilation": 2, "padding": "same", "padding_mode": "circular"},
    {"kernel_size": 1, "groups": 4},
    {"kernel_size": 3, "padding": 2, "padding_mode": "reflect", "groups": 2},
]


@pytest.mark.parametrize("kwargs", CONV_KWARGS)
def test_zero_ar_equals_conv2d_with_same_weights(kwargs):
    torch.manual_seed(0)
    arma = ARMA2d(4, 8, **kwargs)
    conv = nn.Conv2d(4, 8, **kwargs)
    missing, unexpected = conv.load_state_dict(arma.state_dict(), strict=False)
    assert missing == []
    assert unexpected == ["ar_weight"]
    x = torch.randn(2, 4, 13, 14)
    torch.testing.assert_close(arma(x), conv(x))


def test_zero_ar_equals_conv1d_and_conv3d():
    torch.manual_seed(0)
    for arma, conv, x in [
        (ARMA1d(3, 5, 3, padding=1), nn.Conv1d(3, 5, 3, padding=1), torch.randn(2, 3, 10)),
        (ARMA3d(2, 3, 3, padding=1), nn.Conv3d(2, 3, 3, padding=1), torch.randn(1, 2, 5, 6, 7)),
    ]:
        conv.load_state_dict(arma.state_dict(), strict=False)
        torch.testing.assert_close(arma(x), conv(x))


@pytest.mark.parametrize(
    ("cls", "conv_cls", "d"),
    [(ARMA1d, nn.Conv1d, 1), (ARMA2d, nn.Conv2d, 2), (ARMA3d, nn.Conv3d, 3)],
)
@pytest.mark.parametrize("q", [0, 1, 2])
def test_parameter_count(cls, conv_cls, d, q):
    arma, conv = cls(6, 10, 3, ar_order=q), conv_cls(6, 10, 3)
    n_arma = sum(p.numel() for p in arma.parameters())
    n_conv = sum(p.numel() for p in conv.parameters())
    assert n_arma == n_conv + 2 * d * 10 * q  # 2D: 4 * out_channels * ar_order


def test_layer_equals_conv_then_functional_solve():
    torch.manual_seed(1)
    arma = ARMA2d(3, 4, 3, padding=1, ar_order=2, ar_init=0.5, dtype=torch.float64)
    x = torch.randn(2, 3, 9, 10, dtype=torch.float64)
    t = nn.functional.conv2d(x, arma.weight, arma.bias, padding=1)
    from oracles import dense_solve

    expected = dense_solve(t.detach().numpy(), arma.ar_coefficients().detach().numpy())
    torch.testing.assert_close(arma(x).detach(), torch.from_numpy(expected))


def test_ar_init_coefficients_are_set_exactly():
    arma = ARMA2d(2, 3, 3, ar_order=2, ar_init=(-0.6, 0.2), dtype=torch.float64)
    co = arma.ar_coefficients()
    assert co.shape == (2, 3, 2, 2)
    torch.testing.assert_close(co[..., 0], torch.full((2, 3, 2), -0.6, dtype=torch.float64))
    torch.testing.assert_close(co[..., 1], torch.full((2, 3, 2), 0.2, dtype=torch.float64))


def test_random_ar_init_and_gradients_reach_every_parameter():
    torch.manual_seed(0)
    arma = ARMA2d(3, 4, 3, padding=1, ar_init=0.3)
    assert arma.ar_weight.abs().sum() > 0
    arma(torch.randn(2, 3, 8, 8)).square().mean().backward()
    for name, p in arma.named_parameters():
        assert p.grad is not None, name
        assert p.grad.abs().sum() > 0, name


def test_unbatched_input_like_conv():
    arma = ARMA2d(3, 4, 3, padding=1, ar_init=0.3)
    x = torch.randn(3, 8, 9)
    torch.testing.assert_close(arma(x), arma(x[None])[0])


def test_float64_and_device_dtype_arguments():
    arma = ARMA2d(2, 2, 3, dtype=torch.float64, device="cpu")
    assert arma.weight.dtype == arma.ar_weight.dtype == torch.float64
    assert arma(torch.randn(1, 2, 7, 7, dtype=torch.float64)).dtype == torch.float64


def test_ar_coefficients_are_stable_and_audited():
    torch.manual_seed(0)
    model = nn.Sequential(ARMA2d(1, 2, 3, ar_init=100.0), nn.ReLU(), ARMA1d(2, 2, 1))
    rows = audit(model)
    assert [r.name for r in rows] == ["0", "2"]
    assert all(r.stable for r in rows)
    co = model[0].ar_coefficients()
    torch.testing.assert_close(co, stable_coefficients(model[0].ar_weight))


def test_extra_repr_mentions_ar_options():
    r = repr(ARMA2d(1, 2, 3, ar_order=2, boundary="zero", method="fft"))
    assert "ar_order=2" in r
    assert "boundary='zero'" in r
    assert "method='fft'" in r


def test_state_dict_round_trip():
    a = ARMA2d(2, 3, 3, ar_init=0.5)
    b = ARMA2d(2, 3, 3)
    b.load_state_dict(a.state_dict())
    x = torch.randn(1, 2, 8, 8)
    torch.testing.assert_close(a(x), b(x))


@pytest.mark.parametrize("boundary", ["circular", "zero"])
def test_training_step_reduces_loss(boundary):
    torch.manual_seed(0)
    layer = ARMA2d(1, 1, 3, padding=1, ar_init=0.1, boundary=boundary)
    x = torch.randn(4, 1, 12, 12)
    target = torch.roll(x, 1, dims=-1).cumsum(-1) * 0.1
    opt = torch.optim.Adam(layer.parameters(), lr=0.05)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = (layer(x) - target).square().mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.8 * losses[0]
