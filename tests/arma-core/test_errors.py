import math

import pytest
import torch

from arma_core import ARMA1d, ARMA2d, ar_solve, ar_solve2d
from arma_stability import icml_eq16


def test_wrong_ndim():
    with pytest.raises(ValueError, match=r"1 to 3 spatial dims, got shape \(3, 4\)"):
        ar_solve(torch.randn(3, 4), torch.zeros(1, 3, 1, 2))
    with pytest.raises(ValueError, match=r"input should be 4D"):
        ar_solve2d(torch.randn(1, 2, 3, 4, 5), torch.zeros(2, 2, 1, 2))
    with pytest.raises(ValueError, match="input should be"):
        ARMA2d(2, 2, 1)(torch.randn(2, 2, 3, 4, 5))


def test_wrong_channel_count():
    with pytest.raises(ValueError, match="coefficients have 4 channels but input has 3"):
        ar_solve2d(torch.randn(1, 3, 8, 8), torch.zeros(2, 4, 1, 2))
    with pytest.raises(ValueError, match=r"in_channels=3 channels, got 5"):
        ARMA2d(3, 4, 3)(torch.randn(1, 5, 8, 8))


def test_wrong_coefficient_shape():
    with pytest.raises(ValueError, match=r"shape \(D=2, C, Q, 2\)"):
        ar_solve2d(torch.randn(1, 3, 8, 8), torch.zeros(1, 3, 1, 2))


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_input(bad):
    t = torch.randn(1, 2, 6, 6)
    t[0, 1, 2, 3] = bad
    with pytest.raises(ValueError, match="input should be finite"):
        ar_solve2d(t, torch.zeros(2, 2, 1, 2))
    x = torch.randn(1, 2, 6, 6)
    x[0, 0, 0, 0] = bad
    with pytest.raises(ValueError, match="finite"):
        ARMA2d(2, 2, 1)(x)


def test_non_finite_coefficients():
    co = torch.zeros(2, 2, 1, 2)
    co[1, 0, 0, 0] = math.nan
    with pytest.raises(ValueError, match="coefficients should be finite"):
        ar_solve2d(torch.randn(1, 2, 6, 6), co)


def test_map_smaller_than_ar_support():
    with pytest.raises(ValueError, match=r"axis 1 .*smaller than the AR support 5 \(ar_order=2\)"):
        ARMA2d(1, 1, 3, ar_order=2)(torch.randn(1, 1, 9, 6))  # output map 7 x 4
    with pytest.raises(ValueError, match="smaller than the AR support 3"):
        ARMA1d(1, 1, 1)(torch.randn(1, 1, 2))


def test_negative_or_non_int_ar_order():
    with pytest.raises(ValueError, match="ar_order should be >= 0, got -1"):
        ARMA2d(1, 1, 3, ar_order=-1)
    with pytest.raises(TypeError, match="ar_order should be an int, got float"):
        ARMA2d(1, 1, 3, ar_order=1.0)  # type: ignore[arg-type]  # a wrong type, on purpose


def test_bad_options():
    with pytest.raises(ValueError, match="method should be one of"):
        ar_solve2d(torch.randn(1, 1, 5, 5), torch.zeros(2, 1, 1, 2), method="dft")
    with pytest.raises(ValueError, match="boundary should be one of"):
        ARMA2d(1, 1, 3, boundary="reflect")
    with pytest.raises(ValueError, match="reparam should be one of"):
        ARMA2d(1, 1, 3, reparam="tanh")
    with pytest.raises(ValueError, match="ar_eps should be in"):
        ARMA2d(1, 1, 3, ar_eps=0.0)
    with pytest.raises(TypeError, match="ar_init should be"):
        ARMA2d(1, 1, 3, ar_init="zeros")  # type: ignore[arg-type]  # a wrong type, on purpose
    with pytest.raises(ValueError, match="needs reparam='stable'"):
        ARMA2d(1, 1, 3, ar_init=(0.1, 0.1), reparam="icml_eq16")
    with pytest.raises(ValueError, match=r"\|a_left\| \+ \|a_right\|"):
        ARMA2d(1, 1, 3, ar_init=(0.8, 0.8))
    with pytest.raises(TypeError, match="input should be a Tensor"):
        ar_solve2d([[1.0]], torch.zeros(2, 1, 1, 2))  # type: ignore[arg-type]  # a wrong type, on purpose
    with pytest.raises(TypeError, match="floating point"):
        ar_solve2d(torch.ones(1, 1, 5, 5, dtype=torch.int64), torch.zeros(2, 1, 1, 2))


def test_singular_filter_on_the_grid_raises():
    # icml eq. 16 with alpha = 3, beta = 0 has a zero at w ~ 3pi/4, which the 8-point grid
    # reaches only approximately; an exact zero: a_left = a_right = 0.5 at w = pi (n even)
    co = torch.tensor([[[[0.5, 0.5]]]], dtype=torch.float64)
    with pytest.raises(ValueError, match="singular on the 8-point grid"):
        ar_solve(torch.randn(1, 1, 8, dtype=torch.float64), co)
    near = icml_eq16(torch.tensor([3.0, 0.0]))
    layer = ARMA1d(1, 1, 1, reparam="icml_eq16")
    with torch.no_grad():
        layer.ar_weight.copy_(torch.tensor([3.0, 0.0]))
    assert torch.allclose(layer.ar_coefficients()[0, 0, 0], near)
