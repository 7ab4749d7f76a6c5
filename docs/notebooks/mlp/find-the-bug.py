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
# *This notebook is the page [Find the bug](https://backprop-by-hand.github.io/mlp/find-the-bug/) of Backprop by Hand, cell for cell. Run it from the top: the first cell sets up what the page needs, the last one checks every number the text states against what the code computed.*

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
# # Find the bug
#
# > **The question**
# >
# > I wrote the backward pass of the makemore MLP myself, and the comparison with autograd
# > does not come out right. Sometimes a row says `NO` under *close*, sometimes several
# > rows do, sometimes there is no table at all, only a shape error from a line that looks
# > fine to me. How do I get from what the comparison reports to the line that is wrong?
#
# By practice. Below are seven stretches of the backward pass of the
# [every-intermediate page](https://backprop-by-hand.github.io/mlp/every-intermediate/), each with one wrong line in it, a
# mistake learners really make. Each stretch starts from autograd's own gradient of the
# tensor above it, so whatever goes wrong goes wrong inside the stretch. Read the code, run
# it in your head or in a notebook, read what the comparison reports, and decide which line
# is wrong and what it should say before you open the answer. The last section collects
# what the seven tables teach about reading a comparison.
#
# ## The set-up
#
# The network, the batch and autograd's gradients are those of the
# [every-intermediate page](https://backprop-by-hand.github.io/mlp/every-intermediate/#the-forward-pass): the makemore MLP at its
# initial weights and a batch of 32 examples from `snippets.makemore`. The
# forward pass, with the shape of every tensor, is worth keeping open while you hunt:
#
# **The forward pass in `snippets/makemore.py`, with shapes**
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
# **Set-up: data, parameters, autograd's gradients, plain tensors**

# %%
import torch
import torch.nn.functional as F

from snippets.compare import (Comparison, ComparisonTable,
                              GradientMismatch, compare_grads)
from snippets.makemore import (SEED, VOCAB_SIZE, load_words, splits,
                               init_params, sample_batch, forward)

words = load_words()
(Xtr, Ytr), _, _ = splits(words)
params = init_params()                   # n_hidden = 64
g = torch.Generator().manual_seed(SEED)
Xb, Yb = sample_batch(Xtr, Ytr, generator=g)   # 32 examples
n = Xb.shape[0]

fw = forward(params, Xb, Yb)
fw.loss.backward()           # autograd's gradients: the right answers
named = {**dict(params.items()), **dict(fw.items())}
autograd = {name: t.grad for name, t in named.items()}

# plain tensors for the hand-written lines: no autograd from here on
(emb, embcat, hprebn, bnmeani, bndiff, bndiff2, bnvar, bnvar_inv,
 bnraw, hpreact, h, logits, logit_maxes, norm_logits, counts,
 counts_sum, counts_sum_inv, probs, logprobs, loss) = (
    t.detach() for _, t in fw.items())
C, W1, b1, W2, b2, bngain, bnbias = (p.detach() for p in params)
print(f"batch: {n} examples, loss {loss.item():.4f}")


# %% [markdown]
# `compare_grads` stops at the first gradient that is not close, which is what a finished
# backward pass wants. While hunting a bug it is more useful to see every row at once, so
# this page compares each stretch with `check`: the same rows, made by the same
# `Comparison.of`, but a wrong row is reported instead of raised, and a gradient of the wrong
# shape is printed with the message the shape check gives (`GradientMismatch`, the only
# error it catches):

# %%
def check(mine, caption):
    """Each of my gradients against autograd's; report, never raise."""
    table = ComparisonTable()
    table.caption = caption
    for name, grad in mine.items():
        try:
            table.append(Comparison.of(name, grad, autograd[name]))
        except GradientMismatch as wrong_shape:
            print(wrong_shape)
    return table


# %% [markdown]
# In every stretch, `mine` holds the hand-written gradients by tensor name, and
# `autograd[...]` is the right gradient arriving from above.
#
# ## The second linear layer
#
# `logits = h @ W2 + b2`, and the gradient of `logits` is autograd's. Three lines for the
# three operands:

# %%
mine = {}
try:
    mine["h"] = autograd["logits"] @ W2
    mine["W2"] = h.T @ autograd["logits"]
    mine["b2"] = autograd["logits"].sum(0)
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# Nothing reached the comparison: torch refused to run one of the products. (The fences on
# this page catch the error so that the page can show it; in a notebook it is the last line
# of the traceback.) The message names two shapes and no tensor. **Which line is wrong, and
# what should it say?**
#
# **Answer**
#
# The line of `h`. The upstream gradient is [32, 27]
# and `W2` is [64, 27]: those are the two shapes of the message, so
# the product is `autograd["logits"] @ W2`, and the line of `W2`, whose operands are
# `[64, 32]` and `[32, 27]`, is not involved. The transpose of `W2` is missing. The
# [matrix multiply rule](https://backprop-by-hand.github.io/rules/matmul/#the-pattern-two-transposes-and-a-sum): each
# operand's gradient is the upstream gradient times the *other* operand, transposed, on the
# side where the shapes fit. `h` is [32, 64], so the two sizes
# 27 have to meet in the middle:

# %%
grad_h = autograd["logits"] @ W2.T   # [32, 27] @ [27, 64] -> [32, 64]
grad_W2 = h.T @ autograd["logits"]   # [64, 32] @ [32, 27] -> [64, 27]
grad_b2 = autograd["logits"].sum(0)  # [32, 27] -> [27]
compare_grads({
    "h": (grad_h, autograd["h"]),
    "W2": (grad_W2, autograd["W2"]),
    "b2": (grad_b2, autograd["b2"]),
}, caption="The second linear layer, fixed")

# %% [markdown]
# With these shapes a forgotten transpose cannot go unnoticed: no two of `h`, `W2` and the
# upstream gradient have a shape in common, so the wrong product does not even run. Writing
# the shapes next to each line, as the comment does here, finds it before torch does.
#
# ## The first linear layer
#
# `hprebn = embcat @ W1 + b1`, with `b1` added to every row:

# %%
mine = {}
mine["embcat"] = autograd["hprebn"] @ W1.T
mine["W1"] = embcat.T @ autograd["hprebn"]
mine["b1"] = autograd["hprebn"].sum(1)
layer1_check = check(mine, "The first linear layer, as written")
layer1_check

# %% [markdown]
# Two rows agree to the bit; the third never made it into the table. **Which line is
# wrong?** That one is easy; the real question is what the line should sum over, and why.
#
# **Answer**
#
# The line of `b1`. The bias is one number per hidden unit, [64],
# and the forward pass copied it down the rows, once for each of the 32
# examples. Its gradient is the sum of the gradients of its copies: a sum down the rows, over
# `dim=0`, the batch ([de-broadcasting](https://backprop-by-hand.github.io/rules/broadcasting/#the-three-broadcasts-of-the-makemore-mlp)).
# Summed over `dim=1`, each example's 64 units were added up
# instead, one number per example, [32]:
# a sum that means nothing here.

# %%
grad_b1 = autograd["hprebn"].sum(0)   # [32, 64] -> [64]
compare_grads({"b1": (grad_b1, autograd["b1"])},
              caption="The bias, fixed")

# %% [markdown]
# A bias's gradient is summed over the dimension the bias was copied along, and that
# dimension is the one its shape does not have.
#
# ## The softmax's denominator
#
# `probs = counts * counts_sum_inv`, `counts_sum_inv = counts_sum**-1` and
# `counts_sum = counts.sum(1, keepdim=True)`; `counts` is used twice, so its gradient
# arrives along two paths:

# %%
mine = {}
mine["counts_sum_inv"] = (counts * autograd["probs"]).sum(1)
mine["counts"] = counts_sum_inv * autograd["probs"]
mine["counts_sum"] = -counts_sum**-2 * mine["counts_sum_inv"]
try:
    mine["counts"] += mine["counts_sum"]
except RuntimeError as err:
    print("RuntimeError:", err)
softmax_check = check(mine, "The softmax's denominator, as written")
softmax_check

# %% [markdown]
# The error comes from the `+=`, the second path into `counts`, and the comparison adds two
# shape mismatches and a row that is not close. **Is the `+=` wrong? If not, which line
# is?**
#
# **Answer**
#
# The `+=` is right; the line of `counts_sum_inv` is wrong. `.sum(1)` without
# `keepdim=True` gives one number per example in a vector of shape
# [32], where `counts_sum_inv` is a
# column, [32, 1]. Nothing complains yet. The line of
# `counts_sum` multiplies that vector by `counts_sum**-2`, a column, and broadcasting lines
# the vector up as a *row*: every entry of the column times every entry of the vector, a
# [32, 32] table
# of products that mean nothing, still without an error. Only the `+=` cannot broadcast that
# into `counts`' [32, 27], and its message names the size
# 32 in dimension `1`, where `counts_sum` has size `1`. The `counts` row is not
# close simply because its second path never arrived. Keep the dimension, and every line
# after it is right:

# %%
grad_counts_sum_inv = (counts * autograd["probs"]).sum(1, keepdim=True)
grad_counts = counts_sum_inv * autograd["probs"]      # path 1 of 2
grad_counts_sum = -counts_sum**-2 * grad_counts_sum_inv   # [32, 1]
grad_counts += grad_counts_sum                        # path 2 of 2
compare_grads({
    "counts_sum_inv": (grad_counts_sum_inv, autograd["counts_sum_inv"]),
    "counts": (grad_counts, autograd["counts"]),
    "counts_sum": (grad_counts_sum, autograd["counts_sum"]),
}, caption="The softmax's denominator, fixed")

# %% [markdown]
# A shape error is raised where the shapes finally cannot be reconciled, which can be
# several lines after the line that made the wrong shape. A `[32, 32]` in a network that has
# no `[32, 32]` tensor is the mark of a `[32]` that met a `[32, 1]`.
#
# ## The top of the loss
#
# `loss = -logprobs[range(n), Yb].mean()`, then `logprobs = probs.log()`, then the product
# that makes `probs`. Here the gradient of the loss itself is one, and the stretch starts from
# the top:

# %%
mine = {}
mine["logprobs"] = torch.zeros_like(logprobs)
mine["logprobs"][range(n), Yb] = -1.0
mine["probs"] = mine["logprobs"] / probs
mine["counts_sum_inv"] = (counts * mine["probs"]).sum(1, keepdim=True)
top_check = check(mine, "The top of the loss, as written")
top_check

# %% [markdown]
# Every row fails. **Which line is wrong?** A hint: divide one of your gradients by
# autograd's.
#
# **Answer**
#
# The line that fills in the picked entries: they should be `-1.0 / n`. The loss is the
# *mean* over the 32 examples, so each picked log-probability moves it by
# $-\frac{1}{n}$ per unit, not by minus one
# ([the mean in the loss](https://backprop-by-hand.github.io/rules/sums-and-means/#in-makemore-the-mean-in-the-loss)).
# Every gradient below is proportional to that first one, so all of them come out the same
# factor too large:

# %%
top_ratios = [(mine[name].sum() / autograd[name].sum()).item()
              for name in mine]
print("mine / autograd's, row by row:",
      ", ".join(f"{ratio:.6g}" for ratio in top_ratios))

grad_logprobs = torch.zeros_like(logprobs)
grad_logprobs[range(n), Yb] = -1.0 / n     # the mean's 1/n
grad_probs = grad_logprobs / probs
grad_counts_sum_inv = (counts * grad_probs).sum(1, keepdim=True)
compare_grads({
    "logprobs": (grad_logprobs, autograd["logprobs"]),
    "probs": (grad_probs, autograd["probs"]),
    "counts_sum_inv": (grad_counts_sum_inv, autograd["counts_sum_inv"]),
}, caption="The top of the loss, fixed")

# %% [markdown]
# The ratios are [32, 32, 32]: 32 in every row. When every
# row fails by the same factor, look for a constant at the top, and the batch size is the
# likeliest.
#
# ## Through tanh
#
# `h = torch.tanh(hpreact)`, then `hpreact = bngain * bnraw + bnbias`:

# %%
mine = {}
mine["hpreact"] = (1 - hpreact**2) * autograd["h"]
mine["bngain"] = (bnraw * mine["hpreact"]).sum(0, keepdim=True)
mine["bnbias"] = mine["hpreact"].sum(0, keepdim=True)
mine["bnraw"] = bngain * mine["hpreact"]
tanh_check = check(mine, "Through tanh, as written")
tanh_check

# %% [markdown]
# Again every row fails, but not by one factor. **Which line is wrong?** Read the rows in the
# order of the lines.
#
# **Answer**
#
# The line of `hpreact`. The derivative of `tanh(x)` is `1 - tanh(x)**2`, and `tanh(x)` is
# the output `h`, not the input `hpreact`: the slope is read off the output, `1 - h**2`
# ([the tanh rule](https://backprop-by-hand.github.io/rules/elementwise/#tanh-the-derivative-read-off-the-output)).
# `hpreact` goes up to 3.66 in size; in
# 640 of its 2,048
# entries it is larger than one, and there `1 - hpreact**2` is negative, a slope tanh
# never has. The rows after it were handed that wrong gradient: their own lines are right.

# %%
grad_hpreact = (1 - h**2) * autograd["h"]          # from the output
grad_bngain = (bnraw * grad_hpreact).sum(0, keepdim=True)
grad_bnbias = grad_hpreact.sum(0, keepdim=True)
grad_bnraw = bngain * grad_hpreact
compare_grads({
    "hpreact": (grad_hpreact, autograd["hpreact"]),
    "bngain": (grad_bngain, autograd["bngain"]),
    "bnbias": (grad_bnbias, autograd["bnbias"]),
    "bnraw": (grad_bnraw, autograd["bnraw"]),
}, caption="Through tanh, fixed")

# %% [markdown]
# All close. Whether they are also bit-exact depends on the machine: the hand-written tanh
# line may round once more than autograd's kernel, which is rounding, not a bug
# ([why](https://backprop-by-hand.github.io/beyond/why-the-bits-differ/#one-rounding-instead-of-two)). One wrong line made
# 4 rows fail. The rows below the first
# failure were computed from it, so they tell you nothing until it is fixed.
#
# ## The batch variance
#
# `bnvar_inv = (bnvar + 1e-5)**-0.5`, and before it
# `bnvar = 1 / (n - 1) * bndiff2.sum(0, keepdim=True)`, the batch variance of each hidden
# unit:

# %%
mine = {}
mine["bnvar_inv"] = (bndiff * autograd["bnraw"]).sum(0, keepdim=True)
mine["bnvar"] = -0.5 * (bnvar + 1e-5) ** -1.5 * mine["bnvar_inv"]
mine["bndiff2"] = (1 / n * mine["bnvar"]).expand_as(bndiff2)
variance_check = check(mine, "The batch variance, as written")
variance_check

# %% [markdown]
# One row fails, by a max |diff| of only
# `f"{variance_check[2].max_abs_diff:.1e}"`. **Is that a bug, or rounding?** And if it
# is a bug, what is it?
#
# **Answer**
#
# A bug, in the line of `bndiff2`. The forward pass divides the sum of squares by `n - 1`,
# not by `n` (Bessel's correction, explained on the
# [sums and means page](https://backprop-by-hand.github.io/rules/sums-and-means/#in-makemore-the-batch-variance-and-bessels-correction)),
# so each entry of `bndiff2` moved the variance by $\frac{1}{31}$ per
# unit, and the backward pass must use the same factor. The difference looks small only
# because the gradients are small: autograd's are at most
# `f"{autograd['bndiff2'].abs().max():.1e}"` in size. *Close* is measured against the
# size of each entry, and divided by autograd's, every entry of the row is off by the same
# fraction:

# %%
variance_ratio = (mine["bndiff2"] / autograd["bndiff2"]).median()
print(f"mine / autograd's: {variance_ratio.item():.6f}")

grad_bndiff2 = (1 / (n - 1) * autograd["bnvar"]).expand_as(bndiff2)
compare_grads({"bndiff2": (grad_bndiff2, autograd["bndiff2"])},
              caption="The batch variance, fixed")

# %% [markdown]
# The ratio is 31/32, that is `(n - 1) / n`: `1 / n` where
# `1 / (n - 1)` belonged, and every entry is 3.1
# per cent too small. Rounding disturbs only the last of float32's digits; the same few per
# cent in every entry is never rounding.
#
# ## From bndiff down to hprebn
#
# `bndiff = hprebn - bnmeani` feeds two operations, `bnraw = bndiff * bnvar_inv` and
# `bndiff2 = bndiff**2`. Below it, `bnmeani` is the mean of `hprebn`, which is used twice as
# well:

# %%
mine = {}
mine["bndiff"] = bnvar_inv * autograd["bnraw"]
mine["bndiff"] = 2 * bndiff * autograd["bndiff2"]
mine["bnmeani"] = -mine["bndiff"].sum(0, keepdim=True)
mine["hprebn"] = mine["bndiff"].clone()
mine["hprebn"] += 1 / n * mine["bnmeani"]
paths_check = check(mine, "From bndiff to hprebn, as written")
paths_failing = [row.name for row in paths_check if not row.close]
paths_check

# %% [markdown]
# All 3 rows fail: `", ".join(paths_failing)`. **Which
# line is wrong?**
#
# **Answer**
#
# The second line of `bndiff`: `=` where `+=` belongs. `bndiff` reaches the loss along two
# paths, through `bnraw` and through `bndiff2`, and its gradient is the sum of the two
# ([a tensor used twice](https://backprop-by-hand.github.io/rules/elementwise/#reuse-a-tensor-used-twice)). The second
# assignment threw the first path away. The lines of `bnmeani` and `hprebn` are right; they
# were handed part of a gradient.

# %%
lost = (bnvar_inv * autograd["bnraw"]).norm()       # the path lost
kept = (2 * bndiff * autograd["bndiff2"]).norm()    # the path kept

grad_bndiff = bnvar_inv * autograd["bnraw"]            # path 1 of 2
grad_bndiff += 2 * bndiff * autograd["bndiff2"]        # path 2 of 2
grad_bnmeani = -grad_bndiff.sum(0, keepdim=True)
grad_hprebn = grad_bndiff.clone()                      # path 1 of 2
grad_hprebn += 1 / n * grad_bnmeani                    # path 2 of 2
compare_grads({
    "bndiff": (grad_bndiff, autograd["bndiff"]),
    "bnmeani": (grad_bnmeani, autograd["bnmeani"]),
    "hprebn": (grad_hprebn, autograd["hprebn"]),
}, caption="From bndiff to hprebn, fixed")

# %% [markdown]
# The path that was lost is not a small one: measured by its norm, it is
# 9 times the size of the path that was kept. A lost path this
# large cannot hide; a small one can, as the next section shows.
#
# ## Reading a comparison table
#
# The seven tables, read again for what they have in common:
#
# - **Read the rows in backward order, and fix the first one that fails.** All
#   4 rows failed through tanh, and all
#   3 from `bndiff` down, yet each time one line was wrong: the
#   first failing row's. Every row below it was computed from it and fails whether its own
#   line is right or not. Fix that line, run again, and only then look at the rest. Feeding
#   each stretch autograd's own upstream gradient, as this page does, keeps a bug in one
#   stretch out of the next stretch's table.
# - **A shape error names shapes, not lines.** Match every number in the message to a tensor
#   of the forward pass. A forgotten transpose gives two operands whose inner sizes do not
#   meet; a sum over the wrong dimension gives the size of the other dimension; a lost
#   `keepdim` gives `[32]` for `[32, 1]`, and one line later a `[32, 32]` that nothing in the
#   network has. The error is raised where the wrong shape can no longer be broadcast, which
#   may be lines later.
# - **Every row wrong by one factor** means a constant near the top: divide by autograd's and
#   the factor names itself, like $n$ for the loss's mean.
# - **A small max |diff| is not a pass.** *Close* compares each difference with the size of
#   its entry; the variance's gradient was wrong by a few per cent in every entry, with a
#   max |diff| that looked like rounding. Divide, and look at the ratio.
# - **Close but not exact can still be a bug**, when the lost part is tiny. On the
#   [every-intermediate page](https://backprop-by-hand.github.io/mlp/every-intermediate/#exercise), `logits` without its second
#   path, the one through the max, passes as close. Rounding spreads over many entries, a
#   float32 step or two each; a bug sits where its operation acts. Look at *where* the
#   entries differ:

# %%
lost_max = autograd["norm_logits"]   # logits' gradient, max path lost
winners = F.one_hot(logits.max(1).indices, VOCAB_SIZE).bool()
differ = lost_max != autograd["logits"]        # [32, 27]
logits_check = check({"logits": lost_max},
                     "logits, the max path lost")
print(f"entries that differ: {int(differ.sum())} of {differ.numel()}")
print("all of them at a row's winner:", not (differ & ~winners).any())
logits_check

# %% [markdown]
# The row is `"close" if logits_check[0].close else "not close"` and
# `"exact" if logits_check[0].exact else "not exact"`, and the
# `int(differ.sum())` entries that differ are
# `"all at winners of the max" if not (differ & ~winners).any() else "not all at winners"`,
# at most one per row: the pattern of `max`'s one-hot, not of rounding.
# [Why the bits differ](https://backprop-by-hand.github.io/beyond/why-the-bits-differ/) shows what rounding looks like.
#
# > **The rule to remember**
# >
# > Compare after every stretch, read the table in backward order, and fix the first row
# > that fails: everything below it was computed from it.

# %%
# Every number the text above states, checked against what the code computed (as
# the site's build checks them). Lines are the page's own.
from pagecheck.notebook import check_page

check_page(globals(), [
    (30, 'n', '32'),
    (121, 'list(autograd["logits"].shape)', '[32, 27]'),
    (122, 'list(W2.shape)', '[64, 27]'),
    (127, 'list(h.shape)', '[32, 64]'),
    (128, 'VOCAB_SIZE', '27'),
    (165, 'list(b1.shape)', '[64]'),
    (166, 'n', '32'),
    (169, 'hprebn.shape[1]', '64'),
    (170, 'list(autograd["hprebn"].sum(1).shape)', '[32]'),
    (211, 'list((counts * autograd["probs"]).sum(1).shape)', '[32]'),
    (212, 'list(counts_sum_inv.shape)', '[32, 1]'),
    (215, 'list((counts_sum**-2 * (counts * autograd["probs"]).sum(1)).shape)', '[32, 32]'),
    (217, 'list(counts.shape)', '[32, 27]'),
    (218, 'n', '32'),
    (262, 'n', '32'),
    (285, 'top_ratios', '[32, 32, 32]'),
    (285, 'n', '32'),
    (313, 'hpreact.abs().max()', '3.66'),
    (314, 'int((hpreact.abs() > 1).sum())', '640'),
    (314, 'hpreact.numel()', '2,048'),
    (334, 'sum(not row.close for row in tanh_check)', '4'),
    (363, '1 / (n - 1)', '\\frac{1}{31}'),
    (379, 'variance_ratio.item()', '31/32'),
    (380, '100 * (1 - variance_ratio.item())', '3.1'),
    (403, 'len(paths_failing)', '3'),
    (432, '(lost / kept).item()', '9'),
    (441, 'sum(not row.close for row in tanh_check)', '4'),
    (442, 'len(paths_failing)', '3'),
], [
    (354, 'f"{variance_check[2].max_abs_diff:.1e}"'),
    (366, 'f"{autograd[\'bndiff2\'].abs().max():.1e}"'),
    (403, '", ".join(paths_failing)'),
    (475, '"close" if logits_check[0].close else "not close"'),
    (476, '"exact" if logits_check[0].exact else "not exact"'),
    (477, 'int(differ.sum())'),
    (478, '"all at winners of the max" if not (differ & ~winners).any() else "not all at winners"'),
])
