"""Serve a built site on localhost and screenshot pages in headless Chromium (light and dark,
desktop and phone).

    python scripts/screenshots.py [SITE_DIR] [OUT_DIR] [PAGE ...]     (make screenshots)

PAGE is a URL path such as ``knobs/``; without one, every page. Prints each PNG's path and,
beside it, how many elements the page's DOM holds.
The test run takes the same screenshots of every page (see tests/test_browser.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pagecheck.browser import (  # noqa: E402
    CHROMIUM_ARGS,
    DESKTOP,
    INSTALL_HINT,
    PHONE,
    SiteServer,
    chromium_path,
    dom_elements,
    load,
    site_pages,
)


def main() -> None:
    site = Path(sys.argv[1] if len(sys.argv) > 1 else "site")
    out = Path(sys.argv[2] if len(sys.argv) > 2 else "screenshots")
    pages = sys.argv[3:] or site_pages(site)
    chrome = chromium_path()
    if chrome is None:
        raise SystemExit(INSTALL_HINT)
    out.mkdir(parents=True, exist_ok=True)
    with SiteServer(site) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chrome, args=CHROMIUM_ARGS)
        for scheme in ("light", "dark"):
            for viewport, label in ((DESKTOP, "desktop"), (PHONE, "phone")):
                context = browser.new_context(viewport=viewport, color_scheme=scheme)
                page = context.new_page()
                for rel in pages:
                    load(page, server.base + rel)
                    name = (rel.strip("/").replace("/", "_") or "index") + f"-{label}-{scheme}.png"
                    page.screenshot(path=str(out / name), full_page=True)
                    print(f"{out / name}\t{dom_elements(page)}")
                context.close()
        browser.close()


if __name__ == "__main__":
    main()
