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
# *This notebook is the page [A scalar engine](https://backprop-by-hand.github.io/autograd/scalar-engine/) of Backprop by Hand, cell for cell. Run it from the top: the first cell sets up what the page needs, the last one checks every number the text states against what the code computed.*

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
# # A scalar engine
#
# > **The question**
# >
# > By now I can write every backward pass of the makemore network by hand. But
# > `loss.backward()` does it for any code I write, without being told the rules of my
# > network. How? What does it record while the forward pass runs, in which order does it
# > walk back, and why do my gradients double when I call it twice?
#
# An autograd engine needs surprisingly little: each number must remember which numbers it
# was made from, and how to pass a gradient back to them. The smallest version works on
# single numbers, as [micrograd](https://github.com/karpathy/micrograd) does. It lives in
# `snippets/engine.py`: a class `Value` that holds a number, its gradient, its inputs and a
# closure, plus a function that orders the graph. This page builds it up, runs the knobs
# machine through it, breaks it on purpose twice, and checks it against PyTorch.
#
# ## Every operation records its backward closure
#
# Adding and multiplying, as the engine writes them. Each operation computes its output, then
# defines `_backward`, which knows the operation's local derivatives: it passes the output's
# gradient on to each input, multiplied by that input's local derivative.
#
# ```python
# def __add__(self, other: Value | float) -> Value:
#     other = other if isinstance(other, Value) else Value(other)
#     out = Value(self.data + other.data, (self, other), "+")
#
#     def _backward() -> None:  # d(a + b)/da = 1, d(a + b)/db = 1
#         self.grad += out.grad
#         other.grad += out.grad
#
#     out._backward = _backward
#     return out
#
# def __mul__(self, other: Value | float) -> Value:
#     other = other if isinstance(other, Value) else Value(other)
#     out = Value(self.data * other.data, (self, other), "*")
#
#     def _backward() -> None:  # d(a b)/da = b, d(a b)/db = a
#         self.grad += other.data * out.grad
#         other.grad += self.data * out.grad
#
#     out._backward = _backward
#     return out
# ```
#
# `pow` (with a plain number as exponent), `tanh` and `exp` are written the same way. Negation,
# subtraction and division are built from them (`a - b` is `a + (-1) * b`, `a / b` is
# `a * b**-1`), so they need no closures of their own. The backward pass calls the closures
# from the output back to the inputs:
#
# ```python
# def backward(self) -> None:
#     """d self / d v into every v.grad. Leaves (values made by no operation) add to what
#     they hold, as torch's leaves do; every other value starts again from zero, as if
#     the forward pass had just made it."""
#     order = topological_order(self)
#     for value in order:
#         if value._inputs:
#             value.grad = 0.0
#     self.grad = 1.0
#     for value in reversed(order):
#         value._backward()
# ```
#
# The

# %%
import math

import sympy as sp
import torch

from snippets.engine import Value, leaves, topological_order

As, Bs, Cs, Xs = sp.symbols("a b c x")

a = Value(2.0, label="a")
b = a**2
c = b**3
d = c**2
d.backward()
for knob in (a, b, c, d):
    print(knob)


# %% [markdown]
# The same $\bar{a} = 24{,}576$ as the power rule and the chain rule gave,
# and each knob's gradient on the way: $\bar{c} = 128$,
# $\bar{b} = 6{,}144$. The engine made 4
# values and ran three closures: `d`'s passed $\bar{d} \cdot 2c$ to `c`,
# `c`'s passed $\bar{c} \cdot 3b^2$ to `b`, `b`'s passed
# $\bar{b} \cdot 2a$ to `a`. Each closure used a
# value the forward pass left in it (`self.data`), never the output it feeds.
#
# ## Why every closure adds: a value used twice
#
# In $y = x \cdot x$ both inputs of the multiplication are the same `Value`. The closure of
# `*` runs once and passes a gradient to `self` and to `other`, which are the same object: it
# must add the second to the first. The same closures written with `=`:

# %%
def mul_assigning(p, q):
    """a * b whose closure assigns where the engine's adds."""
    out = Value(p.data * q.data, (p, q), "*")

    def _backward():
        p.grad = q.data * out.grad   # = for +=
        q.grad = p.data * out.grad

    out._backward = _backward
    return out


def add_assigning(p, q):
    out = Value(p.data + q.data, (p, q), "+")

    def _backward():
        p.grad = out.grad
        q.grad = out.grad

    out._backward = _backward
    return out


x = Value(3.0)
mul_assigning(x, x).backward()
squared_assigned = x.grad
x = Value(3.0)
(x * x).backward()
squared_added = x.grad

s = Value(3.0)
add_assigning(s, s).backward()
doubled_assigned = s.grad
s = Value(3.0)
(s + s).backward()
doubled_added = s.grad
print(f"y = x * x at x = 3:  with = {squared_assigned},"
      f"  with += {squared_added}")
print(f"b = a + a:  with = {doubled_assigned},"
      f"  with += {doubled_added}")


# %% [markdown]
# With `=`, the second assignment overwrites the first: $\frac{dy}{dx}$ comes out as
# 3 instead of $2x = 6$, and $a + a$ has
# derivative 1 instead of 2. This is the
# rule of [a tensor used twice](https://backprop-by-hand.github.io/rules/elementwise/#reuse-a-tensor-used-twice): a value
# reaches the loss along several paths, and its gradient is the sum over the paths. `+=` is
# that sum, collected one path at a time. It is also why the engine's leaves keep adding up
# across calls (below), and why `grad` starts at zero.
#
# ## Why a topological order: a value that is shared
#
# A closure may only run once its output's gradient is complete, that is, once every value
# made *from* that output has passed its share back. A plain recursion does not wait: it
# calls a value's closure, then recurses into each input, so a value used twice has its
# closure run twice, each time passing on the whole gradient it holds by then.

# %%
def backward_by_recursion(value):
    """No order: a closure runs once per path that reaches it."""
    value._backward()
    for child in value._inputs:
        backward_by_recursion(child)


r = Value(1.0)
r_b = r + r
r_c = r_b + r_b
r_c.grad = 1.0
backward_by_recursion(r_c)
recursion_grad = r.grad

t = Value(1.0)
t_b = t + t
t_c = t_b + t_b
t_c.backward()
ordered_grad = t.grad
print(f"b = a + a, c = b + b:  recursion {recursion_grad},  "
      f"topological order {ordered_grad}")

# %% [markdown]
# $c = b + b = (a + a) + (a + a)$, so $\frac{dc}{da} = 4$. The recursion gets
# 8: it enters `b` once per use, and the second visit passes `b`'s
# whole gradient on again. The topological order puts every value after the values it was
# made from (the engine's `topological_order` is a depth-first walk that skips what it has
# seen), so walking it backwards reaches each value once, after all of its users:
#
# ```python
# def topological_order(root: Value) -> list[Value]:
#     """Every value ``root`` was made from, each once, each after all its inputs."""
#     order: list[Value] = []
#     seen: set[int] = set()
#
#     def visit(value: Value) -> None:
#         if id(value) in seen:
#             return
#         seen.add(id(value))
#         for child in value._inputs:
#             visit(child)
#         order.append(value)
#
#     visit(root)
#     return order
# ```
#
# ## Calling backward twice
#
# Nothing in the graph changes between two calls, so a second `backward()` computes the same
# gradients again. Where do they go? The engine resets every value that an operation made,
# but its leaves (values nobody made: inputs, parameters, constants) keep adding up, as
# PyTorch's leaves do:

# %%
k = Value(2.0)
k_d = ((k**2) ** 3) ** 2
k_d.backward()
first_grad = k.grad
k_d.backward()
second_grad = k.grad

w = torch.tensor(2.0, requires_grad=True)
loss_t = ((w**2) ** 3) ** 2
loss_t.backward()
try:
    loss_t.backward()
    refused = None
except RuntimeError as error:
    refused = str(error).split(".")[0]
print("engine, after one call and two:", first_grad, second_grad)
print("torch, second call:", refused)

w = torch.tensor(2.0, requires_grad=True)
loss_t = ((w**2) ** 3) ** 2
loss_t.backward(retain_graph=True)
loss_t.backward()
torch_twice = w.grad.item()
print("torch, with retain_graph=True:", torch_twice)

# %% [markdown]
# The engine doubles $\bar{a}$ from 24,576 to
# 49,152. PyTorch refuses the second call: "`refused`". Its
# backward pass frees what the forward pass saved for it (here the inputs of each power) as
# soon as it has used them, because a real network's saved tensors are most of its memory
# ([what autograd keeps](https://backprop-by-hand.github.io/beyond/what-autograd-keeps/) counts them). With
# `retain_graph=True` the first call keeps them, and the second one doubles the leaf's
# gradient to 49,152, as the engine did.
#
# ## Only the parameters need zeroing
#
# A training step runs the forward pass again, and that makes new values: every intermediate
# starts from a zero gradient because it did not exist before. The parameters are the same
# objects from step to step, and their gradients add up unless something sets them to zero.
# Two steps of a one-weight model, without zeroing:

# %%
weight = Value(0.5)
examples = [(1.0, 2.0), (3.0, 5.0)]       # (x, y)
per_step = []
for x_i, y_i in examples:
    before = weight.grad
    step_loss = (weight * x_i - y_i) ** 2
    step_loss.backward()
    per_step.append(weight.grad - before)
print("gradient of each step:", per_step,
      "  held after both:", weight.grad)

# %% [markdown]
# The second step's gradient is -21, but `weight.grad` holds
# -24: the first step's -3 is still in it. That is
# why a training loop sets `p.grad = 0` (or calls `optimizer.zero_grad()`) for every
# parameter, and for nothing else.
#
# ## A constant exponent gets no gradient
#
# In `a**3` the exponent is a plain number, not a `Value`: it has nowhere to put a gradient,
# and `pow`'s closure passes one to `a` alone. Were the exponent a value $b$, its local
# derivative would be $\frac{\partial}{\partial b} a^b = a^b \ln a$. PyTorch computes it
# when the exponent is a tensor that requires a gradient:

# %%
import sympy as sp

base = torch.tensor(2.0, requires_grad=True, dtype=torch.float64)
power = torch.tensor(3.0, requires_grad=True, dtype=torch.float64)
(base**power).backward()
A, B = sp.symbols("a b", positive=True)
exponent_rule = sp.diff(A**B, B)
base_rule = sp.diff(A**B, A)
by_formula = float(exponent_rule.subs({A: 2, B: 3}))
print("torch:", power.grad.item(), "  a**b * ln a:", by_formula)


# %% [markdown]
# $\frac{\partial}{\partial b} a^b = a^b \cdot \ln(a)$: at
# $a = 2$ and $b = 3$ that is
# $8 \ln 2 = 5.545$,
# and the base gets $b a^{b - 1} = 12$, the
# engine's `pow` rule.
#
# ## tanh written with exp overflows
#
# `tanh(x) = (exp(2x) - 1) / (exp(2x) + 1)` is exact mathematics and a bad program. Built
# from the engine's `exp`, it needs `exp(2x)`, which no float holds once $x$ is a few hundred;
# in float32, once $x$ passes about 44:

# %%
def tanh_by_exp(v):
    e = (2 * v).exp()
    return (e - 1) / (e + 1)


try:
    tanh_by_exp(Value(400.0))
    overflow = None
except OverflowError as error:
    overflow = str(error)

big = torch.tensor(100.0)
float32_limit = math.log(torch.finfo(torch.float32).max) / 2
naive32 = ((torch.exp(2 * big) - 1) / (torch.exp(2 * big) + 1)).item()
stable32 = torch.tanh(big).item()
print("engine, x = 400:", overflow)
print("float32, x = 100: by exp", naive32, "  torch.tanh", stable32)
print("engine's tanh at 400:", Value(400.0).tanh().data)
tanh_exp = sp.tanh(Xs).rewrite(sp.exp)             # for the formulas
tanh_local = sp.diff(sp.tanh(Xs), Xs).subs(sp.tanh(Xs), sp.Symbol("h"))

# %% [markdown]
# Python's floats raise ("`overflow`"); float32 gives $\frac{\infty}{\infty}$, which is
# `nan`. A stable tanh never forms the large exponential: for positive $x$ it computes
# $\frac{1 - \exp(-2x)}{1 + \exp(-2x)}$, whose exponential only shrinks.
# `math.tanh` and `torch.tanh` do that, which is why the engine's `tanh` is one operation with
# its own closure, $1 - h^2$ read from the output $h$, rather than a
# formula of `exp`s.
#
# ## torch agrees: a small network, every gradient
#
# A neuron layer of two tanh units on two inputs, one tanh unit on top, and a squared error:
# 11 leaves (two inputs, six weights and three biases). The same
# network in float64 in PyTorch, every leaf's gradient compared:

# %%
from snippets.compare import compare_grads

start = [0.5, -1.5,                  # inputs
         0.3, -0.2, 0.8, 0.1,        # hidden weights (2 x 2)
         0.05, -0.1,                 # hidden biases
         -0.7, 0.4, 0.2]             # output weights and bias


def two_layer(v):
    x1, x2, w11, w12, w21, w22, c1, c2, u1, u2, c0 = v
    h1 = (x1 * w11 + x2 * w12 + c1).tanh()
    h2 = (x1 * w21 + x2 * w22 + c2).tanh()
    out = (h1 * u1 + h2 * u2 + c0).tanh()
    return (out - 0.25) ** 2


values = [Value(s) for s in start]
net_loss = two_layer(values)
net_loss.backward()
net_leaves = [v for v in leaves(net_loss)
              if any(v is x for x in values)]

tensors = [torch.tensor(s, dtype=torch.float64, requires_grad=True)
           for s in start]
two_layer(tensors).backward()
names = ["x1", "x2", "w11", "w12", "w21", "w22", "c1", "c2", "u1", "u2",
         "c0"]
net_table = compare_grads({
    name: (torch.tensor(v.grad, dtype=torch.float64), t.grad)
    for name, v, t in zip(names, values, tensors)
}, caption="The engine against autograd, float64")
net_table


# %% [markdown]
# PyTorch's tensors have `tanh` and the operators, so the same function builds both graphs.
# `"Every leaf's gradient is the same to the last bit" if net_table.all_exact else "Every leaf's gradient agrees, the largest difference " + f"{max(r.max_abs_diff for r in net_table):.1e}"`.
# `tests/test_engine.py` does the same for random expressions (hypothesis draws the trees,
# with leaves used several times), and checks that breaking the engine (a `=` for a `+=`,
# the walk without its order, a wrong local derivative) makes that test fail.
#
# > **The rule to remember**
# >
# > Every operation adds its local derivative times its output's gradient into each
# > input's gradient; the engine runs those closures once each, from the output back, each
# > value after everything made from it.
#
# ## Exercise
#
# Give `Value` a natural logarithm: write `log(v)`, a function that returns a new `Value`
# with its backward closure, in the style of the engine's `exp`. Then check it on
# $L = \ln(ab) + \ln a$ at $a = 2$, $b = 5$ against
# PyTorch.
#
# **Solution**
#
# $\frac{d}{dv} \ln v = \frac{1}{v}$, read from the input, which the closure keeps. Here
# $a$ reaches $L$ along two paths, and the engine adds them:
# $\bar{a} = \frac{1}{a} + \frac{1}{a} = 1$, and
# $\bar{b} = \frac{1}{b} = 0.2$.

# %%
def log(v):
    out = Value(math.log(v.data), (v,), "log")

    def _backward():
        v.grad += out.grad / v.data     # d ln v / dv = 1 / v

    out._backward = _backward
    return out


ex_a, ex_b = Value(2.0), Value(5.0)
ex_loss = log(ex_a * ex_b) + log(ex_a)
ex_loss.backward()
ex_grad_a, ex_grad_b = ex_a.grad, ex_b.grad

ta = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
tb = torch.tensor(5.0, dtype=torch.float64, requires_grad=True)
(torch.log(ta * tb) + torch.log(ta)).backward()
print("engine:", ex_grad_a, ex_grad_b,
      "  torch:", ta.grad.item(), tb.grad.item())
assert math.isclose(ex_grad_a, ta.grad.item())
assert math.isclose(ex_grad_b, tb.grad.item())

# %%
# Every number the text above states, checked against what the code computed (as
# the site's build checks them). Lines are the page's own.
from pagecheck.notebook import check_page

check_page(globals(), [
    (65, 'a.grad', '24{,}576'),
    (66, 'c.grad', '128'),
    (67, 'b.grad', '6{,}144'),
    (67, 'len(topological_order(d))', '4'),
    (68, 'sp.diff(Cs**2, Cs)', '2c'),
    (69, 'sp.diff(Bs**3, Bs)', '3b^2'),
    (70, 'sp.diff(As**2, As)', '2a'),
    (123, 'squared_assigned', '3'),
    (123, 'sp.diff(Xs**2, Xs)', '2x'),
    (123, 'squared_added', '6'),
    (124, 'doubled_assigned', '1'),
    (124, 'doubled_added', '2'),
    (161, 'ordered_grad', '4'),
    (162, 'recursion_grad', '8'),
    (205, 'first_grad', '24,576'),
    (206, 'second_grad', '49,152'),
    (211, 'torch_twice', '49,152'),
    (233, 'per_step[1]', '-21'),
    (234, 'weight.grad', '-24'),
    (234, 'per_step[0]', '-3'),
    (258, 'exponent_rule', 'a^b \\cdot \\ln(a)'),
    (259, 'base.item()', '2'),
    (259, 'power.item()', '3'),
    (260, '(base**power).item()', '8'),
    (260, 'base.item()', '2'),
    (260, 'power.grad.item()', '5.545'),
    (261, 'base_rule', 'b a^{b - 1}'),
    (261, 'base.grad.item()', '12'),
    (268, 'float32_limit', '44'),
    (295, 'tanh_exp', '\\frac{1 - \\exp(-2x)}{1 + \\exp(-2x)}'),
    (297, 'tanh_local', '1 - h^2'),
    (303, 'len(net_leaves)', '11'),
    (357, 'ex_a.data', '2'),
    (357, 'ex_b.data', '5'),
    (365, 'ex_grad_a', '1'),
    (366, 'ex_grad_b', '0.2'),
], [
    (206, 'refused'),
    (293, 'overflow'),
    (342, '"Every leaf\'s gradient is the same to the last bit" if net_table.all_exact else "Every leaf\'s gradient agrees, the largest difference " + f"{max(r.max_abs_diff for r in net_table):.1e}"'),
])
