"""The drift check, checked: alter any stated number or any hand-written gradient line on
any page, and the page must fail, naming the page and the line.

Every claim of every page gets its typed number altered (one digit changed) and must then
fail at its own line. Every line of a hand-written backward pass (an assignment to a
``grad_*`` name) gets its right-hand side perturbed, ``(rhs) * 1.5 + 0.37``, and the page
must then fail. (The perturbation leaves only -0.74 unchanged, a value no gradient on the
site takes; ``* 1.5 + 1`` would have left a gradient of -2 as it was.)
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import replace
import sys
from pathlib import Path

import pytest

from pagecheck.page import _split_claim, read_page
from pagecheck.runner import PageRunner
from tests.pages import ROOT, nav_pages

PAGES = nav_pages()
GRADIENT_LINE = re.compile(
    r"^(?P<lhs>\s*grad_\w+(?:\[[^=]*?\])?\s*(?:\+|-)?=(?!=)\s*)(?P<rhs>[^#]*?)(?P<rest>\s*(?:#.*)?)$"
)


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _alter_digit(typed: str) -> str:
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


_finished: dict[Path, PageRunner] = {}


def finished_runner(path: Path) -> PageRunner:
    """The page, run once (per test session) as it stands."""
    if path not in _finished:
        runner = PageRunner(read_page(path), display_path=_rel(path))
        failures = runner.run_all()
        assert failures == [], f"{_rel(path)} does not pass as it stands:\n" + "\n".join(failures)
        _finished[path] = runner
    return _finished[path]


def _altered_claim(claim) -> str:
    """The claim with its typed number altered (only the part after the last ==)."""
    head, sep, tail = claim.raw[2:-2].rpartition("==")
    assert sep and tail.strip() == claim.typed, claim.raw
    return "{{" + head + sep + tail.replace(claim.typed, _alter_digit(claim.typed), 1) + "}}"


@pytest.mark.parametrize("path", PAGES, ids=_rel)
def test_altering_any_stated_number_fails_at_its_line(path):
    runner = finished_runner(path)
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    claims = [c for c in runner.page.claims if c.typed is not None]
    survivors = []
    for claim in claims:
        altered_raw = _altered_claim(claim)
        line = lines[claim.line - 1]
        start = claim.column - 1
        assert line[start : start + len(claim.raw)] == claim.raw
        # The altered claim as the page reader reads it (the same split into expr and typed),
        # without reading the whole page again for every claim.
        expr, typed = _split_claim(altered_raw[2:-2])
        mutant = replace(claim, raw=altered_raw, expr=expr, typed=typed)
        assert mutant.expr == claim.expr and mutant.typed != claim.typed
        failures = runner.finish([mutant])
        if not (len(failures) == 1 and failures[0].startswith(f"{_rel(path)}:{claim.line}:")):
            survivors.append(f"{_rel(path)}:{claim.line}: {claim.raw} -> {altered_raw}")
    assert claims or not runner.page.code_fences, f"{_rel(path)} has code but states no number"
    assert survivors == [], "altered numbers that the check did not catch:\n" + "\n".join(survivors)


def _balance(text: str) -> int:
    return sum(text.count(c) for c in "([{") - sum(text.count(c) for c in ")]}")


def _gradient_statements(path: Path) -> list[tuple[int, int]]:
    """(first line, last line) of every statement assigning to a grad_* name; a statement
    continued over several lines (open brackets) runs to the line that closes them."""
    page = read_page(path)
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


CODE_AND_COMMENT = re.compile(r"^(?P<code>[^#]*?)(?P<rest>\s*(?:#.*)?)$")


def _perturbed(lines: list[str], first: int, last: int) -> list[str]:
    """The statement's right-hand side becomes (rhs) * 1.5 + 0.37 (lines are 1-based)."""
    altered = list(lines)
    match = GRADIENT_LINE.match(lines[first - 1])
    if first == last:
        altered[first - 1] = f"{match.group('lhs')}({match.group('rhs')}) * 1.5 + 0.37{match.group('rest')}"
        return altered
    altered[first - 1] = f"{match.group('lhs')}({match.group('rhs')}{match.group('rest')}"
    end = CODE_AND_COMMENT.match(lines[last - 1])
    altered[last - 1] = f"{end.group('code')}) * 1.5 + 0.37{end.group('rest')}"
    return altered


@pytest.mark.parametrize("path", PAGES, ids=_rel)
def test_altering_any_hand_written_gradient_line_fails(path):
    lines = path.read_text(encoding="utf-8").split("\n")
    survivors = []
    for first, last in _gradient_statements(path):
        page = read_page(path, "\n".join(_perturbed(lines, first, last)))
        # The perturbation lengthens the line; that must not be what fails the page.
        page.problems[:] = [p for p in page.problems if not p.message.startswith("code line of")]
        assert page.problems == [], f"{_rel(path)}:{first}: the perturbed page does not read: {page.problems}"
        failures = PageRunner(page, display_path=_rel(path)).run_all()
        if not failures or not failures[0].startswith(f"{_rel(path)}:"):
            survivors.append(f"{_rel(path)}:{first}: {lines[first - 1].strip()}")
    assert survivors == [], "altered gradient lines that the check did not catch:\n" + "\n".join(survivors)


def test_a_statement_over_several_lines_is_perturbed_whole():
    lines = ["    grad_x = f(a,", "             b)  # note", "print(grad_x)"]
    assert _perturbed(lines, 1, 2)[:2] == ["    grad_x = (f(a,", "             b)) * 1.5 + 0.37  # note"]


def test_the_test_run_itself_reports_an_altered_page_with_page_and_line(tmp_path):
    """End to end through pytest-markdown-docs: a wrong number on a copy of a page."""
    page = ROOT / "docs" / "knobs.md"
    text = page.read_text(encoding="utf-8")
    line_no = next(i for i, line in enumerate(text.split("\n"), 1) if "{{ grad_c == 128 }}" in line)
    copy = tmp_path / "knobs.md"
    copy.write_text(text.replace("{{ grad_c == 128 }}", "{{ grad_c == 129 }}", 1), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "pagecheck.pytest_plugin", "--markdown-docs",
         "-p", "no:cacheprovider", "--rootdir", str(tmp_path), str(copy)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"knobs.md:{line_no}: claim {{{{ grad_c == 129 }}}} does not hold" in result.stdout
