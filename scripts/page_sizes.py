"""How long and how heavy each page of a built site is, as a reader's browser lays it out.

    python scripts/page_sizes.py [SITE_DIR] [PAGE ...]

PAGE is a URL path such as ``mlp/every-intermediate/``; without one, every page. For each
page it prints the rendered height in CSS pixels at 1280 px wide (folded blocks closed, as
a reader first sees them), the height at phone width (390 px), and the number of DOM
elements. Heights are what "this page is too long" is measured with; the figures depend on
the fonts of the machine that renders them, so compare before and after on one machine.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pagecheck import browser  # noqa: E402


def measure(site: Path, pages: list[str]) -> dict[str, tuple[int, int, int]]:
    """{page: (desktop height, phone height, DOM elements)}."""
    chrome = browser.chromium_path()
    if chrome is None:
        raise SystemExit(browser.INSTALL_HINT)
    sizes: dict[str, list[int]] = {rel: [0, 0, 0] for rel in pages}
    with browser.SiteServer(site) as server, sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chrome, args=browser.CHROMIUM_ARGS)
        for column, viewport in ((0, browser.DESKTOP), (1, browser.PHONE)):
            context = chromium.new_context(viewport=viewport, color_scheme="light")
            page = context.new_page()
            for rel in pages:
                browser.load(page, server.base + rel)
                sizes[rel][column] = page.evaluate("document.documentElement.scrollHeight")
                sizes[rel][2] = browser.dom_elements(page)  # the same count scripts/screenshots.py prints
            context.close()
        chromium.close()
    return {rel: tuple(v) for rel, v in sizes.items()}


def main() -> None:
    site = Path(sys.argv[1] if len(sys.argv) > 1 else "site")
    pages = sys.argv[2:] or browser.site_pages(site)
    sizes = measure(site, pages)
    width = max(len(p or "/") for p in pages)
    print(f"{'page':{width}}  {'desktop px':>10}  {'phone px':>9}  {'DOM elements':>12}")
    for rel, (desktop, phone, elements) in sizes.items():
        print(f"{rel or '/':{width}}  {desktop:>10,}  {phone:>9,}  {elements:>12,}")


if __name__ == "__main__":
    main()
