"""A tiny GPT on the names of "A whole network by hand": its data, parameters and forward pass.

The model of the section "A tiny GPT trained by hand" (being written), defined once, as
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
    return t
