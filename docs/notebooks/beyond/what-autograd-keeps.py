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
# *This notebook is the page [What autograd keeps](https://backprop-by-hand.github.io/beyond/what-autograd-keeps/) of Backprop by Hand, cell for cell. Run it from the top: the first cell sets up what the page needs, the last one checks every number the text states against what the code computed.*

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
# # What autograd keeps
#
# > **The question**
# >
# > Doing the makemore exercises, I got confused about something more basic than any one
# > gradient: which tensors have to be available, and allocated, for backprop? When I call
# > `loss.backward()`, what is still in memory from the forward pass, and how much of it is
# > there? My guess is that autograd makes a lot of them but can drop each one as soon as it
# > no longer needs it. And on the knobs page, the last knob's value was never used to get
# > the first knob's gradient. Is that a coincidence of that machine?
#
# Every backward rule on this site takes two things: the gradient arriving from above, and
# something the forward pass left behind. This page asks what that something is, for every
# operation the site uses, and then counts it for the whole network, byte by byte. PyTorch
# lets us watch it happen: `torch.autograd.graph.saved_tensors_hooks` calls a function of
# ours every time an operation saves a tensor for its backward, and again every time
# backward reads one back. `snippets.saved.SavedLog` is such a pair of hooks that keeps a
# record.
#
# ## The last knob's value is never needed
#
# The knobs machine of the [first page](https://backprop-by-hand.github.io/knobs/) was `b = a**2`, `c = b**3`,
# `d = c**2`, at $a = 2$. Write the three functions as unknowns $f$, $g$ and $k$, and
# let sympy differentiate the chain without knowing what they are:

# %%
import sympy as sp
import torch

a = sp.Symbol("a")
f, g, k = sp.Function("f"), sp.Function("g"), sp.Function("k")
b = f(a)
c = g(b)
d = k(c)

def prime(derivative):
    """Derivative(k(c), c) -> k'(c): the derivative function, at c."""
    name = derivative.expr.func.__name__ + "'"
    return sp.Function(name)(derivative.variables[0])

chain = sp.diff(d, a).doit()
chain = chain.replace(lambda e: isinstance(e, sp.Derivative), prime)
B, C = sp.symbols("b c")
chain_abc = chain.subs(c, C).subs(b, B)   # name the knobs
print("dd/da =", chain)
print("      =", chain_abc)
print("made of d's value?", chain.has(d))

# %% [markdown]
# The derivative is a product with one factor per function, and each factor is that
# function's derivative *at its input*: $f'$ at $a$, $g'$ at $b = f(a)$, $k'$ at
# $c = g(b)$. (Sympy writes $k'(c)$ as `Derivative(k(c), c)`, the derivative of the
# function $k$ taken at $c$; `prime` only gives it its usual name.) The value $d = k(c)$
# is an input to nothing, so no factor is evaluated at it: sympy finds it
# `"nowhere" if not chain.has(d) else "somewhere"` in the product, whose only symbols are
# `", ".join(sorted(map(str, chain_abc.free_symbols)))`. That
# holds for any chain and any functions, and it holds node by node inside a graph: a node's
# backward needs what its own local derivative is written in, never the value the whole
# computation ended with.
#
# PyTorch can be asked directly which values it needs. Build the knobs machine, then spoil
# one knob's value in place after the forward pass (under `no_grad`, so autograd does not
# record the spoiling) and call `backward()`. Every tensor carries a version counter that
# each in-place change bumps; autograd notes the version of each tensor it saves, and
# backward refuses to use one whose version has moved since:

# %%
a_value = 2.0

def spoil_and_backward(knob):
    """Forward, overwrite one knob's value, backward; a's gradient."""
    a_t = torch.tensor(a_value, requires_grad=True)
    knobs = {"a": a_t}
    knobs["b"] = knobs["a"] ** 2
    knobs["c"] = knobs["b"] ** 3
    knobs["d"] = knobs["c"] ** 2
    with torch.no_grad():
        knobs[knob].mul_(1.5)           # spoil it
    try:
        knobs["d"].backward()
    except RuntimeError:
        return None                     # autograd needed it
    return a_t.grad.item()

spoiled = {knob: spoil_and_backward(knob) for knob in "abcd"}
for knob, grad_a in spoiled.items():
    outcome = ("backward refuses" if grad_a is None
               else f"a.grad = {grad_a:,.0f}")
    print(f"spoil {knob}: {outcome}")
needed = [knob for knob, grad_a in spoiled.items() if grad_a is None]

# %% [markdown]
# Spoil `", ".join(needed)` and backward refuses: each is the input of a power, and the
# power's node saved it. Spoil `d` and backward runs as if nothing happened, with
# `a.grad` = 24,576, the gradient of the first page.
#
# There is one twist. Some nodes keep their *output* instead of their input, because their
# derivative is cheaper to write that way: the derivative of `tanh(z)` is
# `1 - tanh(z)**2` and that of `exp(z)` is `exp(z)`, both written in the output
# ([why the output](https://backprop-by-hand.github.io/rules/elementwise/#why-the-output-and-not-the-input)). End a chain
# with `exp()` and its last value *is* read by backward:

# %%
z = torch.tensor(1.5, requires_grad=True)
e = (z * 2).exp()
with torch.no_grad():
    e.mul_(1.5)
try:
    e.backward()
    exp_refuses = False
except RuntimeError as error:
    exp_refuses = True
    print(str(error).split(";")[0])

# %% [markdown]
# Backward `"refuses" if exp_refuses else "does not refuse"`: the exp node saved its
# output, so spoiling the last value spoils its derivative.
#
# That is still no exception to the rule above: the node reads $e^{c}$ as its stand-in for
# $k'(c)$, the derivative at its input, because here the two are the same number. What
# backward never needs is the value of the *loss* (or of any final output) *as a value*:
# its own gradient is one, whatever its value. A node that keeps its output keeps it only as
# its own derivative.
#
# One warning before the hooks come in: while saved-tensor hooks are installed, the hooks
# own the saved values, and PyTorch skips the version check. The spoiling test above runs
# without them; everything below only watches, and spoils nothing.
#
# ## What each operation keeps
#
# Every operation the site differentiates, run on small tensors under the hooks. The table
# reads, for each, the autograd node that `.grad_fn` names, what the node saved (read back
# from the node's `_saved_*` attributes, whose names say whether a tensor was the input,
# `self`, the other operand, or the output, `result`), the bytes the hooks counted, and what
# our own rule in `snippets.rules` reads besides the incoming gradient (from the rule's
# signature):

# %%
import inspect

import torch.nn.functional as F

from snippets import rules
from snippets.saved import SavedLog
from snippets.tables import Table

gen = torch.Generator().manual_seed(1)
x = (torch.rand(4, 3, generator=gen) + 0.5).requires_grad_()
y = torch.rand(4, 3, generator=gen).requires_grad_()
bias = torch.rand(3, generator=gen).requires_grad_()
W = torch.rand(3, 2, generator=gen).requires_grad_()
C = torch.rand(5, 3, generator=gen).requires_grad_()
ix = torch.tensor([0, 3, 3, 1])       # rows of C to look up
t = torch.tensor([2, 0, 1, 1])        # one target per row of x

ops = {  # what the forward pass does: (code, our rule)
    "x + bias": (lambda: x + bias, rules.unbroadcast),
    "x.sum(0)": (lambda: x.sum(0), rules.sum_backward),
    "x.mean(0)": (lambda: x.mean(0), rules.mean_backward),
    "x.view(-1)": (lambda: x.view(-1), "shapes only"),
    "x * y": (lambda: x * y, "y for x, x for y"),
    "x @ W": (lambda: x @ W, rules.matmul_backward),
    "x**2": (lambda: x**2, rules.pow_backward),
    "x**-1": (lambda: x**-1, rules.reciprocal_backward),
    "1.0 / x": (lambda: 1.0 / x, rules.reciprocal_backward),
    "x.log()": (lambda: x.log(), rules.log_backward),
    "x.var(0)": (lambda: x.var(0), rules.var_backward),
    "x.tanh()": (lambda: x.tanh(), rules.tanh_backward),
    "x.exp()": (lambda: x.exp(), rules.exp_backward),
    "x.max(1).values": (lambda: x.max(1).values,
                        rules.max_backward),
    "C[ix]": (lambda: C[ix], rules.embedding_backward),
    "x[range(4), t]": (lambda: x[range(4), t], "t"),
}

def nodes_of(out):
    """The autograd nodes between out and the leaves, nearest first."""
    found, todo = [], [out.grad_fn]
    while todo:
        node = todo.pop()
        if node is None or hasattr(node, "variable") or node in found:
            continue
        found.append(node)
        todo += [nxt for nxt, _ in node.next_functions]
    return found

def what_it_saved(node):
    """{where in memory: 'self' / 'other' / 'result' ...} of a node."""
    roles = {}
    for attr in dir(node):
        value = getattr(node, attr) if attr.startswith("_saved_") else 0
        for tensor in value if isinstance(value, tuple) else [value]:
            if isinstance(tensor, torch.Tensor) and tensor.dim():
                role = attr.removeprefix("_saved_")
                roles[tensor.untyped_storage().data_ptr()] = role
    return roles

def rule_reads(rule):
    """What a rule of ours reads besides grad (its signature)."""
    if isinstance(rule, str):
        return rule
    params = inspect.signature(rule).parameters
    tensors = [name for name, p in params.items()
               if name != "grad" and "Tensor" in str(p.annotation)]
    return ", ".join(tensors) or "shapes only"

rows, saves = [], {}
for code, (op, rule) in ops.items():
    with SavedLog() as log:
        out = op()
    node_list = nodes_of(out)
    roles = {}
    for node in node_list:
        roles.update(what_it_saved(node))
    what = [f"{roles.get(s.storage, '?')} {list(s.shape)}"
            + ("" if s.dtype == torch.float32
               else " " + str(s.dtype).removeprefix("torch."))
            for s in log.saved]
    saves[code] = log
    rows.append((code, " + ".join(n.name() for n in node_list),
                 ", ".join(what) or "nothing",
                 log.total_bytes,
                 rule_reads(rule)))
Table(["operation", "node", "saves", "bytes", "our rule reads"],
      rows, caption="What each operation keeps for backward")

# %% [markdown]
# Read down the *saves* column and five patterns appear:
#
# - **Nothing but shapes**: a broadcast add, a sum, a mean, a view. Their backward copies or
#   sums the gradient to a shape ([de-broadcasting](https://backprop-by-hand.github.io/rules/broadcasting/),
#   [sums and means](https://backprop-by-hand.github.io/rules/sums-and-means/)), and a shape is a few integers kept in
#   the node, not a tensor. These rows cost 0 bytes.
# - **The input** (`self`): a power, a log, a variance. Their derivatives are written in
#   the input: `2 * x`, `1 / x`, `2 * (x - x.mean(0)) / (n - 1)`.
# - **The output** (`result`): tanh and exp, and also `1.0 / x`, which PyTorch runs as
#   `x.reciprocal()` times one and differentiates as `-r**2` from its output `r`, while
#   `x**-1` is a power and keeps its input. Same mathematics, a different tensor kept; the
#   [next page](https://backprop-by-hand.github.io/beyond/why-the-bits-differ/) shows what that does to the last bits.
# - **The other factor**: a product, element-wise or matrix, keeps both factors, because
#   each factor's gradient is made of the other one ([the matmul rule](https://backprop-by-hand.github.io/rules/matmul/)).
# - **Indices**: max keeps where each maximum was, the lookup `C[ix]` keeps `ix`, and the
#   pick `x[range(4), t]` keeps both index tensors (the `range` turned into a tensor). All
#   three route the gradient to positions; none needs a value.
#
# Our rules read the same things, with three differences. `rules.max_backward` reads the
# whole `x` and finds the maximum again, where the node kept only its position, an `int64`
# per row instead of a row of `float32`s: autograd keeps the smaller record because it
# already had it. `rules.reciprocal_backward` reads `x` for both spellings of the
# reciprocal, where the node of `1.0 / x` keeps its output. And the pick's node keeps the
# `range` as a tensor, where our rule only needs the targets `t` and the number of rows.
#
# A node keeps only what the gradients it will compute need. Multiply by a tensor that does
# not require a gradient and the product keeps only that tensor, since nothing will ever be
# asked of the other factor:

# %%
fixed = torch.rand(4, 3, generator=gen)        # no gradient wanted
with SavedLog() as half_log:
    product = x * fixed
half_log.label({"x": x, "fixed": fixed})
print("saved:", [s.name for s in half_log.saved])

# %% [markdown]
# ## The whole network, measured
#
# Now the makemore MLP of [the network section](https://backprop-by-hand.github.io/mlp/every-intermediate/), with its
# forward pass of 20 lines, on a batch of
# 32 names. `snippets.saved.saves_of_forward` runs
# `snippets.makemore.forward` inside a `SavedLog` and names each saved tensor after the
# forward-pass tensor it is, by where it lives in memory:

# %%
from snippets.makemore import (BATCH_SIZE, INTERMEDIATES, SEED,
                               init_params, load_words, splits,
                               sample_batch)
from snippets.saved import saves_of_forward

(Xtr, Ytr), _, _ = splits(load_words())
params = init_params()
batch_gen = torch.Generator().manual_seed(SEED)
Xb, Yb = sample_batch(Xtr, Ytr, generator=batch_gen)
n = Xb.shape[0]

fw, log = saves_of_forward(params, Xb, Yb)
Table(["saved tensor", "shape", "dtype", "bytes"],
      [(s.name or "(no name)", list(s.shape),
        str(s.dtype).removeprefix("torch."), f"{s.nbytes:,}")
       for s in log.saved],
      caption=f"Saved by the forward pass, batch of {n}")

# %% [markdown]
# 20 saves, 72,320 bytes. Three tensors
# appear twice, because two nodes each need them: `bndiff` (for its square and for the
# product with `bnvar_inv`), `h` (for tanh's backward and for the matrix multiply) and
# `counts` (for exp's backward and for the product with `counts_sum_inv`). The nodes hold
# two references to one piece of memory, so the memory behind the saves is
# 52,480 bytes. Three saves have no name: the indices of the
# maximum, the `range(n)` of the pick, and `bnvar + 1e-5`, a temporary that exists only
# inside the line `bnvar_inv = (bnvar + 1e-5)**-0.5`. You never named it, and autograd
# keeps it anyway, because the power's derivative is written in the power's input.
#
# ### The same bytes, by hand
#
# The hooks measured; now predict. Go through the forward pass line by line and write down,
# from each line's derivative alone, what it must keep: the input of a power, log or
# product; the output of tanh and exp; indices for max, the lookup and the pick; nothing
# for sums, means, differences and views. Here is that list, as `snippets.saved` writes it:
#
# ```python
# @dataclass(frozen=True)
# class Save:
#     """One tensor a line of the forward pass must keep for its backward."""
#
#     line: str
#     name: str
#     shape: tuple[int, ...]
#     dtype: torch.dtype = torch.float32
#
#     @property
#     def nbytes(self) -> int:
#         numel = 1
#         for size in self.shape:
#             numel *= size
#         return numel * torch.empty(0, dtype=self.dtype).element_size()
#
# def mlp_saved_by_hand(n: int, n_hidden: int = N_HIDDEN,
#                       n_embd: int = N_EMBD) -> list[Save]:
#     """What each line of snippets.makemore.forward keeps, read off its derivative:
#     a line keeps what its local derivative is written in, and only for the inputs
#     that need a gradient."""
#     fan_in, i64 = BLOCK_SIZE * n_embd, torch.int64
#     H, V = n_hidden, VOCAB_SIZE
#     return [
#         # emb = C[Xb]: the scatter-add needs the indices
#         Save("emb = C[Xb]", "Xb", (n, BLOCK_SIZE), i64),
#         # hprebn = embcat @ W1 + b1: each factor's gradient is made
#         # of the other factor; the bias needs only its shape
#         Save("hprebn = embcat @ W1 + b1", "W1", (fan_in, H)),
#         Save("hprebn = embcat @ W1 + b1", "embcat", (n, fan_in)),
#         # bnmeani, bndiff: sums, 1/n times, a difference: shapes only
#         # bndiff2 = bndiff**2: the derivative 2 bndiff
#         Save("bndiff2 = bndiff**2", "bndiff", (n, H)),
#         # bnvar: a sum times 1/(n-1): shapes only
#         # bnvar_inv = (bnvar + 1e-5)**-0.5: the power's input, a
#         # temporary that has no name
#         Save("bnvar_inv = (bnvar + 1e-5)**-0.5", "", (1, H)),
#         # bnraw = bndiff * bnvar_inv: each factor for the other
#         Save("bnraw = bndiff * bnvar_inv", "bnvar_inv", (1, H)),
#         Save("bnraw = bndiff * bnvar_inv", "bndiff", (n, H)),
#         # hpreact = bngain * bnraw + bnbias: each factor for the other
#         Save("hpreact = bngain * bnraw + bnbias", "bnraw", (n, H)),
#         Save("hpreact = bngain * bnraw + bnbias", "bngain", (1, H)),
#         # h = tanh(hpreact): 1 - h**2 is written in the output
#         Save("h = tanh(hpreact)", "h", (n, H)),
#         # logits = h @ W2 + b2
#         Save("logits = h @ W2 + b2", "W2", (H, V)),
#         Save("logits = h @ W2 + b2", "h", (n, H)),
#         # logit_maxes = logits.max(1): where each maximum was
#         Save("logit_maxes = logits.max(1)", "", (n, 1), i64),
#         # norm_logits = logits - logit_maxes: shapes only
#         # counts = norm_logits.exp(): the derivative is the output
#         Save("counts = norm_logits.exp()", "counts", (n, V)),
#         # counts_sum: a sum, shapes only
#         # counts_sum_inv = counts_sum**-1: the power's input
#         Save("counts_sum_inv = counts_sum**-1", "counts_sum", (n, 1)),
#         # probs = counts * counts_sum_inv: each factor for the other
#         Save("probs = counts * counts_sum_inv", "counts_sum_inv", (n, 1)),
#         Save("probs = counts * counts_sum_inv", "counts", (n, V)),
#         # logprobs = probs.log(): the derivative 1 / probs
#         Save("logprobs = probs.log()", "probs", (n, V)),
#         # loss = -logprobs[range(n), Yb].mean(): the two index
#         # tensors of the pick; the mean and the minus: shapes only
#         Save("loss = -logprobs[range(n), Yb].mean()", "", (n,), i64),
#         Save("loss = -logprobs[range(n), Yb].mean()", "Yb", (n,), i64),
#     ]
# ```

# %%
from snippets.saved import (Kept, distinct_bytes,
                            mlp_saved_by_hand, total_bytes)

by_hand = mlp_saved_by_hand(n)
same_tensors = sorted(
    (s.name, s.shape, str(s.dtype)) for s in by_hand) == sorted(
    (s.name, s.shape, str(s.dtype)) for s in log.saved)
print("saves, by hand:", len(by_hand), "  measured:", len(log.saved))
print("bytes, by hand:", total_bytes(by_hand),
      "  measured:", log.total_bytes)
print("memory, by hand:", distinct_bytes(by_hand),
      "  measured:", log.distinct_bytes)
print("the same tensors:", same_tensors)

# %% [markdown]
# The prediction and the measurement `"agree save for save" if same_tensors else "do not agree"`: autograd keeps
# exactly what the derivatives are written in, nothing more. (The test suite checks the same
# agreement for every batch size below.) Two kinds of bytes are in the total, and they grow
# differently. The parameters `W1`, `W2` and `bngain` are
# 14,848 bytes whatever the batch, and they live on anyway. Everything
# else grows with the batch, one row per example. Sympy adds up the hand-written list with
# $n$ left as a symbol:

# %%
N = sp.Symbol("n", positive=True, integer=True)
memory_formula = sp.expand(distinct_bytes(mlp_saved_by_hand(N)))
per_example = memory_formula.coeff(N, 1)
fixed_bytes = memory_formula.coeff(N, 0)
param_bytes = sum(s.nbytes for s in log.saved
                  if s.name in ("W1", "W2", "bngain"))
print("memory behind the saves:", memory_formula, "bytes")

# %% [markdown]
# $$
# \text{memory}(n) = 1160n + 15360 \text{ bytes},
# $$
#
# that is 1,160 bytes per example and 15,360
# bytes that do not depend on the batch: the three parameters, and the two `[1, 64]`
# tensors of the variance (`bnvar + 1e-5` and `bnvar_inv`), which are
# one row whatever the batch.
#
# ### As the batch grows
#
# Measure again for batch sizes from 32 to 4,096,
# each time with the hooks and each time by hand:

# %%
sizes = [32 * 2**i for i in range(8)]
measured, predicted, retained = {}, {}, {}
for size in sizes:
    Xs, Ys = sample_batch(Xtr, Ytr, batch_size=size,
                          generator=batch_gen)
    fw_s, log_s = saves_of_forward(params, Xs, Ys)
    fw_s.loss.backward()
    measured[size] = (log_s.total_bytes, log_s.distinct_bytes)
    hand = mlp_saved_by_hand(size)
    predicted[size] = (total_bytes(hand), distinct_bytes(hand))
    retained[size] = sum(t.grad.nbytes for _, t in fw_s.items())
    for p in params:
        p.grad = None
all_agree = measured == predicted
Table(["batch", "saves, measured", "by hand", "memory, measured",
       "by hand", "retained grads"],
      [(size, f"{m[0]:,}", f"{p[0]:,}", f"{m[1]:,}", f"{p[1]:,}",
        f"{retained[size]:,}")
       for (size, m), p in zip(measured.items(), predicted.values())],
      caption="Bytes saved for backward, by batch size")

# %%
import matplotlib.pyplot as plt
from snippets.figures import BLUE, GREEN, ORANGE

fig, ax = plt.subplots()
ax.plot(sizes, [measured[s][0] for s in sizes], "o-", color=BLUE,
        label="every save (hooks)")
ax.plot(sizes, [measured[s][1] for s in sizes], "s-", color=ORANGE,
        label="memory behind the saves (hooks)")
ax.plot(sizes, [predicted[s][1] for s in sizes], "k+", markersize=12,
        label="memory, by hand from the shapes")
ax.plot(sizes, [retained[s] for s in sizes], "^--", color=GREEN,
        label="gradients kept by retain_grad()")
ax.axhline(param_bytes, color=GREEN, linestyle=":",
           label="parameters among the saves")
ax.set_xscale("log", base=2)
ax.set_yscale("log")
ax.set_xticks(sizes, [str(s) for s in sizes])
ax.set_ylim(5e3, 1e9)                      # room for the legend
ax.set_xlabel("batch size n")
ax.set_ylabel("bytes")
ax.set_title("What the MLP's forward pass keeps for backward")
ax.legend(loc="upper left")

# %% [markdown]
# Hooks and hand agree at every size: `"all" if all_agree else "not all"`
# 8 of them. The memory is the fixed part plus so much per example, so on
# the log axes the lines bend towards a slope of one: from 32 to
# 64 examples the memory grows by a factor of
# 1.71, from 2,048 to
# 4,096 by 1.99. At
# 4,096 it is 1,164 bytes per example,
# and the fixed part has become a rounding error. At
# 32 examples the parameters are
# 28 per cent of the memory; at
# 4,096, 0.3 per cent.
# For this network, then, what backward needs is almost all activations, and the batch
# size, not the parameter count, decides how much of it there is.
#
# ## What `retain_grad()` adds
#
# `snippets.makemore.forward` calls `retain_grad()` on every intermediate, so that the
# pages can compare each intermediate's gradient. It saves nothing more for backward:

# %%
_, plain_log = saves_of_forward(params, Xb, Yb, retain_grads=False)
print("saves with retain_grad:", len(log.saved), log.total_bytes,
      "bytes;  without:", len(plain_log.saved),
      plain_log.total_bytes, "bytes")
grad_bytes_32 = retained[32]
inter_bytes_32 = sum(t.nbytes for _, t in fw.items())

# %% [markdown]
# What it adds is gradients. As backward passes a retained intermediate, a hook copies its
# gradient into its `.grad`, a tensor of its own shape, and the copy stays after backward,
# where backward would otherwise have dropped each gradient as soon as the next step down
# had used it. That is as many bytes as the intermediates themselves,
# 75,268 at a batch of 32 (the intermediates are
# 75,268), and it grows with the batch just like the saves (the dashed
# green line above). Fine for checking a page's gradients, a waste in a training loop: the autograd run of
# the [training page](https://backprop-by-hand.github.io/mlp/training/#two-runs-step-for-step) passes
# `retain_grads=False` and keeps only the parameters' gradients.
#
# ## Autograd lets go as it goes
#
# The learner's guess was that autograd frees each saved tensor as soon as it no longer
# needs it. `SavedLog` hands autograd a small wrapper for each saved tensor and notes when
# backward reads it and when autograd drops the wrapper:

# %%
fw.loss.backward()
reads = [i for kind, i in log.events if kind == "read"]
drops = [i for kind, i in log.events if kind == "freed"]
read_once = sorted(reads) == list(range(len(log.saved)))
dropped_once = sorted(drops) == list(range(len(log.saved)))
# each run of reads (one node) is followed by drops of the same saves
runs = [[log.events[0]]]
for event in log.events[1:]:
    if event[0] == runs[-1][-1][0]:
        runs[-1].append(event)
    else:
        runs.append([event])
node_by_node = all(
    {i for _, i in read_run} == {i for _, i in drop_run}
    for read_run, drop_run in zip(runs[::2], runs[1::2]))
first = [f"{kind} {log.saved[i].name or '(no name)'}"
         for kind, i in log.events[:6]]
print("first events:", ", ".join(first))
print("reads:", len(reads), " drops:", len(drops))

# %% [markdown]
# Every save is read `"once" if read_once else "not exactly once"`
# and dropped `"once" if dropped_once else "not exactly once"`, and
# `"each node's drops come straight after its reads" if node_by_node else "the drops do not always follow their node's reads"`:
# the node runs, then autograd releases what it saved, before the next node runs. The guess
# is right. That release is also why a second `backward()` through the same graph fails,
# as the [knobs page](https://backprop-by-hand.github.io/knobs/#what-backward-needs) showed, unless the first was called
# with `retain_graph=True`, which keeps every save. One caveat: releasing is
# autograd letting go of *its* reference. The memory comes back only if nothing else holds
# the tensor, and here the `fw` object still holds every intermediate. In a training loop
# where the intermediates are local names that go away, autograd's release is the last one.
#
# ## A hand-written backward that lets go too
#
# A hand-written backward can do the same: keep, from the forward pass, only what its rules
# read, and drop each tensor after its last use. The walk below is the one of
# [Every intermediate](https://backprop-by-hand.github.io/mlp/every-intermediate/), written with the rule helpers of
# `snippets.rules`; `kept.last_use(name)` reads a tensor for the last time and lets go of it.
# The parameters are read from `params`; they live on anyway.

# %%
from snippets.compare import compare_grads
from snippets.makemore import BLOCK_SIZE, N_EMBD, N_HIDDEN
from snippets.makemore import VOCAB_SIZE as V

H = N_HIDDEN
kept = Kept({"Xb": Xb, "Yb": Yb, **{name: getattr(fw, name) for name
             in ("embcat", "bndiff", "bnvar", "bnvar_inv", "bnraw",
                 "h", "logits", "counts", "counts_sum",
                 "counts_sum_inv", "probs")}})
with torch.no_grad():
    # loss = -logprobs[range(n), Yb].mean()
    grad_logprobs = torch.zeros(n, V)
    grad_logprobs[range(n), kept.last_use("Yb")] = -1 / n
    # logprobs = probs.log()
    grad_probs = rules.log_backward(grad_logprobs,
                                    kept.last_use("probs"))
    # probs = counts * counts_sum_inv
    grad_counts_sum_inv = (grad_probs * kept["counts"]).sum(
        1, keepdim=True)
    grad_counts = grad_probs * kept.last_use("counts_sum_inv")
    # counts_sum_inv = counts_sum**-1
    grad_counts_sum = rules.reciprocal_backward(
        grad_counts_sum_inv, kept.last_use("counts_sum"))
    # counts_sum = counts.sum(1, keepdim=True)
    grad_counts = grad_counts + rules.sum_backward(
        grad_counts_sum, (n, V), 1, keepdim=True)
    # counts = norm_logits.exp()
    grad_norm_logits = rules.exp_backward(grad_counts,
                                          kept.last_use("counts"))
    # norm_logits = logits - logit_maxes
    grad_logit_maxes = rules.unbroadcast(-grad_norm_logits, (n, 1))
    # logit_maxes = logits.max(1, keepdim=True).values
    grad_logits = grad_norm_logits + rules.max_backward(
        grad_logit_maxes, kept.last_use("logits"), 1, keepdim=True)
    # logits = h @ W2 + b2
    grad_h, grad_W2, grad_b2 = rules.linear_backward(
        grad_logits, kept["h"], params.W2)
    # h = tanh(hpreact)
    grad_hpreact = rules.tanh_backward(grad_h, kept.last_use("h"))
    # hpreact = bngain * bnraw + bnbias
    grad_bnraw = grad_hpreact * params.bngain
    grad_bnbias = rules.unbroadcast(grad_hpreact, (1, H))
    grad_bngain = rules.unbroadcast(
        grad_hpreact * kept.last_use("bnraw"), (1, H))
    # bnraw = bndiff * bnvar_inv
    grad_bnvar_inv = rules.unbroadcast(grad_bnraw * kept["bndiff"],
                                       (1, H))
    grad_bndiff = grad_bnraw * kept.last_use("bnvar_inv")
    # bnvar_inv = (bnvar + 1e-5)**-0.5
    grad_bnvar = rules.pow_backward(
        grad_bnvar_inv, kept.last_use("bnvar") + 1e-5, -0.5)
    # bnvar = 1 / (n - 1) * bndiff2.sum(0, keepdim=True)
    grad_bndiff2 = rules.sum_backward(1 / (n - 1) * grad_bnvar,
                                      (n, H), 0, keepdim=True)
    # bndiff2 = bndiff**2
    grad_bndiff = grad_bndiff + rules.pow_backward(
        grad_bndiff2, kept.last_use("bndiff"), 2)
    # bndiff = hprebn - bnmeani
    grad_bnmeani = rules.unbroadcast(-grad_bndiff, (1, H))
    # bnmeani = 1 / n * hprebn.sum(0, keepdim=True)
    grad_hprebn = grad_bndiff + rules.sum_backward(
        1 / n * grad_bnmeani, (n, H), 0, keepdim=True)
    # hprebn = embcat @ W1 + b1
    grad_embcat, grad_W1, grad_b1 = rules.linear_backward(
        grad_hprebn, kept.last_use("embcat"), params.W1)
    # embcat = emb.view(n, -1)
    grad_emb = grad_embcat.view(n, BLOCK_SIZE, N_EMBD)
    # emb = C[Xb]
    grad_C = rules.embedding_backward(grad_emb, kept.last_use("Xb"),
                                      V)

hand_grads = {name: value for name, value in locals().items()
              if name.startswith("grad_") and value is not None
              and name.removeprefix("grad_") in
              {*INTERMEDIATES, *dict(params.items())}}
autograd = {**dict(fw.items()), **dict(params.items())}
pairs = {}
for name, value in hand_grads.items():
    tensor = name.removeprefix("grad_")
    pairs[tensor] = (value, autograd[tensor].grad)
walk_table = compare_grads(pairs, caption="The letting-go walk")
print(len(walk_table), "gradients, all close:", walk_table.all_close)
print("let go, in order:", ", ".join(kept.freed))

# %% [markdown]
# All 26 gradients are close to autograd's (the
# [why the bits differ](https://backprop-by-hand.github.io/beyond/why-the-bits-differ/) explains which are bit-exact, and why). The walk started with
# 40,576 bytes and ended with none, letting go of
# 13 tensors in the order printed. It starts
# 2,944 bytes heavier than
# autograd's 37,632 bytes without the parameters:
# `rules.max_backward` reads all of `logits`, 3,456 bytes, where
# autograd kept only the 32 positions of the maxima
# (256 bytes), and the walk needs no tensor for `range(n)`
# (256 bytes more that autograd keeps). Side by side, each curve drawn over
# its own steps:

# %%
held_no_params = log.held_during_backward(
    leave_out=("W1", "W2", "bngain"))

fig, ax = plt.subplots()
steps_a = [i / (len(held_no_params) - 1)
           for i in range(len(held_no_params))]
steps_h = [i / (len(kept.held) - 1) for i in range(len(kept.held))]
ax.step(steps_a, [b / 1024 for b in held_no_params], where="post",
        color=BLUE, label="autograd's saves (without parameters)")
ax.step(steps_h, [b / 1024 for b in kept.held], where="post",
        color=ORANGE, label="the hand-written walk's kept tensors")
ax.set_xticks([0, 1], ["loss (start of backward)", "C (end)"])
ax.set_ylabel("KiB still held")
ax.set_title("Letting go during backward, batch of 32")
ax.legend(loc="lower left")

# %% [markdown]
# What the last lines of the forward pass kept goes first, and what the first layer
# kept stays longest: backward walks the forward pass in reverse, so
# memory is at its highest the moment backward starts.
#
# > **The rule to remember**
# >
# > A node keeps what its local derivative is written in (its input, its output, the
# > other factor, or only indices and shapes) and lets go of it as soon as its backward
# > has run. No backward step needs the final output's value as a value.
#
# ## Exercise
#
# The training page uses a wider hidden layer. Before running anything, predict the bytes the first layer and its tanh keep, `torch.tanh(embcat @ W1)`
# for `embcat` `[512, 30]` and `W1` `[30, 200]`, both requiring gradients. Then measure it.
#
# **Solution**
#
# The matrix multiply keeps both factors, four bytes per number,
# $512 \cdot 30 \cdot 4 + 30 \cdot 200 \cdot 4 = 85{,}440$ bytes, and
# tanh keeps its output, `[512, 200]`,
# $512 \cdot 200 \cdot 4 = 409{,}600$ bytes: in all
# 495,040. The output of the multiply itself is not kept by anyone: tanh
# wanted its own output, not its input.

# %%
ex_mm = 512 * 30 * 4 + 30 * 200 * 4
ex_tanh = 512 * 200 * 4
ex_total = ex_mm + ex_tanh

embcat_x = torch.randn(512, 30, generator=gen, requires_grad=True)
W1_x = torch.randn(30, 200, generator=gen, requires_grad=True)
with SavedLog() as ex_log:
    torch.tanh(embcat_x @ W1_x)
print("predicted:", ex_total, "  measured:", ex_log.total_bytes)
assert ex_log.total_bytes == ex_total

# %%
# Every number the text above states, checked against what the code computed (as
# the site's build checks them). Lines are the page's own.
from pagecheck.notebook import check_page

check_page(globals(), [
    (31, 'a_value', '2'),
    (103, 'spoiled["d"]', '24,576'),
    (241, 'saves["x.sum(0)"].total_bytes', '0'),
    (276, 'len(INTERMEDIATES)', '20'),
    (277, 'BATCH_SIZE', '32'),
    (301, 'len(log.saved)', '20'),
    (301, 'log.total_bytes', '72,320'),
    (306, 'log.distinct_bytes', '52,480'),
    (342, 'param_bytes', '14,848'),
    (357, 'memory_formula', '1160n + 15360'),
    (360, 'per_example', '1,160'),
    (360, 'fixed_bytes', '15,360'),
    (367, 'sizes[0]', '32'),
    (367, 'sizes[-1]', '4,096'),
    (419, 'len(sizes)', '8'),
    (420, 'sizes[0]', '32'),
    (421, 'sizes[1]', '64'),
    (422, 'measured[64][1] / measured[32][1]', '1.71'),
    (422, 'sizes[-2]', '2,048'),
    (423, 'sizes[-1]', '4,096'),
    (423, 'measured[4096][1] / measured[2048][1]', '1.99'),
    (424, 'sizes[-1]', '4,096'),
    (424, 'measured[4096][1] / 4096', '1,164'),
    (426, 'sizes[0]', '32'),
    (427, '100 * param_bytes / measured[32][1]', '28'),
    (428, 'sizes[-1]', '4,096'),
    (428, '100 * param_bytes / measured[4096][1]', '0.3'),
    (450, 'grad_bytes_32', '75,268'),
    (450, 'n', '32'),
    (451, 'inter_bytes_32', '75,268'),
    (589, 'len(walk_table)', '26'),
    (591, 'kept.held[0]', '40,576'),
    (592, 'len(kept.freed)', '13'),
    (593, 'kept.held[0] - (log.distinct_bytes - param_bytes)', '2,944'),
    (594, 'log.distinct_bytes - param_bytes', '37,632'),
    (595, 'fw.logits.nbytes', '3,456'),
    (596, 'n', '32'),
    (597, 'n * 8', '256'),
    (598, 'n * 8', '256'),
    (638, 'ex_mm', '512 \\cdot 30 \\cdot 4 + 30 \\cdot 200 \\cdot 4'),
    (638, 'ex_mm', '85{,}440'),
    (640, 'ex_tanh', '512 \\cdot 200 \\cdot 4'),
    (640, 'ex_tanh', '409{,}600'),
    (641, 'ex_total', '495,040'),
], [
    (63, '"nowhere" if not chain.has(d) else "somewhere"'),
    (64, '", ".join(sorted(map(str, chain_abc.free_symbols)))'),
    (101, '", ".join(needed)'),
    (124, '"refuses" if exp_refuses else "does not refuse"'),
    (338, '"agree save for save" if same_tensors else "do not agree"'),
    (418, '"all" if all_agree else "not all"'),
    (484, '"once" if read_once else "not exactly once"'),
    (485, '"once" if dropped_once else "not exactly once"'),
    (486, '"each node\'s drops come straight after its reads" if node_by_node else "the drops do not always follow their node\'s reads"'),
])
