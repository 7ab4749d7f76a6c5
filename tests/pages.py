"""The site's pages, as the tests see them: the Markdown pages and the exercise notebooks
listed in mkdocs.yml's nav."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _walk(nav, suffix: str) -> list[str]:
    found = []
    for item in nav:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        if isinstance(value, list):
            found += _walk(value, suffix)
        elif isinstance(value, str) and value.endswith(suffix):
            found.append(value)
    return found


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)
_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)


def _nav():
    return yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=_Loader)["nav"]


def nav_pages() -> list[Path]:
    """The Markdown pages (run and checked by pagecheck)."""
    return [DOCS / rel for rel in _walk(_nav(), ".md")]


def nav_notebooks() -> list[Path]:
    """The exercise notebooks (rendered by mkdocs-jupyter)."""
    return [DOCS / rel for rel in _walk(_nav(), ".ipynb")]


def site_pages() -> list[Path]:
    """Every page a reader can open from the navigation."""
    return nav_pages() + nav_notebooks()
