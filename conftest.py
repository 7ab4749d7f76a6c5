"""Project-wide pytest set-up: the page runner for pytest-markdown-docs (see pagecheck)."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")

import pagecheck.pytest_plugin  # noqa: E402,F401  (registers the page-session runner)

pytest_plugins = ["pytester"]  # tests/test_drift.py runs a test run of its own

# Every page as a download (pagecheck/export.py): its code is the page's, which the page's
# own tests run; importing the .py files would run it again (tests/test_downloads.py runs
# them where a reader would).
collect_ignore = ["docs/notebooks"]


@pytest.hookimpl(wrapper=True)
def pytest_collect_file(file_path, parent):
    """pytest-markdown-docs would also import every Python file and read each docstring for
    code fences, in each test worker (half a second of its start-up). The site's code is in
    its pages; a Python file's docstrings are documentation of that file, never a page."""
    collected = yield
    return [c for c in collected if type(c).__name__ != "MarkdownDocstringCodeModule"]


# Tests that each go to whichever test worker is free (the browser's look at each page);
# every other test goes with the rest of its file to one worker (a page's fences run in
# order, in one namespace; the tests of a file share its fixtures, built once).
SPREAD = "tests/test_browser.py::test_page_reads_well_on_a_phone_in_the_dark_palette["


def _rank(item) -> tuple[int, ...]:
    """When a test file starts, on two workers: the site build first (one worker builds while
    the other runs the pages), the longest pages before the shorter ones, then the tests
    that do not need the site (while it is built), those that do, and the browser tests
    (which share out evenly) last."""
    path = Path(str(item.fspath))
    if path.name == "test_build.py":
        return (0, 0)
    if path.suffix == ".md":  # the slow ones first, so that no worker waits for one at the end
        return (1, 0 if path.relative_to(ROOT).as_posix() in SLOW_PAGES else 1, -path.stat().st_size)
    if path.name == "test_drift.py":
        return (2, 0)
    if path.name == "test_notebooks.py":  # early, beside the pages: the worked solutions it
        return (1, 0, 0)  # runs are kept for the build, which then does not run them again
    if path.name == "test_browser.py":  # its other tests first, beside the spread ones
        return (4, 1) if item.nodeid.startswith(SPREAD) else (4, 0)
    return (3, 1) if path in NEED_THE_SITE else (3, 0)  # the site is built meanwhile


ROOT = Path(__file__).resolve().parent
# Pages whose code takes seconds rather than a fraction of one (see About > Execution times).
SLOW_PAGES = {"docs/mlp/training.md"}
NEED_THE_SITE: set[Path] = set()  # test files with a test that needs the built site


def pytest_collection_modifyitems(config, items):
    """Order the files (``_rank``; the order of tests within a file stays). When the drift
    check is in the run, the page tests perturb each page on the way through it
    (``pagecheck.drift``), so that each page runs once."""
    from pagecheck import pytest_plugin

    NEED_THE_SITE.update(Path(str(item.fspath)) for item in items if "built_site" in item.fixturenames)
    items.sort(key=_rank)  # stable: a page's fences keep their order
    if any(Path(str(item.fspath)).name == "test_drift.py" for item in items):
        pytest_plugin.DRIFT = True


def pytest_xdist_make_scheduler(config, log):
    """Whole files to a worker, in the order above, except the tests in SPREAD."""
    from xdist.scheduler import LoadScopeScheduling

    class Scheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return nodeid if nodeid.startswith(SPREAD) else nodeid.split("::", 1)[0]

    return Scheduling(config, log)


def pytest_collection_finish(session):
    """The pages this run's page tests will run, and the folder (shared by the test workers)
    where each page's run is recorded."""
    from pagecheck import pytest_plugin

    root = Path(__file__).resolve().parent
    pytest_plugin.PAGES_IN_RUN = {
        Path(str(item.fspath)) for item in session.items
        if Path(str(item.fspath)).suffix == ".md" and root / "docs" in Path(str(item.fspath)).parents
    }
    base = session.config._tmp_path_factory.getbasetemp()
    shared = base.parent if hasattr(session.config, "workerinput") else base
    pytest_plugin.RECORDS = shared / "page-runs"
