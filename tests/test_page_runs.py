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


def test_a_page_that_prints_something_new_each_run_fails_at_that_fence(isolated, monkeypatch):
    """Determinism without running a page twice in one test run: a page's run is kept in the
    execution cache (which the site build shows), and the next run of the same code (the
    site's workflow builds, then tests) must print the same, fence by fence."""
    monkeypatch.setenv("PAGECHECK_CACHE_DIR", str(isolated / "cache"))
    path = isolated / "clock.md"
    path.write_text(textwrap.dedent('''
        ```python exec="on"
        w = 5
        print(w)
        ```

        ```python exec="on" continuation
        import time
        print(time.perf_counter_ns())
        ```
        ''').lstrip("\n"), encoding="utf-8")
    monkeypatch.setattr(pytest_plugin, "PAGES_IN_RUN", {path})
    first = pytest_plugin.record_of(path)
    monkeypatch.setattr(pytest_plugin, "RECORDS", isolated / "records-of-the-next-run")
    monkeypatch.setattr(pytest_plugin, "_sessions", {})
    second = pytest_plugin.record_of(path)
    assert first["failed"] is None
    assert second["failed"] == (
        f"{path}:6: the fence's text differs from the earlier run kept in the execution cache: "
        "a page must print and draw the same every time it runs"
    )


def test_a_page_run_is_kept_for_the_build(isolated, monkeypatch):
    """What the build would have stored, had it run the page: the outputs, the value of every
    claim, and the time the page's own code took."""
    from pagecheck import cache

    monkeypatch.setenv("PAGECHECK_CACHE_DIR", str(isolated / "cache"))
    path = _write(isolated, "passes")
    monkeypatch.setattr(pytest_plugin, "PAGES_IN_RUN", {path})
    pytest_plugin.record_of(path)
    page = read_page(path)
    entry = cache.load(cache.page_key(str(path), [fence.code for fence in page.code_fences]))
    assert entry is not None
    assert [o["text"] for o in entry.outputs] == ["", "5\n"]
    assert entry.values["w"]["floats"] == [5.0] and entry.checks == {"w\x005": ""}
    assert 0 < entry.seconds < 5


def test_a_page_draws_the_same_whatever_ran_before_it_in_the_process(tmp_path):
    """Pages share a process (a test worker, the build): one that draws without importing
    the site's figure style must still draw with it, and a setting another page changed
    must not reach it."""
    import matplotlib.pyplot as plt

    from pagecheck.runner import PageRunner

    path = tmp_path / "draws.md"
    path.write_text(textwrap.dedent('''
        ```python exec="on"
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots()
        ax.plot([0, 1, 2], [3, 1, 2])
        ax.set_title("a plot")
        fig.tight_layout()
        ```
        ''').lstrip("\\n"), encoding="utf-8")
    page = read_page(path)

    def drawn() -> list[str]:
        return PageRunner(page).run_fence(page.code_fences[0]).figures

    first = drawn()
    plt.rcParams["font.size"] = 23  # what another page might leave behind
    plt.rcParams["svg.fonttype"] = "path"
    assert drawn() == first and len(first) == 1
    assert 'font-size' in first[0] or "font:" in first[0]  # text kept as text: the site's style
