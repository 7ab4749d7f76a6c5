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
    errors: list[MathError] = []

    def replace(match: re.Match) -> str:
        tex = html.unescape(match.group("tex"))
        display = match.group("open") == "\\["
        try:
            rendered = render(tex, display)
        except MathError as error:
            errors.append(error)
            return match.group(0)
        # The site search indexes a formula once, as the text of its glyphs (x⋅W), not also
        # as its MathML and TeX source. (Its parser can skip an element only when nothing
        # inside has the same tag: <math>, not KaTeX's nested <span>s.)
        rendered = rendered.replace("<math ", "<math data-search-exclude ", 1)
        return f'<{match.group("tag")} class="arithmatex">{rendered}</{match.group("tag")}>'

    return _ARITHMATEX.sub(replace, content), errors
