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
# *This notebook is the page [Matrix multiply: where the transposes come from](https://backprop-by-hand.github.io/rules/matmul/) of Backprop by Hand, cell for cell. Run it from the top: the first cell sets up what the page needs, the last one checks every number the text states against what the code computed.*

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
# # Matrix multiply: where the transposes come from
#
# > **The question**
# >
# > Every layer of the makemore MLP is a matrix multiply plus a bias,
# > `logits = h @ W2 + b2`, and its backward pass is three lines:
# > `dh = dlogits @ W2.T`, `dW2 = h.T @ dlogits`, `db2 = dlogits.sum(0)`. They agree
# > with PyTorch, but I could not have written them myself. Why a transpose, why on that
# > side, and why is the bias a sum? I wrote it out for two by two matrices once and got
# > the four formulas, but not why they fold back into a product.
#
# The [batch page](https://backprop-by-hand.github.io/batch/) answered a special case: a matrix $X$ times a vector $W$,
# where $\bar{W} = X^\top \bar{p}$. Here both factors are matrices and both need a
# gradient, since in a network the left factor is the previous layer's output. The plan:
# write a small product out entry by entry, take the derivatives one entry at a time, and
# read the pattern back as matrix products. Then let the shapes make the rule impossible to
# forget, and check it on the two linear layers of makemore.
#
# ## Two by two, written out
#
# Take $d = a b + c$ with two by two matrices $a$ and $b$, and a bias $c$ with one number
# per column of $d$. Python's `a @ b + c` adds $c$ to every row of the product: broadcasting
# copies it, once per row (see [broadcasting](https://backprop-by-hand.github.io/rules/broadcasting/)).
#
# $$
# \begin{bmatrix} d_{11} & d_{12} \\ d_{21} & d_{22} \end{bmatrix}
# =
# \begin{bmatrix} a_{11} & a_{12} \\ a_{21} & a_{22} \end{bmatrix}
# \begin{bmatrix} b_{11} & b_{12} \\ b_{21} & b_{22} \end{bmatrix}
# +
# \begin{bmatrix} c_{1} & c_{2} \\ c_{1} & c_{2} \end{bmatrix}
# $$
#
# Each entry of $d$ is a row of $a$ times a column of $b$, plus the bias of its column:
#
# $$
# \begin{aligned}
# d_{11} &= a_{11} b_{11} + a_{12} b_{21} + c_{1}, \\
# d_{12} &= a_{11} b_{12} + a_{12} b_{22} + c_{2}, \\
# d_{21} &= a_{21} b_{11} + a_{22} b_{21} + c_{1}, \\
# d_{22} &= a_{21} b_{12} + a_{22} b_{22} + c_{2}.
# \end{aligned}
# $$
#
# Sympy multiplies the symbols out the same way, so that the bookkeeping further down is
# done by a machine that does not skip terms:

# %%
import sympy as sp

a_sym = sp.Matrix(2, 2, sp.symbols("a11 a12 a21 a22"))
b_sym = sp.Matrix(2, 2, sp.symbols("b11 b12 b21 b22"))
c_sym = sp.Matrix(1, 2, sp.symbols("c1 c2"))
c_copied = sp.Matrix.vstack(c_sym, c_sym)  # one copy per row
d_sym = a_sym @ b_sym + c_copied

for (i, j), entry in zip([(1, 1), (1, 2), (2, 1), (2, 2)], d_sym):
    print(f"d{i}{j} = {entry}")

# %% [markdown]
# And with numbers, in float32 tensors as PyTorch computes them (shapes next to each one):

# %%
import torch

a = torch.tensor([[1.0, 2.0], [3.0, 4.0]])  # [2, 2]
b = torch.tensor([[5.0, 6.0], [7.0, 8.0]])  # [2, 2]
c = torch.tensor([10.0, 20.0])              # [2]  one per column
d = a @ b + c                               # [2, 2]
print("d =", d.tolist())

# %% [markdown]
# $$
# \begin{aligned}
# d &= \begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}
# \begin{bmatrix} 5 & 6 \\ 7 & 8 \end{bmatrix}
# + \begin{bmatrix} 10 & 20 \end{bmatrix} \\
# &= \begin{bmatrix} 29 & 42 \\ 53 & 70 \end{bmatrix}
# \end{aligned}
# $$
#
# The first entry, for instance, is
#
# $$
# \begin{aligned}
# d_{11} &= a_{11} b_{11} + a_{12} b_{21} + c_{1} \\
# &= 1 \cdot 5 + 2 \cdot 7 + 10 = 29.
# \end{aligned}
# $$
#
# ## What arrives from above
#
# Whatever the network does with $d$ afterwards ends in a loss $L$. By the time the backward
# pass reaches $d$, it holds $\bar{d} = \partial L / \partial d$ (the bar notation of the
# [knobs page](https://backprop-by-hand.github.io/knobs/)): one number per entry of $d$, so a matrix of $d$'s shape. That
# matrix is all the matmul rule needs to know about the rest of the network.
#
# To have round numbers, let the rest of the network be a weighted sum of $d$'s entries with
# fixed weights $g$, $L = \sum_{ij} g_{ij} d_{ij}$. Each $d_{ij}$ then moves $L$ by exactly
# $g_{ij}$ per unit, so $\bar{d} = g$:

# %%
g = torch.tensor([[2.0, -1.0], [1.0, 3.0]])  # [2, 2]  the stand-in
loss_small = (g * d).sum()                   # scalar
print("L =", loss_small.item())

# %% [markdown]
# $$
# \bar{d} = g = \begin{bmatrix} 2 & -1 \\ 1 & 3 \end{bmatrix},
# \qquad L = 279.
# $$
#
# In makemore the gradient that arrives at `logits` comes from the cross-entropy loss
# instead (the MLP page derives it); the rule below does not care where it came from.
#
# ## One entry at a time
#
# Follow $a_{11}$ through the four formulas. It appears in $d_{11}$, multiplied by $b_{11}$,
# and in $d_{12}$, multiplied by $b_{12}$; the second row of $d$ never sees it. So a small
# turn of $a_{11}$ reaches $L$ along two paths, one through each entry of the first row of
# $d$, and each path contributes its gradient times its local derivative. The paths add, as
# they did on the batch page ([why we may add](https://backprop-by-hand.github.io/batch/#why-we-may-add-every-path-counts)):
#
# $$
# \begin{aligned}
# \bar{a}_{11} &= \bar{d}_{11} b_{11} + \bar{d}_{12} b_{12} = 2 \cdot 5 + (-1) \cdot 6 = 4, \\
# \bar{a}_{12} &= \bar{d}_{11} b_{21} + \bar{d}_{12} b_{22} = 2 \cdot 7 + (-1) \cdot 8 = 6, \\
# \bar{a}_{21} &= \bar{d}_{21} b_{11} + \bar{d}_{22} b_{12} = 1 \cdot 5 + 3 \cdot 6 = 23, \\
# \bar{a}_{22} &= \bar{d}_{21} b_{21} + \bar{d}_{22} b_{22} = 1 \cdot 7 + 3 \cdot 8 = 31.
# \end{aligned}
# $$
#
# The same walk for $b$: $b_{11}$ appears in $d_{11}$ (times $a_{11}$) and in $d_{21}$
# (times $a_{21}$), the first **column** of $d$. And $c_1$ appears in $d_{11}$ and $d_{21}$
# with a local derivative of one, since it is simply added:
#
# $$
# \begin{aligned}
# \bar{b}_{11} &= a_{11} \bar{d}_{11} + a_{21} \bar{d}_{21}, &
# \bar{b}_{12} &= a_{11} \bar{d}_{12} + a_{21} \bar{d}_{22}, \\
# \bar{b}_{21} &= a_{12} \bar{d}_{11} + a_{22} \bar{d}_{21}, &
# \bar{b}_{22} &= a_{12} \bar{d}_{12} + a_{22} \bar{d}_{22}, \\
# \bar{c}_{1} &= \bar{d}_{11} + \bar{d}_{21}, &
# \bar{c}_{2} &= \bar{d}_{12} + \bar{d}_{22}.
# \end{aligned}
# $$
#
# With the numbers:
#
# $$
# \bar{b} = \begin{bmatrix} 5 & 8 \\ 8 & 10 \end{bmatrix},
# \qquad
# \bar{c} = \begin{bmatrix} 3 & 2 \end{bmatrix}.
# $$
#
# Writing ten of these by hand is where mistakes creep in, so let sympy do the
# bookkeeping. For every entry $x$ of $a$, $b$ and $c$ it adds up, over all four entries of
# $d$, the gradient $\bar{d}_{ij}$ times the local derivative $\partial d_{ij} / \partial x$
# (zero for the entries $x$ does not appear in). In the code, `upstream_sym` holds the gradient arriving at $d$, an unknown symbol per
# entry: `grad_d11` is $\bar{d}_{11}$.

# %%
upstream_sym = sp.Matrix(2, 2, sp.symbols(
    "grad_d11 grad_d12 grad_d21 grad_d22"))


def chain(x):
    """dL/dx: every entry of d, its gradient times how x moves it."""
    return sum(upstream_sym[i, j] * sp.diff(d_sym[i, j], x)
               for i in range(2) for j in range(2))


grad_a_sym = a_sym.applyfunc(chain)
grad_b_sym = b_sym.applyfunc(chain)
grad_c_sym = c_sym.applyfunc(chain)

for name, grads in (("a", grad_a_sym), ("b", grad_b_sym),
                    ("c", grad_c_sym)):
    for (i, j), entry in zip([(1, 1), (1, 2), (2, 1), (2, 2)], grads):
        label = f"{name}{j}" if name == "c" else f"{name}{i}{j}"
        print(f"dL/d{label} = {entry}")

# %% [markdown]
# Sympy finds the same ten formulas (it orders each product alphabetically). With the
# example's numbers put in, they give the gradients above:

# %%
numbers_in = {}
for symbols, tensor in ((a_sym, a), (b_sym, b), (upstream_sym, g)):
    numbers_in |= dict(zip(symbols, tensor.int().flatten().tolist()))


def evaluated(formulas):
    """Put the example's numbers into sympy's formulas: a tensor."""
    rows = formulas.subs(numbers_in).tolist()
    return torch.tensor([[float(v) for v in row] for row in rows])


grad_a_entries = evaluated(grad_a_sym)
grad_b_entries = evaluated(grad_b_sym)
grad_c_entries = evaluated(grad_c_sym)[0]
print("a's gradient, entry by entry:", grad_a_entries.tolist())
print("b's gradient, entry by entry:", grad_b_entries.tolist())
print("c's gradient, entry by entry:", grad_c_entries.tolist())

# %% [markdown]
# ## The pattern: two transposes and a sum
#
# Now read the formulas with the indices as letters. For $a$ of shape $[n, k]$ and $b$ of
# shape $[k, m]$, entry $ij$ of the product is row $i$ of $a$ times column $j$ of $b$:
#
# $$
# d_{ij} = \sum_{k} a_{ik} b_{kj} + c_j .
# $$
#
# Its local derivatives have one term each (sympy takes them on $d_{ij}$ written as the
# term with $k$ plus one other term $q$, standing in for the rest of the sum):
#
# $$
# \frac{\partial d_{ij}}{\partial a_{ik}} = b_{kj}, \qquad
# \frac{\partial d_{ij}}{\partial b_{kj}} = a_{ik}, \qquad
# \frac{\partial d_{ij}}{\partial c_{j}} = 1.
# $$

# %%
a_ik, b_kj, a_iq, b_qj, c_j = sp.symbols(
    "a_{ik} b_{kj} a_{iq} b_{qj} c_j")
entry_rule = a_ik * b_kj + a_iq * b_qj + c_j  # d_ij: term k + the rest

# %% [markdown]
# **The gradient of $a$.** Entry $a_{ik}$ sits in row $i$ of $d$, once in every column
# $j$, and nowhere else. Adding its paths, one per column:
#
# $$
# \bar{a}_{ik} = \sum_j \bar{d}_{ij} \, b_{kj} .
# $$
#
# This sum runs along row $i$ of $\bar{d}$ and along row $k$ of $b$. A matrix product pairs
# a row of its left factor with a **column** of its right one, so turn row $k$ of $b$ into
# a column: that is the transpose, $(b^\top)_{jk} = b_{kj}$, and
#
# $$
# \bar{a}_{ik} = \sum_j \bar{d}_{ij} \, (b^\top)_{jk} = (\bar{d} \, b^\top)_{ik},
# \qquad \text{so} \qquad \bar{a} = \bar{d} \, b^\top .
# $$
#
# **The gradient of $b$.** Entry $b_{kj}$ sits in column $j$ of $d$, once in every row
# $i$. Its paths, one per row:
#
# $$
# \bar{b}_{kj} = \sum_i a_{ik} \, \bar{d}_{ij} = \sum_i (a^\top)_{ki} \, \bar{d}_{ij}
# = (a^\top \bar{d})_{kj},
# \qquad \text{so} \qquad \bar{b} = a^\top \bar{d} .
# $$
#
# This time the sum runs down column $k$ of $a$, which the transpose turns into a row.
#
# **The gradient of $c$.** Entry $c_j$ sits in column $j$ of $d$, once in every row, with
# a local derivative of one:
#
# $$
# \bar{c}_j = \sum_i \bar{d}_{ij},
# $$
#
# the column sums of $\bar{d}$: `grad_d.sum(0)`. This is the one line one of the
# learners' notes got tangled in, writing it as `dL/dd @ sum(0)`. It is a sum over the
# rows, not a product: $c$ was copied to every row, and a copied tensor's gradient is the
# sum over its copies (the de-broadcast of [broadcasting](https://backprop-by-hand.github.io/rules/broadcasting/)). It is also a
# matrix product in disguise, which is a good way to see that nothing new is going on:
# copying $c$ to $n$ rows is the product $u c$ of a column $u$ of $n$ ones with $c$ as a
# one-row matrix, so the rule for a right factor gives $\bar{c} = u^\top \bar{d}$, a row
# of ones times $\bar{d}$, which is the column sums.
#
# Sympy confirms all three matrix forms against its ten formulas:

# %%
ones_row = sp.ones(1, 2)


def same(x, y):
    return (x - y).expand() == sp.zeros(*x.shape)


matrix_forms = {
    "dL/da == grad_d @ b.T ": same(grad_a_sym, upstream_sym @ b_sym.T),
    "dL/db == a.T @ grad_d ": same(grad_b_sym, a_sym.T @ upstream_sym),
    "dL/dc == ones @ grad_d": same(grad_c_sym, ones_row @ upstream_sym),
}
for form, holds in matrix_forms.items():
    print(form, holds)
assert all(matrix_forms.values())

# %% [markdown]
# ## The backward pass by hand
#
# Three lines, one per input, no autograd:

# %%
grad_d = g                   # [2, 2]  what arrives from above
grad_a = grad_d @ b.T        # [2, 2] @ [2, 2] -> [2, 2]
grad_b = a.T @ grad_d        # [2, 2] @ [2, 2] -> [2, 2]
grad_c = grad_d.sum(0)       # [2]  c was copied to every row

print("grad_a:", grad_a.tolist())
print("grad_b:", grad_b.tolist())
print("grad_c:", grad_c.tolist())

# %% [markdown]
# ## torch agrees
#
# Autograd on the same product, next to the hand-written lines and next to sympy's ten
# formulas evaluated entry by entry:

# %%
from snippets.compare import ATOL as compare_atol, compare_grads

a_t = a.clone().requires_grad_(True)
b_t = b.clone().requires_grad_(True)
c_t = c.clone().requires_grad_(True)
d_t = a_t @ b_t + c_t
d_t.retain_grad()
(g * d_t).sum().backward()

compare_grads({
    "d": (grad_d, d_t.grad),
    "a": (grad_a, a_t.grad),
    "b": (grad_b, b_t.grad),
    "c": (grad_c, c_t.grad),
    "a, entry by entry": (grad_a_entries, a_t.grad),
    "b, entry by entry": (grad_b_entries, b_t.grad),
    "c, entry by entry": (grad_c_entries, c_t.grad),
})

# %% [markdown]
# Every row is bit-for-bit equal, and here that is no surprise: every number is a small
# integer, which float32 holds exactly, and so is every product and sum along the way.
# Nothing rounds. The makemore layers below are the real test.
#
# ## The shapes leave no choice
#
# The derivation is the proof; the shapes are how to never forget the result. A gradient
# has the shape of its tensor (one number per entry), so with $a$ of shape $[n, k]$, $b$ of
# shape $[k, m]$ and $\bar{d}$ of shape $[n, m]$:
#
# $$
# \underbrace{\bar{a}}_{[n,\, k]} = \underbrace{\bar{d}}_{[n,\, m]} \, \underbrace{b^\top}_{[m,\, k]},
# \qquad
# \underbrace{\bar{b}}_{[k,\, m]} = \underbrace{a^\top}_{[k,\, n]} \, \underbrace{\bar{d}}_{[n,\, m]} .
# $$
#
# To get $\bar{a}$ you must combine $\bar{d}$ and $b$, and the result must be $[n, k]$. The
# inner sizes of a product must match, and the outer ones are the result's: the only way
# to put $n$ on the left and $k$ on the right is $\bar{d}$ first, then $b$ turned so that
# its $m$ meets $\bar{d}$'s $m$. Likewise $\bar{b}$ from $a$ and $\bar{d}$ must be
# $[k, m]$: $a$ turned so that its $n$ meets $\bar{d}$'s $n$.
#
# That argument needs $n$, $k$ and $m$ to differ. In the two by two example all are equal,
# every arrangement runs and gives a two by two matrix, so only the derivation could tell
# them apart. The makemore output layer has distinct sizes: `logits = h @ W2 + b2` with
# $h$ of shape [32, 64] (a batch of 32 examples,
# 64 hidden units),
# $W_2$ of shape [64, 27] and $b_2$ of shape
# [27]. Seeded random tensors stand in for a trained network's
# values, and a random matrix for the gradient that arrives at `logits`:

# %%
gen = torch.Generator().manual_seed(2)
h = torch.randn(32, 64, generator=gen).tanh()    # [32, 64] in (-1, 1)
W2 = torch.randn(64, 27, generator=gen) * 0.1    # [64, 27]
b2 = torch.randn(27, generator=gen) * 0.1        # [27]
logits = h @ W2 + b2                             # [32, 27]

up_logits = torch.randn(32, 27, generator=gen)   # [32, 27] stand-in
loss = (up_logits * logits).sum()                # so dL/dlogits = it
print("logits:", list(logits.shape), "  loss:", round(loss.item(), 4))


# %% [markdown]
# Now try every way of multiplying the two tensors that make each gradient, either one
# transposed, in either order, and keep the ones that run and have the right shape:

# %%
def every_product(x, y, x_name, y_name, want, show=True):
    """All eight products of x and y (either transposed, either order)
    that run; marks the ones with the shape `want`."""
    forms = [(x_name, x), (x_name + ".T", x.T)]
    turns = [(y_name, y), (y_name + ".T", y.T)]
    found = []
    for (p, u), (q, v) in [(f, t) for f in forms for t in turns]:
        for name, left, right in ((f"{p} @ {q}", u, v),
                                  (f"{q} @ {p}", v, u)):
            try:
                shape = list((left @ right).shape)
            except RuntimeError:
                continue  # the inner sizes do not match
            found.append(name)
            mark = "  <- the right shape" if shape == want else ""
            if show:
                print(f"  {name:22} -> {shape}{mark}")
    return found


print("for h's gradient, want", list(h.shape))
runs_h = every_product(up_logits, W2, "grad_logits", "W2",
                       list(h.shape))
print("for W2's gradient, want", list(W2.shape))
runs_W2 = every_product(up_logits, h, "grad_logits", "h",
                        list(W2.shape))
# the two by two example: square, so every arrangement runs
runs_square = every_product(g, b, "grad_d", "b", [2, 2], show=False)

# %% [markdown]
# Of the eight arrangements, 2 run at all for $h$'s gradient and
# 2 for $W_2$'s. In each case one has the right shape, and the other
# gives its transpose. (For the two by two example, all
# 8 run.) The rule can be rebuilt from
# the shapes alone, every time: `grad_h = grad_logits @ W2.T` and
# `grad_W2 = h.T @ grad_logits`.
#
# ## The makemore output layer by hand
#
# One line per step, no autograd, shapes written next to each line:

# %%
grad_logits = up_logits              # [32, 27]  L = sum(up * logits)
grad_h = grad_logits @ W2.T          # [32, 27] @ [27, 64] -> [32, 64]
grad_W2 = h.T @ grad_logits          # [64, 32] @ [32, 27] -> [64, 27]
grad_b2 = grad_logits.sum(0)         # [27]  b2 was copied to 32 rows

print("grad_h:", list(grad_h.shape), " grad_W2:", list(grad_W2.shape),
      " grad_b2:", list(grad_b2.shape))

# %% [markdown]
# `grad_W2` and `grad_b2` are what the optimiser needs. `grad_h` is what the layer hands
# down: in the MLP it continues through tanh and BatchNorm (the MLP page) to the first
# layer, where the same rule takes over.
#
# ## torch agrees, bit for bit

# %%
h_t = h.clone().requires_grad_(True)
W2_t = W2.clone().requires_grad_(True)
b2_t = b2.clone().requires_grad_(True)
product_t = h_t @ W2_t                  # [32, 27]
logits_t = product_t + b2_t             # [32, 27]
loss_t = (up_logits * logits_t).sum()
for t in (product_t, logits_t, loss_t):
    t.retain_grad()
loss_t.backward()

agree_table = compare_grads({
    "logits": (grad_logits, logits_t.grad),
    "h": (grad_h, h_t.grad),
    "W2": (grad_W2, W2_t.grad),
    "b2": (grad_b2, b2_t.grad),
})
agree_table

# %% [markdown]
# `"Every row is bit-for-bit equal" if agree_table.all_exact else "Every row is close, though not every row is bit-for-bit equal here"`,
# although each entry of `grad_h` is a sum of 27 rounded products:
# PyTorch's backward of `@` computes `grad.mm(mat2.t())` and `mat1.t().mm(grad)` for factors
# stored row by row, as here, literally the hand-written lines, so both sides do the same
# operations in the same order
# ([same operations, same bits](https://backprop-by-hand.github.io/beyond/why-the-bits-differ/#same-operations-same-order)).
#
# **Why not bit-exact? The same sums in another order**
#
# Sum the same products another way, one dot product at a time as the entry-by-entry
# formulas say, or multiply in float64 and round at the end, and the last bits change:

# %%
# the entry formula: grad_h[i, k] = sum over j of grad[i, j] W2[k, j]
by_entry = (grad_logits[:, None, :] * W2[None, :, :]).sum(-1)
in_float64 = (grad_logits.double() @ W2.double().T).float()
# the bias as a product with a row of ones: the same sums, reordered
ones_first = torch.ones(1, 32) @ grad_logits

loose = 1e-6  # absolute tolerance: see below
reordered = compare_grads({
    "h, by entry": (by_entry, h_t.grad),
    "h, float64": (in_float64, h_t.grad),
    "b2, ones @": (ones_first[0], b2_t.grad),
}, atol=loose, caption="The same sums in another order")
n_moved = int((by_entry != h_t.grad).sum())
not_close = ~torch.isclose(by_entry, h_t.grad)  # allclose's test
n_not_close = int(not_close.sum())
term_sizes = (grad_logits[:, None, :] * W2[None, :, :]).abs().sum(-1)
most_cancelled = (h_t.grad.abs() / term_sizes).argmin()
near_zero_value = h_t.grad.flatten()[most_cancelled].item()
near_zero_terms = term_sizes.flatten()[most_cancelled].item()
reordered

# %% [markdown]
# `"None is exact" if not any(r.exact for r in reordered) else "Not every row differs here"`: `n_moved` of the 2,048 entries of `grad_h` come
# out different in the last bits when summed entry by entry (largest difference
# `f"{reordered['h, by entry'].max_abs_diff:.1e}"`). Float32 addition is not
# associative, so a different order rounds differently. The float64 row shows that neither
# side is the exact answer either: both carry the same float32 rounding, which is why they
# agree to the bit. The ones-row product is the bias rule in disguise from above: the same
# sums as `grad_logits.sum(0)`, taken by another kernel.
#
# "Close" needed a looser absolute tolerance here, 1e-6 instead of
# `torch.allclose`'s default of 1e-8: with the default,
# `n_not_close` entries of the entry-by-entry `grad_h` would fail on this machine. They
# are entries where the products nearly cancel, such as a value of about
# `f"{near_zero_value:.4f}"` made of products whose sizes add up to about
# `f"{near_zero_terms:.1f}"`. Each rounding is relative to the numbers being added,
# not to the result, so next to a result that small the errors are large relative ones. A
# different order of the same sums is not a wrong gradient
# ([atol: results near zero](https://backprop-by-hand.github.io/beyond/why-the-bits-differ/#atol-results-near-zero)).
#
# Autograd's node for `@` keeps both factors from the forward pass, and now it is plain
# why: each factor's gradient is made from the **other** factor.

# %%
mm_node = (h_t @ W2_t).grad_fn  # a fresh node: backward() frees them
print(mm_node.name(), "saved h:", mm_node._saved_self.shape,
      " and W2:", mm_node._saved_mat2.shape)

# %% [markdown]
# Drawn from the tensors above, every box shows its value and its gradient, and every
# gradient has the shape of its box:

# %%
from snippets.graph import ComputationGraph

ComputationGraph.from_autograd(
    loss_t,
    {"h": h_t, "W2": W2_t, "h @ W2": product_t, "b2": b2_t,
     "logits": logits_t, "loss": loss_t},
    constants={"stand-in": up_logits},
    inputs_of={"loss": ["stand-in"]},
    direction="TB",
    title="The makemore output layer",
)

# %% [markdown]
# ## The rule as a helper
#
# From here on the site uses the rule from `snippets/rules.py`: `matmul_backward` returns
# both factors' gradients, and `linear_backward` adds the bias's column sum. They compute
# exactly what the hand-written lines compute:

# %%
from snippets import rules

helper_h, helper_W2, helper_b2 = rules.linear_backward(
    grad_logits, h, W2)
helper_same = [torch.equal(helper_h, grad_h),
               torch.equal(helper_W2, grad_W2),
               torch.equal(helper_b2, grad_b2)]
print("linear_backward, bit for bit the same:", helper_same)
assert all(helper_same)

# %% [markdown]
# The same rule is also tested on random shapes, in float64 against autograd and against
# finite differences with `gradcheck`, in the repository's `tests/test_rules.py`.
#
# ## The first layer, with the helper
#
# The first makemore layer, `hprebn = embcat @ W1 + b1`, needs nothing new. The
# embeddings of three characters side by side make `embcat` of shape
# [32, 30], and $W_1$ is [30, 64].
# Again random tensors, and a random stand-in for the gradient that arrives at `hprebn`
# (in the MLP it comes back through BatchNorm):

# %%
embcat = torch.randn(32, 30, generator=gen)              # [32, 30]
W1 = torch.randn(30, 64, generator=gen) * (5 / 3) / 30**0.5  # [30, 64]
b1 = torch.randn(64, generator=gen) * 0.1                # [64]
up_hprebn = torch.randn(32, 64, generator=gen)           # [32, 64]

embcat_t = embcat.clone().requires_grad_(True)
W1_t = W1.clone().requires_grad_(True)
b1_t = b1.clone().requires_grad_(True)
hprebn_t = embcat_t @ W1_t + b1_t                        # [32, 64]
(up_hprebn * hprebn_t).sum().backward()

layer1 = rules.linear_backward(up_hprebn, embcat, W1)
compare_grads({
    "embcat": (layer1[0], embcat_t.grad),
    "W1": (layer1[1], W1_t.grad),
    "b1": (layer1[2], b1_t.grad),
})

# %% [markdown]
# ## The batch page was this rule
#
# On the [batch page](https://backprop-by-hand.github.io/batch/#why-the-transpose) the prediction was $p = X W$ with $X$ of
# shape [3, 2] and a one-dimensional $W$ of
# shape [2]. Read $W$ as a matrix with one column, of shape
# [2, 1], and
# that page's $\bar{W} = X^\top \bar{p}$ is this page's $\bar{b} = a^\top \bar{d}$, with
# $a = X$, $b = W$ and $\bar{d} = \bar{p}$:

# %%
X = torch.tensor([[10.0, 15.0], [3.0, 4.0], [7.0, 11.0]])  # [3, 2]
Y = torch.tensor([20.0, 8.0, 14.0])                         # [3]
W = torch.tensor([5.0, 6.0])                                # [2]
batch_grad_p = 2 / 3 * (X @ W - Y)  # the batch page's grad_prediction

batch_grad_X, batch_grad_W = rules.matmul_backward(
    batch_grad_p[:, None], X, W[:, None])   # W as a column: [2, 1]
print("grad of W:", [round(v, 2) for v in batch_grad_W[:, 0].tolist()])
print("grad of X:", [[round(v, 2) for v in row]
                     for row in batch_grad_X.tolist()])

# %% [markdown]
# The gradient of $W$ is [1268, 1920.67], that page's
# numbers. The rule also hands back a gradient for $X$, $\bar{X} = \bar{p} \, W^\top$,
# shape [3, 2]: row $i$ is $W$ scaled by $\bar{p}_i$,
# starting with [400, 480]. There $X$ was data, and nobody asked
# for it. In a network the left factor is the previous layer's output, like $h$ here, and
# this is exactly the gradient that flows down to it.
#
# ## A nudge
#
# $W_2$ has 1,728 entries, each connecting one hidden unit $i$ to one
# logit $j$. The rule says its gradient is $(h^\top \bar{z})_{ij} = \sum_r h_{ri}
# \bar{z}_{rj}$, with $\bar{z}$ the gradient of the logits and $r$ running over the
# 32 examples. Turn one entry and watch why. (The nudge is called
# $\varepsilon$ here, since $h$ is taken.) Take the entry with the largest gradient and
# turn it by $\varepsilon$, in float64 so that rounding doesn't blur the change:

# %%
i_max, j_max = divmod(int(grad_W2.abs().argmax()), W2.shape[1])
h64, W2_64, b2_64 = h.double(), W2.double(), b2.double()
up64 = up_logits.double()


def logits_at(weights):
    return h64 @ weights + b2_64


eps = 1e-3
nudged = W2_64.clone()
nudged[i_max, j_max] += eps
moved_logits = logits_at(nudged) - logits_at(W2_64)
columns_moved = moved_logits.abs().sum(0).nonzero().flatten().tolist()
moved_loss = ((up64 * logits_at(nudged)).sum()
              - (up64 * logits_at(W2_64)).sum()).item()
print(f"W2[{i_max}, {j_max}] turned by {eps}")
print("columns of logits that moved:", columns_moved)
print(f"loss moves {moved_loss:.6f},"
      f"  grad x eps = {grad_W2[i_max, j_max].item() * eps:.6f}")

# %% [markdown]
# Turning $W_2$'s entry in row 28, column 15 moves
# 1 column of the logits only, column
# 15: that entry feeds one logit, in every example.
# Example $r$'s logit moves by $\varepsilon h_{ri}$, and the loss feels each of those moves
# at the rate $\bar{z}_{rj}$: in total $\varepsilon \sum_r h_{ri} \bar{z}_{rj}$, which is
# $\varepsilon$ times the rule's entry. Measured, the loss moves by
# 0.012283, and the gradient 12.2832 times
# $\varepsilon = 0.001$ promised 0.012283.
#
# No bend this time, unlike on the [knobs page](https://backprop-by-hand.github.io/knobs/#a-nudge): this stand-in loss is
# a sum of the logits with fixed weights, and the logits are linear in $W_2$, so the
# straight line **is** the function. With the real cross-entropy loss the promise would be
# first-order again.
#
# > **The rule to remember**
# >
# > For `d = a @ b + c`: `grad_a = grad_d @ b.T`, `grad_b = a.T @ grad_d`,
# > `grad_c = grad_d.sum(0)`. Each factor's gradient is the incoming gradient multiplied
# > by the **other** factor, transposed and placed so that the shapes fit; there is only
# > one way.
#
# ## Exercise
#
# PyTorch's own `nn.Linear` stores its weight the other way round, out by in: a layer from
# 64 hidden units to 27 logits keeps $W$ of shape [27, 64]
# and computes `logits = h @ W.T + b`. Using only the shapes, write the gradient of $W$
# from `grad_logits` and `h` before you run anything. Then check it against autograd on an
# `nn.Linear` with the same numbers.
#
# **Solution**
#
# $\bar{W}$ must have $W$'s shape [27, 64]. From `grad_logits`
# [32, 27] and `h` [32, 64], the
# only product with 27 on the left and 64 on the right is
# `grad_logits.T @ h`: [27, 32] times
# [32, 64]. It is the transpose of this page's `h.T @ grad_logits`,
# as it must be, since this $W$ is the transpose of $W_2$. The bias is unchanged.

# %%
lin = torch.nn.Linear(64, 27)
with torch.no_grad():
    lin.weight.copy_(W2.T)   # [27, 64]
    lin.bias.copy_(b2)
h_lin = h.clone().requires_grad_(True)
(up_logits * lin(h_lin)).sum().backward()

ex_grad_weight = grad_logits.T @ h   # [27, 32] @ [32, 64] -> [27, 64]
ex_grad_bias = grad_logits.sum(0)
ex_weight = lin.weight.detach()      # [27, 64]
ex_grad_h = grad_logits @ ex_weight  # the factor is W.T, so (W.T).T
lin_table = compare_grads({
    "weight": (ex_grad_weight, lin.weight.grad),
    "bias": (ex_grad_bias, lin.bias.grad),
    "h": (ex_grad_h, h_lin.grad),
})
lin_table

# %% [markdown]
# `"Bit for bit again" if lin_table.all_exact else "Close, though here not bit for bit"`. `nn.Linear` multiplies by the transposed view `W.T`, a factor stored
# column by column. For such a factor PyTorch's backward takes the other branch of
# `mm_mat2_backward`, `grad.t().mm(mat1).t()`: the gradient of `W.T`, which the transpose
# back to $W$ turns into `grad.t().mm(h)`, the hand-written product once more.

# %%
# Every number the text above states, checked against what the code computed (as
# the site's build checks them). Lines are the page's own.
from pagecheck.notebook import check_page

check_page(globals(), [
    (82, 'a[0, 0]', '1'),
    (82, 'a[0, 1]', '2'),
    (82, 'a[1, 0]', '3'),
    (82, 'a[1, 1]', '4'),
    (83, 'b[0, 0]', '5'),
    (83, 'b[0, 1]', '6'),
    (83, 'b[1, 0]', '7'),
    (83, 'b[1, 1]', '8'),
    (84, 'c[0]', '10'),
    (84, 'c[1]', '20'),
    (85, 'd[0, 0]', '29'),
    (85, 'd[0, 1]', '42'),
    (85, 'd[1, 0]', '53'),
    (85, 'd[1, 1]', '70'),
    (94, 'd[0, 0]', '1 \\cdot 5 + 2 \\cdot 7 + 10'),
    (94, 'd[0, 0]', '29'),
    (116, 'g[0, 0]', '2'),
    (116, 'g[0, 1]', '-1'),
    (116, 'g[1, 0]', '1'),
    (116, 'g[1, 1]', '3'),
    (117, 'loss_small', '279'),
    (133, 'g[0, 0]', '2'),
    (133, 'b[0, 0]', '5'),
    (133, 'g[0, 1]', '-1'),
    (133, 'b[0, 1]', '6'),
    (133, 'grad_a[0, 0]', '4'),
    (134, 'g[0, 0]', '2'),
    (134, 'b[1, 0]', '7'),
    (134, 'g[0, 1]', '-1'),
    (134, 'b[1, 1]', '8'),
    (134, 'grad_a[0, 1]', '6'),
    (135, 'g[1, 0]', '1'),
    (135, 'b[0, 0]', '5'),
    (135, 'g[1, 1]', '3'),
    (135, 'b[0, 1]', '6'),
    (135, 'grad_a[1, 0]', '23'),
    (136, 'g[1, 0]', '1'),
    (136, 'b[1, 0]', '7'),
    (136, 'g[1, 1]', '3'),
    (136, 'b[1, 1]', '8'),
    (136, 'grad_a[1, 1]', '31'),
    (158, 'grad_b[0, 0]', '5'),
    (158, 'grad_b[0, 1]', '8'),
    (158, 'grad_b[1, 0]', '8'),
    (158, 'grad_b[1, 1]', '10'),
    (160, 'grad_c[0]', '3'),
    (160, 'grad_c[1]', '2'),
    (227, 'sp.diff(entry_rule, a_ik)', 'b_{kj}'),
    (228, 'sp.diff(entry_rule, b_kj)', 'a_{ik}'),
    (229, 'sp.diff(entry_rule, c_j)', '1'),
    (367, 'list(h.shape)', '[32, 64]'),
    (367, 'h.shape[0]', '32'),
    (368, 'h.shape[1]', '64'),
    (369, 'list(W2.shape)', '[64, 27]'),
    (370, 'list(b2.shape)', '[27]'),
    (419, 'len(runs_h)', '2'),
    (420, 'len(runs_W2)', '2'),
    (422, 'len(runs_square)', '8'),
    (467, 'W2.shape[1]', '27'),
    (501, 'grad_h.numel()', '2,048'),
    (509, 'loose', '1e-6'),
    (510, 'compare_atol', '1e-8'),
    (572, 'list(embcat.shape)', '[32, 30]'),
    (572, 'list(W1.shape)', '[30, 64]'),
    (599, 'list(X.shape)', '[3, 2]'),
    (600, 'list(W.shape)', '[2]'),
    (601, 'list(W[:, None].shape)', '[2, 1]'),
    (618, 'batch_grad_W.flatten()', '[1268, 1920.67]'),
    (620, 'list(batch_grad_X.shape)', '[3, 2]'),
    (621, 'batch_grad_X[0]', '[400, 480]'),
    (627, 'W2.numel()', '1,728'),
    (630, 'h.shape[0]', '32'),
    (657, 'i_max', '28'),
    (657, 'j_max', '15'),
    (658, 'len(columns_moved)', '1'),
    (659, 'columns_moved[0]', '15'),
    (663, 'moved_loss', '0.012283'),
    (663, 'grad_W2[i_max, j_max]', '12.2832'),
    (664, 'eps', '0.001'),
    (664, 'grad_W2[i_max, j_max] * eps', '0.012283'),
    (681, 'lin.in_features', '64'),
    (681, 'lin.out_features', '27'),
    (681, 'list(lin.weight.shape)', '[27, 64]'),
    (689, 'list(lin.weight.shape)', '[27, 64]'),
    (690, 'list(grad_logits.shape)', '[32, 27]'),
    (690, 'list(h.shape)', '[32, 64]'),
    (691, 'lin.out_features', '27'),
    (691, 'lin.in_features', '64'),
    (692, 'list(grad_logits.T.shape)', '[27, 32]'),
    (693, 'list(h.shape)', '[32, 64]'),
], [
    (466, '"Every row is bit-for-bit equal" if agree_table.all_exact else "Every row is close, though not every row is bit-for-bit equal here"'),
    (501, '"None is exact" if not any(r.exact for r in reordered) else "Not every row differs here"'),
    (501, 'n_moved'),
    (503, 'f"{reordered[\'h, by entry\'].max_abs_diff:.1e}"'),
    (511, 'n_not_close'),
    (513, 'f"{near_zero_value:.4f}"'),
    (514, 'f"{near_zero_terms:.1f}"'),
    (716, '"Bit for bit again" if lin_table.all_exact else "Close, though here not bit for bit"'),
])
