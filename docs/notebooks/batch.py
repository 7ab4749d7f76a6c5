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
# *This notebook is the page [A batch: many examples, one gradient](https://backprop-by-hand.github.io/batch/) of Backprop by Hand, cell for cell. Run it from the top: the first cell sets up what the page needs, the last one checks every number the text states against what the code computed.*

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
# # A batch: many examples, one gradient
#
# > **The question**
# >
# > With one example, the gradient of a prediction $x \cdot W$ with respect to $W$ was
# > just $x$. With a batch of three examples PyTorch says `W.grad` is
# > `X.T @ prediction.grad`, and I can't see why. Where does the transpose come from? And
# > for the first weight it works out as
# > $10 \cdot 80 + 3 \cdot 20.67 + 7 \cdot 58 = 1268$.
# > Why am I allowed to add those numbers together?
#
# The [two-weights page](https://backprop-by-hand.github.io/two-weights/) fitted one example. Now there are
# $n = 3$ of them, stacked as the rows of a matrix $X$, with one target each in $Y$, and the
# same two weights $W$:
#
# $$
# X = \begin{bmatrix}
# 10 & 15 \\
# 3 & 4 \\
# 7 & 11
# \end{bmatrix}, \qquad
# Y = [20, 8, 14], \qquad
# W = [5, 6].
# $$
#
# Each example $i$ (row $x_i$ of $X$, target $y_i$) gets its own prediction, error and
# squared error, and the loss is the mean of the squared errors:
#
# $$
# p_i = x_i \cdot W, \qquad e_i = y_i - p_i, \qquad s_i = e_i^2, \qquad
# L = \frac{1}{n} \sum_i s_i .
# $$
#
# ## The forward pass
#
# Float32 tensors, PyTorch's default. The shape of each tensor is written next to it.

# %%
import torch

X = torch.tensor([[10.0, 15.0], [3.0, 4.0], [7.0, 11.0]])  # [3, 2]
Y = torch.tensor([20.0, 8.0, 14.0])                         # [3]
W = torch.tensor([5.0, 6.0])                                # [2]
n = len(Y)  # number of examples


def show(t):
    """A tensor's values, rounded for reading."""
    return [round(v, 4) for v in t.flatten().tolist()]


prediction = X @ W        # [3]  one dot product per row of X
error = Y - prediction    # [3]
error_sq = error**2       # [3]
loss = error_sq.mean()    # scalar

print("prediction:", show(prediction))
print("error:     ", show(error))
print("error_sq:  ", show(error_sq))
print(f"loss:        {loss.item():.4f}")

# %% [markdown]
# The predictions are $p = [140, 39, 101]$, all far above their targets,
# so the errors are $e = [-120, -31, -87]$, the squared errors
# $s = [14{,}400, 961, 7{,}569]$ and the loss is their mean,
# $L = 7{,}643.33$.
#
# ## The backward pass, step by step
#
# Write $\bar{v}$ for the gradient of the loss with respect to $v$, as on the
# [knobs page](https://backprop-by-hand.github.io/knobs/). The first three steps are the ones you know from a single example,
# done once per example. Each example's squared error gets a $\frac{1}{n}$ share of the mean,
# and every other local derivative involves only that example's own numbers:
#
# $$
# \begin{aligned}
# \bar{L} &= 1, \\
# \bar{s}_i &= \bar{L} \cdot \frac{\partial L}{\partial s_i} = \frac{1}{n}, \\
# \bar{e}_i &= \bar{s}_i \cdot \frac{\partial s_i}{\partial e_i} = \bar{s}_i \cdot 2e_i, \\
# \bar{p}_i &= \bar{e}_i \cdot \frac{\partial e_i}{\partial p_i} = \bar{e}_i \cdot (-1).
# \end{aligned}
# $$
#
# Sympy takes the derivatives, so the formulas are checked, not just typed. The mean is
# written with the other examples' squared errors lumped into one symbol, since they don't
# depend on $s_i$:

# %%
import sympy as sp

s_i, s_others, n_sym = sp.symbols("s_i s_others n")
e_i, y_i, p_i = sp.symbols("e_i y_i p_i")

mean_rule = (s_i + s_others) / n_sym  # L = (s_1 + ... + s_n) / n
square_rule = e_i**2                  # s_i = e_i^2
error_rule = y_i - p_i                # e_i = y_i - p_i

# %% [markdown]
# With our numbers, example by example:
#
# $$
# \begin{aligned}
# \bar{s} &= [\tfrac{1}{3}, \tfrac{1}{3}, \tfrac{1}{3}], \\
# \bar{e} &= \tfrac{2}{3} \, e = \tfrac{2}{3} \cdot [-120, -31, -87] = [-80, -20.67, -58], \\
# \bar{p} &= -\bar{e} = [80, 20.67, 58].
# \end{aligned}
# $$
#
# Every prediction is too high, so every $\bar{p}_i$ is positive: pushing any prediction up
# would make the loss worse.
#
# The last step is the one the question is about. $W$ is not per example: both weights feed
# every prediction. The rule PyTorch uses is
#
# $$
# \bar{W} = X^\top \bar{p} = [1268, 1920.67],
# $$
#
# and two sections further down explain it:
# [why the per-example pieces add](#why-we-may-add-every-path-counts), and
# [why adding them is a product with the transpose](#why-the-transpose).
#
# ## The backward pass by hand
#
# One line per step, right to left, no autograd:

# %%
grad_loss = torch.tensor(1.0)                    # dL/dL
grad_error_sq = grad_loss * torch.full((n,), 1 / n)  # L = mean(s)
grad_error = grad_error_sq * 2 * error           # s = e**2
grad_prediction = grad_error * -1                # e = y - p
grad_W = X.T @ grad_prediction                   # p = X @ W

print("grad_error_sq:  ", show(grad_error_sq))
print("grad_error:     ", show(grad_error))
print("grad_prediction:", show(grad_prediction))
print("grad_W:         ", show(grad_W))

# %% [markdown]
# ## torch agrees
#
# The same graph in autograd. `prediction`, `error`, `error_sq` and `loss` are not leaves,
# so we ask PyTorch to keep their gradients with `retain_grad()`.

# %%
from snippets.compare import compare_grads

W_t = torch.tensor([5.0, 6.0], requires_grad=True)
prediction_t = X @ W_t
error_t = Y - prediction_t
error_sq_t = error_t**2
loss_t = error_sq_t.mean()
for t in (prediction_t, error_t, error_sq_t, loss_t):
    t.retain_grad()
loss_t.backward()

compare_grads({
    "W": (grad_W, W_t.grad),
    "prediction": (grad_prediction, prediction_t.grad),
    "error": (grad_error, error_t.grad),
    "error_sq": (grad_error_sq, error_sq_t.grad),
    "loss": (grad_loss, loss_t.grad),
})

# %% [markdown]
# Every row is bit-for-bit equal: the hand-written lines do the same float32 operations as
# autograd, in the same order, so even the third that float32 cannot hold exactly is rounded
# the same way on both sides ([when that is not so](https://backprop-by-hand.github.io/beyond/why-the-bits-differ/)).
#
# Drawn as a graph, the way the [knobs page](https://backprop-by-hand.github.io/knobs/#torch-agrees) drew its machine (top
# to bottom this time, to leave room for the vectors), the run reads in two directions:
# each box's value was made from the boxes above it, and its gradient from the box below.
# Until the mean, every box holds one number per example; the mean gathers them into one
# loss, and on the way back the dot product with the data `X` (dashed: no gradient)
# gathers the prediction gradients into the two weights.

# %%
from snippets.graph import ComputationGraph

ComputationGraph.from_autograd(
    loss_t,
    {"W": W_t, "prediction": prediction_t, "error": error_t,
     "error_sq": error_sq_t, "loss": loss_t},
    constants={"X": X, "Y": Y},
    inputs_of={"prediction": ["X"], "error": ["Y"]},
    direction="TB",
    title="A batch of three examples, two weights",
)

# %% [markdown]
# ## The same numbers the long way
#
# There is a way to check the answer without any backpropagation: write the loss out as a
# polynomial in the two weights and differentiate it the way one learns in school. Sympy
# does the algebra on the same data, in exact integers:

# %%
w_1, w_2 = sp.symbols("w_1 w_2")
X_exact = sp.Matrix(X.int().tolist())   # the data as exact integers
Y_exact = sp.Matrix(Y.int().tolist())
errors_expr = Y_exact - X_exact @ sp.Matrix([w_1, w_2])
loss_expr = sp.expand(sum(e**2 for e in errors_expr) / n)
grad_expr = [sp.diff(loss_expr, w) for w in (w_1, w_2)]
at_W = {w_1: int(W[0]), w_2: int(W[1])}
grad_expr_at_W = [g.subs(at_W) for g in grad_expr]

print("dL/dw_1 =", grad_expr[0])
print("dL/dw_2 =", grad_expr[1])
print("at W:   ", grad_expr_at_W)

# %% [markdown]
# Sympy's expansion of the loss, and its two partial derivatives:
#
# $$
# L(w_1, w_2) = \frac{158}{3}w_1^2 + \frac{478}{3}w_1 w_2 - \frac{644}{3}w_1 + \frac{362}{3}w_2^2 - 324w_2 + 220
# $$
#
# $$
# \begin{aligned}
# \frac{\partial L}{\partial w_1} &= \frac{316}{3}w_1 + \frac{478}{3}w_2 - \frac{644}{3}, \\
# \frac{\partial L}{\partial w_2} &= \frac{478}{3}w_1 + \frac{724}{3}w_2 - 324.
# \end{aligned}
# $$
#
# At $W = [5, 6]$ these are 1268 and
# $\frac{5762}{3}$, which is 1920.67: the same numbers as the
# backward pass. But the expansion hides where they come from, and it grows with every
# example and every weight. A learner who did exactly this wrote afterwards: *"That's
# good but I still don't get it."* So here is the why.
#
# ## Why we may add: every path counts
#
# On the [knobs page](https://backprop-by-hand.github.io/knobs/), each knob fed exactly one next knob. Here $w_1$ fans out. Every
# prediction uses it, $p_i = x_{i1} w_1 + x_{i2} w_2$, so $w_1$ reaches the loss along one
# road per example:
#
# $$
# w_1 \to p_i \to e_i \to s_i \to L, \qquad \text{for each example } i.
# $$
#
# Turn $w_1$ up by a tiny $h$ and all the predictions move at once, each by its own
# $\Delta p_i = x_{i1} h$. Each of those moves, on its own, would change the loss by about
# $\bar{p}_i \, \Delta p_i$: that is what the gradient $\bar{p}_i$ means. The claim is that
# together they change the loss by the sum:
#
# $$
# \Delta L \approx \bar{p}_1 \Delta p_1 + \bar{p}_2 \Delta p_2 + \bar{p}_3 \Delta p_3
# = \left( \sum_i \bar{p}_i \, x_{i1} \right) h .
# $$
#
# Why may the separate effects simply add? For this loss there is nothing to argue: $L$ is a
# mean, a sum of one piece per example, and piece $i$ sees only prediction $i$. The
# derivative of a sum is the sum of the derivatives. In general, for a loss where the
# predictions do interact, it is the **multivariable chain rule**: when several inputs of a
# smooth function move by small amounts, the function changes by the sum of what each move
# would do alone, plus cross terms, second order in $h$, that vanish faster than $h$ does
# (the [two-weights nudge](https://backprop-by-hand.github.io/two-weights/#a-nudge-for-each-weight) measured one). So:
#
# $$
# \frac{\partial L}{\partial w_j} = \sum_i \frac{\partial L}{\partial p_i} \,
# \frac{\partial p_i}{\partial w_j} = \sum_i \bar{p}_i \, x_{ij},
# \qquad \text{since} \quad \frac{\partial p_i}{\partial w_j} = x_{ij}.
# $$
#
# The total derivative is a sum over paths, and each path contributes the product of the
# local derivatives along it. (Sympy checks the last derivative on the prediction of a
# two-weight model, $p_i = x_{ij} w_j + x_{ik} w_k$ with $k$ the other weight.)

# %%
x_ij, w_j, x_ik, w_k = sp.symbols("x_{ij} w_j x_{ik} w_k")
pred_rule = x_ij * w_j + x_ik * w_k  # p_i = x_i . W

# One path per example: w_1 -> p_i -> e_i -> s_i -> L.
local_mean = grad_error_sq        # dL/ds_i   = 1/n     [3]
local_square = 2 * error          # ds_i/de_i = 2 e_i   [3]
local_error = -1                  # de_i/dp_i = -1
local_pred = X[:, 0]              # dp_i/dw_1 = x_i1    [3]
path_w1 = local_mean * local_square * local_error * local_pred

for i in range(n):
    factors = (f"{local_mean[i]:.4f} * {local_square[i]:6.1f}"
               f" * {local_error} * {local_pred[i]:4.1f}")
    print(f"path {i + 1}: {factors} = {path_w1[i]:6.2f}")
print(f"sum of the paths: {path_w1.sum():.2f}")

# %% [markdown]
# | example | $\partial L / \partial s_i$ | $\partial s_i / \partial e_i$ | $\partial e_i / \partial p_i$ | $\partial p_i / \partial w_1$ | path product |
# | --- | --- | --- | --- | --- | --- |
# | first | 1/3 | -240 | -1 | 10 | 800 |
# | second | 1/3 | -62 | -1 | 3 | 62 |
# | third | 1/3 | -174 | -1 | 7 | 406 |
# | **sum** | | | | | **1268** |
#
# The first three factors of each row multiply to $\bar{p}_i$; the last is the entry of the
# first column of $X$. So the sum in the question is exactly this sum over paths:
#
# $$
# 10 \cdot 80 + 3 \cdot \frac{62}{3} + 7 \cdot 58
# = 800 + 62 + 406
# = 1268.
# $$
#
# The middle $\bar{p}_i$ is exactly $\frac{62}{3}$, which is where
# the 20.67 of the question comes from.
#
# You can watch the paths add. Nudge $w_1$, but let the nudge reach the loss along one path
# only: move that one prediction and hold the others where they were. Do it for each path,
# then for all of them at once. Float64 here, so that rounding doesn't blur the tiny
# changes:

# %%
X64, Y64, W64 = X.double(), Y.double(), W.double()


def loss_of(predictions):
    return ((Y64 - predictions) ** 2).mean().item()


h_path = 1e-4
step_w1 = torch.tensor([h_path, 0.0], dtype=torch.float64)
before = X64 @ W64             # [3]
after = X64 @ (W64 + step_w1)  # [3]  every prediction moves

moved_along = []
for i in range(n):
    only_i = before.clone()
    only_i[i] = after[i]        # path i carries the nudge, no other
    moved_along.append(loss_of(only_i) - loss_of(before))
    print(f"only path {i + 1}: loss moves {moved_along[i]:.6f}")
moved_all = loss_of(after) - loss_of(before)
print(f"sum of the paths:  {sum(moved_along):.6f}")
print(f"all paths at once: {moved_all:.6f}")

# %% [markdown]
# Divided by the nudge 0.0001, the three paths move the loss at rates
# [800, 62, 406], the path products from the table,
# and all paths at once move it at 1268, their sum.
#
# ## Why the transpose
#
# Now write the sum for any weight $j$ with the indices spelled out. $X_{ij}$ (the $x_{ij}$
# above) is the entry of $X$ in row $i$, column $j$:
#
# $$
# \bar{w}_j = \sum_i X_{ij} \, \bar{p}_i .
# $$
#
# The index being summed, $i$, is the **row** index of $X$: the sum runs **down column $j$**,
# weighting each entry by its example's $\bar{p}_i$. A matrix times a vector sums the other
# way, along a row: $(A v)_j = \sum_i A_{ji} \, v_i$. To turn "down column $j$ of $X$" into
# "along row $j$ of something", swap rows and columns. That something is the transpose,
# $(X^\top)_{ji} = X_{ij}$, and
#
# $$
# \bar{w}_j = \sum_i (X^\top)_{ji} \, \bar{p}_i = (X^\top \bar{p})_j ,
# \qquad \text{so} \qquad \bar{W} = X^\top \bar{p} .
# $$
#
# The shapes tell the same story with no indices at all. $X$ is
# [3, 2], $\bar{p}$ is [3], and
# $\bar{W}$ must have the shape of $W$, [2]. The only product of
# $X$ and $\bar{p}$ that makes one number per weight is
# [2, 3] times [3]:

# %%
print("X:", list(X.shape))
print("grad_prediction:", list(grad_prediction.shape))
try:
    X @ grad_prediction
except RuntimeError as mismatch:
    print("X @ grad_prediction fails:", mismatch)
print("X.T @ grad_prediction:", list((X.T @ grad_prediction).shape))

# %% [markdown]
# The forward pass used $X$ to carry two weights to three predictions; the backward pass uses
# $X^\top$ to carry three prediction gradients back to two weight gradients. Same matrix,
# travelled in the other direction. (`grad_prediction @ X` gives the same numbers too: a
# vector multiplied from the left is the transpose in disguise.)
#
# ### The per-example view
#
# Read $X^\top \bar{p}$ by rows of $X$ instead of columns and it says: each example hands
# $W$ its own row $x_i,$ scaled by its own $\bar{p}_i$, and the contributions add,
#
# $$
# X^\top \bar{p} = \sum_i \bar{p}_i \, x_i .
# $$
#
# That is the [two-weights page](https://backprop-by-hand.github.io/two-weights/) once per example. There, the gradient of the
# dot product $x \cdot W$ with respect to $W$ was $x$; here each prediction $x_i \cdot W$ is
# such a dot product, so its gradient is $x_i,$ times the gradient $\bar{p}_i$ flowing into
# it.

# %%
# row i is grad_prediction[i] * X[i]: [3, 1] * [3, 2] -> [3, 2]
contributions = grad_prediction[:, None] * X
print("per example:", [show(row) for row in contributions])
print("summed:     ", show(contributions.sum(dim=0)))
print("X.T @ grad: ", show(X.T @ grad_prediction))

# %% [markdown]
# | example | $x_i$ | $\bar{p}_i$ | contribution $\bar{p}_i \, x_i$ |
# | --- | --- | --- | --- |
# | first | [10, 15] | 80 | [800, 1200] |
# | second | [3, 4] | 20.67 | [62, 82.67] |
# | third | [7, 11] | 58 | [406, 638] |
# | **sum** | | | **[1268, 1920.67]** |
#
# The first column of contributions is the path table of the previous section; the second
# column is the same story for $w_2$:
# $15 \cdot 80 + 4 \cdot \frac{62}{3} + 11 \cdot 58 = 1920.67$.
#
# ## Two examples: each brings its own gradient
#
# The smallest batch has two examples. Each example alone is a problem from the
# two-weights page, and the batch gradient is the mean of the single-example gradients.
#
# $$
# X_2 = \begin{bmatrix}
# 10 & 15 \\
# 30 & 40
# \end{bmatrix}, \qquad
# Y_2 = [20, 25], \qquad
# W = [5, 6].
# $$

# %%
X2 = torch.tensor([[10.0, 15.0], [30.0, 40.0]])  # [2, 2]
Y2 = torch.tensor([20.0, 25.0])                  # [2]
n2 = len(Y2)
prediction2 = X2 @ W                             # [2]

# Each example alone, as on the two-weights page: 2 (p - y) x.
alone = 2 * (prediction2 - Y2)[:, None] * X2     # [2, 2], row i
grad_W2_averaged = alone.mean(dim=0)             # [2]

# The batch, one line per step, exactly as above.
error2 = Y2 - prediction2
grad_error_sq2 = torch.full((n2,), 1 / n2)
grad_error2 = grad_error_sq2 * 2 * error2
grad_prediction2 = grad_error2 * -1
grad_W2 = X2.T @ grad_prediction2

W2_t = torch.tensor([5.0, 6.0], requires_grad=True)
prediction2_t = X2 @ W2_t
prediction2_t.retain_grad()
loss2_t = ((Y2 - prediction2_t) ** 2).mean()
loss2_t.backward()

print("predictions:", show(prediction2), "  loss:", loss2_t.item())
print("each example alone:", [show(row) for row in alone])
compare_grads({
    "W (X2.T @ grad)": (grad_W2, W2_t.grad),
    "W (mean of alone)": (grad_W2_averaged, W2_t.grad),
    "prediction2": (grad_prediction2, prediction2_t.grad),
})


# %% [markdown]
# The predictions are [140, 390], overshooting the targets by
# [120, 365], so the loss is the mean of the two squares,
# $L = \frac{120^2 + 365^2}{2} = 73{,}812.5$.
# The first example alone has the gradient [2400, 3600], the very number
# of the two-weights page, since it is that page's example. The second alone has
# [21900, 29200]. The mean of the two is
# [12150, 16400], and so is
# $X_2^\top \bar{p} = [12150, 16400]$ with
# $\bar{p} = [120, 365]$. That is simply how far each prediction
# overshoots, $p_i - y_i$: the half share of the mean cancels the two that the square brings
# down.
#
# ## A nudge
#
# The gradient promises that turning $w_1$ by a small $h$ moves the loss by about
# $1268\,h$, and turning $w_2$ by about $1920.67\,h$.
# Measure it, again in float64:

# %%
def loss_at(weights):
    return ((Y64 - X64 @ weights) ** 2).mean().item()


h = 1e-3
moved_w = []
for j in range(len(W)):
    step = torch.zeros(len(W), dtype=torch.float64)
    step[j] = h
    moved_w.append(loss_at(W64 + step) - loss_at(W64))
    print(f"turn w_{j + 1} by {h}: loss moves {moved_w[j]:.5f},"
          f"  grad x h = {grad_W[j].item() * h:.5f}")

# %% [markdown]
# Turning $w_1$ by 0.001 moves the loss by 1.268, and turning
# $w_2$ by the same amount moves it by 1.921, as promised. What little is
# left over comes from the curvature. The loss is a quadratic, and its term
# $\frac{158}{3}w_1^2$ adds the coefficient times
# $h$ squared, $5.3 \times 10^{-5}$, on top of
# the first-order change: measured, the leftover is
# $5.3 \times 10^{-5}$.
#
# > **The rule to remember**
# >
# > `W.grad = X.T @ (gradient of the predictions)`: every example hands $W$ its own row of
# > $X$, scaled by its prediction's gradient, and the contributions add.
#
# ## Exercise
#
# Add a fourth example, $x_4 = [2, 1]$ with target
# $y_4 = 10$, and find $\bar{W}$ by hand before you run anything. You don't
# need to start over: think about what the mean's share does to the three old contributions,
# then add the new one. Then shrink the batch the other way, to the first example only:
# which page have you landed on?
#
# **Solution**
#
# With four examples each share of the mean is $\frac{1}{4}$ instead of
# $\frac{1}{3}$, so
# every old contribution is scaled by 3/4 and their sum becomes
# $[951, 1440.5]$. The new example predicts
# $x_4 \cdot W = 16$, too high by 6,
# so $\bar{p}_4 = \frac{2}{4} \cdot 6 = 3$
# and its contribution is [6, 3]. Together,
# $\bar{W} = [957, 1443.5]$.
#
# A batch of one is the two-weights page: $\bar{W} = x_1 \, \bar{p}_1$ with
# $\bar{p}_1 = 240$, which is [2400, 3600].

# %%
x_new = torch.tensor([2.0, 1.0])
y_new = 10.0
ex_scale = n / (n + 1)                         # old share 1/3 -> 1/4
ex_prediction = (x_new @ W).item()
ex_grad_prediction = 2 / (n + 1) * (ex_prediction - y_new)
ex_grad_W = ex_scale * grad_W + ex_grad_prediction * x_new

X4 = torch.cat([X, x_new[None, :]])            # [4, 2]
Y4 = torch.cat([Y, torch.tensor([y_new])])     # [4]
W4_t = torch.tensor([5.0, 6.0], requires_grad=True)
((Y4 - X4 @ W4_t) ** 2).mean().backward()

one_grad_prediction = 2 * (prediction[0] - Y[0])  # batch of one
one_grad_W = X[0] * one_grad_prediction
W1_t = torch.tensor([5.0, 6.0], requires_grad=True)
((Y[:1] - X[:1] @ W1_t) ** 2).mean().backward()

compare_grads({
    "W, four examples": (ex_grad_W, W4_t.grad),
    "W, one example": (one_grad_W, W1_t.grad),
})

# %% [markdown]
# Next, [gradient descent](https://backprop-by-hand.github.io/gradient-descent/) puts a gradient to work: step the weight a
# little against it, recompute, and repeat. It goes back to the single weight of
# [One weight](https://backprop-by-hand.github.io/one-weight/) and updates after every example, so the loop stays small
# enough to check step by step.

# %%
# Every number the text above states, checked against what the code computed (as
# the site's build checks them). Lines are the page's own.
from pagecheck.notebook import check_page

check_page(globals(), [
    (16, 'X[0, 0]', '10'),
    (16, 'grad_prediction[0]', '80'),
    (16, 'X[1, 0]', '3'),
    (16, 'grad_prediction[1]', '20.67'),
    (16, 'X[2, 0]', '7'),
    (16, 'grad_prediction[2]', '58'),
    (16, 'grad_W[0]', '1268'),
    (20, 'n', '3'),
    (25, 'X[0, 0]', '10'),
    (25, 'X[0, 1]', '15'),
    (26, 'X[1, 0]', '3'),
    (26, 'X[1, 1]', '4'),
    (27, 'X[2, 0]', '7'),
    (27, 'X[2, 1]', '11'),
    (29, 'Y[0]', '20'),
    (29, 'Y[1]', '8'),
    (29, 'Y[2]', '14'),
    (30, 'W[0]', '5'),
    (30, 'W[1]', '6'),
    (37, 'square_rule', 'e_i^2'),
    (70, 'prediction', '[140, 39, 101]'),
    (71, 'error', '[-120, -31, -87]'),
    (72, 'error_sq', '[14{,}400, 961, 7{,}569]'),
    (73, 'loss', '7{,}643.33'),
    (84, 'grad_loss', '1'),
    (85, 'sp.diff(mean_rule, s_i)', '\\frac{1}{n}'),
    (86, 'sp.diff(square_rule, e_i)', '2e_i'),
    (87, 'sp.diff(error_rule, p_i)', '-1'),
    (110, 'grad_error_sq', '[\\tfrac{1}{3}, \\tfrac{1}{3}, \\tfrac{1}{3}]'),
    (111, '2 * grad_error_sq[0]', '\\tfrac{2}{3}'),
    (111, '2 * grad_error_sq[0]', '\\tfrac{2}{3}'),
    (111, 'error', '[-120, -31, -87]'),
    (111, 'grad_error', '[-80, -20.67, -58]'),
    (112, 'grad_prediction', '[80, 20.67, 58]'),
    (123, 'grad_W', '[1268, 1920.67]'),
    (222, 'loss_expr', '\\frac{158}{3}w_1^2 + \\frac{478}{3}w_1 w_2 - \\frac{644}{3}w_1 + \\frac{362}{3}w_2^2 - 324w_2 + 220'),
    (227, 'grad_expr[0]', '\\frac{316}{3}w_1 + \\frac{478}{3}w_2 - \\frac{644}{3}'),
    (228, 'grad_expr[1]', '\\frac{478}{3}w_1 + \\frac{724}{3}w_2 - 324'),
    (232, 'W[0]', '5'),
    (232, 'W[1]', '6'),
    (232, 'grad_expr_at_W[0]', '1268'),
    (233, 'grad_expr_at_W[1]', '\\frac{5762}{3}'),
    (233, 'grad_expr_at_W[1]', '1920.67'),
    (269, 'sp.diff(pred_rule, w_j)', 'x_{ij}'),
    (296, 'local_mean[0]', '1/3'),
    (296, 'local_square[0]', '-240'),
    (296, 'local_error', '-1'),
    (296, 'local_pred[0]', '10'),
    (296, 'path_w1[0]', '800'),
    (297, 'local_mean[1]', '1/3'),
    (297, 'local_square[1]', '-62'),
    (297, 'local_error', '-1'),
    (297, 'local_pred[1]', '3'),
    (297, 'path_w1[1]', '62'),
    (298, 'local_mean[2]', '1/3'),
    (298, 'local_square[2]', '-174'),
    (298, 'local_error', '-1'),
    (298, 'local_pred[2]', '7'),
    (298, 'path_w1[2]', '406'),
    (299, 'path_w1.sum()', '1268'),
    (305, 'grad_W[0]', '10 \\cdot 80 + 3 \\cdot \\frac{62}{3} + 7 \\cdot 58'),
    (306, 'path_w1[0]', '800'),
    (306, 'path_w1[1]', '62'),
    (306, 'path_w1[2]', '406'),
    (307, 'grad_W[0]', '1268'),
    (310, 'grad_prediction[1]', '\\frac{62}{3}'),
    (311, 'grad_prediction[1]', '20.67'),
    (342, 'h_path', '0.0001'),
    (343, '[m / h_path for m in moved_along]', '[800, 62, 406]'),
    (344, 'moved_all / h_path', '1268'),
    (367, 'list(X.shape)', '[3, 2]'),
    (367, 'list(grad_prediction.shape)', '[3]'),
    (368, 'list(W.shape)', '[2]'),
    (370, 'list(X.T.shape)', '[2, 3]'),
    (370, 'list(grad_prediction.shape)', '[3]'),
    (411, 'X[0]', '[10, 15]'),
    (411, 'grad_prediction[0]', '80'),
    (411, 'contributions[0]', '[800, 1200]'),
    (412, 'X[1]', '[3, 4]'),
    (412, 'grad_prediction[1]', '20.67'),
    (412, 'contributions[1]', '[62, 82.67]'),
    (413, 'X[2]', '[7, 11]'),
    (413, 'grad_prediction[2]', '58'),
    (413, 'contributions[2]', '[406, 638]'),
    (414, 'contributions.sum(dim=0)', '[1268, 1920.67]'),
    (418, 'grad_W[1]', '15 \\cdot 80 + 4 \\cdot \\frac{62}{3} + 11 \\cdot 58'),
    (418, 'grad_W[1]', '1920.67'),
    (427, 'X2[0, 0]', '10'),
    (427, 'X2[0, 1]', '15'),
    (428, 'X2[1, 0]', '30'),
    (428, 'X2[1, 1]', '40'),
    (430, 'Y2[0]', '20'),
    (430, 'Y2[1]', '25'),
    (431, 'W[0]', '5'),
    (431, 'W[1]', '6'),
    (466, 'prediction2', '[140, 390]'),
    (467, 'prediction2 - Y2', '[120, 365]'),
    (468, 'loss2_t', '\\frac{120^2 + 365^2}{2}'),
    (468, 'loss2_t', '73{,}812.5'),
    (469, 'alone[0]', '[2400, 3600]'),
    (471, 'alone[1]', '[21900, 29200]'),
    (472, 'grad_W2_averaged', '[12150, 16400]'),
    (473, 'grad_W2', '[12150, 16400]'),
    (474, 'grad_prediction2', '[120, 365]'),
    (481, 'grad_W[0]', '1268'),
    (481, 'grad_W[1]', '1920.67'),
    (499, 'h', '0.001'),
    (499, 'moved_w[0]', '1.268'),
    (500, 'moved_w[1]', '1.921'),
    (502, 'loss_expr.coeff(w_1, 2) * w_1**2', '\\frac{158}{3}w_1^2'),
    (503, 'float(loss_expr.coeff(w_1, 2)) * h**2', '5.3 \\times 10^{-5}'),
    (505, 'moved_w[0] - grad_W[0].item() * h', '5.3 \\times 10^{-5}'),
    (514, 'x_new', '[2, 1]'),
    (515, 'y_new', '10'),
    (523, '1 / (n + 1)', '\\frac{1}{4}'),
    (524, '1 / n', '\\frac{1}{3}'),
    (525, 'ex_scale', '3/4'),
    (526, 'ex_scale * grad_W', '[951, 1440.5]'),
    (527, 'ex_prediction', '16'),
    (527, 'ex_prediction - y_new', '6'),
    (528, 'ex_grad_prediction', '\\frac{2}{4} \\cdot 6'),
    (528, 'ex_grad_prediction', '3'),
    (529, 'ex_grad_prediction * x_new', '[6, 3]'),
    (530, 'ex_grad_W', '[957, 1443.5]'),
    (533, 'one_grad_prediction', '240'),
    (533, 'one_grad_W', '[2400, 3600]'),
])
