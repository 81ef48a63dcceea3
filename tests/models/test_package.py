"""The models skeleton installs with its declared workspace siblings."""

import importlib


def test_imports_with_declared_workspace_siblings():
    mod = importlib.import_module("longrange_models")
    assert isinstance(mod.__all__, list)
    for dep in ("arma_core", "arma_stability", "multires_core"):
        importlib.import_module(dep)
