"""No broken internal link or anchor anywhere in the built site; every page describes itself."""

from __future__ import annotations

import functools
import posixpath
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import yaml

from tests.pages import DOCS, ROOT, site_pages


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []  # (attribute, value)
        self.ids: set[str] = set()
        self.meta: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name"):
            if attrs.get(key) and (key == "id" or tag == "a"):
                self.ids.add(attrs[key])
        for key in ("href", "src"):
            if attrs.get(key) is not None and not (tag == "link" and attrs.get("rel") == "canonical"):
                self.links.append((f"<{tag} {key}>", attrs[key]))
        if tag == "meta" and attrs.get("name"):
            self.meta[attrs["name"]] = attrs.get("content") or ""


def _parse(path: Path) -> _Collector:
    collector = _Collector()
    collector.feed(path.read_text(encoding="utf-8"))
    return collector


@functools.lru_cache(maxsize=4)  # the tests below read the same built site: parse it once
def _site_pages(site: Path) -> dict[str, _Collector]:
    return {str(p.relative_to(site)): _parse(p) for p in site.rglob("*.html")}


def broken_links(site: Path) -> list[str]:
    pages = _site_pages(site)
    problems = []
    for page, found in pages.items():
        base = posixpath.dirname(page)
        for where, link in found.links:
            url = urlparse(link)
            if url.scheme or url.netloc or link.startswith(("mailto:", "javascript:", "data:")):
                continue
            if not url.path:
                target = page
            else:  # a path from the root is from site_url's path, which is "/"
                path = unquote(url.path)
                target = posixpath.normpath(path.lstrip("/") if path.startswith("/") else posixpath.join(base, path))
                if link.endswith("/") or (site / target).is_dir():
                    target = posixpath.join(target, "index.html")
            if target.startswith("..") or not (site / target).exists():
                problems.append(f"{page}: {where} {link!r} points to a missing file")
                continue
            if url.fragment and target.endswith(".html"):
                ids = pages[target].ids if target in pages else _parse(site / target).ids
                if unquote(url.fragment) not in ids:
                    problems.append(f"{page}: {where} {link!r}: no element with id {url.fragment!r}")
    return problems


def test_no_broken_internal_link_or_anchor(built_site):
    assert broken_links(built_site.site) == []


def test_the_link_check_catches_a_broken_link_and_a_broken_anchor(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "index.html").write_text('<a href="a/">ok</a><a href="b/">missing</a><a href="a/#nope">anchor</a>')
    (tmp_path / "a" / "index.html").write_text('<h2 id="yes">x</h2><a href="../#top">top</a>')
    assert broken_links(tmp_path) == [
        "index.html: <a href> 'b/' points to a missing file",
        "index.html: <a href> 'a/#nope': no element with id 'nope'",
        "a/index.html: <a href> '../#top': no element with id 'top'",
    ]


def test_every_page_has_its_own_meta_description(built_site):
    descriptions = defaultdict(list)
    for page in site_pages():
        rel = page.relative_to(DOCS).with_suffix("")
        html = "index.html" if rel.name == "index" else str(rel / "index.html")
        description = _site_pages(built_site.site)[html].meta.get("description", "")
        assert len(description) >= 50, f"{page.relative_to(ROOT)} needs a description: in its front matter"
        descriptions[description].append(page.name)
    assert [names for names in descriptions.values() if len(names) > 1] == []


def test_site_url_is_set_and_the_404_page_is_styled(built_site):
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=yaml.Loader)  # noqa: S506 (our file)
    assert urlparse(config["site_url"]).scheme == "https"
    not_found = (built_site.site / "404.html").read_text(encoding="utf-8")
    assert "md-header" in not_found and "stylesheets" in not_found and "404" in not_found
