"""The site builds strictly, it shows every page's outputs as the page tests ran them, and a
broken page breaks the build with its page and line in the message."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from pagecheck import pytest_plugin
from pagecheck.page import read_page_cached
from tests.conftest import build_small_site
from tests.pages import DOCS, ROOT, nav_pages


def test_the_build_is_strict_and_silent(built_site):
    assert not re.search(r"^(WARNING|ERROR)", built_site.log, re.M), built_site.log
    assert "Material for MkDocs reaches end of life" not in built_site.log


def _page_outputs(path: Path) -> list[dict]:
    """Each fence's output in this test run (``pytest_plugin.record_of``)."""
    record = pytest_plugin.record_of(path)
    assert record["failed"] is None, record["failed"]
    return record["outputs"]


CODE_PAGES = [p for p in nav_pages() if re.search(r"^\s*```python exec=", p.read_text("utf-8"), re.M)]


@pytest.mark.parametrize("path", CODE_PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_site_shows_what_the_page_printed_and_drew(path, built_site):
    """The built page shows, under each fence and in order, what the fence printed, displayed
    and drew when this test run ran the page (the build took it from the execution cache, or
    ran the page itself: either way, these outputs)."""
    rel = path.relative_to(DOCS).with_suffix("")
    built = (built_site.site / ("index.html" if rel.name == "index" else rel / "index.html")).read_text("utf-8")
    position = 0
    for fence, ran in zip(read_page_cached(path).code_fences, _page_outputs(path)):
        text = [f"<code>{html.escape(ran['text'].rstrip())}</code>"] if ran["text"] else []
        for part in text + ran["html"] + ran["figures"]:
            found = built.find(part, position)
            assert found >= 0, f"{path.relative_to(ROOT)}:{fence.start_line}: the site does not show this output:\n{part[:300]}"
            position = found + len(part)


def test_every_page_is_rendered_with_its_outputs_and_no_markup_left(built_site):
    first = built_site.site
    for page in nav_pages():
        rel = page.relative_to(DOCS).with_suffix("")
        html_path = first / ("index.html" if rel.name == "index" else rel / "index.html")
        html = html_path.read_text(encoding="utf-8")
        prose = re.sub(r"<code>.*?</code>", "", html, flags=re.S)  # a page may show the syntax
        assert "{{" not in prose and "PAGECHECKGLUE" not in html, html_path
        assert "This code fence failed" not in html and "Not run:" not in html, html_path
        fences = sum(1 for line in page.read_text().split("\n") if line.startswith("```python exec="))
        assert html.count('class="language-python highlight"') >= fences, html_path
        assert '<meta name="description"' in html, html_path


BROKEN = {
    "failing-fence": (
        """
        # Broken

        ```python exec="on"
        w = 5
        grad = w / 0
        ```
        """,
        5,
        "code fence raised ZeroDivisionError",
    ),
    "wrong-number": (  # with front matter, which MkDocs strips: lines are still the file's
        """
        ---
        description: A page whose only number is wrong, below its front matter.
        ---

        # Broken

        ```python exec="on"
        w = 5
        ```

        The weight is {{ w == 6 }}.
        """,
        11,
        "claim {{ w == 6 }} does not hold",
    ),
    "unchecked-number": (
        """
        # Broken

        The weight is 5.
        """,
        3,
        "unchecked number '5'",
    ),
    "stale-notebook": (  # its download (below) was made from another text
        """
        # Edited since its notebook was made

        ```python exec="on"
        w = 5
        ```
        """,
        1,
        "its notebook docs/notebooks/stale-notebook.ipynb is missing or out of date: run `make notebooks`",
    ),
}
STALE_NOTEBOOK = {"notebooks/stale-notebook.ipynb": '{"cells": [], "metadata": {"backprop_by_hand": {"made_from": "0"}}}'}


@pytest.fixture(scope="module")
def broken_build(tmp_path_factory):
    """One strict build of a site whose every page is broken in its own way."""
    root = tmp_path_factory.mktemp("broken")
    return build_small_site(root, {name: body for name, (body, _, _) in BROKEN.items()}, files=STALE_NOTEBOOK)


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_a_broken_page_fails_the_strict_build_naming_page_and_line(case, broken_build):
    _, line, message = BROKEN[case]
    assert broken_build.returncode != 0
    assert f"{case}.md:{line}: {message}" in broken_build.stderr, broken_build.stderr
