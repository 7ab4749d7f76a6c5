"""Run a page: its fences in one namespace, then its claims against what they left.

``PageRunner`` puts the two jobs together, each in its own module:

* ``pagecheck.execute``: run a fence, capture its output (``FenceRunner``);
* ``pagecheck.claims``: check the claims, with values replayed from the cache
  (``ClaimChecker``);
* ``pagecheck.snapshots``: values as JSON-able records, for the cache;
* ``pagecheck.typed``: how a typed value is compared with a computed one;
* ``pagecheck.latex``: typed LaTeX read with sympy.

The names those modules define are importable from here as well.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pagecheck.claims import ClaimChecker
from pagecheck.execute import SEED, FenceOutput, FenceRunner, PageError, reset_random_state
from pagecheck.latex import parse_tex
from pagecheck.snapshots import ClaimError, from_snapshot, snapshot
from pagecheck.typed import compare_claim

__all__ = ["SEED", "ClaimChecker", "ClaimError", "FenceOutput", "FenceRunner", "PageError", "PageRunner",
           "compare_claim", "from_snapshot", "parse_tex", "reset_random_state", "snapshot"]

if TYPE_CHECKING:
    from pagecheck.page import Claim, Fence, Page


class PageRunner(FenceRunner):
    """Runs one page's fences, in order, in one namespace, and checks its claims."""

    def __init__(self, page: Page, display_path: str | None = None) -> None:
        super().__init__(page, display_path)
        self.claims = ClaimChecker(page, self._evaluate, self.where)

    def _evaluate(self, claim: Claim) -> Any:
        return eval(compile(claim.expr, self.display_path, "eval"), self.namespace)

    def after_fence(self, fence: Fence) -> None:
        self.claims.note_claims_after(fence)

    # What the claim checker keeps, read and set as the runner's own (the build and the
    # drift check hand them from one runner to another).
    glue = property(lambda self: self.claims.glue)
    early = property(lambda self: self.claims.early, lambda self, v: setattr(self.claims, "early", v))
    checks = property(lambda self: self.claims.checks, lambda self, v: setattr(self.claims, "checks", v))
    cached_values = property(lambda self: self.claims.cached_values,
                             lambda self, v: setattr(self.claims, "cached_values", v))

    def note_claims_after(self, fence: Fence) -> None:
        self.claims.note_claims_after(fence)

    def snapshots(self) -> dict[str, Any]:
        return self.claims.snapshots()

    def value(self, claim: Claim) -> Any:
        """A claim's value: evaluated in the namespace, or rebuilt from the cache."""
        return self.claims._value(claim)

    def finish(self, claims: list[Claim] | None = None) -> list[str]:
        """Check every claim of the page against the namespace the whole page left behind."""
        return self.claims.finish(claims)

    def run_all(self) -> list[str]:
        """Run every fence and check every claim. Returns the failures (empty: page holds)."""
        failures = [f"{self.where(p.line)}: {p.message}" for p in self.page.problems]
        if failures:
            return failures
        for fence in self.page.code_fences:
            try:
                self.run_fence(fence)
            except PageError as error:
                return [str(error)]
        return self.finish()
