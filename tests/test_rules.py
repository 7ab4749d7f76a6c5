"""Each backward rule of ``snippets.rules`` against autograd, on shapes, broadcast patterns
and index sets that hypothesis draws (with repeats), and against finite differences.

Two independent checks per rule:

* autograd: the rule's gradient equals ``torch.autograd`` on the same forward pass, in
  float64 to a relative 1e-12 (a rule may add or multiply in another order than autograd's
  kernel does, so bit-equality is not promised here; the pages measure which rules are
  bit-exact), and in float32 within ``torch.allclose``'s defaults. Max is exact: it moves
  values, it does no arithmetic.
* finite differences: the rule, wrapped as the backward of a ``torch.autograd.Function``,
  passes ``torch.autograd.gradcheck`` (float64), which never looks at autograd's formulas.

Example counts are small and the draws derandomized, so the run is quick and repeatable.
"""

from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from snippets import rules
from snippets.compare import EXACT, FLOAT64, GRADCHECK

settings.register_profile("rules", max_examples=30, deadline=None, derandomize=True, database=None, print_blob=True)
settings.load_profile("rules")

F64 = FLOAT64

sizes = st.integers(1, 5)
shapes = st.lists(sizes, min_size=1, max_size=4).map(tuple)


@st.composite
def broadcast_pair(draw):
    """A big shape and a smaller one that broadcasts to it (leading dims dropped, some 1s)."""
    big = draw(shapes)
    keep = draw(st.integers(0, len(big)))
    small = list(big[len(big) - keep :])
    for i in range(len(small)):
        if draw(st.booleans()):
            small[i] = 1
    return big, tuple(small)


def _rand(shape, dtype=torch.float64, seed=0, positive=False):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, dtype=dtype, generator=generator)
    return x.abs() + 0.5 if positive else x


def _grad_of(f, *inputs, upstream):
    leaves = [t.detach().clone().requires_grad_(True) for t in inputs]
    out = f(*leaves)
    out.backward(upstream)
    return [leaf.grad for leaf in leaves]


def _gradcheck(forward, backward, *inputs):
    """gradcheck of a Function whose backward is the hand-written rule."""

    class Rule(torch.autograd.Function):
        @staticmethod
        def forward(ctx, *xs):
            ctx.save_for_backward(*xs)
            return forward(*xs)

        @staticmethod
        def backward(ctx, grad):
            return backward(grad, *ctx.saved_tensors)

    leaves = [t.detach().clone().requires_grad_(True) for t in inputs]
    return torch.autograd.gradcheck(Rule.apply, leaves, **GRADCHECK)


# ---------------------------------------------------------------- broadcasting


@given(broadcast_pair(), st.sampled_from(["mul", "add", "sub"]))
def test_unbroadcast_equals_autograd_for_any_broadcast(pair, op):
    big, small = pair
    x, y, g = _rand(big, seed=1), _rand(small, seed=2), _rand(big, seed=3)
    forward = {"mul": lambda a, b: a * b, "add": lambda a, b: a + b, "sub": lambda a, b: a - b}[op]
    _, dy = _grad_of(forward, x, y, upstream=g)
    local = {"mul": g * x, "add": g, "sub": -g}[op]
    by_hand = rules.unbroadcast(local, small)
    assert by_hand.shape == dy.shape
    torch.testing.assert_close(by_hand, dy, **F64)


@given(broadcast_pair())
def test_unbroadcast_in_float32_within_allclose(pair):
    big, small = pair
    x, y, g = (_rand(s, torch.float32, seed) for s, seed in ((big, 1), (small, 2), (big, 3)))
    _, dy = _grad_of(lambda a, b: a * b, x, y, upstream=g)
    assert torch.allclose(rules.unbroadcast(g * x, small), dy)


@given(broadcast_pair())
def test_unbroadcast_passes_gradcheck(pair):
    big, small = pair
    x = _rand(big, seed=4)
    assert _gradcheck(lambda y: y * x, lambda g, y: rules.unbroadcast(g * x, y.shape), _rand(small, seed=5))


def test_the_classic_bug_a_gradient_missing_its_kept_dimension_is_refused():
    # bngain is [1, 64]; summing over the batch without keepdim gives [64], which broadcasting
    # would silently accept in `bngain - lr * grad`. The helper refuses a wrong shape.
    grad = torch.ones(32, 64)
    assert rules.unbroadcast(grad, (1, 64)).shape == (1, 64)
    assert grad.sum(0).shape == (64,)
    try:
        rules.unbroadcast(torch.ones(32, 63), (1, 64))
    except ValueError as error:
        assert "does not reduce" in str(error)
    else:
        raise AssertionError("a [32, 63] gradient cannot belong to a [1, 64] tensor")


# ---------------------------------------------------------------- sums and means


@given(shapes.filter(lambda s: len(s) >= 1), st.data(), st.booleans(), st.sampled_from(["sum", "mean"]))
def test_sum_and_mean_backward_equal_autograd(shape, data, keepdim, op):
    dim = data.draw(st.integers(0, len(shape) - 1))
    x = _rand(shape, seed=6)
    out_shape = torch.empty(shape).sum(dim, keepdim=keepdim).shape
    g = _rand(out_shape, seed=7)
    (dx,) = _grad_of(lambda t: getattr(t, op)(dim, keepdim=keepdim), x, upstream=g)
    rule = rules.sum_backward if op == "sum" else rules.mean_backward
    by_hand = rule(g, shape, dim, keepdim)
    assert by_hand.shape == dx.shape
    torch.testing.assert_close(by_hand, dx, **F64)


@given(shapes.filter(lambda s: any(n > 1 for n in s)), st.data(), st.booleans())
def test_variance_with_bessel_correction_equals_autograd(shape, data, keepdim):
    dim = data.draw(st.sampled_from([i for i, n in enumerate(shape) if n > 1]))
    x = _rand(shape, seed=8)
    g = _rand(torch.empty(shape).var(dim, keepdim=keepdim).shape, seed=9)
    (dx,) = _grad_of(lambda t: t.var(dim, keepdim=keepdim), x, upstream=g)
    torch.testing.assert_close(rules.var_backward(g, x, dim, keepdim), dx, **F64)


@given(st.integers(2, 6), st.integers(1, 4))
def test_variance_rule_passes_gradcheck(n, m):
    assert _gradcheck(lambda t: t.var(0, keepdim=True), lambda g, t: rules.var_backward(g, t, 0, True), _rand((n, m), seed=10))


# ---------------------------------------------------------------- matrix multiply


@given(sizes, sizes, sizes)
def test_matmul_and_bias_backward_equal_autograd(n, k, m):
    a, b, c, g = _rand((n, k), seed=11), _rand((k, m), seed=12), _rand((m,), seed=13), _rand((n, m), seed=14)
    da, db, dc = _grad_of(lambda a_, b_, c_: a_ @ b_ + c_, a, b, c, upstream=g)
    ma, mb, mc = rules.linear_backward(g, a, b)
    for mine, theirs in ((ma, da), (mb, db), (mc, dc)):
        assert mine.shape == theirs.shape
        torch.testing.assert_close(mine, theirs, **F64)


@given(sizes, sizes, sizes)
def test_matmul_rule_passes_gradcheck(n, k, m):
    b = _rand((k, m), seed=15)
    assert _gradcheck(lambda a: a @ b, lambda g, a: rules.matmul_backward(g, a, b)[0], _rand((n, k), seed=16))
    a = _rand((n, k), seed=17)
    assert _gradcheck(lambda b_: a @ b_, lambda g, b_: rules.matmul_backward(g, a, b_)[1], _rand((k, m), seed=18))


# ---------------------------------------------------------------- max


@given(shapes, st.data(), st.booleans())
def test_max_sends_the_gradient_to_the_winner_only(shape, data, keepdim):
    dim = data.draw(st.integers(0, len(shape) - 1))
    x = _rand(shape, seed=19)  # continuous draws: no ties
    g = _rand(x.amax(dim, keepdim=keepdim).shape, seed=20)
    (dx,) = _grad_of(lambda t: t.max(dim, keepdim=keepdim).values, x, upstream=g)
    torch.testing.assert_close(rules.max_backward(g, x, dim, keepdim), dx, **EXACT)


@given(sizes, sizes)
def test_max_rule_passes_gradcheck(n, m):
    assert _gradcheck(lambda t: t.max(1).values, lambda g, t: rules.max_backward(g, t, 1), _rand((n, m), seed=21))


# ---------------------------------------------------------------- embedding


@given(st.integers(1, 8), st.integers(1, 4), st.lists(st.integers(0, 7), min_size=1, max_size=12), st.integers(1, 3))
def test_embedding_scatter_add_equals_autograd_with_repeated_indices(num_rows, width, picks, context):
    index = torch.tensor([p % num_rows for p in picks]).repeat(context, 1).T  # [len(picks), context]
    C = _rand((num_rows, width), seed=22)
    g = _rand((*index.shape, width), seed=23)
    (dC,) = _grad_of(lambda c: c[index], C, upstream=g)
    torch.testing.assert_close(rules.embedding_backward(g, index, num_rows), dC, **F64)


def test_assignment_instead_of_scatter_add_loses_repeated_rows():
    index = torch.tensor([[1, 1, 2]])
    g = torch.ones(1, 3, 2, dtype=torch.float64)
    wrong = torch.zeros(4, 2, dtype=torch.float64)
    wrong[index.reshape(-1)] += g.reshape(-1, 2)  # `dC[Xb] += demb`: one write per repeated row
    right = rules.embedding_backward(g, index, 4)
    assert right[1].tolist() == [2.0, 2.0] and wrong[1].tolist() == [1.0, 1.0]


@given(st.integers(1, 6), st.lists(st.integers(0, 5), min_size=1, max_size=8))
def test_embedding_rule_passes_gradcheck(num_rows, picks):
    index = torch.tensor([p % num_rows for p in picks])
    assert _gradcheck(lambda c: c[index], lambda g, c: rules.embedding_backward(g, index, c.shape[0]), _rand((num_rows, 3), seed=24))


# ---------------------------------------------------------------- element-wise


ELEMENTWISE = {
    "tanh": (torch.tanh, lambda g, x, out: rules.tanh_backward(g, out), False),
    "exp": (torch.exp, lambda g, x, out: rules.exp_backward(g, out), False),
    "log": (torch.log, lambda g, x, out: rules.log_backward(g, x), True),
    "pow3": (lambda t: t**3, lambda g, x, out: rules.pow_backward(g, x, 3), False),
    "reciprocal": (lambda t: t**-1, lambda g, x, out: rules.reciprocal_backward(g, x), True),
}


@given(shapes, st.sampled_from(sorted(ELEMENTWISE)))
def test_elementwise_rules_equal_autograd(shape, name):
    forward, backward, positive = ELEMENTWISE[name]
    x, g = _rand(shape, seed=25, positive=positive), _rand(shape, seed=26)
    (dx,) = _grad_of(forward, x, upstream=g)
    torch.testing.assert_close(backward(g, x, forward(x)), dx, **F64)


@given(st.sampled_from(sorted(ELEMENTWISE)))
def test_elementwise_rules_pass_gradcheck(name):
    forward, backward, positive = ELEMENTWISE[name]
    assert _gradcheck(forward, lambda g, x: backward(g, x, forward(x)), _rand((3, 4), seed=27, positive=positive))


def test_a_tensor_used_twice_gets_the_sum_of_both_gradients():
    # probs = counts * counts.sum(1, keepdim=True)**-1: counts feeds both factors.
    counts = _rand((4, 5), seed=28, positive=True)
    g = _rand((4, 5), seed=29)
    (dcounts,) = _grad_of(lambda c: c * c.sum(1, keepdim=True) ** -1, counts, upstream=g)
    counts_sum = counts.sum(1, keepdim=True)
    inv = counts_sum**-1
    through_product = g * inv
    d_inv = rules.unbroadcast(g * counts, inv.shape)
    d_sum = rules.reciprocal_backward(d_inv, counts_sum)
    through_sum = rules.sum_backward(d_sum, counts.shape, 1, keepdim=True)
    torch.testing.assert_close(through_product + through_sum, dcounts, **F64)
    assert not torch.allclose(through_product, dcounts)  # either path alone is wrong
