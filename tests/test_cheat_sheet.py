"""The cheat sheet's tables quote code; the code fence under each table runs it.

A table row shows a forward line and its backward lines as code spans. They are only
checked if they are what runs, so every code span in a row's forward and backward cells
must appear, as written, on a line of the first code fence after that table. (The drift
check then perturbs those lines in the fence, and the page must fail.)
"""

from __future__ import annotations

import re

from pagecheck.page import read_page
from tests.pages import DOCS

PAGE = DOCS / "rules" / "cheat-sheet.md"
CODE_SPAN = re.compile(r"`([^`]+)`")


def quoted_code_by_table(text: str) -> list[tuple[int, list[tuple[int, str]]]]:
    """(line of the table's header, [(line, code span) of its forward and backward cells])."""
    tables: list[tuple[int, list[tuple[int, str]]]] = []
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        if not line.startswith("|"):
            continue
        if not lines[number - 2].startswith("|"):  # a new table starts at its header
            tables.append((number, []))
            continue
        cells = line.strip("|").split(" | ")
        if set(cells[0].strip()) <= {"-", " "}:  # the header's separator
            continue
        tables[-1][1].extend((number, span) for cell in cells[:2] for span in CODE_SPAN.findall(cell))
    return tables


def quoted_but_not_run(text: str) -> list[str]:
    """Every code span of a table that no line of the fence below the table contains."""
    fences = read_page(PAGE, text).code_fences
    tables = quoted_code_by_table(text)
    missing = []
    for header_line, quoted in tables:
        if not quoted:
            missing.append(f"docs/rules/cheat-sheet.md:{header_line}: the table quotes no code")
        fence = next(f for f in fences if f.start_line > header_line)
        fence_lines = [line.strip() for line in fence.code.split("\n")]
        for line, span in quoted:
            if not any(span in fence_line for fence_line in fence_lines):
                missing.append(
                    f"docs/rules/cheat-sheet.md:{line}: `{span}` is not in the fence at line {fence.start_line}"
                )
    return missing


def test_every_rule_quoted_in_a_table_runs_in_the_fence_below_it():
    text = PAGE.read_text(encoding="utf-8")
    assert len(quoted_code_by_table(text)) >= 7, "one table per family of rules"
    assert quoted_but_not_run(text) == []


def test_the_check_finds_a_quoted_rule_that_does_not_run():
    text = PAGE.read_text(encoding="utf-8")
    altered = text.replace("`grad_b2 = grad_logits.sum(0)`", "`grad_b2 = grad_logits.sum(1)`", 1)
    assert altered != text
    found = quoted_but_not_run(altered)
    assert len(found) == 1 and "`grad_b2 = grad_logits.sum(1)` is not in the fence" in found[0]
