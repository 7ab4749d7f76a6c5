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
# *This notebook is the page [Residual connections and the block](https://backprop-by-hand.github.io/transformer/block/) of Backprop by Hand, cell for cell. Run it from the top: the first cell sets up what the page needs, the last one checks every number the text states against what the code computed.*

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
# # Residual connections and the block
#
# > **The question**
# >
# > A GPT-2 block is `x = x + attn(ln1(x))`, then `x = x + mlp(ln2(x))`. What does the
# > `x +` do to the backward pass? And with every rule of this section in hand, can I write
# > the backward of one whole block, and have every intermediate agree with autograd?
#
# ## The residual hands the gradient on twice
#
# $y = x + f(x)$ is a tensor used twice: once by the branch $f$, once by the addition
# directly. So $x$'s gradient is the sum of two: the upstream gradient $\bar{y}$ itself,
# unchanged (the addition's local derivative is one), and whatever comes back through $f$.
# However badly $f$'s backward shrinks its share, the direct share reaches $x$ whole.
#
# In a stack of blocks that matters. With 8 tanh layers (each with a small
# weight) one after another, the gradient at the input, with and without the residual
# additions:

# %%
import math

import torch
import torch.nn.functional as F

from snippets.compare import compare_grads
from snippets.rules import matmul_backward
from snippets.transformer_rules import (
    gelu_backward, layernorm_backward, layernorm_forward,
    masked_fill_backward, merge_heads, merge_heads_backward,
    scaled_scores_backward, softmax_backward, split_heads,
    split_heads_backward)

DEPTH, WIDTH = 8, 16
g = torch.Generator().manual_seed(0)
layers = [torch.randn(WIDTH, WIDTH, generator=g) * 0.3
          / math.sqrt(WIDTH) for _ in range(DEPTH)]
start = torch.randn(4, WIDTH, generator=g)
input_grad = {}
for residual in (False, True):
    h = start.clone().requires_grad_(True)
    y = h
    for W in layers:
        y = y + torch.tanh(y @ W) if residual else torch.tanh(y @ W)
    y.sum().backward()
    input_grad[residual] = h.grad.abs().mean().item()
for residual, label in ((False, "plain stack"),
                        (True, "with residuals")):
    print(f"mean |gradient at the input|, {label:14}:"
          f" {input_grad[residual]:.2e}")

# %% [markdown]
# Through the plain stack the gradient at the input is `f"{input_grad[False]:.1e}"` on
# average; with the residual additions it is `f"{input_grad[True]:.1f}"`, at least the
# upstream gradient of one that the direct path carries. A deep transformer trains because
# each block's branch adds to a gradient that the residual path delivers intact.
#
# ## One block, forward
#
# 5 positions, 8 features, 2 heads and an MLP that widens
# to 32 features, GPT-2's layout without the biases of the linear layers. In
# float64: a block is a chain of twenty steps with two LayerNorms, whose backward subtracts
# nearly equal means, and in float32 the rounding of two correct passes drifts apart by
# about a millionth, past the site's float32 tolerance
# ([why the bits differ](https://backprop-by-hand.github.io/beyond/why-the-bits-differ/)). In float64 the comparison below
# shows the derivation, not float32's rounding:

# %%
T, C, H = 5, 8, 2
scale = 1 / math.sqrt(C // H)
mask = torch.ones(T, T, dtype=torch.bool).triu(1)


def rand(*shape, spread=1.0):
    values = torch.randn(*shape, generator=g, dtype=torch.float64)
    return values * spread


x = rand(T, C)
params = {
    "ln1_w": 1 + rand(C, spread=0.1), "ln1_b": rand(C, spread=0.1),
    "Wq": rand(C, C, spread=C**-0.5),
    "Wk": rand(C, C, spread=C**-0.5),
    "Wv": rand(C, C, spread=C**-0.5),
    "Wo": rand(C, C, spread=C**-0.5),
    "ln2_w": 1 + rand(C, spread=0.1), "ln2_b": rand(C, spread=0.1),
    "W1": rand(C, 4 * C, spread=C**-0.5),
    "W2": rand(4 * C, C, spread=(4 * C) ** -0.5),
}
inter = {}


def block(x, p):
    a_in = F.layer_norm(x, (C,), p["ln1_w"], p["ln1_b"])
    q, k, v = (split_heads(a_in @ p[W], H) for W in ("Wq", "Wk", "Wv"))
    scores = (q @ k.transpose(-2, -1) * scale).masked_fill(
        mask, float("-inf"))
    att = torch.softmax(scores, -1)
    merged = merge_heads(att @ v)
    x1 = x + merged @ p["Wo"]                      # first residual
    m_in = F.layer_norm(x1, (C,), p["ln2_w"], p["ln2_b"])
    pre = m_in @ p["W1"]
    hidden = F.gelu(pre)
    x2 = x1 + hidden @ p["W2"]                     # second residual
    inter.update(a_in=a_in, q=q, k=k, v=v, att=att, merged=merged,
                 x1=x1, m_in=m_in, pre=pre, hidden=hidden, x2=x2)
    return x2


leaves = {n: t.clone().requires_grad_(True) for n, t in params.items()}
x_leaf = x.clone().requires_grad_(True)
out = block(x_leaf, leaves)
for t in inter.values():
    t.retain_grad()
upstream = rand(T, C)
out.backward(upstream)
print("block output, first position:",
      [round(v, 3) for v in out[0].tolist()])

# %% [markdown]
# ## One block, backward by hand
#
# From the top: the second residual hands `upstream` to `x1` directly and to the MLP branch;
# the MLP is two matrix products around a GELU; its LayerNorm's backward (with its kept mean
# and reciprocal standard deviation) joins the direct share at `x1`. Then the same again for
# the attention branch, with the one-head rules batched over the heads:

# %%
P = params
t = {n: v.detach() for n, v in inter.items()}

# second residual: x2 = x1 + hidden @ W2
grad_hidden, grad_W2 = matmul_backward(upstream, t["hidden"], P["W2"])
grad_pre = gelu_backward(grad_hidden, t["pre"])
grad_m_in, grad_W1 = matmul_backward(grad_pre, t["m_in"], P["W1"])
_, mean2, rstd2 = layernorm_forward(t["x1"], P["ln2_w"], P["ln2_b"])
grad_ln2, grad_ln2_w, grad_ln2_b = layernorm_backward(
    grad_m_in, t["x1"], mean2, rstd2, P["ln2_w"])
grad_x1 = upstream + grad_ln2               # direct share + branch

# first residual: x1 = x + merged @ Wo
grad_merged, grad_Wo = matmul_backward(grad_x1, t["merged"], P["Wo"])
grad_heads = merge_heads_backward(grad_merged, H)
grad_att = grad_heads @ t["v"].transpose(-2, -1)
grad_v = t["att"].transpose(-2, -1) @ grad_heads
grad_scores = masked_fill_backward(softmax_backward(grad_att, t["att"]),
                                   mask)
grad_q, grad_k = scaled_scores_backward(grad_scores, t["q"], t["k"],
                                        scale)
grad_Wq = t["a_in"].T @ split_heads_backward(grad_q)
grad_Wk = t["a_in"].T @ split_heads_backward(grad_k)
grad_Wv = t["a_in"].T @ split_heads_backward(grad_v)
grad_a_in = sum(split_heads_backward(gr) @ P[W].T for gr, W in
                ((grad_q, "Wq"), (grad_k, "Wk"), (grad_v, "Wv")))
_, mean1, rstd1 = layernorm_forward(x, P["ln1_w"], P["ln1_b"])
grad_ln1, grad_ln1_w, grad_ln1_b = layernorm_backward(
    grad_a_in, x, mean1, rstd1, P["ln1_w"])
grad_x = grad_x1 + grad_ln1                 # direct share + branch

mine = {"hidden": grad_hidden, "pre": grad_pre, "m_in": grad_m_in,
        "x1": grad_x1, "merged": grad_merged, "att": grad_att,
        "v": grad_v, "q": grad_q, "k": grad_k, "a_in": grad_a_in}
block_table = compare_grads(
    {**{n: (g_, inter[n].grad) for n, g_ in mine.items()},
     "x": (grad_x, x_leaf.grad),
     **{n: (g_, leaves[n].grad) for n, g_ in (
         ("W2", grad_W2), ("W1", grad_W1), ("ln2_w", grad_ln2_w),
         ("ln2_b", grad_ln2_b), ("Wo", grad_Wo), ("Wq", grad_Wq),
         ("Wk", grad_Wk), ("Wv", grad_Wv), ("ln1_w", grad_ln1_w),
         ("ln1_b", grad_ln1_b))}},
    caption="One transformer block, by hand against autograd")
block_table

# %% [markdown]
# All 21 gradients, every intermediate and every parameter of the
# block, are close to autograd's; `sum(r.exact for r in block_table)` of them are bit for
# bit. The two lines marked *direct share + branch* are the residuals: each adds the
# gradient that arrived, unchanged, to what its branch sent back.
#
# ## The graph
#
# Autograd's graph of the block is long: a batched matrix product over the heads records a
# `view`, an `expand` and a reshape on each side of it, moves that need no arithmetic
# backward (their gradients are moved back, as [many heads](https://backprop-by-hand.github.io/transformer/heads/) showed). It is folded
# below, with the intermediates named; `x` and `x1` each leave by two edges, into their
# LayerNorm and into the residual addition, the two shares whose gradients add.
#
# **The graph autograd recorded for one block**

# %%
from snippets.graph import ComputationGraph

ComputationGraph.from_autograd(
    out, {"x": x_leaf, **inter}, direction="TB",
    title="One transformer block (parameters left out)")

# %% [markdown]
# > **The rule to remember**
# >
# > A residual `y = x + f(x)` gives `x` the upstream gradient unchanged plus whatever
# > comes back through `f`; a whole block is the section's rules, run in reverse, with
# > that sum twice.
#
# ## Exercise
#
# Take out the first residual (`x1 = merged @ Wo`, with no `x +`). Which line of the backward
# changes? Write the new `grad_x` and check it against autograd.
#
# **Solution**
#
# Only the line for `x`'s gradient: without the direct share it is the attention branch's
# alone, `grad_ln1`. Everything above `x1` is unchanged.

# %%
ex_leaves = {n: v.clone().requires_grad_(True)
             for n, v in params.items()}
ex_x = x.clone().requires_grad_(True)
a_in = F.layer_norm(ex_x, (C,), ex_leaves["ln1_w"], ex_leaves["ln1_b"])
qe, ke, ve = (split_heads(a_in @ ex_leaves[W], H)
              for W in ("Wq", "Wk", "Wv"))
att_e = torch.softmax((qe @ ke.transpose(-2, -1) * scale).masked_fill(
    mask, float("-inf")), -1)
ex_x1 = merge_heads(att_e @ ve) @ ex_leaves["Wo"]        # no residual
(ex_x1 * grad_x1).sum().backward()   # the same gradient at x1

ex_grad_x = grad_ln1                    # the branch's share, alone
ex_table = compare_grads({"x": (ex_grad_x, ex_x.grad)},
                         caption="No first residual, by hand")
ex_table

# %%
# Every number the text above states, checked against what the code computed (as
# the site's build checks them). Lines are the page's own.
from pagecheck.notebook import check_page

check_page(globals(), [
    (23, 'DEPTH', '8'),
    (67, 'T', '5'),
    (67, 'C', '8'),
    (67, 'H', '2'),
    (68, '4 * C', '32'),
    (182, 'len(block_table)', '21'),
], [
    (60, 'f"{input_grad[False]:.1e}"'),
    (61, 'f"{input_grad[True]:.1f}"'),
    (183, 'sum(r.exact for r in block_table)'),
])
