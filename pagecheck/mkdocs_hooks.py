"""MkDocs hooks: the page checks (``pagecheck.core``) in the site's MkDocs build.

Registered in ``mkdocs.yml`` under ``hooks:``. The checking itself is the Python-Markdown
extension ``pagecheck.markdown_ext`` (declared in ``mkdocs.yml`` with its fence formatter),
which any generator running Python-Markdown can load; these hooks are what MkDocs adds:

* ``on_config``: the extension reports to this build (``on_problem: keep``) and keeps a
  record of every page's check; markdown-exec learns the configuration;
* ``on_files``: the exercise notebooks run (``pagecheck.notebooks.executed``), and a stale
  blank copy or a number in a notebook's prose is reported;
* ``on_page_markdown``: tells the extension which file it converts next, and offers a
  derivation page's downloads (its notebook, its Python file, Colab);
* ``on_page_content``: logs the page's diagnostics as warnings that start with
  ``page:line``, which ``mkdocs build --strict`` turns into a failed build, and keeps the
  page's execution time.

What only this site needs (the execution-times table, the search index's text, the
notebook pages' trimmings, two template fixes) is in ``pagecheck/site_hooks.py``.
"""

from __future__ import annotations

import html
import logging
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the hooks are loaded by path: make the project importable
    sys.path.insert(0, str(ROOT))

from markdown_exec import MarkdownConverter, markdown_config  # noqa: E402

from pagecheck import cache, export, notebooks  # noqa: E402
from pagecheck.core import BuildRecord, execute_enabled  # noqa: E402
from pagecheck.markdown_ext import NAME  # noqa: E402
from pagecheck.page import Page, read_page_cached  # noqa: E402
from pagecheck.runner import PageError  # noqa: E402

log = logging.getLogger("mkdocs.plugins.pagecheck")
RECORD = "pagecheck_record"  # the key of this build's BuildRecord in MkDocs' config


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def record_of(config) -> BuildRecord:
    return config[RECORD]


def on_config(config, **kwargs):
    # MkDocs restores sys.path after loading a hook file; pages import the project's
    # snippets, so put the project root back (the editable install does this too).
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    if NAME not in config.markdown_extensions:
        log.warning(f"mkdocs.yml: the extension {NAME} is not under markdown_extensions: no page is checked")
    record = BuildRecord()
    config[RECORD] = record
    config.mdx_configs.setdefault(NAME, {}).update(on_problem="keep", record=record.pages)
    markdown_config.save(config.markdown_extensions, config.mdx_configs)
    # Notebook pages: mkdocs-jupyter keeps its own cache, keyed by the notebook. Put it in a
    # folder named after everything else a notebook's code depends on (the snippets, the
    # versions), so that those changes run the notebooks again, as for Markdown pages.
    jupyter = config.plugins.get("mkdocs-jupyter")
    if jupyter is not None and jupyter.config.get("cache"):
        jupyter.config["cache_dir"] = str(cache.cache_dir().parent / "mkdocs-jupyter" / cache.notebook_key())
    return config


def on_files(files, config, **kwargs):
    # The blank exercises are made from the worked solutions: a stale one would hand the
    # learner another exercise than the page shows. And a number in a notebook's prose is
    # checked by nothing: it must be written in code or in words.
    for exercises in notebooks.exercise_folders(Path(config["docs_dir"])):
        for problem in notebooks.stale(exercises) + notebooks.all_prose_problems(exercises):
            log.warning(problem)
    # The worked solutions run here, in this process (notebooks.executed), and mkdocs-jupyter
    # shows the executed copy (it runs nothing itself: execute is off in mkdocs.yml).
    jupyter = config.plugins.get("mkdocs-jupyter") if hasattr(config, "plugins") else None
    record = config.get(RECORD) if hasattr(config, "get") else None
    for file in files if jupyter is not None and execute_enabled() else []:
        if not (file.src_uri.endswith(".ipynb") and jupyter.should_include(file)):
            continue
        source = Path(file.abs_src_path)
        where = _rel(source)
        try:
            copy, run, cached = notebooks.executed(source, where)
        except PageError as error:
            log.warning(str(error))
            continue
        file.abs_src_path = str(copy)
        if record is not None:
            record.notebooks[str(copy)] = source
            record.stats[where] = {**run, "cached": cached}
    return files


def on_pre_build(config, **kwargs):
    # Under `mkdocs serve` the process lives on between builds: drop the imported snippets
    # so that an edited helper is imported afresh, never served from a stale module.
    for name in [m for m in sys.modules if m == "snippets" or m.startswith("snippets.")]:
        del sys.modules[name]
    record_of(config).clear()


def on_page_markdown(markdown: str, page, config, files, **kwargs):
    path = Path(page.file.abs_src_path)
    options = config.mdx_configs[NAME]
    if path.suffix == ".ipynb":  # an exercise notebook, run already (on_files)
        options["path"] = ""
        source = record_of(config).notebooks.get(str(path), path)
        page.meta.setdefault("description", notebooks.description(source))
        return markdown
    options["path"] = str(path)  # the file the extension converts next
    _offer_downloads(page, path, read_page_cached(path), Path(config["docs_dir"]), _rel(path))
    return markdown


def _offer_downloads(page, path: Path, parsed: Page, docs: Path, display: str) -> None:
    """A derivation page of a site that offers downloads (its docs have a notebooks/ folder)
    links to its notebook, its Python file and Colab; one made from an older page is an
    error, for it would hand the reader another page than the one shown."""
    if not (docs / export.FOLDER).is_dir() or not parsed.code_fences or page.file.src_uri in export.NOT_DERIVATIONS:
        return
    notebook = export.notebook_path(path, docs)
    if not export.is_current(path, docs):
        shown = notebook.relative_to(docs.parent).as_posix()
        log.warning(f"{display}:1: its notebook {shown} is missing or out of date: run `make notebooks`")
    rel = notebook.relative_to(docs).as_posix()
    page.meta["downloads"] = {
        "notebook": rel,
        "python": export.python_path(path, docs).relative_to(docs).as_posix(),
        "colab": export.colab_url(path, docs),
    }


def on_page_content(content: str, page, config, files, **kwargs):
    record = record_of(config)
    path = Path(page.file.abs_src_path)
    if path.suffix == ".ipynb":
        # The worked solution must pass its own checks (a check never raises, for learners).
        display = _rel(record.notebooks.get(str(path), path))
        for name in re.findall(r'<tr class="check-not-yet"><td>.*?</td><td><code>(.*?)</code>', content):
            log.warning(f"{display}: the worked solution fails its check for {html.unescape(name)}")
        return content
    check = record.pages.get(_rel(path))
    if check is None:
        return content
    for problem in check.diagnostics:
        log.warning(str(problem))
    if check.stats is not None:
        record.stats[check.display] = check.stats
    return content


def on_post_build(config, **kwargs):
    MarkdownConverter.counter = 0
