"""The tiny GPT of ``snippets/gpt.py``: its data, the names and shapes of its
intermediates, a loss at initialisation of a uniform guess, and a few steps that learn."""

from __future__ import annotations

import math

import torch

from snippets import gpt
from snippets.makemore import VOCAB_SIZE, load_words, stoi


def test_the_stream_is_every_name_followed_by_its_end():
    words = load_words()[:50]
    data = gpt.stream(words)
    assert data.numel() == sum(len(w) + 1 for w in words)
    assert int((data == stoi["."]).sum()) == len(words)


def test_a_window_and_its_targets_are_the_same_characters_one_apart():
    data = gpt.stream(load_words()[:200])
    X, Y = gpt.sample_windows(data, 4, torch.Generator().manual_seed(0))
    assert X.shape == Y.shape == (4, gpt.BLOCK)
    assert torch.equal(X[:, 1:], Y[:, :-1])


def test_every_intermediate_has_its_shape_and_the_first_loss_is_a_uniform_guess():
    params = gpt.init_params()
    X, Y = gpt.sample_windows(gpt.stream(), 16, torch.Generator().manual_seed(0))
    t = gpt.forward(params, X, Y)
    B, T, C, H = 16, gpt.BLOCK, gpt.N_EMBD, gpt.N_HEADS
    assert t["x_0"].shape == (B, T, C) and t["att_0"].shape == (B, H, T, T)
    assert t["pre_0"].shape == (B, T, 4 * C) and t["logits"].shape == (B, T, VOCAB_SIZE)
    assert list(t)[-1] == "loss"
    # weights of 0.02 give logits near zero: every character about equally likely
    assert abs(t["loss"].item() - math.log(VOCAB_SIZE)) < 0.05
    # the causal mask: no position attends to a later one
    assert t["att_0"].triu(1).abs().max().item() == 0


def test_a_few_adamw_steps_on_autograd_learn():
    params = gpt.init_params()
    optimizer = torch.optim.AdamW(list(params), lr=1e-2)
    data = gpt.stream()
    g = torch.Generator().manual_seed(0)
    losses = []
    for _ in range(20):
        X, Y = gpt.sample_windows(data, 32, g)
        loss = gpt.forward(params, X, Y)["loss"]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert sum(losses[-5:]) / 5 < losses[0] - 0.4
