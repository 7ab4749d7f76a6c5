"""Exercise notebooks: one source, two versions.

The source is the worked solution, ``docs/SECTION/exercises/NAME.ipynb``, saved without
outputs; the site renders it (the build runs it, ``executed`` below, and mkdocs-jupyter
shows it). A code cell tagged ``answer`` holds an answer. The exercise a learner
downloads, ``docs/SECTION/exercises/blank/NAME.ipynb``, is made from it here: each answer cell
keeps its leading comment lines (what to assign, and its shape) and every name it assigns
at top level becomes ``name = ...``; markdown cells tagged ``solution-only`` are left out.
The hints live in markdown cells, folded in ``<details>`` blocks, and are kept as they
are. The blank copies are committed (Colab opens them from the repository), and the build
and the tests fail when one is out of date.

The prose of a notebook (its markdown cells) is read as a page's is (``pagecheck.page``),
but nothing in it is checked against the code: a notebook's prose has no claims. So a
number in notebook prose is an error, naming the notebook, the cell and the line, wherever
a page would need a claim for it; what a page's reader exempts (code, identifiers such as
``W1``, list markers, links, HTML) is exempt here too. A number belongs in code
(```` `1 / n` ````) or in words. A claim ``{{ ... }}`` is an error as well: it would be
shown as typed and never checked.

    python -m pagecheck.notebooks          # write the blank copies  (make notebooks)
    python -m pagecheck.notebooks --check  # exit 1 naming each stale copy or number in prose
"""

from __future__ import annotations

import ast
import copy
import json
import re
import sys
import tempfile
from pathlib import Path
from urllib.parse import urljoin

from pagecheck.page import MALFORMED_CLAIM, UNCHECKED, read_page

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
BLANK_DIR = "blank"
ANSWER_TAG = "answer"
SOLUTION_ONLY_TAG = "solution-only"
BLANK_COMMENT = "  # your answer"


class NotebookError(ValueError):
    """A source notebook breaks the conventions above (names the file and cell)."""


def exercise_folders(docs: Path = DOCS) -> list[Path]:
    """Every section's ``exercises`` folder: docs/mlp/exercises, docs/gpt/exercises, ..."""
    return sorted(docs.glob("*/exercises"))


def sources(folder: Path | None = None) -> list[Path]:
    """The worked solutions of one exercises folder, or of every section's (None)."""
    folders = exercise_folders() if folder is None else [folder]
    return [source for each in folders for source in sorted(each.glob("*.ipynb"))]


def blank_path(source: Path) -> Path:
    return source.parent / BLANK_DIR / source.name


_SITE_URL = re.compile(r"^site_url:\s*(\S+)", re.M)
_RELATIVE_LINK = re.compile(r"\]\((?![a-z]+:|#|/)([^)\s]+)\)")


def site_url() -> str:
    return _SITE_URL.search((ROOT / "mkdocs.yml").read_text(encoding="utf-8")).group(1)


def page_url(source: Path, docs: Path | None = None) -> str:
    """Where the site shows a page or notebook of ``docs`` (the project's by default):
    docs/mlp/exercises/x.ipynb -> SITE/mlp/exercises/x/."""
    docs = ROOT / "docs" if docs is None else docs
    rel = source.relative_to(docs) if source.is_relative_to(docs) else Path(source.name)
    return urljoin(site_url(), rel.with_suffix("").as_posix() + "/")


def absolute_links(markdown: str, base: str) -> str:
    """Relative links made absolute: the blank copy is read on Colab or on a laptop, where
    the site's relative links lead nowhere."""
    return _RELATIVE_LINK.sub(lambda m: f"]({urljoin(base, m.group(1))})", markdown)


def description(source: Path) -> str:
    """The page description of a notebook: its first paragraph after the title, as text."""
    notebook = json.loads(source.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            text = _source(cell)
            paragraphs = [p for p in text.split("\n\n") if p.strip() and not p.startswith("#")]
            if paragraphs:
                plain = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", " ".join(paragraphs[0].split()))
                return plain.replace("*", "").replace("`", "")
    return ""


def _tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def _source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def blank_answer(code: str, where: str = "") -> str:
    """Leading comments kept; each top-level assigned name, in order, set to ``...``."""
    try:
        tree = ast.parse(code)
    except SyntaxError as error:
        raise NotebookError(f"{where}: the answer cell does not parse: {error}") from error
    def assigned(target: ast.expr) -> list[str]:
        """x -> x; x[i] and x.a -> x (an item of x is set); a, b -> a, b."""
        if isinstance(target, ast.Name):
            return [target.id]
        if isinstance(target, (ast.Subscript, ast.Attribute, ast.Starred)):
            return assigned(target.value)
        if isinstance(target, (ast.Tuple, ast.List)):
            return [name for element in target.elts for name in assigned(element)]
        return []

    names: list[str] = []
    for statement in tree.body:
        targets = []
        if isinstance(statement, ast.Assign):
            targets = statement.targets
        elif isinstance(statement, (ast.AugAssign, ast.AnnAssign)):
            targets = [statement.target]
        for target in targets:
            names += [name for name in assigned(target) if name not in names]
    if not names:
        raise NotebookError(f"{where}: an answer cell must assign at least one name")
    hint = []
    for line in code.splitlines():
        if line.startswith("#"):
            hint.append(line)
        else:
            break
    return "\n".join(hint + [f"{name} = ...{BLANK_COMMENT}" for name in names])


def exercise_of(notebook: dict, where: str = "", base_url: str | None = None) -> dict:
    """The blank exercise made from a solution notebook (a new dict). With ``base_url``
    (the solution's address on the site), relative links in markdown become absolute."""
    out = copy.deepcopy(notebook)
    cells = []
    answers = 0
    for index, cell in enumerate(out["cells"]):
        if SOLUTION_ONLY_TAG in _tags(cell):
            continue
        if cell["cell_type"] == "markdown" and base_url:
            text = _source(cell)
            cell["source"] = absolute_links(text, base_url)
        if cell["cell_type"] == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
            if ANSWER_TAG in _tags(cell):
                answers += 1
                code = _source(cell)
                cell["source"] = blank_answer(code, f"{where} cell {index + 1}")
        cells.append(cell)
    if not answers:
        raise NotebookError(f"{where}: no code cell is tagged '{ANSWER_TAG}'")
    out["cells"] = cells
    return out


def render(notebook: dict) -> str:
    """Notebook JSON as Jupyter writes it (one-space indent, trailing newline)."""
    return json.dumps(notebook, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def stale(folder: Path | None = None) -> list[str]:
    """One message per blank copy that is missing or differs from what its source gives."""
    problems = []
    for source in sources(folder):
        rel = source.relative_to(ROOT) if source.is_relative_to(ROOT) else source
        target = blank_path(source)
        want = render(exercise_of(json.loads(source.read_text(encoding="utf-8")), str(rel), page_url(source)))
        if not target.exists() or target.read_text(encoding="utf-8") != want:
            problems.append(
                f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target} is out of "
                f"date with {rel}: run `make notebooks`"
            )
    return problems


def _display(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def prose_problems(source: Path) -> list[str]:
    """One message per number (or claim) in a notebook's markdown cells, as
    ``docs/mlp/exercises/x.ipynb: cell 7, line 3: unchecked number '32' in prose: ...``
    (cells and lines counted from 1, lines within the cell)."""
    where = _display(source)
    notebook = json.loads(source.read_text(encoding="utf-8"))
    problems = []
    for number, cell in enumerate(notebook["cells"], 1):
        if cell["cell_type"] != "markdown":
            continue
        text = _source(cell)
        page = read_page(source, text)
        for problem in page.problems:
            at = f"{where}: cell {number}, line {problem.line}"
            if problem.kind == UNCHECKED:
                problems.append(
                    f"{at}: unchecked number {problem.number!r} in {problem.place}: notebook prose is "
                    "not checked against the code; write the number in code (`...`) or in words"
                )
            elif problem.kind == MALFORMED_CLAIM:
                problems.append(f"{at}: {problem.message}")
        for claim in page.claims:
            problems.append(
                f"{where}: cell {number}, line {claim.line}: claim {claim.raw} in notebook prose: "
                "a notebook's claims are never checked (its prose is not read against its code, "
                "as a page's is); write the value in code"
            )
    return problems


def all_prose_problems(folder: Path | None = None) -> list[str]:
    return [problem for source in sources(folder) for problem in prose_problems(source)]


def write(folder: Path | None = None) -> list[Path]:
    written = []
    for source in sources(folder):
        target = blank_path(source)
        target.parent.mkdir(exist_ok=True)
        text = render(exercise_of(json.loads(source.read_text(encoding="utf-8")), source.name, page_url(source)))
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            written.append(target)
    return written


def main(argv: list[str]) -> int:
    if "--check" in argv:
        problems = stale() + all_prose_problems()
        print("\n".join(problems) or "every blank exercise is up to date, and no prose states a number")
        return 1 if problems else 0
    for path in write():
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


def executed_path(source: Path) -> Path:
    """Where the executed copy of a worked solution is kept: in the cache folder, keyed by
    the notebook and everything its code depends on (``cache.notebook_key``)."""
    import hashlib

    from pagecheck import cache

    key = hashlib.sha256(source.read_bytes() + cache.notebook_key().encode()).hexdigest()[:16]
    return cache.cache_dir().parent / "notebooks" / key / source.name


def code_cells(notebook: dict) -> list[tuple[int, dict]]:
    """(number counted from one, cell) of every code cell."""
    return [(number, cell) for number, cell in enumerate(notebook["cells"], 1) if cell["cell_type"] == "code"]


def fences_of(cells: list[tuple[int, dict]]) -> list:
    """The code cells as the fences of one page, run in one namespace (``pagecheck.runner``)."""
    from pagecheck.page import Fence

    return [Fence(index=i, start_line=0, end_line=0, info="python", code=_source(cell), executed=True,
                  tested=True, continuation=True) for i, (_, cell) in enumerate(cells)]


def fill_outputs(cell: dict, count: int, output) -> None:
    """A cell's outputs as Jupyter keeps them, from what its fence printed, displayed and drew."""
    cell["execution_count"] = count
    cell["outputs"] = (
        ([{"output_type": "stream", "name": "stdout", "text": output.text}] if output.text else [])
        + [{"output_type": "display_data", "data": {"text/html": h}, "metadata": {}} for h in output.html]
        + [{"output_type": "display_data", "data": {"image/svg+xml": s}, "metadata": {}} for s in output.figures]
    )


def store_executed(source: Path, notebook: dict, run: dict) -> Path:
    """Keep an executed copy (and its run's seconds and peak memory) where ``executed`` looks
    first; without the cache, in a folder of its own. Returns where it is."""
    from pagecheck import cache

    target = executed_path(source)
    if not cache.enabled():
        target = Path(tempfile.mkdtemp(prefix="notebook-")) / source.name
    # The run's seconds first, then the notebook: a notebook found in the cache has them.
    cache._write_atomically(target.with_suffix(".run.json"), json.dumps(run))
    cache._write_atomically(target, json.dumps(notebook, indent=1))
    return target


def executed(source: Path, where: str) -> tuple[Path, dict, bool]:
    """The worked solution with its outputs, for the site to show: its code cells run in this
    process, one namespace, as a page's fences are (``pagecheck.runner``; a kernel per
    notebook cost seconds of start-up and imports). Kept in the cache folder, keyed by the
    notebook and everything its code depends on (``cache.notebook_key``), so an unchanged
    notebook runs once. Returns (the executed copy, {"seconds", "peak_mib"} of its run,
    whether it came from the cache). A cell that raises raises PageError naming the
    notebook and cell."""
    from pagecheck import cache
    from pagecheck.measure import Measure
    from pagecheck.page import Page
    from pagecheck.runner import PageError, PageRunner

    target = executed_path(source)
    if cache.enabled() and target.is_file():
        return target, json.loads(target.with_suffix(".run.json").read_text()), True
    notebook = json.loads(source.read_bytes())
    cells = code_cells(notebook)
    runner = PageRunner(Page(source, "", fences_of(cells)), display_path=where)
    measure = Measure().__enter__()
    for count, ((number, cell), fence) in enumerate(zip(cells, runner.page.fences), 1):
        try:
            output = runner.run_fence(fence)
        except PageError as error:
            measure.__exit__(None, None, None)
            detail = str(error).split(": ", 1)[-1].split("\n")[0]
            raise PageError(f"{where} cell {number}: {detail}") from None
        fill_outputs(cell, count, output)
    measure.__exit__(None, None, None)
    run = {"seconds": measure.seconds, "peak_mib": measure.peak_mib}
    target = store_executed(source, notebook, run)
    return target, run, False
