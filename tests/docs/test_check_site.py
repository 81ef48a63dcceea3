"""tools/docs/check_site.py's static checks fail on what they are meant to catch.

A fake built site (a few HTML files) stands in for ``mkdocs build``: an API page that lacks an
exported name's anchor, a raw reST role, a CDN script. The browser part needs Chromium and runs
in ``nox -s docs`` only.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def check_site():
    spec = importlib.util.spec_from_file_location("check_site", ROOT / "tools/docs/check_site.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_site"] = module
    spec.loader.exec_module(module)
    return module


def _site(tmp_path: Path, api_html: str, guide_html: str = "<p>ok</p>") -> Path:
    (tmp_path / "api" / "arma-stability").mkdir(parents=True)
    (tmp_path / "api" / "arma-stability" / "index.html").write_text(api_html)
    (tmp_path / "guides" / "x").mkdir(parents=True)
    (tmp_path / "guides" / "x" / "index.html").write_text(guide_html)
    (tmp_path / "index.html").write_text("<p>home</p>")
    return tmp_path


def test_api_pages_come_from_the_nav(check_site):
    pages = check_site.api_pages()
    assert pages["arma_core"] == "api/arma-core.md"
    assert set(pages) >= {"arma_core", "arma_stability", "multires_core"}


def test_missing_entry_is_reported(check_site, monkeypatch, tmp_path):
    import arma_stability

    names = list(arma_stability.__all__)
    # Every name has an anchor except the first; one is found under a module path.
    ids = [f'<h2 id="arma_stability.{n}"></h2>' for n in names[1:-1]]
    ids.append(f'<h2 id="arma_stability.some_module.{names[-1]}"></h2>')
    site = _site(tmp_path, "".join(ids))
    monkeypatch.setattr(
        check_site, "api_pages", lambda: {"arma_stability": "api/arma-stability.md"}
    )
    missing = check_site.missing_entries(site)
    assert missing == [f"arma_stability.{names[0]} (no entry on api/arma-stability.md)"]


def test_raw_roles_and_external_resources_are_reported(check_site, tmp_path):
    guide = (
        "<p>See <code>:func:</code><code>ar_solve</code> and :class:`ARMA2d`.</p>"
        '<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"></script>'
        '<link rel="stylesheet" href="//fonts.googleapis.com/css?family=Roboto">'
        '<a href="https://example.org">a link is fine</a>'
    )
    site = _site(tmp_path, "<p>api</p>", guide)
    problems = check_site.static_problems(site)
    assert sum("raw reST role" in p for p in problems) == 2
    assert sum("external resource" in p for p in problems) == 2
    assert sum("without a figure" in p for p in problems) == 1
    assert all(p.startswith("guides/x/index.html") for p in problems)


def test_clean_site_has_no_static_problems(check_site, tmp_path):
    site = _site(
        tmp_path,
        "<p>api</p>",
        '<script src="../../assets/mathjax/tex-chtml.js"></script><img src="a.png">',
    )
    assert check_site.static_problems(site) == []
