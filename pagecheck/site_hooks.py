"""MkDocs hooks for what only this site needs, apart from the page checks
(``pagecheck/mkdocs_hooks.py``), which they read from the build's record:

* the execution-times table (About > Execution times), written once every page has run;
* the text the site search indexes: each page's text with its formulas, without the
  fences' outputs and the highlighting's markup;
* the exercise notebooks' pages: nbconvert's scripts from other hosts removed, and
  JupyterLab's stylesheet pruned to what the page uses;
* two template fixes: Material's search dialog gets an accessible name.
"""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the hooks are loaded by path: make the project importable
    sys.path.insert(0, str(ROOT))

from mkdocs.plugins import CombinedEvent, event_priority  # noqa: E402

from pagecheck import unused_css  # noqa: E402

RECORD = "pagecheck_record"  # pagecheck/mkdocs_hooks.py keeps the build's record there
TIMES_PAGES = "pagecheck_times_pages"


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


_NOTEBOOK_SCRIPTS = re.compile(
    r'<script src="">\s*</script>|<!-- MathJax configuration -->.*?<!-- End of mathjax configuration -->'
    r'|<script type="module">\s*document\.addEventListener\("DOMContentLoaded".*?</script>',
    re.S,
)
# What the site search reads of a page: the page with each formula as its text and without
# the fences' outputs (tensors of numbers are noise in search results, and every reader's
# browser loads the index). Handed to the search plugin in place of the page's HTML, and
# the HTML put back right after (on_page_context, before and after the search plugin's).
_OUTPUTS = re.compile(
    r'<div class="pagecheck-output[^"]*"[^>]*><pre>.*?</pre></div>|<figure class="pagecheck-figure"[^>]*>.*?</figure>',
    re.S,
)
# Syntax highlighting's spans and the code lines' anchors add nothing to what search reads
# but tags for its HTML parser to walk: thousands on a page, most of the index's build time.
_INLINE_MARKUP = re.compile(r'</?span\b[^>]*>|<a id="__codelineno[^"]*"[^>]*></a>')
_TIMES_MARKER = '<div class="pagecheck-execution-times"></div>'


def on_config(config, **kwargs):
    config[TIMES_PAGES] = []  # (page, files) of pages that show the execution-times table
    return config


def on_pre_build(config, **kwargs):
    config[TIMES_PAGES].clear()


def on_page_content(content: str, page, config, files, **kwargs):
    if page.file.src_uri.endswith(".ipynb"):
        # nbconvert's page template asks for MathJax and Mermaid from elsewhere; the
        # notebooks use neither, and the site fetches nothing from another host.
        content = _NOTEBOOK_SCRIPTS.sub("", content)
        # ... and it inlines JupyterLab's whole stylesheet, of which the page uses little.
        return unused_css.prune(content)
    check = config[RECORD].pages.get(_rel(Path(page.file.abs_src_path)))
    if check is not None:
        page.search_text = _INLINE_MARKUP.sub("", _OUTPUTS.sub("", check.search_text))
    if _TIMES_MARKER in content:  # filled in after the build, once every page has run
        config[TIMES_PAGES].append((page, files))
    return content


@event_priority(100)
def _hand_search_its_text(context, page, config, nav, **kwargs):
    text = getattr(page, "search_text", None)
    if text is not None:
        page.full_content, page.content = page.content, text
    return context


@event_priority(-100)
def _put_the_page_back(context, page, config, nav, **kwargs):
    full = getattr(page, "full_content", None)
    if full is not None:
        page.content = full
        page.full_content = page.search_text = None
    return context


on_page_context = CombinedEvent(_hand_search_its_text, _put_the_page_back)


def _times_table(this_page, files, stats) -> str:
    """The execution-times table: every page this build has seen so far (nav order puts the
    table's own page last)."""
    rows = []
    for display, stat in sorted(stats.items(), key=lambda item: -item[1]["seconds"]):
        src = display.removeprefix("docs/")
        target = files.get_file_from_path(src)
        link = target.url_relative_to(this_page.file) if target else src
        rows.append(
            f'<tr><td><a href="{html.escape(link)}">{html.escape(src)}</a></td>'
            f'<td>{stat["seconds"]:.2f}</td>'
            f'<td>{"-" if stat["peak_mib"] is None else format(stat["peak_mib"], ".0f")}</td>'
            f'<td>{"yes" if stat["cached"] else "no"}</td></tr>'
        )
    total = sum(stat["seconds"] for stat in stats.values())
    return (
        '<div class="pagecheck-times"><table><thead><tr><th>page</th><th>seconds</th>'
        "<th>peak memory (MiB)</th><th>from the cache</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody>"
        f'<tfoot><tr><td>all pages</td><td>{total:.2f}</td><td></td><td></td></tr></tfoot></table></div>'
    )


_SEARCH_DIALOG = '<div class="md-search" data-md-component="search" role="dialog">'


def on_post_page(output: str, page, config, **kwargs):
    # Material's search dialog has no accessible name; give it one (axe: aria-dialog-name).
    return output.replace(_SEARCH_DIALOG, _SEARCH_DIALOG[:-1] + ' aria-label="Search">', 1)


def on_post_template(output: str, template_name: str, config, **kwargs):
    return on_post_page(output, None, config) if template_name == "404.html" else output


def on_post_build(config, **kwargs):
    # MkDocs renders pages folder by folder, not in navigation order: the table of execution
    # times is written into its page once every page of this build has run.
    stats = config[RECORD].stats
    for page, files in config[TIMES_PAGES]:
        written = Path(config["site_dir"]) / page.file.dest_uri
        if written.is_file():
            text = written.read_text(encoding="utf-8")
            written.write_text(text.replace(_TIMES_MARKER, _times_table(page, files, stats), 1), encoding="utf-8")
    config[TIMES_PAGES].clear()
