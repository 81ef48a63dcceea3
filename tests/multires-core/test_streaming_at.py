"""stream_step_at: the streaming step with the position held in a tensor (no host sync)."""

import pytest
import torch

from multires_core import MultiresConv1d, MultiresLayer, stream_step, stream_step_at


def conv(tree_select: str) -> MultiresConv1d:
    torch.manual_seed(0)
    return MultiresConv1d(5, 3, depth=4, tree_select=tree_select, memory_size=9).double()


@pytest.mark.parametrize("path", ["auto", "map", "recursion"])
@pytest.mark.parametrize("tree_select", ["fading", "uniform"])
def test_equals_stream_step_and_the_full_forward(tree_select, path):
    """Past a whole period of the rings: outputs and ring contents equal stream_step's."""
    m = conv(tree_select)
    x = torch.randn(2, 5, 60, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        full = m(x)
        ref, state = m.init_state(2), m.init_state(2)
        t = torch.zeros(1, dtype=torch.long)
        for i in range(60):
            expected, _ = stream_step(x[:, :, i], ref, "recursion" if path == "auto" else path)
            y = stream_step_at(x[:, :, i], state, t, path)
            t += 1
            torch.testing.assert_close(y, expected, rtol=1e-12, atol=1e-12)
            torch.testing.assert_close(y, full[:, :, i], rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(state.levels, ref.levels, rtol=1e-12, atol=1e-12)
    assert state.t == 0  # not advanced: the caller holds the position
    if tree_select == "uniform":
        torch.testing.assert_close(state.uniform.coeffs, ref.uniform.coeffs)


def test_multires_layer_step_at_applies_gelu():
    torch.manual_seed(0)
    layer = MultiresLayer(4, 2, depth=3).double().eval()
    x = torch.randn(1, 4, 9, dtype=torch.float64)
    state, t = layer.init_state(1), torch.zeros(1, dtype=torch.long)
    with torch.no_grad():
        ys = []
        for i in range(9):
            ys.append(layer.step_at(x[:, :, i], state, t))
            t += 1
        torch.testing.assert_close(torch.stack(ys, -1), layer(x), rtol=1e-10, atol=1e-10)


def test_bad_arguments_are_named():
    m = conv("fading")
    state, x = m.init_state(2), torch.zeros(2, 5, dtype=torch.float64)
    t = torch.zeros(1, dtype=torch.long)
    with pytest.raises(
        ValueError, match="path should be 'auto', 'map' or 'recursion', got 'fused'"
    ):
        stream_step_at(x, state, t, "fused")
    with pytest.raises(TypeError, match=r"t should be a Tensor.*got int"):
        stream_step_at(x, state, 0)
    with pytest.raises(ValueError, match=r"t should be a Tensor\[1\] of torch.int64 .* got \(\)"):
        stream_step_at(x, state, torch.tensor(0))
    with pytest.raises(ValueError, match=r"x_t should be a Tensor\[N=2, C=5\]"):
        stream_step_at(x.float(), state, t)
