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
# *This notebook is the page [Max and its one-hot](https://backprop-by-hand.github.io/rules/max/) of Backprop by Hand, cell for cell. Run it from the top: the first cell sets up what the page needs, the last one checks every number the text states against what the code computed.*

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
# # Max and its one-hot
#
# > **The question**
# >
# > The cross-entropy of the makemore MLP starts with
# > `logit_maxes = logits.max(1, keepdim=True).values` and then subtracts it from the
# > logits. Its backward pass, in the notes I learn from, is
# > `F.one_hot(logits.max(1).indices, num_classes=27) * dlogit_maxes`. Why a one-hot? What
# > happens when two logits tie for the maximum? And when I compare my gradient with
# > autograd, `logit_maxes.grad` holds a few billionths here and there: neither zero nor
# > anything sensible. Is my backward pass wrong?
#
# A max over a dimension keeps one number per row: the largest. In makemore, `logits` is
# [32, 27] (a batch of 32 examples, a score for
# each of 27 characters) and `logit_maxes` is
# [32, 1]. This page works the rule out on a matrix
# small enough to see every entry, checks it on the makemore shapes, measures what PyTorch
# does with ties, and then answers the last question, which is not about max at all.
#
# ## A small example
#
# Take $X$ with 3 rows and 2 columns, and let $m$
# keep the maximum of each row, as `X.max(1, keepdim=True).values` does:
#
# $$
# X = \begin{bmatrix}
# 4 & 1 \\
# 2 & 5 \\
# 0 & 3
# \end{bmatrix},
# $$
#
# $$
# m = \begin{bmatrix} \max(x_{11}, x_{12}) \\ \max(x_{21}, x_{22}) \\ \max(x_{31}, x_{32}) \end{bmatrix}
# = \begin{bmatrix} x_{11} \\ x_{22} \\ x_{32} \end{bmatrix}
# = \begin{bmatrix} 4 \\ 5 \\ 3 \end{bmatrix}.
# $$
#
# $X$ is [3, 2] and $m$ is [3, 1]. So that
# there is a gradient to send back, let a loss weigh each row's maximum by a number $w_i$:
# $L = \sum_i w_i m_i$ with $w = [2, -1, 3]$.
# In makemore the weights are whatever gradient arrives from the layers after the max; here
# they are simply $\bar{m}_i = w_i$.

# %%
import torch
import torch.nn.functional as F
from snippets.compare import compare_grads

X = torch.tensor([[4.0, 1.0], [2.0, 5.0], [0.0, 3.0]])  # [3, 2]
w = torch.tensor([[2.0], [-1.0], [3.0]])                # [3, 1]

top = X.max(1, keepdim=True)  # values and indices, both [3, 1]
m = top.values                # [3, 1]  the largest entry of each row
winner = top.indices          # [3, 1]  the column it sits in
L = (w * m).sum()             # scalar

print("m:     ", m.flatten().tolist())
print("winner:", winner.flatten().tolist())
print("L:     ", L.item())

# %% [markdown]
# ## The derivation: one winner per row
#
# Write $\bar{v}$ for the gradient of the loss with respect to $v$, as on the
# [knobs page](https://backprop-by-hand.github.io/knobs/). Each $m_i$ depends on row $i$ of $X$ only, so
# $\bar{x}_{ij} = \bar{m}_i \, \partial m_i / \partial x_{ij}$, with no sum over other
# outputs. And the local derivative is easy once you look at a row. In the first row
# $x_{11}$, which is 4, beats $x_{12}$, which is 1. Turn $x_{11}$ a little
# and it still wins, so $m_1$ moves with it one-for-one. Turn $x_{12}$ a little and it
# still loses, so $m_1$ does not move at all. Near the forward values the max **is** the
# winning entry, and
#
# $$
# \frac{\partial m_i}{\partial x_{ij}} =
# \begin{cases} 1 & \text{if } x_{ij} \text{ is the maximum of row } i, \\
# 0 & \text{otherwise.} \end{cases}
# $$
#
# Laid out with the shape of $X$, [3, 2], these local derivatives
# form a matrix with a single one in each row: a **one-hot** row per example, the one at the
# winner's column.
#
# $$
# \frac{\partial m}{\partial X} =
# \begin{bmatrix}
# 1 & 0 \\
# 0 & 1 \\
# 0 & 1
# \end{bmatrix},
# $$
#
# $$
# \bar{X} = \frac{\partial m}{\partial X} \odot \bar{m} =
# \begin{bmatrix}
# 2 & 0 \\
# 0 & -1 \\
# 0 & 3
# \end{bmatrix}.
# $$
#
# The product is element-wise, and $\bar{m}$, [3, 1], is
# stretched across the columns to [3, 2]: a broadcast (see
# [Broadcasting](https://backprop-by-hand.github.io/rules/broadcasting/)). Each row's gradient lands, whole, on the entry that won
# that row, and the losers get zero. That is all the one-hot of the question does.
#
# ## The backward pass by hand
#
# One line per step. The one-hot comes from the indices that `max` returns; `F.one_hot`
# builds it as integers, and multiplying by the float gradient makes it float again.

# %%
grad_L = torch.tensor(1.0)
grad_m = grad_L * w                                # L = sum(w * m)
local = F.one_hot(winner.squeeze(1), num_classes=2)  # [3, 2] one-hot
grad_X = local * grad_m                            # [3, 2] * [3, 1]

print("one-hot:", local.tolist())
print("grad_X: ", grad_X.tolist())

# %% [markdown]
# The same one-hot can be written without `F.one_hot`: start from zeros and put a one at each
# row's index, `torch.zeros_like(X).scatter(1, winner, 1.0)`. That is how
# `snippets.rules.max_backward` below builds it.
#
# ## torch agrees

# %%
X_t = X.clone().requires_grad_()
m_t = X_t.max(1, keepdim=True).values
L_t = (w * m_t).sum()
m_t.retain_grad()
L_t.backward()

compare_grads({
    "X": (grad_X, X_t.grad),
    "m": (grad_m, m_t.grad),
})


# %% [markdown]
# Both rows are exact, whatever the numbers: the rule does no arithmetic, it only copies
# each row's gradient to its winner and leaves zeros elsewhere, as autograd's max backward
# does.
#
# Two small differences hide in "multiplied by zero". The `-0.0` in the output above is
# zero times $\bar{m}_2 = -1$: floating point keeps the sign of a zero.
# Autograd's zeros carry no sign, and `torch.equal` and `==` count the two zeros as equal,
# as they should:

# %%
def negative_zeros(t):
    return int(((t == 0) & t.signbit()).sum())


neg_zeros_hand = negative_zeros(grad_X)
neg_zeros_autograd = negative_zeros(X_t.grad)
print("negative zeros, by hand:", neg_zeros_hand)
print("negative zeros, autograd:", neg_zeros_autograd)

# %% [markdown]
# By hand there is 1, in autograd's gradient 0:
# equal numbers, not equal bits. The second difference matters more when training goes
# wrong: an upstream gradient that is `inf` or `nan` makes the zeros `nan` too, since
# `0 * inf` is `nan`, while autograd's copy leaves them zero.
#
# The graph, drawn from autograd's tensors. Data $w$ (dashed) enters the product; the max
# node is where the gradient of [3, 1] is spread back over
# [3, 2]:

# %%
from snippets.graph import ComputationGraph

ComputationGraph.from_autograd(
    L_t, {"X": X_t, "m": m_t, "L": L_t},
    constants={"w": w}, inputs_of={"L": ["w"]},
    title="L = sum(w * max(X, dim=1))",
)

# %% [markdown]
# ## The rule as a helper
#
# From here on the rule is `snippets.rules.max_backward(grad, x, dim, keepdim)`: it finds
# the winners with `argmax`, builds the one-hot with `scatter`, and multiplies. On the
# small example it gives the same gradient as the line above:

# %%
from snippets import rules

via_rule = rules.max_backward(grad_m, X, dim=1, keepdim=True)
print("rules.max_backward:", via_rule.tolist())
print("bit-for-bit equal to grad_X:", torch.equal(via_rule, grad_X))

# %% [markdown]
# The makemore shapes next: seeded random logits,
# [32, 27], and an upstream gradient for their row
# maxima, [32, 1].
# The lecture's one-hot line, the helper and autograd:

# %%
torch.manual_seed(42)
rand_logits = torch.randn(32, 27)   # [32, 27]
rand_upstream = torch.randn(32, 1)  # [32, 1], gradient of the maxima

rand_logits_t = rand_logits.clone().requires_grad_()
maxima_t = rand_logits_t.max(1, keepdim=True).values  # [32, 1]
(rand_upstream * maxima_t).sum().backward()

winners = rand_logits.max(1).indices                  # [32]
grad_rand_logits = F.one_hot(winners, num_classes=27) * rand_upstream
via_helper = rules.max_backward(rand_upstream, rand_logits, 1, True)
nonzero = int((grad_rand_logits != 0).sum())

compare_grads({
    "logits (one-hot)": (grad_rand_logits, rand_logits_t.grad),
    "logits (rules.max_backward)": (via_helper, rand_logits_t.grad),
})

# %% [markdown]
# Both exact. Of the 864 entries of the gradient, 32
# are not zero: one per row, the winner's. The rule is also tested on random shapes, with
# and without `keepdim`, along any dimension, and against finite differences, in the
# repository file `tests/test_rules.py`.
#
# ## A nudge
#
# The derivation said: turn a winner and the max follows, turn a loser and nothing happens.
# Turn each entry of the small $X$ by a small $h$ in turn and measure how $L$ moves, in
# float64 so that rounding doesn't blur it:

# %%
X64, w64 = X.double(), w.double()


def L_of(x):
    return (w64 * x.max(1, keepdim=True).values).sum().item()


h = 1e-3
rate = torch.zeros(3, 2, dtype=torch.float64)
for i in range(3):
    for j in range(2):
        nudged = X64.clone()
        nudged[i, j] += h
        rate[i, j] = (L_of(nudged) - L_of(X64)) / h
print("(L moved) / h:", rate.tolist())

far = X64.clone()
far[0, 1] += 4.0   # x12 = 1 + 4 = 5 now beats x11 = 4
print("x12 turned by 4: L moves", L_of(far) - L_of(X64))

# %% [markdown]
# Each rate is the gradient: [[2, 0], [0, -1], [0, 3]], with zeros wherever
# a loser was turned. The promise holds only while the winner stays the winner. Turn
# $x_{12}$ by 4 instead, past the gap of
# 3 to $x_{11}$, and it takes over the row: $m_1$ becomes
# 5 and $L$ moves by 2, though the
# gradient said $x_{12}$ does not matter. The max is made of straight pieces joined at
# kinks, and a gradient only describes the piece you stand on.
#
# ## Ties
#
# At a kink two entries of a row are equal, and there the max has no derivative: turn
# either tied entry up and the max follows it, turn it down and the max stays with the
# other. Any split of the gradient between the tied entries that adds up to the upstream
# gradient is a defensible answer, and PyTorch uses two of them.
# Measured in torch `torch.__version__`, on rows with exact ties and an upstream gradient of one:

# %%
tie_rows = [[1.0, 3.0, 3.0], [3.0, 3.0, 1.0],
            [2.0, 2.0, 2.0], [5.0, 1.0, 5.0, 5.0]]
by_max, by_amax, by_all, tie_index = [], [], [], []
for row in tie_rows:
    x = torch.tensor([row], requires_grad=True)
    out = x.max(1)                      # values and indices
    out.values.backward(torch.ones(1))
    by_max.append(x.grad[0].tolist())
    tie_index.append(out.indices.item())
    x.grad = None
    torch.amax(x, 1).backward(torch.ones(1))
    by_amax.append(x.grad[0].tolist())
    x.grad = None
    x.max().backward()                  # the whole tensor's max
    by_all.append(x.grad[0].tolist())

def short(v):
    return "[" + ", ".join(f"{x:.2g}" for x in v) + "]"


print(f"{'row':12} {'max(1)':12} {'amax(x, 1)':21} max()")
for row, a, b, c in zip(tie_rows, by_max, by_amax, by_all):
    print(f"{short(row):12} {short(a):12} {short(b):21} {short(c)}")

# %% [markdown]
# | row | `x.max(1)` sends | `torch.amax(x, 1)` sends | `x.max()` sends |
# | --- | --- | --- | --- |
# | [1, 3, 3] | [0, 1, 0] | [0, 1/2, 1/2] | [0, 1/2, 1/2] |
# | [3, 3, 1] | [1, 0, 0] | [1/2, 1/2, 0] | [1/2, 1/2, 0] |
# | [2, 2, 2] | [1, 0, 0] | [1/3, 1/3, 1/3] | [1/3, 1/3, 1/3] |
# | [5, 1, 5, 5] | [1, 0, 0, 0] | [1/3, 0, 1/3, 1/3] | [1/3, 0, 1/3, 1/3] |
#
# The two differ:
#
# - **`x.max(dim)`** gives the whole gradient to **one** tied entry: the one at the index
#   it returns, and that index is the **first** of the tied entries. In the rows above the
#   indices are [1, 0, 0, 0].
# - **`torch.amax(x, dim)`** splits the gradient **evenly**: each of $k$ tied entries gets
#   $\frac{1}{k}$ of it. So does `x.max()` with no dimension, the maximum of the whole
#   tensor, which returns no index.
#
# Four rows say little about a rule, so the next block asks the same question of many
# rows full of ties: seeded random matrices of small integers, reduced along either
# dimension. It checks that the index `max` returns is always the first tied entry, that
# `argmax` picks the same one, and that `rules.max_backward` (which uses `argmax`) then
# equals autograd bit for bit, ties and all.

# %%
gen = torch.Generator().manual_seed(0)
rows_checked = rows_tied = 0
index_is_first = helper_is_exact = True
for trial in range(100):
    for shape, dim in (((32, 27), 1), ((27, 32), 0)):
        x = torch.randint(0, 3, shape, generator=gen).float()
        x.requires_grad_()
        out = x.max(dim)
        ties = x.detach() == out.values.unsqueeze(dim)
        size = shape[dim]
        where = torch.arange(size).reshape(
            [size if d == dim else 1 for d in range(2)])
        # the smallest position holding a tied maximum
        first = torch.where(ties, where, size).amin(dim)
        index_is_first &= torch.equal(out.indices, first)
        index_is_first &= torch.equal(x.detach().argmax(dim), first)
        g = torch.randn(out.values.shape, generator=gen)
        out.values.backward(g)
        helper = rules.max_backward(g, x.detach(), dim)
        helper_is_exact &= torch.equal(helper, x.grad)
        rows_checked += out.values.numel()
        rows_tied += int((ties.sum(dim) > 1).sum())

print(f"rows: {rows_checked}, with a tie: {rows_tied}")
print("index is the first tied entry:", index_is_first)
print("rules.max_backward equals autograd:", helper_is_exact)
assert index_is_first and helper_is_exact

# %% [markdown]
# Of 6,400 rows, 6,397 had a tie for the maximum,
# and in every row the index was the first tied entry and the helper matched autograd
# exactly. So
# `rules.max_backward` follows `x.max(dim)`'s convention, not `amax`'s. (The tests in
# `tests/test_rules.py` draw continuous values, which never tie; the tie convention is
# measured here.)
#
# Does the convention matter? Only where ties happen and the gradient through the max is
# not zero. Float32 logits that come out of a matrix multiply can tie, but seldom do; and,
# as the rest of this page shows, the gradient through makemore's `logit_maxes` is zero
# anyway, up to rounding.
#
# ## Why logit_maxes gets almost no gradient
#
# Back to the cross-entropy. For example $i$ with logits $z_{i1}, \dots, z_{iV}$ and label
# $y_i$, makemore computes, with $m_i$ the row's maximum,
#
# $$
# p_{ij} = \frac{e^{z_{ij} - m_i}}{\sum_k e^{z_{ik} - m_i}}
# = \frac{e^{-m_i} \, e^{z_{ij}}}{e^{-m_i} \sum_k e^{z_{ik}}}
# = \frac{e^{z_{ij}}}{\sum_k e^{z_{ik}}},
# \qquad L = -\frac{1}{n} \sum_i \log p_{i y_i} .
# $$
#
# The factor $e^{-m_i}$ cancels: softmax does not change when the same number is subtracted
# from a whole row. So the probabilities, and the loss, do not depend on $m_i$ at all, and
# in exact arithmetic
#
# $$
# \frac{\partial L}{\partial m_i} = 0 .
# $$
#
# Sympy agrees, for one row of three logits shifted by a free number $s$:

# %%
import sympy as sp

z1, z2, z3, s = sp.symbols("z_1 z_2 z_3 s")
row_counts = [sp.exp(z - s) for z in (z1, z2, z3)]
row_loss = -sp.log(row_counts[0] / sum(row_counts))  # label: first
dloss_dshift = sp.simplify(sp.diff(row_loss, s))
print("dL/ds =", dloss_dshift)

# %% [markdown]
# Why subtract the max at all, then? Not for the mathematics but for float32: `exp` of a
# logit above about 88.7 overflows to
# `inf`, and `inf / inf` is `nan`. After the shift the largest logit of each row is zero,
# every `exp` is at most one, and nothing overflows. The max is chosen because it is the
# shift that guarantees this.

# %%
import math

hot = torch.tensor([[100.0, 0.0, -5.0]])  # one confident logit
naive = hot.exp() / hot.exp().sum(1, keepdim=True)
shifted = hot - hot.max(1, keepdim=True).values
safe = shifted.exp() / shifted.exp().sum(1, keepdim=True)
print("exp(hot):", hot.exp().tolist())
print("without the shift:", naive.tolist())
print("with the shift:   ", safe.tolist())

# %% [markdown]
# Now the real thing: makemore's cross-entropy, step by step as in Karpathy's lecture, on seeded
# logits and labels, with autograd keeping the gradient of every step.

# %%
torch.manual_seed(2024)
n, vocab = 32, 27
logits = torch.randn(n, vocab, requires_grad=True)  # [32, 27]
labels = torch.randint(0, vocab, (n,))                 # [32]

logit_maxes = logits.max(1, keepdim=True).values  # [32, 1]
norm_logits = logits - logit_maxes                # [32, 27]
counts = norm_logits.exp()                              # [32, 27]
counts_sum = counts.sum(1, keepdim=True)                # [32, 1]
counts_sum_inv = counts_sum**-1                         # [32, 1]
probs = counts * counts_sum_inv                         # [32, 27]
logprobs = probs.log()                                  # [32, 27]
loss = -logprobs[range(n), labels].mean()            # scalar

for t in (logit_maxes, norm_logits):
    t.retain_grad()
loss.backward()

eps32 = torch.finfo(torch.float32).eps
tiny = logit_maxes.grad.abs().max().item()
print(f"loss: {loss.item():.4f}")
print(f"largest |logit_maxes.grad|: {tiny:.3g}")
print(f"largest |logits.grad|:      "
      f"{logits.grad.abs().max().item():.3g}")
print("exactly zero everywhere:", tiny == 0.0)
print("below float32's epsilon:", tiny < eps32)
assert 0.0 < tiny < eps32

# %% [markdown]
# The loss is 3.4812, and the largest entry of `logit_maxes.grad`, in
# size, is `f"{tiny:.1e}"` on this machine: not exactly zero, yet far below float32's
# epsilon (the gap between one and the next float32, 1.19e-7), while the
# gradient of the logits themselves reaches 0.031.
#
# ### Why not exactly zero
#
# Follow the chain rule into $m_i$. The subtraction `norm_logits = logits - logit_maxes`
# copied $m_i$ into all 27 entries of row $i$ with a minus sign, so its
# gradient is minus the sum of the row's gradient (the broadcast's rule, summed back as on
# [Sums and means](https://backprop-by-hand.github.io/rules/sums-and-means/)). For the cross-entropy that row's gradient is
# $(p_{ij} - [j = y_i])/n$, the fused form the whole-MLP page derives. So
#
# $$
# \bar{m}_i = -\sum_j \bar{u}_{ij} = -\frac{1}{n}\Bigl(\sum_j p_{ij} - \sum_j [j = y_i]\Bigr),
# \qquad u = \text{norm\_logits},
# $$
#
# zero because the probabilities add up to one, and so does the one-hot of the label. In
# float32 they add up to one only nearly, and a few rounding steps are left over: your
# backward pass is not wrong, and a hand-written `dlogit_maxes` that is about zero is the
# right answer.
#
# **Why not exactly zero in float32?**
#
# Every $p_{ij}$ went through `exp`, a sum, a reciprocal and a product, each rounding to
# the nearest float32; then autograd's backward rounds again on the way back, and the
# 27 entries of the row, of size up to about $\frac{1}{n}$, are added up. A
# sum of numbers that size that should cancel to zero ends up a few rounding steps away
# from it, and one rounding step near $\frac{1}{n}$ is about
# 3.7e-9. The measured values are that size. In float64, where a rounding
# step is 2.2e-16 instead, the same computation leaves a residue as much
# smaller as the step is:

# %%
fused = (probs - F.one_hot(labels, vocab)) / n  # (p - [j = y]) / n
print("norm_logits.grad close to (p - onehot(y)) / n:",
      torch.allclose(norm_logits.grad, fused))
print(f"largest |sum of probs - 1|, float32: "
      f"{(probs.sum(1) - 1).abs().max().item():.3g}")

logits64 = logits.detach().double().requires_grad_()
maxes64 = logits64.max(1, keepdim=True).values
maxes64.retain_grad()
shifted64 = (logits64 - maxes64).exp()
probs64 = shifted64 * shifted64.sum(1, keepdim=True) ** -1
(-probs64.log()[range(n), labels].mean()).backward()
tiny64 = maxes64.grad.abs().max().item()
print(f"largest |logit_maxes.grad|, float64: {tiny64:.3g}")
print("below float64's epsilon:",
      tiny64 < torch.finfo(torch.float64).eps)
assert 0.0 <= tiny64 < torch.finfo(torch.float64).eps

# %% [markdown]
# Float32 leaves `f"{tiny:.1e}"`, float64 leaves `f"{tiny64:.1e}"`: the residue
# shrinks with the precision, the signature of rounding error
# ([why the bits differ](https://backprop-by-hand.github.io/beyond/why-the-bits-differ/)). The lecture's `cmp()` reports a
# hand-written `dlogit_maxes` as exact because it repeats autograd's rounding, step for
# step.
#
# ### The max route by hand
#
# The last two steps of the cross-entropy's backward pass: into `logit_maxes` through the
# subtraction, then into `logits` along both of its routes, the direct one through the
# subtraction and the one through the max. The gradient arriving at `norm_logits` is taken
# from autograd here (`upstream_norm`); computing it by hand is the whole-MLP page's job.

# %%
upstream_norm = norm_logits.grad                   # [32, 27], given
grad_logit_maxes = -upstream_norm.sum(1, keepdim=True)  # [32, 1]
grad_logits = upstream_norm.clone()                # direct route
grad_logits += rules.max_backward(grad_logit_maxes, logits, 1, True)

compare_grads({
    "logit_maxes": (grad_logit_maxes, logit_maxes.grad),
    "logits": (grad_logits, logits.grad),
}, rtol=0, atol=0, caption="Bit for bit: no tolerance at all")

# %% [markdown]
# This table was built with no tolerance (`rtol=0, atol=0`), and both rows still pass:
# exact. The default tolerance would check much less here. `torch.allclose` accepts an
# absolute difference of `atol=1e-8`, larger than every entry of `logit_maxes.grad`, so a
# hand-written `dlogit_maxes` of plain zeros would pass as "close", and so would forgetting
# the max route entirely:

# %%
zeros_maxes = torch.zeros_like(logit_maxes)
compare_grads({
    "logit_maxes, all zeros": (zeros_maxes, logit_maxes.grad),
    "logits, max route left out": (upstream_norm, logits.grad),
}, caption="Default tolerance: both wrong, both close")

# %% [markdown]
# Neither is bit-for-bit equal, but both are close: the max route changes `logits.grad` by
# at most `f"{(upstream_norm - logits.grad).abs().max().item():.1e}"`. That is why
# comparisons of these two tensors should look at the *exact* column, and why leaving the
# max out of the backward pass is a harmless shortcut in practice (the fused cross-entropy
# gradient, $(p_{ij} - [j = y_i])/n$, has no max term at all) but not bit-exact.
#
# > **The rule to remember**
# >
# > `x.max(dim)` sends each output's gradient, whole, to the entry that won: a one-hot
# > along `dim` times the upstream gradient (on a tie, to the first winner; `amax`
# > splits it evenly).
#
# ## Exercise
#
# Take the maximum of each **column** instead, without `keepdim`, of
#
# $$
# P = \begin{bmatrix}
# 1 & 7 & 2 \\
# 6 & 7 & 0 \\
# 3 & 4 & 5
# \end{bmatrix},
# $$
#
# so $c$, which is `P.max(0).values`, has 3 entries, and let the upstream
# gradient be $\bar{c} = [10, 20, 30]$.
# Before running anything, write $\bar{P}$ for `P.max(0)`, and then for `torch.amax(P, 0)`.
# The middle column has a tie.
#
# **Solution**
#
# The winners sit at row indices [1, 0, 2] (counting from zero, as torch does): the 6 of the
# first column, the 5 of the last, and in the middle column the first of
# the two tied sevens. Each column's gradient lands on its winner, so for `P.max(0)`
#
# $$
# \bar{P} = \begin{bmatrix}
# 0 & 20 & 0 \\
# 10 & 0 & 0 \\
# 0 & 0 & 30
# \end{bmatrix}.
# $$
#
# `torch.amax(P, 0)` agrees except in the middle column, where the two sevens share the
# 20: [10, 10, 0].
#
# The one-hot now runs down the columns, so it is `F.one_hot` of the column winners,
# transposed, and the upstream gradient of shape [3] is
# broadcast down the rows as [1, 3].

# %%
P = torch.tensor([[1.0, 7.0, 2.0], [6.0, 7.0, 0.0], [3.0, 4.0, 5.0]])
g_c = torch.tensor([10.0, 20.0, 30.0])
ex_winners = P.max(0).indices                         # [3]

grad_P = F.one_hot(ex_winners, num_classes=3).T * g_c[None, :]
tied = (P == P.amax(0, keepdim=True)).float()         # [3, 3]
grad_P_amax = tied / tied.sum(0, keepdim=True) * g_c  # even split

P_max = P.clone().requires_grad_()
P_max.max(0).values.backward(g_c)
P_amax = P.clone().requires_grad_()
torch.amax(P_amax, 0).backward(g_c)

by_rule = rules.max_backward(g_c, P, 0)
compare_grads({
    "P, max(0)": (grad_P, P_max.grad),
    "P, rules.max_backward": (by_rule, P_max.grad),
    "P, amax(0)": (grad_P_amax, P_amax.grad),
})

# %% [markdown]
# Next, [Embedding lookup](https://backprop-by-hand.github.io/rules/embedding/) meets the mirror image of this rule: where max
# picks one entry and sends its gradient back to one place, an embedding picks rows by
# index, and the same row picked twice collects its gradient twice.

# %%
# Every number the text above states, checked against what the code computed (as
# the site's build checks them). Lines are the page's own.
from pagecheck.notebook import check_page

check_page(globals(), [
    (21, 'list(logits.shape)', '[32, 27]'),
    (21, 'n', '32'),
    (22, 'vocab', '27'),
    (23, 'list(logit_maxes.shape)', '[32, 1]'),
    (29, 'X.shape[0]', '3'),
    (29, 'X.shape[1]', '2'),
    (34, 'X[0, 0]', '4'),
    (34, 'X[0, 1]', '1'),
    (35, 'X[1, 0]', '2'),
    (35, 'X[1, 1]', '5'),
    (36, 'X[2, 0]', '0'),
    (36, 'X[2, 1]', '3'),
    (43, 'm[0, 0]', '4'),
    (43, 'm[1, 0]', '5'),
    (43, 'm[2, 0]', '3'),
    (46, 'list(X.shape)', '[3, 2]'),
    (46, 'list(m.shape)', '[3, 1]'),
    (48, 'w[0, 0]', '2'),
    (48, 'w[1, 0]', '-1'),
    (48, 'w[2, 0]', '3'),
    (76, 'X[0, 0]', '4'),
    (76, 'X[0, 1]', '1'),
    (83, 'local.max()', '1'),
    (84, 'local.min()', '0'),
    (87, 'list(X.shape)', '[3, 2]'),
    (94, 'local[0, 0]', '1'),
    (94, 'local[0, 1]', '0'),
    (95, 'local[1, 0]', '0'),
    (95, 'local.flatten()[3]', '1'),
    (96, 'local[2, 0]', '0'),
    (96, 'local[2, 1]', '1'),
    (103, 'grad_X[0, 0]', '2'),
    (103, 'grad_X[0, 1]', '0'),
    (104, 'grad_X[1, 0]', '0'),
    (104, 'grad_X[1, 1]', '-1'),
    (105, 'grad_X[2, 0]', '0'),
    (105, 'grad_X[2, 1]', '3'),
    (109, 'list(grad_m.shape)', '[3, 1]'),
    (110, 'list(X.shape)', '[3, 2]'),
    (153, 'grad_m[1, 0]', '-1'),
    (168, 'neg_zeros_hand', '1'),
    (168, 'neg_zeros_autograd', '0'),
    (174, 'list(m.shape)', '[3, 1]'),
    (175, 'list(X.shape)', '[3, 2]'),
    (202, 'list(rand_logits.shape)', '[32, 27]'),
    (203, 'list(rand_upstream.shape)', '[32, 1]'),
    (226, 'rand_logits.numel()', '864'),
    (226, 'nonzero', '32'),
    (259, 'rate', '[[2, 0], [0, -1], [0, 3]]'),
    (261, 'far[0, 1] - X[0, 1]', '4'),
    (262, 'X[0, 0] - X[0, 1]', '3'),
    (263, 'far[0, 1]', '5'),
    (263, 'L_of(far) - L_of(X64)', '2'),
    (303, 'tie_rows[0]', '[1, 3, 3]'),
    (303, 'by_max[0]', '[0, 1, 0]'),
    (303, 'by_amax[0]', '[0, 1/2, 1/2]'),
    (303, 'by_all[0]', '[0, 1/2, 1/2]'),
    (304, 'tie_rows[1]', '[3, 3, 1]'),
    (304, 'by_max[1]', '[1, 0, 0]'),
    (304, 'by_amax[1]', '[1/2, 1/2, 0]'),
    (304, 'by_all[1]', '[1/2, 1/2, 0]'),
    (305, 'tie_rows[2]', '[2, 2, 2]'),
    (305, 'by_max[2]', '[1, 0, 0]'),
    (305, 'by_amax[2]', '[1/3, 1/3, 1/3]'),
    (305, 'by_all[2]', '[1/3, 1/3, 1/3]'),
    (306, 'tie_rows[3]', '[5, 1, 5, 5]'),
    (306, 'by_max[3]', '[1, 0, 0, 0]'),
    (306, 'by_amax[3]', '[1/3, 0, 1/3, 1/3]'),
    (306, 'by_all[3]', '[1/3, 0, 1/3, 1/3]'),
    (312, 'tie_index', '[1, 0, 0, 0]'),
    (353, 'rows_checked', '6,400'),
    (353, 'rows_tied', '6,397'),
    (382, 'dloss_dshift', '0'),
    (398, 'math.log(torch.finfo(torch.float32).max)', '88.7'),
    (448, 'loss', '3.4812'),
    (450, 'eps32', '1.19e-7'),
    (451, 'logits.grad.abs().max()', '0.031'),
    (456, 'vocab', '27'),
    (475, 'vocab', '27'),
    (478, 'eps32 / n', '3.7e-9'),
    (479, '2.0**-52', '2.2e-16'),
    (561, 'P[0, 0]', '1'),
    (561, 'P[0, 1]', '7'),
    (561, 'P[0, 2]', '2'),
    (562, 'P[1, 0]', '6'),
    (562, 'P[1, 1]', '7'),
    (562, 'P[1, 2]', '0'),
    (563, 'P[2, 0]', '3'),
    (563, 'P[2, 1]', '4'),
    (563, 'P[2, 2]', '5'),
    (567, 'P.shape[1]', '3'),
    (568, 'g_c[0]', '10'),
    (568, 'g_c[1]', '20'),
    (568, 'g_c[2]', '30'),
    (575, 'ex_winners', '[1, 0, 2]'),
    (575, 'P[1, 0]', '6'),
    (576, 'P[2, 2]', '5'),
    (581, 'grad_P[0, 0]', '0'),
    (581, 'grad_P[0, 1]', '20'),
    (581, 'grad_P.flatten()[2]', '0'),
    (582, 'grad_P[1, 0]', '10'),
    (582, 'grad_P[1, 1]', '0'),
    (582, 'grad_P[1, 2]', '0'),
    (583, 'grad_P.flatten()[6]', '0'),
    (583, 'grad_P[2, 1]', '0'),
    (583, 'grad_P[2, 2]', '30'),
    (588, 'g_c[1]', '20'),
    (588, 'grad_P_amax[:, 1]', '[10, 10, 0]'),
    (591, 'list(g_c.shape)', '[3]'),
    (592, 'list(g_c[None, :].shape)', '[1, 3]'),
], [
    (273, 'torch.__version__'),
    (449, 'f"{tiny:.1e}"'),
    (502, 'f"{tiny:.1e}"'),
    (502, 'f"{tiny64:.1e}"'),
    (544, 'f"{(upstream_norm - logits.grad).abs().max().item():.1e}"'),
])
