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
# *This notebook is the page [Embedding lookup and its scatter-add](https://backprop-by-hand.github.io/rules/embedding/) of Backprop by Hand, cell for cell. Run it from the top: the first cell sets up what the page needs, the last one checks every number the text states against what the code computed.*

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
# # Embedding lookup and its scatter-add
#
# > **The question**
# >
# > The makemore MLP starts with `emb = C[Xb]` and `embcat = emb.view(32, -1)`. Going
# > backward, `demb = dembcat.view(emb.shape)` works, but I can't write the math for it:
# > the local gradient of a view "should be all ones"? And for the table itself the answer
# > is this loop, which I can't understand at all:
# >
# > ```python
# > dC = torch.zeros_like(C)
# > for k in range(Xb.shape[0]):
# >     for j in range(Xb.shape[1]):
# >         dC[Xb[k, j]] += demb[k, j]
# > ```
# >
# > Why a loop? Why `+=`? And why can't I just write `dC[Xb] += demb`?
#
# Every answer here starts from one fact: **a lookup makes copies**. Every row of `emb` is
# a copy of one row of `C`, and a row of `C` that was copied several times reaches the loss
# along several paths, whose gradients add. The loop adds them; `dC[Xb] += demb` silently
# keeps only one. The view is simpler still: it copies nothing, only gives every number of
# `emb` a new position in `embcat`, exactly once, so its gradient has nothing to add. This page shows it all on a table small enough to read
# every number, then at the makemore sizes, where the numbers are too many to read but
# torch checks them all.
#
# ## A table of four rows
#
# Take a lookup table $C$ of 4 rows, each a vector of
# 2 numbers, and a batch of 2 examples with a
# context of 3 characters each, written as row numbers of $C$:
#
# $$
# C = \begin{bmatrix}
# 7 & 1 \\
# 2 & 9 \\
# 4 & 4 \\
# 3 & 8
# \end{bmatrix}, \qquad
# X = \begin{bmatrix}
# 1 & 3 & 1 \\
# 0 & 1 & 3
# \end{bmatrix}.
# $$
#
# The index repeats on purpose: row 1 of $C$ is asked for
# 3 times, row 3 twice, row
# 0 once, and row 2 never. (Rows are numbered from
# zero, as in Python.)
#
# ## The forward pass
#
# `C[X]` replaces every entry of `X` by the row of `C` it names. An index of shape
# [2, 3] into a table of rows of width 2
# gives `emb` of shape [2, 3, 2]: the shape of the index, with
# one row of `C` at every position.

# %%
import torch

torch.manual_seed(0)  # nothing random yet; the makemore section draws

C_tiny = torch.tensor([[7.0, 1.0], [2.0, 9.0], [4.0, 4.0], [3.0, 8.0]],
                      requires_grad=True)                # [4, 2]
X_tiny = torch.tensor([[1, 3, 1], [0, 1, 3]])           # [2, 3]
n_rows_tiny, width_tiny = C_tiny.shape

emb_tiny = C_tiny[X_tiny]                               # [2, 3, 2]
counts_tiny = torch.bincount(X_tiny.flatten(), minlength=n_rows_tiny)
unused_tiny = (counts_tiny == 0).nonzero().item()

for k in range(X_tiny.shape[0]):
    for j in range(X_tiny.shape[1]):
        print(f"emb[{k}, {j}] = C[{X_tiny[k, j]}] =",
              emb_tiny[k, j].tolist())
print("times each row of C is looked up:", counts_tiny.tolist())

# %% [markdown]
# In symbols, for every position $(k, j)$ of the index and every column $d$:
#
# $$
# \text{emb}_{k,j,d} = C_{X_{k,j},\,d} .
# $$
#
# That equation has no arithmetic in it. `emb[k, j]` is not computed from `C[X[k, j]]`, it
# **is** that row, copied. Sympy makes the copying visible: give every entry of $C$ a name
# instead of a value and do the same lookup.

# %%
import sympy as sp

c = sp.Matrix(n_rows_tiny, width_tiny,
              lambda i, d: sp.Symbol(f"c_{{{i}{d}}}"))  # c_{10} ...
emb_sym = [[[c[X_tiny[k, j].item(), d] for d in range(width_tiny)]
            for j in range(X_tiny.shape[1])]
           for k in range(X_tiny.shape[0])]
for k, row in enumerate(emb_sym):
    print(f"example {k}:", row)

# one entry of emb, emb[0, 2, 1], against two entries of C
slope_own = sp.diff(emb_sym[0][2][1], c[1, 1])    # the one it copies
slope_other = sp.diff(emb_sym[0][2][1], c[3, 1])  # any other
print("d emb[0, 2, 1] / d C[1, 1] =", slope_own)
print("d emb[0, 2, 1] / d C[3, 1] =", slope_other)

# %% [markdown]
# The symbols of row 1, $c_{10}$ and $c_{11}$, turn up at three
# positions of `emb`: `(0, 0)`, `(0, 2)` and `(1, 1)`. Whatever the network does with
# `emb` afterwards, it does it to three copies of the same two numbers.
#
# ## The rest of the network, in one tensor
#
# A gradient needs a loss. Whatever comes after `emb`, all it hands back to the lookup is
# one number per entry of `emb`: $\overline{\text{emb}}$, the gradient of the loss with
# respect to `emb`, of the same shape [2, 3, 2]. So stand
# in for the rest of the network with the simplest loss that hands back a gradient of our
# choosing, $L = \sum_{k,j,d} G_{k,j,d} \, \text{emb}_{k,j,d}$, whose gradient with respect to
# `emb` is $G$ itself (the product rule of [element-wise operations](https://backprop-by-hand.github.io/rules/elementwise/)). $G$
# is picked so that sums are easy to follow:
#
# | position $(k, j)$ | looks up row | $\overline{\text{emb}}_{k,j} = G_{k,j}$ |
# | --- | --- | --- |
# | `(0, 0)` | 1 | [1, 2] |
# | `(0, 1)` | 3 | [4, 3] |
# | `(0, 2)` | 1 | [10, 20] |
# | `(1, 0)` | 0 | [5, 6] |
# | `(1, 1)` | 1 | [100, 200] |
# | `(1, 2)` | 3 | [40, 30] |

# %%
G_tiny = torch.tensor([[[1.0, 2.0], [4.0, 3.0], [10.0, 20.0]],
                       [[5.0, 6.0], [100.0, 200.0], [40.0, 30.0]]])
emb_tiny.retain_grad()
loss_tiny = (G_tiny * emb_tiny).sum()  # stands in for the network
loss_tiny.backward()

grad_emb_tiny = G_tiny  # L = sum(G * emb)  ->  dL/demb = G
print("loss:", loss_tiny.item())

# %% [markdown]
# ## A nudge: one row of C, three rows of emb
#
# Before any formula, turn a knob. Add $h = 0.5$ to $C_{10}$, the first
# number of row 1, and redo the lookup: every entry of `emb` that
# copied it moves by $h$, and the loss moves with each of them.

# %%
h_tiny = 0.5
with torch.no_grad():
    C_nudged = C_tiny.clone()
    C_nudged[1, 0] += h_tiny
    emb_nudged = C_nudged[X_tiny]
    moved = (emb_nudged != emb_tiny).nonzero().tolist()
    loss_nudged = (G_tiny * emb_nudged).sum()
loss_moved = (loss_nudged - loss_tiny).item()

print("entries of emb that moved (k, j, d):", moved)
print(f"the loss moved by {loss_moved}, that is "
      f"{loss_moved / h_tiny} per unit of nudge")

# %% [markdown]
# Exactly 3 entries of `emb` moved, the three copies of $C_{10}$, and
# each took the loss along with it at its own rate $G_{k,j,d}$: the loss moved by
# $h \cdot (1 + 10 + 100)
# = 55.5$, which is 111 per unit of nudge.
# That rate is $\bar{C}_{10}$. (This loss is linear in $C$, so the prediction is exact for
# any size of nudge; there is no bend to see, unlike on the [knobs page](https://backprop-by-hand.github.io/knobs/#a-nudge).)
#
# ## The derivation
#
# The nudge is the whole argument; the math only writes it down for every entry at once.
# The entry $\text{emb}_{k,j,d} = C_{X_{k,j},\,d}$ depends on exactly one entry of $C$, with
# slope one, and on no other entry at all:
#
# $$
# \frac{\partial\, \text{emb}_{k,j,d}}{\partial C_{i,e}} =
# \begin{cases}
# 1 & \text{if } X_{k,j} = i \text{ and } d = e, \\
# 0 & \text{otherwise.}
# \end{cases}
# $$
#
# $C_{i,e}$ reaches the loss through every entry of `emb`, so the chain rule sums over all
# of them, each path weighted by its local slope (the sum over paths of the
# [batch page](https://backprop-by-hand.github.io/batch/#why-we-may-add-every-path-counts)):
#
# $$
# \begin{aligned}
# \bar{C}_{i,e}
# &= \sum_{k,j,d} \overline{\text{emb}}_{k,j,d} \,
#   \frac{\partial\, \text{emb}_{k,j,d}}{\partial C_{i,e}} \\
# &= \sum_{(k,j)\,:\; X_{k,j} = i} \overline{\text{emb}}_{k,j,e} .
# \end{aligned}
# $$
#
# Every term whose slope is zero drops out, and what is left is one term per position that
# looked up row $i$. Row by row:
#
# $$
# \bar{C}_i = \sum_{(k,j)\,:\; X_{k,j} = i} \overline{\text{emb}}_{k,j} ,
# $$
#
# the gradient of row $i$ of the table is **the sum of the gradients of all its copies**.
# With our numbers, row 1 was copied to positions `(0, 0)`, `(0, 2)`
# and `(1, 1)`:
#
# $$
# \begin{aligned}
# \bar{C}_1 &= \overline{\text{emb}}_{0,0} + \overline{\text{emb}}_{0,2} + \overline{\text{emb}}_{1,1} \\
# &= [1, 2] + [10, 20] + [100, 200] \\
# &= [111, 222],
# \end{aligned}
# $$
#
# and the other rows likewise:
# $\bar{C}_0 = [5, 6]$ (one copy),
# $\bar{C}_3 = [4, 3] + [40, 30] = [44, 33]$
# (two copies) and $\bar{C}_2 = [0, 0]$: a row nobody looked up
# took no part in the loss, so nudging it changes nothing. Sympy agrees, on the loss written
# out in the named entries of $C$:

# %%
loss_sym = sum(int(G_tiny[k, j, d]) * emb_sym[k][j][d]
               for k in range(2) for j in range(3) for d in range(2))
print("L =", loss_sym)
dL_dc_sym = [[sp.diff(loss_sym, c[i, d]) for d in range(width_tiny)]
             for i in range(n_rows_tiny)]
print("dL/dC =", dL_dc_sym)
dL_dc_unused = dL_dc_sym[unused_tiny][0]

# %% [markdown]
# $$
# \frac{\partial L}{\partial c_{10}} = 111, \quad
# \frac{\partial L}{\partial c_{11}} = 222, \quad
# \frac{\partial L}{\partial c_{20}} = 0.
# $$
#
# ## Three ways to add up the copies
#
# The sum "over every position that looked up row $i$" can be computed three ways. They are
# the same mathematics; seeing all three is what makes the rule stick.
#
# ### A loop over the positions
#
# Visit every position $(k, j)$ of the index once, and add its gradient to the row it came
# from. This is the loop of the question, and now it reads as the formula: the outer sum over
# positions, and `+=` because a row visited again must **keep** what earlier visits added.

# %%
grad_C_tiny = torch.zeros(n_rows_tiny, width_tiny)
for k in range(X_tiny.shape[0]):
    for j in range(X_tiny.shape[1]):
        ix = X_tiny[k, j]                 # the row this position copied
        grad_C_tiny[ix] += grad_emb_tiny[k, j]  # add, never set
print(grad_C_tiny)

# %% [markdown]
# ### `index_add_`: the same loop, inside torch
#
# `Tensor.index_add_(0, index, rows)` does exactly that loop: for each `p`, it adds
# `rows[p]` into row `index[p]`. It wants a flat list of positions, so flatten the index to
# [6] and the gradients to
# [6, 2], in the same order. This
# operation is called a **scatter-add**: scatter the rows to where they came from, adding
# where they land together. `snippets.rules.embedding_backward`, the function the later
# pages use, is these two lines:

# %%
from snippets import rules

positions = X_tiny.flatten()                        # [6]
grad_rows = grad_emb_tiny.view(-1, width_tiny)      # [6, 2]
grad_C_index_tiny = torch.zeros(n_rows_tiny, width_tiny)
grad_C_index_tiny.index_add_(0, positions, grad_rows)

print(grad_C_index_tiny)
print("snippets.rules computes the same:", torch.equal(
    rules.embedding_backward(grad_emb_tiny, X_tiny, n_rows_tiny),
    grad_C_index_tiny))

# %% [markdown]
# ### A matrix multiply by a one-hot matrix
#
# Here is the view that makes the rule unsurprising. Write each index as a **one-hot row**:
# 4 entries, all zero except a one in the column of the row it looks
# up. Stack the 6 one-hot rows into a matrix $A$ of shape
# [6, 4]. Multiplying a one-hot row by $C$ picks one row of $C$,
# so the whole lookup is a matrix multiply. With $x_p$ the index at position $p$ (the
# flattened `X`, in order):
#
# $$
# \text{emb}_{\text{flat}} = A \, C, \qquad
# A_{p,i} = \begin{cases}
# 1 & \text{if } x_p = i, \\
# 0 & \text{otherwise,}
# \end{cases}
# $$
#
# with shapes $[6, 4] \cdot [4, 2]
# \to [6, 2]$. And the backward pass of a matrix multiply is
# known: for a product $D = A\,C$, the gradient of the right factor is
# $\bar{C} = A^\top \bar{D}$ ([matrix multiply](https://backprop-by-hand.github.io/rules/matmul/)). Here $D$ is
# $\text{emb}_{\text{flat}}$, so $\bar{D}$ is its gradient, one row per position. Row $i$ of $A^\top$ is column $i$ of $A$, which holds a one
# exactly at the positions that looked up row $i$, so $(A^\top \bar{D})_i$ adds exactly those
# rows of $\bar{D}$. The transpose of the one-hot matrix *is* the scatter-add:
#
# | position $p$ | $(k, j)$ | one-hot row $A_p$ | $\overline{\text{emb}}_{\text{flat}, p}$ |
# | --- | --- | --- | --- |
# | first | `(0, 0)` | [0, 1, 0, 0] | [1, 2] |
# | second | `(0, 1)` | [0, 0, 0, 1] | [4, 3] |
# | third | `(0, 2)` | [0, 1, 0, 0] | [10, 20] |
# | fourth | `(1, 0)` | [1, 0, 0, 0] | [5, 6] |
# | fifth | `(1, 1)` | [0, 1, 0, 0] | [100, 200] |
# | sixth | `(1, 2)` | [0, 0, 0, 1] | [40, 30] |
#
# Read the second entry of every one-hot row, the column that stands for row
# 1 of $C$, from top to bottom: ones at the first, third and fifth positions, so
# $\bar{C}_1 = [1, 2] + [10, 20] + [100, 200]$,
# the sum of the derivation. The column of row 2 is all zeros, and so
# is its gradient.

# %%
import torch.nn.functional as F

A_tiny = F.one_hot(positions, n_rows_tiny).float()     # [6, 4]
print("lookup as a matmul:", torch.equal(A_tiny @ C_tiny.detach(),
                                         emb_tiny.detach().view(-1, 2)))
grad_C_onehot_tiny = A_tiny.T @ grad_rows              # [4, 6] @ [6, 2]
print(grad_C_onehot_tiny)

# %% [markdown]
# ### torch agrees
#
# Autograd ran the real backward pass when `loss_tiny.backward()` was called above; all
# three ways match it:

# %%
from snippets.compare import compare_grads

compare_grads({
    "emb": (grad_emb_tiny, emb_tiny.grad),
    "C (loop)": (grad_C_tiny, C_tiny.grad),
    "C (index_add_)": (grad_C_index_tiny, C_tiny.grad),
    "C (one-hot matmul)": (grad_C_onehot_tiny, C_tiny.grad),
})

# %% [markdown]
# Bit for bit, and necessarily so: every number here is a small integer, which float32
# holds exactly, and so is every sum of them. At the makemore sizes the numbers are not
# integers, and the order of the additions will matter.
#
# ## Why `dC[Xb] += demb` is wrong
#
# It looks like the loop without the loop. Run it on the small table:

# %%
wrong_C_tiny = torch.zeros(n_rows_tiny, width_tiny)
wrong_C_tiny[X_tiny] += grad_emb_tiny
lost_tiny = grad_C_tiny - wrong_C_tiny
print("dC[X] += demb:\n", wrong_C_tiny)
print("scatter-add:\n", grad_C_tiny)
print("lost:\n", lost_tiny)

# %% [markdown]
# Row 1 came out as [100, 200] instead of
# [111, 222], and row 3 as
# [40, 30] instead of [44, 33]. Row
# 0, looked up once, is right, and so is the zero of row
# 2. Each repeated row kept **one** contribution and lost the others:
# [11, 22] from row 1 and
# [4, 3] from row 3.
#
# Python explains why. `a[i] += v` is not an instruction to add into `a`; it is shorthand
# for three steps, *read, add, write back*:

# %%
by_steps = torch.zeros(n_rows_tiny, width_tiny)
rows_read = by_steps[X_tiny]       # 1. read: a [2, 3, 2] COPY, all zero
rows_read += grad_emb_tiny         # 2. add, to the copy: now just demb
by_steps[X_tiny] = rows_read       # 3. write back, one row per position
print(torch.equal(by_steps, wrong_C_tiny))

# %% [markdown]
# The first step reads row 1 three times, before anything was added,
# so all three copies read zero. The third step then writes
# [1, 2], [10, 20] and
# [100, 200] into that one row, and each write **replaces** the
# one before. Three writes to one place leave one value. Which one is not even promised: the
# documentation of `Tensor.index_put_`, which the third step is, calls the result undefined
# when indices repeat (on the machine that built this page, the `which_survived_tiny`
# won). The scatter-add is the write-back that adds instead of replaces, and torch spells it
# either `index_add_` or `index_put_(..., accumulate=True)`:

# %%
which_survived_tiny = (
    "last write" if torch.equal(wrong_C_tiny[1], grad_emb_tiny[1, 1])
    else "first write" if torch.equal(wrong_C_tiny[1],
                                      grad_emb_tiny[0, 0])
    else "middle write")

accumulated = torch.zeros(n_rows_tiny, width_tiny)
accumulated.index_put_((X_tiny,), grad_emb_tiny, accumulate=True)
print("index_put_(accumulate=True) is the scatter-add:",
      torch.equal(accumulated, grad_C_tiny))

# %% [markdown]
# ## The view: a reshape moves no numbers
#
# The MLP doesn't feed `emb` to its first layer as it is: it lays the
# 3 rows of each example side by side, `embcat = emb.view(n, -1)`.
# On the small table that turns [2, 3, 2] into
# [2, 6]:

# %%
embcat_tiny = emb_tiny.view(emb_tiny.shape[0], -1)      # [2, 6]
print("emb:\n", emb_tiny.detach())
print("embcat:\n", embcat_tiny.detach())
print("same memory:", embcat_tiny.data_ptr() == emb_tiny.data_ptr())

# %% [markdown]
# Entry $d$ of the row at context position $j$ lands in column $D j + d$, where $D$ is the
# row width (2 here, 10 in makemore):
#
# $$
# \text{embcat}_{k,\,Dj + d} = \text{emb}_{k,j,d} .
# $$
#
# Like the lookup, that has no arithmetic in it, and it is simpler: every entry of `embcat`
# is one entry of `emb` under a new name, and every entry of `emb` appears exactly once. So the
# local derivative is one between an entry and its own copy, and zero between any other
# pair:
#
# $$
# \frac{\partial\, \text{embcat}_{k,m}}{\partial\, \text{emb}_{k',j,d}} =
# \begin{cases}
# 1 & \text{if } k = k' \text{ and } m = Dj + d, \\
# 0 & \text{otherwise.}
# \end{cases}
# $$
#
# This is the math the question's "should be all ones" was reaching for, and the
# correction matters: not all ones, but **ones on the diagonal**. Lay both tensors
# out flat, in the order they sit in memory (`view` reads the same memory, so it is the same
# order), and the view is the identity function on those numbers. Its Jacobian is the
# identity matrix, and autograd can show it:

# %%
from torch.autograd.functional import jacobian

jacobian_tiny = jacobian(lambda e: e.view(e.shape[0], -1),
                         emb_tiny.detach())        # [2, 6, 2, 3, 2]
flat_jacobian = jacobian_tiny.reshape(embcat_tiny.numel(),
                                      emb_tiny.numel())  # [12, 12]
print("the identity matrix:",
      torch.equal(flat_jacobian, torch.eye(emb_tiny.numel())))
print("ones:", int(flat_jacobian.sum()),
      " zeros:", int((flat_jacobian == 0).sum()))

# %% [markdown]
# The 12 by 12 Jacobian has
# 12 ones and 132 zeros.
# ("All ones" would mean every entry of `embcat` moved with every entry of `emb`.) The
# chain rule multiplies the incoming gradient by the transposed Jacobian, and the identity
# transposed is the identity: the gradient's numbers pass through unchanged, and only their
# shape has to go back to that of `emb`. In the chain rule's sum one term survives,
#
# $$
# \begin{aligned}
# \overline{\text{emb}}_{k,j,d} &= \sum_{k',m} \overline{\text{embcat}}_{k',m} \,
# \frac{\partial\, \text{embcat}_{k',m}}{\partial\, \text{emb}_{k,j,d}} \\
# &= \overline{\text{embcat}}_{k,\,Dj + d} ,
# \end{aligned}
# $$
#
# which is exactly what reading `dembcat` with the shape of `emb` does:
# `demb = dembcat.view(emb.shape)`. A view back, no arithmetic, and therefore always bit
# for bit equal to autograd.
#
# ## At makemore size
#
# Now the real shapes: a vocabulary of 27 characters, embeddings of
# 10 numbers, a context of 3 characters, a batch of
# 32 examples. `C` is [27, 10], `Xb` is
# [32, 3], `emb` is [32, 3, 10] and
# `embcat` is [32, 30]. The indices are seeded random draws, and
# repeats are certain: 96 lookups into 27 rows means
# that at least 69 of them land on a row already used.
#
# Above `embcat` sits the makemore MLP, with BatchNorm left out (the page after this
# section puts the whole network together). Its layers have their own rules on the
# neighbouring pages, so here autograd delivers $\overline{\text{embcat}}$, and this page's
# two steps, the view and the lookup, are done by hand. (`torch.addmm(b1, embcat, W1)` is
# `embcat @ W1 + b1` as one operation, so that the graph further down draws each layer as
# one step.)

# %%
torch.manual_seed(42)
vocab_size, n_embd, block_size, batch_size, n_hidden = 27, 10, 3, 32, 64

C = torch.randn(vocab_size, n_embd, requires_grad=True)       # [27, 10]
Xb = torch.randint(0, vocab_size, (batch_size, block_size))   # [32, 3]
Yb = torch.randint(0, vocab_size, (batch_size,))              # [32]
fan_in = block_size * n_embd                                  # 30
W1 = torch.randn(fan_in, n_hidden) * (5 / 3) / fan_in**0.5
b1 = torch.randn(n_hidden) * 0.1
W2 = torch.randn(n_hidden, vocab_size) * 0.01
b2 = torch.randn(vocab_size) * 0.1

emb = C[Xb]                           # [32, 3, 10]
embcat = emb.view(emb.shape[0], -1)   # [32, 30]
hprebn = torch.addmm(b1, embcat, W1)  # embcat @ W1 + b1  [32, 64]
h = torch.tanh(hprebn)                # [32, 64]
logits = torch.addmm(b2, h, W2)       # h @ W2 + b2       [32, 27]
loss = F.cross_entropy(logits, Yb)
for t in (emb, embcat, hprebn, h, logits, loss):
    t.retain_grad()
loss.backward()

counts = torch.bincount(Xb.flatten(), minlength=vocab_size)  # [27]
print(f"loss {loss.item():.4f}")
print("lookups per row of C:", counts.tolist())

# %%
n_repeated = int((counts > 1).sum())
n_unused = int((counts == 0).sum())
unused_row = int((counts == 0).nonzero())
busiest_row = int(counts.argmax())
n_distinct = vocab_size - n_unused
print(f"{n_repeated} rows looked up more than once,"
      f" {n_unused} never (row {unused_row});")
print(f"row {busiest_row} is looked up {int(counts.max())} times")

# %% [markdown]
# Of the 27 rows of `C`, 21 are looked up more than
# once, the busiest (row 19) 8 times, and
# 1 (row 24) never. (Had the contexts come from real
# names, with `.` first and the letters a to z after it, that would be the letter x, and the
# busiest the letter s.)
#
# ### The backward pass by hand
#
# One line for the view, then the three ways to scatter-add. From here on the
# `snippets.rules` function stands for the `index_add_` lines it was shown to equal.

# %%
grad_embcat = embcat.grad               # [32, 30], from above
grad_emb = grad_embcat.view(emb.shape)  # [32, 3, 10], a view back

grad_C = torch.zeros_like(C)            # [27, 10]
for k in range(batch_size):             # the loop of the question
    for j in range(block_size):
        ix = Xb[k, j]
        grad_C[ix] += grad_emb[k, j]

grad_C_index = rules.embedding_backward(grad_emb, Xb, vocab_size)

A = F.one_hot(Xb.flatten(), vocab_size).float()  # [96, 27]
grad_C_onehot = A.T @ grad_emb.view(-1, n_embd)  # [27, 96] @ [96, 10]

# %% [markdown]
# ### torch agrees

# %%
table = compare_grads({
    "emb (view back)": (grad_emb, emb.grad),
    "C (loop)": (grad_C, C.grad),
    "C (index_add_)": (grad_C_index, C.grad),
    "C (one-hot matmul)": (grad_C_onehot, C.grad),
})
assert table["emb (view back)"].exact  # no arithmetic, nothing rounds
in_order_exact = (table["C (loop)"].exact
                  and table["C (index_add_)"].exact)
onehot_exact = ("bit for bit equal" if table["C (one-hot matmul)"].exact
                else "not bit for bit equal")
onehot_diff = f"{table['C (one-hot matmul)'].max_abs_diff:.1e}"
table

# %% [markdown]
# The view back is exact, as it must be: it does no arithmetic. The loop and `index_add_`
# are `"exact too" if in_order_exact else "close, and here not exact"`, although each row of $\bar{C}$ is now a sum of float32 numbers
# (up to 8 of them, for row 19): they add the
# positions in order, first example first, as autograd's backward for `C[Xb]` does, so they
# do the same additions in the same order
# ([same operations, same bits](https://backprop-by-hand.github.io/beyond/why-the-bits-differ/#same-operations-same-order)).
# The one-hot matmul adds the same terms in whatever order its kernel chooses: on the
# machine that built this page it came out `onehot_exact`.
#
# **Why not bit-exact? The one-hot matmul, and the same sum reversed**
#
# Float32 addition is not associative: $(a + b) + c$ and $a + (b + c)$ can differ in the
# last bit. The one-hot matmul adds the same nonzero terms plus a great many zeros
# (2,592 entries in $A$, of which 96 are ones), and
# neither multiplying by one or zero nor adding a zero ever rounds. But in what order the
# matrix-multiply kernel adds up its 96 terms is the library's choice
# for the CPU at hand, not ours; the largest difference here is `onehot_diff`, next to
# a gap of `step_at_max` between neighbouring float32 numbers at the largest entries of
# $\bar{C}$, around 0.002 (float32 keeps
# 24 significant bits). To see that the order alone moves the last
# bits, add the very same contributions in the reverse order, last example first:

# %%
import math

reverse_C = torch.zeros_like(C)
for p in reversed(range(Xb.numel())):
    reverse_C[Xb.flatten()[p]] += grad_emb.view(-1, n_embd)[p]

n_reverse_differ = int((reverse_C != C.grad).sum())
reverse_diff = f"{(reverse_C - C.grad).abs().max().item():.1e}"
print(f"{n_reverse_differ} of {C.numel()} entries differ,"
      f" by at most {reverse_diff}")

# one rounding step: the gap between neighbouring float32 numbers
largest = C.grad.abs().max()
step_at_max = f"{(torch.nextafter(largest, 2 * largest) - largest):.1e}"
float32_bits = 1 - round(math.log2(torch.finfo(torch.float32).eps))
print(f"float32 keeps {float32_bits} significant bits; next to"
      f" {largest:.5f} the gap is {step_at_max}")

# %% [markdown]
# `n_reverse_differ` of the 270 entries of $\bar{C}$ change here,
# by at most `reverse_diff`: the same sum, rounded along a different road. That is why
# the table says *close* for a correct gradient that sums in another order, and *exact*
# only where the order is the same.
#
# And the row nobody looked up, row 24, gets a gradient of exactly
# 0 in all 10 columns.
# The loss does not depend on it, so a gradient-descent step leaves it where it was.
#
# ### The shortcut, wrong at full size
#
# `dC[Xb] += demb` on the makemore batch:

# %%
wrong_C = torch.zeros_like(C)
wrong_C[Xb] += grad_emb
wrong_rows = (wrong_C != C.grad).any(dim=1).nonzero().flatten()
n_lost = Xb.numel() - n_distinct       # one write per row survives
wrong_diff = (wrong_C - C.grad).abs().max().item()
wrong_relative = ((wrong_C - C.grad).norm() / C.grad.norm()).item()

print("rows that came out wrong:", len(wrong_rows))
print("the rows looked up more than once:",
      torch.equal(wrong_rows, (counts > 1).nonzero().flatten()))
print(f"contributions lost: {n_lost} of {Xb.numel()}")
print(f"largest error {wrong_diff:.5f},"
      f" largest true entry {C.grad.abs().max().item():.5f}")

# %% [markdown]
# Exactly the 21 rows looked up more than once come out wrong.
# Every row of `C` that was looked up at all kept one contribution, so
# 70 of the 96 contributions are lost. The errors are as
# large as the gradient itself: the largest entry is off by 0.00222, while
# the largest entry of the true gradient is 0.00218, and measured
# as a whole (the norm of the difference against the norm of the gradient) the wrong
# gradient is off by 81%. Nothing raises, and the shapes are right, which is
# what makes this bug dangerous: training would still run, just with the wrong gradient.
#
# ### The graph
#
# Autograd's graph of the network, from the table to the loss. `C` reaches `emb` through the
# lookup, with `Xb` (dashed: data, no gradient) saying which rows to copy; the rest of the
# network sees only `embcat`, and gives it back a gradient of the same shape. (`F.cross_entropy`
# is one line but two operations, drawn in turn: `logsoftmax`, then `nllloss`, which reads the
# labels `Yb`.)

# %%
from snippets.graph import ComputationGraph

ComputationGraph.from_autograd(
    loss,
    {"C": C, "emb": emb, "embcat": embcat, "hprebn": hprebn, "h": h,
     "logits": logits, "loss": loss},
    constants={"Xb": Xb, "Yb": Yb},
    inputs_of={"emb": ["Xb"], "loss": ["Yb"]},
    direction="TB",
    title="The makemore MLP without BatchNorm, from C to the loss",
)

# %% [markdown]
# What the lookup's node keeps for the backward pass is the index and the table's shape, not
# the table: the scatter-add needs to know *where* the copies came from, never *what* they
# were.

# %%
# a fresh lookup: backward() above has freed what emb's node saved
node = C.detach().requires_grad_()[Xb].grad_fn
print(node.name(), "saved:", [name for name in dir(node)
                             if name.startswith("_saved")])
print("the indices are Xb:", torch.equal(node._saved_indices[0], Xb))
print("the shape of C:", node._saved_self_sym_sizes)

# %% [markdown]
# The function `snippets.rules.embedding_backward` is also tested in the repository, on
# random tables and index sets full of repeats, against autograd and against finite
# differences (`torch.autograd.gradcheck`): see tests/test_rules.py.
#
# > **The rule to remember**
# >
# > A lookup copies rows, so the backward pass adds: `dC[i]` is the sum of `demb` over
# > every position that looked up row `i` (a scatter-add, `index_add_`, never
# > `dC[Xb] += demb`); a `view` only renames positions, so its backward is a view back.
#
# ## Exercise
#
# Suppose the rest of the network handed back a gradient of ones for every entry of
# `emb` (which is what `emb.sum()` as the loss would do). Without running anything: what is
# $\bar{C}$ for the makemore batch, and what would `dC[Xb] += demb` give instead? What does
# each say about row 19?
#
# **Solution**
#
# Each copy brings a gradient of ones, so row $i$ of $\bar{C}$ is the number of times row
# $i$ was looked up, in every column: the scatter-add **counts**. Row
# 19 gets [8, 8, 8, 8, 8, 8, 8, 8, 8, 8]
# and the whole gradient adds up to one per entry of `emb`,
# 960. The wrong version writes a single one into every row that was
# looked up at all, so row 19 gets a one in every column, the same as a
# row looked up once: it cannot tell 8 copies from one. (Its numbers
# add up to 260, ten for each of the 26 rows
# that were looked up.)

# %%
ex_grad_emb = torch.ones(batch_size, block_size, n_embd)
ex_grad_C = counts[:, None] * torch.ones(vocab_size, n_embd)  # counts
ex_wrong_C = torch.zeros(vocab_size, n_embd)
ex_wrong_C[Xb] += ex_grad_emb

C_ex = torch.randn(vocab_size, n_embd, requires_grad=True)
C_ex[Xb].sum().backward()
print("by hand, row 19:", ex_grad_C[19].tolist())
print("wrong, row 19:  ", ex_wrong_C[19].tolist())
compare_grads({
    "C, counts": (ex_grad_C, C_ex.grad),
    "C, scatter-add": (rules.embedding_backward(ex_grad_emb, Xb,
                                                vocab_size),
                       C_ex.grad),
})

# %%
# Every number the text above states, checked against what the code computed (as
# the site's build checks them). Lines are the page's own.
from pagecheck.notebook import check_page

check_page(globals(), [
    (36, 'n_rows_tiny', '4'),
    (37, 'width_tiny', '2'),
    (37, 'X_tiny.shape[0]', '2'),
    (38, 'X_tiny.shape[1]', '3'),
    (42, 'C_tiny[0, 0]', '7'),
    (42, 'C_tiny[0].min()', '1'),
    (43, 'C_tiny[1, 0]', '2'),
    (43, 'C_tiny[1, 1]', '9'),
    (44, 'C_tiny[2, 0]', '4'),
    (44, 'C_tiny[2, 1]', '4'),
    (45, 'C_tiny[-1].min()', '3'),
    (45, 'C_tiny[3, 1]', '8'),
    (48, 'X_tiny[0, 0]', '1'),
    (48, 'X_tiny[0, 1]', '3'),
    (48, 'X_tiny[0, 2]', '1'),
    (49, 'X_tiny.flatten()[3]', '0'),
    (49, 'X_tiny.flatten()[4]', '1'),
    (49, 'X_tiny[1, 2]', '3'),
    (53, 'X_tiny[0, 0]', '1'),
    (54, 'counts_tiny[1]', '3'),
    (54, 'X_tiny[0, 1]', '3'),
    (55, 'X_tiny.flatten()[3]', '0'),
    (55, 'unused_tiny', '2'),
    (61, 'list(X_tiny.shape)', '[2, 3]'),
    (61, 'width_tiny', '2'),
    (62, 'list(emb_tiny.shape)', '[2, 3, 2]'),
    (114, 'X_tiny[0, 0]', '1'),
    (122, 'list(grad_emb_tiny.shape)', '[2, 3, 2]'),
    (130, 'X_tiny[0, 0]', '1'),
    (130, 'grad_emb_tiny[0, 0]', '[1, 2]'),
    (131, 'X_tiny[0, 1]', '3'),
    (131, 'grad_emb_tiny[0, 1]', '[4, 3]'),
    (132, 'X_tiny[0, 2]', '1'),
    (132, 'grad_emb_tiny[0, 2]', '[10, 20]'),
    (133, 'X_tiny.flatten()[3]', '0'),
    (133, 'grad_emb_tiny[1, 0]', '[5, 6]'),
    (134, 'X_tiny.flatten()[4]', '1'),
    (134, 'grad_emb_tiny[1, 1]', '[100, 200]'),
    (135, 'X_tiny[1, 2]', '3'),
    (135, 'grad_emb_tiny[1, 2]', '[40, 30]'),
    (150, 'h_tiny', '0.5'),
    (151, 'X_tiny[0, 0]', '1'),
    (169, 'len(moved)', '3'),
    (171, 'G_tiny[0, 0, 0]', '1'),
    (171, 'G_tiny[0, 2, 0]', '10'),
    (171, 'G_tiny[1, 1, 0]', '100'),
    (172, 'loss_moved', '55.5'),
    (172, 'loss_moved / h_tiny', '111'),
    (185, 'slope_own', '1'),
    (186, 'slope_other', '0'),
    (211, 'X_tiny[0, 0]', '1'),
    (217, 'grad_emb_tiny[0, 0]', '[1, 2]'),
    (217, 'grad_emb_tiny[0, 2]', '[10, 20]'),
    (217, 'grad_emb_tiny[1, 1]', '[100, 200]'),
    (218, 'grad_C_tiny[1]', '[111, 222]'),
    (223, 'grad_C_tiny[0]', '[5, 6]'),
    (224, 'grad_emb_tiny[0, 1]', '[4, 3]'),
    (224, 'grad_emb_tiny[1, 2]', '[40, 30]'),
    (224, 'grad_C_tiny[3]', '[44, 33]'),
    (225, 'grad_C_tiny[2]', '[0, 0]'),
    (240, 'dL_dc_sym[1][0]', '111'),
    (241, 'dL_dc_sym[1][1]', '222'),
    (242, 'dL_dc_unused', '0'),
    (269, 'list(X_tiny.flatten().shape)', '[6]'),
    (270, 'list(grad_emb_tiny.view(-1, width_tiny).shape)', '[6, 2]'),
    (292, 'n_rows_tiny', '4'),
    (293, 'positions.numel()', '6'),
    (294, 'list(A_tiny.shape)', '[6, 4]'),
    (301, 'A_tiny.max()', '1'),
    (302, 'A_tiny.min()', '0'),
    (306, 'list(A_tiny.shape)', '[6, 4]'),
    (306, 'list(C_tiny.shape)', '[4, 2]'),
    (307, 'list(grad_rows.shape)', '[6, 2]'),
    (316, 'A_tiny[0]', '[0, 1, 0, 0]'),
    (316, 'grad_rows[0]', '[1, 2]'),
    (317, 'A_tiny[1]', '[0, 0, 0, 1]'),
    (317, 'grad_rows[1]', '[4, 3]'),
    (318, 'A_tiny[2]', '[0, 1, 0, 0]'),
    (318, 'grad_rows[2]', '[10, 20]'),
    (319, 'A_tiny[3]', '[1, 0, 0, 0]'),
    (319, 'grad_rows[3]', '[5, 6]'),
    (320, 'A_tiny[4]', '[0, 1, 0, 0]'),
    (320, 'grad_rows[4]', '[100, 200]'),
    (321, 'A_tiny[5]', '[0, 0, 0, 1]'),
    (321, 'grad_rows[5]', '[40, 30]'),
    (324, 'X_tiny[0, 0]', '1'),
    (325, 'grad_rows[0]', '[1, 2]'),
    (325, 'grad_rows[2]', '[10, 20]'),
    (325, 'grad_rows[4]', '[100, 200]'),
    (326, 'unused_tiny', '2'),
    (372, 'X_tiny[0, 0]', '1'),
    (372, 'wrong_C_tiny[1]', '[100, 200]'),
    (373, 'grad_C_tiny[1]', '[111, 222]'),
    (373, 'X_tiny[0, 1]', '3'),
    (374, 'wrong_C_tiny[3]', '[40, 30]'),
    (374, 'grad_C_tiny[3]', '[44, 33]'),
    (375, 'X_tiny.flatten()[3]', '0'),
    (376, 'unused_tiny', '2'),
    (377, 'lost_tiny[1]', '[11, 22]'),
    (377, 'X_tiny[0, 0]', '1'),
    (378, 'lost_tiny[3]', '[4, 3]'),
    (378, 'X_tiny[0, 1]', '3'),
    (391, 'X_tiny[0, 0]', '1'),
    (393, 'grad_emb_tiny[0, 0]', '[1, 2]'),
    (393, 'grad_emb_tiny[0, 2]', '[10, 20]'),
    (394, 'grad_emb_tiny[1, 1]', '[100, 200]'),
    (417, 'X_tiny.shape[1]', '3'),
    (418, 'list(emb_tiny.shape)', '[2, 3, 2]'),
    (419, 'list(embcat_tiny.shape)', '[2, 6]'),
    (429, 'width_tiny', '2'),
    (429, 'n_embd', '10'),
    (443, 'jacobian_tiny.max()', '1'),
    (444, 'jacobian_tiny.min()', '0'),
    (467, 'flat_jacobian.shape[0]', '12'),
    (467, 'flat_jacobian.shape[1]', '12'),
    (468, 'flat_jacobian.sum()', '12'),
    (468, '(flat_jacobian == 0).sum()', '132'),
    (488, 'vocab_size', '27'),
    (489, 'n_embd', '10'),
    (489, 'block_size', '3'),
    (490, 'batch_size', '32'),
    (490, 'list(C.shape)', '[27, 10]'),
    (491, 'list(Xb.shape)', '[32, 3]'),
    (491, 'list(emb.shape)', '[32, 3, 10]'),
    (492, 'list(embcat.shape)', '[32, 30]'),
    (493, 'Xb.numel()', '96'),
    (493, 'vocab_size', '27'),
    (494, 'Xb.numel() - vocab_size', '69'),
    (542, 'vocab_size', '27'),
    (542, 'n_repeated', '21'),
    (543, 'busiest_row', '19'),
    (543, 'counts.max()', '8'),
    (544, 'n_unused', '1'),
    (544, 'unused_row', '24'),
    (589, 'counts.max()', '8'),
    (589, 'busiest_row', '19'),
    (600, 'A.numel()', '2,592'),
    (600, 'A.sum()', '96'),
    (602, 'A.shape[0]', '96'),
    (605, 'C.grad.abs().max()', '0.002'),
    (606, 'float32_bits', '24'),
    (629, 'C.numel()', '270'),
    (636, 'unused_row', '24'),
    (637, 'C.grad[unused_row].abs().max()', '0'),
    (637, 'n_embd', '10'),
    (660, 'len(wrong_rows)', '21'),
    (662, 'n_lost', '70'),
    (662, 'Xb.numel()', '96'),
    (663, 'wrong_diff', '0.00222'),
    (664, 'C.grad.abs().max()', '0.00218'),
    (666, '100 * wrong_relative', '81'),
    (719, 'busiest_row', '19'),
    (726, 'busiest_row', '19'),
    (726, 'ex_grad_C[busiest_row]', '[8, 8, 8, 8, 8, 8, 8, 8, 8, 8]'),
    (728, 'ex_grad_C.sum()', '960'),
    (729, 'busiest_row', '19'),
    (730, 'counts.max()', '8'),
    (731, 'ex_wrong_C.sum()', '260'),
    (731, 'n_distinct', '26'),
], [
    (397, 'which_survived_tiny'),
    (588, '"exact too" if in_order_exact else "close, and here not exact"'),
    (594, 'onehot_exact'),
    (603, 'onehot_diff'),
    (604, 'step_at_max'),
    (629, 'n_reverse_differ'),
    (630, 'reverse_diff'),
])
