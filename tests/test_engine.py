"""The scalar engine (``snippets/engine.py``) against PyTorch, on expressions hypothesis
draws: every leaf's gradient equals autograd's in float64. Then the engine broken three
classic ways, each of which the property test must catch by its own assertion.
"""

from __future__ import annotations

import math
import traceback
import types
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

import snippets.engine
from tests.mutants import broken_copy

engine = snippets.engine  # the property test reads this name: the mutation tests swap it

N_INPUTS = 3
BINARY = ("+", "-", "*", "/")
UNARY = ("tanh", "exp", "square", "cube", "neg", "reciprocal", "self-sum", "self-product")

# Inputs and constants of ordinary size: near zero, x / tanh(x) is the difference of two huge terms, and
# two correct engines that round in another order disagree in every digit (a
# float64 cancellation, not a wrong gradient).
ORDINARY = st.floats(0.1, 1.5) | st.floats(-1.5, -0.1)

# An expression: an input's index, a constant, or (op, operand) / (op, left, right). Inputs
# repeat across a tree, so the same leaf is reached along several paths; "self-sum" and
# "self-product" use one intermediate twice (s + s, s * s), which the walk must visit once.
expressions = st.recursive(
    st.one_of(st.integers(0, N_INPUTS - 1), (st.floats(0.1, 2) | st.floats(-2, -0.1)).map(lambda c: ("const", c))),
    lambda inner: st.one_of(
        st.tuples(st.sampled_from(BINARY), inner, inner),
        st.tuples(st.sampled_from(UNARY), inner),
    ),
    max_leaves=12,
)


def build(expr, inputs, const):
    """The expression over ``inputs`` (engine Values or torch tensors)."""
    if isinstance(expr, int):
        return inputs[expr]
    if expr[0] == "const":
        return const(expr[1])
    op, *args = expr
    values = [build(a, inputs, const) for a in args]
    if op in BINARY:
        left, right = values
        return {"+": lambda: left + right, "-": lambda: left - right,
                "*": lambda: left * right, "/": lambda: left / right}[op]()
    (x,) = values
    return {"tanh": lambda: x.tanh(), "exp": lambda: x.exp(), "square": lambda: x**2,
            "cube": lambda: x**3, "neg": lambda: -x, "reciprocal": lambda: x**-1,
            "self-sum": lambda: x + x, "self-product": lambda: x * x}[op]()


def _finite(value: float) -> bool:
    return math.isfinite(value) and abs(value) < 1e6


INPUTS = st.lists(ORDINARY, min_size=N_INPUTS, max_size=N_INPUTS)
QUIET = [HealthCheck.filter_too_much, HealthCheck.too_slow]


def every_leaf_gradient_equals_autograd(expr, xs):
    """The property: built in the engine and in torch (float64), every input's gradient
    agrees."""
    assume(not isinstance(expr, int) and expr[0] != "const")
    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    try:
        expected = build(expr, tensors, lambda c: torch.tensor(c, dtype=torch.float64))
    except ZeroDivisionError:  # torch divides by zero into inf; the property skips such trees
        assume(False)
    assume(expected.requires_grad and _finite(expected.item()))  # made of an input, finite
    expected.backward()
    assume(all(t.grad is None or _finite(t.grad.item()) for t in tensors))

    values = [engine.Value(x) for x in xs]
    try:
        out = build(expr, values, engine.Value)
        out.backward()
    except (ZeroDivisionError, OverflowError):  # a float too large for Python, where torch has inf
        assume(False)
    for value, tensor in zip(values, tensors):
        want = 0.0 if tensor.grad is None else tensor.grad.item()
        assert value.grad == pytest.approx(want, rel=1e-9, abs=1e-9), (expr, xs)
    assert out.data == pytest.approx(expected.item(), rel=1e-12, abs=1e-12)


test_every_leaf_gradient_equals_autograd = settings(max_examples=150, deadline=None, suppress_health_check=QUIET,
                                                   derandomize=True)(
    given(expr=expressions, xs=INPUTS)(every_leaf_gradient_equals_autograd)
)
# The same property, for the broken copies below: hypothesis reports the first failing
# example it finds, without the minutes of shrinking it to the smallest one.
hunt = settings(max_examples=300, deadline=None, suppress_health_check=QUIET, phases=[Phase.generate],
               derandomize=True)(
    given(expr=expressions, xs=INPUTS)(every_leaf_gradient_equals_autograd)
)


def test_a_second_backward_doubles_a_leaf_and_recomputes_the_rest():
    """As torch with retain_graph=True: leaves add up, intermediates start again."""
    a = engine.Value(2.0)
    b = a * a
    c = b + a
    c.backward()
    assert (a.grad, b.grad) == (5.0, 1.0)  # dc/da = 2a + 1 at a = 2; dc/db = 1
    c.backward()
    assert (a.grad, b.grad) == (10.0, 1.0)


def test_an_exponent_that_is_a_value_is_refused():
    with pytest.raises(TypeError, match="the exponent must be a plain number"):
        engine.Value(2.0) ** engine.Value(3.0)


# ------------------------------------------------------------ mutations

SOURCE = Path(snippets.engine.__file__).read_text(encoding="utf-8")
MUTANT_FILE = "broken_engine.py"
MUTATIONS = {
    "'=' for '+=' in the closure of *": (
        ("            self.grad += other.data * out.grad", "            self.grad = other.data * out.grad"),
    ),
    "the walk revisits shared values (no topological order)": (
        ("        if id(value) in seen:\n            return", "        if False:\n            return"),
    ),
    "the walk starts from the inputs": (
        ("        for value in reversed(order):\n            value._backward()",
         "        for value in order:\n            value._backward()"),
    ),
    "tanh's local derivative from the input": (
        ("            self.grad += (1 - t**2) * out.grad", "            self.grad += (1 - self.data**2) * out.grad"),
    ),
    "pow's local derivative without its exponent": (
        ("            self.grad += exponent * self.data ** (exponent - 1) * out.grad",
         "            self.grad += self.data ** (exponent - 1) * out.grad"),
    ),
}


def mutant(replacements) -> types.ModuleType:
    return broken_copy(SOURCE, replacements, MUTANT_FILE)


@pytest.mark.parametrize("mistake", MUTATIONS, ids=list(MUTATIONS))
def test_a_broken_engine_is_caught_by_the_property_test(mistake):
    """Caught means: hypothesis reports a failing example, and the failure is the property
    test's own assertion (not an error raised inside the broken copy)."""
    global engine
    original, engine = engine, mutant(MUTATIONS[mistake])
    try:
        with pytest.raises(AssertionError) as caught:
            hunt()
    finally:
        engine = original
    error = caught.value
    notes = getattr(error, "__notes__", [])
    assert any(note.startswith(("Falsifying example", "Failing test case")) for note in notes), notes
    frames = traceback.extract_tb(error.__traceback__)
    assert any(f.filename == __file__ and f.name == "every_leaf_gradient_equals_autograd" for f in frames)
    assert frames[-1].filename != MUTANT_FILE, frames[-3:]


def test_the_unbroken_engine_passes_the_hunt_for_mutants():
    """The control: the same search finds nothing wrong with the engine as it is."""
    hunt()
