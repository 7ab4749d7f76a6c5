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
# *This notebook is the page [LayerNorm](https://backprop-by-hand.github.io/transformer/layernorm/) of Backprop by Hand, cell for cell. Run it from the top: the first cell sets up what the page needs, the last one checks every number the text states against what the code computed.*

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
# # LayerNorm
#
# > **The question**
# >
# > BatchNorm normalises each feature over the batch. A transformer normalises each
# > example over its own features instead, with LayerNorm. Is the backward pass the
# > BatchNorm formula with the axes swapped? Why does it divide by the number of features
# > and not by one less, as makemore's BatchNorm did? And what must the forward pass keep
# > for the backward?
#
# LayerNorm takes one row at a time, the $C$ features of one position of one example,
# subtracts the row's mean $\mu$, divides by its standard deviation, and then scales and
# shifts each feature by learned parameters $w$ and $b$:
#
# $$
# \hat{x}_i = (x_i - \mu)\, r, \qquad r = \frac{1}{\sqrt{v + \epsilon}}, \qquad
# y_i = w_i \hat{x}_i + b_i,
# $$
#
# with $\mu$ and $v$ the mean and the variance of the row. The variance divides by $C$, not by
# one less: LayerNorm does not estimate the spread of a population from a sample, as
# [BatchNorm's Bessel correction](https://backprop-by-hand.github.io/rules/sums-and-means/#in-makemore-the-batch-variance-and-bessels-correction)
# does; it rescales the row it has, whatever its size, and `F.layer_norm` and GPT-2 both
# divide by $C$.
#
# ## The forward pass
#
# A batch of 2 sequences of 4 positions with 8 features,
# as a transformer's residual stream has them:

# %%
import torch
import torch.nn.functional as F

from snippets.compare import compare_grads
from snippets.saved import SavedLog
from snippets.transformer_rules import (layernorm_backward,
                                        layernorm_forward,
                                        rmsnorm_backward)

B, T, C = 2, 4, 8
g = torch.Generator().manual_seed(0)
x = torch.randn(B, T, C, generator=g) * 3 + 1
w = torch.randn(C, generator=g)
b = torch.randn(C, generator=g)

y, mean, rstd = layernorm_forward(x, w, b)
reference = F.layer_norm(x, (C,), w, b, eps=1e-5)
forward_gap = (y - reference).abs().max().item()
row = (y[0, 0] - b) / w      # x-hat of the first row
print("one row's x-hat: mean", round(row.mean().item(), 6),
      " variance", round(row.var(correction=0).item(), 4))
print("largest difference from F.layer_norm:", f"{forward_gap:.1e}")

# %% [markdown]
# Every row of $\hat{x}$ has mean 0 and variance
# 1 (up to $\epsilon$), and the output is
# `F.layer_norm`'s up to float32 rounding (`f"{forward_gap:.1e}"`). The forward pass keeps
# `mean` and `rstd`: 8 numbers each, one per row.
#
# ## The derivation
#
# This is the [BatchNorm derivation](https://backprop-by-hand.github.io/mlp/batchnorm/) along the other axis. Write
# $\bar{y}$ for the upstream gradient and $\bar{\hat{x}}_i = w_i \bar{y}_i$. Every $\hat{x}_j$ of
# the row depends on every $x_i$ through $\mu$ and $r$, so the gradient of $x_i$ collects
# three terms: directly through $x_i - \mu$; through the mean, which every $x_j$ shares;
# and through $r$. Carried out, with every mean over the row's $C$ features:
#
# $$
# \bar{x}_i = r \left( \bar{\hat{x}}_i - \operatorname{mean}_j \bar{\hat{x}}_j
#  - \hat{x}_i \operatorname{mean}_j (\bar{\hat{x}}_j \hat{x}_j) \right).
# $$
#
# The first term is the direct path, the second the mean's share, the third the standard
# deviation's. BatchNorm's formula had the same three, with sums over the batch and its
# factor from Bessel's correction; here the means are plain. Sympy confirms it on a
# row of 3 symbolic features, with symbolic upstream gradients:

# %%
import sympy as sp

xs = sp.symbols("x1:4")
gs = sp.symbols("g1:4")                 # the upstream gradient
eps = sp.Symbol("epsilon", positive=True)
n = len(xs)
mu = sum(xs) / n
r = 1 / sp.sqrt(sum((xi - mu) ** 2 for xi in xs) / n + eps)
xhat = [(xi - mu) * r for xi in xs]
loss = sum(gi * hi for gi, hi in zip(gs, xhat))
by_sympy = [sp.diff(loss, xi) for xi in xs]

mean_g = sum(gs) / n
mean_gx = sum(gi * hi for gi, hi in zip(gs, xhat)) / n
fused = [r * (gi - mean_g - hi * mean_gx) for gi, hi in zip(gs, xhat)]
residue = [sp.simplify(a - f) for a, f in zip(by_sympy, fused)]
print("sympy's gradient minus the fused formula:", residue)

# %% [markdown]
# The difference is [0, 0, 0] for every feature. The weight and the bias
# get their gradients as sums over every row: $\bar{w}_i = \sum \bar{y}_i \hat{x}_i$ and
# $\bar{b}_i = \sum \bar{y}_i$, the [broadcast rule](https://backprop-by-hand.github.io/rules/broadcasting/) for a
# parameter shared by all positions.
#
# ## torch agrees
#
# The rule, `snippets.transformer_rules.layernorm_backward`, fed the kept `mean` and `rstd`,
# against autograd through `F.layer_norm`:

# %%
upstream = torch.randn(B, T, C, generator=g)
leaves = [t.clone().requires_grad_(True) for t in (x, w, b)]
F.layer_norm(leaves[0], (C,), leaves[1], leaves[2], eps=1e-5).backward(
    upstream)
dx, dw, db = layernorm_backward(upstream, x, mean, rstd, w)
ln_table = compare_grads({"x": (dx, leaves[0].grad),
                          "weight": (dw, leaves[1].grad),
                          "bias": (db, leaves[2].grad)},
                         caption="LayerNorm, by hand against autograd")
ln_table

# %% [markdown]
# `"All three are close" if not ln_table.all_exact else "All three are bit for bit"`;
# `sum(r.exact for r in ln_table)` of them bit for bit. Where a row is not, PyTorch's
# fused kernel sums in another order ([why the bits differ](https://backprop-by-hand.github.io/beyond/why-the-bits-differ/)).
#
# ## What the backward needs kept
#
# The formula reads $\hat{x}$, $r$ and $w$. $\hat{x}$ can be kept, one number per feature, or
# rebuilt from the input (which the layer before keeps anyway) and two numbers per row, the
# mean and $r$. `SavedLog` shows what autograd's LayerNorm node keeps:

# %%
x_leaf = x.clone().requires_grad_(True)
with SavedLog() as log:
    F.layer_norm(x_leaf, (C,), w, b, eps=1e-5)
kept = [(list(s.shape), s.nbytes) for s in log.saved]
GPT2_C = 768                 # features per position in GPT-2 (small)
row_stats_bytes = (mean.numel() + rstd.numel()) * 4
xhat_bytes = x.numel() * 4
print("saved by autograd's node:", kept)
print(f"mean and rstd: {row_stats_bytes} bytes;"
      f" x-hat: {xhat_bytes} bytes")


# %% [markdown]
# Besides the input and the parameters, autograd keeps the mean and the reciprocal
# standard deviation, 64 bytes here, not $\hat{x}$, which would take
# 256 (llm.c's hand-written LayerNorm keeps the same two). The ratio is
# half the row's width: with GPT-2's 768 features a row, keeping $\hat{x}$
# would cost 384 times as much as the two statistics.
#
# ## RMSNorm: without the mean
#
# RMSNorm (used by LLaMA and many later models) skips the subtraction: it divides each row by
# its root mean square, $\hat{x}_i = x_i\, s$ with $s$ the reciprocal of the root mean square,
# `rsqrt(mean(x**2) + eps)`.
# Without the mean, the derivation loses its middle term:
# $\bar{x}_i = s\,(\bar{\hat{x}}_i - \hat{x}_i \operatorname{mean}_j(\bar{\hat{x}}_j \hat{x}_j))$.

# %%
def rmsnorm(t, weight):
    return t * (t.pow(2).mean(-1, keepdim=True) + 1e-6).rsqrt() * weight


rms_leaves = [t.clone().requires_grad_(True) for t in (x, w)]
rmsnorm(*rms_leaves).backward(upstream)
rrms = (x.pow(2).mean(-1, keepdim=True) + 1e-6).rsqrt()
rms_dx, rms_dw = rmsnorm_backward(upstream, x, rrms, w)
rms_table = compare_grads({"x": (rms_dx, rms_leaves[0].grad),
                           "weight": (rms_dw, rms_leaves[1].grad)},
                          caption="RMSNorm, by hand against autograd")
rms_table

# %% [markdown]
# ## The graph
#
# Written out operation by operation, for one row of 8 features, the graph that
# `F.layer_norm` replaces with one node:

# %%
from snippets.graph import ComputationGraph

row_x = x[0, 0].clone().requires_grad_(True)
ln_mean = row_x.mean()
ln_centered = row_x - ln_mean
ln_var = (ln_centered**2).mean()
ln_rstd = (ln_var + 1e-5) ** -0.5
ln_xhat = ln_centered * ln_rstd
ln_y = ln_xhat * w + b
named = {"x": row_x, "mean": ln_mean, "centered": ln_centered,
         "var": ln_var, "rstd": ln_rstd, "xhat": ln_xhat, "y": ln_y}
for tensor in named.values():
    tensor.retain_grad()
ln_y.backward(upstream[0, 0])
ComputationGraph.from_autograd(
    ln_y, named, direction="TB",
    title="LayerNorm of one row, written out")

# %% [markdown]
# `x` feeds `centered` directly and through `mean`: two paths, whose gradients add. The
# `rstd` branch is the third. The fused formula is these three paths added up once, by hand.
#
# > **The rule to remember**
# >
# > LayerNorm's backward is BatchNorm's along the features, with plain means:
# > `dx = rstd * (dnorm - mean(dnorm) - norm * mean(dnorm * norm))`, and it needs only
# > each row's mean and reciprocal standard deviation kept.
#
# ## Exercise
#
# LayerNorm without its parameters (`elementwise_affine=False`, or `w = 1`, `b = 0`): what
# is left of the backward? Write it, and check it against `F.layer_norm(x, (C,))` with the
# same upstream gradient.
#
# **Solution**
#
# With the weight all ones the gradient arriving at $\hat{x}$ is the upstream gradient itself, so
# `dnorm = upstream` and the formula is otherwise unchanged; there is no weight or bias to
# return.

# %%
ex_leaf = x.clone().requires_grad_(True)
F.layer_norm(ex_leaf, (C,), eps=1e-5).backward(upstream)
norm = (x - mean) * rstd
ex_dx = rstd * (upstream - upstream.mean(-1, keepdim=True)
                - norm * (upstream * norm).mean(-1, keepdim=True))
ex_table = compare_grads({"x": (ex_dx, ex_leaf.grad)},
                         caption="LayerNorm without parameters")
ex_table

# %%
# Every number the text above states, checked against what the code computed (as
# the site's build checks them). Lines are the page's own.
from pagecheck.notebook import check_page

check_page(globals(), [
    (36, 'B', '2'),
    (36, 'T', '4'),
    (36, 'C', '8'),
    (64, 'round(row.mean().item(), 6)', '0'),
    (65, 'round(row.var(correction=0).item(), 4)', '1'),
    (67, 'mean.numel()', '8'),
    (85, 'len(xs)', '3'),
    (107, 'residue', '[0, 0, 0]'),
    (154, 'row_stats_bytes', '64'),
    (155, 'xhat_bytes', '256'),
    (156, 'GPT2_C', '768'),
    (157, 'GPT2_C // 2', '384'),
    (184, 'C', '8'),
], [
    (66, 'f"{forward_gap:.1e}"'),
    (130, '"All three are close" if not ln_table.all_exact else "All three are bit for bit"'),
    (131, 'sum(r.exact for r in ln_table)'),
])
