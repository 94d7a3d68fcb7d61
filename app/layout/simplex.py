"""Layers by the network simplex method: the shortest wires in all, as Graphviz's dot.

Gansner, Koutsofios, North and Vo ("A technique for drawing directed graphs", 1993)
choose each node's layer to minimise the total length of the edges, Σ layer(head) −
layer(tail), every edge at least one layer long. That is a linear program whose basis is
a spanning tree of the graph: start from a feasible layering and a spanning tree of
tight edges (each exactly one layer long), and while some tree edge has a negative cut
value (moving one side of it would shorten the wires), swap it for the tightest edge
across the same cut and move that side.

Here a cut value comes from subtree sums: with the tree rooted, the subtree S below a
tree edge has (edges into S) − (edges out of S) = Σ over S of (in-degree − out-degree),
since an edge inside S counts once each way. So every cut value is one pass over the
tree. Each step recomputes them all (a few numpy calls on the tree in post-order), which
is simple and fast enough for the graphs it is given (see `MAX_STEPS`); the layout falls
back to its heuristic layers beyond.

`_simplex.c` is `_Simplex.solve` compiled, the same choices in the same order; it runs
when built, and this Python is its specification (tests/test_layout_native.py).
"""

from __future__ import annotations

import numpy as np

try:  # `_Simplex.solve` compiled (_simplex.c), which gives the same layers
    from app.layout import _simplex
except ImportError:  # built without a C compiler: this module's Python
    _simplex = None  # type: ignore[assignment]

# Exchanges tried per node, at most: the method usually needs far fewer (dot reports 140
# for a 1,000-gate random circuit); past it, the layering so far is kept (it is feasible).
STEPS_PER_NODE = 2


def network_simplex(n: int, src: np.ndarray, dst: np.ndarray, layer: np.ndarray,
                    max_steps: int | None = None) -> np.ndarray:
    """Layers minimising the total edge length, starting from the feasible `layer`.

    Each weakly connected component is solved on its own and starts at layer 0.
    """
    layer = np.asarray(layer, dtype=np.int64).copy()
    if n == 0 or len(src) == 0:
        return np.zeros(n, dtype=np.int64)
    comp = _components(n, src, dst)
    for c in np.unique(comp):
        nodes = np.flatnonzero(comp == c)
        if len(nodes) == 1:
            layer[nodes] = 0
            continue
        local = np.full(n, -1, dtype=np.int64)
        local[nodes] = np.arange(len(nodes))
        keep = local[src] >= 0
        steps = max_steps if max_steps is not None else STEPS_PER_NODE * len(nodes) + 50
        if _simplex is not None:
            solved = np.ascontiguousarray(layer[nodes], dtype=np.int64)
            _simplex.solve(np.ascontiguousarray(local[src[keep]], dtype=np.int64),
                           np.ascontiguousarray(local[dst[keep]], dtype=np.int64), solved, steps)
            layer[nodes] = solved
            continue
        sub = _Simplex(len(nodes), local[src[keep]], local[dst[keep]], layer[nodes])
        layer[nodes] = sub.solve(steps)
    return layer


def _components(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x
    for a, b in zip(src.tolist(), dst.tolist(), strict=True):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    return np.array([find(x) for x in range(n)], dtype=np.int64)


class _Simplex:
    """One connected component: its edges, layers and spanning tree of tight edges."""

    def __init__(self, n: int, src: np.ndarray, dst: np.ndarray, layer: np.ndarray) -> None:
        self.n = n
        self.src, self.dst = src, dst
        self.layer = np.asarray(layer, dtype=np.int64).copy()
        m = len(src)
        self.m = m
        # every node's incident edges, as lists (the tree walks are plain Python)
        self.incident: list[list[int]] = [[] for _ in range(n)]
        for e, (a, b) in enumerate(zip(src.tolist(), dst.tolist(), strict=True)):
            self.incident[a].append(e)
            self.incident[b].append(e)
        self.net = np.bincount(dst, minlength=n) - np.bincount(src, minlength=n)  # in − out
        self.in_tree = np.zeros(m, dtype=bool)

    def slack(self) -> np.ndarray:
        return self.layer[self.dst] - self.layer[self.src] - 1

    # -- a feasible tree ---------------------------------------------------------------

    def feasible_tree(self) -> None:
        """Grow a tree of tight edges from node 0; while it does not span, move the tree so
        that the tightest edge leaving it becomes tight, and grow again."""
        inside = np.zeros(self.n, dtype=bool)
        inside[0] = True
        self._grow([0], inside)
        while not inside.all():
            a_in, b_in = inside[self.src], inside[self.dst]
            crossing = np.flatnonzero(a_in != b_in)
            slack = self.slack()[crossing]
            k = int(np.argmin(slack))
            e = int(crossing[k])
            delta = int(slack[k])
            # tail inside: move the tree towards the head; head inside: away from the tail
            self.layer[inside] += delta if a_in[e] else -delta
            self.in_tree[e] = True
            outer = int(self.dst[e] if a_in[e] else self.src[e])
            inside[outer] = True
            self._grow([outer], inside)

    def _grow(self, frontier: list[int], inside: np.ndarray) -> None:
        layer, src, dst, in_tree = self.layer, self.src, self.dst, self.in_tree
        while frontier:
            v = frontier.pop()
            for e in self.incident[v]:
                u = int(dst[e]) if src[e] == v else int(src[e])
                if not inside[u] and layer[dst[e]] - layer[src[e]] == 1:
                    inside[u] = True
                    in_tree[e] = True
                    frontier.append(u)

    # -- the rooted tree and its cut values -------------------------------------------------

    def rooted(self) -> None:
        """Root the tree at node 0: each node's parent edge, post-order number (lim), the
        lowest number in its subtree (low), the nodes in post-order, and every cut value."""
        n = self.n
        src, dst = self.src.tolist(), self.dst.tolist()
        self.tree_adj: list[list[int]] = [[] for _ in range(n)]
        for e in np.flatnonzero(self.in_tree).tolist():
            self.tree_adj[src[e]].append(e)
            self.tree_adj[dst[e]].append(e)
        self.parent_edge = [-1] * n
        self.lim = [0] * n
        self.low = [0] * n
        self.order = [0] * n
        self._number(0, -1, 0)
        self.net_list = self.net.tolist()
        self.cut = np.zeros(n, dtype=np.int64)
        self._cuts(0, n - 1)

    def _number(self, root: int, parent_edge: int, first: int) -> None:
        """Post-order numbers from `first` for the subtree hanging from `root` by
        `parent_edge`, walking the current tree; parents and lows on the way."""
        src, dst = self.src, self.dst
        tree_adj, lim, low, order, parent = (self.tree_adj, self.lim, self.low, self.order,
                                             self.parent_edge)
        parent[root] = parent_edge
        counter = first
        stack = [(root, 0)]
        low[root] = first
        while stack:
            v, k = stack[-1]
            adj = tree_adj[v]
            if k < len(adj):
                stack[-1] = (v, k + 1)
                e = adj[k]
                if e == parent[v]:
                    continue
                u = int(dst[e]) if src[e] == v else int(src[e])
                parent[u] = e
                low[u] = counter
                stack.append((u, 0))
            else:
                stack.pop()
                lim[v] = counter
                order[counter] = v
                counter += 1

    def _cuts(self, lo: int, hi: int) -> None:
        """Cut values of the parent edges of the nodes numbered lo..hi (a whole subtree)."""
        seg = self.order[lo:hi + 1]
        net = [self.net_list[v] for v in seg]
        prefix = [0]
        acc = 0
        for x in net:
            acc += x
            prefix.append(acc)
        dst, parent, low, lim, cut = self.dst, self.parent_edge, self.low, self.lim, self.cut
        for v in seg:
            e = parent[v]
            if e < 0:
                continue
            d = prefix[lim[v] - lo + 1] - prefix[low[v] - lo]  # edges into S − out of S
            cut[v] = d if dst[e] == v else -d

    # -- the method -----------------------------------------------------------------------

    def solve(self, max_steps: int) -> np.ndarray:
        self.feasible_tree()
        self.rooted()
        for _ in range(max_steps):
            child = int(np.argmin(self.cut))
            if self.cut[child] >= 0:
                break
            if not self._exchange(child):
                break
        self.layer -= self.layer.min()
        return self.layer

    def _exchange(self, child: int) -> bool:
        """Swap the parent edge of `child` (negative cut value) for the tightest edge across
        the same cut going the other way, move the subtree below so it is tight, and renumber
        the part of the tree the swap changed."""
        e = self.parent_edge[child]
        lo, hi = self.low[child], self.lim[child]
        in_sub = np.zeros(self.n, dtype=bool)
        in_sub[self.order[lo:hi + 1]] = True
        a_in, b_in = in_sub[self.src], in_sub[self.dst]
        head_side_is_sub = bool(self.dst[e] == child)
        # candidates go from the head component to the tail component
        mask = (a_in & ~b_in) if head_side_is_sub else (~a_in & b_in)
        mask &= ~self.in_tree
        candidates = np.flatnonzero(mask)
        if not len(candidates):
            return False
        slack = self.slack()[candidates]
        k = int(np.argmin(slack))
        f, delta = int(candidates[k]), int(slack[k])
        # the head component moves up (or the tail component down) by delta
        self.layer[in_sub] += delta if head_side_is_sub else -delta
        # the lowest common ancestor of f's ends: its subtree holds the cycle f closes
        a, b = int(self.src[f]), int(self.dst[f])
        top = a
        while not self.low[top] <= self.lim[b] <= self.lim[top]:
            pe = self.parent_edge[top]
            top = int(self.src[pe]) if self.dst[pe] == top else int(self.dst[pe])
        self.in_tree[e] = False
        self.in_tree[f] = True
        for x in (int(self.src[e]), int(self.dst[e])):
            self.tree_adj[x].remove(e)
        self.tree_adj[a].append(f)
        self.tree_adj[b].append(f)
        first, last = self.low[top], self.lim[top]
        self._number(top, self.parent_edge[top], first)
        self._cuts(first, last)
        return True
