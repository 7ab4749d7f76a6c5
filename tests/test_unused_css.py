"""``pagecheck.unused_css``: what a notebook page's inline stylesheet keeps and drops."""

from __future__ import annotations

from pagecheck.unused_css import LARGE, prune

PAGE = '<div class="jp-Cell jp-CodeCell"><p class="note">x</p></div>'


def _pruned(css: str) -> str:
    padding = "/*" + " " * LARGE + "*/"  # large enough to be worth pruning
    html = prune(f"<style>{padding}{css}</style>{PAGE}")
    return html[len("<style>"): html.index("</style>")]


def test_a_rule_for_a_class_the_page_lacks_goes_and_one_for_its_classes_stays():
    kept = _pruned(".jp-Cell .note{color:red}.jp-Toolbar{display:flex}")
    assert ".jp-Cell .note" in kept and "jp-Toolbar" not in kept


def test_a_selector_list_stays_if_one_selector_may_match():
    assert ".jp-Toolbar,.jp-Cell" in _pruned(".jp-Toolbar,.jp-Cell{margin:0}")


def test_classes_under_not_or_is_do_not_count_as_required():
    kept = _pruned(".jp-Cell:not(.jp-mod-noOutputs){padding:1px}.jp-Cell:is(.a,.b){padding:2px}")
    assert "jp-mod-noOutputs" in kept and ":is(.a,.b)" in kept


def test_the_themes_classes_rules_for_elements_and_at_rules_stay():
    kept = _pruned(".jp-Cell .md-typeset__scrollwrap{margin:0}p{margin:0}:root{--x:1}"
                   "@font-face{font-family:F;src:url(f.woff2)}")
    assert "md-typeset__scrollwrap" in kept and "p{margin:0}" in kept and ":root" in kept and "@font-face" in kept


def test_media_blocks_are_pruned_inside_and_dropped_when_empty():
    kept = _pruned("@media (max-width:600px){.jp-Cell{margin:0}.jp-Toolbar{margin:0}}"
                   "@media print{.jp-Toolbar{display:none}}")
    assert "@media (max-width:600px){.jp-Cell{margin:0}}" in kept.replace(" {", "{")
    assert "print" not in kept


def test_a_small_stylesheet_is_left_as_it_is():
    small = "<style>.jp-Toolbar{display:flex}</style>" + PAGE
    assert prune(small) == small
