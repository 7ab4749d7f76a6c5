"""The execution cache: nothing changed, nothing runs; prose edits run nothing; an edited
helper runs every page that imports it, and only those; a failure is never cached; and a
wrong number is caught from the cache as it is from a run. Two writers of one entry at once
never leave a part of it.

These tests write nothing into the repository: the cache folders are this test's own
(``PAGECHECK_CACHE_DIR`` and ``PAGECHECK_MEMO_DIR``, read by the cache each time it is
used), and the helper module the pages import lives in this test's own folder, which the
pages add to the ``snippets`` package's search path."""

from __future__ import annotations

import hashlib
import json
import logging
import textwrap
import threading
import time
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
        # Everything this site writes carries the marker: the tests look for it in the
        # repository afterwards (see written_into_the_repository).
        self.marker = uuid.uuid4().hex
        self.helper_name = f"_cache_test_{self.marker}"
        helpers = root / "helpers"
        helpers.mkdir()
        self.helper = helpers / f"{self.helper_name}.py"
        self.helper.write_text("FACTOR = 2\n")
        self.cache = root / "cache"
        monkeypatch.setenv("PAGECHECK_CACHE_DIR", str(self.cache / "pages"))
        monkeypatch.setenv("PAGECHECK_MEMO_DIR", str(self.cache))
        monkeypatch.setenv("PAGECHECK_CACHE", "on")
        monkeypatch.setenv("RAN_LOG", str(self.ran))  # each page notes here that it ran
        monkeypatch.setenv("CACHE_TEST_HELPERS", str(helpers))
        self.write("uses-helper.md", f"""
            # Uses the helper

            ```python exec="on"
            import os
            import snippets
            snippets.__path__.append(os.environ["CACHE_TEST_HELPERS"])
            from snippets.{self.helper_name} import FACTOR
            open(os.environ["RAN_LOG"], "a").write("uses-helper\\n")
            print("{self.marker}")
            value = 21 * FACTOR
            ```

            The value is {{{{ value == 42 }}}}.
            """)
        self.write("plain.md", f"""
            # Plain

            ```python exec="on"
            import os
            open(os.environ["RAN_LOG"], "a").write("plain\\n")
            print("{self.marker}")
            total = 1 + 1
            ```

            The total is {{{{ total == 2 }}}}.
            """)

    def write(self, name: str, body: str) -> None:
        (self.docs / name).write_text(_page(body))

    def build(self) -> list[str]:
        """Build in this process (as `mkdocs serve` does); return the pages that ran."""
        from mkdocs.commands.build import build
        from mkdocs.config import load_config

        before = self.ran.read_text().split() if self.ran.exists() else []
        config = load_config(str(config_for(self.docs, ["uses-helper.md", "plain.md"], notebooks=False)))
        config.plugins.on_startup(command="build", dirty=False)
        try:
            build(config)
        finally:
            config.plugins.on_shutdown()
        after = self.ran.read_text().split() if self.ran.exists() else []
        return after[len(before):]

    def written_into_the_repository(self, since: float) -> list[str]:
        """Files of the repository's snippets/ and .cache/ changed since ``since`` whose name
        or text carries this site's marker (other test workers may write there meanwhile)."""
        found = []
        for folder in (ROOT / "snippets", ROOT / ".cache"):
            for path in folder.rglob("*") if folder.is_dir() else []:
                try:
                    if not path.is_file() or path.stat().st_mtime < since:
                        continue
                    if self.marker in path.name or self.marker in path.read_text(errors="replace"):
                        found.append(str(path.relative_to(ROOT)))
                except FileNotFoundError:  # removed meanwhile (another worker's temporary file)
                    continue
        return found


@pytest.fixture
def site(tmp_path, monkeypatch):
    started = time.time() - 1
    made = Site(tmp_path, monkeypatch)
    yield made
    assert made.written_into_the_repository(started) == []
    assert list(made.cache.glob("pages/*.json")), "the cache entries were not written to the test's folder"


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
    assert "plain.md:10: claim {{ total == 3 }} does not hold" in caplog.text
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


def test_the_cache_folder_is_read_when_it_is_used(tmp_path, monkeypatch):
    from pagecheck import cache  # imported long before this test set the variable

    monkeypatch.setenv("PAGECHECK_CACHE", "on")
    monkeypatch.setenv("PAGECHECK_CACHE_DIR", str(tmp_path / "a"))
    monkeypatch.setenv("PAGECHECK_MEMO_DIR", str(tmp_path / "memo"))
    cache.store(cache.Entry(key="k1"))
    cache.store_text("latex", "x", "expr\nInteger(1)")
    monkeypatch.setenv("PAGECHECK_CACHE_DIR", str(tmp_path / "b"))
    cache.store(cache.Entry(key="k2"))
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()) == [
        "a/k1.json",
        "b/k2.json",
        f"memo/latex/{hashlib.sha256(b'x').hexdigest()}.txt",
    ]
    assert cache.load("k1") is None and cache.load("k2").key == "k2"


def test_storing_one_entry_from_several_threads_at_once_never_leaves_a_part_of_one(tmp_path, monkeypatch):
    """Test workers building the same page store the same key at the same moment. Each
    write goes to a temporary file of its own and is renamed over the entry: no writer
    raises, a reader only ever finds a whole entry, and no temporary file is left."""
    from pagecheck import cache

    monkeypatch.setenv("PAGECHECK_CACHE", "on")
    monkeypatch.setenv("PAGECHECK_CACHE_DIR", str(tmp_path / "pages"))
    key = "same-page"
    # Large entries (about 2 MB of JSON each), so that one write takes many system calls.
    entries = [
        cache.Entry(key=key, outputs=[{"text": digit * 2_000_000, "html": [], "figures": []}]) for digit in "0123"
    ]
    writers_done = threading.Event()
    start = threading.Barrier(len(entries) + 1)
    errors: list[str] = []
    torn: list[str] = []
    whole_reads = []

    def write(entry: cache.Entry) -> None:
        start.wait()
        for _ in range(15):
            try:
                cache.store(entry)
            except Exception as error:  # noqa: BLE001  (collected: the test fails on any)
                errors.append(repr(error))

    def read() -> None:
        path = tmp_path / "pages" / f"{key}.json"
        start.wait()
        while not writers_done.is_set():
            try:
                text = path.read_text(encoding="utf-8")
            except FileNotFoundError:
                continue
            try:
                shown = json.loads(text)["outputs"][0]["text"]
            except (ValueError, KeyError, IndexError) as error:
                torn.append(f"{len(text)} characters: {error!r}")
                continue
            if len(shown) != 2_000_000 or len(set(shown)) != 1:
                torn.append(f"an entry mixing two writes ({sorted(set(shown))})")
            whole_reads.append(1)

    threads = [threading.Thread(target=write, args=(entry,)) for entry in entries]
    reader = threading.Thread(target=read)
    for thread in [*threads, reader]:
        thread.start()
    for thread in threads:
        thread.join()
    writers_done.set()
    reader.join()
    assert errors == []
    assert torn == []
    assert whole_reads, "the reader never saw the entry"
    assert [p.name for p in (tmp_path / "pages").iterdir()] == [f"{key}.json"]
    assert cache.load(key).outputs[0]["text"] in {digit * 2_000_000 for digit in "0123"}

