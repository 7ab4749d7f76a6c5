"""How fast the author loop is: prints each figure as the median of several runs, and the
ratios the targets are stated in.

    python scripts/benchmark.py [--runs N]          (make benchmark)
    python scripts/benchmark.py --tests-only        (the cold test run alone)

* pure compute: every nav page's code run and its claims checked in one Python process,
  no MkDocs (from the first fence to the last claim, torch's import included, as in a
  build), from an empty cache like the cold build; and every exercise notebook run as the
  build runs it (pagecheck.notebooks.executed);
* bare build: `mkdocs build` with execution off (PAGECHECK_EXECUTE=off);
* cold build: `mkdocs build` with an empty execution cache;
* no-change rebuild: `mkdocs build` again, the cache warm;
* one-page edit: in a live process, as under `mkdocs serve`: the site is built once, then
  one page's prose is edited and the site rebuilt (all pages, and with --dirty: that page);
* the section "A whole network by hand", and each section added since 2026-11-29 ("How
  autograd works"): the seconds its pages and notebooks took to run in the cold build (read
  from the build's execution-times page);
* cold test run: the README's test command (`python -m pytest`, what `make test` runs) in a
  fresh clone of the repository's HEAD (commit first: uncommitted changes are not in it),
  every cache empty, as CI runs it.

Targets: cold <= 1.3 x (bare + pure compute); no-change <= 1.1 x bare; one-page edit
<= 1.5 s; the network section <= 30 s; full test run <= 60 s plus half of each new section's
figure. Run it on an otherwise idle machine.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}

PURE = """
import time, sys
sys.path.insert(0, {root!r})
from pagecheck.page import read_page
from pagecheck.runner import PageRunner
from tests.pages import nav_pages
t0 = time.perf_counter()
for path in nav_pages():
    failures = PageRunner(read_page(path)).run_all()
    assert not failures, failures
from pagecheck.notebooks import executed
from tests.pages import nav_notebooks
for path in nav_notebooks():
    executed(path, str(path))
print(time.perf_counter() - t0)
"""

SECTION = "mlp/"  # the pages and notebooks of "A whole network by hand"
# Sections added since 2026-11-29: each raises the cold test run's budget by half of its own
# execution cost in the cold build (its code runs about once in a test run, on two workers).
NEW_SECTIONS = {"How autograd works": "autograd/", "A transformer by hand": "transformer/",
                "A tiny GPT by hand": "gpt/"}
TEST_BUDGET = 60.0  # seconds, for the site as it stood on 2026-11-29


def section_seconds(site: Path, folder: str = SECTION) -> float:
    """Seconds a section's pages and notebooks ran for, from the execution-times page."""
    import re

    table = (site / "about" / "execution-times" / "index.html").read_text(encoding="utf-8")
    rows = re.findall(r'<tr><td><a href="[^"]*">([^<]+)</a></td><td>([0-9.]+)</td>', table)
    found = [float(seconds) for page, seconds in rows if page.startswith(folder)]
    if not found:
        raise SystemExit(f"no page of {folder} in the execution-times table")
    return sum(found)

EDIT = """
import os, sys, time, shutil, tempfile
from pathlib import Path
sys.path.insert(0, {root!r})
from mkdocs.commands.build import build
from mkdocs.config import load_config
page = Path({root!r}) / "docs" / "knobs.md"
original = page.read_text()
# as `make serve` does: --dirty, and not strict (a dirty build always warns that it is one;
# the page's own problems are still reported, with page and line)
config = load_config(os.path.join({root!r}, "mkdocs.yml"), site_dir=tempfile.mkdtemp(), strict=False)
config.plugins.on_startup(command="serve", dirty=False)
build(config)
results = []
try:
    for dirty in (False, True):
        page.write_text(original.replace("# Knobs: the chain rule as a machine",
                                         "# Knobs: the chain rule as a machine\\n\\nEdited.", 1))
        t0 = time.perf_counter()
        build(config, dirty=dirty)
        results.append(time.perf_counter() - t0)
        page.write_text(original)
        build(config)
finally:
    page.write_text(original)
print(*results)
"""


def timed(command: list[str], env: dict | None = None) -> float:
    t0 = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=env or ENV, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return time.perf_counter() - t0


def cold_test_run(clone: Path) -> float:
    """Seconds of the test command in a fresh clone of HEAD, with nothing cached."""
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    env = {**ENV, "PYTHONPATH": str(clone)}  # the clone's code, not this tree's
    t0 = time.perf_counter()
    result = subprocess.run([PY, "-m", "pytest", "-q"], cwd=clone, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"the test run in a fresh clone failed:\n{result.stdout[-3000:]}")
    return time.perf_counter() - t0


def output_of(script: str, env: dict) -> list[float]:
    result = subprocess.run([PY, "-c", script.format(root=str(ROOT))], cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(result.stderr[-3000:])
    return [float(x) for x in result.stdout.split()]


def main() -> None:
    runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 3
    work = Path(tempfile.mkdtemp(prefix="benchmark-"))
    if "--tests-only" in sys.argv:  # the cold test run alone (its budget needs a full run)
        try:
            seconds = [cold_test_run(work / f"clone{run}") for run in range(runs)]
        finally:
            shutil.rmtree(work, ignore_errors=True)
        print(f"cold test run, fresh clone (make test): median of {runs}: {statistics.median(seconds):.2f} s"
              f" ({', '.join(f'{x:.1f}' for x in seconds)})")
        return
    figures: dict[str, list[float]] = {k: [] for k in ("pure", "bare", "cold", "nochange", "edit", "edit_dirty", "section", "tests")}
    figures.update({name: [] for name in NEW_SECTIONS})
    build = [PY, "-m", "mkdocs", "build", "--strict", "-d", str(work / "site")]
    try:
        for run in range(runs):
            cache_env = {**ENV, "PAGECHECK_CACHE_DIR": str(work / f"cache{run}" / "pages"),
                         "PAGECHECK_MEMO_DIR": str(work / f"cache{run}")}
            # Both the pure run and the cold build start from nothing remembered (no parsed
            # formulas either), so that they do the same work apart from MkDocs.
            figures["pure"] += output_of(PURE, {**ENV, "PAGECHECK_CACHE_DIR": str(work / f"pure{run}" / "pages"),
                                                "PAGECHECK_MEMO_DIR": str(work / f"pure{run}")})
            figures["bare"].append(timed(build, {**ENV, "PAGECHECK_EXECUTE": "off"}))
            figures["cold"].append(timed(build, cache_env))
            figures["section"].append(section_seconds(work / "site"))
            for name, folder in NEW_SECTIONS.items():
                figures[name].append(section_seconds(work / "site", folder))
            figures["nochange"].append(timed(build, cache_env))
            full, dirty = output_of(EDIT, cache_env)
            figures["edit"].append(full)
            figures["edit_dirty"].append(dirty)
            print(f"run {run + 1}/{runs} done", file=sys.stderr)
        for run in range(runs):
            figures["tests"].append(cold_test_run(work / f"clone{run}"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    m = {k: statistics.median(v) for k, v in figures.items()}
    budget = TEST_BUDGET + sum(m[name] / 2 for name in NEW_SECTIONS)
    rows = [
        ("pure compute (all pages, one process)", m["pure"], ""),
        ("bare build (execution off)", m["bare"], ""),
        ("cold build", m["cold"], f"{m['cold'] / (m['bare'] + m['pure']):.2f} x (bare + pure); target <= 1.3"),
        ("no-change rebuild", m["nochange"], f"{m['nochange'] / m['bare']:.2f} x bare; target <= 1.1"),
        ("one-page edit, live rebuild of all pages", m["edit"], "target <= 1.5 s"),
        ("one-page edit, live rebuild --dirty (make serve)", m["edit_dirty"], "target <= 1.5 s"),
        ("network section, run in the cold build", m["section"], "target <= 30 s"),
        *((f"section {name}, run in the cold build", m[name], "adds half of it to the test run's budget")
          for name in NEW_SECTIONS),
        ("cold test run, fresh clone (make test)", m["tests"], f"target <= {budget:.1f} s"),
    ]
    print(f"median of {runs} runs, {os.cpu_count()} cores")
    print("| figure | seconds | ratio |")
    print("| --- | ---: | --- |")
    for name, seconds, ratio in rows:
        print(f"| {name} | {seconds:.2f} | {ratio} |")


if __name__ == "__main__":
    main()
