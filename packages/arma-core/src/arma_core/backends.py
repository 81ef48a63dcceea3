"""One switch for the compiled kernels: ``"auto"``, ``"torch"``, ``"numba"`` or ``"triton"``.

The banded AR solve (and the ARMA layers' fused convolution + solve) has three implementations:
the PyTorch reference sweeps (every device), a numba kernel (CPU; the ``fast`` extra) and Triton
kernels (CUDA; on CPU tensors too under ``TRITON_INTERPRET=1``, for tests). The backend says
which one runs where it can:

* ``"auto"`` (default): numba on CPU tensors where numba is installed, Triton on CUDA tensors
  where Triton is installed, else the PyTorch reference;
* ``"torch"``: the PyTorch reference everywhere (no compiled kernel);
* ``"numba"``: numba on CPU tensors, the PyTorch reference elsewhere;
* ``"triton"``: Triton wherever it can run (CUDA tensors; CPU tensors under the interpreter),
  the PyTorch reference elsewhere.

All give the same values to rounding. The setting is one process-wide value stored in the
environment variable ``LONGRANGE_BACKEND``, so multires-core (which does not depend on
arma-core) follows it for its fused numba streaming step, and so do child processes (data-loader
workers, ``torchrun``); setting that variable before starting Python has the same effect as
[`set_backend`][arma_core.set_backend].
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from torch import Tensor

from . import _banded_numba, _banded_triton
from .types import BACKENDS, Backend

__all__ = ["ENV_VAR", "backend", "get_backend", "kernel_for", "set_backend"]

#: The environment variable that holds the setting (shared with multires-core).
ENV_VAR = "LONGRANGE_BACKEND"
Kernel = Literal["torch", "numba", "triton"]


def _check(name: object) -> Backend:
    for known in BACKENDS:  # (narrows the type: the name is one of the literals)
        if name == known:
            return known
    raise ValueError(f"backend should be one of {BACKENDS}, got {name!r}")


def set_backend(name: Backend) -> None:
    """Choose the implementation of the compiled kernels for the whole process.

    Args:
        name: ``"auto"``, ``"torch"``, ``"numba"`` or ``"triton"`` (see the module doc).

    Raises:
        ValueError: an unknown name, or ``"numba"``/``"triton"`` where that package is not
            installed.
    """
    name = _check(name)
    if name == "numba" and not _banded_numba.AVAILABLE:
        raise ValueError("backend 'numba' needs numba: pip install 'longrange-arma-core[fast]'")
    if name == "triton" and importlib.util.find_spec("triton") is None:
        raise ValueError("backend 'triton' needs triton (it comes with torch's CUDA wheels)")
    os.environ[ENV_VAR] = name


def get_backend() -> Backend:
    """The current setting (``"auto"`` unless [`set_backend`][arma_core.set_backend] or
    ``LONGRANGE_BACKEND`` chose another).

    Raises:
        ValueError: ``LONGRANGE_BACKEND`` holds an unknown name.
    """
    value = os.environ.get(ENV_VAR, "auto")
    for name in BACKENDS:
        if value == name:
            return name
    raise ValueError(f"{ENV_VAR} should be one of {BACKENDS}, got {value!r}")


@contextmanager
def backend(name: Backend) -> Iterator[None]:
    """Context manager: [`set_backend`][arma_core.set_backend] inside the block, the previous
    setting restored after it (also on an exception). Process-wide, like the setting itself.

    Example:
        >>> import arma_core
        >>> with arma_core.backend("torch"):
        ...     pass  # the PyTorch reference sweeps run here
    """
    previous = os.environ.get(ENV_VAR)
    set_backend(name)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(ENV_VAR, None)
        else:
            os.environ[ENV_VAR] = previous


def kernel_for(x: Tensor) -> Kernel:
    """The implementation of the banded solve that runs on ``x`` under the current backend."""
    name = get_backend()
    if name == "torch":
        return "torch"
    if name != "triton" and _banded_numba.usable(x):
        return "numba"
    if name != "numba" and _banded_triton.usable(x, interpreter_ok=name == "triton"):
        return "triton"
    return "torch"
