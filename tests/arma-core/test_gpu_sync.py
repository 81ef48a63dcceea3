"""On CUDA the ARMA layers run forward and backward without a host synchronisation."""

import pytest
import torch

from arma_core import ARMA2d


@pytest.mark.gpu
@pytest.mark.parametrize(
    ("boundary", "method"), [("circular", "auto"), ("zero", "auto"), ("circular", "banded")]
)
def test_forward_backward_without_sync(boundary, method):
    layer = ARMA2d(3, 4, 3, padding=1, ar_order=2, ar_init=0.3, boundary=boundary, method=method)
    layer = layer.cuda()
    x = torch.randn(2, 3, 16, 20, device="cuda", requires_grad=True)
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        y = layer(x)
        y.backward(torch.ones_like(y))
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert torch.isfinite(layer.ar_weight.grad).all()
