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
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the hooks are loaded by path: make the project importable
    sys.path.insert(0, str(ROOT))

from markdown_exec import base_format, markdown_config  # noqa: E402
from markdown_exec import MarkdownConverter  # noqa: E402

from pagecheck.math import render_page as render_math  # noqa: E402
from pagecheck.page import Page, read_page, render_claims  # noqa: E402
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
    return config


def on_pre_build(config, **kwargs):
    # Under `mkdocs serve` the process lives on between builds: drop the imported snippets
    # so that an edited helper is imported afresh, never served from a stale module.
    for name in [m for m in sys.modules if m == "snippets" or m.startswith("snippets.")]:
        del sys.modules[name]


def on_page_markdown(markdown: str, page, config, files, **kwargs):
    global _state
    path = Path(page.file.abs_src_path)
    # MkDocs hands over the page without its front matter; read the whole file, so that
    # every line number reported is the file's own.
    full = path.read_text(encoding="utf-8")
    start = full.rfind(markdown) if markdown and full.endswith(markdown) else -1
    if start < 0:  # another plugin changed the text: fall back to what we were given
        full, start = markdown, 0
    offset = full[:start].count("\n")
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

    lines = render_claims(full, parsed, glue_token).split("\n")
    for fence in parsed.code_fences:
        if fence.executed:
            k = fence.start_line - 1
            lines[k] = f'{lines[k]} {FENCE_TAG}="{fence.index}"'
    if parsed.claims and not parsed.code_fences:
        _report(runner.finish())
    return "\n".join(lines[offset:])


def on_page_content(content: str, page, config, files, **kwargs):
    global _state
    state = _state
    if state is None:
        return content
    for fence in state.page.code_fences:
        if fence.executed and fence.index not in state.formatted:
            log.warning(
                f"{state.runner.where(fence.start_line)}: this code fence was not run by the build "
                "(is it inside an indented block, or is its header malformed?)"
            )
    for token, key in state.glue_tokens.items():
        value = state.runner.glue.get(key)
        if value is None:
            value = "??"
            if not state.failed:
                log.warning(f"{state.runner.where(key[0])}: glued value was never computed")
        content = content.replace(token, html.escape(value))
    content, math_errors = render_math(content)
    for error in math_errors:
        log.warning(f"{state.runner.where(_line_of(state.page.text, error.tex))}: KaTeX cannot render "
                    f"this formula: {error}")
    _state = None
    return content


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


# ---------------------------------------------------------------- the python fence


def validator(language: str, inputs: dict, options: dict, attrs: dict, md) -> bool:
    tag = inputs.pop(FENCE_TAG, None)
    inputs.pop("continuation", None)
    exec_value = inputs.pop("exec", "no").lower() not in {"", "no", "off", "false", "0"}
    for key in list(inputs):
        if key not in {"source", "title", "tabs"}:
            inputs.pop(key)
    if not exec_value:
        return False
    source = inputs.pop("source", "above")
    options["pagecheck_index"] = int(tag) if tag is not None else None
    options["source"] = "" if source in {"off", "none", "no", ""} else source
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
        if state.failed:
            return _note("Not run: a code fence above failed.")
        try:
            output = state.runner.run_fence(fence)
        except PageError as error:
            state.failed = True
            log.warning(str(error))
            return _error_block(str(error))
        if fence is state.page.code_fences[-1]:
            _report(state.runner.finish())
        produced["outputs"] = bool(output.text) + len(output.html) + len(output.figures)
        return _output_html(output.text, output.html, output.figures)

    # pymdownx.superfences swallows a formatter's exceptions and leaves the fence as it was:
    # nothing may escape from here unreported.
    try:
        rendered = base_format(
            language="python",
            run=run,
            code=src,
            md=md,
            html=True,
            source=options["source"],
            result="",
            extra=options.get("extra", {}),
            id=f"{state.runner.display_path}:{fence.start_line}",
        )
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


def _report(failures: list[str]) -> None:
    for failure in failures:
        log.warning(failure)


def _output_html(text: str, rich: list[str], figures: list[str]) -> str:
    parts = []
    if text:
        parts.append(
            '<div class="pagecheck-output language-text highlight" aria-label="Output">'
            f"<pre><span></span><code>{html.escape(text.rstrip())}</code></pre></div>"
        )
    for block in rich:
        parts.append(f'<div class="pagecheck-display">{block}</div>')
    for svg in figures:
        parts.append(f'<figure class="pagecheck-figure">{svg}</figure>')
    return "\n".join(parts)


def _error_block(message: str) -> str:
    return (
        '<div class="admonition failure"><p class="admonition-title">This code fence failed</p>'
        f"<pre><code>{html.escape(message)}</code></pre></div>"
    )


def _note(message: str) -> str:
    return f'<div class="admonition warning"><p>{html.escape(message)}</p></div>'


__all__ = ["on_config", "on_pre_build", "on_page_markdown", "on_page_content", "on_post_page", "on_post_template", "on_post_build", "validator", "formatter"]
