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
# *This notebook is the page [What attention keeps](https://backprop-by-hand.github.io/gpt/what-attention-keeps/) of Backprop by Hand, cell for cell. Run it from the top: the first cell sets up what the page needs, the last one checks every number the text states against what the code computed.*

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
# # What attention keeps
#
# > **The question**
# >
# > Every gradient of the GPT was made of something the forward pass left behind. How
# > much is that, and which part of it grows fastest when the context gets longer? I have
# > read that the attention matrix is the problem, and that memory-efficient attention
# > never keeps it. What does it keep instead, and does its backward still give the right
# > gradients?
#
# The page [What autograd keeps](https://backprop-by-hand.github.io/beyond/what-autograd-keeps/) answered the first
# question for the MLP: a line keeps what its local derivative is written in, and
# `snippets.saved.SavedLog`, a pair of saved-tensor hooks, measures it. This page does the
# same for a block of the [tiny GPT](https://backprop-by-hand.github.io/gpt/every-intermediate/), then looks at the one tensor
# whose size goes with the square of the context.
#
# ## One block, counted by hand
#
# Go through the block line by line, and write down what each line's backward reads,
# besides the gradient that arrives:
#
# - A LayerNorm keeps its input, its gain and shift, and two numbers per row: the mean and
#   one over the standard deviation ([LayerNorm](https://backprop-by-hand.github.io/transformer/layernorm/)).
# - A matrix product keeps both factors, since each factor's gradient is made of the other
#   ([Matrix multiply](https://backprop-by-hand.github.io/rules/matmul/)). `a_in` is read by three products, and each of
#   them keeps it: three references to one tensor.
# - The scores `q @ k^T` keep `q` and `k`. The heads are a view of the projections with
#   axes swapped, and the batched product needs each head's numbers side by side in
#   memory, so it keeps copies of them, and a copy of `v` for `att @ v`.
# - The mask keeps itself: where it is, the gradient stops.
# - Softmax keeps its output, `att`, because its derivative is written in the output
#   ([Softmax with any upstream gradient](https://backprop-by-hand.github.io/transformer/softmax/)); the product
#   `att @ v` keeps it again, the same memory.
# - GELU keeps its input ([ReLU and GELU](https://backprop-by-hand.github.io/transformer/activations/)). Additions,
#   views and the division by $\sqrt{D}$ keep nothing but shapes.
#
# `snippets/saved.py` writes that list down, one entry per saved tensor, with its shape in
# terms of the batch `B`, the context `T`, the width `C` and the heads `H`:
#
# ```python
# def gpt_block_saved_by_hand(B, T, C: int = gpt.N_EMBD,
#                             H: int = gpt.N_HEADS, i: int = 0) -> list[Save]:
#     """What block i of snippets.gpt.forward keeps, line by line, read off
#     each line's derivative. B and T may be sympy symbols."""
#     D, b = C // H, torch.bool
#
#     def copy(name: str) -> str:
#         # [B, H, T, D] read as [B*H, T, D]: a new tensor when B > 1 (the
#         # heads are not next to each other in memory), a view when B == 1
#         return f"{name}_{i}" if B == 1 else ""
#
#     return [
#         # a_in = layer_norm(x): the input, its mean and 1/std, the affine
#         Save("a_in = ln1(x)", f"ln1_b_{i}", (C,)),
#         Save("a_in = ln1(x)", f"x_{i}", (B, T, C)),
#         Save("a_in = ln1(x)", f"ln1_w_{i}", (C,)),
#         Save("a_in = ln1(x)", "", (B, T, 1)),          # mean
#         Save("a_in = ln1(x)", "", (B, T, 1)),          # 1 / std
#         # q, k, v = a_in @ Wq, Wk, Wv: each factor for the other; a_in
#         # is one tensor, read as B*T rows, kept by all three
#         *[save for W in ("Wq", "Wk", "Wv") for save in (
#             Save(f"{W[1]} = a_in @ {W}", f"{W}_{i}", (C, C)),
#             Save(f"{W[1]} = a_in @ {W}", f"a_in_{i}", (B * T, C)))],
#         # scores = q @ k^T / sqrt(D): each factor for the other
#         Save("scores = q @ k^T", copy("k"), (B * H, D, T)),
#         Save("scores = q @ k^T", copy("q"), (B * H, T, D)),
#         # masked_fill: where the mask is, the gradient stops (one mask,
#         # made once, for every block)
#         Save("masked_fill(mask, -inf)", "mask", (T, T), b),
#         # att = softmax(...): the derivative is written in the output
#         Save("att = softmax(...)", f"att_{i}", (B, H, T, T)),
#         # heads = att @ v: each factor for the other
#         Save("heads = att @ v", copy("v"), (B * H, T, D)),
#         Save("heads = att @ v", f"att_{i}", (B * H, T, T)),
#         # x1 = x + merged @ Wo
#         Save("x1 = x + merged @ Wo", f"Wo_{i}", (C, C)),
#         Save("x1 = x + merged @ Wo", f"merged_{i}", (B * T, C)),
#         # m_in = layer_norm(x1)
#         Save("m_in = ln2(x1)", f"ln2_b_{i}", (C,)),
#         Save("m_in = ln2(x1)", f"x1_{i}", (B, T, C)),
#         Save("m_in = ln2(x1)", f"ln2_w_{i}", (C,)),
#         Save("m_in = ln2(x1)", "", (B, T, 1)),
#         Save("m_in = ln2(x1)", "", (B, T, 1)),
#         # pre = m_in @ W1; hidden = gelu(pre): GELU's input
#         Save("pre = m_in @ W1", f"W1_{i}", (C, 4 * C)),
#         Save("pre = m_in @ W1", f"m_in_{i}", (B * T, C)),
#         Save("hidden = gelu(pre)", f"pre_{i}", (B, T, 4 * C)),
#         # x = x1 + hidden @ W2
#         Save("x = x1 + hidden @ W2", f"W2_{i}", (4 * C, C)),
#         Save("x = x1 + hidden @ W2", f"hidden_{i}", (B * T, 4 * C)),
#     ]
# ```
#
# ## The same block, measured
#
# Run the GPT's forward pass on the batch of [Every intermediate](https://backprop-by-hand.github.io/gpt/every-intermediate/)
# under the hooks. `snippets.saved.gpt_saves_of_forward` names each save after the tensor
# it is; `gpt_saved_by_hand` adds to the blocks what the rest of the model keeps: the
# characters looked up, the final LayerNorm, the head and the loss.

# %%
import itertools
import math

import sympy as sp
import torch

from snippets import gpt
from snippets.gpt import N_EMBD, N_HEADS
from snippets.makemore import load_words
from snippets.saved import (SavedLog, distinct_bytes,
                            gpt_block_saved_by_hand, gpt_saved_by_hand,
                            gpt_saves_of_forward, total_bytes)
from snippets.tables import Table

data = gpt.stream(load_words())
p = gpt.init_params()
X, Y = gpt.sample_windows(data, 32, torch.Generator().manual_seed(0))
B, T = X.shape
C, H = N_EMBD, N_HEADS
D = C // H

t, log = gpt_saves_of_forward(p, X, Y)
hand = gpt_saved_by_hand(B, T)
same = ([(s.name, s.shape, s.dtype) for s in log.saved]
        == [(s.name, s.shape, s.dtype) for s in hand])
assert same                     # save for save, in the same order

rows, saves = [], iter(log.saved)
for line, group in itertools.groupby(hand, key=lambda s: s.line):
    group = list(group)
    measured = [next(saves) for _ in group]
    names = ", ".join(dict.fromkeys(
        s.name or ("row mean, 1/std" if s.shape[-1] == 1 else "a copy")
        for s in group))
    rows.append((line, names, f"{sum(s.nbytes for s in group):,}",
                 f"{sum(s.nbytes for s in measured):,}"))
Table(["line", "keeps", "bytes, by hand", "measured"], rows,
      caption=f"What the forward pass keeps, batch of {B}")

# %% [markdown]
# Hand and hooks agree save for save, in the same order: 40
# saves, 807,104 bytes as the nodes hold them, and
# 697,536 bytes of memory behind them, since `a_in`, `att`
# and `logprobs` are each kept twice or three times. (The test suite checks the same
# agreement for other batches, contexts, widths, heads and numbers of blocks.)
#
# ## Against the context length
#
# Leave the batch and the context as symbols, and sympy adds up one block's list. Leave
# out the parameters, which live on anyway, and keep the activations:

# %%
Bs, Ts = sp.symbols("B T", positive=True, integer=True)
block = [s for s in gpt_block_saved_by_hand(Bs, Ts)
         if s.name not in dict(p.items())]      # not the parameters
per_block = sp.expand(distinct_bytes(block))
square = sp.expand(distinct_bytes(
    [s for s in block if s.name in ("att_0", "mask")]))
print("one block keeps", per_block, "bytes of activations")
print("of which the T x T tensors", square)

# %% [markdown]
# $$
# \text{memory}(B, T) = 8 B T^2 + 2064 B T + T^2 \text{ bytes}.
# $$
#
# Everything but two terms is so many numbers per position: the block's inputs and
# outputs, the copies of the heads, GELU's wide input and the LayerNorms' row statistics:
# 516 float32 numbers, 2,064 bytes, per
# position in all. The other two hold one number
# for each *pair* of positions: `att`, float32 for every window and head, and the mask, one
# byte per pair, shared by the batch. With 2 heads that is
# 8 bytes per pair per window. Per position,
# the attention matrix costs 8 bytes times the context, so it passes the
# rest of the block once the context is longer than
# 258 positions:

# %%
params = {name for name, _ in p.items()}


def activations(saves):
    """Distinct bytes of the saves that are not parameters."""
    return distinct_bytes([s for s in saves if s.name not in params])


contexts = [8 * 2**i for i in range(8)]
share = {T_: float(square.subs({Bs: B, Ts: T_})
                   / per_block.subs({Bs: B, Ts: T_}))
         for T_ in contexts}
hooks, counted = {}, {}
for T_ in contexts[:6]:  # a real forward pass, up to T = 256
    longer = gpt.init_params()
    longer.wpe = torch.randn(T_, C, requires_grad=True)
    g = torch.Generator().manual_seed(T_)
    Xl, Yl = (torch.randint(0, 27, (B, T_), generator=g) for _ in "XY")
    _, log_T = gpt_saves_of_forward(longer, Xl, Yl)
    hooks[T_] = sum({s.storage: s.nbytes for s in log_T.saved
                     if s.name not in params}.values())
    counted[T_] = activations(gpt_saved_by_hand(B, T_))
assert hooks == counted
Table(["context T", "forward pass, hooks", "by hand", "one block",
       "T x T share"],
      [(T_, f"{hooks[T_]:,}" if T_ in hooks else "",
        f"{activations(gpt_saved_by_hand(B, T_)):,}",
        f"{int(per_block.subs({Bs: B, Ts: T_})):,}",
        f"{100 * share[T_]:.0f} %") for T_ in contexts],
      caption=f"Activations kept for backward, batch of {B}")

# %% [markdown]
# At the page's context of 8 the attention matrix and the mask are
# 3 per cent of what a block keeps; at 256
# they are 50 per cent, and at 1,024,
# 80 per cent. Every doubling of the context doubles the rest
# and quadruples them.
#
# The same arithmetic for GPT-2's smallest model, in this page's layout (GPT-2 also has
# biases and dropout, which keep more): 768 features and
# 12 heads make the per-position part 49,168
# bytes and the attention part 48 bytes per position per unit of
# context. They are equal at a context of about
# 1,024, which is GPT-2's context:

# %%
gpt2_C, gpt2_H = 768, 12
gpt2 = [s for s in gpt_block_saved_by_hand(B, 1024, gpt2_C, gpt2_H)
        if s.name not in params]
gpt2_square = distinct_bytes(
    [s for s in gpt2 if s.name in ("att_0", "mask")])
gpt2_share = gpt2_square / distinct_bytes(gpt2)
print(f"GPT-2 small, T = 1024, batch of {B}:")
print(f"the T x T tensors are {gpt2_share:.1%} of what a block keeps")

# %% [markdown]
# At its full context, GPT-2's attention matrices are half of what its blocks keep for
# backward (50 per cent), and a model with a
# longer context is dominated by them.
#
# ## What backward does with the attention matrix
#
# Write $P$ for `att` (one row per query, summing to one), $S$ for the masked, scaled
# scores, $V$ for `v` and $O = PV$ for the heads. Backward needs $P$ twice. The product
# $O = PV$ gives $dV = P^\top dO$ and $dP = dO\, V^\top$, and softmax turns $dP$ into
#
# $$
# dS_{ij} = P_{ij}\Big(dP_{ij} - \sum_k P_{ik}\, dP_{ik}\Big).
# $$
#
# The sum in the bracket is one number per row, and it looks as if it needs all of row $i$
# of $P$. It does not. Put in $dP_{ik} = \sum_d dO_{id} V_{kd}$ and swap the sums:
#
# $$
# \sum_k P_{ik}\, dP_{ik} = \sum_d dO_{id} \sum_k P_{ik} V_{kd} = \sum_d dO_{id}\, O_{id}.
# $$
#
# A dot product of two rows of length $D$, both of which backward has anyway: the gradient
# that arrives at the heads, and the heads themselves. Check it on the GPT's batch, with
# autograd's gradients of `att` and of `heads`:

# %%
for value in t.values():
    value.retain_grad()
t["loss"].backward()

P, O = t["att_0"].detach(), t["heads_0"].detach()
dP, dO = t["att_0"].grad, t["heads_0"].grad
row_sum_P = (P * dP).sum(-1)          # T numbers per row of P
row_sum_O = (dO * O).sum(-1)          # D numbers per row of O
gap = (row_sum_P - row_sum_O).abs().max().item()
assert torch.allclose(row_sum_P, row_sum_O, rtol=1e-5, atol=1e-9)
print(f"{row_sum_P.numel():,} rows, largest difference {gap:.1e},"
      f" largest sum {row_sum_P.abs().max().item():.1e}")


# %% [markdown]
# The two sides agree to rounding (the fence asserts it), row by row: the same sum of
# products, added up in another order ([why the bits
# differ](https://backprop-by-hand.github.io/beyond/why-the-bits-differ/)).
#
# That leaves $dV = P^\top dO$ and the $P$ in front of the bracket. $P$ can be made again:
# $P_{ij} = e^{S_{ij} - L_i}$, where $L_i = \log \sum_j e^{S_{ij}}$ is the row's
# log-sum-exp, one number per row, and $S$ comes back from `q` and `k`, which backward
# keeps anyway for their own gradients. So backward can keep $O$ and $L$ instead of $P$:
# `D + 1` numbers per query instead of $T$.
#
# ## A backward that keeps the output and one number per row
#
# An [`autograd.Function`](https://backprop-by-hand.github.io/autograd/functions/) that does just that. Its forward
# computes the attention with the log-sum-exp and saves `q`, `k`, `v`, the output and
# `L`; its backward makes $P$ again from them, and uses the identity for the bracket:

# %%
class RecomputedAttention(torch.autograd.Function):
    """Causal attention that keeps O and the row log-sum-exp, not P."""

    @staticmethod
    def forward(ctx, q, k, v, mask):
        scale = 1 / math.sqrt(q.shape[-1])
        S = (q @ k.transpose(-2, -1) * scale).masked_fill(
            mask, float("-inf"))
        L = S.logsumexp(-1, keepdim=True)     # one number per row
        O = (S - L).exp() @ v
        ctx.save_for_backward(q, k, v, O, L)
        ctx.mask = mask
        return O

    @staticmethod
    def backward(ctx, grad_O):
        q, k, v, O, L = ctx.saved_tensors
        scale = 1 / math.sqrt(q.shape[-1])
        S = (q @ k.transpose(-2, -1) * scale).masked_fill(
            ctx.mask, float("-inf"))
        P = (S - L).exp()                     # made again
        grad_v = P.transpose(-2, -1) @ grad_O
        grad_P = grad_O @ v.transpose(-2, -1)
        row = (grad_O * O).sum(-1, keepdim=True)  # the identity
        grad_S = P * (grad_P - row)
        grad_q = grad_S @ k * scale
        grad_k = grad_S.transpose(-2, -1) @ q * scale
        return grad_q, grad_k, grad_v, None


# %% [markdown]
# Give it the block's `q`, `k` and `v` and the gradient that arrived at the heads, and
# compare with autograd through the attention as the model writes it:

# %%
from snippets.compare import compare_grads

mask = torch.ones(T, T, dtype=torch.bool).triu(1)


def leaves():
    return [t[f"{n}_0"].detach().clone().requires_grad_()
            for n in "qkv"]


def attention(q, k, v, mask):     # the model's lines
    scores = (q @ k.transpose(-2, -1) / math.sqrt(D)).masked_fill(
        mask, float("-inf"))
    return torch.softmax(scores, -1) @ v


q, k, v = leaves()
with SavedLog() as plain_log:
    O_plain = attention(q, k, v, mask)
O_plain.backward(dO)

q2, k2, v2 = leaves()
with SavedLog() as recomputed_log:
    O_rec = RecomputedAttention.apply(q2, k2, v2, mask)
O_rec.backward(dO)

compare_grads({
    "heads": (O_rec.detach(), O_plain.detach()),
    "q": (q2.grad, q.grad),
    "k": (k2.grad, k.grad),
    "v": (v2.grad, v.grad),
}, caption="Recomputed attention against autograd")

# %% [markdown]
# Every gradient agrees with autograd's, within float32 rounding. Rounding could hide a
# small mistake, so check once more in float64, against finite differences, with
# `torch.autograd.gradcheck` (the fence asserts it passes):

# %%
small = [x.detach()[:1].double().requires_grad_() for x in (q, k, v)]
assert torch.autograd.gradcheck(
    lambda a, b, c: RecomputedAttention.apply(a, b, c, mask), small)


# %% [markdown]
# ### What it saves, and when
#
# Both ways keep `q`, `k` and `v` (the model's lines keep copies of them). Then the model's
# lines keep $P$ and the mask, $T$ numbers per query and a byte per pair; the Function
# keeps $O$ and $L$, `D + 1` numbers per query:

# %%
def kept_bytes(T_, fn):
    g = torch.Generator().manual_seed(T_)
    qkv = [torch.randn(B, H, T_, D, generator=g, requires_grad=True)
           for _ in range(3)]
    m = torch.ones(T_, T_, dtype=torch.bool).triu(1)
    with SavedLog() as kept_log:
        fn(*qkv, m)
    return kept_log.distinct_bytes


memory = {T_: (kept_bytes(T_, attention),
               kept_bytes(T_, RecomputedAttention.apply))
          for T_ in contexts[:6]}
turns = [T_ for T_, (a, b) in memory.items() if a > b][0]
Table(["context T", "model's lines", "recomputed", "saved"],
      [(T_, f"{a:,}", f"{b:,}", f"{a - b:,}")
       for T_, (a, b) in memory.items()],
      caption=f"Bytes attention keeps, batch of {B}, {H} heads of {D}")

# %% [markdown]
# At this page's context of 8, recomputing *costs*
# 18,368 bytes: a row of $P$ is 8
# numbers, shorter than the row of $O$ and the $L$ that replace it, 17
# numbers. The trade turns at 32 positions in the table, and at 256 the Function keeps
# 4.7 times less than the model's lines, a saving
# of 15,728,640 bytes for this one attention.
# What it pays is time: backward computes `q @ k^T` and the exponentials a second time.
# Kernels built for long contexts, such as FlashAttention, make the same trade and go
# further: they never write the whole of $P$ to memory, not even in the forward pass.
#
# > **The rule to remember**
# >
# > Backward needs what each line's derivative is written in, so a block keeps a fixed
# > number of floats per position, plus the attention matrix: one float per pair of
# > positions, per head. That part grows with the square of the context. It is not
# > needed: keep the output and each row's log-sum-exp, make $P$ again from `q`, `k`
# > and $L$, and replace its row sums by `(dO * O).sum(-1)`.
#
# ## Exercise
#
# The recomputed $P$ has exact zeros above the diagonal, where the mask put $-\infty$.
# Why is that exact, and not merely very small? And what would go wrong with a row whose
# every entry is masked?
#
# **Solution**
#
# $L_i$ is finite whenever a row has at least one entry left (causal attention always
# leaves the diagonal), and $e^{-\infty - L_i} = e^{-\infty}$ is exactly zero in floating
# point. A row with every entry masked has a log-sum-exp of `log(0)`, which is $-\infty$, and
# $-\infty - (-\infty)$ is not a number: the whole row of $P$, and every gradient it
# touches, becomes `nan`. The model's softmax fails the same way on such a row.

# %%
S_full = torch.tensor([[0.5, float("-inf")], [float("-inf")] * 2])
L_full = S_full.logsumexp(-1, keepdim=True)
P_full = (S_full - L_full).exp()
print(P_full)
assert P_full[0, 1] == 0 and P_full[1].isnan().all()

# %%
# Every number the text above states, checked against what the code computed (as
# the site's build checks them). Lines are the page's own.
from pagecheck.notebook import check_page

check_page(globals(), [
    (100, 'len(log.saved)', '40'),
    (101, 'log.total_bytes', '807,104'),
    (102, 'log.distinct_bytes', '697,536'),
    (123, 'per_block', '8 B T^2 + 2064 B T + T^2'),
    (128, '16 * C + 4', '516'),
    (128, '4 * (16 * C + 4)', '2,064'),
    (131, 'H', '2'),
    (132, 'per_block.coeff(Ts, 2).coeff(Bs, 1)', '8'),
    (133, '4 * H', '8'),
    (135, '(4 * (16 * C + 4)) / (4 * H)', '258'),
    (170, 'T', '8'),
    (171, '100 * share[8]', '3'),
    (171, 'contexts[5]', '256'),
    (172, '100 * share[256]', '50'),
    (172, 'contexts[-1]', '1,024'),
    (173, '100 * share[1024]', '80'),
    (177, 'gpt2_C', '768'),
    (178, 'gpt2_H', '12'),
    (178, '4 * (16 * gpt2_C + 4)', '49,168'),
    (179, '4 * gpt2_H', '48'),
    (181, '16 * gpt2_C // gpt2_H', '1,024'),
    (195, '100 * gpt2_share', '50'),
    (356, 'T', '8'),
    (357, 'memory[8][1] - memory[8][0]', '18,368'),
    (357, 'T', '8'),
    (358, 'D + 1', '17'),
    (359, 'turns', '32'),
    (359, 'contexts[5]', '256'),
    (360, 'memory[256][0] / memory[256][1]', '4.7'),
    (361, 'memory[256][0] - memory[256][1]', '15,728,640'),
])
