"""The computation-graph figure: its edges are autograd's, its numbers the tensors'."""

import torch

from snippets.graph import ComputationGraph, short


def _one_weight():
    x, y = torch.tensor(10.0), torch.tensor(20.0)
    w = torch.tensor(5.0, requires_grad=True)
    prediction = w * x
    error = y - prediction
    loss = error**2
    for t in (prediction, error, loss):
        t.retain_grad()
    loss.backward()
    return x, y, w, prediction, error, loss


def test_edges_follow_autograd_through_named_tensors():
    x, y, w, prediction, error, loss = _one_weight()
    graph = ComputationGraph.from_autograd(
        loss, {"w": w, "prediction": prediction, "error": error, "loss": loss},
        constants={"x": x, "y": y}, inputs_of={"prediction": ["x"], "error": ["y"]},
    )
    edges = {(e.source, e.target, e.label) for e in graph.edges}
    assert edges == {
        ("w", "prediction", "×"), ("x", "prediction", "×"),
        ("prediction", "error", "−"), ("y", "error", "−"),
        ("error", "loss", "**2"),
    }
    assert graph.nodes["w"].grad.item() == 2 * (5 * 10 - 20) * 10  # d/dw (wx - y)^2 = 2(wx - y)x


def test_unnamed_intermediates_are_walked_through():
    a = torch.tensor(2.0, requires_grad=True)
    d = ((a**2) ** 3) ** 2
    graph = ComputationGraph.from_autograd(d, {"a": a, "d": d})
    assert [(e.source, e.target) for e in graph.edges] == [("a", "d")]


def test_the_svg_shows_every_value_and_gradient_once():
    x, y, w, prediction, error, loss = _one_weight()
    graph = ComputationGraph.from_autograd(loss, {"w": w, "prediction": prediction, "error": error, "loss": loss})
    svg = graph.to_svg()
    for text in ("value 5", "grad 600", "value 50", "grad 60", "value -30", "grad -60", "value 900", "grad 1"):
        assert svg.count(f">{text}<") == 1, text
    assert svg.count("<svg") == 1 and "<title>" in svg


def test_numbers_in_vectors_carry_no_thousands_separator():
    assert short(torch.tensor(24576.0)) == "24,576"
    assert short(torch.tensor([2400.0, 3600.0])) == "[2400, 3600]"
    assert short(torch.zeros(32, 27)) == "shape [32, 27]"
