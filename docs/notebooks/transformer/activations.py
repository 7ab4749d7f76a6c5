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
# *This notebook is the page [ReLU and GELU](https://backprop-by-hand.github.io/transformer/activations/) of Backprop by Hand, cell for cell. Run it from the top: the first cell sets up what the page needs, the last one checks every number the text states against what the code computed.*

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
# # ReLU and GELU
#
# > **The question**
# >
# > The makemore MLP squashes with tanh. GPT-2's MLP uses GELU, and most other networks
# > ReLU. ReLU has a corner at zero: what is its gradient there, and what does PyTorch
# > use? GELU comes in two versions (`approximate="none"` and `"tanh"`): what is each
# > one's derivative, and does it matter which one my backward pass uses?
#
# Both are element-wise functions, so their backward rule is the
# [element-wise rule](https://backprop-by-hand.github.io/rules/elementwise/): the upstream gradient times the function's
# derivative at the input, entry by entry. All the work is in the derivative.
#
# ## ReLU
#
# `relu(x) = max(0, x)` has slope one for positive inputs and zero for negative
# ones. At exactly zero the slope is undefined (the corner), and a framework has to pick:

# %%
import math

import sympy as sp
import torch
import torch.nn.functional as F

from snippets.compare import compare_grads
from snippets.transformer_rules import gelu_backward, relu_backward

x = torch.tensor([-2.0, -0.5, 0.0, 0.5, 2.0], requires_grad=True)
torch.relu(x).sum().backward()
by_rule = relu_backward(torch.ones(5), x.detach())
print("x:              ", x.tolist())
print("autograd's grad:", x.grad.tolist())
print("rule's grad:    ", by_rule.tolist())
at_zero = x.grad[2].item()

# %% [markdown]
# PyTorch takes the slope at zero to be 0: the rule `grad * (x > 0)`
# reproduces it, `"to the bit" if torch.equal(by_rule, x.grad) else "within rounding"`.
# The choice rarely matters: an input lands on exactly zero only when something put it
# there.
#
# A unit whose input is negative for every example of every batch passes no gradient at
# all, so its weights never change again: a *dead* unit. With a layer of
# 64 ReLU units whose biases were pushed far negative (by a too-large
# learning rate step, say), on 256 random inputs:

# %%
N_UNITS, N_EXAMPLES = 64, 256
g = torch.Generator().manual_seed(0)
W = torch.randn(10, N_UNITS, generator=g) / math.sqrt(10)
b = torch.randn(N_UNITS, generator=g) - 2.0   # pushed negative
inputs = torch.randn(N_EXAMPLES, 10, generator=g)
pre = inputs @ W + b
dead = int((pre <= 0).all(0).sum())
W_leaf = W.clone().requires_grad_(True)
torch.relu(inputs @ W_leaf + b).sum().backward()
frozen_columns = int((W_leaf.grad == 0).all(0).sum())
print(f"{dead} of {N_UNITS} units never fire; "
      f"{frozen_columns} columns of W get exactly zero gradient")

# %% [markdown]
# 20 units never fire on any of the inputs, and their 20
# columns of `W` get a gradient of exactly zero. GELU, below, has no such flat region: its
# slope is small for negative inputs, but not zero.
#
# ## GELU, the exact form
#
# GELU multiplies its input by the probability that a standard normal variable is below
# it: $\mathrm{gelu}(x) = x \, \Phi(x)$, with $\Phi$ the normal distribution's cumulative
# function. Its derivative follows from the product rule, and $\Phi' = \varphi$, the normal
# density:

# %%
xs = sp.Symbol("x")
Phi = (1 + sp.erf(xs / sp.sqrt(2))) / 2
gelu_exact = xs * Phi
d_exact = sp.simplify(sp.diff(gelu_exact, xs))
phi = sp.exp(-xs**2 / 2) / sp.sqrt(2 * sp.pi)
product_rule = sp.simplify(d_exact - (Phi + xs * phi))
print("d/dx x*Phi(x) =", d_exact)
print("minus (Phi + x*phi):", product_rule)

# %% [markdown]
# Sympy's derivative minus $\Phi(x) + x \, \varphi(x)$ is 0: the rule
# is `grad * (cdf + x * pdf)`, as `snippets.transformer_rules.gelu_backward` writes it.
#
# ## GELU, the tanh form
#
# The original GPT-2 code approximates $\Phi$ with a tanh, and PyTorch offers that form as
# `approximate="tanh"`: `gelu(x) ≈ x / 2 * (1 + tanh(u))` with
# `u = sqrt(2 / pi) * (x + c * x**3)` and $c = 0.044715$. Its derivative has
# one more chain-rule factor, $\frac{du}{dx}$:

# %%
from snippets.transformer_rules import GELU_TANH_C

c = sp.Rational(44715, 1000000)
u = sp.sqrt(2 / sp.pi) * (xs + c * xs**3)
gelu_tanh = xs / 2 * (1 + sp.tanh(u))
d_tanh = sp.diff(gelu_tanh, xs)
by_hand = ((1 + sp.tanh(u)) / 2
           + xs / 2 * (1 - sp.tanh(u) ** 2) * sp.diff(u, xs))
tanh_form_check = sp.simplify(d_tanh - by_hand)
print("sympy's derivative minus the hand-written one:", tanh_form_check)

# %% [markdown]
# Again the difference is 0. Both rules against `F.gelu`'s own
# backward, on 1,001 inputs from -6 to
# 6, in float64: in float32 the derivative's two terms nearly cancel
# where it crosses zero, and two correct evaluations differ there by more than the site's
# float32 tolerance allows ([why the bits differ](https://backprop-by-hand.github.io/beyond/why-the-bits-differ/)):

# %%
N_GRID = 1001
grid = torch.linspace(-6, 6, N_GRID, dtype=torch.float64)
upstream = torch.randn(N_GRID, generator=g, dtype=torch.float64)
tables, grads = {}, {}
for form in ("none", "tanh"):
    leaf = grid.clone().requires_grad_(True)
    F.gelu(leaf, approximate=form).backward(upstream)
    grads[form] = gelu_backward(torch.ones_like(grid), grid, form)
    tables[form] = compare_grads(
        {f'approximate="{form}"': (gelu_backward(upstream, grid, form),
                                   leaf.grad)})
forms_gap = (grads["none"] - grads["tanh"]).abs().max().item()
worst_at = grid[(grads["none"] - grads["tanh"]).abs().argmax()].item()
tables["none"]

# %%
tables["tanh"]

# %% [markdown]
# Both rules are close to PyTorch's, `"and bit for bit" if all(t.all_exact for t in tables.values()) else "up to the last bits: PyTorch evaluates the same formulas in its own order"`.
# The two forms' derivatives differ by at most `f"{forms_gap:.1e}"`, near
# $x = 2.0$. A hand-written backward must use the derivative of
# the form the forward pass used: mixing them is an error of that size, far above float32's
# rounding, which a comparison with autograd catches.

# %%
import matplotlib.pyplot as plt

from snippets.figures import BLUE, ORANGE

fig, (ax_f, ax_d) = plt.subplots(1, 2, figsize=(7.2, 3.0))
ax_f.plot(grid, torch.relu(grid), color=ORANGE, label="relu")
ax_f.plot(grid, F.gelu(grid), color=BLUE, label="gelu")
ax_f.set_title("the functions")
ax_f.legend()
ax_d.plot(grid, (grid > 0).float(), color=ORANGE, label="relu'")
ax_d.plot(grid, grads["none"], color=BLUE, label="gelu', exact")
ax_d.plot(grid, grads["tanh"], color=BLUE, linestyle="--",
          label="gelu', tanh form")
ax_d.set_title("their derivatives")
ax_d.legend(fontsize=8)
for ax in (ax_f, ax_d):
    ax.set_xlabel("x")
fig.tight_layout()

# %% [markdown]
# GELU's derivative dips below zero for negative inputs and rises above one just past
# zero: unlike ReLU, it can pass a little gradient back from negative inputs, and a
# negative one.
#
# > **The rule to remember**
# >
# > An activation's backward is the upstream gradient times its derivative at the input.
# > ReLU: `grad * (x > 0)`. GELU: `grad * (cdf + x * pdf)`, or the tanh form's derivative
# > if the forward pass used the tanh form.
#
# ## Exercise
#
# SiLU (also called swish) is $x \, \sigma(x)$, with $\sigma$ the logistic sigmoid. Derive its
# derivative with the product rule, write its backward rule, and check it against
# `F.silu`'s backward on the same grid.
#
# **Solution**
#
# With the sigmoid's derivative `s * (1 - s)`, the product rule gives
# `s + x * s * (1 - s)`, so the rule is
# `grad * s * (1 + x * (1 - s))` with `s = sigmoid(x)`. Sympy agrees: the difference is
# 0.

# %%
sigma = 1 / (1 + sp.exp(-xs))
silu_check = sp.simplify(sp.diff(xs * sigma, xs)
                         - (sigma + xs * sigma * (1 - sigma)))


def silu_backward(grad, x):
    s = torch.sigmoid(x)
    return grad * s * (1 + x * (1 - s))


silu_leaf = grid.clone().requires_grad_(True)
F.silu(silu_leaf).backward(upstream)
silu_table = compare_grads({"silu": (silu_backward(upstream, grid),
                                     silu_leaf.grad)})
silu_table

# %%
# Every number the text above states, checked against what the code computed (as
# the site's build checks them). Lines are the page's own.
from pagecheck.notebook import check_page

check_page(globals(), [
    (45, 'at_zero', '0'),
    (52, 'N_UNITS', '64'),
    (53, 'N_EXAMPLES', '256'),
    (70, 'dead', '20'),
    (70, 'frozen_columns', '20'),
    (92, 'product_rule', '0'),
    (99, 'GELU_TANH_C', '0.044715'),
    (115, 'tanh_form_check', '0'),
    (116, 'N_GRID', '1,001'),
    (116, 'grid[0].item()', '-6'),
    (117, 'grid[-1].item()', '6'),
    (144, 'round(worst_at, 1)', '2.0'),
    (191, 'silu_check', '0'),
], [
    (46, '"to the bit" if torch.equal(by_rule, x.grad) else "within rounding"'),
    (142, '"and bit for bit" if all(t.all_exact for t in tables.values()) else "up to the last bits: PyTorch evaluates the same formulas in its own order"'),
    (143, 'f"{forms_gap:.1e}"'),
])
