"""The drift check's perturbations: change a hand-written gradient line, and the page must fail
because a comparison with autograd (or a stated number) no longer holds.

Every statement that assigns to a ``grad_*`` name has its right-hand side replaced by
``__drift__(rhs)``, which is ``rhs * 1.5 + 0.37`` for a number or a tensor and the same for
each entry of a list, a tuple or a sympy matrix (a statement over several lines is perturbed
whole). The perturbed
page is run from the fence that holds the statement to the end: the fences above it are not
run again. The page is run once, fence by fence, and just before a fence that holds
perturbation sites the process forks, once per site: the child has the namespace exactly as
the fences above left it, runs the perturbed fence and every fence after it, checks the
page's claims, and reports its first failure to the parent through a pipe.

A perturbation counts as caught only for the right reason: a gradient comparison failed
(``GradientMismatch``, raised by ``snippets.compare.compare_grads``; or an ``assert`` in the
page's code, which is how a page compares a number with autograd's), or a stated number no
longer holds. A syntax error, a name error or any other failure is reported as not caught,
with what happened instead.
"""

from __future__ import annotations

import ast
import gc
import importlib
import json
import os
import re
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from pagecheck.page import Fence, Page, _split_claim, read_page
from pagecheck.runner import PageError, PageRunner

GRADIENT_LINE = re.compile(
    r"^(?P<lhs>\s*grad_\w+(?:\[[^=]*?\])?\s*(?:\+|-)?=(?!=)\s*)(?P<rhs>[^#]*?)(?P<rest>\s*(?:#.*)?)$"
)
CODE_AND_COMMENT = re.compile(r"^(?P<code>[^#]*?)(?P<rest>\s*(?:#.*)?)$")
# What a failure message says when the reason is the right one.
_COMPARISON_FAILED = re.compile(r"^(?P<where>\S+:\d+): code fence raised (?:snippets\.compare\.GradientMismatch|AssertionError)")
_CLAIM_FAILED = re.compile(r"^(?P<where>\S+:\d+): claim .* does not hold")


@dataclass
class Outcome:
    """What one perturbed statement did to its page."""

    first: int  # the statement's first line on the page
    statement: str
    failure: str | None  # the page's first failure, None if it passed

    @property
    def caught_at(self) -> str | None:
        """``page:line`` of the comparison or claim that caught it, or None."""
        if self.failure is None:
            return None
        match = _COMPARISON_FAILED.match(self.failure) or _CLAIM_FAILED.match(self.failure)
        return match.group("where") if match else None

    def describe(self, display_path: str) -> str:
        where = f"{display_path}:{self.first}: {self.statement}"
        if self.failure is None:
            return f"{where}\n    the page still passes"
        return f"{where}\n    failed for another reason: {self.failure.splitlines()[0]}"


def _balance(text: str) -> int:
    return sum(text.count(c) for c in "([{") - sum(text.count(c) for c in ")]}")


def gradient_statements(page: Page) -> list[tuple[int, int]]:
    """(first line, last line) of every statement assigning to a grad_* name; a statement
    continued over several lines (open brackets) runs to the line that closes them."""
    found = []
    for fence in page.code_fences:
        code_lines = fence.code.split("\n")
        for offset, line in enumerate(code_lines):
            match = GRADIENT_LINE.match(line)
            if not match:
                continue
            depth, last = _balance(match.group("rhs")), offset
            while depth > 0 and last + 1 < len(code_lines):
                last += 1
                depth += _balance(CODE_AND_COMMENT.match(code_lines[last]).group("code"))
            found.append((fence.code_line + offset, fence.code_line + last))
    return found


def drift(value):
    """What a perturbed gradient statement assigns: ``value * 1.5 + 0.37``, entry by entry for
    a list, a tuple or a sympy matrix. It leaves only -0.74 unchanged, a value no gradient on
    the site takes (``* 1.5 + 1`` would have left a gradient of -2 as it was)."""
    if isinstance(value, (list, tuple)):
        return type(value)(drift(v) for v in value)
    if hasattr(value, "applyfunc"):  # a sympy matrix: no scalar can be added to it
        return value.applyfunc(drift)
    return value * 1.5 + 0.37


def perturbed(lines: list[str], first: int, last: int) -> list[str]:
    """The statement's right-hand side becomes ``__drift__(rhs)`` (lines are 1-based)."""
    altered = list(lines)
    match = GRADIENT_LINE.match(lines[first - 1])
    if first == last:
        altered[first - 1] = f"{match.group('lhs')}__drift__({match.group('rhs')}){match.group('rest')}"
        return altered
    altered[first - 1] = f"{match.group('lhs')}__drift__({match.group('rhs')}{match.group('rest')}"
    end = CODE_AND_COMMENT.match(lines[last - 1])
    altered[last - 1] = f"{end.group('code')}){end.group('rest')}"
    return altered


def in_a_child(work) -> tuple[str, object]:
    """Run ``work()`` in a forked child, which starts from this process's memory as it is
    (a page's namespace as the fences above left it) and changes nothing here. Returns
    ("ok", what work returned, through JSON), or ("failed", "crashed: ..." or "died without
    a word")."""
    read, write = os.pipe()
    # The garbage collector would walk (and so copy) every object the child inherits:
    # freeze them, and let the child run without it.
    gc.freeze()
    pid = os.fork()
    if pid == 0:
        gc.disable()
        os.close(read)
        try:
            message = {"ok": work()}
        except BaseException as error:  # noqa: BLE001  (reported, never swallowed)
            message = {"failed": f"crashed: {error!r}"}
        with os.fdopen(write, "w") as out:
            json.dump(message, out)
        os._exit(0)
    gc.unfreeze()
    os.close(write)
    with os.fdopen(read) as pipe:
        received = pipe.read()
    os.waitpid(pid, 0)
    if not received:
        return "failed", "died without a word"
    [(how, result)] = json.loads(received).items()
    return how, result


class GradientDrift:
    """The perturbations of one page, run from a runner that is going through the page."""

    def __init__(self, page: Page, display_path: str) -> None:
        self.page = page
        self.display_path = display_path
        self.lines = page.text.split("\n")
        self.sites: dict[int, list[tuple[int, int]]] = {}  # fence index -> statements in it
        for first, last in gradient_statements(page):
            fence = next(f for f in page.code_fences if f.start_line < first < f.end_line)
            self.sites.setdefault(fence.index, []).append((first, last))
        self.outcomes: list[Outcome] = []

    def before(self, runner: PageRunner, fence: Fence) -> None:
        """Call just before ``runner`` runs ``fence``: every perturbation inside it is run now."""
        if fence.index in self.sites:
            self._import_ahead(fence)
        for first, last in self.sites.get(fence.index, []):
            statement = " ".join(line.strip() for line in self.lines[first - 1 : last])
            self.outcomes.append(Outcome(first, statement, self._run_perturbed(runner, fence, first, last)))

    def run(self, runner: PageRunner) -> list:
        """Run the whole page with ``runner``, every perturbation on the way; each fence's
        output, in order (a fence that raises raises PageError, as in the runner)."""
        outputs = []
        for fence in self.page.code_fences:
            self.before(runner, fence)
            outputs.append(runner.run_fence(fence))
        return outputs

    def _import_ahead(self, fence: Fence) -> None:
        """Import, here and before forking, the modules that this fence and the ones after it
        import: each perturbed run would otherwise import them again (sympy alone takes half
        a second), and the page imports them anyway when it gets there. Only the modules
        are loaded, nothing is added to the page's namespace; a module that cannot be
        imported is left for the fence itself to report, where it is written."""
        names = ["sympy"]  # the claims' check needs it, and so does torch's first backward():
        if "torch" in sys.modules:  # it loads this module (and sympy with it) on first use
            names.append("torch.fx.experimental.symbolic_shapes")
        later = self.page.code_fences[[f.index for f in self.page.code_fences].index(fence.index) :]
        for each in later:
            try:
                tree = ast.parse(each.code)
            except SyntaxError:  # reported by the run, at its line
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names += [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in dict.fromkeys(names):
            if name in sys.modules:
                continue
            try:
                importlib.import_module(name)
            except ImportError:  # a name, not a module (from x import y), or missing: the
                pass  # fence itself reports a missing module, at its line

    def _run_perturbed(self, runner: PageRunner, fence: Fence, first: int, last: int) -> str | None:
        how, result = in_a_child(lambda: self._finish_perturbed(runner, fence, first, last))
        if how == "ok":
            return result
        return f"{self.display_path}:{first}: the perturbed run {result}"

    def _perturbed_page(self, fence: Fence, first: int, last: int) -> Page:
        """The page with the statement at lines first..last perturbed: the same page with
        that fence's code altered (reading the altered page again gives the same, slower)."""
        altered = perturbed(self.lines, first, last)
        code = fence.code.split("\n")
        for line in range(first, last + 1):
            before, after, at = self.lines[line - 1], altered[line - 1], line - fence.code_line
            indent = len(before) - len(code[at])
            if not before.endswith(code[at]) or after[:indent] != before[:indent]:
                return read_page(self.page.path, "\n".join(altered))
            code[at] = after[indent:]
        fences = [replace(f, code="\n".join(code)) if f.index == fence.index else f for f in self.page.fences]
        return replace(self.page, text="\n".join(altered), fences=fences)

    def _finish_perturbed(self, runner: PageRunner, fence: Fence, first: int, last: int) -> str | None:
        page = self._perturbed_page(fence, first, last)
        child = PageRunner(page, display_path=self.display_path)
        child.namespace, child.ran, child.early = runner.namespace, list(runner.ran), dict(runner.early)
        child.namespace["__drift__"] = drift
        for later in page.code_fences[[f.index for f in page.code_fences].index(fence.index) :]:
            try:
                child.run_fence(later)
            except PageError as error:
                return str(error)
        failures = child.finish()
        return failures[0] if failures else None


def drift_page(path: Path, display_path: str) -> list[Outcome]:
    """Run a page once from the top, every gradient perturbation on the way."""
    page = read_page(path)
    drift = GradientDrift(page, display_path)
    drift.run(PageRunner(page, display_path=display_path))
    return drift.outcomes


def alter_digit(typed: str) -> str:
    """Change the last digit of the first run of digits: 24{,}576 -> 25{,}576, 0.5 -> 0.6.
    A formula without digits gets a term added: xw -> xw + 1."""
    match = re.search(r"\d+", typed)
    if not match:
        return f"{typed} + 1"
    digits = match.group()
    altered = digits[:-1] + str((int(digits[-1]) + 1) % 10)
    if altered.lstrip("0") == "" and digits.lstrip("0") != "":
        altered = digits[:-1] + str((int(digits[-1]) + 2) % 10)
    return typed[: match.start()] + altered + typed[match.end() :]


def number_survivors(runner: PageRunner) -> list[str]:
    """Alter each typed number of a page that has run to its end: every altered claim must
    fail as that claim not holding, at its own line. Returns the ones that did not."""
    survivors = []
    for claim in (c for c in runner.page.claims if c.typed is not None):
        head, sep, tail = claim.raw[2:-2].rpartition("==")
        altered_raw = "{{" + head + sep + tail.replace(claim.typed, alter_digit(claim.typed), 1) + "}}"
        expr, typed = _split_claim(altered_raw[2:-2])  # as the page reader reads it
        mutant = replace(claim, raw=altered_raw, expr=expr, typed=typed)
        failures = runner.finish([mutant])
        expected = f"{runner.where(claim.line)}: claim {altered_raw} does not hold: "
        if not (len(failures) == 1 and failures[0].startswith(expected)):
            survivors.append(f"{runner.where(claim.line)}: {claim.raw} -> {altered_raw}: {failures or 'still holds'}")
    return survivors


# ---------------------------------------------------------------- exercise notebooks


@dataclass
class NotebookOutcome:
    """What one perturbed statement of a worked solution did to the notebook's checks."""

    cell: int  # counted from one, as Jupyter shows them
    line: int  # the statement's first line in its cell
    statement: str
    caught_at: str | None  # "cell N: grad_x, grad_y not yet": the check that said so
    failure: str | None  # what happened instead, when nothing caught it

    def describe(self, where: str) -> str:
        return f"{where} cell {self.cell}, line {self.line}: {self.statement}\n    {self.failure}"


@dataclass
class SolutionRun:
    """A worked solution run from top to bottom: each check cell's Report (by cell number),
    the namespace the cells left, and every perturbation's outcome."""

    reports: list[tuple[int, object]]
    namespace: dict
    outcomes: list[NotebookOutcome]


def _drifted(statement: ast.stmt) -> ast.stmt:
    """An assignment with its value wrapped in ``__drift__(...)``."""
    statement.value = ast.Call(func=ast.Name("__drift__", ast.Load()), args=[statement.value], keywords=[])
    return ast.fix_missing_locations(statement)


def _is_report(value) -> bool:
    # By name: the pages' runner re-imports snippets, so the class may be another copy.
    return type(value).__name__ == "Report" and isinstance(value, list)


def _run_cell(tree: ast.Module, where: str, namespace: dict):
    """Run a parsed cell; the value of its last line when that is an expression."""
    body = list(tree.body)
    last = body.pop() if body and isinstance(body[-1], ast.Expr) else None
    exec(compile(ast.Module(body, []), where, "exec"), namespace)
    if last is not None:
        return eval(compile(ast.Expression(last.value), where, "eval"), namespace)
    return None


def drift_notebook(source: Path, where: str) -> SolutionRun:
    """Run a worked solution's code cells in one namespace, in this process. Just before an
    answer cell runs, each assignment at its top level is perturbed in turn (its value
    becomes ``__drift__(value)``) in a forked child, which runs that cell and every cell
    after it: the perturbation is caught only if a later check cell's Report says "not yet"
    for some answer. A cell that raises, in the child, is reported as what happened
    instead; in the unperturbed run it raises NotebookError naming the notebook and cell."""
    import time

    from pagecheck.notebooks import (ANSWER_TAG, NotebookError, _source, _tags, code_cells, fences_of,
                                     fill_outputs, store_executed)
    from pagecheck.execute import reset_figure_style, reset_random_state
    from pagecheck.page import Page

    reset_random_state()  # one thread, as the pages run (and a forked child needs it)
    reset_figure_style()
    # What each child would otherwise import for itself (see GradientDrift._import_ahead):
    # a check's first unravel_index loads torch's symbolic shapes, and sympy with them.
    importlib.import_module("torch.fx.experimental.symbolic_shapes")
    notebook = json.loads(source.read_text(encoding="utf-8"))
    cells = code_cells(notebook)
    # The cells run as the build runs them (pagecheck.notebooks.executed: one thread, the
    # same outputs), so that the executed copy this run keeps is the one the build shows.
    runner = PageRunner(Page(source, "", fences_of(cells)), display_path=where)
    namespace = runner.namespace
    namespace["__drift__"] = drift
    reports: list[tuple[int, object]] = []
    outcomes: list[NotebookOutcome] = []
    seconds = 0.0
    for position, ((number, cell), fence) in enumerate(zip(cells, runner.page.fences)):
        code = _source(cell)
        tree = ast.parse(code, filename=f"{where} cell {number}")
        if ANSWER_TAG in _tags(cell):
            for index, statement in enumerate(tree.body):
                if not isinstance(statement, (ast.Assign, ast.AugAssign)):
                    continue
                text = " ".join(line.strip() for line in code.split("\n")[statement.lineno - 1 : statement.end_lineno])
                caught, failure = _run_drifted(namespace, cells[position:], code, index, where)
                outcomes.append(NotebookOutcome(number, statement.lineno, text, caught, failure))
        started = time.perf_counter()
        try:
            output = runner.run_fence(fence)
        except PageError as error:
            raise NotebookError(f"{where} cell {number}: {str(error).split(': ', 1)[-1]}") from error
        seconds += time.perf_counter() - started
        fill_outputs(cell, position + 1, output)
        if _is_report(runner.last_value):
            reports.append((number, runner.last_value))
    store_executed(source, notebook, {"seconds": seconds, "peak_mib": None})
    return SolutionRun(reports, namespace, outcomes)


def _run_drifted(namespace: dict, cells: list, code: str, index: int, where: str) -> tuple[str | None, str | None]:
    """In a forked child: the first cell with statement ``index`` perturbed, then the rest.
    Returns (caught at, what happened instead)."""
    how, result = in_a_child(lambda: _finish_drifted(namespace, cells, code, index, where))
    if how == "ok":
        caught, failure = result
        return caught, failure
    return None, f"the perturbed run {result}"


def _finish_drifted(namespace: dict, cells: list, code: str, index: int, where: str):
    from pagecheck.notebooks import _source

    for position, (number, cell) in enumerate(cells):
        tree = ast.parse(code if position == 0 else _source(cell))
        if position == 0:
            tree.body[index] = _drifted(tree.body[index])
        try:
            value = _run_cell(tree, f"{where} cell {number}", namespace)
        except Exception as error:  # noqa: BLE001 - not a check saying "not yet"
            return None, f"cell {number} raised {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
        if _is_report(value):
            wrong = [v.name for v in value if not v.correct]
            if wrong:
                return f"cell {number}: {', '.join(wrong)} not yet", None
    return None, "every check still says right"
