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
