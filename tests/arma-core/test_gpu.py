import pytest
import torch

from arma_core import ARMA2d, ar_solve2d
from arma_stability import stable_coefficients


@pytest.mark.gpu
@pytest.mark.parametrize("method", ["fft", "matmul"])
def test_cuda_matches_cpu(method):
    g = torch.Generator().manual_seed(0)
    t = torch.randn(2, 4, 32, 40, generator=g, dtype=torch.float64)
    co = stable_coefficients(torch.randn(2, 4, 2, 2, generator=g, dtype=torch.float64))
    cpu = ar_solve2d(t, co, method=method)
    cuda = ar_solve2d(t.cuda(), co.cuda(), method=method)
    torch.testing.assert_close(cuda.cpu(), cpu)


@pytest.mark.gpu
def test_layer_trains_on_cuda():
    layer = ARMA2d(3, 4, 3, padding=1, ar_init=0.3).cuda()
    y = layer(torch.randn(2, 3, 16, 16, device="cuda"))
    y.square().mean().backward()
    assert layer.ar_weight.grad is not None
