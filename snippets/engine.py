"""A scalar autograd engine: every number remembers how it was made, and ``backward()``
walks that record from the output back to the inputs.

Each operation makes a new ``Value`` and gives it a small closure, ``_backward``, that knows
the operation's local derivatives: it passes the output's gradient on to the inputs,
multiplied by them. ``backward()`` puts the graph in topological order (every value after
everything it was made from) and calls the closures from the output back.

Two details carry the whole idea, and the page "A scalar engine" shows each one failing
when it is left out: a closure *adds* into ``.grad`` (a value used twice gets a gradient
from each use), and the walk visits each value once, after every value that uses it.
"""

from __future__ import annotations

import math


class Value:
    """One number, its gradient, and how it was made."""

    def __init__(self, data: float, _inputs: tuple[Value, ...] = (), _op: str = "", label: str = "") -> None:
        self.data = float(data)
        self.grad = 0.0
        self._backward = lambda: None  # what this value passes back to its inputs
        self._inputs = _inputs
        self._op = _op
        self.label = label

    def __repr__(self) -> str:
        name = f"{self.label}: " if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"

    # ------------------------------------------------------------ operations

    # --8<-- [start:add-mul]
    def __add__(self, other: Value | float) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward() -> None:  # d(a + b)/da = 1, d(a + b)/db = 1
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: Value | float) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward() -> None:  # d(a b)/da = b, d(a b)/db = a
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out
    # --8<-- [end:add-mul]

    def __pow__(self, exponent: float) -> Value:
        if isinstance(exponent, Value):
            raise TypeError("the exponent must be a plain number: it gets no gradient here")
        out = Value(self.data**exponent, (self,), f"**{exponent:g}")

        def _backward() -> None:  # d(a^k)/da = k a^(k-1)
            self.grad += exponent * self.data ** (exponent - 1) * out.grad

        out._backward = _backward
        return out

    def tanh(self) -> Value:
        t = math.tanh(self.data)  # math.tanh never overflows (see the page)
        out = Value(t, (self,), "tanh")

        def _backward() -> None:  # d tanh(a)/da = 1 - tanh(a)^2, from the output
            self.grad += (1 - t**2) * out.grad

        out._backward = _backward
        return out

    def exp(self) -> Value:
        e = math.exp(self.data)
        out = Value(e, (self,), "exp")

        def _backward() -> None:  # d exp(a)/da = exp(a), the output itself
            self.grad += e * out.grad

        out._backward = _backward
        return out

    # Built from the ones above: their gradients come for free.
    def __neg__(self) -> Value:
        return self * -1

    def __sub__(self, other: Value | float) -> Value:
        return self + (-other)

    def __truediv__(self, other: Value | float) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return self * other**-1

    def __radd__(self, other: float) -> Value:  # 2 + a
        return self + other

    def __rmul__(self, other: float) -> Value:  # 2 * a
        return self * other

    def __rsub__(self, other: float) -> Value:  # 2 - a
        return Value(other) - self

    def __rtruediv__(self, other: float) -> Value:  # 2 / a
        return Value(other) / self

    # ------------------------------------------------------------ the backward pass

    # --8<-- [start:backward]
    def backward(self) -> None:
        """d self / d v into every v.grad. Leaves (values made by no operation) add to what
        they hold, as torch's leaves do; every other value starts again from zero, as if
        the forward pass had just made it."""
        order = topological_order(self)
        for value in order:
            if value._inputs:
                value.grad = 0.0
        self.grad = 1.0
        for value in reversed(order):
            value._backward()
    # --8<-- [end:backward]


# --8<-- [start:order]
def topological_order(root: Value) -> list[Value]:
    """Every value ``root`` was made from, each once, each after all its inputs."""
    order: list[Value] = []
    seen: set[int] = set()

    def visit(value: Value) -> None:
        if id(value) in seen:
            return
        seen.add(id(value))
        for child in value._inputs:
            visit(child)
        order.append(value)

    visit(root)
    return order
# --8<-- [end:order]


def leaves(root: Value) -> list[Value]:
    """The values ``root`` was made from that no operation made: its inputs and constants."""
    return [value for value in topological_order(root) if not value._inputs]
