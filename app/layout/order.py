"""Crossing reduction: the order of the nodes within each layer.

A depth-first order from the output gives the start (trees come out planar). Then
Graphviz dot's search (plain.py is its specification): from that order and two
breadth-first ones, median sweeps and swaps of neighbours; on small graphs sifting
polishes the best; on graphs above `SMALL` nodes, kicks follow (neighbours swapped at
random from the best order, then swaps of neighbours that remove crossings or leave them
as they are, kept only when they remove crossings).
It runs compiled (`_ordering.c`, which gives exactly plain.py's answer) up to
`NATIVE_NODES` nodes; without the compiled module, in plain Python on small graphs and
in numpy (all layers' swaps at once, no kicks) up to `ROUND_WORK`. On huge graphs,
barycentric sweeps only.

Nodes are renumbered by their first slot so that each layer is a range of ids and a
sweep is a few numpy calls per layer. Crossings are counted after every sweep: over a
list of all segment pairs that could cross, made once (a few vectorised operations per
count), or, when that list would be too long, as inversions by a vectorised merge sort.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

import numpy as np

from app.layout import plain
from app.layout.layers import Layered

try:  # the search compiled (_ordering.c); plain.py is the same in Python
    from app.layout import _ordering
except ImportError:  # built without a C compiler: plain.py on small graphs, numpy beyond
    _ordering = None  # type: ignore[assignment]

MAX_ROUNDS = 4  # a round is one sweep each way
PAIR_LIMIT = 500_000  # segment pairs up to which crossings are counted pair by pair
SWEEP_ROUNDS = 24  # rounds of the thorough search, as Graphviz's dot (its MaxIter)
EXCHANGE_PASSES = 30  # passes of swaps after each sweep, at most
MAX_ITER = 24  # Graphviz dot's mincross parameters
MIN_QUIT = 8
CONVERGENCE = plain.CONVERGENCE
SMALL = 120  # nodes (dummies included) up to which the search runs in plain Python
SMALL_MIN_QUIT = 3  # … with less patience: small graphs settle in a few iterations
SMALL_MAX_ITER = 8
ROUND_WORK = 120_000  # node-rounds up to which the thorough search runs
SIFT_ROUNDS = 3  # passes of sifting over every layer after the search, at most …
LARGE_SIFT_ROUNDS = 0  # … and none above SMALL nodes, where kicks do the further work
NATIVE_NODES = 20_000  # nodes up to which the compiled search runs (when built)
KICK_WORK = 32_000  # node-kicks: kicks out of local minima, fewer as graphs grow …
MAX_KICKS = 12  # … and at most this many
KICK_ONE_IN = 5  # a kick swaps each pair of neighbours once in this many, then swaps
KICK_POLISH = 0  # neighbours along plateaus; more iterations after it found no fewer


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


def first_slots(lay: Layered, keys: Sequence[int]
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The first order, with nodes numbered by their slot: `perm` (slot -> node), each
    slot's layer, each layer's first slot (and the end), and the segments by slot.

    Real nodes sort by `keys`; a dummy just after its edge's source, then by the edge's
    target.
    """
    n, total = lay.n_real, lay.n_total
    layer = lay.layer
    key1 = np.empty(total)
    key2 = np.zeros(total)
    key1[:n] = keys
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
    return perm, slot_layer, start, slot[lay.seg_src], slot[lay.seg_dst]


def order_nodes(lay: Layered, keys: Sequence[int]) -> tuple[np.ndarray, int]:
    """The final order: each internal node's slot (layers left to right, each top to bottom).

    Returns the slots and the number of crossings of that order.
    """
    n, total = lay.n_real, lay.n_total
    perm, slot_layer, start, s, t = first_slots(lay, keys)
    thorough = total * SWEEP_ROUNDS <= ROUND_WORK
    if total <= SMALL or (_ordering is not None and total <= NATIVE_NODES):
        # dot's search, sifting, and on all but small graphs kicks out of local minima
        if total <= SMALL:
            params = (SMALL_MIN_QUIT, SMALL_MAX_ITER, SIFT_ROUNDS, 0, KICK_ONE_IN, KICK_POLISH)
        else:
            params = (MIN_QUIT, MAX_ITER, LARGE_SIFT_ROUNDS if thorough else 0,
                      min(MAX_KICKS, KICK_WORK // total) if thorough else 0,
                      KICK_ONE_IN, KICK_POLISH)
        pos, best = _search(s, t, start, params)
    else:
        sweeps = _Sweeps(s, t, slot_layer, start)
        if sweeps.best and thorough:
            # the thorough search in numpy, where the compiled one is not built
            exchanges = _Exchanges(sweeps, slot_layer, start)
            starts = [_bfs_places(s, t, slot_layer, start, down) for down in (True, False)]
            pos = sweeps.search(exchanges, starts)
            pos = _sifted(pos, s, t, start)
            sweeps.set_positions(pos)
            sweeps.best = sweeps.count()
        else:
            pos = sweeps.reduce()
        best = sweeps.best
    pos = _program_order_up(pos, perm, slot_layer, start, n)
    _isolated_in_program_order(pos, perm, slot_layer, start,
                               np.bincount(s, minlength=total)
                               + np.bincount(t, minlength=total) == 0)
    final = np.empty(total, dtype=np.int64)
    final[perm] = start[slot_layer] + pos
    return final, best


def _search(s: np.ndarray, t: np.ndarray, start: np.ndarray,
            params: tuple[int, int, int, int, int, int]) -> tuple[np.ndarray, int]:
    """`plain.search` (compiled when built, which gives the same answer): each node's place
    and the crossings."""
    if _ordering is None:
        place, best = plain.search(s.tolist(), t.tolist(), start.tolist(), *params)
        return np.asarray(place, dtype=np.int64), best
    pos = np.empty(int(start[-1]), dtype=np.int64)
    best = _ordering.search(np.ascontiguousarray(start, dtype=np.int64),
                            np.ascontiguousarray(s, dtype=np.int64),
                            np.ascontiguousarray(t, dtype=np.int64), pos, *params)
    return pos, best


def _sifted(pos: np.ndarray, s: np.ndarray, t: np.ndarray, start: np.ndarray) -> np.ndarray:
    """`plain.sift` on an order the numpy search found."""
    total = int(start[-1])
    left: list[list[int]] = [[] for _ in range(total)]
    right: list[list[int]] = [[] for _ in range(total)]
    for a, b in zip(s.tolist(), t.tolist(), strict=True):
        right[a].append(b)
        left[b].append(a)
    return np.asarray(plain.sift(pos.tolist(), start.tolist(), left, right, SIFT_ROUNDS),
                      dtype=np.int64)


def _isolated_in_program_order(pos: np.ndarray, perm: np.ndarray, slot_layer: np.ndarray,
                               start: np.ndarray, isolated: np.ndarray) -> None:
    """Nodes with no wire at all (inputs nothing uses) in program order, top to bottom,
    in the places they hold: no crossing depends on them."""
    idx = np.flatnonzero(isolated)
    if len(idx) < 2:
        return
    layer = slot_layer[idx]
    by_place = idx[np.lexsort((pos[idx], layer))]
    by_node = idx[np.lexsort((perm[idx], layer))]
    pos[by_node] = pos[by_place]


def _program_order_up(pos: np.ndarray, perm: np.ndarray, slot_layer: np.ndarray,
                      start: np.ndarray, n: int) -> np.ndarray:
    """The order upside down if that puts more of the program's nodes in program order,
    top to bottom, in their layers (x above y when x is named first): a flip changes no
    crossing, and a reader expects i1 above i2."""
    real = np.flatnonzero(perm < n)  # slots of real nodes
    if len(real) < 2:
        return pos
    layer, place, node = slot_layer[real], pos[real], perm[real]
    o = np.lexsort((node, layer))
    layer, place = layer[o], place[o]
    # pairs of one layer with the earlier node lower down, of all the pairs of one layer
    disagree = _inversions(layer, np.arange(len(o)), place, len(o), int(place.max()) + 1)
    per_layer = np.bincount(layer)
    pairs = int((per_layer * (per_layer - 1) // 2).sum())
    if 2 * disagree <= pairs:
        return pos
    width = np.diff(start)[slot_layer]
    return width - 1 - pos


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
        self.width_of = width[slot_layer].astype(float)
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

    def sweep(self, side: int, median: bool = False) -> None:
        """Reorder every layer, one after the other, by its neighbours on one side: the mean
        of their places (barycentre) or, with `median`, the median."""
        layers, local, nbr, inv_deg = self.sides[side]
        pos, npos, tie = self.pos, self.npos, self.tie
        for st, en, r0, r1, w, places, centres in layers:
            if median:
                key = _medians(local[r0:r1], npos[nbr[r0:r1]], w)
            else:
                key = np.bincount(local[r0:r1], npos[nbr[r0:r1]], w)
                key *= inv_deg[st:en]  # type: ignore[arg-type]  # weighted counts are floats
            key += pos[st:en] * tie[st:en]
            moved = key.argsort()
            moved += st
            pos[moved] = places
            npos[moved] = centres

    def median_sweep(self, down: bool, reverse: bool) -> None:
        """Graphviz's reorder: each layer in turn (left to right, or right to left), the nodes
        with neighbours on the side just visited sorted by the weighted median of those
        neighbours' places (ties broken by current place, or against it with `reverse`);
        a node with no neighbour there keeps its slot."""
        layers, local, nbr, inv_deg = self.sides[0 if down else 1]
        pos, npos = self.pos, self.npos
        for st, en, r0, r1, w, _places, centres in layers:
            group, value = local[r0:r1], pos[nbr[r0:r1]].astype(float)
            real = nbr[r0:r1] != group + st  # not the node standing in as its own neighbour
            key, fixed = _weighted_medians(group[real], value[real], w)
            mine = pos[st:en]
            tie = mine * (-1e-6 if reverse else 1e-6)
            movable = np.flatnonzero(~fixed)
            if len(movable) < 2:
                continue
            slots = np.sort(mine[movable])
            moved = movable[np.argsort(key[movable] + tie[movable], kind="stable")]
            pos[moved + st] = slots
            npos[moved + st] = centres[slots]

    def search(self, exchanges: _Exchanges, starts: list[np.ndarray]) -> np.ndarray:
        """Graphviz dot's crossing minimisation: from each start, swaps of neighbours and four
        iterations; from the best, up to MAX_ITER more, stopping after MIN_QUIT that do not
        improve it by half a percent. An iteration is one median sweep, alternately down and
        up, then swaps of neighbours until none removes a crossing."""
        best_pos, best = self.pos.copy(), self.count()
        for start in [None, *starts]:
            if start is not None:
                self.set_positions(start)
            exchanges.run(EXCHANGE_PASSES)
            c = self.count()
            if c <= best:
                best, best_pos = c, self.pos.copy()
            best, best_pos = self._iterate(exchanges, 4, best, best_pos)
        self.set_positions(best_pos)
        best, best_pos = self._iterate(exchanges, MAX_ITER, best, best_pos)
        self.set_positions(best_pos)
        self.best = best
        return best_pos

    def _iterate(self, exchanges: _Exchanges, iterations: int, best: int,
                 best_pos: np.ndarray) -> tuple[int, np.ndarray]:
        trying = 0
        c = self.count()
        for it in range(iterations):
            if trying >= MIN_QUIT or c == 0:
                break
            trying += 1
            reverse = it % 4 < 2
            self.median_sweep(down=it % 2 == 0, reverse=reverse)
            exchanges.run(EXCHANGE_PASSES, reverse=not reverse)
            c = self.count()
            if c <= best:
                if c < CONVERGENCE * best:
                    trying = 0
                best, best_pos = c, self.pos.copy()
        return best, best_pos

    def set_positions(self, pos: np.ndarray) -> None:
        self.pos[:] = pos
        self.npos[:] = (pos + 0.5) / self.width_of

    def reduce(self, rounds: int = MAX_ROUNDS, patience: int = 1) -> np.ndarray:
        """The quick search, for huge graphs: sweep both ways (by barycentres, and by medians
        every other round) until `patience` rounds in a row bring no improvement; the best
        order seen. Where crossings are counted by merging (too many segment pairs to list,
        a third of a second a count on micrograd's demo network), they are counted after
        each round, not after each sweep."""
        best_pos = self.pos.copy()
        idle = 0
        each_sweep = self.pairs is not None
        for k in range(rounds):
            if self.best == 0:
                break
            improved = False
            for side in (0, 1):
                self.sweep(side, median=k % 2 == 1)
                if side == 0 and not each_sweep:
                    continue
                c = self.count()
                if c <= self.best:
                    improved = improved or c < self.best
                    self.best, best_pos = c, self.pos.copy()
                    if c == 0:
                        break
            idle = 0 if improved else idle + 1
            if idle >= patience:
                break
        self.pos[:] = best_pos
        return best_pos


def _bfs_places(s: np.ndarray, t: np.ndarray, slot_layer: np.ndarray, start: np.ndarray,
                down: bool) -> np.ndarray:
    """Graphviz's other starting orders: a breadth-first walk from every node with no
    segment coming in (or, not `down`, going out), in slot order, each node placed at the
    end of its layer when first reached."""
    total = len(slot_layer)
    src, dst = (s, t) if down else (t, s)
    o = np.argsort(src, kind="stable")
    ptr = np.zeros(total + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=total), out=ptr[1:])
    nbr = dst[o].tolist()
    ptr_l = ptr.tolist()
    roots = np.flatnonzero(np.bincount(dst, minlength=total) == 0).tolist()
    seen = bytearray(total)
    filled = [0] * (len(start) - 1)
    layer = slot_layer.tolist()
    pos = [0] * total
    queue: deque[int] = deque()
    for root in roots:
        if seen[root]:
            continue
        seen[root] = 1
        queue.append(root)
        while queue:
            v = queue.popleft()
            k = layer[v]
            pos[v] = filled[k]
            filled[k] += 1
            for u in nbr[ptr_l[v]:ptr_l[v + 1]]:
                if not seen[u]:
                    seen[u] = 1
                    queue.append(u)
    return np.asarray(pos, dtype=np.int64)


def _weighted_medians(group: np.ndarray, value: np.ndarray, width: int
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Graphviz's median of each group 0..width-1 and which groups have no value.

    One value: itself; two: their mean; an odd count: the middle; an even count: the two
    middle ones weighted towards the side whose values are closer together.
    """
    count = np.bincount(group, minlength=width)
    fixed = count == 0
    key = np.zeros(width)
    if not len(group):
        return key, fixed
    o = np.lexsort((value, group))
    v = value[o]
    first = np.cumsum(count) - count
    has = ~fixed
    c, f = count[has], first[has]
    low, high = v[f + (c - 1) // 2], v[f + c // 2]
    med = (low + high) / 2
    even = (c % 2 == 0) & (c > 2)
    if even.any():
        lspan = low[even] - v[f[even]]
        rspan = v[f[even] + c[even] - 1] - high[even]
        both = lspan + rspan
        weighted = np.where(both > 0, (low[even] * rspan + high[even] * lspan)
                            / np.where(both > 0, both, 1), med[even])
        med[even] = np.where(lspan == rspan, med[even], weighted)
    key[has] = med
    return key, fixed


def _medians(group: np.ndarray, value: np.ndarray, width: int) -> np.ndarray:
    """The median of the values of each group 0..width-1 (every group has one at least);
    for an even count, the mean of the middle two."""
    o = np.lexsort((value, group))
    v = value[o]
    count = np.bincount(group, minlength=width)
    first = np.cumsum(count) - count
    low = v[first + (count - 1) // 2]
    high = v[first + count // 2]
    return (low + high) / 2


class _Exchanges:
    """Swaps of neighbours, in every layer at once, while they remove crossings.

    A pair of neighbours u above v is worth swapping when the segments of u and v cross
    more the way they are than the other way round, towards both neighbouring layers.
    Swaps of disjoint pairs in one layer do not change each other's worth, nor do swaps
    two layers apart, so a pass swaps the worthwhile pairs (first, third, … then second,
    fourth, …) of the even layers, then of the odd ones: four batches of numpy calls.
    """

    def __init__(self, sweeps: _Sweeps, slot_layer: np.ndarray, start: np.ndarray) -> None:
        self.sweeps = sweeps
        self.pos = sweeps.pos  # a node's place in its layer, changed in place
        total = len(slot_layer)
        self.slot_layer = slot_layer
        self.start = start
        s, t = sweeps.s, sweeps.t
        # neighbours on either side, grouped by node (CSR)
        self.sides = []
        for me, nbr in ((s, t), (t, s)):
            o = np.argsort(me, kind="stable")
            ptr = np.zeros(total + 1, dtype=np.int64)
            np.cumsum(np.bincount(me, minlength=total), out=ptr[1:])
            self.sides.append((ptr, nbr[o]))
        self.node_at = np.empty(total, dtype=np.int64)  # slot (layer start + place) -> node

    def run(self, passes: int, reverse: bool = False) -> None:
        """Passes of swaps until one removes no crossing. With `reverse`, pairs whose
        crossings a swap leaves as many are swapped too (as Graphviz's transpose does every
        other round), which moves the search along a plateau."""
        for _ in range(passes):
            gained = 0
            for parity_layer in (0, 1):
                for parity_pair in (0, 1):
                    gained += self._batch(parity_layer, parity_pair, reverse)
            if not gained:
                break

    def _batch(self, parity_layer: int, parity_pair: int, reverse: bool = False) -> int:
        pos, start, layer = self.pos, self.start, self.slot_layer
        self.node_at[start[layer] + pos] = np.arange(len(pos))
        # upper members u of the candidate pairs: place ≡ parity, a lower neighbour exists
        width = np.diff(start)[layer]
        u = np.flatnonzero(((layer & 1) == parity_layer) & ((pos & 1) == parity_pair)
                           & (pos + 1 < width))
        if not len(u):
            return 0
        v = self.node_at[start[layer[u]] + pos[u] + 1]
        now = np.zeros(len(u), dtype=np.int64)  # crossings between u's and v's segments
        then = np.zeros(len(u), dtype=np.int64)  # the same with u and v swapped
        for ptr, nbr in self.sides:
            du, dv = ptr[u + 1] - ptr[u], ptr[v + 1] - ptr[v]
            m = du * dv
            size = int(m.sum())
            if not size:
                continue
            pair = np.repeat(np.arange(len(u)), m)
            k = np.arange(size) - np.repeat(np.cumsum(m) - m, m)
            dvr = dv[pair]
            a = nbr[ptr[u][pair] + k // dvr]
            b = nbr[ptr[v][pair] + k % dvr]
            pa, pb = pos[a], pos[b]
            # as they are (u above v), crossings are pairs with a below b; swapped, above
            now += np.bincount(pair, pa > pb, len(u)).astype(np.int64)
            then += np.bincount(pair, pa < pb, len(u)).astype(np.int64)
        better = then < now
        go = better | ((then == now) & (now > 0)) if reverse else better
        if not go.any():
            return 0
        uu, vv = u[go], v[go]
        pos[uu] += 1
        pos[vv] -= 1
        npos = self.sweeps.npos
        npos[uu], npos[vv] = npos[vv], npos[uu].copy()
        return int((now - then)[go].sum())  # crossings removed
