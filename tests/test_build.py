"""The site builds strictly, twice to the same bytes, and a broken page breaks the build
with its page and line in the message."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from tests.pages import DOCS, ROOT, nav_pages

ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}


def mkdocs_build(config: Path, site: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)],
        cwd=ROOT, capture_output=True, text=True, env=ENV, timeout=900,
    )


@pytest.fixture(scope="session")
def two_builds(tmp_path_factory) -> tuple[Path, Path, str]:
    base = tmp_path_factory.mktemp("builds")
    outputs = []
    for name in ("first", "second"):
        result = mkdocs_build(ROOT / "mkdocs.yml", base / name)
        assert result.returncode == 0, result.stderr
        outputs.append(result.stderr)
    return base / "first", base / "second", outputs[0]


def page_html(site: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(site)): p.read_bytes()
        for p in site.rglob("*.html")
    }


def test_the_build_is_strict_and_silent(two_builds):
    _, _, log = two_builds
    assert not re.search(r"^(WARNING|ERROR)", log, re.M), log
    assert "Material for MkDocs reaches end of life" not in log


def test_two_clean_builds_write_the_same_pages(two_builds):
    first, second, _ = two_builds
    a, b = page_html(first), page_html(second)
    assert a.keys() == b.keys()
    assert [name for name in a if a[name] != b[name]] == []


def test_every_page_is_rendered_with_its_outputs_and_no_markup_left(two_builds):
    first, _, _ = two_builds
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


def _config_for(docs: Path) -> Path:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    config["docs_dir"] = str(docs)
    config["nav"] = [{"Broken": "broken.md"}]
    config["hooks"] = [str(ROOT / hook) for hook in config["hooks"]]
    config["watch"] = [str(ROOT / path) for path in config.get("watch", [])]
    path = docs.parent / "mkdocs.yml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.mark.parametrize(
    "body, line, message",
    [
        (
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
        (
            """
            # Broken

            ```python exec="on"
            w = 5
            ```

            The weight is {{ w == 6 }}.
            """,
            7,
            "claim {{ w == 6 }} does not hold",
        ),
        (
            """
            # Broken

            The weight is 5.
            """,
            3,
            "unchecked number '5'",
        ),
    ],
    ids=["failing-fence", "wrong-number", "unchecked-number"],
)
def test_a_broken_page_fails_the_strict_build_naming_page_and_line(tmp_path, body, line, message):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "broken.md").write_text(textwrap.dedent(body).lstrip("\n"))
    for asset in ("assets",):
        os.symlink(DOCS / asset, docs / asset)
    result = mkdocs_build(_config_for(docs), tmp_path / "site")
    assert result.returncode != 0
    assert f"broken.md:{line}: {message}" in result.stderr, result.stderr
