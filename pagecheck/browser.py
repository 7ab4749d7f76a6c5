"""What a reader's browser sees: serve a built site on localhost and check a page in Chromium.

Used by the browser tests (``tests/test_browser.py``) and by ``scripts/screenshots.py``.
Chromium is Debian's (``/usr/bin/chromium``), driven by Playwright's Python package.
"""

from __future__ import annotations

import functools
import gzip
import http.server
import os
import shutil
import threading
import weakref
from pathlib import Path
from urllib.parse import urlparse

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Nothing leaves the machine: every host name but the local one fails to resolve, and a
    # request to any other address goes to a proxy where nothing listens. (PageWatch
    # reports such requests; intercepting every request in Python instead cost about a
    # second a page.)
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=127.0.0.1",
]
INSTALL_HINT = (
    "Debian's Chromium is needed for the browser checks: "
    "`sudo apt-get update && sudo apt-get install chromium chromium-driver` "
    "(or set CHROMIUM to a Chromium binary)"
)
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def site_pages(site: Path) -> list[str]:
    """The URL path of every page of a built site ('' for the home page, 'knobs/', ...)."""
    return sorted(
        "" if p.parent == site else str(p.parent.relative_to(site)) + "/"
        for p in site.rglob("index.html")
        if "assets" not in p.relative_to(site).parts and p.parent.name != "404"
    )


def chromium_path() -> str | None:
    if Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    return shutil.which("chromium")


_COMPRESSIBLE = {".html", ".css", ".js", ".svg", ".json", ".xml", ".txt", ".map"}


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static files as GitHub Pages serves them: text compressed with gzip when asked, and
    every file cacheable for ten minutes (so a second page takes the stylesheets, scripts
    and fonts from the browser's cache, as a reader's does)."""

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "max-age=600")
        super().end_headers()

    _gzipped: dict[tuple, bytes] = {}

    def log_message(self, *args) -> None:  # noqa: D102
        pass

    def do_GET(self) -> None:  # noqa: N802
        url_path = self.path.split("?", 1)[0].split("#", 1)[0]
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            if not url_path.endswith("/"):
                return super().do_GET()  # the base class redirects /page to /page/
            path = path / "index.html"
        if path.suffix in _COMPRESSIBLE and path.is_file() and "gzip" in self.headers.get("Accept-Encoding", ""):
            stat = path.stat()
            key = (str(path), stat.st_mtime_ns, stat.st_size)
            body = self._gzipped.get(key)
            if body is None:
                body = self._gzipped[key] = gzip.compress(path.read_bytes(), mtime=0)
            self.send_response(200)
            self.send_header("Content-Type", self.guess_type(str(path)))
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the browser moved on to the next page before this file arrived
            return None
        return super().do_GET()


class SiteServer:
    """A built site served on 127.0.0.1 on a free port, in a background thread."""

    def __init__(self, site: Path) -> None:
        handler = functools.partial(_Handler, directory=str(site))
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.host = f"127.0.0.1:{self._server.server_address[1]}"
        self.base = f"http://{self.host}/"
        # polled every 50 ms for shutdown (the default half second is a test's wait at its end)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "SiteServer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class PageWatch:
    """Record what a page does that a reader would not want: console errors, failed or
    outside requests. Outside requests never leave the machine (CHROMIUM_ARGS)."""

    def __init__(self, context, local_host: str) -> None:
        self.local_host = local_host
        self.console_errors: list[str] = []
        self.outside_requests: list[str] = []
        self.failed_requests: list[str] = []

    def _request(self, request) -> None:
        parsed = urlparse(request.url)
        if parsed.scheme not in {"data", "blob", "about"} and parsed.netloc != self.local_host:
            self.outside_requests.append(request.url)

    def attach(self, page) -> "PageWatch":
        self._handlers = {
            "request": self._request,
            "console": lambda msg: msg.type == "error" and self.console_errors.append(msg.text),
            "pageerror": lambda error: self.console_errors.append(str(error)),
            "response": lambda response: response.status >= 400
            and urlparse(response.url).netloc == self.local_host
            and self.failed_requests.append(f"{response.status} {response.url}"),
        }
        for event, handler in self._handlers.items():
            page.on(event, handler)
        return self

    def detach(self, page) -> None:
        """Stop watching (the tab goes on to another test with a watch of its own)."""
        for event, handler in self._handlers.items():
            page.remove_listener(event, handler)

    def problems(self) -> list[str]:
        blocked = ("ERR_NAME_NOT_RESOLVED", "ERR_PROXY_CONNECTION_FAILED")
        console = [m for m in self.console_errors if not (self.outside_requests and any(b in m for b in blocked))]
        return (
            [f"console error: {m}" for m in console]
            + [f"request to another host: {u}" for u in self.outside_requests]
            + [f"failed request: {u}" for u in self.failed_requests]
        )


# Runs in the page: formulas that KaTeX did not render, or TeX left in the text.
_MATH_PROBLEMS_JS = r"""
() => {
  const problems = [];
  document.querySelectorAll('.arithmatex').forEach((el) => {
    if (!el.querySelector('.katex')) problems.push('formula not rendered: ' + el.textContent.slice(0, 80));
  });
  document.querySelectorAll('.katex-error').forEach((el) => {
    problems.push('KaTeX error: ' + (el.getAttribute('title') || el.textContent).slice(0, 120));
  });
  const walker = document.createTreeWalker(document.querySelector('.md-content') || document.body, NodeFilter.SHOW_TEXT);
  const raw = /\$\$|\\\(|\\\)|\\\[|\\\]|\\frac|\\cdot|\{\{|\{,\}/;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (parent.closest('pre, code, script, style, .katex, annotation')) continue;
    if (raw.test(node.textContent)) problems.push('raw TeX or claim markup in text: ' + node.textContent.trim().slice(0, 80));
  }
  return problems;
}
"""

# Runs in the page: every executed fence shows as many non-empty outputs as the build made.
_OUTPUT_PROBLEMS_JS = r"""
() => {
  const problems = [];
  document.querySelectorAll('.pagecheck-fence').forEach((fence) => {
    const where = fence.dataset.source || '?';
    const expected = parseInt(fence.dataset.outputs || '0', 10);
    const outputs = fence.querySelectorAll('.pagecheck-output, .pagecheck-display, .pagecheck-figure');
    if (outputs.length !== expected) problems.push(`${where}: ${outputs.length} output block(s) shown, ${expected} produced`);
    outputs.forEach((out) => {
      const svg = out.querySelector('svg');
      const empty = svg ? svg.querySelectorAll('path, text, rect').length === 0 : out.textContent.trim() === '';
      const folded = out.closest('details:not([open])');  // a folded solution is there, unseen
      const box = out.getBoundingClientRect();
      if (empty) problems.push(`${where}: an output block is empty`);
      else if (!folded && (box.width < 50 || box.height < 10)) problems.push(`${where}: an output block is not visible (${box.width}x${box.height})`);
    });
    if (fence.querySelector('.admonition.failure')) problems.push(`${where}: the fence failed at build time`);
  });
  return problems;
}
"""


# Runs in the page: nothing in the content is wider than the viewport unless it is inside a
# scroll container of its own (overflow-x auto or scroll: a table wrapper, a code block, a
# formula, a graph), and the page itself does not scroll sideways. What an ancestor clips
# (overflow hidden: KaTeX's hidden MathML, an SVG's plot area) counts only as far as it shows.
# Text that runs out of a block that neither scrolls nor clips counts too; it is reported as
# that block, once.
_WIDTH_PROBLEMS_JS = r"""
() => {
  const problems = [];
  const viewport = document.documentElement.clientWidth;
  const pageWidth = document.documentElement.scrollWidth;
  if (pageWidth > viewport + 1) problems.push(`the page scrolls sideways: it is ${pageWidth}px wide in a ${viewport}px viewport`);
  const content = document.querySelector('.md-content');
  if (!content) return problems;
  const describe = (el) => {
    const cls = (el.getAttribute('class') || '').trim();
    const text = (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 60);
    const fence = el.closest('.pagecheck-fence');
    const output = el.closest('.pagecheck-output, .pagecheck-display, .pagecheck-figure');
    const where = fence ? ` (${output ? 'output' : 'code'} of the fence at ${fence.dataset.source})` : '';
    return `<${el.tagName.toLowerCase()}${cls ? ` class="${cls}"` : ''}> "${text}"${where}`;
  };
  const textRight = (el) => {  // where the element's own text ends, which may be outside its box
    let right = -Infinity;
    for (const node of el.childNodes) {
      if (node.nodeType !== Node.TEXT_NODE || !node.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      right = Math.max(right, range.getBoundingClientRect().right);
    }
    return right;
  };
  const reported = new Set();
  // For each element, the horizontal span its ancestors leave visible to it: [left, right],
  // narrowed by every ancestor that clips; null inside a scroll container or a reported element.
  const room = new Map([[content.parentElement, [-Infinity, Infinity]]]);
  for (const el of [content, ...content.querySelectorAll('*')]) {
    const outer = room.get(el.parentElement);
    if (!outer) { room.set(el, null); continue; }
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    let right = box.right;
    if (style.overflowX === 'visible' && el.scrollWidth > el.clientWidth + 1) right = Math.max(right, textRight(el));
    const left = Math.max(box.left, outer[0]);
    right = Math.min(right, outer[1]);
    if ((box.width > 0 || box.height > 0) && (left < -1 || right > viewport + 1)) {
      let culprit = el;  // a line of text is reported as the block it runs out of, not word by word
      while (culprit !== content && getComputedStyle(culprit).display === 'inline') culprit = culprit.parentElement;
      if (!reported.has(culprit)) {
        reported.add(culprit);
        const span = left < -1 ? `starts at ${Math.round(left)}px` : `reaches ${Math.round(right)}px`;
        problems.push(`${describe(culprit)} ${span}, outside the ${viewport}px viewport and not inside a scroll container`);
      }
      room.set(el, null);
    } else if (style.overflowX === 'auto' || style.overflowX === 'scroll') room.set(el, null);
    else if (el.classList.contains('katex')) room.set(el, null);  // a formula's box holds its glyphs'
    else if (style.overflowX === 'hidden' || style.overflowX === 'clip') room.set(el, [Math.max(outer[0], box.left), Math.min(outer[1], box.right)]);
    else room.set(el, outer);
  }
  return problems;
}
"""


def width_problems(page) -> list[str]:
    """What is wider than the viewport outside a scroll container, and whether the page
    scrolls sideways (call after the page has loaded, at the width to check)."""
    return page.evaluate(_WIDTH_PROBLEMS_JS)


_DOWNLOAD_BUTTONS_JS = r"""
() => {
  const rgb = (text) => (text.match(/[\d.]+/g) || []).map(Number);
  const luminance = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {  // the first ancestor that paints one
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  return [...document.querySelectorAll('.notebook-actions--page a.md-button')].map((a) => {
    const box = a.getBoundingClientRect();
    const style = getComputedStyle(a);
    const [hi, lo] = [luminance(rgb(style.color)), luminance(background(a))].sort((x, y) => y - x);
    return {text: a.textContent.trim(), href: a.getAttribute('href'), left: box.left, right: box.right,
            width: box.width, height: box.height, visibility: style.visibility,
            contrast: (hi + 0.05) / (lo + 0.05)};
  });
}
"""

DOWNLOADS = ("Download notebook", "Download Python", "Open in Colab")


def download_problems(page) -> list[str]:
    """The three download buttons of a derivation page, each shown in full on the screen."""
    buttons = page.evaluate(_DOWNLOAD_BUTTONS_JS)
    problems = []
    if [b["text"] for b in buttons] != list(DOWNLOADS):
        problems.append(f"download buttons: {[b['text'] for b in buttons]}, expected {list(DOWNLOADS)}")
    viewport = page.evaluate("document.documentElement.clientWidth")
    for b in buttons:
        if b["visibility"] != "visible" or b["width"] < 40 or b["height"] < 20:
            problems.append(f"the {b['text']!r} button is not visible ({b['width']:.0f}x{b['height']:.0f}px)")
        elif b["left"] < 0 or b["right"] > viewport:
            problems.append(f"the {b['text']!r} button runs off the {viewport}px screen ({b['left']:.0f} to {b['right']:.0f}px)")
        elif b["contrast"] < 4.5:  # WCAG AA for text of this size
            problems.append(f"the {b['text']!r} button's text has a contrast of {b['contrast']:.2f}:1, under 4.5:1")
    return problems


def dom_elements(page) -> int:
    """How many elements the page's DOM holds."""
    return page.evaluate("document.getElementsByTagName('*').length")


def content_problems(page) -> list[str]:
    """Math and outputs of the page as displayed (call after the page has loaded)."""
    return page.evaluate(f"() => [...({_MATH_PROBLEMS_JS})(), ...({_OUTPUT_PROBLEMS_JS})()]")


_PALETTE_TOGGLE_JS = r"""
() => {
  const toggle = [...document.querySelectorAll("label.md-header__button[for^='__palette']")]
    .find((label) => label.offsetParent !== null);  // the one shown: it names the other palette
  if (!toggle) return false;
  toggle.click();
  return true;
}
"""


def switch_palette(page) -> bool:
    """Click the header's palette toggle as a reader would (Material's own handler switches
    the scheme); False if the page shows none. A click in the page itself: Playwright's
    click first waits for the toggle to stand still for two frames, which cost a tenth of a
    second a page."""
    return page.evaluate(_PALETTE_TOGGLE_JS)


def screenshot(page, path: Path, quality: int = 90) -> None:
    """The screen as it is now, as a JPEG: straight from Chromium (DevTools' own capture,
    told to favour speed), which takes half the time of Playwright's screenshot (that one
    also waits for fonts, done in ``load``, and hides the caret)."""
    import base64

    session = _SESSIONS.get(page)
    if session is None:
        session = _SESSIONS[page] = page.context.new_cdp_session(page)
    shot = session.send("Page.captureScreenshot", {"format": "jpeg", "quality": quality, "optimizeForSpeed": True})
    Path(path).write_bytes(base64.b64decode(shot["data"]))


_SESSIONS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def load(page, url: str) -> None:
    """Open url and wait until it has loaded with its fonts. (The math is HTML from the
    build: nothing renders it afterwards.)"""
    page.goto(url, wait_until="load")
    page.evaluate("document.fonts.ready")
