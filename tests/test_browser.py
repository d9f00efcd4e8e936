"""Open the built website in headless Chromium, as a reader would.

Checks, on every notebook page of ``_build/html``:
- math is typeset by the MathJax that ships with the site (``mjx-container`` elements exist and no
  raw ``$$`` or ``\\[`` is left in the visible text) -- the machine has no route to a CDN, so this
  also proves that the site works offline;
- the page carries a Colab launch link to its own notebook;
- no local asset (script, style sheet, image, font) fails to load.
It saves a screenshot of chapter 1 under ``_build/screenshots/``.

Needs ``make book`` first and Debian's ``chromium`` + ``chromium-driver``
(``tools/ensure_chromium.sh``). Outside CI it is skipped when either is missing; in CI it fails.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
NOTEBOOK_DIRS = ("chapters", "exercises")


def _missing_prerequisite() -> str | None:
    if not (SITE / "index.html").exists():
        return "the website is not built (run `make book`)"
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        return "chromium/chromedriver not installed (run tools/ensure_chromium.sh)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed"
    return None


@pytest.fixture(scope="module")
def site_server():
    """Serve _build/html on a loopback port and record every request that failed."""
    failures: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format, *args):  # keep test output quiet
            pass

        def send_error(self, code, message=None, explain=None):
            failures.append(f"{code} {self.path}")
            super().send_error(code, message, explain)

    handler = functools.partial(Handler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", failures
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    reason = _missing_prerequisite()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"browser test cannot run in CI: {reason}")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
        "--window-size=1280,900",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(
        service=Service(shutil.which("chromedriver")), options=options
    )
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def notebook_pages() -> list[str]:
    """Relative paths (without suffix) of the notebooks listed in _toc.yml."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    return [
        f
        for f in files
        if f.split("/")[0] in NOTEBOOK_DIRS and (ROOT / f"{f}.ipynb").exists()
    ]


def wait_for_mathjax(driver, timeout: float = 30.0) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(
        lambda d: d.execute_script(
            "return window.MathJax !== undefined && MathJax.startup !== undefined"
            " && MathJax.startup.promise !== undefined"
            " && document.querySelectorAll('mjx-container').length > 0"
        )
    )
    driver.execute_async_script(
        "const done = arguments[0]; MathJax.startup.promise.then(() => done(true));"
    )


def test_there_are_notebook_pages():
    assert notebook_pages(), "no chapter or exercise notebook is listed in _toc.yml"


@pytest.mark.parametrize("page", notebook_pages())
def test_notebook_page(page, browser, site_server):
    base, failures = site_server
    failures.clear()
    browser.get(f"{base}/{page}.html")
    wait_for_mathjax(browser)

    typeset = browser.execute_script(
        "return document.querySelectorAll('mjx-container').length"
    )
    assert typeset > 0, f"{page}: no typeset math"
    visible = browser.execute_script("return document.querySelector('main').innerText")
    for raw in ("$$", "\\[", "\\begin{"):
        assert raw not in visible, f"{page}: raw TeX {raw!r} left in the visible text"

    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    repo = config["repository"]["url"].rstrip("/").removeprefix("https://github.com/")
    hrefs = browser.execute_script(
        "return [...document.querySelectorAll('a')].map(a => a.href)"
    )
    colab = [
        h for h in hrefs if h.startswith("https://colab.research.google.com/github/")
    ]
    assert colab, f"{page}: no Colab launch link"
    assert any(h.endswith(f"{repo}/blob/main/{page}.ipynb") for h in colab), (
        f"{page}: Colab link does not point at its own notebook: {colab}"
    )

    scripts = browser.execute_script(
        "return [...document.querySelectorAll('script[src]')].map(s => s.getAttribute('src'))"
    )
    external = [s for s in scripts if s.startswith(("http:", "https:", "//"))]
    assert not external, f"{page}: scripts loaded from the network: {external}"
    assert not failures, f"{page}: local assets failed to load: {failures}"

    if page.startswith("chapters/01"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(SHOTS / "chapter01.png"))
