"""The multires-core skeleton installs alone with its declared dependencies ."""

import importlib


def test_imports_with_declared_dependencies():
    mod = importlib.import_module("multires_core")
    assert isinstance(mod.__all__, list)
    for dep in ("torch", "numpy", "pywt"):
        importlib.import_module(dep)
