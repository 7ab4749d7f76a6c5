"""What a downloaded page needs to check itself, wherever it runs.

Every derivation page can be downloaded as a notebook or a Python file
(``pagecheck.export`` makes them). Its first cell calls ``start_page()``, so that the page's
code starts from the random state the site's build starts from; its last cell calls
``check_page(globals(), [...])`` with every number the page's prose states, and compares each
with what the code computed, as the build does (``pagecheck.typed.compare_claim``):

    every number this page states: 23 of 23 hold

A reader who edits a cell and runs the page again sees which statements no longer hold.
This module imports nothing the pages do not (torch, sympy, numpy), so installing the
site's helpers pulls in nothing else.
"""

from __future__ import annotations

import os
import traceback
from contextlib import contextmanager
from typing import Any, Iterable

from pagecheck import numbers
from pagecheck.execute import reset_figure_style, reset_random_state
from pagecheck.typed import compare_claim


def start_page() -> None:
    """The random state a page starts from at build time: seed 0 for Python, NumPy and
    PyTorch, and PyTorch on one thread (a float32 sum split across threads adds in
    another order, so its last bits would depend on the machine's cores), and the site's
    figure style."""
    reset_random_state()
    reset_figure_style()


def _failure(error: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(error), error)).strip()


def check_page(namespace: dict[str, Any], claims: Iterable[tuple], glued: Iterable[tuple] = ()) -> list[str]:
    """Check the page's stated numbers against the values its code left in ``namespace``.

    ``claims``: ``(line, expression, typed text)`` for every number the prose states, the
    line being the page's own (``docs/...md``). ``glued``: ``(line, expression)`` for the
    figures the prose shows as computed on the reader's machine; they are printed, not
    checked. Prints the verdict and returns one message per statement that does not hold.
    """
    claims = list(claims)
    with _no_disk_cache():
        problems = _check_claims(namespace, claims)
    held = len(claims) - len(problems)
    print(f"every number this page states: {held} of {len(claims)} hold")
    for problem in problems:
        print("  " + problem)
    glued = list(glued)
    if glued:
        print("figures it computes rather than states (they may differ from machine to machine):")
        for line, expression in glued:
            try:
                shown = numbers.format_value(eval(expression, namespace))  # noqa: S307
            except Exception as error:  # noqa: BLE001
                shown = f"could not be computed: {_failure(error)}"
                problems.append(f"line {line}: {expression} could not be computed: {_failure(error)}")
            print(f"  line {line}: {expression} = {shown}")
    return problems


@contextmanager
def _no_disk_cache():
    """Parsed formulas are not kept on disk where a downloaded page checks itself; the
    setting is put back afterwards (a test run that checks downloads in its own process
    goes on caching)."""
    before = os.environ.get("PAGECHECK_CACHE")
    os.environ["PAGECHECK_CACHE"] = before if before is not None else "off"
    try:
        yield
    finally:
        if before is None:
            del os.environ["PAGECHECK_CACHE"]


def _check_claims(namespace: dict[str, Any], claims: list[tuple]) -> list[str]:
    problems = []
    for line, expression, typed in claims:
        try:
            value = eval(expression, namespace)  # noqa: S307  (the page's own expression)
        except Exception as error:  # noqa: BLE001  (reported, with what went wrong)
            problems.append(f"line {line}: {typed} ({expression}) could not be computed: {_failure(error)}")
            continue
        try:
            problem = compare_claim(typed, value)
        except numbers.TypedValueError as error:
            problem = str(error)
        if problem:
            problems.append(f"line {line}: {typed} ({expression}) does not hold: {problem}")
    return problems
