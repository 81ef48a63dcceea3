import pytest
import torch

from multires_core import MultiresConv1d, fused_unavailable


@pytest.mark.gpu
@pytest.mark.parametrize("tree_select", ["fading", "uniform"])
def test_cuda_forward_and_streaming_match_the_cpu(tree_select):
    torch.manual_seed(0)
    m = MultiresConv1d(8, 3, seq_len=50, tree_select=tree_select, memory_size=9).double()
    x = torch.randn(2, 8, 50, dtype=torch.float64)
    with torch.no_grad():
        cpu = m(x)
        m.cuda()
        xc = x.cuda()
        torch.testing.assert_close(m(xc).cpu(), cpu, rtol=1e-10, atol=1e-10)
        state = m.init_state(2)
        assert "CPU tensors only" in fused_unavailable(xc[:, :, 0], state)
        ys = [m.step(xc[:, :, t], state)[0] for t in range(50)]  # auto: the tensor paths
    torch.testing.assert_close(torch.stack(ys, -1).cpu(), cpu, rtol=1e-10, atol=1e-10)
