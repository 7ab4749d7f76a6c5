"""Reading a page: its fences, its claims, and the numbers nobody would check."""

import re
import textwrap
from pathlib import Path

from pagecheck.page import read_page
from pagecheck.runner import PageRunner


def page(text: str, name: str = "p.md"):
    return read_page(Path(name), textwrap.dedent(text).lstrip("\n"))


def problems(text: str) -> list[tuple[int, str]]:
    return [(p.line, p.message) for p in page(text).problems]


def run(text: str) -> list[str]:
    return PageRunner(page(text), display_path="docs/p.md").run_all()


def unchecked(number: str, where: str) -> str:
    return (
        f"unchecked number '{number}' in {where}: write it as {{{{ expr == {number} }}}} "
        "so the tests compare it with the code's value"
    )


def test_a_bare_number_in_prose_is_rejected_with_its_line():
    found = problems(
        """
        # Title

        The gradient is 600.
        """
    )
    assert found == [(3, unchecked("600", "prose"))]


def test_a_bare_number_in_math_is_rejected_but_subscripts_and_the_mean_are_not():
    found = problems(
        r"""
        $$ \frac{1}{n} \sum_i w_1 x_{12} = 2w $$
        """
    )
    assert found == [(1, unchecked("2", "math"))]


def test_exponents_must_be_checked_too():
    assert problems("$f(x) = x^{12}$\n") == [(1, unchecked("12", "math"))]


def test_numbers_in_code_links_identifiers_and_list_markers_are_not_claims():
    assert problems(
        """
        1. Use `torch.float32` and `x = 3` from [seed](seed-002.md#part-2).
        2. The W1 matrix, float64 and <span id="s3">text</span>.

        ```python
        print(42)
        ```
        """
    ) == [(4, 'this python fence runs under pytest but not at build time: add exec="on", or mark it notest')]


def test_claims_are_found_in_prose_math_tables_and_admonitions():
    p = page(
        r"""
        The loss is {{ loss == 900 }}.

        $$ f'(a) = {{ g == 24{,}576 }} $$

        | w | grad |
        | - | ---- |
        | {{ w == 5 }} | {{ g2 == 600 }} |

        !!! note "Why"

            It moves by {{ g3 == 0.25 }}.
        """
    )
    assert p.problems == []
    assert [(c.line, c.expr, c.typed) for c in p.claims] == [
        (1, "loss", "900"),
        (3, "g", "24{,}576"),
        (7, "w", "5"),
        (7, "g2", "600"),
        (11, "g3", "0.25"),
    ]
    assert [c.in_math for c in p.claims] == [False, True, False, False, False]


def test_every_fence_after_the_first_must_continue_the_page_session():
    found = problems(
        """
        ```python exec="on"
        a = 1
        ```

        ```python exec="on"
        b = 2
        ```
        """
    )
    assert found == [
        (5, "every code fence after the first needs 'continuation' "
            "(one page is one session, at build time and under pytest)")
    ]


def test_an_unclosed_claim_is_reported():
    assert problems("The value {{ x == 2 is here.\n") == [
        (1, "a '{{' here is never closed by '}}'"),
        (1, unchecked("2", "prose")),  # what is not a claim is prose
    ]


def test_a_claim_that_does_not_hold_fails_with_page_and_line():
    failures = run(
        """
        ```python exec="on"
        w = 5
        ```

        The weight is {{ w == 6 }}.
        """
    )
    assert failures == [
        "docs/p.md:5: claim {{ w == 6 }} does not hold: typed 6 but the value is 5.0 (allowed error 0.5)"
    ]


def test_a_claim_may_come_before_the_code_that_computes_it():
    assert run(
        """
        The gradient will be {{ g == 600 }}.

        ```python exec="on"
        g = 200 * 5 - 400
        ```
        """
    ) == []


def test_a_claim_whose_name_is_reassigned_later_is_caught():
    failures = run(
        """
        ```python exec="on"
        g = 600
        ```

        The gradient is {{ g == 600 }}.

        ```python exec="on" continuation
        g = 1
        ```
        """
    )
    assert failures == [
        "docs/p.md:5: claim {{ g == 600 }} changes value further down the page (a name it uses is "
        "reassigned, or a tensor modified in place, after this line); give the later value another name"
    ]


def test_a_failing_fence_names_the_page_and_the_line_that_raised():
    failures = run(
        """
        Text.

        ```python exec="on"
        a = 1
        b = a / 0
        ```
        """
    )
    assert failures[0].startswith("docs/p.md:5: code fence raised ZeroDivisionError")


def test_formula_claims_are_compared_symbolically():
    assert run(
        r"""
        ```python exec="on"
        import sympy as sp
        w = sp.Symbol("w")
        dloss = sp.diff((20 - 10 * w) ** 2, w)
        ```

        $$ \frac{d\,loss}{dw} = {{ dloss == 200w - 400 }} $$
        """
    ) == []
    failures = run(
        r"""
        ```python exec="on"
        import sympy as sp
        w = sp.Symbol("w")
        dloss = sp.diff((20 - 10 * w) ** 2, w)
        ```

        $$ {{ dloss == 200w - 300 }} $$
        """
    )
    assert failures == [
        "docs/p.md:7: claim {{ dloss == 200w - 300 }} does not hold: "
        "the typed formula is 200*w - 300, but the derivation gives 200*w - 400"
    ]


def test_latex_arithmetic_is_evaluated():
    assert run("$$ {{ 24576 == 12 \\cdot 2^{11} }} $$\n") == []
    # 12 times 2^10 is 12288, and the failure says so: the arithmetic was evaluated.
    assert run("$$ {{ 24576 == 12 \\cdot 2^{10} }} $$\n") == [
        "docs/p.md:1: claim {{ 24576 == 12 \\cdot 2^{10} }} does not hold: "
        "'12 \\\\cdot 2^{10}' is 12288.0 but the value is 24576.0"
    ]


def test_latex_arithmetic_that_is_not_one_number_says_why():
    assert run("$$ {{ 24576 == 12 \\cdot 2^{11} \\cdot w }} $$\n") == [
        "docs/p.md:1: claim {{ 24576 == 12 \\cdot 2^{11} \\cdot w }} does not hold: "
        "'12 \\\\cdot 2^{11} \\\\cdot w' is neither a number, a vector nor LaTeX arithmetic "
        "(it has symbols ['w'])"
    ]
    assert run("$$ {{ [24576, 1] == 12 \\cdot 2^{11} }} $$\n") == [
        "docs/p.md:1: claim {{ [24576, 1] == 12 \\cdot 2^{11} }} does not hold: "
        "'12 \\\\cdot 2^{11}' is one number but the value has 2"
    ]


def test_display_math_inside_a_paragraph_is_rejected():
    found = problems("Some text\n$$ a = b $$\nmore text.\n")
    assert found == [(2, "display math ($$) needs a blank line before and after it, or it is left as raw TeX")]
    assert problems("Some text\n\n$$\na = b\n$$\n\nmore text.\n") == []


def test_latex_typed_in_a_prose_claim_is_rejected():
    found = problems("The line promises {{ d == 6{,}553.6 }} here.\n")
    assert found == [
        (1, "LaTeX in a claim outside math shows as typed: '6{,}553.6' "
            "(write 6,553.6 in prose, or put the claim inside $...$)")
    ]
    assert problems("The line promises ${{ d == 6{,}553.6 }}$ here.\n") == []


def test_plain_formulas_are_read_as_sympys_latex_parser_reads_them():
    """``pagecheck.latex.plain_tex`` reads plain formulas (numbers, one-letter symbols, w_1,
    powers, \\frac, \\cdot) without sympy's Earley parser, which is slow: it must give the
    same expression as that parser for a few awkward formulas and for every fifth formula
    typed on the site (the parser takes some 40 ms a formula, and all of them would cost this
    test four seconds); what it does not read (None) is left to the parser."""
    import sympy
    from sympy.parsing.latex import parse_latex

    from pagecheck import latex, numbers
    from tests.pages import nav_pages

    extra = {"w_{1}^2", "x_1 w_1 + x_2 w_2", "12a^{11}", "2^{11} \\cdot 3", "\\frac{1}{2} x^2", "(x + 1)^2",
             "-x", "2.5x", "6{,}144 \\cdot 2", "\\frac{120^2 + 365^2}{2}", "1 \\cdot 2 \\cdot (-30)", "b c",
             "300w_1w_2", "e_i^2", "8 B T^2 + 2064 B T + T^2"}
    typed: set[str] = set()  # every formula typed on the site
    for path in nav_pages():
        for claim in read_page(path).claims:
            if claim.typed is not None:
                try:
                    numbers.parse_typed(claim.typed)
                except numbers.TypedValueError:
                    typed.add(claim.typed)
    read = sum(latex.plain_tex(text) is not None for text in typed)
    for text in sorted(extra) + sorted(typed)[::5]:
        fast = latex.plain_tex(text)
        if fast is None:
            continue
        slow = parse_latex(re.sub(r"(?<=\d)\{,\}(?=\d{3})", "", text), backend="lark")
        slow = slow.xreplace({s: sympy.Symbol(str(s.name)) for s in slow.free_symbols})
        assert sympy.simplify(fast - slow) == 0, (text, fast, slow)
        assert {s.name for s in fast.free_symbols} == {s.name for s in slow.free_symbols}, (text, fast, slow)
    assert read >= 90  # most of the site's formulas are plain (98 of 127 different ones, 2026-11-30)
    assert latex.plain_tex("\\sqrt{v}") is None and latex.plain_tex("2\\eta x") is None
