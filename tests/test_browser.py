"""Open the built website in headless Chromium, as a reader would, on a desktop and a phone.

Checks, on the pages of ``_build/html`` that ``_toc.yml`` lists:
- math is typeset by the MathJax that ships with the site (``mjx-container`` elements exist and no
  raw ``$$`` or ``\\[`` is left in the visible text) -- the machine has no route to a CDN, so this
  also proves that the site works offline;
- every notebook page carries a Colab launch link to its own notebook;
- no local asset (script, style sheet, image, font) fails to load;
- no page logs a console error (a first visit, with empty browser storage);
- on every chapter and exercise page, at 1366 px and at 390 px wide, nothing is cut off: see
  ``CUT_OFF_JS`` for the exact criterion (math, code, outputs and tables);
- the chapter list opens on a phone when the sidebar toggle is clicked, and the toggle hides and
  shows the sidebar on a desktop;
- every image in a chapter or exercise page is a numbered figure with a caption and an alt text
  that describes it (not a hash or a file name), and every image loads;
- the Colab setup cell (its ``pip install``) is not shown on any page;
- "next" follows ``_toc.yml`` (each exercise set right after its chapter), and the bibliography
  labels its entries like the author-year citations in the text.
It saves screenshots of chapter 1 under ``_build/screenshots/``.

Needs ``make book`` first and Debian's ``chromium`` + ``chromium-driver``
(``tools/ensure_chromium.sh``). Outside CI it is skipped when either is missing; in CI it fails.
Set ``RNNBOOK_SITE`` to check a site built elsewhere (a folder that holds ``index.html``).
"""

from __future__ import annotations

import functools
import html
import http.server
import os
import re
import shutil
import threading
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(os.environ.get("RNNBOOK_SITE", ROOT / "_build" / "html"))
SHOTS = SITE.parent / "screenshots"
NOTEBOOK_DIRS = ("chapters", "exercises")
WIDTHS = {"desktop": 1366, "phone": 390}
CODE_COLUMNS = (
    88  # the longest code or output line a reader may have to scroll on a phone
)


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
        "--window-size=1366,900",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(
        service=Service(shutil.which("chromedriver")), options=options
    )
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def toc_files() -> list[str]:
    """Every file of _toc.yml (without suffix), root first, in reading order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                yield entry["file"]
            yield from walk(entry.get("sections"))

    return [toc["root"]] + [
        f for part in toc.get("parts", []) for f in walk(part.get("chapters"))
    ]


def notebook_pages() -> list[str]:
    """Relative paths (without suffix) of the notebooks listed in _toc.yml."""
    files = toc_files()
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
    browser.set_window_rect(width=WIDTHS["desktop"], height=900)
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


# ----------------------------------------------------------------------------- a reader's visit
# Each page is loaded once per width, with empty browser storage (a first visit); one script
# collects everything the tests below assert on, so that each check is its own test.

CUT_OFF_JS = r"""
// What counts as cut off. For each visible element of a kind below, its content box is compared
// with every ancestor that does not let overflow show (overflow-x other than visible):
//   "clip"   an ancestor with overflow-x hidden/clip is narrower than the content: the reader
//            cannot see the rest, not even by scrolling;
//   "page"   no ancestor contains it and it runs past the window's right edge: the page itself
//            scrolls sideways (or the browser hides the overflow);
//   "scroll" the nearest such ancestor has overflow-x auto/scroll: the reader can scroll to it;
//   "fits"   nothing sticks out.
// Kinds: "math" (mjx-container; its mjx-math child is the content), "code" (pre in a cell's
// input or a literal block), "output" (pre or HTML in a cell's output), "table".
const vw = document.documentElement.clientWidth;
const out = [];
const describe = (el) => {
  const sec = el.closest('section');
  const h = sec ? sec.querySelector('h1, h2, h3, h4') : null;
  const where = h ? h.textContent.replace('#', '').trim().slice(0, 70) : '(top)';
  let what = '';
  if (el.tagName === 'MJX-CONTAINER' && window.MathJax && MathJax.startup.document) {
    const items = MathJax.startup.document.getMathItemsWithin(el);
    what = items.length ? items[0].math : '';
  }
  if (!what) what = el.textContent;
  return [where, what.replace(/\s+/g, ' ').trim().slice(0, 90)];
};
const state = (el, right) => {
  for (let a = el; a && a !== document.documentElement; a = a.parentElement) {
    const cs = getComputedStyle(a);
    const ox = cs.overflowX;
    // overflow does not apply to inline boxes (a span.math in a paragraph clips nothing)
    if (ox === 'visible' || cs.display === 'inline') continue;
    const r = a.getBoundingClientRect();
    const clientRight = r.left + a.clientLeft + a.clientWidth;
    if (right > clientRight + 1) {
      const by = a.tagName.toLowerCase() + (a.className ? '.' + String(a.className)
        .trim().split(/\s+/).join('.') : '');
      return [(ox === 'auto' || ox === 'scroll') ? 'scroll' : 'clip', right - clientRight, by];
    }
  }
  return right > vw + 1 ? ['page', right - vw, 'window'] : ['fits', 0, ''];
};
const visible = (el) =>
  el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
// The article only: the page's table of contents and the previous/next links repeat headings
// (with their math) in boxes that are off screen on a phone by design.
const root = document.querySelector('article.bd-article') || document.querySelector('main');
const seen = new Set();
const add = (kind, el, contentRight, lines) => {
  if (seen.has(el) || !visible(el)) return;
  seen.add(el);
  const [st, px, by] = state(el, contentRight);
  const [where, what] = describe(el);
  const display = el.getAttribute('display') === 'true' || el.getAttribute('display') === 'block';
  out.push({kind, state: st, px: Math.round(px), by, where, what, display,
            width: Math.round(contentRight - el.getBoundingClientRect().left), lines});
};
root.querySelectorAll('mjx-container').forEach((el) => {
  const m = el.querySelector('mjx-math') || el;
  add('math', el, m.getBoundingClientRect().right, null);
});
const longest = (el) => Math.max(0, ...el.textContent.split('\n').map((l) => l.length));
root.querySelectorAll('.cell_output pre, .output pre').forEach((el) => {
  const r = el.getBoundingClientRect();
  add('output', el, r.left + el.clientLeft + el.scrollWidth, longest(el));
});
root.querySelectorAll('pre').forEach((el) => {
  const r = el.getBoundingClientRect();
  add('code', el, r.left + el.clientLeft + el.scrollWidth, longest(el));
});
root.querySelectorAll('.cell_output > *').forEach((el) => {
  if (el.querySelector('pre') || el.tagName === 'PRE') return;
  const r = el.getBoundingClientRect();
  add('output', el, r.left + el.clientLeft + el.scrollWidth, null);
});
root.querySelectorAll('table').forEach((el) => {
  add('table', el, el.getBoundingClientRect().right, null);
});
return out;
"""

PAGE_JS = r"""
const main = document.querySelector('main') || document.body;
const images = [...main.querySelectorAll('article img, .bd-article img')].map((img) => {
  const fig = img.closest('figure');
  const cap = fig ? fig.querySelector('figcaption') : null;
  return {src: img.getAttribute('src') || '', alt: img.getAttribute('alt') || '',
          loaded: img.complete && img.naturalWidth > 0,
          caption: cap ? cap.innerText.trim() : null,
          number: cap ? (cap.querySelector('.caption-number') || {}).textContent || '' : ''};
});
const code = [...main.querySelectorAll('.cell_input pre, div.highlight pre')]
  .filter((el) => el.getClientRects().length > 0).map((el) => el.innerText);
return {images, code, text: main.innerText};
"""


def _visit(driver, base: str, page: str, width: int) -> dict:
    """Load ``page`` as a first visit at ``width`` px; return what the tests check."""
    driver.set_window_rect(width=width, height=900)
    driver.get(f"{base}/_static/")  # same origin, so that storage can be cleared before
    driver.execute_script("localStorage.clear(); sessionStorage.clear();")
    driver.get_log("browser")  # drop messages of earlier pages
    driver.get(f"{base}/{page}.html")
    has_math = driver.execute_script(
        "return document.querySelectorAll('.math').length > 0"
    )
    if has_math:
        wait_for_mathjax(driver)
    driver.execute_script("return document.fonts ? document.fonts.ready : true")
    report = driver.execute_script(PAGE_JS)
    report["boxes"] = driver.execute_script(CUT_OFF_JS)
    report["console"] = [
        f"{e['level']}: {e['message']}"
        for e in driver.get_log("browser")
        if e["level"] == "SEVERE"
    ]
    report["viewport"] = driver.execute_script(
        "return document.documentElement.clientWidth"
    )
    return report


@pytest.fixture(scope="module")
def visit(browser, site_server):
    base, _ = site_server
    cache: dict[tuple[str, int], dict] = {}

    def get(page: str, width: int) -> dict:
        if (page, width) not in cache:
            cache[(page, width)] = _visit(browser, base, page, width)
        return cache[(page, width)]

    return get


@pytest.mark.parametrize("page", toc_files())
def test_no_console_errors(page, visit):
    errors = visit(page, WIDTHS["desktop"])["console"]
    assert not errors, f"{page}: console errors on a first visit:\n" + "\n".join(errors)


def cut_off(boxes: list[dict], width_name: str) -> list[str]:
    """The boxes a reader cannot read at this width (see CUT_OFF_JS for the states)."""
    bad = []
    for b in boxes:
        where = f"{b['kind']} in '{b['where']}': {b['what']!r}"
        if b["state"] in ("clip", "page"):
            how = (
                f"cut off by {b['by']}"
                if b["state"] == "clip"
                else "runs past the window"
            )
            bad.append(
                f"{where} -- {how}: {b['px']} px hidden (content {b['width']} px)"
            )
        elif b["state"] == "scroll":
            if width_name == "desktop" and b["kind"] in ("math", "code", "output"):
                lines = f", longest line {b['lines']} chars" if b["lines"] else ""
                bad.append(
                    f"{where} -- {b['px']} px wider than the column "
                    f"(content {b['width']} px{lines})"
                )
            elif b["lines"] is not None and b["lines"] > CODE_COLUMNS:
                bad.append(
                    f"{where} -- a line of {b['lines']} characters (> {CODE_COLUMNS}) "
                    f"scrolls {b['px']} px"
                )
    return bad


@pytest.mark.parametrize("width_name", list(WIDTHS))
@pytest.mark.parametrize("page", notebook_pages())
def test_nothing_is_cut_off(page, width_name, visit):
    """At 1366 px math, code and outputs fit the column; at 390 px what does not fit can be
    scrolled (never clipped), and a scrolled code or output line is at most 88 characters."""
    report = visit(page, WIDTHS[width_name])
    assert report["boxes"], f"{page}: found no math, code or output to check"
    bad = cut_off(report["boxes"], width_name)
    assert not bad, (
        f"{page} at {WIDTHS[width_name]} px: {len(bad)} box(es) cut off or too wide:\n  "
        + "\n  ".join(bad)
    )


_HASH_OR_FILE = re.compile(r"^([0-9a-f]{12,}|.*\.(png|svg|jpe?g|gif))$", re.IGNORECASE)


@pytest.mark.parametrize("page", notebook_pages())
def test_figures_are_numbered_captioned_and_described(page, visit):
    images = visit(page, WIDTHS["desktop"])["images"]
    bad = []
    for img in images:
        name = img["src"].rsplit("/", 1)[-1]
        alt = img["alt"].strip()
        if not img["loaded"]:
            bad.append(f"{name}: does not load")
        if not alt or _HASH_OR_FILE.match(alt) or alt == name.rsplit(".", 1)[0]:
            bad.append(f"{name}: alt text {alt!r} does not describe the figure")
        if not img["caption"]:
            bad.append(f"{name}: no caption (alt {alt[:60]!r})")
        elif not img["number"].strip():
            bad.append(
                f"{name}: caption without a figure number: {img['caption'][:60]!r}"
            )
    assert not bad, f"{page}: figures without number, caption or alt text:\n  " + (
        "\n  ".join(bad)
    )


@pytest.mark.parametrize("page", notebook_pages())
def test_colab_setup_cell_is_hidden(page, visit):
    report = visit(page, WIDTHS["desktop"])
    shown = [
        c[:80]
        for c in report["code"]
        if "Colab setup" in c or re.search(r"pip\W+install", c)
    ]
    assert not shown, f"{page}: the Colab setup cell (pip install) is shown: {shown}"


def _sidebar(driver) -> dict:
    """Where the chapter list is: the primary sidebar, or the dialog that pydata-sphinx-theme
    moves its content into on narrow screens (whichever shows more links on screen)."""
    return driver.execute_script(
        """
        const boxes = [...document.querySelectorAll(
          '#pst-primary-sidebar, #pst-primary-sidebar-modal, .bd-sidebar-primary')];
        const describe = (s) => {
          const r = s.getBoundingClientRect(), cs = getComputedStyle(s);
          const links = [...s.querySelectorAll('nav a')].filter((a) => {
            const q = a.getBoundingClientRect();
            return q.width > 0 && q.left >= 0 && q.right <= window.innerWidth + 1
              && getComputedStyle(a).visibility === 'visible';
          }).length;
          return {id: s.id, left: Math.round(r.left), width: Math.round(r.width),
                  visibility: cs.visibility, links: links};
        };
        const all = boxes.map(describe);
        all.sort((a, b) => b.links - a.links);
        return all[0];
        """
    )


def _click_visible_toggle(driver) -> None:
    toggles = [
        t
        for t in driver.find_elements("css selector", ".primary-toggle")
        if t.is_displayed()
    ]
    assert toggles, "no visible sidebar toggle button"
    toggles[0].click()


def test_sidebar_opens_on_a_phone(browser, site_server):
    """At 390 px the chapter list starts closed and a click on the toggle shows it: every
    chapter and exercise link on screen."""
    import time

    base, _ = site_server
    page = notebook_pages()[0]
    wanted = len(notebook_pages())
    _visit(browser, base, page, WIDTHS["phone"])
    before = _sidebar(browser)
    assert before["links"] == 0, (
        f"at 390 px the chapter list should start closed: {before}"
    )
    _click_visible_toggle(browser)
    time.sleep(1.0)  # the sidebar slides in
    after = _sidebar(browser)
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / "chapter01-phone-sidebar.png"))
    assert after["links"] >= wanted and after["left"] >= 0, (
        f"{page} at 390 px: the chapter list did not open after a click on the toggle "
        f"(expected at least {wanted} links on screen): before {before}, after {after}"
    )


def test_sidebar_toggle_hides_and_shows_it_on_a_desktop(browser, site_server):
    import time

    base, _ = site_server
    page = notebook_pages()[0]
    wanted = len(notebook_pages())
    _visit(browser, base, page, WIDTHS["desktop"])
    before = _sidebar(browser)
    assert before["links"] >= wanted, f"{page} at 1366 px: no chapter list: {before}"
    _click_visible_toggle(browser)
    time.sleep(1.0)
    hidden = _sidebar(browser)
    assert hidden["links"] == 0, (
        f"{page} at 1366 px: the toggle did not hide the sidebar: {before} -> {hidden}"
    )
    _click_visible_toggle(browser)
    time.sleep(1.0)
    shown = _sidebar(browser)
    assert shown["links"] >= wanted, (
        f"{page} at 1366 px: a second click did not bring the sidebar back: {shown}"
    )


# ----------------------------------------------------------------------------- static HTML


def _site_or_skip() -> None:
    if not (SITE / "index.html").exists():
        if os.environ.get("CI"):
            pytest.fail("the website is not built")
        pytest.skip("the website is not built (run `make book`)")


def test_next_follows_the_table_of_contents():
    """Each exercise set comes right after its chapter: "next" from chapter N opens exercise
    set N, whose "next" opens chapter N + 1."""
    _site_or_skip()
    files = toc_files()
    for page, following in zip(files, files[1:]):
        text = (SITE / f"{page}.html").read_text(encoding="utf-8")
        match = re.search(r'<a class="right-next"\s+href="([^"]+)"', text)
        assert match, f"{page}: no 'next' link"
        target = (Path(page).parent / match.group(1).split("#")[0]).as_posix()
        target = os.path.normpath(target).removesuffix(".html")
        assert target == following, f"{page}: 'next' goes to {target}, not {following}"
    for page in notebook_pages():
        if page.startswith("chapters/"):
            exercises = "exercises/" + page.split("/", 1)[1]
            if exercises in files:
                assert files.index(exercises) == files.index(page) + 1, (
                    f"{exercises} should follow {page} in _toc.yml"
                )


def test_bibliography_labels_read_like_the_citations():
    _site_or_skip()
    text = (SITE / "book" / "bibliography.html").read_text(encoding="utf-8")
    labels = [
        html.unescape(re.sub(r"<[^>]+>", "", m))
        for m in re.findall(r'<span class="label">(.*?)</span>\s*</span>', text, re.S)
    ]
    assert labels, "the bibliography lists no entries"
    author_year = re.compile(r"^\[[^\[\]]+(, | and | et al\., )?.*, \d{4}[a-z]?\]$")
    bad = [label for label in labels if not author_year.match(label)]
    assert not bad, f"bibliography labels that are not author-year: {bad}"
    # and the text cites the same way: an author-year citation links to one of these labels
    cited = set()
    for page in notebook_pages():
        page_text = (SITE / f"{page}.html").read_text(encoding="utf-8")
        cited |= {
            html.unescape(re.sub(r"<[^>]+>", "", m))
            for m in re.findall(
                r'<a class="reference internal" href="[^"]*bibliography\.html#[^"]*"[^>]*>'
                r"(.*?)</a>",
                page_text,
                re.S,
            )
        }
    plain = {label.strip("[]") for label in labels}
    years = {c for c in cited if re.search(r"\d{4}", c)}
    for c in years:
        # "Cho et al., 2014" or textual "Cho et al. [2014]": same author part and year
        who = re.sub(r"[\[\](),]", "", c).split()
        assert any(
            all(w in label for w in who if not w.isdigit()) for label in plain
        ), f"citation {c!r} has no matching bibliography label"
