"""Layers and dummy nodes: the graph as a proper layered graph (every segment spans one layer).

Internal node ids: the graph's nodes keep their ids 0..n-1; dummy nodes follow.
"""

from __future__ import annotations

from itertools import chain
from typing import NamedTuple

import numpy as np

from app.graph import Graph

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
    """Longest-path layers; each constant moved to just before its first user.

    Inputs are in layer 0, every gate one layer right of its latest input (a constant
    counts as layer 0 there), and the output, when nothing uses it, in the last layer.
    """
    ops, inputs = graph.ops, graph.inputs
    n = len(ops)
    layer = [0] * n
    for i, ins in enumerate(inputs):
        if ins:
            layer[i] = 1 + max([layer[j] for j in ins])
    used = [False] * n
    for ins in inputs:
        for j in ins:
            used[j] = True
    if n and not used[graph.output]:
        layer[graph.output] = max(layer)
    first_use = [-1] * n
    for i, ins in enumerate(inputs):
        for j in ins:
            if ops[j] == "const" and (first_use[j] < 0 or layer[i] < first_use[j]):
                first_use[j] = layer[i]
    for j in range(n):
        if first_use[j] > 0:
            layer[j] = first_use[j] - 1
    return np.asarray(layer, dtype=np.int64)


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
