"""The tensor engine (``snippets/tensor_engine.py``): the makemore MLP's 26 gradients and a
short training run against autograd; each operation's closure against autograd on shapes
hypothesis draws (with broadcasting both ways); and the engine broken where a tensor used
twice must collect both gradients.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import snippets.tensor_engine
from snippets.compare import compare_grads
from snippets.makemore import INTERMEDIATES, SEED, forward, init_params, load_words, sample_batch, splits
from tests.mutants import broken_copy

te = snippets.tensor_engine


@pytest.fixture(scope="module")
def data():
    (Xtr, Ytr), _, _ = splits(load_words())
    return Xtr, Ytr


def _mlp_gradients(engine, data):
    Xtr, Ytr = data
    params = init_params()
    Xb, Yb = sample_batch(Xtr, Ytr, generator=torch.Generator().manual_seed(SEED))
    ours_params = engine.parameters_of(params)
    ours = forward(ours_params, Xb, Yb)
    ours.loss.backward()
    theirs = forward(params, Xb, Yb)
    theirs.loss.backward()
    pairs = {name: (getattr(ours_params, name).grad, p.grad) for name, p in params.items()}
    pairs |= {name: (getattr(ours, name).grad, getattr(theirs, name).grad) for name in INTERMEDIATES[:-1]}
    return ours, theirs, pairs


def test_the_mlp_forward_pass_is_torchs_and_its_26_gradients_are_autograds(data):
    ours, theirs, pairs = _mlp_gradients(te, data)
    assert all(torch.equal(getattr(ours, n).data, getattr(theirs, n).detach()) for n in INTERMEDIATES)
    assert len(pairs) == 26
    table = compare_grads(pairs)  # raises, naming the rows, if one is not close
    assert all(row.close for row in table)


def test_training_on_the_engine_follows_autograd(data):
    Xtr, Ytr = data
    nets = {"engine": te.parameters_of(init_params()), "autograd": init_params()}
    losses = {name: [] for name in nets}
    for name, net in nets.items():
        g = torch.Generator().manual_seed(SEED)
        for _ in range(30):
            Xb, Yb = sample_batch(Xtr, Ytr, generator=g)
            loss = forward(net, Xb, Yb, retain_grads=False).loss
            loss.backward()
            for p in net:
                with torch.no_grad():
                    p.data -= 0.1 * p.grad
                p.grad = None
            losses[name].append(float(loss.data if name == "engine" else loss.item()))
    assert losses["engine"][0] == losses["autograd"][0]
    torch.testing.assert_close(torch.tensor(losses["engine"]), torch.tensor(losses["autograd"]), rtol=1e-5, atol=1e-5)
    assert losses["engine"][-1] < losses["engine"][0] - 0.3  # it learns


# ------------------------------------------------------------ each closure on drawn shapes

shapes = st.lists(st.integers(1, 4), min_size=1, max_size=3)


@st.composite
def broadcast_pair(draw):
    """Two shapes that broadcast together, each with size-1 and missing dimensions."""
    full = draw(shapes)
    def squeeze(shape):
        kept = [1 if draw(st.booleans()) else s for s in shape]
        drop = draw(st.integers(0, len(kept) - 1))
        return kept[drop:]
    return squeeze(full), squeeze(full)


BINARY = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b}


@settings(max_examples=60, deadline=None, derandomize=True)
@given(pair=broadcast_pair(), op=st.sampled_from(sorted(BINARY)), seed=st.integers(0, 2**16))
def test_a_broadcasting_operation_has_autograds_gradient(pair, op, seed):
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(pair[0], generator=g, dtype=torch.float64)
    b = torch.rand(pair[1], generator=g, dtype=torch.float64) + 0.5  # away from zero, for /
    weight = torch.randn(torch.broadcast_shapes(a.shape, b.shape), generator=g, dtype=torch.float64)
    ea, eb = te.Tensor(a, requires_grad=True), te.Tensor(b, requires_grad=True)
    out = BINARY[op](ea, eb) * te.Tensor(weight)
    _sum_all(out).backward()
    ta, tb = a.clone().requires_grad_(True), b.clone().requires_grad_(True)
    (BINARY[op](ta, tb) * weight).sum().backward()
    torch.testing.assert_close(ea.grad, ta.grad)
    torch.testing.assert_close(eb.grad, tb.grad)


UNARY = {
    "tanh": (lambda t: t.tanh(), torch.tanh),
    "exp": (lambda t: t.exp(), torch.exp),
    "log": (lambda t: t.log(), torch.log),
    "square": (lambda t: t**2, lambda t: t**2),
    "inverse square root": (lambda t: t**-0.5, lambda t: t**-0.5),
    "neg": (lambda t: -t, lambda t: -t),
}


@settings(max_examples=40, deadline=None, derandomize=True)
@given(shape=shapes, op=st.sampled_from(sorted(UNARY)), seed=st.integers(0, 2**16))
def test_an_elementwise_operation_has_autograds_gradient(shape, op, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(shape, generator=g, dtype=torch.float64) + 0.5
    weight = torch.randn(shape, generator=g, dtype=torch.float64)
    ours, theirs = UNARY[op]
    ex = te.Tensor(x, requires_grad=True)
    _sum_all(ours(ex) * te.Tensor(weight)).backward()
    tx = x.clone().requires_grad_(True)
    (theirs(tx) * weight).sum().backward()
    torch.testing.assert_close(ex.grad, tx.grad)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(n=st.integers(1, 5), k=st.integers(1, 4), m=st.integers(1, 4), rows=st.integers(1, 4),
       keepdim=st.booleans(), seed=st.integers(0, 2**16))
def test_matmul_sum_max_lookup_pick_and_view_have_autograds_gradients(n, k, m, rows, keepdim, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, k, generator=g, dtype=torch.float64)
    w = torch.randn(k, m, generator=g, dtype=torch.float64)
    table = torch.randn(rows, k, generator=g, dtype=torch.float64)
    index = torch.randint(0, rows, (n, 2), generator=g)  # rows looked up more than once
    picks = torch.randint(0, m, (n,), generator=g)

    def network(x, w, table, ours):
        h = x @ w                                      # [n, m]
        top = h.max(1, keepdim=keepdim).values          # [n, 1] or [n]
        looked = table[index]                          # [n, 2, k]
        flat = looked.view(n, -1)                      # [n, 2k]
        picked = h[range(n), picks]                    # [n]
        top_sum = top.sum(0) if not keepdim else top.sum(0).sum(0)
        total = top_sum + flat.sum(1).sum(0) + picked.mean()
        return total

    ex, ew, et = (te.Tensor(t, requires_grad=True) for t in (x, w, table))
    network(ex, ew, et, True).backward()
    tx, tw, tt = (t.clone().requires_grad_(True) for t in (x, w, table))
    network(tx, tw, tt, False).backward()
    for ours, theirs in ((ex, tx), (ew, tw), (et, tt)):
        torch.testing.assert_close(ours.grad, theirs.grad)


def _sum_all(t):
    while t.data.dim():
        t = t.sum(0)
    return t


# ------------------------------------------------------------ a tensor used twice

def test_assigning_instead_of_adding_a_second_gradient_is_caught(data):
    """The engine with '=' for '+=' (the second path overwrites the first): the MLP's
    gradients, where bndiff, counts, logits and hprebn are used twice, are no longer close."""
    source = Path(te.__file__).read_text(encoding="utf-8")
    before = "self.grad = grad if self.grad is None else self.grad + grad"
    broken = broken_copy(source, [(before, "self.grad = grad")], "broken_tensor_engine.py")
    _, _, pairs = _mlp_gradients(broken, data)
    with pytest.raises(AssertionError, match="hand-written gradient differs from autograd for") as caught:
        compare_grads(pairs)
    for name in ("counts", "logits", "bndiff", "hprebn"):
        assert f"{name} (max |diff|" in str(caught.value).splitlines()[0]
