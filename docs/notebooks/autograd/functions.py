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
# *This notebook is the page [Your own autograd.Function](https://backprop-by-hand.github.io/autograd/functions/) of Backprop by Hand, cell for cell. Run it from the top: the first cell sets up what the page needs, the last one checks every number the text states against what the code computed.*

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
# # Your own autograd.Function
#
# > **The question**
# >
# > On the cross-entropy and BatchNorm pages I derived fused backward passes: three lines
# > where autograd walks through a dozen operations. Can I hand them to autograd, so that
# > `loss.backward()` uses my formula for those two layers and its own rules for the rest?
# > And is there a way to be sure my backward is right before I train with it?
#
# An operation PyTorch does not know, or one whose backward you want to write yourself, is a
# subclass of `torch.autograd.Function` with two static methods. `forward(ctx, ...)` computes
# the output from plain tensors and keeps what the backward will need, with
# `ctx.save_for_backward(...)`. `backward(ctx, grad_output)` receives the output's gradient
# and returns one gradient per input of `forward`, `None` for an input that needs none.
# Autograd records the Function as one node, like any of its own operations, and calls its
# `backward` on the way back: exactly one closure of the [tensor engine](https://backprop-by-hand.github.io/autograd/tensor-engine/).
#
# ## Cross-entropy in one node
#
# The forward pass is the loss of [cross-entropy in one step](https://backprop-by-hand.github.io/mlp/cross-entropy/),
# computed stably (the row's largest logit subtracted first). The backward pass is that
# page's three lines: the probabilities, minus one at each target, over $n$. They need the
# probabilities and the targets, so those are what forward saves:

# %%
import time

import torch
import torch.nn.functional as F

from snippets.compare import compare_grads
from snippets.makemore import (SEED, VOCAB_SIZE, forward, init_params,
                               load_words, sample_batch, splits)
from snippets.saved import SavedLog


class CrossEntropy(torch.autograd.Function):
    """loss = mean over rows of -log softmax(logits)[row, target]."""

    @staticmethod
    def forward(ctx, logits, targets):
        n = logits.shape[0]
        shifted = logits - logits.max(1, keepdim=True).values
        logprobs = shifted - shifted.exp().sum(1, keepdim=True).log()
        ctx.save_for_backward(logprobs.exp(), targets)    # probs
        return -logprobs[range(n), targets].mean()

    @staticmethod
    def backward(ctx, grad_loss):
        probs, targets = ctx.saved_tensors
        n = probs.shape[0]
        grad_logits = probs.clone()
        grad_logits[range(n), targets] -= 1
        return grad_logits / n * grad_loss, None   # targets: none


# %% [markdown]
# On the network section's batch, against autograd's walk through the written-out loss:

# %%
(Xtr, Ytr), _, _ = splits(load_words())
params = init_params()
g = torch.Generator().manual_seed(SEED)
Xb, Yb = sample_batch(Xtr, Ytr, generator=g)
fw = forward(params, Xb, Yb)
fw.loss.backward()

logits = fw.logits.detach().requires_grad_(True)
loss_fn = CrossEntropy.apply(logits, Yb)
loss_fn.backward()
ce_table = compare_grads({"logits": (logits.grad, fw.logits.grad)},
                         caption="CrossEntropy against autograd")
print("loss, Function:", loss_fn.item(),
      "  written out:", fw.loss.item())
ce_table


# %% [markdown]
# The same loss, 3.4683, and the same gradient
# `"to the bit" if ce_table.all_exact else "up to the last bits (" + f"{ce_table[0].max_abs_diff:.1e}" + ")"`.
#
# ## BatchNorm in one node, and needs_input_grad
#
# [BatchNorm in one step](https://backprop-by-hand.github.io/mlp/batchnorm/) derived the gradient of `hprebn` in one
# formula, and those of the gain and the bias as sums. Its forward saves the normalized
# values, the inverse standard deviation and the gain. `ctx.needs_input_grad` says, for each
# input, whether anything upstream wants its gradient; a backward that checks it skips what
# nobody needs (the batch's pre-activations in a frozen layer, say):

# %%
class BatchNorm(torch.autograd.Function):
    """gain * (x - mean) / sqrt(var + eps) + bias, with the batch's
    variance divided by n - 1 (Bessel's correction), as makemore's."""

    @staticmethod
    def forward(ctx, x, gain, bias):
        n = x.shape[0]
        deviation = x - x.mean(0, keepdim=True)
        var = (deviation**2).sum(0, keepdim=True) / (n - 1)
        inv_std = (var + 1e-5) ** -0.5
        xhat = deviation * inv_std
        ctx.save_for_backward(xhat, inv_std, gain)
        return gain * xhat + bias

    @staticmethod
    def backward(ctx, d):
        xhat, inv_std, gain = ctx.saved_tensors
        n = d.shape[0]
        needs_x, needs_gain, needs_bias = ctx.needs_input_grad
        grad_x = (gain * inv_std / n * (
            n * d - d.sum(0) - n / (n - 1) * xhat * (d * xhat).sum(0))
            if needs_x else None)
        grad_gain = ((xhat * d).sum(0, keepdim=True) if needs_gain
                     else None)
        grad_bias = d.sum(0, keepdim=True) if needs_bias else None
        return grad_x, grad_gain, grad_bias


hprebn = fw.hprebn.detach().requires_grad_(True)
gain = params.bngain.detach().clone().requires_grad_(True)
bias = params.bnbias.detach().clone().requires_grad_(True)
BatchNorm.apply(hprebn, gain, bias).backward(fw.hpreact.grad)
bn_table = compare_grads({
    "hprebn": (hprebn.grad, fw.hprebn.grad),
    "bngain": (gain.grad, params.bngain.grad),
    "bnbias": (bias.grad, params.bnbias.grad)},
    caption="BatchNorm against autograd")
bn_table

# %% [markdown]
# Fed autograd's gradient at `hpreact`, the Function's three gradients are autograd's, the
# largest difference `f"{max(r.max_abs_diff for r in bn_table):.1e}"`. To watch
# `needs_input_grad`, a subclass that records it, applied to a `frozen` input that needs no
# gradient:

# %%
frozen = fw.hprebn.detach()                 # needs no gradient
needs_seen = None


class Spy(BatchNorm):
    @staticmethod
    def backward(ctx, d):
        global needs_seen
        needs_seen = tuple(ctx.needs_input_grad)
        return BatchNorm.backward(ctx, d)


Spy.apply(frozen, gain, bias).sum().backward()
print("needs_input_grad for (frozen, gain, bias):", needs_seen)

# %% [markdown]
# For the `frozen` input it is `str(needs_seen)`: the long formula for `x` is never
# evaluated.
#
# ## gradcheck
#
# A hand-written backward can be wrong in ways a single comparison misses. `gradcheck`
# compares it with finite differences, entry by entry, on small float64 inputs (in float32
# a finite difference is too coarse to tell a right gradient from a slightly wrong one):

# %%
from torch.autograd import gradcheck

gen = torch.Generator().manual_seed(0)
small_logits = torch.randn(5, 7, generator=gen, dtype=torch.float64,
                           requires_grad=True)
small_targets = torch.randint(0, 7, (5,), generator=gen)
small_x = torch.randn(6, 4, generator=gen, dtype=torch.float64,
                      requires_grad=True)
small_gain = torch.randn(1, 4, generator=gen, dtype=torch.float64,
                         requires_grad=True)
small_bias = torch.randn(1, 4, generator=gen, dtype=torch.float64,
                         requires_grad=True)
ce_passes = gradcheck(CrossEntropy.apply, (small_logits, small_targets))
bn_passes = gradcheck(BatchNorm.apply,
                      (small_x, small_gain, small_bias))


class BatchNormBiased(BatchNorm):
    """The backward with n where the forward divides by n - 1."""

    @staticmethod
    def backward(ctx, d):
        xhat, inv_std, gain = ctx.saved_tensors
        n = d.shape[0]
        wrong_x = gain * inv_std / n * (      # n - 1 forgotten
            n * d - d.sum(0) - xhat * (d * xhat).sum(0))
        return (wrong_x, (xhat * d).sum(0, keepdim=True),
                d.sum(0, keepdim=True))


try:
    gradcheck(BatchNormBiased.apply, (small_x, small_gain, small_bias))
    caught = None
except RuntimeError as error:
    caught = str(error).splitlines()[0].rstrip(",")
print("CrossEntropy:", ce_passes, "  BatchNorm:", bn_passes)
print("BatchNorm with the variance's n - 1 forgotten:", caught)


# %% [markdown]
# `"Both Functions pass" if ce_passes and bn_passes else "A Function fails"`. The third one makes the classic
# mistake of the [BatchNorm page](https://backprop-by-hand.github.io/mlp/batchnorm/): its backward uses the biased
# variance's formula while the forward divides by `n - 1`. gradcheck refuses it:
# "`caught`".
#
# ## What each one saves
#
# `SavedLog` (from [what autograd keeps](https://backprop-by-hand.github.io/beyond/what-autograd-keeps/)) records every
# tensor saved for backward, by autograd's own nodes and by `ctx.save_for_backward` alike.
# The written-out loss and BatchNorm of `snippets.makemore.forward`, against the Functions:

# %%
def unfused_ce(logits, targets):
    n = logits.shape[0]
    logit_maxes = logits.max(1, keepdim=True).values
    norm_logits = logits - logit_maxes
    counts = norm_logits.exp()
    counts_sum = counts.sum(1, keepdim=True)
    probs = counts * counts_sum**-1
    return -probs.log()[range(n), targets].mean()


def unfused_bn(x, gain, bias):
    n = x.shape[0]
    bndiff = x - 1 / n * x.sum(0, keepdim=True)
    bnvar = 1 / (n - 1) * (bndiff**2).sum(0, keepdim=True)
    return gain * (bndiff * (bnvar + 1e-5) ** -0.5) + bias


logits_in = fw.logits.detach().requires_grad_(True)
x_in = fw.hprebn.detach().requires_grad_(True)
saved = {}
for name, run in (("cross-entropy, written out",
                   lambda: unfused_ce(logits_in, Yb)),
                  ("CrossEntropy",
                   lambda: CrossEntropy.apply(logits_in, Yb)),
                  ("BatchNorm, written out",
                   lambda: unfused_bn(x_in, gain, bias)),
                  ("BatchNorm",
                   lambda: BatchNorm.apply(x_in, gain, bias))):
    with SavedLog() as log:
        run()
    saved[name] = log.distinct_bytes
for name, nbytes in saved.items():
    print(f"{name:28} {nbytes:6,} bytes")

# %% [markdown]
# The written-out cross-entropy keeps 7,936
# bytes for its backward; the Function keeps the probabilities and the targets,
# 3,712 bytes (the probabilities,
# [32, 27] in float32, and the 32 targets as
# int64). BatchNorm written out keeps 17,152 bytes;
# the Function 8,704. Fewer nodes, fewer intermediates kept
# alive until backward reaches them.
#
# ## Training with them
#
# The network of the [training page](https://backprop-by-hand.github.io/mlp/training/), with the two Functions in place of
# the written-out layers, and autograd for everything else: the same parameters and batches
# as the written-out network, 200 steps each:

# %%
STEPS, LR = 200, 0.1


def loss_with_functions(p, Xb, Yb):
    n = Xb.shape[0]
    embcat = p.C[Xb].view(n, -1)
    hpreact = BatchNorm.apply(embcat @ p.W1 + p.b1, p.bngain, p.bnbias)
    logits = torch.tanh(hpreact) @ p.W2 + p.b2
    return CrossEntropy.apply(logits, Yb)


def train(loss_of):
    net = init_params()
    gen = torch.Generator().manual_seed(SEED)
    losses, start = [], time.perf_counter()
    for step in range(STEPS):
        Xs, Ys = sample_batch(Xtr, Ytr, generator=gen)
        loss = loss_of(net, Xs, Ys)
        loss.backward()
        with torch.no_grad():
            for p in net:
                p -= LR * p.grad
                p.grad = None
        losses.append(loss.item())
    return losses, time.perf_counter() - start


fused_losses, fused_seconds = train(loss_with_functions)
plain_losses, plain_seconds = train(
    lambda p, X, Y: forward(p, X, Y, retain_grads=False).loss)
train_gap = max(abs(a - b) for a, b in zip(fused_losses, plain_losses))
print(f"last loss: Functions {fused_losses[-1]:.4f}, "
      f"written out {plain_losses[-1]:.4f}")
print(f"largest difference over {STEPS} steps: {train_gap:.1e}")

# %% [markdown]
# Both runs end near 2.6 (the mean of the last twenty
# steps), and they never differ by more than `f"{train_gap:.1e}"`: the Functions compute
# the same gradients, rounded differently. On this machine the run with the Functions took
# `f"{fused_seconds:.2f}"` seconds against `f"{plain_seconds:.2f}"` for the
# written-out layers.
#
# > **The rule to remember**
# >
# > A `Function`'s forward saves what its backward reads; its backward returns one
# > gradient per input, checked with `gradcheck` in float64 before anything trains on it.
#
# ## Exercise
#
# Write `Tanh`, a `Function` whose forward computes `torch.tanh(x)` and whose backward uses
# the [element-wise rule](https://backprop-by-hand.github.io/rules/elementwise/), reading only what forward saved. Which
# tensor should it save? Check it with `gradcheck`.
#
# **Solution**
#
# The derivative, $1 - h^2$ for the output $h$, is a function of the
# output alone, so forward saves its output
# and nothing else; saving `x` would force backward to compute `tanh` again.

# %%
import sympy as sp

xs, hs = sp.symbols("x h")
tanh_local = sp.diff(sp.tanh(xs), xs).subs(sp.tanh(xs), hs)


class Tanh(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        out = torch.tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        out, = ctx.saved_tensors
        return grad_out * (1 - out**2)


ex_x = torch.randn(3, 4, generator=gen, dtype=torch.float64,
                   requires_grad=True)
ex_passes = gradcheck(Tanh.apply, (ex_x,))
ex_t = torch.randn(3, 4, generator=gen, requires_grad=True)
Tanh.apply(ex_t).sum().backward()
print("gradcheck:", ex_passes, "  against 1 - tanh^2:",
      torch.allclose(ex_t.grad, 1 - torch.tanh(ex_t.detach()) ** 2))
assert ex_passes

# %%
# Every number the text above states, checked against what the code computed (as
# the site's build checks them). Lines are the page's own.
from pagecheck.notebook import check_page

check_page(globals(), [
    (85, 'loss_fn.item()', '3.4683'),
    (255, 'saved["cross-entropy, written out"]', '7,936'),
    (257, 'saved["CrossEntropy"]', '3,712'),
    (258, 'list(fw.probs.shape)', '[32, 27]'),
    (258, 'Yb.numel()', '32'),
    (259, 'saved["BatchNorm, written out"]', '17,152'),
    (260, 'saved["BatchNorm"]', '8,704'),
    (267, 'STEPS', '200'),
    (306, 'sum(fused_losses[-20:]) / 20', '2.6'),
    (326, 'tanh_local', '1 - h^2'),
], [
    (86, '"to the bit" if ce_table.all_exact else "up to the last bits (" + f"{ce_table[0].max_abs_diff:.1e}" + ")"'),
    (138, 'f"{max(r.max_abs_diff for r in bn_table):.1e}"'),
    (159, 'str(needs_seen)'),
    (208, '"Both Functions pass" if ce_passes and bn_passes else "A Function fails"'),
    (211, 'caught'),
    (307, 'f"{train_gap:.1e}"'),
    (309, 'f"{fused_seconds:.2f}"'),
    (309, 'f"{plain_seconds:.2f}"'),
])
