"""`make update-claims` (``pagecheck.update_claims``): a typed number that no longer holds is
rewritten to the computed value at the precision and in the notation it was written with,
and what cannot be rewritten by rule is named for a hand edit. The expected texts below are
worked out by hand from the values."""

from __future__ import annotations

import textwrap

import pytest
import torch

from pagecheck.numbers import rewrite
from pagecheck.page import read_page
from pagecheck.runner import PageRunner
from pagecheck.update_claims import update_page


@pytest.mark.parametrize(
    "typed, value, expected",
    [
        ("1,268", 1269.4, "1,269"),  # thousands separator kept
        ("24{,}576", 24577.2, "24{,}577"),  # as TeX writes it
        ("0.0423", 0.04236, "0.0424"),  # four decimals stay four
        ("\u22120.50", -0.512, "\u22120.51"),  # the typographic minus stays
        ("5.8e-11", 6.04e-11, "6.0e-11"),  # the exponent stays, the digits after it too
        ("5.8 \\times 10^{-5}", 6.1e-5, "6.1 \\times 10^{-5}"),
        ("[1.5, 2.25]", torch.tensor([1.6, 2.0]), "[1.6, 2.00]"),
        ("[[1, 2], [3, 4]]", torch.tensor([[1, 2], [3, 5]]), "[[1, 2], [3, 5]]"),
    ],
)
def test_a_number_is_rewritten_in_its_own_notation(typed, value, expected):
    assert rewrite(typed, value) == expected


@pytest.mark.parametrize("typed, value", [("1/3", 0.5), ("\\frac{1}{3}", 0.5), ("[1, 2]", torch.tensor([1.0, 2.0, 3.0]))])
def test_what_no_rule_can_rewrite_is_left_alone(typed, value):
    assert rewrite(typed, value) is None


def test_a_page_is_rewritten_in_place_and_then_holds(tmp_path):
    page = tmp_path / "p.md"
    page.write_text(textwrap.dedent("""
        # A page after a torch upgrade

        ```python exec="on"
        w = 1268.6
        third = 0.5
        small = 0.0423
        ```

        The weight is {{ w == 1,268 }}, small is {{ small == 0.0423 }}, and a third is {{ third == 1/3 }}.
        """).lstrip("\n"), encoding="utf-8")
    changes, by_hand = update_page(page, "p.md")
    assert changes == ["p.md:9 1,268 -> 1,269"]
    assert by_hand == ["p.md:9: {{ third == 1/3 }} does not hold and cannot be rewritten by rule"]
    assert "{{ w == 1,269 }}, small is {{ small == 0.0423 }}" in page.read_text(encoding="utf-8")
    failures = PageRunner(read_page(page), display_path="p.md").run_all()
    assert [f.split(" does not hold")[0] for f in failures] == ["p.md:9: claim {{ third == 1/3 }}"]
