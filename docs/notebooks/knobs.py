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
# *This notebook is the page [Knobs: the chain rule as a machine](https://backprop-by-hand.github.io/knobs/) of Backprop by Hand, cell for cell. Run it from the top: the first cell sets up what the page needs, the last one checks every number the text states against what the code computed.*

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
# # Knobs: the chain rule as a machine
#
# > **The question**
# >
# > I have a machine with four knobs in a row. I may turn only the first one. If I turn it
# > a little, how much does the last one move? And when PyTorch runs `backward()`, which of
# > the knobs' values does it actually need?
#
# The machine is a chain of three functions. Knob `a` is the input; each later knob shows
# the value of its own function, $f_1$, $f_2$ or $f_3$, applied to the knob before it:
#
# $$
# b = f_1(a) = a^2, \qquad c = f_2(b) = b^3, \qquad d = f_3(c) = c^2.
# $$
#
# The whole machine is one function $f$, the three applied in turn:
# $d = f(a) = f_3(f_2(f_1(a)))$. The letters $a$, $b$, $c$, $d$ name the knobs' values; the
# $f$s name what the knobs do. We set $a$ to 2 and ask for $f'(a)$: how fast $d$
# moves per unit turn of $a$.
#
# ## The forward pass
#
# Set the first knob and read the others off, left to right.

# %%
a = 2
b = a**2  # the b knob squares its input
c = b**3  # the c knob cubes its input
d = c**2  # the d knob squares its input

print(f"a = {a}   b = {b}   c = {c}   d = {d}")

# %% [markdown]
# So the knobs read $a = 2$, $b = 4$, $c = 64$ and
# $d = 4{,}096$.
#
# ## The derivative in one go: the power rule
#
# Substitute each knob into the next and the machine collapses into a single power of $a$:
#
# $$
# f(a) = \left(\left(a^{ 2 }\right)^{ 3 }\right)^{ 2 } = a^{12},
# \qquad
# f'(a) = 12a^{11}.
# $$
#
# At our setting that is $f'(2) = 12 \cdot 2^{11} = 24{,}576$.
# Sympy does the same algebra, so the formulas above are checked, not just typed:

# %%
import sympy as sp

A, B, C = sp.symbols("a b c")
b_rule = A**2
c_rule = B**3
d_rule = C**2

f_rule = d_rule.subs(C, c_rule.subs(B, b_rule))  # f3(f2(f1(a)))
f_prime_rule = sp.diff(f_rule, A)
f_prime_at_a = f_prime_rule.subs(A, a)

print("f(a)  =", f_rule)
print("f'(a) =", f_prime_rule)
print("f'(2) =", f_prime_at_a)

# %% [markdown]
# > **What the number means**
# >
# > Turn $a$ up by a tiny $h$ and $d$ goes up by about $24{,}576 \times h$.
# > A gradient is a rate: output change per unit of input change, right here at $a = 2$.
# > The nudge section below measures it.
#
# ## The derivative knob by knob: the chain rule
#
# Now forget the collapsed formula and walk back through the machine one knob at a time.
# The *gradient of a knob* is how much $d$ moves per unit turn of that knob, with every knob
# before it held still. Write it $\bar{x}$ for knob $x$, so $\bar{x} = \partial d / \partial x$.
#
# The last knob moves one-for-one with itself: $\bar{d} = 1$.
#
# Each earlier knob's gradient is the next knob's gradient times the local derivative of the
# next knob's function, evaluated at **this** knob's value from the forward pass:
#
# $$
# \begin{aligned}
# \bar{c} &= \bar{d} \cdot \frac{\partial d}{\partial c} = \bar{d} \cdot 2c = 1 \cdot 2 \cdot 64 = 128, \\
# \bar{b} &= \bar{c} \cdot \frac{\partial c}{\partial b} = \bar{c} \cdot 3b^2 = 128 \cdot 3 \cdot 4^2 = 6{,}144, \\
# \bar{a} &= \bar{b} \cdot \frac{\partial b}{\partial a} = \bar{b} \cdot 2a = 6{,}144 \cdot 2 \cdot 2 = 24{,}576.
# \end{aligned}
# $$
#
# The same number as the power rule, reached without ever writing $a^{ 12 }$.
#
# ## The backward pass by hand
#
# One line per knob, right to left. No autograd, only plain Python integers, so every
# product is exact.

# %%
grad_d = 1                   # d moves one-for-one with itself
grad_c = grad_d * (2 * c)    # d = c**2  ->  dd/dc = 2c
grad_b = grad_c * (3 * b**2) # c = b**3  ->  dc/db = 3b^2
grad_a = grad_b * (2 * a)    # b = a**2  ->  db/da = 2a

print(f"grad_d = {grad_d}   grad_c = {grad_c}")
print(f"grad_b = {grad_b}   grad_a = {grad_a}")

# %% [markdown]
# | knob | forward value | gradient |
# | --- | --- | --- |
# | `a` | 2 | 24,576 |
# | `b` | 4 | 6,144 |
# | `c` | 64 | 128 |
# | `d` | 4,096 | 1 |
#
# ## torch agrees
#
# Build the same machine out of tensors and let autograd walk it. `b`, `c` and `d` are not
# leaves (they are computed from `a`), so PyTorch frees their gradients unless we ask it to
# keep them with `retain_grad()` ([One weight](https://backprop-by-hand.github.io/one-weight/#torch-agrees) says why).
# The table compares each hand-written gradient with autograd's: *exact* means bit for bit,
# *close* means within `torch.allclose`'s tolerance, and the last column is the largest
# difference.

# %%
import torch
from snippets.compare import compare_grads

a_t = torch.tensor(2.0, requires_grad=True)
b_t = a_t**2
c_t = b_t**3
d_t = c_t**2
for knob in (b_t, c_t, d_t):
    knob.retain_grad()
d_t.backward()

compare_grads({
    "a": (grad_a, a_t.grad),
    "b": (grad_b, b_t.grad),
    "c": (grad_c, c_t.grad),
    "d": (grad_d, d_t.grad),
})

# %% [markdown]
# Every row is bit-for-bit equal: every value here is a small integer, which float32 holds
# exactly.
#
# Autograd's own graph, drawn from the tensors above: each box is a knob with the value it
# had on the forward pass and, below it, the gradient `backward()` left in it. Read it right
# to left and you are reading the backward pass.

# %%
from snippets.graph import ComputationGraph

ComputationGraph.from_autograd(
    d_t, {"a": a_t, "b": b_t, "c": c_t, "d": d_t},
    title="The knobs machine",
)


# %% [markdown]
# ## A nudge
#
# The gradient is a promise about small turns: turn knob $x$ by $h$ and $d$ moves by about
# $\bar{x} \cdot h$. Only `a` may really be turned, but pretend for a moment that every
# knob can, and test the promise on each: recompute the rest of the machine from the nudged
# knob and hold the knobs before it still. Python floats are float64, fine enough
# that rounding doesn't blur the tiny changes.

# %%
def run_from(knob, value):
    """Run the machine from one knob onwards and return d."""
    if knob == "a":
        value = value**2
    if knob in ("a", "b"):
        value = value**3
    if knob in ("a", "b", "c"):
        value = value**2
    return value

h = 1e-3
knobs = {"a": (a, grad_a), "b": (b, grad_b),
         "c": (c, grad_c), "d": (d, grad_d)}
nudges = {}
for knob, (value, grad) in knobs.items():
    moved = run_from(knob, value + h) - run_from(knob, value)
    nudges[knob] = moved
    print(f"turn {knob} by {h}: d moves {moved:8.4f},",
          f" grad x h = {grad * h:8.4f}")

h_a = 1e-5
predicted_change_a = grad_a * h_a
measured_change_a = run_from("a", a + h_a) - run_from("a", a)
print(f"turn a by {h_a}: d moves {measured_change_a:.4f},", end="  ")
print(f"predicted {predicted_change_a:.4f}")

# %% [markdown]
# Turning $c$ by 0.001 moves $d$ by 0.128, just as its
# gradient of 128 promised. The promise is only first-order, though. Turning
# $a$ by the same 0.001 moves $d$ by 24.64 where the gradient
# predicts 24.58: $a^{ 12 }$ bends
# upwards, and over a turn that size the bend shows. Shrink the turn to 0.00001
# and the measured change, 0.2458, matches the prediction,
# 0.2458, to four decimals.
#
# Zoom out to see the bend. The plot draws $d$ against $a$ near 2 with the
# gradient's straight line, of slope 24,576 through the point
# $(2, 4{,}096)$. Over a nudge of 0.1 the line
# promises 6,553.6 but the curve has already bent up to
# 7,355.8: the gradient is a first-order promise, and the gap grows
# faster than the nudge.

# %%
import matplotlib.pyplot as plt
from snippets.figures import BLUE, ORANGE

h_plot = 0.1  # a nudge big enough to see the bend
a_plot = [1.85 + k / 1000 for k in range(301)]
d_nudged = run_from("a", a + h_plot)
d_promised = d + grad_a * h_plot

fig, ax = plt.subplots()
ax.plot(a_plot, [run_from("a", v) for v in a_plot], color=BLUE,
        label="d = a**12, the machine")
ax.plot(a_plot, [d + grad_a * (v - a) for v in a_plot], "--",
        color=ORANGE, label=f"tangent, slope grad_a = {grad_a:,}")
ax.plot([a], [d], "o", color=ORANGE)
ax.plot([a + h_plot], [d_nudged], "o", color=BLUE, markersize=4)
ax.plot([a + h_plot], [d_promised], "o", color=ORANGE,
        markersize=4)
ax.vlines(a + h_plot, d_promised, d_nudged, color=BLUE,
          linestyle=":")
ax.annotate("", xy=(a + h_plot, d), xytext=(a, d),
            arrowprops={"arrowstyle": "->", "color": "black"})
ax.text(a + h_plot / 2, d - 250, f"nudge h = {h_plot}",
        ha="center", va="top")
ax.annotate("the bend", xy=(a + h_plot, (d_promised + d_nudged) / 2),
            xytext=(a + h_plot + 0.01, d_promised - 1200),
            arrowprops={"arrowstyle": "-", "color": "black"})
ax.set_xlabel("a")
ax.set_ylabel("d")
ax.set_title("d near a = 2 and the gradient's straight line")
ax.legend(loc="upper left")

# %% [markdown]
# ## What backward needs
#
# Look at the four lines of the hand-written backward pass again. Each uses the incoming
# gradient and the **input** of the function it steps back through: `c` for the `d` knob,
# `b` for the `c` knob, `a` for the `b` knob. None of them uses `d`. So to run backward,
# each step must keep its input from the forward pass, and the final output's value is
# never needed to get `a`'s gradient.

# %%
# Only the inputs a, b, c are kept. d is never computed here.
kept = {"a": 2, "b": 2**2, "c": (2**2) ** 3}
g = 1
g = g * 2 * kept["c"]
g = g * 3 * kept["b"] ** 2
g = g * 2 * kept["a"]
print("gradient of a without ever computing d:", g)

# %% [markdown]
# That is exactly what PyTorch keeps. For `c**2`, the autograd node saves `c`, its input,
# and the exponent; you can read them off the node. Once `backward()` has used them, it frees
# them, which is why a second `backward()` through the same graph fails unless you ask for
# `retain_graph=True`.

# %%
c_t2 = (torch.tensor(2.0, requires_grad=True) ** 2) ** 3
d_t2 = c_t2**2
node = d_t2.grad_fn
print(node.name(), "saved its input:", node._saved_self)
print("and the exponent:", node._saved_exponent)

d_t2.backward()
try:
    node._saved_self
except RuntimeError as error:
    print("after backward():", str(error).split(".")[0])

# %% [markdown]
# "Keep the input" is a fact about powers, not a law: a node saves whatever its local
# derivative is written in. The derivative of $\exp(z)$ is $\exp(z)$ itself, the node's
# *output*, so for `exp()` PyTorch keeps the output instead:

# %%
exp_node = torch.tensor(2.0, requires_grad=True).exp().grad_fn
print(exp_node.name(), "saved its output:", exp_node._saved_result)

# %% [markdown]
# [What autograd keeps](https://backprop-by-hand.github.io/beyond/what-autograd-keeps/) asks the same question of every
# operation on this site and of a whole network, byte by byte.
#
# ## Many knobs at once: a vector input
#
# Give the machine two inputs side by side and let a final knob $e$ average the two outputs:
# $a = [2, 3]$ and $e = \operatorname{mean}(d)$.
# The mean gives each input the same share, $\partial e / \partial d_i = \frac{1}{n}$, so
#
# $$
# \bar{d} = [\frac{1}{2}, \frac{1}{2}],
# $$
#
# and from there each element walks back through its own chain exactly as before. The
# hand-written lines read tensors that autograd is tracking, so they run under
# `torch.no_grad()`: our own arithmetic stays out of autograd's graph.

# %%
av = torch.tensor([2.0, 3.0], requires_grad=True)
bv = av**2
cv = bv**3
dv = cv**2
ev = dv.mean()

# by hand, element by element (the knobs don't mix until the mean);
# no_grad(): this is our own arithmetic, autograd must not record it
n = av.numel()
with torch.no_grad():
    grad_ev = 1.0
    grad_dv = grad_ev * torch.full_like(dv, 1 / n)  # de/dd_i = 1/n
    grad_cv = grad_dv * (2 * cv)
    grad_bv = grad_cv * (3 * bv**2)
    grad_av = grad_bv * (2 * av)

for t in (bv, cv, dv):
    t.retain_grad()
ev.backward()

print("forward:", av.tolist(), bv.tolist(), cv.tolist())
print("        ", dv.tolist(), ev.item())
compare_grads({
    "a": (grad_av, av.grad),
    "b": (grad_bv, bv.grad),
    "c": (grad_cv, cv.grad),
    "d": (grad_dv, dv.grad),
})

# %% [markdown]
# | knob | forward value | gradient |
# | --- | --- | --- |
# | `a` | [2, 3] | [12,288, 1,062,882] |
# | `b` | [4, 9] | [3,072, 177,147] |
# | `c` | [64, 729] | [64, 729] |
# | `d` | [4,096, 531,441] | [0.5, 0.5] |
# | `e` | 267,768.5 | 1 |
#
# The first element's gradient is half of the scalar machine's 24,576: the
# mean hands each input only half a share of $e$. And the gradient of `c` equals its value
# by no accident: $\bar{c} = \bar{d} \cdot 2c$ element by element,
# and here $\bar{d} = \frac{1}{2}$, so $\bar{c} = c$.
#
# > **The rule to remember**
# >
# > A knob's gradient is the next knob's gradient times the local derivative, evaluated at
# > the value this knob had on the forward pass.
#
# ## Exercise
#
# Rebuild the machine so that the last knob reads two knobs: $d = b c$
# instead of $d = c^2$. `a`, `b` and `c` are as before. Find $\bar{a}$ at
# $a = 2$ by hand, knob by knob, before you run anything; then say which knobs'
# forward values the backward pass of $d$ needs.
#
# **Solution**
#
# `b` now reaches $d$ along two paths: directly, and through `c`. Its gradient is the **sum**
# of the two ([a tensor used twice](https://backprop-by-hand.github.io/rules/elementwise/#reuse-a-tensor-used-twice)):
#
# $$
# \begin{aligned}
# \bar{c} &= \bar{d} \cdot \frac{\partial d}{\partial c} = \bar{d} \cdot b = 1 \cdot 4 = 4, \\
# \bar{b} &= \underbrace{\bar{d} \cdot c}_{\text{direct}} + \underbrace{\bar{c} \cdot 3b^2}_{\text{through } c}
#  = 64 + 4 \cdot 3 \cdot 4^2 = 256, \\
# \bar{a} &= \bar{b} \cdot 2a = 256 \cdot 2 \cdot 2 = 1{,}024.
# \end{aligned}
# $$
#
# If you got 768, you followed only the path through `c` and dropped the
# direct one. The power rule agrees with the sum: $d = bc = a^8$,
# and $8a^7$ at $a = 2$ is 1,024.
# The backward pass of $d = bc$ needs both of its inputs, `b` and `c`: each one's local
# derivative is the other.

# %%
ex_d_rule = B * C                 # the new last knob reads b and c
ex_f_rule = ex_d_rule.subs(C, c_rule).subs(B, b_rule)
ex_f_prime_rule = sp.diff(ex_f_rule, A)
ex_f_prime_at_a = ex_f_prime_rule.subs(A, a)

ex_grad_d = 1
ex_grad_c = ex_grad_d * b                           # d = b * c
ex_grad_b = ex_grad_d * c + ex_grad_c * (3 * b**2)  # two paths
ex_grad_a = ex_grad_b * (2 * a)
ex_one_path = ex_grad_c * (3 * b**2) * (2 * a)  # direct path lost

a_t = torch.tensor(2.0, requires_grad=True)
b_t = a_t**2
d_t = b_t * b_t**3
d_t.backward()
print("by hand:", ex_grad_a, "  autograd:", a_t.grad.item(),
      "  one path only:", ex_one_path)
assert ex_grad_a == a_t.grad.item() == int(ex_f_prime_at_a)

# %%
# Every number the text above states, checked against what the code computed (as
# the site's build checks them). Lines are the page's own.
from pagecheck.notebook import check_page

check_page(globals(), [
    (19, 'b_rule', 'a^2'),
    (19, 'c_rule', 'b^3'),
    (19, 'd_rule', 'c^2'),
    (24, 'a', '2'),
    (40, 'a', '2'),
    (40, 'b', '4'),
    (40, 'c', '64'),
    (41, 'd', '4{,}096'),
    (48, 'b_rule.as_base_exp()[1]', '2'),
    (48, 'c_rule.as_base_exp()[1]', '3'),
    (48, 'd_rule.as_base_exp()[1]', '2'),
    (48, 'f_rule', 'a^{12}'),
    (50, 'f_prime_rule', '12a^{11}'),
    (53, 'a', '2'),
    (53, 'f_prime_at_a', '12 \\cdot 2^{11}'),
    (53, 'f_prime_at_a', '24{,}576'),
    (75, 'f_prime_at_a', '24{,}576'),
    (76, 'a', '2'),
    (85, 'grad_d', '1'),
    (92, 'sp.diff(d_rule, C)', '2c'),
    (92, 'grad_c', '1 \\cdot 2 \\cdot 64'),
    (92, 'grad_c', '128'),
    (93, 'sp.diff(c_rule, B)', '3b^2'),
    (93, 'grad_b', '128 \\cdot 3 \\cdot 4^2'),
    (93, 'grad_b', '6{,}144'),
    (94, 'sp.diff(b_rule, A)', '2a'),
    (94, 'grad_a', '6{,}144 \\cdot 2 \\cdot 2'),
    (94, 'grad_a', '24{,}576'),
    (98, 'f_rule.as_base_exp()[1]', '12'),
    (117, 'a', '2'),
    (117, 'grad_a', '24,576'),
    (118, 'b', '4'),
    (118, 'grad_b', '6,144'),
    (119, 'c', '64'),
    (119, 'grad_c', '128'),
    (120, 'd', '4,096'),
    (120, 'grad_d', '1'),
    (203, 'h', '0.001'),
    (203, 'nudges["c"]', '0.128'),
    (204, 'grad_c', '128'),
    (205, 'h', '0.001'),
    (205, 'nudges["a"]', '24.64'),
    (206, 'grad_a * h', '24.58'),
    (206, 'f_rule.as_base_exp()[1]', '12'),
    (207, 'h_a', '0.00001'),
    (208, 'measured_change_a', '0.2458'),
    (209, 'predicted_change_a', '0.2458'),
    (211, 'a', '2'),
    (212, 'grad_a', '24,576'),
    (213, 'a', '2'),
    (213, 'd', '4{,}096'),
    (213, 'h_plot', '0.1'),
    (214, 'd_promised', '6,553.6'),
    (215, 'd_nudged', '7,355.8'),
    (303, 'av[0]', '2'),
    (303, 'av[1]', '3'),
    (307, 'grad_dv[0]', '\\frac{1}{2}'),
    (307, 'grad_dv[1]', '\\frac{1}{2}'),
    (347, 'av', '[2, 3]'),
    (347, 'grad_av', '[12,288, 1,062,882]'),
    (348, 'bv', '[4, 9]'),
    (348, 'grad_bv', '[3,072, 177,147]'),
    (349, 'cv', '[64, 729]'),
    (349, 'grad_cv', '[64, 729]'),
    (350, 'dv', '[4,096, 531,441]'),
    (350, 'grad_dv', '[0.5, 0.5]'),
    (351, 'ev', '267,768.5'),
    (351, 'grad_ev', '1'),
    (353, 'grad_a', '24,576'),
    (355, 'sp.diff(d_rule, C)', '2c'),
    (356, 'grad_dv[1]', '\\frac{1}{2}'),
    (365, 'ex_d_rule', 'b c'),
    (366, 'd_rule', 'c^2'),
    (367, 'a', '2'),
    (378, 'ex_grad_c', '1 \\cdot 4'),
    (378, 'ex_grad_c', '4'),
    (379, 'sp.diff(c_rule, B)', '3b^2'),
    (380, 'ex_grad_b', '64 + 4 \\cdot 3 \\cdot 4^2'),
    (380, 'ex_grad_b', '256'),
    (381, 'sp.diff(b_rule, A)', '2a'),
    (381, 'ex_grad_a', '256 \\cdot 2 \\cdot 2'),
    (381, 'ex_grad_a', '1{,}024'),
    (385, 'ex_one_path', '768'),
    (386, 'ex_f_rule', 'a^8'),
    (387, 'ex_f_prime_rule', '8a^7'),
    (387, 'a', '2'),
    (387, 'ex_f_prime_at_a', '1,024'),
])
