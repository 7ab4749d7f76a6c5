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
# *This notebook is the page [Broadcasting and de-broadcasting](https://backprop-by-hand.github.io/rules/broadcasting/) of Backprop by Hand, cell for cell. Run it from the top: the first cell sets up what the page needs, the last one checks every number the text states against what the code computed.*

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
# # Broadcasting and de-broadcasting
#
# > **The question**
# >
# > In the makemore MLP, `logit_maxes` has shape [32, 1]
# > and is subtracted from `logits`, which has shape [32, 27].
# > The gradient that comes back to `norm_logits` is
# > [32, 27], one number per entry. The gradient of
# > `logit_maxes` must be [32, 1], and the answer
# > is `(-grad_norm_logits).sum(1, keepdim=True)`. Why a **sum**? Why `keepdim=True` there,
# > and for `bngain`, but not for `b2`? And what happens if I forget `keepdim`?
#
# PyTorch lets two tensors of different shapes meet in one element-wise operation by
# **broadcasting** the smaller one: it lines the shapes up from the right and then
#
# 1. adds leading dimensions of size one where the smaller tensor has fewer dimensions, and
# 2. repeats every dimension of size one as often as the other tensor needs.
#
# Nothing is copied in memory, but the arithmetic behaves exactly as if it were. The makemore
# MLP does this at every step; these are the broadcasts this page works through, and one
# more that the [matrix multiply page](https://backprop-by-hand.github.io/rules/matmul/) meets:
#
# | line of the forward pass | small tensor | stretched to |
# | --- | --- | --- |
# | `norm_logits = logits - logit_maxes` | `logit_maxes` [32, 1] | [32, 27] |
# | `probs = counts * counts_sum_inv` | `counts_sum_inv` [32, 1] | [32, 27] |
# | `hpreact = bngain * bnraw + bnbias` | `bngain`, `bnbias` [1, 64] | [32, 64] |
# | `logits = h @ W2 + b2` | `b2` [27] | [32, 27] |
#
# The first three repeat a dimension of size one; the last adds a leading dimension. The
# gradient has to undo the stretch. This page shows why that means a sum, first on a
# tensor small enough to write out element by element.
#
# ## The smallest case, written out
#
# Take a matrix $x$ of shape [3, 2] and subtract from each row its
# own number $m_i$, held in a column $m$ of shape [3, 1], the way `logit_maxes` is subtracted
# from `logits`. Broadcasting repeats the column once per column of $x$: two **copies** of
# each $m_i$.
#
# $$
# \begin{bmatrix} m_1 \\ m_2 \\ m_3 \end{bmatrix}
# \xrightarrow{\text{broadcast}}
# \begin{bmatrix} m_1 & m_1 \\ m_2 & m_2 \\ m_3 & m_3 \end{bmatrix},
# \qquad
# d = x - m =
# \begin{bmatrix}
# x_{11} - m_1 & x_{12} - m_1 \\
# x_{21} - m_2 & x_{22} - m_2 \\
# x_{31} - m_3 & x_{32} - m_3
# \end{bmatrix}.
# $$
#
# Write $\bar{v}$ for the gradient of the loss with respect to $v$, as on the
# [knobs page](https://backprop-by-hand.github.io/knobs/). Whatever comes after $d$, it sends back a gradient $\bar{d}$ of
# the same shape as $d$, one number per entry. Now follow $m_1$: it appears in **two**
# entries, $d_{11}$ and $d_{12}$, and each of them moves by
# $-1$ per unit of $m_1$. So $m_1$
# reaches the loss along two paths, and, exactly as the
# [batch page](https://backprop-by-hand.github.io/batch/#why-we-may-add-every-path-counts) showed for a weight that feeds
# every example, the paths add:
#
# $$
# \bar{m}_1
# = \bar{d}_{11} \frac{\partial d_{11}}{\partial m_1} + \bar{d}_{12} \frac{\partial d_{12}}{\partial m_1}
# = -\bar{d}_{11} - \bar{d}_{12} .
# $$
#
# Each copy gets its own gradient, and the original gets the sum of its copies' gradients:
#
# $$
# \bar{d} = \begin{bmatrix}
# \bar{d}_{11} & \bar{d}_{12} \\
# \bar{d}_{21} & \bar{d}_{22} \\
# \bar{d}_{31} & \bar{d}_{32}
# \end{bmatrix}
# \xrightarrow{\text{copies' gradients}}
# \begin{bmatrix}
# -\bar{d}_{11} & -\bar{d}_{12} \\
# -\bar{d}_{21} & -\bar{d}_{22} \\
# -\bar{d}_{31} & -\bar{d}_{32}
# \end{bmatrix}
# \xrightarrow{\text{de-broadcast}}
# \bar{m} = \begin{bmatrix}
# -\bar{d}_{11} - \bar{d}_{12} \\
# -\bar{d}_{21} - \bar{d}_{22} \\
# -\bar{d}_{31} - \bar{d}_{32}
# \end{bmatrix}.
# $$
#
# The sum runs along the dimension that broadcasting stretched (`dim=1`, across the columns),
# and it keeps that dimension: $\bar{m}$ has the shape of $m$, a column. De-broadcasting is
# not a reshape or a squeeze of the gradient; it is this sum. Sympy agrees, element by
# element. It differentiates the stand-in loss $\sum_{ij} \bar{d}_{ij} \, d_{ij}$, whose
# gradient with respect to $d$ is exactly $\bar{d}$ whatever numbers $\bar{d}$ holds: to
# first order, every loss looks like that from $d$.

# %%
import sympy as sp
import torch

xs = sp.Matrix(3, 2, lambda i, j: sp.Symbol(f"x_{i + 1}{j + 1}"))
ms = sp.Matrix(3, 1, lambda i, j: sp.Symbol(f"m_{i + 1}"))
gs = sp.Matrix(3, 2, lambda i, j: sp.Symbol(f"dbar_{i + 1}{j + 1}"))
ds = sp.Matrix(3, 2, lambda i, j: xs[i, j] - ms[i])  # m's copies
loss_sym = sum(gs[k] * ds[k] for k in range(6))        # sum of dbar * d

for m_i in ms:
    print(f"d loss / d {m_i} =", sp.diff(loss_sym, m_i))

# %% [markdown]
# ### With numbers
#
# Here is the same thing with small integers. $m$ holds the largest entry of each row of $x$,
# as `logit_maxes` does, but typed in as a tensor of its own, so only the subtraction is
# differentiated. (The path through the max is the [max page's](https://backprop-by-hand.github.io/rules/max/) business.) The
# incoming gradient $\bar{d}$ is made up too: any tensor of the shape of $d$ will do.
#
# $$
# x = \begin{bmatrix}
# 4 & 7 \\
# 1 & 5 \\
# 9 & 2
# \end{bmatrix}, \qquad
# m = \begin{bmatrix} 7 \\ 5 \\ 9 \end{bmatrix}, \qquad
# \bar{d} = \begin{bmatrix}
# 1 & 2 \\
# 3 & 4 \\
# 5 & 6
# \end{bmatrix}.
# $$
#
# The forward pass and the backward pass by hand, shapes written next to each tensor:

# %%
x = torch.tensor([[4.0, 7.0], [1.0, 5.0], [9.0, 2.0]])  # [3, 2]
m = torch.tensor([[7.0], [5.0], [9.0]])                 # [3, 1]
d = x - m                                               # [3, 2]
print("d =", d.tolist())

# the gradient that arrives at d, made up for the example
grad_d = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])  # [3, 2]

# by hand: each copy of m_i gets -grad_d, then the copies add up
grad_m_copies = -grad_d                         # [3, 2]
grad_m = grad_m_copies.sum(1, keepdim=True)     # [3, 1]
grad_x = grad_d.clone()                         # [3, 2], d = x - m
print("grad_m =", grad_m.tolist())

# %% [markdown]
# Each row of $\bar{d}$, negated and added up:
#
# $$
# \bar{m} = \begin{bmatrix}
# -1 - 2 \\
# -3 - 4 \\
# -5 - 6
# \end{bmatrix}
# = \begin{bmatrix} -3 \\ -7 \\ -11 \end{bmatrix}.
# $$
#
# ### torch agrees, and shows the copies
#
# Autograd never materialises the copies, but we can ask it to: `m.expand(3, 2)` is
# broadcasting written out, a [3, 2] view of $m$ that
# autograd treats as a tensor of its own. With `retain_grad()` on it, autograd reports each copy's gradient separately, before
# it sums them into `m.grad`.

# %%
from snippets.compare import compare_grads

x_t = x.clone().requires_grad_(True)
m_t = m.clone().requires_grad_(True)
m_copies_t = m_t.expand(3, 2)   # broadcasting, made visible
m_copies_t.retain_grad()
d_t = x_t - m_copies_t
d_t.retain_grad()
d_t.backward(grad_d)            # send grad_d in at d

print("the copies' gradients:", m_copies_t.grad.tolist())
print("m.grad:               ", m_t.grad.tolist())
tiny_table = compare_grads({
    "m": (grad_m, m_t.grad),
    "m's copies": (grad_m_copies, m_copies_t.grad),
    "x": (grad_x, x_t.grad),
    "d": (grad_d, d_t.grad),
})
tiny_table

# %% [markdown]
# `d_t.backward(grad_d)` starts the backward pass at $d$ with the gradient we chose, as if
# the rest of a network had sent it back. All 4
# rows are exact: small integers, added in float32, are represented without rounding.
#
# The graph autograd recorded, with the copies as a node of their own. Each box shows the
# tensor's shape and, below it, the shape of its gradient: the copies' gradient is
# [3, 2], and the `expand` step sums it back to
# [3, 1].

# %%
from snippets.graph import ComputationGraph

ComputationGraph.from_autograd(
    d_t, {"m": m_t, "m_copies": m_copies_t, "x": x_t, "d": d_t},
    title="A [3, 1] column broadcast against a [3, 2] matrix",
)


# %% [markdown]
# ### A nudge
#
# The sum is a promise you can test. Turn $m_1$ up by a small $h$: **both** of its copies
# move, so $d_{11}$ and $d_{12}$ each drop by $h$, and the loss should move by
# $\bar{m}_1 h = (-1 - 2)\,h$. The loss here is
# $\sum_{ij} \bar{d}_{ij} \, d_{ij}$, the one whose gradient with respect to $d$ is exactly
# $\bar{d}$. Float64, so that rounding does not blur the change:

# %%
def loss_of_m(m_value):
    d_value = x.double() - m_value            # [3, 2], m broadcast
    return (grad_d.double() * d_value).sum().item()


h = 1e-3
nudge = torch.zeros(3, 1, dtype=torch.float64)
nudge[0, 0] = h
m64 = m.double()
rate_m1 = (loss_of_m(m64 + nudge) - loss_of_m(m64)) / h

nudge_copy = torch.zeros(3, 2, dtype=torch.float64)
nudge_copy[0, 0] = h                          # one copy only
m_copies64 = m64.expand(3, 2)
rate_one_copy = (loss_of_m(m_copies64 + nudge_copy)
                 - loss_of_m(m_copies64)) / h
print(f"nudge m_1:             loss moves {rate_m1:.4f} x h")
print(f"nudge one copy of m_1: loss moves {rate_one_copy:.4f} x h")

# %% [markdown]
# Nudging $m_1$ moves the loss at the rate -3.000, the sum. Nudging a single
# copy, the one in column one, moves it at -1.000, that copy's own
# gradient. The copies each contribute their share, and the original collects them all.
#
# ## Why a sum, and when to keep the dimension
#
# A tensor that is used several times gets the sum of the gradients of its uses: that is
# the rule of reuse, which the [element-wise page](https://backprop-by-hand.github.io/rules/elementwise/) meets again. Broadcasting
# is the same thing in bulk: every copy is a use. So the de-broadcast is a sum over exactly the dimensions that broadcasting stretched, and the two
# kinds of stretch give the two kinds of sum:
#
# - **A dimension of size one that was repeated** (`[32, 1]` stretched to `[32, 27]`,
#   `[1, 64]` to `[32, 64]`): sum along it **with** `keepdim=True`. The original had that
#   dimension, of size one, and its gradient must have it too.
# - **A leading dimension that was added** (`[27]` read as `[1, 27]`, then stretched to
#   `[32, 27]`): sum it away **without** `keepdim`. The original never had that dimension.
#
# That answers the question's last part: `logit_maxes`, `counts_sum_inv`, `bngain` and
# `bnbias` were created with `keepdim=True` or as `[1, 64]`, so their gradients keep the
# size-one dimension; `b2` is a plain `[27]`, so `grad_logits.sum(0)` is right for it as it
# is.
#
# ## The three broadcasts of the makemore MLP
#
# Now the real shapes. The tensors are random stand-ins, seeded so that every number is
# reproducible: the rule depends only on the shapes, not on what the network computed. Where
# it costs nothing the stand-ins are realistic: `logit_maxes` holds the row maxima of
# `logits` and `counts_sum_inv` the reciprocals of the row sums of `counts`, each taken as a
# tensor of its own so that only the broadcast operation is differentiated. As above, the
# gradient arriving at each output is a random tensor of the output's shape, standing in for
# what the rest of the network sends back.

# %%
torch.manual_seed(2024)

# (1) norm_logits = logits - logit_maxes
logits = torch.randn(32, 27, requires_grad=True)           # [32, 27]
logit_maxes = (logits.detach().max(1, keepdim=True).values
               .requires_grad_(True))                       # [32, 1]
norm_logits = logits - logit_maxes                          # [32, 27]

# (2) probs = counts * counts_sum_inv
counts = torch.rand(32, 27, requires_grad=True)            # [32, 27]
counts_sum_inv = (counts.detach().sum(1, keepdim=True) ** -1
                  ).requires_grad_(True)                    # [32, 1]
probs = counts * counts_sum_inv                             # [32, 27]

# (3) hpreact = bngain * bnraw + bnbias
bngain = (1 + 0.1 * torch.randn(1, 64)).requires_grad_(True)  # [1, 64]
bnraw = torch.randn(32, 64, requires_grad=True)              # [32, 64]
bnbias = (0.1 * torch.randn(1, 64)).requires_grad_(True)     # [1, 64]
hpreact = bngain * bnraw + bnbias                            # [32, 64]

# the gradients arriving from the rest of the network (stand-ins)
dnorm_logits = torch.randn(32, 27)
dprobs = torch.randn(32, 27)
dhpreact = torch.randn(32, 64)
b2_shape = (27,)   # b2, for the table at the top

for name, t in [("norm_logits", norm_logits), ("probs", probs),
                ("hpreact", hpreact)]:
    print(f"{name:12s}{list(t.shape)}")

# %% [markdown]
# ### The derivation, with shapes
#
# Write $i$ for the row (the example, 32 of them) and $j$ for the
# column. Each case is the smallest case above, 32 rows tall.
#
# **Case one**, $n = z - m$ with $z$ the `logits` and $m$ the `logit_maxes`: $n_{ij} = z_{ij} - m_i$.
# Each $m_i$ has 27 copies along its row, each with the local
# derivative $-1$:
#
# $$
# \begin{aligned}
# \bar{m}_i &= -\sum_j \bar{n}_{ij}, &
# \underbrace{\bar{m}}_{ [32, 1] }
# &= \operatorname{sum}_{\text{along } j,\ \text{keepdim}}\big(\underbrace{-\bar{n}}_{ [32, 27] }\big), \\
# \bar{z}_{ij} &= \bar{n}_{ij}, &
# \underbrace{\bar{z}}_{ [32, 27] } &= \bar{n} .
# \end{aligned}
# $$
#
# **Case two**, $p = c \, s$ with $c$ the `counts` and $s$ the `counts_sum_inv`:
# $p_{ij} = c_{ij} \, s_i$. The local derivative of copy $(i, j)$ of $s_i$ is $c_{ij}$, so
# the copies' gradients are $c_{ij} \, \bar{p}_{ij}$ and they add along the row. Each
# $c_{ij}$ is used once, so its gradient needs no sum, but it does need $s$ stretched again:
# in the backward pass the column of [32, 1] broadcasts
# against the [32, 27] gradient, just as it did in the forward
# pass.
#
# $$
# \begin{aligned}
# \bar{s}_i &= \sum_j c_{ij} \, \bar{p}_{ij}, &
# \underbrace{\bar{s}}_{ [32, 1] }
# &= \operatorname{sum}_{\text{along } j,\ \text{keepdim}}\big(\underbrace{c \odot \bar{p}}_{ [32, 27] }\big), \\
# \bar{c}_{ij} &= s_i \, \bar{p}_{ij}, &
# \underbrace{\bar{c}}_{ [32, 27] } &= s \odot \bar{p} \quad (s \text{ broadcast}).
# \end{aligned}
# $$
#
# **Case three**, $h = \gamma \, r + \beta$ with $\gamma$ the `bngain`, $r$ the `bnraw`
# and $\beta$ the `bnbias`: $h_{ij} = \gamma_j \, r_{ij} + \beta_j$. Now the stretch runs
# down the columns: each $\gamma_j$ and each $\beta_j$ has 32
# copies, one per example, so their sums run over the rows, `dim=0`:
#
# $$
# \begin{aligned}
# \bar{\gamma}_j &= \sum_i r_{ij} \, \bar{h}_{ij}, &
# \underbrace{\bar{\gamma}}_{ [1, 64] }
# &= \operatorname{sum}_{\text{along } i,\ \text{keepdim}}\big(\underbrace{r \odot \bar{h}}_{ [32, 64] }\big), \\
# \bar{\beta}_j &= \sum_i \bar{h}_{ij}, &
# \underbrace{\bar{\beta}}_{ [1, 64] }
# &= \operatorname{sum}_{\text{along } i,\ \text{keepdim}}\big(\bar{h}\big), \\
# \bar{r}_{ij} &= \gamma_j \, \bar{h}_{ij}, &
# \underbrace{\bar{r}}_{ [32, 64] } &= \gamma \odot \bar{h} \quad (\gamma \text{ broadcast}).
# \end{aligned}
# $$
#
# ### The backward pass by hand
#
# One line per gradient. Where a tensor was broadcast, its line is the copies' gradient
# (the same expression as the element-wise rule) summed over the stretched dimension:

# %%
with torch.no_grad():  # our own arithmetic: autograd must not record it
    # (1) norm_logits = logits - logit_maxes
    grad_norm_logits = dnorm_logits.clone()                 # [32, 27]
    grad_logits = grad_norm_logits.clone()                  # [32, 27]
    grad_logit_maxes = (-grad_norm_logits).sum(1, keepdim=True)

    # (2) probs = counts * counts_sum_inv
    grad_probs = dprobs.clone()                             # [32, 27]
    grad_counts = counts_sum_inv * grad_probs               # [32, 27]
    grad_counts_sum_inv = (counts * grad_probs).sum(1, keepdim=True)

    # (3) hpreact = bngain * bnraw + bnbias
    grad_hpreact = dhpreact.clone()                         # [32, 64]
    grad_bnraw = bngain * grad_hpreact                      # [32, 64]
    grad_bngain = (bnraw * grad_hpreact).sum(0, keepdim=True)
    grad_bnbias = grad_hpreact.sum(0, keepdim=True)         # [1, 64]

for name, g in [("logit_maxes", grad_logit_maxes),
                ("counts_sum_inv", grad_counts_sum_inv),
                ("bngain", grad_bngain), ("bnbias", grad_bnbias)]:
    print(f"grad_{name:15s} {list(g.shape)}")

# %% [markdown]
# The incoming gradients are copied with `.clone()` so that the hand-written pass owns its
# tensors; `torch.no_grad()` keeps our arithmetic out of autograd's graph.
#
# ### torch agrees

# %%
for t in (norm_logits, probs, hpreact):
    t.retain_grad()
norm_logits.backward(dnorm_logits)
probs.backward(dprobs)
hpreact.backward(dhpreact)

mlp_table = compare_grads({
    "logit_maxes": (grad_logit_maxes, logit_maxes.grad),
    "logits": (grad_logits, logits.grad),
    "norm_logits": (grad_norm_logits, norm_logits.grad),
    "counts_sum_inv": (grad_counts_sum_inv, counts_sum_inv.grad),
    "counts": (grad_counts, counts.grad),
    "probs": (grad_probs, probs.grad),
    "bngain": (grad_bngain, bngain.grad),
    "bnbias": (grad_bnbias, bnbias.grad),
    "bnraw": (grad_bnraw, bnraw.grad),
    "hpreact": (grad_hpreact, hpreact.grad),
}, caption="The three broadcasts: by hand against autograd")
mlp_table

# %% [markdown]
# All 10 rows are bit-for-bit equal, although
# every sum of 27 or 32 float32 numbers
# rounds: autograd reduces a broadcast input's full-size gradient with the very `sum` the
# hand-written lines call, so both do the same operations in the same order
# ([why that is what bit-exact takes](https://backprop-by-hand.github.io/beyond/why-the-bits-differ/#same-operations-same-order)).
#
# **Why not bit-exact? The same sum in another order**
#
# A loop that adds the rows one at a time is the same mathematics as the sum, in another
# order:

# %%
grad_bngain_loop = torch.zeros(1, 64)
with torch.no_grad():
    for i in range(bnraw.shape[0]):        # one copy at a time
        grad_bngain_loop += bnraw[i] * grad_hpreact[i]
loop_table = compare_grads(
    {"bngain, row by row": (grad_bngain_loop, bngain.grad)})
loop_table

# %% [markdown]
# The largest difference is `f"{loop_table[0].max_abs_diff:.1e}"`, in the last bits:
# float32 additions in another order round differently. And a sum is bit-exact only if the
# gradient flowing into it is, which is why, in a full backward pass, a row like `bngain` can
# come out close rather than exact
# ([one line, handed down](https://backprop-by-hand.github.io/beyond/why-the-bits-differ/#one-line-handed-down)).
#
# Broadcasting written out makes the graph honest: with `expand` in place of the implicit
# stretch, the copies of `bngain` and `bnbias` appear as nodes with
# [32, 64] gradients, and the two `expand` steps sum them back
# to [1, 64].

# %%
gain_t = bngain.detach().clone().requires_grad_(True)
raw_t = bnraw.detach().clone().requires_grad_(True)
bias_t = bnbias.detach().clone().requires_grad_(True)
gain_copies_t = gain_t.expand(32, 64)
bias_copies_t = bias_t.expand(32, 64)
scaled_t = gain_copies_t * raw_t
hpreact_t = scaled_t + bias_copies_t
for t in (gain_copies_t, bias_copies_t, scaled_t, hpreact_t):
    t.retain_grad()
hpreact_t.backward(dhpreact)
assert torch.equal(gain_t.grad, bngain.grad)   # same numbers

ComputationGraph.from_autograd(
    hpreact_t,
    {"bngain": gain_t, "bnraw": raw_t, "bnbias": bias_t,
     "bngain_copies": gain_copies_t, "bnbias_copies": bias_copies_t,
     "scaled": scaled_t, "hpreact": hpreact_t},
    direction="TB",
    title="hpreact = bngain * bnraw + bnbias, the copies made visible",
)

# %% [markdown]
# ## The classic bug: a gradient that lost its kept dimension
#
# Forget `keepdim` on `bngain` and the sum over the examples drops `dim=0`: the gradient
# comes out as [64], not
# [1, 64]. Every number in it is right. Only the shape is wrong,
# and broadcasting makes sure hardly anything notices:

# %%
with torch.no_grad():
    grad_bngain_nokeep = (bnraw * grad_hpreact).sum(0)   # [64]

lr = 0.1
updated = bngain.detach() - lr * grad_bngain_nokeep
nokeep_diff = (grad_bngain_nokeep - bngain.grad).abs().max()
print("gradient:", list(grad_bngain_nokeep.shape))
print("bngain - lr * grad:", list(updated.shape))
print("allclose to bngain.grad:",
      torch.allclose(grad_bngain_nokeep, bngain.grad))
print("max |grad - bngain.grad|:", nokeep_diff.item())

# %% [markdown]
# The update `bngain - lr * grad` comes out [1, 64]: the
# `[64]` broadcasts to `[1, 64]` (a leading dimension added), so training would run and
# even be correct. A hand-made check is fooled as well: `torch.allclose` broadcasts its arguments,
# and so does the subtraction in a home-made max difference, which comes out
# 0.0. The bug is invisible right up to the expression where the shapes
# do matter. A `[64]` vector broadcasts as a **row**; put it next to a **column** and
# broadcasting builds a table of every pair instead of raising an error:

# %%
counts_sum = counts.detach().sum(1, keepdim=True)     # [32, 1]
with torch.no_grad():
    # the same slip on a column: counts_sum_inv is [32, 1]
    grad_csi_nokeep = (counts * grad_probs).sum(1)
    # the next step back, through counts_sum**-1:
    grad_counts_sum_nokeep = -counts_sum**-2 * grad_csi_nokeep
    right = -counts_sum**-2 * grad_counts_sum_inv      # [32, 1]
print("grad_counts_sum_inv without keepdim:",
      list(grad_csi_nokeep.shape))
print("grad_counts_sum from it:", list(grad_counts_sum_nokeep.shape))
diagonal_right = int((grad_counts_sum_nokeep.diagonal()
                      == right[:, 0]).sum())
print("diagonal entries equal to the right gradient:",
      diagonal_right)

# and the [64] one, next to any per-feature column, e.g. bngain.T
gain_column = bngain.detach().T                       # [64, 1]
print("bngain.T * grad_bngain_nokeep:",
      list((gain_column * grad_bngain_nokeep).shape))

# %% [markdown]
# Without `keepdim`, the gradient of `counts_sum_inv` is
# [32], and the very next step of the
# backward pass, back through `counts_sum**-1`, multiplies it by a
# [32, 1] column: out comes a
# [32, 32] matrix,
# 1,024 numbers where there should be
# 32, with no error. Only its diagonal, entry $(i, i)$,
# pairs a row's sum with the same row's gradient, and there sit the right numbers: all
# 32 diagonal entries are bit-for-bit the correct gradient of
# `counts_sum`. Every other entry mixes two examples and means nothing. The `[64]`
# gradient of `bngain` does the same next to any
# [64, 1] column, such as `bngain.T`, and becomes
# [64, 64].
#
# Three checks catch it, because they compare shapes instead of broadcasting them.
# Assigning a gradient to `.grad` requires the parameter's shape, `compare_grads` refuses a
# shape mismatch before it compares a single number, and `unbroadcast`, the helper of the
# next section, refuses a gradient that cannot be the gradient of the shape it is asked for:

# %%
from snippets.compare import GradientMismatch
from snippets.rules import unbroadcast

checks = {
    "bngain.grad = ...": lambda: setattr(
        bngain.detach().clone().requires_grad_(True), "grad",
        grad_bngain_nokeep),
    "compare_grads": lambda: compare_grads(
        {"bngain": (grad_bngain_nokeep, bngain.grad)}),
    "unbroadcast": lambda: unbroadcast(grad_bngain_nokeep, (1, 64)),
}
for check, attempt in checks.items():
    try:
        attempt()
        print(f"{check}: accepted")
    except (RuntimeError, GradientMismatch, ValueError) as error:
        print(f"{check}: refused ({str(error).split('. ')[0]})")

# %% [markdown]
# ## One helper for every broadcast: `unbroadcast`
#
# The three cases are one rule, so the rest of the site writes it once. `unbroadcast(grad,
# shape)` in `snippets/rules.py` takes the full-size gradient of the copies and the shape of
# the tensor before it was broadcast, and:
#
# 1. sums away the leading dimensions that broadcasting added (no `keepdim`: the tensor never
#    had them);
# 2. sums, with `keepdim=True`, every dimension where the shape has size one and the gradient does
#    not;
# 3. refuses, with a `ValueError`, a gradient that does not come out with exactly that shape.
#
# Given the copies' gradients of the three cases, it returns the hand-written sums, and for
# the leading-dimension case, a `b2` of shape [27] under a
# [32, 27] gradient, it returns `sum(0)` without `keepdim`:

# %%
with torch.no_grad():
    grad_logit_maxes_rule = unbroadcast(-grad_norm_logits, (32, 1))
    grad_counts_sum_inv_rule = unbroadcast(counts * grad_probs, (32, 1))
    grad_bngain_rule = unbroadcast(bnraw * grad_hpreact, (1, 64))
    grad_bnbias_rule = unbroadcast(grad_hpreact, (1, 64))
    grad_b2_rule = unbroadcast(grad_logits, b2_shape)   # leading dim

rule_table = compare_grads({
    "logit_maxes": (grad_logit_maxes_rule, grad_logit_maxes),
    "counts_sum_inv": (grad_counts_sum_inv_rule, grad_counts_sum_inv),
    "bngain": (grad_bngain_rule, grad_bngain),
    "bnbias": (grad_bnbias_rule, grad_bnbias),
    "b2": (grad_b2_rule, grad_logits.sum(0)),
}, caption="unbroadcast against the hand-written sums")
rule_table

# %% [markdown]
# All 5 rows are exact: for these shapes `unbroadcast` calls the very same `sum` as the lines
# above, so it is bit-for-bit equal to autograd too.
#
# **Where `unbroadcast` stops being bit-exact**
#
# When a gradient needs **both** kinds of sum at once, say a
# [1, 64] parameter under a
# [8, 32, 64] gradient, `unbroadcast` sums the leading
# dimension first and the repeated one second, where autograd sums both in one call. That
# adds the same 256 numbers per column in
# another order, so the last bits differ. Neither result is the better one: measured against
# the sum done in float64, both are off by about the same amount.

# %%
torch.manual_seed(7)
gain_both = torch.randn(1, 64, requires_grad=True)     # [1, 64]
raw_both = torch.randn(8, 32, 64)                      # [8, 32, 64]
dout_both = torch.randn(8, 32, 64)       # the incoming gradient
(gain_both * raw_both).backward(dout_both)
grad_gain_both = unbroadcast(raw_both * dout_both, (1, 64))

terms64 = raw_both.double() * dout_both.double()
sum64 = terms64.sum((0, 1)).view(1, 64)               # [1, 64]
# a float32 sum is good to about eps x the sum of |terms|
atol_both = (torch.finfo(torch.float32).eps
             * terms64.abs().sum((0, 1)).max().item())
both_table = compare_grads({
    "unbroadcast vs autograd": (grad_gain_both, gain_both.grad),
    "unbroadcast vs float64": (grad_gain_both, sum64),
    "autograd vs float64": (gain_both.grad, sum64),
}, atol=atol_both, caption="Two sums against one")
both_table

# %% [markdown]
# `sum(r.exact for r in both_table)` of the 3 rows are exact
# on this machine; `unbroadcast` and autograd differ by up to
# `f"{both_table[0].max_abs_diff:.1e}"`, and each is about as far from the float64 sum
# (`f"{both_table[1].max_abs_diff:.1e}"` and `f"{both_table[2].max_abs_diff:.1e}"`).
# The tolerance here is absolute, `f"{atol_both:.1e}"`: float32's machine epsilon times
# the largest sum of magnitudes. `torch.allclose`'s default tolerance is relative to each
# result, and a column whose 256 products
# nearly cancel has a small result and so almost no tolerance left, although its absolute
# rounding error is as large as any other column's. The makemore MLP never needs both sums at
# once: each of its broadcasts needs one kind of sum only, and for those `unbroadcast` makes
# the very sum autograd makes.
#
# Hand-written sums and the helper agree, so from here on every page of the site, starting
# with the page on the whole makemore MLP that follows this section, writes
# `unbroadcast(grad, tensor.shape)` wherever a broadcast tensor gets its gradient, and links back here. The rule is also tested
# on random shapes and broadcast patterns, against autograd and against finite differences
# (`gradcheck`), in the repository file `tests/test_rules.py`.
#
# > **The rule to remember**
# >
# > Broadcasting makes copies; every copy gets its own gradient, and the original gets
# > their sum: over the added leading dimensions, and with `keepdim=True` over the
# > dimensions that had size one.
#
# ## Exercise
#
# The BatchNorm layer of the MLP has one more broadcast, a step before `hpreact`:
# `bnraw = bndiff * bnvar_inv`, with `bndiff` of shape
# [32, 64] and `bnvar_inv` of shape
# [1, 64]. Write both gradients by hand, with their shapes,
# before you run anything, and say what `unbroadcast` does with them. Then: how would the
# gradient of `bnvar_inv` change if it were a plain `[64]` vector instead?
#
# **Solution**
#
# Write $b$ for `bndiff`, $v$ for `bnvar_inv` and $r$ for `bnraw`: $r_{ij} = b_{ij} \, v_j$.
# Each $v_j$ is copied down the 32 rows, so its gradient is the
# copies' gradients summed over the rows (`dim=0`), keeping the dimension; each $b_{ij}$ is
# used once, so its gradient needs no sum:
#
# $$
# \bar{v}_j = \sum_i b_{ij} \, \bar{r}_{ij}, \qquad
# \bar{b}_{ij} = v_j \, \bar{r}_{ij}, \qquad
# \underbrace{\bar{v}}_{ [1, 64] }, \quad
# \underbrace{\bar{b}}_{ [32, 64] } .
# $$
#
# `unbroadcast(bndiff * grad_bnraw, (1, 64))` is that sum. A plain `[64]` `bnvar_inv`
# broadcasts just as well, by a leading dimension added instead of a size-one dimension
# repeated, and its gradient is then the same 64 numbers, summed
# without `keepdim`, of shape [64]. The rule
# follows the shape the tensor has, and `unbroadcast` reads it from the shape you pass.

# %%
torch.manual_seed(4)
bndiff = torch.randn(32, 64, requires_grad=True)            # [32, 64]
bnvar_inv = torch.rand(1, 64).add(0.5).requires_grad_(True)  # [1, 64]
bnraw_ex = bndiff * bnvar_inv                                # [32, 64]
dbnraw = torch.randn(32, 64)  # the gradient arriving at bnraw
bnraw_ex.backward(dbnraw)

bnvar_inv_flat = bnvar_inv.detach()[0].requires_grad_(True)  # [64]
(bndiff.detach() * bnvar_inv_flat).backward(dbnraw)

with torch.no_grad():
    grad_bnraw = dbnraw.clone()                              # [32, 64]
    grad_bndiff = bnvar_inv * grad_bnraw                     # [32, 64]
    grad_bnvar_inv = (bndiff * grad_bnraw).sum(0, keepdim=True)
    grad_bnvar_inv_rule = unbroadcast(bndiff * grad_bnraw, (1, 64))
    grad_bnvar_inv_flat = unbroadcast(bndiff * grad_bnraw, (64,))

compare_grads({
    "bnvar_inv": (grad_bnvar_inv, bnvar_inv.grad),
    "bnvar_inv, unbroadcast": (grad_bnvar_inv_rule, bnvar_inv.grad),
    "bndiff": (grad_bndiff, bndiff.grad),
    "bnvar_inv as [64]": (grad_bnvar_inv_flat, bnvar_inv_flat.grad),
})

# %%
# Every number the text above states, checked against what the code computed (as
# the site's build checks them). Lines are the page's own.
from pagecheck.notebook import check_page

check_page(globals(), [
    (12, 'list(logit_maxes.shape)', '[32, 1]'),
    (13, 'list(logits.shape)', '[32, 27]'),
    (15, 'list(grad_norm_logits.shape)', '[32, 27]'),
    (16, 'list(grad_logit_maxes.shape)', '[32, 1]'),
    (32, 'list(logit_maxes.shape)', '[32, 1]'),
    (32, 'list(norm_logits.shape)', '[32, 27]'),
    (33, 'list(counts_sum_inv.shape)', '[32, 1]'),
    (33, 'list(probs.shape)', '[32, 27]'),
    (34, 'list(bngain.shape)', '[1, 64]'),
    (34, 'list(hpreact.shape)', '[32, 64]'),
    (35, 'list(b2_shape)', '[27]'),
    (35, 'list(logits.shape)', '[32, 27]'),
    (43, 'list(x.shape)', '[3, 2]'),
    (44, 'list(m.shape)', '[3, 1]'),
    (65, 'sp.diff(ds[0, 0], ms[0])', '-1'),
    (128, 'x[0, 0]', '4'),
    (128, 'x[0, 1]', '7'),
    (129, 'x[1, 0]', '1'),
    (129, 'x[1, 1]', '5'),
    (130, 'x[2, 0]', '9'),
    (130, 'x[2, 1]', '2'),
    (132, 'm[0, 0]', '7'),
    (132, 'm[1, 0]', '5'),
    (132, 'm[2, 0]', '9'),
    (134, 'grad_d[0, 0]', '1'),
    (134, 'grad_d[0, 1]', '2'),
    (135, 'grad_d[1, 0]', '3'),
    (135, 'grad_d[1, 1]', '4'),
    (136, 'grad_d[2, 0]', '5'),
    (136, 'grad_d[2, 1]', '6'),
    (162, 'grad_d[0, 0]', '1'),
    (162, 'grad_d[0, 1]', '2'),
    (163, 'grad_d[1, 0]', '3'),
    (163, 'grad_d[1, 1]', '4'),
    (164, 'grad_d[2, 0]', '5'),
    (164, 'grad_d[2, 1]', '6'),
    (166, 'grad_m[0, 0]', '-3'),
    (166, 'grad_m[1, 0]', '-7'),
    (166, 'grad_m[2, 0]', '-11'),
    (172, 'list(m_copies_t.shape)', '[3, 2]'),
    (199, 'sum(r.exact for r in tiny_table)', '4'),
    (204, 'list(m_copies_t.grad.shape)', '[3, 2]'),
    (205, 'list(m_t.grad.shape)', '[3, 1]'),
    (220, 'grad_d[0, 0]', '1'),
    (220, 'grad_d[0, 1]', '2'),
    (245, 'rate_m1', '-3.000'),
    (246, 'rate_one_copy', '-1.000'),
    (311, 'logits.shape[0]', '32'),
    (312, 'logits.shape[0]', '32'),
    (315, 'logits.shape[1]', '27'),
    (316, 'sp.diff(ds[0, 0], ms[0])', '-1'),
    (321, 'list(logit_maxes.shape)', '[32, 1]'),
    (322, 'list(norm_logits.shape)', '[32, 27]'),
    (324, 'list(logits.shape)', '[32, 27]'),
    (332, 'list(counts_sum_inv.shape)', '[32, 1]'),
    (333, 'list(probs.shape)', '[32, 27]'),
    (339, 'list(counts_sum_inv.shape)', '[32, 1]'),
    (340, 'list(probs.shape)', '[32, 27]'),
    (342, 'list(counts.shape)', '[32, 27]'),
    (348, 'bnraw.shape[0]', '32'),
    (354, 'list(bngain.shape)', '[1, 64]'),
    (355, 'list(hpreact.shape)', '[32, 64]'),
    (357, 'list(bnbias.shape)', '[1, 64]'),
    (360, 'list(bnraw.shape)', '[32, 64]'),
    (420, 'sum(r.exact for r in mlp_table)', '10'),
    (421, 'logits.shape[1]', '27'),
    (421, 'bnraw.shape[0]', '32'),
    (451, 'list(hpreact.shape)', '[32, 64]'),
    (452, 'list(bngain.shape)', '[1, 64]'),
    (480, 'list(grad_bngain_nokeep.shape)', '[64]'),
    (481, 'list(bngain.shape)', '[1, 64]'),
    (498, 'list(updated.shape)', '[1, 64]'),
    (502, 'nokeep_diff.item()', '0.0'),
    (529, 'list(grad_csi_nokeep.shape)', '[32]'),
    (531, 'list(counts_sum.shape)', '[32, 1]'),
    (532, 'list(grad_counts_sum_nokeep.shape)', '[32, 32]'),
    (533, 'grad_counts_sum_nokeep.numel()', '1,024'),
    (534, 'counts_sum.numel()', '32'),
    (536, 'diagonal_right', '32'),
    (539, 'list(gain_column.shape)', '[64, 1]'),
    (540, 'list((gain_column * grad_bngain_nokeep).shape)', '[64, 64]'),
    (580, 'list(b2_shape)', '[27]'),
    (581, 'list(grad_logits.shape)', '[32, 27]'),
    (601, 'sum(r.exact for r in rule_table)', '5'),
    (607, 'list(gain_both.shape)', '[1, 64]'),
    (608, 'list(dout_both.shape)', '[8, 32, 64]'),
    (610, 'dout_both.shape[0] * dout_both.shape[1]', '256'),
    (635, 'len(both_table)', '3'),
    (641, 'dout_both.shape[0] * dout_both.shape[1]', '256'),
    (664, 'list(bndiff.shape)', '[32, 64]'),
    (665, 'list(bnvar_inv.shape)', '[1, 64]'),
    (673, 'bndiff.shape[0]', '32'),
    (680, 'list(grad_bnvar_inv.shape)', '[1, 64]'),
    (681, 'list(grad_bndiff.shape)', '[32, 64]'),
    (686, 'bndiff.shape[1]', '64'),
    (687, 'list(grad_bnvar_inv_flat.shape)', '[64]'),
], [
    (441, 'f"{loop_table[0].max_abs_diff:.1e}"'),
    (635, 'sum(r.exact for r in both_table)'),
    (637, 'f"{both_table[0].max_abs_diff:.1e}"'),
    (638, 'f"{both_table[1].max_abs_diff:.1e}"'),
    (638, 'f"{both_table[2].max_abs_diff:.1e}"'),
    (639, 'f"{atol_both:.1e}"'),
])
