"""Every page as a reader sees it, in Debian's Chromium: it loads cleanly and on its own (no
console error, no request to any host but the local server), its formulas are rendered, its
executed outputs are there, nothing is wider than a phone's screen unless it scrolls in a
box of its own, search finds it; and a screenshot of it at phone width (dark) lands in
``screenshots/`` for a person to look through: the first screen of each, which is cheap
(``make screenshots`` takes every combination, of whole pages, which costs about a second
a page). Both palettes, and the desktop width, are checked on two pages.

Without Chromium these tests are skipped with the command to install it, except under CI
(``CI`` set), where a missing browser is a failure.
"""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from pagecheck.browser import (
    CHROMIUM_ARGS,
    DESKTOP,
    DOWNLOADS,
    INSTALL_HINT,
    PHONE,
    PageWatch,
    SiteServer,
    chromium_path,
    content_problems,
    dom_elements,
    download_problems,
    load,
    screenshot,
    switch_palette,
    width_problems,
)
from tests.conftest import SCREENSHOTS, build_small_site
from pagecheck import export
from tests.pages import DOCS, ROOT, site_pages

PAGES = site_pages()
DERIVATIONS = set(export.pages())  # each has its download buttons


def _url_of(page) -> str:
    rel = page.relative_to(DOCS).with_suffix("")
    return "" if rel.name == "index" else f"{rel.as_posix()}/"


def _shot_name(page) -> str:
    return page.relative_to(DOCS).with_suffix("").as_posix().replace("/", "_")


@pytest.fixture(scope="session")
def browser():
    executable = chromium_path()
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is missing under CI. {INSTALL_HINT}")
        pytest.skip(f"Chromium not found. {INSTALL_HINT}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="session")
def server(built_site):
    with SiteServer(built_site.site) as running:
        yield running


@pytest.fixture(scope="session")
def screenshots_dir():
    SCREENSHOTS.mkdir(exist_ok=True)  # the terminal summary lists the ones this run wrote
    return SCREENSHOTS


# The page tests look at each page, not at the site search: there the search's background
# thread (a Web Worker that builds an index of the whole site on every page) is left out. It
# would cost as much as the page itself; the search is tested below, with its worker.
NO_SEARCH_WORKER = """
window.Worker = class {
  constructor() {}
  postMessage() {}
  addEventListener() {}
  removeEventListener() {}
  terminate() {}
};
"""


@pytest.fixture(scope="session")
def reader_tab(browser):
    """One tab for the page tests, opening page after page as a reader's would, with the
    browser's cache: a phone, whose system asks for the dark palette (Material follows it),
    and reduced motion, so that the checks and screenshots see the page's final colours."""
    context = browser.new_context(viewport=PHONE, color_scheme="dark", reduced_motion="reduce")
    context.add_init_script(NO_SEARCH_WORKER)
    tab = context.new_page()
    yield tab
    context.close()


def _open(browser, server, viewport, scheme="light", search=False):
    """A fresh tab in a context of its own; without the site search's background worker
    (as in reader_tab) unless the test is about the search."""
    context = browser.new_context(viewport=viewport, color_scheme=scheme)
    if not search:
        context.add_init_script(NO_SEARCH_WORKER)
    watch = PageWatch(context, server.host)
    page = context.new_page()
    watch.attach(page)
    return context, page, watch


@pytest.mark.parametrize("doc", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_page_reads_well_on_a_phone_in_the_dark_palette(doc, server, reader_tab, screenshots_dir):
    """Each page once, in the combination most likely to break: the narrowest width, where
    anything too wide shows, in the palette a page is least often written in. The page's
    HTML is the same at every width and in both palettes, so its formulas, outputs and
    download buttons are checked here once; the palettes themselves, and the desktop
    width, are checked on the pages below (``test_the_palette_toggle_...``)."""
    name, page = _shot_name(doc), reader_tab
    watch = PageWatch(page.context, server.host).attach(page)
    try:
        load(page, server.base + _url_of(doc))
        scheme = page.evaluate("document.body.dataset.mdColorScheme")
        problems = content_problems(page) + width_problems(page)
        problems += download_problems(page) if doc in DERIVATIONS else []
        (screenshots_dir / f"{name}.dom-elements").write_text(str(dom_elements(page)))
        screenshot(page, screenshots_dir / f"{name}-phone-dark.jpg")
    finally:
        watch.detach(page)
        page.goto("about:blank")  # the next page is not laid out over this one
    problems += watch.problems()
    assert scheme == "slate", f"{doc.relative_to(ROOT)} opened in the {scheme} palette on a dark system"
    assert problems == [], f"{doc.relative_to(ROOT)} in the browser, phone width, dark:\n" + "\n".join(problems)


# The palettes and the desktop width: the home page and a notebook page (a template of its
# own). The toggle is the theme's, the same on every page.
TOGGLED = [DOCS / "index.md", DOCS / "mlp" / "exercises" / "batchnorm.ipynb"]


@pytest.mark.parametrize("doc", TOGGLED, ids=lambda p: str(p.relative_to(DOCS)))
def test_the_palette_toggle_switches_and_the_page_reads_well_at_desktop_width(doc, browser, server, screenshots_dir):
    context, page, watch = _open(browser, server, DESKTOP)
    try:
        load(page, server.base + _url_of(doc))
        problems = [f"desktop, light: {p}" for p in content_problems(page)]
        problems += [f"desktop, light: {p}" for p in download_problems(page)] if doc in DERIVATIONS else []
        light, light_background = page.evaluate(_SCHEME)
        screenshot(page, screenshots_dir / f"{_shot_name(doc)}-desktop-light.jpg")
        assert switch_palette(page), "no palette toggle in the header"
        page.wait_for_function(f"document.body.dataset.mdColorScheme !== {light!r}")
        dark, dark_background = page.evaluate(_SCHEME)
        problems += [f"desktop, dark: {p}" for p in content_problems(page)]
    finally:
        context.close()
    problems += watch.problems()
    assert (light, dark) == ("default", "slate") and dark_background != light_background
    assert problems == [], f"{doc.relative_to(ROOT)} in the browser:\n" + "\n".join(problems)


_SCHEME = "[document.body.dataset.mdColorScheme, getComputedStyle(document.body).backgroundColor]"


SEARCHES = [("retain_grad", "one-weight/"), ("transpose", "batch/"), ("zero_", "gradient-descent/")]


def test_search_finds_a_page_by_a_word_on_it(browser, server):
    """The site search, with its real index, finds each page by a word on it."""
    context, tab, watch = _open(browser, server, DESKTOP, search=True)
    found = {}
    try:
        load(tab, server.base)
        box = tab.locator("input.md-search__input")
        for word, page in SEARCHES:
            box.click()
            box.fill("")
            tab.keyboard.type(word, delay=10)  # Material searches on key events, as a reader types
            try:
                tab.wait_for_selector(f".md-search-result__item a[href*='{page}']", timeout=10000)
            finally:
                found[word] = tab.eval_on_selector_all(".md-search-result__item a", "els => els.map(e => e.href)")
    finally:
        context.close()
    for word, page in SEARCHES:
        assert any(page in href for href in found[word]), (word, found[word])
    assert watch.problems() == []


@pytest.mark.parametrize("url", ["rules/sums-and-means/"])  # the longest page
def test_a_link_to_a_section_lands_on_it(url, browser, server):
    """Blocks out of view are laid out only when they come near (site.css): a link to any
    section of a long page (but the last few, which the page's end keeps lower) must still
    bring its heading to the top of the screen, opened as a new page or clicked in the
    table of contents."""
    context, page, watch = _open(browser, server, DESKTOP)
    missed = []
    try:
        load(page, server.base + url)
        header = page.evaluate("document.querySelector('.md-header').getBoundingClientRect().height")
        sections = page.evaluate("[...document.querySelectorAll('.md-content h2[id]')].slice(1, -2).map((h) => h.id)")
        sections = [sections[len(sections) // 3], sections[-1]]  # one a third down, one far down
        top = "document.getElementById({!r}).getBoundingClientRect().top"
        landed = "([id, low, high]) => { const top = document.getElementById(id).getBoundingClientRect().top; return low <= top && top <= high; }"
        # for the next twelve frames (the page stops settling after five still ones)
        stays = f"async (arg) => {{ for (let i = 0; i < 12; i++) {{ await new Promise(requestAnimationFrame); if (!({landed})(arg)) return false; }} return true; }}"

        def lands(section: str, how: str) -> None:
            try:  # within the two seconds the page gives itself to settle the blocks around it,
                page.wait_for_function(landed, arg=[section, header, header + 30], timeout=3000)
                assert page.evaluate(stays, [section, header, header + 30])  # and there it stays
            except (PlaywrightTimeout, AssertionError):
                missed.append(f"{how} #{section}: its top at {page.evaluate(top.format(section)):.0f}px")

        for section in sections:
            load(page, server.base + url + "#" + section)
            lands(section, "opened")
        for section in reversed(sections):
            page.locator(f".md-sidebar--secondary a[href='#{section}']").click()
            lands(section, "clicked")
    finally:
        context.close()
    assert len(set(sections)) == 2 and missed == [], missed
    assert watch.problems() == []


def test_the_404_page_is_styled_and_clean(browser, server):
    context, page, watch = _open(browser, server, DESKTOP)
    try:
        load(page, server.base + "404.html")
        assert page.locator(".md-header").count() == 1
        assert "404" in page.inner_text(".md-content")
    finally:
        context.close()
    assert watch.problems() == []


BROKEN = {
    "formula": (
        r"""
        # Broken formula

        The math $\frac{1}{$ does not close.
        """,
        "formula not rendered",
    ),
    "formula-outside-math-mode": (
        r"""
        # Forgotten dollars

        The gradient is \frac{\partial L}{\partial w}, typed without its dollars.
        """,
        "raw TeX",
    ),
    "outside-script": (
        """
        # Outside script

        <script src="https://cdn.example.invalid/lib.js"></script>

        Text.
        """,
        "request to another host: https://cdn.example.invalid/lib.js",
    ),
}


# Too wide for a phone: each page is shown at 390px, and width_problems must name what
# sticks out, clipped from view or not. The first two break the rule; the third has the same long line, a wide Markdown
# table and a wide formula under the site's own stylesheet, where each scrolls in its box.
LONG_LINE = "print('|'.join(['gradient column'] * 8))"
TOO_WIDE = {
    "wide-output": (
        f"""
        # A long output line

        <style>.md-typeset .pagecheck-output pre > code {{ overflow: visible; }}</style>

        ```python exec="on"
        {LONG_LINE}
        ```
        """,
        [
            ('<code> "gradient column|gradient column|gradient column|gradient col" (output of the fence at ',
             "wide-output.md:5) reaches"),
            # No "the page scrolls sideways": the fence is a block the browser may skip while
            # it is out of view (site.css), and such a block clips what sticks out of it.
        ],
    ),
    "wide-table": (
        """
        # A wide table outside a scroll box

        <table class="not-wrapped-by-material"><tr>
        <td>hand_written_gradient_of_counts_sum_inv</td><td>autograd_gradient_of_counts_sum_inv</td>
        </tr></table>
        """,
        [
            ('<table class="not-wrapped-by-material"> "hand_written_gradient_of_counts_sum_invautograd_gradient_of_" reaches',),
            ("the page scrolls sideways",),
        ],
    ),
    "wide-but-scrolling": (
        f"""
        # All of it wide, all of it in its own scroll box

        | hand_written_gradient_of_counts_sum_inv | autograd_gradient_of_counts_sum_inv |
        | --- | --- |
        | hand_written_gradient_of_counts_sum_inv | autograd_gradient_of_counts_sum_inv |

        $$
        \\frac{{\\partial L}}{{\\partial w}} = \\sum_i \\bar p_i x_i + \\sum_j \\bar q_j y_j + \\sum_k \\bar r_k z_k + \\sum_i \\bar p_i x_i + \\sum_j \\bar q_j y_j
        $$

        ```python exec="on"
        {LONG_LINE}
        ```
        """,
        [],
    ),
}


@pytest.fixture(scope="module")
def broken_site(tmp_path_factory):
    """One (non-strict) build of a site whose every page has one of the defects above."""
    root = tmp_path_factory.mktemp("broken-site")
    pages = {name: body for name, (body, _) in {**BROKEN, **TOO_WIDE}.items()}
    result = build_small_site(root, pages, strict=False)
    with SiteServer(root / "site") as local:
        yield local, result.stderr


@pytest.fixture(scope="module")
def broken_tab(browser, broken_site):
    """One tab for the broken pages, each opened as the reader's tab opens the site's."""
    context = browser.new_context(viewport=DESKTOP, color_scheme="light", reduced_motion="reduce")
    context.add_init_script(NO_SEARCH_WORKER)
    tab = context.new_page()
    yield tab
    context.close()


def _open_broken(tab, local, case: str, viewport) -> PageWatch:
    tab.set_viewport_size(viewport)
    watch = PageWatch(tab.context, local.host).attach(tab)
    load(tab, local.base + f"{case}/")
    return watch


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_the_browser_checks_catch_a_broken_formula_and_an_outside_script(case, broken_tab, broken_site):
    """The checks above are not vacuous: a page with any of these defects fails them."""
    local, log = broken_site
    _, expected = BROKEN[case]
    if case == "formula":  # the build itself already names the page and line
        assert "formula.md:3: KaTeX cannot render this formula" in log, log
    page = broken_tab
    watch = _open_broken(page, local, case, DESKTOP)
    try:
        problems = content_problems(page) + watch.problems()
        no_buttons = download_problems(page)  # this small site offers no downloads
    finally:
        watch.detach(page)
        page.goto("about:blank")
    assert any(expected in p for p in problems), problems
    assert no_buttons == [f"download buttons: [], expected {list(DOWNLOADS)}"]


@pytest.mark.parametrize("case", TOO_WIDE, ids=list(TOO_WIDE))
def test_the_width_check_names_what_is_too_wide_for_a_phone(case, broken_tab, broken_site):
    """A long output line in a block made not to scroll, and a wide table outside any scroll
    box, are named with their text; the same things in the site's own scroll boxes are not."""
    local, _ = broken_site
    _, expected = TOO_WIDE[case]
    page = broken_tab
    watch = _open_broken(page, local, case, PHONE)
    try:
        problems = width_problems(page)
        widths = page.evaluate(
            "[...document.querySelectorAll('.md-content table, .md-content .katex-display, .pagecheck-output code')]"
            ".map((el) => el.scrollWidth)"
        )
    finally:
        watch.detach(page)
        page.goto("about:blank")
    for fragments in expected:  # each expected problem is one line holding all its fragments
        assert any(all(f in p for f in fragments) for p in problems), (fragments, problems)
    assert len(problems) == len(expected), problems
    assert widths and min(widths) > PHONE["width"], widths  # each page really has something too wide
