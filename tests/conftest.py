"""Shared test settings: no network, caches in a temporary folder, a `gpu` marker that skips
cleanly."""

from __future__ import annotations

import socket

import pytest


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that opens an internet socket (local socketpairs stay allowed)."""

    def guard(*args, **kwargs):
        raise RuntimeError("tests must not open network connections")

    monkeypatch.setattr(socket, "create_connection", guard)
    monkeypatch.setattr(socket.socket, "connect", guard)


@pytest.fixture(autouse=True)
def _private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every test (and every app it launches as a subprocess) caches under a temporary folder,
    never in ``~/.cache/longrange`` (XDG_CACHE_HOME stays: matplotlib keeps its font cache
    there)."""
    cache = tmp_path_factory.mktemp("longrange_cache")
    monkeypatch.setenv("LONGRANGE_CACHE", str(cache))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    try:
        import torch

        has_cuda = torch.cuda.is_available()
    except ImportError:  # pragma: no cover - every package depends on torch
        has_cuda = False
    skip = pytest.mark.skip(reason="needs CUDA")
    for item in items:
        if "gpu" in item.keywords and not has_cuda:
            item.add_marker(skip)
