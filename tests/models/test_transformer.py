"""TransformerClassifier: a naive masked-softmax encoder as oracle, padding, positions, budget."""

import json
import math

import pytest
import torch
from sequence_nets import assert_padding_changes_nothing, seeded
from torch.nn import functional as F

from longrange_models.config import count_parameters
from longrange_models.transformer import TransformerClassifier, sinusoidal_positions

pytestmark = pytest.mark.usefixtures("one_thread")


real_net = seeded(
    TransformerClassifier, num_classes=5, in_channels=3, d_model=8, nhead=2, max_len=16
)
token_net = seeded(
    TransformerClassifier, num_classes=4, num_tokens=7, d_model=8, nhead=2, max_len=16
)


def naive_features(model: TransformerClassifier, x: torch.Tensor, lengths) -> torch.Tensor:
    """Pre-norm encoder written out: per head ``softmax(q kᵀ/√d_h)`` with the padded keys'
    weights set to zero by hand, then the feed-forward; ``(N, D, L)``."""
    h = model.encoder(x).transpose(1, 2)
    n, length, d = h.shape
    h = h + model._positions(length)
    valid = torch.ones(n, length, dtype=torch.bool)
    if lengths is not None:
        valid = torch.arange(length)[None, :] < lengths[:, None]
    for layer in model.layers.layers:
        attn, heads = layer.self_attn, layer.self_attn.num_heads
        dh = d // heads
        y = F.layer_norm(h, (d,), layer.norm1.weight, layer.norm1.bias, layer.norm1.eps)
        q, k, v = (y @ attn.in_proj_weight.T + attn.in_proj_bias).chunk(3, dim=-1)
        out = torch.zeros_like(h)
        for b in range(n):
            for head in range(heads):
                cols = slice(head * dh, (head + 1) * dh)
                scores = q[b, :, cols] @ k[b, :, cols].T / math.sqrt(dh)  # (L, L)
                weights = torch.exp(scores - scores.max()) * valid[b][None, :]
                weights = weights / weights.sum(-1, keepdim=True)
                out[b, :, cols] = weights @ v[b, :, cols]
        h = h + out @ attn.out_proj.weight.T + attn.out_proj.bias
        y = F.layer_norm(h, (d,), layer.norm2.weight, layer.norm2.bias, layer.norm2.eps)
        h = h + layer.linear2(F.gelu(layer.linear1(y)))
    norm = model.layers.norm
    return F.layer_norm(h, (d,), norm.weight, norm.bias, norm.eps).transpose(1, 2)


@pytest.mark.parametrize("positions", ["learned", "sinusoidal"])
@pytest.mark.parametrize("grad", [True, False])
def test_encoder_equals_a_naive_masked_softmax(positions, grad):
    # grad=False in eval mode: PyTorch's fused encoder fast path; grad=True: the Python path
    model = real_net(num_layers=2, positions=positions).double().eval()
    x = torch.randn(3, 3, 11, dtype=torch.float64)
    for lengths in (None, torch.tensor([11, 6, 1])):
        with torch.set_grad_enabled(grad):
            got = model.features(x, lengths)
        want = naive_features(model, x, lengths)
        for b in range(3):
            valid = 11 if lengths is None else int(lengths[b])
            torch.testing.assert_close(got[b, :, :valid], want[b, :, :valid], rtol=0, atol=1e-10)


@pytest.mark.parametrize("grad", [True, False])
@pytest.mark.parametrize("kind", ["real", "token"])
def test_padding_changes_nothing(kind, grad):
    model = (real_net() if kind == "real" else token_net()).double().eval()
    with torch.set_grad_enabled(grad):
        assert_padding_changes_nothing(model, kind)


def test_sinusoidal_positions_formula():
    pe = sinusoidal_positions(7, 6, torch.float64)
    for p in range(7):
        for i in range(3):
            angle = p / 10000 ** (2 * i / 6)
            assert pe[p, 2 * i].item() == pytest.approx(math.sin(angle), abs=1e-12)
            assert pe[p, 2 * i + 1].item() == pytest.approx(math.cos(angle), abs=1e-12)
    assert sinusoidal_positions(3, 5).shape == (3, 5)  # odd width: the last column is a sine


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_shapes_and_gradients(dtype):
    for model, x in (
        (real_net(dropout=0.1), torch.randn(2, 3, 16, dtype=dtype)),
        (token_net(positions="sinusoidal", activation="relu"), torch.randint(0, 7, (2, 9))),
    ):
        model = model.to(dtype)
        logits = model(x, torch.tensor([9, 2]))
        assert logits.shape == (2, model.config.num_classes)
        assert logits.dtype == dtype
        assert model.features(x).shape == (2, 8, x.shape[-1])
        logits.square().sum().backward()
        assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())


def test_gradcheck_float64():
    model = real_net(d_model=4, nhead=2, num_layers=1, dim_feedforward=6).double().eval()
    x = torch.randn(2, 3, 5, dtype=torch.float64, requires_grad=True)
    lengths = torch.tensor([5, 3])
    assert torch.autograd.gradcheck(lambda x: model(x, lengths), (x,))


@pytest.mark.parametrize(
    "kw",
    [
        {"in_channels": 3},
        {"num_tokens": 11, "positions": "sinusoidal"},
        {"in_channels": 2, "dim_feedforward": 5, "num_layers": 3},
    ],
)
def test_parameter_count_closed_form(kw):
    args = {"num_classes": 6, "d_model": 12, "nhead": 3, "max_len": 20, **kw}
    model = TransformerClassifier(**args)
    assert TransformerClassifier.parameter_count(**args) == count_parameters(model)


@pytest.mark.parametrize("budget", [6000, 25_000, 140_000])
@pytest.mark.parametrize(
    "kw",
    [
        {"num_classes": 10, "num_tokens": 18, "nhead": 4, "num_layers": 2, "max_len": 64},
        {"num_classes": 10, "in_channels": 3, "nhead": 2, "num_layers": 3, "max_len": 32},
    ],
)
def test_for_budget_meets_the_budget(budget, kw):
    model = TransformerClassifier.for_budget(budget, **kw)
    count = count_parameters(model)
    assert abs(count - budget) <= 0.02 * budget
    cfg = model.config
    assert cfg.d_model % cfg.nhead == 0
    assert cfg.dim_feedforward >= 4 * cfg.d_model


def test_config_and_preset():
    model = token_net(num_layers=1)
    cfg = json.loads(json.dumps(model.to_config()))
    assert TransformerClassifier.from_config(cfg).to_config() == model.to_config()
    small = TransformerClassifier.preset("listops", d_model=16, dim_feedforward=32, num_layers=1)
    assert small.config.num_tokens == 18
    assert small.config.max_len == 2048


def test_bad_inputs():
    with pytest.raises(ValueError, match="max_len=16, got 17"):
        real_net()(torch.randn(2, 3, 17))
    with pytest.raises(ValueError, match="budget should be >= "):
        TransformerClassifier.for_budget(10, num_classes=2, in_channels=1)
    with pytest.raises(TypeError, match="for_budget chooses d_model"):
        TransformerClassifier.for_budget(10_000, num_classes=2, in_channels=1, d_model=8)
