"""The backward rules of a transformer's layers, one small function each, as the pages of
"A transformer by hand" derive them. Like ``snippets/rules.py``: each takes the gradient of
an operation's output and what the forward pass kept, and returns the input's gradient,
with plain tensor arithmetic and no autograd. ``tests/test_transformer_rules.py`` holds each
to autograd on random shapes in float64, and to finite differences (``gradcheck``).
"""

from __future__ import annotations

import math

import torch

# ---------------------------------------------------------------- activations


def relu_backward(grad: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``out = relu(x)``: slope one where x > 0, zero elsewhere (at exactly zero too, as
    torch takes it)."""
    return grad * (x > 0)


GELU_TANH_C = 0.044715  # the cubic's coefficient in GELU's tanh form


def gelu_backward(grad: torch.Tensor, x: torch.Tensor, approximate: str = "none") -> torch.Tensor:
    """``out = gelu(x)``. Exact form, x * Phi(x): Phi(x) + x * phi(x), the normal CDF and
    density. Tanh form, x/2 * (1 + tanh(u)) with u = sqrt(2/pi) (x + c x^3):
    (1 + tanh u) / 2 + x/2 * (1 - tanh(u)^2) * du/dx."""
    if approximate == "none":
        cdf = 0.5 * (1 + torch.erf(x / math.sqrt(2)))
        pdf = torch.exp(-0.5 * x**2) / math.sqrt(2 * math.pi)
        return grad * (cdf + x * pdf)
    if approximate == "tanh":
        k = math.sqrt(2 / math.pi)
        t = torch.tanh(k * (x + GELU_TANH_C * x**3))
        du = k * (1 + 3 * GELU_TANH_C * x**2)
        return grad * (0.5 * (1 + t) + 0.5 * x * (1 - t**2) * du)
    raise ValueError(f"approximate must be 'none' or 'tanh', not {approximate!r}")


# ---------------------------------------------------------------- normalisation


def layernorm_forward(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float = 1e-5):
    """Each row normalised over its last dimension, with the biased variance (divided by
    the number of features). Returns the output and what the backward keeps: the mean and
    1/std of every row (two numbers a row, not the normalised tensor)."""
    mean = x.mean(-1, keepdim=True)
    rstd = ((x - mean) ** 2).mean(-1, keepdim=True).add(eps).rsqrt()
    return (x - mean) * rstd * weight + bias, mean, rstd


def layernorm_backward(
    grad: torch.Tensor, x: torch.Tensor, mean: torch.Tensor, rstd: torch.Tensor, weight: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The fused backward: with norm = (x - mean) * rstd and dnorm = grad * weight,
    dx = rstd * (dnorm - mean(dnorm) - norm * mean(dnorm * norm)), each mean over the row.
    The weight's and the bias's gradients sum over every row."""
    norm = (x - mean) * rstd
    dnorm = grad * weight
    dx = rstd * (dnorm - dnorm.mean(-1, keepdim=True) - norm * (dnorm * norm).mean(-1, keepdim=True))
    return dx, _sum_rows(grad * norm), _sum_rows(grad)


def rmsnorm_backward(
    grad: torch.Tensor, x: torch.Tensor, rrms: torch.Tensor, weight: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """``out = x * rrms * weight`` with rrms = 1/sqrt(mean(x^2) + eps): LayerNorm without the
    mean, so without the mean(dnorm) term."""
    norm = x * rrms
    dnorm = grad * weight
    dx = rrms * (dnorm - norm * (dnorm * norm).mean(-1, keepdim=True))
    return dx, _sum_rows(grad * norm)


def _sum_rows(t: torch.Tensor) -> torch.Tensor:
    """Summed over every dimension but the features (a single row is its own sum)."""
    return t.sum(tuple(range(t.dim() - 1))) if t.dim() > 1 else t


# ---------------------------------------------------------------- softmax and attention


def softmax_backward(grad: torch.Tensor, p: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """``p = softmax(s, dim)`` with any upstream gradient: the Jacobian of one row is
    diag(p) - p p^T, so ds = p * (dp - sum(p * dp)) along ``dim``."""
    return p * (grad - (p * grad).sum(dim, keepdim=True))


def masked_fill_backward(grad: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``out = s.masked_fill(mask, -inf)``: a masked entry was replaced by a constant, so
    nothing reaches it back."""
    return grad.masked_fill(mask, 0.0)


def scaled_scores_backward(
    grad: torch.Tensor, q: torch.Tensor, k: torch.Tensor, scale: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """``scores = q @ k^T * scale`` (over the last two dimensions): the matmul rule, each
    side times the scale."""
    return grad @ k * scale, grad.transpose(-2, -1) @ q * scale


# ---------------------------------------------------------------- many heads


def split_heads(t: torch.Tensor, n_heads: int) -> torch.Tensor:
    """[T, C] -> [H, T, C/H]: each head's slice of the features, heads first."""
    T, C = t.shape
    return t.view(T, n_heads, C // n_heads).transpose(0, 1)


def split_heads_backward(grad: torch.Tensor) -> torch.Tensor:
    """The split only moves numbers: its backward moves them back, by the inverse
    permutation (heads and positions swapped back, then the heads' slices side by side)."""
    H, T, D = grad.shape
    return grad.transpose(0, 1).reshape(T, H * D)


def merge_heads(t: torch.Tensor) -> torch.Tensor:
    """[H, T, D] -> [T, H*D]: the heads' outputs side by side."""
    H, T, D = t.shape
    return t.transpose(0, 1).reshape(T, H * D)


def merge_heads_backward(grad: torch.Tensor, n_heads: int) -> torch.Tensor:
    """The inverse of merging is splitting."""
    return split_heads(grad, n_heads)
