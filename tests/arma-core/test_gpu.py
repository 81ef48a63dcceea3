import pytest
import torch

from arma_core import ARMA2d, ar_solve2d
from arma_stability import stable_coefficients


@pytest.mark.gpu
@pytest.mark.parametrize(
    ("method", "boundary", "size"),
    [
        ("fft", "circular", (32, 40)),
        ("matmul", "circular", (32, 40)),
        ("banded", "circular", (12, 10)),
        ("banded", "zero", (12, 10)),
    ],
)
def test_cuda_matches_cpu(method, boundary, size):
    g = torch.Generator().manual_seed(0)
    t = torch.randn(2, 4, *size, generator=g, dtype=torch.float64)
    co = stable_coefficients(torch.randn(2, 4, 2, 2, generator=g, dtype=torch.float64))
    cpu = ar_solve2d(t, co, boundary=boundary, method=method)
    cuda = ar_solve2d(t.cuda(), co.cuda(), boundary=boundary, method=method)
    torch.testing.assert_close(cuda.cpu(), cpu)


@pytest.mark.gpu
def test_layer_trains_on_cuda():
    layer = ARMA2d(3, 4, 3, padding=1, ar_init=0.3).cuda()
    y = layer(torch.randn(2, 3, 16, 16, device="cuda"))
    y.square().mean().backward()
    assert layer.ar_weight.grad is not None
