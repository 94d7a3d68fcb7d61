"""The crossing search in plain Python: Graphviz dot's search, sifting, and kicks.

This is the specification of the compiled search (`_ordering.c`), which does the same
steps in the same order and must give the same order of every layer; tests hold the two
together on random graphs. order.py runs this module itself on small graphs (on a few
dozen nodes a numpy call costs more than the work it does) and when the compiled search
is not built.

Nodes are numbered by their first slot, so layer k holds nodes start[k]..start[k+1]-1;
a segment runs from s[i] in one layer to t[i] in the next; `place[v]` is v's place in
its layer.
"""

from __future__ import annotations

CONVERGENCE = 0.995  # an iteration that removes half a percent of the crossings renews patience
MASK = (1 << 64) - 1
KICK_SEED = 0x9E3779B97F4A7C15


class PlainSearch:
    """Dot's crossing minimisation over one numbered graph, its order held in `rows`."""

    def __init__(self, s: list[int], t: list[int], start: list[int]) -> None:
        total = start[-1]
        self.n_layers = n_layers = len(start) - 1
        self.start = start
        self.layer_of = [0] * total
        for k in range(n_layers):
            for v in range(start[k], start[k + 1]):
                self.layer_of[v] = k
        self.out: list[list[int]] = [[] for _ in range(total)]
        self.inn: list[list[int]] = [[] for _ in range(total)]
        for a, b in zip(s, t, strict=True):
            self.out[a].append(b)
            self.inn[b].append(a)
        self.place = [v - start[self.layer_of[v]] for v in range(total)]
        self.rows = [list(range(start[k], start[k + 1])) for k in range(n_layers)]

    def count(self) -> int:
        """Crossings of the current order, between every pair of neighbouring layers."""
        place, out = self.place, self.out
        c = 0
        for row in self.rows:
            ends = sorted((place[a], place[b]) for a in row for b in out[a])
            for i, (_, bi) in enumerate(ends):
                for _, bj in ends[i + 1:]:
                    if bj < bi:
                        c += 1
        return c

    def _crossing(self, v: int, w: int) -> int:
        place = self.place
        c = 0
        for side in (self.inn, self.out):
            mine = [place[a] for a in side[v]]
            for b in side[w]:
                pb = place[b]
                for pa in mine:
                    if pa > pb:
                        c += 1
        return c

    def transpose(self, reverse: bool) -> None:
        """Swaps of neighbours while they remove crossings; with `reverse`, also swaps that
        leave as many (dot's walk along a plateau)."""
        n_layers, rows, place = self.n_layers, self.rows, self.place
        candidate = [True] * n_layers
        while True:
            gained = 0
            for k in range(n_layers):
                if not candidate[k]:
                    continue
                candidate[k] = False
                row = rows[k]
                for i in range(len(row) - 1):
                    v, w = row[i], row[i + 1]
                    c0, c1 = self._crossing(v, w), self._crossing(w, v)
                    if c1 < c0 or (reverse and c0 > 0 and c1 == c0):
                        row[i], row[i + 1] = w, v
                        place[v], place[w] = i + 1, i
                        gained += c0 - c1
                        candidate[k] = True
                        if k > 0:
                            candidate[k - 1] = True
                        if k + 1 < n_layers:
                            candidate[k + 1] = True
            if gained < 1:
                return

    def sweep(self, down: bool, reverse: bool) -> None:
        """Each layer in turn sorted by the weighted median of its neighbours' places on the
        side just visited; a node with none there keeps its slot."""
        side = self.inn if down else self.out
        n_layers, place = self.n_layers, self.place
        ks = range(1, n_layers) if down else range(n_layers - 2, -1, -1)
        for k in ks:
            row = self.rows[k]
            keyed = []
            slots = []
            for i, v in enumerate(row):
                nbrs = sorted(place[u] for u in side[v])
                if not nbrs:
                    continue
                m = len(nbrs)
                if m % 2:
                    key = float(nbrs[m // 2])
                elif m == 2:
                    key = (nbrs[0] + nbrs[1]) / 2
                else:
                    lo, hi = nbrs[m // 2 - 1], nbrs[m // 2]
                    lspan, rspan = lo - nbrs[0], nbrs[-1] - hi
                    key = (lo + hi) / 2 if lspan == rspan else \
                        (lo * rspan + hi * lspan) / (lspan + rspan)
                keyed.append((key, -i if reverse else i, v))
                slots.append(i)
            keyed.sort()
            for i, (_, _, v) in zip(slots, keyed, strict=True):
                row[i] = v
                place[v] = i

    def saved(self) -> list[list[int]]:
        return [list(r) for r in self.rows]

    def restore(self, saved: list[list[int]]) -> None:
        for k, row in enumerate(saved):
            self.rows[k] = list(row)
            for i, v in enumerate(row):
                self.place[v] = i

    def iterate(self, iterations: int, min_quit: int, best: int, saved: list[list[int]]
                ) -> tuple[int, list[list[int]]]:
        """Iterations of a median sweep (alternately down and up) then swaps, until
        `min_quit` in a row fail to remove half a percent; the best order seen."""
        trying = 0
        c = self.count()
        for it in range(iterations):
            if trying >= min_quit or c == 0:
                break
            trying += 1
            reverse = it % 4 < 2
            self.sweep(down=it % 2 == 0, reverse=reverse)
            self.transpose(not reverse)
            c = self.count()
            if c <= best:
                if c < CONVERGENCE * best:
                    trying = 0
                best, saved = c, self.saved()
        return best, saved

    def bfs(self, down: bool) -> list[list[int]]:
        """Layers filled breadth first from the nodes with no segment in (or out)."""
        nxt, prev = (self.out, self.inn) if down else (self.inn, self.out)
        filled: list[list[int]] = [[] for _ in self.rows]
        seen = set()
        for row in self.rows:
            for v in row:
                if prev[v] or v in seen:
                    continue
                seen.add(v)
                queue = [v]
                while queue:
                    u = queue.pop(0)
                    filled[self.layer_of[u]].append(u)
                    for w in nxt[u]:
                        if w not in seen:
                            seen.add(w)
                            queue.append(w)
        for k, row in enumerate(self.rows):  # anything the walk missed keeps its order
            filled[k].extend(v for v in row if v not in seen)
        return filled

    def search(self, min_quit: int, max_iter: int) -> int:
        """Dot's search: from the first order and two breadth-first ones, swaps and four
        iterations each; from the best, up to `max_iter` more. Returns its crossings."""
        best, saved = self.count(), self.saved()
        starts = (self.saved(), self.bfs(True), self.bfs(False))
        for start_rows in starts:
            if best == 0:
                break
            self.restore(start_rows)
            self.transpose(False)
            c = self.count()
            if c <= best:
                best, saved = c, self.saved()
            best, saved = self.iterate(4, min_quit, best, saved)
        self.restore(saved)
        best, saved = self.iterate(max_iter, min_quit, best, saved)
        self.restore(saved)
        self.transpose(False)
        return min(best, self.count())

    def kick(self, state: int, one_in: int) -> int:
        """Each pair of neighbours swapped once in `one_in` (xorshift64 from `state`): a
        shake out of a local minimum. Returns the generator's new state."""
        for row in self.rows:
            for i in range(len(row) - 1):
                state ^= (state << 13) & MASK
                state ^= state >> 7
                state ^= (state << 17) & MASK
                if state % one_in == 0:
                    row[i], row[i + 1] = row[i + 1], row[i]
                    self.place[row[i]], self.place[row[i + 1]] = i, i + 1
        return state

    def sift(self, rounds: int) -> None:
        """Sifting (Matuszewski, Schönfeld and Molitor): each node in turn, most wires first,
        tried at every place of its layer with the others kept in order, goes where its
        wires cross least. A node moves only for a strict gain."""
        self.place[:] = sift(self.place, self.start, self.inn, self.out, rounds)
        for k in range(self.n_layers):
            self.rows[k].sort(key=self.place.__getitem__)


def _pair_order(a: list[int], b: list[int]) -> int:
    """Pairs (p in a, q in b) with p < q, less pairs with p > q."""
    out = 0
    for p in a:
        for q in b:
            out += (p < q) - (p > q)
    return out


def sift(place: list[int], start: list[int], left: list[list[int]], right: list[list[int]],
         rounds: int) -> list[int]:
    """`PlainSearch.sift` on a given order: `left[v]` and `right[v]` are v's neighbours in
    the layers before and after. Returns the new places; the crossings never grow."""
    place = list(place)
    for _ in range(rounds):
        moved = False
        for k in range(len(start) - 1):
            if start[k + 1] - start[k] < 2:
                continue
            members = range(start[k], start[k + 1])
            order = sorted(members, key=place.__getitem__)
            for v in sorted(members, key=lambda u: -(len(left[u]) + len(right[u]))):
                lv = [place[a] for a in left[v]]
                rv = [place[b] for b in right[v]]
                here = order.index(v)
                others = order[:here] + order[here + 1:]
                # crossings, relative to v at the far left, as v moves right past each other
                change = best = now = best_i = 0
                for i, u in enumerate(others):
                    change += (_pair_order(lv, [place[a] for a in left[u]])
                               + _pair_order(rv, [place[b] for b in right[u]]))
                    if i + 1 == here:
                        now = change
                    if change < best:
                        best, best_i = change, i + 1
                if best < now:
                    order = others[:best_i] + [v] + others[best_i:]
                    for p, u in enumerate(order):
                        place[u] = p
                    moved = True
        if not moved:
            break
    return place


def search(s: list[int], t: list[int], start: list[int], min_quit: int, max_iter: int,
           sift_rounds: int, kicks: int = 0, one_in: int = 10, polish: int = 4
           ) -> tuple[list[int], int]:
    """The whole search: dot's, then sifting, then `kicks` rounds of a kick from the best
    order, swaps along plateaus, `polish` iterations and sifting, each kept only if it has
    fewer crossings. Returns each node's place and the crossings. `_ordering.search` computes
    exactly this."""
    g = PlainSearch(s, t, start)
    best = g.search(min_quit, max_iter)
    if best and sift_rounds > 0:
        g.sift(sift_rounds)
        best = g.count()
    if best and kicks > 0:
        state = KICK_SEED
        kept = g.saved()
        for _ in range(kicks):
            if not best:
                break
            g.restore(kept)
            state = g.kick(state, one_in)
            g.transpose(True)  # along plateaus too: most of what a kick finds
            local, saved = g.iterate(polish, min_quit, g.count(), g.saved())
            g.restore(saved)
            if sift_rounds > 0:
                g.sift(sift_rounds)
            c = g.count()
            if c < best:
                best, kept = c, g.saved()
        g.restore(kept)
    return g.place, best
