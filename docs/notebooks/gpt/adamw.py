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
# *This notebook is the page [AdamW by hand](https://backprop-by-hand.github.io/gpt/adamw/) of Backprop by Hand, cell for cell. Run it from the top: the first cell sets up what the page needs, the last one checks every number the text states against what the code computed.*

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
# # AdamW by hand
#
# > **The question**
# >
# > The network section trained with plain SGD: `p -= lr * grad`. GPTs are trained with
# > AdamW. What does `optimizer.step()` do with the gradients, line by line? And is
# > writing it out enough to get the very same parameters as `torch.optim.AdamW`?
#
# ## The update
#
# For each parameter $\theta$ with gradient $g$ at step $t$ (counted from one), AdamW keeps
# two running averages, the first moment $m$ (of the gradient) and the second moment $v$
# (of its square). Both start at zero, so in the first steps both are too small: each is
# divided by its *bias correction*, one minus $\beta$ to the power $t$,
# which goes to one as $t$ grows. The step divides the corrected first moment by the square
# root of the corrected second, with $\epsilon$ added *after* the square root (it only keeps
# the division finite where $\hat v$ is zero), and the weight decay $\lambda$ shrinks the
# parameter directly, apart from the gradient:
#
# ```text
# m  ←  β1·m + (1 − β1)·g              first moment
# v  ←  β2·v + (1 − β2)·g²             second moment
# m̂  =  m / (1 − β1^t)                 bias corrections
# v̂  =  v / (1 − β2^t)
# θ  ←  θ − η·λ·θ − η·m̂ / (√v̂ + ε)     decay, then the step
# ```
#
# PyTorch
# $\epsilon$ 1e-8 and $\lambda$ 0.01. The learning rate $\eta$
# here is 0.01, the one the training page uses.
#
# ## Step by step against torch.optim.AdamW
#
# To test the optimizer alone, both sides get the same gradients: autograd's, for
# 5 batches of the tiny GPT of the [previous page](https://backprop-by-hand.github.io/gpt/every-intermediate/),
# recorded while `torch.optim.AdamW` takes its steps. The hand-written update then takes
# the same steps from the same starting parameters.

# %%
import torch

from snippets import gpt
from snippets.makemore import load_words

LR, BETA1, BETA2, EPS, WD = 1e-2, 0.9, 0.999, 1e-8, 1e-2
STEPS = 5
data = gpt.stream(load_words())
g = torch.Generator().manual_seed(0)
batches = [gpt.sample_windows(data, 32, g) for _ in range(STEPS)]

model = gpt.init_params()
start = [q.detach().clone() for q in model]
optimizer = torch.optim.AdamW(list(model), lr=LR, betas=(BETA1, BETA2),
                              eps=EPS, weight_decay=WD)
grads, torch_after = [], []
for X, Y in batches:
    optimizer.zero_grad()
    gpt.forward(model, X, Y)["loss"].backward()
    grads.append([q.grad.clone() for q in model])
    optimizer.step()
    torch_after.append([q.detach().clone() for q in model])
print(f"{len(start)} parameter tensors, {STEPS} steps of torch's AdamW")


# %% [markdown]
# The update, in the order PyTorch's own loop computes it on the CPU (`_single_tensor_adam`
# in `torch/optim/adam.py`): the decay first, the first moment as a `lerp` (linear
# interpolation, `m + (1 − β1)·(g − m)`, the same value as the formula above), and the
# step as one `addcdiv`:

# %%
def adamw_step(q, g, m, v, t):
    q.mul_(1 - LR * WD)                              # decoupled decay
    m.lerp_(g, 1 - BETA1)                            # first moment
    v.mul_(BETA2).addcmul_(g, g, value=1 - BETA2)    # second moment
    c1, c2 = 1 - BETA1**t, 1 - BETA2**t              # corrections
    denom = (v.sqrt() / c2**0.5).add_(EPS)           # eps after sqrt
    q.addcdiv_(m, denom, value=-LR / c1)


params = [q.clone() for q in start]
moments = [(torch.zeros_like(q), torch.zeros_like(q)) for q in start]
exact_steps = 0
for t, (step_grads, expected) in enumerate(zip(grads, torch_after), 1):
    for q, gr, (m, v) in zip(params, step_grads, moments):
        adamw_step(q, gr, m, v, t)
    exact_steps += all(torch.equal(q, e)
                       for q, e in zip(params, expected))
print(f"steps where every parameter equals torch's, bit for bit:"
      f" {exact_steps} of {STEPS}")

# %% [markdown]
# All 5 steps give every parameter exactly torch's value. That holds
# on any machine: both sides call the same PyTorch operations, on the same numbers, in the
# same order.
#
# ### The same formula in another order
#
# Written as the textbook formula, with the corrected moments as tensors of their own and
# the decay added to the step, the arithmetic is the same in exact numbers but is rounded
# at other places:

# %%
textbook = [q.clone() for q in start]
tb_moments = [(torch.zeros_like(q), torch.zeros_like(q)) for q in start]
for t, step_grads in enumerate(grads, 1):
    for i, (q, gr) in enumerate(zip(textbook, step_grads)):
        m, v = tb_moments[i]
        m = BETA1 * m + (1 - BETA1) * gr
        v = BETA2 * v + (1 - BETA2) * gr * gr
        m_hat, v_hat = m / (1 - BETA1**t), v / (1 - BETA2**t)
        step = LR * m_hat / (v_hat.sqrt() + EPS)
        textbook[i] = q - LR * WD * q - step
        tb_moments[i] = (m, v)
largest = max((a - b).abs().max().item()
              for a, b in zip(textbook, torch_after[-1]))
n_same = sum(torch.equal(a, b)
             for a, b in zip(textbook, torch_after[-1]))
print(f"after {STEPS} steps: {n_same} of {len(textbook)} tensors"
      f" the same, largest difference {largest:.1e}")

# %% [markdown]
# After 5 steps, `n_same` of 15 tensors are
# bit for bit torch's on the machine that built this page, and the largest difference is
# `f"{largest:.1e}"`: a few units in the last place of float32. Both are AdamW; only the
# order of rounding differs ([why the bits differ](https://backprop-by-hand.github.io/beyond/why-the-bits-differ/)).
#
# ## Decoupled decay against Adam's L2 term
#
# Plain Adam with `weight_decay` does not shrink the parameter directly: it adds
# $\lambda \theta$ to the gradient, as the gradient of an L2 penalty
# `λ/2·‖θ‖²` would. That sum then goes through the moments,
# so the decay too is divided by $\sqrt{\hat v}$: a parameter whose gradients are large is
# hardly decayed at all. AdamW ("decoupled weight decay", Loshchilov and Hutter) takes the
# decay out of the moments. By hand, Adam's version against `torch.optim.Adam`:

# %%
l2_model = gpt.init_params()
l2_opt = torch.optim.Adam(list(l2_model), lr=LR, betas=(BETA1, BETA2),
                          eps=EPS, weight_decay=WD)
l2_grads, l2_torch = [], None
for X, Y in batches:
    l2_opt.zero_grad()
    gpt.forward(l2_model, X, Y)["loss"].backward()
    l2_grads.append([q.grad.clone() for q in l2_model])
    l2_opt.step()
l2_torch = [q.detach().clone() for q in l2_model]


def adam_l2_step(q, g, m, v, t):
    g = g.add(q, alpha=WD)                           # the L2 term
    m.lerp_(g, 1 - BETA1)
    v.mul_(BETA2).addcmul_(g, g, value=1 - BETA2)
    c1, c2 = 1 - BETA1**t, 1 - BETA2**t
    denom = (v.sqrt() / c2**0.5).add_(EPS)
    q.addcdiv_(m, denom, value=-LR / c1)


l2_params = [q.clone() for q in start]
l2_moments = [(torch.zeros_like(q), torch.zeros_like(q)) for q in start]
for t, step_grads in enumerate(l2_grads, 1):
    for q, gr, (m, v) in zip(l2_params, step_grads, l2_moments):
        adam_l2_step(q, gr, m, v, t)
l2_exact = all(torch.equal(a, b) for a, b in zip(l2_params, l2_torch))
apart = max((a - b).abs().max().item()
            for a, b in zip(l2_torch, torch_after[-1]))
print("Adam with L2 by hand equals torch.optim.Adam:", l2_exact)
assert l2_exact
print(f"Adam with L2 against AdamW after {STEPS} steps:"
      f" up to {apart:.1e} apart")

# %% [markdown]
# Adam's L2 version by hand is torch's, bit for bit (the fence asserts it); after
# 5 steps it stands up to `f"{apart:.1e}"` away from AdamW's.
#
# ## The optimizer, gathered
#
# The training page uses `gpt.AdamW`, the lines of `adamw_step` for a list of tensors. On
# the same gradients it takes the same steps:

# %%
gathered = [q.clone() for q in start]
hand_optimizer = gpt.AdamW(gathered, lr=LR, betas=(BETA1, BETA2),
                           eps=EPS, weight_decay=WD)
for step_grads in grads:
    hand_optimizer.step(step_grads)
gathered_exact = all(torch.equal(a, b)
                     for a, b in zip(gathered, torch_after[-1]))
print("gpt.AdamW equals torch.optim.AdamW:", gathered_exact)
assert gathered_exact

# %% [markdown]
# > **The rule to remember**
# >
# > AdamW divides a running mean of the gradient by the square root of a running mean of
# > its square, each corrected for starting at zero, with $\epsilon$ after the root; the
# > weight decay shrinks the parameter apart from all that. Written in PyTorch's order,
# > by hand is bit for bit.
#
# ## Exercise
#
# > **Do it yourself in a notebook**
# >
# > One step of AdamW for the head's weight, and then of Adam with its L2 term, as
# > [a notebook to fill in](https://backprop-by-hand.github.io/gpt/exercises/adamw.ipynb), each tensor checked against
# > `torch.optim.AdamW` and `torch.optim.Adam`.
#
# With both betas at zero and no decay, what does one AdamW step do to a parameter? Predict it, then check with `adamw_step`.
#
# **Solution**
#
# Both moments are then the latest gradient and its square, and both corrections are one,
# so the step is $-\eta\, g / (\lvert g \rvert + \epsilon)$: every entry moves by the
# learning rate against the sign of its gradient (a sign step), whatever the gradient's
# size.

# %%
saved = LR, BETA1, BETA2, WD
LR, BETA1, BETA2, WD = 0.01, 0.0, 0.0, 0.0
q = torch.zeros(4)
sign_grad = torch.tensor([3.0, -0.2, 1e-3, -50.0])
adamw_step(q, sign_grad, torch.zeros(4), torch.zeros(4), 1)
LR, BETA1, BETA2, WD = saved
predicted = -0.01 * sign_grad / (sign_grad.abs() + EPS)
sign_step = torch.allclose(q, predicted)
print("a sign step of the learning rate:", q.tolist())
assert sign_step

# %%
# Every number the text above states, checked against what the code computed (as
# the site's build checks them). Lines are the page's own.
from pagecheck.notebook import check_page

check_page(globals(), [
    (35, 'BETA1', '0.9'),
    (35, 'BETA2', '0.999'),
    (36, 'EPS', '1e-8'),
    (36, 'WD', '0.01'),
    (37, 'LR', '0.01'),
    (42, 'STEPS', '5'),
    (99, 'exact_steps', '5'),
    (129, 'STEPS', '5'),
    (129, 'len(textbook)', '15'),
    (180, 'STEPS', '5'),
], [
    (129, 'n_same'),
    (131, 'f"{largest:.1e}"'),
    (180, 'f"{apart:.1e}"'),
])
