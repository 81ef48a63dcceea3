"""WaveNet, WaveNetAR: causality and receptive field by autograd, padding, the shared mixture
head, exact sampling, budget, errors."""

import json

import pytest
import torch
from sequence_nets import assert_padding_changes_nothing, seeded

from longrange_models.config import count_parameters
from longrange_models.logistic_mixture import LogisticMixtureHead, mixture_log_probs
from longrange_models.multires_ar import MultiresAR
from longrange_models.wavenet import WaveNet, WaveNetStack, wavenet_dilations
from longrange_models.wavenet_ar import WaveNetAR

pytestmark = pytest.mark.usefixtures("one_thread")


real_net = seeded(WaveNet, num_classes=5, in_channels=3, channels=6, seq_len=16)
token_net = seeded(WaveNet, num_classes=4, num_tokens=7, channels=6, seq_len=16)
gen_net = seeded(WaveNetAR, in_channels=1, seq_len=12, channels=6, num_mixtures=3)


def test_dilations():
    assert wavenet_dilations(2, seq_len=1024) == tuple(2**i for i in range(10))
    assert wavenet_dilations(2, seq_len=1025) == tuple(2**i for i in range(11))
    # K = 3: the least m with 1 + 2(2^m − 1) >= 10 is 3 (m = 2 sees 7 positions)
    assert wavenet_dilations(3, seq_len=10, cycles=2) == (1, 2, 4, 1, 2, 4)
    assert wavenet_dilations(4, layers_per_cycle=2) == (1, 2)
    assert wavenet_dilations(2, seq_len=1) == (1,)


def gradient_support(stack: WaveNetStack, length: int, t: int) -> torch.Tensor:
    """Input positions with a non-zero gradient of output position ``t`` (all channels)."""
    x = torch.randn(1, stack.layers[0].gate.in_channels, length, dtype=torch.float64)
    x.requires_grad_(True)
    (grad,) = torch.autograd.grad(stack(x)[..., t].sum(), x)
    return grad.abs().sum(1)[0] != 0


@pytest.mark.parametrize(
    ("kernel_size", "layers", "cycles"), [(2, 3, 1), (2, 3, 2), (3, 2, 2), (4, 1, 3)]
)
def test_causality_and_receptive_field_by_autograd(kernel_size, layers, cycles):
    torch.manual_seed(1)
    dilations = wavenet_dilations(kernel_size, layers_per_cycle=layers, cycles=cycles)
    stack = WaveNetStack(5, 7, kernel_size, dilations).double()
    closed_form = 1 + sum((kernel_size - 1) * d for d in dilations)
    assert stack.receptive_field == closed_form
    length = closed_form + 6
    for t in (0, closed_form // 2, length - 1):
        support = gradient_support(stack, length, t)
        assert not support[t + 1 :].any()  # exact zeros after t: causal
        want = torch.zeros(length, dtype=torch.bool)
        want[max(0, t - closed_form + 1) : t + 1] = True
        assert torch.equal(support, want)  # measured receptive field = the closed form


def test_generator_is_causal_in_the_pixels():
    model = gen_net().double().eval()
    x = torch.randint(0, 256, (2, 1, 12))
    params = model(x)
    for i in (0, 5, 11):
        changed = x.clone()
        changed[..., i:] = torch.randint(0, 256, changed[..., i:].shape)
        assert torch.equal(model(changed)[..., : i + 1], params[..., : i + 1])
    inputs = torch.randn(1, 1, 12, dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(model.body(inputs)[..., 4].sum(), inputs)
    assert (grad[..., 5:] == 0).all()
    assert (grad[..., :5] != 0).all()


@pytest.mark.parametrize("kind", ["real", "token"])
def test_padding_changes_nothing(kind):
    model = (real_net() if kind == "real" else token_net()).double()
    assert_padding_changes_nothing(model, kind)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_shapes_and_gradients(dtype):
    for model, x in (
        (real_net(dropout=0.1, cycles=2), torch.randn(2, 3, 16, dtype=dtype)),
        (token_net(kernel_size=3, skip_channels=4), torch.randint(0, 7, (2, 9))),
    ):
        model = model.to(dtype)
        logits = model(x, torch.tensor([9, 2]))
        assert logits.shape == (2, model.config.num_classes)
        assert logits.dtype == dtype
        skip = model.config.skip_channels or model.config.channels
        assert model.features(x).shape == (2, skip, x.shape[-1])
        logits.square().sum().backward()
        assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())


def test_gradcheck_float64():
    model = real_net(channels=3, skip_channels=2, layers_per_cycle=2, seq_len=None).double()
    x = torch.randn(2, 3, 5, dtype=torch.float64, requires_grad=True)
    lengths = torch.tensor([5, 3])
    assert torch.autograd.gradcheck(lambda x: model(x, lengths), (x,))


def test_head_is_multires_ar_head():
    """The same module, so the same likelihood for the same parameters as MultiresAR's."""
    torch.manual_seed(2)
    wavenet = WaveNetAR(in_channels=3, seq_len=8, channels=4, skip_channels=6, num_mixtures=2)
    multires = MultiresAR(in_channels=3, seq_len=8, channels=6, num_blocks=1, num_mixtures=2)
    assert type(wavenet.head) is LogisticMixtureHead is type(multires.head)
    multires.head.load_state_dict(wavenet.head.state_dict())
    h = torch.randn(2, 6, 8)
    target = torch.randint(0, 256, (2, 3, 8))
    torch.testing.assert_close(wavenet.head.nll(h, target), multires.head.nll(h, target))


@pytest.mark.parametrize("channels", [1, 3])
def test_loss_equals_per_pixel_log_probs(channels):
    model = gen_net(in_channels=channels, seq_len=6).double()
    x = torch.randint(0, 256, (2, channels, 6))
    nll, bpd = model.loss(x)
    params = model(x)
    want = torch.zeros(2, dtype=torch.float64)
    for i in range(6):
        rows = mixture_log_probs(params[..., i], 3, channels, x[..., i])  # one pixel's rows
        rows = rows.view(2, channels, 256)
        want -= rows.gather(2, x[..., i].unsqueeze(-1)).sum((1, 2))
    torch.testing.assert_close(nll, want, rtol=1e-10, atol=1e-10)
    assert bpd.item() == pytest.approx(want.mean().item() / (channels * 6 * 0.6931471805599453))


@pytest.mark.parametrize("channels", [1, 3])
def test_windowed_sampler_equals_the_reference(channels):
    model = gen_net(in_channels=channels, layers_per_cycle=2).eval()  # receptive field 4
    assert model.receptive_field == 4
    a = model.sample(2, torch.Generator().manual_seed(3), length=11)
    b = model.sample_by_recompute(2, torch.Generator().manual_seed(3), length=11)
    assert a.shape == (2, channels, 11)
    assert a.dtype == torch.long
    assert torch.equal(a, b)
    # the window's parameters are the full forward's (pixel 9 sees the 4 pixels before it)
    window = model.body(torch.nn.functional.pad(a[..., :9] * (2 / 255) - 1, (1, 0))[..., -4:])
    torch.testing.assert_close(window[..., -1], model(a)[..., 9])


@pytest.mark.parametrize(
    ("cls", "kw"),
    [
        (WaveNet, {"num_classes": 3, "in_channels": 2, "channels": 5, "seq_len": 30}),
        (WaveNet, {"num_classes": 3, "num_tokens": 9, "channels": 4, "layers_per_cycle": 3}),
        (WaveNetAR, {"in_channels": 3, "seq_len": 20, "channels": 5, "skip_channels": 7}),
        (WaveNetAR, {"in_channels": 1, "channels": 4, "layers_per_cycle": 2, "cycles": 3}),
    ],
)
def test_parameter_count_closed_form(cls, kw):
    assert cls.parameter_count(**kw) == count_parameters(cls(**kw))


@pytest.mark.parametrize("budget", [4000, 30_000, 150_000])
@pytest.mark.parametrize(
    ("cls", "kw"),
    [
        (WaveNet, {"num_classes": 10, "num_tokens": 18, "seq_len": 64, "cycles": 2}),
        (WaveNetAR, {"in_channels": 3, "seq_len": 64, "num_mixtures": 5}),
    ],
)
def test_for_budget_meets_the_budget(cls, kw, budget):
    model = cls.for_budget(budget, **kw)
    assert abs(count_parameters(model) - budget) <= 0.02 * budget
    assert model.config.skip_channels >= model.config.channels


def test_config_round_trip():
    for model in (token_net(cycles=2), gen_net(skip_channels=3)):
        cfg = json.loads(json.dumps(model.to_config()))
        assert type(model).from_config(cfg).to_config() == model.to_config()


def test_bad_inputs():
    with pytest.raises(ValueError, match="in_channels should be 1 or 3, got 2"):
        gen_net(in_channels=2)
    with pytest.raises(ValueError, match=r"x should hold values in 0..255, got \[0, 256\]"):
        gen_net()(torch.tensor([[[0, 256]]]))
    with pytest.raises(RuntimeError, match=r"training mode with dropout=0.1: call .eval\(\)"):
        gen_net(dropout=0.1).sample(1, length=2)
    with pytest.raises(ValueError, match="budget should be >= "):
        WaveNet.for_budget(10, num_classes=2, in_channels=1, seq_len=8)
    with pytest.raises(TypeError, match="for_budget chooses channels"):
        WaveNetAR.for_budget(10_000, channels=8)
