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
# *This notebook is the page [Training with your own gradients](https://backprop-by-hand.github.io/mlp/training/) of Backprop by Hand, cell for cell. Run it from the top: the first cell sets up what the page needs, the last one checks every number the text states against what the code computed.*

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
# # Training with your own gradients
#
# > **The question**
# >
# > I have written the backward pass of the whole makemore MLP myself, and every gradient
# > agrees with autograd up to rounding. Is that good enough to train with? If I replace
# > `loss.backward()` by my own function for thousands of steps, do I end up with the
# > same network, or do the tiny differences pile up until the two runs have nothing in
# > common? And after all that, can the network make up a name?
#
# The three pages before this one took the backward pass apart:
# [every intermediate](https://backprop-by-hand.github.io/mlp/every-intermediate/) one line at a time, then
# [cross-entropy in one step](https://backprop-by-hand.github.io/mlp/cross-entropy/) and [BatchNorm in one step](https://backprop-by-hand.github.io/mlp/batchnorm/).
# This page puts the short version together as one function, checks it once against
# autograd, and then trains the network twice from the same starting point: once with that
# function and no autograd at all, once with `loss.backward()`. The
# [gradient-descent page](https://backprop-by-hand.github.io/gradient-descent/) did the same for a single weight; here it
# is 12,297 of them.
#
# ## The network and the data
#
# The names are the ones the whole section uses: first names from the US Census, shipped
# inside the `names` package on PyPI, so nothing is downloaded (the exact source is printed
# below). There are 5,163 of them, shuffled with a fixed seed and split
# into training, dev and test words. Every position of every training word is one example:
# 28,862 training examples and 3,635 dev
# examples. The test split stays unused.
#
# The network is the makemore MLP of `snippets.makemore`, with
# 200 hidden units this time (the derivation pages used
# 64 to keep their tables small): an embedding of
# 10 numbers per character, 3 characters of context, a
# linear layer, BatchNorm, tanh and a linear layer to 27 logits.

# %%
import torch
import torch.nn.functional as F

from snippets import rules
from snippets.compare import compare_grads, ulps_apart
from snippets.makemore import (BLOCK_SIZE, N_EMBD, N_HIDDEN,
                               NAMES_SOURCE, SEED, VOCAB_SIZE, Params,
                               batchnorm_statistics, evaluate, forward,
                               init_params, load_words, sample_batch,
                               sample_names, splits)

words = load_words()
(Xtr, Ytr), (Xdev, Ydev), _ = splits(words)  # test split: unused
start = init_params(n_hidden=200)  # where both training runs begin
n_hidden = start.W1.shape[1]

print("names:", NAMES_SOURCE)
print(f"{len(words):,} names, {Xtr.shape[0]:,} training examples,"
      f" {Xdev.shape[0]:,} dev examples")
print(f"{start.count:,} parameters:")
for name, p in start.items():
    print(f"  {name:6} {list(p.shape)}")


# %% [markdown]
# The forward pass is the one of the earlier pages, one intermediate per line (the shape
# comments there say `[n, 64]` where this page has `[n, 200]`):
#
# > **The forward pass, from `snippets/makemore.py`**
# >
# > ```python
# > n = Xb.shape[0]                               # 32 examples
# > emb = p.C[Xb]                                 # [n, 3, 10]
# > embcat = emb.view(n, -1)                      # [n, 30]
# > hprebn = embcat @ p.W1 + p.b1                 # [n, 64]
# > # BatchNorm, with Bessel's correction (n - 1) in the variance
# > bnmeani = 1 / n * hprebn.sum(0, keepdim=True)  # [1, 64]
# > bndiff = hprebn - bnmeani                     # [n, 64]
# > bndiff2 = bndiff**2                           # [n, 64]
# > bnvar = 1 / (n - 1) * bndiff2.sum(0, keepdim=True)  # [1, 64]
# > bnvar_inv = (bnvar + 1e-5) ** -0.5            # [1, 64]
# > bnraw = bndiff * bnvar_inv                    # [n, 64]
# > hpreact = p.bngain * bnraw + p.bnbias         # [n, 64]
# > h = torch.tanh(hpreact)                       # [n, 64]
# > logits = h @ p.W2 + p.b2                      # [n, 27]
# > # cross-entropy, written out
# > logit_maxes = logits.max(1, keepdim=True).values  # [n, 1]
# > norm_logits = logits - logit_maxes            # [n, 27]
# > counts = norm_logits.exp()                    # [n, 27]
# > counts_sum = counts.sum(1, keepdim=True)      # [n, 1]
# > counts_sum_inv = counts_sum**-1               # [n, 1]
# > probs = counts * counts_sum_inv               # [n, 27]
# > logprobs = probs.log()                        # [n, 27]
# > loss = -logprobs[range(n), Yb].mean()         # scalar
# > ```
#
# ## The backward pass as one function
#
# Seven parameters need a gradient, and the backward pass walks from the loss down to the
# embedding table. Each step is a rule from an earlier page:
#
# - **Cross-entropy in one step.** The whole chain from `logits` to `loss` collapses to
#   softmax minus one-hot, divided by the batch size ([derived here](https://backprop-by-hand.github.io/mlp/cross-entropy/)):
#
#     $$
#     \overline{\text{logits}} = \frac{1}{n}\Big(\operatorname{softmax}(\text{logits}) - \operatorname{onehot}(Y)\Big).
#     $$
#
#     The forward pass has already computed the softmax: it is `probs`.
#
# - **The second linear layer**, `logits = h @ W2 + b2`: two transposes for the
#   [matrix multiply](https://backprop-by-hand.github.io/rules/matmul/#the-makemore-output-layer-by-hand), and a sum over
#   the batch for the bias that was [broadcast](https://backprop-by-hand.github.io/rules/broadcasting/) to every row.
# - **tanh**, read off its output: `(1 - h**2)` times the incoming
#   gradient ([element-wise operations](https://backprop-by-hand.github.io/rules/elementwise/#tanh-the-derivative-read-off-the-output)).
# - **BatchNorm's gain and bias**, `hpreact = bngain * bnraw + bnbias`: both broadcast over
#   the batch, so both gradients are sums down the batch dimension, kept as `[1, 200]`.
# - **BatchNorm in one step** ([derived here](https://backprop-by-hand.github.io/mlp/batchnorm/)). With $\gamma$ the gain, $r$
#   the inverse standard deviation `bnvar_inv`, $\hat{x}$ the normalised `bnraw` and
#   $\bar{y}$ the gradient of `hpreact`:
#
#     $$
#     \overline{\text{hprebn}} = \frac{\gamma\, r}{n}\Big(n\,\bar{y} - \sum_i \bar{y}_i
#     - \frac{n}{n-1}\,\hat{x} \sum_i \bar{y}_i\,\hat{x}_i\Big).
#     $$
#
#     The factor $\frac{n}{n-1}$ is Bessel's correction coming back:
#     the forward pass divided the variance by $n - 1$, not by $n$. The two sums
#     are nothing new: $\sum_i \bar{y}_i$ is the gradient of `bnbias`, and
#     $\sum_i \bar{y}_i \hat{x}_i$ is the gradient of `bngain`, so the function reuses them.
#
# - **The first linear layer**, `hprebn = embcat @ W1 + b1`: the same rule as the second.
# - **The view and the lookup**: `embcat` is a view of `emb`, so its gradient is viewed
#   back, and the table `C` collects the gradients of all its copies with a
#   [scatter-add](https://backprop-by-hand.github.io/rules/embedding/#at-makemore-size).
#
# The function takes the parameters, the forward pass's tensors and the batch, and returns
# the seven gradients as a `Params`, in the same order as the parameters:

# %%
def backward(p, fw, Xb, Yb):
    """The gradient of fw.loss for every parameter, without autograd."""
    n = Xb.shape[0]                               # batch size
    # cross-entropy in one step: softmax minus one-hot, over n
    onehot = F.one_hot(Yb, VOCAB_SIZE)            # [n, 27]
    grad_logits = (fw.probs - onehot) / n         # [n, 27]
    # second linear layer: logits = h @ W2 + b2
    grad_h = grad_logits @ p.W2.T                 # [n, 200]
    grad_W2 = fw.h.T @ grad_logits                # [200, 27]
    grad_b2 = grad_logits.sum(0)                  # [27]
    # tanh, read off its output h
    grad_hpreact = (1 - fw.h**2) * grad_h         # [n, 200]
    # BatchNorm's gain and bias, broadcast over the batch: [1, 200]
    grad_bngain = (fw.bnraw * grad_hpreact).sum(0, keepdim=True)
    grad_bnbias = grad_hpreact.sum(0, keepdim=True)
    # BatchNorm in one step; its two sums are the two gradients above
    scale = p.bngain * fw.bnvar_inv / n           # [1, 200]
    centred = n * grad_hpreact - grad_bnbias      # [n, 200]
    bessel = n / (n - 1)
    grad_hprebn = scale * (centred - bessel * fw.bnraw * grad_bngain)
    # first linear layer: hprebn = embcat @ W1 + b1
    grad_embcat = grad_hprebn @ p.W1.T            # [n, 30]
    grad_W1 = fw.embcat.T @ grad_hprebn           # [30, 200]
    grad_b1 = grad_hprebn.sum(0)                  # [200]
    # the view back, then the lookup's scatter-add
    grad_emb = grad_embcat.view(fw.emb.shape)     # [n, 3, 10]
    grad_C = rules.embedding_backward(grad_emb, Xb, VOCAB_SIZE)
    return Params(C=grad_C, W1=grad_W1, b1=grad_b1, W2=grad_W2,
                  b2=grad_b2, bngain=grad_bngain, bnbias=grad_bnbias)


import sympy as sp  # for the formulas above

bessel_factor = sp.Symbol("n") / (sp.Symbol("n") - 1)
dof = sp.Symbol("n") - 1

# %% [markdown]
# ## Check it once, before training
#
# A wrong gradient does not crash a training loop. The loss just falls more slowly, or
# stalls, or wanders, and after a long run it is hard to tell a bug from bad luck. So before
# the first step, the function is compared with autograd on one batch: the first batch of
# the training runs below, 32 examples drawn with the section's seed,
# at the starting parameters.

# %%
g = torch.Generator().manual_seed(SEED)
Xb, Yb = sample_batch(Xtr, Ytr, generator=g)  # the runs' first batch
probe = Params(**{name: p.detach().clone().requires_grad_()
                  for name, p in start.items()})
fw = forward(probe, Xb, Yb)
fw.loss.backward()                            # autograd, this once
with torch.no_grad():
    by_hand = backward(probe, fw, Xb, Yb)

check = compare_grads({name: (grad, p.grad) for (name, grad), p
                       in zip(by_hand.items(), probe)},
                      caption="backward() against autograd")
n_exact = sum(row.exact for row in check)
largest_diff = f"{max(row.max_abs_diff for row in check):.1e}"
check

# %% [markdown]
# All 7 gradients are close; `n_exact` of them are bit for bit
# equal to autograd's on the machine that built this page, and the largest difference is
# `largest_diff`. That none or almost none is exact is expected: autograd walks back
# through the 20 intermediates one by one, while the function
# takes two shortcuts whose arithmetic is different (the derivation pages showed which
# single steps can be exact and why). Every later gradient inherits the rounding of
# `grad_logits` and `grad_hprebn`, so the differences reach every parameter. They are a few
# units in the last place of float32, and that is what the training runs will now carry
# along.
#
# ## Two runs, step for step
#
# Both runs start from a copy of the same parameters, draw the same batches (each from its
# own generator, seeded alike) and use the same learning rate: 0.1 for the
# first 3,750 steps and 0.01 for the last
# 1,250, plain SGD as in Karpathy's makemore lectures. Each run takes
# 5,000 steps on batches of 32 examples, which is
# 5.5 passes over the training examples. That is
# short (the budget of this page is a few seconds), but long enough to see whether the runs
# stay together. Each run also keeps a copy of all parameters after a few chosen steps, for
# a closer look afterwards.
#
# The hand run never asks autograd for anything: its parameters do not require gradients,
# and the whole loop runs under `torch.no_grad()`.

# %%
N_STEPS = 5000                 # steps per run
BATCH = 32                     # examples per step
LR_HIGH, LR_LOW = 0.1, 0.01
LR_DROP = 3750                 # the step where the learning rate drops
KEEP = (1, 10, 100, 1000, N_STEPS)  # keep the parameters after these


def learning_rate(step):
    return LR_HIGH if step < LR_DROP else LR_LOW


def fresh_copy(p, requires_grad):
    return Params(**{name: t.detach().clone()
                     .requires_grad_(requires_grad)
                     for name, t in p.items()})


def flat(p):
    return torch.cat([t.detach().flatten() for t in p])


def train_by_hand(p):
    g = torch.Generator().manual_seed(SEED)
    losses, kept = [], {}
    with torch.no_grad():                  # no graph is ever recorded
        for step in range(N_STEPS):
            Xb, Yb = sample_batch(Xtr, Ytr, BATCH, generator=g)
            fw = forward(p, Xb, Yb)
            grads = backward(p, fw, Xb, Yb)
            lr = learning_rate(step)
            for param, grad in zip(p, grads):
                param -= lr * grad
            losses.append(fw.loss.item())
            if step + 1 in KEEP:
                kept[step + 1] = flat(p)
    return torch.tensor(losses), kept, fw


hand = fresh_copy(start, requires_grad=False)
hand_losses, hand_kept, hand_last = train_by_hand(hand)


# %% [markdown]
# The autograd run is the same loop with `loss.backward()` in place of the function, and
# the update under `torch.no_grad()` so that the update itself is not recorded:

# %%
def train_with_autograd(p):
    g = torch.Generator().manual_seed(SEED)
    losses, kept = [], {}
    for step in range(N_STEPS):
        Xb, Yb = sample_batch(Xtr, Ytr, BATCH, generator=g)
        fw = forward(p, Xb, Yb, retain_grads=False)  # params only
        for param in p:
            param.grad = None
        fw.loss.backward()
        lr = learning_rate(step)
        with torch.no_grad():
            for param in p:
                param -= lr * param.grad
        losses.append(fw.loss.item())
        if step + 1 in KEEP:
            kept[step + 1] = flat(p)
    return torch.tensor(losses), kept


auto = fresh_copy(start, requires_grad=True)
auto_losses, auto_kept = train_with_autograd(auto)

# %% [markdown]
# ### The hand run really had no autograd
#
# Had anything in the hand run gone through autograd, it would show: a parameter would
# require a gradient or hold a `.grad`, and the last loss would carry a `grad_fn`, the node
# autograd hangs a graph on. None of that is there, and asking that loss for a backward pass
# fails:

# %%
assert all(not p.requires_grad and p.grad is None for p in hand)
assert hand_last.loss.grad_fn is None
print("parameters requiring a gradient:",
      sum(p.requires_grad for p in hand), "of", len(list(hand)))
print("parameters with a .grad:",
      sum(p.grad is not None for p in hand))
print("grad_fn of the last loss:", hand_last.loss.grad_fn)
try:
    hand_last.loss.backward()
except RuntimeError as error:
    print("loss.backward():", str(error).split(" and ")[0])

# %% [markdown]
# ## The losses, side by side

# %%
gap = (hand_losses - auto_losses).abs()      # [5000], one per step
step0_gap = gap[0].item()
n_equal = int((gap == 0).sum())
n_equal_start = int((gap > 0).nonzero()[0])  # equal steps at the start
max_gap = f"{gap.max().item():.1e}"
gap_ulps = ulps_apart(hand_losses, auto_losses)  # float32 steps
max_gap_ulps = int(gap_ulps.max())
print(f"step 0: hand {hand_losses[0]:.6f}, autograd"
      f" {auto_losses[0]:.6f}, equal: {step0_gap == 0}")
print(f"bit for bit equal at {n_equal} of {N_STEPS} steps,"
      f" all of the first {n_equal_start}")
print(f"largest |difference| {max_gap}"
      f" = {max_gap_ulps} float32 rounding steps")
print("last 100 steps, mean loss: hand"
      f" {hand_losses[-100:].mean():.4f},"
      f" autograd {auto_losses[-100:].mean():.4f}")

# %% [markdown]
# At the first step both runs compute the same forward pass on the same parameters, so
# their losses are identical: the difference is exactly 0. After that the
# runs stay together to the last bits. On this machine the two losses were bit for bit
# equal at `n_equal` of the 5,000 steps, among them all of the first
# `n_equal_start`, and the largest difference over all steps is `max_gap`. Counted
# in rounding steps of float32 (the gap between neighbouring float32 numbers at the loss in
# question), no step differs by more than `max_gap_ulps`. Both runs start at a
# loss of 3.72, above the 3.30 of
# guessing all 27 characters equally likely (the initial logits are not
# quite flat), and both end around 2.07 (the mean of the
# last hundred batch losses).

# %%
import math

import matplotlib.pyplot as plt
from snippets.figures import BLUE, ORANGE

WINDOW = 100                                 # steps per running mean
smooth_steps = range(WINDOW, N_STEPS + 1)
fig, (ax_loss, ax_gap) = plt.subplots(2, 1, figsize=(6.4, 5.6),
                                      sharex=True)
ax_loss.plot(smooth_steps, hand_losses.unfold(0, WINDOW, 1).mean(1),
             color=BLUE, linewidth=5, label="hand backward")
ax_loss.plot(smooth_steps, auto_losses.unfold(0, WINDOW, 1).mean(1),
             "--", color=ORANGE, linewidth=1.5, label="loss.backward()")
for ax in (ax_loss, ax_gap):
    ax.axvline(LR_DROP, color="black", linestyle=":", linewidth=1)
ax_loss.annotate(f"lr {LR_LOW} from here", (LR_DROP, 1),
                 xycoords=("data", "axes fraction"), xytext=(4, -4),
                 textcoords="offset points", va="top", fontsize=9)
ax_loss.set_ylabel("loss")
ax_loss.set_title(f"Batch loss, running mean of {WINDOW} steps")
ax_loss.legend(loc="center right")
differ = (gap > 0).nonzero().flatten()
gap_in_ulps = gap_ulps[differ]
n_one_ulp = int((gap_in_ulps == 1).sum())
ax_gap.plot(differ, gap_in_ulps, ".", color=BLUE, markersize=3)
ax_gap.set_yticks(range(1, max_gap_ulps + 1))
ax_gap.set_ylim(0, max_gap_ulps + 0.5)
ax_gap.set_xlabel("step")
ax_gap.set_ylabel("rounding steps")
ax_gap.set_title("|hand - autograd| loss, where they differ")
fig.tight_layout()

# %% [markdown]
# At the top, the two curves lie on top of each other: the thick blue line is the hand run,
# the thin dashed orange one the autograd run. The drop after the learning rate falls to
# 0.01 is the usual one: smaller steps settle into the valley the large
# steps kept overshooting. At the bottom, every step at which the losses differ at all,
# measured in rounding steps of float32 at that loss (the gap between neighbouring float32
# numbers); the steps where they are equal have nothing to draw. Two float32 numbers of
# about the same size always differ by a whole number of rounding steps, and here most differences are the
# smallest possible: a single step at `n_one_ulp` of the `len(differ)` steps that
# differ.
#
# ## Why they drift apart, and why only a little
#
# The chain is short. The gradients differ in the last bits (the table above). An update
# $\theta \leftarrow \theta - \eta\, g$ with a gradient that differs in its last bits gives
# a parameter that may differ in its last bit, or not at all, when the difference is too
# small to move the rounding of $\theta$. Parameters that differ give losses that differ,
# and every later gradient is computed at slightly different parameters. The question is
# whether the training dynamics amplify those differences, as a chaotic system would, or
# merely carry them along. The kept copies of the parameters answer it:

# %%
print(" step  differ  max |diff|  distance  relative")
start_flat = flat(start)
max_diff, distance, relative_gap = {}, {}, {}
for step in KEEP:
    h, a = hand_kept[step], auto_kept[step]
    moved = (h - start_flat).norm()          # how far training went
    max_diff[step] = (h - a).abs().max().item()
    distance[step] = (h - a).norm().item()
    relative_gap[step] = distance[step] / moved.item()
    print(f"{step:5} {int((h != a).sum()):7}"
          f"     {max_diff[step]:.1e}   {distance[step]:.1e}"
          f"   {relative_gap[step]:.1e}")
first_differ = int((hand_kept[1] != auto_kept[1]).sum())
max_growth = max_diff[N_STEPS] / max_diff[1]
distance_growth = distance[N_STEPS] / distance[1]
relative_growth = relative_gap[N_STEPS] / relative_gap[1]

# %% [markdown]
# In the table, `differ` counts the parameter entries (of 12,297) that
# are not bit for bit equal between the two runs, `max |diff|` is the largest difference
# among them, `distance` is the distance between the two runs' parameters (all of them as
# one vector), and `relative` is that distance divided by the distance the hand run has
# travelled from the start.
#
# After a single step, `first_differ` entries already differ; the rest came out
# identical, because the difference in their gradient was too small to change the rounded
# result of the update. The loss is a single number rounded to float32, and it stays equal
# for the first `n_equal_start` steps, until the parameter differences add up to enough
# to move it.
#
# Do the runs drift apart? `"Yes, steadily" if distance_growth > 2 else "Hardly"`. Over the 5,000 steps the largest
# difference grows from `f"{max_diff[1]:.1e}"` to `f"{max_diff[N_STEPS]:.1e}"`,
# `f"{max_growth:.0f}"` times, and the distance between the runs
# `f"{distance_growth:.0f}"` times. The `relative` column grows less,
# `f"{relative_growth:.1f}"` times, only because what it divides by, the distance
# travelled, grows too; it is not the measure of the gap. What the gap does not do is
# explode. If training amplified small differences, as a chaotic system does, the gap would
# be multiplied by some factor every few steps and, after thousands of steps, reach the size
# of the parameters themselves, leaving two runs with nothing in common. Here, after the
# last step, the largest difference is `f"{max_diff[N_STEPS]:.1e}"`, where a typical
# parameter is `f"{hand_kept[N_STEPS].abs().mean():.2f}"` in size: at this learning rate a tiny
# difference in the parameters makes a tiny difference in the next gradient, and the next
# batches pull both runs the same way. (A much larger learning rate, at the edge of where
# training diverges, would be a different story; this page does not go there.)
#
# ## On the dev set, and some names
#
# During training, BatchNorm normalises with the mean and variance of each batch. To use
# the network on other data, it needs one fixed mean and variance: `batchnorm_statistics`
# computes them over the whole training set, once, after training, and `evaluate` runs the
# network with them. The loss on all training examples and on the dev examples, which the
# network never trained on:

# %%
bn_mean, bn_var = batchnorm_statistics(hand, Xtr)
train_loss = evaluate(hand, Xtr, Ytr, bn_mean, bn_var)
dev_loss = evaluate(hand, Xdev, Ydev, bn_mean, bn_var)
auto_stats = batchnorm_statistics(auto, Xtr)
auto_train = evaluate(auto, Xtr, Ytr, *auto_stats)
auto_dev = evaluate(auto, Xdev, Ydev, *auto_stats)
dev_match = ("exactly the same dev loss, to the last bit"
             if auto_dev == dev_loss else "a dev loss that differs by"
             f" {abs(dev_loss - auto_dev):.1e}")
print("           train    dev")
print(f"hand      {train_loss:.5f}  {dev_loss:.5f}")
print(f"autograd  {auto_train:.5f}  {auto_dev:.5f}")

# %% [markdown]
# The hand-trained network reaches 2.05 on the training set and
# 2.10 on the dev set; the autograd-trained one gets
# `dev_match`. The dev loss is higher, as it should be for words the network
# has not seen, but only by 0.05: after this little training
# the network has not overfitted its training names, and the loss curve above was still
# falling when the runs stopped.
#
# Now sample from it: start with `...`, draw the next character from the softmax, shift it
# into the context, and stop at the first `.`; `sample_names` does exactly that, with a
# seeded generator. Names that happen to be real ones, from the full census list, are
# marked:

# %%
g_names = torch.Generator().manual_seed(SEED)
samples = sample_names(hand, bn_mean, bn_var, 12, generator=g_names)
known = set(words)
for i, name in enumerate(samples, 1):
    mark = "   (a real name)" if name in known else ""
    print(f"{i:2}. {name or '(empty: stopped at once)'}{mark}")
n_real = sum(name in known for name in samples)
real_phrase = (f"{n_real} is a real census name" if n_real == 1
               else f"{n_real} are real census names")
mean_length = f"{sum(map(len, samples)) / len(samples):.1f}"

# %% [markdown]
# Honestly: these are not good names yet, but they are recognisably trying to be names.
# Of the 12, `real_phrase`. Most of the rest are
# pronounceable and end the way names often end, and a few are strings no parent would
# choose. Their mean length is `mean_length` letters, against
# 6.0 for the census names. The network sees only the last 3 characters, so it
# cannot keep a long name consistent, and 5,000 steps is little training:
# Karpathy's makemore trains for many more steps on a much longer list of names. The
# point here is another one: every one of these names came out of parameters that no
# autograd ever touched.
#
# > **The rule to remember**
# >
# > A backward pass that agrees with autograd to rounding trains the same network: its
# > gradients differ in the last bits, so the parameters and the losses differ in the last
# > bits, and at a moderate learning rate they stay there. Check the gradients on one batch
# > before the long run, because a wrong gradient does not crash, it only trains badly.
#
# ## Exercise
#
# Plain SGD moves each parameter by the current gradient alone. SGD with *momentum* keeps a
# velocity $v$ per parameter, a running sum of past gradients, and moves by that:
#
# $$
# v \leftarrow \mu\, v + g, \qquad \theta \leftarrow \theta - \eta\, v .
# $$
#
# This is what `torch.optim.SGD(params, lr, momentum)` does (its velocity starts as the
# first gradient itself). Add momentum to the hand loop with $\mu = 0.9$ and
# $\eta = 0.01$, train for 200 steps from `start` on the
# same batches, and compare the losses step by step with the autograd loop driven by
# `torch.optim.SGD`. What should you expect, and what do you get?
#
# **Solution**
#
# Expect the same as above: the two runs' losses equal at the first step and within a few
# rounding steps afterwards. The velocity is one more tensor per parameter, updated by
# hand; nothing else in the loop changes. On the machine that built this page the largest difference over
# the 200 steps is `ex_max_gap`. With
# $\eta = 0.01$ and $\mu = 0.9$ the steps are, once the velocity
# has built up, about as long as plain SGD's with a learning rate of
# 0.1, so the loss falls about as fast as in the runs above: the mean of the last fifty losses is
# 2.46 with momentum, against
# 2.45 for plain SGD over the same
# steps.

# %%
MU, EX_LR, EX_STEPS = 0.9, 0.01, 200

ex_hand = fresh_copy(start, requires_grad=False)
velocity = [torch.zeros_like(t) for t in ex_hand]
g = torch.Generator().manual_seed(SEED)
ex_hand_losses = []
with torch.no_grad():
    for step in range(EX_STEPS):
        Xb, Yb = sample_batch(Xtr, Ytr, BATCH, generator=g)
        fw = forward(ex_hand, Xb, Yb)
        grads = backward(ex_hand, fw, Xb, Yb)
        for param, grad, v in zip(ex_hand, grads, velocity):
            v.mul_(MU).add_(grad)     # v <- mu v + g (v starts at 0)
            param -= EX_LR * v
        ex_hand_losses.append(fw.loss.item())
ex_hand_losses = torch.tensor(ex_hand_losses)

ex_auto = fresh_copy(start, requires_grad=True)
optimizer = torch.optim.SGD(list(ex_auto), lr=EX_LR, momentum=MU)
g = torch.Generator().manual_seed(SEED)
ex_auto_losses = []
for step in range(EX_STEPS):
    Xb, Yb = sample_batch(Xtr, Ytr, BATCH, generator=g)
    fw = forward(ex_auto, Xb, Yb)
    optimizer.zero_grad()
    fw.loss.backward()
    optimizer.step()
    ex_auto_losses.append(fw.loss.item())
ex_auto_losses = torch.tensor(ex_auto_losses)

ex_gap = (ex_hand_losses - ex_auto_losses).abs()
assert ex_gap[0] == 0 and torch.allclose(ex_hand_losses, ex_auto_losses)
ex_max_gap = f"{ex_gap.max().item():.1e}"
print(f"largest |difference| over {EX_STEPS} steps: {ex_max_gap}")

# %% [markdown]
# The velocity starts at zero here, so after the first step it equals the first gradient,
# just as torch starts it; from then on the two updates are the same formula.

# %%
# Every number the text above states, checked against what the code computed (as
# the site's build checks them). Lines are the page's own.
from pagecheck.notebook import check_page

check_page(globals(), [
    (25, 'start.count', '12,297'),
    (31, 'len(words)', '5,163'),
    (33, 'Xtr.shape[0]', '28,862'),
    (33, 'Xdev.shape[0]', '3,635'),
    (37, 'n_hidden', '200'),
    (38, 'N_HIDDEN', '64'),
    (39, 'N_EMBD', '10'),
    (39, 'BLOCK_SIZE', '3'),
    (40, 'VOCAB_SIZE', '27'),
    (103, 'bessel_factor', '\\frac{n}{n-1}'),
    (106, 'bessel_factor', '\\frac{n}{n-1}'),
    (107, 'dof', 'n - 1'),
    (162, 'Xb.shape[0]', '32'),
    (183, 'len(check)', '7'),
    (186, 'len(list(fw.items()))', '20'),
    (196, 'LR_HIGH', '0.1'),
    (197, 'LR_DROP', '3,750'),
    (197, 'LR_LOW', '0.01'),
    (198, 'N_STEPS - LR_DROP', '1,250'),
    (199, 'N_STEPS', '5,000'),
    (199, 'BATCH', '32'),
    (200, 'N_STEPS * BATCH / Xtr.shape[0]', '5.5'),
    (321, 'step0_gap', '0'),
    (323, 'N_STEPS', '5,000'),
    (327, 'hand_losses[0]', '3.72'),
    (327, 'math.log(VOCAB_SIZE)', '3.30'),
    (328, 'VOCAB_SIZE', '27'),
    (329, 'hand_losses[-100:].mean()', '2.07'),
    (368, 'LR_LOW', '0.01'),
    (405, 'start.count', '12,297'),
    (417, 'N_STEPS', '5,000'),
    (455, 'train_loss', '2.05'),
    (456, 'dev_loss', '2.10'),
    (458, 'dev_loss - train_loss', '0.05'),
    (481, 'len(samples)', '12'),
    (484, 'sum(map(len, words)) / len(words)', '6.0'),
    (484, 'BLOCK_SIZE', '3'),
    (485, 'N_STEPS', '5,000'),
    (507, 'MU', '0.9'),
    (508, 'EX_LR', '0.01'),
    (508, 'EX_STEPS', '200'),
    (518, 'EX_STEPS', '200'),
    (519, 'EX_LR', '0.01'),
    (519, 'MU', '0.9'),
    (521, 'EX_LR / (1 - MU)', '0.1'),
    (522, 'ex_hand_losses[-50:].mean()', '2.46'),
    (523, 'hand_losses[EX_STEPS - 50:EX_STEPS].mean()', '2.45'),
], [
    (183, 'n_exact'),
    (185, 'largest_diff'),
    (323, 'n_equal'),
    (324, 'n_equal_start'),
    (324, 'max_gap'),
    (326, 'max_gap_ulps'),
    (373, 'n_one_ulp'),
    (373, 'len(differ)'),
    (411, 'first_differ'),
    (414, 'n_equal_start'),
    (417, '"Yes, steadily" if distance_growth > 2 else "Hardly"'),
    (418, 'f"{max_diff[1]:.1e}"'),
    (418, 'f"{max_diff[N_STEPS]:.1e}"'),
    (419, 'f"{max_growth:.0f}"'),
    (420, 'f"{distance_growth:.0f}"'),
    (421, 'f"{relative_growth:.1f}"'),
    (426, 'f"{max_diff[N_STEPS]:.1e}"'),
    (427, 'f"{hand_kept[N_STEPS].abs().mean():.2f}"'),
    (457, 'dev_match'),
    (481, 'real_phrase'),
    (483, 'mean_length'),
    (518, 'ex_max_gap'),
])
