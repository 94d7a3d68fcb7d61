"""Crossing reduction: the order of the nodes within each layer.

A depth-first order from the output gives the start (trees come out planar), then
barycentric sweeps alternately left to right and right to left, keeping the ordering
with the fewest crossings seen; on small graphs, swapping neighbours polishes it.

Nodes are renumbered by their first slot so that each layer is a range of ids and a
sweep is a few numpy calls per layer. Crossings are counted after every sweep: over a
list of all segment pairs that could cross, made once (a few vectorised operations per
count), or, when that list would be too long, as inversions by a vectorised merge sort.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from app.layout.layers import Layered

MAX_ROUNDS = 4  # a round is one sweep each way
PAIR_LIMIT = 500_000  # segment pairs up to which crossings are counted pair by pair
TRANSPOSE_LIMIT = 2_000  # nodes (dummies included) up to which adjacent swaps polish the order


def crossings(group: np.ndarray, a: np.ndarray, b: np.ndarray) -> int:
    """Pairs of segments i, j in the same group with a_i < a_j and b_i > b_j.

    A segment runs from position `a` in one layer to position `b` in the next; `group`
    names the pair of layers. Any comparable numbers will do (they are ranked first).
    """
    if len(a) < 2:
        return 0
    ranks = [np.unique(col, return_inverse=True)[1].ravel().astype(np.int64)
             for col in (group, a, b)]
    return _inversions(ranks[0], ranks[1], ranks[2], int(ranks[1].max()) + 1,
                       int(ranks[2].max()) + 1)


def _inversions(g: np.ndarray, a: np.ndarray, b: np.ndarray, a_span: int, b_span: int) -> int:
    """`crossings` for non-negative integers below the spans, as inversions of b.

    Sorted by group, then a, then b, the crossings are the pairs that are out of order
    in b (within a group). They are counted with a bottom-up merge: at each level every
    element of a block's right half counts the left-half elements above it, all blocks
    at once with one sort and two binary searches.
    """
    m = len(a)
    if m < 2:
        return 0
    order = np.argsort((g * a_span + a) * b_span + b)
    g, v = g[order], b[order]
    first = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    sizes = np.diff(np.r_[first, m])
    size = np.repeat(sizes, sizes)  # of each element's group
    idx = np.arange(m, dtype=np.int64)
    pos = idx - np.repeat(first, sizes)
    total = 0
    half = 1
    while len(idx):
        block = idx - pos % (2 * half)  # index of the block's first element
        right = (pos & half) != 0
        left_keys = block[~right] * b_span + v[~right]
        left_keys.sort()
        rb = block[right] * b_span
        above = (np.searchsorted(left_keys, rb + (b_span - 1), side="right")
                 - np.searchsorted(left_keys, rb + v[right], side="right"))
        total += int(above.sum())
        half *= 2
        busy = size > half  # groups that still have a block to merge
        idx, pos, v, size = idx[busy], pos[busy], v[busy], size[busy]
    return total


def _segment_pairs(group: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Every pair of segments between the same two layers, or None if there are too many.

    Which segments can cross never changes while the order does, so with the pairs
    listed once a count is a few vectorised operations: two segments cross exactly when
    their ends are in opposite orders in the two layers.
    """
    o = np.argsort(group, kind="stable")
    end = np.searchsorted(group[o], group[o], side="right")
    later = end - np.arange(len(o)) - 1  # segments after each one in its group
    n_pairs = int(later.sum())
    if n_pairs > PAIR_LIMIT:
        return None
    first = np.repeat(np.arange(len(o)), later)
    step = np.arange(n_pairs) - np.repeat(np.cumsum(later) - later, later) + 1
    return o[first], o[first + step]


def dfs_keys(inputs: Sequence[tuple[int, ...]], output: int) -> list[int]:
    """Post-order of a depth-first walk from the output through the inputs in slot order.

    Whatever the output does not use is walked afterwards, from each unused node in
    program order. In a tree every subtree is a run of consecutive keys, so sorting a
    layer by key never crosses edges.
    """
    n = len(inputs)
    key = [-1] * n
    seen = [False] * n
    counter = 0
    used = [False] * n
    for ins in inputs:
        for j in ins:
            used[j] = True
    for root in [output, *(v for v in range(n) if not used[v])]:
        if seen[root]:
            continue
        seen[root] = True
        nodes, slots = [root], [0]
        while nodes:
            v = nodes[-1]
            ins = inputs[v]
            k = slots[-1]
            if k < len(ins):
                slots[-1] = k + 1
                u = ins[k]
                if not seen[u]:
                    seen[u] = True
                    nodes.append(u)
                    slots.append(0)
            else:
                nodes.pop()
                slots.pop()
                key[v] = counter
                counter += 1
    return key


def order_nodes(lay: Layered, keys: Sequence[int]) -> tuple[np.ndarray, int]:
    """The final order: each internal node's slot (layers left to right, each top to bottom).

    Returns the slots and the number of crossings of that order.
    """
    n, total = lay.n_real, lay.n_total
    layer = lay.layer
    key1 = np.empty(total)
    key2 = np.zeros(total)
    key1[:n] = keys
    # A dummy sorts just after its edge's source, then by the edge's target.
    edge_of = np.repeat(np.arange(len(lay.edge_src)), np.diff(lay.edge_ptr))
    at = np.flatnonzero(lay.path >= n)
    dummies, edges = lay.path[at], edge_of[at]
    key1[dummies] = key1[lay.edge_src[edges]] + 0.5
    key2[dummies] = key1[lay.edge_dst[edges]]
    perm = np.lexsort((key2, key1, layer))  # slot -> node
    slot = np.empty(total, dtype=np.int64)
    slot[perm] = np.arange(total)
    n_layers = int(layer.max()) + 1 if total else 0
    slot_layer = layer[perm]
    start = np.searchsorted(slot_layer, np.arange(n_layers + 1))
    sweeps = _Sweeps(slot[lay.seg_src], slot[lay.seg_dst], slot_layer, start)
    pos = sweeps.reduce()
    if sweeps.best and total <= TRANSPOSE_LIMIT:
        sweeps.best -= _transpose(pos, sweeps.s.tolist(), sweeps.t.tolist(), start.tolist())
    final = np.empty(total, dtype=np.int64)
    final[perm] = start[slot_layer] + pos
    return final, sweeps.best


class _Sweeps:
    """Barycentric sweeps over nodes numbered by their initial slot (so a layer is a range).

    `pos` is each node's place in its layer, `npos` the same scaled into (0, 1) so that
    layers of different widths compare. A node with no neighbour on the side a sweep
    looks at counts as its own neighbour, so it keeps its place.
    """

    def __init__(self, s: np.ndarray, t: np.ndarray, slot_layer: np.ndarray,
                 start: np.ndarray) -> None:
        total = len(slot_layer)
        width = np.diff(start)
        self.s, self.t = s, t
        self.seg_layer = slot_layer[s]
        self.width_span = int(width.max()) if total else 1
        self.pos = np.arange(total, dtype=np.int64) - start[slot_layer]
        self.npos = (self.pos + 0.5) / width[slot_layer]
        self.tie = 1e-10 / width[slot_layer]  # breaks equal barycentres by current place
        centres: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        st, en = start[:-1].tolist(), start[1:].tolist()
        self.sides = []
        for me, nbr, order in ((t, s, range(len(st))), (s, t, reversed(range(len(st))))):
            alone = np.flatnonzero(np.bincount(me, minlength=total) == 0)
            me = np.concatenate([me, alone])
            nbr = np.concatenate([nbr, alone])
            o = np.argsort(me, kind="stable")
            me, nbr = me[o], nbr[o]
            inv_deg = 1.0 / np.bincount(me, minlength=total)
            ptr = np.searchsorted(me, start).tolist()
            local = me - start[slot_layer[me]]
            layers = []
            for k in order:
                w = en[k] - st[k]
                if w > 1:
                    if w not in centres:
                        centres[w] = (np.arange(w), (np.arange(w) + 0.5) / w)
                    layers.append((st[k], en[k], ptr[k], ptr[k + 1], w, *centres[w]))
            self.sides.append((layers, local, nbr, inv_deg))
        self.pairs = _segment_pairs(self.seg_layer)
        self.best = self.count()

    def count(self) -> int:
        a, b = self.pos[self.s], self.pos[self.t]
        if self.pairs is None:
            return _inversions(self.seg_layer, a, b, self.width_span, self.width_span)
        p, q = self.pairs
        return int(np.count_nonzero((a[p] - a[q]) * (b[p] - b[q]) < 0))

    def sweep(self, side: int) -> None:
        layers, local, nbr, inv_deg = self.sides[side]
        pos, npos, tie = self.pos, self.npos, self.tie
        for st, en, r0, r1, w, places, centres in layers:
            key = np.bincount(local[r0:r1], npos[nbr[r0:r1]], w)
            key *= inv_deg[st:en]
            key += pos[st:en] * tie[st:en]
            moved = key.argsort()
            moved += st
            pos[moved] = places
            npos[moved] = centres

    def reduce(self) -> np.ndarray:
        """Sweep both ways until a round brings no improvement; the best order seen."""
        best_pos = self.pos.copy()
        for _ in range(MAX_ROUNDS):
            if self.best == 0:
                break
            improved = False
            for side in (0, 1):
                self.sweep(side)
                c = self.count()
                if c < self.best:
                    self.best, best_pos, improved = c, self.pos.copy(), True
                    if c == 0:
                        break
            if not improved:
                break
        return best_pos


def _transpose(pos: np.ndarray, s: list[int], t: list[int], start: list[int]) -> int:
    """Swap neighbours in a layer while that removes crossings; returns how many it removed.

    For small graphs only: pure Python, each pair compared edge by edge.
    """
    total = len(pos)
    place = pos.tolist()
    nbrs: list[list[int]] = [[] for _ in range(total)]
    for a, b in zip(s, t, strict=True):
        nbrs[a].append(b)
        nbrs[b].append(a)
    rows = []
    for k in range(len(start) - 1):
        row = list(range(start[k], start[k + 1]))
        row.sort(key=place.__getitem__)
        rows.append(row)

    first = [0] * total  # the first slot of each node's layer
    for k in range(len(start) - 1):
        first[start[k]:start[k + 1]] = [start[k]] * (start[k + 1] - start[k])

    def cost(u: int, v: int) -> int:
        """Crossings between the edges of u and those of v when u is just above v."""
        st = first[u]
        return sum(1 for a in nbrs[u] for b in nbrs[v]
                   if place[a] > place[b] and (a < st) == (b < st))

    removed = 0
    for _ in range(20):
        swapped = False
        for row in rows:
            for i in range(len(row) - 1):
                u, v = row[i], row[i + 1]
                gain = cost(u, v) - cost(v, u)
                if gain > 0:
                    row[i], row[i + 1] = v, u
                    place[u], place[v] = place[v], place[u]
                    removed += gain
                    swapped = True
        if not swapped:
            break
    pos[:] = place
    return removed
