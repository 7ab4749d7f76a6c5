"""The transformer's rules (``snippets/transformer_rules.py``) against autograd on shapes
hypothesis draws, in float64 at a tight tolerance, and against finite differences
(``gradcheck``); then four classic mistakes, each of which a property test must catch by
its own assertion.
"""

from __future__ import annotations

import math
import traceback
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

import snippets.transformer_rules
from tests.mutants import broken_copy

rules = snippets.transformer_rules  # the mutation tests swap this name

F64 = torch.float64
shapes = st.lists(st.integers(1, 5), min_size=1, max_size=3)
seeds = st.integers(0, 2**16)
RUNS = settings(max_examples=40, deadline=None, derandomize=True)


def _draw(shape, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(shape, generator=g, dtype=F64), torch.randn(shape, generator=g, dtype=F64)


def _autograd(fn, *inputs, upstream):
    leaves = [t.clone().requires_grad_(True) for t in inputs]
    fn(*leaves).backward(upstream)
    return [t.grad for t in leaves]


def check_gelu(shape, seed, approximate):
    x, up = _draw(shape, seed)
    (want,) = _autograd(lambda t: F.gelu(t, approximate=approximate), x, upstream=up)
    torch.testing.assert_close(rules.gelu_backward(up, x, approximate), want, rtol=1e-10, atol=1e-12)


def check_layernorm(shape, seed):
    x, up = _draw(shape + [3], seed)  # at least three features
    g = torch.Generator().manual_seed(seed + 1)
    w, b = torch.randn(x.shape[-1], generator=g, dtype=F64), torch.randn(x.shape[-1], generator=g, dtype=F64)
    want = _autograd(lambda t, w_, b_: F.layer_norm(t, (x.shape[-1],), w_, b_, 1e-5), x, w, b, upstream=up)
    out, mean, rstd = rules.layernorm_forward(x, w, b)
    torch.testing.assert_close(out, F.layer_norm(x, (x.shape[-1],), w, b, 1e-5), rtol=1e-10, atol=1e-12)
    for got, expected in zip(rules.layernorm_backward(up, x, mean, rstd, w), want):
        torch.testing.assert_close(got, expected, rtol=1e-9, atol=1e-10)


def check_softmax(shape, seed, dim):
    s, up = _draw(shape, seed)
    dim = dim % s.dim()
    (want,) = _autograd(lambda t: torch.softmax(t, dim), s, upstream=up)
    torch.testing.assert_close(rules.softmax_backward(up, torch.softmax(s, dim), dim), want, rtol=1e-10, atol=1e-12)


def check_masked_fill(t, seed):
    """The causal mask alone, with any upstream gradient."""
    s, up = _draw([t, t], seed)
    mask = torch.ones(t, t, dtype=torch.bool).triu(1)
    (want,) = _autograd(lambda x: x.masked_fill(mask, float("-inf")), s, upstream=up)
    torch.testing.assert_close(rules.masked_fill_backward(up, mask), want, rtol=0, atol=0)


def check_causal_attention_scores(t, d, seed):
    """scores = q k^T / sqrt(d), causal mask, softmax: the three rules chained."""
    g = torch.Generator().manual_seed(seed)
    q, k = torch.randn(t, d, generator=g, dtype=F64), torch.randn(t, d, generator=g, dtype=F64)
    up = torch.randn(t, t, generator=g, dtype=F64)
    mask = torch.ones(t, t, dtype=torch.bool).triu(1)  # a query sees no later key
    scale = 1 / math.sqrt(d)

    def forward(q_, k_):
        return torch.softmax((q_ @ k_.T * scale).masked_fill(mask, float("-inf")), -1)

    want_q, want_k = _autograd(forward, q, k, upstream=up)
    p = forward(q, k)
    d_scores = rules.masked_fill_backward(rules.softmax_backward(up, p), mask)
    got_q, got_k = rules.scaled_scores_backward(d_scores, q, k, scale)
    torch.testing.assert_close(got_q, want_q, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(got_k, want_k, rtol=1e-10, atol=1e-12)


@RUNS
@given(shape=shapes, seed=seeds, approximate=st.sampled_from(["none", "tanh"]))
def test_gelu_backward_equals_autograd(shape, seed, approximate):
    check_gelu(shape, seed, approximate)


@RUNS
@given(shape=st.lists(st.integers(1, 4), min_size=0, max_size=2), seed=seeds)
def test_layernorm_backward_equals_autograd(shape, seed):
    check_layernorm(shape, seed)


@RUNS
@given(shape=st.lists(st.integers(2, 5), min_size=1, max_size=3), seed=seeds, dim=st.integers(-3, 2))
def test_softmax_backward_equals_autograd_for_any_dim(shape, seed, dim):
    check_softmax(shape, seed, dim)


@RUNS
@given(t=st.integers(2, 6), seed=seeds)
def test_the_mask_passes_no_gradient_to_masked_scores(t, seed):
    check_masked_fill(t, seed)


@RUNS
@given(t=st.integers(2, 6), d=st.integers(1, 8), seed=seeds)
def test_causal_attention_scores_backward_equals_autograd(t, d, seed):
    check_causal_attention_scores(t, d, seed)


@RUNS
@given(t=st.integers(1, 5), heads=st.integers(1, 4), d=st.integers(1, 4), seed=seeds)
def test_splitting_and_merging_heads_pass_gradients_back_unchanged_in_place(t, heads, d, seed):
    x, _ = _draw([t, heads * d], seed)
    up_split, up_merge = _draw([heads, t, d], seed + 1)[0], _draw([t, heads * d], seed + 2)[0]
    (want,) = _autograd(lambda a: rules.split_heads(a, heads), x, upstream=up_split)
    assert torch.equal(rules.split_heads_backward(up_split), want)
    stacked = rules.split_heads(x, heads)
    (want,) = _autograd(rules.merge_heads, stacked, upstream=up_merge)
    assert torch.equal(rules.merge_heads_backward(up_merge, heads), want)


def test_relu_gradient_at_zero_is_zero_as_torch_takes_it():
    x = torch.tensor([-1.0, 0.0, 2.0], dtype=F64)
    (want,) = _autograd(torch.relu, x, upstream=torch.ones(3, dtype=F64))
    assert torch.equal(rules.relu_backward(torch.ones(3, dtype=F64), x), want)
    assert want.tolist() == [0.0, 0.0, 1.0]


def test_rmsnorm_backward_equals_autograd():
    g = torch.Generator().manual_seed(0)
    x, up = torch.randn(4, 6, generator=g, dtype=F64), torch.randn(4, 6, generator=g, dtype=F64)
    w = torch.randn(6, generator=g, dtype=F64)

    def rmsnorm(t, w_):
        return t * (t.pow(2).mean(-1, keepdim=True) + 1e-6).rsqrt() * w_

    want = _autograd(rmsnorm, x, w, upstream=up)
    rrms = (x.pow(2).mean(-1, keepdim=True) + 1e-6).rsqrt()
    for got, expected in zip(rules.rmsnorm_backward(up, x, rrms, w), want):
        torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-12)


def test_every_rule_passes_gradcheck():
    """The rules as the backward of autograd.Functions, against finite differences."""
    g = torch.Generator().manual_seed(1)

    class LayerNorm(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, w, b):
            out, mean, rstd = rules.layernorm_forward(x, w, b)
            ctx.save_for_backward(x, mean, rstd, w)
            return out

        @staticmethod
        def backward(ctx, grad):
            return rules.layernorm_backward(grad, *ctx.saved_tensors)

    class Gelu(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return F.gelu(x)

        @staticmethod
        def backward(ctx, grad):
            return rules.gelu_backward(grad, *ctx.saved_tensors)

    class Softmax(torch.autograd.Function):
        @staticmethod
        def forward(ctx, s):
            p = torch.softmax(s, -1)
            ctx.save_for_backward(p)
            return p

        @staticmethod
        def backward(ctx, grad):
            return rules.softmax_backward(grad, *ctx.saved_tensors)

    def leaf(*shape):
        return torch.randn(*shape, generator=g, dtype=F64).requires_grad_(True)

    assert torch.autograd.gradcheck(LayerNorm.apply, (leaf(3, 5), leaf(5), leaf(5)))
    assert torch.autograd.gradcheck(Gelu.apply, (leaf(4, 3),))
    assert torch.autograd.gradcheck(Softmax.apply, (leaf(3, 4),))


# ------------------------------------------------------------ mistakes

SOURCE = Path(snippets.transformer_rules.__file__).read_text(encoding="utf-8")
MUTANT_FILE = "broken_transformer_rules.py"
MUTATIONS = {
    "normalise over the wrong axis": (
        check_layernorm, {"shape": [3], "seed": 0},
        ("dx = rstd * (dnorm - dnorm.mean(-1, keepdim=True)", "dx = rstd * (dnorm - dnorm.mean(0, keepdim=True)"),
    ),
    "forget the mask's zero": (
        check_masked_fill, {"t": 4, "seed": 0},
        ("return grad.masked_fill(mask, 0.0)", "return grad"),
    ),
    "softmax's sum over the wrong dimension": (
        check_softmax, {"shape": [3, 4], "seed": 0, "dim": -1},
        ("return p * (grad - (p * grad).sum(dim, keepdim=True))", "return p * (grad - (p * grad).sum(0, keepdim=True))"),
    ),
    "drop 1/sqrt(d) in the backward": (
        check_causal_attention_scores, {"t": 4, "d": 3, "seed": 0},
        ("return grad @ k * scale, grad.transpose(-2, -1) @ q * scale", "return grad @ k, grad.transpose(-2, -1) @ q"),
    ),
}




@pytest.mark.parametrize("mistake", MUTATIONS, ids=list(MUTATIONS))
def test_each_classic_mistake_fails_its_check(mistake):
    """Caught means: the check's own comparison fails (torch.testing's assert_close, called
    from this file), not an error raised inside the broken copy."""
    global rules
    check, example, (before, after) = MUTATIONS[mistake]
    original, rules = rules, broken_copy(SOURCE, [(before, after)], MUTANT_FILE)
    try:
        check(**example)  # the unbroken rules pass this very example (below)
    except AssertionError as error:
        frames = traceback.extract_tb(error.__traceback__)
        assert any(f.filename == __file__ and f.name == check.__name__ for f in frames)
        assert not any(f.filename == MUTANT_FILE for f in frames)
    else:
        pytest.fail(f"{mistake}: not caught by {check.__name__}{example}")
    finally:
        rules = original


@pytest.mark.parametrize("mistake", MUTATIONS, ids=list(MUTATIONS))
def test_the_same_examples_pass_with_the_rules_as_they_are(mistake):
    check, example, _ = MUTATIONS[mistake]
    check(**example)
