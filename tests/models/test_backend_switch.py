"""One backend switch for both compiled CPU kernels: ``arma_core.backend(...)`` (arma-core)
also decides multires-core's fused streaming step, although neither package imports the other
(both read ``LONGRANGE_BACKEND``); the environment here has both packages."""

from __future__ import annotations

import pytest
import torch

import arma_core
import multires_core._fused as fused
from multires_core import MultiresConv1d

pytest.importorskip("numba")


class KernelRan(Exception):
    """Raised by the stand-in for multires-core's fused step: the kernel was picked."""


def _refuse(*args: object) -> None:
    raise KernelRan


@pytest.mark.parametrize(("backend", "runs"), [("numba", True), ("torch", False)])
def test_arma_core_backend_rules_the_multires_kernel(backend, runs, monkeypatch):
    monkeypatch.setattr(fused, "tree_step", _refuse)
    m = MultiresConv1d(3, 2, depth=3)
    with arma_core.backend(backend), torch.no_grad():
        assert arma_core.backends.kernel_for(torch.zeros(1)) == ("numba" if runs else "torch")
        state = m.init_state(1)
        if runs:
            with pytest.raises(KernelRan):
                m.step(torch.randn(1, 3), state)
        else:
            m.step(torch.randn(1, 3), state)  # the tensor paths: the stand-in is not called


def test_the_context_manager_restores_the_setting_after_an_error(monkeypatch):
    monkeypatch.delenv(arma_core.backends.ENV_VAR, raising=False)  # restored after the test
    arma_core.set_backend("numba")

    def fails_inside():
        with arma_core.backend("torch"):
            assert arma_core.get_backend() == "torch"
            raise RuntimeError("inside")

    with pytest.raises(RuntimeError, match="inside"):
        fails_inside()
    assert arma_core.get_backend() == "numba"
    with pytest.raises(ValueError, match="backend should be one of"):
        arma_core.set_backend("cuda")  # type: ignore[arg-type]  # a wrong name, on purpose
    assert arma_core.get_backend() == "numba"
