"""Coordinates: x from the layer, y by a few relaxation passes.

Each pass visits the layers in turn (right to left, then left to right) and asks
every node to sit at the mean y of its neighbours in the layer just visited; the layer
is then projected back onto its order and minimum spacing by weighted isotonic
regression (pool adjacent violators), where a node's weight says how firmly it holds
its wanted place. A constant neither pulls a gate (it counts only when a node has no
other neighbour) nor holds firm, and a last pass moves each constant alone next to its
user, so a chain of gates fed by constants is a straight line with the constants beside
it. The passes are plain Python over lists: layers are mostly narrow, and a numpy call
per layer would cost more than the work (a 10,000-deep chain has 10,000 layers of two).
"""

from __future__ import annotations

import numpy as np

from app.layout.layers import Layered

COLUMN = 140.0  # px between layers: room for a value above and a gradient below each edge
ROW = 70.0  # px between two gates in a layer
DUMMY_ROW = 40.0  # px between two long edges passing through a layer
MARGIN = 40.0  # px around the drawing: a gate's radius (~22) and its labels
BOX_GAP = 40.0  # px between the tensor boxes of two neighbouring layers

PASSES = ("up", "down", "consts")
CONST_WEIGHT = 1e-6  # how firmly a constant holds its wanted place against other nodes
IDLE_WEIGHT = 1e-3  # how firmly a node with no neighbour on the visited side holds its place
STILL = 1e12  # how firmly everything but the constants holds in the last pass

Side = tuple[list[tuple[int, int]], list[list[int]], list[float]]


def place(lay: Layered, slot: np.ndarray, below: np.ndarray | None = None,
          width: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """x and y of every internal node, given its slot from `order_nodes`.

    `below` and `width` (per real node, px) make room for what is drawn under a
    node, a tensor's numbers: the node below it in its layer moves down past
    `below`, and its layer's column widens to `width`.
    """
    total = lay.n_total
    slot_layer, start, is_const, gap, off_a = _packed(lay, slot, below)
    n_layers = len(start) - 1
    y = (off_a - (off_a[start[1:] - 1] / 2)[slot_layer]).tolist()  # each layer centred on 0
    off = off_a.tolist()

    s, t = slot[lay.seg_src], slot[lay.seg_dst]
    bounds = list(zip(start[:-1].tolist(), start[1:].tolist(), strict=True))
    base = np.where(is_const, CONST_WEIGHT, 1.0)
    user = is_const[s]  # a constant's edge to its user
    sides = {
        "down": _side(t, s, is_const, base, IDLE_WEIGHT, slot_layer, bounds, True),
        "up": _side(s, t, is_const, base, IDLE_WEIGHT, slot_layer, bounds, False),
        "consts": _side(s[user], t[user], is_const, np.where(is_const, 1.0, STILL), 1.0,
                        slot_layer, bounds, False),
    }
    for name in PASSES:
        _relax(y, off, *sides[name])

    y_a = np.asarray(y)
    if total:
        y_a += MARGIN - y_a.min()
    return _columns(lay, width, n_layers)[lay.layer], y_a[slot]


def _columns(lay: Layered, width: np.ndarray | None, n_layers: int) -> np.ndarray:
    """Each layer's x: COLUMN apart, or further where a layer holds a wide box."""
    if width is None or not n_layers:
        return MARGIN + COLUMN * np.arange(n_layers, dtype=float)
    widest = np.zeros(n_layers)
    np.maximum.at(widest, lay.layer[:lay.n_real], width)
    step = np.maximum(COLUMN, (widest[:-1] + widest[1:]) / 2 + BOX_GAP)
    first = MARGIN + max(0.0, widest[0] / 2 - MARGIN + BOX_GAP / 2)
    return first + np.concatenate([[0.0], np.cumsum(step)])


def _side(me: np.ndarray, nbr: np.ndarray, is_const: np.ndarray, base: np.ndarray,
          idle: float, slot_layer: np.ndarray, bounds: list[tuple[int, int]],
          forward: bool) -> Side:
    """What one pass reads: the layers to visit, each node's neighbours, its firmness.

    A node's constant neighbours are dropped when it has others. A node with no
    neighbour on this side wants to stay where it is and holds only `idle` firmly.
    """
    total = len(slot_layer)
    strong = ~is_const[nbr]
    keep = strong | (np.bincount(me, strong, minlength=total) == 0)[me]
    me, nbr = me[keep], nbr[keep]
    o = np.argsort(me, kind="stable")
    ptr = np.searchsorted(me[o], np.arange(total + 1))
    flat, bound = nbr[o].tolist(), ptr.tolist()
    pulls = [flat[a:b] for a, b in zip(bound, bound[1:], strict=False)]
    firm = (base * np.where(ptr[1:] > ptr[:-1], 1.0, idle)).tolist()
    busy = (np.bincount(slot_layer[me], minlength=len(bounds)) > 0).tolist()
    visit = range(len(bounds)) if forward else range(len(bounds) - 1, -1, -1)
    layers = [bounds[k] for k in visit if busy[k]]
    return layers, pulls, firm


def _relax(y: list[float], off: list[float], layers: list[tuple[int, int]],
           pulls: list[list[int]], firm: list[float]) -> None:
    """One pass: each visited layer moves towards its neighbours, keeping order and spacing."""
    for st, en in layers:
        offs = off[st:en]
        z = [(sum([y[u] for u in nb]) / len(nb) if nb else y[v]) - o
             for v, nb, o in zip(range(st, en), pulls[st:en], offs, strict=True)]
        if z != sorted(z):
            z = _isotonic(z, firm[st:en])
        y[st:en] = [a + b for a, b in zip(z, offs, strict=True)]


def _isotonic(z: list[float], w: list[float]) -> list[float]:
    """The non-decreasing sequence nearest to z by weighted least squares (pool adjacent
    violators)."""
    vals: list[float] = []
    wts: list[float] = []
    counts: list[int] = []
    for v, wt in zip(z, w, strict=True):
        c = 1
        while vals and vals[-1] > v:
            pw = wts.pop()
            v = (vals.pop() * pw + v * wt) / (pw + wt)
            wt += pw
            c += counts.pop()
        vals.append(v)
        wts.append(wt)
        counts.append(c)
    fit: list[float] = []
    for v, c in zip(vals, counts, strict=True):
        fit += [v] * c
    return fit


BIG_PASSES = 5  # relaxation passes of `place_big`, before the constants' own pass


def place_big(lay: Layered, slot: np.ndarray, below: np.ndarray | None = None,
              width: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """`place` for a huge circuit (layout/bigorder.py's BIG_NODES), in numpy throughout.

    `place` relaxes one layer after another in plain Python, each layer towards the one
    just placed: a 100,000-deep chain is 100,000 small layers, seconds of work. Here each
    layer starts packed from the top (so a chain, its gates first in every layer, is a
    straight line from the start), then every layer moves at once, `BIG_PASSES` times:
    each gate towards the mean y of its neighbours on both sides (constants only where it
    has no other neighbour), each layer put back in its order and spacing by the mean of
    two projections (the running maximum from the top and the running minimum from the
    bottom of its offsets: both keep the order and the spacing, so their mean does too).
    Constants stay put until a last pass moves each one, where its neighbours in the layer
    are no constants, as near its user as they let it: beside its gate. A wide layer
    settles less than `place` would settle it.
    """
    total = lay.n_total
    slot_layer, start, is_const, gap, off = _packed(lay, slot, below)
    n_layers = len(start) - 1
    y = off.copy()

    s, t = slot[lay.seg_src], slot[lay.seg_dst]
    me = np.concatenate([s, t])
    nbr = np.concatenate([t, s])
    strong = ~is_const[nbr]
    keep = strong | (np.bincount(me, strong, minlength=total) == 0)[me]
    me, nbr = me[keep], nbr[keep]
    count = np.bincount(me, minlength=total)
    pulled = (count > 0) & ~is_const
    for _ in range(BIG_PASSES):
        z = np.where(pulled, np.bincount(me, y[nbr], total) / np.maximum(count, 1), y)
        y = off + _kept_in_order(z - off, slot_layer)
    _constants_beside(y, s, t, is_const, slot_layer, gap)
    if total:
        y += MARGIN - y.min()
    return _columns(lay, width, n_layers)[lay.layer], y[slot]


def _constants_beside(y: np.ndarray, s: np.ndarray, t: np.ndarray, is_const: np.ndarray,
                      slot_layer: np.ndarray, gap: np.ndarray) -> None:
    """Each constant, where the slots beside it in its layer hold no constant, moved to
    the mean y of its users as far as those slots' spacing lets it (in place)."""
    total = len(y)
    user = is_const[s]
    c_me, c_nbr = s[user], t[user]
    c_count = np.bincount(c_me, minlength=total)
    movable = c_count > 0
    # the slots above and below: constants there would move too, so these stay
    same_up = np.r_[False, slot_layer[1:] == slot_layer[:-1]]
    same_down = np.r_[slot_layer[:-1] == slot_layer[1:], False]
    up_const = np.r_[False, is_const[:-1]] & same_up
    down_const = np.r_[is_const[1:], False] & same_down
    movable &= ~up_const & ~down_const
    if not movable.any():
        return
    want = np.bincount(c_me, y[c_nbr], total) / np.maximum(c_count, 1)
    lo = np.where(same_up, np.r_[-np.inf, y[:-1] + gap], -np.inf)
    hi = np.where(same_down, np.r_[y[1:] - gap, np.inf], np.inf)
    y[movable] = np.clip(want, lo, hi)[movable]


def _kept_in_order(u: np.ndarray, slot_layer: np.ndarray) -> np.ndarray:
    """`u` made non-decreasing within each layer (a run of slots): the mean of its running
    maximum from the top and its running minimum from the bottom. Each layer is lifted
    above the last by a multiple of the span so that one accumulate covers them all."""
    if not len(u):
        return u
    span = float(u.max() - u.min()) + 1.0
    lift = slot_layer * span
    top = np.maximum.accumulate(u + lift) - lift
    bottom = np.minimum.accumulate((u + lift)[::-1])[::-1] - lift
    return (top + bottom) / 2


def _packed(lay: Layered, slot: np.ndarray, below: np.ndarray | None
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """By slot: each one's layer, each layer's first slot (and the end), which are constants,
    the spacing below each one (none across a layer's end), and each one's y with its
    layer packed tightly from 0 (a dummy's row is narrower; a node moves down past what
    is drawn under the one above, `below`)."""
    total = lay.n_total
    slot_layer = np.empty(total, dtype=np.int64)
    slot_layer[slot] = lay.layer
    n_layers = int(slot_layer[-1]) + 1 if total else 0
    start = np.searchsorted(slot_layer, np.arange(n_layers + 1))
    dummy = np.zeros(total, dtype=bool)
    dummy[slot[lay.n_real:]] = True
    is_const = np.zeros(total, dtype=bool)
    is_const[slot] = lay.is_const
    half = np.where(dummy, DUMMY_ROW / 2, ROW / 2)
    low = half.copy()
    if below is not None:
        low[slot[:lay.n_real]] = np.maximum(half[slot[:lay.n_real]], below)
    gap = low[:-1] + half[1:]
    gap[start[1:-1] - 1] = 0.0  # no spacing across a layer boundary
    off = np.concatenate([[0.0], np.cumsum(gap)])
    off -= off[start[slot_layer]]
    return slot_layer, start, is_const, gap, off
