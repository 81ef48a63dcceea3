"""ConvLSTM/ConvGRU cells and ConvLSTMNet against hand-written gate equations and oracles."""

import json
import math
from functools import partial

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from arma_core import ARMA2d
from longrange_models.cells import ConvGRUCell, ConvLSTMCell
from longrange_models.config import count_parameters
from longrange_models.convlstm_net import PRESETS, ConvLSTMNet, ConvLSTMNetConfig
from longrange_models.factory import LAYER_KINDS

TINY = {"hidden_channels": 4, "num_layers": 4, "block_size": 1}  # 4 blocks: both skips exist


def _conv(conv, x):
    """The plain convolution of a factory layer, by hand (an ARMA layer at ar_init=0 is it)."""
    d = conv.dilation[0]
    return F.conv2d(x, conv.weight, conv.bias, padding=conv.padding, dilation=d)


def _randomise(module, seed, scale=0.5):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(scale * torch.randn(p.shape, generator=gen, dtype=p.dtype))


# ------------------------------------------------------------------------------------ cells
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("layer", ["conv", "dilated"])
def test_lstm_step_equals_hand_written_gates(layer, dtype):
    cell = ConvLSTMCell(3, 5, layer=layer).to(dtype)
    _randomise(cell, 0)
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(2, 3, 6, 7, generator=gen, dtype=dtype)
    h0 = torch.randn(2, 5, 6, 7, generator=gen, dtype=dtype)
    c0 = torch.randn(2, 5, 6, 7, generator=gen, dtype=dtype)
    h, (h_state, c) = cell.step(x, (h0, c0))
    z = _conv(cell.gates, torch.cat([x, h0], 1))
    i, f, o, g = z[:, 0:5], z[:, 5:10], z[:, 10:15], z[:, 15:20]  # documented order i, f, o, g
    c_ref = torch.sigmoid(f) * c0 + torch.sigmoid(i) * torch.tanh(g)
    h_ref = torch.sigmoid(o) * torch.tanh(c_ref)
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == torch.float32 else {"rtol": 1e-12, "atol": 0}
    torch.testing.assert_close(c, c_ref, **tol)
    torch.testing.assert_close(h, h_ref, **tol)
    assert h is h_state
    assert h.dtype == dtype
    assert h.shape == (2, 5, 6, 7)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_gru_step_equals_hand_written_gates(dtype):
    cell = ConvGRUCell(2, 3, kernel_size=5).to(dtype)
    _randomise(cell, 2)
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(2, 2, 5, 6, generator=gen, dtype=dtype)
    h0 = torch.randn(2, 3, 5, 6, generator=gen, dtype=dtype)
    h, (h_state,) = cell.step(x, (h0,))
    gates = _conv(cell.gates, torch.cat([x, h0], 1))
    r, u = torch.sigmoid(gates[:, :3]), torch.sigmoid(gates[:, 3:])  # order r, z
    n = torch.tanh(_conv(cell.candidate, torch.cat([x, r * h0], 1)))
    h_ref = (1 - u) * n + u * h0
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == torch.float32 else {"rtol": 1e-12, "atol": 0}
    torch.testing.assert_close(h, h_ref, **tol)
    assert h is h_state
    assert h.dtype == dtype


@pytest.mark.parametrize("cls", [ConvLSTMCell, ConvGRUCell])
def test_cell_forward_is_the_step_loop_from_zero_state(cls):
    cell = cls(2, 3, layer="arma", ar_init=0.3).double()
    x = torch.randn(2, 4, 2, 5, 5, dtype=torch.float64)
    out, state = cell(x)
    assert out.shape == (2, 4, 3, 5, 5)
    s = tuple(torch.zeros(2, 3, 5, 5, dtype=torch.float64) for _ in range(cls.num_states))
    for t in range(4):
        h, s = cell.step(x[:, t], s)
        torch.testing.assert_close(out[:, t], h, rtol=1e-12, atol=0)
    for a, b in zip(state, s, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=0)
    # resuming from the state of the first half gives the second half
    first, mid = cell(x[:, :2])
    second, _ = cell(x[:, 2:], mid)
    torch.testing.assert_close(torch.cat([first, second], 1), out, rtol=1e-12, atol=0)


@pytest.mark.parametrize("cls", [ConvLSTMCell, ConvGRUCell])
def test_cell_gradcheck(cls):
    cell = cls(1, 2, kernel_size=3).double()
    _randomise(cell, 4)
    x = torch.randn(1, 2, 1, 3, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda v: cell(v)[0], (x,))


def test_cell_init_state_and_errors():
    cell = ConvLSTMCell(2, 3).double()
    h, c = cell.init_state(4, (5, 6))
    assert h.shape == c.shape == (4, 3, 5, 6)
    assert h.dtype == torch.float64
    assert not h.any()
    assert cell.init_state(1, (2, 2), dtype=torch.float32)[0].dtype == torch.float32
    with pytest.raises(ValueError, match=r"C=2"):
        cell.step(torch.randn(4, 3, 5, 6, dtype=torch.float64), (h, c))
    with pytest.raises(ValueError, match="state should be 2 tensors"):
        cell.step(torch.randn(4, 2, 5, 7, dtype=torch.float64), (h, c))
    with pytest.raises(ValueError, match=r"x should be a Tensor\[N, T"):
        cell(torch.randn(4, 2, 5, 6))
    with pytest.raises(ValueError, match="hidden_channels"):
        ConvGRUCell(2, 0)
    with pytest.raises(ValueError, match="layer"):
        ConvLSTMCell(2, 3, layer="lstm")
    with pytest.raises(TypeError, match="ar_init"):
        ConvLSTMCell(2, 3, layer="conv", ar_init=0.1)
    assert "layer='dilated'" in repr(ConvGRUCell(1, 2, layer="dilated"))


# ------------------------------------------------------------------------------- the network
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("layer", LAYER_KINDS)
def test_net_shapes_and_backward(layer, cell, dtype):
    net = ConvLSTMNet(in_channels=2, layer=layer, cell=cell, **TINY).to(dtype)
    x = torch.rand(2, 3, 2, 8, 8, dtype=dtype, requires_grad=True)
    y = net(x, future=2)
    assert y.shape == (2, 2, 2, 8, 8)
    assert y.dtype == dtype
    assert ((y > 0) & (y < 1)).all()  # sigmoid output
    y.sum().backward()
    assert x.grad is not None
    assert x.grad.abs().sum() > 0
    assert all(p.grad is not None and p.grad.dtype == dtype for p in net.parameters())


def test_net_logits_and_longer_future():
    torch.manual_seed(0)
    net = ConvLSTMNet(layer="dilated-arma", output_activation="none", **TINY).double()
    y = net(torch.rand(1, 2, 1, 8, 8, dtype=torch.float64), future=4)
    assert y.shape == (1, 4, 1, 8, 8)
    assert (y < 0).any()  # no sigmoid: logits of either sign


def _paper_count(k, in_ch=1, hidden=32, arma=False):
    """The papers' backbone counted by hand: 12 cells of 4·32 gates, skips (3, 9), (6, 12)."""
    cell_inputs = [in_ch] + [hidden] * 8 + [2 * hidden] + [hidden] * 2  # layer 10 gets the skip
    gates = 4 * hidden
    cells = sum((c + hidden) * k * k * gates + gates for c in cell_inputs)
    ar = 12 * 2 * gates * 2 if arma else 0  # (H, W axis) × channels × (a_left, a_right)
    output = (2 * hidden) * in_ch + in_ch  # 1×1 conv over cat(layer 12, layer 6)
    return cells + ar + output


@pytest.mark.parametrize(
    ("name", "printed", "k", "arma"),
    [
        ("conv3", 0.887, 3, False),
        ("conv5", 2.462, 5, False),
        ("dilated", 0.887, 3, False),
        ("arma", 0.893, 3, True),
        ("dilated_arma", 0.893, 3, True),
    ],
)
def test_preset_parameter_counts_match_the_papers(name, printed, k, arma):
    count = count_parameters(ConvLSTMNet.preset(name))
    assert count == _paper_count(k, arma=arma)
    assert math.floor(count / 1e3) / 1e3 == printed  # the printed figures, truncated
    if not arma:
        assert round(count / 1e6, 3) == printed  # ... and rounded
    else:  # 893,633 rounds to 0.894: the papers truncated (see docs/guides/models-convlstm.md)
        assert count == 893_633


def test_presets_build_what_they_say():
    assert set(PRESETS) == {
        f"{b}{s}"
        for b in ("conv3", "conv5", "dilated", "arma", "dilated_arma")
        for s in ("", "_nl")
    }
    net = ConvLSTMNet.preset("dilated_arma_nl", hidden_channels=4)
    arma = [m for m in net.modules() if isinstance(m, ARMA2d)]
    assert len(arma) == 12
    assert all(m.dilation == (2, 2) for m in arma)
    assert arma[0].ar_coefficients().shape == (2, 16, 1, 2)
    assert sorted(net.non_local) == ["2", "5"]
    assert net.config.hidden_channels == 4
    assert not [m for m in ConvLSTMNet.preset("conv5").modules() if isinstance(m, ARMA2d)]
    with pytest.raises(ValueError, match="conv7"):
        ConvLSTMNet.preset("conv7")


def test_skip_structure_is_the_papers():
    net = ConvLSTMNet.preset("conv3")
    ins = [c.gates.in_channels - 32 for c in net.cells]
    assert ins == [1] + [32] * 8 + [64] + [32] * 2
    assert net.output.in_channels == 64
    no_skip = ConvLSTMNet(skip_stride=None)
    assert [c.in_channels for c in no_skip.cells][9] == 32
    assert no_skip.output.in_channels == 32


def _copy_weights(src, dst):
    missing, unexpected = dst.load_state_dict(src.state_dict(), strict=False)
    assert not unexpected
    return missing


def test_arma_with_zero_ar_equals_conv_net():
    torch.manual_seed(0)
    conv = ConvLSTMNet(layer="dilated", **TINY).double()
    arma = ConvLSTMNet(layer="dilated-arma", **TINY).double()
    missing = _copy_weights(conv, arma)
    assert missing
    assert all(k.endswith("ar_weight") for k in missing)
    x = torch.rand(2, 3, 1, 8, 8, dtype=torch.float64)
    torch.testing.assert_close(arma(x, future=2), conv(x, future=2), rtol=1e-10, atol=1e-12)
    with torch.no_grad():  # a non-zero AR part changes the output
        for m in arma.modules():
            if isinstance(m, ARMA2d):
                m.ar_weight.fill_(0.5)
    assert not torch.allclose(arma(x, future=2), conv(x, future=2))


def _reference_rollout(net, inputs, future, truth_mask=None, targets=None):
    """The rollout of a 4-layer, 4-block net written out: skips (1, 3) and (2, 4), 1-based."""
    n, t_in = inputs.shape[:2]
    h, w = inputs.shape[-2:]
    states = [c.init_state(n, (h, w)) for c in net.cells]
    preds, prev = [], None
    for t in range(t_in + future - 1):
        if t < t_in:
            x = inputs[:, t]
        elif truth_mask is not None:
            m = truth_mask[:, t - t_in].to(inputs.dtype)[:, None, None, None]
            x = m * targets[:, t - t_in] + (1 - m) * prev
        else:
            x = prev
        o0, states[0] = net.cells[0].step(x, states[0])
        o1, states[1] = net.cells[1].step(o0, states[1])
        o2, states[2] = net.cells[2].step(o1, states[2])
        o3, states[3] = net.cells[3].step(torch.cat([o2, o0], 1), states[3])
        prev = torch.sigmoid(net.output(torch.cat([o3, o1], 1)))
        if t >= t_in - 1:
            preds.append(prev)
    return torch.stack(preds, 1)


def test_rollout_equals_a_written_out_reference():
    net = ConvLSTMNet(**TINY).double()
    _randomise(net, 5)
    x = torch.rand(2, 3, 1, 6, 6, dtype=torch.float64)
    ref = partial(_reference_rollout, net)
    torch.testing.assert_close(net(x, future=3), ref(x, 3), rtol=1e-10, atol=1e-12)
    targets = torch.rand(2, 3, 1, 6, 6, dtype=torch.float64)
    gen = torch.Generator().manual_seed(7)
    y = net(x, future=3, targets=targets, teacher_forcing=0.5, generator=gen)
    mask = torch.rand(2, 2, generator=torch.Generator().manual_seed(7)) < 0.5
    torch.testing.assert_close(y, ref(x, 3, truth_mask=mask, targets=targets), rtol=1e-10, atol=0)


def test_teacher_forcing_one_depends_on_targets_zero_does_not():
    net = ConvLSTMNet(**TINY).double()
    x = torch.rand(1, 2, 1, 8, 8, dtype=torch.float64)
    targets = torch.rand(1, 3, 1, 8, 8, dtype=torch.float64, requires_grad=True)
    y = net(x, future=3, targets=targets, teacher_forcing=1.0)
    (grad,) = torch.autograd.grad(y.sum(), targets)
    assert grad[:, :2].abs().sum() > 0  # targets 0, 1 are fed back
    assert grad[:, 2].abs().sum() == 0  # the last true frame is never an input
    y0 = net(x, future=3, targets=targets, teacher_forcing=0.0)
    assert torch.autograd.grad(y0.sum(), targets, allow_unused=True)[0] is None
    torch.testing.assert_close(y0, net(x, future=3))
    assert not torch.allclose(y[:, 1:], y0[:, 1:])  # the first prediction is the same, then not
    torch.testing.assert_close(y[:, 0], y0[:, 0])


def test_scheduled_sampling_is_reproducible_with_a_generator():
    net = ConvLSTMNet(**TINY)
    x, tg = torch.rand(4, 2, 1, 8, 8), torch.rand(4, 4, 1, 8, 8)

    def run(seed):
        return net(x, 4, tg, 0.5, torch.Generator().manual_seed(seed))

    torch.testing.assert_close(run(3), run(3), rtol=0, atol=0)
    assert not torch.equal(run(3), run(4))


def test_patch_reshaping_is_pixel_unshuffle():
    torch.manual_seed(0)
    net = ConvLSTMNet(in_channels=1, patch_size=2, output_activation="none", **TINY).double()
    plain = ConvLSTMNet(in_channels=4, patch_size=1, output_activation="none", **TINY).double()
    plain.load_state_dict(net.state_dict())
    x = torch.rand(2, 3, 1, 8, 6, dtype=torch.float64)
    # by hand: (N, T, 1, 8, 6) -> (N, T, 4, 4, 3); channel 2·di + dj holds pixel (2i+di, 2j+dj)
    xp = torch.stack([x[..., 0, di::2, dj::2] for di in range(2) for dj in range(2)], dim=2)
    torch.testing.assert_close(xp, F.pixel_unshuffle(x.flatten(0, 1), 2).unflatten(0, (2, 3)))
    yp = plain(xp, future=2)  # (N, 2, 4, 4, 3)
    y = net(x, future=2)  # (N, 2, 1, 8, 6)
    for di in range(2):
        for dj in range(2):
            torch.testing.assert_close(y[..., 0, di::2, dj::2], yp[:, :, 2 * di + dj])


def test_non_local_net_starts_equal_to_the_plain_net():
    nl = ConvLSTMNet(non_local_layers=[0, 2], non_local_sub_sample=False, **TINY).double()
    plain = ConvLSTMNet(**TINY).double()
    missing = _copy_weights(plain, nl)
    assert missing
    assert all(k.startswith("non_local.") for k in missing)
    x = torch.rand(1, 2, 1, 8, 8, dtype=torch.float64)
    torch.testing.assert_close(nl(x, future=2), plain(x, future=2), rtol=0, atol=0)
    _randomise(nl.non_local, 1)
    assert not torch.allclose(nl(x, future=2), plain(x, future=2))
    assert nl.config.non_local_layers == (0, 2)


def test_config_json_round_trip():
    net = ConvLSTMNet(
        layer="arma", cell="gru", patch_size=2, non_local_layers=(1,), ar_init=(0.2, 0.1), **TINY
    )
    cfg = json.loads(json.dumps(net.to_config()))
    assert cfg["non_local_layers"] == [1]
    assert cfg["ar_init"] == [0.2, 0.1]
    again = ConvLSTMNet.from_config(cfg)
    assert {k: v.shape for k, v in again.state_dict().items()} == {
        k: v.shape for k, v in net.state_dict().items()
    }
    again.load_state_dict(net.state_dict())
    x = torch.rand(1, 2, 1, 8, 8)
    torch.testing.assert_close(again(x, future=2), net(x, future=2), rtol=0, atol=0)
    assert again.config == net.config
    assert isinstance(net.config, ConvLSTMNetConfig)
    assert ConvLSTMNet.from_config(net.config).config == net.config
    text = repr(net)
    assert "cell='gru'" in text
    assert "patch_size=2" in text
    assert "non_local_layers=(1,)" in text


@pytest.mark.parametrize(
    ("kwargs", "exc", "names"),
    [
        ({"layer": "conv4"}, ValueError, ["layer", "conv4"]),
        ({"cell": "rnn"}, ValueError, ["cell", "rnn"]),
        ({"hidden_channels": 0}, ValueError, ["hidden_channels", "0"]),
        ({"num_layers": -1}, ValueError, ["num_layers", "-1"]),
        ({"num_layers": 5, "block_size": 2}, ValueError, ["block_size", "2"]),
        ({"patch_size": 0}, ValueError, ["patch_size", "0"]),
        ({"kernel_size": 4}, ValueError, ["kernel_size", "4"]),
        ({"in_channels": 1.5}, TypeError, ["in_channels", "float"]),
        ({"output_activation": "relu"}, ValueError, ["output_activation", "relu"]),
        ({"non_local_layers": (4,)}, ValueError, ["non_local_layers", "4"]),
        ({"non_local_layers": (1, 1)}, ValueError, ["non_local_layers"]),
        ({"skip_stride": 0}, ValueError, ["skip_stride", "0"]),
        ({"ar_init": 0.1}, ValueError, ["ar_init", "conv"]),
        ({"layer": "arma", "boundary": "mirror"}, ValueError, ["boundary", "mirror"]),
    ],
)
def test_bad_constructor_arguments(kwargs, exc, names):
    with pytest.raises(exc) as info:
        ConvLSTMNet(**{**TINY, **kwargs})
    for name in names:
        assert name in str(info.value)


@pytest.mark.parametrize(
    ("args", "exc", "names"),
    [
        ({"inputs": torch.rand(1, 2, 1, 7, 8)}, ValueError, ["patch_size=2", "7"]),
        ({"inputs": torch.rand(1, 2, 3, 8, 8)}, ValueError, ["in_channels=1", "(1, 2, 3, 8, 8)"]),
        ({"inputs": torch.rand(2, 1, 8, 8)}, ValueError, ["inputs", "(2, 1, 8, 8)"]),
        ({"inputs": torch.rand(1, 0, 1, 8, 8)}, ValueError, ["T >= 1"]),
        ({"future": 0}, ValueError, ["future", "0"]),
        ({"future": 2.0}, TypeError, ["future", "float"]),
        ({"teacher_forcing": 1.5}, ValueError, ["teacher_forcing", "1.5"]),
        ({"teacher_forcing": -0.1}, ValueError, ["teacher_forcing", "-0.1"]),
        ({"teacher_forcing": 0.5, "targets": None}, ValueError, ["targets", "None"]),
        ({"targets": torch.rand(1, 3, 1, 8, 8)}, ValueError, ["targets", "(1, 2, 1, 8, 8)"]),
    ],
)
def test_bad_forward_arguments(args, exc, names):
    net = ConvLSTMNet(patch_size=2, **TINY)
    kwargs = {"inputs": torch.rand(1, 2, 1, 8, 8), "future": 2, **args}
    with pytest.raises(exc) as info:
        net(**kwargs)
    for name in names:
        assert name in str(info.value)


def test_uses_nn_modules_only_from_the_factory():
    net = ConvLSTMNet(layer="arma", **TINY)
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    assert sum(isinstance(m, ARMA2d) for m in convs) == 4  # the cells' gate convs
    assert not isinstance(net.output, ARMA2d)


@pytest.mark.gpu
def test_cuda_equals_cpu_with_a_cpu_generator():
    net = ConvLSTMNet(layer="arma", patch_size=2, **TINY).double()
    x, tg = torch.rand(2, 2, 1, 8, 8, dtype=torch.float64), torch.rand(2, 3, 1, 8, 8).double()
    y = net(x, 3, tg, 0.5, torch.Generator().manual_seed(0))
    y_cuda = net.cuda()(x.cuda(), 3, tg.cuda(), 0.5, torch.Generator().manual_seed(0))
    torch.testing.assert_close(y_cuda.cpu(), y, rtol=1e-9, atol=1e-12)
