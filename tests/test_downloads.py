"""Every derivation page as a download (``pagecheck.export``): the notebook is the page, cell
for cell; the committed files are the ones the pages give now; and a downloaded page runs
in a clean environment, with the project's wheel and nothing from this repository, and
checks its own numbers.

Running every page's notebook and Python file there takes longer than this whole test run
may (each starts a fresh interpreter that imports PyTorch; ``make downloads`` runs them
all, and CI runs it after the tests). Here one page's notebook runs: the cheapest one that
uses the makemore helpers and their names data, so the wheel's contents are exercised; the
Python files are read back and compared with the notebooks.
"""

from __future__ import annotations

import json
import os
import re

import pytest

from pagecheck import export
from pagecheck.notebook import check_page
from pagecheck.page import read_page_cached as read_page  # each page is read once a worker
from tests import reader_env
from tests.pages import DOCS, ROOT

PAGES = export.pages()
RUN_HERE = DOCS / "mlp" / "find-the-bug.md"
VERDICT = re.compile(r"every number this page states: (\d+) of (\d+) hold")


def _typed_claims(page) -> int:
    return sum(claim.typed is not None for claim in read_page(page).claims)


def test_every_derivation_page_has_a_notebook_and_a_python_file_made_from_it_as_it_is():
    assert len(PAGES) >= 19 and DOCS / "knobs.md" in PAGES and DOCS / "index.md" not in PAGES
    assert export.stale() == []


def test_a_download_made_from_an_older_page_or_from_no_page_is_named(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    page = docs / "weights.md"
    page.write_text('# Weights\n\n```python exec="on"\nw = 5\n```\n\nThe weight is {{ w == 5 }}.\n')
    assert len(export.write(docs)) == 2 and export.stale(docs) == []
    page.write_text(page.read_text().replace("The weight", "Its weight"))
    (docs / "notebooks" / "gone.py").write_text("print('a page that was removed')\n")
    assert export.stale(docs) == [
        "docs/notebooks/weights.ipynb is out of date with its page: run `make notebooks`",
        "docs/notebooks/weights.py is out of date with its page: run `make notebooks`",
        "docs/notebooks/gone.py belongs to no page: run `make notebooks`",
    ]
    assert not export.is_current(page, docs)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_the_notebook_is_the_page_in_order_and_holds_no_outputs(page):
    """Its code cells are the page's executed fences, in order, between the set-up cell and
    the check; its prose shows no claim markup; nothing has run yet; and the check lists
    every number the page states."""
    notebook = json.loads(export.notebook_path(page).read_text(encoding="utf-8"))
    code = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
    prose = "\n".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "markdown")
    fences = [f.code.rstrip("\n") for f in read_page(page).fences if f.executed]
    assert code[1:-1] == fences
    assert "start_page()" in code[0] and "%pip install" in code[0] and export.repository() in code[0]
    assert "check_page(globals()" in code[-1]
    assert code[-1].count("\n    (") == len(read_page(page).claims)
    assert all(not c.get("outputs") and c.get("execution_count") is None
               for c in notebook["cells"] if c["cell_type"] == "code")
    assert "{{" not in prose and "///" not in prose and "!!!" not in prose
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    python = export.python_path(page).read_text(encoding="utf-8")
    assert python.count("\n# %%") == len(notebook["cells"]) and "%pip" not in python


PROSE = '''\
!!! question "The question"
    How much does the last knob move?

    Two lines of it.

Back to the text, with a [link](../batch.md#the-rule) and a [section](#here).{ .lead }
[32, 64]: a shape that opens a line, and a [reference][rule].

[rule]: ../batch.md#the-rule

/// details | Solution
    type: tip
The answer.
///
'''


def test_the_sites_own_markdown_becomes_markdown_any_notebook_renders():
    page = DOCS / "rules" / "matmul.md"
    assert export.plain_markdown(PROSE, page) == (
        "> **The question**\n"
        "> How much does the last knob move?\n"
        ">\n"
        "> Two lines of it.\n"
        "\n"
        f"Back to the text, with a [link]({export.site_url()}batch/#the-rule) and a [section](#here).\n"
        "[32, 64]: a shape that opens a line, and a [reference][rule].\n"
        "\n"
        f"[rule]: {export.site_url()}batch/#the-rule\n"
        "\n"
        "**Solution**\n"
        "The answer."
    )


def test_a_claim_shows_its_typed_text_and_a_glue_its_expression(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    page = docs / "p.md"
    page.write_text('# P\n\n```python exec="on"\nw = 5\n```\n\nIt is {{ w ==\n5 }}, here {{ w + 1 }}.\n\nEnd.\n')
    cells = export.notebook_of(page, docs).cells
    assert [c.cell_type for c in cells] == ["markdown", "code", "markdown", "code", "markdown", "code"]
    assert cells[4].source == "It is 5\n, here `w + 1`.\n\nEnd."
    assert "(7, 'w', '5')," in cells[5].source and "(8, 'w + 1')," in cells[5].source


def test_an_included_section_that_does_not_exist_is_named(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    page = docs / "p.md"
    page.write_text('# P\n\n```python notest\n--8<-- "snippets/makemore.py:no-such-section"\n```\n\n'
                    '```python exec="on"\nw = 5\n```\n')
    with pytest.raises(export.ExportError, match=r"p\.md:4: snippets/makemore\.py has no section 'no-such-section'"):
        export.notebook_of(page, docs)


def test_the_check_names_each_statement_that_no_longer_holds(capsys):
    """A reader who edits a cell sees which statements the change broke (values from the
    namespace, typed texts written here)."""
    problems = check_page({"w": 5.0, "grad": 0.25}, [(3, "w", "5"), (4, "grad", "0.5"), (5, "loss", "1")], [(6, "w * 2")])
    printed = capsys.readouterr().out
    assert printed.startswith("every number this page states: 1 of 3 hold\n")
    assert len(problems) == 2
    assert problems[0].startswith("line 4: 0.5 (grad) does not hold:")
    assert problems[1].startswith("line 5: 1 (loss) could not be computed: NameError")
    assert "line 6: w * 2 = 10" in printed


def test_the_check_leaves_the_environment_as_it_found_it(monkeypatch):
    """A downloaded page's check keeps no parsed formula on disk, but only while it checks:
    called in a test worker, it must not turn the execution cache off for the tests after
    it (it once did, and the cache's own tests failed whenever they came later)."""
    monkeypatch.delenv("PAGECHECK_CACHE", raising=False)
    seen = []
    monkeypatch.setattr("pagecheck.notebook.compare_claim",
                        lambda typed, value: seen.append(os.environ.get("PAGECHECK_CACHE")))
    check_page({"w": 5.0}, [(3, "w", "5")])
    assert seen == ["off"] and "PAGECHECK_CACHE" not in os.environ
    monkeypatch.setenv("PAGECHECK_CACHE", "on")
    check_page({"w": 5.0}, [(3, "w", "5")])
    assert seen[-1] == "on" and os.environ["PAGECHECK_CACHE"] == "on"


@pytest.fixture(scope="module")
def reader(tmp_path_factory):
    return reader_env.make(tmp_path_factory.mktemp("reader"))


def test_the_wheel_asks_for_what_a_page_needs_and_nothing_more(reader):
    import zipfile

    with zipfile.ZipFile(reader.wheel) as wheel:
        names = wheel.namelist()
        metadata = wheel.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    required = sorted(line.split(":", 1)[1].strip() for line in metadata.splitlines()
                      if line.startswith("Requires-Dist:") and "extra ==" not in line)
    assert required == ["lark>=1.1", "matplotlib>=3.8", "names==0.3.0", "numpy>=1.26", "sympy>=1.13", "torch>=2.4"]
    assert "pagecheck/notebook.py" in names and "snippets/makemore.py" in names
    assert not any(n.startswith(("docs/", "tests/")) for n in names)


def test_a_downloaded_notebook_runs_in_a_clean_environment_and_its_numbers_hold(reader):
    notebook = reader.run_notebook(export.notebook_path(RUN_HERE))
    verdict = reader_env.output_text(notebook, len(notebook.cells) - 2)
    where_from = reader_env.output_text(notebook, len(notebook.cells) - 1).split()
    n = _typed_claims(RUN_HERE)
    assert VERDICT.search(verdict).groups() == (str(n), str(n)), verdict
    assert len(where_from) == 2 and all(path.startswith(str(reader.folder)) for path in where_from), where_from
    assert not any(path.startswith(str(ROOT)) for path in where_from)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_the_python_file_is_the_notebook_with_pip_for_its_magic(page):
    """Its cells are the notebook's (jupytext reads it back), but the set-up cell, which
    installs with pip through subprocess where the notebook has %pip; and it is Python.
    (`make downloads` runs every one in the clean environment.)"""
    import ast

    import jupytext

    python = export.python_path(page).read_text(encoding="utf-8")
    ast.parse(python)
    cells = [c.source for c in jupytext.reads(python, fmt="py:percent").cells]
    notebook = json.loads(export.notebook_path(page).read_text(encoding="utf-8"))
    expected = ["".join(c["source"]) for c in notebook["cells"]]
    assert cells[:1] + cells[2:] == expected[:1] + expected[2:]
    assert "subprocess.run([sys.executable, \"-m\", \"pip\", \"install\"" in cells[1]
    assert cells[1].replace("import subprocess\nimport sys\n\n", "").split("except ImportError:")[0] == (
        expected[1].split("except ImportError:")[0]
    )
