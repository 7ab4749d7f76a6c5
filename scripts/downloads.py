"""Every page as a reader downloads it, run where a reader runs it: each page's notebook
(Jupyter's kernel, through nbclient) and its Python file, in a fresh environment with the
project's wheel and nothing from this repository (tests/reader_env.py). Prints one row a
page and exits 1 if any cell fails or any stated number does not hold.

    python scripts/downloads.py          (make downloads; CI runs it after the tests)

The test run runs one page both ways (tests/test_downloads.py); this runs all of them,
which takes a few minutes: every file starts an interpreter that imports PyTorch.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pagecheck import export  # noqa: E402
from pagecheck.page import read_page  # noqa: E402
from tests import reader_env  # noqa: E402

VERDICT = re.compile(r"every number this page states: (\d+) of (\d+) hold")


def _verdict(text: str, expected: int) -> str | None:
    """None when the text reports every one of the page's numbers holding; else what it says."""
    found = VERDICT.search(text)
    if found and found.group(1) == found.group(2) == str(expected):
        return None
    return found.group(0) if found else "no verdict printed"


def main() -> int:
    failures = []
    with tempfile.TemporaryDirectory() as folder:
        reader = reader_env.make(Path(folder))
        print(f"{'page':<34} {'numbers':>7} {'notebook':>9} {'python':>7}")
        for page in export.pages():
            name = page.relative_to(export.DOCS).as_posix()
            expected = sum(claim.typed is not None for claim in read_page(page).claims)
            started = time.perf_counter()
            try:
                notebook = reader.run_notebook(export.notebook_path(page))
                problem = _verdict(reader_env.output_text(notebook, len(notebook.cells) - 2), expected)
            except Exception as error:  # noqa: BLE001  (nbclient's CellExecutionError names the cell)
                problem = str(error)[-2000:]
            notebook_seconds = time.perf_counter() - started
            if problem:
                failures.append(f"{name} (notebook): {problem}")
            started = time.perf_counter()
            done = reader.run_python(export.python_path(page))
            problem = _verdict(done.stdout, expected) if done.returncode == 0 else done.stderr[-2000:]
            python_seconds = time.perf_counter() - started
            if problem:
                failures.append(f"{name} (python): {problem}")
            print(f"{name:<34} {expected:>7} {notebook_seconds:>8.1f}s {python_seconds:>6.1f}s", flush=True)
    print("\n".join(failures) or "every page, as a notebook and as a Python file, ran and checked all its numbers")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
