"""Rewrite the typed numbers that no longer hold, for the day a torch upgrade moves a result.

    python -m pagecheck.update_claims [PAGE.md ...]      (make update-claims: every page)

Each page runs as the build runs it; every claim ``{{ expr == typed }}`` whose typed number
no longer holds gets the computed value, rounded to the precision it was written with and in
its notation (``pagecheck.numbers.rewrite``), and each change is printed as
``page:line old -> new``. What cannot be rewritten by rule (a fraction, a formula, a page whose
code fails) is printed as a line to edit by hand, and the command exits 1.

Opt-in and never run by the tests: the edits are for the author to read and commit, and the
tests fail until they are (the tests never change a page).
"""

from __future__ import annotations

import sys
from pathlib import Path

from pagecheck.numbers import rewrite
from pagecheck.page import read_page
from pagecheck.runner import PageError, PageRunner, compare_claim

ROOT = Path(__file__).resolve().parent.parent


def update_page(path: Path, display: str) -> tuple[list[str], list[str]]:
    """Rewrite ``path`` in place; return (the changes made, what needs a hand edit)."""
    page = read_page(path)
    if page.problems:
        return [], [f"{display}:{p.line}: {p.message}" for p in page.problems]
    runner = PageRunner(page, display_path=display)
    for fence in page.code_fences:
        try:
            runner.run_fence(fence)
        except PageError as error:
            return [], [str(error).splitlines()[0]]
    lines = page.text.split("\n")
    changes, by_hand = [], []
    for claim in sorted((c for c in page.claims if c.typed is not None), key=lambda c: (-c.line, -c.column)):
        try:
            value = runner.value(claim)
            if compare_claim(claim.typed, value) is None:
                continue
        except Exception as error:  # noqa: BLE001  (reported, to edit by hand)
            by_hand.append(f"{display}:{claim.line}: {claim.raw} could not be evaluated: {error}")
            continue
        new = rewrite(claim.typed, value)
        if new is None or compare_claim(new, value) is not None:
            by_hand.append(f"{display}:{claim.line}: {claim.raw} does not hold and cannot be rewritten by rule")
            continue
        head, sep, tail = claim.raw[2:-2].rpartition("==")
        new_raw = "{{" + head + sep + tail.replace(claim.typed, new, 1) + "}}"
        line = lines[claim.line - 1]
        at = line.find(claim.raw, claim.column - 1)
        if at < 0:  # a claim that runs over several lines
            by_hand.append(f"{display}:{claim.line}: {claim.raw} -> {new_raw}: edit by hand")
            continue
        lines[claim.line - 1] = line[:at] + new_raw + line[at + len(claim.raw) :]
        changes.append(f"{display}:{claim.line} {claim.typed} -> {new}")
    if changes:
        path.write_text("\n".join(lines), encoding="utf-8")
    return sorted(changes, key=_line_order), sorted(by_hand, key=_line_order)


def _line_order(entry: str) -> int:
    return int(entry.split(":")[1].split()[0])


def main(argv: list[str]) -> int:
    if argv:
        paths = [Path(a).resolve() for a in argv]
    else:
        sys.path.insert(0, str(ROOT))
        from tests.pages import nav_pages

        paths = nav_pages()
    failed = False
    for path in paths:
        display = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
        changes, by_hand = update_page(path, display)
        for line in changes:
            print(line)
        for line in by_hand:
            print(line, file=sys.stderr)
        failed = failed or bool(by_hand)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
