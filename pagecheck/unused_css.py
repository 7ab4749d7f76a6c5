"""Drop the style rules a page cannot use.

mkdocs-jupyter puts JupyterLab's whole stylesheet into every notebook page, inline: about
570 KB of CSS for a page whose HTML uses a few dozen of its classes. The browser downloads
it with the page (it cannot be cached) and matches every rule against every element, on a
slow phone for longer than anything else the page does. ``prune`` keeps a rule only if one
of its selectors could match: every class the selector names appears in the page. Rules
that name no class (element selectors, ``:root``, custom properties), ``@font-face`` and
the like are kept whole; ``@media`` and ``@supports`` blocks are pruned inside.

A page gains classes after loading only through the theme's script, so rules naming the
theme's classes (``md-``) are kept whatever the page holds. When this was written, full-page
screenshots of the three notebook pages with the full and with the pruned CSS were the
same pixel for pixel, in both palettes and at both widths; ``tests/test_unused_css.py``
holds the rules to what they keep and drop.
"""

from __future__ import annotations

import re

import tinycss2

_CLASS = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")
_STYLE = re.compile(r"(<style[^>]*>)(.*?)(</style>)", re.S)
_CLASS_ATTR = re.compile(r'class="([^"]*)"')
LARGE = 20_000  # characters: only stylesheets this big are worth the parse


def classes_in(html: str) -> set[str]:
    return {name for value in _CLASS_ATTR.findall(html) for name in value.split()}


_FUNCTIONAL = re.compile(r":(?:not|is|where|has|matches|-webkit-any)\([^()]*\)")


def _may_match(selector_list: str, present: set[str]) -> bool:
    """Whether a selector of the list could match: the classes it requires, outside
    :not(), :is() and the like (which may match without them), are all on the page, or are
    the theme's (``md-``: Material's script adds some, a table's scroll wrapper say)."""
    for selector in _split_top_level(selector_list):
        needed = {c for c in _CLASS.findall(_FUNCTIONAL.sub("", selector)) if not c.startswith("md-")}
        if needed <= present:
            return True
    return False


def _split_top_level(selector_list: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(selector_list):
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(selector_list[start:i])
            start = i + 1
    return parts + [selector_list[start:]]


def _prune_rules(rules, present: set[str]) -> str:
    kept = []
    for rule in rules:
        if rule.type == "qualified-rule":
            if _may_match(tinycss2.serialize(rule.prelude), present):
                kept.append(rule.serialize())
        elif rule.type == "at-rule" and rule.lower_at_keyword in {"media", "supports"} and rule.content:
            inner = _prune_rules(tinycss2.parse_rule_list(rule.content, skip_whitespace=True, skip_comments=True), present)
            if inner:
                kept.append(f"@{rule.at_keyword}{tinycss2.serialize(rule.prelude)}{{{inner}}}")
        elif rule.type == "at-rule":
            kept.append(rule.serialize())
    return "".join(kept)


def prune(html: str) -> str:
    """The page with each large inline stylesheet reduced to the rules it may use."""
    present = classes_in(_STYLE.sub("", html))

    def shrink(match: re.Match) -> str:
        css = match.group(2)
        if len(css) < LARGE:
            return match.group(0)
        rules = tinycss2.parse_stylesheet(css, skip_whitespace=True, skip_comments=True)
        return match.group(1) + _prune_rules(rules, present) + match.group(3)

    return _STYLE.sub(shrink, html)
