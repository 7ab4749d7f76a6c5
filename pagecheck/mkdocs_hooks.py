"""MkDocs hooks: run every page's code at build time and check every number it states.

Registered in ``mkdocs.yml`` under ``hooks:``. For each page:

* ``on_page_markdown`` reads the page (``pagecheck.page``), reports unchecked numbers and
  fence mistakes with ``page:line``, replaces each ``{{ expr == typed }}`` by ``typed`` and
  tags each Python fence with its index (on its own opening line, so line numbers stay put);
* the ``python`` fence formatter (given to ``pymdownx.superfences``) runs that fence in the
  page's namespace, checks the claims that follow it, and renders the source with its output
  using markdown-exec's rendering;
* ``on_page_content`` fills in glued values.

Any failure is logged as a warning that starts with ``page:line``; ``mkdocs build --strict``
turns it into a failed build.
"""

from __future__ import annotations

import html
import logging
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the hooks are loaded by path: make the project importable
    sys.path.insert(0, str(ROOT))

from markdown_exec import base_format, code_block, markdown_config  # noqa: E402
from markdown_exec import MarkdownConverter  # noqa: E402
from mkdocs.plugins import CombinedEvent, event_priority  # noqa: E402

from pagecheck import cache, export, notebooks, unused_css  # noqa: E402
from pagecheck.math import render_page_and_text  # noqa: E402
from pagecheck.measure import Measure  # noqa: E402
from pagecheck.page import Page, read_page, read_page_cached, render_claims  # noqa: E402
from pagecheck.runner import PageError, PageRunner  # noqa: E402

log = logging.getLogger("mkdocs.plugins.pagecheck")

FENCE_TAG = "pagecheck_fence"
GLUE_TOKEN = "PAGECHECKGLUE{}X"


@dataclass
class _State:
    page: Page
    runner: PageRunner
    src_uri: str
    failed: bool = False
    glue_tokens: dict[str, tuple[int, int]] = field(default_factory=dict)
    formatted: set[int] = field(default_factory=set)
    key: str = ""
    entry: cache.Entry | None = None  # a usable cache entry: nothing runs
    outputs: list[dict[str, Any]] = field(default_factory=list)  # what ran, for the cache
    measure: Measure | None = None


# Per page of this build: seconds, peak memory and whether it came from the cache (for the
# execution-times page).
STATS: dict[str, dict[str, Any]] = {}
EXECUTE = os.environ.get("PAGECHECK_EXECUTE", "on").lower() not in {"off", "0", "no", "false"}


_state: _State | None = None


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


# ---------------------------------------------------------------- MkDocs events


def on_config(config, **kwargs):
    # MkDocs restores sys.path after loading a hook file; pages import the project's
    # snippets, so put the project root back (the editable install does this too).
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    mdx = config.setdefault("mdx_configs", {})
    superfences = mdx.setdefault("pymdownx.superfences", {})
    fences = superfences.setdefault("custom_fences", [])
    fences[:] = [f for f in fences if f.get("name") not in {"python", "py"}]
    for name in ("python", "py"):
        fences.insert(0, {"name": name, "class": name, "validator": validator, "format": formatter})
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
    for file in files if jupyter is not None and EXECUTE else []:
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
        _NOTEBOOKS[str(copy)] = source
        STATS[where] = {**run, "cached": cached}
    return files


_NOTEBOOKS: dict[str, Path] = {}  # executed copy -> the worked solution in docs/


def _forget_snippets() -> None:
    for name in [m for m in sys.modules if m == "snippets" or m.startswith("snippets.")]:
        del sys.modules[name]


def on_pre_build(config, **kwargs):
    # Under `mkdocs serve` the process lives on between builds: drop the imported snippets
    # so that an edited helper is imported afresh, never served from a stale module.
    _forget_snippets()
    STATS.clear()
    _TIMES_PAGES.clear()


_NOTEBOOK_SCRIPTS = re.compile(
    r'<script src="">\s*</script>|<!-- MathJax configuration -->.*?<!-- End of mathjax configuration -->'
    r'|<script type="module">\s*document\.addEventListener\("DOMContentLoaded".*?</script>',
    re.S,
)
def on_page_markdown(markdown: str, page, config, files, **kwargs):
    global _state
    path = Path(page.file.abs_src_path)
    if path.suffix == ".ipynb":  # an exercise notebook, run already (on_files)
        _state = None
        page.meta.setdefault("description", notebooks.description(_NOTEBOOKS.get(str(path), path)))
        return markdown
    # MkDocs hands over the page without its front matter; read the whole file, so that
    # every line number reported is the file's own.
    full = path.read_text(encoding="utf-8")
    start = full.rfind(markdown) if markdown and full.endswith(markdown) else -1
    if start < 0:  # another plugin changed the text: fall back to what we were given
        full, start = markdown, 0
    offset = full[:start].count("\n")
    parsed = read_page_cached(path)  # read once a process for as long as the file is unchanged
    if parsed.text != full:
        parsed = read_page(path, full)
    display = _rel(path)
    runner = PageRunner(parsed, display_path=display)
    _state = _State(parsed, runner, page.file.src_uri)
    for problem in parsed.problems:
        log.warning(f"{display}:{problem.line}: {problem.message}")

    def glue_token(claim):
        token = GLUE_TOKEN.format(len(_state.glue_tokens))
        _state.glue_tokens[token] = (claim.line, claim.column)
        return token

    _offer_downloads(page, path, parsed, Path(config["docs_dir"]), display)
    code = parsed.code_fences
    _state.key = cache.page_key(display, [fence.code for fence in code])
    entry = cache.load(_state.key)
    if entry is not None and all(c.expr in entry.values for c in parsed.claims) and len(entry.outputs) == len(code):
        _state.entry = entry
        runner.cached_values = entry.values
        runner.early = dict(entry.early)
        runner.checks = dict(entry.checks)
    lines = render_claims(full, parsed, glue_token).split("\n")
    for fence in parsed.code_fences:
        if fence.executed:
            k = fence.start_line - 1
            lines[k] = f'{lines[k]} {FENCE_TAG}="{fence.index}"'
    if parsed.claims and not parsed.code_fences and EXECUTE:
        _report(runner.finish())
    return "\n".join(lines[offset:])


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
    global _state
    state = _state
    path = Path(page.file.abs_src_path)
    display = _rel(_NOTEBOOKS.get(str(path), path))
    if path.suffix == ".ipynb":
        # The worked solution must pass its own checks (a check never raises, for learners).
        for name in re.findall(r'<tr class="check-not-yet"><td>.*?</td><td><code>(.*?)</code>', content):
            log.warning(f"{display}: the worked solution fails its check for {html.unescape(name)}")
        # nbconvert's page template asks for MathJax and Mermaid from elsewhere; the
        # notebooks use neither, and the site fetches nothing from another host.
        content = _NOTEBOOK_SCRIPTS.sub("", content)
        # ... and it inlines JupyterLab's whole stylesheet, of which the page uses little.
        content = unused_css.prune(content)
    if state is None:
        return content
    for fence in state.page.code_fences:
        if EXECUTE and fence.executed and fence.index not in state.formatted:
            log.warning(
                f"{state.runner.where(fence.start_line)}: this code fence was not run by the build "
                "(is it inside an indented block, or is its header malformed?)"
            )
    for token, key in state.glue_tokens.items():
        value = state.runner.glue.get(key)
        if value is None:
            value = "??"
            if not state.failed and EXECUTE:
                log.warning(f"{state.runner.where(key[0])}: glued value was never computed")
        content = content.replace(token, html.escape(value))
    if _TIMES_MARKER in content:  # filled in after the build, once every page has run
        _TIMES_PAGES.append((page, files))
    content, text, math_errors = render_page_and_text(content)
    SEARCH_TEXT[page.file.src_uri] = _INLINE_MARKUP.sub("", _OUTPUTS.sub("", text))
    for error in math_errors:
        log.warning(f"{state.runner.where(_line_of(state.page.text, error.tex))}: KaTeX cannot render "
                    f"this formula: {error}")
    _state = None
    return content


# What the site search reads of a page: the page with each formula as its text and without
# the fences' outputs (tensors of numbers are noise in search results, and every reader's
# browser loads the index). Handed to the search plugin in place of the page's HTML, and
# the HTML put back right after (on_page_context, before and after the search plugin's).
SEARCH_TEXT: dict[str, str] = {}
_OUTPUTS = re.compile(
    r'<div class="pagecheck-output[^"]*"[^>]*><pre>.*?</pre></div>|<figure class="pagecheck-figure"[^>]*>.*?</figure>',
    re.S,
)
_FULL_CONTENT: dict[str, str] = {}
# Syntax highlighting's spans and the code lines' anchors add nothing to what search reads
# but tags for its HTML parser to walk: thousands on a page, most of the index's build time.
_INLINE_MARKUP = re.compile(r'</?span\b[^>]*>|<a id="__codelineno[^"]*"[^>]*></a>')


@event_priority(100)
def _hand_search_its_text(context, page, config, nav, **kwargs):
    text = SEARCH_TEXT.pop(page.file.src_uri, None)
    if text is not None:
        _FULL_CONTENT[page.file.src_uri] = page.content
        page.content = text
    return context


@event_priority(-100)
def _put_the_page_back(context, page, config, nav, **kwargs):
    full = _FULL_CONTENT.pop(page.file.src_uri, None)
    if full is not None:
        page.content = full
    return context


on_page_context = CombinedEvent(_hand_search_its_text, _put_the_page_back)


_TIMES_MARKER = '<div class="pagecheck-execution-times"></div>'
_TIMES_PAGES: list = []  # (page, files) of pages that show the execution-times table


def _times_table(this_page, files) -> str:
    """The execution-times table: every page this build has seen so far (nav order puts the
    table's own page last)."""
    rows = []
    for display, stat in sorted(STATS.items(), key=lambda item: -item[1]["seconds"]):
        src = display.removeprefix("docs/")
        target = files.get_file_from_path(src)
        link = target.url_relative_to(this_page.file) if target else src
        rows.append(
            f'<tr><td><a href="{html.escape(link)}">{html.escape(src)}</a></td>'
            f'<td>{stat["seconds"]:.2f}</td>'
            f'<td>{"-" if stat["peak_mib"] is None else format(stat["peak_mib"], ".0f")}</td>'
            f'<td>{"yes" if stat["cached"] else "no"}</td></tr>'
        )
    total = sum(stat["seconds"] for stat in STATS.values())
    return (
        '<div class="pagecheck-times"><table><thead><tr><th>page</th><th>seconds</th>'
        "<th>peak memory (MiB)</th><th>from the cache</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody>"
        f'<tfoot><tr><td>all pages</td><td>{total:.2f}</td><td></td><td></td></tr></tfoot></table></div>'
    )


def _line_of(text: str, tex: str) -> int:
    """The page line a formula starts on (found by its first characters)."""
    probe = tex.strip().split("\n")[0][:40]
    for number, line in enumerate(text.split("\n"), 1):
        if probe and probe in line:
            return number
    return 1


_SEARCH_DIALOG = '<div class="md-search" data-md-component="search" role="dialog">'


def on_post_page(output: str, page, config, **kwargs):
    # Material's search dialog has no accessible name; give it one (axe: aria-dialog-name).
    return output.replace(_SEARCH_DIALOG, _SEARCH_DIALOG[:-1] + ' aria-label="Search">', 1)


def on_post_template(output: str, template_name: str, config, **kwargs):
    return on_post_page(output, None, config) if template_name == "404.html" else output


def on_post_build(config, **kwargs):
    MarkdownConverter.counter = 0
    # MkDocs renders pages folder by folder, not in navigation order: the table of execution
    # times is written into its page once every page of this build has run.
    for page, files in _TIMES_PAGES:
        written = Path(config["site_dir"]) / page.file.dest_uri
        if written.is_file():
            text = written.read_text(encoding="utf-8")
            written.write_text(text.replace(_TIMES_MARKER, _times_table(page, files), 1), encoding="utf-8")
    _TIMES_PAGES.clear()


# ---------------------------------------------------------------- the python fence


def validator(language: str, inputs: dict, options: dict, attrs: dict, md) -> bool:
    tag = inputs.pop(FENCE_TAG, None)
    inputs.pop("continuation", None)
    exec_value = inputs.pop("exec", "no").lower() not in {"", "no", "off", "false", "0"}
    for key in list(inputs):
        if key not in {"source", "title", "tabs", "fold"}:
            inputs.pop(key)
    if not exec_value:
        return False
    source = inputs.pop("source", "above")
    options["pagecheck_index"] = int(tag) if tag is not None else None
    options["source"] = "" if source in {"off", "none", "no", ""} else source
    # fold="Plotting code": the code folds away under that summary; its output stays in view.
    options["fold"] = inputs.pop("fold", "").strip()
    options["extra"] = {k: v for k, v in inputs.items() if k == "title"}
    return True


def formatter(src: str, language: str, css_class: str, options: dict, md, **kwargs) -> str:
    state = _state
    index = options.get("pagecheck_index")
    if state is None or index is None:
        log.warning(f"pagecheck: a python fence with exec=\"on\" ran outside a page: {src[:60]!r}")
        return html.escape(src)
    fence = state.page.fences[index]

    state.formatted.add(index)
    produced = {"outputs": 0}

    def run(code: str, **_: Any) -> str:
        position = state.page.code_fences.index(fence)
        last = position == len(state.page.code_fences) - 1
        if not EXECUTE:
            return ""
        if state.entry is not None:  # nothing changed that the code depends on
            saved = state.entry.outputs[position]
            output_text, output_html, figures = saved["text"], saved["html"], saved["figures"]
            if last:
                _report(state.runner.finish())
                STATS[state.runner.display_path] = {
                    "seconds": state.entry.seconds, "peak_mib": state.entry.peak_mib, "cached": True,
                }
                if len(state.runner.checks) > len(state.entry.checks):  # a typed number changed
                    state.entry.checks = state.runner.checks
                    cache.store(state.entry)
        else:
            if state.failed:
                return _note("Not run: a code fence above failed.")
            if position == 0:
                _forget_snippets()  # the page imports afresh: the cache learns what it uses
                state.measure = Measure().__enter__()
            try:
                output = state.runner.run_fence(fence)
            except PageError as error:
                state.failed = True
                state.measure.__exit__(None, None, None)
                log.warning(str(error))
                return _error_block(str(error))
            output_text, output_html, figures = output.text, output.html, output.figures
            state.outputs.append({"text": output_text, "html": output_html, "figures": figures})
            if last:
                state.measure.__exit__(None, None, None)
                _report(state.runner.finish())
                entry = cache.Entry(
                    key=state.key,
                    outputs=state.outputs,
                    values=state.runner.snapshots(),
                    early=state.runner.early,
                    checks=state.runner.checks,
                    imports=cache.snippets_imported(),
                    seconds=state.measure.seconds,
                    peak_mib=state.measure.peak_mib,
                )
                cache.store(entry)  # only reached when every fence ran
                STATS[state.runner.display_path] = {
                    "seconds": entry.seconds, "peak_mib": entry.peak_mib, "cached": False,
                }
        produced["outputs"] = bool(output_text) + len(output_html) + len(figures)
        return _output_html(output_text, output_html, figures)

    # pymdownx.superfences swallows a formatter's exceptions and leaves the fence as it was:
    # nothing may escape from here unreported.
    fold = options.get("fold", "")
    try:
        rendered = base_format(
            language="python",
            run=run,
            code=src,
            md=md,
            html=True,
            source="" if fold else options["source"],
            result="",
            extra=options.get("extra", {}),
            id=f"{state.runner.display_path}:{fence.start_line}",
        )
        if fold:
            rendered = _folded_source(src, fold, md) + str(rendered)
        # The browser tests check that each fence shows as many outputs as it produced.
        return (
            f'<div class="pagecheck-fence" data-source="{state.runner.where(fence.start_line)}" '
            f'data-outputs="{produced["outputs"]}">{rendered}</div>'
        )
    except Exception as error:  # noqa: BLE001
        state.failed = True
        message = f"{state.runner.where(fence.start_line)}: could not render this fence: {error!r}"
        log.warning(message)
        return _error_block(message)


def _folded_source(src: str, summary: str, md) -> str:
    """The fence's code in a closed <details> block (Material styles it as a collapsible
    note): it ran, and is there to read, without pushing the derivation out of view."""
    code = MarkdownConverter(md).convert(code_block("python", src))
    return (
        f'<details class="note pagecheck-source"><summary>{html.escape(summary)}</summary>'
        f"{code}</details>"
    )


def _report(failures: list[str]) -> None:
    for failure in failures:
        log.warning(failure)


def _output_html(text: str, rich: list[str], figures: list[str]) -> str:
    # Outputs are left out of the site search (data-search-exclude): tensors of numbers are
    # noise in its results, and every page would load them into the search index.
    parts = []
    if text:
        parts.append(
            '<div class="pagecheck-output language-text highlight" aria-label="Output" data-search-exclude>'
            f"<pre><span></span><code>{html.escape(text.rstrip())}</code></pre></div>"
        )
    for block in rich:
        parts.append(f'<div class="pagecheck-display" data-search-exclude>{block}</div>')
    for svg in figures:
        parts.append(f'<figure class="pagecheck-figure" data-search-exclude>{svg}</figure>')
    return "\n".join(parts)


def _error_block(message: str) -> str:
    return (
        '<div class="admonition failure"><p class="admonition-title">This code fence failed</p>'
        f"<pre><code>{html.escape(message)}</code></pre></div>"
    )


def _note(message: str) -> str:
    return f'<div class="admonition warning"><p>{html.escape(message)}</p></div>'
