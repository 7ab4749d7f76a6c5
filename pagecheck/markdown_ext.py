"""The page checks as a Python-Markdown extension: any generator that converts pages with
Python-Markdown (MkDocs, Zensical, ProperDocs) runs each page's code and checks its numbers
through it. The work is ``pagecheck.core.PageCheck``'s; this module connects it to the
converter, in three places:

* a preprocessor, before ``pymdownx.snippets``: it finds the page being converted (the
  ``path`` option, which an adapter sets page by page, or else the generator's rendering
  context), makes its ``PageCheck`` and hands the converter the Markdown to read (claims
  as their typed text, fences tagged with their index);
* the fence formatter, declared for ``python`` fences under ``pymdownx.superfences`` in
  ``mkdocs.yml`` (``validator`` and ``formatter`` below): it runs the fence and renders its
  source with its output, with markdown-exec's rendering;
* a postprocessor, last: it finishes the page (even when its last fence never reached the
  formatter), fills in the glued values, renders the math, and reports the page's
  diagnostics: logged as warnings (``on_problem: log``), or raised, which stops the build
  at the first page with a problem (``on_problem: raise``, the default), or kept for the
  adapter (``on_problem: keep``).

A conversion inside a conversion (markdown-exec renders a fence's source with a Markdown
instance of its own) is not a page: the preprocessor leaves any text that is not the end of
the page's file alone.

In ``mkdocs.yml``::

    markdown_extensions:
      - pagecheck.markdown_ext
      - pymdownx.superfences:
          custom_fences:
            - name: python
              class: python
              validator: !!python/name:pagecheck.markdown_ext.validator
              format: !!python/name:pagecheck.markdown_ext.formatter
"""

from __future__ import annotations

import html
import logging
from pathlib import Path
from typing import Any

from markdown import Extension, Markdown
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import Preprocessor

from pagecheck.core import FENCE_TAG, Diagnostic, PageCheck

NAME = "pagecheck.markdown_ext"


class PageProblems(Exception):
    """A page did not pass its checks (``on_problem: raise``): one line per diagnostic."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        super().__init__("\n".join(map(str, diagnostics)))


class PageCheckExtension(Extension):
    def __init__(self, **kwargs: Any) -> None:
        self.config = {
            "path": ["", "the page being converted, set page by page by an adapter; when empty, "
                         "the generator's rendering context is asked (Zensical's)"],
            "docs_dir": ["docs", "where the pages are, for a context that names them relative to it"],
            "on_problem": ["raise", "what to do with a page's diagnostics: raise, log or keep"],
            "logger": ["pagecheck", "the logger that 'log' writes warnings to"],
            # (not None by default: Python-Markdown would read a value given for it as a boolean)
            "record": ["", "a dict the adapter reads after each page: the page's path -> its PageCheck"],
        }
        super().__init__(**kwargs)

    def extendMarkdown(self, md: Markdown) -> None:
        md.registerExtension(self)
        md.preprocessors.register(_Prepare(md, self), "pagecheck", 40)
        md.postprocessors.register(_Finish(md, self), "pagecheck", 5)

    def page_path(self, md: Markdown) -> Path | None:
        path = self.getConfig("path")
        if path:
            return Path(path)
        try:  # Zensical keeps the page being rendered in a preprocessor of its own
            from zensical.extensions.context import ContextPreprocessor
        except ImportError:
            return None
        context = ContextPreprocessor.from_markdown(md)
        if context is None or not getattr(context.page, "path", None):
            return None
        found = Path(context.page.path)
        return found if found.is_absolute() else Path(self.getConfig("docs_dir")) / found


class _Prepare(Preprocessor):
    def __init__(self, md: Markdown, extension: PageCheckExtension) -> None:
        super().__init__(md)
        self.extension = extension

    def run(self, lines: list[str]) -> list[str]:
        md = self.md
        md.pagecheck = None
        path = self.extension.page_path(md)
        if path is None or path.suffix != ".md" or not path.is_file():
            return lines
        text = "\n".join(lines)
        if not path.read_text(encoding="utf-8").endswith(text):  # not the page: a fragment
            return lines
        check = PageCheck(path, text)
        md.pagecheck = check
        record = self.extension.getConfig("record")
        if isinstance(record, dict):
            record[check.display] = check
        return check.markdown().split("\n")


class _Finish(Postprocessor):
    def __init__(self, md: Markdown, extension: PageCheckExtension) -> None:
        super().__init__(md)
        self.extension = extension

    def run(self, text: str) -> str:
        check: PageCheck | None = getattr(self.md, "pagecheck", None)
        if check is None:
            return text
        text = check.fill(text)
        action = self.extension.getConfig("on_problem")
        if action == "log":
            for problem in check.diagnostics:
                logging.getLogger(self.extension.getConfig("logger")).warning(str(problem))
        elif action == "raise" and check.diagnostics:
            raise PageProblems(check.diagnostics)
        return text


def makeExtension(**kwargs: Any) -> PageCheckExtension:
    return PageCheckExtension(**kwargs)


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
    from markdown_exec import base_format

    check: PageCheck | None = getattr(md, "pagecheck", None)
    index = options.get("pagecheck_index")
    if check is None or index is None:
        logging.getLogger("pagecheck").warning(
            f"pagecheck: a python fence with exec=\"on\" ran outside a page: {src[:60]!r}")
        return html.escape(src)
    fence = check.page.fences[index]
    shown = {"outputs": 0}

    def run(code: str, **_: Any) -> str:
        result = check.run_fence(index)
        if result.skipped:
            return _note("Not run: a code fence above failed.")
        if result.error is not None:
            return _error_block(str(result.error))
        shown["outputs"] = result.count
        return _output_html(result.text, result.html, result.figures)

    # pymdownx.superfences swallows a formatter's exceptions and leaves the fence as it was:
    # nothing may escape from here unreported.
    fold = options.get("fold", "")
    where = check.runner.where(fence.start_line)
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
            id=where,
        )
        if fold:
            rendered = _folded_source(src, fold, md) + str(rendered)
        # The browser tests check that each fence shows as many outputs as it produced.
        return (
            f'<div class="pagecheck-fence" data-source="{where}" '
            f'data-outputs="{shown["outputs"]}">{rendered}</div>'
        )
    except Exception as error:  # noqa: BLE001
        check.failed = True
        problem = Diagnostic(check.display, fence.start_line, f"could not render this fence: {error!r}")
        check.diagnostics.append(problem)
        return _error_block(str(problem))


def _folded_source(src: str, summary: str, md) -> str:
    """The fence's code in a closed <details> block (Material styles it as a collapsible
    note): it ran, and is there to read, without pushing the derivation out of view."""
    from markdown_exec import MarkdownConverter, code_block

    code = MarkdownConverter(md).convert(code_block("python", src))
    return (
        f'<details class="note pagecheck-source"><summary>{html.escape(summary)}</summary>'
        f"{code}</details>"
    )


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
