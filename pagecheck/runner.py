"""Run a page's code fences in one namespace and check its claims, fence by fence.

Code is compiled with the page's path as file name and the page's own line numbers, so a
traceback from a fence points at ``docs/page.md`` line N. Printed output, warnings and
matplotlib figures of each fence are captured for the build to show under the fence.
"""

from __future__ import annotations

import contextlib
import io
import random
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pagecheck import numbers
from pagecheck.page import Claim, Fence, Page

SEED = 0


class PageError(Exception):
    """A fence raised, or a claim does not hold. The message starts with 'page:line:'."""


@dataclass
class FenceOutput:
    text: str = ""
    figures: list[str] = field(default_factory=list)  # inline SVG markup


def reset_random_state(seed: int = SEED) -> None:
    random.seed(seed)
    try:
        import numpy as np

        np.random.seed(seed)
    except ImportError:  # pragma: no cover
        pass
    try:
        import torch

        torch.manual_seed(seed)
    except ImportError:  # pragma: no cover
        pass


def _collect_figures() -> list[str]:
    import sys

    if "matplotlib.pyplot" not in sys.modules:
        return []
    import matplotlib.pyplot as plt

    from snippets.figures import figure_to_svg

    svgs = [figure_to_svg(plt.figure(num)) for num in plt.get_fignums()]
    plt.close("all")
    return svgs


def _pad(code: str, first_line: int) -> str:
    """Prefix blank lines so that line numbers in tracebacks are the page's line numbers."""
    return "\n" * (first_line - 1) + code


class PageRunner:
    """Runs one page's fences, in order, in one namespace."""

    def __init__(self, page: Page, display_path: str | None = None) -> None:
        self.page = page
        self.display_path = display_path or str(page.path)
        self.namespace: dict[str, Any] = {"__name__": "__page__", "__file__": self.display_path}
        self.ran: list[int] = []
        self.glue: dict[tuple[int, int], str] = {}
        reset_random_state()

    def where(self, line: int) -> str:
        return f"{self.display_path}:{line}"

    def run_fence(self, fence: Fence, capture: bool = True) -> FenceOutput:
        compiled = compile(_pad(fence.code, fence.code_line), self.display_path, "exec", dont_inherit=True)
        buffer = io.StringIO()
        output = FenceOutput()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                if capture:
                    with contextlib.redirect_stdout(buffer):
                        exec(compiled, self.namespace)
                else:
                    exec(compiled, self.namespace)
            except Exception as error:
                _collect_figures()
                raise PageError(self._describe_failure(fence, error)) from error
        text = buffer.getvalue()
        for warning in caught:
            text += f"{warning.category.__name__}: {warning.message}\n"
        output.text = text
        output.figures = _collect_figures()
        self.ran.append(fence.index)
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

    def check_claims(self, claims: list[Claim]) -> list[str]:
        """Evaluate claims in the page namespace; return one message per failed claim."""
        failures = []
        for claim in claims:
            try:
                value = eval(compile(claim.expr, self.display_path, "eval"), self.namespace)
            except Exception as error:  # noqa: BLE001
                detail = "".join(traceback.format_exception_only(type(error), error)).strip()
                failures.append(
                    f"{self.where(claim.line)}: claim {claim.raw} could not be evaluated: {detail}"
                )
                continue
            if claim.typed is None:
                try:
                    self.glue[(claim.line, claim.column)] = numbers.format_value(value)
                except numbers.TypedValueError as error:
                    failures.append(f"{self.where(claim.line)}: glue {claim.raw}: {error}")
                continue
            try:
                problem = compare_claim(claim.typed, value)
            except numbers.TypedValueError as error:
                problem = str(error)
            if problem:
                failures.append(f"{self.where(claim.line)}: claim {claim.raw} does not hold: {problem}")
        return failures

    def run_all(self) -> list[str]:
        """Run every fence and check every claim. Returns the failures (empty: page holds)."""
        failures = [f"{self.where(p.line)}: {p.message}" for p in self.page.problems]
        if failures:
            return failures
        code = self.page.code_fences
        if not code:
            return self.check_claims(self.page.claims)
        for fence in code:
            try:
                self.run_fence(fence)
            except PageError as error:
                return failures + [str(error)]
            failures += self.check_claims(self.page.claims_after(fence.index))
        return failures


def compare_claim(typed: str, value: Any) -> str | None:
    """Compare typed text with a value: sympy expressions symbolically, anything else numerically."""
    try:
        import sympy
    except ImportError:  # pragma: no cover
        sympy = None
    if sympy is not None and isinstance(value, sympy.Basic) and value.free_symbols:
        return _compare_formula(typed, value)
    if sympy is not None and isinstance(value, sympy.Basic):
        value = float(value)
    try:
        numbers.parse_typed(typed)
    except numbers.TypedValueError:
        return _compare_arithmetic(typed, value)
    return numbers.compare(typed, value)


def _compare_arithmetic(typed: str, value: Any) -> str | None:
    """Typed LaTeX arithmetic such as ``12 \\cdot 2^{11}``: exact, up to float32 rounding."""
    from sympy.parsing.latex import parse_latex

    try:
        parsed = parse_latex(typed, backend="lark")
        if parsed.free_symbols:
            raise ValueError(f"it has symbols {sorted(map(str, parsed.free_symbols))}")
        expected = float(parsed)
    except Exception as error:  # noqa: BLE001
        return f"{typed!r} is neither a number, a vector nor LaTeX arithmetic ({error})"
    actual, _ = numbers.to_floats(value)
    if len(actual) != 1:
        return f"{typed!r} is one number but the value has {len(actual)}"
    if abs(actual[0] - expected) <= numbers.FRACTION_RTOL * max(1.0, abs(expected)):
        return None
    return f"{typed!r} is {expected!r} but the value is {actual[0]!r}"


def _compare_formula(typed: str, value: Any) -> str | None:
    import sympy
    from sympy.parsing.latex import parse_latex

    try:
        parsed = parse_latex(typed, backend="lark")
    except Exception as error:  # noqa: BLE001
        return f"the typed formula {typed!r} does not parse as LaTeX: {error}"
    by_name = {_plain(s.name): s for s in value.free_symbols}
    parsed = parsed.subs({s: by_name.get(_plain(s.name), s) for s in parsed.free_symbols})
    if sympy.simplify(parsed - value) == 0:
        return None
    return f"the typed formula is {parsed}, but the derivation gives {sympy.expand(value)}"


def _plain(name: str) -> str:
    return name.replace("{", "").replace("}", "").replace("\\", "")


def run_page(path: Path, display_path: str | None = None) -> list[str]:
    from pagecheck.page import read_page

    return PageRunner(read_page(path), display_path).run_all()
