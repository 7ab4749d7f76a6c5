"""A rule module with a mistake made in it, for the mutation tests."""

from __future__ import annotations

import types


def broken_copy(source: str, replacements, filename: str) -> types.ModuleType:
    """The module ``source`` with each (before, after) made, compiled as ``filename`` (so a
    traceback tells the broken copy's frames from the tests'). Each ``before`` must occur
    exactly once: a test of a mistake nobody can make any more fails, naming it."""
    for before, after in replacements:
        assert source.count(before) == 1, f"the code to break is no longer written as {before!r}"
        source = source.replace(before, after)
    broken = types.ModuleType(filename.removesuffix(".py"))
    exec(compile(source, filename, "exec"), broken.__dict__)
    return broken
