"""Typed numbers: what an author writes on a page, and what it claims about a value."""

from fractions import Fraction

import pytest
import torch

from pagecheck.numbers import TypedValueError, compare, parse_number, parse_typed
from pagecheck.runner import compare_claim


@pytest.mark.parametrize(
    "text, value, tolerance",
    [
        ("24,576", 24576, 0.5),
        ("24{,}576", 24576, 0.5),
        ("1920.67", 1920.67, 0.005),
        ("-0.5", -0.5, 0.05),
        ("\u221220.67", -20.67, 0.005),
        ("5.8e-11", 5.8e-11, 0.05e-11),
        (r"5.8 \times 10^{-11}", 5.8e-11, 0.05e-11),
        ("1,062,882", 1062882, 0.5),
    ],
)
def test_a_typed_number_claims_its_value_to_the_precision_written(text, value, tolerance):
    typed = parse_number(text)
    assert typed.value == pytest.approx(value, rel=1e-12)
    assert typed.tolerance == pytest.approx(tolerance, rel=1e-12)


def test_fractions_are_exact_and_compared_at_float32_precision():
    third = parse_number(r"\frac{1}{3}")
    assert third.exact == Fraction(1, 3)
    assert third.matches(float(torch.tensor(1.0) / 3))  # float32 rounding of 1/3
    assert not third.matches(0.3333)
    assert parse_number("2/3").exact == Fraction(2, 3)


def test_comma_with_a_space_separates_elements_comma_without_one_groups_thousands():
    assert [t.value for t in parse_typed("[12,288, 1,062,882]")] == [12288, 1062882]
    assert [[t.value for t in row] for row in parse_typed("[[1, 2], [3, 4]]")] == [[1, 2], [3, 4]]


@pytest.mark.parametrize("text", ["twelve", "1,2,3", "[]", "12..5", "1/0"])
def test_what_is_not_a_number_is_an_error_not_a_pass(text):
    with pytest.raises(TypedValueError):
        parse_typed(text)


def test_compare_accepts_the_correctly_rounded_value_and_nothing_else():
    assert compare("1920.67", 5762 / 3) is None  # 1920.666...
    assert "1920.66" in compare("1920.66", 5762 / 3)
    assert compare("24,576", torch.tensor(24576.0)) is None
    assert compare("24,577", torch.tensor(24576.0)) is not None


def test_compare_checks_every_element_and_the_count():
    grad = torch.tensor([2400.0, 3600.0])
    assert compare("[2400, 3600]", grad) is None
    assert "index 1" in compare("[2400, 3601]", grad)
    assert "2 number(s)" not in (compare("[2400, 3600, 0]", grad) or "")
    assert "3 number(s)" in compare("[2400, 3600, 0]", grad)
    assert compare("2400", grad) is not None


def test_nan_never_matches():
    assert compare("0", float("nan")) is not None


def test_a_small_exact_number_is_held_to_its_own_digits():
    """Exactly typed numbers (fractions, LaTeX arithmetic) are compared relative to their size:
    a fixed allowance of 1e-6 would let 2^{-23} (1.2e-7) stand for any value below 1e-6."""
    tiny = parse_number(r"1/8388608")  # 2^-23
    assert tiny.matches(2.0**-23) and not tiny.matches(2.0**-22) and not tiny.matches(0.0)
    assert compare_claim(r"2^{-23}", 2.0**-23) is None
    assert compare_claim(r"2^{-23}", 2.0**-22) is not None
    assert compare_claim(r"2^{-17}", 2.0**-17 * (1 + 1e-7)) is None  # float32 rounding passes


def test_a_typed_vector_states_its_shape():
    flat = torch.tensor([1.0, 2.0, 3.0, 4.0])
    square = flat.reshape(2, 2)
    assert compare("[1, 2, 3, 4]", flat) is None
    assert compare("[[1, 2], [3, 4]]", square) is None
    assert compare("[1, 2, 3, 4]", square) == (
        "the page states shape [4] but the value has shape [2, 2] "
        "(write the claim's expression so that its shape is the one typed)"
    )
    assert compare("[1, 2, 3, 4]", square.flatten()) is None
    assert compare("[[1, 2], [3, 4]]", flat).startswith("the page states shape [2, 2] but the value has shape [4] ")
    assert compare("[[1, 2, 3, 4]]", flat).startswith("the page states shape [1, 4] but the value has shape [4] ")
    assert compare("[1, 2, 3, 4]", flat[None]).startswith("the page states shape [4] but the value has shape [1, 4] ")
    # Python lists and tuples have shapes too: a list of two rows of two.
    assert compare("[[1, 2], [3, 4]]", [[1, 2], (3, 4)]) is None
    assert compare("[1, 2, 3, 4]", [[1, 2], [3, 4]]).startswith("the page states shape [4] but the value has shape [2, 2] ")


def test_the_shape_is_compared_before_the_numbers():
    # The same four numbers in another shape: refused for the shape, although each matches.
    assert compare("[1, 2, 3, 4]", torch.tensor([[1.0, 2.0], [3.0, 4.0]])).startswith("the page states shape [4]")
    # A wrong number in the right shape: refused for the number.
    assert compare("[[1, 2], [3, 5]]", torch.tensor([[1.0, 2.0], [3.0, 4.0]])) == (
        "typed 5 at index 3 but the value is 4.0 (allowed error 0.5)"
    )


@pytest.mark.parametrize("shape", [(), (1,), (1, 1), (1, 1, 1)])
def test_a_single_typed_number_states_any_one_number_value(shape):
    assert compare("2.5", torch.full(shape, 2.5)) is None
    assert compare("2.5", torch.full(shape, 2.6)) == "typed 2.5 but the value is 2.5999999046325684 (allowed error 0.05)"


def test_ragged_rows_are_an_error_typed_or_computed():
    with pytest.raises(TypedValueError, match=r"^'\[\[1, 2\], \[3\]\]' is a ragged vector: its rows have different shapes$"):
        compare("[[1, 2], [3]]", torch.tensor([1.0, 2.0, 3.0]))
    with pytest.raises(TypedValueError, match=r"cannot compare a ragged list \(items of shapes \[\[\], \[2\]\]\)"):
        compare("[1, 2, 3]", [1.0, torch.tensor([2.0, 3.0])])
