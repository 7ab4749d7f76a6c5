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
# *This notebook is the page [Sums and means](https://backprop-by-hand.github.io/rules/sums-and-means/) of Backprop by Hand, cell for cell. Run it from the top: the first cell sets up what the page needs, the last one checks every number the text states against what the code computed.*

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
# # Sums and means
#
# > **The question**
# >
# > In the makemore MLP, `counts_sum = counts.sum(1, keepdims=True)` squeezes each row of
# > `counts` into a single number, and BatchNorm's
# > `bnmeani = 1/n * hprebn.sum(0, keepdim=True)` squeezes each column of `hprebn`. On the
# > way back the gradient has to grow to the big shape again. Where do the missing numbers
# > come from, what is `torch.ones_like(counts) * dcounts_sum` doing, and why does the
# > variance's gradient carry $\frac{1}{n-1}$ and not $\frac{1}{n}$?
#
# The answer is one rule, and it is the mirror image of
# [de-broadcasting](https://backprop-by-hand.github.io/rules/broadcasting/). Going forward, broadcasting *copies* a tensor along a
# dimension, so its backward *sums* the gradient over the copies. A sum goes the other way:
# forward it *adds* along a dimension, so its backward *copies* the gradient back along it.
# We work it out on a tensor small enough to write down, then on the shapes of the makemore
# MLP from Andrej Karpathy's lecture *Becoming a Backprop Ninja*, the network the next
# page takes apart line by line.
#
# ## The forward pass: a small tensor
#
# A tensor $x$ of shape [3, 2], summed three ways: down its columns,
# $s$ = `x.sum(0)`; along its rows, $r$ = `x.sum(1)`; and averaged down its columns,
# $m$ = `x.mean(0)`.
#
# $$
# x = \begin{bmatrix}
# 1 & 2 \\
# 3 & 4 \\
# 5 & 6
# \end{bmatrix}
# $$
#
# A sum on its own has no loss to differentiate, so each result feeds a stand-in for the
# rest of a network, a weighted sum with fixed weights: $L_s = \sum_j a_j s_j$ and
# $L_m = \sum_j a_j m_j$ with $a = [2, -1]$, and $L_r = \sum_i b_i r_i$ with
# $b = [1, -2, 3]$.

# %%
import torch

x = torch.tensor([[1.0, 2.0],
                  [3.0, 4.0],
                  [5.0, 6.0]])          # [3, 2]
a = torch.tensor([2.0, -1.0])         # [2]  a weight per column
b = torch.tensor([1.0, -2.0, 3.0])    # [3]  a weight per row

col_sums = x.sum(0)                   # [2]  dim 0 summed away
row_sums = x.sum(1)                   # [3]  dim 1 summed away
col_means = x.mean(0)                 # [2]
loss_s = (a * col_sums).sum()         # scalar
loss_r = (b * row_sums).sum()         # scalar
loss_m = (a * col_means).sum()        # scalar

print("col_sums: ", col_sums.tolist(), "  loss_s:", loss_s.item())
print("row_sums: ", row_sums.tolist(), "  loss_r:", loss_r.item())
print("col_means:", col_means.tolist(), "  loss_m:", loss_m.item())

# %% [markdown]
# The column sums are $s = [9, 12]$, the row sums
# $r = [3, 7, 11]$ and the column means $m = [3, 4]$.
# Both `sum(0)` and `sum(1)` drop the dimension they add along; `keepdim=True` would keep it
# with size one. That difference matters on the way back.
#
# ## Every element moved its sum by exactly one
#
# Write $\bar{v}$ for the gradient of the loss with respect to $v$, as on the
# [knobs page](https://backprop-by-hand.github.io/knobs/). Take the column sums first, written out element by element:
#
# $$
# s_1 = x_{11} + x_{21} + x_{31}, \qquad s_2 = x_{12} + x_{22} + x_{32}.
# $$
#
# Pick one element, $x_{21}$. It appears in $s_1$ once, with nothing multiplying it, and
# not at all in $s_2$. Turn it by a little and $s_1$ moves by exactly that much while $s_2$
# stays put:
#
# $$
# \frac{\partial s_1}{\partial x_{21}} = 1, \qquad
# \frac{\partial s_2}{\partial x_{21}} = 0.
# $$
#
# The chain rule adds up every road from $x_{21}$ to the loss, one per output it could have
# moved (the [batch page](https://backprop-by-hand.github.io/batch/#why-we-may-add-every-path-counts) explains why the
# roads add), and only one road is open:
#
# $$
# \bar{x}_{21} = \bar{s}_1 \, \frac{\partial s_1}{\partial x_{21}}
# + \bar{s}_2 \, \frac{\partial s_2}{\partial x_{21}} = \bar{s}_1 .
# $$
#
# The same holds for every element: $\bar{x}_{ij} = \bar{s}_j$. Each element of column $j$
# receives its column sum's gradient, unchanged. Here $\bar{s} = a$, since the loss
# multiplies each sum by its weight, so
#
# $$
# \bar{x} = \begin{bmatrix}
# \bar{s}_1 & \bar{s}_2 \\ \bar{s}_1 & \bar{s}_2 \\ \bar{s}_1 & \bar{s}_2
# \end{bmatrix} = \begin{bmatrix}
# 2 & -1 \\
# 2 & -1 \\
# 2 & -1
# \end{bmatrix}.
# $$
#
# The gradient $\bar{s}$, of shape [2], has been copied
# down the dimension the forward pass summed away. The row sums $r_i = x_{i1} + x_{i2}$ work
# the same way turned sideways: $\bar{x}_{ij} = \bar{r}_i$, each row's gradient copied across
# the row. Written out, the loss is
#
# $$
# L_r = \sum_i b_i \, r_i = \sum_i \sum_j b_i \, x_{ij},
# $$
#
# in which every element appears exactly once, multiplied by its own row's weight: that
# weight is its gradient.
#
# $$
# \bar{x} = \begin{bmatrix}
# \bar{r}_1 & \bar{r}_1 \\ \bar{r}_2 & \bar{r}_2 \\ \bar{r}_3 & \bar{r}_3
# \end{bmatrix} = \begin{bmatrix}
# 1 & 1 \\
# -2 & -2 \\
# 3 & 3
# \end{bmatrix}.
# $$
#
# A mean is a sum followed by a multiplication by $\frac{1}{n}$, with $n = 3$
# the length of the averaged dimension: $m_j = \frac{1}{n}(x_{1j} + x_{2j} + x_{3j})$. Every
# element moves its mean by a third of its own move ($\partial m_1 / \partial x_{21}$ is
# 1/3), so the copy arrives divided by $n$: $\bar{x}_{ij} = \bar{m}_j / n$.
#
# $$
# \bar{x} = \frac{1}{n} \begin{bmatrix}
# \bar{m}_1 & \bar{m}_2 \\ \bar{m}_1 & \bar{m}_2 \\ \bar{m}_1 & \bar{m}_2
# \end{bmatrix} = \frac{1}{3} \begin{bmatrix}
# 2 & -1 \\
# 2 & -1 \\
# 2 & -1
# \end{bmatrix}.
# $$
#
# Sympy takes the element-by-element derivatives above from the written-out sums:

# %%
import sympy as sp

X_sym = sp.Matrix(3, 2, sp.symbols("x_11 x_12 x_21 x_22 x_31 x_32"))
s_rules = [sum(X_sym[:, j]) for j in range(2)]           # s_1, s_2
m_rules = [sum(X_sym[:, j]) / X_sym.rows for j in range(2)]
x_pick = X_sym[1, 0]                                     # x_21
r_pick = sum(X_sym[1, :])                                # r_2
print("s_1 =", s_rules[0], "   m_1 =", m_rules[0])

# %% [markdown]
# ## The backward pass by hand
#
# One line per step, no autograd. The summed-away dimension is put back with size one by
# `unsqueeze` (the next section shows why this comes first), and `expand_as` copies along it.

# %%
# x [3, 2] --sum(0)--> col_sums [2] --weights a--> loss_s
grad_loss_s = torch.tensor(1.0)
grad_col_sums = grad_loss_s * a                     # [2]
grad_x_s = grad_col_sums.unsqueeze(0).expand_as(x)  # [1, 2] -> [3, 2]

# x [3, 2] --sum(1)--> row_sums [3] --weights b--> loss_r
grad_loss_r = torch.tensor(1.0)
grad_row_sums = grad_loss_r * b                     # [3]
grad_x_r = grad_row_sums.unsqueeze(1).expand_as(x)  # [3, 1] -> [3, 2]

# x [3, 2] --mean(0)--> col_means [2] --weights a--> loss_m
grad_loss_m = torch.tensor(1.0)
grad_col_means = grad_loss_m * a                    # [2]
grad_x_m = grad_col_means.unsqueeze(0).expand_as(x) / x.shape[0]

print("grad_x_s:", grad_x_s.tolist())
print("grad_x_r:", grad_x_r.tolist())
print("grad_x_m:", [[round(v, 4) for v in row]
                    for row in grad_x_m.tolist()])

# %% [markdown]
# `expand_as` makes no copy in memory: it returns a view in which every row points at the
# same two numbers. That is all the backward of a sum needs, since the numbers *are* the
# same.
#
# ## torch agrees
#
# Each experiment gets its own copy of $x$ as a leaf, so that the three gradients don't pile
# up in one `.grad`.

# %%
from snippets.compare import compare_grads

x_s = x.clone().requires_grad_(True)
x_r = x.clone().requires_grad_(True)
x_m = x.clone().requires_grad_(True)
col_sums_t = x_s.sum(0)
row_sums_t = x_r.sum(1)
col_means_t = x_m.mean(0)
for t in (col_sums_t, row_sums_t, col_means_t):
    t.retain_grad()
(a * col_sums_t).sum().backward()
(b * row_sums_t).sum().backward()
(a * col_means_t).sum().backward()

compare_grads({
    "x, through sum(0)": (grad_x_s, x_s.grad),
    "col_sums": (grad_col_sums, col_sums_t.grad),
    "x, through sum(1)": (grad_x_r, x_r.grad),
    "row_sums": (grad_row_sums, row_sums_t.grad),
    "x, through mean(0)": (grad_x_m, x_m.grad),
    "col_means": (grad_col_means, col_means_t.grad),
})

# %% [markdown]
# Every row is bit-for-bit equal: copying a number does no arithmetic, and the mean's line
# divides the copy by $n$ as autograd's backward for `mean` does
# ([same operations, same bits](https://backprop-by-hand.github.io/beyond/why-the-bits-differ/#same-operations-same-order)).
#
# Autograd's graph, drawn from the tensors, for the first column of $x$ alone: summed,
# divided by $n$, and weighted by $a_1$. Each box shows the value a tensor had on the way
# forward and, below it, the gradient `backward()` left in it.

# %%
from snippets.graph import ComputationGraph

column = x[:, 0].clone().requires_grad_(True)   # [3]  first column
column_sum = column.sum()                       # scalar
column_mean = column_sum / len(column)          # scalar
loss_col = a[0] * column_mean                   # scalar
for t in (column_sum, column_mean, loss_col):
    t.retain_grad()
loss_col.backward()

ComputationGraph.from_autograd(
    loss_col,
    {"column": column, "column_sum": column_sum,
     "column_mean": column_mean, "loss_col": loss_col},
    constants={"a_1": a[0]},
    inputs_of={"loss_col": ["a_1"]},
    title="One column of x: summed, divided by n, weighted",
)

# %% [markdown]
# Read it backwards. The weight hands `column_mean` a gradient of
# 2; the division by $n$ turns that into
# 2/3 at `column_sum`; and the sum hands the same
# 2/3 to each of the three entries of the column,
# [2/3, 2/3, 2/3]. That copy is the whole backward pass of a sum.
#
# ## Unsqueeze first: where keepdim matters
#
# `x.sum(1)` drops `dim=1`, and its gradient `grad_row_sums` has shape
# [3]. Broadcasting lines shapes up from the *right*
# ([broadcasting rules](https://backprop-by-hand.github.io/rules/broadcasting/)), so a lone [3]
# is read as a row, [1, 3], and copied *down*,
# not across. Against $x$ of shape [3, 2] that is an error, which is
# the lucky case:

# %%
try:
    grad_row_sums.expand_as(x)          # [3] is read as [1, 3]
except RuntimeError as error:
    print("RuntimeError:", error)

# %% [markdown]
# On a square tensor there is no error, only a wrong answer. Sum the rows of a
# [3, 3] tensor and copy the gradient back with the multiplication
# by ones that learners' notes on makemore use, once without the unsqueeze and once with it:

# %%
x_sq = torch.arange(9.0).reshape(3, 3)      # [3, 3]
x_sq_t = x_sq.clone().requires_grad_(True)
(b * x_sq_t.sum(1)).sum().backward()

no_unsqueeze = torch.ones_like(x_sq) * b    # [3] read as [1, 3]
grad_x_sq = torch.ones_like(x_sq) * b.unsqueeze(1)  # [3, 1]
print("without unsqueeze:", no_unsqueeze.tolist())
print("with unsqueeze:   ", grad_x_sq.tolist())
print("autograd:         ", x_sq_t.grad.tolist())
compare_grads({"x_sq, with unsqueeze": (grad_x_sq, x_sq_t.grad)})

# %% [markdown]
# Without the unsqueeze every row got all of $b$, [1, -2, 3],
# where row $i$ should get $b_i$ three times: the first row [1, 1, 1].
# The shapes match, nothing complains, and the gradient is the transpose of the right one.
# So, before copying, put the summed dimension back where it was, with size one:
# `unsqueeze(dim)`, or nothing at all if the forward pass used `keepdim=True`. Then
# broadcasting can only copy along that dimension.
#
# ## The mirror of de-broadcasting
#
# The [broadcasting page](https://backprop-by-hand.github.io/rules/broadcasting/) has the other half of the picture. Side by side:
#
# | forward | each input element moved | backward |
# | --- | --- | --- |
# | broadcast `y` of shape `[n, 1]` to `[n, k]`: copy along `dim=1` | `k` outputs, each by one | sum the gradient over `dim=1` (de-broadcast) |
# | sum `x` of shape `[n, k]` to `[n, 1]` along `dim=1` | one output, by one | copy the gradient along `dim=1` (broadcast) |
#
# A copy forward is a sum backward, and a sum forward is a copy backward. The two
# operations are each other's transpose, as $X$ and $X^\top$ were on the
# [batch page](https://backprop-by-hand.github.io/batch/#why-the-transpose): the same table of ones, travelled in the
# other direction. The makemore softmax has both in two consecutive lines:
# `counts.sum(1, keepdims=True)` makes `counts_sum`, and `counts * counts_sum_inv` broadcasts
# its reciprocal back over the row.
#
# ## The rule as a function
#
# From here on the page uses the rule as the small functions of `snippets/rules.py`.
# `sum_backward` is exactly the two steps above, and `mean_backward` divides the copy by the
# length of the summed dimension:

# %%
import inspect
from snippets import rules

print(inspect.getsource(rules.sum_backward))
print(inspect.getsource(rules.mean_backward))

# %% [markdown]
# On the small tensor they give the hand-written gradients bit for bit:

# %%
rule_x_s = rules.sum_backward(grad_col_sums, x.shape, dim=0)
rule_x_r = rules.sum_backward(grad_row_sums, x.shape, dim=1)
rule_x_m = rules.mean_backward(grad_col_means, x.shape, dim=0)
rule_matches = [torch.equal(rule_x_s, grad_x_s),
                torch.equal(rule_x_r, grad_x_r),
                torch.equal(rule_x_m, grad_x_m)]
print("bit for bit equal:", rule_matches)

# %% [markdown]
# The same functions are also checked against autograd on shapes, dimensions and `keepdim`
# settings drawn at random, and against finite differences, in the repository file
# tests/test_rules.py. This page doesn't repeat those tests.
#
# ## In makemore: the softmax denominator
#
# The makemore MLP works on a batch of $n = 32$ examples. Its softmax
# turns the exponentiated logits `counts`, of shape [32, 27] (one
# row per example, one column per character), into probabilities by dividing each row by its
# sum, `counts_sum`, of shape [32, 1].
#
# The tensors below are seeded random stand-ins with makemore's shapes. The gradient that
# reaches `counts_sum` from the rest of the network (in makemore, from
# `counts_sum_inv = counts_sum**-1`) is a seeded random tensor too: `t.backward(upstream)`
# starts backpropagation at `t` with `upstream` as its gradient, as if the rest of the
# network had computed it.

# %%
torch.manual_seed(2)
n = 32                                        # examples in the batch
logits = torch.randn(n, 27)                   # [32, 27]
norm_logits = logits - logits.max(1, keepdim=True).values
counts = norm_logits.exp().requires_grad_(True)   # [32, 27]
counts_sum = counts.sum(1, keepdims=True)     # [32, 1]
counts_sum.retain_grad()
upstream_cs = torch.randn(n, 1)               # [32, 1]
counts_sum.backward(upstream_cs)

grad_counts_sum = upstream_cs                 # what arrives
grad_counts = rules.sum_backward(grad_counts_sum, counts.shape, 1,
                                 keepdim=True)  # [32, 1] -> [32, 27]
notes_counts = torch.ones_like(counts) * grad_counts_sum  # notes' line

compare_grads({
    "counts_sum": (grad_counts_sum, counts_sum.grad),
    "counts": (grad_counts, counts.grad),
    "counts, ones_like line": (notes_counts, counts.grad),
})

# %% [markdown]
# Exact, for the reason the small tensor gave: the backward of a sum only copies. The line
# learners write, `torch.ones_like(counts) * dcounts_sum`, is the same copy written as a
# multiplication, and multiplying by one is exact too. Its matrix of ones is the local
# derivative of the row sums, $\partial r_i / \partial x_{ij} = 1$,
# one for every element of `counts`; broadcasting the
# [32, 1] gradient against it does the copying. Row $i$
# of the result is the single number `grad_counts_sum[i]`, 27
# times over: `grad_counts.unique(dim=1)` finds 1
# distinct column.
#
# In the full network `counts` also feeds `probs = counts * counts_sum_inv` directly, so its
# gradient is the sum of this copy and what comes through `probs`: the rule for a tensor used
# twice, on the [element-wise page](https://backprop-by-hand.github.io/rules/elementwise/).
#
# ## In makemore: the batch mean
#
# BatchNorm averages each hidden unit over the batch. `hprebn` is
# [32, 64], and `bnmeani = 1/n * hprebn.sum(0, keepdim=True)` is
# [1, 64]: a sum down the batch dimension, then
# $\frac{1}{n}$. Each element moves its column's mean by $\frac{1}{n}$, so its gradient is its
# column's gradient divided by $n$, and `keepdim=True` means nothing needs unsqueezing.

# %%
torch.manual_seed(4)
hprebn = torch.randn(n, 64, requires_grad=True)   # [32, 64]
bnmeani = 1 / n * hprebn.sum(0, keepdim=True)     # [1, 64]
bnmeani.retain_grad()
upstream_mean = torch.randn(1, 64)                # [1, 64]
bnmeani.backward(upstream_mean)

grad_bnmeani = upstream_mean
grad_hprebn = rules.mean_backward(grad_bnmeani, hprebn.shape, 0,
                                  keepdim=True)   # [1, 64] -> [32, 64]
notes_hprebn = 1 / n * torch.ones_like(hprebn) * grad_bnmeani

compare_grads({
    "bnmeani": (grad_bnmeani, bnmeani.grad),
    "hprebn": (grad_hprebn, hprebn.grad),
    "hprebn, ones_like line": (notes_hprebn, hprebn.grad),
})

# %% [markdown]
# All 32 rows of the gradient are the same row,
# 1 distinct row in all, and it is
# `grad_bnmeani` times 0.03125,
# which is $\frac{1}{n}$. Exact again, although there is arithmetic this time:
# `mean_backward` divides by 32 after copying, autograd multiplies by
# $\frac{1}{n}$ before, and both are exact because 32 is a power of two. The next
# section has a divisor that is not.
#
# ## In makemore: the batch variance and Bessel's correction
#
# The variance comes two lines later, from the squared deviations `bndiff2`, of shape
# [32, 64]:
#
# ```text
# bnvar = 1/(n-1)*(bndiff2).sum(0, keepdim=True)  # Bessel's correction
# ```
#
# A
# instead of $\frac{1}{n}$. The rule doesn't care what the constant is: the copy carries
# whatever multiplied the sum. Each element of `bndiff2` moves its column's variance by
# $\frac{1}{n-1}$, so its gradient is its column's gradient times
# $\frac{1}{n-1}$, which is 0.0323 and not
# 0.0313.

# %%
bessel_share = 1 / (sp.Symbol("n") - 1)           # for the formulas
bndiff2 = ((hprebn - bnmeani) ** 2).detach().requires_grad_(True)
bnvar = 1 / (n - 1) * bndiff2.sum(0, keepdim=True)    # [1, 64]
bnvar.retain_grad()
upstream_var = torch.randn(1, 64)                     # [1, 64]
bnvar.backward(upstream_var)

grad_bnvar = upstream_var
grad_bndiff2 = rules.sum_backward(1 / (n - 1) * grad_bnvar,
                                  bndiff2.shape, 0, keepdim=True)
notes_bndiff2 = torch.ones_like(bndiff2) * (1 / (n - 1)) * grad_bnvar

compare_grads({
    "bnvar": (grad_bnvar, bnvar.grad),
    "bndiff2": (grad_bndiff2, bndiff2.grad),
    "bndiff2, ones_like line": (notes_bndiff2, bndiff2.grad),
})

# %% [markdown]
# Exact: $\frac{1}{n-1}$ is 1/31, which has no
# exact float32 value, and autograd multiplies the incoming gradient by that rounded number,
# as the forward line did and as both hand-written lines do.
#
# **Why not bit-exact? Dividing instead of multiplying**
#
# Dividing the copy by 31 instead is the same mathematics, rounded once from
# the exact quotient rather than through the rounded factor:

# %%
divided_bndiff2 = rules.sum_backward(grad_bnvar, bndiff2.shape, 0,
                                     keepdim=True) / (n - 1)
divided_table = compare_grads({"bndiff2, divided by n - 1":
                               (divided_bndiff2, bndiff2.grad)})
divided_table

# %% [markdown]
# `"Bit-exact after all on this machine" if divided_table[0].exact else "Close, not bit-exact"`: the largest difference is
# `f"{divided_table[0].max_abs_diff:.1e}"`
# ([a constant rounded differently](https://backprop-by-hand.github.io/beyond/why-the-bits-differ/#a-constant-rounded-differently)).
# Written in the forward pass's order, a hand-written line can be held to "exact", and then
# a row that is merely "close" says something.
#
# ### Why not divide by n
#
# A variance measures spread around the *true* mean of whatever produced the data. The batch
# doesn't know it and uses its own mean instead, the number closest to the batch in squared
# distance, so the squared deviations from it come out smaller, on average, than those from
# the true mean would. Another way to see what is lost: the deviations from the batch mean
# always sum to zero, so once $n - 1$ of them are known the last one is fixed, and only
# $n - 1$ of them are free. Dividing by $n - 1$ instead of $n$
# undoes the shrinkage on average. Measured on batches of 32 numbers drawn from a
# distribution whose variance is exactly one:

# %%
gen = torch.Generator().manual_seed(0)
batches = torch.randn(100_000, n, generator=gen, dtype=torch.float64)
divided_by_n = batches.var(1, correction=0).mean().item()
divided_by_n_minus_1 = batches.var(1).mean().item()   # correction=1
dof = sp.Symbol("n") - 1                              # for the formulas
print(f"average over {len(batches):,} batches:")
print(f"  divided by n:     {divided_by_n:.4f}")
print(f"  divided by n - 1: {divided_by_n_minus_1:.4f}")

# %% [markdown]
# Divided by $n$, the variance averages 0.969, close to
# $\frac{31}{32}$, which is what the theory predicts. Divided by
# $n - 1$ it averages 1.001: one, up to the noise
# of a finite sample.
#
# Makemore's hand-written BatchNorm divides by $n - 1$, as its comment says.
# PyTorch's own `nn.BatchNorm1d` normalizes a training batch with the divided-by-$n$
# variance (and keeps the corrected one for its running estimate):

# %%
batchnorm = torch.nn.BatchNorm1d(64)          # training mode, eps=1e-5
normalized = batchnorm(hprebn.detach())
centered = hprebn.detach() - bnmeani.detach()
by_n = centered / (hprebn.detach().var(0, correction=0) + 1e-5).sqrt()
by_n_minus_1 = centered / (hprebn.detach().var(0) + 1e-5).sqrt()
print("BatchNorm1d matches divided by n:    ",
      torch.allclose(normalized, by_n))
print("BatchNorm1d matches divided by n - 1:",
      torch.allclose(normalized, by_n_minus_1))

# %% [markdown]
# With 32 examples the two normalized outputs differ by a factor of about
# 1.016, the square root of
# $\frac{32}{31}$, which is why makemore's hand-written layer and
# `nn.BatchNorm1d` don't agree exactly. For the backward pass only one thing matters: it
# must use the same constant the forward pass used.
#
# ### A forgotten correction
#
# Suppose the forward pass divides by $n - 1$ but the hand-written backward
# line copies in the $\frac{1}{n}$ of the mean's line. Nothing crashes, the shape is
# right, and every number is slightly wrong:

# %%
from snippets.compare import RTOL, GradientMismatch

forgot_bndiff2 = rules.sum_backward(1 / n * grad_bnvar, bndiff2.shape,
                                    0, keepdim=True)
forgot_ratio = forgot_bndiff2 / bndiff2.grad
print(f"forgotten / right: from {forgot_ratio.min():.6f}"
      f" to {forgot_ratio.max():.6f}")
try:
    compare_grads({"bndiff2, divided by n": (forgot_bndiff2,
                                             bndiff2.grad)})
except GradientMismatch as mismatch:
    forgot_message = str(mismatch).splitlines()[0]
    print(forgot_message)

# %% [markdown]
# Every entry is too small by the same factor, 0.96875,
# that is $\frac{31}{32}$: about 3.1 percent, where
# `torch.allclose` allows a relative 0.00001. The comparison catches it at
# once. A training loop would not: every gradient upstream of `bnvar` would be slightly
# off, and nothing would say so.
#
# ## In makemore: the mean in the loss
#
# The loss is the last mean of the network:
#
# ```text
# loss = -logprobs[range(n), Yb].mean()
# ```
#
# `logprobs` is [32, 27], and `logprobs[range(n), Yb]` picks
# one entry per row, the log-probability of the right next character: a vector `picked` of
# shape [32]. Its mean has gradient $\frac{1}{n}$ for each picked
# entry, the minus sign makes it $-\frac{1}{n}$, and the entries that were never picked get
# nothing, because they never reached the loss. How a gradient finds its way back through
# the picking (into a tensor of zeros, at the picked places) is the rule of the
# [embedding page](https://backprop-by-hand.github.io/rules/embedding/); here the rows are distinct, so each place is written once.

# %%
torch.manual_seed(3)
logprobs = torch.randn(n, 27).log_softmax(1).requires_grad_(True)
Yb = torch.randint(0, 27, (n,))                   # [32] right answers
picked = logprobs[range(n), Yb]                   # [32]
picked_mean = picked.mean()                       # scalar
loss = -picked_mean                               # scalar
for t in (picked, picked_mean, loss):
    t.retain_grad()
loss.backward()

grad_loss = torch.tensor(1.0)
grad_picked_mean = -grad_loss
grad_picked = rules.mean_backward(grad_picked_mean, picked.shape, 0)
grad_logprobs = torch.zeros_like(logprobs)        # [32, 27]
grad_logprobs[range(n), Yb] = grad_picked         # only the picked

notes_logprobs = torch.zeros_like(logprobs)       # the notes' line
notes_logprobs[range(n), Yb] = -1.0 / n
compare_grads({
    "loss": (grad_loss, loss.grad),
    "picked_mean": (grad_picked_mean, picked_mean.grad),
    "picked": (grad_picked, picked.grad),
    "logprobs": (grad_logprobs, logprobs.grad),
    "logprobs, the notes' line": (notes_logprobs, logprobs.grad),
})

# %% [markdown]
# `mean_backward` receives a gradient with no dimensions at all, the scalar
# $-1$, unsqueezes it to a vector of one element and copies it 32 times, divided by
# 32: every picked entry gets -0.03125, which is
# $-\frac{1}{n}$. Of the 864 entries of `logprobs`, exactly
# 32 have a gradient, one per row. Exact: with $n$ a
# power of two, $\frac{1}{n}$ has an exact float32 value.
#
# ## The variance in one piece
#
# Seen as a whole, the variance depends on each $x_k$ twice: directly, through its own
# deviation $x_k - \mu$, and through the mean $\mu$, which every deviation uses. Makemore's
# lines keep the two routes apart: `hprebn` feeds `bndiff = hprebn - bnmeani` directly, and
# again through `bnmeani`. The variance's rule in `snippets/rules.py` takes the direct route
# only. Here is why that is enough.
#
# Take one column, drop the column index, and write $v$ for its variance. Every term of the
# sum depends on $\mu$; only the $k$-th term depends on $x_k$ directly:
#
# $$
# v = \sum_i t_i, \qquad t_i = \frac{(x_i - \mu)^2}{n - 1}, \qquad \mu = \frac{1}{n} \sum_i x_i .
# $$
#
# Hold $\mu$ still and move $x_k$: only the $k$-th term moves. Hold the $x$'s still and move
# $\mu$: every term moves. And $\mu$ itself moves by $\frac{1}{n}$ per unit of $x_k$:
#
# $$
# \frac{\partial t_k}{\partial x_k} = \frac{2(x_k - \mu)}{n - 1},
# \qquad
# \frac{\partial t_i}{\partial \mu} = -\frac{2(x_i - \mu)}{n - 1},
# \qquad
# \frac{\partial \mu}{\partial x_k} = \frac{1}{n}.
# $$
#
# The route through the mean therefore adds
#
# $$
# \frac{1}{n} \sum_i -\frac{2(x_i - \mu)}{n - 1}
# \;\propto\; \sum_i (x_i - \mu) = \sum_i x_i - n\mu = 0,
# $$
#
# because the deviations from a mean sum to zero: that is what makes it the mean. The route
# through $\mu$ contributes nothing, and
#
# $$
# \bar{x}_k = \bar{v} \cdot \frac{2(x_k - \mu)}{n - 1} .
# $$
#
# That is `rules.var_backward`:

# %%
print(inspect.getsource(rules.var_backward))

# %% [markdown]
# Sympy checks it against the variance of four symbols
# differentiated with nothing held still, where
# $\partial v / \partial x_1 = \frac{x_1}{2} - \frac{x_2 + x_3 + x_4}{6}$,
# the formula above with $n = 4$:

# %%
x_k_sym, x_i_sym, mu_sym, n_sym = sp.symbols("x_k x_i mu n")
var_term_k = (x_k_sym - mu_sym) ** 2 / (n_sym - 1)   # the k-th term
var_term_i = (x_i_sym - mu_sym) ** 2 / (n_sym - 1)   # any term
total_sym = sp.Symbol("S")                           # sum of the x's
deviation_sum_sym = total_sym - n_sym * (total_sym / n_sym)

xs4 = sp.symbols("x_1:5")                            # x_1 .. x_4
mu4 = sum(xs4) / len(xs4)
var4 = sum((xi - mu4) ** 2 for xi in xs4) / (len(xs4) - 1)
var4_grad = sp.diff(var4, xs4[0])                    # mean not held
var4_rule = sp.diff(var_term_k, x_k_sym).subs(
    {x_k_sym: xs4[0], mu_sym: mu4, n_sym: len(xs4)})
print("dv/dx_1, all routes:", var4_grad)
print("the rule at n = 4:  ", sp.expand(var4_rule))
assert sp.simplify(var4_grad - var4_rule) == 0

# %% [markdown]
# In float32 the deviations don't sum to exactly zero, so the route through `bnmeani` is not
# exactly silent. Written line by line, as makemore does, the hand-written backward takes
# both routes:

# %%
hprebn_c = hprebn.detach().clone().requires_grad_(True)  # [32, 64]
bnmeani_c = 1 / n * hprebn_c.sum(0, keepdim=True)        # [1, 64]
bndiff_c = hprebn_c - bnmeani_c                          # [32, 64]
bndiff2_c = bndiff_c**2                                  # [32, 64]
bnvar_c = 1 / (n - 1) * bndiff2_c.sum(0, keepdim=True)   # [1, 64]
for t in (bnmeani_c, bndiff_c, bndiff2_c, bnvar_c):
    t.retain_grad()
bnvar_c.backward(upstream_var)

grad_bnvar_c = upstream_var                                  # [1, 64]
grad_bndiff2_c = rules.sum_backward(1 / (n - 1) * grad_bnvar_c,
                                    bndiff2_c.shape, 0, keepdim=True)
grad_bndiff_c = 2 * bndiff_c.detach() * grad_bndiff2_c       # [32, 64]
grad_bnmeani_c = -grad_bndiff_c.sum(0, keepdim=True)  # de-broadcast
grad_hprebn_c = grad_bndiff_c + rules.mean_backward(
    grad_bnmeani_c, hprebn_c.shape, 0, keepdim=True)         # [32, 64]

deviation_sums = bndiff_c.detach().sum(0)                    # [64]
through_mean = rules.mean_backward(grad_bnmeani_c, hprebn_c.shape, 0,
                                   keepdim=True)
print(f"largest |sum of deviations|: {deviation_sums.abs().max():.1e}")
print(f"largest |route via bnmeani|: {through_mean.abs().max():.1e}")
print(f"largest |direct route|:      {grad_bndiff_c.abs().max():.1e}")
compare_grads({
    "bnvar": (grad_bnvar_c, bnvar_c.grad),
    "bndiff2": (grad_bndiff2_c, bndiff2_c.grad),
    "bndiff": (grad_bndiff_c, bndiff_c.grad),
    "bnmeani": (grad_bnmeani_c, bnmeani_c.grad),
    "hprebn": (grad_hprebn_c, hprebn_c.grad),
})

# %% [markdown]
# The deviations of a column sum to at most `f"{deviation_sums.abs().max():.1e}"` instead
# of zero, so the route through `bnmeani` adds at most
# `f"{through_mean.abs().max():.1e}"` per entry, next to a direct route of up to
# 0.43: rounding noise, there only because
# float32 can't represent the mean exactly. Every line agrees with autograd bit for bit,
# since each is the same operation autograd does in the same order.
#
# Now the one-piece rule against `torch.var`, which autograd differentiates as a single
# operation with its own formula:

# %%
hprebn_v = hprebn.detach().clone().requires_grad_(True)   # [32, 64]
var_v = hprebn_v.var(0, keepdim=True)                     # correction=1
var_v.backward(upstream_var)

x_v = hprebn_v.detach()
grad_hprebn_v = rules.var_backward(upstream_var, x_v, 0, keepdim=True)

var_table = compare_grads({
    "hprebn, var_backward": (grad_hprebn_v, hprebn_v.grad),
    "hprebn, line by line": (grad_hprebn_c, hprebn_v.grad),
})
var_table

# %% [markdown]
# Both are close to `torch.var`'s gradient, off by at most
# `f"{var_table[0].max_abs_diff:.1e}"` and `f"{var_table[1].max_abs_diff:.1e}"`:
# all three are the same mathematics, with their roundings in other orders.
#
# **Why not bit-exact? Three orders of one formula**
#
# `var_backward` computes `grad * 2 * deviation / (n - correction)`. PyTorch's own formula
# multiplies $\frac{2}{31}$ by the gradient and then by the deviation,
# and `torch.var`'s gradient is the direct route alone, since the route through the mean
# is zero in exact arithmetic. Written in PyTorch's order, and as the direct route of the
# line-by-line pass, `grad_bndiff_c`:

# %%
deviation_v = x_v - x_v.mean(0, keepdim=True)
torch_order_v = (2 / (n - 1)) * upstream_var * deviation_v
order_table = compare_grads({
    "hprebn, torch's order": (torch_order_v, hprebn_v.grad),
    "hprebn, direct route only": (grad_bndiff_c, hprebn_v.grad),
})
order_table

# %% [markdown]
# In PyTorch's order the formula is `"bit-exact" if order_table[0].exact else "still not bit-exact"` here, and the direct route alone is
# `"bit-exact" if order_table[1].exact else "not bit-exact"`: `"so the differences above are the order of three roundings, and the route through bnmeani, which carries only rounding noise" if order_table[0].exact and order_table[1].exact else "on this machine more than the order of the roundings is at work"`
# ([why the bits differ](https://backprop-by-hand.github.io/beyond/why-the-bits-differ/#another-order-of-operations)).
#
# ## A nudge
#
# The rule says: nudge one input element by $h$ and only the output it was summed into
# moves, by $h$ for a sum, $\frac{h}{n}$ for a mean, $\frac{1}{n-1}$
# times $h$ for the variance's sum, and the loss moves by $-\frac{h}{n}$ if the element was
# picked and not at all if it wasn't. Measured in float64, one element at a time, and every
# output watched:

# %%
h = 1e-3


def rates(forward, inputs, index):
    """How fast every output moves when inputs[index] is nudged."""
    nudged = inputs.clone()
    nudged[index] += h
    return ((forward(nudged) - forward(inputs)) / h).flatten()


counts64 = counts.detach().double()
hprebn64 = hprebn.detach().double()
bndiff2_64 = bndiff2.detach().double()
logprobs64 = logprobs.detach().double()
unpicked = (Yb[0].item() + 1) % 27              # a column not picked

rate_cs = rates(lambda t: t.sum(1, keepdim=True), counts64, (0, 5))
rate_mean = rates(lambda t: t.sum(0, keepdim=True) / n,
                  hprebn64, (3, 7))
rate_var = rates(lambda t: t.sum(0, keepdim=True) / (n - 1),
                 bndiff2_64, (3, 7))


def loss_of(t):
    return -t[range(n), Yb].mean()


rate_picked = rates(loss_of, logprobs64, (0, Yb[0].item()))
rate_unpicked = rates(loss_of, logprobs64, (0, unpicked))
for name, rate, where in (("counts_sum", rate_cs, 0),
                          ("bnmeani", rate_mean, 7),
                          ("bnvar", rate_var, 7)):
    others = torch.cat([rate[:where], rate[where + 1:]])
    print(f"{name:10s} its own entry at {rate[where]:+.6f},"
          f" the other {len(others)} at most {others.abs().max():.1e}")
print(f"loss, picked entry nudged:   {rate_picked.item():+.6f}")
print(f"loss, unpicked entry nudged: {rate_unpicked.item():+.6f}")

# %% [markdown]
# Nudging one entry of `counts` moves its row's `counts_sum` at the rate
# 1.0000 and the other 31 rows not at all
# (their largest rate is 0). An entry of `hprebn`
# moves its column's `bnmeani` at 0.03125, an entry of `bndiff2` its
# column's `bnvar` at 0.032258, which is 0.032258,
# and the other 63 columns stay where they were (largest rates
# 0 and
# 0). A picked `logprobs` entry moves the loss at
# -0.03125; an unpicked one, at 0.
#
# > **The rule to remember**
# >
# > The gradient of a sum over a dimension is the output's gradient copied back along
# > that dimension (unsqueeze it first if the sum dropped it); a mean, or any constant
# > times the sum, multiplies the copy by the same constant the forward pass used.
#
# ## Exercise
#
# The standard deviation of each hidden unit over the batch, without `keepdim`:
# `bnstd = hprebn.std(0)`, of shape [64]. Given a seeded random
# gradient `upstream_std` arriving at it, find the gradient of `hprebn` by hand. The standard
# deviation is the square root of the variance, so there are two steps: the square root's
# derivative, then the variance rule. Mind the dimension that `std(0)` dropped.
#
# **Solution**
#
# Since $\sigma = \sqrt{v}$ and $d\sigma / dv = \frac{1}{2\sqrt{v}}$,
# $\bar{v} = \bar{\sigma} \, d\sigma / dv$ element by element, of
# shape [64]. `var_backward` with `keepdim=False`
# unsqueezes it to [1, 64] before broadcasting it
# against the deviations, as the unsqueeze section asked.

# %%
torch.manual_seed(5)
hprebn_ex = hprebn.detach().clone().requires_grad_(True)  # [32, 64]
bnstd = hprebn_ex.std(0)                                  # [64]
bnstd.retain_grad()
upstream_std = torch.randn(64)                            # [64]
bnstd.backward(upstream_std)

v_sym = sp.Symbol("v", positive=True)               # for the formula
grad_bnstd = upstream_std
grad_bnvar_ex = grad_bnstd / (2 * bnstd.detach())         # sqrt's rule
grad_hprebn_ex = rules.var_backward(grad_bnvar_ex, hprebn_ex.detach(),
                                    0, keepdim=False)     # [32, 64]

std_table = compare_grads({
    "bnstd": (grad_bnstd, bnstd.grad),
    "hprebn": (grad_hprebn_ex, hprebn_ex.grad),
})
std_table

# %% [markdown]
# Close, `"and here bit-exact" if std_table[1].exact else "and on this machine not bit-exact"`: autograd differentiates `std` as one
# operation, with its own order of roundings, and the largest difference is
# `f"{std_table[1].max_abs_diff:.1e}"`.

# %%
# Every number the text above states, checked against what the code computed (as
# the site's build checks them). Lines are the page's own.
from pagecheck.notebook import check_page

check_page(globals(), [
    (17, 'bessel_share', '\\frac{1}{n-1}'),
    (29, 'list(x.shape)', '[3, 2]'),
    (35, 'x[0, 0]', '1'),
    (35, 'x[0, 1]', '2'),
    (36, 'x[1, 0]', '3'),
    (36, 'x[1, 1]', '4'),
    (37, 'x[2, 0]', '5'),
    (37, 'x[2, 1]', '6'),
    (43, 'a', '[2, -1]'),
    (44, 'b', '[1, -2, 3]'),
    (67, 'col_sums', '[9, 12]'),
    (68, 'row_sums', '[3, 7, 11]'),
    (68, 'col_means', '[3, 4]'),
    (86, 'sp.diff(s_rules[0], x_pick)', '1'),
    (87, 'sp.diff(s_rules[1], x_pick)', '0'),
    (107, 'grad_x_s[0, 0]', '2'),
    (107, 'grad_x_s[0, 1]', '-1'),
    (108, 'grad_x_s[1, 0]', '2'),
    (108, 'grad_x_s[1, 1]', '-1'),
    (109, 'grad_x_s[2, 0]', '2'),
    (109, 'grad_x_s[2, 1]', '-1'),
    (113, 'list(grad_col_sums.shape)', '[2]'),
    (129, 'grad_x_r[0, 0]', '1'),
    (129, 'grad_x_r[0, 1]', '1'),
    (130, 'grad_x_r[1, 0]', '-2'),
    (130, 'grad_x_r[1, 1]', '-2'),
    (131, 'grad_x_r[2, 0]', '3'),
    (131, 'grad_x_r[2, 1]', '3'),
    (135, 'x.shape[0]', '3'),
    (138, 'sp.diff(m_rules[0], x_pick)', '1/3'),
    (143, '1 / x.shape[0]', '\\frac{1}{3}'),
    (144, 'x.shape[0] * grad_x_m[0, 0]', '2'),
    (144, 'x.shape[0] * grad_x_m[0, 1]', '-1'),
    (145, 'x.shape[0] * grad_x_m[1, 0]', '2'),
    (145, 'x.shape[0] * grad_x_m[1, 1]', '-1'),
    (146, 'x.shape[0] * grad_x_m[2, 0]', '2'),
    (146, 'x.shape[0] * grad_x_m[2, 1]', '-1'),
    (254, 'column_mean.grad', '2'),
    (255, 'column_sum.grad', '2/3'),
    (256, 'column_sum.grad', '2/3'),
    (257, 'column.grad', '[2/3, 2/3, 2/3]'),
    (262, 'list(grad_row_sums.shape)', '[3]'),
    (263, 'list(grad_row_sums.shape)', '[3]'),
    (264, '[1] + list(grad_row_sums.shape)', '[1, 3]'),
    (265, 'list(x.shape)', '[3, 2]'),
    (276, 'list(x_sq.shape)', '[3, 3]'),
    (292, 'no_unsqueeze[0]', '[1, -2, 3]'),
    (293, 'x_sq_t.grad[0]', '[1, 1, 1]'),
    (347, 'n', '32'),
    (348, 'list(counts.shape)', '[32, 27]'),
    (350, 'list(counts_sum.shape)', '[32, 1]'),
    (384, 'sp.diff(r_pick, x_pick)', '1'),
    (386, 'list(grad_counts_sum.shape)', '[32, 1]'),
    (387, 'grad_counts.shape[1]', '27'),
    (388, 'grad_counts.unique(dim=1).shape[1]', '1'),
    (398, 'list(hprebn.shape)', '[32, 64]'),
    (399, 'list(bnmeani.shape)', '[1, 64]'),
    (423, 'hprebn.shape[0]', '32'),
    (424, 'grad_hprebn.unique(dim=0).shape[0]', '1'),
    (425, '(grad_hprebn[0] / grad_bnmeani[0]).unique().item()', '0.03125'),
    (427, 'n', '32'),
    (428, 'n', '32'),
    (434, 'list(bndiff2.shape)', '[32, 64]'),
    (440, 'bessel_share', '\\frac{1}{n-1}'),
    (443, 'bessel_share', '\\frac{1}{n-1}'),
    (444, 'bessel_share', '\\frac{1}{n-1}'),
    (444, '1 / (n - 1)', '0.0323'),
    (445, '1 / n', '0.0313'),
    (467, 'bessel_share', '\\frac{1}{n-1}'),
    (467, '1 / (n - 1)', '1/31'),
    (473, 'n - 1', '31'),
    (498, 'dof', 'n - 1'),
    (499, 'dof', 'n - 1'),
    (499, 'dof', 'n - 1'),
    (500, 'n', '32'),
    (514, 'divided_by_n', '0.969'),
    (515, '(n - 1) / n', '\\frac{31}{32}'),
    (516, 'dof', 'n - 1'),
    (516, 'divided_by_n_minus_1', '1.001'),
    (519, 'dof', 'n - 1'),
    (535, 'n', '32'),
    (536, '(by_n / by_n_minus_1).mean().item()', '1.016'),
    (537, 'n / (n - 1)', '\\frac{32}{31}'),
    (543, 'dof', 'n - 1'),
    (563, 'forgot_ratio.mean().item()', '0.96875'),
    (564, '(n - 1) / n', '\\frac{31}{32}'),
    (564, '100 / n', '3.1'),
    (565, 'RTOL', '0.00001'),
    (577, 'list(logprobs.shape)', '[32, 27]'),
    (579, 'list(picked.shape)', '[32]'),
    (614, 'grad_picked_mean', '-1'),
    (614, 'n', '32'),
    (615, 'n', '32'),
    (615, 'grad_picked[0]', '-0.03125'),
    (616, 'grad_logprobs.numel()', '864'),
    (617, 'int((grad_logprobs != 0).sum())', '32'),
    (632, 'var_term_i', '\\frac{(x_i - \\mu)^2}{n - 1}'),
    (639, 'sp.diff(var_term_k, x_k_sym)', '\\frac{2(x_k - \\mu)}{n - 1}'),
    (641, 'sp.diff(var_term_i, mu_sym)', '-\\frac{2(x_i - \\mu)}{n - 1}'),
    (649, 'sp.diff(var_term_i, mu_sym)', '-\\frac{2(x_i - \\mu)}{n - 1}'),
    (650, 'deviation_sum_sym', '0'),
    (657, 'sp.diff(var_term_k, x_k_sym)', '\\frac{2(x_k - \\mu)}{n - 1}'),
    (668, 'var4_grad', '\\frac{x_1}{2} - \\frac{x_2 + x_3 + x_4}{6}'),
    (669, 'len(xs4)', '4'),
    (729, 'grad_bndiff_c.abs().max().item()', '0.43'),
    (758, '2 / (n - 1)', '\\frac{2}{31}'),
    (782, 'bessel_share', '\\frac{1}{n-1}'),
    (828, 'rate_cs[0]', '1.0000'),
    (828, 'len(rate_cs) - 1', '31'),
    (829, 'rate_cs[1:].abs().max().item()', '0'),
    (830, 'rate_mean[7]', '0.03125'),
    (831, 'rate_var[7]', '0.032258'),
    (831, '1 / (n - 1)', '0.032258'),
    (832, 'len(rate_mean) - 1', '63'),
    (833, 'torch.cat([rate_mean[:7], rate_mean[8:]]).abs().max().item()', '0'),
    (834, 'torch.cat([rate_var[:7], rate_var[8:]]).abs().max().item()', '0'),
    (835, 'rate_picked[0]', '-0.03125'),
    (835, 'rate_unpicked[0]', '0'),
    (846, 'list(bnstd.shape)', '[64]'),
    (854, 'sp.diff(sp.sqrt(v_sym), v_sym)', '\\frac{1}{2\\sqrt{v}}'),
    (856, 'list(grad_bnvar_ex.shape)', '[64]'),
    (857, '[1] + list(grad_bnvar_ex.shape)', '[1, 64]'),
], [
    (484, '"Bit-exact after all on this machine" if divided_table[0].exact else "Close, not bit-exact"'),
    (485, 'f"{divided_table[0].max_abs_diff:.1e}"'),
    (726, 'f"{deviation_sums.abs().max():.1e}"'),
    (728, 'f"{through_mean.abs().max():.1e}"'),
    (752, 'f"{var_table[0].max_abs_diff:.1e}"'),
    (752, 'f"{var_table[1].max_abs_diff:.1e}"'),
    (773, '"bit-exact" if order_table[0].exact else "still not bit-exact"'),
    (774, '"bit-exact" if order_table[1].exact else "not bit-exact"'),
    (774, '"so the differences above are the order of three roundings, and the route through bnmeani, which carries only rounding noise" if order_table[0].exact and order_table[1].exact else "on this machine more than the order of the roundings is at work"'),
    (881, '"and here bit-exact" if std_table[1].exact else "and on this machine not bit-exact"'),
    (883, 'f"{std_table[1].max_abs_diff:.1e}"'),
])
