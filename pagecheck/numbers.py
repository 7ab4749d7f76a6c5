"""Typed numbers: parse what an author wrote on a page and compare it with a computed value.

A typed number is a claim about a value *rounded to the precision it is written with*:
``1920.67`` says the value lies within 0.005 of 1920.67, ``24,576`` says it lies within 0.5
of 24576, ``5.8e-11`` says it lies within 0.05e-11 of 5.8e-11. A fraction (``1/3`` or
``\\frac{1}{3}``) is compared at float32 precision, since that is what the pages compute in.
Vectors are written ``[12288, 1062882]`` (elements separated by a comma *and a space*, so that
``24,576`` stays one number) and may nest for matrices: ``[[1, 2], [3, 4]]``.

A typed vector states a shape as well as numbers: a flat list is one-dimensional, a list of
n lists of m numbers is [n, m], and the value must have exactly that shape (``[1, 2, 3, 4]``
is a tensor of shape [4], not one of shape [2, 2] or [1, 4]). A single typed number states
the value of anything that holds one number, whatever its shape ([], [1] or [1, 1]).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

# float32 has a 24-bit significand: about 6e-8 relative error per rounding.
FRACTION_RTOL = 1e-6


def fraction_tolerance(expected: float) -> float:
    """How far a value may be from an exactly typed number (1/3, 2^{-17}): relative, so that
    a small number is held to its own digits (a fixed 1e-6 would let 2^{-23} be anything
    below 1e-6); a typed zero must be zero up to float rounding."""
    return FRACTION_RTOL * abs(expected) if expected else 1e-300

_MINUS = "[-\u2212]"
_INT = r"\d{1,3}(?:(?:,|\{,\}|\\,)\d{3})+(?!\d)|\d+"
_NUMBER_RE = re.compile(
    rf"""^\s*(?P<sign>{_MINUS})?\s*
    (?:
        \\[dt]?frac\{{\s*(?P<fnum>\d+)\s*\}}\{{\s*(?P<fden>\d+)\s*\}}     # \frac{1}{3}
      | (?P<num>\d+)\s*/\s*(?P<den>\d+)                                   # 1/3
      | (?P<int>{_INT})(?:\.(?P<frac>\d+))?                               # 1,234.56
        (?:
            [eE](?P<exp>[-+\u2212]?\d+)                                   # 5.8e-11
          | \s*(?:\\times|\\cdot|\u00d7|\u00b7)\s*10\^\{{?(?P<texexp>[-\u2212]?\d+)\}}?  # 5.8 \times 10^{-11}
        )?
    )\s*$""",
    re.VERBOSE,
)


class TypedValueError(ValueError):
    """The typed text is not a number, fraction or vector this module understands."""


@dataclass(frozen=True)
class TypedNumber:
    """One number as the author typed it."""

    text: str
    value: float
    tolerance: float
    exact: Fraction | None = None  # set for fractions and integers

    def matches(self, actual: float) -> bool:
        if math.isnan(actual):
            return False
        return abs(actual - self.value) <= self.tolerance * (1 + 1e-9) + 1e-300


def parse_number(text: str) -> TypedNumber:
    match = _NUMBER_RE.match(text)
    if not match:
        raise TypedValueError(f"not a number: {text!r}")
    sign = -1 if match.group("sign") else 1
    if match.group("fnum") or match.group("num"):
        num = int(match.group("fnum") or match.group("num"))
        den = int(match.group("fden") or match.group("den"))
        if den == 0:
            raise TypedValueError(f"division by zero in {text!r}")
        exact = Fraction(sign * num, den)
        value = float(exact)
        return TypedNumber(text.strip(), value, fraction_tolerance(value), exact)
    digits = re.sub(r"\{,\}|\\,|,", "", match.group("int"))
    frac = match.group("frac") or ""
    exp_text = match.group("exp") or match.group("texexp")
    exponent = int(exp_text.replace("\u2212", "-")) if exp_text else 0
    mantissa = Fraction(int(digits + frac), 10 ** len(frac))
    exact = sign * mantissa * Fraction(10) ** exponent
    tolerance = 0.5 * 10.0 ** (exponent - len(frac))
    return TypedNumber(text.strip(), float(exact), tolerance, exact if not frac and exponent >= 0 else None)


def _split_top_level(text: str) -> list[str]:
    """Split 'a, b, [c, d]' on commas followed by white space, outside brackets."""
    parts, depth, start = [], 0, 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        elif depth == 0 and ((ch == "," and i + 1 < len(text) and text[i + 1] in " \t\\~") or ch == ";"):
            parts.append(text[start:i])
            start = i + 1
        i += 1
    parts.append(text[start:])
    return [p.strip().removeprefix("\\ ").removeprefix("\\quad").strip() for p in parts]


def parse_typed(text: str) -> Any:
    """Parse typed text into a TypedNumber or a (nested) list of them."""
    stripped = text.strip()
    stripped = re.sub(r"^\\left\s*", "", stripped)
    stripped = re.sub(r"\\right\s*(?=[\])]$)", "", stripped)
    if stripped[:1] in "[(" and stripped[-1:] in "])":
        inner = stripped[1:-1].strip()
        if not inner:
            raise TypedValueError(f"empty vector: {text!r}")
        return [parse_typed(part) for part in _split_top_level(inner)]
    return parse_number(stripped)


def flatten(typed: Any) -> list[TypedNumber]:
    if isinstance(typed, TypedNumber):
        return [typed]
    return [leaf for item in typed for leaf in flatten(item)]


def shape_of(typed: Any) -> tuple[int, ...]:
    """The shape a typed vector states: () for a number, (n,) for a flat list, (n, m) for n
    lists of m numbers, and so on. Rows of different lengths are an error."""
    if isinstance(typed, TypedNumber):
        return ()
    inner = {shape_of(item) for item in typed}
    if len(inner) != 1:
        raise TypedValueError("ragged vector: its rows have different shapes")
    return (len(typed), *inner.pop())


def to_floats(value: Any) -> tuple[list[float], tuple[int, ...]]:
    """Flatten a computed value (Python number, torch tensor, numpy array, sympy number, list)."""
    if hasattr(value, "detach"):  # torch.Tensor
        value = value.detach().to("cpu").double().numpy()
    if hasattr(value, "tolist") and hasattr(value, "shape"):  # numpy
        shape = tuple(value.shape)
        flat = value.reshape(-1).tolist()
        return [float(v) for v in flat], shape
    if isinstance(value, (list, tuple)):
        leaves: list[float] = []
        shapes = set()
        for item in value:
            vals, shp = to_floats(item)
            leaves.extend(vals)
            shapes.add(shp)
        if len(shapes) > 1:
            raise TypedValueError(f"cannot compare a ragged {type(value).__name__} (items of shapes "
                                  f"{sorted(list(s) for s in shapes)}) with typed numbers")
        inner = shapes.pop() if shapes else ()
        return leaves, (len(value), *inner)
    try:
        return [float(value)], ()
    except (TypeError, ValueError) as exc:
        raise TypedValueError(f"cannot compare a {type(value).__name__} with a typed number") from exc


def compare(typed_text: str, value: Any) -> str | None:
    """Return None when the typed text states the value, else a sentence saying why not."""
    typed = parse_typed(typed_text)
    expected = flatten(typed)
    try:
        typed_shape = shape_of(typed)
    except TypedValueError as error:
        raise TypedValueError(f"{typed_text!r} is a {error}") from None
    actual, actual_shape = to_floats(value)
    if len(expected) != len(actual):
        return (
            f"the page states {len(expected)} number(s) but the value has {len(actual)} "
            f"(shape {list(actual_shape)})"
        )
    if typed_shape and typed_shape != actual_shape:
        return (
            f"the page states shape {list(typed_shape)} but the value has shape {list(actual_shape)} "
            "(write the claim's expression so that its shape is the one typed)"
        )
    bad = [
        (i, t, a)
        for i, (t, a) in enumerate(zip(expected, actual))
        if not t.matches(a)
    ]
    if not bad:
        return None
    where = lambda i: f" at index {i}" if len(expected) > 1 else ""  # noqa: E731
    return "; ".join(
        f"typed {t.text}{where(i)} but the value is {a!r} (allowed error {t.tolerance:.3g})"
        for i, t, a in bad
    )


def format_value(value: Any) -> str:
    """A readable rendering for glued values that are not strings already."""
    if isinstance(value, str):
        return value
    floats, shape = to_floats(value)
    def one(v: float) -> str:
        if v == int(v) and abs(v) < 1e15:
            return f"{int(v):,}"
        return f"{v:.6g}"
    if shape == ():
        return one(floats[0])
    return "[" + ", ".join(one(v) for v in floats) + "]"


# One number as a page may type it, anywhere in a typed text (a vector holds several).
_TOKEN = re.compile(
    rf"(?P<sign>{_MINUS})?(?P<int>{_INT})(?:\.(?P<frac>\d+))?"
    rf"(?P<exp>[eE](?P<e>[-+\u2212]?\d+)|\s*(?:\\times|\\cdot|\u00d7|\u00b7)\s*10\^\{{?(?P<t>[-\u2212]?\d+)\}}?)?"
)


def rewrite(typed_text: str, value: Any) -> str | None:
    """The typed text with each number replaced by the value's, rounded to the precision the
    author wrote it with and in the same notation (thousands separator, decimals, exponent,
    minus sign): ``1,268`` for 1268.6 becomes ``1,269``. None when it cannot be done by rule:
    a fraction, a formula, or a value whose count of numbers differs from the text's."""
    try:
        typed = parse_typed(typed_text)
        floats, _ = to_floats(value)
    except TypedValueError:
        return None
    if any(n.exact is not None and n.exact.denominator != 1 for n in flatten(typed)) or re.search(r"\\[dt]?frac|/", typed_text):
        return None
    tokens = list(_TOKEN.finditer(typed_text))
    if len(tokens) != len(floats) or len(flatten(typed)) != len(floats) or any(math.isnan(f) for f in floats):
        return None
    pieces, end = [], 0
    for token, actual in zip(tokens, floats):
        pieces.append(typed_text[end : token.start()])
        pieces.append(_rewrite_one(token, actual))
        end = token.end()
    return "".join(pieces) + typed_text[end:]


def _rewrite_one(token: re.Match, actual: float) -> str:
    exp_text = token.group("e") or token.group("t")
    exponent = int(exp_text.replace("\u2212", "-")) if exp_text else 0
    decimals = len(token.group("frac") or "")
    mantissa = f"{abs(actual) / 10**exponent:.{decimals}f}"
    whole, _, frac = mantissa.partition(".")
    separator = next((s for s in ("{,}", "\\,", ",") if s in token.group("int")), None)
    if separator:
        whole = f"{int(whole):,}".replace(",", separator)
    minus = token.group("sign") or ("\u2212" if "\u2212" in token.group(0) else "-")
    sign = minus if actual < 0 and float(mantissa) != 0 else ""
    return sign + whole + (f".{frac}" if decimals else "") + (token.group("exp") or "")
