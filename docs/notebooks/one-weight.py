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
# *This notebook is the page [One weight: a model and its loss](https://backprop-by-hand.github.io/one-weight/) of Backprop by Hand, cell for cell. Run it from the top: the first cell sets up what the page needs, the last one checks every number the text states against what the code computed.*

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
# # One weight: a model and its loss
#
# > **The question**
# >
# > My model has a single weight: it multiplies the input by `w`. The loss says how wrong
# > its prediction is. Which way should I turn `w` to make the loss smaller, and how do I
# > get that from `backward()`? And why is `.grad` of the prediction `None` when `w.grad`
# > is there?
#
# This is the [knob machine](https://backprop-by-hand.github.io/knobs/) again, with two changes. Some knobs now hold
# *data*, numbers we may read but never turn, and the last knob is a *loss*: one number that
# says how far the model is from being right. There is one example, input
# $x = 10$ with target $y = 20$, and one weight, $w = 5$. The
# machine has three steps:
#
# $$
# \mathit{prediction} = w x, \qquad \mathit{error} = y - \mathit{prediction}, \qquad \mathit{loss} = \mathit{error}^{ 2 } .
# $$
#
# We want $\partial\,\mathit{loss} / \partial w$: how fast the loss moves per unit turn of $w$.
#
# ## The forward pass

# %%
x = 10  # the input: data, fixed
y = 20  # the target: data, fixed
w = 5   # the weight: the one knob we may turn

prediction = w * x
error = y - prediction
loss = error**2

print(f"prediction = {prediction}   error = {error}   loss = {loss}")

# %% [markdown]
# The model predicts 50 where it should say 20, so the error is
# -30 and the loss is 900. Squaring makes the loss the same for an
# error of -30 or 30, and always at least zero.
#
# ## The derivative in one go: expand the square
#
# With $x$ and $y$ fixed, the loss is an ordinary function of one variable, a parabola in $w$.
# Write it out and differentiate the way school taught:
#
# $$
# \mathit{loss}(w) = (20 - 10w)^2 = 100w^2 - 400w + 400,
# \qquad
# \mathit{loss}'(w) = 200w - 400,
# $$
#
# so $\mathit{loss}'(5) = 200 \cdot 5 - 400 = 600$.
# Sympy does the same algebra from the same data:

# %%
import sympy as sp

W = sp.symbols("w")
loss_rule = (y - W * x) ** 2  # x and y are the numbers above
loss_expanded = sp.expand(loss_rule)
loss_prime = sp.diff(loss_rule, W)
loss_prime_at_w = loss_prime.subs(W, w)

print("loss(w)  =", loss_expanded)
print("loss'(w) =", loss_prime)
print("loss'(5) =", loss_prime_at_w)

# %% [markdown]
# Expanding works here because the model is tiny. With a thousand weights and a deep model,
# nobody multiplies the whole loss out. The chain rule never has to.
#
# ## The derivative node by node: the chain rule
#
# The machine is a chain of three nodes, each doing one everyday thing to its input. Call
# that input $z$, a letter that means nothing else on this page (in particular, not $x$):
#
# | node | what it does to its input $z$ | local derivative $d\,\mathit{out} / dz$ |
# | --- | --- | --- |
# | prediction | multiply by $x$: $xz$ | $x$ |
# | error | subtract from $y$: $y - z$ | $-1$ |
# | loss | square: $z^2$ | $2z$ |

# %%
Z, X, Y = sp.symbols("z x y")
multiply_rule = X * Z  # the prediction node: x times its input
subtract_rule = Y - Z  # the error node: y minus its input
square_rule = Z**2     # the loss node: its input squared

for name, rule in [("multiply by x", multiply_rule),
                   ("subtract from y", subtract_rule),
                   ("square", square_rule)]:
    local = sp.diff(rule, Z)
    print(f"{name:16} {str(rule):6} local derivative {local}")

# %% [markdown]
# As on the [knobs page](https://backprop-by-hand.github.io/knobs/#the-derivative-knob-by-knob-the-chain-rule), the gradient of a
# node is how much the loss moves per unit change of that node, written with a bar:
# $\overline{\mathit{error}} = \partial\,\mathit{loss} / \partial\,\mathit{error}$. Start at the end,
# where the loss moves one-for-one with itself, and walk back. Each step multiplies by the
# local derivative of the node after, evaluated at its input from the forward pass:
#
# $$
# \begin{aligned}
# \overline{\mathit{loss}} &= 1, \\
# \overline{\mathit{error}} &= \overline{\mathit{loss}} \cdot 2\,\mathit{error} = 1 \cdot 2 \cdot (-30) = -60, \\
# \overline{\mathit{prediction}} &= \overline{\mathit{error}} \cdot (-1) = -60 \cdot (-1) = 60, \\
# \overline{w} &= \overline{\mathit{prediction}} \cdot x = 60 \cdot 10 = 600.
# \end{aligned}
# $$
#
# The same 600 as expanding the square. Look at what each step needed from
# the forward pass: the square needs its input, the error -30; the subtraction
# needs nothing at all; the multiplication needs the *other* factor, $x = 10$, not
# $w$. That is what PyTorch saves for backward, as the
# [knobs page showed](https://backprop-by-hand.github.io/knobs/#what-backward-needs).
#
# ## The backward pass by hand
#
# One line per node, right to left, with plain Python integers: no autograd.

# %%
grad_loss = 1                           # loss moves one-for-one
grad_error = grad_loss * (2 * error)    # loss = error**2: d/dz = 2z
grad_prediction = grad_error * (-1)     # error = y - prediction: -1
grad_w = grad_prediction * x            # prediction = w * x: x

print(f"grad_loss = {grad_loss}   grad_error = {grad_error}")
print(f"grad_prediction = {grad_prediction}   grad_w = {grad_w}")

# %% [markdown]
# | node | forward value | gradient |
# | --- | --- | --- |
# | `w` | 5 | 600 |
# | `prediction` | 50 | 60 |
# | `error` | -30 | -60 |
# | `loss` | 900 | 1 |
#
# ## torch agrees
#
# Build the same graph out of tensors. PyTorch tells two kinds of tensor apart. `w` is a
# *leaf*: we made it ourselves, with `requires_grad=True`. The other three are computed from
# it, so they are not leaves; each remembers the operation that made it in `grad_fn`, the
# node that `backward()` will step back through.

# %%
import torch
from snippets.compare import compare_grads

x_t = torch.tensor(10.0)
y_t = torch.tensor(20.0)
w_t = torch.tensor(5.0, requires_grad=True)
prediction_t = w_t * x_t
error_t = y_t - prediction_t
loss_t = error_t**2

for name, t in [("w", w_t), ("prediction", prediction_t),
                ("error", error_t), ("loss", loss_t)]:
    made_by = t.grad_fn.name() if t.grad_fn else "-"
    print(f"{name:10}  is_leaf={t.is_leaf!s:5}  grad_fn={made_by}")

# %% [markdown]
# `loss.backward()` computes the gradient of every node on the way back to `w`; it has to,
# since `w`'s gradient is built from theirs. But it stores a result in `.grad` only for
# leaves. An intermediate gradient is thrown away as soon as the next step back has used it
# (the error's gradient, say, once the prediction's has been made from it): in a real
# network those gradients are as big as the activations, and nobody wants them all kept.
# `retain_grad()`, called on a non-leaf *before* `backward()`, asks PyTorch to keep that
# one. That is why the [knobs page](https://backprop-by-hand.github.io/knobs/#torch-agrees) called it on `b`, `c` and `d`.

# %%
for node in (prediction_t, error_t, loss_t):
    node.retain_grad()
loss_t.backward()

compare_grads({
    "w": (grad_w, w_t.grad),
    "prediction": (grad_prediction, prediction_t.grad),
    "error": (grad_error, error_t.grad),
    "loss": (grad_loss, loss_t.grad),
})

# %% [markdown]
# Every row is exact: all the values are small integers, which float32 holds without
# rounding. `loss.grad` is 1 because that is where `backward()` starts:
# called on a single number, it seeds the walk with a gradient of one.
#
# Here is the graph autograd walked, drawn from these tensors as on the
# [knobs page](https://backprop-by-hand.github.io/knobs/#torch-agrees). Read the values left to right, the way the forward
# pass made them, and the gradients right to left, the way `backward()` filled them in.
# The dashed boxes are the data: autograd never tracked `x` and `y`, so they have a value
# and no gradient.

# %%
from snippets.graph import ComputationGraph

ComputationGraph.from_autograd(
    loss_t,
    {"w": w_t, "prediction": prediction_t,
     "error": error_t, "loss": loss_t},
    constants={"x": x_t, "y": y_t},
    inputs_of={"prediction": ["x"], "error": ["y"]},
    title="One weight, one example",
)

# %% [markdown]
# ### Reading `.grad` without `retain_grad()`
#
# Build the graph afresh, run `backward()`, and read `.grad` of the prediction without having
# asked to keep it:

# %%
w_fresh = torch.tensor(5.0, requires_grad=True)
prediction_fresh = w_fresh * x_t
loss_fresh = (y_t - prediction_fresh) ** 2
loss_fresh.backward()

forgotten = prediction_fresh.grad  # a non-leaf, never retained

# %% [markdown]
# PyTorch does not stop you. It emits the `UserWarning` shown above: the tensor is not a
# leaf, its `.grad` is not filled in by `backward()`, and `.retain_grad()` would fill it.
# Then it hands back `None`. The
# trouble starts one line later, as soon as you use the value:

# %%
print("prediction_fresh.grad is", forgotten)
print("w_fresh.grad is", w_fresh.grad)  # leaves always get one
try:
    forgotten.item()
except AttributeError as problem:
    print(f"{type(problem).__name__}: {problem}")


# %% [markdown]
# > **Seeing `'NoneType' object has no attribute 'item'`?**
# >
# > When this error names a `.grad`, the tensor is almost always a non-leaf that nobody
# > called `retain_grad()` on (or `backward()` never ran). Warnings are easy to scroll
# > past, so the error can turn up far from its cause. Go back to where the tensor was
# > made and retain it there, before `backward()`.
#
# ## A nudge
#
# The gradient promises that turning $w$ by a small $h$ moves the loss by about
# $\overline{w} \cdot h = 600\,h$. Measure it, with Python floats (float64)
# and the data held fixed:

# %%
def loss_at(w_value):
    """The loss as a function of the weight, with x and y held fixed."""
    return (y - w_value * x) ** 2

h = 0.001
nudge_up = loss_at(w + h) - loss_at(w)
nudge_down = loss_at(w - h) - loss_at(w)
for step, moved in [(h, nudge_up), (-h, nudge_down)]:
    print(f"w {step:+}: loss moves {moved:+.7f},", end="  ")
    print(f"predicted {grad_w * step:+.7f}")

H = sp.symbols("h")
exact_change = sp.expand(
    loss_rule.subs(W, w + H) - loss_rule.subs(W, w))
print("exact change:", exact_change)

# %% [markdown]
# Turn $w$ up by 0.001 and the loss rises by 0.6001; turn it
# down by the same amount and the loss falls by 0.5999. The gradient
# predicted 0.6 both ways. The small gap is no rounding error. The loss
# is a parabola, so its exact change is
#
# $$
# \mathit{loss}(w + h) - \mathit{loss}(w) = 600h + 100h^2,
# $$
#
# the gradient's term plus a curvature term that, at $h = 0.001$, is
# 0.0001. Halve $h$ and it quarters: the
# smaller the nudge, the better the gradient's promise holds.
#
# ## What the sign says
#
# The gradient is 600, a positive number: turning $w$ **up** makes the loss
# go **up**. So to lower the loss, turn $w$ down. That fits the data: the model predicts
# 50 for a target of 20, so $w$ is too big. The other gradients
# tell the same story. The prediction's gradient, 60, is positive
# because the prediction is too high. The error's, -60, is negative:
# raising the error from -30 towards zero lowers the loss.
#
# One step against the gradient, scaled by a small *learning rate*, shows it working:

# %%
learning_rate = 0.001
w_stepped = w - learning_rate * grad_w
loss_stepped = loss_at(w_stepped)
print(f"w: {w} -> {w_stepped:.1f}   loss: {loss} -> {loss_stepped:.0f}")

best_w = sp.solve(loss_prime, W)[0]  # where the slope is zero
w_low = 1
grad_at_w_low = loss_prime.subs(W, w_low)
print(f"slope zero at w = {best_w}")
print(f"slope at w = {w_low}: {grad_at_w_low}")

# %% [markdown]
# With a learning rate of 0.001, $w$ moves from 5 to
# 4.4 and the loss drops from 900 to
# 576. The bottom of the parabola is at
# $w = 2$, where $\mathit{loss}'(w) = 200w - 400$ is zero
# and the prediction is exactly 20. On the other side of it, at
# $w = 1$, the gradient is -200: negative, so there
# the step goes up. Either way the step points at the bottom.
# [Gradient descent](https://backprop-by-hand.github.io/gradient-descent/) is this step, repeated.
#
# > **The rule to remember**
# >
# > The gradient points uphill: if it is positive, lower the weight; if it is negative,
# > raise it.
#
# ## Exercise
#
# Keep the data and the model, but measure the error by its size instead of its square:
# $\mathit{loss} = |\mathit{error}|$. Find $\overline{w}$ by hand, node by node, at
# $w = 5$ and then at $w = 3$. How do the two answers
# compare with the squared loss's gradients at the same weights?
#
# **Solution**
#
# Only the last node changes. Where its input is negative, $|z|$ is just $-z$, with local
# derivative $-1$; both errors are negative
# (-30 and -10). Walking back:
# $\overline{\mathit{error}} = -1$, then
# $\overline{\mathit{prediction}} = 1$, then
# $\overline{w} = 1 \cdot 10 = 10$.
# At $w = 3$ the error is smaller but still negative, so every step is the
# same and $\overline{w}$ is again 10.
#
# That is the lesson. The squared loss's gradient shrinks as the model gets closer:
# 600 at $w = 5$, only
# 200 at $w = 3$. The absolute
# loss's gradient says only *which side* of the target the prediction is on, never how far.
# At the target itself, $w = 2$, $|z|$ has a corner and no derivative;
# PyTorch uses 0 there (printed as `-0.`: a zero that picked up the
# subtraction's minus sign on the way back).

# %%
ex_w_far, ex_w_near = 5, 3

def abs_loss_grad_w(w_value):
    """Backward by hand through |y - w x|, for a negative error."""
    error_value = y - w_value * x
    assert error_value < 0, "the local derivative below is for z < 0"
    grad_abs_loss = 1
    grad_abs_error = grad_abs_loss * (-1)        # |z| = -z for z < 0
    grad_abs_prediction = grad_abs_error * (-1)  # y - prediction: -1
    return grad_abs_error, grad_abs_prediction, grad_abs_prediction * x

def abs_loss_autograd(w_value):
    """w.grad from autograd for loss = |y - w * x|."""
    w_leaf = torch.tensor(float(w_value), requires_grad=True)
    (y_t - w_leaf * x_t).abs().backward()
    return w_leaf.grad

ex_grad_error_far, ex_grad_prediction_far, ex_grad_w_far = (
    abs_loss_grad_w(ex_w_far))
ex_grad_w_near = abs_loss_grad_w(ex_w_near)[-1]
ex_grad_corner = abs_loss_autograd(best_w)
print("autograd at the corner, w = 2:", ex_grad_corner)

compare_grads({
    "w at 5": (ex_grad_w_far, abs_loss_autograd(ex_w_far)),
    "w at 3": (ex_grad_w_near, abs_loss_autograd(ex_w_near)),
})

# %%
# Every number the text above states, checked against what the code computed (as
# the site's build checks them). Lines are the page's own.
from pagecheck.notebook import check_page

check_page(globals(), [
    (19, 'x', '10'),
    (19, 'y', '20'),
    (19, 'w', '5'),
    (23, 'square_rule.as_base_exp()[1]', '2'),
    (42, 'prediction', '50'),
    (42, 'y', '20'),
    (43, 'error', '-30'),
    (43, 'loss', '900'),
    (44, 'error', '-30'),
    (44, '-error', '30'),
    (52, 'loss_rule', '(20 - 10w)^2'),
    (52, 'loss_expanded', '100w^2 - 400w + 400'),
    (54, 'loss_prime', '200w - 400'),
    (57, 'w', '5'),
    (57, 'loss_prime_at_w', '200 \\cdot 5 - 400'),
    (57, 'loss_prime_at_w', '600'),
    (84, 'multiply_rule', 'xz'),
    (84, 'sp.diff(multiply_rule, Z)', 'x'),
    (85, 'subtract_rule', 'y - z'),
    (85, 'sp.diff(subtract_rule, Z)', '-1'),
    (86, 'square_rule', 'z^2'),
    (86, 'sp.diff(square_rule, Z)', '2z'),
    (109, 'grad_loss', '1'),
    (110, 'sp.diff(square_rule, Z).subs(Z, sp.Symbol("error"))', '2\\,\\mathit{error}'),
    (110, 'grad_error', '1 \\cdot 2 \\cdot (-30)'),
    (110, 'grad_error', '-60'),
    (111, 'sp.diff(subtract_rule, Z)', '-1'),
    (111, 'grad_prediction', '-60 \\cdot (-1)'),
    (111, 'grad_prediction', '60'),
    (112, 'sp.diff(multiply_rule, Z)', 'x'),
    (112, 'grad_w', '60 \\cdot 10'),
    (112, 'grad_w', '600'),
    (116, 'grad_w', '600'),
    (117, 'error', '-30'),
    (118, 'x', '10'),
    (138, 'w', '5'),
    (138, 'grad_w', '600'),
    (139, 'prediction', '50'),
    (139, 'grad_prediction', '60'),
    (140, 'error', '-30'),
    (140, 'grad_error', '-60'),
    (141, 'loss', '900'),
    (141, 'grad_loss', '1'),
    (189, 'loss_t.grad', '1'),
    (249, 'grad_w', '600'),
    (270, 'h', '0.001'),
    (270, 'nudge_up', '0.6001'),
    (271, '-nudge_down', '0.5999'),
    (272, 'grad_w * h', '0.6'),
    (276, 'exact_change', '600h + 100h^2'),
    (279, 'h', '0.001'),
    (280, '(exact_change - grad_w * H).subs(H, h)', '0.0001'),
    (285, 'grad_w', '600'),
    (287, 'prediction', '50'),
    (287, 'y', '20'),
    (288, 'grad_prediction', '60'),
    (289, 'grad_error', '-60'),
    (290, 'error', '-30'),
    (307, 'learning_rate', '0.001'),
    (307, 'w', '5'),
    (308, 'w_stepped', '4.4'),
    (308, 'loss', '900'),
    (309, 'loss_stepped', '576'),
    (310, 'best_w', '2'),
    (310, 'loss_prime', '200w - 400'),
    (311, 'y', '20'),
    (312, 'w_low', '1'),
    (312, 'grad_at_w_low', '-200'),
    (325, 'ex_w_far', '5'),
    (325, 'ex_w_near', '3'),
    (332, 'sp.diff(-Z, Z)', '-1'),
    (333, 'y - ex_w_far * x', '-30'),
    (333, 'y - ex_w_near * x', '-10'),
    (334, 'ex_grad_error_far', '-1'),
    (335, 'ex_grad_prediction_far', '1'),
    (336, 'ex_grad_w_far', '1 \\cdot 10'),
    (336, 'ex_grad_w_far', '10'),
    (337, 'ex_w_near', '3'),
    (338, 'ex_grad_w_near', '10'),
    (341, 'loss_prime.subs(W, ex_w_far)', '600'),
    (341, 'ex_w_far', '5'),
    (342, 'loss_prime.subs(W, ex_w_near)', '200'),
    (342, 'ex_w_near', '3'),
    (344, 'best_w', '2'),
    (345, 'ex_grad_corner', '0'),
])
