"""Crossing reduction for huge circuits (past `BIG_NODES` nodes): a few sweeps, counted twice.

`order.py`'s quick search counts the crossings after every round and sweeps until a round
brings nothing: on micrograd's demo network (65,000 gates, 480,000 nodes with the dummies)
that is seconds, mostly counting. A circuit this big is seen whole, a mass of gates and
wires, so here the search is bounded: the same first order (a depth-first walk from the
output, each dummy after its edge's source), counted once; when it has crossings, up to
`ROUNDS` rounds of barycentric sweeps (each layer in turn sorted by the mean place of its
neighbours in the layer just sorted, down then up), counted once more; the order with
fewer crossings wins. A sweep is a few numpy calls per layer, so a circuit of many narrow
layers sweeps less (`LAYER_WORK`). Trees and chains keep their first order, which has no
crossing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from app.layout.layers import Layered
from app.layout.order import crossings, first_slots

BIG_NODES = 20_000  # real nodes past which the layout takes this path (and coords.place_big)
ROUNDS = 2  # rounds of sweeps (one down, one up)
LAYER_WORK = 40_000  # layer sorts allowed in all: the sweeps' cost is per layer
COUNT_SEGMENTS = 150_000  # segments up to which both orders are counted (0.1 s a count);
# past it the sweeps' order is kept uncounted (a count of micrograd's demo network's
# 480,000 segments is half a second; its sweeps take 705 million crossings to 323 million)


def _crossed(group: np.ndarray, a: np.ndarray, b: np.ndarray) -> bool:
    """Whether any two segments cross: sorted by layer pair, then by `a`, then by `b`, some
    `b` goes down within a layer pair. One sort, where a count is a merge sort."""
    if len(a) < 2:
        return False
    o = np.lexsort((b, a, group))
    g, bb = group[o], b[o]
    return bool(np.any((g[1:] == g[:-1]) & (bb[1:] < bb[:-1])))


def order_big(lay: Layered, keys: Sequence[int]) -> np.ndarray:
    """Each internal node's slot (layers left to right, each top to bottom), as
    `order.order_nodes` returns it, by the bounded search of the module doc."""
    total = lay.n_total
    perm, slot_layer, start, s, t = first_slots(lay, keys)
    pos = np.arange(total, dtype=np.int64) - start[slot_layer]
    group = slot_layer[s]
    if not _crossed(group, pos[s], pos[t]):
        pass  # a tree, a chain: the first order is already planar
    elif len(s) > COUNT_SEGMENTS:
        pos = _sweeps(pos, s, t, slot_layer, start)
    else:
        tried = _sweeps(pos.copy(), s, t, slot_layer, start)
        if crossings(group, tried[s], tried[t]) < crossings(group, pos[s], pos[t]):
            pos = tried
    final = np.empty(total, dtype=np.int64)
    final[perm] = start[slot_layer] + pos
    return final


def _sweeps(pos: np.ndarray, s: np.ndarray, t: np.ndarray, slot_layer: np.ndarray,
            start: np.ndarray) -> np.ndarray:
    """`ROUNDS` rounds of barycentric sweeps from `pos` (changed in place)."""
    total = len(slot_layer)
    width = np.diff(start)
    wide = np.flatnonzero(width > 1).tolist()
    if not wide:
        return pos
    rounds = max(1, min(ROUNDS, LAYER_WORK // (2 * len(wide))))
    npos = (pos + 0.5) / width[slot_layer]
    st, en = start[:-1].tolist(), start[1:].tolist()
    sides = []
    for me, nbr, order in ((t, s, wide), (s, t, wide[::-1])):
        o = np.argsort(me, kind="stable")
        me, nbr = me[o], nbr[o]
        ptr = np.searchsorted(me, start).tolist()
        sides.append((order, me - start[slot_layer[me]], nbr, ptr))
    for _ in range(rounds):
        for order, local, nbr, ptr in sides:
            for k in order:
                a, b = st[k], en[k]
                w = b - a
                r0, r1 = ptr[k], ptr[k + 1]
                if r0 == r1:
                    continue
                here = local[r0:r1]
                total_at = np.bincount(here, npos[nbr[r0:r1]], w)
                count = np.bincount(here, minlength=w)
                key = np.where(count > 0, total_at / np.maximum(count, 1), npos[a:b])
                key += pos[a:b] * (1e-10 / w)  # equal keys keep their order
                moved = key.argsort() + a
                pos[moved] = np.arange(w)
                npos[moved] = (np.arange(w) + 0.5) / w
    assert len(pos) == total
    return pos
