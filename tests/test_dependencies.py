"""Every module the project imports comes from a dependency pyproject.toml declares (not
from one that happens to be installed because something else needs it), and every declared
dependency is pinned in requirements.lock at a version its range allows."""

from __future__ import annotations

import ast
import functools
import json
import re
import sys
import tomllib
from importlib import metadata

from packaging.requirements import Requirement

from pagecheck.page import read_page_cached
from tests.pages import ROOT

LOCAL = {"pagecheck", "snippets", "tests", "conftest"}
PYTHON_FOLDERS = ["pagecheck", "snippets", "tests", "scripts"]


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _core() -> list[Requirement]:
    """What a downloaded page installs: the package's own dependencies."""
    return [Requirement(text) for text in _project()["dependencies"]]


def _declared() -> list[Requirement]:
    """Those and the site's (building, serving, testing: the 'site' extra)."""
    extras = _project().get("optional-dependencies", {})
    return _core() + [Requirement(text) for group in extras.values() for text in group]


def _locked() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.strip().partition("==")
            pins[_normal(name)] = version
    return pins


def imported(code: str) -> set[str]:
    """The top-level names of the modules a piece of code imports (absolute imports)."""
    found = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def _project_code() -> dict[str, str]:
    """Every piece of Python the project runs: its modules, the pages' fences, the notebooks' cells."""
    code = {"conftest.py": (ROOT / "conftest.py").read_text(encoding="utf-8")}
    for folder in PYTHON_FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            code[str(path.relative_to(ROOT))] = path.read_text(encoding="utf-8")
    for path in sorted((ROOT / "docs").rglob("*.md")):
        for fence in read_page_cached(path).code_fences:
            code[f"{path.relative_to(ROOT)}:{fence.start_line}"] = fence.code
    for path in sorted((ROOT / "docs").rglob("*.ipynb")):
        if "notebooks" in path.relative_to(ROOT / "docs").parts[:1]:
            continue  # the pages as downloads: their code is the pages' fences, read above
        for number, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"], 1):
            if cell["cell_type"] == "code":
                source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
                code[f"{path.relative_to(ROOT)} cell {number}"] = source
    return code


@functools.cache
def _providers() -> dict[str, list[str]]:
    """Which installed distributions provide each top-level module (read once: it walks
    every installed distribution's files)."""
    return metadata.packages_distributions()


def undeclared(code: dict[str, str], declared: set[str]) -> list[str]:
    """One line per imported module that no declared dependency provides."""
    providers = _providers()
    problems = []
    for where, text in code.items():
        for module in sorted(imported(text) - LOCAL - set(sys.stdlib_module_names)):
            given_by = {_normal(name) for name in providers.get(module, [])}
            if not given_by & declared:
                by = ", ".join(sorted(given_by)) or "no installed distribution"
                problems.append(f"{where}: imports {module} (from {by}), which pyproject.toml does not declare")
    return problems


def test_every_imported_module_is_a_declared_dependency():
    declared = {_normal(r.name) for r in _declared()}
    assert undeclared(_project_code(), declared) == []


def test_an_import_of_an_undeclared_dependency_is_named():
    declared = {_normal(r.name) for r in _declared()} - {"markdown-it-py"}
    assert undeclared({"pagecheck/page.py": "from markdown_it import MarkdownIt\nimport re\n"}, declared) == [
        "pagecheck/page.py: imports markdown_it (from markdown-it-py), which pyproject.toml does not declare"
    ]


def test_every_declared_dependency_is_pinned_within_its_range():
    pins = _locked()
    for requirement in _declared():
        pin = pins.get(_normal(requirement.name))
        assert pin is not None, f"{requirement.name} is declared in pyproject.toml but not pinned in requirements.lock"
        assert requirement.specifier.contains(pin, prereleases=True), (
            f"requirements.lock pins {requirement.name}=={pin}, outside pyproject.toml's {requirement}"
        )


# What a downloaded page runs: the page's fences, the helpers it imports, and the check its
# last cell calls (pagecheck.notebook, with what that imports).
CHECK_MODULES = ["pagecheck/notebook.py", "pagecheck/execute.py", "pagecheck/typed.py", "pagecheck/latex.py",
                 "pagecheck/numbers.py", "pagecheck/cache.py"]


def test_a_downloaded_page_needs_only_the_packages_own_dependencies():
    """Installing the site's helpers (for a notebook on Colab, say) pulls in nothing a page
    does not use, and everything it does."""
    code = {where: text for where, text in _project_code().items()
            if where.startswith(("docs/", "snippets/")) and ".ipynb" not in where}
    code.update({name: (ROOT / name).read_text(encoding="utf-8") for name in CHECK_MODULES})
    assert undeclared(code, {_normal(r.name) for r in _core()}) == []
