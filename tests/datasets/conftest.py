"""Every datasets test caches under its own temporary folder, never in ``~/.cache``."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Point ``LONGRANGE_CACHE`` (and ``XDG_CACHE_HOME``) at a fresh folder for each test."""
    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("LONGRANGE_CACHE", str(folder / "longrange"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder / "xdg"))
    return folder / "longrange"
