"""Check the backward pass against central differences, in one batched forward pass.

For every input element x the numeric derivative is

    (L(x + h) − L(x − h)) / ((x + h) − (x − h)),   h = 1e-6 · max(1, |x|),

where L is what the backward pass differentiates: the output times the seed,
summed (the output itself when it is a scalar). All perturbed copies of the
inputs, two rows per element, go through the graph together with the batched
evaluator of `app/engine/batch.py`. Each element's

    rel_error = |analytic − numeric| / max(|analytic|, |numeric|, tiny)

and it is `ok` when rel_error ≤ RTOL (1e-5) or the two differ by at most
ATOL · max(1, |L|) (1e-8 · …, the noise floor of the differences where the
gradient is 0). `kink` marks an element whose nudge crosses a point where an
op the output depends on is not differentiable (relu or abs at 0, max or min
on a tie, max_pool on a tie in a window: ops with a `kink` rule in the
registry), where the two may rightly disagree. Inputs that feed class labels
(an op's `nondiff` input, such as cross_entropy's) are not nudged: their
entry checks 0 elements.

Limits: at most `MAX_CHECK_ELEMENTS` (2,000) perturbed elements in all, and
no more than the batch work budget allows; past either, each input gets a
fair share of evenly spaced elements and the entry says how many were
`checked` of its `size`. Full arrays are reported for tensors of at most
`FULL_ARRAYS` (100) elements, when every element was checked.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app.engine.batch import cost, forward_rows
from app.engine.run import Evaluation
from app.ops import REGISTRY
from app.ops.registry import align

MAX_CHECK_ELEMENTS = 2_000
FULL_ARRAYS = 100
RTOL = 1e-5
ATOL = 1e-8
TINY = float(np.finfo(float).tiny)


def _shares(sizes: list[int], budget: int) -> list[int]:
    """How many elements of each input to check: everything, or a fair share of the budget."""
    if sum(sizes) <= budget:
        return list(sizes)
    shares = [0] * len(sizes)
    left = budget
    order = sorted(range(len(sizes)), key=lambda k: sizes[k])
    for rank, k in enumerate(order):
        shares[k] = min(sizes[k], left // (len(order) - rank))
        left -= shares[k]
    return shares


def _pick(size: int, k: int) -> np.ndarray:
    """k evenly spaced flat indices out of size (all of them when k == size)."""
    if k >= size:
        return np.arange(size)
    return np.round(np.linspace(0, size - 1, k)).astype(np.intp)


def gradcheck(ev: Evaluation) -> dict[str, dict[str, Any]]:
    """Analytic against numeric gradients for every input, keyed by input name."""
    with np.errstate(all="ignore"):  # ∞ and NaN are results here, reported as such
        return _gradcheck(ev)


def _gradcheck(ev: Evaluation) -> dict[str, dict[str, Any]]:
    graph = ev.graph
    out = graph.output
    ids = graph.input_ids
    names = list(ids)
    seed = (np.asarray(ev.grads[out], dtype=float) if ev.plan.requires[out]
            else np.ones(ev.shapes[out]))
    base = float(np.sum(ev.value(out) * seed))
    everything = cost(ev, [ids[n] for n in names])
    budget = min(MAX_CHECK_ELEMENTS, everything.max_rows() // 2)
    # An input that feeds class labels is not nudged (a label of 1.000001 is an error, not a
    # nearby point): its entry says it checked 0 of its elements.
    fixed = ev.plan.analysis.labels
    sizes = [0 if fixed[ids[n]] else int(np.prod(ev.shapes[ids[n]])) for n in names]
    picks = [_pick(size, k) for size, k in zip(sizes, _shares(sizes, budget), strict=True)]
    # One (input, flat index) per checked element; its rows are 2j (x + h) and 2j + 1 (x − h).
    elements = [(k, int(flat)) for k, chosen in enumerate(picks) for flat in chosen]
    numeric = np.full(len(elements), np.nan)
    kinks = np.zeros(len(elements), dtype=bool)
    steps = np.zeros(len(elements))
    per_pass = max(1, everything.rows_per_pass() // 2)
    for start in range(0, len(elements), per_pass):
        chunk = elements[start:start + per_pass]
        upper, lower, kink = _run_chunk(ev, names, ids, chunk, seed)
        x_up, x_down, l_up, l_down = upper[0], lower[0], upper[1], lower[1]
        stop = start + len(chunk)
        numeric[start:stop] = (l_up - l_down) / (x_up - x_down)
        steps[start:stop] = (x_up - x_down) / 2
        kinks[start:stop] = kink
    report = {}
    offset = 0
    for k, name in enumerate(names):
        count = len(picks[k])
        report[name] = _entry(ev, ids[name], picks[k], numeric[offset:offset + count],
                              kinks[offset:offset + count], steps[offset:offset + count], base)
        offset += count
    return report


def _run_chunk(ev: Evaluation, names: list[str], ids: dict[str, int],
               chunk: list[tuple[int, int]], seed: np.ndarray):
    """One batched pass over the rows of some elements: (x, L) up, (x, L) down, kink flags."""
    n_rows = 2 * len(chunk)
    involved = sorted({k for k, _ in chunk})
    rows: dict[int, np.ndarray] = {}
    x_up = np.empty(len(chunk))
    x_down = np.empty(len(chunk))
    for k in involved:
        node = ids[names[k]]
        value = ev.value(node)
        stack = np.array(np.broadcast_to(value, (n_rows, *value.shape)), order="C")
        flat = stack.reshape(n_rows, -1)  # a view of stack (C order), so writes land in it
        for j, (kk, idx) in enumerate(chunk):
            if kk != k:
                continue
            x = float(value.reshape(-1)[idx])
            h = 1e-6 * max(1.0, abs(x))
            flat[2 * j, idx] = x + h
            flat[2 * j + 1, idx] = x - h
            x_up[j] = flat[2 * j, idx]
            x_down[j] = flat[2 * j + 1, idx]
        rows[node] = stack
    kink = np.zeros(len(chunk), dtype=bool)

    def observe(o: int, flags: tuple[bool, ...], xs: list[Any]) -> None:
        rule = REGISTRY[ev.graph.ops[o]].kink
        if rule is None:
            return
        params = ev.graph.nodes[o].param_dict()
        side = np.asarray(rule(*align(flags, xs), **params), dtype=float).reshape(n_rows, -1)
        up, down = side[0::2], side[1::2]
        crossed = (up != down) & ~np.isnan(up) & ~np.isnan(down)
        kink[:] |= crossed.any(axis=1)

    outputs = forward_rows(ev, rows, cost(ev, [ids[names[k]] for k in involved]), observe)
    losses = np.sum((outputs * seed).reshape(n_rows, -1), axis=1)
    return (x_up, losses[0::2]), (x_down, losses[1::2]), kink


def _entry(ev: Evaluation, node: int, chosen: np.ndarray, numeric: np.ndarray,
           kinks: np.ndarray, steps: np.ndarray, base: float) -> dict[str, Any]:
    shape = ev.shapes[node]
    analytic_full = np.asarray(ev.grad(node), dtype=float)
    size = analytic_full.size
    analytic = analytic_full.reshape(-1)[chosen]
    diff = np.abs(analytic - numeric)
    rel = diff / np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), TINY)
    ok = (rel <= RTOL) | (diff <= ATOL * max(1.0, abs(base)))
    entry: dict[str, Any] = {"shape": list(shape), "checked": len(chosen), "size": size}
    if not len(chosen):
        entry |= {"analytic": None, "numeric": None, "rel_error": None, "ok": None,
                  "kink": False, "step": None}
        return entry
    # The worst element: the largest relative error (NaN counts as largest) among the
    # failures if there are any, else among all.
    badness = np.where(np.isnan(rel), np.inf, rel)
    candidates = np.flatnonzero(~ok) if not ok.all() else np.arange(len(chosen))
    w = int(candidates[np.argmax(badness[candidates])])
    if shape == ():
        entry |= {"analytic": analytic[0], "numeric": numeric[0], "rel_error": rel[0],
                  "ok": bool(ok[0]), "kink": bool(kinks[0]), "step": steps[0]}
        return entry
    complete = len(chosen) == size
    small = complete and size <= FULL_ARRAYS
    entry |= {
        "analytic": analytic_full if small else None,
        "numeric": numeric.reshape(shape) if small else None,
        "rel_error": rel[w],
        "ok": bool(ok.all()),
        "kink": bool(kinks.any()),
        "step": steps[w],
        "worst": {"index": [int(v) for v in np.unravel_index(int(chosen[w]), shape)],
                  "analytic": analytic[w], "numeric": numeric[w], "rel_error": rel[w],
                  "ok": bool(ok[w]), "kink": bool(kinks[w])},
    }
    return entry
