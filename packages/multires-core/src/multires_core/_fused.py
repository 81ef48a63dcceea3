"""One streaming step as a single compiled CPU loop (numba, the optional ``fast`` extra).

A batch-1 step in PyTorch is a dozen small tensor operations whose fixed cost (dispatch,
allocation, a pass over memory each) dwarfs the ``O(K·J·C)`` arithmetic. This kernel does the
whole step in one pass per level: it reads the ``K − 1`` past values of each level from the
rings, applies both filters, writes the level's input to its ring and accumulates the fading
output (or stores the coefficients for the uniform TreeSelect), optionally followed by GELU. It
is the level-by-level recursion of ``multires_core.streaming._level_step``: ``O(K·J)`` work
per channel, nothing precomputed but the filters.

Absent numba (``pip install 'longrange-multires-core[fast]'``), ``AVAILABLE`` is ``False`` and the
PyTorch paths are used. ``path="auto"`` also leaves the kernel alone where the process-wide
backend switch says so: ``LONGRANGE_BACKEND`` set to ``"torch"`` or ``"triton"`` (the variable
that ``arma_core.set_backend`` and ``arma_core.backend(...)`` write; multires-core does not
depend on arma-core, so the two packages share the setting through it), read at a stream
state's first step.
"""

from __future__ import annotations

import math
import os

import numpy as np

try:
    from numba import njit
except ImportError:  # pragma: no cover - exercised where numba is absent
    AVAILABLE = False
else:
    AVAILABLE = True

__all__ = ["AVAILABLE", "BACKEND_VAR", "allowed", "tree_step"]

#: The process-wide backend switch shared with arma-core (``arma_core.backends.ENV_VAR``).
BACKEND_VAR = "LONGRANGE_BACKEND"

_INV_SQRT2 = 1.0 / math.sqrt(2.0)


def _tree_step(x, levels, slots, row, k, weights, out, gelu):  # pragma: no cover
    """``x (N, C)``; rings ``levels (S, N, C)``; ``slots (R, J·K)``: per row of the period, the
    ``V = J(K − 1)`` slots read (level by level, lag 1 first) then the ``J`` slots written;
    ``weights (2K [+ J + 2], C)``: ``h0``, ``h1`` in lag order, then the fading TreeSelect
    weights if the TreeSelect fades. Writes ``out[0] = y (N, C)`` (fading, then GELU if
    ``gelu``) or ``out = [a_J, b_J..b_1] (J + 1, N, C)`` (uniform). A level reads before it
    writes: its oldest lag shares the slot of the value it writes."""
    n_rows, channels = x.shape
    depth = slots.shape[1] // k
    v = depth * (k - 1)
    use_fading = weights.shape[0] > 2 * k
    f0 = 2 * k  # fading column i is weights row f0 + i
    cur = np.empty(channels, x.dtype)
    lo = np.empty(channels, x.dtype)
    hi = np.empty(channels, x.dtype)
    acc = np.zeros(channels, x.dtype)
    for n in range(n_rows):
        for c in range(channels):
            cur[c] = x[n, c]
        if use_fading:
            for c in range(channels):
                acc[c] = weights[f0 + depth + 1, c] * cur[c]
        for j in range(depth):
            for c in range(channels):
                lo[c] = weights[0, c] * cur[c]
                hi[c] = weights[k, c] * cur[c]
            for m in range(1, k):
                slot = slots[row, j * (k - 1) + m - 1]
                for c in range(channels):
                    p = levels[slot, n, c]
                    lo[c] += weights[m, c] * p
                    hi[c] += weights[k + m, c] * p
            slot = slots[row, v + j]
            for c in range(channels):
                levels[slot, n, c] = cur[c]
                cur[c] = lo[c]
            if use_fading:  # b_(j+1) has TreeSelect weight column J − j
                for c in range(channels):
                    acc[c] += weights[f0 + depth - j, c] * hi[c]
            else:
                for c in range(channels):
                    out[depth - j, n, c] = hi[c]
        if use_fading:
            for c in range(channels):
                y = acc[c] + weights[f0, c] * cur[c]
                if gelu:
                    y = 0.5 * y * (1.0 + math.erf(y * _INV_SQRT2))
                out[0, n, c] = y
        else:
            for c in range(channels):
                out[0, n, c] = cur[c]


def allowed() -> bool:
    """Whether the backend switch lets ``path="auto"`` pick this kernel (``"auto"``, the
    default, or ``"numba"``)."""
    return os.environ.get(BACKEND_VAR, "auto") in ("auto", "numba")


def _compile(fn):
    """``njit`` with the compiled code cached on disk, or per process where no cache folder is
    writable (numba refuses ``cache=True`` then)."""
    try:
        return njit(cache=True, nogil=True)(fn)
    except RuntimeError:
        return njit(nogil=True)(fn)


tree_step = _compile(_tree_step) if AVAILABLE else None
