"""The computation-graph figure: its edges are autograd's, its numbers the tensors'."""

import torch

from snippets.graph import SLOT, ComputationGraph, short
from snippets.makemore import forward, init_params


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


def _ops(graph):
    """Each operation that makes a named tensor as (label, inputs, output), an unnamed
    operation among the inputs written the same way, with the output None."""
    def written(vertex):
        if vertex in graph.ops:
            op = graph.ops[vertex]
            return (op.label, tuple(written(i) for i in op.inputs), op.output)
        return vertex
    return {written(op.id) for op in graph.ops.values() if op.output is not None}


def test_operations_follow_autograd_through_named_tensors():
    x, y, w, prediction, error, loss = _one_weight()
    graph = ComputationGraph.from_autograd(
        loss, {"w": w, "prediction": prediction, "error": error, "loss": loss},
        constants={"x": x, "y": y}, inputs_of={"prediction": ["x"], "error": ["y"]},
    )
    assert _ops(graph) == {
        ("×", ("w", "x"), "prediction"),  # w * x: the constant takes x's place
        ("−", ("y", "prediction"), "error"),  # y - prediction
        ("**2", ("error",), "loss"),
    }
    assert graph.nodes["w"].grad.item() == 2 * (5 * 10 - 20) * 10  # d/dw (wx - y)^2 = 2(wx - y)x


def test_unnamed_intermediates_are_circles_in_a_line():
    a = torch.tensor(2.0, requires_grad=True)
    d = ((a**2) ** 3) ** 2
    graph = ComputationGraph.from_autograd(d, {"a": a, "d": d})
    assert _ops(graph) == {("**2", (("**3", (("**2", ("a",), None),), None),), "d")}
    assert len(graph.ops) == 3
    assert repr(graph).splitlines()[1:] == [
        "a --**2--> (a**2)", "(a**2) --**3--> ((a**2)**3)", "((a**2)**3) --**2--> d",
    ]


def test_a_linear_layer_is_a_matmul_circle_then_an_add_circle():
    """logits = h @ W2 + b2: h and W2 meet at @, whose result and b2 meet at +."""
    h = torch.randn(4, 5).requires_grad_()
    W2 = torch.randn(5, 3).requires_grad_()
    b2 = torch.randn(3).requires_grad_()
    logits = h @ W2 + b2
    logits.sum().backward()
    graph = ComputationGraph.from_autograd(logits, {"h": h, "W2": W2, "b2": b2, "logits": logits})
    (add,) = [op for op in graph.ops.values() if op.output == "logits"]
    matmuls = [i for i in add.inputs if i in graph.ops]
    assert add.label == "+" and len(matmuls) == 1 and set(add.inputs) == {matmuls[0], "b2"}
    matmul = graph.ops[matmuls[0]]
    assert matmul.label == "@" and matmul.output is None and matmul.inputs == ["h", "W2"]
    assert len(graph.ops) == 2  # and nothing else: no circle without a line of code
    assert repr(graph).splitlines()[1:] == [
        "h --@--> (h @ W2)", "W2 --@--> (h @ W2)", "(h @ W2) --+--> logits", "b2 --+--> logits",
    ]
    svg = graph.to_svg()
    assert svg.count(">@<") == 1 and svg.count(">+<") == 1 and svg.count("<rect") == 4


def test_a_picked_mean_is_drawn_in_the_order_it_runs():
    """loss = -logprobs[range(n), Yb].mean(): index (where Yb enters), then mean, then neg,
    each circle further along the flow than the one before, in either direction."""
    logprobs = torch.randn(4, 6).log_softmax(1).requires_grad_()
    Yb = torch.tensor([1, 0, 5, 2])
    loss = -logprobs[range(4), Yb].mean()
    loss.backward()
    graph = ComputationGraph.from_autograd(
        loss, {"logprobs": logprobs, "loss": loss}, constants={"Yb": Yb}, inputs_of={"loss": ["Yb"]},
    )
    assert _ops(graph) == {("neg", (("mean", (("index", ("logprobs", "Yb"), None),), None),), "loss")}
    assert len(graph.ops) == 3
    assert graph.nodes["logprobs"].grad[2, 5].item() == -1 / 4  # the pick's share of the mean
    (neg,) = [op for op in graph.ops.values() if op.output == "loss"]
    (mean,) = neg.inputs
    (index,) = graph.ops[mean].inputs
    for direction, axis in (("LR", 0), ("TB", 1)):
        rects = graph.layout(direction).rects
        starts = [rects[v][axis] for v in ("logprobs", index, mean, neg.id, "loss")]
        assert starts == sorted(starts) and len(set(starts)) == 5, direction
        ends = [rects[v][axis] + rects[v][axis + 2] for v in ("logprobs", index, mean, neg.id)]
        assert all(end < start for end, start in zip(ends, starts[1:])), direction


def test_the_targets_of_cross_entropy_enter_at_the_loss_not_the_softmax():
    logits = torch.randn(4, 6).requires_grad_()
    Yb = torch.tensor([1, 0, 5, 2])
    loss = torch.nn.functional.cross_entropy(logits, Yb)
    loss.backward()
    graph = ComputationGraph.from_autograd(
        loss, {"logits": logits, "loss": loss}, constants={"Yb": Yb}, inputs_of={"loss": ["Yb"]},
    )
    assert _ops(graph) == {("nllloss", (("logsoftmax", ("logits",), None), "Yb"), "loss")}


def test_a_sum_inside_a_product_is_its_own_circle():
    """bnmeani = 1 / n * hprebn.sum(0, keepdim=True): sum, then the product by 1/n."""
    hprebn = torch.randn(4, 3).requires_grad_()
    bnmeani = 1 / 4 * hprebn.sum(0, keepdim=True)
    bnmeani.sum().backward()
    graph = ComputationGraph.from_autograd(bnmeani, {"hprebn": hprebn, "bnmeani": bnmeani})
    assert _ops(graph) == {("×", (("sum", ("hprebn",), None),), "bnmeani")}
    assert len(graph.ops) == 2
    assert repr(graph).splitlines()[1:] == ["hprebn --sum--> sum(hprebn)", "sum(hprebn) --×--> bnmeani"]


def test_an_unnamed_result_used_twice_is_drawn_once():
    """counts = exp(x), unnamed, feeds both the row sum and the division."""
    x = torch.randn(3, 4).requires_grad_()
    counts = x.exp()
    probs = counts / counts.sum(1, keepdim=True)
    probs.sum().backward()
    graph = ComputationGraph.from_autograd(probs, {"x": x, "probs": probs})
    (exp,) = [op for op in graph.ops.values() if op.label == "exp"]
    (div,) = [op for op in graph.ops.values() if op.output == "probs"]
    (total,) = [op for op in graph.ops.values() if op.label == "sum"]
    assert div.inputs == [exp.id, total.id] and total.inputs == [exp.id]
    assert graph.to_svg().count(">exp<") == 1
    assert sum(e.source == exp.id for e in graph.edges) == 2


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
    """b = a * x; c = b + a; d = c * b: a and b each feed a circle two layers on."""
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
    boxes = [[n for n in layer if n in graph.nodes] for layer in layers]
    assert boxes == [["a"], [], ["b"], [], ["c"], [], ["d"]]  # a circle between each two
    assert {(source, graph.ops[target].output) for source, target in chains} == {("a", "c"), ("b", "d")}
    for direction in ("LR", "TB"):
        rects = graph.layout(direction).rects
        axis = 1 if direction == "LR" else 0  # the coordinate across the layers
        for chain in chains.values():
            for waypoint in chain:
                (layer,) = [layer for layer in layers if waypoint in layer]
                middle = rects[waypoint][axis] + rects[waypoint][axis + 2] / 2
                for other in layer:
                    if other != waypoint:
                        start, size = rects[other][axis], rects[other][axis + 2]
                        assert not start <= middle <= start + size, (direction, waypoint, other)


def test_laying_out_one_direction_leaves_the_other_as_it_was():
    """layout() reads the graph and changes nothing: TB after LR (and LR after TB) is what a
    fresh graph gives, and a waypoint in TB stays a thin slot, not as wide as a column."""
    for first, then in (("LR", "TB"), ("TB", "LR")):
        graph = _skipping_graph()
        graph.layout(first)
        assert graph.layout(then) == _skipping_graph().layout(then)
    graph = _skipping_graph()
    graph.layout("LR")
    tb = graph.layout("TB")
    waypoints = [w for chain in tb.chains.values() for w in chain]
    assert waypoints and all(tb.rects[w][2] == SLOT for w in waypoints)
    assert graph.to_svg() == _skipping_graph().to_svg()


def test_nothing_overlaps_in_the_makemore_graph():
    """Every box, circle and waypoint of the whole network has a place of its own."""
    p = init_params()
    g = torch.Generator().manual_seed(0)
    Xb, Yb = torch.randint(0, 27, (8, 3), generator=g), torch.randint(0, 27, (8,), generator=g)
    fw = forward(p, Xb, Yb)
    fw.loss.backward()
    graph = ComputationGraph.from_autograd(
        fw.loss, {**dict(p.items()), **dict(fw.items())}, constants={"Xb": Xb, "Yb": Yb},
        inputs_of={"emb": ["Xb"], "loss": ["Yb"]},
    )
    # a circle for each of the 20 lines, and 8 more: 6 lines do two operations, the loss three
    assert len(graph.ops) == 20 + 8
    for direction in ("LR", "TB"):
        rects = list(graph.layout(direction).rects.items())
        for i, (a, (ax, ay, aw, ah)) in enumerate(rects):
            for b, (bx, by, bw, bh) in rects[i + 1:]:
                apart = ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay
                assert apart, (direction, a, b)


def test_a_line_from_a_parameter_sits_next_to_its_use():
    """hpreact = bngain_copies * bnraw + bnbias_copies, the copies made by expand: bnbias and
    its copies are drawn just before the +, beside scaled, not at the top with bngain."""
    bngain, bnbias = torch.randn(1, 4).requires_grad_(), torch.randn(1, 4).requires_grad_()
    bnraw = torch.randn(3, 4).requires_grad_()
    gain_copies, bias_copies = bngain.expand(3, 4), bnbias.expand(3, 4)
    scaled = gain_copies * bnraw
    hpreact = scaled + bias_copies
    hpreact.sum().backward()
    graph = ComputationGraph.from_autograd(hpreact, {
        "bngain": bngain, "bnraw": bnraw, "bnbias": bnbias, "gain_copies": gain_copies,
        "bias_copies": bias_copies, "scaled": scaled, "hpreact": hpreact,
    })
    layers, chains = graph._layers()
    boxes = [sorted(n for n in layer if n in graph.nodes) for layer in layers]
    assert [layer for layer in boxes if layer] == [
        ["bngain"], ["bnbias", "bnraw", "gain_copies"], ["bias_copies", "scaled"], ["hpreact"],
    ]
    assert not chains  # so no edge skips a layer


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
    boxes = [sorted(n for n in layer if n in graph.nodes) for layer in layers]
    assert [layer for layer in boxes if layer] == [["w1"], ["h", "w2"], ["out"]]
