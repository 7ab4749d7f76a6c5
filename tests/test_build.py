"""The site builds strictly, twice to the same bytes, and a broken page breaks the build
with its page and line in the message."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import build_small_site, mkdocs_build
from tests.pages import DOCS, ROOT, nav_pages


def page_html(site: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(site)): p.read_bytes()
        for p in site.rglob("*.html")
    }


def test_the_build_is_strict_and_silent(built_site):
    assert not re.search(r"^(WARNING|ERROR)", built_site.log, re.M), built_site.log
    assert "Material for MkDocs reaches end of life" not in built_site.log


# The execution-times page reports how long this build took: it differs by design.
TIMED = "about/execution-times/index.html"


def test_two_clean_builds_write_the_same_pages(built_site, tmp_path):
    """A second build that runs everything again (its own, empty cache) writes the same
    pages as the first (which, outside CI, may have come from the cache: then this also
    shows that the cache serves what a cold run writes)."""
    second = mkdocs_build(ROOT / "mkdocs.yml", tmp_path / "second", cache_dir=tmp_path / "cache")
    assert second.returncode == 0, second.stderr
    a, b = page_html(built_site.site), page_html(tmp_path / "second")
    assert a.keys() == b.keys()
    assert [name for name in a if a[name] != b[name] and name != TIMED] == []


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
