"""A tensor autograd engine built from the site's own rules.

The scalar engine (``snippets/engine.py``) with tensors in place of numbers: a ``Tensor``
holds a torch tensor (``.data``), a gradient of the same shape, its inputs and a backward
closure. Each closure is one rule of ``snippets/rules.py``, the rules the pages derive:
de-broadcasting for ``+``, ``-``, ``*`` and ``/``; the transposes of matmul; sums copied
back; the one-hot of max; the scatter-add of an embedding lookup; the element-wise
derivatives. The forward computations are torch's own, so the engine's forward pass is
torch's to the bit; its backward pass is the rules'.

``Tensor`` also answers ``torch.tanh(t)``, ``torch.exp(t)`` and ``torch.log(t)`` (through
``__torch_function__``), so ``snippets.makemore.forward`` runs on it unchanged.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from snippets import rules


class Tensor:
    """A tensor, its gradient, and how it was made."""

    def __init__(self, data, _inputs: tuple[Tensor, ...] = (), _op: str = "", requires_grad: bool = False) -> None:
        self.data = data.detach() if isinstance(data, torch.Tensor) else torch.tensor(data)
        self.grad: torch.Tensor | None = None
        self._backward = lambda: None
        self._inputs = _inputs
        self._op = _op
        self.requires_grad = requires_grad or any(t.requires_grad for t in _inputs)

    def __repr__(self) -> str:
        return f"Tensor(shape={list(self.shape)}, op={self._op or 'leaf'!r})"

    @property
    def shape(self) -> torch.Size:
        return self.data.shape

    def retain_grad(self) -> None:
        """Every tensor keeps its gradient here (autograd keeps only the leaves')."""

    def _add_grad(self, grad: torch.Tensor) -> None:
        """The += of the scalar engine: a tensor used twice collects both gradients."""
        if self.requires_grad:
            self.grad = grad if self.grad is None else self.grad + grad

    # ------------------------------------------------------------ element-wise, broadcasting

    # --8<-- [start:add]
    def __add__(self, other) -> Tensor:
        other = _tensor(other)
        out = Tensor(self.data + other.data, (self, other), "+")

        def _backward() -> None:  # each input gets the gradient, summed back to its shape
            self._add_grad(rules.unbroadcast(out.grad, self.shape))
            other._add_grad(rules.unbroadcast(out.grad, other.shape))

        out._backward = _backward
        return out
    # --8<-- [end:add]

    def __sub__(self, other) -> Tensor:
        other = _tensor(other)
        out = Tensor(self.data - other.data, (self, other), "-")

        def _backward() -> None:
            self._add_grad(rules.unbroadcast(out.grad, self.shape))
            other._add_grad(rules.unbroadcast(-out.grad, other.shape))

        out._backward = _backward
        return out

    def __mul__(self, other) -> Tensor:
        other = _tensor(other)
        out = Tensor(self.data * other.data, (self, other), "*")

        def _backward() -> None:  # each input's local derivative is the other input
            self._add_grad(rules.unbroadcast(out.grad * other.data, self.shape))
            other._add_grad(rules.unbroadcast(out.grad * self.data, other.shape))

        out._backward = _backward
        return out

    def __truediv__(self, other) -> Tensor:
        other = _tensor(other)
        out = Tensor(self.data / other.data, (self, other), "/")

        def _backward() -> None:  # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
            self._add_grad(rules.unbroadcast(out.grad / other.data, self.shape))
            other._add_grad(rules.unbroadcast(-out.grad * self.data / other.data**2, other.shape))

        out._backward = _backward
        return out

    def __neg__(self) -> Tensor:
        out = Tensor(-self.data, (self,), "neg")
        out._backward = lambda: self._add_grad(-out.grad)
        return out

    def __radd__(self, other) -> Tensor:
        return _tensor(other) + self

    def __rsub__(self, other) -> Tensor:
        return _tensor(other) - self

    def __rmul__(self, other) -> Tensor:  # 1 / n * x: the number first, as torch computes it
        return _tensor(other) * self

    def __rtruediv__(self, other) -> Tensor:
        return _tensor(other) / self

    def __pow__(self, exponent: float) -> Tensor:
        out = Tensor(self.data**exponent, (self,), f"**{exponent:g}")
        out._backward = lambda: self._add_grad(rules.pow_backward(out.grad, self.data, exponent))
        return out

    def tanh(self) -> Tensor:
        out = Tensor(torch.tanh(self.data), (self,), "tanh")
        out._backward = lambda: self._add_grad(rules.tanh_backward(out.grad, out.data))
        return out

    def exp(self) -> Tensor:
        out = Tensor(self.data.exp(), (self,), "exp")
        out._backward = lambda: self._add_grad(rules.exp_backward(out.grad, out.data))
        return out

    def log(self) -> Tensor:
        out = Tensor(self.data.log(), (self,), "log")
        out._backward = lambda: self._add_grad(rules.log_backward(out.grad, self.data))
        return out

    # ------------------------------------------------------------ matmul, reductions, shapes

    # --8<-- [start:matmul-sum]
    def __matmul__(self, other: Tensor) -> Tensor:
        out = Tensor(self.data @ other.data, (self, other), "@")

        def _backward() -> None:  # the transposes: grad @ b.T and a.T @ grad
            grad_a, grad_b = rules.matmul_backward(out.grad, self.data, other.data)
            self._add_grad(grad_a)
            other._add_grad(grad_b)

        out._backward = _backward
        return out

    def sum(self, dim: int, keepdim: bool = False) -> Tensor:
        out = Tensor(self.data.sum(dim, keepdim=keepdim), (self,), "sum")
        out._backward = lambda: self._add_grad(rules.sum_backward(out.grad, self.shape, dim, keepdim))
        return out

    def mean(self) -> Tensor:
        """The mean of every entry (the makemore loss is the mean of a vector)."""
        out = Tensor(self.data.mean(), (self,), "mean")

        def _backward() -> None:  # the sum's copies, each divided by the count
            count = self.data.numel()
            grad = rules.mean_backward(out.grad.reshape(1), (count,), 0, keepdim=True)
            self._add_grad(grad.reshape(self.shape))

        out._backward = _backward
        return out

    # --8<-- [end:matmul-sum]

    def max(self, dim: int, keepdim: bool = False) -> MaxResult:
        result = self.data.max(dim, keepdim=keepdim)
        out = Tensor(result.values, (self,), "max")
        out._backward = lambda: self._add_grad(rules.max_backward(out.grad, self.data, dim, keepdim))
        return MaxResult(out, result.indices)

    def view(self, *shape: int) -> Tensor:
        out = Tensor(self.data.view(*shape), (self,), "view")
        out._backward = lambda: self._add_grad(out.grad.reshape(self.shape))  # the same numbers, reshaped back
        return out

    def __getitem__(self, index) -> Tensor:
        """``C[Xb]``: an embedding lookup, whose rule is the scatter-add. ``x[rows, cols]``:
        one entry picked per row; the gradient goes back to the picked places, zero elsewhere."""
        if isinstance(index, torch.Tensor):
            out = Tensor(self.data[index], (self,), "lookup")
            out._backward = lambda: self._add_grad(rules.embedding_backward(out.grad, index, self.shape[0]))
            return out
        rows, cols = (torch.as_tensor(list(i) if isinstance(i, range) else i) for i in index)
        out = Tensor(self.data[rows, cols], (self,), "pick")

        def _backward() -> None:
            grad = torch.zeros_like(self.data)
            grad.index_put_((rows, cols), out.grad, accumulate=True)
            self._add_grad(grad)

        out._backward = _backward
        return out

    # ------------------------------------------------------------ torch.tanh(t) and friends

    # --8<-- [start:torch-function]
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        methods = {torch.tanh: "tanh", torch.exp: "exp", torch.log: "log"}
        if func in methods and not kwargs:
            return getattr(args[0], methods[func])()
        raise TypeError(f"the tensor engine has no rule for {func.__name__}")
    # --8<-- [end:torch-function]

    # ------------------------------------------------------------ the backward pass

    def backward(self) -> None:
        """The gradient of this (one-number) tensor into every tensor it was made from that
        requires one. Leaves add to what they hold; every other tensor starts again."""
        order = topological_order(self)
        for tensor in order:
            if tensor._inputs:
                tensor.grad = None
        self.grad = torch.ones_like(self.data)
        for tensor in reversed(order):
            if tensor.grad is not None:
                tensor._backward()


class MaxResult(NamedTuple):
    values: Tensor
    indices: torch.Tensor


def _tensor(value) -> Tensor:
    """A number or a torch tensor taking part in an operation: a constant of the graph."""
    if isinstance(value, Tensor):
        return value
    return Tensor(torch.as_tensor(value))


def topological_order(root: Tensor) -> list[Tensor]:
    """Every tensor ``root`` was made from, each once, each after all its inputs (a walk
    with a stack: a network's graph can be deeper than Python's recursion allows)."""
    order: list[Tensor] = []
    seen: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        tensor, inputs_done = stack.pop()
        if inputs_done:
            order.append(tensor)
            continue
        if id(tensor) in seen:
            continue
        seen.add(id(tensor))
        stack.append((tensor, True))
        stack.extend((child, False) for child in reversed(tensor._inputs))
    return order


def parameters_of(params):
    """A copy of a makemore ``Params`` whose tensors are the engine's leaves."""
    return type(params)(**{name: Tensor(p.detach().clone(), requires_grad=True) for name, p in params.items()})
