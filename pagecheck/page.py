"""Read a Markdown page: its Python fences, its claims, and the numbers nobody checks.

The same reading serves the build (``pagecheck.core``) and the test run
(``pagecheck.pytest_plugin``), so both agree on which code a page has and which numbers it
states.

A *claim* is written ``{{ expr == typed }}``: the page shows ``typed``; once the page's code
has run, the check evaluates ``expr`` in the page's namespace and fails unless ``typed``
states that value (see ``pagecheck.numbers``; a sympy expression is compared symbolically). A *glue* is written ``{{ expr }}``: the page shows the
value itself (for figures that legitimately vary between machines, such as a max |diff|).
Every other number in prose or math is an *unchecked number*, and the page is rejected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from markdown_it import MarkdownIt

PYTHON_LANGS = {"py", "python", "python3"}
MAX_CODE_LINE = 72


@dataclass
class Fence:
    index: int
    start_line: int  # 1-based line of the opening ``` line
    end_line: int  # 1-based line of the closing ``` line
    info: str
    code: str
    executed: bool  # exec="on": runs at build time
    tested: bool  # python, not notest: runs under pytest-markdown-docs
    continuation: bool

    @property
    def code_line(self) -> int:
        """1-based line number of the first line of code."""
        return self.start_line + 1


@dataclass
class Claim:
    line: int  # 1-based
    column: int  # 1-based
    expr: str
    typed: str | None  # None for a glue
    raw: str  # the whole {{ ... }} text
    in_math: bool = False
    after_fence: int | None = None  # index into Page.fences; None: no code on the page


@dataclass
class Problem:
    line: int
    column: int
    message: str
    kind: str = "page"  # UNCHECKED (a number outside a claim), MALFORMED_CLAIM, or "page"
    number: str = ""  # an unchecked number as written
    place: str = ""  # where it is: "prose" or "math"


UNCHECKED = "number"
MALFORMED_CLAIM = "claim"


@dataclass
class Page:
    path: Path
    text: str
    fences: list[Fence] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def code_fences(self) -> list[Fence]:
        return [f for f in self.fences if f.tested or f.executed]

    def claims_after(self, fence_index: int) -> list[Claim]:
        return [c for c in self.claims if c.after_fence == fence_index]


# Only the blocks are read (fences, HTML, indented code): inline parsing, a third of the
# reading's time, is left out.
_md = MarkdownIt("commonmark").disable("inline")


def _fence_options(info: str) -> tuple[str, set[str], dict[str, str]]:
    words = info.split()
    lang = words[0] if words else ""
    options = set(words[1:])
    kv = dict(re.findall(r'(\w+)="([^"]*)"', info))
    return lang, options, kv


def _blank(text: str, start: int, end: int, filler: str = " ") -> str:
    """Replace text[start:end] with filler, keeping newlines (so positions stay put)."""
    return text[:start] + re.sub(r"[^\n]", filler, text[start:end]) + text[end:]


# A claim is blanked with a character that is neither white space nor part of a word, so
# that `$x = {{ ... }}$` still ends its math with a `$` that follows no space.
CLAIM_FILLER = "\u00a4"


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return line, col


def _find_claims(text: str) -> list[tuple[int, int, str]]:
    """(start, end, inner) of every balanced {{ ... }} in text."""
    found = []
    i = 0
    while True:
        start = text.find("{{", i)
        if start < 0:
            return found
        depth, j = 0, start
        while j < len(text):
            if text[j] == "{":
                depth += 1
            elif text[j] == "}":
                depth -= 1
                if depth == 0:
                    break
            elif text[j] == "\n" and text[j - 1] == "\n":
                break  # a claim never spans a paragraph break
            j += 1
        if depth != 0 or text[j - 1] != "}" or j == start + 1:
            found.append((start, start + 2, None))  # unbalanced: report it
            i = start + 2
            continue
        found.append((start, j + 1, text[start + 2 : j - 1]))
        i = j + 1


def _split_claim(inner: str) -> tuple[str, str | None]:
    """'expr == typed' -> (expr, typed); 'expr' -> (expr, None). Splits at the last top-level ==."""
    depth = 0
    split_at = None
    for i, ch in enumerate(inner):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0 and inner.startswith("==", i) and inner[i - 1 : i] not in "=!<>":
            split_at = i
    if split_at is None:
        return inner.strip(), None
    return inner[:split_at].strip(), inner[split_at + 2 :].strip()


# Regions of prose that are not prose: code spans, HTML, link targets, attribute lists...
_CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.S)
_MASKS_OUTSIDE_MATH = [
    re.compile(r"<!--.*?-->", re.S),  # HTML comments
    re.compile(r"</?[A-Za-z][^<>\n]*>"),  # HTML tags and their attributes
    re.compile(r"\]\([^)\s]*(?:\s+\"[^\"]*\")?\)"),  # link targets
    re.compile(r"^\s*\[[^\]]+\]:\s+\S+.*$", re.M),  # link reference definitions
    re.compile(r"\{\s*[:#.][^}\n]*\}"),  # attribute lists {: .class } {#id}
    re.compile(r"\[\^[^\]]+\]"),  # footnote references
    re.compile(r":[a-z0-9_+-]+:"),  # emoji / icon shortcodes
    re.compile(r"&#?\w+;"),  # HTML entities
    re.compile(r"^\s*\d+[.)]\s", re.M),  # ordered list markers
    re.compile(r"^#{1,6}\s.*\{#[^}]*\}", re.M),  # heading anchors are caught above; keep text
]
_MATH = re.compile(r"(?<![\\$])\$\$(.+?)\$\$|(?<![\\$])\$(?!\s)([^$\n]+?)(?<![\s\\])\$(?!\d)", re.S)
_MATH_EXEMPT = [
    re.compile(r"\\[dt]?frac\{1\}"),  # the 1 of 1/n in a mean
    re.compile(r"_\{[^{}]*\}|_\\?\w"),  # subscripts: w_1, w_{12}, x_{ij}
    re.compile(r"\\[a-zA-Z]+"),  # commands
    re.compile(r"\\[,;:! ]|\{,\}"),  # spacing
]
_NUMBER_IN_PROSE = re.compile(r"(?<![\w.\-/])[-\u2212]?\d+(?:[.,]\d+)*(?:[eE][-+]?\d+)?(?![\w])")
_NUMBER_IN_MATH = re.compile(r"\d+(?:\.\d+)?")


_CONTAINER = re.compile(r"^\s*(?:!!!|\?\?\?\+?|===\+?)\s")


def _is_container_body(lines: list[str], first: int) -> bool:
    """An indented block under an admonition (!!!, ???) or a content tab (===) is prose,
    although CommonMark (which knows neither) reads it as an indented code block."""
    k = first - 1
    while k >= 0 and not lines[k].strip():
        k -= 1
    return k >= 0 and bool(_CONTAINER.match(lines[k]))


def read_page(path: Path, text: str | None = None) -> Page:
    """Read a page: its fences, its claims, and the problems the lint rules find
    (``LINT_RULES``), sorted by line."""
    path = Path(path)
    if text is None:
        text = path.read_text(encoding="utf-8")
    page = Page(path=path, text=text)
    lines = text.split("\n")

    # 1. Fences, found exactly as pytest-markdown-docs finds them.
    masked = text
    line_starts = [0]
    for line in lines:
        line_starts.append(line_starts[-1] + len(line) + 1)

    def blank_lines(first: int, last: int) -> None:  # 0-based, inclusive
        nonlocal masked
        start = line_starts[first]
        end = min(line_starts[last + 1], len(masked))
        masked = _blank(masked, start, end)

    if lines and lines[0].strip() == "---":  # front matter
        for k in range(1, len(lines)):
            if lines[k].strip() == "---":
                blank_lines(0, k)
                break

    for token in _md.parse(text):
        if token.map is None:
            continue
        first, last = token.map[0], token.map[1] - 1
        if token.type == "fence":
            lang, options, kv = _fence_options(token.info)
            is_python = lang in PYTHON_LANGS
            fence = Fence(
                index=len(page.fences),
                start_line=first + 1,
                end_line=last + 1,
                info=token.info,
                code=token.content,
                executed=is_python and kv.get("exec", "").lower() in {"on", "1", "yes", "true"},
                tested=is_python and "notest" not in options,
                continuation="continuation" in options,
            )
            page.fences.append(fence)
            blank_lines(first, last)
        elif token.type == "html_block" or (
            token.type == "code_block" and not _is_container_body(lines, first)
        ):
            blank_lines(first, last)

    # 2. Code spans hide their content from everything else.
    for m in reversed(list(_CODE_SPAN.finditer(masked))):
        masked = _blank(masked, m.start(), m.end())

    # 3. Claims.
    math_spans = [(m.start(), m.end()) for m in _MATH.finditer(masked)]
    for start, end, inner in _find_claims(masked):
        line, col = _line_col(text, start)
        if inner is None:
            page.problems.append(Problem(line, col, "a '{{' here is never closed by '}}'", MALFORMED_CLAIM))
            continue
        expr, typed = _split_claim(inner)
        if not expr:
            page.problems.append(Problem(line, col, f"claim {text[start:end]!r} has no expression", MALFORMED_CLAIM))
        in_math = any(a <= start < b for a, b in math_spans)
        if typed and not in_math and re.search(r"\{,\}|\\[,;]|\\(?:cdot|frac|times)", typed):
            page.problems.append(
                Problem(line, col, f"LaTeX in a claim outside math shows as typed: {typed!r} "
                        "(write 6,553.6 in prose, or put the claim inside $...$)", MALFORMED_CLAIM)
            )
        page.claims.append(Claim(line, col, expr, typed, text[start:end], in_math))
        masked = _blank(masked, start, end, CLAIM_FILLER)

    # 4. The lint rules (LINT_RULES, below): each reads the page and the masked text (fences,
    #    code spans and claims blanked out) and returns its problems.
    for rule in LINT_RULES:
        page.problems += rule(page, masked)

    # 5. Claims are checked once the whole page has run; each also remembers the last code
    #    fence above it, so that a value that changes further down can be caught.
    code = page.code_fences
    for claim in page.claims:
        above = [f.index for f in code if f.end_line < claim.line]
        if above:
            claim.after_fence = above[-1]
        elif code:
            claim.after_fence = code[-1].index
    page.problems.sort(key=lambda p: (p.line, p.column))
    return page


# ---------------------------------------------------------------- lint rules
# Each takes the page as read (fences, claims) and its masked text, and returns problems.


def display_math_has_blank_lines(page: Page, masked: str) -> list[Problem]:
    """Display math needs a blank line before and after it, or arithmatex leaves raw TeX."""
    problems = []
    lines = page.text.split("\n")
    masked_lines = masked.split("\n")
    k = 0
    while k < len(masked_lines):
        if masked_lines[k].lstrip().startswith("$$"):
            end = k
            rest = masked_lines[k].lstrip()[2:]
            if "$$" not in rest:
                end = k + 1
                while end < len(masked_lines) and "$$" not in masked_lines[end]:
                    end += 1
            before = lines[k - 1].strip() if k > 0 else ""
            after = lines[end + 1].strip() if end + 1 < len(lines) else ""
            if before or after:
                problems.append(
                    Problem(k + 1, 1, "display math ($$) needs a blank line before and after it, "
                            "or it is left as raw TeX")
                )
            k = end + 1
        else:
            k += 1
    return problems


def numbers_are_claims(page: Page, masked: str) -> list[Problem]:
    """Every number left in prose or math (not in code, a claim, a link, HTML, a list
    marker, a subscript...) is unchecked: it must be a claim."""
    problems = []
    text = page.text
    pieces: list[tuple[int, int, bool]] = []  # (start, end, is_math)
    pos = 0
    for m in _MATH.finditer(masked):
        pieces.append((pos, m.start(), False))
        pieces.append((m.start(), m.end(), True))
        pos = m.end()
    pieces.append((pos, len(masked), False))
    for start, end, is_math in pieces:
        chunk = masked[start:end]
        if is_math:
            for pattern in _MATH_EXEMPT:
                chunk = pattern.sub(lambda m: " " * len(m.group()), chunk)
            finder = _NUMBER_IN_MATH
        else:
            for pattern in _MASKS_OUTSIDE_MATH:
                chunk = pattern.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), chunk)
            finder = _NUMBER_IN_PROSE
        for m in finder.finditer(chunk):
            line, col = _line_col(text, start + m.start())
            where = "math" if is_math else "prose"
            problems.append(
                Problem(
                    line,
                    col,
                    f"unchecked number {m.group()!r} in {where}: write it as "
                    f"{{{{ expr == {m.group()} }}}} so the tests compare it with the code's value",
                    UNCHECKED,
                    m.group(),
                    where,
                )
            )
    return problems


def code_lines_fit(page: Page, masked: str) -> list[Problem]:
    """Code a reader can read without scrolling sideways on the content column."""
    problems = []
    for fence in page.code_fences:
        for offset, code_line in enumerate(fence.code.split("\n")):
            if len(code_line) > MAX_CODE_LINE:
                problems.append(
                    Problem(fence.code_line + offset, MAX_CODE_LINE + 1,
                            f"code line of {len(code_line)} characters: keep code lines to "
                            f"{MAX_CODE_LINE} so they fit the page's content column")
                )
    return problems


def fences_run_at_build_and_test(page: Page, masked: str) -> list[Problem]:
    """What the build runs is what the tests run: a Python fence runs in both or in neither."""
    problems = []
    for fence in page.fences:
        lang = fence.info.split()[0] if fence.info.split() else ""
        if lang in PYTHON_LANGS and fence.executed != fence.tested:
            what = "runs at build time but not under pytest (remove 'notest')" if fence.executed else (
                "runs under pytest but not at build time: add exec=\"on\", or mark it notest"
            )
            problems.append(Problem(fence.start_line, 1, f"this python fence {what}"))
    return problems


def one_session_per_page(page: Page, masked: str) -> list[Problem]:
    """A page is one session: its first code fence starts it, every other continues it."""
    problems = []
    for k, fence in enumerate(page.code_fences):
        if k == 0 and fence.continuation:
            problems.append(
                Problem(fence.start_line, 1, "the first code fence of a page cannot be a 'continuation'")
            )
        if k > 0 and not fence.continuation:
            problems.append(
                Problem(
                    fence.start_line,
                    1,
                    "every code fence after the first needs 'continuation' "
                    "(one page is one session, at build time and under pytest)",
                )
            )
    return problems


LINT_RULES = (display_math_has_blank_lines, numbers_are_claims, code_lines_fit,
              fences_run_at_build_and_test, one_session_per_page)


@lru_cache(maxsize=256)
def _cached(path_str: str, mtime_ns: int, size: int) -> Page:
    return read_page(Path(path_str))


def read_page_cached(path: Path) -> Page:
    stat = Path(path).stat()
    return _cached(str(path), stat.st_mtime_ns, stat.st_size)


def render_claims(text: str, page: Page, glue_token) -> str:
    """Replace every {{ ... }} in text by what the reader sees: the typed text, or a glue token."""
    out = text
    for claim in sorted(page.claims, key=lambda c: (c.line, c.column), reverse=True):
        line_start = 0
        for _ in range(claim.line - 1):
            line_start = out.index("\n", line_start) + 1
        start = line_start + claim.column - 1
        assert out[start : start + len(claim.raw)] == claim.raw, (claim, out[start : start + 40])
        shown = claim.typed if claim.typed is not None else glue_token(claim)
        out = out[:start] + shown + out[start + len(claim.raw) :]
    return out
