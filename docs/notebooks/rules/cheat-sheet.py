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
# *This notebook is the page [Cheat sheet: every rule on one page](https://backprop-by-hand.github.io/rules/cheat-sheet/) of Backprop by Hand, cell for cell. Run it from the top: the first cell sets up what the page needs, the last one checks every number the text states against what the code computed.*

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
# # Cheat sheet: every rule on one page
#
# Each row is one rule: a line of a forward pass (the makemore MLP's own, wherever it has
# one), the backward lines that carry the gradient back through it, the shapes they have in
# that network, and the page that derives them. `grad_x` is the gradient of the loss with
# respect to `x` and always has the shape of `x`; the gradient of an operation's output is
# what *arrives* from the layers above.
#
# [Broadcasting](#broadcasting-sum-over-the-copies) ·
# [Sums and means](#sums-and-means-copy-back) ·
# [Matrix multiply](#matrix-multiply-two-transposes) ·
# [Selections and views](#selections-and-views-back-where-it-came-from) ·
# [Element-wise functions](#element-wise-functions-times-the-local-derivative) ·
# [Sums, products, reuse](#sums-products-and-reuse-add-what-arrives) ·
# [Fused layers](#fused-a-whole-layer-in-one-line)
#
# On screen, each table is followed by the code that runs its backward lines on seeded
# random tensors of those shapes, and by autograd's verdict on them; printed, the page keeps
# only the rules, a sheet to have at hand. A row that comes out *close* but not *exact* is
# the same formula, rounded differently on the way
# ([Why the bits differ](https://backprop-by-hand.github.io/beyond/why-the-bits-differ/)).
#
# The set-up every table shares: one seeded generator, a batch of 32 examples,
# and `send_back`, which sends a random gradient into the outputs and lets autograd carry it
# to the inputs.

# %%
import torch
import torch.nn.functional as F
from snippets.compare import compare_grads

n = 32                                             # examples
gen = torch.Generator().manual_seed(0)
Xb = torch.randint(0, 27, (n, 3), generator=gen)   # 3 characters
Yb = torch.randint(0, 27, (n,), generator=gen)     # the next one


def rand(*shape):
    return torch.randn(shape, generator=gen)


def leaf(*shape):
    """Random numbers that autograd follows."""
    return rand(*shape).requires_grad_()


def send_back(*outputs, size=1.0):
    """A random gradient arrives at each output; autograd takes it
    back to the leaves. Returns the gradients that arrived."""
    arrived = [size * rand(*out.shape) for out in outputs]
    torch.autograd.backward(outputs, arrived)
    return arrived


# %% [markdown]
# ## Broadcasting: sum over the copies
#
# A tensor stretched to a bigger shape gets the sum of its copies' gradients: with
# `keepdim=True` over a dimension that had size one, without it over a leading dimension
# that was added. `snippets.rules.unbroadcast(grad, shape)` does both
# ([the helper](https://backprop-by-hand.github.io/rules/broadcasting/#one-helper-for-every-broadcast-unbroadcast)).
#
# | forward | backward | shapes, in → out | derived on |
# | --- | --- | --- | --- |
# | `norm_logits = logits - logit_maxes` | `grad_logit_maxes = (-grad_norm_logits).sum(1, keepdim=True)` | [32, 1] → [32, 27] | [a size-one dimension](https://backprop-by-hand.github.io/rules/broadcasting/#why-a-sum-and-when-to-keep-the-dimension) |
# | `hpreact = bngain * bnraw + bnbias` | `grad_bngain = (bnraw * grad_hpreact).sum(0, keepdim=True)`<br>`grad_bnbias = grad_hpreact.sum(0, keepdim=True)` | [1, 64] → [32, 64] | [the three broadcasts](https://backprop-by-hand.github.io/rules/broadcasting/#the-three-broadcasts-of-the-makemore-mlp) |
# | `logits = h @ W2 + b2` | `grad_b2 = grad_logits.sum(0)` | [27] → [32, 27] | [an added dimension](https://backprop-by-hand.github.io/rules/broadcasting/#why-a-sum-and-when-to-keep-the-dimension) |

# %%
h, W2, b2 = rand(n, 64), rand(64, 27), leaf(27)
logits = h @ W2 + b2                           # [32, 27]
logit_maxes = leaf(n, 1)
norm_logits = logits - logit_maxes             # [32, 27]
bngain, bnraw, bnbias = leaf(1, 64), leaf(n, 64), leaf(1, 64)
hpreact = bngain * bnraw + bnbias              # [32, 64]
grad_norm_logits, grad_hpreact = send_back(norm_logits, hpreact)

with torch.no_grad():
    grad_logit_maxes = (-grad_norm_logits).sum(1, keepdim=True)
    grad_logits = grad_norm_logits             # a difference
    grad_b2 = grad_logits.sum(0)               # no keepdim
    grad_bngain = (bnraw * grad_hpreact).sum(0, keepdim=True)
    grad_bnbias = grad_hpreact.sum(0, keepdim=True)
    grad_bnraw = bngain * grad_hpreact         # not stretched

compare_grads({
    "logit_maxes": (grad_logit_maxes, logit_maxes.grad),
    "b2": (grad_b2, b2.grad),
    "bngain": (grad_bngain, bngain.grad),
    "bnbias": (grad_bnbias, bnbias.grad),
    "bnraw": (grad_bnraw, bnraw.grad),
}, caption="Broadcasting: by hand against autograd")

# %% [markdown]
# ## Sums and means: copy back
#
# A sum's gradient is the output's gradient copied back along the summed dimension; a
# constant times the sum (a mean's $\frac{1}{n}$, Bessel's $\frac{1}{n-1}$)
# multiplies the copy by the same constant. The variance in one piece needs no route through
# its mean: the deviations from a mean add up to zero.
#
# | forward | backward | shapes, in → out | derived on |
# | --- | --- | --- | --- |
# | `counts_sum = counts.sum(1, keepdim=True)` | `grad_counts = grad_counts_sum.expand_as(counts)` | [32, 27] → [32, 1] | [the softmax denominator](https://backprop-by-hand.github.io/rules/sums-and-means/#in-makemore-the-softmax-denominator) |
# | `loss = -picked.mean()` | `grad_picked = -grad_loss.expand_as(picked) / n` | [32] → scalar | [the mean in the loss](https://backprop-by-hand.github.io/rules/sums-and-means/#in-makemore-the-mean-in-the-loss) |
# | `bnvar = 1 / (n - 1) * bndiff2.sum(0, keepdim=True)` | `grad_bndiff2 = (1 / (n - 1) * grad_bnvar).expand_as(bndiff2)` | [32, 64] → [1, 64] | [Bessel's correction](https://backprop-by-hand.github.io/rules/sums-and-means/#in-makemore-the-batch-variance-and-bessels-correction) |
# | `var = hprebn.var(0, keepdim=True)` | `grad_hprebn = 2 / (n - 1) * grad_var * (`<br>`hprebn - hprebn.mean(0, keepdim=True))` | [32, 64] → [1, 64] | [the variance in one piece](https://backprop-by-hand.github.io/rules/sums-and-means/#the-variance-in-one-piece) |

# %%
import sympy as sp

bessel = 1 / (sp.Symbol("n") - 1)                  # for the formula
counts = leaf(n, 27)
counts_sum = counts.sum(1, keepdim=True)           # [32, 1]
picked = leaf(n)                      # logprobs[range(n), Yb]
loss = -picked.mean()                              # scalar
bndiff2 = leaf(n, 64)
bnvar = 1 / (n - 1) * bndiff2.sum(0, keepdim=True)  # [1, 64]
hprebn = leaf(n, 64)
var = hprebn.var(0, keepdim=True)                  # [1, 64]
grad_counts_sum, grad_loss, grad_bnvar, grad_var = send_back(
    counts_sum, loss, bnvar, var)

with torch.no_grad():
    grad_counts = grad_counts_sum.expand_as(counts)
    grad_picked = -grad_loss.expand_as(picked) / n
    grad_bndiff2 = (1 / (n - 1) * grad_bnvar).expand_as(bndiff2)
    grad_hprebn = 2 / (n - 1) * grad_var * (
        hprebn - hprebn.mean(0, keepdim=True))

compare_grads({
    "counts": (grad_counts, counts.grad),
    "picked": (grad_picked, picked.grad),
    "bndiff2": (grad_bndiff2, bndiff2.grad),
    "hprebn": (grad_hprebn, hprebn.grad),
}, caption="Sums and means: by hand against autograd")

# %% [markdown]
# ## Matrix multiply: two transposes
#
# Each factor's gradient is the arriving gradient times the *other* factor, transposed and
# placed so that the shapes fit; the bias, copied to every row, gets the column sums.
#
# | forward | backward | shapes, in → out | derived on |
# | --- | --- | --- | --- |
# | `hprebn = embcat @ W1 + b1` | `grad_embcat = grad_hprebn @ W1.T`<br>`grad_W1 = embcat.T @ grad_hprebn`<br>`grad_b1 = grad_hprebn.sum(0)` | [32, 30] @ [30, 64]<br>+ [64] → [32, 64] | [the pattern](https://backprop-by-hand.github.io/rules/matmul/#the-pattern-two-transposes-and-a-sum), [the shapes](https://backprop-by-hand.github.io/rules/matmul/#the-shapes-leave-no-choice) |

# %%
embcat, W1, b1 = leaf(n, 30), leaf(30, 64), leaf(64)
hprebn = embcat @ W1 + b1                      # [32, 64]
[grad_hprebn] = send_back(hprebn)

with torch.no_grad():
    grad_embcat = grad_hprebn @ W1.T           # [32, 64] @ [64, 30]
    grad_W1 = embcat.T @ grad_hprebn           # [30, 32] @ [32, 64]
    grad_b1 = grad_hprebn.sum(0)               # [64]

compare_grads({
    "embcat": (grad_embcat, embcat.grad),
    "W1": (grad_W1, W1.grad),
    "b1": (grad_b1, b1.grad),
}, caption="Matrix multiply: by hand against autograd")

# %% [markdown]
# ## Selections and views: back where it came from
#
# A selection moves numbers without arithmetic, so its backward pass puts each gradient back
# where its number came from, into zeros everywhere else. A row looked up several times
# collects every copy's gradient: add, never assign. A view only renames positions.
#
# | forward | backward | shapes, in → out | derived on |
# | --- | --- | --- | --- |
# | `logit_maxes = logits.max(1, keepdim=True).values` | `one_hot = F.one_hot(logits.argmax(1), 27)`<br>`grad_logits = one_hot * grad_logit_maxes` | [32, 27] → [32, 1] | [one winner per row](https://backprop-by-hand.github.io/rules/max/#the-derivation-one-winner-per-row) |
# | `picked = logprobs[range(n), Yb]` | `grad_logprobs = torch.zeros_like(logprobs)`<br>`grad_logprobs[range(n), Yb] = grad_picked` | [32, 27] → [32] | [the mean in the loss](https://backprop-by-hand.github.io/rules/sums-and-means/#in-makemore-the-mean-in-the-loss) |
# | `emb = C[Xb]` | `grad_rows = grad_emb.view(-1, 10)`<br>`grad_C = torch.zeros_like(C).index_add(0, Xb.view(-1), grad_rows)` | [27, 10] at [32, 3]<br>→ [32, 3, 10] | [the scatter-add](https://backprop-by-hand.github.io/rules/embedding/#the-derivation) |
# | `embcat = emb.view(n, -1)` | `grad_emb = grad_embcat.view(emb.shape)` | [32, 3, 10]<br>→ [32, 30] | [a view back](https://backprop-by-hand.github.io/rules/embedding/#the-view-a-reshape-moves-no-numbers) |

# %%
logits = leaf(n, 27)
logit_maxes = logits.max(1, keepdim=True).values   # [32, 1]
logprobs = leaf(n, 27)
picked = logprobs[range(n), Yb]                    # [32]
C = leaf(27, 10)
emb = C[Xb]                                        # [32, 3, 10]
emb.retain_grad()                   # to compare the view's rule
embcat = emb.view(n, -1)                           # [32, 30]
grad_logit_maxes, grad_picked, grad_embcat = send_back(
    logit_maxes, picked, embcat)

with torch.no_grad():
    one_hot = F.one_hot(logits.argmax(1), 27)      # [32, 27]
    grad_logits = one_hot * grad_logit_maxes
    grad_logprobs = torch.zeros_like(logprobs)
    grad_logprobs[range(n), Yb] = grad_picked
    grad_emb = grad_embcat.view(emb.shape)         # [32, 3, 10]
    grad_rows = grad_emb.view(-1, 10)              # [96, 10]
    grad_C = torch.zeros_like(C).index_add(0, Xb.view(-1), grad_rows)

compare_grads({
    "logits": (grad_logits, logits.grad),
    "logprobs": (grad_logprobs, logprobs.grad),
    "emb": (grad_emb, emb.grad),
    "C": (grad_C, C.grad),
}, caption="Selections and views: by hand against autograd")


# %% [markdown]
# ## Element-wise functions: times the local derivative
#
# The arriving gradient times the function's derivative, element by element, in the same
# shape. tanh and exp read their derivative off their output.
#
# | forward | backward | shapes, in → out | derived on |
# | --- | --- | --- | --- |
# | `h = torch.tanh(hpreact)` | `grad_hpreact = (1 - h**2) * grad_h` | [32, 64] | [tanh](https://backprop-by-hand.github.io/rules/elementwise/#tanh-the-derivative-read-off-the-output) |
# | `counts = norm_logits.exp()` | `grad_norm_logits = counts * grad_counts` | [32, 27] | [exp](https://backprop-by-hand.github.io/rules/elementwise/#exp-the-output-is-the-derivative) |
# | `logprobs = probs.log()` | `grad_probs = grad_logprobs / probs` | [32, 27] | [log](https://backprop-by-hand.github.io/rules/elementwise/#log-one-over-the-input) |
# | `bnvar_inv = (bnvar + 1e-5)**-0.5` | `grad_bnvar = -0.5 * (bnvar + 1e-5)**-1.5 * grad_bnvar_inv` | [1, 64] | [powers](https://backprop-by-hand.github.io/rules/elementwise/#powers-the-exponent-comes-down) |
# | `counts_sum_inv = counts_sum**-1` | `grad_counts_sum = -counts_sum**-2 * grad_counts_sum_inv` | [32, 1] | [the reciprocal](https://backprop-by-hand.github.io/rules/elementwise/#the-reciprocal-written-two-ways) |

# %%
def positive_leaf(*shape):
    return rand(*shape).exp().requires_grad_()


hpreact = leaf(n, 64)
h = torch.tanh(hpreact)                            # [32, 64]
norm_logits = leaf(n, 27)
counts = norm_logits.exp()                         # [32, 27]
probs = positive_leaf(n, 27)
logprobs = probs.log()                             # [32, 27]
bnvar = positive_leaf(1, 64)
bnvar_inv = (bnvar + 1e-5)**-0.5                   # [1, 64]
counts_sum = positive_leaf(n, 1)
counts_sum_inv = counts_sum**-1                    # [32, 1]
grad_h, grad_counts, grad_logprobs = send_back(h, counts, logprobs)
grad_bnvar_inv, grad_counts_sum_inv = send_back(
    bnvar_inv, counts_sum_inv)

with torch.no_grad():
    grad_hpreact = (1 - h**2) * grad_h
    grad_norm_logits = counts * grad_counts
    grad_probs = grad_logprobs / probs
    grad_bnvar = -0.5 * (bnvar + 1e-5)**-1.5 * grad_bnvar_inv
    grad_counts_sum = -counts_sum**-2 * grad_counts_sum_inv

compare_grads({
    "hpreact": (grad_hpreact, hpreact.grad),
    "norm_logits": (grad_norm_logits, norm_logits.grad),
    "probs": (grad_probs, probs.grad),
    "bnvar": (grad_bnvar, bnvar.grad),
    "counts_sum": (grad_counts_sum, counts_sum.grad),
}, caption="Element-wise functions: by hand against autograd")

# %% [markdown]
# ## Sums, products and reuse: add what arrives
#
# A sum passes the arriving gradient on unchanged, a difference negates it for what is
# subtracted, and a product multiplies it by the other factor. A tensor used twice gets the
# sum of the gradients of both uses.
#
# | forward | backward | shapes, in → out | derived on |
# | --- | --- | --- | --- |
# | `e = a * b + c - d` | `grad_c = grad_e`<br>`grad_d = -grad_e`<br>`grad_a = b * grad_e`<br>`grad_b = a * grad_e` | [32, 64] each | [sum and difference](https://backprop-by-hand.github.io/rules/broadcasting/#the-smallest-case-written-out), [product](https://backprop-by-hand.github.io/rules/elementwise/#the-product-and-its-broadcast) |
# | `bndiff2 = bndiff**2`<br>`bnraw = bndiff * bnvar_inv` | `grad_bndiff = 2 * bndiff * grad_bndiff2`<br>`grad_bndiff += bnvar_inv * grad_bnraw` | [32, 64], used twice | [reuse](https://backprop-by-hand.github.io/rules/elementwise/#reuse-a-tensor-used-twice) |

# %%
a, b, c, d = leaf(n, 64), leaf(n, 64), leaf(n, 64), leaf(n, 64)
e = a * b + c - d                                  # [32, 64]
bndiff, bnvar_inv = leaf(n, 64), rand(1, 64).exp()
bndiff2 = bndiff**2                                # use one
bnraw = bndiff * bnvar_inv                         # use two
grad_e, grad_bndiff2, grad_bnraw = send_back(e, bndiff2, bnraw)

with torch.no_grad():
    grad_c = grad_e                            # a sum
    grad_d = -grad_e                           # a difference
    grad_a = b * grad_e                        # a product
    grad_b = a * grad_e
    grad_bndiff = 2 * bndiff * grad_bndiff2    # through use one
    grad_bndiff += bnvar_inv * grad_bnraw      # plus use two

compare_grads({
    "a": (grad_a, a.grad),
    "b": (grad_b, b.grad),
    "c": (grad_c, c.grad),
    "d": (grad_d, d.grad),
    "bndiff": (grad_bndiff, bndiff.grad),
}, caption="Sums, products and reuse: by hand against autograd")

# %% [markdown]
# ## Fused: a whole layer in one line
#
# Differentiated as a whole, cross-entropy and BatchNorm each collapse into one line. The
# mean cross-entropy's gradient is the softmax minus the one-hot of the targets, over $n$;
# BatchNorm's carries the $\frac{n}{n-1}$ of the variance's Bessel correction.
#
# | forward | backward | shapes, in → out | derived on |
# | --- | --- | --- | --- |
# | `loss = F.cross_entropy(logits, Yb)` | `grad_logits = (F.softmax(logits, 1) - F.one_hot(Yb, 27)) / n` | [32, 27] → scalar | [cross-entropy](https://backprop-by-hand.github.io/mlp/cross-entropy/#the-derivation-one-row) |
# | `bnraw = (hprebn - bnmeani) * bnvar_inv`<br>`hpreact = bngain * bnraw + bnbias`, with `bnvar = hprebn.var(0, keepdim=True)` | `grad_hprebn = bngain * bnvar_inv / n * (`<br>`n * grad_hpreact - grad_hpreact.sum(0)`<br>`- n / (n - 1) * bnraw * (grad_hpreact * bnraw).sum(0))` | [32, 64] → [32, 64] | [BatchNorm](https://backprop-by-hand.github.io/mlp/batchnorm/#the-derivation-three-roads) |

# %%
n_over = sp.Symbol("n") * bessel                   # for the formula
logits = leaf(n, 27)
loss = F.cross_entropy(logits, Yb)                 # scalar
loss.backward()
hprebn, bngain, bnbias = leaf(n, 64), leaf(1, 64), leaf(1, 64)
bnmeani = hprebn.mean(0, keepdim=True)             # [1, 64]
bnvar = hprebn.var(0, keepdim=True)                # [1, 64]
bnvar_inv = (bnvar + 1e-5)**-0.5                   # [1, 64]
bnraw = (hprebn - bnmeani) * bnvar_inv             # [32, 64]
hpreact = bngain * bnraw + bnbias                  # [32, 64]
# a small gradient, as makemore's loss sends back
[grad_hpreact] = send_back(hpreact, size=1e-3)

with torch.no_grad():
    grad_logits = (F.softmax(logits, 1) - F.one_hot(Yb, 27)) / n
    grad_hprebn = bngain * bnvar_inv / n * (
        n * grad_hpreact - grad_hpreact.sum(0)
        - n / (n - 1) * bnraw * (grad_hpreact * bnraw).sum(0))

compare_grads({
    "logits": (grad_logits, logits.grad),
    "hprebn": (grad_hprebn, hprebn.grad),
}, caption="Fused: by hand against autograd")

# %% [markdown]
# The gain and the bias of BatchNorm get the broadcasting rules of the
# [first table](#broadcasting-sum-over-the-copies).

# %%
# Every number the text above states, checked against what the code computed (as
# the site's build checks them). Lines are the page's own.
from pagecheck.notebook import check_page

check_page(globals(), [
    (33, 'n', '32'),
    (75, 'list(logit_maxes.shape)', '[32, 1]'),
    (75, 'list(norm_logits.shape)', '[32, 27]'),
    (76, 'list(bngain.shape)', '[1, 64]'),
    (76, 'list(hpreact.shape)', '[32, 64]'),
    (77, 'list(b2.shape)', '[27]'),
    (77, 'list(logits.shape)', '[32, 27]'),
    (108, 'bessel', '\\frac{1}{n-1}'),
    (114, 'list(counts.shape)', '[32, 27]'),
    (114, 'list(counts_sum.shape)', '[32, 1]'),
    (115, 'list(picked.shape)', '[32]'),
    (116, 'list(bndiff2.shape)', '[32, 64]'),
    (116, 'list(bnvar.shape)', '[1, 64]'),
    (117, 'list(hprebn.shape)', '[32, 64]'),
    (117, 'list(var.shape)', '[1, 64]'),
    (156, 'list(embcat.shape)', '[32, 30]'),
    (156, 'list(W1.shape)', '[30, 64]'),
    (156, 'list(b1.shape)', '[64]'),
    (156, 'list(hprebn.shape)', '[32, 64]'),
    (183, 'list(logits.shape)', '[32, 27]'),
    (183, 'list(logit_maxes.shape)', '[32, 1]'),
    (184, 'list(logprobs.shape)', '[32, 27]'),
    (184, 'list(picked.shape)', '[32]'),
    (185, 'list(C.shape)', '[27, 10]'),
    (185, 'list(Xb.shape)', '[32, 3]'),
    (185, 'list(emb.shape)', '[32, 3, 10]'),
    (186, 'list(emb.shape)', '[32, 3, 10]'),
    (186, 'list(embcat.shape)', '[32, 30]'),
    (224, 'list(h.shape)', '[32, 64]'),
    (225, 'list(counts.shape)', '[32, 27]'),
    (226, 'list(logprobs.shape)', '[32, 27]'),
    (227, 'list(bnvar_inv.shape)', '[1, 64]'),
    (228, 'list(counts_sum_inv.shape)', '[32, 1]'),
    (273, 'list(e.shape)', '[32, 64]'),
    (274, 'list(bndiff.shape)', '[32, 64]'),
    (305, 'n_over', '\\frac{n}{n-1}'),
    (309, 'list(logits.shape)', '[32, 27]'),
    (310, 'list(hprebn.shape)', '[32, 64]'),
    (310, 'list(hpreact.shape)', '[32, 64]'),
])
