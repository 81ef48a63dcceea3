"""MultiresAR: causality, exact streaming, identical samples, loss, presets, config, errors."""

import math

import pytest
import torch
from config_round_trip import assert_json_round_trip

from longrange_models.config import count_parameters
from longrange_models.logistic_mixture import mixture_log_probs, mixture_nll
from longrange_models.multires_ar import AR_PAPER_PARAMETERS, MultiresAR


def tiny(**kw) -> MultiresAR:
    args = {"in_channels": 1, "seq_len": 12, "channels": 6, "num_blocks": 2, "kernel_size": 2}
    args["num_mixtures"] = 3
    torch.manual_seed(kw.pop("seed", 0))
    return MultiresAR(**{**args, **kw})


def images(n: int, c: int, length: int, seed: int = 0) -> torch.Tensor:
    return torch.randint(0, 256, (n, c, length), generator=torch.Generator().manual_seed(seed))


def test_body_is_causal_by_autograd():
    """d out[..., i] / d inputs[..., s] is zero for s > i and not zero for some s <= i."""
    model = tiny(dropout=0.0, seq_len=9).double()
    inputs = torch.randn(1, 1, 9, dtype=torch.float64, requires_grad=True)
    out = model.body(inputs)
    for i in range(9):
        (g,) = torch.autograd.grad(out[..., i].sum(), inputs, retain_graph=True)
        assert torch.all(g[..., i + 1 :] == 0), i
        assert g[..., i].abs().sum() > 0, i  # the current (already shifted) input is seen


@pytest.mark.parametrize("norm", ["layer", "batch"])
def test_perturbing_position_t_changes_no_output_at_or_before_t(norm):
    model = tiny(norm=norm, seq_len=8).double().eval()
    x = images(2, 1, 8)
    base = model.distribution_params(x)
    for t in range(8):
        y = x.clone()
        y[..., t] = (y[..., t] + 97) % 256
        out = model.distribution_params(y)
        torch.testing.assert_close(out[..., : t + 1], base[..., : t + 1], rtol=0, atol=0)
        if t < 7:  # the next position sees it
            assert (out[..., t + 1] - base[..., t + 1]).abs().max() > 1e-8


def _train_bn_stats(model: MultiresAR) -> None:
    """A few training-mode forwards so BatchNorm running statistics are not (0, 1)."""
    model.train()
    with torch.no_grad():
        for s in range(3):
            model.distribution_params(images(4, model.config.in_channels, 16, seed=10 + s))
    model.eval()


@pytest.mark.parametrize("tree_select", ["fading", "uniform"])
@pytest.mark.parametrize("kernel_size", [2, 4])
@pytest.mark.parametrize(
    ("dtype", "tol"), [(torch.float32, 1e-5), (torch.float64, 1e-10)], ids=["f32", "f64"]
)
def test_streaming_params_equal_the_full_forward(tree_select, kernel_size, dtype, tol):
    memory = 5 if tree_select == "uniform" else None
    for channels, norm in ((1, "layer"), (3, "batch")):
        model = tiny(
            in_channels=channels,
            kernel_size=kernel_size,
            tree_select=tree_select,
            memory_size=memory,
            norm=norm,
            dropout=0.1,
            seq_len=12,
        ).to(dtype)
        _train_bn_stats(model)
        x = images(3, channels, 12, seed=kernel_size)
        with torch.no_grad():
            full = model.distribution_params(x)
            torch.testing.assert_close(model.stream_params(x), full, rtol=tol, atol=tol)


@pytest.mark.parametrize("path", ["map", "recursion"])
def test_every_step_path_streams_exactly(path):
    model = tiny(in_channels=3, kernel_size=4, seq_len=12).double().eval()
    x = images(2, 3, 12)
    with torch.no_grad():
        torch.testing.assert_close(
            model.stream_params(x, path=path), model(x), rtol=1e-10, atol=1e-10
        )


def _assert_streams_exactly(model: MultiresAR, x: torch.Tensor) -> None:
    """Step-by-step parameters equal the full forward's to float64 round-off."""
    with torch.no_grad():
        torch.testing.assert_close(
            model.stream_params(x), model.distribution_params(x), rtol=1e-10, atol=1e-10
        )


def test_prenorm_streams_exactly():
    model = tiny(prenorm=True, seq_len=14).double().eval()
    _assert_streams_exactly(model, images(2, 1, 14))


@pytest.mark.parametrize("channels", [1, 3])
def test_streaming_and_recompute_samplers_draw_identical_images(channels):
    model = tiny(in_channels=channels, seq_len=16, kernel_size=4).double().eval()
    a = model.sample(2, generator=torch.Generator().manual_seed(5))
    b = model.sample_by_recompute(2, generator=torch.Generator().manual_seed(5))
    assert a.shape == (2, channels, 16)
    assert a.dtype == torch.int64
    assert torch.equal(a, b)
    assert int(a.min()) >= 0
    assert int(a.max()) <= 255
    c = model.sample(2, generator=torch.Generator().manual_seed(6))
    assert not torch.equal(a, c)  # the draws do depend on the generator
    prefix = model.sample(2, generator=torch.Generator().manual_seed(5), length=5)
    assert torch.equal(prefix, a[..., :5])


def test_sampling_rejects_modes_that_cannot_stream():
    model = tiny(dropout=0.2)  # training mode after construction
    with pytest.raises(RuntimeError, match=r"dropout=0\.2"):
        model.sample(1)
    with pytest.raises(RuntimeError, match=r"dropout=0\.2"):
        model.sample_by_recompute(1)
    bn = tiny(norm="batch", dropout=0.0)
    with pytest.raises(RuntimeError, match="BatchNorm in training mode"):
        bn.init_state(1)
    # LayerNorm without dropout streams exactly even in training mode
    _assert_streams_exactly(tiny(dropout=0.0).double(), images(1, 1, 12))


@pytest.mark.parametrize("channels", [1, 3])
def test_loss_is_the_mixture_nll_and_the_chain_rule(channels):
    model = tiny(in_channels=channels, seq_len=10).double().eval()
    x = images(2, channels, 10, seed=3)
    nll, bpd = model.loss(x)
    params = model.distribution_params(x)
    torch.testing.assert_close(nll, mixture_nll(params, x, 3), rtol=0, atol=0)
    # closed form: batch mean over C·L sub-pixels, in bits
    assert bpd.item() == pytest.approx(nll.mean().item() / (channels * 10 * math.log(2)), 1e-12)
    # chain rule: −Σ_i log p(x_i | x_<i), position by position from the conditionals
    with torch.no_grad():
        total = torch.zeros(2, dtype=torch.float64)
        for i in range(10):
            lp = mixture_log_probs(params[..., i].detach(), 3, channels, previous=x[..., i])
            lp = lp.view(2, channels, 256)
            total -= lp.gather(2, x[..., i, None]).sum((1, 2))
    torch.testing.assert_close(nll.detach(), total, rtol=1e-9, atol=1e-9)
    nll.sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_preset_parameter_counts_match_the_paper():
    """Table 4 prints 38M for the CIFAR-10 model; the count by the architecture's formula."""
    d, blocks, depth, m = 512, 48, 9, 10  # depth = ceil(log2(1023/3 + 1)) = 9
    block = 2 * d * 4 + d * (depth + 2) + (d * 2 * d + 2 * d) + (d * d + d) + 2 * d
    expected = (3 * d + d) + blocks * block + (d * 10 * m + 10 * m)
    model = MultiresAR.preset("cifar10")
    assert count_parameters(model) == expected == 38_391_908
    assert AR_PAPER_PARAMETERS["cifar10"] == "38M"
    assert f"{round(expected / 1e6)}M" == "38M"
    mnist = MultiresAR.preset("mnist", channels=8, num_blocks=1)
    assert (mnist.config.in_channels, mnist.config.seq_len) == (1, 784)
    assert mnist.blocks[0].layer.conv.depth == math.ceil(math.log2(783 / 3 + 1))


def test_config_json_round_trip():
    model = tiny(tree_select="uniform", memory_size=4, norm="batch", kernel_size=4)
    assert_json_round_trip(model, images(1, 1, 12))
    assert "num_mixtures=3" in repr(model)
    assert "extra_conv=True" in repr(model)


def test_bad_inputs_name_themselves():
    model = tiny().eval()
    with pytest.raises(ValueError, match=r"x should be a Tensor\[N, C=1, L\].*\(2, 3, 4\)"):
        model.loss(images(2, 3, 4))
    with pytest.raises(TypeError, match=r"x should be an integer tensor.*float32"):
        model(torch.zeros(1, 1, 4))
    with pytest.raises(ValueError, match=r"x should hold values in 0..255, got \[0, 256\]"):
        model(torch.tensor([[[0, 256]]]))
    with pytest.raises(ValueError, match="n should be a positive int, got 0"):
        model.sample(0)
    with pytest.raises(ValueError, match="length should be a positive int, got -1"):
        model.sample(1, length=-1)
    with pytest.raises(ValueError, match="path should be one of"):
        model.sample(1, path="fast")
    with pytest.raises(ValueError, match=r"name should be one of .*got 'svhn'"):
        MultiresAR.preset("svhn")
    state = model.init_state(1)
    model.step(None, state)
    with pytest.raises(ValueError, match="x_prev should be given after the first step"):
        model.step(None, state)
    with pytest.raises(ValueError, match=r"x_prev should be a Tensor\[N=1, C=1\], got \(1, 3\)"):
        model.step(torch.zeros(1, 3, dtype=torch.long), state)


def test_scaled_shift_matches_a_hand_built_input():
    """distribution_params == body on (0, 2x_0/255 − 1, ...), built here by hand."""
    model = tiny(seq_len=6).double().eval()
    x = images(1, 1, 6, seed=9)
    hand = torch.zeros(1, 1, 6, dtype=torch.float64)
    for i in range(1, 6):
        hand[0, 0, i] = x[0, 0, i - 1].item() / 127.5 - 1.0
    torch.testing.assert_close(model.distribution_params(x), model.body(hand), rtol=0, atol=1e-14)
