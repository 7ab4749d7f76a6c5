"""Every derivation page as a notebook and a Python file a reader can take away.

A page (``docs/rules/matmul.md``) becomes ``docs/notebooks/rules/matmul.ipynb`` and
``docs/notebooks/rules/matmul.py`` (cells as ``# %%``, written by jupytext):

* a first code cell that installs the site's helpers where they are missing (on Colab:
  one ``%pip install`` from the repository named in ``mkdocs.yml``) and starts from the
  random state the build starts from (``pagecheck.notebook.start_page``);
* the page itself, in order: its prose as Markdown cells (claims as their typed text, a
  glued figure as its expression in code, math as the page writes it, the site's own
  blocks as plain Markdown, relative links made absolute) and its executed fences as code
  cells; no outputs (the reader runs it);
* a last code cell that checks every number the prose states against what the code left
  behind (``pagecheck.notebook.check_page``), as the build does.

The files are committed, so that Colab can open them from the repository; they are never
edited by hand. ``make notebooks`` writes them; the tests fail when one is out of date.

    python -m pagecheck.export          # write every page's notebook and Python file
    python -m pagecheck.export --check  # exit 1 naming each one that is out of date
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import textwrap
from pathlib import Path
from urllib.parse import urljoin

from pagecheck.notebooks import page_url, site_url
from pagecheck.page import Page, read_page_cached

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
FOLDER = "notebooks"  # docs/notebooks/: what the site serves and Colab opens
META = "backprop_by_hand"  # the notebook metadata that names its page
NOT_DERIVATIONS = {"index.md"}  # pages with code that derive nothing (the home page's reading times)


class ExportError(ValueError):
    """A page the exporter cannot turn into a notebook (names the page and line)."""


def _setting(name: str) -> str:
    """A top-level or ``extra:`` setting of mkdocs.yml, read as text (no YAML tags needed)."""
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    found = re.search(rf"^\s*{name}:\s*(\S+)", text, re.M)
    if found is None:
        raise ExportError(f"mkdocs.yml: no '{name}:' setting")
    return found.group(1)


def repository() -> str:
    """owner/name of the site's GitHub repository (mkdocs.yml, extra.repository)."""
    return _setting("repository")


def branch() -> str:
    return _setting("branch")


def pages(docs: Path = DOCS) -> list[Path]:
    """The derivation pages: every page with code, but the home page."""
    found = []
    for path in sorted(docs.rglob("*.md")):
        rel = path.relative_to(docs)
        if rel.parts[0] == FOLDER or rel.as_posix() in NOT_DERIVATIONS:
            continue
        if read_page_cached(path).code_fences:
            found.append(path)
    return found


def notebook_path(page: Path, docs: Path = DOCS) -> Path:
    return docs / FOLDER / page.relative_to(docs).with_suffix(".ipynb")


def python_path(page: Path, docs: Path = DOCS) -> Path:
    return docs / FOLDER / page.relative_to(docs).with_suffix(".py")


def colab_url(page: Path, docs: Path = DOCS) -> str:
    rel = notebook_path(page, docs).relative_to(docs.parent).as_posix()
    return f"https://colab.research.google.com/github/{repository()}/blob/{branch()}/{rel}"


def install_source() -> str:
    return f"backprop-by-hand @ git+https://github.com/{repository()}@{branch()}"


# --- The prose: what MkDocs reads, as plain Markdown that Jupyter and Colab render. ---

_LINK = re.compile(r"(!?\[[^\]]*\]\()([^)\s]+)(\s+\"[^\"]*\")?\)")
# A link reference definition to another page ("[rule]: ../rules/matmul.md#the-rule"); a
# line that merely opens with a vector and a colon ("[1, 64]: a sum down ...") is prose.
_REFERENCE = re.compile(r"^([ \t]*\[[^\]\n]+\]:[ \t]+)((?:\.\.?/)?[^\s:]+\.md(?:#\S*)?|\.\.?/\S+)([ \t].*)?$", re.M)
_ATTRIBUTES = re.compile(r"\s*\{\s*[:#.][^}\n]*\}")
_BLOCK_START = re.compile(r"^///\s*([\w-]+)\s*(?:\|\s*(.*?))?\s*$")
_BLOCK_OPTION = re.compile(r"^\s+[\w-]+:\s")
_ADMONITION = re.compile(r"^(?:!!!|\?\?\?\+?)\s+([\w-]+)(?:\s+\"(.*)\")?\s*$")
_SUMMARY = re.compile(r"^\s*<summary>(.*)</summary>\s*$")
_DETAILS = re.compile(r"^\s*</?details[^>]*>\s*$")


def _absolute(target: str, page: Path, docs: Path) -> str:
    """A link as the page means it (relative to its Markdown file), as the site's address."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
        return target
    path, _, anchor = target.partition("#")
    resolved = (page.parent / path).resolve()
    rel = resolved.relative_to(docs.resolve()).as_posix()
    if rel.endswith(".md"):
        rel = rel[: -len(".md")]
        rel = "" if rel == "index" else (rel[: -len("/index")] + "/" if rel.endswith("/index") else rel + "/")
    return urljoin(site_url(), rel) + (f"#{anchor}" if anchor else "")


def plain_markdown(text: str, page: Path, docs: Path = DOCS) -> str:
    """A stretch of a page's prose as Markdown any notebook renders: the site's folded
    blocks and admonitions open (their title in bold, an admonition as a quote), attribute
    lists dropped, links absolute."""
    out: list[str] = []
    quoting = False  # inside an admonition's indented body
    skipping_options = False
    for line in text.split("\n"):
        if skipping_options:
            if _BLOCK_OPTION.match(line):
                continue
            skipping_options = False
        if quoting:
            if line.startswith("    ") or not line.strip():
                out.append(("> " + line[4:]).rstrip())
                continue
            quoting = False
            if out and out[-1] == ">":  # the quote ended at a blank line
                out[-1] = ""
        block = _BLOCK_START.match(line)
        if block:
            kind, title = block.group(1), block.group(2)
            out.append(f"**{title or kind.capitalize()}**")
            skipping_options = True
            continue
        if line.strip() == "///":
            continue
        admonition = _ADMONITION.match(line)
        if admonition:
            out.append(f"> **{admonition.group(2) or admonition.group(1).capitalize()}**")
            quoting = True
            continue
        summary = _SUMMARY.match(line)
        if summary:
            out.append(f"**{summary.group(1).strip()}**")
            continue
        if _DETAILS.match(line):
            continue
        out.append(line)
    while out and out[-1].startswith(">") and not out[-1].strip("> "):
        out.pop()
    markdown = "\n".join(out)
    markdown = _ATTRIBUTES.sub("", markdown)
    markdown = _LINK.sub(lambda m: f"{m.group(1)}{_absolute(m.group(2), page, docs)}{m.group(3) or ''})", markdown)
    markdown = _REFERENCE.sub(lambda m: f"{m.group(1)}{_absolute(m.group(2), page, docs)}{m.group(3) or ''}", markdown)
    return re.sub(r"\n{3,}", "\n\n", markdown).strip("\n")


_SNIPPET = re.compile(r'^(\s*)--8<--\s+"([^":]+)(?::([\w-]+))?"\s*$', re.M)


def _include_snippets(text: str, page: Path, first_line: int = 1) -> str:
    """``--8<-- "snippets/file.py:section"`` replaced by that section of the file, as the
    build includes it (pymdownx.snippets, sections dedented)."""

    def include(match: re.Match) -> str:
        indent, name, section = match.group(1), match.group(2), match.group(3)
        line = first_line + text.count("\n", 0, match.start())
        source = ROOT / name
        if not source.is_file():
            raise ExportError(f"{page}:{line}: the included file {name} does not exist")
        lines = source.read_text(encoding="utf-8").split("\n")
        if section:
            starts = [i for i, s in enumerate(lines) if f"--8<-- [start:{section}]" in s]
            ends = [i for i, s in enumerate(lines) if f"--8<-- [end:{section}]" in s]
            if not starts or not ends:
                raise ExportError(f"{page}:{line}: {name} has no section '{section}'")
            lines = lines[starts[0] + 1 : ends[0]]
        body = textwrap.dedent("\n".join(lines)).strip("\n")
        return textwrap.indent(body, indent)

    return _SNIPPET.sub(include, text)


def _shown(page: Page) -> str:
    """The page's text with every claim as its typed text and every glue as its expression
    in code, line for line (a claim written over two lines keeps its line break)."""
    text = page.text
    starts = [0]
    for line in text.split("\n"):
        starts.append(starts[-1] + len(line) + 1)
    for claim in sorted(page.claims, key=lambda c: (c.line, c.column), reverse=True):
        at = starts[claim.line - 1] + claim.column - 1
        assert text[at : at + len(claim.raw)] == claim.raw, (page.path, claim.line)
        shown = claim.typed if claim.typed is not None else f"`{claim.expr}`"
        text = text[:at] + shown + "\n" * claim.raw.count("\n") + text[at + len(claim.raw) :]
    return text


def _cells(page: Page, docs: Path) -> list[tuple[str, str]]:
    """(kind, source) for the page in order: prose stretches and executed fences."""
    shown = _shown(page).split("\n")
    cells: list[tuple[str, str]] = []
    start = 0
    if shown and shown[0].strip() == "---":  # front matter is the site's, not the reader's
        end = next((k for k in range(1, len(shown)) if shown[k].strip() == "---"), 0)
        start = end + 1

    def prose(first: int, last: int) -> None:  # 0-based, end exclusive
        stretch = _include_snippets("\n".join(shown[first:last]), page.path, first + 1)
        text = plain_markdown(stretch, page.path, docs)
        if text.strip():
            cells.append(("markdown", text))

    for fence in page.fences:
        if not fence.executed:
            continue
        prose(start, fence.start_line - 1)
        cells.append(("code", fence.code.rstrip("\n")))
        start = fence.end_line
    prose(start, len(shown))
    return cells


def _simplify_fence_info(markdown: str) -> str:
    """```python title="x" hl_lines="2" -> ```python: the options are the site's."""
    return re.sub(r"^(\s*(?:>\s*)?```+\s*[\w+-]+)[^\n`]*$", r"\1", markdown, flags=re.M)


def _setup_cell(python: bool) -> str:
    install = (
        f'    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", {install_source()!r}], check=True)'
        if python
        else f'    %pip install --quiet "{install_source()}"'
    )
    imports = "import subprocess\nimport sys\n\n" if python else ""
    return (
        "# The site's helpers: `snippets` (what the page imports) and `pagecheck` (the check\n"
        "# in the last cell). Where they are missing (on Colab, say), they are installed from\n"
        "# the site's repository; PyTorch is not installed again if it is there.\n"
        f"{imports}"
        "try:\n"
        "    import pagecheck\n"
        "    import snippets\n"
        "except ImportError:\n"
        f"{install}\n"
        "\n"
        "from pagecheck.notebook import start_page\n"
        "\n"
        "start_page()  # as the site's build does: seed 0, PyTorch on one thread"
    )


def _check_cell(page: Page) -> str:
    claims = [c for c in page.claims if c.typed is not None]
    glued = [c for c in page.claims if c.typed is None]
    lines = [
        "# Every number the text above states, checked against what the code computed (as",
        "# the site's build checks them). Lines are the page's own.",
        "from pagecheck.notebook import check_page",
        "",
        "check_page(globals(), [",
        *(f"    ({c.line}, {c.expr!r}, {c.typed!r})," for c in claims),
        "]" + (", [" if glued else ")"),
    ]
    if glued:
        lines += [*(f"    ({c.line}, {c.expr!r})," for c in glued), "])"]
    return "\n".join(lines)


def made_from(path: Path) -> str:
    """A digest of what a page's notebook is made from: the page, this module and the check
    it calls. The build compares it with the notebook's own (cheaper than making it again)."""
    digest = hashlib.sha256(Path(path).read_bytes())
    for module in ("export.py", "notebook.py"):
        digest.update((Path(__file__).parent / module).read_bytes())
    return digest.hexdigest()[:16]


def is_current(page: Path, docs: Path = DOCS) -> bool:
    """Whether the committed notebook was made from the page as it is now."""
    target = notebook_path(page, docs)
    if not target.is_file():
        return False
    meta = json.loads(target.read_text(encoding="utf-8")).get("metadata", {}).get(META, {})
    return meta.get("made_from") == made_from(page)


def _title(page: Page) -> str:
    found = re.search(r"^#\s+(.+?)\s*$", page.text, re.M)
    return _ATTRIBUTES.sub("", found.group(1)).strip() if found else page.path.stem


def notebook_of(path: Path, docs: Path = DOCS, python: bool = False):
    """The notebook of a page (an nbformat notebook, no outputs). With ``python``, the
    set-up cell installs with pip rather than ``%pip`` (for the ``.py`` file)."""
    import nbformat
    import nbformat.v4 as nbf

    path = Path(path).resolve()
    page = read_page_cached(path)
    if page.problems:
        problem = page.problems[0]
        raise ExportError(f"{path}:{problem.line}: {problem.message}")
    title = _title(page)
    intro = (
        f"*This notebook is the page [{title}]({page_url(path, docs.resolve())}) of Backprop by Hand, "
        "cell for cell. Run it from the top: the first cell sets up what the page needs, the "
        "last one checks every number the text states against what the code computed.*"
    )
    sources = [("markdown", intro), ("code", _setup_cell(python))]
    sources += [(kind, text if kind == "code" else _simplify_fence_info(text)) for kind, text in _cells(page, docs)]
    sources.append(("code", _check_cell(page)))
    cells = []
    for number, (kind, text) in enumerate(sources):  # stable ids: made again, the same file
        cell = {"cell_type": kind, "id": f"cell-{number}", "metadata": {}, "source": text}
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        cells.append(cell)
    notebook = nbf.new_notebook(cells=[nbformat.from_dict(cell) for cell in cells])  # checked once, when written
    notebook.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        META: {"page": path.relative_to(docs.resolve().parent).as_posix(), "made_from": made_from(path)},
    }
    return notebook


def render_notebook(path: Path, docs: Path = DOCS) -> str:
    import nbformat

    return nbformat.writes(notebook_of(path, docs)) + "\n"


def render_python(path: Path, docs: Path = DOCS) -> str:
    import jupytext

    return jupytext.writes(notebook_of(path, docs, python=True), fmt="py:percent")


def outputs(docs: Path = DOCS) -> dict[Path, str]:
    """Every file the pages give, with its text."""
    found = {}
    for page in pages(docs):
        found[notebook_path(page, docs)] = render_notebook(page, docs)
        found[python_path(page, docs)] = render_python(page, docs)
    return found


def stale(docs: Path = DOCS) -> list[str]:
    """One message per generated file that is missing, differs from its page, or has no page."""
    want = outputs(docs)
    problems = [
        f"{path.relative_to(docs.parent)} is out of date with its page: run `make notebooks`"
        for path, text in want.items()
        if not path.is_file() or path.read_text(encoding="utf-8") != text
    ]
    folder = docs / FOLDER
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path not in want:
                problems.append(f"{path.relative_to(docs.parent)} belongs to no page: run `make notebooks`")
    return problems


def write(docs: Path = DOCS) -> list[Path]:
    want = outputs(docs)
    written = []
    for path, text in want.items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
    folder = docs / FOLDER
    for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
        if path.is_file() and path not in want:
            path.unlink()
            written.append(path)
    return written


def main(argv: list[str]) -> int:
    if "--check" in argv:
        problems = stale()
        print("\n".join(problems) or "every page's notebook and Python file is up to date")
        return 1 if problems else 0
    for path in write():
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
