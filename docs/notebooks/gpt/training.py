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
# *This notebook is the page [Training the GPT with your own gradients](https://backprop-by-hand.github.io/gpt/training/) of Backprop by Hand, cell for cell. Run it from the top: the first cell sets up what the page needs, the last one checks every number the text states against what the code computed.*

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
# # Training the GPT with your own gradients
#
# > **The question**
# >
# > [Every intermediate](https://backprop-by-hand.github.io/gpt/every-intermediate/) checked the backward pass on one batch,
# > and [AdamW by hand](https://backprop-by-hand.github.io/gpt/adamw/) checked the optimizer on autograd's gradients. Do the
# > two together train the GPT as well as `loss.backward()` and `torch.optim.AdamW` do,
# > with no autograd at all? And is the result any better than the MLP?
#
# ## Two runs
#
# The names are split as in the network section: the first
# 80 per cent of the names to train on, the next ten
# per cent as the dev set. Each split becomes a stream. Both runs
# start from the same parameters, draw the same windows and take 2,000 AdamW
# steps on batches of 32 windows of 8 characters, with a
# learning rate of 0.01. The hand run never asks autograd for anything: its
# parameters do not require gradients and the loop runs under `torch.no_grad()`, with
# `gpt.backward_by_hand` (the lines of Every intermediate) and `gpt.AdamW` (the lines of
# AdamW by hand).

# %%
import torch

from snippets import gpt
from snippets.gpt import BLOCK
from snippets.makemore import VOCAB, load_words

STEPS, BATCH, LR = 2000, 32, 1e-2
words = load_words()
n1, n2 = int(0.8 * len(words)), int(0.9 * len(words))
train, dev = gpt.stream(words[:n1]), gpt.stream(words[n1:n2])


def run(by_hand):
    p = gpt.init_params()
    g = torch.Generator().manual_seed(0)
    losses = []
    if by_hand:
        for q in p:
            q.requires_grad_(False)
        optimizer = gpt.AdamW(list(p), lr=LR)
        with torch.no_grad():                # no graph, ever
            for _ in range(STEPS):
                X, Y = gpt.sample_windows(train, BATCH, g)
                t = gpt.forward(p, X, Y)
                grads = gpt.backward_by_hand(p, t, X, Y)
                optimizer.step(grads.values())
                losses.append(t["loss"].item())
    else:
        optimizer = torch.optim.AdamW(list(p), lr=LR)
        for _ in range(STEPS):
            X, Y = gpt.sample_windows(train, BATCH, g)
            t = gpt.forward(p, X, Y)
            optimizer.zero_grad()
            t["loss"].backward()
            optimizer.step()
            losses.append(t["loss"].item())
    return p, torch.tensor(losses)


hand, hand_losses = run(by_hand=True)
auto, auto_losses = run(by_hand=False)
assert all(not q.requires_grad and q.grad is None for q in hand)
gap = (hand_losses - auto_losses).abs()
assert hand_losses[0] == auto_losses[0]
print(f"{train.numel():,} training characters, {dev.numel():,} dev")
print(f"first loss: hand {hand_losses[0]:.4f}, autograd"
      f" {auto_losses[0]:.4f}")
print(f"last loss:  hand {hand_losses[-1]:.4f}, autograd"
      f" {auto_losses[-1]:.4f}")
print(f"largest gap over {STEPS} steps: {gap.max():.1e}")

# %% [markdown]
# The two runs start from the same loss, to the bit (the fence asserts it):
# 3.31, near `ln 27`. Over all 2,000 steps
# the two losses stay within `f"{gap.max():.0e}"` of each other, but not bit for bit:
# the hand-written gradients differ from autograd's in the last bits of float32 (Every
# intermediate showed by how much), and AdamW, which divides by the square root of small
# second moments, lets such differences grow. Both runs still learn alike: in the plot the
# two curves lie on top of each other.

# %%
import matplotlib.pyplot as plt


def smooth(x, k=50):
    return x.unfold(0, k, k).mean(1)


fig, ax = plt.subplots(figsize=(7, 3.2))
steps = torch.arange(len(smooth(hand_losses))) * 50 + 25
ax.plot(steps, smooth(auto_losses), linewidth=3, alpha=0.5,
        label="autograd + torch.optim.AdamW")
ax.plot(steps, smooth(hand_losses), label="by hand, no autograd",
        linewidth=1.2)
ax.set_xlabel("step")
ax.set_ylabel("training loss (mean of 50 steps)")
ax.legend()
fig.tight_layout()

# %% [markdown]
# ## On the dev names, against the MLP
#
# The dev loss is the mean cross-entropy of predicting every character of the dev stream
# (each name's letters and the `.` that ends it), the stream read in consecutive windows of
# 8. The network section's MLP is trained here as its
# [training page](https://backprop-by-hand.github.io/mlp/training/) trains it (autograd, plain SGD, its
# 5,000 steps), and scored on the same dev names, each character predicted from the three before
# it.

# %%
from snippets.makemore import (batchnorm_statistics, evaluate, forward,
                               init_params, sample_batch, splits)


def stream_loss(p, data):
    n = (data.numel() - 1) // BLOCK
    X = data[: n * BLOCK].view(n, BLOCK)
    Y = data[1 : n * BLOCK + 1].view(n, BLOCK)
    with torch.no_grad():
        return gpt.forward(p, X, Y)["loss"].item()


gpt_dev, auto_dev = stream_loss(hand, dev), stream_loss(auto, dev)

(Xtr, Ytr), (Xdev, Ydev), _ = splits(words)
mlp = init_params(n_hidden=200)
g = torch.Generator().manual_seed(2147483647)
MLP_STEPS = 5000
for step in range(MLP_STEPS):
    Xb, Yb = sample_batch(Xtr, Ytr, 32, generator=g)
    fw = forward(mlp, Xb, Yb, retain_grads=False)
    for q in mlp:
        q.grad = None
    fw.loss.backward()
    with torch.no_grad():
        for q in mlp:
            q -= (0.1 if step < 3750 else 0.01) * q.grad  # its schedule
mlp_dev = evaluate(mlp, Xdev, Ydev, *batchnorm_statistics(mlp, Xtr))
print(f"dev loss: GPT by hand {gpt_dev:.4f}, GPT with autograd"
      f" {auto_dev:.4f}, MLP {mlp_dev:.4f}")


# %% [markdown]
# The hand-trained GPT scores `f"{gpt_dev:.3f}"` on the dev names and the autograd run
# `f"{auto_dev:.3f}"`; the MLP scores `f"{mlp_dev:.3f}"`.
# `"The GPT is ahead" if gpt_dev < mlp_dev else "The MLP is still ahead"`, by
# `f"{abs(gpt_dev - mlp_dev):.3f}"`. Neither is tuned: the GPT has
# 14,464 parameters and saw 512,000
# predictions, and the two do not predict from the same context (the MLP three characters
# of the same name, the GPT up to seven characters of the stream, across the end of the
# previous name).
#
# ## Names from the model
#
# Sampling runs the model on the characters so far (the last 8 of them),
# draws the next character from the last position's probabilities, and stops at a `.`:

# %%
def sample(p, count, seed=0):
    g = torch.Generator().manual_seed(seed)
    names = []
    for _ in range(count):
        context, name = [0], ""
        while len(name) < 20:
            X = torch.tensor([context[-BLOCK:]])
            with torch.no_grad():
                t = gpt.forward(p, X, X)
            probs = t["logprobs"][0, -1].exp()
            ix = int(torch.multinomial(probs, 1, generator=g))
            if ix == 0:
                break
            name += VOCAB[ix]
            context.append(ix)
        names.append(name)
    return names


print(", ".join(sample(hand, 12)))

# %% [markdown]
# > **The rule to remember**
# >
# > Hand-written gradients and a hand-written optimizer train a transformer as autograd
# > does: the runs differ in the last bits of each step, and learn alike.

# %%
# Every number the text above states, checked against what the code computed (as
# the site's build checks them). Lines are the page's own.
from pagecheck.notebook import check_page

check_page(globals(), [
    (20, 'round(100 * n1 / len(words))', '80'),
    (22, 'STEPS', '2,000'),
    (23, 'BATCH', '32'),
    (23, 'BLOCK', '8'),
    (24, 'LR', '0.01'),
    (83, 'float(hand_losses[0])', '3.31'),
    (83, 'STEPS', '2,000'),
    (114, 'BLOCK', '8'),
    (116, 'MLP_STEPS', '5,000'),
    (156, 'hand.count', '14,464'),
    (156, 'STEPS * BATCH * BLOCK', '512,000'),
    (163, 'BLOCK', '8'),
], [
    (84, 'f"{gap.max():.0e}"'),
    (152, 'f"{gpt_dev:.3f}"'),
    (153, 'f"{auto_dev:.3f}"'),
    (153, 'f"{mlp_dev:.3f}"'),
    (154, '"The GPT is ahead" if gpt_dev < mlp_dev else "The MLP is still ahead"'),
    (155, 'f"{abs(gpt_dev - mlp_dev):.3f}"'),
])
