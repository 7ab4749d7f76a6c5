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
# *This notebook is the page [Every intermediate, by hand](https://backprop-by-hand.github.io/mlp/every-intermediate/) of Backprop by Hand, cell for cell. Run it from the top: the first cell sets up what the page needs, the last one checks every number the text states against what the code computed.*

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
# # Every intermediate, by hand
#
# > **The question**
# >
# > The exercise is to replace `loss.backward()` for the makemore MLP by hand-written
# > lines: the gradient of every tensor of the forward pass, from the loss back to the
# > embedding table, each compared with autograd. What does each line need, and how do I
# > know it is right? From `hpreact` on my comparisons print `exact: False`,
# > `approximate: True`: is my tanh line wrong? And why would `1.0 / counts_sum`, in
# > place of `counts_sum**-1`, stop the backward pass from being bit-exact?
#
# The earlier pages derived one rule each, on tensors small enough to read. This page uses
# them all on one network: the makemore MLP, walked backwards one intermediate at a time,
# 26 gradients in all, each a line or two of code with its rule
# and its shapes. The walk is cut into four stretches, each ending with a comparison against
# autograd, so that a wrong line shows up close to where it is. One table then holds every
# gradient, and the two questions about the last bits get a short answer
# ([Why the bits differ](https://backprop-by-hand.github.io/beyond/why-the-bits-differ/) has the long one).
#
# ## The data and the network
#
# The names are the first names of the 1990 US Census, from the
# `names` package on PyPI, installed with the project. `snippets.makemore` reads and
# shuffles them, builds the data sets, initialises the parameters and runs the forward pass,
# so every page of this section works on the same network and the same batch.
#
# **The set-up: names, data sets, parameters and the batch**

# %%
import re

import torch
import torch.nn.functional as F

from snippets.compare import compare_grads
from snippets.makemore import (NAMES_SOURCE, BLOCK_SIZE, N_EMBD,
                               N_HIDDEN, VOCAB_SIZE, SEED, Params,
                               load_words, splits, init_params,
                               sample_batch, forward)

words = load_words()
(Xtr, Ytr), (Xdev, Ydev), (Xte, Yte) = splits(words)
params = init_params()                   # n_hidden = 64
g = torch.Generator().manual_seed(SEED)
Xb, Yb = sample_batch(Xtr, Ytr, generator=g)   # 32 examples
n = Xb.shape[0]
census_year = int(re.search(r"\d{4}", NAMES_SOURCE).group())

print("names from:", NAMES_SOURCE)
print(f"{len(words)} names, e.g. {', '.join(words[:4])}")
print("examples: train", Xtr.shape[0], " dev", Xdev.shape[0],
      " test", Xte.shape[0])
print("batch:", list(Xb.shape), "contexts,", list(Yb.shape), "labels")
for name, p in params.items():
    print(f"  {name:7s} {list(p.shape)}")
print("parameters:", params.count)

# %% [markdown]
# There are 5,163 distinct names. Every position of every name is an
# example: the previous 3 characters are the context, the next
# character is the label, and a name's end is the character `.`. That gives
# 28,862 training examples (and 3,635 and
# 3,625 for the dev and test sets, unused here). The vocabulary has
# 27 characters, `.` and the letters. A batch is
# $n = 32$ examples drawn with a seeded generator.
#
# The network: each context character is looked up in a table `C` of
# 10 numbers per character, the 3 vectors are
# concatenated into 30 numbers, a linear layer makes
# 64 hidden units, BatchNorm normalises each unit over the batch, tanh
# squashes it, and a second linear layer makes 27 logits, one per
# possible next character. The loss is the cross-entropy of the logits against the labels,
# written out one operation per line. 4,137 parameters in all.
#
# ## The forward pass
#
# Here it is, exactly as `snippets.makemore.forward` runs it (included from the file, not
# copied). One intermediate per line, each with its shape:
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
#
# BatchNorm divides the sum of squared deviations by `n - 1` instead of `n` (Bessel's
# correction), which the [sums and means page](https://backprop-by-hand.github.io/rules/sums-and-means/#in-makemore-the-batch-variance-and-bessels-correction)
# explains. `forward` returns every intermediate and asks autograd to keep each one's
# gradient (`retain_grad`), so after `loss.backward()` each has a `.grad` to compare with;
# the dictionary `autograd` collects them. The hand-written pass gets the same tensors under
# plain names, detached, so that nothing it computes is recorded by autograd. And `check`
# sets each hand-written `grad_<name>` of this page beside autograd's gradient of the same
# tensor, with `compare_grads`:
#
# **Autograd's gradients, plain tensors for the walk, and `check`**

# %%
fw = forward(params, Xb, Yb)
fw.loss.backward()          # autograd's answers, for comparison only
named = {**dict(params.items()), **dict(fw.items())}
autograd = {name: t.grad for name, t in named.items()}

# plain tensors for the hand-written pass: no autograd from here on
(emb, embcat, hprebn, bnmeani, bndiff, bndiff2, bnvar, bnvar_inv,
 bnraw, hpreact, h, logits, logit_maxes, norm_logits, counts,
 counts_sum, counts_sum_inv, probs, logprobs, loss) = (
    t.detach() for _, t in fw.items())
C, W1, b1, W2, b2, bngain, bnbias = (p.detach() for p in params)


def check(names, caption):
    """grad_<name> of this page against autograd, for each name."""
    return compare_grads(
        {name: (globals()["grad_" + name], autograd[name])
         for name in names}, caption=caption)


uniform_loss = torch.log(torch.tensor(float(VOCAB_SIZE))).item()
print(f"loss: {loss.item():.4f}")
print(f"equal odds for all 27 characters: {uniform_loss:.4f}")

# %% [markdown]
# The loss is 3.4683, a little worse than 3.2958, the
# loss of giving each of the 27 characters the same probability: the
# network is untrained, which is fine, since what this page needs is its gradients.
#
# ## The graph
#
# Every intermediate and every parameter is a node, with its shape and its gradient as
# autograd computed it; the circles are the operations. Read it from the parameters at the
# top down to the loss for the forward pass, and upwards for the backward pass. Four tensors
# feed two operations each: `hprebn`, `bndiff`, `logits` and `counts`. Their gradients
# arrive along two paths, and the hand-written pass adds the two.

# %%
from snippets.graph import ComputationGraph

ComputationGraph.from_autograd(
    fw.loss, named, direction="TB",
    title="The makemore MLP: every intermediate and parameter",
)

# %% [markdown]
# ## The local derivatives
#
# The backward pass needs only a handful of rules, all derived on the earlier pages. Each
# step below names its rule and links to the page that derives it; here they are in one
# table, the element-wise ones checked by sympy:
#
# **The rules in one table**

# %%
import sympy as sp

p_, s_, u_, x_, v_, eps_, h_, n_ = sp.symbols("p s u x v epsilon h n")
d_log = sp.diff(sp.log(p_), p_)
d_recip = sp.diff(s_**-1, s_)
d_exp = sp.diff(sp.exp(u_), u_)
d_tanh = sp.diff(sp.tanh(x_), x_).subs(sp.tanh(x_), h_)
d_square = sp.diff(x_**2, x_)
d_inv_sqrt = sp.diff((v_ + eps_) ** sp.Rational(-1, 2), v_)
bessel = 1 / (n_ - 1)   # the variance's factor
for rule in (d_log, d_recip, d_exp, d_tanh, d_square, d_inv_sqrt):
    print(rule)

# %% [markdown]
# | forward operation | its backward rule | page |
# | --- | --- | --- |
# | `log(p)` | times $\frac{1}{p}$ | [element-wise](https://backprop-by-hand.github.io/rules/elementwise/#log-one-over-the-input) |
# | `s**-1` | times $-s^{-2}$ | [element-wise](https://backprop-by-hand.github.io/rules/elementwise/#the-reciprocal-written-two-ways) |
# | `exp(u)` | times $\exp(u)$, the output | [element-wise](https://backprop-by-hand.github.io/rules/elementwise/#exp-the-output-is-the-derivative) |
# | `h = tanh(x)` | times $1 - h^2$, from the output | [element-wise](https://backprop-by-hand.github.io/rules/elementwise/#tanh-the-derivative-read-off-the-output) |
# | `x**2` | times $2x$ | [element-wise](https://backprop-by-hand.github.io/rules/elementwise/#powers-the-exponent-comes-down) |
# | `(v + eps)**-0.5` | times $-\frac{1}{2}(v + \epsilon)^{-3/2}$ | [element-wise](https://backprop-by-hand.github.io/rules/elementwise/#powers-the-exponent-comes-down) |
# | `a * b`, `a + b`, `a - b` with a `[n, 1]` or `[1, 64]` operand | that operand's gradient summed over the copies, `keepdim=True` | [broadcasting](https://backprop-by-hand.github.io/rules/broadcasting/#the-three-broadcasts-of-the-makemore-mlp) |
# | `x.sum(dim, keepdim=True)`, a mean | the gradient copied back along `dim` (a mean divides the copy by $n$) | [sums and means](https://backprop-by-hand.github.io/rules/sums-and-means/) |
# | `a @ b` | `grad @ b.T` and `a.T @ grad` | [matrix multiply](https://backprop-by-hand.github.io/rules/matmul/#the-pattern-two-transposes-and-a-sum) |
# | `x.max(1, keepdim=True)` | a one-hot at each row's winner | [max](https://backprop-by-hand.github.io/rules/max/) |
# | `C[Xb]`, `view` | scatter-add into the rows looked up; reshape back | [embedding](https://backprop-by-hand.github.io/rules/embedding/) |
#
# And the chain rule's bookkeeping: a tensor used twice gets the **sum** of the gradients of
# its two uses ([reuse](https://backprop-by-hand.github.io/rules/elementwise/#reuse-a-tensor-used-twice)). Below,
# `grad_x` stands for the gradient of the loss with respect to `x`, written $\bar{x}$ in
# the math; it always has the shape of `x`.
#
# ## Cross-entropy, from the loss to the logits
#
# ### logprobs
#
# `loss = -logprobs[range(n), Yb].mean()` picks one entry of each row of `logprobs`
# (`[32, 27]`), the log-probability of that example's label, averages the
# 32 picked entries and negates. Each picked entry moves the loss by
# $-\frac{1}{n}$ per unit; the other 26 entries of a row are not
# used at all ([the mean in the loss](https://backprop-by-hand.github.io/rules/sums-and-means/#in-makemore-the-mean-in-the-loss)):
#
# $$
# \overline{\text{logprobs}}_{ij} = -\frac{1}{n}\,[\,j = y_i\,] .
# $$

# %%
grad_logprobs = torch.zeros_like(logprobs)           # [32, 27]
grad_logprobs[range(n), Yb] = -1.0 / n               # picked entries

# %% [markdown]
# ### probs
#
# `logprobs = probs.log()`, element by element, so each entry of `probs` (`[32, 27]`) gets
# its upstream gradient times $\frac{1}{p}$:
# $\overline{\text{probs}} = \overline{\text{logprobs}} \,/\, \text{probs}$. Only the
# picked entries are not zero: $-\frac{1}{n\,p}$, large where the network gave the right
# answer a small probability.

# %%
grad_probs = grad_logprobs / probs                   # [32, 27]

# %% [markdown]
# ### counts_sum_inv, and the first path into counts
#
# `probs = counts * counts_sum_inv` multiplies a `[32, 27]` tensor by a `[32, 1]` one:
# `counts_sum_inv` is broadcast, copied across the 27 columns. In a
# product each factor's gradient is the upstream gradient times the other factor; the
# copies of `counts_sum_inv` then add up, one sum per row with the dimension kept, back to
# `[32, 1]` ([de-broadcasting](https://backprop-by-hand.github.io/rules/broadcasting/#the-three-broadcasts-of-the-makemore-mlp)):
#
# $$
# \overline{\text{counts\_sum\_inv}}_i = \sum_j \text{counts}_{ij}\,\overline{\text{probs}}_{ij} ,
# $$
#
# $$
# \overline{\text{counts}}_{ij} \mathrel{+}= \text{counts\_sum\_inv}_i\,\overline{\text{probs}}_{ij} .
# $$
#
# `counts` is used twice, here and in `counts_sum`; this is its first share, `[32, 27]`
# already, so nothing is summed.

# %%
grad_counts_sum_inv = (counts * grad_probs).sum(1, keepdim=True)
grad_counts = counts_sum_inv * grad_probs     # [32, 27], path 1 of 2

# %% [markdown]
# ### counts_sum
#
# `counts_sum_inv = counts_sum**-1`, both `[32, 1]`: the power rule with exponent minus
# one, times $-s^{-2}$.

# %%
grad_counts_sum = -counts_sum**-2 * grad_counts_sum_inv   # [32, 1]

# %% [markdown]
# ### counts, the second path
#
# `counts_sum = counts.sum(1, keepdim=True)`: each entry of a row moved its row's sum by
# exactly one, so each gets the row sum's gradient, a copy along the row
# ([the softmax denominator](https://backprop-by-hand.github.io/rules/sums-and-means/#in-makemore-the-softmax-denominator)).
# Added to the first share, that completes `counts`' gradient
# ([a tensor used twice](https://backprop-by-hand.github.io/rules/elementwise/#reuse-a-tensor-used-twice)):
#
# $$
# \overline{\text{counts}}_{ij} = \text{counts\_sum\_inv}_i\,\overline{\text{probs}}_{ij}
#  + \overline{\text{counts\_sum}}_i .
# $$

# %%
grad_counts += grad_counts_sum    # [32, 27] += [32, 1], path 2 of 2

# %% [markdown]
# ### norm_logits
#
# `counts = norm_logits.exp()`: the derivative of exp is exp itself, which the forward
# pass already computed, `counts`.

# %%
grad_norm_logits = counts * grad_counts              # [32, 27]

# %% [markdown]
# ### logit_maxes
#
# `norm_logits = logits - logit_maxes`, `[32, 27]` minus `[32, 1]`: `logit_maxes` is
# copied across each row with a minus sign, so its gradient is minus the row sums of the
# upstream gradient, `[32, 1]`
# ([de-broadcasting](https://backprop-by-hand.github.io/rules/broadcasting/#the-smallest-case-written-out)). Those row
# sums are almost exactly zero, for reasons the
# [max page](https://backprop-by-hand.github.io/rules/max/#why-logit_maxes-gets-almost-no-gradient) explains.

# %%
grad_logit_maxes = -grad_norm_logits.sum(1, keepdim=True)   # [32, 1]

# %% [markdown]
# ### logits, along two paths
#
# `logits` (`[32, 27]`) feeds the subtraction directly, with local derivative one, and the
# max: `logit_maxes = logits.max(1, keepdim=True).values` sends each row's gradient to the
# entry that won the row, a one-hot times `grad_logit_maxes`
# ([max and its one-hot](https://backprop-by-hand.github.io/rules/max/#the-derivation-one-winner-per-row)). The two
# shares add:

# %%
winners = logits.max(1).indices                      # [32]
grad_logits = grad_norm_logits.clone()               # path 1 of 2
grad_logits += F.one_hot(winners, VOCAB_SIZE) * grad_logit_maxes

# %% [markdown]
# ### Check: the cross-entropy

# %%
ce_table = check(["logprobs", "probs", "counts_sum_inv", "counts_sum",
                  "counts", "norm_logits", "logit_maxes", "logits"],
                 "Cross-entropy")
ce_table

# %% [markdown]
# `"Every row is close and bit-exact, as in the learner's notebook" if ce_table.all_exact else "Every row is close, though here not every row is bit-exact"`:
# each line does autograd's arithmetic in autograd's order
# ([why that is what bit-exact takes](https://backprop-by-hand.github.io/beyond/why-the-bits-differ/#same-operations-same-order)).
#
# ## The second linear layer and tanh
#
# ### h, W2 and b2
#
# `logits = h @ W2 + b2`: `[32, 64] @ [64, 27]`, plus `b2` of shape `[27]` added to every
# row. The [matrix multiply rule](https://backprop-by-hand.github.io/rules/matmul/#the-pattern-two-transposes-and-a-sum):
# each operand's gradient is the upstream gradient multiplied by the *other* operand,
# transposed, on the side where the shapes fit. The bias was copied down the
# 32 rows (a broadcast that added a leading dimension), so its gradient is the
# sum over the rows, without `keepdim`:
#
# $$
# \begin{aligned}
# \bar{h} &= \overline{\text{logits}}\; W_2^{\top} ,\\
# \bar{W}_2 &= h^{\top}\; \overline{\text{logits}} ,\\
# \bar{b}_2 &= \textstyle\sum_i \overline{\text{logits}}_{i,:} .
# \end{aligned}
# $$

# %%
grad_h = grad_logits @ W2.T      # [32, 27] @ [27, 64] -> [32, 64]
grad_W2 = h.T @ grad_logits      # [64, 32] @ [32, 27] -> [64, 27]
grad_b2 = grad_logits.sum(0)     # [32, 27] -> [27]

# %% [markdown]
# ### hpreact
#
# `h = torch.tanh(hpreact)`, `[32, 64]`, element by element: times
# $1 - h^2$, read off the output `h`.

# %%
grad_hpreact = (1 - h**2) * grad_h                   # [32, 64]

# %% [markdown]
# ### Check: the second layer and tanh

# %%
layer2_table = check(["h", "W2", "b2", "hpreact"],
                     "Second linear layer and tanh")
layer2_table

# %% [markdown]
# All close, and `hpreact` is `"bit-exact on this machine, unlike in the learner's notebook" if layer2_table["hpreact"].exact else "off in the last bits here, as in the learner's notebook"`
# ([the short answer](#why-some-rows-are-not-bit-exact) comes after the walk).
#
# ## BatchNorm
#
# ### bngain, bnbias and bnraw
#
# `hpreact = bngain * bnraw + bnbias`: `bnraw` is `[32, 64]`, `bngain` and `bnbias` are
# `[1, 64]`, one per hidden unit, copied down the 32 rows. The same pattern as
# `counts_sum_inv`, now along the other dimension: the gain's gradient is `bnraw` times the
# upstream gradient, summed down the rows with the dimension kept; the bias's is the upstream
# gradient summed the same way; `bnraw`'s is the gain times the upstream gradient
# ([the three broadcasts](https://backprop-by-hand.github.io/rules/broadcasting/#the-three-broadcasts-of-the-makemore-mlp)).

# %%
grad_bngain = (bnraw * grad_hpreact).sum(0, keepdim=True)   # [1, 64]
grad_bnbias = grad_hpreact.sum(0, keepdim=True)             # [1, 64]
grad_bnraw = bngain * grad_hpreact                          # [32, 64]

# %% [markdown]
# ### bnvar_inv, and the first path into bndiff
#
# `bnraw = bndiff * bnvar_inv`, `[32, 64]` times `[1, 64]`: the product rule again, the
# `[1, 64]` factor summed down the rows. `bndiff` is used twice (here and in `bndiff2`);
# this is its first share.

# %%
grad_bnvar_inv = (bndiff * grad_bnraw).sum(0, keepdim=True)
grad_bndiff = bnvar_inv * grad_bnraw          # [32, 64], path 1 of 2

# %% [markdown]
# ### bnvar
#
# `bnvar_inv = (bnvar + 1e-5) ** -0.5`, `[1, 64]`: the power rule with exponent minus one
# half, times $-\frac{1}{2}(v + \epsilon)^{-3/2}$. The added $\epsilon$
# has derivative one and passes the gradient through.

# %%
grad_bnvar = -0.5 * (bnvar + 1e-5) ** -1.5 * grad_bnvar_inv  # [1, 64]

# %% [markdown]
# ### bndiff2
#
# `bnvar = 1 / (n - 1) * bndiff2.sum(0, keepdim=True)`: a sum down the rows, then Bessel's
# factor. Each entry of `bndiff2` (`[32, 64]`) moved its column's variance by
# $\frac{1}{n - 1}$ per unit, so it gets its column's gradient times that factor, copied down
# the rows ([the batch variance](https://backprop-by-hand.github.io/rules/sums-and-means/#in-makemore-the-batch-variance-and-bessels-correction)).
# The factor is multiplied, as the forward pass multiplied it, not divided, so that it
# rounds as autograd does ([why that matters](https://backprop-by-hand.github.io/beyond/why-the-bits-differ/#a-constant-rounded-differently)).

# %%
grad_bndiff2 = (1 / (n - 1) * grad_bnvar).expand_as(bndiff2)

# %% [markdown]
# ### bndiff, the second path
#
# `bndiff2 = bndiff**2`: times $2x$. Added to the first share:

# %%
grad_bndiff += 2 * bndiff * grad_bndiff2      # [32, 64], path 2 of 2

# %% [markdown]
# ### bnmeani, and the first path into hprebn
#
# `bndiff = hprebn - bnmeani`, `[32, 64]` minus `[1, 64]`: `hprebn` gets the upstream
# gradient unchanged (local derivative one); `bnmeani` was copied down the rows with a minus
# sign, so it gets minus the column sums.

# %%
grad_bnmeani = -grad_bndiff.sum(0, keepdim=True)     # [1, 64]
grad_hprebn = grad_bndiff.clone()             # [32, 64], path 1 of 2

# %% [markdown]
# ### hprebn, the second path
#
# `bnmeani = 1 / n * hprebn.sum(0, keepdim=True)`: the batch mean of each unit. Every entry
# of a column moved that column's mean by $\frac{1}{n}$ per unit, so it gets the mean's
# gradient divided by $n$, copied down the rows
# ([the batch mean](https://backprop-by-hand.github.io/rules/sums-and-means/#in-makemore-the-batch-mean)):

# %%
grad_hprebn += 1 / n * grad_bnmeani    # [32, 64] += [1, 64], path 2

# %% [markdown]
# ### Check: BatchNorm

# %%
bn_table = check(["bngain", "bnbias", "bnraw", "bnvar_inv", "bnvar",
                  "bndiff2", "bndiff", "bnmeani", "hprebn"],
                 "BatchNorm")
bn_table

# %% [markdown]
# All close, so every line is right; `sum(r.exact for r in bn_table)` of the
# 9 rows are also bit-exact on this machine
# ([which, and why](#why-some-rows-are-not-bit-exact)).
#
# ## The first linear layer and the embedding
#
# ### embcat, W1 and b1
#
# `hprebn = embcat @ W1 + b1`: `[32, 30] @ [30, 64]` plus `b1` of shape `[64]`. The same
# rule as the second layer:
#
# $$
# \begin{aligned}
# \overline{\text{embcat}} &= \overline{\text{hprebn}}\; W_1^{\top} ,\\
# \bar{W}_1 &= \text{embcat}^{\top}\; \overline{\text{hprebn}} ,\\
# \bar{b}_1 &= \textstyle\sum_i \overline{\text{hprebn}}_{i,:} .
# \end{aligned}
# $$

# %%
grad_embcat = grad_hprebn @ W1.T    # [32, 64] @ [64, 30] -> [32, 30]
grad_W1 = embcat.T @ grad_hprebn    # [30, 32] @ [32, 64] -> [30, 64]
grad_b1 = grad_hprebn.sum(0)        # [32, 64] -> [64]

# %% [markdown]
# ### emb
#
# `embcat = emb.view(n, -1)` only gives the 960 numbers of `emb`
# (`[32, 3, 10]`) new positions in `embcat` (`[32, 30]`). Each number is where it was, so
# its gradient is too: reshape back
# ([the view](https://backprop-by-hand.github.io/rules/embedding/#the-view-a-reshape-moves-no-numbers)).

# %%
grad_emb = grad_embcat.view(emb.shape)   # [32, 30] -> [32, 3, 10]

# %% [markdown]
# ### C
#
# `emb = C[Xb]` copies rows of the table `C` (`[27, 10]`): one row for each of the
# 96 context positions of the batch. A row of `C` looked up several times
# reaches the loss along several paths, so its gradient is the sum of the gradients of all
# its copies: a scatter-add ([embedding lookup](https://backprop-by-hand.github.io/rules/embedding/#index_add_-the-same-loop-inside-torch)).
# In this batch the row of `.`, which pads the start of every name, is looked up
# 33 times; 8 rows are not looked up at all, and their
# gradient is zero.

# %%
rows = grad_emb.view(-1, N_EMBD)          # [96, 10], one per lookup
grad_C = torch.zeros_like(C).index_add(0, Xb.view(-1), rows)

uses = torch.bincount(Xb.view(-1), minlength=VOCAB_SIZE)   # [27]
dot_uses = uses[0].item()
unused_rows = int((uses == 0).sum())

# %% [markdown]
# ### Check: the first layer and the embedding

# %%
layer1_table = check(["embcat", "W1", "b1", "emb", "C"],
                     "First linear layer and embedding")
layer1_table

# %% [markdown]
# That is the last line of the walk: every parameter and every intermediate has its
# gradient, and every one is close to autograd's.
#
# ## All of them at once
#
# The whole backward pass, 26 gradients: the
# 19 intermediates (all but the loss) and the
# 7 parameters, in the walk's order, with torch `torch.__version__`:

# %%
from snippets.makemore import INTERMEDIATES

walked = [row.name for table in (ce_table, layer2_table, bn_table,
                                 layer1_table) for row in table]
everything = check(walked, "Every gradient of the makemore MLP, "
                           "by hand vs autograd")
inexact = [row.name for row in everything if not row.exact]
everything

# %% [markdown]
# Every row is close, and the largest difference anywhere is
# `f"{max(r.max_abs_diff for r in everything):.2g}"`; `len(everything) - len(inexact)`
# rows are bit for bit, and `len(inexact)` are not: `", ".join(inexact) if inexact else "none"`.
#
# The same lines, gathered in one function, are `snippets.makemore.backward_by_hand`: the
# [tensor engine](https://backprop-by-hand.github.io/autograd/tensor-engine/) compares itself with them. They give this
# page's gradients to the bit, 26 of them:

# %%
from snippets.makemore import backward_by_hand

gathered = backward_by_hand(params, fw, Xb, Yb)
same_bits = sum(torch.equal(gathered[name], eval(f"grad_{name}"))
                for name in walked)

# %% [markdown]
# ## Why some rows are not bit-exact
#
# **The tanh line is right.** Every row is close, so every line computes the right
# gradient; `"the first row that is not bit-exact here is " + inexact[0] if inexact else "here every row is bit-exact as well"`.
# A row misses the last bits when its own line rounds differently from autograd's formula,
# or when the upstream gradient it is handed already differs, and every row below `hpreact`
# is computed from `grad_hpreact`. tanh's line is autograd's formula, `grad * (1 - h * h)`,
# but autograd runs it in a compiled kernel whose roundings need not be the line's two
# ([Why the bits differ](https://backprop-by-hand.github.io/beyond/why-the-bits-differ/#one-line-handed-down) feeds each
# line autograd's own upstream gradient to find which lines round on their own).
#
# **The reciprocal's spelling picks its backward formula.** `counts_sum**-1` and
# `1.0 / counts_sum` give the same forward values, but autograd records a different node for
# each: the power's computes `s.pow(-2)`, as the hand-written line does; the reciprocal's
# squares its own rounded output. A hand-written line can match one of them to the bit and
# the other only closely, and a difference at `counts_sum` rides down into every row below
# it ([measured](https://backprop-by-hand.github.io/beyond/why-the-bits-differ/#another-spelling-another-formula)).
#
# ## A nudge
#
# `grad_C`, the walk's last line, sits at the end of every rule on this page. Turn
# `C[0, 0]` (the row of `.`, the most used) a little, in float64 so that rounding does not
# blur it, and the loss should move by its gradient times the turn.
#
# **The nudge, in float64**

# %%
params64 = Params(**{k: v.detach().double() for k, v in params.items()})
loss64 = forward(params64, Xb, Yb).loss.item()

nudge = 1e-6
params64.C[0, 0] += nudge
loss64_nudged = forward(params64, Xb, Yb).loss.item()
params64.C[0, 0] -= nudge

moved = loss64_nudged - loss64
predicted = grad_C[0, 0].item() * nudge
print(f"loss, float64:        {loss64:.10f}")
print(f"loss moved by:        {moved:.6e}")
print(f"grad_C[0, 0] x nudge: {predicted:.6e}")

# %% [markdown]
# Turned by a millionth, the loss moved by 1.634e-8, and the hand-written
# gradient, 0.01634, times the turn predicts 1.634e-8.
# That one number went through all 26 steps of the walk, and
# collected 33 contributions in the scatter-add.
#
# > **The rule to remember**
# >
# > Walk the forward pass backwards, one line at a time: each tensor's gradient is its
# > output's gradient times the local derivative, summed back to its own shape, and summed
# > over every use of it.
#
# ## Exercise
#
# > **Do it yourself in a notebook**
# >
# > This page's walk, as [a notebook to fill in](https://backprop-by-hand.github.io/mlp/exercises/every-intermediate.ipynb),
# > with a check after each stretch; its page shows the worked solution, and its buttons
# > download the blank exercise or open it in Colab.
#
# Four tensors of the network are used twice: `counts`, `logits`, `bndiff` and `hprebn`.
# Suppose you forget the second path of each, one at a time (keep only the line marked
# `path 1 of 2`). Which of the four would still pass `compare_grads`, which only asks for
# *close*? Predict first, then measure, and say why the survivor survives.
#
# **Solution**
#
# Only `logits`. The path it loses is the max path, which carries `grad_logit_maxes`, and
# that gradient is only rounding noise: the row sums of `grad_norm_logits` would be zero with
# exact arithmetic ([why](https://backprop-by-hand.github.io/rules/max/#why-logit_maxes-gets-almost-no-gradient)). Leaving
# it out changes `logits`' gradient by at most `f"{one_path['logits'].max_abs_diff:.1e}"`,
# inside `torch.allclose`'s tolerance (`1e-8`, plus `1e-5` times the size of the entry). The other three lose a real share:
# `counts` the sum path, `bndiff` the variance path and `hprebn` the mean path, and they miss
# by up to `f"{one_path['counts'].max_abs_diff:.1e}"`,
# `f"{one_path['bndiff'].max_abs_diff:.1e}"` and
# `f"{one_path['hprebn'].max_abs_diff:.1e}"`. The survivor is a warning: *close* can
# hide a missing path when that path's gradient is tiny, and only the *exact* column
# notices.

# %%
from snippets.compare import Comparison, ComparisonTable

first_paths = {
    "counts": counts_sum_inv * grad_probs,
    "logits": grad_norm_logits,
    "bndiff": bnvar_inv * grad_bnraw,
    "hprebn": grad_bndiff,
}
one_path = ComparisonTable(
    Comparison.of(name, first, autograd[name])
    for name, first in first_paths.items())
one_path.caption = "Only the first path"
survivors = [row.name for row in one_path if row.close]
print("still close:", survivors)
assert survivors == ["logits"]
one_path

# %%
# Every number the text above states, checked against what the code computed (as
# the site's build checks them). Lines are the page's own.
from pagecheck.notebook import check_page

check_page(globals(), [
    (21, 'len(everything)', '26'),
    (29, 'census_year', '1990'),
    (68, 'len(words)', '5,163'),
    (69, 'BLOCK_SIZE', '3'),
    (71, 'Xtr.shape[0]', '28,862'),
    (71, 'Xdev.shape[0]', '3,635'),
    (72, 'Xte.shape[0]', '3,625'),
    (73, 'VOCAB_SIZE', '27'),
    (74, 'n', '32'),
    (77, 'N_EMBD', '10'),
    (77, 'BLOCK_SIZE', '3'),
    (78, 'embcat.shape[1]', '30'),
    (79, 'N_HIDDEN', '64'),
    (80, 'VOCAB_SIZE', '27'),
    (82, 'params.count', '4,137'),
    (132, 'loss', '3.4683'),
    (132, 'uniform_loss', '3.2958'),
    (133, 'VOCAB_SIZE', '27'),
    (178, 'd_log', '\\frac{1}{p}'),
    (179, 'd_recip', '-s^{-2}'),
    (180, 'd_exp', '\\exp(u)'),
    (181, 'd_tanh', '1 - h^2'),
    (182, 'd_square', '2x'),
    (183, 'd_inv_sqrt', '-\\frac{1}{2}(v + \\epsilon)^{-3/2}'),
    (203, 'n', '32'),
    (204, 'VOCAB_SIZE - 1', '26'),
    (219, 'd_log', '\\frac{1}{p}'),
    (231, 'VOCAB_SIZE', '27'),
    (255, 'd_recip', '-s^{-2}'),
    (335, 'n', '32'),
    (355, 'd_tanh', '1 - h^2'),
    (377, 'n', '32'),
    (403, 'd_inv_sqrt', '-\\frac{1}{2}(v + \\epsilon)^{-3/2}'),
    (414, 'bessel', '\\frac{1}{n - 1}'),
    (425, 'd_square', '2x'),
    (463, 'len(bn_table)', '9'),
    (489, 'emb.numel()', '960'),
    (501, 'Xb.numel()', '96'),
    (505, 'dot_uses', '33'),
    (505, 'unused_rows', '8'),
    (530, 'len(everything)', '26'),
    (531, 'len(INTERMEDIATES) - 1', '19'),
    (532, 'len(list(params))', '7'),
    (551, 'same_bits', '26'),
    (605, 'moved', '1.634e-8'),
    (606, 'grad_C[0, 0]', '0.01634'),
    (606, 'predicted', '1.634e-8'),
    (607, 'len(everything)', '26'),
    (608, 'dot_uses', '33'),
], [
    (323, '"Every row is close and bit-exact, as in the learner\'s notebook" if ce_table.all_exact else "Every row is close, though here not every row is bit-exact"'),
    (369, '"bit-exact on this machine, unlike in the learner\'s notebook" if layer2_table["hpreact"].exact else "off in the last bits here, as in the learner\'s notebook"'),
    (462, 'sum(r.exact for r in bn_table)'),
    (532, 'torch.__version__'),
    (546, 'f"{max(r.max_abs_diff for r in everything):.2g}"'),
    (546, 'len(everything) - len(inexact)'),
    (547, 'len(inexact)'),
    (547, '", ".join(inexact) if inexact else "none"'),
    (564, '"the first row that is not bit-exact here is " + inexact[0] if inexact else "here every row is bit-exact as well"'),
    (635, 'f"{one_path[\'logits\'].max_abs_diff:.1e}"'),
    (638, 'f"{one_path[\'counts\'].max_abs_diff:.1e}"'),
    (639, 'f"{one_path[\'bndiff\'].max_abs_diff:.1e}"'),
    (640, 'f"{one_path[\'hprebn\'].max_abs_diff:.1e}"'),
])
