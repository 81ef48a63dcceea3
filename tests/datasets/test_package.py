"""The datasets skeleton installs alone with its declared dependencies (issue: datasets)."""

import importlib


def test_imports_with_declared_dependencies():
    mod = importlib.import_module("longrange_datasets")
    assert isinstance(mod.__all__, list)
    for dep in ("torch", "numpy", "torchvision", "wfdb"):
        importlib.import_module(dep)
