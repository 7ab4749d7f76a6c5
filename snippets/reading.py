"""How long a page takes to work through, estimated from its source.

    from snippets.reading import reading_minutes
    reading_minutes("knobs.md")      # a page of docs/, or an exercise notebook

Prose is read at about 200 words a minute; code is read more slowly, a line at a time, at
about 10 lines a minute (reading it is the point of these pages, not skimming it). The
estimate is rounded to five minutes, never below five: it tells a reader whether a page is a
coffee break or an evening, nothing finer.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"
PROSE_WORDS_PER_MINUTE = 200
CODE_LINES_PER_MINUTE = 10

_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.S)
_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,}).*?^\1\2\s*$", re.S | re.M)
_CLAIM = re.compile(r"\{\{(.*?)\}\}", re.S)


def _typed(claim: re.Match) -> str:
    """What a reader sees of a claim: the typed side, or a placeholder for a glued value."""
    body = claim.group(1)
    return body.split("==", 1)[1] if "==" in body else " value "


def _count(markdown: str) -> tuple[int, int]:
    """Words of prose and lines of code in a Markdown text."""
    code_lines = 0
    for fence in _FENCE.finditer(markdown):
        code_lines += max(0, len(fence.group(0).strip().splitlines()) - 2)
    prose = _CLAIM.sub(_typed, _FENCE.sub(" ", markdown))
    return len(re.findall(r"[A-Za-z0-9_']+", prose)), code_lines


def reading_minutes(page: str) -> int:
    """Minutes to work through ``page`` (a path below docs/), rounded to five."""
    path = DOCS / page
    if not path.is_file():
        raise FileNotFoundError(f"no page {page!r} in docs/")
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        words = code = 0
        for cell in cells:
            text = "".join(cell["source"])
            if cell["cell_type"] == "code":
                code += len(text.splitlines())
            else:
                words += _count(text)[0]
    else:
        words, code = _count(_FRONT_MATTER.sub("", path.read_text(encoding="utf-8")))
    minutes = words / PROSE_WORDS_PER_MINUTE + code / CODE_LINES_PER_MINUTE
    return max(5, 5 * round(minutes / 5))
