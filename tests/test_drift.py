"""The drift check, checked: alter any stated number or any hand-written gradient line on
any page, and the page must fail, naming the page and the line, for the right reason.

Every claim of every page gets its typed number altered (one digit changed) and must then
fail as that claim not holding, at its own line. Every statement that assigns to a
``grad_*`` name gets its right-hand side perturbed (``pagecheck.drift``) and must then make
a comparison with autograd fail, or a stated number: a syntax error, a name error or any
other failure does not count.

A page runs once: its page tests (pytest-markdown-docs) run the perturbations on the way
through it and alter its numbers at the end, and record what survived
(``pagecheck.pytest_plugin``); the tests here read that record, from whichever test worker
ran the page. Run without the page tests, a test here runs its page itself.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pagecheck import pytest_plugin
from pagecheck.drift import Outcome, drift_page, gradient_statements, perturbed
from pagecheck.page import read_page, read_page_cached
from tests.pages import ROOT, nav_pages


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


PAGES = nav_pages()


def _record(path: Path) -> dict:
    """The page's run in this test run, with every perturbation (``pytest_plugin.record_of``)."""
    record = pytest_plugin.record_of(path)
    assert record["failed"] is None, f"{_rel(path)} does not pass as it stands:\n{record['failed']}"
    return record


@pytest.mark.parametrize("path", PAGES, ids=_rel)
def test_altering_any_stated_number_fails_at_its_line(path):
    page = read_page_cached(path)
    assert any(c.typed is not None for c in page.claims) or not page.code_fences, (
        f"{_rel(path)} has code but states no number"
    )
    survivors = _record(path)["numbers"]
    assert survivors == [], "altered numbers that the check did not catch as such:\n" + "\n".join(survivors)


@pytest.mark.parametrize("path", PAGES, ids=_rel)
def test_altering_any_hand_written_gradient_line_fails(path):
    outcomes = [Outcome(**o) for o in _record(path)["gradients"]]
    assert len(outcomes) == len(gradient_statements(read_page_cached(path)))
    for outcome in outcomes:  # shown with -s: which comparison caught which line
        print(f"{_rel(path)}:{outcome.first} caught at {outcome.caught_at}")
    survivors = [o.describe(_rel(path)) for o in outcomes if o.caught_at is None]
    assert survivors == [], "altered gradient lines that no comparison caught:\n" + "\n".join(survivors)


def test_a_statement_over_several_lines_is_perturbed_whole():
    lines = ["    grad_x = f(a,", "             b)  # note", "print(grad_x)"]
    assert perturbed(lines, 1, 2)[:2] == ["    grad_x = __drift__(f(a,", "             b))  # note"]


def test_the_perturbation_moves_numbers_tensors_lists_and_symbolic_matrices():
    import sympy as sp
    import torch

    from pagecheck.drift import drift

    assert drift(2.0) == 3.37 and drift(0) == 0.37
    assert torch.equal(drift(torch.tensor([0.0, 2.0])), torch.tensor([0.37, 3.37]))
    assert drift([1.0, (2.0,)]) == [1.87, (3.37,)]
    x = sp.Symbol("x")
    assert drift(sp.Matrix([[x]]))[0, 0] == 1.5 * x + 0.37


def test_only_a_comparison_or_a_claim_counts_as_catching_a_perturbation():
    where = "docs/p.md"
    assert Outcome(3, "grad_x = x", f"{where}:9: code fence raised snippets.compare.GradientMismatch: x").caught_at == f"{where}:9"
    assert Outcome(3, "grad_x = x", f"{where}:12: claim {{{{ g == 2 }}}} does not hold: off").caught_at == f"{where}:12"
    for other in (
        f"{where}:3: code fence has a syntax error: invalid syntax",
        f"{where}:5: code fence raised NameError: name 'y' is not defined",
        f"{where}:7: claim {{{{ g == 2 }}}} could not be evaluated: NameError",
        None,
    ):
        assert Outcome(3, "grad_x = x", other).caught_at is None, other


def test_a_page_that_breaks_for_another_reason_does_not_count_as_caught(tmp_path):
    """A perturbation that breaks the page, but not through a comparison, is reported."""
    page = tmp_path / "p.md"
    page.write_text(textwrap.dedent('''
        ```python exec="on"
        grad_x = 2.0
        ```

        ```python exec="on" continuation
        names = {2: "two"}
        print(names[int(grad_x)])   # a KeyError once grad_x is perturbed
        ```

        ```python exec="on" continuation
        grad_y = 1.0
        assert grad_y == 1.0        # a comparison: catches its perturbation
        ```
        ''').lstrip("\n"))
    outcomes = drift_page(page, "p.md")
    assert [(o.first, o.caught_at) for o in outcomes] == [(2, None), (11, "p.md:12")]
    assert "KeyError" in outcomes[0].describe("p.md")


def test_the_test_run_itself_reports_an_altered_page_with_page_and_line(pytester, monkeypatch):
    """End to end through pytest-markdown-docs: a wrong number on a copy of a page, in a
    test run of its own (in this process: the page's imports are loaded already)."""
    page = ROOT / "docs" / "knobs.md"
    text = page.read_text(encoding="utf-8")
    line_no = next(i for i, line in enumerate(text.split("\n"), 1) if "{{ grad_c == 128 }}" in line)
    copy = pytester.path / "knobs.md"
    copy.write_text(text.replace("{{ grad_c == 128 }}", "{{ grad_c == 129 }}", 1), encoding="utf-8")
    monkeypatch.setattr(pytest_plugin, "DRIFT", False)  # this run's own setting, not the outer run's
    monkeypatch.setattr(pytest_plugin, "RECORDS", None)
    result = pytester.runpytest_inprocess(
        "-q", "-p", "pagecheck.pytest_plugin", "--markdown-docs", "-p", "no:cacheprovider", "-p", "no:xdist", str(copy)
    )
    assert result.ret == 1, result.stdout.str()
    assert f"knobs.md:{line_no}: claim {{{{ grad_c == 129 }}}} does not hold" in result.stdout.str()


@pytest.mark.parametrize("name", ["docs/rules/embedding.md", "docs/knobs.md"])  # fences indented and not
def test_a_perturbed_page_is_the_page_read_again_with_the_statement_altered(name):
    """The perturbed runs alter the fence's code in place rather than reading the page again;
    both must give the same code, for every statement (in a solution, indented, too)."""
    path = ROOT / name
    page = read_page(path)
    drift_of_page = pytest_plugin.GradientDrift(page, name)
    statements = gradient_statements(page)
    assert statements
    for first, last in statements:
        fence = next(f for f in page.code_fences if f.start_line < first < f.end_line)
        fast = drift_of_page._perturbed_page(fence, first, last)
        again = read_page(path, "\n".join(perturbed(drift_of_page.lines, first, last)))
        assert [f.code for f in fast.fences] == [f.code for f in again.fences], f"{name}:{first}"
        assert "__drift__(" in fast.fences[fence.index].code
