import math

import numpy as np
import pytest
import torch
from oracles import axis_matrix

import arma_stability as stab


def _coeffs(q, seed, scale=1.5):
    g = torch.Generator().manual_seed(seed)
    return stab.stable_coefficients(torch.randn(q, 2, generator=g, dtype=torch.float64) * scale)


@pytest.mark.parametrize("q", [1, 2, 3])
@pytest.mark.parametrize("n", [7, 8, 13])
def test_dft_response_is_the_circulant_eigenvalues(q, n):
    c = _coeffs(q, seed=q * 100 + n)
    omega = torch.arange(n, dtype=torch.float64) * 2 * math.pi / n
    resp = stab.frequency_response(c, omega).numpy()
    eig = np.linalg.eigvals(axis_matrix(c.numpy(), n))
    # same multiset: match each eigenvalue to its nearest response value
    for e in eig:
        assert np.min(np.abs(resp - e)) < 1e-10


@pytest.mark.parametrize("q", [1, 2, 3])
def test_cascade_taps_match_dense_matrix_rows(q):
    c = _coeffs(q, seed=7)
    taps = stab.cascade_taps(c).numpy()
    n = 11
    row = axis_matrix(c.numpy(), n)[5]  # (A y)[5] = sum_j taps[j] y[5 + j]
    expected = np.array([row[(5 + j) % n] for j in range(-q, q + 1)])
    np.testing.assert_allclose(taps, expected, atol=1e-14)


@pytest.mark.parametrize("seed", range(6))
def test_single_factor_margin_is_exact(seed):
    g = torch.Generator().manual_seed(seed)
    c = (torch.rand(1, 2, generator=g, dtype=torch.float64) * 2 - 1) * 0.6
    a_left, a_right = c[0].tolist()
    w = np.linspace(0, 2 * np.pi, 2_000_001)
    brute = np.abs(1 + a_left * np.exp(-1j * w) + a_right * np.exp(1j * w)).min()
    assert float(stab.stability_margin(c)) == pytest.approx(brute, abs=1e-9)
    # exact, so never above the brute-force grid minimum
    assert float(stab.stability_margin(c)) <= brute + 1e-12


@pytest.mark.parametrize("n", [6, 9, 16])
def test_margin_and_condition_on_a_dft_grid_match_dense_matrix(n):
    c = _coeffs(2, seed=n)
    mat = axis_matrix(c.numpy(), n)
    sv = np.linalg.svd(mat, compute_uv=False)  # circulant is normal: |eigenvalues|
    assert float(stab.stability_margin(c, n)) == pytest.approx(sv.min(), rel=1e-10)
    assert float(stab.condition_number(c, n)) == pytest.approx(np.linalg.cond(mat), rel=1e-8)


def test_separable_margin_is_the_product_and_matches_kronecker():
    ch, cw = _coeffs(1, seed=1), _coeffs(2, seed=2)
    h, w = 5, 8
    kron = np.kron(axis_matrix(ch.numpy(), h), axis_matrix(cw.numpy(), w))
    sv = np.linalg.svd(kron, compute_uv=False)
    assert float(stab.stability_margin([ch, cw], (h, w))) == pytest.approx(sv.min(), rel=1e-10)
    assert float(stab.condition_number([ch, cw], (h, w))) == pytest.approx(
        sv.max() / sv.min(), rel=1e-8
    )


def test_margin_broadcasts_over_channels():
    c = stab.stable_coefficients(torch.randn(4, 2, 2, dtype=torch.float64))
    m = stab.stability_margin(c)
    assert m.shape == (4,)
    for i in range(4):
        assert float(m[i]) == pytest.approx(float(stab.stability_margin(c[i])))


@pytest.mark.parametrize("seed", range(5))
def test_roots_match_numpy(seed):
    c = _coeffs(2, seed=seed)
    for a_left, a_right in c.tolist():
        expected = np.sort_complex(np.roots([a_right, 1.0, a_left]))
        got = stab.roots(torch.tensor([[a_left, a_right]], dtype=torch.float64))[0].numpy()
        np.testing.assert_allclose(np.sort_complex(got), expected, rtol=1e-10)


def test_root_at_infinity_for_one_sided_factor():
    r = stab.roots(torch.tensor([[-0.5, 0.0]], dtype=torch.float64))[0]
    finite = r[torch.isfinite(r.abs())]
    assert finite.numel() == 1
    assert complex(finite[0]) == pytest.approx(0.5)


def test_roc_and_decay_rate_match_the_inverse_impulse_response():
    c = torch.tensor([[-0.6, 0.2]], dtype=torch.float64)
    r_in, r_out = stab.region_of_convergence(c)
    assert float(r_in) < 1 < float(r_out)
    rho = float(stab.decay_rate(c))
    n = 201
    h = np.linalg.solve(axis_matrix(c.numpy(), n), np.eye(n)[:, 0])  # column of A^-1
    k = np.arange(10, 40)
    measured = np.exp(np.polyfit(k, np.log(np.abs(h[k])), 1)[0])  # one-sided decay
    measured_other = np.exp(np.polyfit(k, np.log(np.abs(h[-k])), 1)[0])
    assert rho == pytest.approx(max(measured, measured_other), rel=1e-3)


def test_eq16_like_filter_is_unstable_and_reported():
    c = torch.tensor([[0.70356, 0.70356]], dtype=torch.float64)  # ~ icml_eq16(3, 0)
    assert not bool(stab.is_stable(c))
    assert float(stab.condition_number(c)) > 1e3
    rep = stab.report(c)
    assert not rep.stable
    assert rep.margin < 1e-3


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"shape \(\.\.\., Q, 2\)"):
        stab.stability_margin(torch.zeros(3))
    with pytest.raises(ValueError, match="finite"):
        stab.stability_margin(torch.tensor([[math.nan, 0.0]]))
    with pytest.raises(ValueError, match="one size per axis"):
        stab.stability_margin([torch.zeros(1, 2), torch.zeros(1, 2)], n=[4])
    with pytest.raises(ValueError, match="empty"):
        stab.stability_margin([])
