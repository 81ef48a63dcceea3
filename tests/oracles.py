"""Independent numpy oracles shared by the test folders: dense circulant matrices built factor
by factor, so no test compares the code against its own output."""

from __future__ import annotations

import numpy as np


def factor_matrix(a_left: float, a_right: float, n: int) -> np.ndarray:
    """(A y)[i] = a_left y[i-1] + y[i] + a_right y[i+1], indices mod n."""
    m = np.eye(n)
    for i in range(n):
        m[i, (i - 1) % n] += a_left
        m[i, (i + 1) % n] += a_right
    return m


def axis_matrix(coeffs: np.ndarray, n: int) -> np.ndarray:
    """Product of the factor matrices of one axis; coeffs (Q, 2)."""
    m = np.eye(n)
    for a_left, a_right in np.asarray(coeffs, dtype=np.float64):
        m = factor_matrix(a_left, a_right, n) @ m
    return m


def separable_matrix(coeffs: np.ndarray, sizes: list[int]) -> np.ndarray:
    """Kronecker product over axes; coeffs (D, Q, 2) for one channel, row-major flattening."""
    m = np.ones((1, 1))
    for a, n in enumerate(sizes):
        m = np.kron(m, axis_matrix(coeffs[a], n))
    return m


def dense_solve(t: np.ndarray, coeffs: np.ndarray) -> np.ndarray:
    """Solve A y = t per (sample, channel); t (N, C, *S), coeffs (D, C, Q, 2)."""
    n, c, *sizes = t.shape
    out = np.empty_like(t, dtype=np.float64)
    for ch in range(c):
        mat = separable_matrix(coeffs[:, ch], sizes)
        rhs = t[:, ch].reshape(n, -1).T.astype(np.float64)
        out[:, ch] = np.linalg.solve(mat, rhs).T.reshape(n, *sizes)
    return out


def separable_solve(t: np.ndarray, coeffs: np.ndarray) -> np.ndarray:
    """Same as :func:`dense_solve` for large maps: one dense solve per axis (A = ⊗_a A_a)."""
    _n, c, *sizes = t.shape
    out = t.astype(np.float64).copy()
    for ch in range(c):
        y = out[:, ch]
        for a, size in enumerate(sizes):
            mat = axis_matrix(coeffs[a, ch], size)
            moved = np.moveaxis(y, a + 1, 0)
            solved = np.linalg.solve(mat, moved.reshape(size, -1)).reshape(moved.shape)
            y = np.moveaxis(solved, 0, a + 1)
        out[:, ch] = y
    return out


def stage_matrix(a_left: float, a_right: float, n: int, circular: bool) -> np.ndarray:
    """``(F y)[i] = a_left y[i-1] + y[i] + a_right y[i+1]``: circulant (indices mod n) or, for
    the zero boundary, the tridiagonal Toeplitz matrix (``y = 0`` outside ``[0, n)``)."""
    m = np.eye(n) + a_left * np.eye(n, k=-1) + a_right * np.eye(n, k=1)
    if circular:
        m[0, n - 1] += a_left
        m[n - 1, 0] += a_right
    return m


def dense_banded_solve(t: np.ndarray, coeffs: np.ndarray, circular: bool) -> np.ndarray:
    """The banded solve's operator built densely: per axis the product of its stage matrices,
    Kronecker over axes, solved per (sample, channel); t (N, C, *S), coeffs (D, C, Q, 2)."""
    n_b, n_c, *sizes = t.shape
    out = np.empty(t.shape, dtype=np.float64)
    for c in range(n_c):
        k = np.ones((1, 1))
        for a, n in enumerate(sizes):
            m = np.eye(n)
            for a_left, a_right in np.asarray(coeffs[a, c], dtype=np.float64):
                m = m @ stage_matrix(a_left, a_right, n, circular)
            k = np.kron(k, m)
        for b in range(n_b):
            out[b, c] = np.linalg.solve(k, t[b, c].astype(np.float64).ravel()).reshape(sizes)
    return out
