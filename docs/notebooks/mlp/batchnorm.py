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
# *This notebook is the page [BatchNorm in one step](https://backprop-by-hand.github.io/mlp/batchnorm/) of Backprop by Hand, cell for cell. Run it from the top: the first cell sets up what the page needs, the last one checks every number the text states against what the code computed.*

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
# # BatchNorm in one step
#
# > **The question**
# >
# > On the [every-intermediate page](https://backprop-by-hand.github.io/mlp/every-intermediate/#batchnorm) the gradient went
# > back through BatchNorm one line at a time: `bnraw`, `bnvar_inv`, `bnvar`, `bndiff2`,
# > `bndiff`, `bnmeani` and finally `hprebn`, whose gradient arrived along two paths and
# > had to be added up. The notes I learn from replace the whole chain with a single line,
# >
# > ```text
# > dhprebn = bngain*bnvar_inv/n * (n*dhpreact - dhpreact.sum(0)
# >           - n/(n-1)*bnraw*(dhpreact*bnraw).sum(0))
# > ```
# >
# > and write the derivation as "$= \cdots$". Where does it come from? What is that
# > `n/(n-1)` doing in it? And why does PyTorch's own `F.batch_norm` give a different
# > answer on the same batch?
#
# The line is the chain rule again, applied to the whole layer at once. Each input of
# BatchNorm reaches the loss by three roads: directly, through the batch mean, and through
# the batch variance. Add the three and factor, and the line above comes out, including the
# `n/(n-1)`, which is the forward pass's Bessel correction showing up in the backward pass.
# This page derives it, checks it against autograd, and then takes the `F.batch_norm`
# question apart, because the answer is a famous trap.
#
# ## The forward pass
#
# The network is the makemore MLP of the section, built by `snippets.makemore`: the
# 5,163 distinct `NAMES_SOURCE` (installed with the site, nothing is
# downloaded), a batch of 32 three-character contexts, and a hidden layer of
# 64 units with BatchNorm before its tanh.

# %%
import torch
import torch.nn.functional as F
from snippets.makemore import (NAMES_SOURCE, load_words, splits,
                               init_params, sample_batch, forward, SEED)
from snippets.compare import compare_grads, GradientMismatch

words = load_words()
(Xtr, Ytr), (Xdev, Ydev), (Xte, Yte) = splits(words)
params = init_params()
g = torch.Generator().manual_seed(SEED)
Xb, Yb = sample_batch(Xtr, Ytr, generator=g)    # a batch of 32
fw = forward(params, Xb, Yb)
fw.loss.backward()                 # autograd's answers, for comparing

n = Xb.shape[0]                    # 32 rows
hprebn = fw.hprebn.detach()        # [32, 64]  BatchNorm's input
bngain = params.bngain.detach()    # [1, 64]   gamma
bnbias = params.bnbias.detach()    # [1, 64]   beta
print("hprebn:", list(hprebn.shape), " bngain:", list(bngain.shape))

# %% [markdown]
# The BatchNorm lines of `forward` (the [first page of the section](https://backprop-by-hand.github.io/mlp/every-intermediate/#the-forward-pass)
# shows all of them) compute, in seven steps, what fits in four:

# %%
mu = hprebn.mean(0, keepdim=True)             # [1, 64]  batch mean
var = hprebn.var(0, keepdim=True)             # [1, 64]  1/(n-1): Bessel
xhat = (hprebn - mu) / (var + 1e-5).sqrt()    # [32, 64] normalised
y = bngain * xhat + bnbias                    # [32, 64] = hpreact

forward_gap = (y - fw.hpreact).abs().max().item()
print(f"largest |y - hpreact|: {forward_gap:.1e}")

# %% [markdown]
# The four lines agree with the seven of `forward` to within `f"{forward_gap:.1e}"`
# (the order of the roundings differs, nothing else). Every one of them works on one column
# at a time: the mean and the variance are taken down `dim=0`, over the
# 32 examples, and a hidden unit never sees another unit's numbers. So the
# derivation can follow one column, one hidden unit, and the code will do all
# 64 columns at once by broadcasting.
#
# ## The derivation: three roads
#
# Take one column and drop its index: $x_1, \dots, x_n$ are that unit's inputs over the
# batch (one column of `hprebn`, shape `[32]`), and $\gamma$, $\beta$ are its gain and bias
# (one entry each of `bngain` and `bnbias`, shape `[1, 64]`). The forward pass is
#
# $$
# \mu = \frac{1}{n} \sum_j x_j, \qquad
# v = \sum_j \frac{(x_j - \mu)^2}{n - 1}, \qquad
# \hat{x}_j = \frac{x_j - \mu}{\sqrt{v + \epsilon}}, \qquad
# y_j = \gamma \hat{x}_j + \beta .
# $$
#
# In code, $\mu$ is `mu` (`bnmeani`), $v$ is `var` (`bnvar`), $\frac{1}{\sqrt{v + \epsilon}}$
# is `bnvar_inv`, $\hat{x}$ is `xhat` (`bnraw`) and $y$ is `hpreact`. Write $\bar{v}$ for
# the gradient of the loss with respect to $v$, as on the [knobs page](https://backprop-by-hand.github.io/knobs/). What
# arrives from above is $\bar{y}_j$, the column of `fw.hpreact.grad`, shape `[32, 64]` in
# all. The last line is a multiply and an add with $\gamma$ and $\beta$ broadcast down the
# column, so ([broadcasting](https://backprop-by-hand.github.io/rules/broadcasting/)):
#
# $$
# \bar{\hat{x}}_j = \gamma \, \bar{y}_j, \qquad
# \bar{\gamma} = \sum_j \bar{y}_j \hat{x}_j, \qquad
# \bar{\beta} = \sum_j \bar{y}_j .
# $$
#
# Call $g_j = \gamma \bar{y}_j$ for short. Now pick one input $x_i$. Every $\hat{x}_j$ of the
# column depends on it, by three roads: $\hat{x}_i$ contains $x_i$ itself; every
# $\hat{x}_j$ contains $\mu$, which contains $x_i$; and every $\hat{x}_j$ contains $v$,
# which contains $x_i$. The chain rule adds the roads
# ([why roads add](https://backprop-by-hand.github.io/batch/#why-we-may-add-every-path-counts)):
#
# $$
# \bar{x}_i =
# \underbrace{g_i \frac{\partial \hat{x}_i}{\partial x_i}}_{\text{direct}}
# + \underbrace{\sum_j g_j \frac{\partial \hat{x}_j}{\partial \mu}
#   \frac{\partial \mu}{\partial x_i}}_{\text{through } \mu}
# + \underbrace{\sum_j g_j \frac{\partial \hat{x}_j}{\partial v}
#   \frac{\partial v}{\partial x_i}}_{\text{through } v}
# $$
#
# where each partial derivative of $\hat{x}_j$ holds the other two quantities still.
#
# **The direct road.** With $\mu$ and $v$ held still, $\hat{x}_i$ is $x_i$ times a constant:
#
# $$
# \frac{\partial \hat{x}_i}{\partial x_i} = \frac{1}{\sqrt{v + \epsilon}},
# \qquad
# \text{direct} = \frac{g_i}{\sqrt{v + \epsilon}} .
# $$
#
# **The road through the mean.** Every $\hat{x}_j$ moves against $\mu$, and $\mu$ moves by
# $\frac{1}{n}$ of any one input's move (the [mean's rule](https://backprop-by-hand.github.io/rules/sums-and-means/#in-makemore-the-batch-mean)):
#
# $$
# \frac{\partial \hat{x}_j}{\partial \mu} = -\frac{1}{\sqrt{v + \epsilon}},
# \qquad
# \frac{\partial \mu}{\partial x_i} = \frac{1}{n},
# $$
#
# so that, summed over the column,
#
# $$
# \text{through } \mu = -\frac{1}{n \sqrt{v + \epsilon}} \sum_j g_j .
# $$
#
# **The road through the variance.** The power rule on $\frac{1}{\sqrt{v + \epsilon}}$
# gives the first factor; the second is the [variance's rule](https://backprop-by-hand.github.io/rules/sums-and-means/#the-variance-in-one-piece),
# `var_backward` in `snippets/rules.py`, with Bessel's correction in it:
#
# $$
# \frac{\partial \hat{x}_j}{\partial v} = -\frac{x_j - \mu}{2(v + \epsilon)^{3/2}},
# \qquad
# \frac{\partial v}{\partial x_i} = \frac{2(x_i - \mu)}{n - 1} .
# $$
#
# That second derivative is the total one: $v$ also depends on $x_i$ through $\mu$, but that
# road adds $\frac{1}{n}$ times a sum of deviations from the mean, which is zero, as the
# sums-and-means page showed. The two factors multiply to
#
# $$
# \frac{\partial \hat{x}_j}{\partial v} \frac{\partial v}{\partial x_i}
# = -\frac{(x_i - \mu)(x_j - \mu)}{(n - 1) \cdot (v + \epsilon)^{3/2}} ,
# $$
#
# where the power rule's one half and the variance's two have cancelled. Since
# $\hat{x}_i \hat{x}_j = (x_i - \mu)(x_j - \mu) / (v + \epsilon)$, the product is
# $\hat{x}_i \hat{x}_j / \sqrt{v + \epsilon}$ times minus the Bessel factor. Weighted by
# $g_j$ and summed over the column:
#
# $$
# \text{through } v = -\frac{1}{n-1} \cdot
# \frac{\hat{x}_i}{\sqrt{v + \epsilon}} \sum_j g_j \hat{x}_j .
# $$
#
# **Add the roads.** Each has a factor $\frac{1}{\sqrt{v + \epsilon}}$:
#
# $$
# \bar{x}_i = \frac{1}{\sqrt{v + \epsilon}} \left( g_i - \frac{1}{n} \sum_j g_j
# - \frac{1}{n-1} \, \hat{x}_i \sum_j g_j \hat{x}_j \right).
# $$
#
# Pull $\frac{1}{n}$ out of the bracket, which multiplies every term inside by $n$. The
# first two become $n g_i$ and $\sum_j g_j$; the third was carrying Bessel's
# $\frac{1}{n-1}$, and $n$ times that is
# $\frac{n}{n-1}$. Finally $g_j = \gamma \bar{y}_j$ and
# $\gamma$ is the same for the whole column, so it comes out of both sums:
#
# $$
# \bar{x}_i = \frac{\gamma}{n \sqrt{v + \epsilon}} \left( n \, \bar{y}_i - \sum_j \bar{y}_j
# - \frac{n}{n-1} \, \hat{x}_i \sum_j \bar{y}_j \hat{x}_j \right).
# $$
#
# That is the notes' line, term for term. The $\frac{n}{n-1}$
# is where Bessel's correction in the forward pass, the
# $\frac{1}{n-1}$ inside $\partial v / \partial x_i$, meets the
# $\frac{1}{n}$ that was pulled out in front. At $n = 32$ it is
# $\frac{32}{31}$, about 1.0323.
#
# Sympy takes the local derivatives above, and then checks the whole result on a batch of
# 3 symbols, where it can differentiate the layer written out in full, with
# nothing held still and no roads chosen by hand:

# %%
import sympy as sp

x_i_sym, x_j_sym, mu_sym, v_sym, n_sym = sp.symbols("x_i x_j mu v n")
eps_sym = sp.Symbol("epsilon", positive=True)
var_term_i = (x_i_sym - mu_sym) ** 2 / (n_sym - 1)
var_term_j = (x_j_sym - mu_sym) ** 2 / (n_sym - 1)
xhat_i = (x_i_sym - mu_sym) / sp.sqrt(v_sym + eps_sym)
xhat_j = (x_j_sym - mu_sym) / sp.sqrt(v_sym + eps_sym)
road3_factor = sp.diff(xhat_j, v_sym) * sp.diff(var_term_i, x_i_sym)
bessel_share = 1 / (n_sym - 1)
dof = n_sym - 1

# The whole layer on n = 3 inputs, differentiated in one go
n3 = 3
xs = sp.symbols("x_1:4")                        # x_1, x_2, x_3
ybars = sp.symbols("ybar_1:4")                  # the upstream gradient
gamma_sym, beta_sym = sp.symbols("gamma beta")
mu3 = sum(xs) / n3
var3 = sum((x - mu3) ** 2 for x in xs) / (n3 - 1)
xhat3 = [(x - mu3) / sp.sqrt(var3 + eps_sym) for x in xs]
loss3 = sum(yb * (gamma_sym * xh + beta_sym)    # dloss/dy_j = ybar_j
            for yb, xh in zip(ybars, xhat3))
by_sympy = sp.diff(loss3, xs[0])                # d loss / d x_1


def fused3(factor):
    """The one-line formula for x_1, with `factor` on the third term."""
    sum_y = sum(ybars)
    sum_yx = sum(yb * xh for yb, xh in zip(ybars, xhat3))
    scale = gamma_sym / (n3 * sp.sqrt(var3 + eps_sym))
    return scale * (n3 * ybars[0] - sum_y - factor * xhat3[0] * sum_yx)


def gap(factor):
    """Sympy's derivative minus the formula, simplified."""
    root = sp.Symbol("root", positive=True)      # sqrt(v + eps)
    difference = by_sympy - fused3(factor)
    return sp.simplify(difference.subs(sp.sqrt(var3 + eps_sym), root))


gap_bessel = gap(sp.Rational(n3, n3 - 1))
gap_one = gap(1)
print("dv/dx_1 at n = 3:", sp.diff(var3, xs[0]))
print("formula with n/(n-1) minus sympy:", gap_bessel)
print("formula with 1 minus sympy is zero:", gap_one == 0)

# %% [markdown]
# With $n = 3$ the variance's derivative is
# $\partial v / \partial x_1 = \frac{2x_1 - x_2 - x_3}{3}$,
# which is $\frac{2(x_i - \mu)}{n - 1}$ with the
# $2$ of Bessel's correction cancelling the two that the square brings down. The formula
# with $\frac{3}{2}$ on the third term differs from sympy's
# derivative by 0; with a plain one in its place it does not.
#
# Autograd's graph of the same lines, drawn from the network's own tensors, shows the three
# roads: `hprebn` feeds `bndiff` directly and again through `bnmeani`, and `bndiff` feeds
# `bnraw` directly and again through `bndiff2`, `bnvar` and `bnvar_inv`.

# %%
from snippets.graph import ComputationGraph

bn_names = ["hprebn", "bnmeani", "bndiff", "bndiff2", "bnvar",
            "bnvar_inv", "bnraw", "hpreact"]
ComputationGraph.from_autograd(
    fw.hpreact,
    {**{name: getattr(fw, name) for name in bn_names},
     "bngain": params.bngain, "bnbias": params.bnbias},
    direction="TB",
    title="BatchNorm in the makemore MLP, from hprebn to hpreact",
)

# %% [markdown]
# ## The backward pass by hand
#
# The formula, one line for `hprebn` and one each for the gain and the bias. The input is
# autograd's gradient at `hpreact`, so that any difference comes from these lines alone.

# %%
dhpreact = fw.hpreact.grad              # [32, 64] from autograd
bnraw = fw.bnraw.detach()               # [32, 64] xhat
bnvar_inv = fw.bnvar_inv.detach()       # [1, 64]  1/sqrt(v + eps)

grad_hprebn = bngain * bnvar_inv / n * (
    n * dhpreact - dhpreact.sum(0)
    - n / (n - 1) * bnraw * (dhpreact * bnraw).sum(0))
grad_bngain = (bnraw * dhpreact).sum(0, keepdim=True)    # [1, 64]
grad_bnbias = dhpreact.sum(0, keepdim=True)              # [1, 64]

bn_table = compare_grads({
    "hprebn": (grad_hprebn, fw.hprebn.grad),
    "bngain": (grad_bngain, params.bngain.grad),
    "bnbias": (grad_bnbias, params.bnbias.grad),
})
bn_table

# %% [markdown]
# Read the shapes. `dhpreact.sum(0)` and `(dhpreact * bnraw).sum(0)` are the two sums over
# the batch, one number per hidden unit, shape [64];
# broadcasting lines them up against each row of the
# [32, 64] tensors, as a `[1, 64]` row copied down the
# 32 rows. `bngain` and `bnvar_inv`, both [1, 64],
# are copied the same way. So one line does 64 BatchNorms, each
# with its own mean, variance and gain.
#
# All three are close; the largest difference for `hprebn` is
# `f"{bn_table['hprebn'].max_abs_diff:.1e}"`, next to entries as large as
# `f"{fw.hprebn.grad.abs().max().item():.1e}"`, because the formula reaches autograd's
# number by another order of operations than its seven lines, with roundings of its own
# ([why not bit-exact](https://backprop-by-hand.github.io/beyond/why-the-bits-differ/#another-order-of-operations)).
#
# ## Forget the n/(n-1)
#
# Drop the factor, as if the forward pass had divided by $n$, and the line still runs, the
# shape is still right, and the numbers are a little off:

# %%
forgot_hprebn = bngain * bnvar_inv / n * (
    n * dhpreact - dhpreact.sum(0)
    - bnraw * (dhpreact * bnraw).sum(0))
forgot_gap = (forgot_hprebn - fw.hprebn.grad).abs().max().item()
try:
    compare_grads({"hprebn, factor 1": (forgot_hprebn,
                                         fw.hprebn.grad)})
except GradientMismatch as mismatch:
    print(str(mismatch).splitlines()[0])

# %% [markdown]
# The largest difference is `f"{forgot_gap:.1e}"`, against
# `f"{bn_table['hprebn'].max_abs_diff:.1e}"` for the right line, so `compare_grads`
# stops the page. Yet it is only 0.7
# percent of the largest entry of the gradient: only the third term changed, and it lost
# $\frac{1}{32}$ of itself. Nothing in a training loop would
# complain, and the loss would still go down. Only a comparison with autograd catches it.
#
# ## Why F.batch_norm disagrees
#
# PyTorch has BatchNorm as one function, `F.batch_norm`, with an autograd formula of its
# own. It would be the natural thing to check our line against. It disagrees, already in
# the forward pass:

# %%
torch_out = F.batch_norm(hprebn, None, None, weight=bngain.view(-1),
                         bias=bnbias.view(-1), training=True, eps=1e-5)
torch_gap = (torch_out - fw.hpreact).abs().max().item()
print(f"largest |F.batch_norm - hpreact|: {torch_gap:.4f}")
print("allclose:", torch.allclose(torch_out, fw.hpreact))

# %% [markdown]
# A difference of `f"{torch_gap:.3f}"` is not rounding. In training mode `F.batch_norm`
# normalises with the **biased** variance, divided by $n$, while makemore's forward divides
# by $n - 1$. Do the same in our four lines and the two agree; and redo the
# derivation with $\frac{1}{n}$ in the variance, which changes one thing: the variance's
# derivative becomes $\frac{2(x_i - \mu)}{n}$,
# so the road through $v$ carries $\frac{1}{n}$ instead of $\frac{1}{n-1}$, and
# after pulling $\frac{1}{n}$ out in front its factor is $1$.
# The formula loses its $\frac{n}{n-1}$ and nothing else:

# %%
var_term_biased_i = (x_i_sym - mu_sym) ** 2 / n_sym    # for the formula

hprebn_t = hprebn.clone().requires_grad_(True)          # [32, 64] leaf
out_t = F.batch_norm(hprebn_t, None, None, weight=bngain.view(-1),
                     bias=bnbias.view(-1), training=True, eps=1e-5)
out_t.backward(dhpreact)                   # the same upstream gradient

var_b = hprebn.var(0, keepdim=True, correction=0)        # [1, 64]  1/n
inv_b = (var_b + 1e-5) ** -0.5                           # [1, 64]
xhat_b = (hprebn - mu) * inv_b                           # [32, 64]
y_b = bngain * xhat_b + bnbias                           # [32, 64]
biased_gap = (y_b - torch_out).abs().max().item()
print(f"largest |biased forward - F.batch_norm|: {biased_gap:.1e}")

grad_hprebn_t = bngain * inv_b / n * (
    n * dhpreact - dhpreact.sum(0)
    - xhat_b * (dhpreact * xhat_b).sum(0))
biased_table = compare_grads({
    "hprebn, biased variance": (grad_hprebn_t, hprebn_t.grad)})
biased_table

# %% [markdown]
# With the biased variance the forward pass matches `F.batch_norm` to within
# `f"{biased_gap:.1e}"`, and the fused backward with a plain one in place of
# $\frac{n}{n-1}$ matches its autograd to within
# `f"{biased_table[0].max_abs_diff:.1e}"`. So torch is not wrong and neither is the
# formula: they differentiate two different layers.
#
# ### What running_var keeps
#
# In training mode `F.batch_norm` also updates running statistics, for use at test time,
# when there is no batch to average over. With `momentum=1.0` the running values are
# simply replaced by this batch's, which makes them easy to read back:

# %%
running_mean = torch.zeros(64)
running_var = torch.ones(64)
F.batch_norm(hprebn, running_mean, running_var, training=True,
             momentum=1.0, eps=1e-5)
mean_gap = (running_mean - hprebn.mean(0)).abs().max().item()
unbiased_gap = (running_var - hprebn.var(0)).abs().max().item()
biased_ratio = (running_var / var_b.view(-1)).mean().item()
print(f"running_mean vs batch mean: max |diff| {mean_gap:.1e}")
print(f"running_var vs var / (n-1): max |diff| {unbiased_gap:.1e}")
print(f"running_var / (var / n):    {biased_ratio:.4f}")

# %% [markdown]
# `running_mean` is the batch mean (largest difference `f"{mean_gap:.1e}"`), but
# `running_var` is the **unbiased** variance, the one divided by $n - 1$
# (largest difference `f"{unbiased_gap:.1e}"`), and
# 1.0323 times the variance the same call just normalised with. So
# PyTorch trains with one variance and keeps the other for test time. Andrej Karpathy points
# at this in Karpathy's lecture, and it is why the makemore forward pass divides
# by $n - 1$ in training: the same estimate is then used in training and in
# `snippets.makemore.batchnorm_statistics`, which the sampling code uses afterwards.
#
# Here is the discrepancy PyTorch leaves. Put the same batch through `F.batch_norm` in
# evaluation mode, with the running statistics it just stored:

# %%
eval_out = F.batch_norm(hprebn, running_mean, running_var,
                        weight=bngain.view(-1),
                        bias=bnbias.view(-1),
                        training=False, eps=1e-5)       # [32, 64]
scale = ((eval_out - bnbias) / (torch_out - bnbias)).median().item()
print(f"test-time / training-time output (minus bias): {scale:.4f}")
small_batch = 4                        # a batch of 4, for comparison

# %% [markdown]
# Every normalised value comes out 0.984 times what it was in training,
# which is $\sqrt{\frac{n-1}{n}}$ at $n = 32$: about 1.6
# percent. At this batch size the difference is small, and it shrinks as batches grow. It
# is a mismatch between training and test all the same, and with small batches it is not
# small: at 4 examples the factor is
# 0.866.
#
# For the backward pass only one thing matters: the `n/(n-1)` of the formula must match the
# forward pass it differentiates. Makemore's forward has Bessel's correction, so its
# gradient has the factor; `F.batch_norm` in training has none, so neither has its gradient.
#
# ## A nudge
#
# Move one input of BatchNorm, `hprebn[3, 7]`, and watch the loss. In float64, so that
# rounding stays far below the effect, the rest of the network is run from `hprebn` on:

# %%
p64 = {name: t.detach().double() for name, t in params.items()}


def loss_from_hprebn(x):
    """The network from hprebn to the loss, in float64."""
    xhat64 = (x - x.mean(0, keepdim=True)) / (
        x.var(0, keepdim=True) + 1e-5).sqrt()
    h64 = torch.tanh(p64["bngain"] * xhat64 + p64["bnbias"])
    logits64 = h64 @ p64["W2"] + p64["b2"]
    return F.cross_entropy(logits64, Yb).item()


step = 1e-6
hprebn64 = hprebn.double()
up, down = hprebn64.clone(), hprebn64.clone()
up[3, 7] += step
down[3, 7] -= step
rate = (loss_from_hprebn(up) - loss_from_hprebn(down)) / (2 * step)
print(f"loss moves at {rate:.6e} per unit of hprebn[3, 7]")
print(f"grad_hprebn[3, 7] says {grad_hprebn[3, 7].item():.6e}")

# %% [markdown]
# The loss moves at `f"{rate:.4e}"` per unit of `hprebn[3, 7]`, and the one-line
# gradient says `f"{grad_hprebn[3, 7].item():.4e}"`. Moving one input moves its
# column's mean and variance, and with them every $\hat{x}$ of the column: the one line
# accounts for all of that.
#
# > **The rule to remember**
# >
# > Column by column, with means taken over the batch:
# >
# > $$
# > \bar{x} = \frac{\gamma}{\sqrt{v + \epsilon}} \left( \bar{y} - \operatorname{mean}(\bar{y})
# > - \frac{n}{n-1} \, \hat{x} \, \operatorname{mean}(\bar{y} \hat{x}) \right).
# > $$
# >
# > The mean is the road through $\mu$, the last term the road through $v$; its factor is
# > $n$ times the $\frac{1}{n}$ or $\frac{1}{n-1}$ that the forward
# > pass put in the variance.
#
# ## Exercise
#
# > **Do it yourself in a notebook**
# >
# > The fused BatchNorm backward of this page, as a notebook to fill in: the gain, the bias and `grad_hprebn` in one expression, each checked against autograd. Open [the exercise notebook](https://backprop-by-hand.github.io/mlp/exercises/batchnorm.ipynb): its page shows the worked
# > solution, and its buttons download the blank exercise or open it in Colab.
#
# LayerNorm normalises each **row** instead of each column: every example over its own
# 64 features, with the biased variance (divided by the number of
# features, $D$), and a gain and a bias per feature, of shape
# [64]. Derive the gradient of its input in one line, use
# `dhpreact` as the gradient arriving at its output, and check it against autograd through
# `F.layer_norm(x, (64,), weight, bias, eps=1e-5)`. Two things differ from BatchNorm besides
# the dimension: which factor replaces $\frac{n}{n-1}$, and
# whether $\gamma$ can still come out of the sums.
#
# **Solution**
#
# The three roads are the same, along `dim=1`. The variance divides by $D$, so the road
# through $v$ carries $\frac{1}{D}$ and its factor after pulling $\frac{1}{D}$ out in front is
# $1$, as for `F.batch_norm` above. But $\gamma$ now varies
# *along* the normalised dimension, one value per feature, so it cannot leave the sums:
# with $g_k = \gamma_k \bar{y}_k$,
#
# $$
# \bar{x}_k = \frac{1}{D \sqrt{v + \epsilon}} \left( D \, g_k - \sum_l g_l
# - \hat{x}_k \sum_l g_l \hat{x}_l \right),
# $$
#
# with the sums over the features of one row, and $v$, $\hat{x}$ that row's.

# %%
x_ln = hprebn.clone().requires_grad_(True)              # [32, 64]
ln_weight = bngain.view(-1)                             # [64]
ln_bias = bnbias.view(-1)                               # [64]
out_ln = F.layer_norm(x_ln, (64,), ln_weight, ln_bias, eps=1e-5)
out_ln.backward(dhpreact)

D = x_ln.shape[1]                                       # 64 features
x_rows = hprebn - hprebn.mean(1, keepdim=True)          # [32, 64]
inv_ln = (hprebn.var(1, keepdim=True, correction=0)
          + 1e-5) ** -0.5                               # [32, 1]
xhat_ln = x_rows * inv_ln                               # [32, 64]
g_ln = ln_weight * dhpreact                             # [32, 64]
grad_x_ln = inv_ln / D * (
    D * g_ln - g_ln.sum(1, keepdim=True)
    - xhat_ln * (g_ln * xhat_ln).sum(1, keepdim=True))

ln_table = compare_grads({"x, LayerNorm": (grad_x_ln, x_ln.grad)})
ln_table

# %% [markdown]
# Close, within `f"{ln_table[0].max_abs_diff:.1e}"`. The sums now run along `dim=1`
# with `keepdim=True`, so they are `[32, 1]` columns copied across each row, and `inv_ln` is
# one number per example, `[32, 1]`, where BatchNorm's `bnvar_inv` was one per feature.

# %%
# Every number the text above states, checked against what the code computed (as
# the site's build checks them). Lines are the page's own.
from pagecheck.notebook import check_page

check_page(globals(), [
    (36, 'len(words)', '5,163'),
    (37, 'n', '32'),
    (38, 'hprebn.shape[1]', '64'),
    (78, 'n', '32'),
    (80, 'hprebn.shape[1]', '64'),
    (90, 'var_term_j', '\\frac{(x_j - \\mu)^2}{n - 1}'),
    (91, 'xhat_j', '\\frac{x_j - \\mu}{\\sqrt{v + \\epsilon}}'),
    (128, 'sp.diff(xhat_i, x_i_sym)', '\\frac{1}{\\sqrt{v + \\epsilon}}'),
    (137, 'sp.diff(xhat_j, mu_sym)', '-\\frac{1}{\\sqrt{v + \\epsilon}}'),
    (153, 'sp.diff(xhat_j, v_sym)', '-\\frac{x_j - \\mu}{2(v + \\epsilon)^{3/2}}'),
    (155, 'sp.diff(var_term_i, x_i_sym)', '\\frac{2(x_i - \\mu)}{n - 1}'),
    (164, 'road3_factor', '-\\frac{(x_i - \\mu)(x_j - \\mu)}{(n - 1) \\cdot (v + \\epsilon)^{3/2}}'),
    (173, 'bessel_share', '\\frac{1}{n-1}'),
    (181, 'bessel_share', '\\frac{1}{n-1}'),
    (186, 'bessel_share', '\\frac{1}{n-1}'),
    (187, 'n_sym * bessel_share', '\\frac{n}{n-1}'),
    (192, 'n_sym * bessel_share', '\\frac{n}{n-1}'),
    (195, 'n_sym * bessel_share', '\\frac{n}{n-1}'),
    (197, 'bessel_share', '\\frac{1}{n-1}'),
    (198, 'n', '32'),
    (199, 'n / (n - 1)', '\\frac{32}{31}'),
    (199, 'n / (n - 1)', '1.0323'),
    (202, 'n3', '3'),
    (253, 'n3', '3'),
    (254, 'sp.diff(var3, xs[0])', '\\frac{2x_1 - x_2 - x_3}{3}'),
    (255, 'sp.diff(var_term_i, x_i_sym)', '\\frac{2(x_i - \\mu)}{n - 1}'),
    (256, 'n3 - 1', '2'),
    (257, 'sp.Rational(n3, n3 - 1)', '\\frac{3}{2}'),
    (258, 'gap_bessel', '0'),
    (303, 'list(dhpreact.sum(0).shape)', '[64]'),
    (305, 'list(dhpreact.shape)', '[32, 64]'),
    (306, 'n', '32'),
    (306, 'list(bnvar_inv.shape)', '[1, 64]'),
    (307, 'hprebn.shape[1]', '64'),
    (335, '100 * forgot_gap / fw.hprebn.grad.abs().max().item()', '0.7'),
    (337, '1 - (n - 1) / n', '\\frac{1}{32}'),
    (356, 'dof', 'n - 1'),
    (358, 'sp.diff(var_term_biased_i, x_i_sym)', '\\frac{2(x_i - \\mu)}{n}'),
    (359, 'bessel_share', '\\frac{1}{n-1}'),
    (360, 'n_sym * (1 / n_sym)', '1'),
    (361, 'n_sym * bessel_share', '\\frac{n}{n-1}'),
    (388, 'n_sym * bessel_share', '\\frac{n}{n-1}'),
    (412, 'dof', 'n - 1'),
    (414, 'biased_ratio', '1.0323'),
    (417, 'dof', 'n - 1'),
    (433, 'scale', '0.984'),
    (434, 'sp.sqrt((n_sym - 1) / n_sym)', '\\sqrt{\\frac{n-1}{n}}'),
    (434, 'n', '32'),
    (434, '100 * (1 - scale)', '1.6'),
    (437, 'small_batch', '4'),
    (438, '((small_batch - 1) / small_batch) ** 0.5', '0.866'),
    (483, 'n_sym * bessel_share', '\\frac{n}{n-1}'),
    (487, 'bessel_share', '\\frac{1}{n-1}'),
    (498, 'hprebn.shape[1]', '64'),
    (500, 'list(ln_weight.shape)', '[64]'),
    (503, 'n_sym * bessel_share', '\\frac{n}{n-1}'),
    (511, 'n_sym * (1 / n_sym)', '1'),
], [
    (36, 'NAMES_SOURCE'),
    (75, 'f"{forward_gap:.1e}"'),
    (311, 'f"{bn_table[\'hprebn\'].max_abs_diff:.1e}"'),
    (312, 'f"{fw.hprebn.grad.abs().max().item():.1e}"'),
    (333, 'f"{forgot_gap:.1e}"'),
    (334, 'f"{bn_table[\'hprebn\'].max_abs_diff:.1e}"'),
    (354, 'f"{torch_gap:.3f}"'),
    (387, 'f"{biased_gap:.1e}"'),
    (389, 'f"{biased_table[0].max_abs_diff:.1e}"'),
    (411, 'f"{mean_gap:.1e}"'),
    (413, 'f"{unbiased_gap:.1e}"'),
    (472, 'f"{rate:.4e}"'),
    (473, 'f"{grad_hprebn[3, 7].item():.4e}"'),
    (543, 'f"{ln_table[0].max_abs_diff:.1e}"'),
])
