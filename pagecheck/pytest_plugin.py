"""pytest side of the page checks: a pytest-markdown-docs runner that keeps one namespace per page.

pytest-markdown-docs turns every Python fence of ``docs/**/*.md`` into a test item. With
``continuation`` it would re-run all the fences above each one (quadratic in the page
length); this runner instead keeps the page's namespace from the fence before, runs only
the new fence, and then checks the claims that follow it in the prose. Running one item
alone (``-k``) still works: the fences above it are run first.

When the drift check is part of the run (``DRIFT``, set by the project's conftest when
``tests/test_drift.py`` is collected), each page's gradient perturbations are run on the way
through the page and its typed numbers altered at the end (``pagecheck.drift``). What a page's
run found (each fence's output, the perturbations that were not caught) is written as a
record to ``RECORDS``, a folder the test workers share, so that the drift check and the
reproducibility check read it instead of running the page again, whichever worker they are in.
The other way round too: when one of those tests needed the page first and ran it, the
page's own tests report what that run found at each fence. Each page runs once a test run.

Loaded from the project's ``conftest.py``.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pytest_markdown_docs._runners import _Runner, register_runner

from pagecheck import cache
from pagecheck.drift import GradientDrift, number_survivors
from pagecheck.measure import Measure
from pagecheck.page import Page, read_page_cached
from pagecheck.runner import PageError, PageRunner

ROOT = Path(__file__).resolve().parent.parent
DRIFT = False  # run the gradient perturbations on the way through each page
RECORDS: Path | None = None  # where each page's run is recorded (set by the project's conftest)
PAGES_IN_RUN: set[Path] = set()  # the pages whose page tests are part of this run


def page_record(path: Path, timeout: float = 300.0) -> dict | None:
    """What this test run recorded for ``path`` (its page tests, or another test that ran
    it). While another test worker is running the page, wait for it; None when nobody has
    run it yet and no worker is running it (test workers take test files in no fixed
    order): the caller then runs the page."""
    if RECORDS is None:
        return None
    target = record_path(RECORDS, display_path(path))
    started = target.with_suffix(".started")
    if not target.exists() and (Path(path) not in PAGES_IN_RUN or not started.exists()):
        return None
    deadline = time.monotonic() + timeout
    while not target.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{display_path(path)}: no record of its page tests after {timeout:.0f} s")
        time.sleep(0.1)
    return json.loads(target.read_text(encoding="utf-8"))


def page_started(path: Path) -> bool:
    """Has a test of this run started running the page (or recorded it)?"""
    if RECORDS is None:
        return False
    target = record_path(RECORDS, display_path(path))
    return target.exists() or target.with_suffix(".started").exists()


def record_path(records: Path, where: str) -> Path:
    return records / (where.replace("/", "__") + ".json")


def _record_of_session(session: "_Session", failed: str | None) -> dict:
    # "fences": what each fence's test item reported, in order, for the fences that ran (None:
    # it passed). A page test that finds the record reports the same instead of running.
    record = {"failed": failed, "fences": list(session.reports)}
    if failed is None:
        record["outputs"] = _outputs(session)
        if session.drift is not None:
            record["gradients"] = [
                {"first": o.first, "statement": o.statement, "failure": o.failure} for o in session.drift.outcomes
            ]
            record["numbers"] = number_survivors(session.runner)
    return record


def _outputs(session: "_Session") -> list[dict]:
    return [{"text": o.text, "html": o.html, "figures": o.figures} for o in session.outputs]


def _keep_for_the_build(session: "_Session") -> str | None:
    """Keep the page's whole run in the execution cache, as a build that ran the page would
    have (``pagecheck.cache``): the site build of this test run then shows these outputs
    and values instead of running every page a second time.

    When the cache already holds a run of the same code (an earlier build or test run: the
    site's workflow builds before it tests), each fence must have printed and drawn the
    same thing in both; the first fence that did not is returned as a failure."""
    session.measure.__exit__(None, None, None)
    runner, code = session.runner, session.page.code_fences
    key = cache.page_key(runner.display_path, [fence.code for fence in code])
    outputs = _outputs(session)
    earlier = cache.load(key)
    if earlier is not None and len(earlier.outputs) == len(outputs):
        for fence, before, now in zip(code, earlier.outputs, outputs):
            for part in ("text", "html", "figures"):
                if before[part] != now[part]:
                    return (
                        f"{runner.where(fence.start_line)}: the fence's {part} differs from the earlier run "
                        "kept in the execution cache: a page must print and draw the same every time it runs"
                    )
    cache.store(
        cache.Entry(
            key=key,
            outputs=outputs,
            values=runner.snapshots(),
            early=dict(runner.early),
            checks=dict(runner.checks),
            imports=cache.snippets_imported(),
            seconds=session.seconds,
            peak_mib=session.measure.peak_mib,
        )
    )
    return None


def _record(session: "_Session", failed: str | None = None) -> dict:
    """The session's record, written where the other test workers read it (if anywhere)."""
    if session.measure is not None:
        session.measure.__exit__(None, None, None)
    record = session.record = _record_of_session(session, failed)
    if RECORDS is not None:
        RECORDS.mkdir(parents=True, exist_ok=True)
        target = record_path(RECORDS, session.runner.display_path)
        partial = target.with_name(target.name + f".{os.getpid()}.part")
        partial.write_text(json.dumps(record), encoding="utf-8")
        partial.replace(target)
    return record


class PageCheckFailure(AssertionError):
    """A fence raised, or a claim after it does not hold."""


@dataclass
class _Session:
    page: Page
    runner: PageRunner
    last_index: int | None = None
    broken: str | None = None
    drift: GradientDrift | None = None
    outputs: list = field(default_factory=list)  # each fence's FenceOutput, in order
    reports: list = field(default_factory=list)  # each fence's failure as its test reports it, or None
    record: dict | None = None  # written once the page has run to its end or failed
    seconds: float = 0.0  # in the page's own fences (not in its perturbations)
    measure: Measure | None = None  # peak memory while the page runs


_sessions: dict[str, _Session] = {}


def display_path(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _fence_for(page: Page, start_line: int):
    # pytest-markdown-docs' start_line is the 1-based line of the opening ``` line.
    for fence in page.code_fences:
        if fence.start_line == start_line:
            return fence
    raise PageCheckFailure(f"{display_path(page.path)}:{start_line}: no code fence starts here")


def _problems_message(page: Page) -> str:
    first = page.problems[0]
    more = len(page.problems) - 1
    return f"{display_path(page.path)}:{first.line}: {first.message}" + (
        f" (and {more} more problems on this page)" if more else ""
    )


def _new_session(page: Page) -> _Session:
    where = display_path(page.path)
    session = _Session(page, PageRunner(page, display_path=where))
    if RECORDS is not None:  # others may wait for this page's record from now on
        RECORDS.mkdir(parents=True, exist_ok=True)
        record_path(RECORDS, where).with_suffix(".started").touch()
    if DRIFT:
        session.drift = GradientDrift(page, where)
    _sessions[str(page.path)] = session
    return session


def _run_one(session: _Session, fence, check_claims: bool) -> None:
    """Run one fence of the page (its perturbations first, when the drift check is on);
    after the page's last fence, check its claims and write its record. Raises
    PageCheckFailure with what the fence's test reports."""
    if session.drift is not None:
        session.drift.before(session.runner, fence)
    if session.measure is None and not session.outputs:
        session.measure = Measure().__enter__()
    started = time.perf_counter()
    try:
        session.outputs.append(session.runner.run_fence(fence))
        session.seconds += time.perf_counter() - started
    except PageError as error:
        session.broken = f"an earlier fence failed: {str(error).splitlines()[0]}"
        session.last_index = fence.index
        session.reports.append(str(error))
        _record(session, failed=str(error))
        raise PageCheckFailure(str(error)) from error
    session.last_index = fence.index
    if check_claims and fence is session.page.code_fences[-1]:
        failures = session.runner.finish()
        message = f"{len(failures)} claim(s) on this page do not hold:\n" + "\n".join(failures)
        if not failures and len(session.outputs) == len(session.page.code_fences):
            differs = _keep_for_the_build(session)
            failures, message = ([differs], differs) if differs else ([], "")
        if failures:
            session.reports.append(message)
            _record(session, failed="\n".join(failures))
            raise PageCheckFailure(message)
        session.reports.append(None)
        _record(session)
    else:
        session.reports.append(None)


def record_of(path: Path) -> dict:
    """The record of the page's run in this test run: as its page tests wrote it, or, when
    they have not started, from running the page here the same way, fence by fence (then
    recorded, so that the page tests and every other test of this run read it)."""
    record = page_record(path)
    if record is not None:
        return record
    page = read_page_cached(Path(path))
    session = _new_session(page)
    if session.drift is None:  # a record always carries the perturbations
        session.drift = GradientDrift(page, session.runner.display_path)
    if page.problems:
        return _record(session, failed=_problems_message(page))
    if not page.code_fences:  # claims and nothing to run
        failures = session.runner.finish()
        return _record(session, failed="\n".join(failures) if failures else None)
    for fence in page.code_fences:
        try:
            _run_one(session, fence, check_claims=True)
        except PageCheckFailure:
            break
    return session.record


def _replay(record: dict, position: int) -> None:
    """Report for the fence at ``position`` what the page's recorded run found there."""
    reports = record["fences"]
    if position < len(reports):
        if reports[position] is not None:
            raise PageCheckFailure(reports[position])
        return
    raise PageCheckFailure(f"not run: an earlier fence failed: {(reports or [record['failed']])[-1].splitlines()[0]}")


@register_runner(default=True)
class PageSessionRunner(_Runner):
    """Run a fence in its page's namespace, then check the claims below it; or, when this
    test run has already run the page (the drift check or the build needed it first),
    report what that run found at the fence."""

    def runtest(self, test, args, **kwargs) -> None:
        page = read_page_cached(Path(test.source_path))
        if page.problems:
            raise PageCheckFailure(_problems_message(page))
        fence = _fence_for(page, test.start_line)
        code = page.code_fences
        position = code.index(fence)
        session = _sessions.get(str(page.path))
        expected_last = code[position - 1].index if position else None
        going_on = (
            session is not None and session.page is page and position > 0
            and session.last_index == expected_last and session.record is None
        )
        if not going_on:
            record = page_record(page.path)
            if record is not None:
                return _replay(record, position)
            session = _new_session(page)
            for earlier in code[:position]:  # a fence run alone: bring the namespace up to it
                _run_one(session, earlier, check_claims=False)
        if session.broken:
            raise PageCheckFailure(f"not run: {session.broken}")
        _run_one(session, fence, check_claims=True)

    def repr_failure(self, test, excinfo: pytest.ExceptionInfo[BaseException], style=None) -> str:
        if isinstance(excinfo.value, PageCheckFailure):
            return str(excinfo.value)
        return excinfo.exconly()
