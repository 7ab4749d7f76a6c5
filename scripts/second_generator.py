"""The site built by a second generator, Zensical, through the Python-Markdown extension
(``pagecheck.markdown_ext``) alone: none of MkDocs' hooks or plugins run there.

    python scripts/second_generator.py     (make zensical; CI runs it after the tests)

It is a step of CI rather than a test: Zensical renders every page again (about ten
seconds, with the pages replayed from the execution cache that the test run's MkDocs build
filled), which the test run's time budget has no room for. The extension itself is tested
in the test run, with Python-Markdown alone (tests/test_core.py). Prints one line per check
and exits 1 if any fails.

Zensical (pinned in requirements.lock) reads ``mkdocs.yml`` and converts each page with
Python-Markdown and the extensions listed there, the page checks among them. Every Markdown
page's fences must run (or replay from the execution cache the MkDocs build of this test run
filled), every claim must show as its typed text, never as ``{{ ... }}``, and a page with a
wrong number must fail Zensical's build, naming its page and line.

What Zensical cannot do for this site is asserted too, so that the day it can, this script
says so (and the README's "Choices" has the list, with the versions):

* the exercise notebooks: copied as ``.ipynb`` files, rendered as no page (mkdocs-jupyter
  is a MkDocs plugin Zensical has not rewritten);
* the site's template override (``overrides/main.html``): it reads MkDocs' page object
  (``page.file.src_path``), which Zensical's templates do not have ("undefined value"), so
  it is left out here, and with it the download buttons;
* what the MkDocs hooks add (``hooks:`` is ignored): the execution-times table and the
  warnings of a strict build (here a page's problems stop the build instead).
"""

from __future__ import annotations

import html
import os
import subprocess
import sys
import tempfile
import textwrap
import traceback
import uuid
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pagecheck.page import read_page_cached  # noqa: E402
from tests.pages import DOCS, ROOT, nav_notebooks, nav_pages  # noqa: E402


def zensical_build(config: dict, root: Path, **environ: str) -> subprocess.CompletedProcess:
    """Zensical's build of ``config`` (written beside the docs, in ``root``, which Zensical
    takes as the project's root), in a process of its own. Zensical keeps its own cache of
    rendered pages in ``.cache``: a value of its own in ``extra`` makes every page render
    again (its ``--clean`` would empty all of ``.cache``, the page checks' cache with it)."""
    config = {**config, "extra": {**config.get("extra", {}), "build": uuid.uuid4().hex}}
    path = root / f"zensical-{uuid.uuid4().hex[:8]}.yml"
    path.write_text(yaml.dump(config), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), **environ}
    try:
        return subprocess.run([sys.executable, "-m", "zensical", "build", "-f", str(path)],
                              cwd=root, env=env, capture_output=True, text=True, timeout=600)
    finally:
        path.unlink()


def zensical_site() -> Path:
    """The real site, built by Zensical (replaying the runs the MkDocs build kept)."""
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=yaml.Loader)  # noqa: S506 (our file)
    config["theme"].pop("custom_dir")  # MkDocs' page object: see the module's docstring
    site = Path(".cache") / "zensical" / "site"
    config["site_dir"] = str(site)
    result = zensical_build(config, ROOT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return ROOT / site


def _html_of(site: Path, page: Path) -> Path:
    rel = page.relative_to(DOCS).with_suffix("")
    return site / ("index.html" if rel.name == "index" else rel / "index.html")


def test_zensical_runs_every_fence_and_shows_every_claim_as_typed(zensical_site):
    for page in nav_pages():
        parsed = read_page_cached(page)
        built = _html_of(zensical_site, page).read_text(encoding="utf-8")
        where = page.relative_to(ROOT)
        assert built.count('class="pagecheck-fence"') == sum(f.executed for f in parsed.code_fences), where
        assert "This code fence failed" not in built and "Not run: a code fence above" not in built, where
        assert "PAGECHECKGLUE" not in built, where
        for claim in parsed.claims:
            assert html.escape(claim.raw, quote=False) not in built, f"{where}:{claim.line}: {claim.raw} shown raw"
            if claim.typed is not None and not claim.in_math:
                assert claim.typed in built, f"{where}:{claim.line}: {claim.typed!r} is not shown"


def test_what_zensical_leaves_out_is_exactly_what_the_readme_lists(zensical_site):
    for notebook in nav_notebooks():  # copied, rendered as no page
        rel = notebook.relative_to(DOCS)
        assert (zensical_site / rel).is_file() and not (zensical_site / rel.with_suffix("") / "index.html").exists()
    times = (zensical_site / "about" / "execution-times" / "index.html").read_text(encoding="utf-8")
    assert '<div class="pagecheck-execution-times"></div>' in times  # the hook never filled it
    knobs = (zensical_site / "knobs" / "index.html").read_text(encoding="utf-8")
    assert "Download notebook" not in knobs  # no template override, no buttons


def test_a_wrong_number_fails_the_zensical_build_with_its_page_and_line():
    tmp_path = Path(tempfile.mkdtemp(prefix="zensical-"))
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text(textwrap.dedent("""
        # A page

        ```python exec="on"
        w = 5
        print(w)
        ```

        The weight is {{ w == 6 }}.
        """).lstrip("\n"), encoding="utf-8")
    real = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=yaml.Loader)  # noqa: S506 (our file)
    config = {"site_name": "A page", "nav": ["index.md"], "markdown_extensions": real["markdown_extensions"]}
    cache = {"PAGECHECK_CACHE_DIR": str(tmp_path / "cache" / "pages"), "PAGECHECK_MEMO_DIR": str(tmp_path / "cache")}
    result = zensical_build(config, tmp_path, **cache)
    assert result.returncode != 0
    assert "docs/index.md:8: claim {{ w == 6 }} does not hold: typed 6 but the value is 5" in result.stderr


def main() -> int:
    failed = 0
    try:
        site = zensical_site()
    except AssertionError as error:
        print(f"FAILED: Zensical could not build the site:\n{error}")
        return 1
    checks = [
        ("every fence runs and every claim shows as typed", lambda: test_zensical_runs_every_fence_and_shows_every_claim_as_typed(site)),
        ("what Zensical leaves out is what the README lists", lambda: test_what_zensical_leaves_out_is_exactly_what_the_readme_lists(site)),
        ("a wrong number fails its build, with page and line", test_a_wrong_number_fails_the_zensical_build_with_its_page_and_line),
    ]
    for name, check in checks:
        try:
            check()
            print(f"ok: {name}")
        except AssertionError:
            failed += 1
            print(f"FAILED: {name}\n{traceback.format_exc(limit=1)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
