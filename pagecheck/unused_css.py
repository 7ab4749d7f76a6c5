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

import functools
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


def _plan(rules) -> list[tuple]:
    """A stylesheet as what pruning needs of it: ("rule", selectors, text) for a style rule,
    ("block", head, [...]) for an @media or @supports block, ("keep", text) for any other
    at-rule."""
    plan: list[tuple] = []
    for rule in rules:
        if rule.type == "qualified-rule":
            plan.append(("rule", tinycss2.serialize(rule.prelude), rule.serialize()))
        elif rule.type == "at-rule" and rule.lower_at_keyword in {"media", "supports"} and rule.content:
            inner = tinycss2.parse_rule_list(rule.content, skip_whitespace=True, skip_comments=True)
            plan.append(("block", f"@{rule.at_keyword}{tinycss2.serialize(rule.prelude)}", _plan(inner)))
        elif rule.type == "at-rule":
            plan.append(("keep", rule.serialize()))
    return plan


@functools.lru_cache(maxsize=8)
def _parsed(css: str) -> list[tuple]:
    """Every notebook page holds the same stylesheet: it is parsed once a build."""
    return _plan(tinycss2.parse_stylesheet(css, skip_whitespace=True, skip_comments=True))


def _prune_plan(plan: list[tuple], present: set[str]) -> str:
    kept = []
    for kind, *rest in plan:
        if kind == "rule" and _may_match(rest[0], present):
            kept.append(rest[1])
        elif kind == "block":
            inner = _prune_plan(rest[1], present)
            if inner:
                kept.append(f"{rest[0]}{{{inner}}}")
        elif kind == "keep":
            kept.append(rest[0])
    return "".join(kept)


def prune(html: str) -> str:
    """The page with each large inline stylesheet reduced to the rules it may use."""
    present = classes_in(_STYLE.sub("", html))

    def shrink(match: re.Match) -> str:
        css = match.group(2)
        if len(css) < LARGE:
            return match.group(0)
        return match.group(1) + _prune_plan(_parsed(css), present) + match.group(3)

    return _STYLE.sub(shrink, html)
