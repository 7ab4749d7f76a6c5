"""The exercise notebooks: the worked solution passes every check, the blank exercise runs
from top to bottom and says "not yet" for each blank (no traceback), the blank copies are
made from the solutions, keep a folded hint above every answer and show no piece of an
answer outside one, and the checks read well on a wrong answer. Every assignment in a
worked solution's answer cells, altered, must make a later check say "not yet" (the drift
check of the pages, for the notebooks: pagecheck.drift.drift_notebook).

The notebooks' code is plain Python (no magics), so it runs here in-process, cell by cell,
and each check cell's value (a Report) is inspected directly. The build runs the solutions
the same way (pagecheck.notebooks.executed) to show their outputs, and fails if a
solution's check says "not yet".
"""

from __future__ import annotations

import ast
import functools
import inspect
import json
import re
from pathlib import Path

import pytest
import torch

from pagecheck import drift, notebooks
from snippets.exercise import Report, check, verdict
from snippets.makemore import forward
from tests.pages import ROOT, nav_notebooks

SOLUTIONS = notebooks.sources()


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _is_answer(cell: dict) -> bool:
    return notebooks.ANSWER_TAG in cell.get("metadata", {}).get("tags", [])


def run_cells(notebook: dict, where: str, namespace: dict | None = None) -> list[tuple[int, object]]:
    """Run the code cells in one namespace (``namespace``, if given, is filled in); return
    (cell number, value of its last expression) for every cell that ends in an expression.
    A cell that raises fails here, naming the notebook and cell."""
    namespace = {} if namespace is None else namespace
    namespace["__name__"] = "__main__"
    values = []
    for number, cell in enumerate(notebook["cells"], 1):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        tree = ast.parse(source, filename=f"{where} cell {number}")
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        try:
            exec(compile(tree, f"{where} cell {number}", "exec"), namespace)
            if last is not None:
                expression = ast.Expression(last.value)
                values.append((number, eval(compile(expression, f"{where} cell {number}", "eval"), namespace)))
        except Exception as error:  # noqa: BLE001 - report which cell, then fail
            pytest.fail(f"{where} cell {number} raised {type(error).__name__}: {error}")
    return values


def _reports(values) -> list[tuple[int, Report]]:
    # By name: the pages' runner re-imports snippets, so the class may be another copy.
    return [(number, value) for number, value in values if type(value).__name__ == Report.__name__]


def test_every_solution_is_in_the_navigation_and_has_answers():
    assert SOLUTIONS, "no exercise notebooks found"
    assert sorted(nav_notebooks()) == sorted(SOLUTIONS)
    for source in SOLUTIONS:
        notebook = json.loads(source.read_text(encoding="utf-8"))
        assert all(not c.get("outputs") for c in notebook["cells"] if c["cell_type"] == "code"), (
            f"{_rel(source)}: save it without outputs (the build runs it)"
        )


def test_the_blank_exercises_are_made_from_the_solutions():
    assert notebooks.stale() == []


@functools.cache
def solution_run(source: Path) -> drift.SolutionRun:
    """The worked solution run once in this test worker, with every answer line perturbed
    on the way (pagecheck.drift.drift_notebook); the tests below read the same run."""
    return drift.drift_notebook(source, _rel(source))


@pytest.mark.parametrize("source", SOLUTIONS, ids=_rel)
def test_the_worked_solution_passes_every_check(source):
    solution = json.loads(source.read_text(encoding="utf-8"))
    run = solution_run(source)
    namespace, reports = run.namespace, run.reports
    assert reports, f"{_rel(source)} has no check cell"
    for number, report in reports:
        assert report.all_correct, f"{_rel(source)} cell {number}:\n{report}"
    # The last check covers every gradient of the network.
    assert len(reports[-1][1]) == max(len(r) for _, r in reports)
    # What the blank keeps of an answer cell, its leading comment, is the task and no more:
    # one line per name it assigns, with the shape the solution gives that name.
    for number, cell in enumerate(solution["cells"], 1):
        if cell["cell_type"] == "code" and _is_answer(cell):
            blank = notebooks.blank_answer(_source(cell)).splitlines()
            names = [line.split(" = ")[0] for line in blank if line.endswith(notebooks.BLANK_COMMENT)]
            kept = [line for line in blank if line.startswith("#")]
            assert kept == [f"# {name}: {list(namespace[name].shape)}" for name in names], (
                f"{_rel(source)} cell {number}: the comment an answer cell keeps should be "
                "'# name: [shape]' for each name it assigns, and nothing else"
            )


@pytest.mark.parametrize("source", SOLUTIONS, ids=_rel)
def test_altering_any_answer_line_makes_a_check_say_not_yet(source):
    """The drift check, for the worked solutions: each assignment in an answer cell, its
    value altered, must make a later check cell say "not yet" for some answer. A cell that
    raises instead, or checks that all still say right, leave it uncaught."""
    outcomes = solution_run(source).outcomes
    assert outcomes, f"{_rel(source)} has no answer line to alter"
    assert any(o.statement.startswith("grad_") for o in outcomes) or "adamw" in source.name
    for outcome in outcomes:  # shown with -s: which check caught which line
        print(f"{_rel(source)} cell {outcome.cell}, line {outcome.line}: caught at {outcome.caught_at}")
    survivors = [o.describe(_rel(source)) for o in outcomes if o.caught_at is None]
    assert survivors == [], "altered answer lines that no check caught:\n" + "\n".join(survivors)


def test_an_altered_answer_line_counts_as_caught_only_by_a_check(tmp_path, monkeypatch):
    """A perturbation that makes a cell raise, or that no check looks at, is not caught;
    one that a check reports as "not yet" is, at that check's cell."""
    cells = [
        {"cell_type": "code", "metadata": {}, "source": (
            "import torch\nfrom snippets.exercise import check\n"
            "x = torch.arange(4.0)\nexpected = {'y': 2 * x}")},
        {"cell_type": "code", "metadata": {"tags": ["answer"]}, "source": (
            "# grad_y: [4]\ngrad_y = 2 * x\n"
            "unused = x + 1\n"
            "shape = [4]")},
        {"cell_type": "code", "metadata": {}, "source": "torch.zeros(shape)"},
        {"cell_type": "code", "metadata": {}, "source": "check(globals(), expected, ['y'])"},
    ]
    source = tmp_path / "x.ipynb"
    source.write_text(notebooks.render({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 4}))
    monkeypatch.setenv("PAGECHECK_CACHE_DIR", str(tmp_path / "cache" / "pages"))  # its executed copy
    run = drift.drift_notebook(source, "x.ipynb")
    assert [r.all_correct for _, r in run.reports] == [True]
    by_line = {o.line: o for o in run.outcomes}
    assert by_line[2].caught_at == "cell 4: grad_y not yet" and by_line[2].failure is None
    assert by_line[3].caught_at is None and by_line[3].failure == "every check still says right"
    assert by_line[4].caught_at is None and by_line[4].failure.startswith("cell 3 raised TypeError")


@pytest.mark.parametrize("source", SOLUTIONS, ids=_rel)
def test_the_blank_exercise_runs_and_says_not_yet_for_each_blank(source):
    blank = notebooks.blank_path(source)
    notebook = json.loads(blank.read_text(encoding="utf-8"))
    blanks = {
        line.split(" = ")[0]
        for cell in notebook["cells"] if notebooks.ANSWER_TAG in cell.get("metadata", {}).get("tags", [])
        for line in ("".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]).splitlines()
        if line.endswith(notebooks.BLANK_COMMENT)
    }
    reports = _reports(run_cells(notebook, _rel(blank)))
    assert reports
    checked = set()
    for number, report in reports:
        assert not any(v.correct for v in report), f"{_rel(blank)} cell {number}: an answer is already there"
        for v in report:
            assert v.message.startswith("not yet: still blank"), (number, v)
            checked.add(v.name)
        assert str(report).endswith(f"0 of {len(report)} correct; {len(report)} not yet.")
    assert {name for name in blanks if name.startswith("grad_")} <= checked


def test_a_check_says_what_is_wrong_without_raising():
    expected = {"W": torch.tensor([[1.0, 2.0], [3.0, 4.0]])}
    cases = {
        ...: "not yet: still blank",
        3.0: "not yet: a float, not a tensor",
        torch.ones(2): "not yet: shape [2], but the gradient has shape [2, 2]",
        torch.tensor([[1.0, 2.0], [3.0, float("nan")]]): "not yet: it contains nan or inf",
        torch.tensor([[1.0, 2.0], [3.5, 4.0]]): "not yet: off by up to 0.5 at index [1, 0]",
        torch.tensor([[1.0, 2.0], [3.0, 4.0 + 1e-6]]): "right (largest difference",
        expected["W"].clone(): "right, bit for bit",
    }
    for answer, message in cases.items():
        report = check({"grad_W": answer} if answer is not ... else {}, expected)
        assert report[0].message.startswith(message), (answer, report[0].message)
        assert report.all_correct == message.startswith("right")
    assert verdict("grad_W", torch.zeros(2, 2, dtype=torch.float64), expected["W"]).message.startswith("not yet")


def test_blanking_keeps_the_hint_and_blanks_every_assigned_name():
    code = "# logprobs: only the right characters count\ngrad_x = torch.zeros(3)\ngrad_x[Y] = -1.0 / n\n"
    assert notebooks.blank_answer(code) == (
        "# logprobs: only the right characters count\ngrad_x = ...  # your answer"
    )
    assert notebooks.blank_answer("a, b = f()\nc.d += 1\nfor i in r:\n    e = i\n") == (
        "a = ...  # your answer\nb = ...  # your answer\nc = ...  # your answer"
    )
    with pytest.raises(notebooks.NotebookError, match="x.ipynb cell 3: an answer cell must assign"):
        notebooks.blank_answer("print(1)", "x.ipynb cell 3")


def test_the_blank_copy_links_to_the_site_not_to_a_relative_path():
    text = notebooks.absolute_links("See [the page](../../every-intermediate/) and [x](https://a.b/).",
                                    "https://example.org/mlp/exercises/every-intermediate/")
    assert text == "See [the page](https://example.org/mlp/every-intermediate/) and [x](https://a.b/)."


# What a blank copy may show and what it may not. A hint is a <details> block in a markdown
# cell: folded, the reader opens it on purpose. Outside the hints, no piece of an answer may
# appear: no expression an answer computes, unless the forward pass already has it (the
# forward pass is the question, not the answer).

_HINT = re.compile(r"<details(?![^>]*\bopen\b)[^>]*>.*?</details>", re.S | re.I)  # folded
_FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)
_SPAN = re.compile(r"`([^`\n]+)`")


class _PlainNames(ast.NodeTransformer):
    """p.W2 -> W2: the forward pass reads the parameters from p; the notebooks name them."""

    def visit_Attribute(self, node):
        if isinstance(node.value, ast.Name) and node.value.id == "p":
            return ast.copy_location(ast.Name(node.attr, ast.Load()), node)
        return self.generic_visit(node)


def _expressions(code: str) -> set[str]:
    """Every expression in a piece of code, as ast.unparse writes it (spacing and redundant
    parentheses do not matter); text that is not Python gives none."""
    try:
        tree = _PlainNames().visit(ast.parse(code))
    except SyntaxError:
        return set()
    return {ast.unparse(node) for node in ast.walk(tree) if isinstance(node, ast.expr)}


FORWARD = _expressions(inspect.getsource(forward))


def _shown_code(notebook: dict) -> list[tuple[int, set[str]]]:
    """(cell number, the expressions in it) for the code a reader sees without opening a
    hint: code cells, and the fenced blocks and inline code of markdown cells."""
    shown = []
    for number, cell in enumerate(notebook["cells"], 1):
        text = _source(cell)
        if cell["cell_type"] == "code":
            shown.append((number, _expressions(text)))
        elif cell["cell_type"] == "markdown":
            text = _HINT.sub("", text)
            found = set()
            for block in _FENCE.findall(text):
                found |= _expressions(block)
            for span in _SPAN.findall(_FENCE.sub("", text)):
                found |= _expressions(span)
            shown.append((number, found))
    return shown


def answer_pieces(code: str, modules: set[str]) -> set[str]:
    """The pieces of an answer cell's code that give it away: every expression its lines
    compute (the right-hand sides of its assignments, and the arguments of a statement
    such as grad_C.index_add_(...)), except bare names and constants, the method name of a
    call on a tensor (x.sum says nothing; x.sum(0) does), and what the forward pass
    already computes. A function of a module (F.softmax) is a piece: naming it is a hint."""
    pieces = set()
    for statement in ast.walk(_PlainNames().visit(ast.parse(code))):
        if not isinstance(statement, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr)):
            continue
        if statement.value is None:
            continue
        methods = {id(node.func) for node in ast.walk(statement.value) if isinstance(node, ast.Call)}
        for node in ast.walk(statement.value):
            if not isinstance(node, ast.expr) or isinstance(node, (ast.Name, ast.Constant)):
                continue
            if isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant):
                continue
            if isinstance(node, ast.Attribute) and id(node) in methods:
                root = node
                while isinstance(root, ast.Attribute):
                    root = root.value
                if not (isinstance(root, ast.Name) and root.id in modules):
                    continue
            text = ast.unparse(node)
            if text not in FORWARD:
                pieces.add(text)
    return pieces


def _modules(notebook: dict) -> set[str]:
    """The names a notebook's imports bind (torch, F, ...)."""
    names = set()
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code" and not _is_answer(cell):
            for node in ast.walk(ast.parse(_source(cell))):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    return names


def giveaways(solution: dict, blank: dict) -> list[str]:
    """One line per piece of an answer that the blank copy shows outside a hint."""
    modules = _modules(solution)
    shown = _shown_code(blank)
    found = []
    for number, cell in enumerate(solution["cells"], 1):
        if cell["cell_type"] == "code" and _is_answer(cell):
            for piece in sorted(answer_pieces(_source(cell), modules)):
                found += [f"`{piece}` (from the answer in cell {number}) is shown in blank cell {where}"
                          for where, expressions in shown if piece in expressions]
    return found


@pytest.mark.parametrize("source", SOLUTIONS, ids=_rel)
def test_the_blank_exercise_keeps_a_hint_for_every_answer(source):
    """The hints are the point of the blank copy: every one of the solution's is there, and
    every answer cell has at least one above it, after the previous answer cell."""
    solution = json.loads(source.read_text(encoding="utf-8"))
    blank = json.loads(notebooks.blank_path(source).read_text(encoding="utf-8"))

    def hints(notebook):
        return [len(_HINT.findall(_source(c))) for c in notebook["cells"] if c["cell_type"] == "markdown"
                and notebooks.SOLUTION_ONLY_TAG not in c.get("metadata", {}).get("tags", [])]

    assert sum(hints(solution)) > 0, f"{_rel(source)} has no hint (a <details> block in a markdown cell)"
    assert sum(hints(blank)) == sum(hints(solution)), f"the blank copy of {_rel(source)} lost hints"
    waiting = 0
    for number, cell in enumerate(blank["cells"], 1):
        if cell["cell_type"] == "markdown":
            waiting += len(_HINT.findall(_source(cell)))
        elif _is_answer(cell):
            assert waiting, f"{_rel(source)}: blank cell {number} is an answer with no hint above it"
            waiting = 0


@pytest.mark.parametrize("source", SOLUTIONS, ids=_rel)
def test_the_blank_exercise_does_not_give_the_answers_away(source):
    solution = json.loads(source.read_text(encoding="utf-8"))
    blank = json.loads(notebooks.blank_path(source).read_text(encoding="utf-8"))
    found = giveaways(solution, blank)
    assert not found, f"{_rel(source)}: the blank copy shows answers outside a hint:\n" + "\n".join(found)


def test_a_piece_of_an_answer_is_found_wherever_the_blank_shows_it():
    answer = "# grad_h: [32, 64]\ngrad_h = grad_logits @ W2.T\ngrad_p = F.softmax(logits, 1) * n\n"
    solution = {"cells": [
        {"cell_type": "code", "metadata": {}, "source": "import torch.nn.functional as F\n"},
        {"cell_type": "code", "metadata": {"tags": ["answer"]}, "source": answer},
    ]}
    assert answer_pieces(answer, {"F"}) == {
        "grad_logits @ W2.T", "W2.T", "F.softmax(logits, 1)", "F.softmax", "F.softmax(logits, 1) * n"}

    def blank_with(markdown: str) -> dict:
        return {"cells": [{"cell_type": "markdown", "metadata": {}, "source": markdown},
                          {"cell_type": "code", "metadata": {}, "source": "grad_h = ...  # your answer"}]}

    assert giveaways(solution, blank_with("Use `F.softmax`.")) == [
        "`F.softmax` (from the answer in cell 2) is shown in blank cell 1"]
    assert giveaways(solution, blank_with("```python\nx = grad_logits  @  (W2.T)\n```")) != []
    assert giveaways(solution, blank_with("<details open><summary>Hint</summary>\n\n`W2.T`\n\n</details>")) != []
    in_code = blank_with("A check:")
    in_code["cells"].append({"cell_type": "code", "metadata": {}, "source": "print(h.T)"})
    assert giveaways(solution, in_code) == []  # h.T belongs to no answer here
    in_code["cells"][-1]["source"] = "print((grad_logits @ W2.T).shape)"
    assert giveaways(solution, in_code) == [
        "`W2.T` (from the answer in cell 2) is shown in blank cell 3",
        "`grad_logits @ W2.T` (from the answer in cell 2) is shown in blank cell 3"]
    # Folded in a hint, or only the forward pass (logits = h @ W2 + b2): not a giveaway.
    assert giveaways(solution, blank_with("<details><summary>Hint 3</summary>\n\n`W2.T`\n\n</details>")) == []
    assert giveaways(solution, blank_with("`logits = h @ W2 + b2`, then `grad_logits.sum(1)`")) == []


# Notebook prose: no number in it is checked against the code (the notebook runs in a
# kernel, not in a page's session), so none may be stated there; see pagecheck.notebooks.


@pytest.mark.parametrize("source", SOLUTIONS, ids=_rel)
def test_the_prose_of_a_notebook_states_no_number(source):
    assert notebooks.prose_problems(source) == []


def _notebook(*cells: tuple[str, str, list[str]]) -> dict:
    return {
        "cells": [
            {"cell_type": kind, "metadata": {"tags": tags}, "source": text, **({"outputs": [], "execution_count": None} if kind == "code" else {})}
            for kind, text, tags in cells
        ],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }


NUMBERS_IN_PROSE = _notebook(
    ("markdown", "# Exercise\n\nThe batch has 32 rows.\n", []),
    ("code", "n = 32\n", []),
    ("code", "# grad_x: [32]\ngrad_x = torch.ones(n) / n\n", ["answer"]),
    (
        "markdown",
        "Not numbers: `n = 32`, W1, float32, [a page](../page-2/), $x_1$ and $\\frac{1}{n}$.\n\n"
        "1. A list marker.\n\n"
        "<details><summary>Hint 1</summary>\n\nEach row receives 1/n of it.\n\n</details>\n",
        [],
    ),
    ("markdown", "A claim {{ n == 32 }} is never checked here, nor is $2^{5}$.\n", []),
)


def _expected_prose_problems(where: str) -> list[str]:
    fix = "notebook prose is not checked against the code; write the number in code (`...`) or in words"
    return [
        f"{where}: cell 1, line 3: unchecked number '32' in prose: {fix}",
        f"{where}: cell 4, line 7: unchecked number '1' in prose: {fix}",
        f"{where}: cell 5, line 1: unchecked number '2' in math: {fix}",
        f"{where}: cell 5, line 1: unchecked number '5' in math: {fix}",
        f"{where}: cell 5, line 1: claim {{{{ n == 32 }}}} in notebook prose: a notebook's claims are never "
        "checked (its prose is not read against its code, as a page's is); write the value in code",
    ]


def test_a_number_in_notebook_prose_is_named_with_its_notebook_cell_and_line(tmp_path):
    source = tmp_path / "x.ipynb"
    source.write_text(notebooks.render(NUMBERS_IN_PROSE), encoding="utf-8")
    assert notebooks.prose_problems(source) == _expected_prose_problems(str(source))


def test_the_build_warns_of_a_number_in_notebook_prose(tmp_path, caplog):
    """A warning of the hooks is what fails `mkdocs build --strict`."""
    import logging

    from pagecheck import mkdocs_hooks

    exercises = tmp_path / "docs" / "mlp" / "exercises"
    exercises.mkdir(parents=True)
    source = exercises / "x.ipynb"
    source.write_text(notebooks.render(NUMBERS_IN_PROSE), encoding="utf-8")
    notebooks.write(exercises)  # an up-to-date blank copy: only the prose is at fault
    with caplog.at_level(logging.WARNING, logger="mkdocs.plugins.pagecheck"):
        mkdocs_hooks.on_files(None, {"docs_dir": str(tmp_path / "docs")})
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == (
        _expected_prose_problems(str(source))
    )


def test_a_worked_solution_runs_in_process_with_its_outputs_and_a_failing_cell_is_named(tmp_path, monkeypatch):
    """The build runs each worked solution itself (pagecheck.notebooks.executed) and shows
    the executed copy: printed text and displays become the cells' outputs; a cell that
    raises is named with its notebook and cell number."""
    from pagecheck.runner import PageError

    monkeypatch.setenv("PAGECHECK_CACHE_DIR", str(tmp_path / "cache" / "pages"))
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": "# A notebook"},
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": "w = 5\nprint(w * 2)"},
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": "w / 0"},
    ]
    notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    good = tmp_path / "good.ipynb"
    good.write_text(json.dumps({**notebook, "cells": cells[:2]}), encoding="utf-8")
    copy, run, cached = notebooks.executed(good, "good.ipynb")
    ran = json.loads(copy.read_text(encoding="utf-8"))
    assert ran["cells"][1]["outputs"] == [{"output_type": "stream", "name": "stdout", "text": "10\n"}]
    assert not cached and run["seconds"] > 0
    assert notebooks.executed(good, "good.ipynb")[2]  # unchanged: from the cache

    bad = tmp_path / "bad.ipynb"
    bad.write_text(json.dumps(notebook), encoding="utf-8")
    with pytest.raises(PageError) as failure:
        notebooks.executed(bad, "bad.ipynb")
    assert str(failure.value).startswith("bad.ipynb cell 3: code fence raised ZeroDivisionError")
