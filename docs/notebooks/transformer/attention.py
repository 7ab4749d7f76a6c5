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
# *This notebook is the page [Self-attention, one head](https://backprop-by-hand.github.io/transformer/attention/) of Backprop by Hand, cell for cell. Run it from the top: the first cell sets up what the page needs, the last one checks every number the text states against what the code computed.*

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
# # Self-attention, one head
#
# > **The question**
# >
# > Attention looks like a tangle: three projections of the same input, a product of two
# > of them, a mask, a softmax, and another product. In llm.c the attention backward is the
# > longest function. Is it anything more than the rules I already have, applied in
# > reverse? And what happens to the gradient at the positions the mask hides?
#
# One head of causal self-attention, for a sequence of 5 positions with
# 8 features each, and a head of size 4. Each position asks a *query*,
# offers a *key* and a *value*; a query's weights over the keys are a softmax of
# query-key products, scaled by $\frac{1}{\sqrt{d}}$, and a position may look only at itself and the
# positions before it:

# %%
import math

import torch
import torch.nn.functional as F

from snippets.compare import compare_grads
from snippets.rules import matmul_backward
from snippets.transformer_rules import (masked_fill_backward,
                                        scaled_scores_backward,
                                        softmax_backward)

T, C, D = 5, 8, 4
g = torch.Generator().manual_seed(0)
x = torch.randn(T, C, generator=g)
Wq, Wk, Wv = (torch.randn(C, D, generator=g) / math.sqrt(C)
              for _ in range(3))
scale = 1 / math.sqrt(D)
mask = torch.ones(T, T, dtype=torch.bool).triu(1)   # True: a later key

named = {}


def head(x, Wq, Wk, Wv):
    q, k, v = x @ Wq, x @ Wk, x @ Wv                 # [T, D] each
    scores = q @ k.T * scale                         # [T, T]
    masked = scores.masked_fill(mask, float("-inf"))
    att = torch.softmax(masked, dim=-1)              # rows sum to 1
    out = att @ v                                    # [T, D]
    named.update(q=q, k=k, v=v, scores=scores, masked=masked, att=att,
                 out=out)
    return out


leaves = [t.clone().requires_grad_(True) for t in (x, Wq, Wk, Wv)]
out = head(*leaves)
for t in named.values():
    t.retain_grad()
upstream = torch.randn(T, D, generator=g)       # from the layers above
out.backward(upstream)
print("attention weights of the last position:",
      [round(w, 3) for w in named["att"][-1].tolist()])
print("of the first:", [round(w, 3) for w in named["att"][0].tolist()])

# %% [markdown]
# The first position sees only itself (weight 1); the last
# spreads its weight over all 5. The graph autograd recorded, with every
# tensor's gradient from the backward call above:

# %%
from snippets.graph import ComputationGraph

ComputationGraph.from_autograd(
    out, {"x": leaves[0], "Wq": leaves[1], "Wk": leaves[2],
          "Wv": leaves[3], **named},
    direction="TB", title="One head of causal self-attention")

# %% [markdown]
# `x` leaves by three edges, one per projection: three paths, whose gradients add.
#
# ## Backward, in reverse
#
# Every step is a rule derived already. The output is a matrix product, so
# [the transpose rule](https://backprop-by-hand.github.io/rules/matmul/) gives the gradients of the attention weights and
# of the values. The softmax's [general rule](https://backprop-by-hand.github.io/transformer/softmax/) takes the weights' gradient back to
# the masked scores. The mask passes nothing back to the entries it replaced. The scores are
# another product, scaled, so the transpose rule again, times the scale. And `x` feeds all
# three projections, so [its gradient is the sum](https://backprop-by-hand.github.io/rules/elementwise/#reuse-a-tensor-used-twice)
# of three:

# %%
q, k, v, att = (named[n].detach() for n in ("q", "k", "v", "att"))

grad_att, grad_v = matmul_backward(upstream, att, v)  # att @ v
grad_masked = softmax_backward(grad_att, att)          # the softmax
grad_scores = masked_fill_backward(grad_masked, mask)  # the mask
grad_q, grad_k = scaled_scores_backward(grad_scores, q, k, scale)
grad_Wq = x.T @ grad_q                                 # q = x @ Wq
grad_Wk = x.T @ grad_k
grad_Wv = x.T @ grad_v
grad_x = grad_q @ Wq.T + grad_k @ Wk.T + grad_v @ Wv.T  # three paths

by_hand = {"att": grad_att, "v": grad_v, "masked": grad_masked,
           "scores": grad_scores, "q": grad_q, "k": grad_k}
table = compare_grads(
    {**{n: (t, named[n].grad) for n, t in by_hand.items()},
     "x": (grad_x, leaves[0].grad), "Wq": (grad_Wq, leaves[1].grad),
     "Wk": (grad_Wk, leaves[2].grad), "Wv": (grad_Wv, leaves[3].grad)},
    caption="One attention head, by hand against autograd")
table

# %% [markdown]
# All 10 gradients are close to autograd's,
# `sum(r.exact for r in table)` of them bit for bit (where not, autograd's kernels
# round in another order: [why the bits differ](https://backprop-by-hand.github.io/beyond/why-the-bits-differ/)).
#
# ## Masked positions get exactly zero
#
# A masked score was replaced by $-\infty$, so its weight is $e^{-\infty}$, exactly zero, and the
# softmax's rule `p * (dp - ...)` multiplies by that zero: the gradient at a masked score is
# zero before the mask's own rule even runs.

# %%
masked_att = att[mask]
masked_grads = grad_masked[mask]
print("masked weights:", masked_att.unique().tolist(),
      " gradients there:", masked_grads.unique().tolist())

# %% [markdown]
# All 10 masked weights are exactly 0,
# and so are their gradients, 0: a later position
# can never receive gradient from an earlier query, which is what makes the model causal in
# training as well as in use.
#
# ## PyTorch's fused attention agrees
#
# `F.scaled_dot_product_attention(q, k, v, is_causal=True)` computes the same head in one
# call (with its own backward), given the same projections:

# %%
q_leaf, k_leaf, v_leaf = (t.clone().requires_grad_(True)
                          for t in (q, k, v))
fused = F.scaled_dot_product_attention(q_leaf, k_leaf, v_leaf,
                                       is_causal=True)
fused.backward(upstream)
sdpa_table = compare_grads(
    {"output": (out.detach(), fused.detach()),
     "q": (grad_q, q_leaf.grad), "k": (grad_k, k_leaf.grad),
     "v": (grad_v, v_leaf.grad)},
    caption="By hand against F.scaled_dot_product_attention")
sdpa_table

# %% [markdown]
# ## Why the scale
#
# Without $\frac{1}{\sqrt{d}}$, the scores grow with the head size: a product of two vectors of $d$
# roughly unit entries has a spread of about $\sqrt{d}$. The softmax of large scores
# saturates (one weight near one, the rest near zero), and a saturated softmax passes almost
# no gradient back, since its rule multiplies by the weights. With heads of
# 64 features, 200 random queries against
# 5 keys:

# %%
D_BIG, N_TRIALS = 64, 200
qb = torch.randn(N_TRIALS, D_BIG, generator=g)
kb = torch.randn(T, D_BIG, generator=g)
saturation, grad_size = {}, {}
for name, s in (("scaled", 1 / math.sqrt(D_BIG)), ("unscaled", 1.0)):
    p_b = torch.softmax(qb @ kb.T * s, dim=-1)
    saturation[name] = p_b.max(-1).values.mean().item()
    d_s = softmax_backward(torch.randn(N_TRIALS, T, generator=g), p_b)
    grad_size[name] = d_s.abs().mean().item()
for name in saturation:
    print(f"{name:9} mean largest weight {saturation[name]:.2f}   "
          f"mean |gradient at the scores| {grad_size[name]:.3f}")

# %% [markdown]
# Scaled, a query's largest weight averages 0.45;
# unscaled it is 0.88, most of the weight on one key,
# and the gradient reaching the scores is
# 4 times smaller. The
# backward must use the same scale: `scaled_scores_backward` multiplies both of its
# products by it.
#
# > **The rule to remember**
# >
# > Attention's backward is the transpose rule twice, the softmax's rule between them, a
# > zero at every masked score, the scale on the scores' side, and a sum of three paths
# > into `x`.
#
# ## Exercise
#
# Remove the mask (bidirectional attention, as in an encoder): which lines of the backward
# change? Write them and check against autograd through the unmasked head.
#
# **Solution**
#
# Only the mask's line goes: the softmax's gradient is the scores' gradient. Every other line
# is the same.

# %%
ex_leaves = [t.clone().requires_grad_(True) for t in (x, Wq, Wk, Wv)]
eq, ek, ev = (ex_leaves[0] @ W for W in ex_leaves[1:])
ex_att = torch.softmax(eq @ ek.T * scale, dim=-1)
(ex_att @ ev).backward(upstream)

ex_p = ex_att.detach()
ex_grad_att, ex_grad_v = matmul_backward(upstream, ex_p, ev.detach())
ex_grad_scores = softmax_backward(ex_grad_att, ex_p)   # no mask
ex_grad_q, ex_grad_k = scaled_scores_backward(
    ex_grad_scores, eq.detach(), ek.detach(), scale)
ex_grad_x = ex_grad_q @ Wq.T + ex_grad_k @ Wk.T + ex_grad_v @ Wv.T
ex_table = compare_grads({"x": (ex_grad_x, ex_leaves[0].grad)},
                         caption="Unmasked attention, by hand")
ex_table

# %%
# Every number the text above states, checked against what the code computed (as
# the site's build checks them). Lines are the page's own.
from pagecheck.notebook import check_page

check_page(globals(), [
    (18, 'T', '5'),
    (19, 'C', '8'),
    (19, 'D', '4'),
    (69, 'named["att"][0, 0].item()', '1'),
    (70, 'T', '5'),
    (116, 'len(table)', '10'),
    (133, 'int(mask.sum())', '10'),
    (133, 'masked_att.abs().max().item()', '0'),
    (134, 'masked_grads.abs().max().item()', '0'),
    (163, 'D_BIG', '64'),
    (163, 'N_TRIALS', '200'),
    (164, 'T', '5'),
    (181, 'round(saturation["scaled"], 2)', '0.45'),
    (182, 'round(saturation["unscaled"], 2)', '0.88'),
    (184, 'round(grad_size["scaled"] / grad_size["unscaled"])', '4'),
], [
    (117, 'sum(r.exact for r in table)'),
])
