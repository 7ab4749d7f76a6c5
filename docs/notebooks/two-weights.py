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
# *This notebook is the page [Two weights, one example](https://backprop-by-hand.github.io/two-weights/) of Backprop by Hand, cell for cell. Run it from the top: the first cell sets up what the page needs, the last one checks every number the text states against what the code computed.*

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
# # Two weights, one example
#
# > **The question**
# >
# > My model has two weights now, but the loss is still a single number. What does "the
# > derivative of the loss" even mean when two things can move? And why does PyTorch hand
# > me back a whole vector in `W.grad`?
#
# On [One weight](https://backprop-by-hand.github.io/one-weight/) the model multiplied its input by a single weight. Now the
# input has two features, $x = [10,\ 15]$, and each feature gets a weight of its
# own, $W = [5,\ 6]$. The prediction is their dot product, `x @ W`, and the loss is
# the squared error against the target $y = 20$:
#
# $$
# p = x_1 w_1 + x_2 w_2, \qquad e = y - p, \qquad L = e^2.
# $$
#
# We write $p$ for the prediction, $e$ for the error and $L$ for the loss. The input and the
# target are fixed data; the weights are what we may turn.
#
# ## The forward pass

# %%
import torch

x = torch.tensor([10.0, 15.0])  # one example, two features   [2]
y = torch.tensor(20.0)          # its target                   scalar
W = torch.tensor([5.0, 6.0])    # one weight per feature       [2]

prediction = x @ W              # x_1 w_1 + x_2 w_2            scalar
error = y - prediction          #                              scalar
loss = error**2                 #                              scalar

print(f"prediction = {prediction.item():g}")
print(f"error      = {error.item():g}")
print(f"loss       = {loss.item():g}")

# %% [markdown]
# So $p = 10 \cdot 5 + 15 \cdot 6 = 140$, the error is
# $e = -120$ and the loss is $L = 14{,}400$. The prediction is far
# too high, so we expect the loss to go down if the weights go down. By how much, and which
# weight matters more?
#
# ## The derivative the long way: expand, then differentiate
#
# Write the data in as numbers and the loss becomes an ordinary polynomial in two variables.
# Sympy builds it out of the three small rules above, expands it, and differentiates it once
# for each weight:

# %%
import sympy as sp

w_1, w_2, x_1, x_2, Y, P, E = sp.symbols("w_1 w_2 x_1 x_2 y p e")
prediction_rule = x_1 * w_1 + x_2 * w_2  # p = x @ W
error_rule = Y - P                       # e = y - p
square_rule = E**2                       # L = e^2

data = {x_1: 10, x_2: 15, Y: 20}
prediction_of_W = prediction_rule.subs(data)  # 10 w_1 + 15 w_2
error_of_W = error_rule.subs(P, prediction_of_W).subs(data)
loss_rule = square_rule.subs(E, error_of_W)
loss_expanded = sp.expand(loss_rule)
cross_term = loss_expanded.coeff(w_1 * w_2) * w_1 * w_2
dloss_dw1 = sp.diff(loss_rule, w_1)  # w_2 is a constant here
dloss_dw2 = sp.diff(loss_rule, w_2)  # w_1 is a constant here

at_W = {w_1: 5, w_2: 6}
partials_at_W = [dloss_dw1.subs(at_W), dloss_dw2.subs(at_W)]

print("L         =", loss_expanded)
print("dL/dw_1   =", sp.expand(dloss_dw1))
print("dL/dw_2   =", sp.expand(dloss_dw2))
print("at [5, 6] =", partials_at_W)

# %% [markdown]
# $$
# \begin{aligned}
# L &= (20 - 10w_1 - 15w_2)^2 \\
#   &= 100w_1^2 + 300w_1w_2 - 400w_1 + 225w_2^2 - 600w_2 + 400.
# \end{aligned}
# $$
#
# To differentiate with respect to $w_1$, treat $w_2$ as if it were a number. The cross term
# $300w_1w_2$ then behaves like a constant times $w_1$ and gives
# $300w_2$, and the terms without $w_1$ in them are
# constants, which vanish. With the roles swapped for $w_2$:
#
# $$
# \begin{aligned}
# \partial L / \partial w_1 &= 200w_1 + 300w_2 - 400, \\
# \partial L / \partial w_2 &= 300w_1 + 450w_2 - 600.
# \end{aligned}
# $$
#
# At our weights that is
#
# $$
# \begin{aligned}
# \partial L / \partial w_1 &= 200 \cdot 5 + 300 \cdot 6 - 400 = 2{,}400, \\
# \partial L / \partial w_2 &= 300 \cdot 5 + 450 \cdot 6 - 600 = 3{,}600.
# \end{aligned}
# $$
#
# Both are positive, so raising either weight raises the loss, and $w_2$'s number is half
# as large again as $w_1$'s: $w_2$ multiplies the larger feature.
#
# ## What a partial derivative is
#
# "Treat $w_2$ as a number" is not a trick of notation. Freeze $w_2$ at
# 6 and the loss is a function of $w_1$ alone, an ordinary one-weight problem
# like the one on [One weight](https://backprop-by-hand.github.io/one-weight/):
#
# $$
# \begin{aligned}
# L(w_1, 6) &= (-70 - 10w_1)^2, \\
# \frac{d}{dw_1} L(w_1, 6) &= 200w_1 + 1400.
# \end{aligned}
# $$
#
# At $w_1 = 5$ its slope is 2,400, the partial
# derivative found above. The frozen weight has not disappeared: its
# $15 \cdot 6$ is still inside the prediction, so it shifts the
# one-weight problem, here from a target of $20$ to
# $-70$. Freezing $w_1$ at 5 instead gives the other
# slice:
#
# $$
# \begin{aligned}
# L(5, w_2) &= (-30 - 15w_2)^2, \\
# \frac{d}{dw_2} L(5, w_2) &= 450w_2 + 900,
# \end{aligned}
# $$
#
# with slope 3,600 at $w_2 = 6$.

# %%
import matplotlib.pyplot as plt
from snippets.figures import BLUE, ORANGE

loss_along_w1 = loss_rule.subs(w_2, 6)  # w_2 frozen
loss_along_w2 = loss_rule.subs(w_1, 5)  # w_1 frozen
slope_along_w1 = sp.diff(loss_along_w1, w_1).subs(w_1, 5)
slope_along_w2 = sp.diff(loss_along_w2, w_2).subs(w_2, 6)

fig, axes = plt.subplots(1, 2, figsize=(7.2, 3.0), sharey=True)
slices = [
    (axes[0], w_1, loss_along_w1, 5, slope_along_w1, "w_2 = 6"),
    (axes[1], w_2, loss_along_w2, 6, slope_along_w2, "w_1 = 5"),
]
for ax, w, curve, at, slope, frozen in slices:
    ws = [at - 2 + k / 10 for k in range(41)]
    ax.plot(ws, [float(curve.subs(w, v)) for v in ws], color=BLUE)
    tangent = [float(curve.subs(w, at) + slope * (v - at)) for v in ws]
    ax.plot(ws, tangent, "--", color=ORANGE, label=f"slope {slope}")
    ax.plot([at], [float(curve.subs(w, at))], "o", color=ORANGE)
    ax.set_xlabel(f"${w}$   (${frozen}$ frozen)")
    ax.legend(loc="upper left", frameon=False)
axes[0].set_ylabel("loss")
fig.tight_layout()

# %% [markdown]
# Each panel is one slice through the two-weight loss; each dashed line touches its curve at
# our weights, with the partial derivative as its slope. That is all a partial derivative
# is: the ordinary derivative along one weight, with every other weight held still.
#
# ### Why the gradient is a vector
#
# The loss is one number, but it has one partial derivative per weight. Collect them in a
# vector laid out exactly like $W$ and you have the **gradient**:
#
# $$
# \nabla_W L = \left[\frac{\partial L}{\partial w_1}, \frac{\partial L}{\partial w_2}\right]
# = [2400,\ 3600].
# $$
#
# Entry $j$ answers the question "how fast does the loss move if I turn $w_j$ alone?", so it
# belongs next to $w_j$. That is why PyTorch stores it in `W.grad`, a tensor with the same
# shape as `W`, and why an update such as `W - lr * W.grad` lines up element by element.
# Turning several weights at once moves the loss by about the sum of their shares: each
# weight's partial derivative times its own turn. The nudge section below measures both.
#
# ## The derivative node by node: the chain rule
#
# Now walk back through the graph instead, one node at a time, as on the
# [knobs page](https://backprop-by-hand.github.io/knobs/). Write $\bar{v}$ for the gradient of node $v$: how much the loss
# moves per unit change of $v$. The loss moves one-for-one with itself,
# $\bar{L} = 1$, and each earlier node's gradient is the next node's
# gradient times a local derivative, evaluated at the forward values:
#
# $$
# \begin{aligned}
# \bar{e} &= \bar{L} \cdot \partial L / \partial e = \bar{L} \cdot 2e = 1 \cdot 2 \cdot (-120) = -240, \\
# \bar{p} &= \bar{e} \cdot \partial e / \partial p = \bar{e} \cdot (-1) = -240 \cdot (-1) = 240.
# \end{aligned}
# $$
#
# The last step is new. The prediction depends on both weights, so it has a local derivative
# for each, and each is simply the feature that weight multiplies:
#
# $$
# \frac{\partial p}{\partial w_1} = x_1,
# \qquad
# \frac{\partial p}{\partial w_2} = x_2.
# $$
#
# Raise $w_1$ by one and the prediction goes up by $x_1$, whatever $w_2$ is. In general
# $\partial p / \partial w_j = x_j$: **the gradient of a dot product with respect to $W$ is
# $x$**. Multiplying by $\bar{p}$ gives every weight its gradient in one go, the vector
# $\bar{W}$ (the same thing as $\nabla_W L$ above):
#
# $$
# \bar{W} = \bar{p} \, x = 240 \cdot [10,\ 15] = [2400,\ 3600].
# $$
#
# The same vector as the long way, without expanding anything.
#
# ## The backward pass by hand
#
# One line per node, right to left, with no autograd: `x`, `error` and the rest are plain
# tensors that never asked for gradients.

# %%
grad_loss = 1.0                       # L moves one-for-one with itself
grad_error = grad_loss * 2 * error    # L = e^2       ->  dL/de = 2e
grad_prediction = grad_error * -1     # e = y - p     ->  de/dp = -1
grad_W = grad_prediction * x          # p = x @ W     ->  dp/dw_j = x_j

print("grad_error      =", grad_error.item())
print("grad_prediction =", grad_prediction.item())
print("grad_W          =", grad_W.tolist())
print("same shape as W:", grad_W.shape == W.shape)

# %% [markdown]
# | node | code | forward value | gradient |
# | --- | --- | --- | --- |
# | $W$ | `W` | [5, 6] | [2400, 3600] |
# | $p$ | `prediction` | 140 | 240 |
# | $e$ | `error` | -120 | -240 |
# | $L$ | `loss` | 14,400 | 1 |
#
# Every line above the last is a scalar times a scalar, exactly as on the one-weight page.
# Only the last line turns a scalar into a vector, because only the last node has two
# inputs we care about.
#
# ## torch agrees
#
# Build the same graph with a `W` that requires gradients and let autograd walk it. The
# prediction, the error and the loss are not leaves, so we ask PyTorch to keep their
# gradients with `retain_grad()`.

# %%
from snippets.compare import compare_grads

W_t = torch.tensor([5.0, 6.0], requires_grad=True)
prediction_t = x @ W_t
error_t = y - prediction_t
loss_t = error_t**2
for node in (prediction_t, error_t, loss_t):
    node.retain_grad()
loss_t.backward()

compare_grads({
    "W": (grad_W, W_t.grad),
    "prediction": (grad_prediction, prediction_t.grad),
    "error": (grad_error, error_t.grad),
    "loss": (grad_loss, loss_t.grad),
})

# %% [markdown]
# Every row is exact: all the values are small integers, which float32 stores without
# rounding, so there is nothing for the two computations to disagree about.
# `W_t.grad` is [2400, 3600], shaped like `W_t`.
#
# The same run as a graph, in the style of the [knobs page](https://backprop-by-hand.github.io/knobs/#torch-agrees): forward
# values flow left to right, gradients come back right to left. The shapes are visible in
# it too: `W` and its gradient are vectors, while everything after the dot product is a
# single number. `x` and `y` are dashed because autograd never tracked them.

# %%
from snippets.graph import ComputationGraph

ComputationGraph.from_autograd(
    loss_t,
    {"W": W_t, "prediction": prediction_t,
     "error": error_t, "loss": loss_t},
    constants={"x": x, "y": y},
    inputs_of={"prediction": ["x"], "error": ["y"]},
    title="Two weights, one example",
)

# %% [markdown]
# The local derivative of the dot product was $x$, so to step back to `W` autograd must
# have kept `x` from the forward pass. It did, on the dot product's node. The weights
# themselves were not kept: they would only be needed for a gradient with respect to `x`,
# and `x` does not require one.

# %%
dot = x @ torch.tensor([5.0, 6.0], requires_grad=True)
node = dot.grad_fn  # the node backward() steps back through
print(node.name())
print("kept x:", node._saved_self)
print("kept W:", node._saved_tensor)

# %% [markdown]
# ## A nudge for each weight
#
# The gradient promises that turning $w_j$ alone by a small $h$ moves the loss by about
# $\bar{w}_j \cdot h$. Test it on each weight, then on both at once. The nudges run in
# float64, so rounding does not blur the small changes.

# %%
x64, y64, W64 = x.double(), y.double(), W.double()


def loss_at(weights):
    """The loss of our one example at the given weights."""
    return ((y64 - x64 @ weights) ** 2).item()


h = 1e-3
turn = torch.eye(2, dtype=torch.float64) * h  # row j turns w_j only
moved = [loss_at(W64 + turn[j]) - loss_at(W64) for j in range(2)]
excess = [moved[j] - grad_W[j].item() * h for j in range(2)]
moved_both = loss_at(W64 + h) - loss_at(W64)
predicted_both = (grad_W[0] + grad_W[1]).item() * h

for j in range(2):
    predicted = grad_W[j].item() * h
    print(f"turn w_{j + 1} by {h}: loss moves {moved[j]:.6f}, "
          f"grad x h = {predicted:.6f}")
print(f"turn both by {h}: loss moves {moved_both:.6f}, "
      f"predicted {predicted_both:.6f}")

# %% [markdown]
# Turning $w_1$ by 0.001 moves the loss by 2.4001, and turning
# $w_2$ by the same amount moves it by 3.600225: each weight's gradient
# times $h$, plus a tiny excess, 0.0001 and 0.000225.
# The excess is the curve bending upwards, a second-order term that the gradient ignores:
# $h$ squared times the number in front of the squared weight in the expanded loss,
# 100 for $w_1$ and 225
# for $w_2$. It shrinks with the square of $h$, much faster than $h$ itself, so for small
# turns the gradient's prediction is all that is left. Turning both weights at once moves
# the loss by 6.000625, close to the sum of the two shares,
# 6.0. Its excess, 0.000625, is
# more than the two single excesses added up: the cross term $300w_1w_2$
# adds $h$ squared times 300 when both weights move.
# Second order again, so it too fades faster than $h$.
#
# > **The rule to remember**
# >
# > The gradient has the shape of the weights: entry $j$ is how fast the loss moves when
# > $w_j$ alone is turned. Through a dot product $p = x \cdot W$, that is $\bar{p}$ times $x$.
#
# With one example, each weight receives a single share of the prediction's gradient. On
# [A batch](https://backprop-by-hand.github.io/batch/) the same model sees several examples at once, and each weight collects
# one such share per example.
#
# ## Exercise
#
# Give the model a third feature, with a negative value:
# $x = [10,\ 15,\ -4]$, $W = [5,\ 6,\ 10]$ and the same
# target $y = 20$. Find the gradient of the loss with respect to $W$ by hand,
# node by node, before you run anything. Which weight should go **up** to lower the loss?
#
# **Solution**
#
# The forward pass gives $p = 10 \cdot 5 + 15 \cdot 6 - 4 \cdot 10 = 100$
# and $e = -80$, so $\bar{e} = 2 \cdot (-80) = -160$
# and $\bar{p} = 160$. Nothing about the chain changes with a third
# weight: the last step is still $\bar{p}$ times $x$, so
#
# $$
# \bar{W} = 160 \cdot [10,\ 15,\ -4] = [1600,\ 2400,\ -640].
# $$
#
# The third entry is negative: the prediction is too high, and raising $w_3$ *lowers* it,
# because its feature is negative. So $w_3$ should go up; $w_1$ and $w_2$ should go down.

# %%
ex_x = torch.tensor([10.0, 15.0, -4.0])
ex_W_start = torch.tensor([5.0, 6.0, 10.0])

# by hand: the forward pass, then one line per node
ex_prediction = ex_x @ ex_W_start
ex_error = y - ex_prediction
ex_grad_error = 1.0 * 2 * ex_error
ex_grad_prediction = ex_grad_error * -1
ex_grad_W = ex_grad_prediction * ex_x

# autograd on the same graph
ex_W = ex_W_start.clone().requires_grad_()
((y - ex_x @ ex_W) ** 2).backward()

print("by hand: ", ex_grad_W.tolist())
print("autograd:", ex_W.grad.tolist())
compare_grads({"W": (ex_grad_W, ex_W.grad)})

# %%
# Every number the text above states, checked against what the code computed (as
# the site's build checks them). Lines are the page's own.
from pagecheck.notebook import check_page

check_page(globals(), [
    (16, 'x', '[10,\\ 15]'),
    (17, 'W', '[5,\\ 6]'),
    (18, 'y', '20'),
    (21, 'prediction_rule', 'x_1 w_1 + x_2 w_2'),
    (21, 'error_rule', 'y - p'),
    (21, 'square_rule', 'e^2'),
    (45, 'prediction', '10 \\cdot 5 + 15 \\cdot 6'),
    (45, 'prediction', '140'),
    (46, 'error', '-120'),
    (46, 'loss', '14{,}400'),
    (84, 'loss_rule', '(20 - 10w_1 - 15w_2)^2'),
    (85, 'loss_expanded', '100w_1^2 + 300w_1w_2 - 400w_1 + 225w_2^2 - 600w_2 + 400'),
    (90, 'cross_term', '300w_1w_2'),
    (91, 'sp.diff(cross_term, w_1)', '300w_2'),
    (96, 'dloss_dw1', '200w_1 + 300w_2 - 400'),
    (97, 'dloss_dw2', '300w_1 + 450w_2 - 600'),
    (105, 'partials_at_W[0]', '200 \\cdot 5 + 300 \\cdot 6 - 400'),
    (105, 'partials_at_W[0]', '2{,}400'),
    (106, 'partials_at_W[1]', '300 \\cdot 5 + 450 \\cdot 6 - 600'),
    (106, 'partials_at_W[1]', '3{,}600'),
    (116, 'W[1]', '6'),
    (121, 'W[1]', '6'),
    (121, 'loss_along_w1', '(-70 - 10w_1)^2'),
    (122, 'W[1]', '6'),
    (122, 'sp.diff(loss_along_w1, w_1)', '200w_1 + 1400'),
    (126, 'W[0]', '5'),
    (126, 'slope_along_w1', '2,400'),
    (128, 'x[1] * W[1]', '15 \\cdot 6'),
    (129, 'y', '20'),
    (130, 'y - x[1] * W[1]', '-70'),
    (130, 'W[0]', '5'),
    (135, 'W[0]', '5'),
    (135, 'loss_along_w2', '(-30 - 15w_2)^2'),
    (136, 'W[0]', '5'),
    (136, 'sp.diff(loss_along_w2, w_2)', '450w_2 + 900'),
    (140, 'slope_along_w2', '3,600'),
    (140, 'W[1]', '6'),
    (179, 'partials_at_W', '[2400,\\ 3600]'),
    (193, 'grad_loss', '1'),
    (198, 'sp.diff(square_rule, E)', '2e'),
    (198, 'grad_error', '1 \\cdot 2 \\cdot (-120)'),
    (198, 'grad_error', '-240'),
    (199, 'sp.diff(error_rule, P)', '-1'),
    (199, 'grad_prediction', '-240 \\cdot (-1)'),
    (199, 'grad_prediction', '240'),
    (207, 'sp.diff(prediction_rule, w_1)', 'x_1'),
    (209, 'sp.diff(prediction_rule, w_2)', 'x_2'),
    (218, 'grad_prediction', '240'),
    (218, 'x', '[10,\\ 15]'),
    (218, 'grad_W', '[2400,\\ 3600]'),
    (242, 'W', '[5, 6]'),
    (242, 'grad_W', '[2400, 3600]'),
    (243, 'prediction', '140'),
    (243, 'grad_prediction', '240'),
    (244, 'error', '-120'),
    (244, 'grad_error', '-240'),
    (245, 'loss', '14,400'),
    (245, 'grad_loss', '1'),
    (278, 'W_t.grad', '[2400, 3600]'),
    (341, 'h', '0.001'),
    (341, 'moved[0]', '2.4001'),
    (342, 'moved[1]', '3.600225'),
    (343, 'excess[0]', '0.0001'),
    (343, 'excess[1]', '0.000225'),
    (346, 'loss_expanded.coeff(w_1, 2)', '100'),
    (346, 'loss_expanded.coeff(w_2, 2)', '225'),
    (349, 'moved_both', '6.000625'),
    (350, 'predicted_both', '6.0'),
    (350, 'moved_both - predicted_both', '0.000625'),
    (351, 'cross_term', '300w_1w_2'),
    (352, 'loss_expanded.coeff(w_1 * w_2)', '300'),
    (367, 'ex_x', '[10,\\ 15,\\ -4]'),
    (367, 'ex_W_start', '[5,\\ 6,\\ 10]'),
    (368, 'y', '20'),
    (374, 'ex_prediction', '10 \\cdot 5 + 15 \\cdot 6 - 4 \\cdot 10'),
    (374, 'ex_prediction', '100'),
    (375, 'ex_error', '-80'),
    (375, 'ex_grad_error', '2 \\cdot (-80)'),
    (375, 'ex_grad_error', '-160'),
    (376, 'ex_grad_prediction', '160'),
    (380, 'ex_grad_prediction', '160'),
    (380, 'ex_x', '[10,\\ 15,\\ -4]'),
    (380, 'ex_grad_W', '[1600,\\ 2400,\\ -640]'),
])
