"""Values as JSON-able snapshots, so that a claim can be checked again without running
its page: the execution cache keeps every claim's snapshot."""

from __future__ import annotations

from typing import Any

from pagecheck import numbers


class ClaimError(Exception):
    """A claim's expression failed when the page ran (remembered by the cache)."""


def snapshot(value: Any) -> dict[str, Any]:
    """A JSON-able record of a value, enough to compare it with a typed number again."""
    if isinstance(value, str):
        return {"str": value}
    try:
        import sympy

        if isinstance(value, sympy.Basic) and value.free_symbols:
            return {"sympy": sympy.srepr(value)}
    except ImportError:  # pragma: no cover
        pass
    try:
        floats, shape = numbers.to_floats(value)
    except numbers.TypedValueError:
        return {"repr": repr(value)}
    return {"floats": [f if f == f else "nan" for f in floats], "shape": list(shape)}


def from_snapshot(record: dict[str, Any]) -> Any:
    if "str" in record:
        return record["str"]
    if "sympy" in record:
        import sympy

        return eval(record["sympy"], vars(sympy))  # srepr is sympy's own constructor syntax
    if "floats" in record:
        import numpy as np

        floats = [float("nan") if f == "nan" else f for f in record["floats"]]
        return np.array(floats, dtype=np.float64).reshape(record["shape"])
    raise ClaimError(f"the value {record['repr']} is not a number")
