"""Left-to-right layered layout of a gate graph, like the circuit diagrams of the cs231n notes.

`layout(graph)` returns JSON-ready positions in pixels; for `f = (x + y) * z`::

    {"nodes": {"n0": {"x": 40.0, "y": 40.0, "layer": 0},     # x
               "n1": {"x": 40.0, "y": 110.0, "layer": 0},    # y
               "n2": {"x": 140.0, "y": 75.0, "layer": 1},    # +
               "n3": {"x": 40.0, "y": 180.0, "layer": 0},    # z
               "n4": {"x": 240.0, "y": 127.5, "layer": 2}},  # ×
     "edges": [{"from": "n0", "to": "n2", "points": [[40.0, 40.0], [140.0, 75.0]]},
               {"from": "n1", "to": "n2", "points": [[40.0, 110.0], [140.0, 75.0]]},
               {"from": "n2", "to": "n4", "points": [[140.0, 75.0], [240.0, 127.5]]},
               {"from": "n3", "to": "n4",
                "points": [[40.0, 180.0], [140.0, 180.0], [240.0, 127.5]]}],
     "width": 280.0, "height": 220.0}

x and y are the centre of a gate's circle. There is one edge per input slot of each
gate, in node order then slot order (`x * x` has two edges from n0 to n1), and its
`points` always run from the source's centre to the target's centre with one point in
every layer between: a one-layer edge has just its two end points, a longer edge bends
through its dummy nodes (draw it as a polyline or a smooth curve through them).

The algorithm is Sugiyama's, every step iterative (a 10,000-deep chain is fine):

1. Layers (`layers.py`, `simplex.py`, compiled in `_simplex.c`). Every node sits right
   of its inputs, and the wires are as short as they can be in all: the network simplex
   method of Graphviz's dot (up to `SIMPLEX_NODES` nodes; beyond, longest path and then
   moves of nodes and groups of nodes that shorten the wires). So an input or a constant
   sits in the layer just before its first user — a weight of a network written neuron
   by neuron beside its wire, not in one column of every input on the far left; the
   output, when nothing uses it, moves to the last layer.
2. Dummy nodes (`layers.py`). An edge spanning k layers gets k - 1 dummy nodes, one in
   each layer it crosses, so crossing reduction sees it and it can bend. A budget
   (`DUMMIES_PER_NODE` per node) keeps pathological programs linear: past it, the
   longest edges get no dummies and are drawn straight, outside crossing reduction.
3. Order (`order.py`, `plain.py`, `_ordering.c`). A depth-first walk from the output
   through the inputs in slot order gives the first order of every layer (a tree comes
   out with zero crossings). Then dot's search: from that order and two breadth-first
   ones, swaps of neighbours and a few iterations each, then up to 24 more from the best
   — an iteration is a sweep that sorts each layer by the weighted median of its
   neighbours' places, then swaps of neighbours, every other time also those that leave
   the crossings as they are, which walks the search along a plateau. Sifting polishes
   the result: each node tried at every place of its layer, kept where its wires cross
   least. Above `SMALL` nodes, up to 12 kicks follow: from the best order, neighbours
   swapped at random (a fixed seed: the output stays deterministic), then a few
   iterations and sifting, kept only if the crossings drop. The search is compiled
   (`_ordering.c`, built at install; `plain.py` is the same in Python, its
   specification, and the tests hold the two to the same answer); built without a C
   compiler, plain Python runs it on small graphs and numpy a kick-less version on
   the others. Huge graphs get barycentric sweeps only. Last, the drawing is turned
   upside down when that puts more nodes in program order (i1 above i2), and inputs
   nothing uses stand in program order. Crossings are counted between consecutive
   layers as inversions. On `python -m bench.layout`'s random circuits this has fewer
   crossings than Graphviz dot at 200 and 1,000 gates, and 1.1× its count at 5,000.
4. Coordinates (`coords.py`). x is the layer times `COLUMN` (140 px), wider where
   a layer holds a tensor's numbers (`views.py`: a grid or colour map under the node).
   y starts as each layer's order packed at `ROW` (70 px; 40 px between long edges,
   more below a tensor's numbers) and goes through
   two relaxation passes, right to left then left to right: each node wants the mean
   y of its neighbours in the layer just placed, and the layer is projected back onto
   its order and spacing by weighted isotonic regression. Constants neither pull nor
   hold firm, and a last pass puts each one beside its gate, so chains stay straight
   and trees look like trees (each gate between its inputs).

The output is deterministic: stable sorts and no hashing anywhere.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

from app.graph import Graph
from app.layout.coords import MARGIN, place
from app.layout.layers import build_layered
from app.layout.order import crossings, dfs_keys, order_nodes
from app.layout.views import tensor_view

VIEW_MARGIN = 30.0  # px kept clear below and beside a tensor's numbers: room for the
# name and shape written above the next node down

__all__ = ["count_crossings", "layout"]


# Recent layouts by the circuit's structure: moving a slider or editing a number changes no
# position, so the next answer reuses them. Only circuits of up to CACHE_NODES nodes.
CACHE_SIZE = 256
CACHE_NODES = 3_000
_recent: OrderedDict[tuple, dict[str, Any]] = OrderedDict()
_recent_lock = threading.Lock()


def layout(graph: Graph, shapes: Sequence[tuple[int, ...]] | None = None) -> dict[str, Any]:
    """Positions of every node and the path of every edge, in pixels (see the module doc).

    With the nodes' `shapes`, every tensor node also gets a `view` (how its numbers are
    drawn, `views.tensor_view`) and the room for it under the node. The answer depends
    only on the ops, the wiring and the shapes, and is remembered for the recent ones:
    treat it as read-only.
    """
    if len(graph) > CACHE_NODES:
        return _layout(graph, shapes)
    key = (tuple(graph.ops), tuple(graph.inputs), graph.output,
           None if shapes is None else tuple(tuple(s) for s in shapes))
    with _recent_lock:
        found = _recent.get(key)
        if found is not None:
            _recent.move_to_end(key)
            return found
    result = _layout(graph, shapes)
    with _recent_lock:
        _recent[key] = result
        if len(_recent) > CACHE_SIZE:
            _recent.popitem(last=False)
    return result


def _layout(graph: Graph, shapes: Sequence[tuple[int, ...]] | None = None) -> dict[str, Any]:
    lay = build_layered(graph)
    slot, _ = order_nodes(lay, dfs_keys(graph.inputs, graph.output))
    n = lay.n_real
    views = [tensor_view(tuple(s)) for s in shapes] if shapes is not None else [None] * n
    below = width = None
    if any(v is not None for v in views):
        below = np.array([v["y"] + v["h"] + VIEW_MARGIN if v else 0.0 for v in views])
        width = np.array([v["w"] if v else 0.0 for v in views])
    x, y = place(lay, slot, below, width)
    xs = np.round(x, 1).tolist()
    ys = np.round(y, 1).tolist()
    keys = [f"n{i}" for i in range(n)]  # Node.key
    layers = lay.layer[:n].tolist()
    nodes = {keys[i]: {"x": xs[i], "y": ys[i], "layer": layers[i]} for i in range(n)}
    right, bottom = max(xs) + MARGIN, max(ys) + MARGIN
    for i, view in enumerate(views):
        if view is not None:
            nodes[keys[i]]["view"] = view
            right = max(right, xs[i] + view["w"] / 2 + VIEW_MARGIN)
            bottom = max(bottom, ys[i] + view["y"] + view["h"] + VIEW_MARGIN)
    path = lay.path.tolist()
    ptr = lay.edge_ptr.tolist()
    points = [[xs[p], ys[p]] for p in path]
    edges = [{"from": keys[u], "to": keys[v], "points": points[ptr[e]:ptr[e + 1]]}
             for e, (u, v) in enumerate(zip(lay.edge_src.tolist(), lay.edge_dst.tolist(),
                                            strict=True))]
    return {"nodes": nodes, "edges": edges, "width": round(right, 1), "height": round(bottom, 1)}


def count_crossings(result: dict[str, Any]) -> int:
    """Crossings between consecutive layers of a `layout` result, dummy points included.

    Read from the drawing itself: every segment of an edge's points that joins two
    neighbouring columns (the distinct x of the points), grouped by column pair; two
    segments cross when their order at the left column is the reverse of their order at
    the right one. (Segments of edges drawn straight across several layers, past the
    dummy budget, are not counted.)
    """
    segs = [(p[0], p[1], q[0], q[1]) for edge in result["edges"]
            for p, q in zip(edge["points"], edge["points"][1:], strict=False)]
    if not segs:
        return 0
    x0, y0, x1, y1 = np.asarray(segs, dtype=float).T
    columns = np.unique(np.round([p[0] for e in result["edges"] for p in e["points"]], 1))
    one_layer = (np.searchsorted(columns, np.round(x1, 1))
                 - np.searchsorted(columns, np.round(x0, 1))) == 1
    return crossings(x0[one_layer], y0[one_layer], y1[one_layer])
