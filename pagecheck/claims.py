"""Check a page's claims against the namespace its code left: each ``{{ expr == typed }}``
must state the value ``expr`` has once the page has run; each glue ``{{ expr }}`` shows its
value. A claim's value may come from the execution cache instead (a snapshot), with the
verdict it had then; a claim whose value changes further down the page is an error.
"""

from __future__ import annotations

import traceback
from typing import TYPE_CHECKING, Any, Callable

from pagecheck import numbers
from pagecheck.snapshots import ClaimError, from_snapshot, snapshot
from pagecheck.typed import compare_claim

if TYPE_CHECKING:
    from pagecheck.page import Claim, Fence, Page


class ClaimChecker:
    """The claims of one page. ``evaluate(claim)`` gives a claim's value in the page's
    namespace; ``where(line)`` names a line of the page."""

    def __init__(self, page: Page, evaluate: Callable[[Claim], Any], where: Callable[[int], str]) -> None:
        self.page = page
        self._evaluate = evaluate
        self.where = where
        self.glue: dict[tuple[int, int], str] = {}
        self.early: dict[str, Any] = {}  # "fence index|expr" -> snapshot just below that fence
        self.cached_values: dict[str, Any] | None = None  # expr -> snapshot, from the cache
        self.checks: dict[str, str] = {}  # "expr\0typed" -> "" (holds) or why not; cached too

    def _value(self, claim: Claim) -> Any:
        """The claim's value: evaluated in the namespace, or rebuilt from the cache."""
        if self.cached_values is None:
            return self._evaluate(claim)
        record = self.cached_values[claim.expr]
        if "error" in record:
            raise ClaimError(record["error"])
        return from_snapshot(record)

    def note_claims_after(self, fence: Fence) -> None:
        """Remember what the claims just below this fence evaluate to right here.

        Claims are checked once the page has run to the end (a derivation may state a number
        before the code that computes it). If a name a claim uses is later given another
        value, the claim would be checked against the wrong thing: ``finish`` reports that.
        """
        for claim in self.page.claims_after(fence.index):
            try:
                self.early[f"{fence.index}|{claim.expr}"] = snapshot(self._evaluate(claim))
            except Exception:  # noqa: BLE001  (not computed yet: fine, it is checked at the end)
                pass

    def snapshots(self) -> dict[str, Any]:
        """Every claim's and glue's value after the page ran, as JSON-able snapshots."""
        found: dict[str, Any] = {}
        for claim in self.page.claims:
            if claim.expr in found:
                continue
            try:
                value = self._evaluate(claim)
                found[claim.expr] = snapshot(value)
                if claim.typed is None:  # a glue: keep what it shows, so a rebuild need not
                    found[claim.expr]["glue"] = numbers.format_value(value)
            except Exception as error:  # noqa: BLE001
                found[claim.expr] = {"error": "".join(traceback.format_exception_only(type(error), error)).strip()}
        return found

    def finish(self, claims: list[Claim] | None = None) -> list[str]:
        """Check every claim of the page against the namespace the whole page left behind."""
        failures = []
        for claim in self.page.claims if claims is None else claims:
            if self.cached_values is not None:  # same value as last time: reuse what is known
                record = self.cached_values.get(claim.expr, {})
                if claim.typed is None and "glue" in record:
                    self.glue[(claim.line, claim.column)] = record["glue"]
                    continue
                known = self.checks.get(f"{claim.expr}\0{claim.typed}")
                if claim.typed is not None and known is not None:
                    if known:
                        failures.append(f"{self.where(claim.line)}: claim {claim.raw} does not hold: {known}")
                    continue
            try:
                value = self._value(claim)
            except ClaimError as error:
                failures.append(f"{self.where(claim.line)}: claim {claim.raw} could not be evaluated: {error}")
                continue
            except Exception as error:  # noqa: BLE001
                detail = "".join(traceback.format_exception_only(type(error), error)).strip()
                failures.append(
                    f"{self.where(claim.line)}: claim {claim.raw} could not be evaluated: {detail}"
                )
                continue
            early = self.early.get(f"{claim.after_fence}|{claim.expr}")
            if early is not None and early != snapshot(value):
                failures.append(
                    f"{self.where(claim.line)}: claim {claim.raw} changes value further down the page "
                    f"(a name it uses is reassigned, or a tensor modified in place, after this line); "
                    f"give the later value another name"
                )
                continue
            if claim.typed is None:
                try:
                    self.glue[(claim.line, claim.column)] = numbers.format_value(value)
                except numbers.TypedValueError as error:
                    failures.append(f"{self.where(claim.line)}: glue {claim.raw}: {error}")
                continue
            try:
                problem = compare_claim(claim.typed, value)
            except numbers.TypedValueError as error:
                problem = str(error)
            self.checks[f"{claim.expr}\0{claim.typed}"] = problem or ""
            if problem:
                failures.append(f"{self.where(claim.line)}: claim {claim.raw} does not hold: {problem}")
        return failures
