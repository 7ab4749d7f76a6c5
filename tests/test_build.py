"""The site builds strictly, every page's code prints and draws the same in the build and in
the page tests, and a broken page breaks the build with its page and line in the message."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pagecheck import cache, pytest_plugin
from pagecheck.page import read_page
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


CODE_PAGES = [p for p in nav_pages() if read_page(p).code_fences]


@pytest.mark.parametrize("path", CODE_PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_page_runs_to_what_the_build_showed(path, built_site):
    """Reproducible outputs without a second build: the build kept each fence's output in
    its execution cache (the cold build of CI ran every page), and the page tests ran the
    page again in this test run; both must have printed and drawn the same thing."""
    rel = str(path.relative_to(ROOT))
    page = read_page(path)
    entry = cache.load(cache.page_key(rel, [fence.code for fence in page.code_fences]))
    assert entry is not None, f"{rel}: the build kept no record of its run (is PAGECHECK_CACHE off?)"
    ran = _page_outputs(path)
    assert len(entry.outputs) == len(ran) == len(page.code_fences)
    for fence, built, now in zip(page.code_fences, entry.outputs, ran):
        for part in ("text", "html", "figures"):
            assert built[part] == now[part], (
                f"{rel}:{fence.start_line}: the fence's {part} differs between the build and this run"
            )


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
}


@pytest.fixture(scope="module")
def broken_build(tmp_path_factory):
    """One strict build of a site whose every page is broken in its own way."""
    root = tmp_path_factory.mktemp("broken")
    return build_small_site(root, {name: body for name, (body, _, _) in BROKEN.items()})


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_a_broken_page_fails_the_strict_build_naming_page_and_line(case, broken_build):
    _, line, message = BROKEN[case]
    assert broken_build.returncode != 0
    assert f"{case}.md:{line}: {message}" in broken_build.stderr, broken_build.stderr
