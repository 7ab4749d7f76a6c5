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
# *This notebook is the page [Many heads](https://backprop-by-hand.github.io/transformer/heads/) of Backprop by Hand, cell for cell. Run it from the top: the first cell sets up what the page needs, the last one checks every number the text states against what the code computed.*

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
# # Many heads
#
# > **The question**
# >
# > GPT-2 runs twelve attention heads side by side, each on its own slice of the features,
# > by reshaping and transposing the projections. How does a gradient get through a
# > `view` and a `transpose`? And is the backward of many heads anything more than the one
# > head's, done once per head?
#
# A model with 8 features and 2 heads gives each head a slice of
# 4 features: the query, key and value projections are computed for all
# features at once, then split into heads, each head attends on its own, and their outputs
# are set side by side again and mixed by an output projection $W_o$.
#
# ## Splitting and merging move numbers
#
# `split_heads` turns a `[T, C]` tensor into `[H, T, C/H]`: a `view` that cuts each row into
# the heads' slices, then a `transpose` that puts the heads first. Neither computes anything;
# every number of the output is one number of the input, moved. So the backward moves each
# gradient back to where its number came from: the inverse permutation, transpose back,
# then the slices side by side again. It is the [`view` rule](https://backprop-by-hand.github.io/rules/embedding/) of the
# embedding page, with a transpose. Merging is the split's inverse, so its backward is the
# split itself:

# %%
import math

import torch

from snippets.compare import compare_grads
from snippets.rules import matmul_backward
from snippets.transformer_rules import (
    masked_fill_backward, merge_heads, merge_heads_backward,
    scaled_scores_backward, softmax_backward, split_heads,
    split_heads_backward)

T, C, H = 5, 8, 2
D = C // H
g = torch.Generator().manual_seed(0)
numbers = torch.arange(T * C, dtype=torch.float32).view(T, C)
heads = split_heads(numbers, H)
print("position 0 in the input: ", numbers[0].tolist())
print("position 0, head by head:",
      [heads[h, 0].tolist() for h in range(H)])
back = split_heads_backward(heads)
print("moved back, as the backward moves a gradient:",
      torch.equal(back, numbers))

# %% [markdown]
# The first head sees the first half of every position's features, the second head the
# second half; the backward puts each number back in place.
#
# ## The whole layer, by hand
#
# Every head's attention at once, as one batched computation over the heads: the
# [one-head rules](https://backprop-by-hand.github.io/transformer/attention/) apply unchanged, with the heads as a leading batch
# dimension.

# %%
x = torch.randn(T, C, generator=g)
Wq, Wk, Wv, Wo = (torch.randn(C, C, generator=g) / math.sqrt(C)
                  for _ in range(4))
mask = torch.ones(T, T, dtype=torch.bool).triu(1)
scale = 1 / math.sqrt(D)
named = {}


def multi_head(x, Wq, Wk, Wv, Wo, n_heads=H):
    q, k, v = (split_heads(x @ W, n_heads)               # [H, T, D]
               for W in (Wq, Wk, Wv))
    head_scale = 1 / math.sqrt(C // n_heads)
    scores = q @ k.transpose(-2, -1) * head_scale        # [H, T, T]
    att = torch.softmax(scores.masked_fill(mask, float("-inf")), -1)
    heads_out = att @ v                                  # [H, T, D]
    merged = merge_heads(heads_out)                      # [T, C]
    named.update(q=q, k=k, v=v, att=att, heads_out=heads_out,
                 merged=merged)
    return merged @ Wo


leaves = [t.clone().requires_grad_(True) for t in (x, Wq, Wk, Wv, Wo)]
out = multi_head(*leaves)
for t in named.values():
    t.retain_grad()
upstream = torch.randn(T, C, generator=g)
out.backward(upstream)

q, k, v, att, merged = (named[n].detach()
                        for n in ("q", "k", "v", "att", "merged"))
grad_merged, grad_Wo = matmul_backward(upstream, merged, Wo)
grad_heads_out = merge_heads_backward(grad_merged, H)        # [H, T, D]
grad_att = grad_heads_out @ v.transpose(-2, -1)              # per head
grad_v = att.transpose(-2, -1) @ grad_heads_out
grad_scores = masked_fill_backward(softmax_backward(grad_att, att),
                                   mask)
grad_q, grad_k = scaled_scores_backward(grad_scores, q, k, scale)
grad_x = sum(split_heads_backward(gr) @ W.T
             for gr, W in ((grad_q, Wq), (grad_k, Wk), (grad_v, Wv)))
grad_Wq = x.T @ split_heads_backward(grad_q)
grad_Wk = x.T @ split_heads_backward(grad_k)
grad_Wv = x.T @ split_heads_backward(grad_v)

mha_table = compare_grads(
    {"merged": (grad_merged, named["merged"].grad),
     "heads_out": (grad_heads_out, named["heads_out"].grad),
     "att": (grad_att, named["att"].grad),
     "v": (grad_v, named["v"].grad),
     "q": (grad_q, named["q"].grad), "k": (grad_k, named["k"].grad),
     "x": (grad_x, leaves[0].grad), "Wq": (grad_Wq, leaves[1].grad),
     "Wk": (grad_Wk, leaves[2].grad), "Wv": (grad_Wv, leaves[3].grad),
     "Wo": (grad_Wo, leaves[4].grad)},
    caption="Two heads, by hand against autograd")
mha_table

# %% [markdown]
# In autograd's graph the split and the merge appear as `view`, `transpose` and reshape
# nodes around the batched products: moves, whose backward moves the gradients back.
#
# **The graph autograd recorded for the layer**

# %%
from snippets.graph import ComputationGraph

ComputationGraph.from_autograd(
    out, {"x": leaves[0], "Wq": leaves[1], "Wk": leaves[2],
          "Wv": leaves[3], "Wo": leaves[4], **named, "out": out},
    direction="TB", title="Multi-head causal self-attention, two heads")

# %% [markdown]
# All 11 gradients are close to autograd's. The only new lines are
# `merge_heads_backward` and `split_heads_backward`, which move numbers; the rest is the
# one head's backward, computed for both heads at once.
#
# ## torch.nn.MultiheadAttention agrees
#
# PyTorch's module keeps the three projections in one `[3C, C]` matrix (its weights
# transposed, as `nn.Linear` keeps them). Given the same numbers and the same causal mask:

# %%
mha = torch.nn.MultiheadAttention(C, H, bias=False, batch_first=True)
with torch.no_grad():
    mha.in_proj_weight.copy_(torch.cat([Wq.T, Wk.T, Wv.T]))
    mha.out_proj.weight.copy_(Wo.T)
x_leaf = x.clone().requires_grad_(True)
module_out, _ = mha(x_leaf[None], x_leaf[None], x_leaf[None],
                    attn_mask=mask, need_weights=False)
module_out[0].backward(upstream)
module_table = compare_grads(
    {"output": (out.detach(), module_out[0].detach()),
     "x": (grad_x, x_leaf.grad),
     "Wq": (grad_Wq, mha.in_proj_weight.grad[:C].T),
     "Wo": (grad_Wo, mha.out_proj.weight.grad.T)},
    atol=1e-6, caption="By hand against nn.MultiheadAttention")
module_table

# %% [markdown]
# The module's output and gradients match the hand-written ones to within a millionth. That
# is looser than the site's usual float32 tolerance near zero, because the module computes
# the three projections as one product and runs a fused attention kernel, so its float32
# sums run in other orders than ours; entries near zero then differ by a few float32 steps
# of the large ones ([why the bits differ](https://backprop-by-hand.github.io/beyond/why-the-bits-differ/)). The layer is
# the one-head rules plus two permutations.
#
# > **The rule to remember**
# >
# > A `view` or a `transpose` moves numbers, so its backward moves the gradients back by the
# > inverse permutation; many heads are one head's backward with the heads as a batch
# > dimension.
#
# ## Exercise
#
# Split into 4 heads instead of two: which lines of the backward change? Run
# the layer with four heads and check `grad_x` against autograd.
#
# **Solution**
#
# None of the backward's lines change: only the number of heads, and with it the head size
# and the scale, which the lines read. The rules never assumed a number of heads.

# %%
EX_H = 4
ex_scale = 1 / math.sqrt(C // EX_H)
named.clear()
ex_leaves = [t.clone().requires_grad_(True)
             for t in (x, Wq, Wk, Wv, Wo)]
multi_head(*ex_leaves, n_heads=EX_H).backward(upstream)
eq, ek, ev, e_att = (named[n].detach() for n in ("q", "k", "v", "att"))
ex_grad_merged = upstream @ Wo.T
ex_grad_heads_out = merge_heads_backward(ex_grad_merged, EX_H)
ex_grad_att = ex_grad_heads_out @ ev.transpose(-2, -1)
ex_grad_v = e_att.transpose(-2, -1) @ ex_grad_heads_out
ex_grad_scores = masked_fill_backward(
    softmax_backward(ex_grad_att, e_att), mask)
ex_grad_q, ex_grad_k = scaled_scores_backward(ex_grad_scores, eq, ek,
                                              ex_scale)
ex_grad_x = sum(split_heads_backward(gr) @ W.T for gr, W in
                ((ex_grad_q, Wq), (ex_grad_k, Wk), (ex_grad_v, Wv)))
ex_table = compare_grads({"x": (ex_grad_x, ex_leaves[0].grad)},
                         caption="Four heads, by hand against autograd")
ex_table

# %%
# Every number the text above states, checked against what the code computed (as
# the site's build checks them). Lines are the page's own.
from pagecheck.notebook import check_page

check_page(globals(), [
    (17, 'C', '8'),
    (17, 'H', '2'),
    (18, 'C // H', '4'),
    (138, 'len(mha_table)', '11'),
    (180, 'EX_H', '4'),
])
