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
# *This notebook is the page [A tensor engine on the site's rules](https://backprop-by-hand.github.io/autograd/tensor-engine/) of Backprop by Hand, cell for cell. Run it from the top: the first cell sets up what the page needs, the last one checks every number the text states against what the code computed.*

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
# # A tensor engine on the site's rules
#
# > **The question**
# >
# > The scalar engine works one number at a time. My network has tensors of thousands of
# > numbers, and for each operation I derived a rule: de-broadcast, transpose, one-hot,
# > scatter-add. Is autograd just the scalar engine with those rules as its closures? Could
# > my rules run the whole network's backward pass by themselves, and train it?
#
# Yes, and it takes little more code than the [scalar engine](https://backprop-by-hand.github.io/autograd/scalar-engine/).
# `snippets/tensor_engine.py` has a `Tensor` class that holds a torch tensor (`.data`) and
# records, for every operation, a closure. Each closure is one rule of `snippets/rules.py`,
# the functions [the rules for tensors](https://backprop-by-hand.github.io/rules/broadcasting/) derive and test. The
# forward computations are torch's own operations on `.data`, so the forward pass is torch's
# to the bit; the backward pass is the rules'.
#
# ## One rule per operation
#
# Addition broadcasts its inputs, so its closure de-broadcasts: it
# [sums the gradient back](https://backprop-by-hand.github.io/rules/broadcasting/) to each input's shape. The `+=` of the
# scalar engine is `_add_grad`, which adds a second gradient to the first:
#
# ```python
# def __add__(self, other) -> Tensor:
#     other = _tensor(other)
#     out = Tensor(self.data + other.data, (self, other), "+")
#
#     def _backward() -> None:  # each input gets the gradient, summed back to its shape
#         self._add_grad(rules.unbroadcast(out.grad, self.shape))
#         other._add_grad(rules.unbroadcast(out.grad, other.shape))
#
#     out._backward = _backward
#     return out
# ```
#
# Matrix
# to the [copy-back rule](https://backprop-by-hand.github.io/rules/sums-and-means/), and the loss's mean to the same copy,
# divided by the count:
#
# ```python
# def __matmul__(self, other: Tensor) -> Tensor:
#     out = Tensor(self.data @ other.data, (self, other), "@")
#
#     def _backward() -> None:  # the transposes: grad @ b.T and a.T @ grad
#         grad_a, grad_b = rules.matmul_backward(out.grad, self.data, other.data)
#         self._add_grad(grad_a)
#         other._add_grad(grad_b)
#
#     out._backward = _backward
#     return out
#
# def sum(self, dim: int, keepdim: bool = False) -> Tensor:
#     out = Tensor(self.data.sum(dim, keepdim=keepdim), (self,), "sum")
#     out._backward = lambda: self._add_grad(rules.sum_backward(out.grad, self.shape, dim, keepdim))
#     return out
#
# def mean(self) -> Tensor:
#     """The mean of every entry (the makemore loss is the mean of a vector)."""
#     out = Tensor(self.data.mean(), (self,), "mean")
#
#     def _backward() -> None:  # the sum's copies, each divided by the count
#         count = self.data.numel()
#         grad = rules.mean_backward(out.grad.reshape(1), (count,), 0, keepdim=True)
#         self._add_grad(grad.reshape(self.shape))
#
#     out._backward = _backward
#     return out
# ```
#
# The others follow the pattern: `max` keeps a [one-hot](https://backprop-by-hand.github.io/rules/max/), a lookup `C[Xb]`
# [scatter-adds](https://backprop-by-hand.github.io/rules/embedding/), `view` reshapes the gradient back, and `tanh`, `exp`,
# `log` and powers use the [element-wise rules](https://backprop-by-hand.github.io/rules/elementwise/). The backward pass is
# the scalar engine's, with a walk that uses a stack instead of recursion.
#
# ## The makemore forward pass, unchanged
#
# `snippets.makemore.forward` is the function every page of the network section runs. It
# calls `torch.tanh(hpreact)`, a torch function, not a method. A class can take over torch's
# functions for its own objects by defining `__torch_function__`; the engine's answers the
# three the network uses and refuses the rest:
#
# ```python
# @classmethod
# def __torch_function__(cls, func, types, args=(), kwargs=None):
#     methods = {torch.tanh: "tanh", torch.exp: "exp", torch.log: "log"}
#     if func in methods and not kwargs:
#         return getattr(args[0], methods[func])()
#     raise TypeError(f"the tensor engine has no rule for {func.__name__}")
# ```
#
# So the same `forward` runs on the engine's tensors. The parameters are copies of the
# network's, as engine leaves, and the batch is the one every page of the section uses:

# %%
import torch

from snippets.compare import compare_grads
from snippets.makemore import (INTERMEDIATES, SEED, backward_by_hand,
                               forward, init_params, load_words,
                               sample_batch, splits)
from snippets.tensor_engine import Tensor, parameters_of

(Xtr, Ytr), _, _ = splits(load_words())
params = init_params()                 # torch tensors, for autograd
g = torch.Generator().manual_seed(SEED)
Xb, Yb = sample_batch(Xtr, Ytr, generator=g)

engine_params = parameters_of(params)  # the same numbers, engine leaves
ours = forward(engine_params, Xb, Yb)
ours.loss.backward()

theirs = forward(params, Xb, Yb)
theirs.loss.backward()
same_forward = [name for name in INTERMEDIATES
                if torch.equal(getattr(ours, name).data,
                               getattr(theirs, name).detach())]
print("loss, engine:  ", ours.loss.data.item())
print("loss, autograd:", theirs.loss.item())
print("intermediates equal to the bit:", len(same_forward))

# %% [markdown]
# All 20 intermediates, the loss included, are torch's own to the
# last bit: the engine computed them with the same torch operations, and recorded a closure
# beside each.
#
# ## Every gradient, against autograd
#
# One call, `ours.loss.backward()`, walked a graph of 38 tensors: the
# 7 parameters, 3 constants (the numbers
# `1 / n`, `1 / (n - 1)` and `1e-5`, which need no gradient) and 28
# results of operations, each with its closure. Every parameter and every intermediate now
# holds a gradient:

# %%
from snippets.tensor_engine import topological_order

order = topological_order(ours.loss)
leaf_params = [t for t in order if not t._inputs and t.requires_grad]
constants = [t for t in order if not t._inputs and not t.requires_grad]
results = [t for t in order if t._inputs]
names = [name for name, _ in params.items()] + [
    name for name in INTERMEDIATES if name != "loss"]


def grad_of(result, plist, name):
    tensor = getattr(plist, name, None)
    if tensor is None:
        tensor = getattr(result, name)
    return tensor.grad


against_autograd = compare_grads(
    {name: (grad_of(ours, engine_params, name),
            grad_of(theirs, params, name)) for name in names},
    caption="The tensor engine against autograd")
exact_autograd = [r.name for r in against_autograd if r.exact]
against_autograd

# %% [markdown]
# `f"Every one is close; {len(exact_autograd)} of {len(names)} are bit for bit" if len(exact_autograd) < len(names) else "Every one is bit for bit"`.
# The rows that differ in the last bits are the rows of
# [Every intermediate](https://backprop-by-hand.github.io/mlp/every-intermediate/#why-some-rows-are-not-bit-exact) that
# differ: the engine computes each gradient with the formula the page writes by hand, and
# autograd with its own compiled kernels, which round at other places
# ([why the bits differ](https://backprop-by-hand.github.io/beyond/why-the-bits-differ/)).
#
# ## Against the hand-written pass
#
# The engine runs the rules; the hand-written pass of
# [Every intermediate](https://backprop-by-hand.github.io/mlp/every-intermediate/) writes the same derivations as one line
# each. Its lines are gathered in `snippets.makemore.backward_by_hand`:

# %%
by_hand = backward_by_hand(params, theirs, Xb, Yb)
against_hand = compare_grads(
    {name: (grad_of(ours, engine_params, name), by_hand[name])
     for name in names},
    caption="The tensor engine against the hand-written pass")
exact_hand = [r.name for r in against_hand if r.exact]
differ_hand = [r.name for r in against_hand if not r.exact]
print(f"bit for bit: {len(exact_hand)} of {len(names)}")
print("differ:", ", ".join(differ_hand) or "none")

# %% [markdown]
# `len(exact_hand)` of the 26 gradients are bit for bit.
# `f"The others ({', '.join(differ_hand)}) write one derivative in two orders of arithmetic, which float32 rounds differently; both are the rule." if differ_hand else "The engine and the page do the same arithmetic in the same order, one rule per line, so even float32 rounds them alike: the engine is the hand-written pass, run by a walk over the graph instead of by a reader."`
# The two passes also add a tensor's two paths in the same order (first the path the walk
# reaches first), which is what `+=` on the page and `_add_grad` in the engine do.
#
# ## Training on the engine
#
# If the engine's gradients are right, the network trains on them as it does on autograd's.
# Two copies of the network start from the same parameters and see the same batches, one
# updated with the engine's gradients, one with autograd's, for 200 steps at
# learning rate 0.1:

# %%
STEPS, LR = 200, 0.1

engine_net = parameters_of(init_params())
autograd_net = init_params()
g_engine = torch.Generator().manual_seed(SEED)
g_autograd = torch.Generator().manual_seed(SEED)
engine_losses, autograd_losses = [], []
for step in range(STEPS):
    Xe, Ye = sample_batch(Xtr, Ytr, generator=g_engine)
    loss_e = forward(engine_net, Xe, Ye, retain_grads=False).loss
    loss_e.backward()
    for p in engine_net:
        p.data -= LR * p.grad
        p.grad = None
    engine_losses.append(loss_e.data.item())

    Xa, Ya = sample_batch(Xtr, Ytr, generator=g_autograd)
    loss_a = forward(autograd_net, Xa, Ya, retain_grads=False).loss
    loss_a.backward()
    with torch.no_grad():
        for p in autograd_net:
            p -= LR * p.grad
            p.grad = None
    autograd_losses.append(loss_a.item())

loss_gap = max(abs(e - a)
               for e, a in zip(engine_losses, autograd_losses))
print(f"step 1:   engine {engine_losses[0]:.4f}  autograd "
      f"{autograd_losses[0]:.4f}")
print(f"step {STEPS}: engine {engine_losses[-1]:.4f}  autograd "
      f"{autograd_losses[-1]:.4f}")
print(f"largest difference over the run: {loss_gap:.1e}")

# %%
import matplotlib.pyplot as plt

from snippets.figures import BLUE, ORANGE

fig, ax = plt.subplots(figsize=(6.4, 3.2))
steps = range(1, STEPS + 1)
ax.plot(steps, autograd_losses, color=BLUE, label="autograd")
ax.plot(steps, engine_losses, color=ORANGE, linestyle="--",
        label="the engine")
ax.set_xlabel("step")
ax.set_ylabel("loss of the batch")
ax.legend()
ax.set_title("Training on the engine's gradients and on autograd's")


# %% [markdown]
# The loss falls from 3.47 to about
# 2.6 (the mean of the last twenty steps) on both, and
# the two runs never differ by more than `f"{loss_gap:.1e}"` over the
# 200 steps. The first loss is the same to the bit; afterwards the last-bit
# differences of the gradients above move the parameters by a few float32 steps, and the runs
# drift apart by about that much, not more.
#
# > **The rule to remember**
# >
# > Autograd is the scalar engine with a tensor rule in each closure: record the operation
# > on the way forward, run its rule on the way back, add when a tensor is used twice.
#
# ## Exercise
#
# The engine has no rule for `torch.sigmoid`. Add one: a function `sigmoid(t)` that returns
# a new `Tensor` whose closure uses the sigmoid's derivative, `s * (1 - s)`, read from the
# output `s`. Check it on
# $L = \sum \sigma(x W)$ for a random `x` of shape
# [4, 3] and `W` of shape [3, 2], against
# autograd.
#
# **Solution**
#
# The output `s` is all the closure needs: the input's gradient is `grad * s * (1 - s)`,
# entry by entry.
# The sum's rule copies the loss's gradient to every entry, the sigmoid's multiplies, and the
# matmul's transposes take it to `x` and `W`:

# %%
def sigmoid(t):
    out = Tensor(torch.sigmoid(t.data), (t,), "sigmoid")

    def _backward():
        s = out.data
        t._add_grad(out.grad * s * (1 - s))

    out._backward = _backward
    return out


gen = torch.Generator().manual_seed(0)
ex_x = torch.randn(4, 3, generator=gen)
ex_W = torch.randn(3, 2, generator=gen)

x_e = Tensor(ex_x, requires_grad=True)
W_e = Tensor(ex_W, requires_grad=True)
sigmoid(x_e @ W_e).sum(0).sum(0).backward()

x_t = ex_x.clone().requires_grad_(True)
W_t = ex_W.clone().requires_grad_(True)
torch.sigmoid(x_t @ W_t).sum().backward()
ex_table = compare_grads({"x": (x_e.grad, x_t.grad),
                          "W": (W_e.grad, W_t.grad)},
                         caption="sigmoid, engine against autograd")
ex_table

# %%
# Every number the text above states, checked against what the code computed (as
# the site's build checks them). Lines are the page's own.
from pagecheck.notebook import check_page

check_page(globals(), [
    (89, 'len(same_forward)', '20'),
    (95, 'len(order)', '38'),
    (96, 'len(leaf_params)', '7'),
    (96, 'len(constants)', '3'),
    (97, 'len(results)', '28'),
    (152, 'len(names)', '26'),
    (161, 'STEPS', '200'),
    (162, 'LR', '0.1'),
    (215, 'engine_losses[0]', '3.47'),
    (216, 'sum(engine_losses[-20:]) / 20', '2.6'),
    (218, 'STEPS', '200'),
    (233, 'list(ex_x.shape)', '[4, 3]'),
    (233, 'list(ex_W.shape)', '[3, 2]'),
], [
    (127, 'f"Every one is close; {len(exact_autograd)} of {len(names)} are bit for bit" if len(exact_autograd) < len(names) else "Every one is bit for bit"'),
    (152, 'len(exact_hand)'),
    (153, 'f"The others ({\', \'.join(differ_hand)}) write one derivative in two orders of arithmetic, which float32 rounds differently; both are the rule." if differ_hand else "The engine and the page do the same arithmetic in the same order, one rule per line, so even float32 rounds them alike: the engine is the hand-written pass, run by a walk over the graph instead of by a reader."'),
    (217, 'f"{loss_gap:.1e}"'),
])
