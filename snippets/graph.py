"""Draw a computation graph from autograd, each node with its forward value and its gradient.

    graph = ComputationGraph.from_autograd(
        loss, {"w": w, "prediction": prediction, "error": error, "loss": loss},
        constants={"x": x, "y": y}, inputs_of={"prediction": ["x"], "error": ["y"]},
    )
    graph          # in a notebook or on a page: an SVG figure

Nodes are the named tensors; edges are found by walking ``grad_fn`` from the output back to
the named tensors and leaves, and are labelled with the operation that made the node.
Constants (tensors autograd does not track, such as data) are drawn where ``inputs_of``
says they enter. Gradients are read from ``.grad`` (call ``retain_grad()`` on the
intermediates before ``backward()``) unless given in ``grads``.

The SVG is static and self-contained. Its colours are CSS variables of Material for MkDocs
with fallbacks, so it follows the site's light and dark palettes and still reads in a
notebook. Layout: layers by longest path from the inputs (a parameter or constant sits just
before its first use), left to right when that fits the page's column (else top to bottom),
nodes ordered within a layer by the mean position of their inputs; an edge that skips layers
passes through a waypoint in each layer it crosses, so it runs beside the boxes there, not
behind them; each operation is a circle where its inputs join, in front of its result.
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
    name: str
    value: Any
    grad: Any = None
    constant: bool = False


@dataclass
class Edge:
    source: str
    target: str
    label: str = ""


@dataclass
class ComputationGraph:
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
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
        by_fn: dict[Any, str] = {}
        by_leaf: dict[int, str] = {}
        for name, tensor in named.items():
            readable = tensor.requires_grad and (tensor.is_leaf or tensor.retains_grad)
            graph.nodes[name] = Node(name, tensor, grads.get(name, tensor.grad if readable else None))
            if tensor.grad_fn is not None:
                by_fn[tensor.grad_fn] = name
            elif tensor.requires_grad:
                by_leaf[id(tensor)] = name
        for name, value in (constants or {}).items():
            graph.nodes[name] = Node(name, value, constant=True)

        def named_inputs(fn: Any, seen: set) -> list[str]:
            found: list[str] = []
            for next_fn, _ in getattr(fn, "next_functions", ()):
                if next_fn is None or next_fn in seen:
                    continue
                seen.add(next_fn)
                if next_fn in by_fn:
                    found.append(by_fn[next_fn])
                elif type(next_fn).__name__ == "AccumulateGrad":
                    leaf = by_leaf.get(id(next_fn.variable))
                    if leaf:
                        found.append(leaf)
                else:
                    found += named_inputs(next_fn, seen)
            return found

        for fn, name in by_fn.items():
            for source in dict.fromkeys(named_inputs(fn, set())):
                graph.edges.append(Edge(source, name, op_label(fn)))
        for target, sources in (inputs_of or {}).items():
            label = op_label(named[target].grad_fn) if named[target].grad_fn is not None else ""
            for source in sources:
                graph.edges.append(Edge(source, target, label))
        if output.grad_fn is not None and output.grad_fn not in by_fn:
            raise ValueError("the output tensor must be one of the named tensors")
        return graph

    # ---------------------------------------------------------------- layout

    def _layers(self) -> tuple[list[list[str]], dict[int, list[str]]]:
        """Layers of node names (by longest path from the inputs), and for every edge that
        skips layers the chain of waypoints it passes through, one per layer it crosses.

        A waypoint takes a slot in its layer like a narrow node, so the boxes of that layer
        make room for the edge instead of being drawn over it (the usual layered-drawing
        method, after Sugiyama et al.)."""
        preds: dict[str, list[str]] = {n: [] for n in self.nodes}
        for e in self.edges:
            preds[e.target].append(e.source)
        depth: dict[str, int] = {}

        def depth_of(n: str, stack: tuple = ()) -> int:
            if n in depth:
                return depth[n]
            if n in stack:
                raise ValueError("the graph has a cycle")
            depth[n] = 1 + max((depth_of(p, stack + (n,)) for p in preds[n]), default=-1)
            return depth[n]

        for n in self.nodes:
            depth_of(n)
        # Constants and leaves (parameters, inputs) sit in the layer just before their first
        # consumer: W2 next to h, not at the top of a tall drawing.
        for n, node in self.nodes.items():
            if node.constant or not preds[n]:
                consumers = [depth[e.target] for e in self.edges if e.source == n]
                if consumers:
                    depth[n] = min(consumers) - 1
        layers: list[list[str]] = [[] for _ in range(max(depth.values()) + 1)]
        for n in self.nodes:  # insertion order first
            layers[depth[n]].append(n)
        # Waypoints: an edge from layer i to layer j > i + 1 passes layers i + 1 .. j - 1.
        chains: dict[int, list[str]] = {}
        for k, e in enumerate(self.edges):
            chain = []
            for layer in range(depth[e.source] + 1, depth[e.target]):
                waypoint = f"\0{k}:{layer}"
                preds[waypoint] = [chain[-1] if chain else e.source]
                layers[layer].append(waypoint)
                chain.append(waypoint)
            if chain:
                chains[k] = chain
        # Order each layer by the mean position of what feeds it (two sweeps down).
        position: dict[str, float] = {}
        for _ in range(2):
            for layer in layers:
                keys = {}
                for k, n in enumerate(layer):
                    ps = [position[p] for p in preds[n] if p in position]
                    keys[n] = sum(ps) / len(ps) if ps else position.get(n, float(k))
                layer.sort(key=keys.__getitem__)
                for i, n in enumerate(layer):
                    position[n] = i
        return layers, chains

    # ---------------------------------------------------------------- drawing

    def to_svg(self) -> str:
        char, pad, box_h = 7.4, 10.0, 58.0
        lines = {
            n: [n, f"value {short(node.value)}", "" if node.constant else f"grad {short(node.grad)}"]
            for n, node in self.nodes.items()
        }
        width_of = {n: max(80.0, max(len(t) for t in ls) * char + 2 * pad) for n, ls in lines.items()}
        layers, chains = self._layers()
        id_of = {id(e): k for k, e in enumerate(self.edges)}
        for layer in layers:
            for n in layer:
                width_of.setdefault(n, 12.0)  # a waypoint: room for one edge to pass
        direction = self.direction
        if direction == "auto":
            direction = "LR" if self._place("LR", layers, width_of, box_h)[1] <= 690 else "TB"
        pos, width, height = self._place(direction, layers, width_of, box_h)
        marker = "cg-arrow-" + hashlib.sha1(
            (self.title + "|".join(self.nodes)).encode()
        ).hexdigest()[:8]
        out = [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="computation-graph" role="img" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
            f'aria-label="{html.escape(self.title)}">',
            f"<title>{html.escape(self.title)}</title>",
            f"<style>{_STYLE}</style>",
            f'<defs><marker id="{marker}" viewBox="0 0 10 10" refX="9" refY="5" '
            'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
            '<path d="M0,0 L10,5 L0,10 z" class="cg-arrowhead"/></marker></defs>',
        ]
        # Each operation is a small circle in front of the tensor it makes; its inputs join there.
        incoming: dict[str, list[Edge]] = {}
        for e in self.edges:
            incoming.setdefault(e.target, []).append(e)
        ops = []
        for target, edges in incoming.items():
            tx, ty = pos[target]
            label = edges[0].label
            op_r = max(13.0, len(label) * 3.4 + 5)
            if direction == "LR":
                ox, oy = tx - 22 - op_r, ty + box_h / 2
                entry = (tx, ty + box_h / 2)
            else:
                ox, oy = tx + width_of[target] / 2, ty - 22 - op_r
                entry = (tx + width_of[target] / 2, ty)
            for e in edges:
                sx, sy = pos[e.source]
                # Points the edge passes: out of its source, through each waypoint's slot
                # (straight across the layer), into the operation circle.
                if direction == "LR":
                    points = [(sx + width_of[e.source], sy + box_h / 2)]
                    for w in chains.get(id_of[id(e)], []):
                        wx, wy = pos[w]
                        points += [(wx, wy + box_h / 2), (wx + width_of[w], wy + box_h / 2)]
                    points.append((ox - op_r, oy))
                else:
                    points = [(sx + width_of[e.source] / 2, sy + box_h)]
                    for w in chains.get(id_of[id(e)], []):
                        wx, wy = pos[w]
                        points += [(wx + width_of[w] / 2, wy), (wx + width_of[w] / 2, wy + box_h)]
                    points.append((ox, oy - op_r))
                d = f"M{points[0][0]:.1f},{points[0][1]:.1f}"
                for i in range(0, len(points) - 1, 2):
                    (ax, ay), (bx, by) = points[i], points[i + 1]
                    if i:
                        d += f" L{ax:.1f},{ay:.1f}"
                    if direction == "LR":
                        mid = (ax + bx) / 2
                        d += f" C{mid:.1f},{ay:.1f} {mid:.1f},{by:.1f} {bx:.1f},{by:.1f}"
                    else:
                        mid = (ay + by) / 2
                        d += f" C{ax:.1f},{mid:.1f} {bx:.1f},{mid:.1f} {bx:.1f},{by:.1f}"
                out.append(f'<path class="cg-edge" d="{d}"/>')
            if direction == "LR":
                start_x, start_y = ox + op_r, oy
            else:
                start_x, start_y = ox, oy + op_r
            out.append(
                f'<path class="cg-edge" d="M{start_x:.1f},{start_y:.1f} L{entry[0]:.1f},{entry[1]:.1f}" '
                f'marker-end="url(#{marker})"/>'
            )
            ops.append(
                f'<g class="cg-op"><circle cx="{ox:.1f}" cy="{oy:.1f}" r="{op_r:.0f}"/>'
                f'<text x="{ox:.1f}" y="{oy + 4:.1f}" text-anchor="middle">{html.escape(label)}</text></g>'
            )
        out += ops
        for n, (x, y) in pos.items():
            if n not in self.nodes:
                continue  # a waypoint
            node = self.nodes[n]
            kind = "constant" if node.constant else "tensor"
            name, value, grad = lines[n]
            out.append(f'<g class="cg-node cg-{kind}">')
            out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{width_of[n]:.1f}" height="{box_h:.1f}" rx="6"/>')
            out.append(f'<text class="cg-name" x="{x + pad:.1f}" y="{y + 17:.1f}">{html.escape(name)}</text>')
            out.append(f'<text class="cg-value" x="{x + pad:.1f}" y="{y + 34:.1f}">{html.escape(value)}</text>')
            if grad:
                out.append(f'<text class="cg-grad" x="{x + pad:.1f}" y="{y + 50:.1f}">{html.escape(grad)}</text>')
            out.append("</g>")
        out.append("</svg>")
        return "".join(out)

    def _place(self, direction: str, layers: list[list[str]], width_of: dict[str, float], box_h: float):
        """Top-left corner of every box (and waypoint), and the drawing's width and height."""
        gap_main = 72.0  # room for the operation circle between layers
        gap_cross = 22.0
        pos: dict[str, tuple[float, float]] = {}
        if direction == "LR":
            x = 10.0
            # A waypoint is a thin slot (12 high) that spans its column.
            slot = {n: box_h if n in self.nodes else 12.0 for layer in layers for n in layer}
            heights = [sum(slot[n] + gap_cross for n in layer) - gap_cross for layer in layers]
            tallest = max(heights)
            for layer, h in zip(layers, heights):
                y = 10.0 + (tallest - h) / 2
                column = max((width_of[n] for n in layer if n in self.nodes), default=12.0)
                for n in layer:
                    # (a waypoint's position is chosen so that y + box_h / 2 is its middle)
                    pos[n] = (x, y) if n in self.nodes else (x, y + slot[n] / 2 - box_h / 2)
                    if n not in self.nodes:
                        width_of[n] = column
                    y += slot[n] + gap_cross
                x += column + gap_main
        else:
            y = 10.0
            widths = [sum(width_of[n] for n in layer) + gap_cross * (len(layer) - 1) for layer in layers]
            widest = max(widths)
            for layer, w in zip(layers, widths):
                x = 10.0 + (widest - w) / 2
                for n in layer:
                    pos[n] = (x, y)
                    x += width_of[n] + gap_cross
                y += box_h + gap_main
        width = max(x + width_of[n] for n, (x, _) in pos.items()) + 10
        height = max(y for _, y in pos.values()) + box_h + 10
        return pos, width, height

    def _repr_html_(self) -> str:
        return (
            '<figure class="computation-graph-figure">'
            f'<div class="computation-graph-scroll">{self.to_svg()}</div>'
            f"<figcaption>{html.escape(self.title)}: each box shows a tensor's forward value "
            "and, below it, its gradient; circles are the operations.</figcaption></figure>"
        )

    def __repr__(self) -> str:
        rows = [f"{e.source} --{e.label}--> {e.target}" for e in self.edges]
        return "\n".join([self.title] + rows)
