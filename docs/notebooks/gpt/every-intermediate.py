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
# *This notebook is the page [Every intermediate of a tiny GPT](https://backprop-by-hand.github.io/gpt/every-intermediate/) of Backprop by Hand, cell for cell. Run it from the top: the first cell sets up what the page needs, the last one checks every number the text states against what the code computed.*

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
# # Every intermediate of a tiny GPT
#
# > **The question**
# >
# > The transformer section derived each rule on its own. Put together into a GPT that
# > reads names, trained as a language model, are those rules all it takes? Can I write
# > the gradient of every intermediate from the loss back to the embeddings, in order,
# > and have each one agree with `loss.backward()`?
#
# ## The model
#
# The same first names as the network section, written one after another, each followed by
# the `.` that ends it: one long stream of characters. A training example is a window of
# 8 characters, and its targets are the same window one character on, so
# every position predicts the next character. The model is GPT-2's layout, small: token and
# position embeddings of 32 features, 1 block with
# 2 causal attention heads and an MLP that widens to
# 128 features through a GELU, a final LayerNorm and a linear head to
# 27 logits. The linear layers have no biases, and the head's weight
# is its own (not tied to the token embedding). It is defined once, in `snippets/gpt.py`,
# one intermediate per line:
#
# ```python
# t["tok"] = p.wte[X]                                  # [B, T, C]
# t["pos"] = p.wpe[:T]                                 # [T, C]
# x = t["x_0"] = t["tok"] + t["pos"]                   # [B, T, C]
# for i, w in enumerate(p.blocks):
#     a_in = t[f"a_in_{i}"] = F.layer_norm(x, (C,), w["ln1_w"], w["ln1_b"])
#     q = t[f"q_{i}"] = (a_in @ w["Wq"]).view(B, T, n_heads, D).transpose(1, 2)  # [B, H, T, D]
#     k = t[f"k_{i}"] = (a_in @ w["Wk"]).view(B, T, n_heads, D).transpose(1, 2)
#     v = t[f"v_{i}"] = (a_in @ w["Wv"]).view(B, T, n_heads, D).transpose(1, 2)
#     scores = t[f"scores_{i}"] = q @ k.transpose(-2, -1) / math.sqrt(D)            # [B, H, T, T]
#     att = t[f"att_{i}"] = torch.softmax(scores.masked_fill(mask, float("-inf")), -1)
#     heads = t[f"heads_{i}"] = att @ v                                            # [B, H, T, D]
#     merged = t[f"merged_{i}"] = heads.transpose(1, 2).reshape(B, T, C)
#     x = t[f"x1_{i}"] = x + merged @ w["Wo"]                                      # residual
#     m_in = t[f"m_in_{i}"] = F.layer_norm(x, (C,), w["ln2_w"], w["ln2_b"])
#     pre = t[f"pre_{i}"] = m_in @ w["W1"]                                         # [B, T, 4C]
#     hidden = t[f"hidden_{i}"] = F.gelu(pre)
#     x = t[f"x_{i + 1}"] = x + hidden @ w["W2"]                                   # residual
# t["final"] = F.layer_norm(x, (C,), p.lnf_w, p.lnf_b)
# logits = t["logits"] = t["final"] @ p.head                                       # [B, T, 27]
# t["logprobs"] = F.log_softmax(logits, -1)
# t["loss"] = -t["logprobs"].gather(-1, Y[..., None]).mean()
# ```
#
# A
# intermediate and every parameter, to compare with:

# %%
import math

import torch
import torch.nn.functional as F

from snippets import gpt
from snippets.compare import compare_grads
from snippets.gpt import BLOCK, N_EMBD, N_HEADS, N_LAYERS
from snippets.makemore import VOCAB_SIZE, load_words
from snippets.rules import embedding_backward
from snippets.transformer_rules import (
    gelu_backward, layernorm_backward, layernorm_forward,
    masked_fill_backward, scaled_scores_backward, softmax_backward)

data = gpt.stream(load_words())
p = gpt.init_params()
X, Y = gpt.sample_windows(data, 32, torch.Generator().manual_seed(0))
t = gpt.forward(p, X, Y)
for value in t.values():
    value.retain_grad()
t["loss"].backward()

B, T = X.shape
C, H = N_EMBD, N_HEADS
D = C // H
w = {name: value.detach() for name, value in p.blocks[0].items()}
d = {name: value.detach() for name, value in t.items()}
print(f"{data.numel():,} characters in the stream,"
      f" {p.count:,} parameters")
print(f"loss {t['loss'].item():.4f}, ln 27 = {math.log(27):.4f}")


# %% [markdown]
# At the start every weight is small, so every character is about equally likely, and the
# loss is near `ln 27`, the loss of a uniform guess.
#
# ## From the loss to the last LayerNorm
#
# The loss is the mean of $-\log p$ of the right character over all
# 256 positions: the [one-hot rule](https://backprop-by-hand.github.io/rules/embedding/) gives
# `logprobs` a gradient of `-1/(B*T)` at each right character and zero elsewhere. Log-softmax
# then hands `logits` that gradient minus the probabilities times its row sum (the
# [softmax page](https://backprop-by-hand.github.io/transformer/softmax/) derives it for any upstream gradient). The head
# is a [matrix product](https://backprop-by-hand.github.io/rules/matmul/) applied at every position: all $BT$ positions are
# rows of one product, so the head's gradient sums over all of them.

# %%
def rows(x):                  # [B, T, n] -> [B*T, n]
    return x.reshape(-1, x.shape[-1])


onehot = F.one_hot(Y, VOCAB_SIZE).float()              # [B, T, 27]
grad_logprobs = -onehot / (B * T)
probs = d["logprobs"].exp()
grad_logits = (grad_logprobs                           # log-softmax
               - probs * grad_logprobs.sum(-1, keepdim=True))
grad_final = grad_logits @ p.head.detach().T           # [B, T, C]
grad_head = rows(d["final"]).T @ rows(grad_logits)     # [C, 27]

_, mean_f, rstd_f = layernorm_forward(d["x_1"], p.lnf_w.detach(),
                                      p.lnf_b.detach())
grad_x_1, grad_lnf_w, grad_lnf_b = layernorm_backward(
    grad_final, d["x_1"], mean_f, rstd_f, p.lnf_w.detach())

top = compare_grads({
    "logprobs": (grad_logprobs, t["logprobs"].grad),
    "logits": (grad_logits, t["logits"].grad),
    "final": (grad_final, t["final"].grad),
    "head": (grad_head, p.head.grad),
    "x_1": (grad_x_1, t["x_1"].grad),
    "lnf_w": (grad_lnf_w, p.lnf_w.grad),
    "lnf_b": (grad_lnf_b, p.lnf_b.grad),
}, caption="The top of the network")
top

# %% [markdown]
# The final [LayerNorm](https://backprop-by-hand.github.io/transformer/layernorm/) is computed again from `x_1`, for its
# mean and reciprocal standard deviation: two numbers a row, all its backward keeps.
#
# ## The MLP and the second residual
#
# `x_1 = x1 + hidden @ W2` is a [residual](https://backprop-by-hand.github.io/transformer/block/): `x1` gets the gradient
# that arrived, whole, plus what comes back through the MLP branch, which is two matrix
# products around a [GELU](https://backprop-by-hand.github.io/transformer/activations/) and a LayerNorm.

# %%
grad_hidden = grad_x_1 @ w["W2"].T                     # [B, T, 4C]
grad_W2 = rows(d["hidden_0"]).T @ rows(grad_x_1)       # [4C, C]
grad_pre = gelu_backward(grad_hidden, d["pre_0"])
grad_m_in = grad_pre @ w["W1"].T                       # [B, T, C]
grad_W1 = rows(d["m_in_0"]).T @ rows(grad_pre)         # [C, 4C]
_, mean2, rstd2 = layernorm_forward(d["x1_0"], w["ln2_w"],
                                    w["ln2_b"])
grad_ln2, grad_ln2_w, grad_ln2_b = layernorm_backward(
    grad_m_in, d["x1_0"], mean2, rstd2, w["ln2_w"])
grad_x1 = grad_x_1 + grad_ln2          # direct share + branch

mlp = compare_grads({
    "hidden": (grad_hidden, t["hidden_0"].grad),
    "W2": (grad_W2, p.blocks[0]["W2"].grad),
    "pre": (grad_pre, t["pre_0"].grad),
    "m_in": (grad_m_in, t["m_in_0"].grad),
    "W1": (grad_W1, p.blocks[0]["W1"].grad),
    "ln2_w": (grad_ln2_w, p.blocks[0]["ln2_w"].grad),
    "ln2_b": (grad_ln2_b, p.blocks[0]["ln2_b"].grad),
    "x1": (grad_x1, t["x1_0"].grad),
}, caption="The MLP branch and the second residual")
mlp

# %% [markdown]
# ## Attention and the first residual
#
# `x1 = x_0 + merged @ Wo`, the other residual. Merging the heads only moved numbers, so
# its backward [moves them back](https://backprop-by-hand.github.io/transformer/heads/): a view and a transpose. Then
# the [attention rules](https://backprop-by-hand.github.io/transformer/attention/), batched over windows and heads: the
# product `att @ v` gives `att` and `v` their gradients, softmax's rule gives the scores
# theirs, and the masked entries, replaced by a constant in the forward pass, get exact
# zeros. The three projections read the same `a_in`, so its gradient is the sum of three.

# %%
grad_merged = grad_x1 @ w["Wo"].T                      # [B, T, C]
grad_Wo = rows(d["merged_0"]).T @ rows(grad_x1)
grad_heads = grad_merged.view(B, T, H, D).transpose(1, 2)
grad_att = grad_heads @ d["v_0"].transpose(-2, -1)     # [B, H, T, T]
grad_v = d["att_0"].transpose(-2, -1) @ grad_heads
mask = torch.ones(T, T, dtype=torch.bool).triu(1)
grad_scores = masked_fill_backward(
    softmax_backward(grad_att, d["att_0"]), mask)
grad_q, grad_k = scaled_scores_backward(grad_scores, d["q_0"],
                                        d["k_0"], 1 / math.sqrt(D))


def unsplit(g):               # [B, H, T, D] -> [B, T, C]
    return g.transpose(1, 2).reshape(B, T, C)


a_in = rows(d["a_in_0"])
grad_Wq = a_in.T @ rows(unsplit(grad_q))
grad_Wk = a_in.T @ rows(unsplit(grad_k))
grad_Wv = a_in.T @ rows(unsplit(grad_v))
grad_a_in = (unsplit(grad_q) @ w["Wq"].T + unsplit(grad_k) @ w["Wk"].T
             + unsplit(grad_v) @ w["Wv"].T)            # three readers
_, mean1, rstd1 = layernorm_forward(d["x_0"], w["ln1_w"], w["ln1_b"])
grad_ln1, grad_ln1_w, grad_ln1_b = layernorm_backward(
    grad_a_in, d["x_0"], mean1, rstd1, w["ln1_w"])
grad_x_0 = grad_x1 + grad_ln1          # direct share + branch

attention = compare_grads({
    "merged": (grad_merged, t["merged_0"].grad),
    "Wo": (grad_Wo, p.blocks[0]["Wo"].grad),
    "heads": (grad_heads, t["heads_0"].grad),
    "att": (grad_att, t["att_0"].grad),
    "v": (grad_v, t["v_0"].grad),
    "scores": (grad_scores, t["scores_0"].grad),
    "q": (grad_q, t["q_0"].grad),
    "k": (grad_k, t["k_0"].grad),
    "Wq": (grad_Wq, p.blocks[0]["Wq"].grad),
    "Wk": (grad_Wk, p.blocks[0]["Wk"].grad),
    "Wv": (grad_Wv, p.blocks[0]["Wv"].grad),
    "a_in": (grad_a_in, t["a_in_0"].grad),
    "ln1_w": (grad_ln1_w, p.blocks[0]["ln1_w"].grad),
    "ln1_b": (grad_ln1_b, p.blocks[0]["ln1_b"].grad),
    "x_0": (grad_x_0, t["x_0"].grad),
}, caption="Attention and the first residual")
masked_zeros = int((grad_scores.masked_select(mask) == 0).sum())
attention

# %% [markdown]
# Every one of the 1,792 masked scores has a gradient of exactly
# zero: 28 entries above the diagonal of each
# 8 by 8 matrix, where a position would look at a later one, in
# 64 windows and heads.
#
# ## The embeddings: a sum over the batch and a scatter-add
#
# `x_0 = tok + pos`: the sum hands its gradient to both. `pos` is the position table's
# first `T` rows (here all of them), one row per position, the same for every window: it was
# [broadcast](https://backprop-by-hand.github.io/rules/broadcasting/) over the batch, so its gradient is the gradient
# summed over the windows. `tok` is a lookup in the token table: the
# [embedding rule](https://backprop-by-hand.github.io/rules/embedding/) adds each position's gradient into the row of the
# character it looked up, a scatter-add, since most characters occur many times in a batch.

# %%
grad_tok = grad_x_0                                    # [B, T, C]
grad_pos = grad_x_0.sum(0)                             # [T, C]
grad_wpe = grad_pos                    # every window is BLOCK long
grad_wte = embedding_backward(grad_tok, X, VOCAB_SIZE)  # [27, C]

embeddings = compare_grads({
    "tok": (grad_tok, t["tok"].grad),
    "pos": (grad_pos, t["pos"].grad),
    "wpe": (grad_wpe, p.wpe.grad),
    "wte": (grad_wte, p.wte.grad),
}, caption="The embeddings")
uses = torch.bincount(X.flatten(), minlength=VOCAB_SIZE)
embeddings

# %% [markdown]
# In this batch the letter `a` sits at 38 positions, and so does the
# `.` that ends a name: each of their rows of `wte` adds up that many gradients. The
# 3 characters that do not occur get a row of zeros.
#
# ## All of them

# %%
from snippets.compare import ComparisonTable

table = ComparisonTable([*top, *mlp, *attention, *embeddings])
table.caption = "Every intermediate of the tiny GPT, by hand"
table

# %% [markdown]
# All 34 gradients are close to autograd's, every intermediate from
# `logprobs` down to `tok` and every parameter; `sum(r.exact for r in table)` of them
# are bit for bit on the machine that built this page. The first is exact wherever it
# runs: both sides put -0.00390625, a power of two, at the right
# characters. The others sum
# products in an order of their own, which may round differently
# ([why the bits differ](https://backprop-by-hand.github.io/beyond/why-the-bits-differ/)).
#
# ## The lines, gathered
#
# The training page needs these lines as one function. `gpt.backward_by_hand` is the same
# lines in the same order, for any number of blocks; on this batch it gives every parameter
# the very same tensor as the lines above:

# %%
gathered = gpt.backward_by_hand(p, t, X, Y)
mine = {"wte": grad_wte, "wpe": grad_wpe, "ln1_w_0": grad_ln1_w,
        "ln1_b_0": grad_ln1_b, "Wq_0": grad_Wq, "Wk_0": grad_Wk,
        "Wv_0": grad_Wv, "Wo_0": grad_Wo, "ln2_w_0": grad_ln2_w,
        "ln2_b_0": grad_ln2_b, "W1_0": grad_W1, "W2_0": grad_W2,
        "lnf_w": grad_lnf_w, "lnf_b": grad_lnf_b, "head": grad_head}
same = [n for n in mine if torch.equal(mine[n], gathered[n])]
print(f"bit for bit the same: {len(same)} of {len(gathered)}")

# %% [markdown]
# 15 of 15: the training page trains with this
# page's arithmetic.
#
# > **The rule to remember**
# >
# > A GPT's backward is the section's rules in reverse order, with two kinds of sum: the
# > residuals add the gradient that arrived to what each branch sends back, and every
# > parameter used at many positions (each matrix, the position table across the batch,
# > a character's embedding row wherever it occurs) sums its gradient over all of them.
#
# ## Exercise
#
# > **Do it yourself in a notebook**
# >
# > This page's walk, as [a notebook to fill in](https://backprop-by-hand.github.io/gpt/exercises/every-intermediate.ipynb),
# > every rule written out by you (LayerNorm, GELU and softmax included), with a check
# > after each stretch; its page shows the worked solution, and its buttons download the
# > blank exercise or open it in Colab.
#
# Tie the head to the token embedding, as GPT-2 does: `logits = final @ wte.T`, with no
# `head` of its own. What is `wte`'s gradient now? Write it and check it against autograd.
#
# **Solution**
#
# `wte` is used twice, as the lookup table and as the head, so its gradient is the sum of
# the two uses: the scatter-add from the positions, and the head's gradient transposed
# (`logits = final @ wte.T` makes `wte`'s share `grad_logits`' rows times `final`'s).

# %%
wte = p.wte.detach().clone().requires_grad_(True)
tied = gpt.Params(wte=wte, wpe=p.wpe.detach(), blocks=[w],
                  lnf_w=p.lnf_w.detach(), lnf_b=p.lnf_b.detach(),
                  head=wte.T)          # the head is the token table
t_tied = gpt.forward(tied, X, Y)
t_tied["loss"].backward()              # autograd sums both uses

by_hand = gpt.backward_by_hand(tied, t_tied, X, Y)
grad_wte_tied = by_hand["wte"] + by_hand["head"].T  # lookup + head
tied_table = compare_grads({"wte, tied": (grad_wte_tied, wte.grad)},
                           caption="A tied head, by hand")
tied_table

# %%
# Every number the text above states, checked against what the code computed (as
# the site's build checks them). Lines are the page's own.
from pagecheck.notebook import check_page

check_page(globals(), [
    (21, 'BLOCK', '8'),
    (23, 'N_EMBD', '32'),
    (23, 'N_LAYERS', '1'),
    (24, 'N_HEADS', '2'),
    (25, '4 * N_EMBD', '128'),
    (26, 'VOCAB_SIZE', '27'),
    (34, 'B', '32'),
    (76, 'B * T', '256'),
    (205, 'masked_zeros', '1,792'),
    (206, 'T * (T - 1) // 2', '28'),
    (207, 'T', '8'),
    (207, 'T', '8'),
    (208, 'B * H', '64'),
    (235, 'int(uses[1])', '38'),
    (237, 'int((uses == 0).sum())', '3'),
    (249, 'len(table)', '34'),
    (252, '-1 / (B * T)', '-0.00390625'),
    (274, 'len(same)', '15'),
    (274, 'len(gathered)', '15'),
], [
    (250, 'sum(r.exact for r in table)'),
])
