"""Project-wide pytest set-up: the page runner for pytest-markdown-docs (see pagecheck)."""

import os

os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")

import pagecheck.pytest_plugin  # noqa: E402,F401  (registers the page-session runner)
