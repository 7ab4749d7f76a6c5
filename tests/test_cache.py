"""The execution cache: nothing changed, nothing runs; prose edits run nothing; an edited
helper runs every page that imports it, and only those; a failure is never cached; and a
wrong number is caught from the cache as it is from a run."""

from __future__ import annotations

import logging
import textwrap
import uuid
from pathlib import Path

import pytest

from tests.conftest import config_for
from tests.pages import ROOT


def _page(body: str) -> str:
    return textwrap.dedent(body).lstrip("\n")


class Site:
    def __init__(self, root: Path, monkeypatch) -> None:
        self.root = root
        self.docs = root / "docs"
        self.docs.mkdir()
        self.ran = root / "ran.log"
        self.helper_name = f"_cache_test_{uuid.uuid4().hex[:8]}"
        self.helper = ROOT / "snippets" / f"{self.helper_name}.py"
        self.helper.write_text("FACTOR = 2\n")
        monkeypatch.setenv("PAGECHECK_CACHE_DIR", str(root / "cache" / "pages"))
        monkeypatch.setenv("PAGECHECK_CACHE", "on")
        monkeypatch.setenv("RAN_LOG", str(self.ran))  # each page notes here that it ran
        self.write("uses-helper.md", f"""
            # Uses the helper

            ```python exec="on"
            from snippets.{self.helper_name} import FACTOR
            import os
            open(os.environ["RAN_LOG"], "a").write("uses-helper\\n")
            value = 21 * FACTOR
            ```

            The value is {{{{ value == 42 }}}}.
            """)
        self.write("plain.md", """
            # Plain

            ```python exec="on"
            import os
            open(os.environ["RAN_LOG"], "a").write("plain\\n")
            total = 1 + 1
            ```

            The total is {{ total == 2 }}.
            """)

    def write(self, name: str, body: str) -> None:
        (self.docs / name).write_text(_page(body))

    def build(self) -> list[str]:
        """Build in this process (as `mkdocs serve` does); return the pages that ran."""
        from mkdocs.commands.build import build
        from mkdocs.config import load_config

        before = self.ran.read_text().split() if self.ran.exists() else []
        config = load_config(str(config_for(self.docs, ["uses-helper.md", "plain.md"])))
        config.plugins.on_startup(command="build", dirty=False)
        try:
            build(config)
        finally:
            config.plugins.on_shutdown()
        after = self.ran.read_text().split() if self.ran.exists() else []
        return after[len(before):]

    def close(self) -> None:
        self.helper.unlink(missing_ok=True)


@pytest.fixture
def site(tmp_path, monkeypatch):
    made = Site(tmp_path, monkeypatch)
    yield made
    made.close()


def test_nothing_changed_nothing_runs_and_prose_edits_run_nothing(site):
    assert sorted(site.build()) == ["plain", "uses-helper"]
    assert site.build() == []
    text = (site.docs / "plain.md").read_text()
    (site.docs / "plain.md").write_text(text.replace("# Plain", "# Plain\n\nA new sentence of prose."))
    assert site.build() == []


def test_an_edited_helper_reruns_exactly_the_pages_that_import_it(site):
    site.build()
    site.helper.write_text("FACTOR = 2  # same value, new source\n")
    assert site.build() == ["uses-helper"]


def test_a_wrong_number_is_caught_without_running(site, caplog):
    site.build()
    text = (site.docs / "plain.md").read_text()
    (site.docs / "plain.md").write_text(text.replace("{{ total == 2 }}", "{{ total == 3 }}"))
    from mkdocs.exceptions import Abort

    with caplog.at_level(logging.WARNING), pytest.raises(Abort):
        site.build()
    assert "plain.md:9: claim {{ total == 3 }} does not hold" in caplog.text
    assert site.ran.read_text().split().count("plain") == 1  # checked from the cache, not run


def test_a_failure_is_never_cached(site, caplog):
    site.build()
    site.write("plain.md", """
        # Plain

        ```python exec="on"
        import os
        open(os.environ["RAN_LOG"], "a").write("plain\\n")
        total = 1 / 0
        ```
        """)
    from mkdocs.exceptions import Abort

    for _ in range(2):  # the failing page runs again each time: nothing was stored for it
        with caplog.at_level(logging.WARNING), pytest.raises(Abort):
            site.build()
    assert site.ran.read_text().split().count("plain") == 3
    assert "plain.md:6: code fence raised ZeroDivisionError" in caplog.text
