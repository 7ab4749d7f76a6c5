"""Project-wide pytest set-up: the page runner for pytest-markdown-docs (see pagecheck)."""

import os
from pathlib import Path

os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")

import pagecheck.pytest_plugin  # noqa: E402,F401  (registers the page-session runner)


def pytest_collection_modifyitems(config, items):
    """When the drift check is in the run, the page tests perturb each page on the way through
    it (``pagecheck.drift``), so that each page runs once."""
    from pagecheck import pytest_plugin

    if any(Path(str(item.fspath)).name == "test_drift.py" for item in items):
        pytest_plugin.DRIFT = True


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
