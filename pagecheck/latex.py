"""Typed LaTeX, read with sympy's LaTeX parser: the formulas and the arithmetic a page types
in its claims (``{{ memory == 1160n + 15360 }}``, ``{{ x == 12 \\cdot 2^{11} }}``)."""

from __future__ import annotations

import re
from functools import lru_cache


def parse_tex(typed: str):
    """Parse typed LaTeX with sympy's LaTeX parser (lark backend).

    The parser reads ``12x^{11}`` but not ``3 \\cdot 3b^2``; where it fails, the implicit
    products (a digit followed by a letter) are written out and the parse is tried again.
    Names written ``\\text{error}`` or ``\\operatorname{error}`` are read as one symbol.
    Parsing takes about a tenth of a second, so results are remembered, in this process and
    in the cache folder (keyed by the text and sympy's version).
    """
    import sympy

    result = _parse_tex_memo(typed, sympy.__version__)
    if isinstance(result, str):
        raise ValueError(result)
    return result


@lru_cache(maxsize=4096)
def _parse_tex_memo(typed: str, sympy_version: str):
    import sympy

    from pagecheck import cache

    stored = cache.load_text("latex", f"{sympy_version}\0{typed}")
    if stored is not None:
        kind, _, body = stored.partition("\n")
        # srepr may show a symbol's name as the lark Token it was parsed from.
        namespace = {**vars(sympy), "Token": lambda *parts: str(parts[-1])}
        return eval(body, namespace) if kind == "expr" else body
    try:
        result = _parse_tex_uncached(typed)
        cache.store_text("latex", f"{sympy_version}\0{typed}", "expr\n" + sympy.srepr(result))
    except ValueError as error:
        result = str(error)
        cache.store_text("latex", f"{sympy_version}\0{typed}", "error\n" + result)
    return result


# Plain polynomial and arithmetic LaTeX (single-letter symbols, numbers, + - \cdot \times,
# powers, \frac, parentheses) is read by a translation to sympy's own syntax: sympy's LaTeX
# parser (an Earley parser) takes some 50 ms a formula, a cold test run has about two
# hundred of them, and the translation reads these the same way (tests/test_page_reader.py
# compares the two on every typed formula of the site). Anything else goes to the parser.
_PLAIN = re.compile(r"^[0-9a-zA-Z\u03b1-\u03c9+\-*/^(){}.\s]*$")
_FRAC = re.compile(r"\\[dt]?frac\{([^{}]*)\}\{([^{}]*)\}")


def plain_tex(typed: str):
    """``typed`` as a sympy expression, when it is plain (see above); None otherwise."""
    import sympy

    text = re.sub(r"(?<=\d)(?:\{,\}|\\,)(?=\d{3})", "", typed)
    # A subscripted symbol, w_1 or e_{i}, is one symbol (named as sympy's parser names it,
    # w_{1}): it stands in as one Greek letter until the end.
    subscripted: dict[str, str] = {}

    def stand_in(match: re.Match) -> str:
        name = f"{match[1]}_{{{match[2] or match[3]}}}"
        return subscripted.setdefault(name, chr(0x3B1 + len(subscripted)))

    text = re.sub(r"([a-zA-Z])_(?:\{([0-9a-zA-Z])\}|([0-9a-zA-Z]))", stand_in, text)
    if len(subscripted) > 20:
        return None
    text = re.sub(r"\\(?:cdot|times)(?![a-zA-Z])", "*", text)
    while _FRAC.search(text):
        text = _FRAC.sub(r"((\1)/(\2))", text)
    if not _PLAIN.match(text) or re.search(r"[a-zA-Z]{2}[a-zA-Z]|[a-zA-Z]\d|\d\.\D|\.\.|\^\s*[-(]", text):
        return None  # words, a letter before a digit, a power of a sum: the parser decides
    text = re.sub(r"\^\s*\{([^{}]*)\}", r"**(\1)", text)
    text = re.sub(r"\^\s*([0-9]|[a-zA-Z\u03b1-\u03c9])", r"**\1", text)
    if "^" in text or "{" in text or "}" in text:
        return None
    # Implicit products: 12a, 2(x), a b, ab, )(, )a, a( ...
    text = re.sub(r"(?<=[0-9a-zA-Z\u03b1-\u03c9)])\s*(?=[a-zA-Z\u03b1-\u03c9(])", "*", text)
    text = re.sub(r"(?<=[a-zA-Z\u03b1-\u03c9)])\s*(?=\d)", "*", text)
    letters = {ch: sympy.Symbol(ch) for ch in set(re.findall(r"[a-zA-Z]", text))}
    letters.update({letter: sympy.Symbol(name) for name, letter in subscripted.items()})
    try:
        return sympy.parse_expr(text, local_dict=letters, global_dict={"Integer": sympy.Integer,
                                "Float": sympy.Float, "Rational": sympy.Rational, "Symbol": sympy.Symbol})
    except Exception:  # noqa: BLE001  (the parser says what is wrong with it)
        return None


def _parse_tex_uncached(typed: str):
    import sympy
    from sympy.parsing.latex import parse_latex

    def parse(text: str):
        # An ambiguous parse comes back as a lark Tree rather than an error.
        result = parse_latex(text, backend="lark")
        if not isinstance(result, sympy.Basic):
            raise ValueError(f"ambiguous LaTeX: {text!r}")
        # Symbol names come back as lark tokens: make them plain strings (and picklable).
        return result.xreplace({s: sympy.Symbol(str(s.name)) for s in result.free_symbols})

    fast = plain_tex(typed)
    if fast is not None:
        return fast
    typed = re.sub(r"\\(?:text|operatorname|mathrm)\{", r"\\mathit{", typed)
    typed = re.sub(r"(?<=\d)(?:\{,\}|\\,)(?=\d{3})", "", typed)  # 6{,}144 is 6144
    try:
        return parse(typed)
    except Exception as first_error:  # noqa: BLE001
        explicit = re.sub(r"(?<![_^\\\w])(\d+(?:\.\d+)?)\s*(?=[a-zA-Z(]|\\(?!cdot|times))", r"\1 \\cdot ", typed)
        try:
            return parse(explicit)
        except Exception:  # noqa: BLE001
            raise ValueError(str(first_error).strip().splitlines()[0]) from None
