"""A page runs once per test run: whichever test needs it first (its own page tests, the
drift check, the reproducibility check) runs it, and the others read its record. A page's
tests that find the page already run must report exactly what running it would have
reported, fence by fence: a pass, the fence's own failure, or "not run" after it."""

from __future__ import annotations

import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

from pagecheck import pytest_plugin
from pagecheck.page import read_page

PAGES = {
    "fails-in-a-fence": """
        ```python exec="on"
        w = 5
        ```

        ```python exec="on" continuation
        grad = w / 0
        ```

        ```python exec="on" continuation
        print(w)
        ```
        """,
    "fails-a-claim": """
        ```python exec="on"
        w = 5
        ```

        The weight is {{ w == 6 }}.

        ```python exec="on" continuation
        print(w)
        ```
        """,
    "passes": """
        ```python exec="on"
        w = 5
        ```

        The weight is {{ w == 5 }}.

        ```python exec="on" continuation
        print(w)
        ```
        """,
}


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """The plugin's state for this test alone: its own records folder, no sessions."""
    monkeypatch.setattr(pytest_plugin, "RECORDS", tmp_path / "records")
    monkeypatch.setattr(pytest_plugin, "_sessions", {})
    monkeypatch.setattr(pytest_plugin, "DRIFT", False)
    return tmp_path


def _write(root: Path, name: str) -> Path:
    path = root / f"{name}.md"
    path.write_text(textwrap.dedent(PAGES[name]).lstrip("\n"), encoding="utf-8")
    return path


def _reports(path: Path) -> list[str | None]:
    """Each fence's test of the page, run in order: None for a pass, else its message."""
    runner = pytest_plugin.PageSessionRunner()
    found = []
    for fence in read_page(path).code_fences:
        try:
            runner.runtest(SimpleNamespace(source_path=str(path), start_line=fence.start_line), {})
            found.append(None)
        except pytest_plugin.PageCheckFailure as failure:
            found.append(str(failure))
    return found


@pytest.mark.parametrize("name", PAGES)
def test_page_tests_report_the_same_whether_they_ran_the_page_or_read_its_record(name, isolated, monkeypatch):
    (isolated / "a").mkdir()
    (isolated / "b").mkdir()
    first = _write(isolated / "a", name)
    monkeypatch.setattr(pytest_plugin, "PAGES_IN_RUN", {first})
    ran_itself = _reports(first)

    second = _write(isolated / "b", name)
    monkeypatch.setattr(pytest_plugin, "PAGES_IN_RUN", {second})
    record = pytest_plugin.record_of(second)  # another test ran it first
    monkeypatch.setattr(pytest_plugin, "_sessions", {})  # as in another test worker
    replayed = _reports(second)

    assert [r and r.replace("/b/", "/a/") for r in replayed] == ran_itself
    assert (record["failed"] is None) == (name == "passes")
    if name == "passes":
        assert ran_itself == [None, None]
    else:
        assert ran_itself[0] is None and ran_itself[-1] is not None


def test_page_tests_read_the_record_instead_of_running_the_page(isolated, monkeypatch):
    path = _write(isolated, "passes")
    monkeypatch.setattr(pytest_plugin, "PAGES_IN_RUN", {path})
    pytest_plugin.record_of(path)
    monkeypatch.setattr(pytest_plugin, "_sessions", {})

    def must_not_run(*args, **kwargs):
        raise AssertionError("the page ran a second time")

    monkeypatch.setattr(pytest_plugin.PageRunner, "run_fence", must_not_run)
    assert _reports(path) == [None, None]
