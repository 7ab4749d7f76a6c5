"""What autograd keeps, measured with saved-tensor hooks, against the accounting written by
hand from the derivatives (``snippets.saved.mlp_saved_by_hand``): the same tensors, in the
same order, the same bytes, for every batch size the page plots."""

from __future__ import annotations

import pytest
import torch

from snippets.makemore import SEED, init_params, load_words, sample_batch, splits
from snippets import gpt
from snippets.saved import (Kept, SavedLog, distinct_bytes, gpt_saved_by_hand, gpt_saves_of_forward,
                            mlp_saved_by_hand, saves_of_forward, total_bytes)

BATCH_SIZES = [32 * 2**i for i in range(8)]  # 32 ... 4096, as on the page


@pytest.fixture(scope="module")
def train():
    (Xtr, Ytr), _, _ = splits(load_words())
    return Xtr, Ytr


def _tensors(saves):
    """The saves as a multiset (the order within one line is autograd's business)."""
    return sorted((s.name, s.shape, str(s.dtype)) for s in saves)


@pytest.mark.parametrize("n_hidden, n_embd", [(64, 10), (200, 10), (64, 4)])
@pytest.mark.parametrize("n", BATCH_SIZES)
def test_hooks_and_hand_agree_on_every_save(train, n, n_hidden, n_embd):
    Xb, Yb = sample_batch(*train, batch_size=n, generator=torch.Generator().manual_seed(SEED))
    _, log = saves_of_forward(init_params(n_hidden=n_hidden, n_embd=n_embd), Xb, Yb)
    by_hand = mlp_saved_by_hand(n, n_hidden=n_hidden, n_embd=n_embd)
    assert _tensors(log.saved) == _tensors(by_hand)
    assert log.total_bytes == total_bytes(by_hand)
    assert log.distinct_bytes == distinct_bytes(by_hand)


def test_bytes_grow_linearly_with_the_batch(train):
    """Independent of the hand list: the hooks' memory is an affine function of n whose slope
    is the bytes of one example's row in every saved activation."""
    memory = {}
    for n in (32, 64, 4096):
        Xb, Yb = sample_batch(*train, batch_size=n, generator=torch.Generator().manual_seed(SEED))
        memory[n] = saves_of_forward(init_params(), Xb, Yb)[1].distinct_bytes
    slope = (memory[64] - memory[32]) / 32
    assert memory[4096] == memory[32] + slope * (4096 - 32)
    # one example: embcat 30, bndiff/bnraw/h 3 x 64, counts/probs 2 x 27, counts_sum(_inv) 2
    # float32 numbers; Xb 3, the max's index, range(n) and Yb as int64
    assert slope == 4 * (30 + 3 * 64 + 2 * 27 + 2) + 8 * (3 + 1 + 1 + 1)


def test_retain_grad_saves_nothing_more_but_keeps_every_gradient(train):
    Xb, Yb = sample_batch(*train, generator=torch.Generator().manual_seed(SEED))
    fw, log = saves_of_forward(init_params(), Xb, Yb, retain_grads=True)
    plain_fw, plain_log = saves_of_forward(init_params(), Xb, Yb, retain_grads=False)
    assert [(s.name, s.shape) for s in log.saved] == [(s.name, s.shape) for s in plain_log.saved]
    fw.loss.backward()
    plain_fw.loss.backward()
    assert all(t.retains_grad and t.grad is not None for _, t in fw.items() if t.requires_grad)
    assert not any(t.retains_grad for _, t in plain_fw.items())
    # what retain_grad keeps: one gradient the size of each intermediate
    assert sum(t.grad.nbytes for _, t in fw.items()) == sum(t.nbytes for _, t in fw.items())


def test_autograd_reads_and_drops_each_save_once_node_by_node(train):
    Xb, Yb = sample_batch(*train, generator=torch.Generator().manual_seed(SEED))
    fw, log = saves_of_forward(init_params(), Xb, Yb)
    assert log.events == []  # nothing read or dropped before backward
    fw.loss.backward()
    every = list(range(len(log.saved)))
    assert sorted(i for kind, i in log.events if kind == "read") == every
    assert sorted(i for kind, i in log.events if kind == "freed") == every
    # node by node: each run of reads is followed by the drops of exactly those saves
    runs = []
    for kind, index in log.events:
        if not runs or runs[-1][0] != kind:
            runs.append((kind, set()))
        runs[-1][1].add(index)
    assert [kind for kind, _ in runs] == ["read", "freed"] * (len(runs) // 2)
    assert all(read == freed for (_, read), (_, freed) in zip(runs[::2], runs[1::2]))
    held = log.held_during_backward()
    assert held[0] == log.distinct_bytes and held[-1] == 0
    assert 0 < held[len(held) // 2] < held[0]  # it goes down in steps, not all at the end


def test_retain_graph_keeps_the_saves():
    x = torch.randn(3, requires_grad=True)
    with SavedLog() as log:
        y = (x.tanh() * x).sum()
    y.backward(retain_graph=True)
    assert not any(kind == "freed" for kind, _ in log.events)


def test_kept_counts_bytes_and_lets_go():
    kept = Kept({"a": torch.zeros(4, 2), "i": torch.zeros(3, dtype=torch.int64)})
    assert kept.nbytes == 4 * 2 * 4 + 3 * 8
    kept.last_use("a")
    assert kept.freed == ["a"] and kept.held == [56, 24] and "a" not in kept


# The tiny GPT (snippets.gpt): (batch, context, width, heads, blocks). A batch of one
# window keeps views of the heads where a larger batch keeps copies: both are covered.
GPT_SHAPES = [(32, 8, 32, 2, 1), (4, 16, 16, 4, 2), (1, 12, 32, 2, 2), (7, 5, 24, 3, 1)]


def _gpt_saves(B, T, C, H, n_layers):
    params = gpt.init_params(n_embd=C, n_layers=n_layers)
    params.wpe = torch.randn(T, C, requires_grad=True)  # a position table for any context
    g = torch.Generator().manual_seed(T)
    X, Y = (torch.randint(0, gpt.VOCAB_SIZE, (B, T), generator=g) for _ in "XY")
    return gpt_saves_of_forward(params, X, Y, n_heads=H)[1]


@pytest.mark.parametrize("B, T, C, H, n_layers", GPT_SHAPES)
def test_gpt_hooks_and_hand_agree_on_every_save_in_order(B, T, C, H, n_layers):
    log = _gpt_saves(B, T, C, H, n_layers)
    by_hand = gpt_saved_by_hand(B, T, C, H, n_layers)
    assert [(s.name, s.shape, s.dtype) for s in log.saved] == [(s.name, s.shape, s.dtype) for s in by_hand]
    assert log.total_bytes == total_bytes(by_hand)
    assert log.distinct_bytes == distinct_bytes(by_hand)


def test_gpt_memory_grows_with_the_square_of_the_context():
    """Independent of the hand list: the hooks' memory is quadratic in the context, and its
    second difference is that of one float32 per pair of positions for every window, head
    and block (the attention matrices) plus one byte per pair (the mask, made once)."""
    B, C, H, n_layers, step = 3, 16, 2, 2, 8
    memory = [_gpt_saves(B, T, C, H, n_layers).distinct_bytes for T in (8, 16, 24, 32)]
    second = [memory[i + 2] - 2 * memory[i + 1] + memory[i] for i in range(2)]
    assert second[0] == second[1] == 2 * (4 * B * H * n_layers + 1) * step**2
