"""The site's pages, as the tests see them: every Markdown page listed in mkdocs.yml's nav."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _walk(nav) -> list[str]:
    found = []
    for item in nav:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        if isinstance(value, list):
            found += _walk(value)
        elif isinstance(value, str) and value.endswith(".md"):
            found.append(value)
    return found


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)
_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)


def nav_pages() -> list[Path]:
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=_Loader)
    return [DOCS / rel for rel in _walk(config["nav"])]
