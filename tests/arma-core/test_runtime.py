"""Value checks' switch, autocast, torch.compile and torch.export of the ARMA layers."""

import math

import pytest
import torch

import arma_core
from arma_core import ARMA2d, ar_solve2d, set_validate
from arma_stability import stable_coefficients


@pytest.fixture(autouse=True)
def _restore_validate():
    before = arma_core.get_validate()
    yield
    set_validate(before)


def _nan_input():
    t = torch.randn(1, 2, 6, 6)
    t[0, 1, 2, 3] = math.nan
    return t


def test_checks_are_on_by_default_on_cpu():
    assert arma_core.get_validate() is None
    with pytest.raises(ValueError, match="input should be finite"):
        ar_solve2d(_nan_input(), torch.zeros(2, 2, 1, 2))


def test_global_switch_turns_checks_off_and_on():
    set_validate(False)
    y = ar_solve2d(_nan_input(), torch.full((2, 2, 1, 2), 0.2))  # no check: NaN propagates
    assert torch.isnan(y).any()
    set_validate(True)
    with pytest.raises(ValueError, match="input should be finite"):
        ar_solve2d(_nan_input(), torch.zeros(2, 2, 1, 2))


def test_per_call_and_per_module_override_the_global_switch():
    set_validate(False)
    with pytest.raises(ValueError, match="input should be finite"):
        ar_solve2d(_nan_input(), torch.zeros(2, 2, 1, 2), validate=True)
    layer = ARMA2d(2, 2, 1, ar_init=0.1, validate=True)
    with pytest.raises(ValueError, match="finite"):
        layer(_nan_input())
    set_validate(True)
    layer = ARMA2d(2, 2, 1, ar_init=0.1, validate=False)
    assert torch.isnan(layer(_nan_input())).any()


def test_switch_rejects_non_bools():
    with pytest.raises(TypeError, match="value should be a bool or None, got 1"):
        set_validate(1)  # type: ignore[arg-type]  # a wrong type, on purpose
    with pytest.raises(TypeError, match="validate should be a bool or None, got 'yes'"):
        ar_solve2d(torch.randn(1, 1, 5, 5), torch.zeros(2, 1, 1, 2), validate="yes")  # type: ignore[arg-type]  # a wrong type, on purpose
    with pytest.raises(TypeError, match="validate should be a bool or None"):
        ARMA2d(1, 1, 3, validate=0)  # type: ignore[arg-type]  # a wrong type, on purpose


def test_singular_zero_boundary_stage_is_reported():
    co = torch.tensor([[[[1.0, 0.5]]]], dtype=torch.float64)  # pivots 1, 1/2, 0 at n = 3
    with pytest.raises(ValueError, match="singular with the zero boundary"):
        arma_core.ar_solve(torch.randn(1, 1, 3, dtype=torch.float64), co, boundary="zero")


@pytest.mark.parametrize(
    ("boundary", "method"),
    [(bd, m) for bd in ("circular", "zero") for m in ("auto", "banded", "matmul", "fft")],
)
def test_autocast_bf16_forward_backward(boundary, method):
    torch.manual_seed(0)
    layer = ARMA2d(3, 4, 3, padding=1, ar_order=2, ar_init=0.3, boundary=boundary, method=method)
    x = torch.randn(2, 3, 12, 10)
    y32 = layer(x)
    g32 = torch.autograd.grad(y32.square().sum(), layer.ar_weight)[0]
    with torch.autocast("cpu", dtype=torch.bfloat16):
        y16 = layer(x)
        assert y16.dtype == torch.bfloat16  # a conv's autocast dtype
        g16 = torch.autograd.grad(y16.float().square().sum(), layer.ar_weight)[0]
    assert torch.isfinite(y16).all()
    assert torch.isfinite(g16).all()
    scale = float(y32.detach().abs().max())
    torch.testing.assert_close(y16.float(), y32, rtol=0.05, atol=0.02 * scale)
    torch.testing.assert_close(g16, g32, rtol=0.1, atol=0.05 * float(g32.abs().max()))


def test_bfloat16_module_still_works():
    layer = ARMA2d(2, 3, 3, padding=1, ar_init=0.3).to(torch.bfloat16)
    y = layer(torch.randn(1, 2, 8, 8, dtype=torch.bfloat16))
    assert y.dtype == torch.bfloat16
    y.float().sum().backward()
    assert torch.isfinite(layer.ar_weight.grad).all()


@pytest.mark.parametrize("boundary", ["circular", "zero"])
def test_torch_compile_fullgraph_equals_eager(boundary):
    torch.manual_seed(0)
    layer = ARMA2d(2, 3, 3, padding=1, ar_order=1, ar_init=0.3, boundary=boundary)
    x = torch.randn(2, 2, 6, 7, requires_grad=True)
    eager = layer(x)
    (ge,) = torch.autograd.grad(eager.square().sum(), x)
    compiled = torch.compile(layer, fullgraph=True, backend="aot_eager")
    out = compiled(x)
    (gc,) = torch.autograd.grad(out.square().sum(), x)
    torch.testing.assert_close(out, eager, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(gc, ge, rtol=1e-5, atol=1e-5)


def test_torch_export():
    torch.manual_seed(0)
    layer = ARMA2d(2, 3, 3, padding=1, ar_order=2, ar_init=0.3, boundary="zero").eval()
    x = torch.randn(1, 2, 6, 7)
    program = torch.export.export(layer, (x,))
    torch.testing.assert_close(program.module()(x), layer(x), rtol=1e-5, atol=1e-5)


def test_stable_coefficients_fixture_sanity():
    co = stable_coefficients(torch.randn(2, 1, 1, 2))
    assert bool((co.abs().sum(-1) < 1).all())
