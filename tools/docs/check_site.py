"""Check the built docs site as a reader meets it: every page in headless Chromium.

    python tools/docs/check_site.py site [--screenshots runs/docs] [--no-browser]

Static checks (no browser): every name in every package's ``__all__`` has an entry (an anchor
``id="<package>.<name>"``) on the package's API page (the ``API`` section of ``mkdocs.yml``, one
page per package, titled with its import name); no page shows a raw reST role (``:func:`` ...);
no page references a resource outside the site (CDN scripts, web fonts, remote images); every
guide shows at least one figure.

Browser checks (Debian's ``/usr/bin/chromium`` driven by Playwright; ``$CHROMIUM`` overrides the
path): the site is served on 127.0.0.1 and every page is opened; fail on a console error, an
uncaught exception, a request that fails or answers >= 400, an image with ``naturalWidth == 0``,
math that MathJax did not typeset (or typeset with an error), raw roles in the rendered text, and a
search for ``ARMA2d`` with no result. A full-page screenshot of every page goes to
``--screenshots`` (up to ``SHOT_MAX_HEIGHT`` pixels tall). Exit status 1 lists every failure.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import importlib
import os
import re
import sys
import threading
from pathlib import Path

import yaml

__all__ = ["api_pages", "browser_check", "main", "missing_entries", "static_problems"]

ROOT = Path(__file__).resolve().parents[2]
RAW_ROLE = re.compile(r":(?:py:)?(?:func|class|meth|mod|attr|data|exc|obj|const|ref):(?=[`\w])")
EXTERNAL = re.compile(
    r"""<(?:script|link|img|iframe|source)\b[^>]*?(?:src|href)=["']?(?:https?:)?//"""
)
SEARCH_TERM = "ARMA2d"
#: Screenshots show the whole page up to this height (the long API pages: their first screens).
SHOT_MAX_HEIGHT = 12_000


def api_pages(mkdocs_yml: Path = ROOT / "mkdocs.yml") -> dict[str, str]:
    """``{package import name: page path (.md)}`` from the ``API`` section of the nav."""
    text = re.sub(r"!!python/\S+", "", mkdocs_yml.read_text())  # tags safe_load refuses
    nav = yaml.safe_load(text)["nav"]
    for section in nav:
        if isinstance(section, dict) and "API" in section:
            return {k: v for entry in section["API"] for k, v in entry.items()}
    raise ValueError(f"no 'API' section in the nav of {mkdocs_yml}")


def page_html(site: Path, md_path: str) -> Path:
    """The HTML file MkDocs writes for ``md_path`` (directory URLs)."""
    stem = md_path.removesuffix(".md")
    if stem == "index" or stem.endswith("/index"):
        return site / stem.removesuffix("index") / "index.html"
    return site / stem / "index.html"


def missing_entries(site: Path) -> list[str]:
    """Exported names (``package.name``) without an anchor on their package's API page."""
    missing = []
    for package, md_path in api_pages().items():
        if not page_html(site, md_path).is_file():
            missing.append(f"{package}: its API page {md_path} was not built")
            continue
        html = page_html(site, md_path).read_text(encoding="utf-8")
        ids = set(re.findall(r'\bid="([^"]+)"', html))
        for name in importlib.import_module(package).__all__:
            # The page may render the package (package.name) or its modules (package.mod.name).
            if f"{package}.{name}" not in ids and not any(
                i.startswith(f"{package}.") and i.endswith(f".{name}") for i in ids
            ):
                missing.append(f"{package}.{name} (no entry on {md_path})")
    return missing


def html_pages(site: Path) -> list[Path]:
    """Every page of the site (not the 404 page, not the bundled assets)."""
    return sorted(p for p in site.rglob("index.html") if "assets" not in p.relative_to(site).parts)


def _visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", "", html)


def static_problems(site: Path) -> list[str]:
    """Raw reST roles, external resources and guides without a figure, in the built HTML."""
    problems = []
    for page in html_pages(site):
        rel = page.relative_to(site).as_posix()
        html = page.read_text(encoding="utf-8")
        for match in RAW_ROLE.finditer(_visible_text(html)):
            problems.append(f"{rel}: raw reST role {match.group(0)!r}")
        for match in EXTERNAL.finditer(html):
            problems.append(f"{rel}: external resource {match.group(0)!r}")
        if rel.startswith("guides/") and "<img " not in html:
            problems.append(f"{rel}: a guide without a figure")
    return problems


def _serve(site: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


_PAGE_STATE = """async () => {
  const state = {};
  if (document.querySelector('.arithmatex')) {
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
      await MathJax.startup.promise;
    } else {
      state.math = 'no MathJax';
    }
  }
  const math = [...document.querySelectorAll('.arithmatex')];
  const imgs = [...document.querySelectorAll('article img')];
  await Promise.all(imgs.map(i => i.decode().catch(() => null)));
  return {
    ...state,
    unrendered: math.filter(m => !m.querySelector('mjx-container')).map(m => m.textContent),
    errors: math.filter(m => m.querySelector('mjx-merror')).map(m => m.textContent),
    broken: imgs.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.getAttribute('src')),
    text: (document.querySelector('article') || document.body).innerText,
    nmath: math.length, nimg: imgs.length,
  };
}"""


def browser_check(site: Path, shots: Path | None, chromium: str) -> list[str]:
    """Open every page in headless Chromium; return the problems found."""
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    server, base = _serve(site)
    if shots is not None:
        shots.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            where = {"rel": ""}

            def log(message: str) -> None:
                problems.append(f"{where['rel']}: {message}")

            page.on("console", lambda m: m.type == "error" and log(f"console error {m.text}"))
            page.on("pageerror", lambda e: log(f"uncaught exception {e}"))
            # ERR_ABORTED: a request the next navigation cancelled (a 404 is caught as a response).
            page.on(
                "requestfailed",
                lambda r: (
                    "ERR_ABORTED" not in (r.failure or "")
                    and log(f"request failed {r.url} ({r.failure})")
                ),
            )
            page.on("response", lambda r: r.status >= 400 and log(f"HTTP {r.status} {r.url}"))
            for html in html_pages(site):
                rel = html.relative_to(site).parent.as_posix()
                rel = "" if rel == "." else rel + "/"
                where["rel"] = rel or "index"
                page.goto(base + rel, wait_until="load")
                state = page.evaluate(_PAGE_STATE)
                for key in ("unrendered", "errors", "broken"):
                    problems += [f"{where['rel']}: {key} {x[:60]!r}" for x in state.get(key, [])]
                if "math" in state:
                    problems.append(f"{where['rel']}: math present but {state['math']}")
                problems += [
                    f"{where['rel']}: raw role {m.group(0)!r}"
                    for m in RAW_ROLE.finditer(state.get("text", ""))
                ]
                print(
                    f"  {where['rel']:<48} math {state.get('nmath', 0):>3}  "
                    f"images {state.get('nimg', 0):>2}"
                )
                if shots is not None:
                    name = (rel.strip("/") or "index").replace("/", "__")
                    height = min(page.evaluate("document.body.scrollHeight"), SHOT_MAX_HEIGHT)
                    clip = {"x": 0, "y": 0, "width": 1280, "height": height}
                    page.screenshot(path=str(shots / f"{name}.png"), full_page=True, clip=clip)
            where["rel"] = f"search {SEARCH_TERM}"
            page.goto(f"{base}?q={SEARCH_TERM}", wait_until="networkidle")
            try:
                page.wait_for_selector(".md-search-result__item", timeout=15_000)
            except Exception:  # playwright's TimeoutError
                problems.append(f"search for {SEARCH_TERM!r} found nothing")
            if shots is not None:
                page.screenshot(path=str(shots / "search.png"))
            browser.close()
    finally:
        server.shutdown()
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path, help="the built site (mkdocs build --site-dir)")
    parser.add_argument("--screenshots", type=Path, default=ROOT / "runs" / "docs")
    parser.add_argument("--no-browser", action="store_true", help="static checks only")
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    args = parser.parse_args(argv)
    if not (args.site / "index.html").is_file():
        raise ValueError(f"site should be a built site with index.html, got {args.site}")
    problems = missing_entries(args.site) + static_problems(args.site)
    if not args.no_browser:
        if not Path(args.chromium).is_file():
            raise FileNotFoundError(
                f"chromium not found at {args.chromium!r} (apt-get install chromium)"
            )
        problems += browser_check(args.site, args.screenshots, args.chromium)
    for p in problems:
        print(f"FAIL {p}")
    print(f"{len(html_pages(args.site))} pages, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
