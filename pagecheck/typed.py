"""How a typed value is compared with what the code computed: a sympy expression with free
symbols symbolically, a number or a vector numerically (``pagecheck.numbers``), typed LaTeX
arithmetic exactly (up to float32 rounding)."""

from __future__ import annotations

from typing import Any

from pagecheck import numbers
from pagecheck.latex import parse_tex


def compare_claim(typed: str, value: Any) -> str | None:
    """Compare typed text with a value: sympy expressions symbolically, anything else numerically."""
    try:
        import sympy
    except ImportError:  # pragma: no cover
        sympy = None
    if sympy is not None and isinstance(value, sympy.Basic) and value.free_symbols:
        return _compare_formula(typed, value)
    if sympy is not None and isinstance(value, sympy.Basic):
        value = float(value)
    try:
        numbers.parse_typed(typed)
    except numbers.TypedValueError:
        return _compare_arithmetic(typed, value)
    return numbers.compare(typed, value)


def _compare_arithmetic(typed: str, value: Any) -> str | None:
    """Typed LaTeX arithmetic such as ``12 \\cdot 2^{11}``: exact, up to float32 rounding."""
    try:
        parsed = parse_tex(typed)
        if parsed.free_symbols:
            raise ValueError(f"it has symbols {sorted(map(str, parsed.free_symbols))}")
        expected = float(parsed)
    except Exception as error:  # noqa: BLE001
        return f"{typed!r} is neither a number, a vector nor LaTeX arithmetic ({error})"
    actual, _ = numbers.to_floats(value)
    if len(actual) != 1:
        return f"{typed!r} is one number but the value has {len(actual)}"
    if abs(actual[0] - expected) <= numbers.fraction_tolerance(expected):
        return None
    return f"{typed!r} is {expected!r} but the value is {actual[0]!r}"


def _compare_formula(typed: str, value: Any) -> str | None:
    import sympy

    try:
        parsed = parse_tex(typed)
    except Exception as error:  # noqa: BLE001
        return f"the typed formula {typed!r} does not parse as LaTeX: {error}"
    by_name = {_plain(s.name): s for s in value.free_symbols}
    parsed = parsed.subs({s: by_name.get(_plain(s.name), s) for s in parsed.free_symbols})
    if sympy.simplify(parsed - value) == 0:
        return None
    return f"the typed formula is {parsed}, but the derivation gives {sympy.expand(value)}"


def _plain(name: str) -> str:
    return name.replace("{", "").replace("}", "").replace("\\", "")
