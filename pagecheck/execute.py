"""Run a page's code fences in one namespace, capturing what each prints and draws.

Code is compiled with the page's path as file name and the page's own line numbers, so a
traceback from a fence points at ``docs/page.md`` line N. Printed output, warnings,
displays (objects with ``_repr_html_``) and matplotlib figures of each fence are captured
for the build to show under the fence.
"""

from __future__ import annotations

import ast
import contextlib
import io
import random
import traceback
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pagecheck.page import Fence, Page

SEED = 0


class PageError(Exception):
    """A fence raised, or a claim does not hold. The message starts with 'page:line:'."""


@dataclass
class FenceOutput:
    text: str = ""
    figures: list[str] = field(default_factory=list)  # inline SVG markup
    html: list[str] = field(default_factory=list)  # rich displays (objects with _repr_html_)


def reset_random_state(seed: int = SEED) -> None:
    """Seed every generator, and run torch on one thread: a float32 reduction split across
    threads adds in another order, so a page's last bits (and its "exact" rows) would
    depend on the machine's core count; and two test workers with a thread pool each
    would fight over two cores."""
    random.seed(seed)
    try:
        import numpy as np

        np.random.seed(seed)
    except ImportError:  # pragma: no cover
        pass
    try:
        import torch

        torch.manual_seed(seed)
        torch.set_num_threads(1)
    except ImportError:  # pragma: no cover
        pass


def reset_figure_style() -> None:
    """Every page draws with the same matplotlib settings, whatever ran before it in this
    process: matplotlib's defaults with the site's style (``snippets.figures``). A page that
    draws without importing that style itself would otherwise draw differently in a fresh
    process and in one where another page had imported it, and fail the check that a page
    draws the same every time it runs."""
    try:
        import matplotlib

        from snippets import figures
    except ImportError:  # pragma: no cover  (a page without figures, or without the helpers)
        return
    matplotlib.rcdefaults()
    figures.use_site_style()


def _collect_figures() -> list[str]:
    import sys

    if "matplotlib.pyplot" not in sys.modules:
        return []
    import matplotlib.pyplot as plt

    from snippets.figures import figure_to_svg

    svgs = [figure_to_svg(plt.figure(num)) for num in plt.get_fignums()]
    plt.close("all")
    return svgs


def _is_figure_artist(value: Any) -> bool:
    """Matplotlib calls such as plt.plot(...) return artists: the figure shows them, not a repr."""
    module = type(value).__module__ or ""
    if module.startswith("matplotlib"):
        return True
    return isinstance(value, list) and bool(value) and all(_is_figure_artist(v) for v in value)


def _pad(code: str, first_line: int) -> str:
    """Prefix blank lines so that line numbers in tracebacks are the page's line numbers."""
    return "\n" * (first_line - 1) + code


class FenceRunner:
    """Runs one page's fences, in order, in one namespace."""

    def __init__(self, page: Page, display_path: str | None = None) -> None:
        self.page = page
        self.display_path = display_path or str(page.path)
        self.namespace: dict[str, Any] = {"__name__": "__page__", "__file__": self.display_path}
        self.ran: list[int] = []
        self.last_value: Any = None  # the value of the last fence's final expression, if any

    def where(self, line: int) -> str:
        return f"{self.display_path}:{line}"

    def _compile(self, fence: Fence) -> tuple[Any, Any]:
        """Compile a fence; like a notebook cell, a final bare expression is displayed."""
        source = _pad(fence.code, fence.code_line)
        try:
            tree = ast.parse(source, self.display_path)
        except SyntaxError as error:
            raise PageError(
                f"{self.where(error.lineno or fence.code_line)}: code fence has a syntax error: {error.msg}"
            ) from error
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = compile(ast.Expression(tree.body.pop().value), self.display_path, "eval")
        return compile(tree, self.display_path, "exec", dont_inherit=True), last

    def run_fence(self, fence: Fence) -> FenceOutput:
        if not self.ran:  # the page starts from the same state wherever it is run
            reset_random_state()
            reset_figure_style()
        body, last = self._compile(fence)
        buffer = io.StringIO()
        output = FenceOutput()
        shown = None
        text = ""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                with contextlib.redirect_stdout(buffer):
                    exec(body, self.namespace)
                    if last is not None:
                        shown = eval(last, self.namespace)
                    if shown is not None:  # rendering a display is part of running the fence
                        if hasattr(shown, "_repr_html_"):
                            output.html.append(shown._repr_html_())
                        elif not _is_figure_artist(shown):
                            text = repr(shown) + "\n"
            except Exception as error:
                _collect_figures()
                raise PageError(self._describe_failure(fence, error)) from error
        text = buffer.getvalue() + text
        for warning in caught:
            text += f"{warning.category.__name__}: {warning.message}\n"
        output.text = text
        try:
            output.figures = _collect_figures()
        except Exception as error:  # noqa: BLE001
            raise PageError(self._describe_failure(fence, error)) from error
        self.ran.append(fence.index)
        self.last_value = shown
        self.after_fence(fence)
        return output

    def _describe_failure(self, fence: Fence, error: BaseException) -> str:
        frames = [
            f for f in traceback.extract_tb(error.__traceback__) if f.filename == self.display_path
        ]
        line = frames[-1].lineno if frames else fence.code_line
        page_lines = self.page.text.split("\n")
        snippet = page_lines[line - 1].strip() if 0 < line <= len(page_lines) else ""
        detail = "".join(traceback.format_exception_only(type(error), error)).strip()
        return f"{self.where(line)}: code fence raised {detail}\n    {line} | {snippet}"

    def after_fence(self, fence: Fence) -> None:
        """Called once a fence has run (the claim checker notes what its claims are here)."""
