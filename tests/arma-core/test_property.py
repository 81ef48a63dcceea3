import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from arma_core import ARMA2d, ar_solve2d
from arma_stability import stability_margin, stable_coefficients

params = arrays(
    dtype="float32",
    shape=(2, 3, 2, 2),
    elements=st.one_of(
        st.floats(-1e4, 1e4, width=32),
        st.sampled_from([1e4, -1e4, 30.0, -30.0, 0.0]),
    ),
)


@settings(max_examples=60, deadline=None)
@given(p=params, method=st.sampled_from(["fft", "matmul"]))
def test_any_parameters_give_finite_output_and_positive_margin_float32(p, method):
    co = stable_coefficients(torch.from_numpy(p))
    assert float(stability_margin(list(co.unbind(0))).min()) > 0
    t = torch.randn(2, 3, 9, 8)
    y = ar_solve2d(t, co, method=method)
    assert torch.isfinite(y).all()


@settings(max_examples=20, deadline=None)
@given(scale=st.floats(0.0, 1e4))
def test_layer_with_saturated_parameters_stays_finite_and_differentiable(scale):
    layer = ARMA2d(2, 3, 3, padding=1, ar_order=2)
    with torch.no_grad():
        layer.ar_weight.copy_(torch.sign(torch.randn_like(layer.ar_weight)) * scale)
    y = layer(torch.randn(1, 2, 10, 10))
    y.sum().backward()
    assert torch.isfinite(y).all()
    assert torch.isfinite(layer.ar_weight.grad).all()
