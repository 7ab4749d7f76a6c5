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
# *This notebook is the page [Softmax with any upstream gradient](https://backprop-by-hand.github.io/transformer/softmax/) of Backprop by Hand, cell for cell. Run it from the top: the first cell sets up what the page needs, the last one checks every number the text states against what the code computed.*

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
# # Softmax with any upstream gradient
#
# > **The question**
# >
# > On the cross-entropy page the softmax and the loss went backward together, in one line:
# > probabilities minus one-hot, over $n$. Attention uses a softmax too, but what comes
# > after it is a matrix product, not a loss, so the gradient arriving at the
# > probabilities can be anything. What is the softmax's own backward rule?
#
# The softmax turns a row of scores $s$ into probabilities $p_i = e^{s_i} / \sum_k e^{s_k}$.
# Every $p_i$ depends on every $s_j$ of its row, so its derivative is a Jacobian, one per row.
#
# ## The Jacobian
#
# Differentiating the quotient: when $i = j$ the numerator moves too, and
# $\frac{\partial p_i}{\partial s_i} = p_i - p_i p_i$; otherwise only the denominator moves,
# and $\frac{\partial p_i}{\partial s_j} = -p_i p_j$. Together:
# $J = \operatorname{diag}(p) - p\,p^\top$. Sympy, on a row of 3 scores:

# %%
import sympy as sp
import torch
import torch.nn.functional as F

from snippets.compare import compare_grads
from snippets.transformer_rules import softmax_backward

ss = sp.symbols("s1:4")
total = sum(sp.exp(si) for si in ss)
ps = [sp.exp(si) / total for si in ss]
J = sp.Matrix([[sp.diff(pi, sj) for sj in ss] for pi in ps])
P = sp.Matrix(ps)
jacobian_check = sp.simplify(J - (sp.diag(*ps) - P * P.T))
print("J - (diag(p) - p p^T) =", jacobian_check.tolist())

# %% [markdown]
# The difference is $[[0, 0, 0], [0, 0, 0], [0, 0, 0]]$, entry by entry.
#
# Written out operation by operation for one row, the graph shows why every score reaches
# every probability: each score feeds its own `exp` and, through the sum, every division.

# %%
from snippets.graph import ComputationGraph

row = torch.tensor([1.0, 2.0, 0.5], requires_grad=True)
exps = row.exp()
row_sum = exps.sum()
probs = exps / row_sum
for t in (exps, row_sum, probs):
    t.retain_grad()
probs.backward(torch.tensor([1.0, -1.0, 0.5]))
ComputationGraph.from_autograd(
    probs, {"s": row, "exp(s)": exps, "sum": row_sum, "p": probs},
    direction="TB", title="The softmax of one row, written out")

# %% [markdown]
# ## The rule
#
# Backward computes $\bar{s} = J^\top \bar{p}$ ([a vector-Jacobian product](https://backprop-by-hand.github.io/autograd/vjp/);
# $J$ is symmetric). With $J = \operatorname{diag}(p) - p\,p^\top$:
#
# $$
# \bar{s}_i = p_i \bar{p}_i - p_i \sum_j p_j \bar{p}_j = p_i \left(\bar{p}_i - \sum_j p_j \bar{p}_j\right),
# $$
#
# one line, with no Jacobian built: `ds = p * (dp - (p * dp).sum(-1, keepdim=True))`. The
# sum is along the softmax's own dimension: for attention's scores, over the keys of each
# query.

# %%
g = torch.Generator().manual_seed(0)
scores = torch.randn(4, 6, generator=g) * 2     # 4 queries, 6 keys
dp = torch.randn(4, 6, generator=g)             # any upstream gradient
leaf = scores.clone().requires_grad_(True)
torch.softmax(leaf, dim=-1).backward(dp)
p = torch.softmax(scores, dim=-1)
sm_table = compare_grads(
    {"scores": (softmax_backward(dp, p), leaf.grad)},
    caption="Softmax, by hand against autograd")
sm_table

# %% [markdown]
# `"Bit for bit" if sm_table.all_exact else "Close, up to float32 rounding"`. Each row of
# $\bar{s}$ sums to 0:
# adding a constant to a row's scores leaves its probabilities unchanged, so no gradient can
# push the row as a whole.
#
# ## The cross-entropy one-liner is a special case
#
# For the loss of the [cross-entropy page](https://backprop-by-hand.github.io/mlp/cross-entropy/),
# $L = -\frac{1}{n} \sum_r \log p_{r, y_r}$, the gradient arriving at the probabilities is
# $\bar{p}_{r,i} = -\frac{1}{n\,p_{r,i}}$ at the target and zero elsewhere. Then
# $\sum_j p_j \bar{p}_j = -\frac{1}{n}$ in every row, and the rule gives
# $\bar{s}_i = p_i \bar{p}_i + \frac{p_i}{n}$: $\frac{p_i}{n}$ away from the target, and
# $\frac{p_y}{n} - \frac{1}{n}$ at it. That is probabilities minus one-hot, over $n$:

# %%
targets = torch.tensor([1, 0, 5, 2])
n = targets.numel()
dp_loss = torch.zeros(4, 6)
dp_loss[range(n), targets] = -1 / (n * p[range(n), targets])
by_rule = softmax_backward(dp_loss, p)
one_liner = (p - F.one_hot(targets, 6)) / n
ce_table = compare_grads(
    {"scores": (by_rule, one_liner)},
    caption="The general rule against the one-liner")
ce_table

# %% [markdown]
# The general rule and the one-liner agree, `"bit for bit" if ce_table.all_exact else "up to float32 rounding"`.
#
# > **The rule to remember**
# >
# > The softmax's backward: `ds = p * (dp - (p * dp).sum(dim, keepdim=True))`, the
# > Jacobian $\operatorname{diag}(p) - p\,p^\top$ applied without building it, summed along
# > the softmax's own dimension.
#
# ## Exercise
#
# The log-softmax, $\log p_i = s_i - \log \sum_k e^{s_k}$, has an even simpler rule. Derive
# it (its Jacobian is the identity minus a matrix whose every row is $p^\top$), write it, and check it against autograd
# through `F.log_softmax` with the same upstream gradient.
#
# **Solution**
#
# The Jacobian's transpose applied to the upstream gradient $\bar{\ell}$ gives
# $\bar{s} = \bar{\ell} - p \sum_j \bar{\ell}_j$: the upstream gradient minus the
# probabilities times its row sum.

# %%
ls_leaf = scores.clone().requires_grad_(True)
F.log_softmax(ls_leaf, dim=-1).backward(dp)
ls_rule = dp - p * dp.sum(-1, keepdim=True)
ls_table = compare_grads(
    {"scores": (ls_rule, ls_leaf.grad)},
    caption="Log-softmax, by hand against autograd")
ls_table

# %%
# Every number the text above states, checked against what the code computed (as
# the site's build checks them). Lines are the page's own.
from pagecheck.notebook import check_page

check_page(globals(), [
    (25, 'len(ss)', '3'),
    (44, 'jacobian_check.tolist()', '[[0, 0, 0], [0, 0, 0], [0, 0, 0]]'),
    (91, 'round(softmax_backward(dp, p).sum(-1).abs().max().item(), 6)', '0'),
], [
    (90, '"Bit for bit" if sm_table.all_exact else "Close, up to float32 rounding"'),
    (117, '"bit for bit" if ce_table.all_exact else "up to float32 rounding"'),
])
