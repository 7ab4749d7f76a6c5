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
# *This notebook is the page [Cross-entropy in one step](https://backprop-by-hand.github.io/mlp/cross-entropy/) of Backprop by Hand, cell for cell. Run it from the top: the first cell sets up what the page needs, the last one checks every number the text states against what the code computed.*

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
# # Cross-entropy in one step
#
# > **The question**
# >
# > On the [previous page](https://backprop-by-hand.github.io/mlp/every-intermediate/) the loss took eight lines, from
# > `logit_maxes` to `loss`, and the backward pass walked back through every one of them
# > to reach `dlogits`. Then my notes replace all of that with three lines:
# > `dlogits = F.softmax(logits, 1)`, `dlogits[range(n), Yb] -= 1`, `dlogits /= n`.
# > Where does that come from? Why is there no `logit_maxes` in it any more? And is it
# > really the same gradient as the long way round?
#
# It is the same gradient: the same function of the logits, differentiated in one go
# instead of step by step, the way the [knobs page](https://backprop-by-hand.github.io/knobs/) collapsed a chain of
# powers into one. This page derives it for one row of logits, checks it against autograd
# twice, counts what it saves, and then looks at what it *says*: a force on each logit,
# pushing the right character up and every other one down.
#
# ## The forward pass
#
# The network and the batch are the section's shared ones from `snippets.makemore`: the
# makemore MLP at its initial weights, and a batch of 32 examples, each three
# characters of context and the character that follows. The 5,163
# names are first names from the US Census, as shipped in the `names` package on PyPI;
# nothing is downloaded. `forward` runs the loss written out, one intermediate per line,
# and autograd goes back through it; `F.cross_entropy` computes the same loss in one call.
#
# **The forward pass in `snippets/makemore.py`**
#
# ```python
# n = Xb.shape[0]                               # 32 examples
# emb = p.C[Xb]                                 # [n, 3, 10]
# embcat = emb.view(n, -1)                      # [n, 30]
# hprebn = embcat @ p.W1 + p.b1                 # [n, 64]
# # BatchNorm, with Bessel's correction (n - 1) in the variance
# bnmeani = 1 / n * hprebn.sum(0, keepdim=True)  # [1, 64]
# bndiff = hprebn - bnmeani                     # [n, 64]
# bndiff2 = bndiff**2                           # [n, 64]
# bnvar = 1 / (n - 1) * bndiff2.sum(0, keepdim=True)  # [1, 64]
# bnvar_inv = (bnvar + 1e-5) ** -0.5            # [1, 64]
# bnraw = bndiff * bnvar_inv                    # [n, 64]
# hpreact = p.bngain * bnraw + p.bnbias         # [n, 64]
# h = torch.tanh(hpreact)                       # [n, 64]
# logits = h @ p.W2 + p.b2                      # [n, 27]
# # cross-entropy, written out
# logit_maxes = logits.max(1, keepdim=True).values  # [n, 1]
# norm_logits = logits - logit_maxes            # [n, 27]
# counts = norm_logits.exp()                    # [n, 27]
# counts_sum = counts.sum(1, keepdim=True)      # [n, 1]
# counts_sum_inv = counts_sum**-1               # [n, 1]
# probs = counts * counts_sum_inv               # [n, 27]
# logprobs = probs.log()                        # [n, 27]
# loss = -logprobs[range(n), Yb].mean()         # scalar
# ```

# %%
import torch
import torch.nn.functional as F
from snippets.compare import compare_grads, ulps_apart
from snippets.makemore import (INTERMEDIATES, SEED, forward,
                               init_params, itos, load_words,
                               sample_batch, splits)

words = load_words()
(Xtr, Ytr), (Xdev, Ydev), (Xte, Yte) = splits(words)
params = init_params()
g = torch.Generator().manual_seed(SEED)
Xb, Yb = sample_batch(Xtr, Ytr, generator=g)  # [32, 3], [32]
fw = forward(params, Xb, Yb)  # the loss written out, step by step
fw.loss.backward()            # autograd through every step

n, vocab = fw.logits.shape    # 32 examples, 27 characters
logits = fw.logits.detach()   # [32, 27], a plain tensor from here on
loss_fast = F.cross_entropy(logits, Yb)  # the same loss, one call

print(f"loss, written out:   {fw.loss.item():.6f}")
print(f"loss, cross_entropy: {loss_fast.item():.6f}")

# %% [markdown]
# Both give 3.4683. That is about what a model that knows nothing
# scores: guessing uniformly among the 27 characters would give
# $\log 27 = 3.2958$, and the initial weights are
# small, so the probabilities are not far from uniform.
#
# ## The derivation: one row
#
# Each example contributes one row of `logits`, 27 numbers
# $z_1, \dots, z_V$ with $V = 27$, and one target character $y$. Write
# $\bar{v}$ for the gradient of the loss with respect to $v$, as on the earlier pages.
#
# **The log of a softmax.** The row's probabilities are its softmax, and the row's loss is
# minus the log of the target's probability:
#
# $$
# \begin{aligned}
# p_i &= \frac{e^{z_i}}{\sum_k e^{z_k}}, \\
# \ell &= -\log p_y = -\log e^{z_y} + \log \sum_k e^{z_k} \\
# &= -z_y + \log \sum_k e^{z_k} .
# \end{aligned}
# $$
#
# The log of a quotient is a difference of logs, and the log undoes the exp of the
# numerator. What is left has two parts: the target's own logit, and the *log-sum-exp* of
# the whole row, which treats every logit alike.
#
# **The derivative of log-sum-exp.** Three steps of the chain rule, from the outside in:
# the log's derivative is one over its input ([log](https://backprop-by-hand.github.io/rules/elementwise/#log-one-over-the-input)),
# the sum passes the gradient to each of its terms unchanged
# ([sums](https://backprop-by-hand.github.io/rules/sums-and-means/)), and only the term $e^{z_i}$ depends on $z_i$, with
# exp its own derivative ([exp](https://backprop-by-hand.github.io/rules/elementwise/#exp-the-output-is-the-derivative)):
#
# $$
# \frac{\partial}{\partial z_i} \log \sum_k e^{z_k}
# = \frac{1}{\sum_k e^{z_k}} \cdot e^{z_i} = p_i .
# $$
#
# The derivative of log-sum-exp is the softmax itself.
#
# **The two cases.** The other part, $-z_y$, moves only with the target's logit. Write
# $[i = y]$ for the bracket that is one when $i$ is the target and zero otherwise (the
# one-hot of $y$). Then
#
# $$
# \frac{\partial \ell}{\partial z_i} = p_i - [i = y] =
# \begin{cases}
# p_y - 1 & \text{if } i = y, \\
# p_i & \text{if } i \neq y .
# \end{cases}
# $$
#
# The target's entry ($i = y$) is negative, since a probability is less than one; every
# other entry is positive.
#
# **The mean over $n$ rows.** The batch loss is the mean of the rows' losses, and the logit
# $z_{ri}$ of row $r$ appears in row $r$'s loss only, so the mean's $\frac{1}{n}$ is all
# that is added ([the mean in the loss](https://backprop-by-hand.github.io/rules/sums-and-means/#in-makemore-the-mean-in-the-loss)):
#
# $$
# \begin{aligned}
# L &= \frac{1}{n} \sum_r \ell_r, \\
# \bar{z}_{ri} &= \frac{1}{n} \frac{\partial \ell_r}{\partial z_{ri}}
# = \frac{1}{n} \bigl( p_{ri} - [i = y_r] \bigr).
# \end{aligned}
# $$
#
# For the whole batch at once, with shapes: the probabilities, `[32, 27]`, minus the
# one-hot of the targets, `[32, 27]`, divided by $n = 32$.
#
# $$
# \bar{Z} = \frac{1}{n} \bigl( \operatorname{softmax}(Z) - \operatorname{onehot}(Y) \bigr) .
# $$
#
# Sympy checks the row formula on a row of three logits, target the first: the derivative
# of log-sum-exp minus $p_i$ is [0, 0, 0], and the derivative of the row's
# loss minus $p_i$ is [-1, 0, 0]: minus the one-hot, as derived.

# %%
import math

import sympy as sp

z = sp.symbols("z_1:4", real=True)          # one row of three logits
total = sum(sp.exp(zk) for zk in z)
p = [sp.exp(zk) / total for zk in z]         # its softmax
row_loss = -sp.log(p[0])                     # the target is z_1
lse = sp.log(total)                          # log-sum-exp
dlse = [sp.simplify(sp.diff(lse, zi) - pi) for zi, pi in zip(z, p)]
dloss = [sp.simplify(sp.diff(row_loss, zi) - pi)
         for zi, pi in zip(z, p)]
print("d(log-sum-exp)/dz_i - p_i:", dlse)
print("d(row loss)/dz_i - p_i:   ", dloss)

# %% [markdown]
# ## The backward pass by hand
#
# Three lines, no autograd. `F.one_hot` makes integers; subtracting them from the float
# probabilities gives floats again.

# %%
probs_fused = F.softmax(logits, dim=1)        # [32, 27], rows sum to 1
one_hot_y = F.one_hot(Yb, num_classes=vocab)  # [32, 27], a 1 per row
grad_logits = (probs_fused - one_hot_y) / n   # [32, 27]

# the notes' version: subtract the one in place
in_place = F.softmax(logits, dim=1)
in_place[range(n), Yb] -= 1
in_place /= n

print("grad_logits:", list(grad_logits.shape))
print("row 0, first 6 entries:",
      " ".join(f"{v:.5f}" for v in grad_logits[0, :6].tolist()))
print("same bits as the in-place version:",
      torch.equal(grad_logits, in_place))

# %% [markdown]
# The notes' in-place lines give the same numbers (bit for bit:
# `"yes" if torch.equal(grad_logits, in_place) else "no"`): subtracting a one-hot
# subtracts one at the target and zero, which changes nothing, everywhere else.
#
# ## torch agrees
#
# Two references. `F.cross_entropy` on a fresh copy of the logits, with autograd's own
# fused backward; and `fw.logits.grad`, the gradient autograd found by walking back through
# the 8 written-out steps of `forward`.

# %%
logits_ce = logits.clone().requires_grad_()   # a fresh leaf
loss_ce = F.cross_entropy(logits_ce, Yb)
loss_ce.backward()

table = compare_grads({
    "logits vs F.cross_entropy": (grad_logits, logits_ce.grad),
    "logits vs the chain": (grad_logits, fw.logits.grad),
})
table

# %% [markdown]
# Close, `"and bit for bit too" if table.all_exact else "and on this machine not bit for bit"`: the largest difference is
# `f"{diff_ce:.2g}"` from `F.cross_entropy` and `f"{diff_chain:.2g}"` from the chain,
# while the entries themselves reach 0.031. The three do the
# same arithmetic in different orders
# ([another order of operations](https://backprop-by-hand.github.io/beyond/why-the-bits-differ/#another-order-of-operations)).
#
# **Why not bit-exact? Three orders, counted in float32 steps**
#
# The formula above takes its probabilities from `F.softmax`. `F.cross_entropy` keeps a
# log-softmax and, going back, takes its exp. The chain multiplies by a reciprocal, divides
# by `probs` and adds up partial gradients. Measured in float32 steps (units in the last
# place):

# %%
at_target = one_hot_y.bool()                   # [32, 27]
at_row_max = F.one_hot(logits.argmax(1), vocab).bool()
steps_ce = ulps_apart(grad_logits, logits_ce.grad)
steps_chain = ulps_apart(grad_logits, fw.logits.grad)
diff_ce = table["logits vs F.cross_entropy"].max_abs_diff
diff_chain = table["logits vs the chain"].max_abs_diff
same_ce = int((grad_logits == logits_ce.grad).sum())
same_chain = int((grad_logits == fw.logits.grad).sum())
worst_row, worst_col = divmod(int(steps_chain.argmax()), vocab)
steps_norm = ulps_apart(grad_logits, fw.norm_logits.grad)
print(f"bit-equal entries: {same_ce} (cross_entropy), "
      f"{same_chain} (chain) of {grad_logits.numel()}")
print("most steps apart, vs cross_entropy:",
      int(steps_ce[at_target].max()), "at targets,",
      int(steps_ce[~at_target].max()), "elsewhere")
print("most steps apart, vs the chain:    ",
      int(steps_chain[~at_row_max].max()), "off the row maxima,",
      int(steps_chain[at_row_max].max()), "at them")

# %% [markdown]
# Of the 864 entries, `same_ce` are bit-for-bit equal to
# `F.cross_entropy`'s and `same_chain` to the chain's; the rest are a few float32 steps
# apart. One place stands out: the largest gap to the chain, `int(steps_chain.max())`
# steps, sits in row `worst_row` at the character **`itos[worst_col]`**,
# `"the row's largest logit: that is the chain's route through logit_maxes, a few billionths that the formula leaves out" if bool(at_row_max[worst_row, worst_col]) else "which is not the row's largest logit"`. Compared with
# `fw.norm_logits.grad` instead, the chain's gradient just before that route is added, the
# formula is at most `int(steps_norm.max())` steps away anywhere. The
# [section below](#why-logit_maxes-does-not-appear) says why leaving the route out is right.
#
# ## What the shortcut saves
#
# The written-out loss makes 8 tensors after `logits`, and
# autograd has to keep them, or what it needs from them, for the backward pass. Here is
# that chain as autograd recorded it, each box with its value (or shape) and its gradient:

# %%
from snippets.graph import ComputationGraph

chain_names = INTERMEDIATES[INTERMEDIATES.index("logit_maxes"):]
ComputationGraph.from_autograd(
    fw.loss,
    {name: getattr(fw, name) for name in ("logits", *chain_names)},
    constants={"Yb": Yb}, inputs_of={"loss": ["Yb"]},
    title="The written-out cross-entropy, logits to loss",
)


# %% [markdown]
# Counted, on the two graphs autograd built:

# %%
def backward_ops(output, stop=None):
    """The operations autograd runs from output back to stop."""
    seen, todo = set(), [output.grad_fn]
    while todo:
        fn = todo.pop()
        if fn is None or fn is stop or fn in seen:
            continue
        seen.add(fn)
        todo += [next_fn for next_fn, _ in fn.next_functions]
    names = [type(fn).__name__.removesuffix("Backward0") for fn in seen]
    return sorted(x for x in names if x != "AccumulateGrad")


chain_ops = backward_ops(fw.loss, stop=fw.logits.grad_fn)
fused_ops = backward_ops(loss_ce)
chain_floats = sum(getattr(fw, k).numel() for k in chain_names)
chain_grads = sum(getattr(fw, k).grad is not None for k in chain_names)
print(f"chain: {len(chain_ops)} backward operations:", chain_ops)
print(f"fused: {len(fused_ops)} backward operations:", fused_ops)
print(f"chain: {chain_floats} numbers in {len(chain_names)} tensors")

# %% [markdown]
# | from the loss back to `logits` | written out | fused |
# | --- | ---: | ---: |
# | tensors made after `logits` | 8 | none by hand; `F.cross_entropy` keeps its log-softmax |
# | numbers in them | 3,553 | 864 |
# | operations autograd runs backward | 10 | 2 |
# | gradient tensors on the way | 8 | one, `grad_logits` |
#
# By hand the difference is the same: the written-out backward pass needs a line (and a
# chance to get it wrong) for each of the 8 intermediates,
# including the two that receive gradient along two routes, `counts` and `logits`; the
# fused one is the three lines above, with no sum to de-broadcast and no route to forget.
# The fused form is also the safer one numerically: it never forms `1 / probs`, which is
# huge where a probability is tiny.
#
# ## Every row sums to zero
#
# Add up one row of the formula. The probabilities add up to one, and so does the one-hot:
#
# $$
# \begin{aligned}
# \sum_i \bar{z}_{ri} &= \frac{1}{n} \Bigl( \sum_i p_{ri} - \sum_i [i = y_r] \Bigr) \\
# &= \frac{1}{n} (1 - 1) = 0 .
# \end{aligned}
# $$
#
# Read it as a balance. The target's entry is
# $-\frac{1}{n}\sum_{i \neq y_r} p_{ri}$, and the other entries add up to
# $+\frac{1}{n}\sum_{i \neq y_r} p_{ri}$: the gradient pushes the correct logit up exactly
# as hard as it pushes all the others down, in total. In float32 "exactly" means up to
# rounding:

# %%
row_sums = grad_logits.sum(1)                 # [32], zero in math
worst_row_sum = row_sums.abs().max().item()
prob_sum_error = (probs_fused.sum(1) - 1).abs().max().item()
eps32 = torch.finfo(torch.float32).eps
fused64 = (F.softmax(logits.double(), 1) - one_hot_y) / n
worst_row_sum64 = fused64.sum(1).abs().max().item()
row_sum_math = sp.simplify(sum(dloss[i] + p[i] for i in range(3)))
print(f"largest |row sum|, float32: {worst_row_sum:.3g}")
print(f"largest |sum of probs - 1|: {prob_sum_error:.3g}")
print(f"largest |row sum|, float64: {worst_row_sum64:.3g}")

# %% [markdown]
# The largest row sum, in size, is `f"{worst_row_sum:.2g}"` in float32 and
# `f"{worst_row_sum64:.2g}"` in float64: not zero, tiny next to the entries it adds up,
# and shrinking with the precision, so it is rounding, not a term the formula lacks.
#
# **Why not exactly zero?**
#
# Three roundings keep it from zero. The 27 float32 probabilities of a row
# add up to one only to within `f"{prob_sum_error:.2g}"`; subtracting the one-hot and
# dividing by $n$ round each entry again; and adding the 27 entries back up
# rounds after every addition. One float32 step near $\frac{1}{n}$, the size of the target
# entries, is about 3.7e-9, and the largest row sum is
# `f"{worst_row_sum / (eps32 / n):.1f}"` of those steps
# ([why the bits differ](https://backprop-by-hand.github.io/beyond/why-the-bits-differ/)).
#
# ## A picture of the batch
#
# Every entry of `grad_logits`, `[32, 27]`, one row per example and one column per
# character. Blue is negative, orange positive, and the colour fades out at zero; the
# squares mark each row's target. The two halves of the colour scale have different
# ranges, since the negative entries are much larger than the positive ones.

# %%
import matplotlib.pyplot as plt
from matplotlib.colors import LinearSegmentedColormap, TwoSlopeNorm
from snippets.figures import BLUE, ORANGE

# see-through at zero, so the page shows through in either palette
push = LinearSegmentedColormap.from_list("push", [
    (0.0, BLUE), (0.5, BLUE + "00"), (0.5, ORANGE + "00"),
    (1.0, ORANGE)])
scale = TwoSlopeNorm(vmin=grad_logits.min().item(), vcenter=0.0,
                     vmax=grad_logits.max().item())

fig, ax = plt.subplots(figsize=(6.4, 6.6))
image = ax.imshow(grad_logits.numpy(), cmap=push, norm=scale)
ax.scatter(Yb.numpy(), range(n), marker="s", s=40, facecolors="none",
           edgecolors="black", linewidths=1.2, label="target")
ax.set_xticks(range(vocab), [itos[i] for i in range(vocab)],
              fontsize=9)
ax.set_yticks(range(0, n, 4))
ax.set_xlabel("character (column of logits)")
ax.set_ylabel("example (row)")
ax.legend(loc="upper left", bbox_to_anchor=(1.0, -0.04),
          handletextpad=0.3)
fig.colorbar(image, ax=ax, shrink=0.75, label="grad_logits")
ax.set_title("grad_logits for the batch")

# %%
negative = grad_logits < 0
others = ~at_target
ratio_to_probs = grad_logits[others] / probs_fused[others]
top_row, top_col = divmod(int(grad_logits.argmax()), vocab)
print("negative entries:", int(negative.sum()),
      "| all at the targets:", torch.equal(negative, at_target))
print(f"others / probs: from {ratio_to_probs.min().item():.6f}"
      f" to {ratio_to_probs.max().item():.6f}")

# %% [markdown]
# Exactly one entry per row is negative, 32 in all, and each
# sits on the target. Everything else is positive and is the probability itself, scaled:
# entry over probability is 1/32 off the targets, $\frac{1}{n}$.
# So the orange part of the picture *is* the model's softmax, and the darker an orange
# square, the likelier the model finds that wrong character. The darkest, in row
# 15 at **`itos[top_col]`**, is a wrong character given probability
# 0.186. At these initial weights the
# probabilities are all near $\frac{1}{V}$, so the orange is faint and even, and the blue
# squares, close to $-\frac{1}{n}$, dominate.
#
# ## Forces on the logits
#
# Gradient descent moves each logit against its gradient. So in row $r$ the target's logit
# goes *up* (its gradient is negative) and every other logit goes *down*, each in proportion
# to the probability the model gave it. The wrong character the model found likeliest gets
# pushed down hardest. And by the balance above, the push up on the target equals the sum of
# the pushes down: the total size of a row, $\sum_i |\bar{z}_{ri}|$, is twice the push on
# its target, $\frac{1}{n}\sum_{i \neq y_r} p_{ri}$.
#
# How hard the row pushes depends on how wrong the model is. This batch's extremes:

# %%
p_target = probs_fused[range(n), Yb]          # [32]
push_up = -grad_logits[range(n), Yb]          # [32], on each target
row_size = grad_logits.abs().sum(1)           # [32]
sure = int(p_target.argmax())                 # the model's best row
unsure = int(p_target.argmin())               # and its worst


def context(row):
    return "".join(itos[int(i)] for i in Xb[row])


for name, r in (("best", sure), ("worst", unsure)):
    top = probs_fused[r].topk(3)
    likeliest = [f"{itos[int(i)]} {v:.3f}"
                 for v, i in zip(top.values.tolist(), top.indices)]
    print(f"{name}: row {r}, context '{context(r)}' -> "
          f"'{itos[int(Yb[r])]}', p = {p_target[r].item():.4f}, "
          f"push up {push_up[r].item():.5f}, row size "
          f"{row_size[r].item():.5f}; likeliest: {likeliest}")

# %% [markdown]
# In row 22 the context is **`context(sure)`** and the next character is
# **`itos[int(Yb[sure])]`**; the untrained model already ranks it first, with probability
# 0.1069, the best of the batch. Its target gets a push up of
# 0.0279. In row 13, context
# **`context(unsure)`**, the model gives the right character,
# **`itos[int(Yb[unsure])]`**, only 0.0094, and the push up is
# 0.0310, close to the largest possible, $\frac{1}{n}$.
#
# The two pushes differ by a tenth only, because at initialisation the model is not
# confident about anything (the probabilities of the targets average
# 0.037, about $\frac{1}{V}$). What a confident model changes,
# one row shows: raise the target's logit in row 22 by
# 5 and see what is left of its gradient.

# %%
lift = 5.0
confident = logits[sure].clone()              # [27]
confident[Yb[sure]] += lift                   # the model is now sure
p_confident = F.softmax(confident, dim=0)     # [27]
row_confident = (p_confident - one_hot_y[sure]) / n
shrink = row_size[sure] / row_confident.abs().sum()
print(f"p(target): {p_target[sure].item():.4f} -> "
      f"{p_confident[Yb[sure]].item():.4f}")
print(f"row size:  {row_size[sure].item():.5f} -> "
      f"{row_confident.abs().sum().item():.5f}, "
      f"{shrink.item():.1f} times smaller")

# %% [markdown]
# The target's probability goes from 0.1069 to
# 0.947, and the row's gradient shrinks
# 16.8 times, to 0.0033. A row the model
# already gets right asks for little change; the rows it gets wrong carry the gradient. As
# training goes on, the loss spends its pushes where the model is still wrong.
#
# ## A nudge
#
# The formula says: turn one logit by a small $h$ and the loss moves by about
# $\bar{z}_{ri} \, h$. Try it in float64, on row 22: on its target
# **`itos[int(Yb[sure])]`**, and on its likeliest wrong character.

# %%
logits64 = logits.double()


def loss64(z):
    return F.cross_entropy(z, Yb).item()


def rate(row, col, h=1e-4):
    """(loss after + h - loss after - h) / 2h on one logit."""
    up, down = logits64.clone(), logits64.clone()
    up[row, col] += h
    down[row, col] -= h
    return (loss64(up) - loss64(down)) / (2 * h)


rival = int(probs_fused[sure].topk(2).indices[1])  # likeliest wrong
nudged = {col: rate(sure, col) for col in (int(Yb[sure]), rival)}
for col, measured in nudged.items():
    print(f"logit '{itos[col]}': loss moved {measured:+.7f} per unit,"
          f" formula {grad_logits[sure, col].item():+.7f}")
nudge_gap = max(abs(m - fused64[sure, c].item())
                for c, m in nudged.items())
print(f"largest gap to the float64 formula: {nudge_gap:.2g}")

# %% [markdown]
# Turning the target's logit up lowers the loss at -0.0279
# per unit; turning up **`itos[rival]`**, the likeliest wrong character, raises it at
# 0.00201 per unit, its probability
# 0.0643 divided by $n$. The measured rates match the
# formula, computed in float64, to `f"{nudge_gap:.1g}"`: what is left of the finite
# difference's own error.
#
# ## Why logit_maxes does not appear
#
# The written-out loss subtracts each row's maximum before the exp, and the
# [max page](https://backprop-by-hand.github.io/rules/max/#why-logit_maxes-gets-almost-no-gradient) shows why that shift
# gets almost no gradient: the softmax does not change when the same number is subtracted
# from a whole row. This page gives the same fact from the other side. The gradient the
# shift receives is minus the sum of its row's gradient, and we just saw that the row sums
# to zero. The fused formula, derived without any shift, has nothing to send there.
#
# The shift is still done: `F.softmax` subtracts the row maximum inside, so that no `exp`
# overflows, and that is where its job ends. It is a numerical safety measure, not part of
# the mathematics, so it has no term in the gradient. In float32 the chain's route through
# `logit_maxes` carries the rounding leftovers of its row sum, up to
# `f"{fw.logit_maxes.grad.abs().max().item():.2g}"` here, onto the row's largest logit
# (`"the largest gap the steps counted above" if bool(at_row_max[worst_row, worst_col]) else "a few steps, next to the largest gap counted above"`). For the
# step-by-step version of every one of these gradients, go back to
# [Every intermediate](https://backprop-by-hand.github.io/mlp/every-intermediate/).
#
# > **The rule to remember**
# >
# > The gradient of the mean cross-entropy with respect to the logits is
# > `(softmax(logits) - one_hot(Y)) / n`: the probabilities, minus one at each target,
# > divided by the batch size. Each row sums to zero.
#
# ## Exercise
#
# > **Do it yourself in a notebook**
# >
# > The fused gradient of this page, as a notebook to fill in: `grad_logits` in one step, then on through the second linear layer, each answer checked against autograd. Open [the exercise notebook](https://backprop-by-hand.github.io/mlp/exercises/cross-entropy.ipynb): its page shows the worked
# > solution, and its buttons download the blank exercise or open it in Colab.
#
# *Label smoothing* trains against a softened target: instead of the one-hot $t$ of $y$,
# the row's target distribution is $q$ with $q_i = (1 - \varepsilon) t_i + \frac{\varepsilon}{V}$,
# and the row's loss is $-\sum_i q_i \log p_i$. `F.cross_entropy(logits, Yb,
# label_smoothing=0.1)` computes its mean over the batch with
# $\varepsilon = 0.1$. Derive the gradient with respect to the logits,
# check it on the batch above, and answer: does each row still sum to zero? For which
# probability of the target does a row's gradient vanish?
#
# **Solution**
#
# Write $\log p_i = z_i - \log \sum_k e^{z_k}$. The row's loss is
# $-\sum_i q_i z_i + \bigl(\sum_i q_i\bigr) \log \sum_k e^{z_k}$, and the $q_i$ add up to
# 1 (the one-hot part to one minus $\varepsilon$, the spread part to
# $\varepsilon$). So the log-sum-exp term is the same as before, with derivative $p_j$,
# and the first term's derivative is $-q_j$. With $Q$ the batch's target distributions,
# one row per example, `[32, 27]`:
#
# $$
# \begin{aligned}
# \frac{\partial \ell}{\partial z_j} &= p_j - q_j, \\
# \bar{Z} &= \frac{1}{n} \bigl( \operatorname{softmax}(Z) - Q \bigr).
# \end{aligned}
# $$
#
# The plain cross-entropy is the case of no smoothing at all, $q = t$. Each row still
# sums to zero, since both $p$ and $q$ add up to one. A row's gradient vanishes when
# $p = q$, so the target's logit stops being pushed up once its probability reaches
# $q_y = 0.9037$ and the others reach
# $\frac{\varepsilon}{V} = 0.0037$: the model is kept from
# becoming certain.

# %%
smoothing = 0.1
eps_, V_, t_i = sp.symbols("epsilon V t_i")
q_formula = (1 - eps_) * t_i + eps_ / V_

q = (1 - smoothing) * one_hot_y + smoothing / vocab   # [32, 27]
grad_logits_smooth = (probs_fused - q) / n            # [32, 27]

logits_ls = logits.clone().requires_grad_()
F.cross_entropy(logits_ls, Yb, label_smoothing=smoothing).backward()
q_total = q.sum(1).mean()
q_target = q[0, Yb[0]]
print(f"largest |row sum|: "
      f"{grad_logits_smooth.sum(1).abs().max().item():.2g}")
compare_grads({
    "logits, label smoothing": (grad_logits_smooth, logits_ls.grad),
})

# %%
# Every number the text above states, checked against what the code computed (as
# the site's build checks them). Lines are the page's own.
from pagecheck.notebook import check_page

check_page(globals(), [
    (28, 'n', '32'),
    (29, 'len(words)', '5,163'),
    (66, 'loss_fast', '3.4683'),
    (67, 'vocab', '27'),
    (68, 'vocab', '27'),
    (68, 'math.log(vocab)', '3.2958'),
    (73, 'vocab', '27'),
    (74, 'vocab', '27'),
    (112, '-dloss[0]', '1'),
    (133, 'n', '32'),
    (140, 'dlse', '[0, 0, 0]'),
    (141, 'dloss', '[-1, 0, 0]'),
    (190, 'len(chain_names)', '8'),
    (206, 'grad_logits.abs().max()', '0.031'),
    (238, 'grad_logits.numel()', '864'),
    (251, 'len(chain_names)', '8'),
    (294, 'len(chain_names)', '8'),
    (295, 'chain_floats', '3,553'),
    (295, 'logits.numel()', '864'),
    (296, 'len(chain_ops)', '10'),
    (296, 'len(fused_ops)', '2'),
    (297, 'chain_grads', '8'),
    (300, 'len(chain_names)', '8'),
    (313, 'probs_fused.sum(1).mean()', '1'),
    (313, 'one_hot_y.sum(1).min()', '1'),
    (313, 'row_sum_math', '0'),
    (342, 'vocab', '27'),
    (344, 'vocab', '27'),
    (346, 'eps32 / n', '3.7e-9'),
    (397, 'int(negative.sum())', '32'),
    (399, 'ratio_to_probs.mean()', '1/32'),
    (402, 'top_row', '15'),
    (403, 'probs_fused[top_row, top_col]', '0.186'),
    (440, 'sure', '22'),
    (442, 'p_target[sure]', '0.1069'),
    (443, 'push_up[sure]', '0.0279'),
    (443, 'unsure', '13'),
    (445, 'p_target[unsure]', '0.0094'),
    (446, 'push_up[unsure]', '0.0310'),
    (450, 'p_target.mean()', '0.037'),
    (451, 'sure', '22'),
    (452, 'lift', '5'),
    (468, 'p_target[sure]', '0.1069'),
    (469, 'p_confident[Yb[sure]]', '0.947'),
    (470, 'shrink', '16.8'),
    (470, 'row_confident.abs().sum()', '0.0033'),
    (477, 'sure', '22'),
    (506, 'nudged[int(Yb[sure])]', '-0.0279'),
    (508, 'nudged[rival]', '0.00201'),
    (509, 'probs_fused[sure, rival]', '0.0643'),
    (545, 'q_formula', '(1 - \\varepsilon) t_i + \\frac{\\varepsilon}{V}'),
    (548, 'smoothing', '0.1'),
    (557, 'q_total', '1'),
    (572, 'q_target', '0.9037'),
    (573, 'smoothing / vocab', '0.0037'),
], [
    (183, '"yes" if torch.equal(grad_logits, in_place) else "no"'),
    (204, '"and bit for bit too" if table.all_exact else "and on this machine not bit for bit"'),
    (205, 'f"{diff_ce:.2g}"'),
    (205, 'f"{diff_chain:.2g}"'),
    (238, 'same_ce'),
    (239, 'same_chain'),
    (240, 'int(steps_chain.max())'),
    (241, 'worst_row'),
    (241, 'itos[worst_col]'),
    (242, '"the row\'s largest logit: that is the chain\'s route through logit_maxes, a few billionths that the formula leaves out" if bool(at_row_max[worst_row, worst_col]) else "which is not the row\'s largest logit"'),
    (244, 'int(steps_norm.max())'),
    (336, 'f"{worst_row_sum:.2g}"'),
    (337, 'f"{worst_row_sum64:.2g}"'),
    (343, 'f"{prob_sum_error:.2g}"'),
    (347, 'f"{worst_row_sum / (eps32 / n):.1f}"'),
    (402, 'itos[top_col]'),
    (440, 'context(sure)'),
    (441, 'itos[int(Yb[sure])]'),
    (444, 'context(unsure)'),
    (445, 'itos[int(Yb[unsure])]'),
    (478, 'itos[int(Yb[sure])]'),
    (507, 'itos[rival]'),
    (510, 'f"{nudge_gap:.1g}"'),
    (526, 'f"{fw.logit_maxes.grad.abs().max().item():.2g}"'),
    (527, '"the largest gap the steps counted above" if bool(at_row_max[worst_row, worst_col]) else "a few steps, next to the largest gap counted above"'),
])
