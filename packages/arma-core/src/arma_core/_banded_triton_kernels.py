"""Triton kernels of the banded solve (imported lazily by `_banded_triton`); see banded.py.

Legend: D spatial axes, C channels, Q stages, n one axis's length, M the longest axis,
P = D·C·Q stages in all. A *line* is one run of ``n`` values along the solved axis; in a
contiguous ``(N, C, *S)`` tensor, line ``k`` of axis ``a`` starts at
``(k // inner)·n·inner + k % inner`` with stride ``inner`` (the product of the sizes after ``a``),
and its channel is ``(k // inner // pre) % C`` (``pre``: the product of the sizes before ``a``).

Each program owns ``BLOCK`` whole lines, one per lane, and sweeps them along the axis: adjacent
lanes read adjacent addresses wherever ``inner > 1`` (every axis but the last). All ``Q`` stages of
an axis run in one launch, so a solve is one factor launch plus one launch per axis. A lane only
re-reads what it wrote itself, so no barrier is needed (``BLOCK`` is a multiple of the threads of
a program, so no element is held by two threads).
"""

import triton
import triton.language as tl

__all__ = ["axis_kernel", "factors_kernel"]


@triton.jit
def factors_kernel(
    co_ptr,  # (P, 2) stages (l, r), float64
    minv_ptr,  # (P, M) out: 1/m_i
    beta_ptr,  # (P, M) out: −l/m_i
    negc_ptr,  # (P, M) out: −r/m_i
    z_ptr,  # (P, M) out: Sherman–Morrison vector T⁻¹u (cyclic)
    w_ptr,  # (P, 2) out: (1, −l)/(1 + z_0 − l z_{n−1}) (cyclic)
    P,
    CQ,  # stages per axis, C·Q
    n0,  # the axis lengths (up to three; n_a for stage p is that of axis p // CQ)
    n1,
    n2,
    M,
    CYCLIC: tl.constexpr,
    LEFT: tl.constexpr,  # column of co holding l: 0, or 1 for the transposed stages (l, r swapped)
    BLOCK: tl.constexpr,
):
    """Elimination factors of every stage (banded.stage_factors), one stage per lane."""
    p = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    ok = p < P
    axis = p // CQ
    n = tl.where(axis == 0, n0, tl.where(axis == 1, n1, n2))
    l = tl.load(co_ptr + 2 * p + LEFT, mask=ok, other=0.0)
    r = tl.load(co_ptr + 2 * p + (1 - LEFT), mask=ok, other=0.0)
    row = p.to(tl.int64) * M
    zero = l * 0.0
    c = zero  # r/m_{i−1}
    u = zero  # forward sweep of the corner vector u = (−1, 0, …, 0, r)
    u_last = zero
    for i in range(0, M):
        live = ok & (i < n)
        if CYCLIC:  # T = A − u vᵀ: diag(T) = (2, 1, …, 1, 1 + r l)
            m = tl.where(i == 0, zero + 2.0, 1.0 - l * c)
            m = tl.where(i == n - 1, m + r * l, m)
        else:
            m = tl.where(i == 0, zero + 1.0, 1.0 - l * c)
        mi = 1.0 / m
        c = r * mi
        beta = -l * mi
        tl.store(minv_ptr + row + i, mi, mask=live)
        tl.store(beta_ptr + row + i, beta, mask=live)
        tl.store(negc_ptr + row + i, -c, mask=live)
        if CYCLIC:
            rhs = tl.where(i == 0, zero - 1.0, tl.where(i == n - 1, r, zero))
            u = rhs * mi + beta * u
            tl.store(z_ptr + row + i, u, mask=live)
            u_last = tl.where(i == n - 1, u, u_last)
    if CYCLIC:
        nxt = u_last
        for j in range(1, M):  # back substitution, index n − 1 − j per lane
            at = n - 1 - j
            live = ok & (at >= 0)
            zi = tl.load(z_ptr + row + at, mask=live, other=0.0)
            zi += tl.load(negc_ptr + row + at, mask=live, other=0.0) * nxt
            tl.store(z_ptr + row + at, zi, mask=live)
            nxt = tl.where(live, zi, nxt)
        den = 1.0 + nxt - l * u_last
        tl.store(w_ptr + 2 * p, 1.0 / den, mask=ok)
        tl.store(w_ptr + 2 * p + 1, -l / den, mask=ok)


@triton.jit
def _stage_solve(src, dst, base, inner, n, frow, minv, beta, negc, z, wrow, w_ptr, mask, CYCLIC):
    """``dst ← F_s⁻¹ src`` on the lanes' lines (``src`` may be ``dst``)."""
    prev = tl.load(src + base, mask=mask, other=0.0) * tl.load(minv + frow, mask=mask, other=1.0)
    tl.store(dst + base, prev, mask=mask)
    for i in range(1, n):
        off = base + i * inner
        v = tl.load(src + off, mask=mask, other=0.0) * tl.load(minv + frow + i, mask=mask)
        v += tl.load(beta + frow + i, mask=mask, other=0.0) * prev
        tl.store(dst + off, v, mask=mask)
        prev = v
    for j in range(1, n):
        i = n - 1 - j
        off = base + i * inner
        v = tl.load(dst + off, mask=mask, other=0.0)
        v += tl.load(negc + frow + i, mask=mask, other=0.0) * prev
        tl.store(dst + off, v, mask=mask)
        prev = v
    if CYCLIC:  # Sherman–Morrison: x −= z (w · (x_0, x_{n−1}))
        last = tl.load(dst + base + (n - 1) * inner, mask=mask, other=0.0)
        w0 = tl.load(w_ptr + wrow, mask=mask, other=0.0)
        w1 = tl.load(w_ptr + wrow + 1, mask=mask, other=0.0)
        corr = prev * w0 + last * w1
        for i in range(0, n):
            off = base + i * inner
            v = tl.load(dst + off, mask=mask, other=0.0)
            v -= tl.load(z + frow + i, mask=mask, other=0.0) * corr
            tl.store(dst + off, v, mask=mask)


@triton.jit
def _stage_apply(src, dst, base, inner, n, l, r, mask, CYCLIC):
    """``dst ← F_s src`` (the filter itself) on the lanes' lines (``src`` may be ``dst``)."""
    first = tl.load(src + base, mask=mask, other=0.0)
    if CYCLIC:  # noqa: SIM108 - a constexpr branch, as Triton's code generator expects
        prev = tl.load(src + base + (n - 1) * inner, mask=mask, other=0.0)
    else:
        prev = first * 0.0
    cur = first
    for i in range(0, n):
        has_next = i + 1 < n
        nxt = tl.load(src + base + (i + 1) * inner, mask=mask & has_next, other=0.0)
        if CYCLIC:
            nxt = tl.where(has_next, nxt, first)
        tl.store(dst + base + i * inner, cur + l * prev + r * nxt, mask=mask)
        prev = cur
        cur = nxt


@triton.jit
def _stage_grads(w, z, base, inner, n, mask, CYCLIC):
    """``(−Σ W[i] Z[i−1], −Σ W[i] Z[i+1])`` along each lane's line (wrapped if cyclic)."""
    w_first = tl.load(w + base, mask=mask, other=0.0)
    z_first = tl.load(z + base, mask=mask, other=0.0)
    acc_l = w_first * 0.0
    acc_r = w_first * 0.0
    w_prev = w_first
    z_prev = z_first
    for i in range(1, n):
        off = base + i * inner
        wi = tl.load(w + off, mask=mask, other=0.0)
        zi = tl.load(z + off, mask=mask, other=0.0)
        acc_l += wi * z_prev
        acc_r += w_prev * zi
        w_prev = wi
        z_prev = zi
    if CYCLIC:
        acc_l += w_first * z_prev
        acc_r += w_prev * z_first
    return -acc_l, -acc_r


@triton.jit
def axis_kernel(
    src_ptr,  # (N, C, *S) right-hand side (read)
    dst_ptr,  # (N, C, *S) out: the solve along this axis (may be src_ptr)
    minv_ptr,  # (C, Q, M) factors of this axis (transposed stages for the adjoint)
    beta_ptr,
    negc_ptr,
    z_ptr,
    w_ptr,  # (C, Q, 2)
    co_ptr,  # (C, Q, 2) this axis's stages (l, r), for Z_s (adjoint with grads only)
    y_ptr,  # (N, C, *S) the forward's Y (adjoint with grads only)
    zbuf_ptr,  # (N, C, *S) scratch for Z_s = F_{s+1} ⋯ F_{Q−1} Y (Q > 1 only)
    part_ptr,  # (lines, Q, 2) out: each line's share of dL/d(l, r) (adjoint with grads only)
    lines,
    n,
    inner,
    pre,
    C,
    Q,
    M,
    CYCLIC: tl.constexpr,
    ADJOINT: tl.constexpr,
    NEED_CO: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """All Q stages of one axis on ``BLOCK`` lines per program.

    Forward (``ADJOINT=False``): stages ``0..Q−1``. Adjoint: the transposed stages ``Q−1..0``,
    and with ``NEED_CO`` after stage ``s`` the line's gradient terms of ``(l_s, r_s)`` from the
    adjoint ``W_s`` (in ``dst``) and ``Z_s`` (``Y`` for ``s = Q−1``, then ``zbuf``).
    """
    k = (tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)).to(tl.int64)
    mask = k < lines
    outer = k // inner
    base = outer * n * inner + k % inner
    ch = (outer // pre) % C
    for t in range(0, Q):
        if ADJOINT:  # noqa: SIM108 - a constexpr branch, as Triton's code generator expects
            s = Q - 1 - t
        else:
            s = t
        frow = (ch * Q + s) * M
        wrow = (ch * Q + s) * 2
        if t == 0:
            _stage_solve(src_ptr, dst_ptr, base, inner, n, frow, minv_ptr, beta_ptr, negc_ptr,
                         z_ptr, wrow, w_ptr, mask, CYCLIC)  # fmt: skip
        else:
            _stage_solve(dst_ptr, dst_ptr, base, inner, n, frow, minv_ptr, beta_ptr, negc_ptr,
                         z_ptr, wrow, w_ptr, mask, CYCLIC)  # fmt: skip
        if NEED_CO:
            if t == 0:
                gl, gr = _stage_grads(dst_ptr, y_ptr, base, inner, n, mask, CYCLIC)
            else:
                crow = (ch * Q + s + 1) * 2
                l = tl.load(co_ptr + crow, mask=mask, other=0.0)
                r = tl.load(co_ptr + crow + 1, mask=mask, other=0.0)
                if t == 1:
                    _stage_apply(y_ptr, zbuf_ptr, base, inner, n, l, r, mask, CYCLIC)
                else:
                    _stage_apply(zbuf_ptr, zbuf_ptr, base, inner, n, l, r, mask, CYCLIC)
                gl, gr = _stage_grads(dst_ptr, zbuf_ptr, base, inner, n, mask, CYCLIC)
            prow = (k * Q + s) * 2
            tl.store(part_ptr + prow, gl, mask=mask)
            tl.store(part_ptr + prow + 1, gr, mask=mask)
