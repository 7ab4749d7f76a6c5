"""Shared fixtures: one strict build of the site for every test that looks at the result."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock

from tests.pages import ROOT

SCREENSHOTS = ROOT / "screenshots"


def mkdocs_build(config: Path, site: Path, strict: bool = True) -> subprocess.CompletedProcess:
    """Build the site of ``config`` into ``site`` in this process, as ``mkdocs serve`` builds
    (the test worker has MkDocs, torch and the pages' helpers imported already): the return
    code is 1 when the build fails, stderr is what MkDocs logged and printed."""
    import contextlib
    import io

    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    handler, printed = _LogLines(), io.StringIO()
    logger = logging.getLogger("mkdocs")
    logger.addHandler(handler)
    returncode, here = 0, Path.cwd()
    os.chdir(ROOT)  # snippets includes are read from the project's root, as `make build` does
    try:
        with contextlib.redirect_stderr(printed):
            loaded = load_config(str(config), site_dir=str(site), strict=strict)
            loaded.plugins.on_startup(command="build", dirty=False)
            try:
                build(loaded)
            finally:
                loaded.plugins.on_shutdown()
    except MkDocsException as abort:  # strict mode with warnings, or a failure MkDocs names
        handler.lines.append(f"Aborted: {abort}")
        returncode = 1
    finally:
        logger.removeHandler(handler)
        os.chdir(here)
    return subprocess.CompletedProcess(["mkdocs build"], returncode, "", printed.getvalue() + "\n".join(handler.lines))


def config_for(docs: Path, pages: list[str], strict: bool = True, notebooks: bool = True) -> Path:
    """A copy of mkdocs.yml for a small site of ``pages`` in ``docs`` (beside which it is
    written), with every path of the real configuration made absolute and the real assets
    linked. ``notebooks=False``: without mkdocs-jupyter, for a site of Markdown pages (its
    import costs half a second)."""
    import yaml

    # The full loader and dumper: the fence formatter is named in mkdocs.yml by a Python tag.
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=yaml.Loader)  # noqa: S506 (our file)
    config.update(docs_dir=str(docs), nav=[{p: p} for p in pages], strict=strict)
    config["hooks"] = [str(ROOT / hook) for hook in config["hooks"]]
    config["watch"] = [str(ROOT / path) for path in config.get("watch", [])]
    config["theme"]["custom_dir"] = str(ROOT / config["theme"]["custom_dir"])
    if not notebooks:
        config["plugins"] = [p for p in config["plugins"] if "mkdocs-jupyter" not in p]
    if not (docs / "assets").exists():
        os.symlink(ROOT / "docs" / "assets", docs / "assets")
    path = docs.parent / "mkdocs.yml"
    path.write_text(yaml.dump(config))
    return path


def build_small_site(
    root: Path, pages: dict[str, str], strict: bool = True, files: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Write ``pages`` ({name: Markdown}) and ``files`` ({path: text}) into ``root/docs`` and
    build them into ``root/site`` with the real configuration (see config_for), by
    mkdocs_build."""
    import textwrap

    docs = root / "docs"
    docs.mkdir()
    for name, body in pages.items():
        (docs / f"{name}.md").write_text(textwrap.dedent(body).lstrip("\n"))
    for name, text in (files or {}).items():
        (docs / name).parent.mkdir(parents=True, exist_ok=True)
        (docs / name).write_text(text)
    return mkdocs_build(config_for(docs, [f"{name}.md" for name in pages], strict=strict), root / "site", strict)


class _LogLines(logging.Handler):
    """MkDocs' log as its command line prints it: LEVEL  -  message."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname:<8}-  {record.getMessage()}")


def _pages_run_first() -> None:
    """When this test run runs the pages, it runs each once (``pagecheck.pytest_plugin``)
    and keeps every run in the execution cache, as a build would: the build then shows those
    runs. So before building, run here the pages no worker has started yet, then wait for
    the ones other workers are running."""
    from pagecheck import pytest_plugin

    pages = sorted(pytest_plugin.PAGES_IN_RUN, key=lambda page: page.stat().st_size)
    for page in pages:  # first the ones nobody has started, shortest first (the page tests
        if not pytest_plugin.page_started(page):  # take the longest first)
            pytest_plugin.record_of(page)
    for page in pages:  # then wait for the others
        pytest_plugin.record_of(page)


@dataclass
class Build:
    site: Path
    log: str


@pytest.fixture(scope="session")
def built_site(tmp_path_factory, worker_id) -> Build:
    """The site, built once per test run: the first test worker that needs it builds it, and
    every other worker waits for that build and reads the same folder."""
    base = tmp_path_factory.getbasetemp()
    shared = base if worker_id == "master" else base.parent  # the run's folder, shared by workers
    site, record = shared / "site", shared / "site-build.json"
    with FileLock(str(shared / "site-build.lock")):
        if not record.exists():
            _pages_run_first()
            result = mkdocs_build(ROOT / "mkdocs.yml", site)
            record.write_text(json.dumps({"returncode": result.returncode, "log": result.stderr}))
    build = json.loads(record.read_text())
    assert build["returncode"] == 0, build["log"]
    return Build(site, build["log"])


def pytest_sessionstart(session):
    session.config._started = time.time()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    started = getattr(config, "_started", time.time())
    shots = [p for p in SCREENSHOTS.glob("*.jpg") if p.stat().st_mtime >= started] if SCREENSHOTS.is_dir() else []
    if shots:
        terminalreporter.write_sep("-", "screenshots")
        terminalreporter.write_line(f"{len(shots)} screenshots (every page at phone width, dark; the palette-toggle pages at desktop) in {SCREENSHOTS}")
        sizes = sorted(
            ((int(p.read_text()), p.stem) for p in SCREENSHOTS.glob("*.dom-elements") if p.stat().st_mtime >= started),
            reverse=True,
        )
        if sizes:
            terminalreporter.write_line("DOM elements of each page: " + ", ".join(f"{stem} {n:,}" for n, stem in sizes))
