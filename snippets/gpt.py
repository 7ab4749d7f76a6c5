"""A tiny GPT on the names of "A whole network by hand": its data, parameters and forward pass.

The model of the section "A tiny GPT trained by hand", defined once, as
``snippets/makemore.py`` defines the MLP: every page and notebook of that section imports it.

Data. The same first names as the MLP section (``snippets.makemore.load_words``), written
one after another, each followed by the ``.`` that ends a name: one long stream of
characters. A training example is a window of ``BLOCK`` characters, and its targets are
the same window shifted by one: every position predicts the next character.

Model. Token and position embeddings; ``N_LAYERS`` pre-LayerNorm blocks (causal
self-attention with ``N_HEADS`` heads, then an MLP that widens four times with GELU, each
inside a residual addition); a final LayerNorm; a linear head to 27 logits; cross-entropy
written out. No biases in the linear layers, and the head's weight is its own (not tied to
the token embedding). Every intermediate has a name, in the order the forward pass makes it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import torch
import torch.nn.functional as F

from snippets.makemore import VOCAB_SIZE, load_words, stoi
from snippets.rules import embedding_backward
from snippets.transformer_rules import (
    gelu_backward,
    layernorm_backward,
    layernorm_forward,
    masked_fill_backward,
    scaled_scores_backward,
    softmax_backward,
)

BLOCK = 8  # characters of context
N_EMBD = 32  # features per position
N_HEADS = 2
N_LAYERS = 1
SEED = 1337


def stream(words: list[str] | None = None) -> torch.Tensor:
    """Every name followed by '.', as one sequence of character indices."""
    words = load_words() if words is None else words
    return torch.tensor([stoi[ch] for word in words for ch in word + "."], dtype=torch.long)


def sample_windows(data: torch.Tensor, batch_size: int, generator: torch.Generator | None = None):
    """``batch_size`` random windows of the stream, and the same windows one character on."""
    starts = torch.randint(0, data.numel() - BLOCK - 1, (batch_size,), generator=generator)
    X = torch.stack([data[s : s + BLOCK] for s in starts.tolist()])
    Y = torch.stack([data[s + 1 : s + BLOCK + 1] for s in starts.tolist()])
    return X, Y


@dataclass
class Params:
    """Every parameter of the model, by name (``ln1_w_0`` is block 0's first LayerNorm)."""

    wte: torch.Tensor  # [27, C]       token embedding
    wpe: torch.Tensor  # [BLOCK, C]    position embedding
    blocks: list[dict[str, torch.Tensor]]
    lnf_w: torch.Tensor  # [C]
    lnf_b: torch.Tensor  # [C]
    head: torch.Tensor  # [C, 27]

    def items(self):
        yield "wte", self.wte
        yield "wpe", self.wpe
        for i, block in enumerate(self.blocks):
            for name, tensor in block.items():
                yield f"{name}_{i}", tensor
        yield "lnf_w", self.lnf_w
        yield "lnf_b", self.lnf_b
        yield "head", self.head

    def __iter__(self):
        return (tensor for _, tensor in self.items())

    @property
    def count(self) -> int:
        return sum(p.numel() for p in self)


def init_params(seed: int = SEED, n_embd: int = N_EMBD, n_layers: int = N_LAYERS) -> Params:
    """GPT-2's initialisation, scaled down: normal weights with standard deviation 0.02
    (the residual branches' output projections divided by sqrt(2 * layers)), LayerNorms at
    gain one and shift zero."""
    g = torch.Generator().manual_seed(seed)
    C = n_embd

    def normal(*shape, std=0.02):
        return torch.randn(*shape, generator=g) * std

    out_std = 0.02 / math.sqrt(2 * n_layers)
    blocks = [
        {"ln1_w": torch.ones(C), "ln1_b": torch.zeros(C),
         "Wq": normal(C, C), "Wk": normal(C, C), "Wv": normal(C, C), "Wo": normal(C, C, std=out_std),
         "ln2_w": torch.ones(C), "ln2_b": torch.zeros(C),
         "W1": normal(C, 4 * C), "W2": normal(4 * C, C, std=out_std)}
        for _ in range(n_layers)
    ]
    params = Params(wte=normal(VOCAB_SIZE, C), wpe=normal(BLOCK, C), blocks=blocks,
                    lnf_w=torch.ones(C), lnf_b=torch.zeros(C), head=normal(C, VOCAB_SIZE))
    for p in params:
        p.requires_grad_(True)
    return params


def forward(p: Params, X: torch.Tensor, Y: torch.Tensor, n_heads: int = N_HEADS) -> dict[str, torch.Tensor]:
    """The forward pass, one intermediate per line; returns every one by name (block i's
    with the suffix ``_i``), the loss last. X and Y: [B, T] character indices."""
    B, T = X.shape
    C = p.wte.shape[1]
    D = C // n_heads
    mask = torch.ones(T, T, dtype=torch.bool).triu(1)
    t: dict[str, torch.Tensor] = {}
    # --8<-- [start:forward]
    t["tok"] = p.wte[X]                                  # [B, T, C]
    t["pos"] = p.wpe[:T]                                 # [T, C]
    x = t["x_0"] = t["tok"] + t["pos"]                   # [B, T, C]
    for i, w in enumerate(p.blocks):
        a_in = t[f"a_in_{i}"] = F.layer_norm(x, (C,), w["ln1_w"], w["ln1_b"])
        q = t[f"q_{i}"] = (a_in @ w["Wq"]).view(B, T, n_heads, D).transpose(1, 2)  # [B, H, T, D]
        k = t[f"k_{i}"] = (a_in @ w["Wk"]).view(B, T, n_heads, D).transpose(1, 2)
        v = t[f"v_{i}"] = (a_in @ w["Wv"]).view(B, T, n_heads, D).transpose(1, 2)
        scores = t[f"scores_{i}"] = q @ k.transpose(-2, -1) / math.sqrt(D)            # [B, H, T, T]
        att = t[f"att_{i}"] = torch.softmax(scores.masked_fill(mask, float("-inf")), -1)
        heads = t[f"heads_{i}"] = att @ v                                            # [B, H, T, D]
        merged = t[f"merged_{i}"] = heads.transpose(1, 2).reshape(B, T, C)
        x = t[f"x1_{i}"] = x + merged @ w["Wo"]                                      # residual
        m_in = t[f"m_in_{i}"] = F.layer_norm(x, (C,), w["ln2_w"], w["ln2_b"])
        pre = t[f"pre_{i}"] = m_in @ w["W1"]                                         # [B, T, 4C]
        hidden = t[f"hidden_{i}"] = F.gelu(pre)
        x = t[f"x_{i + 1}"] = x + hidden @ w["W2"]                                   # residual
    t["final"] = F.layer_norm(x, (C,), p.lnf_w, p.lnf_b)
    logits = t["logits"] = t["final"] @ p.head                                       # [B, T, 27]
    t["logprobs"] = F.log_softmax(logits, -1)
    t["loss"] = -t["logprobs"].gather(-1, Y[..., None]).mean()
    # --8<-- [end:forward]
    return t


def _rows(t: torch.Tensor) -> torch.Tensor:
    """[B, T, n] -> [B*T, n]: every position of every window is a row of a matrix product."""
    return t.reshape(-1, t.shape[-1])


def backward_by_hand(p: Params, t: dict[str, torch.Tensor], X: torch.Tensor, Y: torch.Tensor,
                     n_heads: int = N_HEADS) -> dict[str, torch.Tensor]:
    """Every parameter's gradient from the intermediates ``t`` of ``forward``, without
    autograd: the lines of the page "Every intermediate" (which checks that this function
    gives the same tensors, bit for bit), gathered for the training page. Keyed as
    ``Params.items``."""
    B, T = X.shape
    C = p.wte.shape[1]
    D = C // n_heads
    d = {name: value.detach() for name, value in t.items()}
    mask = torch.ones(T, T, dtype=torch.bool).triu(1)
    grads: dict[str, torch.Tensor] = {}

    def unsplit(g: torch.Tensor) -> torch.Tensor:  # [B, H, T, D] -> [B, T, C]
        return g.transpose(1, 2).reshape(B, T, C)

    onehot = F.one_hot(Y, VOCAB_SIZE).to(d["logprobs"].dtype)
    g_logprobs = -onehot / (B * T)
    g_logits = g_logprobs - d["logprobs"].exp() * g_logprobs.sum(-1, keepdim=True)
    g_final = g_logits @ p.head.detach().T
    grads["head"] = _rows(d["final"]).T @ _rows(g_logits)
    x = d[f"x_{len(p.blocks)}"]
    _, mean, rstd = layernorm_forward(x, p.lnf_w.detach(), p.lnf_b.detach())
    g_x, grads["lnf_w"], grads["lnf_b"] = layernorm_backward(g_final, x, mean, rstd, p.lnf_w.detach())
    for i in reversed(range(len(p.blocks))):
        w = {name: value.detach() for name, value in p.blocks[i].items()}
        # second residual: x_{i+1} = x1 + gelu(ln2(x1) @ W1) @ W2
        g_hidden = g_x @ w["W2"].T
        grads[f"W2_{i}"] = _rows(d[f"hidden_{i}"]).T @ _rows(g_x)
        g_pre = gelu_backward(g_hidden, d[f"pre_{i}"])
        g_m_in = g_pre @ w["W1"].T
        grads[f"W1_{i}"] = _rows(d[f"m_in_{i}"]).T @ _rows(g_pre)
        x1 = d[f"x1_{i}"]
        _, mean, rstd = layernorm_forward(x1, w["ln2_w"], w["ln2_b"])
        g_ln2, grads[f"ln2_w_{i}"], grads[f"ln2_b_{i}"] = layernorm_backward(g_m_in, x1, mean, rstd, w["ln2_w"])
        g_x1 = g_x + g_ln2
        # first residual: x1 = x_i + attention(ln1(x_i)) @ Wo
        g_merged = g_x1 @ w["Wo"].T
        grads[f"Wo_{i}"] = _rows(d[f"merged_{i}"]).T @ _rows(g_x1)
        g_heads = g_merged.view(B, T, n_heads, D).transpose(1, 2)
        g_att = g_heads @ d[f"v_{i}"].transpose(-2, -1)
        g_v = d[f"att_{i}"].transpose(-2, -1) @ g_heads
        g_scores = masked_fill_backward(softmax_backward(g_att, d[f"att_{i}"]), mask)
        g_q, g_k = scaled_scores_backward(g_scores, d[f"q_{i}"], d[f"k_{i}"], 1 / math.sqrt(D))
        a_in = _rows(d[f"a_in_{i}"])
        grads[f"Wq_{i}"] = a_in.T @ _rows(unsplit(g_q))
        grads[f"Wk_{i}"] = a_in.T @ _rows(unsplit(g_k))
        grads[f"Wv_{i}"] = a_in.T @ _rows(unsplit(g_v))
        g_a_in = unsplit(g_q) @ w["Wq"].T + unsplit(g_k) @ w["Wk"].T + unsplit(g_v) @ w["Wv"].T
        x0 = d[f"x_{i}"]
        _, mean, rstd = layernorm_forward(x0, w["ln1_w"], w["ln1_b"])
        g_ln1, grads[f"ln1_w_{i}"], grads[f"ln1_b_{i}"] = layernorm_backward(g_a_in, x0, mean, rstd, w["ln1_w"])
        g_x = g_x1 + g_ln1
    grads["wpe"] = torch.zeros_like(p.wpe.detach())
    grads["wpe"][:T] = g_x.sum(0)
    grads["wte"] = embedding_backward(g_x, X, VOCAB_SIZE)
    return {name: grads[name] for name, _ in p.items()}


class AdamW:
    """``torch.optim.AdamW`` by hand, for a list of tensors and their gradients, with its
    defaults; each line in the order of PyTorch's own single-tensor loop (CPU), which makes
    the parameters it gives the same, bit for bit (the page "AdamW by hand" shows why the
    order matters)."""

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2) -> None:
        self.params = list(params)
        self.lr, self.betas, self.eps, self.weight_decay = lr, betas, eps, weight_decay
        self.m = [torch.zeros_like(q) for q in self.params]
        self.v = [torch.zeros_like(q) for q in self.params]
        self.t = 0

    @torch.no_grad()
    def step(self, grads) -> None:
        beta1, beta2 = self.betas
        self.t += 1
        correction1 = 1 - beta1**self.t
        correction2 = 1 - beta2**self.t
        for q, g, m, v in zip(self.params, grads, self.m, self.v):
            q.mul_(1 - self.lr * self.weight_decay)          # decoupled decay
            m.lerp_(g, 1 - beta1)                            # first moment
            v.mul_(beta2).addcmul_(g, g, value=1 - beta2)    # second moment
            denom = (v.sqrt() / correction2**0.5).add_(self.eps)
            q.addcdiv_(m, denom, value=-self.lr / correction1)
