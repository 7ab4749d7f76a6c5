"""The backward rules for tensors, one small function each, as the pages derive them.

Every function takes the gradient of an operation's output (``grad``) and what the forward
pass kept, and returns the gradient of the input(s). No autograd: plain tensor arithmetic.
The pages of "The rules for tensors" explain each one; ``tests/test_rules.py`` proves each
against autograd on random shapes and against finite differences (``gradcheck``).
"""

from __future__ import annotations

from typing import Sequence

import torch


# ---------------------------------------------------------------- broadcasting


def unbroadcast(grad: torch.Tensor, shape: Sequence[int]) -> torch.Tensor:
    """Sum a gradient back down to the shape of the tensor that was broadcast.

    Broadcasting stretches a tensor by (1) adding leading dimensions and (2) repeating
    dimensions of size 1. Every copy received a share of the gradient, so the gradient of
    the original is the sum over the copies: sum away the added leading dimensions, then
    sum (keeping the dimension) wherever the original had a 1.
    """
    shape = tuple(shape)
    if grad.dim() < len(shape):
        raise ValueError(f"gradient of shape {list(grad.shape)} cannot come from shape {list(shape)}")
    extra = grad.dim() - len(shape)
    if extra:
        grad = grad.sum(dim=tuple(range(extra)))
    stretched = tuple(i for i, (g, s) in enumerate(zip(grad.shape, shape)) if s == 1 and g != 1)
    if stretched:
        grad = grad.sum(dim=stretched, keepdim=True)
    if tuple(grad.shape) != shape:
        raise ValueError(f"gradient of shape {list(grad.shape)} does not reduce to shape {list(shape)}")
    return grad


# ---------------------------------------------------------------- sums and means


def sum_backward(grad: torch.Tensor, shape: Sequence[int], dim: int, keepdim: bool = False) -> torch.Tensor:
    """``out = x.sum(dim, keepdim)``: every element of x moved out by 1, so x's gradient is
    out's gradient copied back along ``dim`` (a broadcast: the mirror of unbroadcast)."""
    if not keepdim:
        grad = grad.unsqueeze(dim)
    return grad.expand(tuple(shape))


def mean_backward(grad: torch.Tensor, shape: Sequence[int], dim: int, keepdim: bool = False) -> torch.Tensor:
    """``out = x.mean(dim, keepdim)``: the sum's rule, each copy divided by n."""
    n = shape[dim]
    return sum_backward(grad, shape, dim, keepdim) / n


def var_backward(
    grad: torch.Tensor, x: torch.Tensor, dim: int, keepdim: bool = False, correction: int = 1
) -> torch.Tensor:
    """``out = x.var(dim, keepdim, correction)``, the variance with Bessel's correction by default:
    out = sum((x - mean)^2) / (n - correction), so d out / d x_i = 2 (x_i - mean) / (n - correction).
    (The mean's own dependence on x_i drops out: the deviations sum to zero.)"""
    n = x.shape[dim]
    if not keepdim:
        grad = grad.unsqueeze(dim)
    deviation = x - x.mean(dim, keepdim=True)
    return grad * 2 * deviation / (n - correction)


# ---------------------------------------------------------------- matrix multiply


def matmul_backward(grad: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``d = a @ b`` for matrices a [n, k] and b [k, m]: da = dd @ b.T [n, m]@[m, k] -> [n, k],
    db = a.T @ dd [k, n]@[n, m] -> [k, m]. The shapes leave no other way to write them."""
    return grad @ b.T, a.T @ grad


def linear_backward(
    grad: torch.Tensor, a: torch.Tensor, b: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``d = a @ b + c`` with c [m] broadcast over the rows: the matmul rule, and c's gradient
    is the gradient summed over the rows it was copied to."""
    da, db = matmul_backward(grad, a, b)
    return da, db, grad.sum(0)


# ---------------------------------------------------------------- max


def max_backward(grad: torch.Tensor, x: torch.Tensor, dim: int, keepdim: bool = False) -> torch.Tensor:
    """``values, indices = x.max(dim)``: only the winning entry moved the output, so the
    gradient goes to it alone: a one-hot along ``dim`` times the output's gradient."""
    indices = x.argmax(dim, keepdim=True)
    if not keepdim:
        grad = grad.unsqueeze(dim)
    one_hot = torch.zeros_like(x).scatter_(dim, indices, 1.0)
    return one_hot * grad


# ---------------------------------------------------------------- embedding


def embedding_backward(grad: torch.Tensor, index: torch.Tensor, num_rows: int) -> torch.Tensor:
    """``emb = C[index]``: every looked-up row of emb came from one row of C, so C's gradient
    adds each row of emb's gradient into the row of C it came from. Rows looked up several
    times collect several contributions: a scatter-add, never an assignment."""
    rows = grad.reshape(-1, grad.shape[-1])
    dC = torch.zeros(num_rows, grad.shape[-1], dtype=grad.dtype)
    dC.index_add_(0, index.reshape(-1), rows)
    return dC


# ---------------------------------------------------------------- element-wise


def tanh_backward(grad: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    """``out = tanh(x)``: d tanh / dx = 1 - tanh(x)^2, computed from the output."""
    return grad * (1 - out**2)


def exp_backward(grad: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    """``out = exp(x)``: the derivative is the output itself."""
    return grad * out


def log_backward(grad: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``out = log(x)``: the derivative is 1/x."""
    return grad / x


def pow_backward(grad: torch.Tensor, x: torch.Tensor, exponent: float) -> torch.Tensor:
    """``out = x**k``: the derivative is k x^(k-1)."""
    return grad * exponent * x ** (exponent - 1)


def reciprocal_backward(grad: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``out = x**-1`` (or 1/x): the derivative is -x^-2."""
    return grad * -(x**-2)
