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
# *This notebook is the page [Why the bits differ](https://backprop-by-hand.github.io/beyond/why-the-bits-differ/) of Backprop by Hand, cell for cell. Run it from the top: the first cell sets up what the page needs, the last one checks every number the text states against what the code computed.*

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
# # Why the bits differ
#
# > **The question**
# >
# > My `cmp()` prints `exact: True` from `logprobs` down to `b2`. From `hpreact` on it
# > prints `exact: False | approximate: True | maxdiff: 5.8e-11`, for every tensor
# > below. The forward pass carries a comment, `counts_sum**-1 # if I use (1.0 /
# > counts_sum) instead then I can't get backprop to be bit exact`. So when is a
# > hand-written gradient bit-exact, and when not? And `approximate` is
# > `torch.allclose`: how do I know its tolerance is not hiding a bug in my code?
#
# The earlier pages met these last-bit differences one at a time, each where it turned up.
# This page puts them side by side. The short answer: a float32 computer rounds after every
# operation, so two computations of the same number agree to the bit only when they do the
# same operations, on the same rounded numbers, in the same order. Change the order of a sum,
# the spelling of a formula or the number of roundings, and the last bits move, by a few
# *float32 steps* (the gap between neighbouring float32 numbers): a step or two at the
# gradient's largest entry. A bug is off by a sizeable fraction of it. The page measures
# both, and then the tolerances that tell them apart.
#
# ## The network and its gradients
#
# The same network and batch as the section [A whole network by hand](https://backprop-by-hand.github.io/mlp/every-intermediate/):
# the makemore MLP of `snippets.makemore` at its initial weights, on a batch of names. The
# names are the `NAMES_SOURCE`; they come installed with the project, and nothing is
# downloaded. `run` builds the network in a given dtype (float32 here, float64 further
# down), runs the forward pass and `loss.backward()`, and returns every intermediate with
# autograd's gradient in its `.grad`.
#
# **The set-up: the network, the batch and `run`**

# %%
import torch
import torch.nn.functional as F

from snippets import rules
from snippets.compare import ATOL, RTOL, compare_grads, ulps_apart
from snippets.makemore import (NAMES_SOURCE, SEED, VOCAB_SIZE, Params,
                               forward, init_params, load_words,
                               sample_batch, splits)

words = load_words()
(Xtr, Ytr), _, _ = splits(words)
start = init_params()                          # float32, 64 hidden
g = torch.Generator().manual_seed(SEED)
Xb, Yb = sample_batch(Xtr, Ytr, generator=g)   # [32, 3], [32]
n = Xb.shape[0]


def run(dtype):
    """The network on the batch in dtype, after loss.backward()."""
    p = Params(**{k: v.detach().to(dtype).clone().requires_grad_()
                  for k, v in start.items()})
    fw = forward(p, Xb, Yb)
    fw.loss.backward()
    return fw, p


fw, p = run(torch.float32)
print(f"{n} examples, loss {fw.loss.item():.4f}")

# %% [markdown]
# ## One sum, many answers
#
# ### Three numbers
#
# Every float32 addition rounds its result to the nearest float32. Add three numbers and
# there are two roundings, and which two depends on the order. For `0.1`, `0.2` and `0.3`
# the order happens not to matter in float32 (it does in float64, famously). Replace `0.3`
# by `1.0` and it does:

# %%
from fractions import Fraction


def f32(x):
    return torch.tensor(x, dtype=torch.float32)


def in_steps(k):
    """'1 step', '3 steps': for the prose."""
    return f"{int(k):,} step" + ("" if abs(int(k)) == 1 else "s")


a, b = f32(0.1), f32(0.2)
same_with_03 = torch.equal((a + b) + f32(0.3), a + (b + f32(0.3)))
c = f32(1.0)
left, right = (a + b) + c, a + (b + c)
# the exact sum of the three float32 values, as a fraction
exact3 = sum(Fraction(x.item()) for x in (a, b, c))
assert Fraction(float(exact3)) == exact3     # a float64 holds it
nearest3 = f32(float(exact3))                # rounded once
print("with 0.3, both orders equal:", same_with_03)
print(f"(0.1 + 0.2) + 1.0 = {left.item():.9g}")
print(f"0.1 + (0.2 + 1.0) = {right.item():.9g}")
print(f"exact, rounded once: {nearest3.item():.9g}")
print("float32 steps apart:", int(ulps_apart(left, right)))

# %% [markdown]
# The two orders land on neighbouring float32 numbers,
# 1 step apart. The exact sum of the three float32
# values, kept as a fraction so that nothing rounds, then rounded once to float32, is
# `"the left one" if torch.equal(nearest3, left) else "the right one"`. Neither order
# is wrong: each made its two roundings, and they fell differently.
#
# ### The losses of a batch
#
# The loss of the network is a mean: each of the 32 examples has its own loss,
# minus the log-probability of its target character, and `forward` adds them up. Add the
# same 32 float32 numbers in 10,000 seeded random orders, one
# term at a time, and count where the sums land, in float32 steps from the correctly
# rounded sum (the exact sum of the float32 values, as a fraction, rounded once). Then add
# them as the batch lists them, with `torch.sum`, and folded in halves:
#
# **The sums in code, and the drawing**

# %%
import matplotlib.pyplot as plt

from snippets.figures import BLUE, ORANGE

losses = -fw.logprobs.detach()[range(n), Yb]     # [32], one per example
exact = sum(Fraction(v) for v in losses.tolist())
assert Fraction(float(exact)) == exact           # a float64 holds it
nearest = f32(float(exact))                      # rounded once

ORDERS = 10_000
gen = torch.Generator().manual_seed(0)
orders = torch.rand(ORDERS, n, generator=gen).argsort(1)  # [10000, 32]
sums = torch.zeros(ORDERS)
for j in range(n):                # term j of every order, side by side
    sums = sums + losses[orders[:, j]]


def signed_steps(x):
    """Float32 steps from the correctly rounded sum, with a sign."""
    steps = ulps_apart(x, nearest)
    return torch.where(x < nearest, -steps, steps)


landed = signed_steps(sums)                      # [10000]
in_batch_order = losses[0]
for loss_i in losses[1:]:                        # left to right
    in_batch_order = in_batch_order + loss_i
by_torch = signed_steps(losses.sum())
values, counts = landed.unique(return_counts=True)
step_at_sum = (torch.nextafter(nearest, f32(1e9)) - nearest).item()
print(f"correctly rounded sum: {nearest.item():.7f}")
print("distinct sums:", sums.unique().numel())
for v, c in zip(values.tolist(), counts.tolist()):
    print(f"  {v:+d} steps: {c:5d} orders")
print("in the batch's order:", int(signed_steps(in_batch_order)),
      " torch.sum:", int(by_torch))
folded = losses.clone()            # fold in half and add, and again
while folded.numel() > 1:
    half = folded.numel() // 2
    folded = folded[:half] + folded[half:]
print("folded in halves:", int(signed_steps(folded[0])))
loss_is_sum = torch.equal(fw.loss.detach(), losses.sum() / n)
print("the forward's loss == torch.sum / 32:", loss_is_sum)


def draw_landings():
    """Where the 10,000 sums landed, and torch.sum."""
    fig, ax = plt.subplots(figsize=(6.4, 3.2))
    ax.bar(values.tolist(), counts.tolist(), color=BLUE, width=0.7)
    ax.axvline(int(by_torch), color=ORANGE, linestyle="--",
               label="torch.sum")
    ax.set_xticks(values.tolist())
    ax.set_xlabel("float32 steps from the correctly rounded sum")
    ax.set_ylabel(f"orders (of {ORDERS:,})")
    ax.set_title(f"The same {n} losses, added in {ORDERS:,} orders")
    ax.legend(loc="upper left")


# %%
draw_landings()

# %% [markdown]
# The 10,000 orders give `sums.unique().numel()` different sums, from
# `in_steps(-values.min())` below the correctly rounded one to
# `in_steps(values.max())` above it; only `int(counts[values == 0].sum())` orders
# hit it. A step at this size is $2^{-17}$, about
# `f"{step_at_sum:.1e}"`.
#
# Adding in the batch's own order, left to right, as a Python loop would, lands
# `in_steps(abs(signed_steps(in_batch_order)))` away. `torch.sum` lands
# `in_steps(abs(by_torch))` `"below" if by_torch < 0 else "above" if by_torch > 0 else "away"`: its kernel
# does not add one term at a time, but keeps several partial sums side by side, as vector
# instructions like to, and combines them at the end. Folding the 32 numbers in
# half and adding the halves, then again, down to one number, is one such order; here it
# gives `"the very bits of" if torch.equal(folded[0], losses.sum()) else "other bits than"`
# `torch.sum`.
# The loss `forward` reports `"is" if loss_is_sum else "is not"` this `torch.sum` divided by
# 32, and dividing by a power of two is exact; the reported loss sits
# `in_steps(ulps_apart(fw.loss.detach(), nearest / n))` from the correctly rounded
# mean.
#
# Every gradient below is made of sums like this one: a matrix multiply adds
# 32 or 27 or 64 products per
# entry, a bias sums a column, a scatter-add adds the rows a character was looked up in. Two
# computations that add in different orders differ in the last bits, and neither is the
# wrong one.
#
# ## Which gradients are bit-exact, and why
#
# A hand-written gradient can miss autograd's bits in two ways: its own line rounds
# differently from autograd's formula, or the upstream gradient it was handed already
# differs. To see a line's own arithmetic, each line below gets **autograd's own upstream
# gradient** (`fw.h.grad`, `fw.logits.grad`, ...); [the learner's table](#one-line-handed-down)
# comes back to the handing down. Each case is a small function of the network that returns
# the hand-written gradient and autograd's; `check` compares them with `compare_grads`
# (which stops the page if one is not even close) and counts, for each, the entries that are
# not bit-for-bit equal and the most float32 steps between two entries.
#
# **`check`, and `Bits`, what it counts**

# %%
from dataclasses import dataclass


@dataclass
class Bits:
    exact: bool
    differ: int       # entries that are not bit-for-bit equal
    of: int           # entries in all
    steps: int        # the most float32 steps between two entries

    @property
    def word(self):
        return "exact" if self.exact else "not exact"

    @property
    def most(self):           # "1 step", "58 steps"
        return in_steps(self.steps)

    def __str__(self):
        if self.exact:
            return "exact"
        return f"{self.differ} of {self.of} differ, <= {self.most}"


found = {}                    # label -> Bits, for the summary table


def check(cases, caption):
    """Each case on the float32 network, against autograd."""
    pairs = {label: case(fw, p) for label, case in cases.items()}
    table = compare_grads(pairs, caption=caption)  # raises if not close
    for label, (hand, auto) in pairs.items():
        steps = ulps_apart(hand, auto)
        found[label] = Bits(torch.equal(hand, auto),
                            int((steps > 0).sum()), steps.numel(),
                            int(steps.max()))
        print(f"{label:27s} {found[label]}")
    return table


# %% [markdown]
# ### Same operations, same order
#
# When a hand-written line calls the same kernels as autograd's backward formula, on the
# same numbers, in the same order, the result is the same bits, however many roundings are
# on the way. Most lines of the site are of this kind:
#
# **The six cases in code**

# %%
def w2_matmul(fw, p):        # h.T @ grad: [64, 32] @ [32, 27]
    return fw.h.detach().T @ fw.logits.grad, p.W2.grad


def b2_sum(fw, p):           # the bias: the column sums of its grad
    return fw.logits.grad.sum(0), p.b2.grad


def logits_max(fw, p):       # the max's one-hot, plus the direct path
    winner = rules.max_backward(fw.logit_maxes.grad,
                                fw.logits.detach(), 1, keepdim=True)
    return fw.norm_logits.grad + winner, fw.logits.grad


def c_scatter(fw, p):        # index_add_ into the rows looked up
    return (rules.embedding_backward(fw.emb.grad, Xb, VOCAB_SIZE),
            p.C.grad)


def mean_of_32(fw, p):       # forward: 1 / n * sum; here: / n
    return fw.bndiff.grad + fw.bnmeani.grad / n, fw.hprebn.grad


def knobs(fw, p):            # the knobs page: d = ((a**2)**3)**2
    a = torch.tensor(2.0, requires_grad=True)
    (((a**2) ** 3) ** 2).backward()
    return torch.tensor(2 * 64 * (3 * 4**2) * (2 * 2.0)), a.grad


SAME_ORDER = {"W2: h.T @ grad": w2_matmul, "b2: grad.sum(0)": b2_sum,
              "logits: max's one-hot": logits_max,
              "C: index_add_": c_scatter,
              "hprebn: mean over 32": mean_of_32,
              "knobs: integers": knobs}

# %%
check(SAME_ORDER, caption="Same operations, same order")


# %% [markdown]
# `"All six are exact" if all(found[k].exact for k in SAME_ORDER) else "Not all six are exact on this machine"`.
# The matrix products are autograd's own calls: its backward of `@` is `grad.mm(mat2.t())`
# and `mat1.t().mm(grad)` ([the matmul page](https://backprop-by-hand.github.io/rules/matmul/#torch-agrees-bit-for-bit)).
# The bias's column sum is the very `sum` autograd uses to de-broadcast. The max moves a
# number to the winner and does no arithmetic at all; `index_add_` adds each row of `C`'s
# copies in the order of the lookups, as autograd's indexing backward does
# ([the embedding page](https://backprop-by-hand.github.io/rules/embedding/#index_add_-the-same-loop-inside-torch)). The
# mean is the one with a twist: the forward pass multiplies by `1 / n`, this line divides by
# $n$. That is a different operation, yet exact, because 32 is a power of two:
# multiplying or dividing by it only shifts the exponent, and nothing rounds
# ([the batch mean](https://backprop-by-hand.github.io/rules/sums-and-means/#in-makemore-the-batch-mean)). And the
# [knobs machine](https://backprop-by-hand.github.io/knobs/#torch-agrees) works with integers small enough that float32
# holds every one of them: nothing rounds there either.
#
# ### A constant rounded differently
#
# Bessel's factor, $\frac{1}{31}$, has no exact float32 value. The
# forward pass computes `bnvar = 1 / (n - 1) * bndiff2.sum(0, keepdim=True)`: Python's float64 `1 / 31` becomes
# the nearest float32, and autograd's backward multiplies by that same rounded number.
# Dividing by 31 instead rounds once, at the end, from the exact quotient: the
# same mathematics, another rounding. The same goes for a mean over three numbers, say the
# 3 context characters of each example averaged into one vector
# (a variant of the network, with a made-up upstream gradient). There the roles swap:
# autograd's backward for `mean` divides the copied gradient by the count.
#
# **The four cases in code**

# %%
def bessel_times(fw, p):     # the walk's line: times 1 / (n - 1)
    return (1 / (n - 1) * fw.bnvar.grad).expand(n, -1), fw.bndiff2.grad


def bessel_divided(fw, p):   # the same factor, divided
    return (fw.bnvar.grad / (n - 1)).expand(n, -1), fw.bndiff2.grad


def mean_of_3(fw):
    """Autograd's gradient of a mean over the 3 context vectors."""
    emb = fw.emb.detach().clone().requires_grad_()      # [32, 3, 10]
    made_up = torch.Generator().manual_seed(3)
    up = torch.randn(n, emb.shape[2], generator=made_up)
    up = up.to(emb.dtype)                               # [32, 10]
    emb.mean(1).backward(up)
    return up, emb.grad


def mean3_times(fw, p):      # times 1 / 3
    up, auto = mean_of_3(fw)
    return (up * (1 / 3)).unsqueeze(1).expand_as(auto), auto


def mean3_divided(fw, p):    # rules.mean_backward divides by 3
    up, auto = mean_of_3(fw)
    return rules.mean_backward(up, auto.shape, 1), auto


CONSTANT = {"bndiff2: * (1 / 31)": bessel_times,
            "bndiff2: / 31": bessel_divided,
            "mean of 3: * (1 / 3)": mean3_times,
            "mean of 3: / 3": mean3_divided}

# %%
check(CONSTANT, caption="A constant rounded differently")

# %% [markdown]
# Dividing by 31 where the forward pass multiplied by `1 / 31` is
# `found["bndiff2: / 31"].word`: `found["bndiff2: / 31"].differ` of the
# 2,048 entries differ, by at most
# `found["bndiff2: / 31"].most`. Multiplying by `1 / 3` where autograd divides
# is `found["mean of 3: * (1 / 3)"].word` (`found["mean of 3: * (1 / 3)"].differ`
# of 960 entries). In each pair, the line that
# does what autograd does, multiply or divide, is
# `"exact: that proves the cause" if found["bndiff2: * (1 / 31)"].exact and found["mean of 3: / 3"].exact else "not exact either, so the constant is not the whole story on this machine"`. The [sums and means page](https://backprop-by-hand.github.io/rules/sums-and-means/#in-makemore-the-batch-variance-and-bessels-correction)
# measured the Bessel case first.
#
# ### Another spelling, another formula
#
# `counts_sum**-1` and `1.0 / counts_sum` compute the same forward values
# (`"bit for bit, as printed below" if torch.equal(fw.counts_sum.detach() ** -1, 1.0 / fw.counts_sum.detach()) else "though not bit for bit here"`). But
# autograd records a different node for each, and each node has its own backward formula
# (in PyTorch's `derivatives.yaml`) for the same derivative, `-1 / s**2`:

# %%
s = fw.counts_sum.detach().clone().requires_grad_()   # [32, 1]
by_pow, by_div = s**-1, 1.0 / s
print("s**-1:  ", by_pow.grad_fn.name())
print("1.0 / s:", by_div.grad_fn.name(), "<-",
      by_div.grad_fn.next_functions[0][0].name())
print("same forward bits:", torch.equal(by_pow, by_div))


# %% [markdown]
# `PowBackward0` computes `grad * (-1 * s.pow(-2))`, from the input. `1.0 / s` is run as a
# reciprocal times one, and `ReciprocalBackward0` computes `-grad * (r * r)` from its
# *output* $r = \frac{1}{s}$, already rounded. The hand-written line of the first network
# page is the power rule:
#
# **The three cases in code**

# %%
def autograd_of(fw, spelling):
    """counts_sum's gradient through one spelling of 1 / s."""
    s = fw.counts_sum.detach().clone().requires_grad_()
    r = spelling(s)
    r.backward(fw.counts_sum_inv.grad)
    return s.grad, r.detach()


def pow_rule_vs_pow(fw, p):  # the walk's line, against s**-1
    s = fw.counts_sum.detach()
    return -s**-2 * fw.counts_sum_inv.grad, fw.counts_sum.grad


def pow_rule_vs_div(fw, p):  # the same line, against 1.0 / s
    s = fw.counts_sum.detach()
    auto, _ = autograd_of(fw, lambda t: 1.0 / t)
    return -s**-2 * fw.counts_sum_inv.grad, auto


def r_squared_vs_div(fw, p):  # ReciprocalBackward0's formula
    auto, r = autograd_of(fw, lambda t: 1.0 / t)
    return -fw.counts_sum_inv.grad * (r * r), auto


SPELLING = {"-s**-2 vs s**-1": pow_rule_vs_pow,
            "-s**-2 vs 1.0 / s": pow_rule_vs_div,
            "-grad * r * r vs 1.0 / s": r_squared_vs_div}

# %%
check(SPELLING, caption="The reciprocal, two spellings")


# %% [markdown]
# `"The lecture's comment was right" if not found["-s**-2 vs 1.0 / s"].exact else "On this machine the lecture's warning does not apply"`:
# against `1.0 / counts_sum` the power rule is
# `found["-s**-2 vs 1.0 / s"].word` (`found["-s**-2 vs 1.0 / s"].differ` of
# 32 entries, at most
# `found["-s**-2 vs 1.0 / s"].most`). Written the way the reciprocal's node
# writes it, from the output, it is `found["-grad * r * r vs 1.0 / s"].word` again.
# The [element-wise page](https://backprop-by-hand.github.io/rules/elementwise/#the-comment-three-spellings-of-one-over-a-number) adds a
# third spelling, `torch.div(1.0, counts_sum)`.
#
# The lecture's comment is about the whole backward pass, not one line. So build the
# written-out loss again on the network's logits, this time with `1.0 / counts_sum`, and set
# autograd's gradients under the two spellings side by side, from `counts_sum_inv` down to
# the logits:
#
# **The loss again, with the other spelling**

# %%
def loss_spelled(fw, invert):
    """The written-out loss from fw's logits, 1 / s by invert."""
    t = {"logits": fw.logits.detach().clone().requires_grad_()}
    t["logit_maxes"] = t["logits"].max(1, keepdim=True).values
    t["norm_logits"] = t["logits"] - t["logit_maxes"]
    t["counts"] = t["norm_logits"].exp()
    t["counts_sum"] = t["counts"].sum(1, keepdim=True)
    t["counts_sum_inv"] = invert(t["counts_sum"])
    probs = t["counts"] * t["counts_sum_inv"]
    for tensor in t.values():
        tensor.retain_grad()
    (-probs.log()[range(n), Yb].mean()).backward()
    return t


by_div = loss_spelled(fw, lambda s: 1.0 / s)

# %%
spellings = compare_grads(
    {name: (getattr(fw, name).grad, by_div[name].grad)
     for name in reversed(list(by_div))},
    caption="Autograd: counts_sum**-1 against 1.0 / counts_sum")
parted = [row.name for row in spellings if not row.exact]
spellings

# %% [markdown]
# `"The two spellings send the same gradient into counts_sum_inv" if spellings["counts_sum_inv"].exact else "Here the two spellings differ even at counts_sum_inv"`;
# `"the rows where they part are " + ", ".join(parted) if parted else "on this machine they do not part at all"`.
# A hand-written walk does the arithmetic of one spelling, the first network page's that of
# `counts_sum**-1`, so against the other it can only be close from `counts_sum` down, and so
# can every row below the logits that is computed from them.
#
# ### One rounding instead of two
#
# This is the learner's `hpreact` row. Autograd's backward for tanh is
# `tanh_backward(grad, h)`, and its kernel is written `grad * (1 - h * h)`, the formula of
# the hand-written line. The hand-written `(1 - h**2)` rounds twice, once for `h**2` and
# once for the subtraction. A compiled kernel need not: on a CPU with a *fused multiply-add*
# instruction, the compiler may turn `1 - h * h` into one operation that rounds once. Python
# cannot see which instructions the kernel runs, but it can compare the kernel's bits with
# both: rounding twice, and `1 - h * h` computed in float64 (where `h * h` is exact and the
# subtraction nearly so) and rounded to float32 once. The kernel itself, called directly,
# is the control.
#
# **The three cases in code**

# %%
cpu_kernels = torch.backends.cpu.get_cpu_capability()


def tanh_twice(fw, p):       # the hand-written line
    h = fw.h.detach()
    return (1 - h**2) * fw.h.grad, fw.hpreact.grad


def tanh_kernel(fw, p):      # autograd's own kernel, called directly
    by_kernel = torch.ops.aten.tanh_backward(fw.h.grad, fw.h.detach())
    return by_kernel, fw.hpreact.grad


def tanh_once(fw, p):        # 1 - h*h in float64, rounded once
    h = fw.h.detach()
    once = (1 - h.double() * h.double()).to(h.dtype)
    return once * fw.h.grad, fw.hpreact.grad


TANH = {"tanh: (1 - h**2) * grad": tanh_twice,
        "tanh: aten.tanh_backward": tanh_kernel,
        "tanh: 1 - h*h rounded once": tanh_once}

# %%
print("CPU kernels:", cpu_kernels)
check(TANH, caption="tanh, rounded twice and once")

# %% [markdown]
# On this machine (CPU kernels `cpu_kernels`) the hand-written line is
# `found["tanh: (1 - h**2) * grad"].word`: `found["tanh: (1 - h**2) * grad"].differ`
# of 2,048 entries differ, the worst by
# `found["tanh: (1 - h**2) * grad"].most`. The kernel called directly is
# `found["tanh: aten.tanh_backward"].word`, and rounding once is
# `found["tanh: 1 - h*h rounded once"].word`.
# `"Rounding once reproduces every entry that rounding twice misses, and the explanation that fits is a fused multiply-add in the compiled kernel. That is inferred from the bits, not read from the machine code: on a CPU or a build of PyTorch without the instruction, the kernel would round twice, and the hand-written line would match it." if found["tanh: 1 - h*h rounded once"].exact and not found["tanh: (1 - h**2) * grad"].exact else "Here the kernel rounds like the hand-written line: no sign of a fused multiply-add on this machine." if found["tanh: (1 - h**2) * grad"].exact else "Neither rounding reproduces the kernel here, so its arithmetic on this machine is something else again."`
# Where $|h|$ is close to one, `1 - h**2` is a small difference of two numbers near one,
# and the bits `h**2` rounded away were the ones that difference needed: that is where the
# worst entries sit.
#
# ### One line, handed down
#
# The learner's table is not exact from `hpreact` *on*: every row below it too. Those rows'
# lines are the walk of the [first network page](https://backprop-by-hand.github.io/mlp/every-intermediate/#batchnorm),
# BatchNorm, the first layer and the embedding, and each is computed from the one above it,
# so a difference made at `hpreact` is handed down. To tell a line that rounds on its own
# from a line that was handed a difference, run the lines three ways: walked from the
# hand-written tanh line, as on that page; each fed autograd's own upstream gradient; and
# walked from the rounded-once tanh. Written as functions of the upstream gradients `G`, the
# lines are those of that page, unchanged:
#
# **The walk's lines below tanh, as functions**

# %%
from snippets.tables import Table


def below_tanh(fw, p):
    """The walk's lines below hpreact, in order, each of G."""
    t = {name: tensor.detach() for name, tensor in fw.items()}
    gain, W1, C = p.bngain.detach(), p.W1.detach(), p.C.detach()
    return {
        "bngain":
            lambda G: (t["bnraw"] * G["hpreact"]).sum(0, keepdim=True),
        "bnbias": lambda G: G["hpreact"].sum(0, keepdim=True),
        "bnraw": lambda G: gain * G["hpreact"],
        "bnvar_inv":
            lambda G: (t["bndiff"] * G["bnraw"]).sum(0, keepdim=True),
        "bnvar": lambda G: (-0.5 * (t["bnvar"] + 1e-5) ** -1.5
                            * G["bnvar_inv"]),
        "bndiff2": lambda G: (1 / (n - 1) * G["bnvar"]).expand_as(
            t["bndiff2"]),
        "bndiff": lambda G: (t["bnvar_inv"] * G["bnraw"]
                             + 2 * t["bndiff"] * G["bndiff2"]),
        "bnmeani": lambda G: -G["bndiff"].sum(0, keepdim=True),
        "hprebn": lambda G: G["bndiff"] + 1 / n * G["bnmeani"],
        "embcat": lambda G: G["hprebn"] @ W1.T,
        "W1": lambda G: t["embcat"].T @ G["hprebn"],
        "b1": lambda G: G["hprebn"].sum(0),
        "emb": lambda G: G["embcat"].view(t["emb"].shape),
        "C": lambda G: torch.zeros_like(C).index_add(
            0, Xb.view(-1), G["emb"].view(-1, C.shape[1])),
    }


def walk(fw, p, grad_hpreact):
    """The lines below tanh, each fed the one above it."""
    G = {"hpreact": grad_hpreact}
    for name, line in below_tanh(fw, p).items():
        G[name] = line(G)
    return G


autograd = {name: t.grad for name, t in [*fw.items(), *p.items()]}


def side_by_side(ways):
    """A row per gradient, a column per way: "exact" or the max |diff|
    from autograd (compare_grads stops the page where one is not
    close); and, for each way, the gradients that are not exact."""
    rows, inexact_in = [], {way: [] for way in ways}
    for name in next(iter(ways.values())):
        cells = []
        for way, grads in ways.items():
            compare_grads({name: (grads[name], autograd[name])})
            if torch.equal(grads[name], autograd[name]):
                cells.append("exact")
            else:
                inexact_in[way].append(name)
                diff = (grads[name] - autograd[name]).abs().max()
                cells.append(f"{diff.item():.1e}")
        rows.append([name, *cells])
    table = Table(["gradient", *ways], rows, caption="Below tanh: "
                  "exact, or the max |diff| from autograd")
    return table, inexact_in


# %%
twice, once = tanh_twice(fw, p)[0], tanh_once(fw, p)[0]
ways = {
    "walked from (1 - h**2)": walk(fw, p, twice),
    "each line alone": {"hpreact": twice, **{
        name: line(autograd)
        for name, line in below_tanh(fw, p).items()}},
    "walked from the rounded once": walk(fw, p, once),
}
table, inexact_in = side_by_side(ways)
walked = ways["walked from (1 - h**2)"]
largest_handed = max((walked[k] - autograd[k]).abs().max().item()
                     for k in walked)
table


# %% [markdown]
# Walked from the hand-written tanh line, as on the first network page,
# `len(inexact_in["walked from (1 - h**2)"])` of the 15 rows are
# not exact, none by more than `f"{largest_handed:.1e}"`: the differences change size
# as sums collect them and factors scale them, without growing out of hand. Fed autograd's own upstream
# gradient, the rows that are not exact are
# `", ".join(inexact_in["each line alone"]) if inexact_in["each line alone"] else "none"`,
# and walked from the rounded-once tanh,
# `", ".join(inexact_in["walked from the rounded once"]) if inexact_in["walked from the rounded once"] else "none"`.
# `"So on this machine tanh's line is not the only cause; the columns above say which lines differ on their own." if inexact_in["each line alone"] != ["hpreact"] or inexact_in["walked from the rounded once"] else "So on this machine one rounding in one line is behind every inexact row of the learner's table: every other line does autograd's arithmetic to the bit, and was only handed the difference."`
# Nothing above tanh depends on it, which is why the learner's rows from `logprobs` to `b2`
# are untouched.
#
# ### Another order of operations
#
# The last group does the same mathematics along another road. The one-step cross-entropy
# gradient `(softmax - one_hot) / n` ([its page](https://backprop-by-hand.github.io/mlp/cross-entropy/)) against
# `F.cross_entropy`, which goes through a log-softmax, and against autograd's walk back
# through the written-out chain; the one-line BatchNorm gradient
# ([its page](https://backprop-by-hand.github.io/mlp/batchnorm/)) against the chain of seven steps; and a matrix product
# summed entry by entry, as the formula $\bar{h}_{ik} = \sum_j \overline{\text{logits}}_{ij} W_{kj}$
# says, instead of by the matrix-multiply kernel.
#
# **The five cases in code**

# %%
def ce_autograd(fw):
    """F.cross_entropy's gradient at the logits."""
    leaf = fw.logits.detach().clone().requires_grad_()
    F.cross_entropy(leaf, Yb).backward()
    return leaf.grad


def ce_fused(fw):            # (softmax - one_hot) / n
    probs = F.softmax(fw.logits.detach(), 1)
    return (probs - F.one_hot(Yb, VOCAB_SIZE)) / n


def ce_vs_cross_entropy(fw, p):
    return ce_fused(fw), ce_autograd(fw)


def ce_vs_chain(fw, p):
    return ce_fused(fw), fw.logits.grad


def bn_fused(fw, p):         # the one-line BatchNorm gradient
    dh, raw = fw.hpreact.grad, fw.bnraw.detach()
    gain, inv = p.bngain.detach(), fw.bnvar_inv.detach()
    return (gain * inv / n * (n * dh - dh.sum(0)
            - n / (n - 1) * raw * (dh * raw).sum(0)), fw.hprebn.grad)


def h_by_entry(fw, p):       # one dot product per entry
    up, W2 = fw.logits.grad, p.W2.detach()
    return (up[:, None, :] * W2[None, :, :]).sum(-1), fw.h.grad


def w2_by_entry(fw, p):
    up, h = fw.logits.grad, fw.h.detach()
    return (h[:, :, None] * up[:, None, :]).sum(0), p.W2.grad


OTHER_ORDER = {"CE: fused vs cross_entropy": ce_vs_cross_entropy,
               "CE: fused vs the chain": ce_vs_chain,
               "BN: one line vs the chain": bn_fused,
               "h: by entry": h_by_entry, "W2: by entry": w2_by_entry}

# %%
check(OTHER_ORDER, caption="Another order of operations")


# %% [markdown]
# `"None of the five is exact" if not any(found[k].exact for k in OTHER_ORDER) else "Some of the five are exact"`,
# and many entries differ: the fused cross-entropy differs from `F.cross_entropy` in
# `found["CE: fused vs cross_entropy"].differ` of
# 864 entries, the one-line BatchNorm from
# the chain in `found["BN: one line vs the chain"].differ` of
# 2,048. Counted in steps, some entries are
# far apart, `found["W2: by entry"].most` at worst for `W2` summed entry by entry. Those
# are entries close to zero, sums whose terms nearly cancel; a step there is
# tiny, and the [tolerance section](#atol-results-near-zero) below comes back to them.
#
# Now follow each road the way autograd follows it. For the matrix product that is `@`
# itself (the first group). For BatchNorm it is the chain's own lines, the
# [walk below tanh](#one-line-handed-down) from autograd's `hpreact` gradient. For
# `F.cross_entropy` it is a log-softmax's backward, `grad - exp(logp) * grad.sum(1)`:
#
# **The three roads in code, and the kernel's `exp` read back**

# %%
def bn_chain(fw, p):         # the walk's seven steps, from hpreact
    return walk(fw, p, fw.hpreact.grad)["hprebn"], fw.hprebn.grad


def log_softmax_route(fw):
    logp = F.log_softmax(fw.logits.detach(), 1)       # [32, 27]
    up = torch.zeros_like(logp)
    up[range(n), Yb] = -1 / n          # nll_loss's gradient, mean
    return logp, up


def ce_by_log_softmax(fw, p):
    logp, up = log_softmax_route(fw)
    return up - logp.exp() * up.sum(1, keepdim=True), ce_autograd(fw)


def ce_kernel(fw, p):        # the log-softmax backward kernel itself
    logp, up = log_softmax_route(fw)
    by_kernel = torch.ops.aten._log_softmax_backward_data(
        up, logp, 1, logp.dtype)
    return by_kernel, ce_autograd(fw)


ROADS = {"BN: the chain's lines": bn_chain,
         "CE: log-softmax by hand": ce_by_log_softmax,
         "CE: log-softmax kernel": ce_kernel}

# off the targets the kernel's result is exp(logp) / n: read its exp
logp, up = log_softmax_route(fw)
off_target = up == 0
kernel_exp = ce_autograd(fw)[off_target] * n      # / 32 is exact
exp_differs = int((kernel_exp != logp.exp()[off_target]).sum())
hand_ls, auto_ls = ce_by_log_softmax(fw, p)
differ_on = int((hand_ls != auto_ls)[~off_target].sum())
differ_off = int((hand_ls != auto_ls)[off_target].sum())
print("entries where the kernel's exp != torch.exp:", exp_differs)
print("log-softmax by hand, entries that differ: on the targets",
      differ_on, " off them", differ_off)

# %%
check(ROADS, caption="The same roads autograd takes")

# %% [markdown]
# The chain's lines are `found["BN: the chain's lines"].word`. The log-softmax formula
# by hand is `found["CE: log-softmax by hand"].word`, off in only
# `found["CE: log-softmax by hand"].differ` entries by at most
# `found["CE: log-softmax by hand"].most`, and calling the kernel is
# `found["CE: log-softmax kernel"].word`. Of the entries that differ,
# `differ_off` are off the targets and `differ_on` on them. Off the targets the
# kernel's result is `exp(logp) / n`, so its `exp` can be read back, and it differs from
# `torch.exp` in `exp_differs` entries`", not all of the difference off the targets" if exp_differs != differ_off else ": all of the difference off the targets"`.
# `"Both are approximations of e^x in compiled code, and here they round differently: even the same formula is only bit-exact with the same implementation of each operation in it." if exp_differs else "Here the two exps agree, so the difference lies in the rest of the arithmetic."`
# (On the targets the kernel also subtracts, so there the order of its arithmetic can add to
# it.)
#
# ### All of them in one table
#
# Measured when this page was built, with torch `torch.__version__`; each case links to
# the page that looks at it closely, and "steps" is the most float32 steps between two
# entries.
#
# | case | bits | entries that differ | steps | cause |
# | --- | --- | ---: | ---: | --- |
# | [`h.T @ grad` for `W2`](https://backprop-by-hand.github.io/rules/matmul/#torch-agrees-bit-for-bit) | `found["W2: h.T @ grad"].word` | `found["W2: h.T @ grad"].differ` | `found["W2: h.T @ grad"].steps` | same kernel, same order |
# | [`grad.sum(0)` for `b2`](https://backprop-by-hand.github.io/rules/broadcasting/#the-three-broadcasts-of-the-makemore-mlp) | `found["b2: grad.sum(0)"].word` | `found["b2: grad.sum(0)"].differ` | `found["b2: grad.sum(0)"].steps` | same kernel, same order |
# | [the max's one-hot](https://backprop-by-hand.github.io/rules/max/#the-derivation-one-winner-per-row) | `found["logits: max's one-hot"].word` | `found["logits: max's one-hot"].differ` | `found["logits: max's one-hot"].steps` | no arithmetic |
# | [`index_add_` for `C`](https://backprop-by-hand.github.io/rules/embedding/#index_add_-the-same-loop-inside-torch) | `found["C: index_add_"].word` | `found["C: index_add_"].differ` | `found["C: index_add_"].steps` | same additions, same order |
# | [a mean over 32, divided](https://backprop-by-hand.github.io/rules/sums-and-means/#in-makemore-the-batch-mean) | `found["hprebn: mean over 32"].word` | `found["hprebn: mean over 32"].differ` | `found["hprebn: mean over 32"].steps` | a power of two: no rounding |
# | [Bessel's factor, divided](https://backprop-by-hand.github.io/rules/sums-and-means/#in-makemore-the-batch-variance-and-bessels-correction) | `found["bndiff2: / 31"].word` | `found["bndiff2: / 31"].differ` | `found["bndiff2: / 31"].steps` | a constant rounded differently |
# | [a mean of three, times `1 / 3`](#a-constant-rounded-differently) | `found["mean of 3: * (1 / 3)"].word` | `found["mean of 3: * (1 / 3)"].differ` | `found["mean of 3: * (1 / 3)"].steps` | a constant rounded differently |
# | [`-s**-2` against `1.0 / s`](https://backprop-by-hand.github.io/rules/elementwise/#the-comment-three-spellings-of-one-over-a-number) | `found["-s**-2 vs 1.0 / s"].word` | `found["-s**-2 vs 1.0 / s"].differ` | `found["-s**-2 vs 1.0 / s"].steps` | another node, another formula |
# | [tanh's `(1 - h**2) * grad`](#one-rounding-instead-of-two) | `found["tanh: (1 - h**2) * grad"].word` | `found["tanh: (1 - h**2) * grad"].differ` | `found["tanh: (1 - h**2) * grad"].steps` | two roundings; the kernel's own |
# | [fused cross-entropy against `F.cross_entropy`](https://backprop-by-hand.github.io/mlp/cross-entropy/#torch-agrees) | `found["CE: fused vs cross_entropy"].word` | `found["CE: fused vs cross_entropy"].differ` | `found["CE: fused vs cross_entropy"].steps` | another road, another `exp` |
# | [fused cross-entropy against the chain](https://backprop-by-hand.github.io/mlp/cross-entropy/#torch-agrees) | `found["CE: fused vs the chain"].word` | `found["CE: fused vs the chain"].differ` | `found["CE: fused vs the chain"].steps` | another road |
# | [BatchNorm in one line](https://backprop-by-hand.github.io/mlp/batchnorm/#the-backward-pass-by-hand) | `found["BN: one line vs the chain"].word` | `found["BN: one line vs the chain"].differ` | `found["BN: one line vs the chain"].steps` | another road |
# | [`grad_h` entry by entry](https://backprop-by-hand.github.io/rules/matmul/#torch-agrees-bit-for-bit) | `found["h: by entry"].word` | `found["h: by entry"].differ` | `found["h: by entry"].steps` | sums in another order |
#
# A training run carries such differences along: the
# [training page](https://backprop-by-hand.github.io/mlp/training/#the-losses-side-by-side) trains the network for
# thousands of steps twice, once with hand-written gradients and once with
# `loss.backward()`, and measures how far apart the two losses come.
#
# ## How close is close enough
#
# Every comparison on the site that is not exact must still be *close*: `compare_grads` is
# `torch.allclose` with its defaults, and stops the page otherwise. An entry of the
# hand-written gradient is close when
#
# $$
# |\text{hand} - \text{autograd}| \le \text{atol} + \text{rtol} \cdot |\text{autograd}|,
# $$
#
# with rtol = 1e-5 and atol = 1e-8 (`snippets.compare.RTOL`
# and `ATOL`).
# Why those two numbers, and can a bug hide below them?
#
# ### rtol: about a hundred float32 steps
#
# A float32 number has 24 significant bits, so a step, the gap to its
# neighbour, is between `2**-24` and `2**-23` times the number itself (about
# 6.0e-8 and 1.19e-7). The larger, `2**-23`, is float32's
# *machine epsilon*, the step at one:

# %%
eps = torch.finfo(torch.float32).eps           # one step at 1.0
bits32 = 1 - round(torch.tensor(eps).log2().item())   # 24
rtol_in_steps = RTOL / eps
print(f"eps = {eps:.3e} = 2**{torch.tensor(eps).log2().item():.0f}")
print(f"rtol = {RTOL:g} = {rtol_in_steps:.1f} eps")

# %% [markdown]
# So rtol, 1e-5, is 84 times epsilon: between
# 84 and 168 float32 steps of the entry
# it applies to. The rounding differences measured above are a few steps at a gradient's
# largest entries. Now the other side:
# typical bugs, each on one of the same gradients. Dropping Bessel's `n/(n-1)` from
# the one-line BatchNorm; forgetting the $\frac{1}{n}$ of the mean in the one-step
# cross-entropy; tanh's derivative taken as `h` instead of `1 - h**2`; the softmax's sum
# taken over the wrong dimension (the batch instead of the characters); and `counts` with
# only the first of its two paths. Each line runs and has the right shape. Set beside the
# rounding cases of the sections above, on one scale, the largest difference relative to the
# gradient's largest entry:
#
# **The five bugs in code, the measures, and the drawing**

# %%
from snippets.figures import RED


def no_bessel(fw, p):        # n / (n - 1) dropped
    dh, raw = fw.hpreact.grad, fw.bnraw.detach()
    gain, inv = p.bngain.detach(), fw.bnvar_inv.detach()
    return (gain * inv / n * (n * dh - dh.sum(0)
            - raw * (dh * raw).sum(0)), fw.hprebn.grad)


def no_mean(fw, p):          # the / n of the mean forgotten
    probs = F.softmax(fw.logits.detach(), 1)
    return probs - F.one_hot(Yb, VOCAB_SIZE), fw.logits.grad


def tanh_h(fw, p):           # h instead of 1 - h**2
    return fw.h.detach() * fw.h.grad, fw.hpreact.grad


def wrong_dim(fw, p):        # softmax over the batch, dim 0
    probs = F.softmax(fw.logits.detach(), 0)
    return (probs - F.one_hot(Yb, VOCAB_SIZE)) / n, fw.logits.grad


def one_path(fw, p):         # counts: the sum path forgotten
    return (fw.counts_sum_inv.detach() * fw.probs.grad,
            fw.counts.grad)


ROUNDING = {"Bessel divided": bessel_divided,
            "mean of 3 times 1/3": mean3_times,
            "1.0 / s vs -s**-2": pow_rule_vs_div,
            "tanh rounded twice": tanh_twice,
            "CE vs cross_entropy": ce_vs_cross_entropy,
            "CE vs the chain": ce_vs_chain, "BN in one line": bn_fused,
            "h by entry": h_by_entry, "W2 by entry": w2_by_entry}
BUGS = {"Bessel's n/(n-1) dropped": no_bessel,
        "mean's 1/n forgotten": no_mean,
        "tanh: h for 1 - h**2": tanh_h,
        "softmax over dim 0": wrong_dim,
        "counts: one path of two": one_path}


def relative(hand, auto):
    """The largest difference, relative to the largest entry."""
    return ((hand - auto).abs().max() / auto.abs().max()).item()


rel = {label: relative(*case(fw, p))
       for label, case in {**ROUNDING, **BUGS}.items()}
worst_rounding = max(rel[k] for k in ROUNDING)


def at_largest(hand, auto):
    """max |diff| in float32 steps of autograd's largest entry."""
    top = auto.abs().max()
    step = torch.nextafter(top, top * 2) - top
    return ((hand - auto).abs().max() / step).item()


most_at_largest = max(at_largest(*case(fw, p))
                      for case in ROUNDING.values())
mildest_bug = min(rel[k] for k in BUGS)
# the site's real gate: torch.allclose with its defaults, entry by entry
passes = {label: torch.allclose(*case(fw, p), rtol=RTOL, atol=ATOL)
          for label, case in {**ROUNDING, **BUGS}.items()}
rounding_passed = sum(passes[k] for k in ROUNDING)
bugs_refused = sum(not passes[k] for k in BUGS)
print(f"rounding: relative differences up to {worst_rounding:.1e}")
print(f"bugs:     relative differences from  {mildest_bug:.1e}")


def draw_rounding_and_bugs():
    """Each case's relative difference, rounding and bugs, and rtol."""
    fig, ax = plt.subplots(figsize=(5.6, 4.6))
    labels = list(ROUNDING) + list(BUGS)
    for row, label in enumerate(labels):
        is_bug = label in BUGS
        ax.plot(rel[label], row, "o", color=RED if is_bug else BLUE)
    ax.axvline(RTOL, color=ORANGE, linestyle="--")
    ax.text(RTOL * 1.4, -1, f"rtol = {RTOL:g}", color=ORANGE,
            va="center")
    ax.set_xscale("log")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_ylim(len(labels) - 0.5, -1.6)   # first label at the top
    ax.set_xlabel("max |hand - autograd| / max |autograd|")
    ax.set_title("Rounding (blue) and bugs (red), same gradients")


# %%
draw_rounding_and_bugs()

# %% [markdown]
# The rounding cases sit between `f"{min(rel[k] for k in ROUNDING):.0e}"` and
# `f"{worst_rounding:.0e}"`: at most `in_steps(most_at_largest)` of the gradient's
# largest entry. The mildest
# bug, `min(BUGS, key=rel.get)`, is off by `f"{mildest_bug:.0e}"`, and the others
# by more. Between them lie `f"{torch.tensor(mildest_bug / worst_rounding).log10().item():.0f}"`
# orders of magnitude, and rtol sits between them, at 1e-5:
# `f"{RTOL / worst_rounding:.0f}"` times wider than the worst rounding,
# `f"{mildest_bug / RTOL:.0f}"` times narrower than the mildest bug. And the gate itself,
# `torch.allclose` entry by entry, lets 9 of the
# 9 rounding cases through and refuses 5 of the
# 5 bugs. That is why the tolerance is honest.
#
# One "bug" does hide: leave out `logits`' path through the max, and the gradient is off by
# only a rounding's worth, because that path carries nothing but rounding noise (with exact
# arithmetic it would be zero, as the [max page](https://backprop-by-hand.github.io/rules/max/#why-logit_maxes-gets-almost-no-gradient)
# shows). The [first network page's exercise](https://backprop-by-hand.github.io/mlp/every-intermediate/#exercise) meets
# it: *close* cannot tell a missing path from rounding when the path itself is rounding.
#
# ### atol: results near zero
#
# The plot measures each difference against the gradient's *largest* entry. `allclose`
# measures each entry against *itself*, and that is stricter where an entry is close to
# zero. An entry that is a sum of terms which nearly cancel is small, but its rounding
# errors were made on the big terms, so relative to the small result they are large. Take
# the worst entry of `W2` summed entry by entry:

# %%
w2_hand, w2_auto = w2_by_entry(fw, p)
per_entry = (w2_hand - w2_auto).abs() / w2_auto.abs()      # [64, 27]
wk, wj = divmod(int(per_entry.argmax()), w2_auto.shape[1])
terms = fw.h.detach()[:, wk] * fw.logits.grad[:, wj]   # [32]
print(f"W2 grad at [{wk}, {wj}]: {w2_auto[wk, wj].item():.2e},",
      f"by entry {w2_hand[wk, wj].item():.2e}")
print(f"its {terms.numel()} terms: |terms| add up to",
      f"{terms.abs().sum().item():.2e}")

needs_atol = [label for label, case in ROUNDING.items()
              if not torch.allclose(*case(fw, p), rtol=RTOL, atol=0)]
print("rounding cases that fail with atol = 0:", needs_atol)

# %% [markdown]
# That entry is `f"{w2_auto[wk, wj].item():.1e}"`, made of 32 products whose
# sizes add up to `f"{terms.abs().sum().item():.1e}"`; its two versions are
# `f"{per_entry.max().item():.0e}"` apart relative to the entry, far beyond rtol. That is
# what atol is for: an absolute allowance, 1e-8, that covers rounding in
# entries too small for rtol to cover. Without it,
# `len(needs_atol)` of the 9 rounding cases would be refused:
# `", ".join(needs_atol) if needs_atol else "none"`. The
# [matmul page](https://backprop-by-hand.github.io/rules/matmul/#torch-agrees-bit-for-bit) hit the same wall and
# loosened atol for its reordered sums.
#
# A fixed atol has a flaw: it is absolute, and gradients have no fixed size. Multiply the
# loss by 32, which turns the mean of the losses into their sum, and every
# gradient of the network is 32 times larger
# (`"bit for bit, as checked below: multiplying by a power of two is exact" if times_n else "though not bit for bit on this machine"`),
# rounding differences included, while atol stays 1e-8. The exercise notebooks'
# checker, `snippets.exercise.verdict`, therefore scales atol with the gradient: its atol is
# `atol + rtol * max|expected|`, on top of allclose's `rtol * |expected|` for each entry, so
# an entry may be off by between one and two rtol of the gradient's largest entry, the
# measure of the plot:
#
# **The loss summed, and each case judged both ways**

# %%
from snippets.exercise import verdict

# the same network, backward from 32 times the mean: the sum
p_sum = Params(**{k: v.detach().clone().requires_grad_()
                  for k, v in start.items()})
fw_sum = forward(p_sum, Xb, Yb)
(n * fw_sum.loss).backward()           # n * mean = the sum
pairs_sum = [(fw_sum, fw), (p_sum, p)]
times_n = all(torch.equal(t.grad, n * getattr(ref, name).grad)
              for grads, ref in pairs_sum
              for name, t in grads.items())
print("every gradient exactly 32 times the mean's:", times_n)

summed = {}        # label -> (compare_grads passes, verdict passes)
for label, case in {**ROUNDING, **BUGS}.items():
    hand, auto = (n * t for t in case(fw, p))    # as for the sum
    summed[label] = (torch.allclose(hand, auto, RTOL, ATOL),
                     verdict("grad", hand, auto).correct)
n_refused = sum(not summed[k][1] for k in ROUNDING)
for label, (fixed, scaled) in summed.items():
    print(f"{label:26s} fixed atol: {'close' if fixed else 'NO':5s}",
          f" verdict: {'right' if scaled else 'not yet'}")

# %% [markdown]
# With the loss summed, the fixed atol refuses
# `sum(not summed[k][0] for k in ROUNDING)` of the 9 rounding
# cases, and the scaled one
# `f"refuses {n_refused}" if n_refused else "none"`.
# Yet it still catches `sum(not summed[k][1] for k in BUGS)` of the 5
# bugs: scaling atol by rtol times the largest entry moves the line to between one and two
# rtol on the plot's scale, which still has orders of magnitude to spare on either side. The
# price: a bug confined to a gradient's smallest entries, far below its largest, could slip
# under the scaled allowance, where the fixed default would catch it. The site's pages
# keep the fixed default, because it is what `torch.allclose` and the `cmp()` of Karpathy's lecture use,
# and their gradients are the size it suits.
#
# ### float64: the same lines, finer steps
#
# float64 has 53 significant bits instead of 24, so its
# steps are $2^{29}$ times finer.
# Run the same network in float64 and the same hand-written lines, the very functions
# above, on it:

# %%
fw64, p64 = run(torch.float64)
rel64 = {label: relative(*case(fw64, p64))
         for label, case in ROUNDING.items()}
eps64 = torch.finfo(torch.float64).eps
bits64 = 1 - round(torch.tensor(eps64).log2().item())   # 53
for label in ROUNDING:
    print(f"{label:22s} float32 {rel[label]:.1e}   "
          f"float64 {rel64[label]:.1e}")
print(f"float64 epsilon: {eps64:.1e}")
mildest_bug64 = min(relative(*case(fw64, p64))
                    for case in BUGS.values())
print(f"bugs in float64: from {mildest_bug64:.1e}")

# %% [markdown]
# In float64 the same lines agree with autograd to at most
# `f"{max(rel64.values()):.0e}"` relative to the largest entry, against float64's
# epsilon of `f"{eps64:.1e}"`. The differences shrink with the precision, which is
# what rounding differences do and a bug does not: in float64 the mildest bug is still off
# by `f"{mildest_bug64:.0e}"`. That is why the site's own tests
# check the rules in float64, where they can afford to be strict. The repository's
# `tests/test_rules.py` tests every rule of `snippets/rules.py` on shapes that hypothesis
# draws, with tolerances that live beside `RTOL` and `ATOL` in `snippets.compare`:

# %%
from snippets.compare import EXACT, FLOAT64, GRADCHECK

print("float64 against autograd:", FLOAT64)
print("max's one-hot against autograd:", EXACT)
print("float64 against finite differences (gradcheck):", GRADCHECK)

# %% [markdown]
# - against autograd in float64, with rtol 1e-12 and atol
#   1e-12, far stricter than the float32 defaults; and in float32
#   within `torch.allclose`'s defaults;
# - the max rule with rtol and atol of 0: it moves
#   numbers and does no arithmetic, so it must be exact;
# - against finite differences, with `torch.autograd.gradcheck` in float64: central
#   differences with nudges of 1e-6, and a tolerance of
#   1e-5 absolute plus 1e-4 relative
#   (gradcheck's own default rtol is ten times looser). A finite difference has errors of
#   its own: the curvature it ignores, which shrinks like the square of the nudge, and
#   rounding in the function's value, divided by the small nudge.
#
# The nudges on the site's pages run in float64 too. A nudge divides the change in the loss
# by the size of the turn, and in float32 the loss is only known to about a step,
# `f"{loss_step:.1e}"` at a loss of about 3; divided by
# a small turn, that error swamps the slope. Turn `C[0, 0]` by less and less, in both
# precisions:
#
# **The nudges in code**

# %%
actual_turn = {}      # (dtype, turn) -> how far C[0, 0] really moved


def nudged_slope(dtype, turn):
    """The loss's change over C[0, 0]'s change, in dtype."""
    q = Params(**{k: v.detach().to(dtype).clone()
                  for k, v in start.items()})
    before, c00 = forward(q, Xb, Yb).loss.item(), q.C[0, 0].item()
    q.C[0, 0] += turn                  # itself rounded to dtype
    moved = q.C[0, 0].item() - c00
    actual_turn[dtype, turn] = moved
    return (forward(q, Xb, Yb).loss.item() - before) / moved


slope = p.C.grad[0, 0].item()
loss_now = fw.loss.detach()
loss_step = (torch.nextafter(loss_now, f32(1e9)) - loss_now).item()
TURNS = [1e-2, 1e-3, 1e-4, 1e-5, 1e-6]
nudges = {t: (nudged_slope(torch.float32, t),
              nudged_slope(torch.float64, t)) for t in TURNS}
print(f"autograd's gradient: {slope:.6f}")
print("  turn     float32     float64")
for t, (s32, s64) in nudges.items():
    print(f"{t:6.0e}  {s32:10.6f}  {s64:10.6f}")

# %% [markdown]
# The gradient is 0.016338. (Each estimate divides by how far `C[0, 0]`
# really moved: in float32 even the turn is rounded, and a turn of 1e-6
# moves it by `f"{actual_turn[torch.float32, 1e-6]:.3g}"`.) In float64 the estimate
# settles on the gradient as the turn shrinks: at 1e-6 it agrees with
# float64 autograd's gradient to
# `f"{abs(nudges[1e-6][1] / p64.C.grad[0, 0].item() - 1):.0e}"`, relative. In float32
# the estimate
# `"gets worse as the turn gets smaller" if abs(nudges[1e-6][0] - slope) > abs(nudges[1e-4][0] - slope) else "does not get better as the turn gets smaller"`:
# `f"{nudges[1e-4][0]:.3f}"` at a turn of 1e-4 and
# `f"{nudges[1e-6][0]:.3f}"` at 1e-6, off by
# `f"{abs(nudges[1e-6][0] / slope - 1):.0%}"`. In float32 the loss can only move by
# whole steps: at the smallest turn it moved by
# `in_steps(round(nudges[1e-6][0] * actual_turn[torch.float32, 1e-6] / loss_step))`,
# and that divided by the turn is the estimate.
#
# ### Typed numbers on the pages
#
# One last tolerance: a number typed in a page's prose, like the
# 0.016338 above, is checked against the value the page's code computed, to
# half a unit of its last typed digit (`pagecheck/numbers.py`). The author chooses the
# precision by the digits typed:

# %%
from pagecheck.numbers import parse_number

for typed in ("0.016338", "0.24", "5.8e-11", "24,576"):
    print(f"{typed:>9s} is checked to within "
          f"{parse_number(typed).tolerance:.1g}")

# %% [markdown]
# A number that varies from machine to machine, such as a count of differing entries on this
# page, is not typed at all: it is *glued*, shown as computed, so that the page states it
# without claiming it.
#
# > **The rule to remember**
# >
# > Bit-exact means the same operations, on the same rounded numbers, in the same order.
# > Anything else is a few float32 steps off, and *close* (rtol 1e-5,
# > at least 84 steps, plus a small atol for entries near zero)
# > lets that through and stops a bug.
#
# ## Exercise
#
# A learner writes tanh's backward as `(1 - h) * (1 + h) * grad_h`: the same mathematics
# as `(1 - h**2) * grad_h`, since `1 - h**2 == (1 - h) * (1 + h)`. Before running
# anything: is it exact against autograd? Close? And compared with the value computed
# in float64 (exact to far more digits than float32 keeps), is it more or less accurate
# than `(1 - h**2) * grad_h`, especially where $|h|$ is close to one? Then measure: the entries that differ from autograd, the
# most float32 steps, and the worst relative error of each line against the float64 value.
#
# **Solution**
#
# Close, and `factored.word` on this machine: `factored.differ` of
# 2,048 entries differ from autograd, by at most
# `factored.most`, against `found["tanh: (1 - h**2) * grad"].most` for
# `(1 - h**2)`. And it is `"the more" if err["(1 - h) * (1 + h)"] < err["1 - h**2"] else "the less"`
# accurate of the two hand-written lines: its worst relative error is
# `f"{err['(1 - h) * (1 + h)']:.0e}"`, against
# `f"{err['1 - h**2']:.0e}"` for `1 - h**2` and `f"{err['autograd']:.0e}"` for
# autograd's kernel. Where $|h|$ is close to one, one of `1 - h` and `1 + h`
# subtracts two numbers within a factor of two of each other, which float32 does exactly;
# the other is close to two and loses at most half a step, a tiny error relative to itself.
# `h**2` instead throws away the low bits that `1 - h**2` then needs. Bit-exactness with
# autograd and accuracy are different questions: exactness only says "the same operations",
# not "the right answer".

# %%
h, grad_h = fw.h.detach(), fw.h.grad                 # [32, 64] each
grad_hpreact_factored = (1 - h) * (1 + h) * grad_h
compare_grads({"hpreact, (1 - h) * (1 + h)":
               (grad_hpreact_factored, fw.hpreact.grad)})

steps_f = ulps_apart(grad_hpreact_factored, fw.hpreact.grad)
factored = Bits(torch.equal(grad_hpreact_factored, fw.hpreact.grad),
                int((steps_f > 0).sum()), steps_f.numel(),
                int(steps_f.max()))
truth = (1 - h.double() ** 2) * grad_h.double()  # float64: far finer
err = {name: ((line.double() - truth).abs() / truth.abs()).max().item()
       for name, line in {"1 - h**2": (1 - h**2) * grad_h,
                          "(1 - h) * (1 + h)": grad_hpreact_factored,
                          "autograd": fw.hpreact.grad}.items()}
print(factored)
for name, e in err.items():
    print(f"{name:18s} worst relative error {e:.1e}")

# %%
# Every number the text above states, checked against what the code computed (as
# the site's build checks them). Lines are the page's own.
from pagecheck.notebook import check_page

check_page(globals(), [
    (112, 'int(ulps_apart(left, right))', '1'),
    (119, 'n', '32'),
    (121, 'n', '32'),
    (121, 'ORDERS', '10,000'),
    (193, 'ORDERS', '10,000'),
    (196, 'step_at_sum', '2^{-17}'),
    (203, 'n', '32'),
    (208, 'n', '32'),
    (213, 'n', '32'),
    (213, 'VOCAB_SIZE', '27'),
    (213, 'start.W1.shape[1]', '64'),
    (333, 'n', '32'),
    (341, '1 / (n - 1)', '\\frac{1}{31}'),
    (344, 'n - 1', '31'),
    (346, 'fw.emb.shape[1]', '3'),
    (393, 'n - 1', '31'),
    (395, 'found["bndiff2: / 31"].of', '2,048'),
    (398, 'found["mean of 3: * (1 / 3)"].of', '960'),
    (465, 'found["-s**-2 vs 1.0 / s"].of', '32'),
    (562, 'found["tanh: (1 - h**2) * grad"].of', '2,048'),
    (667, 'len(table)', '15'),
    (743, 'found["CE: fused vs cross_entropy"].of', '864'),
    (745, 'found["BN: one line vs the chain"].of', '2,048'),
    (828, 'n', '32'),
    (853, 'RTOL', '1e-5'),
    (853, 'ATOL', '1e-8'),
    (859, 'bits32', '24'),
    (861, 'eps / 2', '6.0e-8'),
    (861, 'eps', '1.19e-7'),
    (872, 'RTOL', '1e-5'),
    (872, 'rtol_in_steps', '84'),
    (873, 'rtol_in_steps', '84'),
    (873, '2 * rtol_in_steps', '168'),
    (987, 'RTOL', '1e-5'),
    (990, 'rounding_passed', '9'),
    (991, 'len(ROUNDING)', '9'),
    (991, 'bugs_refused', '5'),
    (992, 'len(BUGS)', '5'),
    (1023, 'n', '32'),
    (1026, 'ATOL', '1e-8'),
    (1028, 'len(ROUNDING)', '9'),
    (1034, 'n', '32'),
    (1035, 'n', '32'),
    (1037, 'ATOL', '1e-8'),
    (1073, 'len(ROUNDING)', '9'),
    (1076, 'len(BUGS)', '5'),
    (1086, 'bits64', '53'),
    (1086, 'bits32', '24'),
    (1087, 'eps / eps64', '2^{29}'),
    (1123, 'FLOAT64["rtol"]', '1e-12'),
    (1124, 'FLOAT64["atol"]', '1e-12'),
    (1126, 'EXACT["rtol"] + EXACT["atol"]', '0'),
    (1129, 'GRADCHECK["eps"]', '1e-6'),
    (1130, 'GRADCHECK["atol"]', '1e-5'),
    (1130, 'GRADCHECK["rtol"]', '1e-4'),
    (1137, 'round(fw.loss.item())', '3'),
    (1172, 'slope', '0.016338'),
    (1173, 'TURNS[4]', '1e-6'),
    (1175, 'TURNS[4]', '1e-6'),
    (1180, 'TURNS[2]', '1e-4'),
    (1181, 'TURNS[4]', '1e-6'),
    (1190, 'slope', '0.016338'),
    (1209, 'RTOL', '1e-5'),
    (1210, 'rtol_in_steps', '84'),
    (1226, 'factored.of', '2,048'),
], [
    (34, 'NAMES_SOURCE'),
    (114, '"the left one" if torch.equal(nearest3, left) else "the right one"'),
    (193, 'sums.unique().numel()'),
    (194, 'in_steps(-values.min())'),
    (195, 'in_steps(values.max())'),
    (195, 'int(counts[values == 0].sum())'),
    (197, 'f"{step_at_sum:.1e}"'),
    (200, 'in_steps(abs(signed_steps(in_batch_order)))'),
    (201, 'in_steps(abs(by_torch))'),
    (201, '"below" if by_torch < 0 else "above" if by_torch > 0 else "away"'),
    (205, '"the very bits of" if torch.equal(folded[0], losses.sum()) else "other bits than"'),
    (207, '"is" if loss_is_sum else "is not"'),
    (209, 'in_steps(ulps_apart(fw.loss.detach(), nearest / n))'),
    (325, '"All six are exact" if all(found[k].exact for k in SAME_ORDER) else "Not all six are exact on this machine"'),
    (394, 'found["bndiff2: / 31"].word'),
    (394, 'found["bndiff2: / 31"].differ'),
    (396, 'found["bndiff2: / 31"].most'),
    (397, 'found["mean of 3: * (1 / 3)"].word'),
    (397, 'found["mean of 3: * (1 / 3)"].differ'),
    (400, '"exact: that proves the cause" if found["bndiff2: * (1 / 31)"].exact and found["mean of 3: / 3"].exact else "not exact either, so the constant is not the whole story on this machine"'),
    (406, '"bit for bit, as printed below" if torch.equal(fw.counts_sum.detach() ** -1, 1.0 / fw.counts_sum.detach()) else "though not bit for bit here"'),
    (462, '"The lecture\'s comment was right" if not found["-s**-2 vs 1.0 / s"].exact else "On this machine the lecture\'s warning does not apply"'),
    (464, 'found["-s**-2 vs 1.0 / s"].word'),
    (464, 'found["-s**-2 vs 1.0 / s"].differ'),
    (466, 'found["-s**-2 vs 1.0 / s"].most'),
    (467, 'found["-grad * r * r vs 1.0 / s"].word'),
    (508, '"The two spellings send the same gradient into counts_sum_inv" if spellings["counts_sum_inv"].exact else "Here the two spellings differ even at counts_sum_inv"'),
    (509, '"the rows where they part are " + ", ".join(parted) if parted else "on this machine they do not part at all"'),
    (560, 'cpu_kernels'),
    (561, 'found["tanh: (1 - h**2) * grad"].word'),
    (561, 'found["tanh: (1 - h**2) * grad"].differ'),
    (563, 'found["tanh: (1 - h**2) * grad"].most'),
    (564, 'found["tanh: aten.tanh_backward"].word'),
    (565, 'found["tanh: 1 - h*h rounded once"].word'),
    (566, '"Rounding once reproduces every entry that rounding twice misses, and the explanation that fits is a fused multiply-add in the compiled kernel. That is inferred from the bits, not read from the machine code: on a CPU or a build of PyTorch without the instruction, the kernel would round twice, and the hand-written line would match it." if found["tanh: 1 - h*h rounded once"].exact and not found["tanh: (1 - h**2) * grad"].exact else "Here the kernel rounds like the hand-written line: no sign of a fused multiply-add on this machine." if found["tanh: (1 - h**2) * grad"].exact else "Neither rounding reproduces the kernel here, so its arithmetic on this machine is something else again."'),
    (667, 'len(inexact_in["walked from (1 - h**2)"])'),
    (668, 'f"{largest_handed:.1e}"'),
    (671, '", ".join(inexact_in["each line alone"]) if inexact_in["each line alone"] else "none"'),
    (673, '", ".join(inexact_in["walked from the rounded once"]) if inexact_in["walked from the rounded once"] else "none"'),
    (674, '"So on this machine tanh\'s line is not the only cause; the columns above say which lines differ on their own." if inexact_in["each line alone"] != ["hpreact"] or inexact_in["walked from the rounded once"] else "So on this machine one rounding in one line is behind every inexact row of the learner\'s table: every other line does autograd\'s arithmetic to the bit, and was only handed the difference."'),
    (740, '"None of the five is exact" if not any(found[k].exact for k in OTHER_ORDER) else "Some of the five are exact"'),
    (742, 'found["CE: fused vs cross_entropy"].differ'),
    (744, 'found["BN: one line vs the chain"].differ'),
    (746, 'found["W2: by entry"].most'),
    (804, 'found["BN: the chain\'s lines"].word'),
    (805, 'found["CE: log-softmax by hand"].word'),
    (806, 'found["CE: log-softmax by hand"].differ'),
    (807, 'found["CE: log-softmax by hand"].most'),
    (808, 'found["CE: log-softmax kernel"].word'),
    (809, 'differ_off'),
    (809, 'differ_on'),
    (811, 'exp_differs'),
    (811, '", not all of the difference off the targets" if exp_differs != differ_off else ": all of the difference off the targets"'),
    (812, '"Both are approximations of e^x in compiled code, and here they round differently: even the same formula is only bit-exact with the same implementation of each operation in it." if exp_differs else "Here the two exps agree, so the difference lies in the rest of the arithmetic."'),
    (818, 'torch.__version__'),
    (824, 'found["W2: h.T @ grad"].word'),
    (824, 'found["W2: h.T @ grad"].differ'),
    (824, 'found["W2: h.T @ grad"].steps'),
    (825, 'found["b2: grad.sum(0)"].word'),
    (825, 'found["b2: grad.sum(0)"].differ'),
    (825, 'found["b2: grad.sum(0)"].steps'),
    (826, 'found["logits: max\'s one-hot"].word'),
    (826, 'found["logits: max\'s one-hot"].differ'),
    (826, 'found["logits: max\'s one-hot"].steps'),
    (827, 'found["C: index_add_"].word'),
    (827, 'found["C: index_add_"].differ'),
    (827, 'found["C: index_add_"].steps'),
    (828, 'found["hprebn: mean over 32"].word'),
    (828, 'found["hprebn: mean over 32"].differ'),
    (828, 'found["hprebn: mean over 32"].steps'),
    (829, 'found["bndiff2: / 31"].word'),
    (829, 'found["bndiff2: / 31"].differ'),
    (829, 'found["bndiff2: / 31"].steps'),
    (830, 'found["mean of 3: * (1 / 3)"].word'),
    (830, 'found["mean of 3: * (1 / 3)"].differ'),
    (830, 'found["mean of 3: * (1 / 3)"].steps'),
    (831, 'found["-s**-2 vs 1.0 / s"].word'),
    (831, 'found["-s**-2 vs 1.0 / s"].differ'),
    (831, 'found["-s**-2 vs 1.0 / s"].steps'),
    (832, 'found["tanh: (1 - h**2) * grad"].word'),
    (832, 'found["tanh: (1 - h**2) * grad"].differ'),
    (832, 'found["tanh: (1 - h**2) * grad"].steps'),
    (833, 'found["CE: fused vs cross_entropy"].word'),
    (833, 'found["CE: fused vs cross_entropy"].differ'),
    (833, 'found["CE: fused vs cross_entropy"].steps'),
    (834, 'found["CE: fused vs the chain"].word'),
    (834, 'found["CE: fused vs the chain"].differ'),
    (834, 'found["CE: fused vs the chain"].steps'),
    (835, 'found["BN: one line vs the chain"].word'),
    (835, 'found["BN: one line vs the chain"].differ'),
    (835, 'found["BN: one line vs the chain"].steps'),
    (836, 'found["h: by entry"].word'),
    (836, 'found["h: by entry"].differ'),
    (836, 'found["h: by entry"].steps'),
    (982, 'f"{min(rel[k] for k in ROUNDING):.0e}"'),
    (983, 'f"{worst_rounding:.0e}"'),
    (983, 'in_steps(most_at_largest)'),
    (985, 'min(BUGS, key=rel.get)'),
    (985, 'f"{mildest_bug:.0e}"'),
    (986, 'f"{torch.tensor(mildest_bug / worst_rounding).log10().item():.0f}"'),
    (988, 'f"{RTOL / worst_rounding:.0f}"'),
    (989, 'f"{mildest_bug / RTOL:.0f}"'),
    (1023, 'f"{w2_auto[wk, wj].item():.1e}"'),
    (1024, 'f"{terms.abs().sum().item():.1e}"'),
    (1025, 'f"{per_entry.max().item():.0e}"'),
    (1028, 'len(needs_atol)'),
    (1029, '", ".join(needs_atol) if needs_atol else "none"'),
    (1036, '"bit for bit, as checked below: multiplying by a power of two is exact" if times_n else "though not bit for bit on this machine"'),
    (1073, 'sum(not summed[k][0] for k in ROUNDING)'),
    (1075, 'f"refuses {n_refused}" if n_refused else "none"'),
    (1076, 'sum(not summed[k][1] for k in BUGS)'),
    (1107, 'f"{max(rel64.values()):.0e}"'),
    (1108, 'f"{eps64:.1e}"'),
    (1110, 'f"{mildest_bug64:.0e}"'),
    (1137, 'f"{loss_step:.1e}"'),
    (1174, 'f"{actual_turn[torch.float32, 1e-6]:.3g}"'),
    (1177, 'f"{abs(nudges[1e-6][1] / p64.C.grad[0, 0].item() - 1):.0e}"'),
    (1179, '"gets worse as the turn gets smaller" if abs(nudges[1e-6][0] - slope) > abs(nudges[1e-4][0] - slope) else "does not get better as the turn gets smaller"'),
    (1180, 'f"{nudges[1e-4][0]:.3f}"'),
    (1181, 'f"{nudges[1e-6][0]:.3f}"'),
    (1182, 'f"{abs(nudges[1e-6][0] / slope - 1):.0%}"'),
    (1184, 'in_steps(round(nudges[1e-6][0] * actual_turn[torch.float32, 1e-6] / loss_step))'),
    (1225, 'factored.word'),
    (1225, 'factored.differ'),
    (1227, 'factored.most'),
    (1227, 'found["tanh: (1 - h**2) * grad"].most'),
    (1228, '"the more" if err["(1 - h) * (1 + h)"] < err["1 - h**2"] else "the less"'),
    (1230, 'f"{err[\'(1 - h) * (1 + h)\']:.0e}"'),
    (1231, 'f"{err[\'1 - h**2\']:.0e}"'),
    (1231, 'f"{err[\'autograd\']:.0e}"'),
])
