"""The page checks' core (``pagecheck.core.PageCheck``) and its Python-Markdown extension,
with no generator at all: what the MkDocs build and Zensical's build both rest on."""

from __future__ import annotations

import textwrap
from pathlib import Path

import markdown
import pytest

from pagecheck.core import Diagnostic, PageCheck
from pagecheck.markdown_ext import PageCheckExtension, PageProblems, formatter, validator

PAGE = """
---
description: A page with a front matter, which a generator hands over without it.
---

# A page

```python exec="on"
w = 5
print(w * 2)
```

The weight is {{ w == 5 }}, twice it {{ 2 * w }}.

```python exec="on" continuation
grad = 0.25
```

Its gradient is {{ grad == 0.25 }}.
"""


@pytest.fixture
def page(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("PAGECHECK_CACHE_DIR", str(tmp_path / "cache" / "pages"))
    monkeypatch.setenv("PAGECHECK_MEMO_DIR", str(tmp_path / "cache"))
    path = tmp_path / "page.md"
    path.write_text(textwrap.dedent(PAGE).lstrip("\n"), encoding="utf-8")
    return path


def _body(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    return text[text.index("\n---\n", 3) + 5 :]


def _convert(path: Path, text: str | None = None, **options) -> tuple[str, markdown.Markdown]:
    fences = [{"name": "python", "class": "python", "validator": validator, "format": formatter}]
    md = markdown.Markdown(
        extensions=[PageCheckExtension(path=str(path), **options), "pymdownx.superfences", "pymdownx.arithmatex"],
        extension_configs={"pymdownx.superfences": {"custom_fences": fences},
                           "pymdownx.arithmatex": {"generic": True}},
    )
    return md.convert(_body(path) if text is None else text), md


def test_a_page_check_hands_over_the_page_as_shown_and_runs_each_fence(page):
    check = PageCheck(page, _body(page))
    shown = check.markdown()
    assert "The weight is 5, twice it PAGECHECKGLUE0X." in shown and "{{" not in shown
    assert '```python exec="on" pagecheck_fence="0"' in shown
    assert shown.split("\n")[0] == "" and "description:" not in shown  # front matter left out
    first = check.run_fence(0)
    assert (first.text, first.error) == ("10\n", None)
    assert not check.finished
    check.run_fence(1)  # the last: the page is finished
    assert check.finished and check.diagnostics == [] and check.stats["cached"] is False
    assert "twice it 10." in check.fill("twice it PAGECHECKGLUE0X.")


def test_a_wrong_number_is_a_diagnostic_with_the_files_own_line(page):
    page.write_text(page.read_text().replace("grad == 0.25", "grad == 0.5"), encoding="utf-8")
    check = PageCheck(page, _body(page))
    for index in (0, 1):
        check.run_fence(index)
    [problem] = check.diagnostics
    assert problem.line == 18 and problem.message.startswith("claim {{ grad == 0.5 }} does not hold")
    assert str(problem) == f"{problem.path}:18: {problem.message}"
    assert Diagnostic.parse(str(problem), "elsewhere") == problem


def test_a_page_whose_last_fence_never_reaches_the_formatter_is_still_finished(page):
    check = PageCheck(page, _body(page))
    check.run_fence(0)  # the converter never hands over the second fence
    check.fill("")
    assert check.finished and check.measure._stop.is_set()  # measurement stopped
    messages = [(d.line, d.message.split(":")[0]) for d in check.diagnostics]
    assert (14, "this code fence was not run by the build (is it inside an indented block, or is its header malformed?)") in messages
    assert (18, "claim {{ grad == 0.25 }} could not be evaluated") in messages  # claims checked


def test_python_markdown_alone_runs_the_page_through_the_extension(page):
    html, md = _convert(page, on_problem="keep")
    assert md.pagecheck.diagnostics == []
    assert html.count('class="pagecheck-fence"') == 2 and "The weight is 5, twice it 10." in html
    page.write_text(page.read_text().replace("w == 5", "w == 6"), encoding="utf-8")
    with pytest.raises(PageProblems, match=r"page.md:12: claim \{\{ w == 6 \}\} does not hold"):
        _convert(page)  # on_problem: raise, the default
    html, md = _convert(page.parent / "elsewhere.md", _body(page), on_problem="raise")  # no such page
    assert md.pagecheck is None and 'class="pagecheck-fence"' not in html
