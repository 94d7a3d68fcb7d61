"""Layers and dummy nodes: the graph as a proper layered graph (every segment spans one layer).

Internal node ids: the graph's nodes keep their ids 0..n-1; dummy nodes follow.
"""

from __future__ import annotations

from itertools import chain
from typing import NamedTuple

import numpy as np

from app.graph import Graph
from app.layout.simplex import network_simplex

# Dummy nodes allowed per real node (plus a floor for small graphs). Beyond it the
# longest edges get none: they are drawn straight and crossing reduction ignores them,
# so a pathological program (one input used at every step of a long chain) stays linear.
DUMMIES_PER_NODE = 8
DUMMY_FLOOR = 20_000


class Layered(NamedTuple):
    n_real: int
    layer: np.ndarray  # per internal node (real, then dummy)
    is_const: np.ndarray  # per internal node; dummies are False
    edge_src: np.ndarray  # per graph edge, in order of target then input slot
    edge_dst: np.ndarray
    edge_ptr: np.ndarray  # edge e's drawn path is path[edge_ptr[e]:edge_ptr[e + 1]]
    path: np.ndarray  # source, dummies (one per layer crossed), target; unrouted: source, target
    seg_src: np.ndarray  # one-layer segments of the routed paths
    seg_dst: np.ndarray

    @property
    def n_total(self) -> int:
        return len(self.layer)


def assign_layers(graph: Graph) -> np.ndarray:
    """Layers that keep wires short: longest path, then every node pulled towards its users.

    First every gate sits one layer right of its latest input, inputs and constants in
    layer 0, and the output, when nothing uses it, in the last layer. Then, from the
    output back, a node with more wires out than in moves right to just before its
    first user (the moves that shorten the wires in all, as Graphviz's network simplex
    would): an input or a constant comes to sit beside the gate that first uses it, so
    a weight of a network written neuron by neuron sits beside its wire, not in a
    column of every weight on the far left.
    """
    ops, inputs = graph.ops, graph.inputs
    n = len(ops)
    layer = [0] * n
    for i, ins in enumerate(inputs):
        if len(ins) == 2:  # the common case, without a list and a max call
            la, lb = layer[ins[0]], layer[ins[1]]
            layer[i] = (la if la > lb else lb) + 1
        elif ins:
            layer[i] = 1 + max([layer[j] for j in ins])
    if n > SHIFT_NODES:
        return _pulled_right(layer, inputs, graph.output)
    users: list[list[int]] = [[] for _ in range(n)]
    for i, ins in enumerate(inputs):
        for j in ins:
            users[j].append(i)
    if n <= SIMPLEX_NODES:
        counts = np.fromiter(map(len, inputs), np.int64, n)
        src = np.fromiter(chain.from_iterable(inputs), np.int64, int(counts.sum()))
        dst = np.repeat(np.arange(n, dtype=np.int64), counts)
        best = network_simplex(n, src, dst, np.asarray(layer, dtype=np.int64))
        if n and not users[graph.output]:  # dead code may reach further right: move the
            best[graph.output] = best.max()  # output last, and what only it uses beside it
            for j in inputs[graph.output]:
                if not inputs[j]:
                    best[j] = min(best[i] for i in users[j]) - 1
        return best
    if n and not users[graph.output]:
        layer[graph.output] = max(layer)
    for j in range(n - 1, -1, -1):
        out = users[j]
        if out and len(out) > len(inputs[j]):
            first = (layer[out[0]] if len(out) == 1 else min([layer[i] for i in out])) - 1
            if first > layer[j]:
                layer[j] = first
    _shift(layer, inputs, users, budget=MOVE_BUDGET * n + 1_000)
    return np.asarray(layer, dtype=np.int64)


def _pulled_right(layer: list[int], inputs: list[tuple[int, ...]], output: int) -> np.ndarray:
    """`assign_layers`' pull to the right for a big circuit, with numpy where it can: the
    same layers. A node nothing uses is nobody's user, so the leaves (inputs, constants)
    pulled towards their users change no other node's pull: the gates that fan out are
    pulled one by one from the output back, as `assign_layers` does, then every leaf at
    once to just before its first user."""
    n = len(layer)
    counts = np.fromiter(map(len, inputs), np.int64, n)
    src = np.fromiter(chain.from_iterable(inputs), np.int64, int(counts.sum()))
    dst = np.repeat(np.arange(n, dtype=np.int64), counts)
    fan = np.bincount(src, minlength=n)
    if fan[output] == 0:
        layer[output] = max(layer)
    o = np.argsort(src, kind="stable")
    users, ptr = dst[o].tolist(), np.searchsorted(src[o], np.arange(n + 1)).tolist()
    for j in np.flatnonzero((fan > counts) & (counts > 0))[::-1].tolist():
        first = min([layer[i] for i in users[ptr[j]:ptr[j + 1]]]) - 1
        if first > layer[j]:
            layer[j] = first
    at = np.asarray(layer, dtype=np.int64)
    leaves = (fan > counts) & (counts == 0)
    first_user = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first_user, src, at[dst])
    return np.where(leaves, np.maximum(at, first_user - 1), at)


MOVE_BUDGET = 20  # node moves per node the layering may try
# Past this many nodes the group moves are skipped: in plain Python they cost seconds
# (4 s on a 100,000-gate chain, where they find nothing; on micrograd's demo network they
# shorten the wires by 11%), and a circuit this big is seen whole, gates and wires.
SHIFT_NODES = 20_000
SIMPLEX_NODES = 3_000  # up to this many nodes, layers by the network simplex method


def _shift(layer: list[int], inputs: list[tuple[int, ...]], users: list[list[int]],
           budget: int) -> None:
    """Shorten the wires further by moving groups of nodes one layer at a time.

    Moving a node right lengthens its wires in and shortens its wires out; a user right
    next to it has to move too, and so on; moving left, the same with its inputs (Nikolov
    and Tarassov's promotion of nodes, both ways). A move is kept when the wires get
    shorter in all, and rounds go on while one shortens them, within `budget` node moves.
    Nothing moves past the first or the last layer.
    """
    n = len(layer)
    if not n:
        return
    last = max(layer)
    out_minus_in = [len(users[v]) - len(inputs[v]) for v in range(n)]
    improved = True
    while improved and budget > 0:
        improved = False
        for step, follow, sign in ((1, users, 1), (-1, inputs, -1)):
            for v in range(n):
                if budget <= 0:
                    break
                if out_minus_in[v] * sign <= 0:
                    continue
                moved: list[int] = []
                stack = [v]
                seen = {v}
                gain = 0  # how much shorter the wires get
                ok = True
                while stack:
                    w = stack.pop()
                    target = layer[w] + step
                    if target > last or target < 0:
                        ok = False
                        break
                    moved.append(w)
                    gain += out_minus_in[w] * sign
                    for u in follow[w]:
                        if layer[u] == target and u not in seen:
                            seen.add(u)
                            stack.append(u)
                budget -= len(moved)
                if ok and gain > 0:
                    for w in moved:
                        layer[w] += step
                    improved = True
def build_layered(graph: Graph) -> Layered:
    """Layers, edges, and a chain of dummy nodes for every edge that spans several layers."""
    n = len(graph.ops)
    layer = assign_layers(graph)
    counts = np.fromiter(map(len, graph.inputs), np.int64, n)
    n_edges = int(counts.sum())
    src = np.fromiter(chain.from_iterable(graph.inputs), np.int64, n_edges)
    dst = np.repeat(np.arange(n, dtype=np.int64), counts)
    need = layer[dst] - layer[src] - 1  # dummies each edge needs
    routed = np.ones(n_edges, dtype=bool)
    budget = DUMMY_FLOOR + DUMMIES_PER_NODE * n
    if need.sum() > budget:  # route the shortest edges first, stop at the budget
        by_span = np.argsort(need, kind="stable")
        routed[by_span[np.cumsum(need[by_span]) > budget]] = False
    k = np.where(routed, need, 0)  # dummies per edge
    n_dummy = int(k.sum())
    path_len = k + 2
    edge_ptr = np.zeros(n_edges + 1, dtype=np.int64)
    np.cumsum(path_len, out=edge_ptr[1:])
    # Path of edge e: src, then dummies first_dummy[e] .. first_dummy[e] + k[e] - 1, then dst.
    first_dummy = n + np.cumsum(k) - k
    step = np.arange(edge_ptr[-1], dtype=np.int64) - np.repeat(edge_ptr[:-1], path_len)
    path = np.repeat(first_dummy - 1, path_len) + step
    path[edge_ptr[:-1]] = src
    path[edge_ptr[1:] - 1] = dst
    dummy_layer = (np.repeat(layer[src], k)
                   + np.arange(n_dummy, dtype=np.int64) - np.repeat(first_dummy - n, k) + 1)
    full_layer = np.concatenate([layer, dummy_layer])
    is_const = np.zeros(n + n_dummy, dtype=bool)
    is_const[:n] = np.fromiter((op == "const" for op in graph.ops), bool, n)
    # Segments: consecutive path entries of routed edges.
    within = np.ones(len(path), dtype=bool)
    within[edge_ptr[1:] - 1] = False  # the last entry of a path starts no segment
    within[edge_ptr[:-1][~routed]] = False
    starts = np.flatnonzero(within)
    return Layered(n, full_layer, is_const, src, dst, edge_ptr, path,
                   path[starts], path[starts + 1])
