"""Discretised mixture of logistics (PixelCNN++): against a numpy oracle written from the
formula, high-precision mpmath for far-tail masses, brute-force marginals, chi-square tests of
the sampler and gradcheck."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import torch
from scipy import stats
from scipy.special import expit

from longrange_models import logistic_mixture as lm

EDGE_AND_MID = (0, 1, 127, 128, 254, 255)


pytestmark = pytest.mark.usefixtures("one_thread")


# ---------------------------------------------------------------- numpy oracle (the formula)
def _unpack(p: np.ndarray, c: int, m: int):
    """Layout: logits (M) | means (C, M) | log-scales (C, M) | coupling (3, M) if C == 3."""
    logits = p[:m]
    means = p[m : m + c * m].reshape(c, m)
    log_s = np.maximum(p[m + c * m : m + 2 * c * m].reshape(c, m), -7.0)
    coeffs = np.tanh(p[m + 2 * c * m :].reshape(3, m)) if c == 3 else None
    return logits, means, log_s, coeffs


def oracle_pixel_nll(p: np.ndarray, v: np.ndarray, m: int, fallback: bool = False) -> float:
    """−log p(v) for one pixel: p (P,), v (C,) ints, straight from PixelCNN++'s formula."""
    c_count = len(v)
    logits, means, log_s, coeffs = _unpack(p, c_count, m)
    x = 2.0 * v / 255.0 - 1.0
    weights = np.exp(logits - logits.max())
    weights /= weights.sum()
    total = 0.0
    for k in range(m):
        prob_k = 1.0
        for c in range(c_count):
            mu = means[c, k]
            if c == 1:
                mu = mu + coeffs[0, k] * x[0]
            if c == 2:
                mu = mu + coeffs[1, k] * x[0] + coeffs[2, k] * x[1]
            s = math.exp(log_s[c, k])
            hi = math.inf if v[c] == 255 else (x[c] + 1 / 255 - mu) / s
            lo = -math.inf if v[c] == 0 else (x[c] - 1 / 255 - mu) / s
            # CDF(hi) − CDF(lo); right of the mean as SF(lo) − SF(hi) (same number, no 1 − 1)
            mass = expit(hi) - expit(lo) if hi + lo < 0 else expit(-lo) - expit(-hi)
            if fallback and 0 < v[c] < 255 and mass <= 1e-5:  # PixelCNN++'s pdf rule
                z = (x[c] - mu) / s
                mass = expit(z) * expit(-z) / s / 127.5
            prob_k *= mass
        total += weights[k] * prob_k
    return -math.log(total)


def _params(c: int, m: int, n: int, seed: int, dtype=torch.float64, scale_shift=-2.0):
    """Random parameters with moderate scales (log-scale around ``scale_shift``)."""
    g = torch.Generator().manual_seed(seed)
    p = torch.randn(n, lm.mixture_params(c, m), generator=g, dtype=dtype)
    p[:, m + c * m : m + 2 * c * m] = p[:, m + c * m : m + 2 * c * m] + scale_shift
    p[:, m : m + c * m] *= 0.6  # means mostly inside [-1, 1]
    return p


# ------------------------------------------------------------------------------- counting
def test_mixture_params_counts():
    for m in (1, 2, 5, 10):
        assert lm.mixture_params(1, m) == 3 * m
        assert lm.mixture_params(3, m) == 10 * m
    assert lm.mixture_params(3, 10) == 100  # PixelCNN++ on CIFAR-10: 100 output channels


@pytest.mark.parametrize("bad", [0, 2, 4, True])
def test_mixture_params_bad_channels(bad):
    with pytest.raises(ValueError, match="channels"):
        lm.mixture_params(bad, 3)


@pytest.mark.parametrize("bad", [0, -1, 2.0])
def test_mixture_params_bad_mixtures(bad):
    with pytest.raises(ValueError, match="num_mixtures"):
        lm.mixture_params(1, bad)


# ----------------------------------------------------------------------------- normalised
@pytest.mark.parametrize(("dtype", "tol"), [(torch.float32, 1e-6), (torch.float64, 1e-12)])
@pytest.mark.parametrize("c", [1, 3])
def test_probabilities_sum_to_one(c, dtype, tol):
    m = 4
    p = _params(c, m, 24, seed=1, dtype=dtype, scale_shift=0.0) * 3  # wide range of scales
    p[:3, m + c * m :] = -30.0  # log-scales far below the clamp (s = e^-7), saturated coupling
    p[3:6, m + c * m : m + 2 * c * m] = 6.0  # very wide components
    prev = torch.randint(0, 256, (24, 3), generator=torch.Generator().manual_seed(2))
    prev[:4] = 0
    prev[4:8] = 255
    lp = lm.mixture_log_probs(p, m, c, prev if c == 3 else None)
    assert lp.shape == ((24, 256) if c == 1 else (24, 3, 256))
    assert lp.dtype == dtype
    total = lp.exp().sum(-1)
    torch.testing.assert_close(total, torch.ones(lp.shape[:-1], dtype=dtype), rtol=0, atol=tol)


# ------------------------------------------------------------------------- vs numpy oracle
@pytest.mark.parametrize("c", [1, 3])
@pytest.mark.parametrize("fallback", [False, True])
def test_nll_matches_numpy_formula(c, fallback):
    m, n, h, w = 3, 2, 2, 3
    p = _params(c, m, n * h * w, seed=3, scale_shift=-2.5)
    p[0, m + c * m : m + 2 * c * m : m] = -9.0  # component 0, every channel: clamped to -7
    g = torch.Generator().manual_seed(4)
    v = torch.randint(0, 256, (n * h * w, c), generator=g)
    v[: len(EDGE_AND_MID), 0] = torch.tensor(EDGE_AND_MID)
    v[-len(EDGE_AND_MID) :, c - 1] = torch.tensor(EDGE_AND_MID)
    # (N·H·W, P) -> (N, P, H, W); (N·H·W, C) -> (N, C, H, W)
    params = p.reshape(n, h, w, -1).permute(0, 3, 1, 2)
    target = v.reshape(n, h, w, c).permute(0, 3, 1, 2)
    got = lm.mixture_nll(params, target, m, pixelcnn_fallback=fallback)
    per_pixel = np.array(
        [oracle_pixel_nll(p[i].numpy(), v[i].numpy(), m, fallback) for i in range(n * h * w)]
    )
    expected = torch.from_numpy(per_pixel.reshape(n, h * w).sum(1))
    assert got.shape == (n,)
    torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("c", [1, 3])
def test_nll_float32_close_to_oracle(c):
    m = 5
    p = _params(c, m, 16, seed=5)
    v = torch.randint(0, 256, (16, c), generator=torch.Generator().manual_seed(6))
    v[:6, 0] = torch.tensor(EDGE_AND_MID)
    got = lm.mixture_nll(p.float(), v, m)
    expected = [oracle_pixel_nll(p[i].numpy(), v[i].numpy(), m) for i in range(16)]
    torch.testing.assert_close(
        got.double(), torch.tensor(expected, dtype=torch.float64), rtol=1e-5, atol=1e-4
    )


def test_fallback_differs_only_for_tiny_masses():
    """The exact mass and PixelCNN++'s rule agree where the bin holds more than 1e-5."""
    m = 1
    p = torch.tensor([[0.0, 0.0, -5.0]], dtype=torch.float64)  # mean 0, s = e^-5
    near = torch.tensor([[128]])  # x = 1/255: a big bin
    far = torch.tensor([[160]])  # 32 bins away: mass ~ e^-37
    exact, fallback = lm.mixture_nll(p, near, m), lm.mixture_nll(p, near, m, pixelcnn_fallback=True)
    torch.testing.assert_close(exact, fallback, rtol=1e-13, atol=0)
    exact, fallback = lm.mixture_nll(p, far, m), lm.mixture_nll(p, far, m, pixelcnn_fallback=True)
    assert (exact - fallback).abs() > 0.01


@pytest.mark.parametrize(("dtype", "rtol"), [(torch.float32, 2e-6), (torch.float64, 1e-12)])
@pytest.mark.parametrize(("mean", "value"), [(-1.0, 200), (1.0, 50), (0.3, 160), (-0.2, 90)])
def test_far_tail_mass_matches_mpmath(mean, value, dtype, rtol):
    """Masses like e^-1700 (beyond float64) still have an accurate log, both tails."""
    log_s = -7.0
    p = torch.tensor([[0.0, mean, log_s]], dtype=dtype)
    got = -lm.mixture_nll(p, torch.tensor([[value]]), 1)
    with mpmath.workdps(1000):  # enough digits that 1 − e^-1700 minus its neighbour is exact
        x = mpmath.mpf(2 * value) / 255 - 1
        s = mpmath.exp(mpmath.mpf(log_s))

        def sig(z):
            return 1 / (1 + mpmath.exp(-z))

        lo, hi = x - mpmath.mpf(1) / 255, x + mpmath.mpf(1) / 255
        expected = float(mpmath.log(sig((hi - mean) / s) - sig((lo - mean) / s)))
    assert abs(expected) > 30  # really in the tail
    torch.testing.assert_close(got, torch.tensor([expected], dtype=dtype), rtol=rtol, atol=0)


# ------------------------------------------------------------------- the two paths agree
@pytest.mark.parametrize("c", [1, 3])
def test_nll_equals_minus_log_prob_of_value(c):
    m = 4
    p = _params(c, m, 32, seed=7)
    v = torch.randint(0, 256, (32, c), generator=torch.Generator().manual_seed(8))
    v[:6, c - 1] = torch.tensor(EDGE_AND_MID)
    prev = torch.cat([v, torch.zeros(32, 3 - c, dtype=torch.long)], 1)
    lp = lm.mixture_log_probs(p, m, c, prev if c == 3 else None)
    if c == 1:
        picked = lp.gather(1, v).squeeze(1)
    else:
        picked = lp.gather(2, v.unsqueeze(2)).squeeze(2).sum(1)
    torch.testing.assert_close(lm.mixture_nll(p, v, m), -picked, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [torch.uint8, torch.int16, torch.int32])
def test_other_integer_dtypes_give_the_same(dtype):
    m = 2
    p = _params(3, m, 6, seed=15)
    v = torch.tensor([[0, 255, 7], [255, 0, 128], [1, 254, 0]] * 2)
    torch.testing.assert_close(lm.mixture_nll(p, v.to(dtype), m), lm.mixture_nll(p, v, m))
    torch.testing.assert_close(
        lm.mixture_log_probs(p, m, 3, v.to(dtype)), lm.mixture_log_probs(p, m, 3, v)
    )


def test_channel_zero_row_is_the_one_channel_marginal():
    """Row 0 of the 3-channel conditionals is the 1-channel mixture of channel 0 alone."""
    m = 3
    p3 = _params(3, m, 6, seed=9)
    p1 = torch.cat([p3[:, :m], p3[:, m : 2 * m], p3[:, 4 * m : 5 * m]], 1)  # logits, μ_0, log s_0
    prev = torch.randint(0, 256, (6, 3), generator=torch.Generator().manual_seed(10))
    row0 = lm.mixture_log_probs(p3, m, 3, prev)[:, 0]
    expected = torch.tensor(
        [
            [-oracle_pixel_nll(p1[i].numpy(), np.array([u]), m) for u in range(256)]
            for i in range(6)
        ],
        dtype=torch.float64,
    )
    torch.testing.assert_close(row0, expected, rtol=1e-10, atol=1e-10)


def test_conditionals_equal_brute_force_marginals_of_the_joint():
    """p(x1 | x0) = Σ_x2 p(x0, x1, x2) / Σ_{x1, x2} p(x0, x1, x2), joint from mixture_nll."""
    m = 2
    p = _params(3, m, 1, seed=11, scale_shift=-1.5)
    p[0, 7 * m :] *= 3  # strong coupling (the last 3M entries)
    x0, x1 = 70, 180
    grid = torch.cartesian_prod(torch.arange(256), torch.arange(256))  # (x1, x2)
    target = torch.cat([torch.full((65536, 1), x0), grid], 1)
    joint = (-lm.mixture_nll(p.expand(65536, -1), target, m)).exp().reshape(256, 256)
    rows = lm.mixture_log_probs(p, m, 3, torch.tensor([[x0, x1, 0]])).exp()[0]
    torch.testing.assert_close(rows[1], joint.sum(1) / joint.sum(), rtol=1e-9, atol=1e-14)
    torch.testing.assert_close(rows[2], joint[x1] / joint[x1].sum(), rtol=1e-9, atol=1e-14)


# ------------------------------------------------------------------------------- sampling
def _chi_square_pvalue(observed: dict, probs: dict, n: int) -> float:
    """Cells with expected count >= 5 (observed or not) plus one remainder cell."""
    cells = [k for k, q in probs.items() if n * q >= 5]
    obs = [observed.get(k, 0) for k in cells]
    exp = [n * probs[k] for k in cells]
    obs.append(n - sum(obs))
    exp.append(n - sum(exp))
    if exp[-1] < 5:  # fold a tiny remainder into the largest cell
        i = int(np.argmax(exp[:-1]))
        obs[i] += obs.pop()
        exp[i] += exp.pop()
    return stats.chisquare(obs, exp).pvalue


def test_sample_one_channel_matches_log_probs():
    m, n = 3, 4000
    p = torch.tensor([[0.5, -0.3, 0.0, -0.4, 0.1, 0.7, -3.0, -2.5, -4.0]], dtype=torch.float64)
    probs = lm.mixture_log_probs(p, m, 1)[0].exp()
    draws = lm.mixture_sample(p.expand(n, -1), m, 1, torch.Generator().manual_seed(0))
    assert draws.shape == (n, 1)
    assert draws.dtype == torch.int64
    counts = torch.bincount(draws[:, 0], minlength=256).double()
    # total variation against its expectation under exact sampling, Σ sqrt(2p(1-p)/(πn)) / 2
    expected_tv = 0.5 * (2 * probs * (1 - probs) / (math.pi * n)).sqrt().sum()
    assert 0.5 * (counts / n - probs).abs().sum() < 1.3 * expected_tv
    observed = {i: int(c) for i, c in enumerate(counts) if c}
    assert _chi_square_pvalue(observed, dict(enumerate(probs.tolist())), n) > 1e-3


def test_sample_three_channels_matches_the_joint():
    """Joint frequencies of (r, g, b) against exp(−mixture_nll) of each cell."""
    m, n = 2, 4000
    logits = [0.3, -0.2]
    means = [-0.5, 0.4, 0.1, -0.3, 0.6, 0.2]  # (C, M)
    log_scales = [-5.5, -5.0, -6.0, -5.2, -5.4, -5.8]  # (C, M): about half a bin
    coupling = [2.0, -1.0, 1.0, 0.5, -2.0, 1.5]  # (3, M), through tanh
    p = torch.tensor([[*logits, *means, *log_scales, *coupling]], dtype=torch.float64)
    draws = lm.mixture_sample(p.expand(n, -1), m, 3, torch.Generator().manual_seed(1))
    assert draws.shape == (n, 3)
    assert int(draws.min()) >= 0
    assert int(draws.max()) <= 255
    cells, counts = torch.unique(draws, dim=0, return_counts=True)
    # candidate cells: those observed and their neighbours (±1 in each channel); the chi-square
    # remainder cell takes all mass outside them
    shifts = torch.cartesian_prod(*[torch.arange(-1, 2)] * 3)  # (27, 3)
    cand = torch.unique((cells[:, None] + shifts[None]).reshape(-1, 3).clamp(0, 255), dim=0)
    joint = (-lm.mixture_nll(p.expand(len(cand), -1), cand, m)).exp()
    assert joint.sum() > 0.9  # most of the mass is in cells the test resolves
    probs = {tuple(k.tolist()): float(q) for k, q in zip(cand, joint, strict=False)}
    observed = {tuple(k.tolist()): int(c) for k, c in zip(cells, counts, strict=False)}
    assert _chi_square_pvalue(observed, probs, n) > 1e-3


def test_sample_is_deterministic_given_generator():
    m = 3
    p = _params(3, m, 50, seed=13, dtype=torch.float32)
    a = lm.mixture_sample(p, m, 3, torch.Generator().manual_seed(5))
    b = lm.mixture_sample(p, m, 3, torch.Generator().manual_seed(5))
    c = lm.mixture_sample(p, m, 3, torch.Generator().manual_seed(6))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


# ---------------------------------------------------------------------------- bits per dim
def test_bits_per_dim_closed_form():
    dims = 3 * 32 * 32
    nll = torch.tensor([dims * math.log(2) * 2.92, dims * math.log(256)], dtype=torch.float64)
    torch.testing.assert_close(
        lm.bits_per_dim(nll, dims), torch.tensor([2.92, 8.0], dtype=torch.float64)
    )
    with pytest.raises(ValueError, match="dims"):
        lm.bits_per_dim(nll, 0)


# --------------------------------------------------------------------------------- errors
def test_errors_name_the_argument():
    p1, p3 = torch.zeros(2, 9), torch.zeros(2, 30)
    with pytest.raises(ValueError, match="params should have P = mixture_params"):
        lm.mixture_nll(p1, torch.zeros(2, 3, dtype=torch.long), 3)  # 3 channels need 30
    with pytest.raises(ValueError, match=r"target should hold values in 0..255.*256"):
        lm.mixture_nll(p1, torch.full((2, 1), 256), 3)
    with pytest.raises(ValueError, match=r"target should hold values in 0..255.*-1"):
        lm.mixture_nll(p1, torch.full((2, 1), -1), 3)
    with pytest.raises(TypeError, match="target should be an integer Tensor"):
        lm.mixture_nll(p1, torch.zeros(2, 1), 3)
    with pytest.raises(TypeError, match="params should be a floating-point"):
        lm.mixture_nll(torch.zeros(2, 9, dtype=torch.long), torch.zeros(2, 1, dtype=torch.long), 3)
    with pytest.raises(ValueError, match="target should have C = 1 or 3"):
        lm.mixture_nll(p1, torch.zeros(2, 2, dtype=torch.long), 3)
    with pytest.raises(ValueError, match=r"target shape .* should match params"):
        lm.mixture_nll(torch.zeros(2, 9, 4), torch.zeros(2, 1, 5, dtype=torch.long), 3)
    with pytest.raises(ValueError, match=r"target shape .* should match params"):
        lm.mixture_nll(p1, torch.zeros(3, 1, dtype=torch.long), 3)
    with pytest.raises(ValueError, match="previous should be"):
        lm.mixture_log_probs(p3, 3, 3)
    with pytest.raises(ValueError, match="previous should be"):
        lm.mixture_log_probs(p3, 3, 3, torch.zeros(2, 1, dtype=torch.long))
    with pytest.raises(ValueError, match="previous should hold values"):
        lm.mixture_log_probs(p3, 3, 3, torch.full((2, 3), 300))
    with pytest.raises(ValueError, match="params should be a Tensor\\[N, P\\]"):
        lm.mixture_log_probs(torch.zeros(2, 9, 4), 3, 1)
    with pytest.raises(ValueError, match="channels"):
        lm.mixture_sample(p1, 3, 2)
    with pytest.raises(ValueError, match="params should have P"):
        lm.mixture_sample(p1, 2, 1)


# ------------------------------------------------------------------------------ gradients
@pytest.mark.parametrize("c", [1, 3])
def test_gradcheck(c):
    m = 2
    p = _params(c, m, 3, seed=14, scale_shift=-1.0).requires_grad_()
    v = torch.tensor([[0, 128, 255]]).T.repeat(1, c)
    assert torch.autograd.gradcheck(lambda q: lm.mixture_nll(q, v, m), (p,))


@pytest.mark.parametrize("fallback", [False, True])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("c", [1, 3])
def test_gradient_finite_at_extreme_params(c, dtype, fallback):
    m = 3
    rows = []
    for log_s in (-1e4, -7.0, 0.0, 90.0, 1e3):
        for mean in (-1e4, -1.0, 0.0, 1.0, 1e4):
            row = torch.full((lm.mixture_params(c, m),), mean, dtype=dtype)
            row[:m] = torch.tensor([1e3, -1e3, 0.0])  # extreme logits
            row[m + c * m : m + 2 * c * m] = log_s
            if c == 3:
                row[m + 2 * c * m :] = 50.0  # saturated tanh coupling
            rows.append(row)
    p = torch.stack(rows).requires_grad_()
    for value in (0, 1, 128, 254, 255):
        v = torch.full((len(rows), c), value)
        nll = lm.mixture_nll(p, v, m, pixelcnn_fallback=fallback)
        (grad,) = torch.autograd.grad(nll.sum(), p)
        assert torch.isfinite(nll).all(), value
        assert torch.isfinite(grad).all(), value
    assert torch.isfinite(lm.mixture_log_probs(p.detach(), m, c, v.new_zeros(len(rows), 3))).all()


# ----------------------------------------------------------------------------------- head
def test_head_shapes_and_loss():
    head = lm.LogisticMixtureHead(8, channels=3, num_mixtures=4)
    assert "8, channels=3, num_mixtures=4" in repr(head)
    h_seq, h_img = torch.randn(2, 8, 5), torch.randn(2, 8, 3, 4)
    assert head(h_seq).shape == (2, 40, 5)
    assert head(h_img).shape == (2, 40, 3, 4)
    target = torch.randint(0, 256, (2, 3, 5))
    torch.testing.assert_close(head.nll(h_seq, target), lm.mixture_nll(head(h_seq), target, 4))
    assert head.sample(torch.randn(6, 8)).shape == (6, 3)
    with pytest.raises(ValueError, match="h should be"):
        head(torch.randn(2, 7, 5))
    with pytest.raises(ValueError, match="hidden"):
        lm.LogisticMixtureHead(0)
