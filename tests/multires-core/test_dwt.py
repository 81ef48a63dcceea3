import itertools

import numpy as np
import pytest
import pywt
import torch

from multires_core import swt, tree_outputs, wavedec, wavelet_filters

WAVELETS = ["haar", "db2", "db3", "db4", "sym4", "coif1"]
LENGTHS = [31, 32, 57, 64]
MODES = ["zero", "periodization"]


def _levels(length, name):
    # every level pywt allows without warning, and at least 1
    return range(1, max(pywt.dwt_max_level(length, pywt.Wavelet(name).dec_len), 1) + 1)


GRID = [
    (name, length, level, mode)
    for name, length, mode in itertools.product(WAVELETS, LENGTHS, MODES)
    for level in _levels(length, name)
]


@pytest.mark.parametrize(("name", "length", "level", "mode"), GRID)
@pytest.mark.parametrize(("dtype", "tol"), [(torch.float64, 1e-10), (torch.float32, 1e-5)])
def test_wavedec_equals_pywavelets(name, length, level, mode, dtype, tol):
    rng = np.random.default_rng(length + level)
    x = rng.standard_normal((2, 3, length))  # leading batch dims
    expected = pywt.wavedec(x, name, level=level, mode=mode)
    got = wavedec(torch.from_numpy(x).to(dtype), name, level=level, mode=mode)
    assert len(got) == len(expected) == level + 1
    for e, g in zip(expected, got, strict=True):
        assert tuple(g.shape) == e.shape
        assert g.dtype == dtype
        np.testing.assert_allclose(g.double().numpy(), e, atol=tol * max(1.0, np.abs(e).max()))


@pytest.mark.parametrize("batch", [(), (5,), (2, 2)])
def test_wavedec_batch_shapes(batch):
    x = np.random.default_rng(0).standard_normal((*batch, 40))
    for e, g in zip(
        pywt.wavedec(x, "db2", level=2, mode="zero"),
        wavedec(torch.from_numpy(x), "db2", 2),
        strict=True,
    ):
        np.testing.assert_allclose(g.numpy(), e, atol=1e-12)


def test_wavedec_default_level_is_pywt_max_level():
    x = np.random.default_rng(1).standard_normal(100)
    assert len(wavedec(torch.from_numpy(x), "db2")) == len(pywt.wavedec(x, "db2", mode="zero"))


@pytest.mark.parametrize("name", WAVELETS)
def test_dilated_tree_sampled_every_2j_is_the_zero_mode_dwt(name):
    """The alignment: cA_j[i] = a_j[2^j i + 2^j - 1] on a zero-extended input."""
    level, length = 3, 64
    x = np.random.default_rng(2).standard_normal(length)
    expected = pywt.wavedec(x, name, level=level, mode="zero")
    h0, h1 = wavelet_filters(name, dtype=torch.float64)
    padded = np.pad(x, (0, 8 * len(expected[0]) - length))
    a, highs = tree_outputs(torch.from_numpy(padded)[None, None], h0[None], h1[None], level)
    np.testing.assert_allclose(a[0, 0, 7::8][: len(expected[0])].numpy(), expected[0], atol=1e-12)
    for j, (b, e) in enumerate(zip(highs, expected[1:], strict=True)):  # b_3, b_2, b_1
        step = 2 ** (level - j)
        np.testing.assert_allclose(b[0, 0, step - 1 :: step][: len(e)].numpy(), e, atol=1e-12)


@pytest.mark.parametrize(("name", "level"), list(itertools.product(WAVELETS, [1, 2, 3])))
def test_swt_equals_pywavelets(name, level):
    x = np.random.default_rng(level).standard_normal((3, 64))
    expected = pywt.swt(x, name, level=level)
    got = swt(torch.from_numpy(x), name, level)
    assert len(got) == level
    for (ea, ed), (ga, gd) in zip(expected, got, strict=True):
        np.testing.assert_allclose(ga.numpy(), ea, atol=1e-10)
        np.testing.assert_allclose(gd.numpy(), ed, atol=1e-10)


def test_dwt_errors():
    x = torch.randn(32)
    with pytest.raises(ValueError, match="mode should be one of"):
        wavedec(x, "db2", 2, mode="symmetric")
    with pytest.raises(ValueError, match="level should be a positive int"):
        wavedec(x, "db2", 0)
    with pytest.raises(ValueError, match="divisible by 2\\*\\*level = 8"):
        swt(torch.randn(20), "db2", 3)
    with pytest.raises(TypeError, match="floating point"):
        wavedec(torch.arange(8), "haar", 1)
    with pytest.raises(ValueError, match="orthogonal"):
        wavedec(x, "bior1.3", 1)
