"""Run a page's code fences in one namespace and check its claims, fence by fence.

Code is compiled with the page's path as file name and the page's own line numbers, so a
traceback from a fence points at ``docs/page.md`` line N. Printed output, warnings and
matplotlib figures of each fence are captured for the build to show under the fence.
"""

from __future__ import annotations

import ast
import contextlib
import io
import random
import re
import traceback
import warnings
from functools import lru_cache
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pagecheck import numbers

if TYPE_CHECKING:  # a downloaded page's check (pagecheck.notebook) needs no Markdown reader
    from pagecheck.page import Claim, Fence, Page

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


class PageRunner:
    """Runs one page's fences, in order, in one namespace."""

    def __init__(self, page: Page, display_path: str | None = None) -> None:
        self.page = page
        self.display_path = display_path or str(page.path)
        self.namespace: dict[str, Any] = {"__name__": "__page__", "__file__": self.display_path}
        self.ran: list[int] = []
        self.glue: dict[tuple[int, int], str] = {}
        self.early: dict[str, Any] = {}  # "fence index|expr" -> snapshot just below that fence
        self.cached_values: dict[str, Any] | None = None  # expr -> snapshot, from the cache
        self.checks: dict[str, str] = {}  # "expr\0typed" -> "" (holds) or why not; cached too

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
        if not self.ran:  # the page starts from the same random state wherever it is run
            reset_random_state()
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
        self.note_claims_after(fence)
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

    def _evaluate(self, claim: Claim) -> Any:
        return eval(compile(claim.expr, self.display_path, "eval"), self.namespace)

    def _value(self, claim: Claim) -> Any:
        """The claim's value: evaluated in the namespace, or rebuilt from the cache."""
        if self.cached_values is None:
            return self._evaluate(claim)
        record = self.cached_values[claim.expr]
        if "error" in record:
            raise ClaimError(record["error"])
        return from_snapshot(record)

    def note_claims_after(self, fence: Fence) -> None:
        """Remember what the claims just below this fence evaluate to right here.

        Claims are checked once the page has run to the end (a derivation may state a number
        before the code that computes it). If a name a claim uses is later given another
        value, the claim would be checked against the wrong thing: ``finish`` reports that.
        """
        for claim in self.page.claims_after(fence.index):
            try:
                self.early[f"{fence.index}|{claim.expr}"] = snapshot(self._evaluate(claim))
            except Exception:  # noqa: BLE001  (not computed yet: fine, it is checked at the end)
                pass

    def snapshots(self) -> dict[str, Any]:
        """Every claim's and glue's value after the page ran, as JSON-able snapshots."""
        found: dict[str, Any] = {}
        for claim in self.page.claims:
            if claim.expr in found:
                continue
            try:
                value = self._evaluate(claim)
                found[claim.expr] = snapshot(value)
                if claim.typed is None:  # a glue: keep what it shows, so a rebuild need not
                    found[claim.expr]["glue"] = numbers.format_value(value)
            except Exception as error:  # noqa: BLE001
                found[claim.expr] = {"error": "".join(traceback.format_exception_only(type(error), error)).strip()}
        return found

    def finish(self, claims: list[Claim] | None = None) -> list[str]:
        """Check every claim of the page against the namespace the whole page left behind."""
        failures = []
        for claim in self.page.claims if claims is None else claims:
            if self.cached_values is not None:  # same value as last time: reuse what is known
                record = self.cached_values.get(claim.expr, {})
                if claim.typed is None and "glue" in record:
                    self.glue[(claim.line, claim.column)] = record["glue"]
                    continue
                known = self.checks.get(f"{claim.expr}\0{claim.typed}")
                if claim.typed is not None and known is not None:
                    if known:
                        failures.append(f"{self.where(claim.line)}: claim {claim.raw} does not hold: {known}")
                    continue
            try:
                value = self._value(claim)
            except ClaimError as error:
                failures.append(f"{self.where(claim.line)}: claim {claim.raw} could not be evaluated: {error}")
                continue
            except Exception as error:  # noqa: BLE001
                detail = "".join(traceback.format_exception_only(type(error), error)).strip()
                failures.append(
                    f"{self.where(claim.line)}: claim {claim.raw} could not be evaluated: {detail}"
                )
                continue
            early = self.early.get(f"{claim.after_fence}|{claim.expr}")
            if early is not None and early != snapshot(value):
                failures.append(
                    f"{self.where(claim.line)}: claim {claim.raw} changes value further down the page "
                    f"(a name it uses is reassigned, or a tensor modified in place, after this line); "
                    f"give the later value another name"
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
            self.checks[f"{claim.expr}\0{claim.typed}"] = problem or ""
            if problem:
                failures.append(f"{self.where(claim.line)}: claim {claim.raw} does not hold: {problem}")
        return failures

    def run_all(self) -> list[str]:
        """Run every fence and check every claim. Returns the failures (empty: page holds)."""
        failures = [f"{self.where(p.line)}: {p.message}" for p in self.page.problems]
        if failures:
            return failures
        for fence in self.page.code_fences:
            try:
                self.run_fence(fence)
            except PageError as error:
                return [str(error)]
        return self.finish()


class ClaimError(Exception):
    """A claim's expression failed when the page ran (remembered by the cache)."""


def snapshot(value: Any) -> dict[str, Any]:
    """A JSON-able record of a value, enough to compare it with a typed number again."""
    if isinstance(value, str):
        return {"str": value}
    try:
        import sympy

        if isinstance(value, sympy.Basic) and value.free_symbols:
            return {"sympy": sympy.srepr(value)}
    except ImportError:  # pragma: no cover
        pass
    try:
        floats, shape = numbers.to_floats(value)
    except numbers.TypedValueError:
        return {"repr": repr(value)}
    return {"floats": [f if f == f else "nan" for f in floats], "shape": list(shape)}


def from_snapshot(record: dict[str, Any]) -> Any:
    if "str" in record:
        return record["str"]
    if "sympy" in record:
        import sympy

        return eval(record["sympy"], vars(sympy))  # srepr is sympy's own constructor syntax
    if "floats" in record:
        import numpy as np

        floats = [float("nan") if f == "nan" else f for f in record["floats"]]
        return np.array(floats, dtype=np.float64).reshape(record["shape"])
    raise ClaimError(f"the value {record['repr']} is not a number")


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
    try:
        parsed = parse_tex(typed)
        if parsed.free_symbols:
            raise ValueError(f"it has symbols {sorted(map(str, parsed.free_symbols))}")
        expected = float(parsed)
    except Exception as error:  # noqa: BLE001
        return f"{typed!r} is neither a number, a vector nor LaTeX arithmetic ({error})"
    actual, _ = numbers.to_floats(value)
    if len(actual) != 1:
        return f"{typed!r} is one number but the value has {len(actual)}"
    if abs(actual[0] - expected) <= numbers.fraction_tolerance(expected):
        return None
    return f"{typed!r} is {expected!r} but the value is {actual[0]!r}"


def parse_tex(typed: str):
    """Parse typed LaTeX with sympy's LaTeX parser (lark backend).

    The parser reads ``12x^{11}`` but not ``3 \\cdot 3b^2``; where it fails, the implicit
    products (a digit followed by a letter) are written out and the parse is tried again.
    Names written ``\\text{error}`` or ``\\operatorname{error}`` are read as one symbol.
    Parsing takes about a tenth of a second, so results are remembered, in this process and
    in the cache folder (keyed by the text and sympy's version).
    """
    import sympy

    result = _parse_tex_memo(typed, sympy.__version__)
    if isinstance(result, str):
        raise ValueError(result)
    return result


@lru_cache(maxsize=4096)
def _parse_tex_memo(typed: str, sympy_version: str):
    import sympy

    from pagecheck import cache

    stored = cache.load_text("latex", f"{sympy_version}\0{typed}")
    if stored is not None:
        kind, _, body = stored.partition("\n")
        # srepr may show a symbol's name as the lark Token it was parsed from.
        namespace = {**vars(sympy), "Token": lambda *parts: str(parts[-1])}
        return eval(body, namespace) if kind == "expr" else body
    try:
        result = _parse_tex_uncached(typed)
        cache.store_text("latex", f"{sympy_version}\0{typed}", "expr\n" + sympy.srepr(result))
    except ValueError as error:
        result = str(error)
        cache.store_text("latex", f"{sympy_version}\0{typed}", "error\n" + result)
    return result


def _parse_tex_uncached(typed: str):
    import sympy
    from sympy.parsing.latex import parse_latex

    def parse(text: str):
        # An ambiguous parse comes back as a lark Tree rather than an error.
        result = parse_latex(text, backend="lark")
        if not isinstance(result, sympy.Basic):
            raise ValueError(f"ambiguous LaTeX: {text!r}")
        # Symbol names come back as lark tokens: make them plain strings (and picklable).
        return result.xreplace({s: sympy.Symbol(str(s.name)) for s in result.free_symbols})

    typed = re.sub(r"\\(?:text|operatorname|mathrm)\{", r"\\mathit{", typed)
    typed = re.sub(r"(?<=\d)(?:\{,\}|\\,)(?=\d{3})", "", typed)  # 6{,}144 is 6144
    try:
        return parse(typed)
    except Exception as first_error:  # noqa: BLE001
        explicit = re.sub(r"(?<![_^\\\w])(\d+(?:\.\d+)?)\s*(?=[a-zA-Z(]|\\(?!cdot|times))", r"\1 \\cdot ", typed)
        try:
            return parse(explicit)
        except Exception:  # noqa: BLE001
            raise ValueError(str(first_error).strip().splitlines()[0]) from None


def _compare_formula(typed: str, value: Any) -> str | None:
    import sympy

    try:
        parsed = parse_tex(typed)
    except Exception as error:  # noqa: BLE001
        return f"the typed formula {typed!r} does not parse as LaTeX: {error}"
    by_name = {_plain(s.name): s for s in value.free_symbols}
    parsed = parsed.subs({s: by_name.get(_plain(s.name), s) for s in parsed.free_symbols})
    if sympy.simplify(parsed - value) == 0:
        return None
    return f"the typed formula is {parsed}, but the derivation gives {sympy.expand(value)}"


def _plain(name: str) -> str:
    return name.replace("{", "").replace("}", "").replace("\\", "")

