"""The rendered book, looked at in a real browser (headless Chromium).

Run with ``make test-browser`` after ``make book``: it serves ``_build/html`` on
localhost, opens every page in the distribution's Chromium (driven by Selenium
with the system chromedriver) with every non-local host unresolvable, and
checks what a reader sees: no console errors, every equation typeset by the
MathJax copy inside the build, every figure loaded, internal links and
references resolved, theorem/proof blocks rendered.  Full-page screenshots of
two chapters are saved to ``artifacts/``.
"""
from __future__ import annotations

import base64
import functools
import http.server
import os
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import pytest
from booktoc import toc_entries

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

pytestmark = pytest.mark.skipif(
    os.environ.get("RNNMATH_BROWSER") != "1", reason="browser tests run with `make test-browser`"
)


def _pages() -> list[Path]:
    return [HTML / f"{f}.html" for f in toc_entries()]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output readable
        pass


@pytest.fixture(scope="module")
def server():
    if not (HTML / "index.html").exists():
        pytest.fail("the book is not built: run `make book` first")
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.fail("Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--window-size=1280,900",
        # the network is off for the page: every host but localhost fails to resolve
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _load(browser, url: str) -> dict:
    """Open a page, wait for MathJax to finish, and collect what the reader sees."""
    browser.get(url)
    browser.execute_async_script(
        """const done = arguments[arguments.length - 1];
        const wait = (n) => {
          if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
            MathJax.startup.promise.then(() => done(true)).catch(() => done(false));
          } else if (n > 100) { done(false); } else { setTimeout(() => wait(n + 1), 100); }
        };
        wait(0);"""
    )
    return browser.execute_script(
        """const clone = document.body.cloneNode(true);  // navigation included: titles carry maths
        clone.querySelectorAll('mjx-container, script, style, pre, code, .highlight').forEach(e => e.remove());
        return {
          text: clone.innerText,
          mathjax_src: Array.from(document.scripts).map(s => s.src).filter(s => s.includes('mathjax')),
          math_nodes: document.querySelectorAll('.math, div.math, span.math').length,
          mjx: document.querySelectorAll('mjx-container').length,
          mjx_errors: document.querySelectorAll('mjx-merror, [data-mjx-error]').length,
          images: Array.from(document.images).map(i => [i.src, i.complete, i.naturalWidth]),
          links: Array.from(document.querySelectorAll('a.reference.internal, a.internal')).map(a => a.getAttribute('href')),
          ids: Array.from(document.querySelectorAll('[id]')).map(e => e.id),
          proofs: document.querySelectorAll('div.proof, div.theorem, div.admonition.theorem, .proof').length,
          prf_src: document.querySelectorAll('.prf, [class*="proof"], [class*="theorem"]').length,
        };"""
    )


def _console_errors(browser) -> list[str]:
    return [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]


PAGES = _pages() if HTML.exists() else []


def test_every_toc_page_was_built():
    assert PAGES, "no pages: build the book first"
    missing = [str(p.relative_to(HTML)) for p in PAGES if not p.exists()]
    assert not missing, f"pages missing from the build: {missing}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(HTML)))
def test_page_as_a_reader_sees_it(server, browser, page):
    rel = page.relative_to(HTML).as_posix()
    info = _load(browser, f"{server}/{rel}")
    errors = _console_errors(browser)
    assert not errors, f"console errors on {rel}: {errors[:3]}"
    assert all("127.0.0.1" in s for s in info["mathjax_src"]), \
        f"{rel}: MathJax must come from the build itself, got {info['mathjax_src']}"
    if info["math_nodes"]:
        assert info["mathjax_src"], f"{rel}: has mathematics but loads no MathJax"
        assert info["mjx"] > 0, f"{rel}: {info['math_nodes']} math nodes but nothing typeset by MathJax"
    assert info["mjx_errors"] == 0, f"{rel}: MathJax reported {info['mjx_errors']} errors"
    raw = re.findall(r"\$\$|\\begin\{|\\frac\{|\\mathbb\{|\\\(|\\\)", info["text"])
    assert not raw, f"{rel}: untypeset TeX left in the page: {raw[:5]}"
    for bad in ("undefined label", "Unknown directive", "Unknown interpreted text role", "??"):
        assert bad not in info["text"], f"{rel}: Sphinx leftover {bad!r} in the page"
    if re.search(r"\bshow\(fig|plt\.show\(|\bfigure\(", _source_of(page)):
        assert any(w > 0 for _, _, w in info["images"]), f"{rel}: the chapter draws figures but the page shows none"
    broken = [src for src, complete, width in info["images"] if not (complete and width > 0)]
    assert not broken, f"{rel}: images that did not load: {broken[:3]}"
    # internal links resolve to built files (and to an existing anchor on this page)
    for href in info["links"]:
        if not href or href.startswith(("http:", "https:", "mailto:")):
            continue
        target, frag = urldefrag(href)
        if not target and not frag:
            continue  # "#": a button such as "back to top"
        if not target:
            assert frag in info["ids"], f"{rel}: link to missing anchor #{frag}"
            continue
        path = (page.parent / unquote(urlparse(target).path)).resolve()
        assert path.exists(), f"{rel}: internal link to missing page {href}"


def test_theorem_and_proof_blocks_render(server, browser):
    pages = [p for p in PAGES if "prf:theorem" in _source_of(p)]
    assert pages, "no chapter uses prf:theorem"
    for page in pages:
        info = _load(browser, f"{server}/{page.relative_to(HTML).as_posix()}")
        assert info["proofs"] > 0, f"{page.name}: theorem/proof directives did not render"
        assert "prf:theorem" not in info["text"]


def _source_of(page: Path) -> str:
    rel = page.relative_to(HTML).with_suffix("")
    for ext in (".ipynb", ".md"):
        src = ROOT / f"{rel}{ext}"
        if src.exists():
            return src.read_text()
    return ""


def test_launch_and_download_buttons_point_at_existing_notebooks(server, browser):
    chapters = [p for p in PAGES if (ROOT / p.relative_to(HTML).with_suffix(".ipynb")).exists()]
    assert chapters
    for page in chapters[:3]:
        html = page.read_text()
        rel = page.relative_to(HTML).with_suffix(".ipynb").as_posix()
        assert rel in html, f"{page.name}: no launch link to {rel}"
        assert (ROOT / rel).exists()
        assert "_sources/" in html and (HTML / "_sources" / rel).exists(), f"{page.name}: no downloadable .ipynb"


@pytest.mark.parametrize("chapter", ["book/part1_episodic/02_conjugacy", "book/errata"])
def test_full_page_screenshots(server, browser, chapter):
    page = HTML / f"{chapter}.html"
    if not page.exists():
        pytest.fail(f"{chapter} not built")
    _load(browser, f"{server}/{chapter}.html")
    metrics = browser.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics.get("cssContentSize") or metrics["contentSize"]
    shot = browser.execute_cdp_cmd(
        "Page.captureScreenshot",
        {"format": "png", "captureBeyondViewport": True,
         "clip": {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 12000), "scale": 1}},
    )
    ARTIFACTS.mkdir(exist_ok=True)
    out = ARTIFACTS / f"{chapter.replace('/', '_')}.png"
    out.write_bytes(base64.b64decode(shot["data"]))
    assert out.stat().st_size > 10_000
