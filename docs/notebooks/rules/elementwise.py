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
# *This notebook is the page [Element-wise operations and reuse](https://backprop-by-hand.github.io/rules/elementwise/) of Backprop by Hand, cell for cell. Run it from the top: the first cell sets up what the page needs, the last one checks every number the text states against what the code computed.*

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
# # Element-wise operations and reuse
#
# > **The question**
# >
# > In the makemore MLP the backward pass of `h = torch.tanh(hpreact)` is
# > `dhpreact = (1 - h**2) * dh`. Why `h`, the output, and not `hpreact`? `counts` gets
# > its gradient in two parts, `dcounts = ...` and then `dcounts += ...`: why add? And the
# > forward pass says `counts_sum_inv = counts_sum**-1`, with the comment *"if I use
# > `(1.0 / counts_sum)` instead then I can't get backprop to be bit exact..."*. How can
# > two ways of writing one over a number give different gradients?
#
# ## One output per input
#
# An element-wise operation applies one scalar function $f$ to every element of a tensor:
# $y = f(x)$, and $y$ has the shape of $x$. Element $y_{kl}$ is made from $x_{kl}$ alone, so
# $\partial y_{kl} / \partial x_{ij}$ is $f'(x_{ij})$ when $(k, l) = (i, j)$ and zero for
# every other element. In the chain rule's sum over all the outputs that $x_{ij}$ could have
# moved, one term is left:
#
# $$
# \bar{x}_{ij} = \sum_{k, l} \bar{y}_{kl} \, \frac{\partial y_{kl}}{\partial x_{ij}}
# = f'(x_{ij}) \, \bar{y}_{ij} .
# $$
#
# As on the [knobs page](https://backprop-by-hand.github.io/knobs/), $\bar{v}$ is the gradient of the loss with respect to
# $v$. In code the rule is one line, `grad_x = f_prime(x) * grad_y`, three tensors of one
# shape multiplied element by element: no sum, no transpose, no broadcast. The only work is
# the local derivative $f'$, and this page takes the five that makemore needs one at a time.
# Then it turns to the one thing element-wise thinking does not cover: a tensor that feeds two
# operations.
#
# ## tanh: the derivative read off the output
#
# The hidden layer of makemore is `h = torch.tanh(hpreact)`, with `hpreact` the BatchNorm
# output, one row per example and one column per hidden unit. A seeded random tensor of the
# same shape stands in for it, roughly unit Gaussian as BatchNorm makes it, and another
# stands in for the gradient `h` receives from the layer above (on the
# [matmul page](https://backprop-by-hand.github.io/rules/matmul/) that is `dlogits @ W2.T`). A random upstream gradient is the
# harder test: a rule must hold for any gradient, not just the one a particular loss sends.

# %%
import sympy as sp
import torch

from snippets import rules
from snippets.compare import compare_grads, ulps_apart

torch.manual_seed(0)
n = 32                              # examples in the batch
hpreact = torch.randn(n, 64)        # [32, 64]  as BatchNorm makes it
h = torch.tanh(hpreact)             # [32, 64]
upstream_h = torch.randn(n, 64)     # [32, 64]  the gradient h receives

print("hpreact", list(hpreact.shape), " h", list(h.shape))
print("h[0, :4]:", [round(v, 4) for v in h[0, :4].tolist()])

# %% [markdown]
# Both are $[32, 64]$: 2,048 numbers, each
# squashed to between minus one and one. Sympy takes the derivative of $\tanh$, and since $h = \tanh(x)$,
# the result can be written in $h$ alone:

# %%
x, h_sym = sp.symbols("x h")
dtanh = sp.diff(sp.tanh(x), x)
dtanh_in_h = dtanh.subs(sp.tanh(x), h_sym)
print("d tanh(x) / dx =", dtanh, " =", dtanh_in_h)

# %% [markdown]
# $$
# \frac{\partial h}{\partial x} = 1 - h^2,
# \qquad
# \bar{x} = \left( 1 - h^2 \right) \odot \bar{h} ,
# $$
#
# with $x$ for `hpreact` and $\odot$ for the element-wise product. The backward pass by
# hand is that line, with `hpreact`'s gradient of shape
# $[32, 64]$ like everything else here:

# %%
grad_hpreact = (1 - h**2) * upstream_h   # [32, 64], element by element


# %% [markdown]
# ### torch agrees
#
# To check one operation alone, give autograd a fresh leaf, run that one operation, and call
# `backward()` with the chosen upstream gradient. The small helper below does that, and is
# used for every rule on this page.

# %%
def autograd_grad(op, x, upstream):
    """x's gradient through op alone, for a given upstream gradient."""
    leaf = x.detach().clone().requires_grad_()
    op(leaf).backward(upstream)
    return leaf.grad


auto_hpreact = autograd_grad(torch.tanh, hpreact, upstream_h)
tanh_table = compare_grads({
    "hpreact (by hand)": (grad_hpreact, auto_hpreact),
    "hpreact (rules.tanh_backward)":
        (rules.tanh_backward(upstream_h, h), auto_hpreact),
})
tanh_unequal = int((grad_hpreact != auto_hpreact).sum())
tanh_table

# %% [markdown]
# Close, with `tanh_unequal` of the 2,048 elements different from
# autograd's in the last bits on the machine that built this page. The formula is
# autograd's own, and `rules.tanh_backward` is the same line; what may differ is how often
# the arithmetic rounds on the way
# ([one rounding or two](https://backprop-by-hand.github.io/beyond/why-the-bits-differ/#one-rounding-instead-of-two)).
#
# ### Why the output and not the input
#
# The derivative of $\tanh$ can be written in $x$ as well, as `1 / torch.cosh(x)**2`. The backward pass
# uses the output instead, for three reasons you can check:

# %%
hpreact_t = hpreact.clone().requires_grad_()
h_t = torch.tanh(hpreact_t)
tanh_node = h_t.grad_fn
saved_is_h = tanh_node._saved_result.data_ptr() == h_t.data_ptr()
recomputed_same = torch.equal(torch.tanh(hpreact), h)
print(tanh_node.name(), "saves its result, the memory of h:",
      saved_is_h)
print("tanh(hpreact) again == h, bit for bit:", recomputed_same)

# %% [markdown]
# 1. **It is already there.** $h$ was computed on the forward pass; the derivative needs
#    $\tanh(x)$, and recomputing it gives the very same bits (the second line above), so
#    it would be a second `tanh` per element for nothing.
# 2. **It costs no memory.** Autograd's `TanhBackward0` node saves its *result*, and the
#    saved tensor is `h` itself, the same memory (first line). `h` has to be kept anyway:
#    it is the input of the next layer, `logits = h @ W2 + b2`, whose weight gradient
#    `h.T @ dlogits` needs it. Saving `hpreact` instead would keep one more
#    $[32, 64]$ tensor alive for every batch.
# 3. **It is cheap.** `1 - h*h` is a multiply and a subtraction; `torch.cosh` needs an
#    exponential per element.
#
# The same holds for `exp`, whose derivative *is* its output (the
# [knobs page](https://backprop-by-hand.github.io/knobs/#what-backward-needs) shows `ExpBackward0` saving its result), and
# for the reciprocal, which comes back below.
#
# ### A nudge: one input moves one output
#
# Element-wise means the Jacobian is diagonal: nudge one element of `hpreact` and exactly one
# element of `h` moves, by the local derivative times the nudge. In float64, so that rounding
# does not blur the change:

# %%
hpreact64 = hpreact.double()
h_step = 1e-6
bumped = hpreact64.clone()
bumped[3, 5] += h_step
moved = torch.tanh(bumped) - torch.tanh(hpreact64)
moved_count = int((moved != 0).sum())
rate = (moved[3, 5] / h_step).item()
slope = (1 - torch.tanh(hpreact64[3, 5]) ** 2).item()
print(f"elements of h that moved: {moved_count}")
print(f"h[3, 5] moved at rate {rate:.6f};  1 - h**2 = {slope:.6f}")

# %% [markdown]
# Of the 2,048 elements of `h`, 1 moved, at the rate
# 0.5038, which is `1 - h[3, 5]**2` = 0.5038.
#
# ## Powers: the exponent comes down
#
# BatchNorm is built from powers. It squares the deviations from the mean and takes the
# inverse square root of the variance:

# %%
torch.manual_seed(2)
bndiff = torch.randn(n, 64)                          # [32, 64]
bndiff2 = bndiff**2                                  # [32, 64]
bnvar = 1 / (n - 1) * bndiff2.sum(0, keepdim=True)   # [1, 64]
bnvar_inv = (bnvar + 1e-5) ** -0.5                   # [1, 64]

upstream_bndiff2 = torch.randn(n, 64)   # what bndiff2 receives
upstream_bnvar_inv = torch.randn(1, 64)  # what bnvar_inv receives

k, v, eps = sp.symbols("k v epsilon")
dpow = sp.diff(x**k, x)
square_rule = x**2
inv_sqrt_rule = (v + eps) ** sp.Rational(-1, 2)
dsquare = sp.diff(square_rule, x)
dinv_sqrt = sp.diff(inv_sqrt_rule, v)
print("d x^k / dx =", sp.simplify(dpow))
print("k = 2:", dsquare, "   k = -1/2 on v + eps:", dinv_sqrt)

# %% [markdown]
# `bndiff` and `bndiff2` are $[32, 64]$, while `bnvar` and
# `bnvar_inv` are $[1, 64]$, one per hidden unit; an
# element-wise rule does not care which. The power rule, checked by sympy:
#
# $$
# \frac{d}{dx} x^k = k x^{k-1}, \qquad
# \frac{d}{dx} x^2 = 2x, \qquad
# \frac{d}{dv} (v + \epsilon)^{-\frac{1}{2}} = -\frac{1}{2}(v + \epsilon)^{-3/2} .
# $$
#
# The $+\,\epsilon$ (`1e-5` in the code) is an addition, whose local derivative is
# $1$: it passes the gradient through untouched. By hand, one
# line each:

# %%
grad_bndiff = 2 * bndiff * upstream_bndiff2                # k = 2
grad_bnvar = -0.5 * (bnvar + 1e-5) ** -1.5 * upstream_bnvar_inv

auto_bndiff = autograd_grad(lambda t: t**2, bndiff, upstream_bndiff2)
auto_bnvar = autograd_grad(lambda t: (t + 1e-5) ** -0.5, bnvar,
                           upstream_bnvar_inv)
pow_table = compare_grads({
    "bndiff (by hand)": (grad_bndiff, auto_bndiff),
    "bndiff (rules.pow_backward)":
        (rules.pow_backward(upstream_bndiff2, bndiff, 2), auto_bndiff),
    "bnvar (by hand)": (grad_bnvar, auto_bnvar),
    "bnvar (rules.pow_backward)":
        (rules.pow_backward(upstream_bnvar_inv, bnvar + 1e-5, -0.5),
         auto_bnvar),
})
pow_table

# %% [markdown]
# `"Bit for bit, every row" if pow_table.all_exact else "Close, though not every row is bit for bit here"`:
# autograd's `PowBackward0` computes `grad * (k * x.pow(k - 1))`, and the factors
# 2 and -0.5 are
# powers of two, which change a float's exponent and never its digits, so the order of the
# factors cannot matter ([same operations, same bits](https://backprop-by-hand.github.io/beyond/why-the-bits-differ/#same-operations-same-order)).
# In makemore, `bndiff` has a second use besides the square (`bnraw = bndiff * bnvar_inv`),
# so `grad_bndiff` above is only its share through the square; the
# [reuse section](#reuse-a-tensor-used-twice) adds the shares.
#
# **Why not bit-exact? An exponent of three**
#
# With an exponent like three the factor $k$ itself rounds the product it enters, and then
# the order matters: `rules.pow_backward` multiplies the gradient by $k$ first, autograd
# multiplies $k$ into the power first.

# %%
upstream_cube = torch.randn(n, 64)
auto_cube = autograd_grad(lambda t: t**3, bndiff, upstream_cube)
cube_rule_exact = torch.equal(
    rules.pow_backward(upstream_cube, bndiff, 3), auto_cube)
cube_autograd_order_exact = torch.equal(
    upstream_cube * (3 * bndiff**2), auto_cube)
print("rules.pow_backward, k = 3, bit-exact:", cube_rule_exact)
print("grad * (3 * x**2), autograd's order:", cube_autograd_order_exact)

# %% [markdown]
# On this machine `rules.pow_backward` is `"bit-exact" if cube_rule_exact else "not bit-exact"`
# for the cube, and the same factors in autograd's order are
# `"bit-exact" if cube_autograd_order_exact else "not bit-exact"`.
#
# ## The softmax, backwards
#
# The rest of the page follows makemore's loss, from `norm_logits` (the logits with each row's
# maximum subtracted, the [max page](https://backprop-by-hand.github.io/rules/max/)'s subject) to the loss. Seeded random logits stand
# in for the network's; `Yb` are the targets, one of the 27 characters per
# example.

# %%
torch.manual_seed(1)
n_classes = 27
logits = torch.randn(n, n_classes)                   # [32, 27]
norm_logits = logits - logits.amax(1, keepdim=True)  # [32, 27], max 0
Yb = torch.randint(0, n_classes, (n,))               # [32]

counts = norm_logits.exp()                  # [32, 27]  positive
counts_sum = counts.sum(1, keepdims=True)   # [32, 1]
counts_sum_inv = counts_sum**-1             # [32, 1]
probs = counts * counts_sum_inv             # [32, 27]
logprobs = probs.log()                      # [32, 27]
loss = -logprobs[range(n), Yb].mean()       # scalar

print(f"loss {loss.item():.4f}")
print(f"counts in [{counts.min().item():.4f}, {counts.max().item()}]")
print(f"counts_sum in [{counts_sum.min().item():.3f},",
      f"{counts_sum.max().item():.3f}]")


# %% [markdown]
# `counts` is $[32, 27]$, every element positive and at most
# 1 (the row maximum of `norm_logits` is zero); `counts_sum` and
# `counts_sum_inv` are $[32, 1]$, one per example; the loss is
# 3.8045. Autograd runs the same lines, and keeps every intermediate's
# gradient:

# %%
def softmax_graph(norm_logits):
    """makemore's softmax and loss with autograd on, every step kept."""
    t = {"norm_logits": norm_logits.clone().requires_grad_()}
    t["counts"] = t["norm_logits"].exp()
    t["counts_sum"] = t["counts"].sum(1, keepdims=True)
    t["counts_sum_inv"] = t["counts_sum"]**-1
    t["probs"] = t["counts"] * t["counts_sum_inv"]
    t["logprobs"] = t["probs"].log()
    t["loss"] = -t["logprobs"][range(n), Yb].mean()
    for name, tensor in t.items():
        if not tensor.is_leaf:
            tensor.retain_grad()
    t["loss"].backward()
    return t


auto = softmax_graph(norm_logits)

# %% [markdown]
# ### log: one over the input
#
# The loss picks one entry of each row of `logprobs` and averages the 32 picks,
# negated. So the picked entries get $-\frac{1}{32}$ each and every other
# entry gets nothing (the pick's backward is a scatter into zeros, as on the
# [embedding page](https://backprop-by-hand.github.io/rules/embedding/); the mean's share is from [sums and means](https://backprop-by-hand.github.io/rules/sums-and-means/)).
# Then the logarithm, whose derivative sympy confirms is
#
# $$
# \frac{d}{dx} \log x = \frac{1}{x},
# \qquad
# \bar{p}_{ij} = \frac{\bar{\ell}_{ij}}{p_{ij}}
# $$
#
# with $p$ for `probs` and $\ell$ for `logprobs`.

# %%
dlog = sp.diff(sp.log(x), x)

grad_loss = torch.tensor(1.0)
grad_logprobs = torch.zeros(n, n_classes)        # unpicked: no gradient
grad_logprobs[range(n), Yb] = -grad_loss / n     # picked: -1/n each
grad_probs = grad_logprobs / probs               # log: divide by x

log_table = compare_grads({
    "loss": (grad_loss, auto["loss"].grad),
    "logprobs": (grad_logprobs, auto["logprobs"].grad),
    "probs (by hand)": (grad_probs, auto["probs"].grad),
    "probs (rules.log_backward)":
        (rules.log_backward(grad_logprobs, probs), auto["probs"].grad),
})
log_table

# %% [markdown]
# `"Exact" if log_table.all_exact else "Close"`: autograd's `LogBackward0` computes
# `grad / x`, the same single division.
#
# **Why not bit-exact? `1.0/probs * dlogprobs`**
#
# A learner's notebook wrote the line as `1.0/probs * dlogprobs`, which rounds twice (once
# for `1.0/probs`, once for the product), and still got "exact". That was luck of a useful
# kind: its `dlogprobs` holds only zeros and $-\frac{1}{32}$, a power of
# two, and multiplying by a power of two rounds nothing. With an arbitrary upstream gradient
# the two spellings part:

# %%
upstream_logprobs = torch.randn(n, n_classes)   # any gradient at all
auto_probs_any = autograd_grad(torch.log, probs, upstream_logprobs)
grad_probs_div = upstream_logprobs / probs            # one rounding
grad_probs_inv_mul = 1.0 / probs * upstream_logprobs  # two roundings
notebook_spelling_exact = torch.equal(1.0 / probs * grad_logprobs,
                                      grad_probs)
print("(1/x) * grad with makemore's own gradient, exact:",
      notebook_spelling_exact)

probs_ulps = int(ulps_apart(grad_probs_inv_mul, auto_probs_any).max())
compare_grads({
    "probs, grad / x": (grad_probs_div, auto_probs_any),
    "probs, (1/x) * grad": (grad_probs_inv_mul, auto_probs_any),
})

# %% [markdown]
# A difference there looks large only because the gradients are: $\frac{1}{p}$ is big
# where a probability is small. Measured in float32 steps (units in the last place) it is
# at most `probs_ulps` here.
#
# ### The product and its broadcast
#
# `probs = counts * counts_sum_inv` multiplies a $[32, 27]$ tensor
# by a $[32, 1]$ one, stretched along the row. The
# product's local derivative with respect to one factor is the other factor; the stretched
# factor was copied to 27 places, so its gradient sums the copies back
# ([broadcasting](https://backprop-by-hand.github.io/rules/broadcasting/) derives it):

# %%
# [32, 27] * [32, 27] -> summed over each row's 27 copies -> [32, 1]
grad_counts_sum_inv = (grad_probs * counts).sum(1, keepdim=True)

compare_grads({
    "counts_sum_inv (by hand)":
        (grad_counts_sum_inv, auto["counts_sum_inv"].grad),
    "counts_sum_inv (rules.unbroadcast)":
        (rules.unbroadcast(grad_probs * counts, [n, 1]),
         auto["counts_sum_inv"].grad),
})

# %% [markdown]
# The product's other factor, `counts`, gets a gradient here too, `grad_probs *
# counts_sum_inv`. Hold on to it: it is half of `counts`' gradient, and the
# [reuse section](#reuse-a-tensor-used-twice) finds the other half.
#
# ### The reciprocal, written two ways
#
# `counts_sum_inv = counts_sum**-1` is the power rule with $k = -1$, and the same derivative
# can be written in the output $r = \frac{1}{s}$, as with tanh:
#
# $$
# \frac{d}{ds} s^{-1} = -s^{-2} = -r^2 .
# $$

# %%
s, r = sp.symbols("s r")
recip_rule = s**-1
drecip = sp.diff(recip_rule, s)
drecip_in_r = drecip.subs(s, 1 / r)

grad_counts_sum = -counts_sum**-2 * grad_counts_sum_inv   # [32, 1]

recip_table = compare_grads({
    "counts_sum (by hand)": (grad_counts_sum, auto["counts_sum"].grad),
    "counts_sum (rules.reciprocal_backward)":
        (rules.reciprocal_backward(grad_counts_sum_inv, counts_sum),
         auto["counts_sum"].grad),
})
recip_table

# %% [markdown]
# `"Exact" if recip_table.all_exact else "Close"` against `counts_sum**-1`, the spelling of makemore's forward pass. The
# question's other spellings come back [after the reuse](#the-comment-three-spellings-of-one-over-a-number).
#
# ## Reuse: a tensor used twice
#
# `counts` feeds two operations: the product `probs = counts * counts_sum_inv`, and the sum
# `counts_sum = counts.sum(1, keepdims=True)` that becomes `counts_sum_inv`. Nudge one count
# $c_{ij}$ and the loss feels it along two paths: directly through $p_{ij}$, and through the
# row's sum $s_i$, which rescales every probability of row $i$.
#
# $$
# c_{ij} \to p_{ij} \to \ell \to L
# \qquad \text{and} \qquad
# c_{ij} \to s_i \to r_i \to p_{i1}, \dots, p_{i,27} \to \ell \to L .
# $$
#
# As the [batch page](https://backprop-by-hand.github.io/batch/#why-we-may-add-every-path-counts) argued for a weight used by
# every example, the total derivative is the sum over the paths. With
# $\partial s_i / \partial c_{ij} = 1$ (a sum's local
# derivative), the two terms are
#
# $$
# \bar{c}_{ij}
# = \underbrace{\bar{p}_{ij} \, r_i}_{\text{through the product}}
# + \underbrace{\bar{s}_i}_{\text{through the sum}},
# \qquad
# \bar{s}_i = -s_i^{-2} \, \bar{r}_i,
# \quad
# \bar{r}_i = \sum_k \bar{p}_{ik} \, c_{ik} .
# $$
#
# Shapes: the first term is $[32, 27]$ times
# $[32, 1]$, broadcast to
# $[32, 27]$; the second is the
# $[32, 1]$ gradient of the sum, copied back to every
# element of its row (a sum's backward is a broadcast:
# [sums and means](https://backprop-by-hand.github.io/rules/sums-and-means/)). Both are the shape of `counts`, and they add.

# %%
c_ij, c_others, s_i = sp.symbols("c_ij c_others s_i")
sum_rule = c_ij + c_others   # s_i = c_ij + (the rest of the row)

grad_counts_via_product = grad_probs * counts_sum_inv   # [32, 27]
grad_counts_via_sum = grad_counts_sum.expand(n, n_classes)  # [32, 27]
grad_counts = grad_counts_via_product + grad_counts_via_sum

sum_rule_same = torch.equal(
    rules.sum_backward(grad_counts_sum, counts.shape, 1, keepdim=True),
    grad_counts_via_sum)
print("rules.sum_backward gives the same copy:", sum_rule_same)
counts_table = compare_grads({
    "counts (both paths)": (grad_counts, auto["counts"].grad),
})
counts_table

# %% [markdown]
# `"Exact" if counts_table.all_exact else "Close"`: autograd does the same thing. When a tensor feeds two nodes, the backward pass adds
# the gradients arriving from both before it moves on, and with two terms the order of that
# addition cannot matter, since float addition is commutative. Either path alone is wrong, and
# not by a rounding:

# %%
from snippets.compare import Comparison, ComparisonTable

alone = ComparisonTable([
    Comparison.of("counts, product path only",
                  grad_counts_via_product, auto["counts"].grad),
    Comparison.of("counts, sum path only",
                  grad_counts_via_sum, auto["counts"].grad),
])
alone.caption = "Either path alone against autograd"
print(alone)

# %% [markdown]
# The product path alone misses by up to 0.0132, the size of
# the sum path; the sum path alone misses by up to 3.56. The
# product path alone is worse than it looks. `grad_probs` is zero except at the target of
# each row, so the product path gives every other count a gradient of exactly
# 0, as if raising a wrong character's count did
# not matter. It does: it raises the row's sum and so lowers the target's probability. That
# is the sum path, and it is the whole of a non-target count's gradient.
#
# Autograd's own record of the forward pass, drawn, with its list of edges printed first:

# %%
from snippets.graph import ComputationGraph

softmax_figure = ComputationGraph.from_autograd(
    auto["loss"], auto,
    direction="TB",
    title="makemore's softmax and loss: counts is used twice",
)
print(softmax_figure)
softmax_figure

# %% [markdown]
# Two edges leave `counts`: `counts --sum--> counts_sum` and `counts --×--> probs`. In the
# drawing the second runs down beside the boxes of the sum path to the `×` circle, where
# `counts_sum_inv` joins it. Backward, the two gradients flow into `counts` along those two
# edges, and add.
#
# ### A nudge along each path
#
# Nudge one count and let the nudge travel along one path only: recompute the loss with the
# nudged count in the product but the old row sum, then with the old count in the product
# but the nudged sum, then both. In float64, for the target of the first row and for one
# other entry of that row:

# %%
counts64 = counts.double()


def loss_with(product_counts, sum_counts):
    """The loss, with these counts in the product, those in the sum."""
    p = product_counts / sum_counts.sum(1, keepdim=True)
    return -p[range(n), Yb].log().mean().item()


row = 0                       # the first example
target_j = int(Yb[row])
other_j = (target_j + 1) % n_classes
c_step = 1e-7
base = loss_with(counts64, counts64)
nudge_rates = {}
for j in (target_j, other_j):
    bumped_counts = counts64.clone()
    bumped_counts[row, j] += c_step
    moved_by = {
        "product": loss_with(bumped_counts, counts64) - base,
        "sum": loss_with(counts64, bumped_counts) - base,
        "both": loss_with(bumped_counts, bumped_counts) - base,
    }
    nudge_rates[j] = {path: m / c_step for path, m in moved_by.items()}
    print(f"counts[{row}, {j}]:", ", ".join(
        f"{path} {rate:.5f}" for path, rate in nudge_rates[j].items()))

# %% [markdown]
# | entry of the first row | path open | rate, nudged | backward pass term |
# | --- | --- | --- | --- |
# | the target | product only | -0.44985 | -0.44985 |
# | the target | sum only | 0.00563 | 0.00563 |
# | the target | both | -0.44421 | -0.44421 |
# | another | product only | 0 | 0 |
# | another | sum only | 0.00563 | 0.00563 |
# | another | both | 0.00563 | 0.00563 |
#
# Each path's rate is that path's term of the backward pass, and the rate with both paths open
# is their sum.
#
# ### exp: the output is the derivative
#
# Last step: `counts = norm_logits.exp()`. Sympy:
# $\frac{d}{dx} e^x = \exp x$, the function itself, so the local derivative is
# `counts`, the output the forward pass already made.

# %%
dexp = sp.diff(sp.exp(x), x)

grad_norm_logits = counts * grad_counts   # exp: f'(x) is the output

exp_table = compare_grads({
    "norm_logits (by hand)":
        (grad_norm_logits, auto["norm_logits"].grad),
    "norm_logits (rules.exp_backward)":
        (rules.exp_backward(grad_counts, counts),
         auto["norm_logits"].grad),
})
exp_table

# %% [markdown]
# `"Exact" if exp_table.all_exact else "Close"`: `ExpBackward0` computes `grad * result`, the same single product.
#
# There is a check here that needs no autograd. Adding one constant to a whole row of
# `norm_logits` multiplies the row's counts and their sum by the same factor, so the
# probabilities, and the loss, do not move. So each row of `grad_norm_logits` must sum to
# zero. With both paths it does, up to rounding; with the product path alone every row sums to
# $-\frac{1}{32}$ instead, as if raising all the logits of a row lowered the loss:

# %%
row_sums = grad_norm_logits.sum(1)                        # [32]
row_sums_product_only = (counts * grad_counts_via_product).sum(1)
print(f"both paths:   largest |row sum| {row_sums.abs().max():.1e}")
print("product only: row sums",
      [round(v, 5) for v in row_sums_product_only[:4].tolist()], "...")


# %% [markdown]
# With both paths the largest row sum is `f"{row_sums.abs().max().item():.1e}"`, which is
# rounding. With the product path alone the row sums average
# $-\frac{1}{32}$ and none strays from that by more
# than `f"{(row_sums_product_only + 1 / n).abs().max().item():.1e}"`: the target's
# probability times its gradient, $p \cdot (-\frac{1}{n p})$, in every row.
#
# ## The comment: three spellings of one over a number
#
# Now the comment from the question. Write the reciprocal the two ways it names, and
# `torch.div(1.0, counts_sum)` as a third; let autograd differentiate each with the same
# upstream gradient as above, and set the hand-written $-s^{-2}$ rule beside
# each. The code also lists the autograd nodes each spelling creates, and computes each
# node's result again from the formula PyTorch's `derivatives.yaml` gives for it:
#
# **The three spellings in code**

# %%
def node_names(t):
    """The autograd nodes from t back to its leaf."""
    names, fn = [], t.grad_fn
    while fn is not None and type(fn).__name__ != "AccumulateGrad":
        names.append(fn.name())
        inputs = [f for f, _ in fn.next_functions if f is not None]
        fn = inputs[0] if inputs else None
    return " <- ".join(names)


g_up = grad_counts_sum_inv     # the upstream gradient, [32, 1]
spellings = {
    "counts_sum**-1": (lambda t: t**-1,
                       g_up * (-1 * counts_sum**-2)),
    "1.0 / counts_sum": (lambda t: 1.0 / t,
                         -g_up * (counts_sum_inv * counts_sum_inv)),
    "torch.div(1.0, counts_sum)": (
        lambda t: torch.div(1.0, t),
        -g_up * (torch.div(1.0, counts_sum) / counts_sum)),
}
recip_auto, recip_equal, same_forward, formula_same = {}, {}, {}, {}
for label, (invert, node_formula) in spellings.items():
    leaf = counts_sum.clone().requires_grad_()
    out = invert(leaf)
    nodes = node_names(out)
    out.backward(g_up)
    recip_auto[label] = leaf.grad
    recip_equal[label] = int((leaf.grad == grad_counts_sum).sum())
    same_forward[label] = torch.equal(out.detach(), counts_sum_inv)
    formula_same[label] = torch.equal(node_formula, leaf.grad)
    print(label)
    print("   nodes:", nodes)
    print("   forward == counts_sum**-1:", same_forward[label])
    print("   node's formula reproduced:", formula_same[label])

recip_ulps = max(int(ulps_apart(grad_counts_sum, g).max())
                 for g in recip_auto.values())

# %%
compare_grads({label: (grad_counts_sum, g)
               for label, g in recip_auto.items()},
              caption="The rule -s**-2 against each spelling")

# %% [markdown]
# `"All three forward values are the same bits" if all(same_forward.values()) else "Here the forward values differ too"`,
# and `"each node's formula reproduces its gradient bit for bit" if all(formula_same.values()) else "not every node's formula reproduces its gradient here"`.
# Each spelling creates its own autograd node, with its own formula for
# $-\frac{1}{s^2}$:
#
# | spelling | autograd nodes | backward formula | rounds |
# | --- | --- | --- | --- |
# | `counts_sum**-1` | `PowBackward0` | `grad * (-1 * s.pow(-2))` | `s.pow(-2)`, then the product |
# | `1.0 / counts_sum` | `MulBackward0`, `ReciprocalBackward0` | `-grad * (r * r)`, `r` the output | `1/s` on the forward pass, `r * r`, the product |
# | `torch.div(1.0, counts_sum)` | `DivBackward0` | `-grad * ((1 / s) / s)` | two divisions, the product |
#
# Python turns `1.0 / counts_sum` into `counts_sum.reciprocal() * 1.0`, and
# `ReciprocalBackward0` uses its output, like tanh: it squares the already rounded $r$. The
# hand-written rule computes `counts_sum**-2`, the kernel `PowBackward0` calls. On this
# machine it matches the three spellings in `recip_equal["counts_sum**-1"]`,
# `recip_equal["1.0 / counts_sum"]` and `recip_equal["torch.div(1.0, counts_sum)"]`
# of the 32 elements, and is at most `recip_ulps` float32 steps from any of
# them. Neither formula is wrong. *Bit-exact* means "the same operations in the same
# order", and the fix for the learner's problem is to write the rule the way the node does:

# %%
from_output = -g_up * counts_sum_inv**2   # -r**2: ReciprocalBackward0's
print("-grad * r**2 == autograd of 1.0 / counts_sum:",
      torch.equal(from_output, recip_auto["1.0 / counts_sum"]))

# %% [markdown]
# [Why the bits differ](https://backprop-by-hand.github.io/beyond/why-the-bits-differ/#another-spelling-another-formula)
# follows the difference from `counts_sum` down through the rest of the network's backward
# pass.
#
# ## The rules, side by side
#
# Whether a row is bit-exact depends on the arithmetic autograd's kernels do on the machine
# at hand; the last column is what the machine that built this page measured.
#
# | operation in makemore | local derivative | backward by hand | bit-exact here |
# | --- | --- | --- | --- |
# | `h = torch.tanh(hpreact)` | $1 - h^2$, from the output | `(1 - h**2) * grad_h` | `"yes" if torch.equal(grad_hpreact, auto_hpreact) else "no"` ([why](https://backprop-by-hand.github.io/beyond/why-the-bits-differ/#one-rounding-instead-of-two)) |
# | `bndiff2 = bndiff**2` | $2x$ | `2 * bndiff * grad_bndiff2` | `"yes" if torch.equal(grad_bndiff, auto_bndiff) else "no"` |
# | `(bnvar + 1e-5)**-0.5` | $-\frac{1}{2}(v + \epsilon)^{-3/2}$ | `-0.5 * (bnvar + 1e-5)**-1.5 * grad` | `"yes" if torch.equal(grad_bnvar, auto_bnvar) else "no"` |
# | `logprobs = probs.log()` | $\frac{1}{x}$ | `grad_logprobs / probs` | `"yes" if torch.equal(grad_probs_div, auto_probs_any) else "no"` |
# | `counts_sum**-1` | $-s^{-2}$ | `-counts_sum**-2 * grad` | `"yes" if torch.equal(grad_counts_sum, auto["counts_sum"].grad) else "no"` (for `1.0 / counts_sum`: `-grad * r**2`) |
# | `counts = norm_logits.exp()` | $\exp x$, the output | `counts * grad_counts` | `"yes" if torch.equal(grad_norm_logits, auto["norm_logits"].grad) else "no"` |
#
# Every rule of this page, and the sum for a tensor used twice, is also tested on random
# shapes (with hypothesis) and against finite differences (with `gradcheck`) in
# tests/test_rules.py in the repository.
#
# > **The rule to remember**
# >
# > An element-wise operation's gradient is the upstream gradient times the local
# > derivative, element by element; a tensor used twice gets the sum of both gradients.
#
# ## Exercise
#
# Some networks use SiLU instead of tanh in the hidden layer:
# `h = hpreact * torch.sigmoid(hpreact)`. Now `hpreact` is used twice, once in the product
# and once inside the sigmoid. Write $y$ for the sigmoid's output and find its local
# derivative in terms of $y$, as tanh's was in terms of $h$. Then write `hpreact`'s gradient
# by hand for the upstream gradient `upstream_h` of the tanh section, as the sum of two paths,
# and check it against autograd. Is it bit-exact?
#
# **Solution**
#
# With $y = \frac{1}{1 + \exp(-x)}$, sympy gives $\frac{dy}{dx} = y \cdot (1 - y)$:
# the sigmoid, too, has its derivative in its output. The product path gives `hpreact` the
# sigmoid times the upstream gradient; the sigmoid path gives the sigmoid's input the
# upstream gradient times `hpreact` (the product's other factor), and then the sigmoid's
# local derivative.

# %%
y_sym = sp.symbols("y")
sigmoid_rule = 1 / (1 + sp.exp(-x))
dsigmoid = sp.diff(sigmoid_rule, x)
dsigmoid_in_y = sp.factor(dsigmoid.subs(sp.exp(-x), 1 / y_sym - 1))

sig = torch.sigmoid(hpreact)                           # [32, 64]
grad_sig = hpreact * upstream_h                        # product rule
grad_hpreact_via_sigmoid = grad_sig * (1 - sig) * sig  # y (1 - y)
grad_hpreact_via_product = sig * upstream_h
grad_hpreact_silu = grad_hpreact_via_product + grad_hpreact_via_sigmoid

auto_silu = autograd_grad(lambda t: t * torch.sigmoid(t), hpreact,
                          upstream_h)
auto_sig = autograd_grad(torch.sigmoid, hpreact, grad_sig)
reordered = sig * (1 - sig) * grad_sig   # the same, another order
silu_table = compare_grads({
    "sigmoid path": (grad_hpreact_via_sigmoid, auto_sig),
    "sigmoid path, reordered": (reordered, auto_sig),
    "hpreact, both paths": (grad_hpreact_silu, auto_silu),
})
silu_table

# %% [markdown]
# `"Bit-exact" if silu_table["hpreact, both paths"].exact else "Close, and here not bit-exact"`. `SigmoidBackward0` computes `grad * (1 - y) * y`, in that order, and so does
# the hand-written line; the two paths are then added, and two terms add the same way in
# either order. The same three factors multiplied in another order, the middle row,
# `"round differently here: close, not exact" if not silu_table["sigmoid path, reordered"].exact else "happen to round the same way here"`.

# %%
# Every number the text above states, checked against what the code computed (as
# the site's build checks them). Lines are the page's own.
from pagecheck.notebook import check_page

check_page(globals(), [
    (66, 'list(h.shape)', '[32, 64]'),
    (66, 'h.numel()', '2,048'),
    (78, 'dtanh_in_h', '1 - h^2'),
    (80, 'dtanh_in_h', '1 - h^2'),
    (85, 'list(grad_hpreact.shape)', '[32, 64]'),
    (115, 'h.numel()', '2,048'),
    (144, 'list(h.shape)', '[32, 64]'),
    (171, 'h.numel()', '2,048'),
    (171, 'moved_count', '1'),
    (172, 'rate', '0.5038'),
    (172, 'slope', '0.5038'),
    (199, 'list(bndiff2.shape)', '[32, 64]'),
    (200, 'list(bnvar_inv.shape)', '[1, 64]'),
    (204, 'dpow', 'k x^{k-1}'),
    (205, 'square_rule', 'x^2'),
    (205, 'dsquare', '2x'),
    (206, 'inv_sqrt_rule', '(v + \\epsilon)^{-\\frac{1}{2}}'),
    (206, 'dinv_sqrt', '-\\frac{1}{2}(v + \\epsilon)^{-3/2}'),
    (210, 'sp.diff(v + eps, v)', '1'),
    (234, 'dsquare.as_coeff_Mul()[0]', '2'),
    (234, 'dinv_sqrt.as_coeff_Mul()[0]', '-0.5'),
    (268, 'n_classes', '27'),
    (291, 'list(counts.shape)', '[32, 27]'),
    (292, 'counts.max()', '1'),
    (293, 'list(counts_sum.shape)', '[32, 1]'),
    (294, 'loss', '3.8045'),
    (319, 'n', '32'),
    (320, '-1 / n', '-\\frac{1}{32}'),
    (326, 'dlog', '\\frac{1}{x}'),
    (358, '-1 / n', '-\\frac{1}{32}'),
    (387, 'list(counts.shape)', '[32, 27]'),
    (388, 'list(counts_sum_inv.shape)', '[32, 1]'),
    (390, 'n_classes', '27'),
    (412, 'recip_rule.as_base_exp()[1]', '-1'),
    (416, 'recip_rule', 's^{-1}'),
    (416, 'drecip', '-s^{-2}'),
    (416, 'drecip_in_r', '-r^2'),
    (454, 'sp.diff(sum_rule, c_ij)', '1'),
    (462, 'drecip.subs(s, s_i)', '-s_i^{-2}'),
    (467, 'list(counts.shape)', '[32, 27]'),
    (468, 'list(counts_sum_inv.shape)', '[32, 1]'),
    (469, 'list(grad_counts_via_product.shape)', '[32, 27]'),
    (470, 'list(grad_counts_sum.shape)', '[32, 1]'),
    (510, 'alone[0].max_abs_diff', '0.0132'),
    (511, 'alone[1].max_abs_diff', '3.56'),
    (514, 'grad_counts_via_product[row, other_j]', '0'),
    (575, 'nudge_rates[target_j]["product"]', '-0.44985'),
    (575, 'grad_counts_via_product[row, target_j]', '-0.44985'),
    (576, 'nudge_rates[target_j]["sum"]', '0.00563'),
    (576, 'grad_counts_via_sum[row, target_j]', '0.00563'),
    (577, 'nudge_rates[target_j]["both"]', '-0.44421'),
    (577, 'grad_counts[row, target_j]', '-0.44421'),
    (578, 'nudge_rates[other_j]["product"]', '0'),
    (578, 'grad_counts_via_product[row, other_j]', '0'),
    (579, 'nudge_rates[other_j]["sum"]', '0.00563'),
    (579, 'grad_counts_via_sum[row, other_j]', '0.00563'),
    (580, 'nudge_rates[other_j]["both"]', '0.00563'),
    (580, 'grad_counts[row, other_j]', '0.00563'),
    (588, 'dexp', '\\exp x'),
    (612, '-1 / n', '-\\frac{1}{32}'),
    (624, 'row_sums_product_only.mean()', '-\\frac{1}{32}'),
    (632, 'drecip', '-s^{-2}'),
    (689, 'drecip', '-\\frac{1}{s^2}'),
    (702, 'n', '32'),
    (723, 'dtanh_in_h', '1 - h^2'),
    (724, 'dsquare', '2x'),
    (725, 'dinv_sqrt', '-\\frac{1}{2}(v + \\epsilon)^{-3/2}'),
    (726, 'dlog', '\\frac{1}{x}'),
    (727, 'drecip', '-s^{-2}'),
    (728, 'dexp', '\\exp x'),
    (751, 'sigmoid_rule', '\\frac{1}{1 + \\exp(-x)}'),
    (751, 'dsigmoid_in_y', 'y \\cdot (1 - y)'),
], [
    (115, 'tanh_unequal'),
    (232, '"Bit for bit, every row" if pow_table.all_exact else "Close, though not every row is bit for bit here"'),
    (258, '"bit-exact" if cube_rule_exact else "not bit-exact"'),
    (260, '"bit-exact" if cube_autograd_order_exact else "not bit-exact"'),
    (351, '"Exact" if log_table.all_exact else "Close"'),
    (381, 'probs_ulps'),
    (436, '"Exact" if recip_table.all_exact else "Close"'),
    (492, '"Exact" if counts_table.all_exact else "Close"'),
    (606, '"Exact" if exp_table.all_exact else "Close"'),
    (622, 'f"{row_sums.abs().max().item():.1e}"'),
    (625, 'f"{(row_sums_product_only + 1 / n).abs().max().item():.1e}"'),
    (686, '"All three forward values are the same bits" if all(same_forward.values()) else "Here the forward values differ too"'),
    (687, '"each node\'s formula reproduces its gradient bit for bit" if all(formula_same.values()) else "not every node\'s formula reproduces its gradient here"'),
    (700, 'recip_equal["counts_sum**-1"]'),
    (701, 'recip_equal["1.0 / counts_sum"]'),
    (701, 'recip_equal["torch.div(1.0, counts_sum)"]'),
    (702, 'recip_ulps'),
    (723, '"yes" if torch.equal(grad_hpreact, auto_hpreact) else "no"'),
    (724, '"yes" if torch.equal(grad_bndiff, auto_bndiff) else "no"'),
    (725, '"yes" if torch.equal(grad_bnvar, auto_bnvar) else "no"'),
    (726, '"yes" if torch.equal(grad_probs_div, auto_probs_any) else "no"'),
    (727, '"yes" if torch.equal(grad_counts_sum, auto["counts_sum"].grad) else "no"'),
    (728, '"yes" if torch.equal(grad_norm_logits, auto["norm_logits"].grad) else "no"'),
    (781, '"Bit-exact" if silu_table["hpreact, both paths"].exact else "Close, and here not bit-exact"'),
    (784, '"round differently here: close, not exact" if not silu_table["sigmoid path, reordered"].exact else "happen to round the same way here"'),
])
