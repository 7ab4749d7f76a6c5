"""The exercise notebooks: the worked solution passes every check, the blank exercise runs
from top to bottom and says "not yet" for each blank (no traceback), the blank copies are
made from the solutions, and the checks read well on a wrong answer.

The notebooks' code is plain Python (no magics), so it runs here in-process, cell by cell,
and each check cell's value (a Report) is inspected directly. The build runs the solutions
in a Jupyter kernel too (mkdocs-jupyter), and fails if a solution's check says "not yet".
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
import torch

from pagecheck import notebooks
from snippets.exercise import Report, check, verdict
from tests.pages import ROOT, nav_notebooks

SOLUTIONS = notebooks.sources()


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def run_cells(notebook: dict, where: str) -> list[tuple[int, object]]:
    """Run the code cells in one namespace; return (cell number, value of its last
    expression) for every cell that ends in an expression. A cell that raises fails here,
    naming the notebook and cell."""
    namespace: dict = {"__name__": "__main__"}
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


@pytest.mark.parametrize("source", SOLUTIONS, ids=_rel)
def test_the_worked_solution_passes_every_check(source):
    reports = _reports(run_cells(json.loads(source.read_text(encoding="utf-8")), _rel(source)))
    assert reports, f"{_rel(source)} has no check cell"
    for number, report in reports:
        assert report.all_correct, f"{_rel(source)} cell {number}:\n{report}"
    # The last check covers every gradient of the network.
    assert len(reports[-1][1]) == max(len(r) for _, r in reports)


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
