"""Render the pages' math at build time with KaTeX, so the browser receives finished HTML.

pymdownx.arithmatex (generic mode) wraps each formula in ``<span class="arithmatex">\\(...\\)
</span>`` or ``<div class="arithmatex">\\[...\\]</div>``. Here each one is rendered with KaTeX
(``pagecheck/vendor/katex.min.js``, the same release as the stylesheet and fonts served from
``docs/assets/vendor/katex/``) running in V8 through mini-racer. The reader's browser then
needs only KaTeX's CSS and fonts: no script, no layout shift as formulas appear, and a
formula KaTeX cannot parse is a build error that names the page and line.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from pathlib import Path

KATEX_JS = Path(__file__).resolve().parent / "vendor" / "katex.min.js"

_ARITHMATEX = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">(?P<open>\\\(|\\\[)(?P<tex>.*?)(?P<close>\\\)|\\\])</(?P=tag)>',
    re.S,
)


class MathError(ValueError):
    """KaTeX cannot render a formula."""

    def __init__(self, tex: str, message: str) -> None:
        super().__init__(message)
        self.tex = tex


@lru_cache(maxsize=1)
def _katex():
    from py_mini_racer import MiniRacer

    context = MiniRacer()
    context.eval(KATEX_JS.read_text(encoding="utf-8"))
    return context


def render(tex: str, display: bool) -> str:
    try:
        return _katex().call(
            "katex.renderToString", tex, {"displayMode": display, "throwOnError": True, "output": "htmlAndMathml"}
        )
    except Exception as error:  # noqa: BLE001  (py_mini_racer's JSEvalException)
        message = str(error).split("\n")[0]
        message = re.sub(r"^.*?ParseError: ", "", message)
        raise MathError(tex, message) from None


def render_page(content: str) -> tuple[str, list[MathError]]:
    """Render every arithmatex formula in a page's HTML; collect the ones KaTeX rejects."""
    rendered, _, errors = render_page_and_text(content)
    return rendered, errors


_TAG = re.compile(r"<[^>]*>")


def render_page_and_text(content: str) -> tuple[str, str, list[MathError]]:
    """As render_page, and the same page with each formula as the text of its glyphs
    (x⋅W), which is what the site search indexes of it: reading that page instead of one
    with thousands of KaTeX elements is most of the search index's build time."""
    errors: list[MathError] = []
    texts: list[str] = []

    def replace(match: re.Match) -> str:
        tex = html.unescape(match.group("tex"))
        display = match.group("open") == "\\["
        try:
            rendered = render(tex, display)
        except MathError as error:
            errors.append(error)
            texts.append(match.group(0))
            return match.group(0)
        glyphs = rendered.split('<span class="katex-html"', 1)[-1]
        texts.append(f'<{match.group("tag")} class="arithmatex">{_TAG.sub("", "<" + glyphs)}</{match.group("tag")}>')
        return f'<{match.group("tag")} class="arithmatex">{rendered}</{match.group("tag")}>'

    rendered_page = _ARITHMATEX.sub(replace, content)
    text_iter = iter(texts)
    text_page = _ARITHMATEX.sub(lambda _: next(text_iter), content)
    return rendered_page, text_page, errors
