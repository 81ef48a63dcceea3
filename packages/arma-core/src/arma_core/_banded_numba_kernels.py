"""numba kernels of the banded solve (imported lazily by `_banded_numba`); see banded.py.

Legend: B maps, (A0, A1, A2) one map padded to 3D, D axes (the last D of the three), C channels,
Q stages, M the longest axis. Factor arrays are (D, C, Q, M); slabs are (n, K): the solved axis
and K independent lines solved side by side in the inner loop.
"""

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["backward", "factors", "forward"]

_T = 8  # tile size of the vectorised transpose (_tile)


@numba.njit(cache=True)
def factors(co, sizes, cyclic, transpose, dtype):  # pragma: no cover - jitted
    """Elimination factors of every stage (see banded.stage_factors), float64 then cast."""
    d, c, q, _ = co.shape
    m_max = sizes.max()
    minv = np.zeros((d, c, q, m_max))
    beta = np.zeros((d, c, q, m_max))
    negc = np.zeros((d, c, q, m_max))
    z = np.zeros((d, c, q, m_max))
    w = np.zeros((d, c, q, 2))
    for a in range(d):
        n = sizes[a]
        for ch in range(c):
            for s in range(q):
                l, r = co[a, ch, s, 0], co[a, ch, s, 1]
                if transpose:
                    l, r = r, l
                cprev = 0.0
                for i in range(n):
                    m = (2.0 if cyclic else 1.0) if i == 0 else 1.0 - l * cprev
                    if cyclic and i == n - 1:
                        m += r * l
                    cprev = r / m
                    minv[a, ch, s, i] = 1.0 / m
                    beta[a, ch, s, i] = -l / m
                    negc[a, ch, s, i] = -cprev
                if cyclic:
                    u = z[a, ch, s]
                    u[0] = -minv[a, ch, s, 0]
                    for i in range(1, n):
                        u[i] = (r if i == n - 1 else 0.0) * minv[a, ch, s, i]
                        u[i] += beta[a, ch, s, i] * u[i - 1]
                    for i in range(n - 2, -1, -1):
                        u[i] += negc[a, ch, s, i] * u[i + 1]
                    den = 1.0 + u[0] - l * u[n - 1]
                    w[a, ch, s, 0] = 1.0 / den
                    w[a, ch, s, 1] = -l / den
    return (
        minv.astype(dtype),
        beta.astype(dtype),
        negc.astype(dtype),
        z.astype(dtype),
        w.astype(dtype),
    )


@numba.njit(inline="always", fastmath=True)
def _stage(x, f, s, cyclic, corr):  # pragma: no cover - jitted
    """In place ``x (n, K) <- F_s⁻¹ x``; f = (minv, beta, negc, z, w) of one axis and channel."""
    minv, beta, negc, z, w = f
    n, k = x.shape
    for j in range(k):
        x[0, j] *= minv[s, 0]
    for i in range(1, n):
        mi, bi = minv[s, i], beta[s, i]
        for j in range(k):
            x[i, j] = x[i, j] * mi + bi * x[i - 1, j]
    for i in range(n - 2, -1, -1):
        ci = negc[s, i]
        for j in range(k):
            x[i, j] += ci * x[i + 1, j]
    if cyclic:
        w0, w1 = w[s, 0], w[s, 1]
        for j in range(k):
            corr[j] = w0 * x[0, j] + w1 * x[n - 1, j]
        for i in range(n):
            zi = z[s, i]
            for j in range(k):
                x[i, j] -= zi * corr[j]


@numba.njit(inline="always")
def _view(m, ax, buf):  # pragma: no cover - jitted
    """Map ``m (A0, A1, A2)`` as contiguous slabs ``(P, n, K)`` along padded axis ``ax``.

    Axes 0 and 1 are views of ``m``; axis 2 is transposed into ``buf`` (``_unview`` copies back).
    """
    return _load(m, m, ax, buf, False)


@numba.njit(inline="always")
def _load(src, m, ax, buf, copy):  # pragma: no cover - jitted
    """Like ``_view(m, ...)`` with ``m``'s content taken from ``src`` (copied if ``copy``)."""
    a0, a1, a2 = m.shape
    if ax == 2:
        v = buf[: m.size].reshape((a0, a2, a1))
        for p in range(a0):
            _transpose(src[p], v[p])
        return v
    if copy:
        _copy(src, m)
    if ax == 0:
        return m.reshape((1, a0, a1 * a2))
    return m


@numba.njit(inline="always")
def _unview(v, m, ax):  # pragma: no cover - jitted
    if ax == 2:
        for p in range(m.shape[0]):
            _transpose(v[p], m[p])


@numba.njit(inline="always")
def _transpose(src, dst):  # pragma: no cover - jitted
    """``dst (k, n) = src (n, k)ᵀ`` for C-contiguous 2D arrays: 8×8 tiles in vector registers
    (``_tile``), the edges element by element."""
    k, n = dst.shape
    nb, kb = n - n % _T, k - k % _T
    for i0 in range(0, nb, _T):
        for j0 in range(0, kb, _T):
            # in jitted code numba passes the intrinsic's typingctx itself; its stubs do not know
            _tile(src, i0 * k + j0, k, dst, j0 * n + i0, n)  # type: ignore[call-arg]  # typingctx
    for j in range(k):
        for i in range(nb, n):
            dst[j, i] = src[i, j]
    for j in range(kb, k):
        for i in range(nb):
            dst[j, i] = src[i, j]


@intrinsic
def _prefetch(typingctx, arr, index):
    """Hint the cache line holding ``arr.flat[index]`` into L2 (``llvm.prefetch``, read): no
    effect on values, no bounds check (the caller keeps ``index`` inside ``arr``)."""
    if not isinstance(arr, types.Array):
        return None
    sig = types.void(arr, index)

    def codegen(context, builder, sig, args):  # pragma: no cover - runs inside numba's compiler
        data = context.make_array(sig.args[0])(context, builder, args[0]).data
        i = context.cast(builder, args[1], sig.args[1], types.int64)
        i8p = ir.IntType(8).as_pointer()
        ptr = builder.bitcast(builder.gep(data, [i]), i8p)
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0i8")
        builder.call(fn, [ptr, ir.Constant(i32, 0), ir.Constant(i32, 2), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return sig, codegen


@numba.njit(inline="always")
def _prefetch_map(m):  # pragma: no cover - jitted
    """Prefetch every cache line of the C-contiguous map ``m``."""
    flat = m.reshape(m.size)
    step = max(1, 64 // flat.itemsize)
    for i in range(0, flat.size, step):
        _prefetch(flat, i)  # type: ignore[call-arg]  # numba passes typingctx (see _transpose)


@intrinsic
def _tile(typingctx, src, src_start, src_stride, dst, dst_start, dst_stride):
    """Transpose one 8×8 tile: ``dst.flat[dst_start + c·dst_stride + r] =
    src.flat[src_start + r·src_stride + c]`` for ``r, c < 8`` (C-contiguous float arrays).

    Emitted as LLVM vector IR (eight row loads, three rounds of two-source shuffles swapping the
    off-diagonal 4×4, 2×2 and 1×1 blocks, eight row stores), which the backend lowers to the
    host's SIMD shuffles: 0.22–0.45 cycles per element in cache against ~1.15 for the scalar loop
    numba emits for ``dst[j, i] = src[i, j]`` (float32, one Zen 4 core). No bounds checks: the
    caller keeps the tile inside both arrays.
    """
    ok = (
        isinstance(src, types.Array)
        and isinstance(dst, types.Array)
        and src.dtype == dst.dtype
        and src.dtype in (types.float32, types.float64)
    )
    if not ok:
        return None
    sig = types.void(src, src_start, src_stride, dst, dst_start, dst_stride)

    def codegen(context, builder, sig, args):  # pragma: no cover - runs inside numba's compiler
        i64 = ir.IntType(64)
        vec = ir.VectorType(context.get_data_type(sig.args[0].dtype), _T)
        mask = ir.VectorType(ir.IntType(32), _T)

        def row(arg, start, stride, r):
            data = context.make_array(sig.args[arg])(context, builder, args[arg]).data
            first = context.cast(builder, args[start], sig.args[start], types.int64)
            step = context.cast(builder, args[stride], sig.args[stride], types.int64)
            index = builder.add(first, builder.mul(step, ir.Constant(i64, r)))
            return builder.bitcast(builder.gep(data, [index]), vec.as_pointer())

        rows = [builder.load(row(0, 1, 2, r), align=1) for r in range(_T)]
        b = _T // 2
        while b >= 1:  # swap the off-diagonal b×b blocks of every 2b×2b block
            for i in range(_T):
                if i & b:
                    continue
                lo = [k if k & b == 0 else _T + k - b for k in range(_T)]
                hi = [k + b if k & b == 0 else _T + k for k in range(_T)]
                a, c = rows[i], rows[i + b]
                rows[i] = builder.shuffle_vector(a, c, ir.Constant(mask, lo))
                rows[i + b] = builder.shuffle_vector(a, c, ir.Constant(mask, hi))
            b //= 2
        for r in range(_T):
            builder.store(rows[r], row(3, 4, 5, r), align=1)
        return context.get_dummy_value()

    return sig, codegen


@numba.njit(inline="always")
def _fa(f, a, ch, n):  # pragma: no cover - jitted
    minv, beta, negc, z, w = f
    return (minv[a, ch, :, :n], beta[a, ch, :, :n], negc[a, ch, :, :n], z[a, ch, :, :n], w[a, ch])


@numba.njit(inline="always")
def _solve_axis(src, m, a, ax, ch, f, cyclic, reverse, corr, buf, copy):  # pragma: no cover
    """Solve axis ``a`` of map ``src`` into ``m`` (``src`` is ``m`` unless ``copy``)."""
    n = m.shape[ax]
    q = f[0].shape[2]
    fa = _fa(f, a, ch, n)
    v = _load(src, m, ax, buf, copy)
    for p in range(v.shape[0]):
        for t in range(q):
            _stage(v[p], fa, q - 1 - t if reverse else t, cyclic, corr)
    _unview(v, m, ax)


@numba.njit(parallel=True, cache=True, fastmath=True)
def forward(x, out, c, minv, beta, negc, z, w, cyclic):  # pragma: no cover - jitted
    """``out[b] = A⁻¹ x[b]`` for maps ``x, out (B, A0, A1, A2)``; ``out`` may be ``x``."""
    d = minv.shape[0]
    f = (minv, beta, negc, z, w)
    for b in numba.prange(x.shape[0]):
        m = out[b]
        if b + 1 < x.shape[0]:
            _prefetch_map(x[b + 1])
        corr = np.empty(m.size, dtype=m.dtype)
        buf = np.empty(m.size, dtype=m.dtype)
        for t in range(d):  # last axis first: its transpose doubles as the copy of x
            a = d - 1 - t
            _solve_axis(x[b], m, a, 3 - d + a, b % c, f, cyclic, False, corr, buf, t == 0)


@numba.njit(inline="always")
def _apply(zs, l, r, cyclic, prev, first):  # pragma: no cover - jitted
    """In place ``zs (n, K) <- F zs`` for the stage ``[l, 1, r]`` (the filter, not its inverse)."""
    n, k = zs.shape
    for j in range(k):
        prev[j] = zs[n - 1, j] if cyclic else 0.0
        first[j] = zs[0, j]
    for i in range(n - 1):
        for j in range(k):
            cur = zs[i, j]
            zs[i, j] = l * prev[j] + cur + r * zs[i + 1, j]
            prev[j] = cur
    for j in range(k):
        nxt = first[j] if cyclic else 0.0
        zs[n - 1, j] = l * prev[j] + zs[n - 1, j] + r * nxt


@numba.njit(inline="always", fastmath=True)
def _apply_to(src, dst, l, r, cyclic):  # pragma: no cover - jitted
    """``dst (n, K) = F src`` for the stage ``[l, 1, r]`` (out of place: ``dst`` is not ``src``)."""
    n, k = src.shape
    s0, s1, sl = src[0], src[1], src[n - 1]
    d0 = dst[0]
    for j in range(k):
        d0[j] = (l * sl[j] if cyclic else 0.0) + s0[j] + r * s1[j]
    for i in range(1, n - 1):
        sp, si, sn, di = src[i - 1], src[i], src[i + 1], dst[i]
        for j in range(k):
            di[j] = l * sp[j] + si[j] + r * sn[j]
    sp, si, dl = src[n - 2], src[n - 1], dst[n - 1]
    for j in range(k):
        dl[j] = l * sp[j] + si[j] + (r * s0[j] if cyclic else 0.0)


@numba.njit(inline="always")
def _adjoint_grads(  # pragma: no cover - jitted
    wv, zsrc, zv, apart, fa, co, a, ch, cyclic, corr, prev, first, out, last
):
    """Axis adjoint of slabs ``wv`` in place (stages Q−1..0) and its stage grads into ``out``.

    ``zsrc`` holds the slabs of ``Ỹ`` (the product of the filters of the axes solved before
    this one applied to ``Y``); it is read, never written. ``zv`` receives
    ``F_s ⋯ F_{Q−1} Ỹ`` as the stages go, and leaves with ``F_0 ⋯ F_{Q−1} Ỹ`` (this axis's
    filter), except for the ``last`` axis solved, whose filtered ``Ỹ`` nothing reads.
    """
    q = co.shape[2]
    for p in range(wv.shape[0]):
        ws, zin, zs = wv[p], zsrc[p], zv[p]
        moved = not apart  # whether zs holds the current Z (else it is still zin)
        for s in range(q - 1, -1, -1):
            _stage(ws, fa, s, cyclic, corr)
            if s < q - 1:  # Z_s = F_{s+1} Z_{s+1}
                if moved:
                    _apply(zs, co[a, ch, s + 1, 0], co[a, ch, s + 1, 1], cyclic, prev, first)
                else:
                    _apply_to(zin, zs, co[a, ch, s + 1, 0], co[a, ch, s + 1, 1], cyclic)
                    moved = True
            gl, gr = _grads(ws, zs if moved else zin, cyclic, corr)
            out[s, 0] -= gl
            out[s, 1] -= gr
        if not last:
            if moved:
                _apply(zs, co[a, ch, 0, 0], co[a, ch, 0, 1], cyclic, prev, first)
            else:
                _apply_to(zin, zs, co[a, ch, 0, 0], co[a, ch, 0, 1], cyclic)


@numba.njit(inline="always")
def _copy(src, dst):  # pragma: no cover - jitted
    """``dst[...] = src`` for C-contiguous arrays of one size (a flat loop: 5× faster than the
    slice assignment numba compiles, 0.17 vs 0.86 cycles per element in cache)."""
    a = src.reshape(src.size)
    b = dst.reshape(dst.size)
    for i in range(a.size):
        b[i] = a[i]


@numba.njit(parallel=True, cache=True, fastmath=True)
def backward(g, y, gx, co, minv, beta, negc, z, w, cyclic, need_co, part):  # pragma: no cover
    """``gx[b] = A⁻ᵀ g[b]``; ``part[b, a, s] = −(Σ W_s Z_s[i−1], Σ W_s Z_s[i+1])`` (banded.py).

    One pass of the full adjoint, axis by axis, first axis first (the transposed last axis
    last, so ``Y`` is read in place by the first). With ``A = A_0 ⊗ A_1 ⊗ …`` the gradient of
    axis ``a``'s stage ``s`` is ``−⟨W_s, ∂F_s Z_s⟩`` where ``W_s`` is the full adjoint's state
    while it solves axis ``a`` (after stages Q−1..s) and ``Z_s = F_{s+1} ⋯ F_{Q−1} Ỹ_a`` with
    ``Ỹ_a`` the product of the filters of the axes solved before ``a`` applied to ``Y``: those
    axes are moved from the adjoint onto ``Y`` (the axes commute).
    """
    d, c = co.shape[0], co.shape[1]
    f = (minv, beta, negc, z, w)
    for b in numba.prange(g.shape[0]):
        ch = b % c
        m = gx[b]
        if b + 1 < g.shape[0]:
            _prefetch_map(g[b + 1])
            if need_co:
                _prefetch_map(y[b + 1])
        corr = np.empty(m.size, dtype=m.dtype)
        buf = np.empty(m.size, dtype=m.dtype)
        if not need_co:
            for t in range(d):
                a = d - 1 - t
                _solve_axis(g[b], m, a, 3 - d + a, ch, f, cyclic, True, corr, buf, t == 0)
            continue
        zm = np.empty_like(m)
        zbuf = np.empty(m.size, dtype=m.dtype)
        prev = np.empty(m.size, dtype=m.dtype)
        first = np.empty(m.size, dtype=m.dtype)
        for a in range(d):  # first axis first: the natural-layout axes read Y in place
            ax = 3 - d + a
            wv = _load(g[b] if a == 0 else m, m, ax, buf, a == 0)
            if ax == 2:  # the transposed last axis: Ỹ transposed into zbuf, filtered there
                zv = _load(y[b] if a == 0 else zm, zm, ax, zbuf, False)
                zsrc, apart = zv, False
            else:  # Ỹ read from y[b] (first axis) or zm; filtered copies go to zm
                zv = _view(zm, ax, zbuf)
                zsrc, apart = (_view(y[b], ax, zbuf), True) if a == 0 else (zv, False)
            fa = _fa(f, a, ch, m.shape[ax])
            out = part[b, a]
            _adjoint_grads(
                wv, zsrc, zv, apart, fa, co, a, ch, cyclic, corr, prev, first, out, a == d - 1
            )
            _unview(wv, m, ax)


@numba.njit(inline="always", fastmath=True)
def _grads(ws, zs, cyclic, acc):  # pragma: no cover - jitted
    """``(Σ ws[i] zs[i−1], Σ ws[i] zs[i+1])`` over the slab: per-lane sums in ``acc (≥ 2K)``
    (vectorised in the data's dtype), then added up in float64."""
    n, k = ws.shape
    al, ar = acc[:k], acc[k : 2 * k]
    for j in range(k):
        al[j] = 0.0
        ar[j] = 0.0
    for i in range(1, n):
        wi, wp, zi, zp = ws[i], ws[i - 1], zs[i], zs[i - 1]
        for j in range(k):
            al[j] += wi[j] * zp[j]
            ar[j] += wp[j] * zi[j]
    if cyclic:
        w0, wn, z0, zn = ws[0], ws[n - 1], zs[0], zs[n - 1]
        for j in range(k):
            al[j] += w0[j] * zn[j]
            ar[j] += wn[j] * z0[j]
    gl, gr = 0.0, 0.0
    for j in range(k):
        gl += al[j]
        gr += ar[j]
    return gl, gr
