"""Project-wide pytest set-up: the page runner for pytest-markdown-docs (see pagecheck)."""

import os

os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")

import pagecheck.pytest_plugin  # noqa: E402,F401  (registers the page-session runner)


def pytest_collection_modifyitems(config, items):
    """A page's tests and its drift checks run in one test worker (``--dist loadgroup``), and
    when the drift check is in the run, the page tests perturb each page on the way through
    it (``pagecheck.drift``), so each page runs once."""
    from pathlib import Path

    import pytest

    from pagecheck import pytest_plugin

    root = Path(__file__).resolve().parent
    for item in items:
        path = Path(str(item.fspath))
        if path.suffix == ".md" and root / "docs" in path.parents:
            item.add_marker(pytest.mark.xdist_group(str(path.relative_to(root))))
        elif path.name == "test_drift.py":
            pytest_plugin.DRIFT = True
