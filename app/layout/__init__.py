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
   the crossings as they are, which walks the search along a plateau. Up to `SMALL`
   nodes, sifting polishes the result: each node tried at every place of its layer, kept
   where its wires cross least. Above, up to 12 kicks follow instead: from the best
   order, neighbours swapped at random (a fixed seed: the output stays deterministic),
   then swaps of neighbours along plateaus, kept only if the crossings drop (more
   iterations or sifting after a kick cost more time than they found crossings). The
   search is compiled (`_ordering.c`, built at install; `plain.py` is the same in Python, its
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

Past `bigorder.BIG_NODES` (20,000) nodes — micrograd's demo network, a 100,000-gate
chain — steps 1, 3 and 4 take a bounded path: the layers without the group moves (layers.py's
`SHIFT_NODES`: the same layers as the pull to the right gives, in numpy), the crossing
reduction of `bigorder.py` (the same first order, then at most two rounds of barycentric
sweeps) and `coords.place_big` (every layer relaxed at once, in numpy). Each is linear or
n log n; smaller circuits (bench/layout.py's, the page's 5,000-gate network) are laid out
exactly as before.

The output is deterministic: stable sorts and no hashing anywhere.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from app.graph import Graph
from app.layout.bigorder import BIG_NODES, order_big
from app.layout.coords import MARGIN, place, place_big
from app.layout.layers import build_layered
from app.layout.order import crossings, dfs_keys, order_nodes
from app.layout.views import tensor_view

VIEW_MARGIN = 30.0  # px kept clear below and beside a tensor's numbers: room for the
# name and shape written above the next node down

__all__ = ["LayoutArrays", "count_crossings", "layout", "layout_arrays", "layout_columns"]


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


class _Placed(NamedTuple):
    """A layout as arrays: what `_layout` writes as objects and `layout_columns` as columns."""

    x: np.ndarray  # every internal node's, to a tenth: the real ones, then the dummies
    y: np.ndarray
    layer: np.ndarray  # the real nodes'

    views: list[dict[str, Any] | None]
    path: np.ndarray  # every edge's drawn points as node ids (app/layout/layers.py)
    ptr: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    width: float
    height: float

    @property
    def xs(self) -> list[float]:
        return self.x.tolist()

    @property
    def ys(self) -> list[float]:
        return self.y.tolist()

    @property
    def layers(self) -> list[int]:
        return self.layer.tolist()


def _place_all(graph: Graph, shapes: Sequence[tuple[int, ...]] | None = None) -> _Placed:
    lay = build_layered(graph)
    big = lay.n_real > BIG_NODES
    if big:  # a bounded search and numpy coordinates (bigorder.py, coords.place_big)
        slot = order_big(lay, dfs_keys(graph.inputs, graph.output))
    else:
        slot, _ = order_nodes(lay, dfs_keys(graph.inputs, graph.output))
    n = lay.n_real
    views: list[dict[str, Any] | None] = (
        [tensor_view(tuple(s)) for s in shapes] if shapes is not None else [None] * n)
    below = width = None
    if any(v is not None for v in views):
        below = np.array([v["y"] + v["h"] + VIEW_MARGIN if v else 0.0 for v in views])
        width = np.array([v["w"] if v else 0.0 for v in views])
    x, y = (place_big if big else place)(lay, slot, below, width)
    x = np.round(x, 1)
    y = np.round(y, 1)
    right, bottom = float(x.max()) + MARGIN, float(y.max()) + MARGIN
    for i, view in enumerate(views):
        if view is not None:
            right = max(right, float(x[i]) + view["w"] / 2 + VIEW_MARGIN)
            bottom = max(bottom, float(y[i]) + view["y"] + view["h"] + VIEW_MARGIN)
    return _Placed(x, y, lay.layer[:n], views, lay.path, lay.edge_ptr,
                   lay.edge_src, lay.edge_dst, round(right, 1), round(bottom, 1))


def _layout(graph: Graph, shapes: Sequence[tuple[int, ...]] | None = None) -> dict[str, Any]:
    p = _place_all(graph, shapes)
    xs, ys, layers = p.xs, p.ys, p.layers
    n = len(layers)
    keys = [f"n{i}" for i in range(n)]  # Node.key
    nodes: dict[str, dict[str, Any]] = {
        keys[i]: {"x": xs[i], "y": ys[i], "layer": layers[i]} for i in range(n)}
    for i, view in enumerate(p.views):
        if view is not None:
            nodes[keys[i]]["view"] = view
    ptr = p.ptr.tolist()
    points = [[xs[q], ys[q]] for q in p.path.tolist()]
    edges = [{"from": keys[u], "to": keys[v], "points": points[ptr[e]:ptr[e + 1]]}
             for e, (u, v) in enumerate(zip(p.src.tolist(), p.dst.tolist(), strict=True))]
    return {"nodes": nodes, "edges": edges, "width": p.width, "height": p.height}


class LayoutArrays(NamedTuple):
    """A layout as arrays, what `layout_columns` writes as lists (`layout_arrays`)."""

    x: np.ndarray  # each node's, float64
    y: np.ndarray
    layer: np.ndarray  # int64
    view_at: list[int]  # the tensor nodes
    views: list[dict[str, Any]]  # their views
    bend_lengths: np.ndarray  # each wire's count of inner coordinates (x and y each count)
    bends: np.ndarray  # every wire's inner points, x and y interleaved, wire after wire
    width: float
    height: float


def layout_arrays(graph: Graph, shapes: Sequence[tuple[int, ...]] | None = None
                  ) -> LayoutArrays:
    """`layout_columns(graph, shapes)` as arrays: the same numbers, no list of them made
    (for the packed answer, app/packed.py)."""
    if len(graph) <= CACHE_NODES:
        found = layout(graph, shapes)
        placed = list(found["nodes"].values())
        views = [p.get("view") for p in placed]
        at = [k for k, v in enumerate(views) if v is not None]
        inner = [[c for q in w["points"][1:-1] for c in q] for w in found["edges"]]
        return LayoutArrays(
            np.array([p["x"] for p in placed], dtype=float),
            np.array([p["y"] for p in placed], dtype=float),
            np.array([p["layer"] for p in placed], dtype=np.int64), at,
            [v for v in views if v is not None], np.fromiter(map(len, inner), np.int64, len(inner)),
            np.array([c for w in inner for c in w], dtype=float),
            found["width"], found["height"])
    p = _place_all(graph, shapes)
    at = [k for k, v in enumerate(p.views) if v is not None]
    lengths, flat = _bends(p)
    n = len(p.layer)
    views = [v for v in p.views if v is not None]
    return LayoutArrays(p.x[:n], p.y[:n], p.layer.astype(np.int64), at, views, lengths, flat,
                        p.width, p.height)


def _bends(p: _Placed) -> tuple[np.ndarray, np.ndarray]:
    """Each wire's count of inner coordinates and all of them, x and y interleaved (a
    wire's inner points are its dummies)."""
    inner = np.ones(len(p.path), dtype=bool)
    inner[p.ptr[:-1]] = False
    inner[p.ptr[1:] - 1] = False
    ids = p.path[inner]
    flat = np.empty(2 * len(ids))
    flat[0::2] = p.x[ids]
    flat[1::2] = p.y[ids]
    return 2 * (np.diff(p.ptr) - 2), flat


def layout_columns(graph: Graph, shapes: Sequence[tuple[int, ...]] | None = None
                   ) -> dict[str, Any]:
    """`layout(graph, shapes)` in the columns form of app/columns.py (equal to what its
    `to_columns` makes of it), written from the arrays for a big circuit: no object per
    node or wire is made on the way."""
    if len(graph) <= CACHE_NODES:
        found = layout(graph, shapes)
        placed = found["nodes"].values()
        views = [p.get("view") for p in placed]
        at = [k for k, v in enumerate(views) if v is not None]
        return {"nodes": {"x": [p["x"] for p in placed], "y": [p["y"] for p in placed],
                          "layer": [p["layer"] for p in placed],
                          "view": {"at": at, "values": [views[k] for k in at]}},
                "edges": {"bends": [[c for q in w["points"][1:-1] for c in q]
                                    for w in found["edges"]]},
                "width": found["width"], "height": found["height"]}
    p = _place_all(graph, shapes)
    at = [k for k, v in enumerate(p.views) if v is not None]
    lengths, flat = _bends(p)
    flat_list = flat.tolist()
    cut = lengths.cumsum().tolist()
    starts = [0, *cut[:-1]] if cut else []
    n = len(p.layer)
    return {"nodes": {"x": p.x[:n].tolist(), "y": p.y[:n].tolist(), "layer": p.layers,
                      "view": {"at": at, "values": [p.views[k] for k in at]}},
            "edges": {"bends": [flat_list[a:b] for a, b in zip(starts, cut, strict=True)]},
            "width": p.width, "height": p.height}


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
