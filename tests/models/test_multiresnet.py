"""MultiresNet / MultiresBlock: shapes, masked pooling, causal padding, presets, config, errors."""

import math

import pytest
import torch
from config_round_trip import assert_json_round_trip
from sequence_nets import seeded

from longrange_models.config import count_parameters
from longrange_models.multiresnet import (
    PAPER_PARAMETERS,
    MultiresBlock,
    MultiresNet,
    masked_mean,
)

real_net = seeded(MultiresNet, num_classes=5, in_channels=3, channels=8, num_blocks=2, seq_len=16)
token_net = seeded(
    MultiresNet, num_classes=4, num_tokens=7, channels=8, num_blocks=2, seq_len=16, kernel_size=4
)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("norm", ["layer", "batch", "none"])
@pytest.mark.parametrize("prenorm", [False, True])
def test_forward_backward_shapes(dtype, norm, prenorm):
    lengths = torch.tensor([16, 9, 3])
    for model, x in (
        (real_net(norm=norm, prenorm=prenorm, dropout=0.1), torch.randn(3, 3, 16, dtype=dtype)),
        (token_net(norm=norm, prenorm=prenorm), torch.randint(0, 7, (3, 16))),
    ):
        model = model.to(dtype)
        for lens in (None, lengths):
            logits = model(x, lengths=lens)
            assert logits.shape == (3, model.config.num_classes)
            assert logits.dtype == dtype
            logits.square().sum().backward()
            grads = [p.grad for p in model.parameters()]
            assert all(g is not None and torch.isfinite(g).all() for g in grads)
            model.zero_grad()


def test_masked_pooling_equals_a_hand_loop():
    model = token_net(norm="batch").double().eval()
    x = torch.randint(1, 7, (3, 16), generator=torch.Generator().manual_seed(1))
    lengths = torch.tensor([16, 5, 1])
    feats = model.features(x)
    pooled = torch.zeros(3, 8, dtype=torch.float64)
    for n in range(3):
        for t in range(int(lengths[n])):
            pooled[n] += feats[n, :, t]
        pooled[n] /= int(lengths[n])
    torch.testing.assert_close(masked_mean(feats, lengths), pooled, rtol=1e-12, atol=1e-12)
    expected = pooled @ model.head.weight.T + model.head.bias
    torch.testing.assert_close(model(x, lengths=lengths), expected, rtol=1e-12, atol=1e-12)
    # no lengths: the plain mean over all positions
    torch.testing.assert_close(masked_mean(feats), feats.sum(-1) / 16, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("norm", ["layer", "batch"])
def test_padding_after_the_valid_positions_changes_nothing(norm):
    """The blocks are causal: what comes after position lengths[n] − 1 cannot reach it."""
    g = torch.Generator().manual_seed(2)
    lengths = torch.tensor([11, 4])
    for model, x in (
        (token_net(norm=norm), torch.randint(1, 7, (2, 16), generator=g)),
        (real_net(norm=norm), torch.randn(2, 3, 16, generator=g)),
    ):
        model = model.double().eval()
        x = x.double() if x.is_floating_point() else x
        y = x.clone()
        for n, length in enumerate(lengths.tolist()):  # new padding values after the valid part
            if x.ndim == 2:
                y[n, length:] = torch.randint(0, 7, (16 - length,), generator=g)
            else:
                y[n, :, length:] = 100 * torch.randn(3, 16 - length, generator=g, dtype=y.dtype)
        fx, fy = model.features(x), model.features(y)
        for n, length in enumerate(lengths.tolist()):
            torch.testing.assert_close(fx[n, :, :length], fy[n, :, :length], rtol=0, atol=1e-12)
            assert (fx[n, :, length:] - fy[n, :, length:]).abs().max() > 1e-6
        torch.testing.assert_close(model(x, lengths), model(y, lengths), rtol=0, atol=1e-12)
        assert (model(x) - model(y)).abs().max() > 1e-6  # unmasked pooling does see the padding


@pytest.mark.parametrize("prenorm", [False, True])
@pytest.mark.parametrize("norm", ["layer", "batch"])
def test_block_step_equals_its_forward(prenorm, norm):
    torch.manual_seed(3)
    block = MultiresBlock(6, 4, seq_len=20, norm=norm, prenorm=prenorm, dropout=0.3).double()
    with torch.no_grad():  # training-mode forwards give the BatchNorm running statistics
        for _ in range(2):
            block(torch.randn(4, 6, 20, dtype=torch.float64))
    block.eval()
    x = torch.randn(2, 6, 20, dtype=torch.float64)
    state = block.init_state(2)
    with torch.no_grad():
        steps = torch.stack([block.step(x[..., t], state) for t in range(20)], -1)
        torch.testing.assert_close(steps, block(x), rtol=1e-10, atol=1e-10)
    block.train()
    with pytest.raises(RuntimeError, match=r"dropout=0\.3"):
        block.init_state(1)


def test_scifar_preset_parameter_count_matches_the_papers_1_4m():
    """Sec. 5.1 prints 1.4M: counted here from the architecture (App. C.1)."""
    d, blocks, k, depth = 256, 10, 2, 10  # depth = ceil(log2(1023/1 + 1)) = 10
    block = 2 * d * k + d * (depth + 2) + (d * 2 * d + 2 * d) + 2 * d
    expected = (3 * d + d) + blocks * block + (d * 10 + 10)
    model = MultiresNet.preset("scifar")
    assert count_parameters(model) == expected == 1_365_514
    assert f"{expected / 1e6:.1f}M" == PAPER_PARAMETERS["scifar"] == "1.4M"
    listops = MultiresNet.preset("listops")
    d, depth = 128, math.ceil(math.log2(2047 / 3 + 1))  # 10
    block = 2 * d * 4 + d * (depth + 2) + (d * 2 * d + 2 * d) + 2 * d  # BatchNorm: 2d params
    assert count_parameters(listops) == 18 * d + 10 * block + (d * 10 + 10) == 361_994
    assert isinstance(listops.blocks[0].norm, torch.nn.BatchNorm1d)
    ptbxl = MultiresNet.preset("ptbxl", num_classes=5)
    assert ptbxl.config.in_channels == 12
    assert ptbxl.head.out_features == 5


def test_config_json_round_trip():
    real = real_net(tree_select="uniform", memory_size=4, prenorm=True)
    assert_json_round_trip(real, torch.randn(2, 3, 16, generator=torch.Generator().manual_seed(0)))
    model = token_net()
    assert_json_round_trip(model, torch.randint(0, 7, (2, 16)))
    assert "num_tokens=7" in repr(model)


def test_bad_preset_name():
    with pytest.raises(ValueError, match=r"name should be one of .*got 'imdb'"):
        MultiresNet.preset("imdb")
