"""Draw a computation graph from autograd, each tensor with its forward value and its gradient.

    graph = ComputationGraph.from_autograd(
        loss, {"w": w, "prediction": prediction, "error": error, "loss": loss},
        constants={"x": x, "y": y}, inputs_of={"prediction": ["x"], "error": ["y"]},
    )
    graph          # in a notebook or on a page: an SVG figure
    print(graph)   # every input of every operation: "h --@--> (h @ W2)", "b2 --+--> logits"

Boxes are the named tensors; circles are autograd's operations, one circle for each
operation, so a line of code is drawn the way it reads. ``logits = h @ W2 + b2`` is an
``@`` circle fed by ``h`` and ``W2`` whose arrow goes on to a ``+`` circle, fed also by
``b2``, whose arrow ends at ``logits``; the result of ``h @ W2`` has no name, so it has no
box, only its circle. The operations are found by walking ``grad_fn`` back from each named
tensor to the named tensors and leaves (an unnamed leaf is not drawn, and neither is an
operation that nothing drawn feeds); one that feeds two others is drawn once, with two
arrows. Constants (tensors autograd does not track, such as data) are drawn where
``inputs_of`` says they enter: in that tensor's line, in the place of an operand autograd
does not track, taken in order (``x`` in ``w * x``; ``Yb`` as the indices of
``logprobs[range(n), Yb]`` or the targets of ``F.cross_entropy``), or else into the line's
first operation. Gradients are read from ``.grad`` (call ``retain_grad()`` on the
intermediates before ``backward()``) unless given in ``grads``.

The SVG is static and self-contained. Its colours are CSS variables of Material for MkDocs
with fallbacks, so it follows the site's light and dark palettes and still reads in a
notebook. Layout: boxes and circles in layers, by longest path from the inputs, then each
moved down to just before its first consumer (a parameter or constant, and a line that
starts from one, sits next to where it is used); left to right when that fits the page's
column, else top to bottom. Within a layer, the order follows the mean position of the
neighbours (operands in the order the code has them: ``h`` before ``W2``), and each box or
circle is then moved as close to its neighbours as the order and spacing allow, so a line
of operations runs straight. An edge that skips layers passes through a waypoint in each
layer it crosses, so it runs beside the boxes there, not behind them. Edges run straight
within a layer and curve only in the gaps between layers, where nothing is drawn; a gap
grows with how far sideways its edges go. The arrowheads mark what an operation makes.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import torch

# Operation names as a reader writes them.
_OP_LABELS = {
    "Pow": "**",
    "Mul": "×",
    "Div": "÷",
    "Sub": "−",
    "Rsub": "−",
    "Add": "+",
    "Neg": "neg",
    "Mean": "mean",
    "Sum": "sum",
    "Mv": "@",
    "Mm": "@",
    "Dot": "@",
    "Addmm": "@ +",
    "Exp": "exp",
    "Log": "log",
    "Tanh": "tanh",
    "Max": "max",
    "Amax": "max",
    "View": "view",
    "Reshape": "view",
    "Index": "index",
    "Embedding": "index",
    "Reciprocal": "1/x",
    "Sqrt": "sqrt",
    "Rsqrt": "rsqrt",
}


def op_label(grad_fn: Any) -> str:
    name = type(grad_fn).__name__
    base = name.removesuffix("Backward0").removesuffix("Backward1").removesuffix("Backward")
    label = _OP_LABELS.get(base, base.lower())
    if base == "Pow" and hasattr(grad_fn, "_saved_exponent"):
        exponent = grad_fn._saved_exponent
        if isinstance(exponent, (int, float)):
            label = f"**{exponent:g}"
    return label


def short(value: Any, digits: int = 5) -> str:
    """A value as it fits in a node: a number, a short vector, or just a shape.

    A lone integer gets thousands separators (24,576); inside a vector it does not, so that
    [2400, 3600] cannot be misread as four numbers.
    """
    if value is None:
        return "–"
    if isinstance(value, torch.Tensor):
        value = value.detach()
        if value.numel() == 1:
            value = value.item()
        elif value.dim() == 1 and value.numel() <= 3:
            return "[" + ", ".join(_number(v, digits, grouped=False) for v in value.tolist()) + "]"
        else:
            return "shape [" + ", ".join(str(s) for s in value.shape) + "]"
    if isinstance(value, (int, float)):
        return _number(value, digits, grouped=True)
    return str(value)


def _number(value: float, digits: int, grouped: bool) -> str:
    if float(value) == int(value) and abs(value) < 1e9:
        return f"{int(value):,}" if grouped else str(int(value))
    return f"{value:.{digits}g}"


# Material's CSS variables where the site defines them, readable fallbacks elsewhere.
# (The line colour is opaque: where edges meet, translucent strokes would stack darker.)
_STYLE = (
    ".computation-graph text{font:12px var(--md-code-font-family,monospace);fill:currentColor}"
    ".cg-node rect{fill:var(--md-code-bg-color,#f5f5f5);stroke:var(--cg-line-color,#8c8c8c);stroke-width:1}"
    ".cg-constant rect{stroke-dasharray:4 3;fill:none}"
    ".computation-graph .cg-name{font-weight:700}"
    ".computation-graph .cg-grad{fill:var(--cg-grad-color,#b3410b)}"
    ".cg-edge{fill:none;stroke:var(--cg-line-color,#8c8c8c);stroke-width:1.3}"
    ".cg-arrowhead{fill:var(--cg-line-color,#8c8c8c)}"
    ".cg-op circle{fill:var(--md-default-bg-color,#fff);stroke:var(--cg-line-color,#8c8c8c);stroke-width:1.3}"
    ".computation-graph .cg-op text{font-size:11px}"
)


@dataclass
class Node:
    """A named tensor (or a constant), drawn as a box."""

    name: str
    value: Any
    grad: Any = None
    constant: bool = False


@dataclass
class Operation:
    """One autograd operation, drawn as a circle: fed by ``inputs`` (names of nodes or ids of
    other operations), it makes ``output``, a named tensor, or nothing with a name (None):
    then its result only feeds other operations."""

    id: str
    label: str
    inputs: list[str] = field(default_factory=list)
    output: str | None = None
    # where, among the inputs, the operands autograd does not track were: data, indices, a
    # Python number
    untracked: list[int] = field(default_factory=list)


@dataclass
class Edge:
    source: str
    target: str


@dataclass
class Layout:
    """Where everything goes: a rectangle (x, y, width, height) for every box, circle and
    waypoint, the band of its layer (where the layer starts and ends along the flow), the
    waypoints each skipping edge passes through, and the drawing's size."""

    direction: str
    rects: dict[str, tuple[float, float, float, float]]
    bands: dict[str, tuple[float, float]]
    chains: dict[tuple[str, str], list[str]]
    width: float
    height: float


BOX_HEIGHT = 58.0
SLOT = 12.0  # the width of a waypoint: room for one edge to pass
GAP_MIN, GAP_MAX = 16.0, 40.0  # between layers
GAP_CROSS = 22.0  # between neighbours in a layer
LR_MAX_WIDTH = 690.0  # wider than this does not fit the page's column: draw top to bottom
_INFIX = {"**", "×", "÷", "−", "+", "@"}
# What an operation keeps of an operand that picks entries (C[Xb], a loss's targets)
_SAVED_INDICES = ("_saved_indices", "_saved_index", "_saved_target")


def _radius(label: str) -> float:
    return max(13.0, len(label) * 3.3 + 3.5)


@dataclass
class ComputationGraph:
    nodes: dict[str, Node] = field(default_factory=dict)
    ops: dict[str, Operation] = field(default_factory=dict)
    direction: str = "auto"  # "LR" (left to right), "TB" (top to bottom), or "auto"
    title: str = "Computation graph"

    # ---------------------------------------------------------------- building

    @classmethod
    def from_autograd(
        cls,
        output: torch.Tensor,
        named: Mapping[str, torch.Tensor],
        constants: Mapping[str, Any] | None = None,
        inputs_of: Mapping[str, Sequence[str]] | None = None,
        grads: Mapping[str, Any] | None = None,
        direction: str = "auto",
        title: str | None = None,
    ) -> "ComputationGraph":
        graph = cls(direction=direction, title=title or "Computation graph")
        grads = dict(grads or {})
        inputs_of = dict(inputs_of or {})
        made_by: dict[Any, str] = {}  # grad_fn -> the named tensor it makes
        leaf_named: dict[int, str] = {}
        for name, tensor in named.items():
            readable = tensor.requires_grad and (tensor.is_leaf or tensor.retains_grad)
            graph.nodes[name] = Node(name, tensor, grads.get(name, tensor.grad if readable else None))
            if tensor.grad_fn is not None:
                made_by[tensor.grad_fn] = name
            elif tensor.requires_grad:
                leaf_named[id(tensor)] = name
        for name, value in (constants or {}).items():
            graph.nodes[name] = Node(name, value, constant=True)
        if output.grad_fn is not None and output.grad_fn not in made_by:
            raise ValueError("the output tensor must be one of the named tensors")

        op_of: dict[Any, str | None] = {}

        def result_of(fn: Any) -> str | None:
            """What stands for the result of fn: a box, a circle, or nothing drawn."""
            if type(fn).__name__ == "AccumulateGrad":
                return leaf_named.get(id(fn.variable))
            return made_by.get(fn) or operation(fn)

        def operation(fn: Any) -> str | None:
            """The circle of fn, made once, after the circles that feed it."""
            if fn not in op_of:
                inputs: list[str] = []
                untracked: list[int] = []
                for next_fn, _ in fn.next_functions:
                    source = None if next_fn is None else result_of(next_fn)
                    if next_fn is None:
                        untracked.append(len(inputs))
                    elif source is not None and source not in inputs:
                        inputs.append(source)
                if not set(_SAVED_INDICES).isdisjoint(dir(fn)):  # (reading them fails after backward)
                    untracked.append(len(inputs))  # indices are operands autograd does not track
                op = Operation(f"op{len(graph.ops)}", op_label(fn), inputs, made_by.get(fn), untracked)
                keep = op.inputs or op.output in inputs_of
                op_of[fn] = op.id if keep else None
                if keep:
                    if op.id in graph.nodes:
                        raise ValueError(f"a tensor may not be named {op.id!r}")
                    graph.ops[op.id] = op
            return op_of[fn]

        for fn in made_by:
            operation(fn)
        for target, sources in inputs_of.items():
            fn = named[target].grad_fn
            if fn is None:
                raise ValueError(f"inputs_of: {target} is not made by an operation")
            line = graph._line_of(op_of[fn])
            slots = [(op, j) for op in line for j in range(len(op.untracked))]
            for k, source in enumerate(sources):
                if k < len(slots):  # in the operand's place: j constants went in before it
                    op, j = slots[k]
                    op.inputs.insert(op.untracked[j] + j, source)
                else:
                    line[0].inputs.append(source)
        return graph

    @property
    def edges(self) -> list[Edge]:
        """Every input into its operation, and every operation into the tensor it makes."""
        edges = []
        for op in self.ops.values():
            edges += [Edge(source, op.id) for source in op.inputs]
            if op.output is not None:
                edges.append(Edge(op.id, op.output))
        return edges

    def _line_of(self, op_id: str) -> list[Operation]:
        """The operations of one line of code: op_id and the unnamed ones that feed it,
        first operation first."""
        found, todo = {op_id}, [op_id]
        while todo:
            for source in self.ops[todo.pop()].inputs:
                if source in self.ops and self.ops[source].output is None and source not in found:
                    found.add(source)
                    todo.append(source)
        return [op for op in self.ops.values() if op.id in found]

    def _text(self, vertex: str) -> str:
        """A box's name, or an unnamed result written as an expression: (h @ W2)."""
        op = self.ops.get(vertex)
        if op is None:
            return vertex
        if op.output is not None:
            return op.output
        constants = sum(1 for n in op.inputs if n in self.nodes and self.nodes[n].constant)
        operands = [self._text(n) for n in op.inputs] + ["…"] * max(0, len(op.untracked) - constants)
        if len(operands) == 2 and op.label in _INFIX:
            return f"({operands[0]} {op.label} {operands[1]})"
        if len(operands) == 1 and op.label.startswith("**"):
            return f"({operands[0]}{op.label})"
        return f"{op.label}({', '.join(operands)})"

    # ---------------------------------------------------------------- layout

    def _layers(self) -> tuple[list[list[str]], dict[tuple[str, str], list[str]]]:
        """Layers of boxes and circles (by longest path from the inputs), and for every edge
        that skips layers the chain of waypoints it passes through, one per layer it crosses.

        A waypoint takes a slot in its layer like a narrow node, so the boxes of that layer
        make room for the edge instead of being drawn over it (the usual layered-drawing
        method, after Sugiyama et al.)."""
        vertices = [*self.nodes, *self.ops]
        preds: dict[str, list[str]] = {v: [] for v in vertices}
        succs: dict[str, list[str]] = {v: [] for v in vertices}
        for e in self.edges:
            preds[e.target].append(e.source)
            succs[e.source].append(e.target)
        depth: dict[str, int] = {}

        def depth_of(v: str, stack: tuple = ()) -> int:
            if v in depth:
                return depth[v]
            if v in stack:
                raise ValueError("the graph has a cycle")
            depth[v] = 1 + max((depth_of(p, stack + (v,)) for p in preds[v]), default=-1)
            return depth[v]

        for v in vertices:
            depth_of(v)
        # Then everything moves down to the layer just before its first consumer (the last
        # first): a parameter or constant sits next to where it is used (W2 next to h, not at
        # the top of a tall drawing), and so does a line that starts from one.
        for v in sorted(vertices, key=depth.__getitem__, reverse=True):
            if succs[v]:
                depth[v] = min(depth[s] for s in succs[v]) - 1
        used = sorted(set(depth.values()))  # (a layer may have emptied)
        depth = {v: used.index(d) for v, d in depth.items()}
        layers: list[list[str]] = [[] for _ in used]
        for v in vertices:  # insertion order first
            layers[depth[v]].append(v)
        # Waypoints: an edge from layer i to layer j > i + 1 passes layers i + 1 .. j - 1.
        chains: dict[tuple[str, str], list[str]] = {}
        for e in self.edges:
            crossed = range(depth[e.source] + 1, depth[e.target])
            chain = [f"\0{e.source}\0{e.target}\0{layer}" for layer in crossed]
            for layer, waypoint in enumerate(chain, start=depth[e.source] + 1):
                layers[layer].append(waypoint)
            if chain:
                chains[(e.source, e.target)] = chain
        # Order each layer by the mean position of its neighbours (sweeps down and up).
        above: dict[str, list[str]] = {v: [] for layer in layers for v in layer}
        below: dict[str, list[str]] = {v: [] for layer in layers for v in layer}
        for a, b, _ in self._links(chains):
            below[a].append(b)
            above[b].append(a)
        # Between equals, operands keep the order they have in the code: h left of W2 in h @ W2.
        operand_place: dict[str, list[float]] = {v: [] for v in above}
        for op in self.ops.values():
            for i, source in enumerate(op.inputs):
                place = i - (len(op.inputs) - 1) / 2
                for v in [source, *chains.get((source, op.id), [])]:
                    operand_place[v].append(place)
        position = {v: float(i) for layer in layers for i, v in enumerate(layer)}
        for sweep in range(4):
            down = sweep % 2 == 0
            for layer in layers if down else reversed(layers):
                keys = {}
                for v in layer:
                    near = [position[n] for n in (above if down else below)[v]]
                    keys[v] = sum(near) / len(near) if near else position[v]
                    if operand_place[v]:
                        keys[v] += 1e-3 * sum(operand_place[v]) / len(operand_place[v])
                layer.sort(key=keys.__getitem__)
                for i, v in enumerate(layer):
                    position[v] = float(i)
        return layers, chains

    def _links(self, chains: dict[tuple[str, str], list[str]]) -> list[tuple[str, str, bool]]:
        """Every piece of every edge between neighbouring layers, and whether it should run
        straight: when it is the only piece out of its top and the only one into its bottom
        (a line of operations, or an edge through waypoints)."""
        pieces = []
        for e in self.edges:
            path = [e.source, *chains.get((e.source, e.target), []), e.target]
            pieces += list(zip(path, path[1:]))
        down = {a: 0 for a, _ in pieces}
        up = {b: 0 for _, b in pieces}
        for a, b in pieces:
            down[a] += 1
            up[b] += 1
        return [(a, b, down[a] == up[b] == 1) for a, b in pieces]

    def _lines(self, name: str) -> list[str]:
        node = self.nodes[name]
        return [name, f"value {short(node.value)}", "" if node.constant else f"grad {short(node.grad)}"]

    def _size(self, vertex: str) -> tuple[float, float]:
        """Width and height of a box or a circle."""
        if vertex in self.ops:
            diameter = 2 * _radius(self.ops[vertex].label)
            return diameter, diameter
        return max(80.0, max(len(t) for t in self._lines(vertex)) * 7.4 + 20), BOX_HEIGHT

    def layout(self, direction: str) -> Layout:
        """A rectangle for every box, circle and waypoint, left to right ("LR") or top to
        bottom ("TB"). It reads the graph and changes nothing, so one direction can be tried
        before drawing the other."""
        layers, chains = self._layers()
        links = self._links(chains)
        lr = direction == "LR"
        # (size along the flow, size across it); a waypoint is a thin slot across its layer
        sizes = {v: self._size(v)[:: 1 if lr else -1] for v in [*self.nodes, *self.ops]}
        waypoint_size = (0.0, SLOT)
        along = {v: sizes.get(v, waypoint_size)[0] for layer in layers for v in layer}
        across = {v: sizes.get(v, waypoint_size)[1] for layer in layers for v in layer}
        center = _centres(layers, links, across)
        # Along the flow: a gap between layers that grows with how far sideways the edges
        # between them go, so a curve is never squeezed flat and a straight line stays short.
        index_of = {v: i for i, layer in enumerate(layers) for v in layer}
        sideways = [0.0] * len(layers)
        for a, b, _ in links:
            sideways[index_of[a]] = max(sideways[index_of[a]], abs(center[a] - center[b]))
        thickness = [max(along[v] for v in layer) for layer in layers]
        starts = [10.0]
        for thick, side in zip(thickness, sideways):
            starts.append(starts[-1] + thick + min(GAP_MAX, GAP_MIN + side * 0.12))
        low = min(center[v] - across[v] / 2 for v in center)
        rects, bands = {}, {}
        for layer, start, thick in zip(layers, starts, thickness):
            for v in layer:
                bands[v] = (start, start + thick)
                main = (start, thick) if v not in sizes else (start + (thick - along[v]) / 2, along[v])
                cross = (center[v] - across[v] / 2 - low + 10, across[v])
                (x, w), (y, h) = (main, cross) if lr else (cross, main)
                rects[v] = (x, y, w, h)
        width = max(x + w for x, _, w, _ in rects.values()) + 10
        height = max(y + h for _, y, _, h in rects.values()) + 10
        return Layout(direction, rects, bands, chains, width, height)

    # ---------------------------------------------------------------- drawing

    def to_svg(self) -> str:
        direction = self.direction
        if direction == "auto":
            direction = "LR" if self.layout("LR").width <= LR_MAX_WIDTH else "TB"
        layout = self.layout(direction)
        rects, lr = layout.rects, direction == "LR"

        def span(v: str) -> tuple[float, float, float]:
            """Where v starts and ends along the flow, and its middle across it."""
            x, y, w, h = rects[v]
            return (x, x + w, y + h / 2) if lr else (y, y + h, x + w / 2)

        def point(along: float, across: float) -> str:
            x, y = (along, across) if lr else (across, along)
            return f"{x:.1f},{y:.1f}"

        marker = "cg-arrow-" + hashlib.sha1(
            (self.title + "|".join(self.nodes)).encode()
        ).hexdigest()[:8]
        out = [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="computation-graph" role="img" '
            f'viewBox="0 0 {layout.width:.0f} {layout.height:.0f}" width="{layout.width:.0f}" '
            f'height="{layout.height:.0f}" aria-label="{html.escape(self.title)}">',
            f"<title>{html.escape(self.title)}</title>",
            f"<style>{_STYLE}</style>",
            f'<defs><marker id="{marker}" viewBox="0 0 10 10" refX="9" refY="5" '
            'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
            '<path d="M0,0 L10,5 L0,10 z" class="cg-arrowhead"/></marker></defs>',
        ]
        for e in self.edges:
            # Straight runs, each inside one layer's band (out of the source, across each
            # waypoint's layer, into the target), joined by curves in the gaps between
            # layers, where no box is. The arrowhead marks what an operation makes.
            _, source_end, across = span(e.source)
            runs = [(source_end, layout.bands[e.source][1], across)]
            for waypoint in layout.chains.get((e.source, e.target), []):
                runs.append((*layout.bands[waypoint], span(waypoint)[2]))
            target_start, _, across = span(e.target)
            runs.append((layout.bands[e.target][0], target_start, across))
            d = ""
            for start, end, across in runs:
                if not d:
                    d = f"M{point(start, across)}"
                else:
                    mid = (last[0] + start) / 2
                    d += f" C{point(mid, last[1])} {point(mid, across)} {point(start, across)}"
                if end > start:
                    d += f" L{point(end, across)}"
                last = (end, across)
            arrow = f' marker-end="url(#{marker})"' if e.source in self.ops else ""
            out.append(f'<path class="cg-edge" d="{d}"{arrow}/>')
        for op in self.ops.values():
            x, y, w, _ = rects[op.id]
            cx, cy = x + w / 2, y + w / 2
            out.append(
                f'<g class="cg-op"><circle cx="{cx:.1f}" cy="{cy:.1f}" r="{w / 2:.0f}"/>'
                f'<text x="{cx:.1f}" y="{cy + 4:.1f}" text-anchor="middle">{html.escape(op.label)}</text></g>'
            )
        for n, node in self.nodes.items():
            x, y, w, h = rects[n]
            kind = "constant" if node.constant else "tensor"
            name, value, grad = self._lines(n)
            out.append(f'<g class="cg-node cg-{kind}">')
            out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="6"/>')
            out.append(f'<text class="cg-name" x="{x + 10:.1f}" y="{y + 17:.1f}">{html.escape(name)}</text>')
            out.append(f'<text class="cg-value" x="{x + 10:.1f}" y="{y + 34:.1f}">{html.escape(value)}</text>')
            if grad:
                out.append(f'<text class="cg-grad" x="{x + 10:.1f}" y="{y + 50:.1f}">{html.escape(grad)}</text>')
            out.append("</g>")
        out.append("</svg>")
        return "".join(out)

    def _repr_html_(self) -> str:
        return (
            '<figure class="computation-graph-figure">'
            f'<div class="computation-graph-scroll">{self.to_svg()}</div>'
            f"<figcaption>{html.escape(self.title)}: each box shows a tensor's forward value "
            "and, below it, its gradient; circles are the operations.</figcaption></figure>"
        )

    def __repr__(self) -> str:
        """One line for every input of every operation, into what it makes: ``h --@--> (h @ W2)``."""
        rows = [
            f"{self._text(source)} --{op.label}--> {self._text(op.id)}"
            for op in self.ops.values()
            for source in op.inputs
        ]
        return "\n".join([self.title] + rows)


def _settle(desired: list[float], weights: list[float], sizes: list[float]) -> list[float]:
    """Centres for a row of boxes, in this order and GAP_CROSS apart, as near to the desired
    centres as they can be (weighted least squares: pool adjacent violators)."""
    offsets = [0.0]
    for a, b in zip(sizes, sizes[1:]):
        offsets.append(offsets[-1] + (a + b) / 2 + GAP_CROSS)
    blocks: list[list[float]] = []  # [weighted sum, weight, count] of boxes moved together
    for d, o, w in zip(desired, offsets, weights):
        blocks.append([(d - o) * w, w, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, weight, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += weight
            blocks[-1][2] += count
    shifts = [total / weight for total, weight, count in blocks for _ in range(int(count))]
    return [s + o for s, o in zip(shifts, offsets)]


def _centres(
    layers: list[list[str]], links: list[tuple[str, str, bool]], across: dict[str, float]
) -> dict[str, float]:
    """Where everything goes across the flow: first stacked and centred, then each layer in
    turn moved towards its neighbours in the layers on either side (sweeps down and up),
    then each line that should run straight put on one position where its layers leave room."""
    center: dict[str, float] = {}
    for layer in layers:
        c = -(sum(across[v] for v in layer) + GAP_CROSS * (len(layer) - 1)) / 2
        for v in layer:
            center[v] = c + across[v] / 2
            c += across[v] + GAP_CROSS
    neighbours: dict[str, list[tuple[str, float]]] = {v: [] for v in center}
    for a, b, straight in links:
        neighbours[a].append((b, 4.0 if straight else 1.0))
        neighbours[b].append((a, 4.0 if straight else 1.0))
    for _ in range(12):
        for layer in layers + layers[::-1]:
            desired, weights = [], []
            for v in layer:
                total = sum(w for _, w in neighbours[v])
                pulled = sum(center[n] * w for n, w in neighbours[v]) / total if total else center[v]
                desired.append(pulled)
                weights.append(total or 0.01)
            for v, c in zip(layer, _settle(desired, weights, [across[v] for v in layer])):
                center[v] = c
    layer_of = {v: layer for layer in layers for v in layer}
    line_of = {v: [v] for v in center}
    for a, b, straight in links:
        if straight:
            line = line_of[a] + line_of[b]
            for v in line:
                line_of[v] = line
    for line in {id(line): line for line in line_of.values()}.values():
        rooms = [_room(layer_of[v], center, across, v) for v in line]
        low, high = max(r[0] for r in rooms), min(r[1] for r in rooms)
        if low <= high:
            mean = sum(center[v] for v in line) / len(line)
            for v in line:
                center[v] = min(max(mean, low), high)
    return center


def _room(
    layer: list[str], center: dict[str, float], across: dict[str, float], v: str
) -> tuple[float, float]:
    """How far v may move across the flow and stay GAP_CROSS from its neighbours."""
    i = layer.index(v)
    low, high = -float("inf"), float("inf")
    if i > 0:
        low = center[layer[i - 1]] + (across[layer[i - 1]] + across[v]) / 2 + GAP_CROSS
    if i + 1 < len(layer):
        high = center[layer[i + 1]] - (across[layer[i + 1]] + across[v]) / 2 - GAP_CROSS
    return low, high
