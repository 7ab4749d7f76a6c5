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


def _skipping_graph():
    """b = a * x; c = b + a; d = c * b: the edges a -> c and b -> d skip a layer."""
    x = torch.tensor(3.0)
    a = torch.tensor(2.0, requires_grad=True)
    b = a * x
    c = b + a
    d = c * b
    for t in (b, c, d):
        t.retain_grad()
    d.backward()
    return ComputationGraph.from_autograd(d, {"a": a, "b": b, "c": c, "d": d})


def test_an_edge_that_skips_layers_passes_beside_the_boxes_between():
    graph = _skipping_graph()
    layers, chains = graph._layers()
    assert [[n for n in layer if n in graph.nodes] for layer in layers] == [["a"], ["b"], ["c"], ["d"]]
    skipping = {(graph.edges[k].source, graph.edges[k].target): chain for k, chain in chains.items()}
    assert set(skipping) == {("a", "c"), ("b", "d")}
    for direction in ("LR", "TB"):
        width_of = {n: 100.0 if n in graph.nodes else 12.0 for layer in layers for n in layer}
        pos, _, _ = graph._place(direction, layers, width_of, 58.0)
        axis = 1 if direction == "LR" else 0  # the coordinate across the layers
        for (source, target), chain in skipping.items():
            for waypoint in chain:
                (layer,) = [layer for layer in layers if waypoint in layer]
                (box,) = [n for n in layer if n in graph.nodes]
                if direction == "LR":
                    middle = pos[waypoint][1] + 58.0 / 2
                    inside = pos[box][1] <= middle <= pos[box][1] + 58.0
                else:
                    middle = pos[waypoint][0] + width_of[waypoint] / 2
                    inside = pos[box][0] <= middle <= pos[box][0] + width_of[box]
                assert not inside, (direction, source, target, box, axis)


def test_leaves_sit_just_before_their_first_use():
    x = torch.randn(4, 3)
    w1 = torch.randn(3, 5, requires_grad=True)
    w2 = torch.randn(5, 2, requires_grad=True)
    h = torch.tanh(x @ w1)
    out = (h @ w2).sum()
    h.retain_grad()
    out.backward()
    graph = ComputationGraph.from_autograd(out, {"w1": w1, "h": h, "w2": w2, "out": out})
    layers, _ = graph._layers()
    assert [sorted(n for n in layer if n in graph.nodes) for layer in layers] == [["w1"], ["h", "w2"], ["out"]]
