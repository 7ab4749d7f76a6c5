# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# *This notebook is the page [Vector-Jacobian products](https://backprop-by-hand.github.io/autograd/vjp/) of Backprop by Hand, cell for cell. Run it from the top: the first cell sets up what the page needs, the last one checks every number the text states against what the code computed.*

# %%
# The site's helpers: `snippets` (what the page imports) and `pagecheck` (the check
# in the last cell). Where they are missing (on Colab, say), they are installed from
# the site's repository; PyTorch is not installed again if it is there.
import subprocess
import sys

try:
    import pagecheck
    import snippets
except ImportError:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", 'backprop-by-hand @ git+https://github.com/backprop-by-hand/backprop-by-hand.github.io@main'], check=True)

from pagecheck.notebook import start_page

start_page()  # as the site's build does: seed 0, PyTorch on one thread

# %% [markdown]
# # Vector-Jacobian products
#
# > **The question**
# >
# > `loss.backward()` works, but `y.backward()` on a vector refuses: "grad can be implicitly
# > created only for scalar outputs". What is special about a scalar? The chain rule I
# > learned multiplies Jacobians, yet `grad_logprobs` has the shape of `logprobs`,
# > `[32, 27]`: not a Jacobian. What does backward actually multiply, and what is forward
# > mode, which some libraries offer instead?
#
# Every closure of the [tensor engine](https://backprop-by-hand.github.io/autograd/tensor-engine/) takes the gradient of its output and
# returns the gradients of its inputs, each of the input's own shape. That is a
# *vector-Jacobian product*: the output's gradient, a row vector $v$, times the operation's
# Jacobian $J$, without ever writing $J$ down. This page makes the Jacobians appear, small
# enough to print, and shows why reverse mode never needs them.
#
# ## Why backward needs a scalar

# %%
import torch
import torch.nn.functional as F

x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = torch.stack([x[0] * x[1], x[1] + x[2] ** 2])   # f: 3 numbers -> 2
try:
    y.backward()
    refused = None
except RuntimeError as error:
    refused = str(error)
print(refused)


# %% [markdown]
# PyTorch says: "`refused`". Backward starts from the gradient of the output, and for a
# scalar loss that gradient is the number one ($\frac{dL}{dL}$). For an output of
# 2 numbers there is no such number: which combination of them should the
# inputs' gradients be the gradient *of*? The caller has to say, by passing `gradient=v`, a
# tensor of the output's shape.
#
# ## backward(gradient=v) is v times the Jacobian
#
# The Jacobian of `f` below, which maps three numbers to two, has one row per output and one
# column per input. `torch.autograd.functional.jacobian` builds it, one backward pass per row:

# %%
def f(x):
    return torch.stack([x[0] * x[1], x[1] + x[2] ** 2])


J = torch.autograd.functional.jacobian(f, x.detach())   # [2, 3]
v = torch.tensor([1.0, -2.0])          # one weight per output

x.grad = None
f(x).backward(gradient=v)
print("J =\n", J)
print("v @ J        =", (v @ J).tolist())
print("x.grad, after backward(gradient=v) =", x.grad.tolist())

# %% [markdown]
# At $x = [1, 2, 3]$ each row of $J$ is the gradient of one output there:
# `x[0] * x[1]` moves by `x[1]` per unit of `x[0]`, by `x[0]` per unit of `x[1]`, and not at
# all with `x[2]`; the second output moves one for one with `x[1]`, and by `2 * x[2]` with
# `x[2]`. So $J$ is [[2, 1, 0], [0, 1, 6]]. With $v = [1, -2]$,
# backward computed $v^\top J = [2, -1, -12]$: the gradient of
# $v_1 y_1 + v_2 y_2$, the weighted sum of the outputs. A scalar loss is the case of a single
# output, with $v$ the number one.
#
# That product is all any closure computes. The output's gradient arrives as $v$; the
# closure returns $v^\top J$ for each input, by a formula that never builds $J$: the matmul
# rule `grad @ b.T` is $v^\top J$ for the Jacobian of `a @ b` with respect to `a`.
#
# ## grad_logprobs is not a Jacobian
#
# The makemore loss is one number, so its gradient with respect to `logprobs` has one entry
# per entry of `logprobs`: a [32, 27] tensor, the product
# $v^\top J$ with $v$ the number one. The
# Jacobian that sits one step further back, of `logprobs` with respect to `logits`, is a
# different object: every output entry against every input entry.

# %%
from snippets.makemore import (SEED, forward, init_params, load_words,
                               sample_batch, splits)

(Xtr, Ytr), _, _ = splits(load_words())
params = init_params()
g = torch.Generator().manual_seed(SEED)
Xb, Yb = sample_batch(Xtr, Ytr, generator=g)
logits = forward(params, Xb, Yb).logits.detach()

J_logprobs = torch.autograd.functional.jacobian(
    lambda z: F.log_softmax(z, dim=1), logits)
nonzero = int((J_logprobs != 0).sum())
n_rows, vocab = logits.shape
hprebn_jacobian_size = n_rows * params.W1.shape[1] * params.W1.numel()
print("Jacobian of logprobs by logits:", list(J_logprobs.shape))
print(f"{J_logprobs.numel():,} numbers, {nonzero:,} of them not zero")

# %% [markdown]
# It is [32, 27, 32, 27]: 746,496
# numbers, of which only 23,328 are not zero, since a row's log-probabilities
# depend on that row's logits alone: one block of 27 by 27 per
# row, 23,328 numbers. Autograd never builds it. The
# cross-entropy closure receives $v$, the gradient of `logprobs`, and returns $v^\top J$
# directly, in the shape of `logits`. For the network's first layer the Jacobian of `hprebn`
# by `W1` would hold 3,932,160 numbers; the matmul rule does
# the same work with one product, `embcat.T @ grad_hprebn`.
#
# ## Forward mode and reverse mode
#
# Reverse mode (backward) computes one row combination $v^\top J$ per pass: with one output,
# the whole gradient in one pass. Forward mode computes one column combination $J u$ per
# pass, a *Jacobian-vector product*: how all the outputs move when the inputs move along
# $u$. `torch.func.jvp` does that, carrying the tangent along with the forward computation.
#
# Which is cheaper depends on the shape of the function. For a *wide* function, many inputs
# and one output, reverse mode needs one pass and forward mode one pass per input. For a
# *tall* one, one input and many outputs, it is the other way round. Measured with
# 200 inputs (wide) and 200 outputs (tall), a full Jacobian
# each way:

# %%
import time
import warnings

from torch.func import jvp, vjp

# torch.func warns, on every call, about a deprecation inside torch
warnings.filterwarnings("ignore", message=".*torch.jit.script.*")

N_WIDE = 200
gen = torch.Generator().manual_seed(0)
a = torch.randn(N_WIDE, generator=gen)


def wide(x):          # 200 numbers -> 1
    return (x.tanh() * a).sum().reshape(1)


def tall(t):          # 1 number -> 200
    return (t * a).tanh()


def by_forward(fn, x, n_out):
    """Full Jacobian, one jvp per input: columns."""
    basis = torch.eye(x.numel())
    cols = [jvp(fn, (x,), (basis[i].reshape(x.shape),))[1]
            for i in range(x.numel())]
    return torch.stack(cols, dim=-1).reshape(n_out, x.numel())


def by_reverse(fn, x, n_out):
    """Full Jacobian, one vjp per output: rows."""
    _, pullback = vjp(fn, x)
    rows = [pullback(torch.eye(n_out)[i])[0].reshape(-1)
            for i in range(n_out)]
    return torch.stack(rows)


passes, seconds, jacobians = {}, {}, {}
x_wide, t_tall = torch.randn(N_WIDE, generator=gen), torch.tensor([0.3])
for name, fn, inp, n_out in (("wide", wide, x_wide, 1),
                             ("tall", tall, t_tall, N_WIDE)):
    for mode, way in (("forward", by_forward), ("reverse", by_reverse)):
        start = time.perf_counter()
        jacobians[name, mode] = way(fn, inp, n_out)
        seconds[name, mode] = time.perf_counter() - start
        passes[name, mode] = inp.numel() if mode == "forward" else n_out
for name, mode in seconds:          # the times vary: see the text
    print(f"{name:4}  {mode:7}  {passes[name, mode]:3} passes")
agree = all(torch.allclose(jacobians[n, "forward"],
                           jacobians[n, "reverse"])
            for n in ("wide", "tall"))
print("both ways give the same Jacobians:", agree)

# %% [markdown]
# The wide function's gradient took 200 forward passes and
# 1 reverse pass; the tall function's Jacobian took
# 1 forward pass and 200
# reverse passes. On this machine the cheap way was
# `f"{seconds['wide', 'forward'] / seconds['wide', 'reverse']:.0f}"` times faster for the
# wide function and `f"{seconds['tall', 'reverse'] / seconds['tall', 'forward']:.0f}"`
# times faster for the tall one. A loss is as wide as functions get (millions of inputs,
# one output), which is why training uses reverse mode, and why `backward()` wants a scalar.
#
# ## A second derivative
#
# A gradient computed by backward is itself a tensor made by operations. With
# `create_graph=True`, autograd records those operations too, and the gradient can be
# differentiated again. For $f(x) = x^3 \cdot \sin(x)$:

# %%
import sympy as sp

xs = sp.Symbol("x")
f_sym = xs**3 * sp.sin(xs)
second_sym = sp.diff(f_sym, xs, 2)
x0 = 1.5

x2 = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
first, = torch.autograd.grad(x2**3 * torch.sin(x2), x2,
                             create_graph=True)
second, = torch.autograd.grad(first, x2)
by_sympy = float(second_sym.subs(xs, x0))
print("f''(x) =", second_sym)
print("at x = 1.5:  autograd", second.item(), "  sympy", by_sympy)

# %% [markdown]
# Sympy's second derivative is the first line printed; at
# $x = 1.5$ it is 6.5659, and autograd, differentiating its own
# backward pass, gives 6.5659. Without `create_graph=True` the first
# `grad` call would record nothing, and `first` could not be differentiated.
#
# > **The rule to remember**
# >
# > Backward computes $v^\top J$, the output's gradient times the Jacobian, one operation
# > at a time and without ever building $J$; for a scalar loss, $v$ is the number one.
#
# ## Exercise
#
# For `f(x) = (x[0] * x[1], x[0] + x[1] ** 2, x[0] ** 2 * x[1])` at
# $x = [2, 3]$, compute by hand the vector-Jacobian product with
# $v = [1, -1, 2]$: first the Jacobian, then $v^\top J$. Check it with
# `backward(gradient=v)`.
#
# **Solution**
#
# The Jacobian has one row per output, the gradient of that output (the code below writes
# each row out), so at this point $J = [[3, 2], [1, 6], [12, 4]]$, and
# $v^\top J = [26, 4]$: each column of $J$ weighted by $v$ and
# summed.

# %%
ex_x = torch.tensor([2.0, 3.0], requires_grad=True)
ex_v = torch.tensor([1.0, -1.0, 2.0])
x1, x2_ = ex_x.detach()
ex_J = torch.tensor([[x2_, x1],                # by hand, row by row
                     [1.0, 2 * x2_],
                     [2 * x1 * x2_, x1**2]])
ex_vjp = ex_v @ ex_J

out = torch.stack([ex_x[0] * ex_x[1], ex_x[0] + ex_x[1] ** 2,
                   ex_x[0] ** 2 * ex_x[1]])
out.backward(gradient=ex_v)
print("by hand:", ex_vjp.tolist(), "  backward:", ex_x.grad.tolist())
assert torch.equal(ex_vjp, ex_x.grad)

# %%
# Every number the text above states, checked against what the code computed (as
# the site's build checks them). Lines are the page's own.
from pagecheck.notebook import check_page

check_page(globals(), [
    (42, 'y.numel()', '2'),
    (66, 'x.tolist()', '[1, 2, 3]'),
    (69, 'J.tolist()', '[[2, 1, 0], [0, 1, 6]]'),
    (69, 'v.tolist()', '[1, -2]'),
    (70, 'x.grad.tolist()', '[2, -1, -12]'),
    (81, 'list(logits.shape)', '[32, 27]'),
    (105, 'list(J_logprobs.shape)', '[32, 27, 32, 27]'),
    (105, 'J_logprobs.numel()', '746,496'),
    (106, 'nonzero', '23,328'),
    (107, 'vocab', '27'),
    (107, 'vocab', '27'),
    (108, 'n_rows * vocab * vocab', '23,328'),
    (111, 'hprebn_jacobian_size', '3,932,160'),
    (124, 'N_WIDE', '200'),
    (124, 'N_WIDE', '200'),
    (182, 'passes["wide", "forward"]', '200'),
    (183, 'passes["wide", "reverse"]', '1'),
    (184, 'passes["tall", "forward"]', '1'),
    (184, 'passes["tall", "reverse"]', '200'),
    (195, 'f_sym', 'x^3 \\cdot \\sin(x)'),
    (215, 'x0', '1.5'),
    (215, 'by_sympy', '6.5659'),
    (216, 'second.item()', '6.5659'),
    (227, 'ex_x.tolist()', '[2, 3]'),
    (228, 'ex_v.tolist()', '[1, -1, 2]'),
    (235, 'ex_J.tolist()', '[[3, 2], [1, 6], [12, 4]]'),
    (236, 'ex_vjp.tolist()', '[26, 4]'),
], [
    (40, 'refused'),
    (186, 'f"{seconds[\'wide\', \'forward\'] / seconds[\'wide\', \'reverse\']:.0f}"'),
    (187, 'f"{seconds[\'tall\', \'reverse\'] / seconds[\'tall\', \'forward\']:.0f}"'),
])
