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
# *This notebook is the page [Gradient descent: the loop that uses the gradient](https://backprop-by-hand.github.io/gradient-descent/) of Backprop by Hand, cell for cell. Run it from the top: the first cell sets up what the page needs, the last one checks every number the text states against what the code computed.*

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
# # Gradient descent: the loop that uses the gradient
#
# > **The question**
# >
# > I can get $\partial\,\mathit{loss} / \partial w$ by hand, and `backward()` gets the same
# > number. But training is a loop: forward, backward, update, zero the gradient, again
# > and again. Can I write that whole loop without autograd and land on PyTorch's numbers,
# > step for step? And every tutorial says to zero the gradient after the update. What
# > goes wrong if I don't?
#
# The data are three examples, inputs $x = [1, 2, 3]$ and targets
# $y = [2, 4, 6]$. The model is the single weight of [One weight](https://backprop-by-hand.github.io/one-weight/),
# $\hat{y} = xw$, and each example's loss is its squared error, $(xw - y)^{ 2 }$.
# Every target is exactly twice its input, so $w = 2$ fits all three
# examples perfectly. The loop doesn't know that; it starts at $w = 1$ and
# walks downhill, one example at a time, with learning rate $\eta = 0.01$:
#
# $$
# w \leftarrow w - \eta \, \frac{\partial\,\mathit{loss}}{\partial w}.
# $$
#
# Updating after every single example, in the same fixed order every time, is *online*
# gradient descent; draw the examples in a fresh random order each epoch and it becomes
# *stochastic* gradient descent with a batch of one (the [batch page](https://backprop-by-hand.github.io/batch/) gets one
# gradient for a whole batch instead). A fixed order keeps every number on this page the
# same from run to run. One pass over
# the three examples is an *epoch*; we run 10 of them, so
# 30 updates in all.
#
# ## The forward pass
#
# The first example, $x = 1$ and $y = 2$, at the starting
# weight. Three operations: multiply, subtract, square.

# %%
xs = [1.0, 2.0, 3.0]  # inputs
ys = [2.0, 4.0, 6.0]  # targets: y = 2x, so the best weight is 2
w_best = 2
w_start = 1.0         # where the loop starts
lr = 0.01             # learning rate
epochs = 10           # passes over the three examples
n_steps = epochs * len(xs)

x, y, w = xs[0], ys[0], w_start
y_hat = x * w   # multiply
s = y_hat - y   # subtract
loss = s**2     # square
print(f"y_hat = {y_hat}   s = {s}   loss = {loss}")

# %% [markdown]
# ## Local gradients: multiply, subtract, square
#
# Each operation has its own local derivative, the rate at which its output moves with the
# input we care about ($x$ and $y$ are data, fixed, so we never need gradients for them):
#
# $$
# \begin{aligned}
# \hat{y} &= xw, &\qquad \frac{\partial \hat{y}}{\partial w} &= x, \\
# s &= \hat{y} - y, &\qquad \frac{\partial s}{\partial \hat{y}} &= 1, \\
# \mathit{loss} &= s^2, &\qquad \frac{\partial\,\mathit{loss}}{\partial s} &= 2s.
# \end{aligned}
# $$
#
# The names differ a little from [One weight](https://backprop-by-hand.github.io/one-weight/): $\hat{y}$ is the prediction,
# and $s = \hat{y} - y$ is the error taken the other way round, so the subtraction's local
# derivative is $1$ here instead of
# $-1$. The square does not care which way round: flip
# the sign of $s$ and the loss stays the same, and so does its gradient with respect to $w$.
# The chain rule multiplies the local derivatives, from the loss back to $w$:
#
# $$
# \begin{aligned}
# \frac{\partial\,\mathit{loss}}{\partial w}
# &= \frac{\partial\,\mathit{loss}}{\partial s} \cdot \frac{\partial s}{\partial \hat{y}} \cdot \frac{\partial \hat{y}}{\partial w} \\
# &= 2 \cdot s \cdot 1 \cdot x
# = 2(xw - y)\,x.
# \end{aligned}
# $$
#
# Sympy differentiates the whole loss in one go and agrees:

# %%
import sympy as sp

X, W, Y, S, ETA, Y_HAT = sp.symbols("x w y s eta y_hat")
multiply = X * W       # y_hat = x * w
subtract = Y_HAT - Y   # s = y_hat - y
square = S**2          # loss = s**2

d_multiply = sp.diff(multiply, W)     # d y_hat / d w
d_subtract = sp.diff(subtract, Y_HAT) # d s / d y_hat
d_square = sp.diff(square, S)         # d loss / d s

loss_expr = square.subs(S, subtract).subs(Y_HAT, multiply)
dloss_dw = sp.diff(loss_expr, W)
chain = (d_square * d_subtract * d_multiply).subs(S, subtract)
assert sp.expand(chain.subs(Y_HAT, multiply) - dloss_dw) == 0
print("loss       =", loss_expr)
print("dloss / dw =", sp.factor(dloss_dw))

# %% [markdown]
# ## The backward pass by hand
#
# Walk back through the three operations, one line each, for the first example. With
# $s = -1$ the gradient is
# $2 \cdot (-1) \cdot 1 \cdot 1 = -2$: negative, so
# increasing $w$ lowers the loss, and the update $w - \eta \cdot (-2)$ does
# exactly that.

# %%
grad_loss = 1.0                 # the loss moves one-for-one with itself
grad_s = grad_loss * 2 * s      # loss = s**2     ->  dloss/ds = 2s
grad_y_hat = grad_s * 1         # s = y_hat - y   ->  ds/dy_hat = 1
grad_w = grad_y_hat * x         # y_hat = x * w   ->  dy_hat/dw = x

from_formula = dloss_dw.subs({X: x, W: w, Y: y})
print("by hand:", grad_w, "  from the formula:", float(from_formula))
assert grad_w == from_formula

# %% [markdown]
# ## The loop by hand
#
# Now the same four steps (forward, backward, update, next example) in a loop. No autograd
# anywhere: the weight is a float32 tensor without `requires_grad`, so torch only does
# arithmetic, the same float32 arithmetic the autograd loop below will do.

# %%
import math

import torch


def train_by_hand(w, lr, epochs):
    """Per-example gradient descent on (x*w - y)**2, no autograd."""
    grads, losses, weights = [], [], []
    for _ in range(epochs):
        for x, y in zip(xs, ys):
            y_hat = x * w              # forward: multiply
            s = y_hat - y              #          subtract
            loss = s**2                #          square
            grad_s = 2 * s             # backward: dloss/ds = 2s
            grad_y_hat = grad_s        #   ds/dy_hat = 1
            grad_w = grad_y_hat * x    #   dy_hat/dw = x
            w = w - lr * grad_w        # update
            grads.append(float(grad_w))
            losses.append(float(loss))
            weights.append(float(w))
    return grads, losses, weights


w32 = torch.tensor(w_start)  # float32, no requires_grad
hand_grads, hand_losses, hand_weights = train_by_hand(w32, lr, epochs)

print("step    x   w before   gradient      loss   w after")
w_before = [w_start] + hand_weights[:-1]
for i in range(len(xs)):
    print(f"{i + 1:>4} {xs[i]:>4} {w_before[i]:>10.6f} "
          f"{hand_grads[i]:>10.6f} {hand_losses[i]:>9.6f} "
          f"{hand_weights[i]:>9.6f}")
print()
print("epoch   loss of last example   w at epoch end")
for e in range(epochs):
    last = (e + 1) * len(xs) - 1
    print(f"{e + 1:>5} {hand_losses[last]:>22.6f} "
          f"{hand_weights[last]:>16.6f}")

# %% [markdown]
# The first epoch's gradients are $[-2.0, -7.84, -16.2288]$ and the
# loss of its last example is 7.3159, float32 values shown to four
# decimals. After
# 10 epochs $w$ has climbed from 1 to
# 1.9512, most of the way to 2.
#
# ## torch agrees
#
# The same loop with autograd. `loss.backward()` computes the gradient into `w.grad`; the
# update runs under `torch.no_grad()` so that it is not recorded as part of the next
# example's graph; then `w.grad.zero_()` clears the gradient for the next example.

# %%
from snippets.compare import compare_grads


def train_with_autograd(w_start, lr, epochs, zero_grad=True):
    """The same loop, with loss.backward() doing the backward pass."""
    w = torch.tensor(w_start, requires_grad=True)
    grads, losses, weights = [], [], []
    for _ in range(epochs):
        for x, y in zip(xs, ys):
            loss = (x * w - y) ** 2
            loss.backward()            # adds dloss/dw into w.grad
            grads.append(w.grad.item())
            losses.append(loss.item())
            with torch.no_grad():      # keep the update out of graphs
                w -= lr * w.grad
            if zero_grad:
                w.grad.zero_()         # forget this example's gradient
            weights.append(w.item())
    return grads, losses, weights


auto_grads, auto_losses, auto_weights = train_with_autograd(
    w_start, lr, epochs)

# The same hand loop on Python floats, which are float64:
grads64, losses64, weights64 = train_by_hand(w_start, lr, epochs)


def as_tensor(values):
    return torch.tensor(values, dtype=torch.float64)


agreement = compare_grads({
    "gradient, float32 by hand": (as_tensor(hand_grads),
                                  as_tensor(auto_grads)),
    "loss, float32 by hand": (as_tensor(hand_losses),
                              as_tensor(auto_losses)),
    "w, float32 by hand": (as_tensor(hand_weights),
                           as_tensor(auto_weights)),
    "gradient, float64 by hand": (as_tensor(grads64),
                                  as_tensor(auto_grads)),
    "loss, float64 by hand": (as_tensor(losses64),
                              as_tensor(auto_losses)),
    "w, float64 by hand": (as_tensor(weights64),
                           as_tensor(auto_weights)),
}, caption="The loop by hand against the loop with autograd")
rel_diff64 = max(abs(g64 - g) / abs(g)
                 for g64, g in zip(grads64, auto_grads))
agreement

# %% [markdown]
# Each row compares a whole sequence, all 30 steps. The float32 hand loop
# matches autograd bit for bit: it does the same float32 operations in the same order. The
# same code on Python floats, which are float64, is close but not exact, off by at most
# `f"{rel_diff64:.0e}"` relative: it rounds at a finer precision, so check a loop step
# by step in the dtype it runs in ([why the bits differ](https://backprop-by-hand.github.io/beyond/why-the-bits-differ/#float64-the-same-lines-finer-steps)).
#
# Each pass through the loop builds a small graph, walks it backward, and throws it away.
# Here is the first one, for the first example, rebuilt outside the loop with
# `retain_grad()` on the intermediates so their gradients stay. It reads like the
# [knobs page's](https://backprop-by-hand.github.io/knobs/#torch-agrees): values left to right, gradients right to left.
# The gradient that lands on `w`, -2, is the first gradient of the
# loop, and the update then moves $w$ from 1 to
# 1.02.

# %%
from snippets.graph import ComputationGraph

# x and y are still the first example, from the forward pass
w_step = torch.tensor(w_start, requires_grad=True)
y_hat_step = x * w_step
s_step = y_hat_step - y
loss_step = s_step**2
for node in (y_hat_step, s_step, loss_step):
    node.retain_grad()
loss_step.backward()
assert w_step.grad.item() == auto_grads[0]

ComputationGraph.from_autograd(
    loss_step,
    {"w": w_step, "y_hat": y_hat_step, "s": s_step,
     "loss": loss_step},
    constants={"x": x, "y": y},
    inputs_of={"y_hat": ["x"], "s": ["y"]},
    title="The first step of the loop, before the update",
)

# %% [markdown]
# ## Watching the loss fall
#
# One point per update, on a log scale:

# %%
import matplotlib.pyplot as plt
from snippets.figures import BLUE, ORANGE

step_numbers = list(range(1, n_steps + 1))
fig, ax = plt.subplots()
ax.plot(step_numbers, auto_losses, color=BLUE, marker="o",
        markersize=3, label="loss of the example just seen")
ax.plot(step_numbers[2::3], auto_losses[2::3], color=ORANGE,
        marker="s", linestyle="none", label="last example of an epoch")
ax.set_yscale("log")
ax.set_xlabel("update step")
ax.set_ylabel("loss (log scale)")
ax.set_title("Per-example loss during gradient descent")
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)

# %% [markdown]
# Two patterns. The saw teeth: at a given $w$ an example's loss is
# $(xw - 2x)^{ 2 } = x^{ 2 }(w - 2)^{ 2 }$,
# so at the same $w$ the $x = 3$ example's loss is 9 times
# that of the $x = 1$ example, and every epoch climbs from its smallest loss to
# its largest. And the
# straight line through the epoch ends: every epoch multiplies the loss by the same factor,
# 0.5466. The next section says where that factor
# comes from.
#
# ## Where w ends up, and why
#
# Write the update with the formula for the gradient, put in $y = 2x$,
# and look at the distance from $w$ to 2:
#
# $$
# w_{\text{new}} - 2 = (1 - 2\eta x^2)(w - 2).
# $$

# %%
target_rule = 2 * X
update = W - ETA * dloss_dw                 # w - lr * dloss/dw
gap_update = sp.factor(update.subs(Y, target_rule) - w_best)
step_factor = sp.cancel(gap_update / (W - w_best))
print("w_new - 2 =", gap_update)

factors = [1 - 2 * lr * x_i**2 for x_i in xs]
epoch_factor = math.prod(factors)
predicted_gap = (w_start - w_best) * epoch_factor**epochs
print("factor per example:", [round(f, 6) for f in factors])
print("factor per epoch:  ", round(epoch_factor, 6))
print("predicted w after", epochs, "epochs:", w_best + predicted_gap)
print("autograd's w:                  ", auto_weights[-1])

# %% [markdown]
# Each update multiplies the distance to 2 by $1 - 2\eta x^2$.
# At $\eta = 0.01$, the three examples give the factors
# [0.98, 0.92, 0.82], and a whole epoch multiplies the distance by their
# product, 0.7393. Each factor lies between zero and one, so $w$ never
# overshoots: it creeps up on 2 from below, the gap shrinking geometrically.
# After 10 epochs the gap is
# $1 \cdot 0.7393^{ 10 } = 0.0488$,
# which puts $w$ at 1.9512: autograd's final weight. The
# loss is the squared gap times $x^{ 2 }$, so it shrinks by
# $0.7393^{ 2 } = 0.5466$
# per epoch: the straight line in the plot.
#
# Why 2 and no other point? It is the one weight where all three gradients
# $2(xw - y)\,x$ vanish together, so no example pushes it anywhere: the only fixed point of
# every update. (With noisy targets no single $w$ would zero every example's gradient, and a
# batch-of-one loop would keep jittering around the best fit.)
#
# In exact arithmetic the gap shrinks and shrinks and never reaches zero. In float32 the
# walk simply stops, a hair short of 2:
#
# **Why the walk stops**

# %%
long_epochs = 300
long_grads, _, long_weights = train_with_autograd(
    w_start, lr, long_epochs)
w_long = long_weights[-1]
below_two = torch.nextafter(torch.tensor(2.0), torch.tensor(0.0))
spacing = 2.0 - below_two.item()          # gap between float32 numbers
last_nudge = lr * abs(long_grads[-1])     # what the last update adds
print("w after", long_epochs, "epochs:", w_long)
print("float32 spacing just below 2:", spacing)
print("last update, lr * |grad|:   ", last_nudge)


# %% [markdown]
# After 300 epochs $w$ is stuck at 1.9999996. Near
# 2 consecutive float32 numbers are $1.19 \times 10^{-7}$
# apart, and the updates have become smaller than half that spacing
# ($5.7 \times 10^{-8}$ for the biggest), so `w - lr * grad` rounds back
# to `w`.
#
# ## A nudge: what one update buys
#
# An update is itself a nudge: it moves $w$ by $\Delta w = -\eta \cdot \mathit{grad}$, and the
# gradient promises the loss moves by about
# $\mathit{grad} \cdot \Delta w = -\eta \cdot \mathit{grad}^{ 2 }$.
# Check the promise on the example each update was computed from:

# %%
def example_loss(w, x, y):
    return (x * w - y) ** 2


promised, measured = [], []
for i in range(len(xs)):
    w_old, w_new = w_before[i], hand_weights[i]
    promised.append(hand_grads[i] * (w_new - w_old))
    measured.append(example_loss(w_new, xs[i], ys[i])
                    - example_loss(w_old, xs[i], ys[i]))
    print(f"x = {xs[i]}:  loss promised to move {promised[i]:8.4f},"
          f"  moved {measured[i]:8.4f}")

# %% [markdown]
# For the first update the promise, -0.04, is close to what happens,
# -0.0396. For the third it overpromises: -2.6337
# against -2.3967. The gradient is a first-order promise, and the
# $x = 3$ loss is a parabola that bends 9 times as sharply as
# the $x = 1$ one, over a step
# 8.1 times as long. The larger $\eta$, the
# longer the step and the more the bend matters; the exercise pushes that until it breaks.
#
# ## Forgetting to zero the gradient
#
# Two kinds of adding happen around `.grad`, and they are easy to mix up.
#
# - **Within one `backward()`**, when a tensor reaches the loss along several paths (a
#   weight used twice, say), the engine adds the contributions of all the paths and hands
#   the leaf their sum: one gradient, the right one.
# - **Across `backward()` calls**, the leaf's `.grad` is a running total. The first call
#   finds `w.grad` is `None` and creates it; every later call adds its gradient to what is
#   already there.
#
# The second kind is deliberate too: summing the gradients of several small batches before
# one update is what it is for. Both, executed:

# %%
w_demo = torch.tensor(1.0, requires_grad=True)
print("before any backward():", w_demo.grad)

(w_demo * 2 + w_demo * 3).backward()    # w used twice, one backward()
grad_one_call = w_demo.grad.item()
print("one backward(), two uses:", grad_one_call)

(w_demo * 4).backward()                 # a second call adds to .grad
grad_two_calls = w_demo.grad.item()
print("after a second backward():", grad_two_calls)


# %% [markdown]
# Before the first call there is no gradient at all. The one call with two uses gives
# 5, the sum of the two paths' local derivatives, the factors `2` and `3` in the code. The second
# call's own gradient is 4, yet `w.grad` now holds
# 9: the old total plus the new one. In our loop that means: without
# `w.grad.zero_()` (or setting `w.grad = None`, which is what `optimizer.zero_grad()` does by
# default), the second update uses the first example's gradient plus the second's, the third
# uses all three, and so on: every update carries the memory of all the gradients before it.
#
# By hand, that is one extra line: keep a running sum and update with it.

# %%
def train_by_hand_without_zeroing(w, lr, epochs):
    """Like train_by_hand, but the gradient piles up as w.grad does."""
    fresh, piled, weights = [], [], []
    w_grad = torch.tensor(0.0)
    for _ in range(epochs):
        for x, y in zip(xs, ys):
            s = x * w - y
            grad_w = 2 * s * x         # this example's own gradient
            w_grad = w_grad + grad_w   # what backward() does to w.grad
            w = w - lr * w_grad
            fresh.append(float(grad_w))
            piled.append(float(w_grad))
            weights.append(float(w))
    return fresh, piled, weights


fresh_nz, piled_nz, hand_weights_nz = train_by_hand_without_zeroing(
    torch.tensor(w_start), lr, epochs)
auto_grads_nz, _, auto_weights_nz = train_with_autograd(
    w_start, lr, epochs, zero_grad=False)

print("step    x   own gradient     w.grad   w after")
for i in range(6):
    print(f"{i + 1:>4} {xs[i % 3]:>4} {fresh_nz[i]:>14.4f} "
          f"{piled_nz[i]:>10.4f} {hand_weights_nz[i]:>9.4f}")

first_past_two = next(i + 1 for i, w_i in enumerate(auto_weights_nz)
                      if w_i > w_best)
compare_grads({
    "w.grad, not zeroed": (as_tensor(piled_nz),
                           as_tensor(auto_grads_nz)),
    "w, not zeroed": (as_tensor(hand_weights_nz),
                      as_tensor(auto_weights_nz)),
}, caption="Accumulating by hand against autograd without zero_()")

# %% [markdown]
# The first update is the same as before, a gradient of -2.0. The
# second example's own gradient is -7.84, but `w.grad` holds
# -9.84, the sum of the two. By the third step `w.grad` is
# -25.7088 where the example alone gives
# -15.8688. The pile keeps pushing $w$ up long after it should stop:
# $w$ passes 2 at step 6, climbs to
# 3.0320, then, once the pile has turned positive, swings
# back down to 0.9481. After the same
# 30 updates $w$ is 2.9850 instead of
# 1.9512. The running sum acts like a velocity with no friction,
# so $w$ swings around 2 like a pendulum and never settles.

# %%
fig, ax = plt.subplots()
ax.plot(step_numbers, auto_weights, color=BLUE, marker="o",
        markersize=3, label="w.grad.zero_() after each update")
ax.plot(step_numbers, auto_weights_nz, color=ORANGE, marker="o",
        markersize=3, label="never zeroed")
ax.axhline(w_best, color="black", linewidth=0.8, linestyle="--")
ax.set_xlabel("update step")
ax.set_ylabel("w")
ax.set_title("The weight, with and without zeroing the gradient")
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)

# %% [markdown]
# > **The rule to remember**
# >
# > One step of training is forward, `backward()`, `w -= lr * w.grad` under
# > `torch.no_grad()`, then `w.grad.zero_()`: each `backward()` adds its gradient into
# > `.grad` (creating it the first time), it never overwrites it.
#
# ## Exercise
#
# Run the same loop, 10 epochs from $w = 1$, with learning
# rates $\eta = 0.1$, $0.2$ and $0.25$. Before you run anything, use the factor
# $1 - 2\eta x^2$ to predict which one ends closest to
# 2, and whether any of them fails.
#
# **Solution**
#
# Multiply the three per-example factors to get one epoch's factor:
#
# | $\eta$ | factors for $x = [1, 2, 3]$ | per epoch | $w$ after ten epochs |
# | --- | --- | --- | --- |
# | 0.1 | [0.8, 0.2, -0.8] | -0.128 | 2.0000 |
# | 0.2 | [0.6, -0.6, -2.6] | 0.936 | 1.4839 |
# | 0.25 | [0.5, -1, -3.5] | 1.75 | -267.39 |
#
# A negative factor means that update jumps over 2 to the other side.
# $\eta = 0.1$ overshoots on the $x = 3$ example, yet a
# whole epoch shrinks the gap 7.8-fold, so it lands on 2 within
# float32's precision: much better than $\eta = 0.01$.
# $\eta = 0.2$ is *slower* than both: its epoch factor
# 0.936 is close to one, because the $x = 3$
# step overshoots so far that it undoes most of what the other two achieved. At
# $\eta = 0.25$ the $x = 3$ step flings $w$ to
# 3.5 times its distance on the other side, the epoch factor is
# above one, and $w$ runs off to -267.39. A bigger learning rate is
# not a faster one. What counts is the size of the epoch factor, the product of the
# $1 - 2\eta x^2$: below one the loop converges, the further below the
# faster, and above one it blows up.

# %%
ex_lrs = [0.1, 0.2, 0.25]
ex_factors, ex_epoch_factors, ex_weights = [], [], []
for ex_lr in ex_lrs:
    per_example = [1 - 2 * ex_lr * x_i**2 for x_i in xs]
    per_epoch = math.prod(per_example)
    predicted = w_best + (w_start - w_best) * per_epoch**epochs
    _, _, weights = train_with_autograd(w_start, ex_lr, epochs)
    print(f"lr = {ex_lr:<5} predicted w = {predicted:12.6f}"
          f"   autograd: {weights[-1]:12.6f}")
    assert math.isclose(predicted, weights[-1],
                        rel_tol=1e-5, abs_tol=1e-5)
    ex_factors.append(per_example)
    ex_epoch_factors.append(per_epoch)
    ex_weights.append(weights[-1])

# %% [markdown]
# The prediction from the factors and the autograd loop agree to float32 precision; the
# `assert` stops the page if they ever don't.

# %%
# Every number the text above states, checked against what the code computed (as
# the site's build checks them). Lines are the page's own.
from pagecheck.notebook import check_page

check_page(globals(), [
    (17, 'xs', '[1, 2, 3]'),
    (18, 'ys', '[2, 4, 6]'),
    (19, 'square.as_base_exp()[1]', '2'),
    (20, 'w_best', '2'),
    (21, 'w_start', '1'),
    (22, 'lr', '0.01'),
    (33, 'epochs', '10'),
    (34, 'n_steps', '30'),
    (38, 'xs[0]', '1'),
    (38, 'ys[0]', '2'),
    (64, 'multiply', 'xw'),
    (64, 'd_multiply', 'x'),
    (65, 'd_subtract', '1'),
    (66, 'square', 's^2'),
    (66, 'd_square', '2s'),
    (72, 'd_subtract', '1'),
    (73, 'sp.diff(Y - Y_HAT, Y_HAT)', '-1'),
    (81, 'd_square * d_subtract * d_multiply', '2 \\cdot s \\cdot 1 \\cdot x'),
    (82, 'dloss_dw', '2(xw - y)\\,x'),
    (111, 's', '-1'),
    (112, 'grad_w', '2 \\cdot (-1) \\cdot 1 \\cdot 1'),
    (112, 'grad_w', '-2'),
    (113, 'grad_w', '-2'),
    (174, 'hand_grads[:3]', '[-2.0, -7.84, -16.2288]'),
    (175, 'hand_losses[2]', '7.3159'),
    (177, 'epochs', '10'),
    (177, 'w_start', '1'),
    (178, 'hand_weights[-1]', '1.9512'),
    (178, 'w_best', '2'),
    (238, 'n_steps', '30'),
    (248, 'w_step.grad', '-2'),
    (249, 'w_start', '1'),
    (250, 'auto_weights[0]', '1.02'),
    (297, 'w_best', '2'),
    (297, 'square.as_base_exp()[1]', '2'),
    (297, 'square.as_base_exp()[1]', '2'),
    (297, 'w_best', '2'),
    (297, 'square.as_base_exp()[1]', '2'),
    (298, 'xs[2]', '3'),
    (298, 'xs[2] ** 2', '9'),
    (299, 'xs[0]', '1'),
    (302, 'auto_losses[5] / auto_losses[2]', '0.5466'),
    (307, 'target_rule', '2x'),
    (308, 'w_best', '2'),
    (311, 'w_best', '2'),
    (311, 'gap_update', '(1 - 2\\eta x^2)(w - 2)'),
    (330, 'w_best', '2'),
    (330, 'step_factor', '1 - 2\\eta x^2'),
    (331, 'lr', '0.01'),
    (332, 'factors', '[0.98, 0.92, 0.82]'),
    (333, 'epoch_factor', '0.7393'),
    (334, 'w_best', '2'),
    (335, 'epochs', '10'),
    (336, 'w_best - w_start', '1'),
    (336, 'epoch_factor', '0.7393'),
    (336, 'epochs', '10'),
    (336, '-predicted_gap', '0.0488'),
    (337, 'w_best + predicted_gap', '1.9512'),
    (338, 'square.as_base_exp()[1]', '2'),
    (339, 'epoch_factor', '0.7393'),
    (339, 'square.as_base_exp()[1]', '2'),
    (339, 'epoch_factor**2', '0.5466'),
    (342, 'w_best', '2'),
    (343, 'dloss_dw', '2(xw - y)\\,x'),
    (348, 'w_best', '2'),
    (366, 'long_epochs', '300'),
    (366, 'w_long', '1.9999996'),
    (367, 'w_best', '2'),
    (367, 'spacing', '1.19 \\times 10^{-7}'),
    (369, 'last_nudge', '5.7 \\times 10^{-8}'),
    (377, 'square.as_base_exp()[1]', '2'),
    (395, 'promised[0]', '-0.04'),
    (396, 'measured[0]', '-0.0396'),
    (396, 'promised[2]', '-2.6337'),
    (397, 'measured[2]', '-2.3967'),
    (398, 'xs[2]', '3'),
    (398, 'xs[2] ** 2', '9'),
    (399, 'xs[0]', '1'),
    (400, '(hand_weights[2] - w_before[2]) / (hand_weights[0] - w_before[0])', '8.1'),
    (431, 'grad_one_call', '5'),
    (432, 'grad_two_calls - grad_one_call', '4'),
    (433, 'grad_two_calls', '9'),
    (477, 'auto_grads_nz[0]', '-2.0'),
    (478, 'fresh_nz[1]', '-7.84'),
    (479, 'auto_grads_nz[1]', '-9.84'),
    (480, 'auto_grads_nz[2]', '-25.7088'),
    (481, 'fresh_nz[2]', '-15.8688'),
    (482, 'w_best', '2'),
    (482, 'first_past_two', '6'),
    (483, 'max(auto_weights_nz)', '3.0320'),
    (484, 'min(auto_weights_nz[10:])', '0.9481'),
    (485, 'n_steps', '30'),
    (485, 'auto_weights_nz[-1]', '2.9850'),
    (486, 'auto_weights[-1]', '1.9512'),
    (487, 'w_best', '2'),
    (510, 'epochs', '10'),
    (510, 'w_start', '1'),
    (511, 'ex_lrs[0]', '0.1'),
    (511, 'ex_lrs[1]', '0.2'),
    (511, 'ex_lrs[2]', '0.25'),
    (512, 'step_factor', '1 - 2\\eta x^2'),
    (513, 'w_best', '2'),
    (520, 'xs', '[1, 2, 3]'),
    (522, 'ex_lrs[0]', '0.1'),
    (522, 'ex_factors[0]', '[0.8, 0.2, -0.8]'),
    (522, 'ex_epoch_factors[0]', '-0.128'),
    (522, 'ex_weights[0]', '2.0000'),
    (523, 'ex_lrs[1]', '0.2'),
    (523, 'ex_factors[1]', '[0.6, -0.6, -2.6]'),
    (523, 'ex_epoch_factors[1]', '0.936'),
    (523, 'ex_weights[1]', '1.4839'),
    (524, 'ex_lrs[2]', '0.25'),
    (524, 'ex_factors[2]', '[0.5, -1, -3.5]'),
    (524, 'ex_epoch_factors[2]', '1.75'),
    (524, 'ex_weights[2]', '-267.39'),
    (526, 'w_best', '2'),
    (527, 'ex_lrs[0]', '0.1'),
    (527, 'xs[2]', '3'),
    (528, '1 / abs(ex_epoch_factors[0])', '7.8'),
    (528, 'w_best', '2'),
    (529, 'lr', '0.01'),
    (530, 'ex_lrs[1]', '0.2'),
    (531, 'ex_epoch_factors[1]', '0.936'),
    (531, 'xs[2]', '3'),
    (533, 'ex_lrs[2]', '0.25'),
    (533, 'xs[2]', '3'),
    (534, '-ex_factors[2][2]', '3.5'),
    (535, 'ex_weights[2]', '-267.39'),
    (537, 'step_factor', '1 - 2\\eta x^2'),
], [
    (241, 'f"{rel_diff64:.0e}"'),
])
