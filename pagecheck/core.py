"""One page's check, whatever builds the site: the engine-agnostic core of the build's checks.

A ``PageCheck`` is made for one page, when its Markdown is about to be converted. It reads
the page (``pagecheck.page``), loads its entry from the execution cache, and hands back the
Markdown to convert: each claim ``{{ expr == typed }}`` replaced by its typed text, each
glue by a token, each Python fence tagged with its index. As the converter reaches each
fence, ``run_fence`` runs it in the page's namespace (or replays it from the cache entry)
and returns what it printed, displayed and drew. ``finish`` ends the page: the claims are
checked against what the code left, the measurement stops, the cache entry is stored and
every fence the converter never reached is reported. ``fill`` then puts the glued values
into the HTML and renders its math. Everything wrong is a ``Diagnostic(path, line,
message)``.

Adapters connect it to a generator: ``pagecheck.mkdocs_hooks`` (MkDocs, the site's
generator) and ``pagecheck.markdown_ext`` (a Python-Markdown extension, for any generator
that runs Python-Markdown: Zensical, ProperDocs, MkDocs itself). Nothing here knows
either; a PageCheck holds all the state of its page, and nothing is shared between pages.
"""

from __future__ import annotations

import html
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pagecheck import cache
from pagecheck.execute import PageError
from pagecheck.math import render_page_and_text
from pagecheck.measure import Measure
from pagecheck.page import Claim, Page, read_page, read_page_cached, render_claims
from pagecheck.runner import PageRunner

ROOT = Path(__file__).resolve().parent.parent
FENCE_TAG = "pagecheck_fence"
GLUE_TOKEN = "PAGECHECKGLUE{}X"


def execute_enabled() -> bool:
    """PAGECHECK_EXECUTE=off builds the site without running any code (nothing is checked)."""
    return os.environ.get("PAGECHECK_EXECUTE", "on").lower() not in {"off", "0", "no", "false"}


@dataclass(frozen=True)
class Diagnostic:
    """Something wrong with a page, where it is: ``docs/page.md:12: message``."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"

    _WHERE = re.compile(r"^(?P<path>.+?):(?P<line>\d+): (?P<message>.*)$", re.S)

    @classmethod
    def parse(cls, text: str, path: str) -> "Diagnostic":
        """A message the runner wrote as ``page:line: ...`` (anything else: line 1)."""
        match = cls._WHERE.match(text)
        if match:
            return cls(match["path"], int(match["line"]), match["message"])
        return cls(path, 1, text)


def display_path(path: Path) -> str:
    """The page as messages name it: relative to the project (docs/page.md)."""
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


@dataclass
class FenceResult:
    """What one fence showed: printed text, rich displays (HTML), figures (SVG)."""

    text: str = ""
    html: list[str] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)
    error: Diagnostic | None = None  # the fence failed
    skipped: bool = False  # not run: a fence above it failed

    @property
    def count(self) -> int:
        return bool(self.text) + len(self.html) + len(self.figures)


class PageCheck:
    """The check of one page, from its Markdown to its finished HTML (see the module)."""

    def __init__(self, path: Path, markdown: str | None = None, execute: bool | None = None) -> None:
        self.path = Path(path)
        self.display = display_path(self.path)
        self.execute = execute_enabled() if execute is None else execute
        full = self.path.read_text(encoding="utf-8")
        # A generator hands over the page without its front matter: the file is read whole
        # so that every line number reported is the file's own.
        start = full.rfind(markdown) if markdown and full.endswith(markdown) else -1
        if markdown is not None and start < 0:  # another extension changed it: read what we got
            full, start = markdown, 0
        self.offset = full[: max(start, 0)].count("\n")
        self.page: Page = read_page_cached(self.path)
        if self.page.text != full:
            self.page = read_page(self.path, full)
        self.runner = PageRunner(self.page, display_path=self.display)
        self.diagnostics: list[Diagnostic] = [
            Diagnostic(self.display, p.line, p.message) for p in self.page.problems
        ]
        self.failed = False
        self.finished = False
        self.reached: set[int] = set()  # fence indices the converter handed over
        self.glue_tokens: dict[str, tuple[int, int]] = {}
        self.outputs: list[dict[str, Any]] = []
        self.measure: Measure | None = None
        self.stats: dict[str, Any] | None = None  # seconds, peak memory, from the cache or not
        self.search_text = ""  # the finished page as text, formulas included (for a search index)
        code = self.page.code_fences
        self.key = cache.page_key(self.display, [fence.code for fence in code])
        self.entry = None
        entry = cache.load(self.key)
        if entry is not None and all(c.expr in entry.values for c in self.page.claims) and len(entry.outputs) == len(code):
            self.entry = entry
            self.runner.cached_values = entry.values
            self.runner.early = dict(entry.early)
            self.runner.checks = dict(entry.checks)

    # ------------------------------------------------------------ the Markdown to convert

    def markdown(self) -> str:
        """The page as the converter should read it (without the front matter it was given
        without): claims as their typed text, glues as tokens, fences tagged with their index
        on their own opening line (so that line numbers stay put)."""

        def glue_token(claim: Claim) -> str:
            token = GLUE_TOKEN.format(len(self.glue_tokens))
            self.glue_tokens[token] = (claim.line, claim.column)
            return token

        lines = render_claims(self.page.text, self.page, glue_token).split("\n")
        for fence in self.page.code_fences:
            if fence.executed:
                k = fence.start_line - 1
                lines[k] = f'{lines[k]} {FENCE_TAG}="{fence.index}"'
        return "\n".join(lines[self.offset :])

    # ------------------------------------------------------------ the fences

    def run_fence(self, index: int) -> FenceResult:
        """Run (or replay from the cache) the fence with this index; the page is finished
        after its last code fence. Never raises: a failure is the result's ``error``."""
        fence = self.page.fences[index]
        self.reached.add(index)
        code = self.page.code_fences
        position = code.index(fence)
        last = position == len(code) - 1
        if not self.execute:
            return FenceResult()
        if self.entry is not None:  # nothing the code depends on changed
            saved = self.entry.outputs[position]
            result = FenceResult(saved["text"], list(saved["html"]), list(saved["figures"]))
        elif self.failed:
            return FenceResult(skipped=True)
        else:
            if position == 0:
                _forget_snippets()  # the page imports afresh: the cache learns what it uses
                self.measure = Measure().__enter__()
            try:
                output = self.runner.run_fence(fence)
            except PageError as error:
                self.failed = True
                self._stop_measuring()
                problem = Diagnostic.parse(str(error), self.display)
                self.diagnostics.append(problem)
                return FenceResult(error=problem)
            result = FenceResult(output.text, output.html, output.figures)
            self.outputs.append({"text": result.text, "html": result.html, "figures": result.figures})
        if last:
            self.finish()
        return result

    def _stop_measuring(self) -> None:
        if self.measure is not None:
            self.measure.__exit__(None, None, None)

    def finish(self) -> list[Diagnostic]:
        """End the page (once; later calls return the same): check the claims, stop the
        measurement, store the cache entry, and report every executed fence the converter
        never handed over. Returns every diagnostic of the page."""
        if self.finished:
            return self.diagnostics
        self.finished = True
        for fence in self.page.code_fences:
            if self.execute and fence.executed and fence.index not in self.reached:
                self.diagnostics.append(Diagnostic(
                    self.display, fence.start_line,
                    "this code fence was not run by the build "
                    "(is it inside an indented block, or is its header malformed?)"))
        self._stop_measuring()
        if not self.execute or self.failed:
            return self.diagnostics
        failures = self.runner.finish()
        self.diagnostics += [Diagnostic.parse(f, self.display) for f in failures]
        if len(self.outputs) < len(self.page.code_fences) and self.entry is None:
            return self.diagnostics  # not every fence ran: nothing for the cache
        if self.entry is not None:
            self.stats = {"seconds": self.entry.seconds, "peak_mib": self.entry.peak_mib, "cached": True}
            if len(self.runner.checks) > len(self.entry.checks):  # a typed number changed
                self.entry.checks = self.runner.checks
                cache.store(self.entry)
        elif self.page.code_fences:
            entry = cache.Entry(
                key=self.key,
                outputs=self.outputs,
                values=self.runner.snapshots(),
                early=self.runner.early,
                checks=self.runner.checks,
                imports=cache.snippets_imported(),
                seconds=self.measure.seconds,
                peak_mib=self.measure.peak_mib,
            )
            cache.store(entry)  # only reached when every fence ran
            self.stats = {"seconds": entry.seconds, "peak_mib": entry.peak_mib, "cached": False}
        return self.diagnostics

    # ------------------------------------------------------------ the HTML

    def fill(self, content: str) -> str:
        """The converted page with its glued values in place and its math rendered (the page
        is finished first, if it was not)."""
        self.finish()
        for token, key in self.glue_tokens.items():
            value = self.runner.glue.get(key)
            if value is None:
                value = "??"
                if not self.failed and self.execute:
                    self.diagnostics.append(Diagnostic(self.display, key[0], "glued value was never computed"))
            content = content.replace(token, html.escape(value))
        content, self.search_text, math_errors = render_page_and_text(content)
        for error in math_errors:
            self.diagnostics.append(Diagnostic(
                self.display, _line_of(self.page.text, error.tex), f"KaTeX cannot render this formula: {error}"))
        return content


def _forget_snippets() -> None:
    import sys

    for name in [m for m in sys.modules if m == "snippets" or m.startswith("snippets.")]:
        del sys.modules[name]


def _line_of(text: str, tex: str) -> int:
    """The page line a formula starts on (found by its first characters)."""
    probe = tex.strip().split("\n")[0][:40]
    for number, line in enumerate(text.split("\n"), 1):
        if probe and probe in line:
            return number
    return 1


@dataclass
class BuildRecord:
    """What one build of the site has checked, for an adapter and the site's own hooks:
    each page's check (by its display path), each page's or notebook's execution time,
    and which executed copy shows which exercise notebook."""

    pages: dict[str, PageCheck] = field(default_factory=dict)
    stats: dict[str, dict[str, Any]] = field(default_factory=dict)
    notebooks: dict[str, Path] = field(default_factory=dict)  # executed copy -> the source

    def clear(self) -> None:
        self.pages.clear()
        self.stats.clear()
