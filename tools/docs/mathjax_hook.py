"""MkDocs hook: serve MathJax from the site itself, taken from the ``django-static-mathjax`` wheel.

The docs dependency group pins ``django-static-mathjax`` (MathJax 3, Apache-2.0, on PyPI). This
hook adds its CommonHTML build (``es5/tex-chtml.js``), its woff-v2 fonts and the TeX extensions
that ``autoload`` may fetch to the site under ``assets/mathjax/``; nothing is fetched from a CDN
when a page is viewed. ``docs/javascripts/mathjax-config.js`` configures it for
``pymdownx.arithmatex`` (generic mode).
"""

from __future__ import annotations

from pathlib import Path

import mathjax  # django-static-mathjax
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

__all__ = ["MATHJAX_SOURCE", "SITE_PREFIX", "on_files"]

MATHJAX_SOURCE = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
SITE_PREFIX = "assets/mathjax"
#: What the page needs: the combined TeX -> CommonHTML component, its fonts, lazily loaded
#: TeX extensions (\boldsymbol, \mathbb via ams is built in) and the menu's optional parts.
_WANTED = ("tex-chtml.js", "output/chtml/fonts/woff-v2", "input/tex/extensions", "ui", "a11y")


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the MathJax files (read from the installed wheel) to the site's files."""
    if not (MATHJAX_SOURCE / "tex-chtml.js").is_file():
        raise FileNotFoundError(f"MathJax not found at {MATHJAX_SOURCE}; install the docs group")
    for wanted in _WANTED:
        root = MATHJAX_SOURCE / wanted
        paths = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in paths:
            rel = path.relative_to(MATHJAX_SOURCE).as_posix()
            files.append(File.generated(config, f"{SITE_PREFIX}/{rel}", abs_src_path=str(path)))
    return files
